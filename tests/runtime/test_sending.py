"""sending: how long to wait before a retry, where a redirect may lead, and how much of a body is read."""

from __future__ import annotations

import time
import tracemalloc
import zlib

import anyio
import httpx
import pytest

from tests.runtime.conftest import Runtime


def test_retry_waits_come_from_the_api_and_backoff_is_capped(runtime: Runtime) -> None:
    sending = runtime.module("sending")
    assert sending.retry_after(httpx.Response(429, headers={"Retry-After": "7"})) == 7.0
    reset = str(int(time.time()) + 30)
    assert 28 <= sending.retry_after(httpx.Response(429, headers={"X-Rate-Limit-Reset": reset})) <= 30
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert sending.retry_after(httpx.Response(503, headers={"Retry-After": date})) == 0.0
    assert all(0 < sending.backoff(attempt) <= sending.BACKOFF_CAP_SECONDS for attempt in range(1, 12))


def _redirecting(location: str) -> httpx.MockTransport:
    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/start":
            return httpx.Response(302, headers={"Location": location})
        return httpx.Response(200, json={"at": str(request.url)})

    return httpx.MockTransport(answer)


def test_redirects_stay_on_the_scheme_host_and_port_of_a_configured_server(runtime: Runtime) -> None:
    sending = runtime.module("sending")
    allowed = frozenset({sending.origin(httpx.URL("https://api.widgets.test")), ("http", "api.widgets.test", 80)})

    def follow(location: str) -> str:
        async def run() -> str:
            async with httpx.AsyncClient(transport=_redirecting(location)) as client:
                request = client.build_request("GET", "https://api.widgets.test/start")
                request.headers["Authorization"] = "Bearer secret-token"
                try:
                    response = await sending.send(client, request, idempotent=True, attempts=1, allowed=allowed)
                except sending.RedirectRefused as refused:
                    return f"refused {refused.target}"
                await sending.read_capped(response, 1000)
                return str(response.json()["at"])

        return anyio.run(run)

    assert follow("/next") == "https://api.widgets.test/next"
    assert follow("https://api.widgets.test:443/x") == "https://api.widgets.test/x"
    assert follow("https://api.widgets.test:8443/x").startswith("refused")  # another port
    assert follow("http://api.widgets.test/x").startswith("refused")  # never from https to http, configured or not
    assert follow("https://elsewhere.test/x").startswith("refused")


def test_a_body_past_the_cap_is_dropped_and_an_error_body_cut(runtime: Runtime) -> None:
    sending = runtime.module("sending")
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=b"x" * 5000))

    async def read(keep_start: bool) -> bytes:
        async with httpx.AsyncClient(transport=transport) as client:
            response = await client.send(client.build_request("GET", "https://api.widgets.test/"), stream=True)
            await sending.read_capped(response, 1000, keep_start=keep_start)
            return response.content

    with pytest.raises(sending.TooLarge):
        anyio.run(read, False)
    assert anyio.run(read, True) == b"x" * 1000


def _compressed(size: int, encoding: str = "gzip") -> bytes:
    compressor = zlib.compressobj(wbits=31 if encoding == "gzip" else 15)
    return compressor.compress(b"\0" * size) + compressor.flush()


def _read(runtime: Runtime, body: bytes, encoding: str, cap: int) -> bytes:
    sending = runtime.module("sending")
    transport = httpx.MockTransport(
        lambda request: httpx.Response(200, headers={"Content-Encoding": encoding}, stream=httpx.ByteStream(body))
    )

    async def read() -> bytes:
        async with httpx.AsyncClient(transport=transport) as client:
            response = await client.send(client.build_request("GET", "https://api.widgets.test/"), stream=True)
            await sending.read_capped(response, cap)
            return response.content

    return anyio.run(read)


def test_a_compressed_body_is_inflated_only_up_to_the_cap(runtime: Runtime) -> None:
    sending = runtime.module("sending")
    assert _read(runtime, _compressed(5000), "gzip", 10_000) == b"\0" * 5000
    assert _read(runtime, _compressed(5000, "deflate"), "deflate", 10_000) == b"\0" * 5000
    bomb = _compressed(300 * 1024 * 1024)  # 300 MiB of zeros in about 300 KiB
    tracemalloc.start()
    try:
        with pytest.raises(sending.TooLarge):
            _read(runtime, bomb, "gzip", 1_000_000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 64 * 1024 * 1024  # never inflated whole
    with pytest.raises(sending.Unreadable, match="gzip or deflate only"):
        _read(runtime, bomb, "gzip, gzip", 1_000_000)  # two layers in one go: refused, not inflated
    with pytest.raises(sending.Unreadable, match="gzip or deflate only"):
        _read(runtime, b"x", "br", 1000)
    with pytest.raises(sending.Unreadable, match="damaged"):
        _read(runtime, b"not gzip at all", "gzip", 1000)

"""listening: which hosts keep a server on this machine, and the limits every HTTP mode runs with."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.runtime.conftest import Runtime


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("example.com", False), ("localhost.evil.com", False)],
)  # fmt: skip
def test_only_loopback_hosts_count_as_this_machine(runtime: Runtime, host: str, loopback: bool) -> None:
    assert runtime.module("listening").is_loopback(host) is loopback


def test_every_http_mode_has_limits_and_a_header_deadline(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    listening = runtime.module("listening")
    monkeypatch.setenv("WIDGETS_HTTP_HEADER_TIMEOUT", "2.5")
    options = listening.uvicorn_options()
    assert options["limit_concurrency"] == listening.MAX_CONNECTIONS
    assert options["h11_max_incomplete_event_size"] == listening.MAX_HEADER_BYTES
    assert issubclass(options["http"], listening.HeaderDeadline) and options["http"].header_seconds == 2.5
    monkeypatch.setenv("WIDGETS_HTTP_HEADER_TIMEOUT", "soon")
    with pytest.raises(Exception, match="WIDGETS_HTTP_HEADER_TIMEOUT"):
        listening.uvicorn_options()


def test_every_loopback_spelling_keeps_the_dns_rebinding_check(runtime: Runtime) -> None:
    listening = runtime.module("listening")
    for host in ("127.0.0.1", "127.0.0.2", "LOCALHOST", "::1", "[::1]", "0:0:0:0:0:0:0:1"):
        security = listening.loopback_security(host)
        assert security is not None and security.enable_dns_rebinding_protection, host
        assert "127.0.0.1:*" in security.allowed_hosts and "localhost:*" in security.allowed_hosts
    assert "127.0.0.2:*" in listening.loopback_security("127.0.0.2").allowed_hosts
    assert "[0:0:0:0:0:0:0:1]:*" in listening.loopback_security("0:0:0:0:0:0:0:1").allowed_hosts
    assert listening.loopback_security("0.0.0.0") is None  # anyone may connect anyway: nothing to check


class _Transport(asyncio.Transport):
    """A connection's far end: what the server wrote, and whether it hung up."""

    def __init__(self) -> None:
        super().__init__()
        self.written = b""
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if not self.closed:  # after a hang-up nothing more reaches the client
            self.written += bytes(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"peername": ("127.0.0.1", 5000), "sockname": ("127.0.0.1", 8000)}.get(name, default)

    def pause_reading(self) -> None:
        return

    def resume_reading(self) -> None:
        return


async def _slow_app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        continue
    await asyncio.sleep(0.6 if scope["path"] == "/slow" else 0)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


def _connection(runtime: Runtime, monkeypatch: pytest.MonkeyPatch, data: bytes, wait: float) -> _Transport:
    """uvicorn's own HTTP/1.1 protocol with the header deadline (0.3 s), fed `data`, after `wait` seconds."""
    import uvicorn
    from uvicorn.server import ServerState

    monkeypatch.setenv("WIDGETS_HTTP_HEADER_TIMEOUT", "0.3")
    options = runtime.module("listening").uvicorn_options()

    async def run() -> _Transport:
        config = uvicorn.Config(_slow_app, http=options["http"], log_level="warning", lifespan="off")
        config.load()
        protocol = options["http"](config=config, server_state=ServerState(), app_state={})
        transport = _Transport()
        protocol.connection_made(transport)
        protocol.data_received(data)
        await asyncio.sleep(wait)
        return transport

    return asyncio.run(run())


def test_pipelined_requests_get_every_answer_and_a_trickled_body_is_cut_off(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    two = b"GET /fast HTTP/1.1\r\nHost: x\r\n\r\nGET /slow HTTP/1.1\r\nHost: x\r\n\r\n"
    pipelined = _connection(runtime, monkeypatch, two, 1.5)
    assert pipelined.written.count(b"HTTP/1.1 200") == 2  # the second answer is not cut off mid-way
    headers_only = _connection(runtime, monkeypatch, b"GET / HTTP/1.1\r\nHo", 0.8)
    assert headers_only.closed and headers_only.written == b""
    body = b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n" + b"x" * 10
    trickled = _connection(runtime, monkeypatch, body, 0.3 + 0.3 * 6 + 0.6)
    assert trickled.closed and b"HTTP/1.1 200" not in trickled.written  # headers on time, the body never came

"""calls and the shared HTTP client: requests built from arguments, and no state carried between calls."""

from __future__ import annotations

from typing import Any

import anyio
import httpx

from tests.runtime.conftest import Runtime


def _binding(runtime: Runtime, name: str) -> dict[str, Any]:
    binding: dict[str, Any] = runtime.module("server").tools()[name]["binding"]
    return binding


def test_arguments_go_where_the_binding_says(runtime: Runtime) -> None:
    calls, server = runtime.module("calls"), runtime.module("server")
    client = httpx.AsyncClient()
    arguments = {"shop_id": 7, "color": "red", "session": "s-1"}
    request = calls.build_request(client, _binding(runtime, "list_widgets"), arguments, server.runtime()["servers"])
    assert str(request.url) == "https://api.widgets.test/shops/7/widgets?color=red"
    assert request.headers["Cookie"] == "session=s-1"
    created = calls.build_request(
        client, _binding(runtime, "create_widget"), {"shop_id": 7, "name": "Cog"}, server.runtime()["servers"]
    )
    assert created.method == "POST" and created.content == b'{"name": "Cog"}'
    assert created.headers["Content-Type"] == "application/json"


def _echo_cookies(request: httpx.Request) -> httpx.Response:
    headers = {"Set-Cookie": "tracking=abc; Path=/", "Content-Type": "application/json"}
    return httpx.Response(200, headers=headers, json={"cookie": request.headers.get("Cookie")})


def test_a_cookie_the_api_sets_is_not_sent_back(runtime: Runtime) -> None:
    calls = runtime.module("calls")

    async def twice(jar: Any) -> list[Any]:
        async with httpx.AsyncClient(transport=httpx.MockTransport(_echo_cookies), cookies=jar) as client:
            return [(await client.get("https://api.widgets.test/x")).json()["cookie"] for _ in range(2)]

    assert anyio.run(twice, None) == [None, "tracking=abc"]  # httpx's own jar: the second call carries it
    assert anyio.run(twice, calls.cookieless_jar()) == [None, None]


def test_the_servers_client_keeps_no_cookies(runtime: Runtime) -> None:
    cookies = runtime.module("dispatch").http_client().cookies
    request = httpx.Request("GET", "https://api.widgets.test/x")
    cookies.extract_cookies(httpx.Response(200, headers={"Set-Cookie": "tracking=abc; Path=/"}, request=request))
    assert list(cookies.jar) == []

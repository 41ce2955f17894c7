"""calls and the shared HTTP client: requests built from arguments, and no state carried between calls."""

from __future__ import annotations

from typing import Any

import anyio
import httpx
import pytest

from tests.runtime.conftest import Runtime


def _binding(runtime: Runtime, name: str) -> dict[str, Any]:
    binding: dict[str, Any] = runtime.module("data").ApiData().tools[name]["binding"]
    return binding


def test_arguments_go_where_the_binding_says(runtime: Runtime) -> None:
    calls, api = runtime.module("calls"), runtime.module("data").ApiData()
    client = httpx.AsyncClient()
    arguments = {"shop_id": 7, "color": "red", "session": "s-1"}
    request = calls.build_request(client, _binding(runtime, "list_widgets"), arguments, api.document["servers"])
    assert str(request.url) == "https://api.widgets.test/shops/7/widgets?color=red"
    assert request.headers["Cookie"] == "session=s-1"
    created = calls.build_request(
        client, _binding(runtime, "create_widget"), {"shop_id": 7, "name": "Cog"}, api.document["servers"]
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
    cookies = runtime.module("dispatch").Dispatcher(runtime.module("data").ApiData()).client.cookies
    request = httpx.Request("GET", "https://api.widgets.test/x")
    cookies.extract_cookies(httpx.Response(200, headers={"Set-Cookie": "tracking=abc; Path=/"}, request=request))
    assert list(cookies.jar) == []


def test_values_are_encoded_so_they_cannot_change_the_request(runtime: Runtime) -> None:
    calls = runtime.module("calls")
    assert calls.path_value("..;", "simple", False, "id") == "%2E%2E%3B"
    assert calls.path_value(["a/b", "c;d"], "simple", False, "id") == "a%2Fb,c%3Bd"
    assert calls.path_value({"k;": "v="}, "matrix", True, "id") == ";id=k%3B=v%3D"
    assert calls.path_value([".", "x"], "label", True, "id") == ".%2E.x"
    for bad in ("c=v; admin=1", "a,b", "line\r\nbreak", 'quo"te'):
        with pytest.raises(calls.ToolError, match="cookie cannot carry"):
            calls.cookie_value(bad, "session")
    assert calls.cookie_value("abc-123_XYZ", "session") == "abc-123_XYZ"
    with pytest.raises(calls.ToolError, match="line break"):
        calls.header_value("t\r\nX-Admin: 1", False, "trace")
    for bad in ("text/plain\r\nX-Injected: 1", "text/plain; charset=utf-8", "nonsense", ""):
        with pytest.raises(calls.ToolError, match="must be a media type"):
            calls.media_type({"content_type": bad or 5}, "a.txt", "file")
    assert calls.media_type({"content_type": "image/svg+xml"}, "a", "file") == "image/svg+xml"
    assert calls.media_type({}, "a.png", "file") == "image/png"

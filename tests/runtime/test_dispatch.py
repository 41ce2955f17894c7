"""dispatch: a tool call validated against the whole input schema, sent, and shaped into a result (results.py),
through the public `Dispatcher` and the result functions, over an in-process stand-in for the API."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from typing import Any

import anyio
import httpx
import pytest

from tests.runtime.conftest import Runtime


@pytest.fixture
def api(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[httpx.Request]]:
    """A dispatcher (`runtime.dispatcher`) that sends to an in-process stand-in for the API; the requests it got."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.method == "DELETE":
            return httpx.Response(404, json={"errors": "No such widget"})
        return httpx.Response(200, json=[{"id": 1, "name": "Cog"}] if request.method == "GET" else {"id": 2})

    dispatch, calls, data = runtime.module("dispatch"), runtime.module("calls"), runtime.module("data")
    client = httpx.AsyncClient(transport=httpx.MockTransport(answer), cookies=calls.cookieless_jar())
    runtime.dispatcher = dispatch.Dispatcher(data.ApiData(), client)
    monkeypatch.setenv("WIDGETS_ACCESS_TOKEN", "token-for-tests")
    monkeypatch.setenv("WIDGETS_TOKEN_FILE", "/nonexistent/tokens.json")
    monkeypatch.setenv("WIDGETS_MAX_RETRIES", "0")
    yield seen


def _call(runtime: Runtime, name: str, arguments: dict[str, Any]) -> Any:
    return anyio.run(runtime.dispatcher.call_tool, name, arguments)


def test_a_call_is_signed_sent_and_returned_as_structured_content(runtime: Runtime, api: list[httpx.Request]) -> None:
    result = _call(runtime, "list_widgets", {"shop_id": 3})
    assert result.is_error is False and result.structured_content == {"result": [{"id": 1, "name": "Cog"}]}
    (request,) = api
    assert request.headers["Authorization"] == "Bearer token-for-tests"
    assert str(request.url) == "https://api.widgets.test/shops/3/widgets"


def test_a_reduced_tool_is_checked_against_its_whole_schema(runtime: Runtime, api: list[httpx.Request]) -> None:
    result = _call(runtime, "create_widget", {"shop_id": 3, "name": "Cog", "size": {"width": -1, "depth": 2}})
    text = result.content[0].text
    assert result.is_error is True and api == []
    assert "size: Additional properties are not allowed ('depth' was unexpected)" in text
    assert "size/width: -1 is less than the minimum of 0" in text
    accepted = _call(runtime, "create_widget", {"shop_id": 3, "name": "Cog", "size": {"width": 4}})
    assert accepted.is_error is False and json.loads(api[0].content) == {"name": "Cog", "size": {"width": 4}}


def test_errors_say_what_went_wrong_without_the_token(
    runtime: Runtime, api: list[httpx.Request], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WIDGETS_CONFIRM", "none")  # deletes wait for the user; here nobody is asked
    missing = _call(runtime, "delete_widget", {"widget_id": 9})
    assert missing.is_error is True and "404" in missing.content[0].text and "No such widget" in missing.content[0].text
    assert _call(runtime, "no_such_tool", {}).content[0].text == "Unknown tool 'no_such_tool'."
    monkeypatch.delenv("WIDGETS_ACCESS_TOKEN")
    unset = _call(runtime, "list_widgets", {"shop_id": 3})
    assert unset.content[0].text == "Configuration needed: Set WIDGETS_ACCESS_TOKEN (the bearer token)."


def _response(content: bytes, content_type: str, status: int = 200) -> httpx.Response:
    request = httpx.Request("GET", "https://api.widgets.test/x")
    return httpx.Response(status, content=content, headers={"Content-Type": content_type}, request=request)


def _unredacted(text: str, extra: list[str]) -> str:
    return text


def test_text_and_binary_responses(runtime: Runtime) -> None:
    results = runtime.module("results")
    binding: dict[str, Any] = {"method": "GET", "server": "BASE_URL", "path": "/x", "arguments": [], "auth": []}
    definition = {"name": "export", "title": "Export", "description": "", "inputSchema": {}, "annotations": {}}
    entry = {"definition": definition, "binding": binding}
    text = results.single(entry, _response(b"a,b\n1,2\n", "text/csv"), {}, _unredacted, None)
    assert text.is_error is False and text.content[0].text == "a,b\n1,2\n"
    pdf = results.single(entry, _response(b"%PDF-1.7 bytes", "application/pdf"), {}, _unredacted, None)
    assert (
        pdf.content[0].text == "The file x (application/pdf, 14 bytes), embedded." and pdf.content[1].type == "resource"
    )
    assert base64.b64decode(pdf.content[1].resource.blob) == b"%PDF-1.7 bytes"
    assert pdf.content[1].resource.mime_type == "application/pdf"


def test_json_that_breaks_the_output_schema_is_reported_not_hidden(runtime: Runtime) -> None:
    results, validation = runtime.module("results"), runtime.module("validation")
    entry = runtime.module("data").ApiData().tools["delete_widget"]
    typed = {"type": "object", "properties": {"id": {"type": ["integer", "null"]}, "login": {}}}
    entry = {**entry, "definition": {**entry["definition"], "outputSchema": typed}}
    checker = validation.validator(typed)
    broken = results.single(entry, _response(b'{"id": "not a number"}', "application/json"), {}, _unredacted, checker)
    assert broken.is_error is True
    assert (
        "does not match the documented output (id:" in broken.content[0].text
        and "not a number" in broken.content[0].text
    )
    wrong_kind = results.single(entry, _response(b"<html>", "text/html"), {}, _unredacted, checker)
    assert wrong_kind.is_error is True and "text/html instead of JSON" in wrong_kind.content[0].text


def test_the_signed_in_users_token_is_redacted_from_results(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    caller, dispatch = runtime.module("caller"), runtime.module("dispatch")
    monkeypatch.setenv("WIDGETS_TOKEN_FILE", "/nonexistent/tokens.json")
    dispatcher = dispatch.Dispatcher(runtime.module("data").ApiData())

    async def bearer(subject: str, rejected: str | None) -> str:
        return "users-own-token-123"

    user = caller.TeamUser("procore:alice", bearer, sent_tokens=["users-own-token-123"])
    with caller.acting_for(user):
        assert dispatcher.redact("the API echoed users-own-token-123 back", []) == "the API echoed [redacted] back"
    assert dispatcher.redact("users-own-token-123", []) == "users-own-token-123"  # another call's: not in play


def test_searches_through_the_meta_tool_build_the_index_once(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    catalog = runtime.module("catalog")
    built = []
    original = catalog.Index.__init__

    def counting(self: Any, tools: list[dict[str, Any]]) -> None:
        built.append(len(tools))
        original(self, tools)

    monkeypatch.setattr(catalog.Index, "__init__", counting)
    dispatcher = runtime.module("dispatch").Dispatcher(runtime.module("data").ApiData())
    for query in ("widgets", "gadgets", "list widgets"):
        result = anyio.run(dispatcher.call_meta_tool, "search_operations", {"query": query})
        assert result.is_error is False and result.structured_content["results"]
    assert len(built) == 1

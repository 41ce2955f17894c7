"""The conformance checker must catch what it exists to catch: each kind of mismatch, on a hand-made request."""

from __future__ import annotations

import json
from typing import Any

import httpx

from tests.support.conformance import RequestChecker

DOCUMENT: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "servers": [{"url": "https://api.test"}],
    "paths": {
        "/things/{id}": {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "post": {
                "parameters": [
                    {"name": "limit", "in": "query", "schema": {"type": "integer"}},
                    {
                        "name": "where",
                        "in": "query",
                        "schema": {"type": "object", "properties": {"a": {"type": "integer"}}},
                    },
                ],
                "requestBody": {
                    "required": True,
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["name"],
                                "properties": {"name": {"type": "string"}},
                            }
                        },
                        "multipart/form-data": {
                            "schema": {
                                "type": "object",
                                "properties": {
                                    "item": {"type": "object", "properties": {"count": {"type": "integer"}}}
                                },
                            }
                        },
                    },
                },
                "responses": {"200": {"description": "ok"}},
            },
        },
        "/things/{id}.pdf": {
            "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
            "get": {"responses": {"200": {"description": "ok"}}},
        },
    },
}


def _post(url: str, **kwargs: Any) -> httpx.Request:
    return httpx.Request("POST", url, **kwargs)


def _check(request: httpx.Request, path: str = "/things/{id}", nesting: str = "openapi") -> list[str]:
    request.read()
    method = request.method
    return RequestChecker(json.loads(json.dumps(DOCUMENT)), "3.0", nesting).check(request, method, path)


def test_a_conforming_request_passes() -> None:
    assert _check(_post("https://api.test/things/3?limit=2", json={"name": "x"})) == []


def test_wrong_types_and_names_are_caught() -> None:
    assert _check(_post("https://api.test/things/abc", json={"name": "x"}))
    assert _check(_post("https://api.test/things/3?limit=many", json={"name": "x"}))
    assert _check(_post("https://api.test/things/3?limt=2", json={"name": "x"})) == [
        "query: `limt` is not a parameter of this operation"
    ]
    assert _check(_post("https://api.test/things/3", json={"name": "x"}, headers={"X-Extra": "1"})) == [
        "header: `x-extra` is not a parameter of this operation"
    ]


def test_body_problems_are_caught() -> None:
    assert _check(_post("https://api.test/things/3", json={"nam": "x"})) == ["body: $: 'name' is a required property"]
    assert _check(_post("https://api.test/things/3", content=b"x", headers={"Content-Type": "text/plain"})) == [
        "body: media type 'text/plain' is not one of ['application/json', 'multipart/form-data']"
    ]
    assert _check(_post("https://api.test/things/3")) == ["body: required but not sent"]


def test_bracket_nesting_is_decoded_for_forms_and_queries() -> None:
    files = {"item[count]": (None, "5")}
    request = _post("https://api.test/things/3?where[a]=1", files=files)
    assert _check(request, nesting="brackets") == []
    bad = _post("https://api.test/things/3?where[a]=one", files={"item[count]": (None, "five")})
    assert _check(bad, nesting="brackets") == [
        "query `where`: 'one' is not of type 'integer'",
        "body: $.item.count: 'five' is not of type 'integer'",
    ]


def test_text_after_a_path_parameter() -> None:
    assert _check(httpx.Request("GET", "https://api.test/things/3.pdf"), "/things/{id}.pdf") == []
    assert _check(httpx.Request("GET", "https://api.test/things/x.pdf"), "/things/{id}.pdf") == [
        "path `id`: 'x' is not of type 'integer'"
    ]

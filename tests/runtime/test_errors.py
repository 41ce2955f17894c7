"""errors: the fields an error body names, in every usual shape; the API's hints picked by status and words; a
failure on the way told as possibly applied only where the request changes data and may have arrived."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from tests.runtime.conftest import Runtime


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"errors": {"subject": ["can't be blank", "is too short"]}}, ["`subject`: can't be blank; is too short"]),
        (
            {"errors": [{"source": {"pointer": "/data/attributes/title"}, "detail": "is missing"}]},
            ["`title`: is missing"],
        ),
        (
            {"detail": "x", "errors": [{"loc": ["body", "item", "price"], "msg": "not a number"}]},
            ["`item.price`: not a number"],
        ),
        ({"error": {"param": "amount", "message": "Invalid integer"}}, ["`amount`: Invalid integer"]),
        ({"error": {"details": [{"field": "email", "message": "taken"}]}}, ["`email`: taken"]),
        ({"errors": "a sentence"}, []),
        ([1, 2], []),
    ],
)
def test_field_errors_are_read_from_the_usual_shapes(runtime: Runtime, body: Any, expected: list[str]) -> None:
    assert runtime.module("errors").field_errors(json.dumps(body)) == expected
    assert runtime.module("errors").field_errors("not json") == []


def test_hints_are_picked_by_status_then_by_the_words_of_the_body(runtime: Runtime) -> None:
    errors, settings = runtime.module("errors"), runtime.module("settings")
    settings.API["errorHints"] = [
        {"status": [403], "when": ["not installed"], "hint": "Install the app."},
        {"status": [403], "hint": "Ask for permission."},
        {"status": [404, 403], "when": ["company"], "hint": "Check the company."},
    ]
    assert errors.hints(403, "The App Is Not Installed") == ["Install the app."]
    assert errors.hints(403, "wrong company") == ["Check the company."]
    assert errors.hints(403, "nope") == ["Ask for permission."]
    assert errors.hints(404, "nope") == [] and errors.hints(500, "company") == []


def test_a_failure_on_the_way_is_possibly_applied_only_for_writes_that_left(runtime: Runtime) -> None:
    errors = runtime.module("errors")
    post = {"method": "POST", "path": "/x", "arguments": [], "server": "BASE_URL", "auth": []}
    request = httpx.Request("POST", "https://api.test/x")
    applied = "it may have been applied"
    assert applied in errors.failure(httpx.ReadTimeout("slow", request=request), post)
    assert applied in errors.failure(httpx.RemoteProtocolError("dropped", request=request), post)
    assert applied not in errors.failure(httpx.ConnectError("refused", request=request), post)
    assert applied not in errors.failure(httpx.ReadTimeout("slow", request=request), {**post, "method": "GET"})
    keyed = {**post, "idempotencyKey": "Idempotency-Key"}
    assert applied not in errors.failure(httpx.ReadTimeout("slow", request=request), keyed)

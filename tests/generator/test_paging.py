"""paging: list tools, their records and their paging recognised from any spec's parameters and answers (page and
size, offset and limit, cursors in the answer, after-the-last-id, `Link` headers), and the inputs that use them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator.pipeline import generate
from tests.conftest import minimal_spec, write_spec


def _query(*names: str, kind: str = "integer") -> list[dict[str, Any]]:
    return [{"name": name, "in": "query", "schema": {"type": kind}} for name in names]


def _listing(parameters: list[dict[str, Any]], schema: dict[str, Any], path: str = "/things") -> dict[str, Any]:
    answer = {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}}
    return {path: {"get": {"operationId": "listThings", "parameters": parameters, "responses": answer}}}


THING = {"type": "object", "properties": {"id": {"type": "string"}, "name": {"type": "string"}}}


def _tool(tmp_path: Path, paths: dict[str, Any], config: str = "") -> dict[str, Any]:
    spec = write_spec(tmp_path, minimal_spec(**paths))
    config_file = None
    if config:
        config_file = tmp_path / "config.yaml"
        config_file.write_text(config)
    files = generate(spec, config_file).files
    document = json.loads(next(text for path, text in files.items() if path.endswith("/tools.json")))
    tool: dict[str, Any] = document["tools"][0]
    return tool


CASES = [
    pytest.param(
        _query("page", "per_page") + _query("q", kind="string"),
        {"type": "array", "items": THING},
        "result",
        {"style": "page", "param": "page", "size": "per_page"},
        id="page-and-per-page",
    ),
    pytest.param(
        _query("offset", "limit"),
        {"type": "object", "properties": {"results": {"type": "array", "items": THING}, "count": {"type": "integer"}}},
        "results",
        {"style": "offset", "param": "offset", "size": "limit"},
        id="offset-and-limit",
    ),
    pytest.param(
        _query("limit") + _query("cursor", kind="string"),
        {
            "type": "object",
            "properties": {
                "members": {"type": "array", "items": THING},
                "response_metadata": {"type": "object", "properties": {"next_cursor": {"type": "string"}}},
            },
        },
        "members",
        {"style": "cursor", "param": "cursor", "size": "limit", "next": "response_metadata.next_cursor"},
        id="cursor-in-the-answer",
    ),
    pytest.param(
        _query("limit") + _query("starting_after", kind="string"),
        {
            "type": "object",
            "properties": {
                "object": {"type": "string"},
                "data": {"type": "array", "items": THING},
                "has_more": {"type": "boolean"},
            },
        },
        "data",
        {"style": "cursor", "param": "starting_after", "size": "limit", "lastId": "id", "more": "has_more"},
        id="after-the-last-id",
    ),
    pytest.param(
        _query("limit") + _query("continue", kind="string"),
        {
            "type": "object",
            "properties": {
                "items": {"type": "array", "items": THING},
                "metadata": {"type": "object", "properties": {"continue": {"type": "string"}}},
            },
        },
        "items",
        {"style": "cursor", "param": "continue_", "size": "limit", "next": "metadata.continue"},
        id="a-cursor-named-like-its-answer-field",
    ),
    pytest.param(
        _query("page", "per_page"),
        {
            "type": "object",
            "properties": {
                "errors": {"type": "array", "items": {}},
                "messages": {"type": "array", "items": {}},
                "Invoices": {"type": "array", "items": THING},
            },
        },
        "Invoices",
        {"style": "page", "param": "page", "size": "per_page"},
        id="records-beside-lists-about-the-call",
    ),
    pytest.param(
        _query("per_page") + _query("page_token", kind="string"),
        {"type": "array", "items": THING},
        "result",
        {"style": "cursor", "param": "page_token", "size": "per_page"},
        id="cursor-from-the-link-header",
    ),
]


@pytest.mark.parametrize(("parameters", "schema", "items", "expected"), CASES)
def test_paging_is_recognised_in_every_usual_style(
    tmp_path: Path, parameters: list[dict[str, Any]], schema: dict[str, Any], items: str, expected: dict[str, Any]
) -> None:
    tool = _tool(tmp_path, _listing(parameters, schema))
    binding, properties = tool["binding"], tool["definition"]["inputSchema"]["properties"]
    assert binding["items"] == items and binding["fields"] is True
    assert {key: value for key, value in binding["paging"].items() if key != "param"} == {
        key: value for key, value in expected.items() if key != "param"
    }
    assert binding["paging"]["param"] in properties and binding["paging"]["param"].startswith(expected["param"][:5])
    assert properties["max_items"] == {
        "type": "integer", "minimum": 1, "maximum": 1000, "description": "Follow the pages up to this many records."
    }  # fmt: skip
    assert properties["fields"]["description"].startswith("Only these fields of each record")


def test_a_single_record_with_a_list_inside_is_no_list_tool(tmp_path: Path) -> None:
    invoice = {"type": "object", "properties": {"id": {"type": "string"}, "items": {"type": "array", "items": THING}}}
    tool = _tool(tmp_path, _listing([{"name": "id", "in": "path", "required": True}], invoice, "/invoices/{id}"))
    assert "items" not in tool["binding"] and "paging" not in tool["binding"] and tool["binding"]["fields"] is True
    assert tool["definition"]["inputSchema"]["properties"]["fields"]["description"].startswith("Only these fields (")


def test_answers_of_no_records_take_no_fields_and_an_api_fields_input_keeps_its_meaning(tmp_path: Path) -> None:
    numbers = _tool(tmp_path, _listing(_query("page"), {"type": "array", "items": {"type": "integer"}}))
    assert "fields" not in numbers["definition"]["inputSchema"]["properties"]
    assert numbers["binding"]["paging"]["style"] == "page", "a list of numbers still pages"
    own = _tool(tmp_path, _listing(_query("fields", kind="string"), {"type": "array", "items": THING}))
    assert own["definition"]["inputSchema"]["properties"]["fields"] == {
        "type": "string", "description": "Fields, sent in the query string."
    }  # fmt: skip
    assert "fields" not in own["binding"]
    opaque_after = _tool(tmp_path, _listing(_query("after", kind="string"), {"type": "array", "items": {}}))
    assert "paging" not in opaque_after["binding"], "an `after` with no id to follow is not guessed at"


def test_the_configured_page_size_applies_where_the_api_default_is_larger(tmp_path: Path) -> None:
    sized = [
        {"name": "page", "in": "query", "schema": {"type": "integer"}},
        {"name": "per_page", "in": "query", "schema": {"type": "integer", "default": 100, "maximum": 20}},
    ]
    tool = _tool(tmp_path, _listing(sized, {"type": "array", "items": THING}), "default_page_size: 25\n")
    assert tool["binding"]["paging"] == {
        "style": "page", "param": "page", "size": "per_page", "sizeDefault": 100, "sizeMax": 20, "fill": 20
    }  # fmt: skip
    assert tool["definition"]["inputSchema"]["properties"]["per_page"]["description"].endswith("Default 20.")
    small = [{"name": "limit", "in": "query", "schema": {"type": "integer", "default": 10}}, *_query("offset")]
    kept = _tool(tmp_path, _listing(small, {"type": "array", "items": THING}), "default_page_size: 25\n")
    assert "fill" not in kept["binding"]["paging"], "the API's own default is already small"


def test_a_bad_page_size_setting_is_refused(tmp_path: Path) -> None:
    from generator.diagnostics import GenerationError

    spec = write_spec(tmp_path, minimal_spec())
    config = tmp_path / "config.yaml"
    for raw, message in (("0", "at least 1"), ("many", "must be a int")):
        config.write_text(f"default_page_size: {raw}\n")
        with pytest.raises(GenerationError, match=message):
            generate(spec, config)

"""The general rules behind a definition an agent can trust: no documentation residue, a return line that names
what matters, a "Needs" line that is whole or absent, requirements kept, effects from what the call does, and
usage lines that tell siblings apart; each with its quality-gate check."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from generator.effects import computes_only, method_hints, replaces
from generator.ir import Api, Tool
from generator.pipeline import generate
from generator.quality import lint_api
from generator.text import clean_prose
from generator.tool_description import needed, returns
from tests.conftest import minimal_spec, write_spec


@pytest.mark.parametrize(
    ("written", "cleaned"),
    [
        ("<!-- theme: info -->\nCounts widgets.", "Counts widgets."),
        ("Counts widgets.</br>Then stops.", "Counts widgets. Then stops."),
        ("> > 1. Send the form.\n> > 2. Wait.", "1. Send the form. 2. Wait."),
        ("Counts widgets. Learn more.", "Counts widgets."),
        ("Counts widgets. [Learn more](/docs).", "Counts widgets."),
        ("Counts widgets. [Learn more](https://docs.test/w).", "Counts widgets. [Learn more](https://docs.test/w)."),
        (
            "Counts widgets. For more information, see the guide.",
            "Counts widgets. For more information, see the guide.",
        ),
    ],
)
def test_documentation_residue_is_removed_wherever_it_lands(written: str, cleaned: str) -> None:
    assert clean_prose(written, "") == cleaned


@pytest.mark.parametrize(
    ("method", "name", "read_only", "destructive", "idempotent"),
    [
        ("post", "search_widgets", True, False, True),
        ("post", "create_embeddings", True, False, True),
        ("post", "run_search", True, False, True),
        ("post", "find_or_create_location", False, False, False),
        ("post", "create_search_index", False, False, False),
        ("post", "create_widget", False, False, False),
        ("put", "replace_widget", False, True, True),
        ("put", "update_widget", False, False, True),
        ("delete", "delete_widget", False, True, True),
        ("query", "query_widgets", True, False, True),
    ],
)
def test_effects_follow_the_method_and_the_name(
    method: str, name: str, read_only: bool, destructive: bool, idempotent: bool
) -> None:
    assert method_hints(method, name) == {
        "readOnlyHint": read_only,
        "destructiveHint": destructive,
        "idempotentHint": idempotent,
    }
    assert computes_only(method, name) == (read_only and method == "post")
    assert replaces(method, name) == (destructive and method == "put")


def test_the_return_line_names_what_the_call_is_about_first() -> None:
    fields = {f"field_{n}": {"type": "string"} for n in range(9)} | {"embedding": {"type": "array"}}
    schema = {"type": "object", "properties": {"result": {"type": "array", "items": {"properties": fields}}}}
    told = returns(schema, True, focus=("embeddings",))
    assert told["fields"][0] == "embedding"


def test_a_single_value_is_said_in_words(tmp_path: Path) -> None:
    vector = {"type": "array", "items": {"type": "number"}, "description": "The vector."}
    text = {"type": "string"}
    api = _api(
        tmp_path,
        **{
            "/v": {"get": {"summary": "Get the vector", "responses": _answer(vector)}},
            "/t": {"get": {"summary": "Get the text", "responses": _answer(text)}},
        },
    )
    tools = {tool.name: tool.description for tool in api.tools}
    assert tools["get_vector"].endswith("Returns `result`, a list of numbers (the vector).")
    assert tools["get_text"].endswith("Returns `result`, a string.")


def _answer(schema: dict[str, Any]) -> dict[str, Any]:
    return {"200": {"description": "Done.", "content": {"application/json": {"schema": schema}}}}


def test_the_needs_line_names_every_required_argument_or_goes() -> None:
    assert needed({"required": ["a", "b"]}) == ["a", "b"]
    assert needed({"required": [f"p{n}" for n in range(7)]}) == []


def _api(tmp_path: Path, **paths: Any) -> Api:
    return generate(write_spec(tmp_path, minimal_spec(**paths))).api


def _ok(description: str = "Done.") -> dict[str, Any]:
    return {"200": {"description": description, "content": {"application/json": {"schema": {"type": "object"}}}}}


def test_siblings_say_when_to_choose_each(tmp_path: Path) -> None:
    body = {"content": {"application/json": {"schema": {"type": "object", "properties": {"name": {"type": "string"}}}}}}
    path_id = [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    api = _api(
        tmp_path,
        **{
            "/widgets": {"post": {"summary": "Create a widget", "requestBody": body, "responses": _ok()}},
            "/widgets/{id}": {
                "parameters": path_id,
                "patch": {"summary": "Update a widget", "requestBody": body, "responses": _ok()},
            },
        },
    )
    tools = {tool.name: tool for tool in api.tools}
    assert "Use `update_widget` to change an existing one." in tools["create_widget"].description
    assert "Use `create_widget` to add a new one." in tools["update_widget"].description
    assert "Needs `id`." in tools["update_widget"].description


def test_required_headers_stay_required_and_a_whole_body_gets_a_type(tmp_path: Path) -> None:
    if_match = {"name": "If-Match", "in": "header", "required": True, "schema": {"type": "string"}}
    untyped = {"content": {"application/json": {"schema": {"example": {"name": "x"}}}}, "required": True}
    api = _api(tmp_path, **{"/w": {"put": {"summary": "Update w", "parameters": [if_match], "requestBody": untyped,
                                           "responses": _ok()}}})  # fmt: skip
    (tool,) = api.tools
    assert set(tool.input_schema["required"]) >= {"if_match", "body"}
    assert tool.input_schema["properties"]["body"]["type"] == "object"
    assert not [v for v in lint_api(api).violations if v.check in ("requirements", "needs-line", "effects")]


def _violations(api: Api, tool: Tool, check: str) -> list[str]:
    report = lint_api(dataclasses.replace(api, tools=(tool,)))
    return [v.detail for v in report.violations if v.check == check]


def test_the_gate_finds_each_defect(tmp_path: Path) -> None:
    api = _api(tmp_path, **{"/w": {"post": {"summary": "Search widgets", "responses": _ok()}}})
    (tool,) = api.tools
    assert tool.annotations.read_only
    wrong = dataclasses.replace(tool, annotations=dataclasses.replace(tool.annotations, read_only=False))
    assert _violations(api, wrong, "effects")
    residue = dataclasses.replace(tool, description="Searches. <!-- x -->\n\nSee more. Learn more.")
    assert len(_violations(api, residue, "doc-residue")) == 3
    needs = dataclasses.replace(tool, description="Searches.\n\nNeeds `nothing`. Read-only; safe to repeat.")
    assert _violations(api, needs, "needs-line")


def test_an_undescribed_parameter_is_worded_from_its_own_words(tmp_path: Path) -> None:
    parameter = {"name": "InLata", "in": "query", "required": True, "schema": {"type": "string"}}
    api = _api(tmp_path, **{"/w": {"get": {"summary": "List w", "parameters": [parameter], "responses": _ok()}}})
    (tool,) = api.tools
    assert tool.input_schema["properties"]["InLata"]["description"].startswith("In lata")
    assert "Needs `InLata`." in tool.description

"""Maps given as one `$ref` (a schema's `properties`, a response's `headers`, an operation's `responses`...):
each stands for the map it points at, in this file or another, with a `map-ref` warning where it is written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from generator.bundle import bundle
from generator.cli import main
from generator.dereference import dereference_structure
from generator.diagnostics import Reporter
from generator.ir import Tool
from generator.parse import parse_document
from generator.pipeline import generate
from tests.conftest import ROOT, minimal_spec, write_spec

MAP_REFS = ROOT / "tests" / "fixtures" / "map_refs" / "main.yaml"
NOTE_BODY = "/components/requestBodies/NewNote/content/application~1json/schema/properties"


def _by_operation(tools: tuple[Tool, ...]) -> dict[str, Tool]:
    return {tool.operation_id: tool for tool in tools}


def _dereferenced(document: dict[str, Any]) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """The document with its structural refs replaced, and the (kind, pointer) of each warning."""
    report = Reporter("spec.yaml")
    dereference_structure(document, report)
    return document, [(d.kind, d.pointer) for d in report.diagnostics]


def _schema_spec(**schemas: Any) -> dict[str, Any]:
    """A one-operation spec whose response is `#/components/schemas/Thing`, with these component schemas."""
    operation = {
        "operationId": "showThing",
        "responses": {
            "200": {
                "description": "ok",
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}},
            }
        },
    }
    return {**minimal_spec(**{"/thing": {"get": operation}}), "components": {"schemas": schemas}}


def test_properties_in_another_file_and_in_this_one_reach_the_tools(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("output_schema: full\n")
    generation = generate(MAP_REFS, config)
    tools = _by_operation(generation.api.tools)
    body = tools["createNote"].input_schema
    assert list(body["properties"]) == ["title", "body", "author"]
    assert body["required"] == ["title"]
    author = body["properties"]["author"]
    assert author["properties"]["email"]["format"] == "email", "a map-ref inside the referenced file is followed"
    label = tools["showNote"].full_output_schema or tools["showNote"].output_schema
    assert label is not None
    assert list(label["properties"]) == ["text", "colour"]
    assert label["properties"]["colour"]["description"].startswith("Colour of the label"), "the entry beside wins"
    assert "string" in label["properties"]["colour"]["type"]
    warned = {d.pointer for d in generation.diagnostics if d.kind == "map-ref"}
    assert warned == {
        NOTE_BODY,
        f"{NOTE_BODY}/author/properties",
        "/components/schemas/Label/properties",
        "/paths/~1notes/post/responses",
        "/paths/~1notes~1{note_id}/get/responses/200/headers",
    }
    assert {d.kind for d in generation.diagnostics} == {"map-ref"}


def test_the_command_line_generates_it_and_names_each_place(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert main(["generate", "--spec", str(MAP_REFS), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "[map-ref]" in err and "/components/schemas/Label/properties" in err
    (tools_json,) = (out / "src").glob("*/tools.json")
    created = next(
        entry
        for entry in json.loads(tools_json.read_text())["tools"]
        if entry["binding"]["operationId"] == "createNote"
    )
    assert set(created["definition"]["inputSchema"]["properties"]) == {"title", "body", "author"}
    assert main(["generate", "--spec", str(MAP_REFS), "--out", str(tmp_path / "strict"), "--strict"]) == 2


def test_a_local_map_ref_is_its_target_and_entries_beside_it_win() -> None:
    document = _schema_spec(
        Thing={"type": "object", "properties": {"$ref": "#/x-props", "b": {"type": "integer"}}},
    )
    document["x-props"] = {"a": {"type": "string"}, "b": {"type": "string"}}
    document, warnings = _dereferenced(document)
    assert document["components"]["schemas"]["Thing"]["properties"] == {
        "a": {"type": "string"},
        "b": {"type": "integer"},
    }
    assert warnings == [("map-ref", "/components/schemas/Thing/properties")]
    assert document["x-props"]["b"] == {"type": "string"}, "the target itself is not changed"


def test_a_chain_of_map_refs_is_followed_to_its_end() -> None:
    document = _schema_spec(Thing={"type": "object", "properties": {"$ref": "#/x-one"}})
    document["x-one"] = {"$ref": "#/x-two"}
    document["x-two"] = {"name": {"type": "string"}}
    document, warnings = _dereferenced(document)
    assert document["components"]["schemas"]["Thing"]["properties"] == {"name": {"type": "string"}}
    assert warnings == [("map-ref", "/components/schemas/Thing/properties")]


@pytest.mark.parametrize(
    ("extra", "kind"),
    [
        ({"x-one": {"$ref": "#/x-two"}, "x-two": {"$ref": "#/x-one"}}, "circular-ref"),
        ({}, "dangling-ref"),
    ],
)
def test_a_map_ref_that_cycles_or_dangles_ends_with_a_warning_and_an_empty_map(
    extra: dict[str, Any], kind: str
) -> None:
    document = _schema_spec(Thing={"type": "object", "properties": {"$ref": "#/x-one"}})
    document.update(extra)
    document, warnings = _dereferenced(document)
    assert document["components"]["schemas"]["Thing"]["properties"] == {}
    assert warnings == [(kind, "/components/schemas/Thing/properties")]
    parsed = parse_document(document, "spec.yaml")  # valid now: the operation generates
    assert parsed.document["components"]["schemas"]["Thing"]["type"] == "object"


def test_names_in_a_map_are_not_fields() -> None:
    # Properties named `content`, `headers` and `responses` are schemas: their refs are ordinary schema refs.
    properties = {name: {"$ref": "#/components/schemas/Part"} for name in ("content", "headers", "responses")}
    document = _schema_spec(Thing={"type": "object", "properties": properties}, Part={"type": "string"})
    document, warnings = _dereferenced(document)
    assert document["components"]["schemas"]["Thing"]["properties"] == properties
    assert warnings == []


def test_every_kind_of_map_is_read_through_its_ref() -> None:
    document = minimal_spec(
        **{
            "/things": {
                "get": {
                    "operationId": "listThings",
                    "responses": {"$ref": "#/x-maps/responses"},
                    "callbacks": {"$ref": "#/x-maps/callbacks"},
                },
                "post": {
                    "operationId": "addThing",
                    "requestBody": {"content": {"$ref": "#/x-maps/content"}},
                    "responses": {"201": {"description": "ok", "links": {"$ref": "#/x-maps/links"}}},
                },
            }
        }
    )
    document["components"] = {
        "schemas": {"Thing": {"type": "object", "patternProperties": {"$ref": "#/x-maps/patterns"}}},
        "securitySchemes": {
            "oauth": {
                "type": "oauth2",
                "flows": {"clientCredentials": {"tokenUrl": "https://a.example/token", "scopes": {"$ref": "#/x-s"}}},
            }
        },
    }
    document["x-maps"] = {
        "responses": {"200": {"description": "ok", "headers": {"$ref": "#/x-maps/headers"}}},
        "headers": {"X-Rate": {"schema": {"type": "integer"}}},
        "callbacks": {"done": {"{$request.body#/url}": {"post": {"responses": {"200": {"description": "ok"}}}}}},
        "content": {"application/json": {"schema": {"type": "object"}, "encoding": {"$ref": "#/x-maps/encoding"}}},
        "encoding": {"file": {"contentType": "image/png"}},
        "links": {"self": {"operationId": "listThings"}},
        "patterns": {"^x-": {"type": "string"}},
    }
    document["x-s"] = {"read": "Read things."}
    document, warnings = _dereferenced(document)
    parse_document(document, "spec.yaml")  # valid OpenAPI once every map is in place
    operation = document["paths"]["/things"]["get"]
    assert operation["responses"]["200"]["headers"] == {"X-Rate": {"schema": {"type": "integer"}}}
    assert document["paths"]["/things"]["post"]["requestBody"]["content"]["application/json"]["encoding"]
    assert {kind for kind, _ in warnings} == {"map-ref"}
    assert len(warnings) == 8
    assert ("map-ref", "/paths/~1things/get/responses/200/headers") in warnings


def test_a_map_ref_inside_a_referenced_file_is_found_where_it_is_used(tmp_path: Path) -> None:
    # The schema lives in another file and is reached only through a ref; its `properties` is a map-ref again.
    (tmp_path / "thing.yaml").write_text("type: object\nproperties: {$ref: 'thing-props.yaml'}\n")
    (tmp_path / "thing-props.yaml").write_text("size: {type: integer, description: How big the thing is.}\n")
    spec = write_spec(tmp_path, _schema_spec(Thing={"$ref": "thing.yaml"}))
    generation = generate(spec)
    (tool,) = generation.api.tools
    output = tool.full_output_schema or tool.output_schema
    assert output is not None and "integer" in output["properties"]["size"]["type"]
    warned = [d.pointer for d in generation.diagnostics if d.kind == "map-ref"]
    assert warned == ["/x-bundled/thing.yaml/properties"], "the pointer names the file it is written in"


def test_a_map_of_examples_in_another_file_is_bundled(tmp_path: Path) -> None:
    (tmp_path / "examples.yaml").write_text("small: {value: {size: 1}}\n")
    media = {"schema": {"type": "object"}, "examples": {"$ref": "examples.yaml"}}
    operation = {"operationId": "showThing", "responses": {"200": {"description": "ok", "content": {"a/b": media}}}}
    spec = write_spec(tmp_path, minimal_spec(**{"/thing": {"get": operation}}))
    bundled = bundle(json.loads(json.dumps(minimal_spec(**{"/thing": {"get": operation}}))), spec).document
    assert bundled["x-bundled"]["examples.yaml"] == {"small": {"value": {"size": 1}}}
    document, warnings = _dereferenced(bundled)
    content = document["paths"]["/thing"]["get"]["responses"]["200"]["content"]["a/b"]
    assert content["examples"] == {"small": {"value": {"size": 1}}}
    assert warnings == [("map-ref", "/paths/~1thing/get/responses/200/content/a~1b/examples")]


def test_swagger_2_properties_given_as_a_ref_are_read_before_conversion() -> None:
    document: dict[str, Any] = {
        "swagger": "2.0",
        "info": {"title": "Old", "version": "1"},
        "host": "api.example.com",
        "paths": {
            "/thing": {
                "get": {
                    "operationId": "showThing",
                    "responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Thing"}}},
                }
            }
        },
        "definitions": {"Thing": {"type": "object", "properties": {"$ref": "#/x-props"}}},
        "x-props": {"size": {"type": "integer"}},
    }
    parsed = parse_document(document, "spec.json")
    assert parsed.document["components"]["schemas"]["Thing"]["properties"] == {"size": {"type": "integer"}}
    assert ("map-ref", "/definitions/Thing/properties") in [(d.kind, d.pointer) for d in parsed.diagnostics]


def test_a_list_of_parameters_given_as_one_ref_is_that_list(tmp_path: Path) -> None:
    operation = {
        "operationId": "listThings",
        "parameters": {"$ref": "#/x-paging"},
        "responses": {"200": {"description": "ok"}},
    }
    document = minimal_spec(**{"/things": {"get": operation}})
    document["x-paging"] = [{"name": "page", "in": "query", "schema": {"type": "integer"}}]
    generation = generate(write_spec(tmp_path, document))
    (tool,) = generation.api.tools
    assert tool.input_schema["properties"]["page"]["type"] == "integer"
    assert [(d.kind, d.pointer) for d in generation.diagnostics] == [("map-ref", "/paths/~1things/get/parameters")]

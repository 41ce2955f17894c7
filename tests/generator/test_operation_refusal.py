"""No document is refused for what some of its operations use: a component the validator refuses goes, with the
operations that reach it through any chain of refs; an error outside operations and components still refuses."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from generator.cli import main
from generator.diagnostics import Diagnostic, GenerationError
from generator.ir import Api
from generator.parse import component_of, leave_out
from generator.pipeline import Options, build_model
from tests.conftest import ROOT, minimal_spec, write_spec

LEFT_OUT = ROOT / "tests" / "fixtures" / "left_out"
INVALID_SCHEMA = LEFT_OUT / "invalid_schema.yaml"
INVALID_INFO = LEFT_OUT / "invalid_info.yaml"
USING_IT = {("/gadgets", "GET"), ("/gadgets", "POST")}
"""The two operations of INVALID_SCHEMA that reach its broken schema (through other components only)."""


def _routes(api: Api) -> set[tuple[str, str]]:
    return {(tool.binding.path, tool.binding.method) for tool in api.tools}


def _error(pointer: str, message: str = "broken") -> Diagnostic:
    return Diagnostic("error", "invalid-openapi", message, "spec.yaml", pointer)


@pytest.mark.parametrize("background", [False, True])
def test_operations_using_a_broken_component_are_left_out_and_the_rest_generates(background: bool) -> None:
    api, diagnostics = build_model(INVALID_SCHEMA, options=Options(validate_in_background=background))
    assert len(api.tools) == 3
    assert not _routes(api) & USING_IT
    left_out = [d for d in diagnostics if d.kind == "invalid-operation"]
    assert [d.pointer for d in left_out] == ["/paths/~1gadgets/get", "/paths/~1gadgets/post"]
    for warning in left_out:
        assert "`#/components/schemas/Dimensions`" in warning.message
        assert "/components/schemas/Dimensions/properties" in warning.message, "the problem and its place"
    components = {d.pointer: d.message for d in diagnostics if d.kind == "invalid-component"}
    assert set(components) == {"/components/schemas/Dimensions", "/components/schemas/Leftover"}
    assert "left out: 2" in components["/components/schemas/Dimensions"]
    assert "no operation uses it" in components["/components/schemas/Leftover"]


def test_the_command_line_exits_0_and_with_strict_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--spec", str(INVALID_SCHEMA), "--out", str(tmp_path / "out")]) == 0
    err = capsys.readouterr().err
    assert "[invalid-operation]" in err and "[invalid-component]" in err
    assert main(["generate", "--spec", str(INVALID_SCHEMA), "--out", str(tmp_path / "strict"), "--strict"]) == 2
    assert "/components/schemas/Dimensions/properties" in capsys.readouterr().err
    assert not (tmp_path / "strict").exists()


def test_an_error_in_info_still_refuses_the_document(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["generate", "--spec", str(INVALID_INFO), "--out", str(tmp_path / "out")]) == 2
    assert "(at /info/license) [invalid-openapi]" in capsys.readouterr().err


def test_a_broken_security_scheme_still_refuses_the_document(tmp_path: Path) -> None:
    document = {**minimal_spec(), "components": {"securitySchemes": {"key": {"name": "key", "in": "header"}}}}
    with pytest.raises(GenerationError) as caught:
        build_model(write_spec(tmp_path, document))
    assert [d.pointer for d in caught.value.diagnostics] == ["/components/securitySchemes/key"]


def test_a_broken_shared_parameter_of_a_path_item_leaves_out_its_operations(tmp_path: Path) -> None:
    ok = {"responses": {"200": {"description": "ok"}}}
    document = minimal_spec(
        **{
            "/a": {"parameters": [{"name": "x", "in": "body"}], "get": ok, "post": ok},
            "/b": {"get": ok},
        }
    )
    api, diagnostics = build_model(write_spec(tmp_path, document))
    assert _routes(api) == {("/b", "GET")}
    assert sorted(d.pointer for d in diagnostics if d.kind == "invalid-operation") == [
        "/paths/~1a/get",
        "/paths/~1a/post",
    ]


def test_a_ref_through_another_file_and_back_reaches_the_broken_component(tmp_path: Path) -> None:
    (tmp_path / "wrapper.yaml").write_text(
        "type: object\nproperties: {inner: {$ref: 'main.yaml#/components/schemas/Bad'}}\n"
    )
    uses = {"description": "ok", "content": {"application/json": {"schema": {"$ref": "wrapper.yaml"}}}}
    document = minimal_spec(
        **{
            "/uses": {"get": {"operationId": "uses", "responses": {"200": uses}}},
            "/plain": {"get": {"operationId": "plain", "responses": {"200": {"description": "ok"}}}},
        }
    )
    document["components"] = {"schemas": {"Bad": {"type": "object", "required": "name"}}}
    api, diagnostics = build_model(write_spec(tmp_path, document, "main.yaml"))
    assert _routes(api) == {("/plain", "GET")}
    assert [d.pointer for d in diagnostics if d.kind == "invalid-operation"] == ["/paths/~1uses/get"]


def test_an_operation_broken_itself_and_using_a_broken_component_is_warned_about_once() -> None:
    document: dict[str, Any] = minimal_spec(
        **{"/a": {"get": {"parameters": [{"$ref": "#/components/parameters/p"}, {"name": "q", "in": "body"}]}}}
    )
    document["components"] = {"parameters": {"p": {"name": "p"}}}
    errors = [_error("/paths/~1a/get/parameters/1/in"), _error("/components/parameters/p")]
    warnings = leave_out(document, errors)
    assert [(d.kind, d.pointer) for d in warnings] == [
        ("invalid-operation", "/paths/~1a/get"),
        ("invalid-component", "/components/parameters/p"),
    ]
    assert "get" not in document["paths"]["/a"] and document["components"]["parameters"] == {}


def test_refs_that_come_back_to_themselves_end() -> None:
    document: dict[str, Any] = minimal_spec()
    operation = document["paths"]["/things"]["get"]
    operation["responses"]["200"]["content"] = {"application/json": {"schema": {"$ref": "#/components/schemas/A"}}}
    document["components"] = {
        "schemas": {
            "A": {"properties": {"b": {"$ref": "#/components/schemas/B"}}},
            "B": {"properties": {"a": {"$ref": "#/components/schemas/A"}}},
            "Bad": {"type": 7},
        }
    }
    warnings = leave_out(document, [_error("/components/schemas/Bad/type")])
    assert [d.kind for d in warnings] == ["invalid-component"]
    assert "get" in document["paths"]["/things"], "a cycle that never reaches the broken schema keeps its operation"


@pytest.mark.parametrize(
    ("pointer", "component"),
    [
        ("/components/schemas/Pet/properties/name", "/components/schemas/Pet"),
        ("/components/requestBodies/New~1Pet", "/components/requestBodies/New~1Pet"),
        ("/components/securitySchemes/key", None),
        ("/components/schemas", None),
        ("/info/license", None),
    ],
)
def test_component_of(pointer: str, component: str | None) -> None:
    assert component_of(pointer) == component


def test_errors_elsewhere_refuse_and_change_nothing() -> None:
    document = minimal_spec()
    document["components"] = {"schemas": {"Bad": {"type": 7}}}
    before = copy.deepcopy(document)
    errors = [_error("/components/schemas/Bad/type"), _error("/servers/0")]
    with pytest.raises(GenerationError) as caught:
        leave_out(document, errors)
    assert list(caught.value.diagnostics) == errors
    assert document == before


def _stumble_on_broken(parsed: Any, *args: Any, **kwargs: Any) -> Any:
    """The real build, but failing while the broken schema is still in the document (as a build may)."""
    from generator.ir_builder import build_api

    if "Dimensions" in parsed.document["components"]["schemas"]:
        raise RuntimeError("tripped on the broken schema")
    return build_api(parsed, *args, **kwargs)


def test_a_build_that_fails_on_what_the_validator_refused_is_done_again_without_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # In the background the first build sees the whole document; inline, the broken parts are gone before it.
    monkeypatch.setattr("generator.pipeline.build_api", _stumble_on_broken)
    results = []
    for background in (False, True):
        api, diagnostics = build_model(INVALID_SCHEMA, options=Options(validate_in_background=background))
        results.append((_routes(api), [d.render() for d in diagnostics]))
    assert results[0] == results[1]
    assert len(results[0][0]) == 3


def test_a_broken_webhook_is_left_out(tmp_path: Path) -> None:
    document: dict[str, Any] = {**minimal_spec(), "openapi": "3.1.0"}
    document["webhooks"] = {"thingAdded": {"post": {"parameters": [{"name": "x", "in": "body"}], "responses": {}}}}
    api, diagnostics = build_model(write_spec(tmp_path, document))
    assert len(api.tools) == 1
    assert [(d.kind, d.pointer) for d in diagnostics] == [("invalid-webhook", "/webhooks/thingAdded")]


def test_a_broken_example_leaves_out_the_operation_that_shows_it() -> None:
    document: dict[str, Any] = minimal_spec()
    media = {"schema": {"type": "object"}, "examples": {"one": {"$ref": "#/components/examples/Bad"}}}
    document["paths"]["/things"]["get"]["responses"]["200"]["content"] = {"application/json": media}
    document["components"] = {"examples": {"Bad": {"externalValue": 5}}}
    warnings = leave_out(document, [_error("/components/examples/Bad/externalValue")])
    assert [(d.kind, d.pointer) for d in warnings] == [
        ("invalid-operation", "/paths/~1things/get"),
        ("invalid-component", "/components/examples/Bad"),
    ]
    assert document["paths"]["/things"] == {} and document["components"]["examples"] == {}

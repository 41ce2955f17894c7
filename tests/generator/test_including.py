"""Included specs (the config's `include_specs`): their operations join the main spec's as if written in it."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.diagnostics import GenerationError
from generator.pipeline import build_model, generate
from tests.conftest import minimal_spec, write_spec


def _operation(operation_id: str, **extra: Any) -> dict[str, Any]:
    return {"operationId": operation_id, "responses": {"200": {"description": ""}}, **extra}


def _setup(folder: Path, included: dict[str, Any], main: dict[str, Any] | None = None) -> tuple[Path, Path]:
    spec = write_spec(folder, main or minimal_spec())
    write_spec(folder, included, "more.yaml")
    config = folder / "config.yaml"
    config.write_text(yaml.safe_dump({"include_specs": ["more.yaml"]}), encoding="utf-8")
    return spec, config


def _errors(folder: Path, included: dict[str, Any], main: dict[str, Any] | None = None) -> list[str]:
    spec, config = _setup(folder, included, main)
    with pytest.raises(GenerationError) as caught:
        build_model(spec, config)
    return [d.render() for d in caught.value.diagnostics]


def test_included_operations_become_tools_with_their_own_paths_and_components(tmp_path: Path) -> None:
    included = minimal_spec(
        **{
            "/widgets/{widget_id}": {
                "get": _operation(
                    "showWidget",
                    parameters=[{"$ref": "#/components/parameters/WidgetId"}],
                    responses={
                        "200": {
                            "description": "",
                            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Widget"}}},
                        }
                    },
                )
            },
            "/things": {"post": _operation("createThing")},  # a path both have: its operations join
        }
    )
    included["components"] = {
        "parameters": {
            "WidgetId": {"name": "widget_id", "in": "path", "required": True, "schema": {"type": "integer"}}
        },
        "schemas": {"Widget": {"type": "object", "properties": {"id": {"type": "integer"}}}},
    }
    included["tags"] = [{"name": "Widgets"}]
    spec, config = _setup(tmp_path, included)
    generation = generate(spec, config)
    tools = {tool.operation_id: tool for tool in generation.api.tools}
    assert set(tools) == {"listThings", "showWidget", "createThing"}
    assert tools["showWidget"].input_schema["required"] == ["widget_id"]
    assert tools["createThing"].binding.method == "POST" and tools["createThing"].binding.path == "/things"
    provenance = json.loads(generation.files["provenance.json"])
    digest = hashlib.sha256((tmp_path / "more.yaml").read_bytes()).hexdigest()
    assert provenance["includedSpecs"] == [{"file": "more.yaml", "sha256": digest, "operations": 2}]


def test_an_included_spec_keeps_its_own_servers_and_security(tmp_path: Path) -> None:
    included = minimal_spec(**{"/widgets": {"get": _operation("listWidgets")}})
    included["servers"] = [{"url": "https://widgets.example.com"}]
    included["security"] = [{"key": []}]
    included["components"] = {"securitySchemes": {"key": {"type": "apiKey", "in": "header", "name": "X-Key"}}}
    spec, config = _setup(tmp_path, included)
    tools = {tool.operation_id: tool for tool in build_model(spec, config)[0].tools}
    assert tools["listWidgets"].binding.server == "https://widgets.example.com"
    assert tools["listWidgets"].binding.auth == ("key",)
    assert tools["listThings"].binding.server == "https://api.example.com" and tools["listThings"].binding.auth == ()


def test_the_same_operation_in_both_is_an_error_naming_the_included_file(tmp_path: Path) -> None:
    [error] = _errors(tmp_path, minimal_spec(**{"/things": {"get": _operation("listMoreThings")}}))
    assert "more.yaml: error: `GET /things` is in both spec.yaml and this included spec" in error
    assert "(at /paths/~1things/get) [include]" in error


def test_a_path_written_with_other_parameter_names_is_an_error(tmp_path: Path) -> None:
    main = minimal_spec(**{"/things/{id}": {"get": _operation("showThing")}})
    [error] = _errors(tmp_path, minimal_spec(**{"/things/{thing_id}": {"delete": _operation("deleteThing")}}), main)
    assert "path `/things/{thing_id}` (written `/things/{id}`) is in both" in error


def test_an_operation_id_in_both_is_an_error(tmp_path: Path) -> None:
    [error] = _errors(tmp_path, minimal_spec(**{"/widgets": {"get": _operation("listThings")}}))
    assert "operationId `listThings` is in both" in error and "/paths/~1widgets/get/operationId" in error


def test_components_and_tags_must_agree_when_both_define_them(tmp_path: Path) -> None:
    main = minimal_spec()
    main["components"] = {"schemas": {"Thing": {"type": "object"}, "Same": {"type": "string"}}}
    main["tags"] = [{"name": "Things", "description": "Ours."}]
    included = minimal_spec(**{"/widgets": {"get": _operation("listWidgets")}})
    included["components"] = {"schemas": {"Thing": {"type": "array"}, "Same": {"type": "string"}}}
    included["tags"] = [{"name": "Things"}]
    errors = _errors(tmp_path, included, main)
    assert len(errors) == 2
    assert "`components/schemas/Thing`, defined differently, is in both" in errors[0]
    assert "tag `Things`, defined differently, is in both" in errors[1]


def test_an_included_spec_of_another_openapi_version_is_an_error(tmp_path: Path) -> None:
    included = {**minimal_spec(**{"/widgets": {"get": _operation("listWidgets")}}), "openapi": "3.1.0"}
    [error] = _errors(tmp_path, included)
    assert "an included spec must be OpenAPI 3.0.x like spec.yaml, not 3.1.0" in error


def test_a_missing_included_file_is_an_error(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, minimal_spec())
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"include_specs": ["nowhere.yaml"]}), encoding="utf-8")
    with pytest.raises(GenerationError, match="file not found"):
        build_model(spec, config)


def test_warnings_about_included_operations_name_the_included_file(tmp_path: Path) -> None:
    schema = {"type": "object", "required": []}  # repaired, with a warning
    responses = {"200": {"description": "", "content": {"application/json": {"schema": schema}}}}
    included = minimal_spec(**{"/widgets": {"get": _operation("listWidgets", responses=responses)}})
    spec, config = _setup(tmp_path, included)
    _, diagnostics = build_model(spec, config)
    [warning] = [d for d in diagnostics if d.kind == "empty-required"]
    assert warning.file == str(tmp_path / "more.yaml")


def test_sections_of_an_included_spec_that_are_not_mappings_are_errors_not_crashes(tmp_path: Path) -> None:
    included = minimal_spec(**{"/widgets": {"get": _operation("listWidgets")}})
    included["webhooks"] = ["not", "a", "map"]
    included["components"] = {"schemas": 7}
    included["tags"] = {"name": "Widgets"}
    errors = _errors(tmp_path, included)
    assert len(errors) == 3
    assert "`webhooks` in this included spec is not a mapping, so it cannot be merged" in errors[0]
    assert "`components/schemas` in this included spec is not a mapping" in errors[1]
    assert "`tags` in this included spec is not a list" in errors[2]


def test_a_main_spec_with_empty_paths_takes_the_included_operations(tmp_path: Path) -> None:
    main = {**minimal_spec(), "paths": None, "tags": None}
    spec, config = _setup(tmp_path, minimal_spec(**{"/widgets": {"get": _operation("listWidgets")}}), main)
    tools = {tool.operation_id for tool in build_model(spec, config)[0].tools}
    assert tools == {"listWidgets"}

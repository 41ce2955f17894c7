"""The config's `operations` section: include and exclude rules, and per-operation overrides."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from generator.diagnostics import GenerationError
from generator.pipeline import generate
from tests.conftest import minimal_spec, write_spec


def _spec(tmp_path: Path) -> Path:
    def op(operation_id: str, tag: str) -> dict[str, object]:
        return {
            "operationId": operation_id,
            "summary": operation_id,
            "tags": [tag],
            "responses": {"200": {"description": "ok"}},
        }

    document = minimal_spec(
        **{
            "/rest/v1.0/projects": {
                "get": op("listProjects", "Core/Portfolio"),
                "post": op("createProject", "Core/Portfolio"),
            },
            "/rest/v1.0/rfis": {"get": op("listRfis", "Project Management/RFI")},
            "/rest/v2.0/rfis": {"get": op("listRfisV2", "Project Management/RFI")},
            "/rest/v1.0/rfis/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "delete": op("deleteRfi", "Project Management/RFI"),
            },
        }
    )
    return write_spec(tmp_path, document)


def _names(tmp_path: Path, operations: dict[str, object]) -> list[str]:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"operations": operations}))
    return [tool.operation_id for tool in generate(_spec(tmp_path), config).api.tools]


def test_everything_without_rules(tmp_path: Path) -> None:
    assert len(_names(tmp_path, {})) == 5


def test_include_and_exclude_by_tag_path_method_and_id(tmp_path: Path) -> None:
    assert _names(tmp_path, {"include": [{"tags": "Project Management/*"}]}) == ["listRfis", "listRfisV2", "deleteRfi"]
    assert _names(tmp_path, {"include": [{"paths": "/rest/v1.0/*", "methods": ["get"]}]}) == [
        "listProjects",
        "listRfis",
    ]
    assert _names(tmp_path, {"exclude": [{"methods": ["DELETE", "POST"]}, {"operation_ids": "*V2"}]}) == [
        "listProjects",
        "listRfis",
    ]


def test_overrides_change_name_title_description_and_hints(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    overrides = {
        "deleteRfi": {"name": "remove_rfi", "title": "Remove an RFI", "description_addendum": "Ask first.",
                      "annotations": {"idempotentHint": False}},
        "GET /rest/v1.0/projects": {"annotations": {"openWorldHint": False}},
    }  # fmt: skip
    config.write_text(yaml.safe_dump({"operations": {"overrides": overrides}}))
    tools = {tool.operation_id: tool for tool in generate(_spec(tmp_path), config).api.tools}
    delete = tools["deleteRfi"]
    assert (delete.name, delete.title) == ("remove_rfi", "Remove an RFI")
    assert "Ask first." in delete.description
    assert delete.annotations.destructive and not delete.annotations.idempotent
    assert tools["listProjects"].annotations.open_world is False


@pytest.mark.parametrize(
    ("operations", "message"),
    [
        ({"overrides": {"noSuchOperation": {"name": "x"}}}, "override 'noSuchOperation' matches no operation"),
        ({"overrides": {"listRfis": {"name": "Bad Name"}}}, "must be snake_case"),
        ({"overrides": {"listRfis": {"annotations": {"readOnly": True}}}}, "annotations may set"),
        ({"include": [{"tag": "x"}]}, "a rule is a mapping of"),
        ({"select": []}, "`operations` may set include, exclude and overrides"),
    ],
)
def test_bad_operation_settings(tmp_path: Path, operations: dict[str, object], message: str) -> None:
    with pytest.raises(GenerationError) as caught:
        _names(tmp_path, operations)
    assert message in caught.value.diagnostics[0].message


def test_a_selection_of_the_procore_catalog(tmp_path: Path, shared_dir: Path) -> None:
    config = tmp_path / "config.yaml"
    operations = {
        "include": [{"tags": "Project Management/RFI/*"}, {"paths": "/rest/v1.0/projects", "methods": "GET"}],
        "exclude": [{"methods": ["DELETE"]}],
        "overrides": {"RestV10ProjectsGet": {"name": "list_projects"}},
    }
    config.write_text(yaml.safe_dump({"package_name": "procore_rfi_mcp", "operations": operations}))
    generation = generate(shared_dir / "specs" / "procore-catalog.json", config)
    tools = generation.api.tools
    assert 10 < len(tools) < 200
    assert "list_projects" in {tool.name for tool in tools}
    assert all(tool.binding.method != "DELETE" for tool in tools)
    assert all(
        any(tag.startswith("Project Management/RFI/") for tag in tool.tags)
        or tool.binding.path == "/rest/v1.0/projects"
        for tool in tools
    )
    assert "src/procore_rfi_mcp/tools.json" in generation.files

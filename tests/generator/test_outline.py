"""Undescribed operations: what their method and path say, in the name, the title and the opening sentence."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.ir import Tool
from generator.name_sources import from_path
from generator.outline import outline, singular
from generator.pipeline import build_model
from generator.templating import environment
from generator.wording import Wording
from tests.conftest import minimal_spec, write_spec

_LIST = {"200": {"description": "", "content": {"application/json": {"schema": {"type": "array", "items": {}}}}}}
_OBJECT = {"200": {"description": "", "content": {"application/json": {"schema": {"type": "object"}}}}}


def _opening(method: str, path: str, returns_list: bool | None = None) -> str:
    return Wording(environment()).outline(outline(method, path, returns_list), lambda w: {"rfi": "RFI"}.get(w, w))


@pytest.mark.parametrize(
    ("method", "path", "sentence"),
    [
        ("get", "/companies/{company_id}/users/{user_id}/project_assignments",
         "Lists the project assignments of a user in a company."),
        ("get", "/rest/v1.0/projects/{project_id}/rfis/{id}", "Shows an RFI of a project."),
        ("post", "/projects/{project_id}/rfis/{rfi_id}/advanced_exports",
         "Creates an advanced export of an RFI in a project."),
        ("patch", "/projects/{project_id}/timesheets/{id}", "Updates a timesheet of a project."),
        ("put", "/projects/{project_id}/schedule", "Replaces the schedule of a project."),
        ("delete", "/projects/{project_id}/boxes/{id}", "Deletes a box of a project."),
        ("get", "/projects/{project_id}/timesheets/scoped_cost_code_ids",
         "Lists the scoped cost code ids of the timesheets in a project."),
        ("post", "/companies/{company_id}/plan_templates/{id}/publish", "Publishes a plan template of a company."),
        ("post", "/companies/{company_id}/managed_equipment/query", "Queries the managed equipment of a company."),
        ("patch", "/lists/{list_id}/sections/{section_id}/toggle_not_applicable",
         "Toggles not applicable for a section of a list."),
        ("patch", "/companies/{company_id}/contributing_conditions/bulk_update",
         "Updates the contributing conditions of a company in bulk."),
        ("delete", "/companies/{company_id}/managed_equipment/bulk_destroy",
         "Deletes the managed equipment of a company in bulk."),
        ("post", "/projects/{project_id}/time_entries/create_equipment",
         "Creates an equipment of the time entries in a project."),
        ("post", "/document_markups/find_or_create", "Finds or creates the document markups."),
        ("post", "/projects/{project_id}/people", "Creates a person of a project."),
        ("get", "/change_types", "Lists the change types."),  # a resource named with a verb
        ("post", "/users", "Creates a user."),
    ],
)  # fmt: skip
def test_the_opening_sentence_says_the_action_the_resource_and_its_parents(
    method: str, path: str, sentence: str
) -> None:
    assert _opening(method, path) == sentence


def test_a_get_of_one_thing_that_is_no_list_shows_it() -> None:
    assert _opening("get", "/projects/{project_id}/schedule", returns_list=False) == "Shows the schedule of a project."
    assert _opening("get", "/projects/{project_id}/tasks", returns_list=False) == "Lists the tasks of a project."
    assert _opening("get", "/") == ""


def test_singular_forms() -> None:
    assert [singular(w) for w in ("companies", "statuses", "boxes", "misses", "address", "rfis", "analysis")] == [
        "company", "status", "box", "miss", "address", "rfi", "analysis",
    ]  # fmt: skip


def _tools(folder: Path, paths: dict[str, Any], config: dict[str, Any] | None = None) -> dict[str, Tool]:
    document = minimal_spec(**paths)
    document["paths"]["/notes"] = {"get": {"summary": "List RFI notes", "responses": _LIST}}  # the RFI acronym, 3 times
    document["tags"] = [{"name": "RFI"}, {"name": "RFI answers"}]
    spec = write_spec(folder, document)
    config_path = folder / "config.yaml"
    config_path.write_text(yaml.safe_dump(config or {}), encoding="utf-8")
    return {tool.binding.path + " " + tool.binding.method: tool for tool in build_model(spec, config_path)[0].tools}


def test_an_undescribed_operation_is_named_titled_and_described_from_its_path(tmp_path: Path) -> None:
    paths = {"/rest/v1.0/projects/{project_id}/rfis/{rfi_id}/replies": {"get": {"responses": _LIST}}}
    tool = _tools(tmp_path, paths, {"related_scopes": {"projects": "project"}})[
        "/rest/v1.0/projects/{project_id}/rfis/{rfi_id}/replies GET"
    ]
    assert tool.name == "list_rfi_replies_in_project"  # the scope said last; a record's segment in the singular
    assert tool.title == "List RFI Replies in Project"  # spelled as the document's prose writes it
    assert tool.description.startswith("Lists the replies of an RFI in a project.\n\nNeeds `project_id` and `rfi_id`.")
    assert tool.outlined and not tool.deprecated


def test_a_deprecated_operation_says_so_after_its_opening(tmp_path: Path) -> None:
    paths = {"/todos/{id}": {"get": {"deprecated": True, "responses": _OBJECT}}}
    tool = _tools(tmp_path, paths)["/todos/{id} GET"]
    assert tool.deprecated
    assert tool.description.startswith("Shows a todo. Deprecated: the API plans to remove it; prefer an operation")


def test_a_name_from_words_keeps_it_when_a_name_from_a_path_clashes_with_it(tmp_path: Path) -> None:
    paths = {
        "/v1/meetings": {"get": {"summary": "List meetings", "responses": _LIST}},
        "/v2/meetings": {"get": {"responses": _LIST}},
    }
    tools = _tools(tmp_path, paths)
    assert tools["/v1/meetings GET"].name == "list_meetings"
    assert tools["/v2/meetings GET"].name == "list_meetings_v2"


@pytest.mark.parametrize(
    ("method", "path", "name"),
    [
        ("patch", "/projects/{project_id}/time_entries/{id}/restore", "restore_time_entry_in_project"),
        ("patch", "/companies/{company_id}/equipment_types/bulk_update", "bulk_update_equipment_types_in_company"),
        ("post", "/document_markups/find_or_create", "find_or_create_document_markups"),
        ("get", "/projects/{project_id}/schedule", "list_schedule_in_project"),
        ("get", "/change_types", "list_change_types"),
    ],
)
def test_a_path_that_names_an_action_gives_the_name_its_verb(method: str, path: str, name: str) -> None:
    scopes = {"projects": "project", "companies": "company"}
    assert "_".join(from_path(method, path, scopes).words) == name

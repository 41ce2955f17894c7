"""The fake Procore's busy job is faithful: every record the task benchmark and the result tests read matches
the response schema the generated server documents for its list (so no side fails on the fake's mistakes)."""

from __future__ import annotations

import json

import jsonschema
import pytest

from tests.conftest import GENERATED
from tests.support.procore_records import realistic_project, rfis

LISTS = {
    "list_rfis_in_project": "rfis",
    "list_daily_manpower_logs": "manpower_logs",
    "list_punch_items_in_project": "punch_items",
    "list_submittals_in_project": "submittals",
    "list_change_events_with_amounts": "change_events",
    "list_users_in_project_directory": "project_users",
    "list_projects_in_company": "projects",
}


@pytest.mark.parametrize(("tool", "collection"), LISTS.items())
def test_every_record_matches_the_documented_response(tool: str, collection: str) -> None:
    schemas = json.loads((GENERATED / "src" / "procore_mcp" / "output_schemas.json").read_text())
    validator = jsonschema.Draft202012Validator({**schemas["outputSchemas"][tool], "$defs": schemas["$defs"]})
    records = {**realistic_project(), "rfis": rfis(40)}[collection]
    assert len(records) >= 40
    problems = [
        f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors({"result": records})
    ]
    assert not problems, problems[:5]

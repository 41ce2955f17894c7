"""The quality gate: each check catches its fault, the Procore spec passes clean, and the report measures."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from generator.cli import main
from generator.ir import Api, Tool
from generator.quality import ends_in_a_counter, lint_api
from tests.conftest import FEATURES, OPERATIONS, procore_generation


@pytest.fixture
def procore() -> Api:
    return procore_generation().api


def test_procore_spec_passes_with_zero_violations(procore: Api) -> None:
    report = lint_api(procore)
    assert report.violations == ()
    assert report.tool_count == OPERATIONS
    assert report.list_bytes > 0 and report.estimated_tokens == round(report.list_bytes / 4)


def _one(tool: Tool, api: Api) -> list[tuple[str, str]]:
    report = lint_api(dataclasses.replace(api, tools=(tool,)))
    return [(v.check, v.detail) for v in report.violations]


def test_each_check_catches_its_fault(procore: Api) -> None:
    good = procore.tools[0]
    assert _one(good, procore) == []
    cases = {
        "name": dataclasses.replace(good, name="Bad-Name_" + "x" * 60),
        "title": dataclasses.replace(good, title="Get Or Refresh An Access Token"),
        "whole-sentences": dataclasses.replace(
            good, description="Gets a token. JavaScript applications cannot make this ..."
        ),
        "absolute-links": dataclasses.replace(good, description="See [the guide](/documentation/oauth)."),
        "no-markup": dataclasses.replace(good, description="Gets a <strong>token</strong>."),
        "grammar": dataclasses.replace(good, description="Creates a new the the token."),
        "parameters-described": dataclasses.replace(
            good, input_schema={"type": "object", "properties": {"page": {"type": "integer", "description": "Page"}}}
        ),
        "output-schema": dataclasses.replace(good, output_schema=None),
        "length": dataclasses.replace(good, description="Word. " * 500),
        "repeated-title": dataclasses.replace(good, description="Delete Container File. Delete a container file."),
        "budget": dataclasses.replace(
            good, input_schema={"type": "object", "properties": {"a": {"type": "string", "description": "x" * 20000}}}
        ),
        "depth": dataclasses.replace(good, input_schema=_nested(20)),
    }
    for check, tool in cases.items():
        assert check in {found for found, _ in _one(tool, procore)}, check


def _nested(levels: int) -> dict[str, object]:
    schema: dict[str, object] = {"type": "string", "description": "Innermost."}
    for level in range(levels):
        schema = {"type": "object", "description": f"Level {level}.", "properties": {f"l{level}": schema}}
    return {"type": "object", "properties": {"top": schema}}


@pytest.mark.parametrize(
    ("check", "field", "value"),
    [
        ("name", "name", "x" * 49),
        ("name", "name", "note_this_endpoint_requires_an_admin_key"),
        ("title", "title", "**NOTE:** This Endpoint Requires an [Admin Key](../keys)"),
        ("title", "title", "List Items."),
        ("title", "title", "List " + "Many " * 20 + "Items"),
    ],
)
def test_names_and_titles_read_as_names_and_titles(procore: Api, check: str, field: str, value: str) -> None:
    tool = dataclasses.replace(procore.tools[0], **{field: value})
    assert check in {found for found, _ in _one(tool, procore)}


def test_undescribed_properties_and_relative_links_are_found_at_every_depth(procore: Api) -> None:
    schema = {
        "type": "object",
        "properties": {
            "filter": {
                "description": "A filter.",
                "anyOf": [{"type": "object", "properties": {"tag": {"type": "string"}}}, {"type": "null"}],
            },
            "rows": {"type": "array", "description": "Rows.", "items": {"type": "object", "properties": {
                "note": {"type": "string", "description": "See [the guide](../guide)."}}}},
        },
    }  # fmt: skip
    found = _one(dataclasses.replace(procore.tools[0], input_schema=schema), procore)
    assert ("parameters-described", "`filter.anyOf[0].tag` has no description") in found
    assert ("absolute-links", "relative link '../guide'") in found


def test_duplicate_names_are_caught(procore: Api) -> None:
    report = lint_api(dataclasses.replace(procore, tools=(procore.tools[0], procore.tools[0])))
    assert ("name", "used by more than one tool") in {(v.check, v.detail) for v in report.violations}


def test_lint_command_prints_counts_size_and_exit_code(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["lint", "--spec", str(FEATURES)]) == 0
    out = capsys.readouterr().out
    assert "9 tools checked" in out and "parameters-described      0 violations" in out
    assert "tools/list:" in out and "tokens per tool" in out and "no violations" in out
    assert main(["lint", "--spec", str(FEATURES), "--max-description", "100"]) == 1
    assert "violations" in capsys.readouterr().err
    assert main(["lint", "--spec", str(tmp_path / "absent.yaml")]) == 2


def test_the_gate_counts_a_tool_as_the_budget_does(procore: Api) -> None:
    from generator.budget import prompt_size
    from generator.quality import check_budget

    tool = procore.tools[0]
    # Text outside ASCII goes to the client as UTF-8, not as \u escapes: a tool right at the budget is within it.
    tool = dataclasses.replace(tool, description="Überprüfung der Zugangsdaten für die Baustelle. " * 20)
    size = prompt_size(tool.name, tool.description, tool.input_schema)
    assert list(check_budget(tool, size)) == []
    assert list(check_budget(tool, size - 1)) != []


@pytest.mark.parametrize(
    ("name", "counter"),
    [
        ("list_users_2", True),
        ("list_users_second", False),
        ("run_model_v1_5", False),
        ("run_instruct_v0_2", False),
        ("retrieve_reports_for_1099", False),
        ("list_v2_users", False),
        ("get_3", True),
        ("stable_diffusion_xl_base_1_0", False),
    ],
)
def test_a_name_that_ends_like_a_counter_is_found(name: str, counter: bool) -> None:
    assert ends_in_a_counter(name.split("_")) is counter

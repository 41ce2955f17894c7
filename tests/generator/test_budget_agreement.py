"""The quality gate and the budget count a tool the same way, and a create call of many flat properties fits."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from generator.budget import Memo, prompt_size, reduce_tool
from generator.cli import main
from generator.ir import Api
from generator.pipeline import build_model
from generator.quality import check_budget, lint_api
from generator.render import tool_definition
from generator.templating import environment
from generator.wording import Wording
from tests.conftest import minimal_spec, procore_generation, write_spec

FLAT_PROPERTIES = 300
_LONG = (
    "It is kept as the account recorded it when the record was last saved by an administrator or by the"
    " import, and every later request reads it back unchanged. Changing it affects reports too."
)


def _record() -> dict[str, Any]:
    """A record of many flat properties, each with a long description and allowed values; a few required."""
    properties = {
        f"setting_{n:03d}": {
            "type": "string",
            "description": f"Setting {n} of the record, which decides how the service treats the record. {_LONG}",
            "enum": [f"mode_{n}_{choice}" for choice in range(6)],
        }
        for n in range(FLAT_PROPERTIES)
    }
    return {"type": "object", "required": ["setting_000", "setting_001", "setting_002"], "properties": properties}


def _flat_spec(folder: Path) -> Path:
    """One create call whose body and response are the record."""
    document = minimal_spec(
        **{
            "/records": {
                "post": {
                    "operationId": "createRecord",
                    "summary": "Create a record",
                    "requestBody": {"required": True, "content": {"application/json": {"schema": _record()}}},
                    "responses": {
                        "201": {"description": "The record.", "content": {"application/json": {"schema": _record()}}}
                    },
                }
            }
        }
    )
    return write_spec(folder, document, "flat.yaml")


def _sizes(api: Api) -> dict[str, int]:
    return dict(lint_api(api).per_tool_bytes)


def test_a_create_call_with_many_flat_properties_fits_the_budget(tmp_path: Path) -> None:
    api, diagnostics = build_model(_flat_spec(tmp_path))
    (tool,) = api.tools
    budget = api.config.tool_budget
    assert tool.full_input_schema is not None
    assert prompt_size(tool.name, tool.description, tool.full_input_schema) > 5 * budget
    assert prompt_size(tool.name, tool.description, tool.input_schema) <= budget
    (warning,) = [d for d in diagnostics if d.kind.startswith("tool-")]
    assert warning.kind == "tool-reduced" and "optional properties typed only" in warning.message
    listed, whole = tool.input_schema["properties"], tool.full_input_schema["properties"]
    assert list(listed) == list(whole), "every top-level property stays"
    assert all(schema.get("type") for schema in listed.values()), "every top-level property stays typed"
    for name in tool.input_schema["required"]:
        assert listed[name]["enum"] == whole[name]["enum"] and listed[name]["description"].startswith("Setting")
    assert "describe_operation" in tool.input_schema["description"]
    assert sum("enum" in schema for schema in listed.values()) > 3, "what fits of the allowed values is kept"
    assert lint_api(api).violations == ()


def test_the_gate_counts_what_the_budget_counts_not_the_whole_definition(tmp_path: Path) -> None:
    api, _ = build_model(_flat_spec(tmp_path))
    (tool,) = api.tools
    budget = api.config.tool_budget
    whole_definition = len(json.dumps(tool_definition(tool), separators=(",", ":")).encode())
    assert whole_definition > budget, "the output schema of a create call is not what the budget counts"
    assert _sizes(api)[tool.name] == prompt_size(tool.name, tool.description, tool.input_schema) <= budget
    assert list(check_budget(tool, budget)) == []


def test_lint_reports_a_tool_over_budget_and_none_within(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = _flat_spec(tmp_path)
    tiny = tmp_path / "tiny.config.yaml"
    tiny.write_text("tool_budget: 2048\n", encoding="utf-8")  # the smallest allowed: 300 typed properties cannot fit
    assert main(["lint", "--spec", str(spec), "--config", str(tiny)]) == 1
    out = capsys.readouterr().out
    assert re.search(r"\bbudget +1 violations", out) and "(budget 2,048)" in out
    assert main(["lint", "--spec", str(spec)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"\bbudget +0 violations", out) and "no violations" in out


def test_lint_and_budget_count_every_procore_tool_alike() -> None:
    api = procore_generation().api
    budget = api.config.tool_budget
    note = Wording(environment()).open_shape()
    sizes = _sizes(api)
    memo = Memo()
    for tool in api.tools:
        reduction = reduce_tool(tool.name, tool.description, tool.full_input_schema or tool.input_schema, budget, note)
        assert reduction.schema == tool.input_schema, tool.name
        assert reduction.after == sizes[tool.name] == prompt_size(tool.name, tool.description, tool.input_schema)
        assert bool(list(check_budget(tool, budget))) == (reduction.after > budget)
        overhead = prompt_size(tool.name, tool.description, {}) - 2
        assert overhead + memo.size(memo.one(tool.input_schema)) == sizes[tool.name], "the reduction's measure"


def test_the_reductions_measure_is_prompt_size_for_any_json() -> None:
    memo = Memo()
    for value in (
        {"description": 'Überprüfung “der” Daten \u2028 \\ "quoted" \U0001f600', "enum": [1, 1.0, True, None, -0.0]},
        {"type": "object", "properties": {"a b": {"default": {"x": [1, 2.5e-9, {"y": False}]}}}, "required": []},
        {"nested": [[], {}, [{}], "", 10**20]},
    ):
        assert memo.size(memo.one(value)) + prompt_size("t", "d", {}) - 2 == prompt_size("t", "d", value)
    assert memo.one({"v": True}) is not memo.one({"v": 1}), "`true` is not `1`"
    assert memo.one({"v": 1.0}) is not memo.one({"v": 1}) and memo.one({"v": [1]}) is memo.one({"v": [1]})

"""The budget at scale: a directory API of hundreds of operations over one wide, deep entity fits, and a part
many tools share is reduced once (the work follows the distinct schemas, not tools times schema size)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from generator.budget import DEPTH_LIMIT, Memo, prompt_size, reduce_tool
from generator.load import json_depth
from generator.pipeline import build_model
from generator.quality import lint_api
from generator.render import tool_definition
from tests.support.directory_api import member_schema, write_directory_spec

NOTE = "Full shape: `describe_operation`."
BUDGET = 16384


def test_every_tool_of_the_directory_api_fits(tmp_path: Path) -> None:
    spec = write_directory_spec(tmp_path / "directory.yaml", 320)  # large: half the tools built on the second core
    api, diagnostics = build_model(spec)
    budget = api.config.tool_budget
    assert len(api.tools) == 320
    assert sum(tool.full_input_schema is not None for tool in api.tools) > 200, "most tools had to be reduced"
    for tool in api.tools:
        assert prompt_size(tool.name, tool.description, tool.input_schema) <= budget, tool.name
        assert json_depth(tool_definition(tool)) <= DEPTH_LIMIT
    assert not [d for d in diagnostics if d.kind == "tool-over-budget"]
    assert not [v for v in lint_api(api).violations if v.check in ("budget", "depth", "parameters-described")]


def _input(resource: str) -> dict[str, Any]:
    """An input schema as the generator builds one: a path parameter of its own, then the entity's fields."""
    member = copy.deepcopy(member_schema())
    identifier = {"type": "string", "description": f"The ID of the {resource}."}
    return {
        "type": "object",
        "properties": {f"{resource}_id": identifier, **member["properties"]},
        "required": [f"{resource}_id", *member["required"]],
        "additionalProperties": False,
    }


def test_a_part_many_tools_share_is_reduced_once() -> None:
    memo = Memo()
    results = [reduce_tool("update_unit0", "Update a unit.", _input("unit0"), BUDGET, NOTE, memo)]
    first = len(memo)  # the schemas the first tool's reduction kept: the entity and what each step made of it
    results += [
        reduce_tool(f"update_unit{n}", "Update a unit.", _input(f"unit{n}"), BUDGET, NOTE, memo) for n in range(1, 45)
    ]
    assert (len(memo) - first) / 44 < first / 20, "each further tool adds its own few parts, not the entity again"
    for n, result in enumerate(results):
        alone = reduce_tool(f"update_unit{n}", "Update a unit.", _input(f"unit{n}"), BUDGET, NOTE)
        assert json.dumps(result.schema) == json.dumps(alone.schema) and result.steps == alone.steps
        assert result.after == prompt_size(f"update_unit{n}", "Update a unit.", result.schema) <= BUDGET
    fields = [name for name in member_schema()["properties"] if name in results[0].schema["properties"]]
    assert all(
        result.schema["properties"][name] is results[0].schema["properties"][name]
        for result in results
        for name in fields
    ), "the reduced entity's fields are one object each, whichever tool they are in"

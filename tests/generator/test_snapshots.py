"""Every tool definition written from `specs/procore.yaml`, snapshotted: each wording or schema change shows in
review. (The long tail the config includes, written by the generator from the catalog's facts, is covered by the
golden test and the quality gate instead: 1,800 more snapshots would hide the hand-written ones in every diff.)

The snapshots are JSON text (key order matters in a tool definition). After a deliberate change, read the
diff and update with: .venv/bin/python -m pytest tests/generator/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import json

import pytest
from syrupy.assertion import SnapshotAssertion

from generator.ir import Tool
from generator.load import load_mapping
from generator.openapi import HTTP_METHODS
from generator.render import tool_definition
from tests.conftest import GENERATED, SPEC, procore_generation

HAND_WRITTEN = frozenset(
    str(item[method]["operationId"])
    for item in load_mapping(SPEC)["paths"].values()
    for method in HTTP_METHODS
    if method in item
)
"""The operationIds of `specs/procore.yaml`: the operations written in this project's words."""
# The names come from the committed package (reading it is cheap at collection); the definitions compared are a
# fresh generation's, made once per test process. When the two disagree, test_golden.py says to generate again.
NAMES = [
    e["definition"]["name"]
    for e in json.loads((GENERATED / "src/procore_mcp/tools.json").read_text())["tools"]
    if e["binding"].get("operationId") in HAND_WRITTEN
]


def _tools() -> dict[str, Tool]:
    return {tool.name: tool for tool in procore_generation().api.tools if tool.operation_id in HAND_WRITTEN}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_tool_definition(name: str, snapshot: SnapshotAssertion) -> None:
    tools = _tools()
    assert name in tools, f"{name} is no longer generated: run `make generate` and update the snapshots"
    assert json.dumps(tool_definition(tools[name]), indent=2, ensure_ascii=False) == snapshot


def test_tool_names(snapshot: SnapshotAssertion) -> None:
    assert list(_tools()) == snapshot

"""Every generated tool definition, snapshotted: each wording or schema change shows in review.

The snapshots are JSON text (key order matters in a tool definition). After a deliberate change, read the
diff and update with: .venv/bin/python -m pytest tests/generator/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import json

import pytest
from syrupy.assertion import SnapshotAssertion

from generator.pipeline import generate
from generator.render import tool_definition
from tests.conftest import CONFIG, SPEC

TOOLS = {tool.name: tool for tool in generate(SPEC, CONFIG).api.tools}


@pytest.mark.parametrize("name", sorted(TOOLS))
def test_tool_definition(name: str, snapshot: SnapshotAssertion) -> None:
    assert json.dumps(tool_definition(TOOLS[name]), indent=2, ensure_ascii=False) == snapshot


def test_tool_names(snapshot: SnapshotAssertion) -> None:
    assert list(TOOLS) == snapshot

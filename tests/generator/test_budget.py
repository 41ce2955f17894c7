"""The per-tool budget and the depth bound: reductions in their fixed order, each only while still over."""

from __future__ import annotations

import json
from typing import Any

import jsonschema

from generator.budget import prompt_size, reduce_tool, share_repeated, within_depth
from generator.load import json_depth

NOTE = "Full shape: `describe_operation`."
LONG = "A sentence about the field. " * 8


def _address() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "An address. " + LONG,
        "properties": {key: {"type": "string", "description": f"The {key}. {LONG}"} for key in ("street", "city")},
    }


def _order() -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["id"],
        "properties": {
            "id": {"type": "integer", "description": "ID of the order."},
            "billing": _address(),
            "shipping": _address(),
            "gift": {"type": "object", "description": "Gift options.", "examples": [{"wrap": True}], "properties": {
                "wrap": {"type": "boolean", "description": "Wrap it. " + LONG},
                "card": {"type": "object", "description": "The card.", "properties": {
                    "text": {"type": "string", "description": "What the card says. " + LONG}}},
            }},
        },
        "additionalProperties": False,
    }  # fmt: skip


def test_a_tool_within_budget_is_left_alone() -> None:
    result = reduce_tool("create_order", "Create an order.", _order(), 100_000, NOTE)
    assert result.steps == () and result.schema == _order()


def test_repeated_parts_are_shared_first() -> None:
    size = prompt_size("create_order", "", _order())
    shared = share_repeated(_order(), excess=100)
    reference = {"type": "object", "description": _address()["description"], "$ref": "#/$defs/billing"}
    assert shared["properties"]["billing"] == shared["properties"]["shipping"] == reference
    assert shared["$defs"]["billing"] == _address()
    assert prompt_size("create_order", "", shared) < size
    jsonschema.Draft202012Validator.check_schema(shared)


def test_reductions_run_in_order_until_the_tool_fits() -> None:
    order = _order()
    budget = prompt_size("create_order", "Create an order.", order) - 100
    result = reduce_tool("create_order", "Create an order.", order, budget, NOTE)
    assert result.steps == ("repeated parts shared",) and result.after <= budget
    tight = reduce_tool("create_order", "Create an order.", order, 1200, NOTE)
    assert tight.steps[:3] == ("repeated parts shared", "examples dropped", "nested descriptions shortened")
    assert tight.after <= 1200 < tight.before
    properties = tight.schema["properties"]
    assert properties["id"] == order["properties"]["id"], "a required argument stays as it is"
    assert all(p.get("type") and p.get("description") for p in properties.values()), "top level typed, described"
    assert "examples" not in json.dumps(tight.schema)
    assert NOTE in json.dumps(tight.schema), "an opened part says where its full shape is"


def test_definitions_nest_at_most_32_levels() -> None:
    deep: dict[str, Any] = {"type": "string", "description": "Innermost."}
    for level in range(40):
        deep = {"type": "object", "description": f"Level {level}.", "properties": {f"l{level}": deep}}
    bounded = within_depth(deep, 2, NOTE)
    assert json_depth({"inputSchema": bounded}) <= 32 < json_depth({"inputSchema": deep})
    jsonschema.validate({"l39": {"l38": {"anything": 1}}}, bounded)
    assert within_depth(_order(), 2, NOTE) is not None

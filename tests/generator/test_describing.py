"""Every property described at every depth; nullable unions folded where that is exact."""

from __future__ import annotations

from typing import Any

from generator.describing import Describer, simplified


def _fallback(name: str, location: str, parent: str = "", kind: str = "") -> str:
    return f"{name} of {parent or 'the request'} ({kind or 'any'})."


def test_properties_inside_branches_items_and_maps_are_described() -> None:
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "target": {
                "anyOf": [
                    {"type": "object", "properties": {"url": {"type": "string"}}},
                    {"type": "array", "items": {"type": "object", "properties": {"id": {"type": "integer"}}}},
                ]
            },
            "labels": {"type": "object", "additionalProperties": {"type": "object", "properties": {"v": {}}}},
        },
    }
    result = Describer(_fallback).members(schema, "body", "")
    target = result["properties"]["target"]
    assert target["description"] == "target of the request (any)."
    assert target["anyOf"][0]["properties"]["url"]["description"] == "url of target (string)."
    assert target["anyOf"][1]["items"]["properties"]["id"]["description"] == "id of target (integer)."
    assert (
        result["properties"]["labels"]["additionalProperties"]["properties"]["v"]["description"] == "v of labels (any)."
    )


def test_a_nullable_union_becomes_one_schema_allowing_null() -> None:
    folded = simplified({"anyOf": [{"type": "string", "enum": ["a"], "description": "Inner."}, {"type": "null"}]})
    assert folded == {"type": ["string", "null"], "enum": ["a", None], "description": "Inner."}
    outer = simplified(
        {"description": "Outer.", "anyOf": [{"type": "integer", "description": "Inner."}, {"type": "null"}]}
    )
    assert outer == {"type": ["integer", "null"], "description": "Outer."}, "the property's own description wins"


def test_a_union_that_cannot_be_folded_gains_its_branch_description() -> None:
    kept = simplified({"anyOf": [{"$ref": "#/$defs/A", "description": "An A."}, {"type": "null"}]})
    assert kept == {"description": "An A.", "anyOf": [{"$ref": "#/$defs/A", "description": "An A."}, {"type": "null"}]}


def test_a_lone_all_of_part_merges_into_its_parent() -> None:
    assert simplified({"description": "Outer.", "allOf": [{"type": "string", "description": "Inner."}]}) == {
        "type": "string",
        "description": "Outer.",
    }
    assert "allOf" in simplified({"type": "object", "allOf": [{"type": "string"}]}), "conflicting keywords stay apart"


def test_identifier_titles_go_and_weak_descriptions_are_replaced() -> None:
    schema = {
        "type": "object",
        "title": "address_param",
        "properties": {"city": {"type": "string", "description": "City"}},
    }
    result = Describer(_fallback).property("address", schema, "body", "")
    assert "title" not in result
    assert result["properties"]["city"]["description"] == "city of address (string)."

"""The schema compiler: OpenAPI Schema Objects to JSON Schema 2020-12."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from generator.diagnostics import Reporter
from generator.pipeline import build_model
from generator.schema import SchemaCompiler
from generator.trimming import trim_output
from tests.conftest import procore_config_copy
from tests.support.instances import example_instance

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def procore_full_outputs(tmp_path_factory: pytest.TempPathFactory) -> list[dict[str, Any]]:
    """The Procore spec's response schemas, compiled in full: each distinct one once (1,938 tools have 978)."""
    config = procore_config_copy(tmp_path_factory.mktemp("config"), output_schema="full")
    api, _ = build_model(ROOT / "specs" / "procore.yaml", config)
    distinct = {json.dumps(tool.output_schema, sort_keys=True): tool.output_schema for tool in api.tools}
    outputs = [schema for schema in distinct.values() if schema is not None]
    assert len(outputs) > 40
    return outputs


def _compiler(schemas: dict[str, Any] | None = None, version: str = "3.0") -> SchemaCompiler:
    return SchemaCompiler({"components": {"schemas": schemas or {}}}, Reporter("spec.yaml"), version)


def _compile(schema: Any, direction: str = "input", **schemas: Any) -> dict[str, Any]:
    result = _compiler(schemas).compile(schema, direction, "/x")  # type: ignore[arg-type]
    jsonschema.Draft202012Validator.check_schema(result)
    return result


def test_local_refs_are_inlined_with_sibling_description() -> None:
    schema = {"$ref": "#/components/schemas/Name", "description": "Outer"}
    assert _compile(schema, Name={"type": "string", "description": "Inner"}) == {
        "type": "string",
        "description": "Outer",
    }


def test_recursive_refs_become_defs() -> None:
    node = {
        "type": "object",
        "properties": {"children": {"type": "array", "items": {"$ref": "#/components/schemas/Node"}}},
    }
    result = _compile({"$ref": "#/components/schemas/Node"}, Node=node)
    assert result["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    assert result["$defs"]["Node"]["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    jsonschema.validate({"children": [{"children": []}]}, result)


def test_nullable_becomes_a_type_list() -> None:
    assert _compile({"type": "string", "nullable": True, "enum": ["a"]}) == {
        "type": ["string", "null"],
        "enum": ["a", None],
    }
    assert _compile({"$ref": "#/components/schemas/S", "nullable": True}, S={"type": "integer"}) == {
        "type": ["integer", "null"]
    }


def test_openapi_only_keywords_are_mapped_or_dropped() -> None:
    schema = {
        "type": "number",
        "maximum": 5,
        "exclusiveMaximum": True,
        "example": 3,
        "xml": {"name": "n"},
        "x-internal": True,
        "externalDocs": {"url": "https://x.org"},
    }
    assert _compile(schema) == {"type": "number", "examples": [3], "exclusiveMaximum": 5}


def test_read_only_and_write_only_follow_the_direction() -> None:
    schema = {
        "type": "object",
        "required": ["id", "password", "name"],
        "properties": {
            "id": {"type": "integer", "readOnly": True},
            "password": {"type": "string", "writeOnly": True},
            "name": {"type": "string"},
        },
    }
    assert list(_compile(schema, "input")["properties"]) == ["password", "name"]
    assert _compile(schema, "input")["required"] == ["password", "name"]
    assert list(_compile(schema, "output")["properties"]) == ["id", "name"]


def test_all_of_objects_are_merged() -> None:
    base = {"type": "object", "required": ["id"], "properties": {"id": {"type": "integer"}}}
    schema = {"allOf": [{"$ref": "#/components/schemas/Base"}, {"properties": {"name": {"type": "string"}}}]}
    assert _compile(schema, Base=base) == {
        "type": "object",
        "properties": {"id": {"type": "integer"}, "name": {"type": "string"}},
        "required": ["id"],
    }


def test_discriminator_is_explained() -> None:
    schema = {"oneOf": [{"type": "object"}, {"type": "string"}], "discriminator": {"propertyName": "kind"}}
    result = _compile(schema)
    assert "discriminator" not in result
    assert "`kind`" in result["description"]


def test_dangling_ref_is_a_warning_and_any_value() -> None:
    compiler = _compiler()
    assert compiler.compile({"$ref": "#/components/schemas/Missing"}, "input", "/p") == {}
    assert [(d.kind, d.pointer) for d in compiler.diagnostics] == [("dangling-ref", "/p")]


def test_openapi_31_keywords_are_kept() -> None:
    compiler = SchemaCompiler({}, Reporter("spec.yaml"), "3.1")
    schema = {
        "type": ["string", "null"],
        "examples": ["a"],
        "const": "a",
        "nullable": True,  # not a 3.1 keyword: ignored
    }
    assert compiler.compile(schema, "input", "/x") == {"type": ["string", "null"], "const": "a", "examples": ["a"]}
    pair = {"type": "array", "prefixItems": [{"type": "integer"}, {"type": "string"}], "items": False}
    assert compiler.compile(pair, "input", "/x") == {
        "type": "array",
        "items": {"not": {}},
        "prefixItems": [{"type": "integer"}, {"type": "string"}],
    }
    binary = {"type": "string", "contentMediaType": "image/png"}
    assert compiler.compile(binary, "input", "/x") == binary


# -- how much of a response schema tools/list carries ------------------------------------------------------------

_RESPONSE = {
    "type": "object",
    "description": "An RFI.",
    "properties": {
        "id": {"type": ["integer", "null"], "description": "ID of the RFI."},
        "status": {"type": ["string", "null"], "enum": ["open", "closed", None], "description": "Where it stands."},
        "manager": {
            "anyOf": [{"type": "object", "properties": {"id": {"type": "integer"}}}, {"type": "null"}],
            "description": "Who manages it.",
        },
        "anything": {"description": "Free-form."},
    },
    "required": ["id"],
}


def test_outline_names_the_top_level_fields_only() -> None:
    assert trim_output(_RESPONSE, "outline") == {
        "type": "object",
        "properties": {"id": {}, "status": {}, "manager": {}, "anything": {}},
    }


def test_outline_of_a_wrapped_list_keeps_the_item_fields() -> None:
    wrapped = {
        "type": "object",
        "properties": {"result": {"type": "array", "description": "The RFIs.", "items": _RESPONSE}},
        "required": ["result"],
    }
    outline = trim_output(wrapped, "outline")
    assert outline is not None
    assert outline["properties"]["result"]["type"] == "array"
    assert outline["properties"]["result"]["items"]["type"] == "object"
    assert list(outline["properties"]["result"]["items"]["properties"]) == ["id", "status", "manager", "anything"]
    assert "description" not in json.dumps(outline)


def test_outline_of_a_nullable_list_still_accepts_null() -> None:
    wrapped = {"type": "object", "properties": {"data": {"type": ["array", "null"], "items": _RESPONSE}}}
    outline = trim_output(wrapped, "outline")
    assert outline is not None
    jsonschema.Draft202012Validator(outline).validate({"data": None})
    jsonschema.Draft202012Validator(outline).validate({"data": [{"id": 1, "manager": None}]})


def test_shallow_keeps_descriptions_and_none_keeps_nothing() -> None:
    shallow = trim_output(_RESPONSE, "shallow")
    assert shallow is not None
    assert shallow["properties"]["status"] == {
        "type": ["string", "null"],
        "enum": ["open", "closed", None],
        "description": "Where it stands.",
    }
    assert shallow["properties"]["manager"] == {"description": "Who manages it.", "type": ["object", "null"]}
    assert trim_output(_RESPONSE, "none") is None


@pytest.mark.parametrize("level", ["outline", "shallow"])
def test_trimmed_output_schemas_accept_every_response_the_full_ones_accept(
    level: str, procore_full_outputs: list[dict[str, Any]]
) -> None:
    checked = 0
    for schema in procore_full_outputs:
        trimmed = trim_output(schema, level)
        assert trimmed is not None
        jsonschema.Draft202012Validator.check_schema(trimmed)
        full, lean = jsonschema.Draft202012Validator(schema), jsonschema.Draft202012Validator(trimmed)
        filled = example_instance(schema)
        nulls = {name: None for name in schema.get("properties", {}) if name not in schema.get("required", [])}
        for response in (filled, {**filled, **nulls}):
            if full.is_valid(response):
                assert lean.is_valid(response), (level, response)
                checked += 1
    assert checked >= len(procore_full_outputs)


@pytest.mark.parametrize("level", ["outline", "shallow"])
def test_trimming_leaves_no_reference_to_the_definitions_it_drops(level: str) -> None:
    node = {"type": "object", "properties": {"name": {"type": "string"}, "parent": {"$ref": "#/$defs/Node"}}}
    full = {**node, "properties": {**node["properties"], "parent": {"$ref": "#/$defs/Node", "description": "Up."}}}
    trimmed = trim_output({**full, "$defs": {"Node": node}}, level)
    assert trimmed is not None and "$ref" not in json.dumps(trimmed)
    jsonschema.Draft202012Validator(trimmed).validate({"name": "a", "parent": {"name": "b"}})


# -- shared and recursive parts: each referenced schema compiled once, kept once ----------------------------------


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def test_a_schema_used_once_is_inlined_and_one_used_twice_is_kept_once_in_defs() -> None:
    schema = {
        "type": "object",
        "properties": {"home": _ref("Address"), "work": _ref("Address"), "owner": _ref("Person")},
    }
    address = {"type": "object", "properties": {"city": {"type": "string"}}}
    person = {"type": "object", "properties": {"name": {"type": "string"}}}
    result = _compile(schema, Address=address, Person=person)
    assert result["properties"]["home"] == result["properties"]["work"] == {"$ref": "#/$defs/Address"}
    assert result["properties"]["owner"] == person
    assert result["$defs"] == {"Address": address}


def test_a_densely_shared_graph_compiles_to_a_schema_linear_in_its_size() -> None:
    # Each level refers to the next one twice: inlining every reference would write 2**40 copies of the last.
    schemas: dict[str, Any] = {"Level40": {"type": "string"}}
    for level in range(40):
        schemas[f"Level{level}"] = {
            "type": "object",
            "properties": {"left": _ref(f"Level{level + 1}"), "right": _ref(f"Level{level + 1}")},
        }
    compiler = _compiler(schemas)
    result = compiler.compile(_ref("Level0"), "input", "/x")
    jsonschema.Draft202012Validator.check_schema(result)
    assert len(result["$defs"]) == 40 and len(json.dumps(result)) < 10_000
    assert len(compiler._bodies) == 41, "each referenced schema is compiled once"
    jsonschema.validate({"left": {"left": {}, "right": {"right": {}}}}, result)
    assert not jsonschema.Draft202012Validator(result).is_valid({"left": {"left": 5}})


def test_the_parts_of_one_root_share_their_definitions() -> None:
    compiler = _compiler({"Tag": {"type": "string", "maxLength": 10}})
    linking = compiler.begin("input")
    first = compiler.compile_part(_ref("Tag"), "/a", linking)
    second = compiler.compile_part({"type": "array", "items": _ref("Tag")}, "/b", linking)
    assert linking.link(first) == {"type": "string", "maxLength": 10}, "a part's own root is always written out"
    assert linking.link(second) == {"type": "array", "items": {"$ref": "#/$defs/Tag"}}
    assert linking.definitions() == {"Tag": {"type": "string", "maxLength": 10}}


def test_a_schema_holding_a_file_is_inlined_wherever_it_is_used() -> None:
    upload = {"type": "object", "properties": {"data": {"type": "string", "format": "binary"}}}
    schema = {"type": "object", "properties": {"front": _ref("Upload"), "back": _ref("Upload")}}
    result = _compile(schema, Upload=upload)
    assert result["properties"]["front"] == result["properties"]["back"] == upload
    assert "$defs" not in result


def test_a_shallow_view_reads_the_first_levels_whatever_lies_below() -> None:
    deep: dict[str, Any] = {"type": "string"}
    for level in range(120):
        deep = {"type": "object", "properties": {f"l{level}": deep}}
    compiler = _compiler({"Deep": deep})
    part = compiler.part({"type": "object", "properties": {"top": _ref("Deep")}}, "/x", "output")
    view = compiler.shallow(part, 3)
    assert list(view["properties"]["top"]["properties"]) == ["l119"]
    assert len(json.dumps(view)) < 1_000
    assert compiler.diagnostics == (), "a shallow view is no reason to warn about depth"


def test_a_cycle_through_all_of_alone_is_cut_with_a_warning() -> None:
    compiler = _compiler({"A": {"allOf": [_ref("B")]}, "B": {"allOf": [_ref("A")]}})
    result = compiler.compile(_ref("A"), "input", "/x")
    jsonschema.Draft202012Validator.check_schema(result)
    assert "$ref" not in json.dumps(result), "no definition a validator would follow round for ever"
    assert [d.kind for d in compiler.diagnostics] == ["circular-ref"]


def test_one_of_is_read_as_any_of_so_overlapping_branches_still_accept_a_value() -> None:
    # An ID that is either 32 hex digits or a UUID: a 32-digit ID fits both, which oneOf would refuse.
    schema = {"oneOf": [{"type": "string", "maxLength": 32}, {"type": "string", "maxLength": 36}]}
    result = _compile(schema)
    assert result == {"anyOf": [{"type": "string", "maxLength": 32}, {"type": "string", "maxLength": 36}]}
    jsonschema.validate("023e105f4ecef8ad9ca31a8372d0c353", result)


def test_a_required_property_that_only_responses_carry_is_not_required_in_a_request() -> None:
    record = {"type": "object", "properties": {"id": {"type": "string", "readOnly": True}, "name": {"type": "string"}}}
    schema = {"allOf": [_ref("Record")], "required": ["id", "name"]}
    result = _compile(schema, Record=record)
    assert result == {"type": "object", "properties": {"name": {"type": "string"}}, "required": ["name"]}
    marked = {"allOf": [_ref("Name"), {"readOnly": True}]}
    assert list(
        _compile({"type": "object", "properties": {"id": marked, "n": {}}}, Name={"type": "string"})["properties"]
    ) == ["n"]


def test_a_pattern_python_cannot_read_is_respelled_or_dropped() -> None:
    compiler = _compiler()
    assert compiler.compile({"type": "string", "pattern": "^(?<year>[0-9]{4})$"}, "input", "/a")["pattern"] == (
        "^(?P<year>[0-9]{4})$"
    )
    assert compiler.compile({"type": "string", "pattern": "\\p{L}+"}, "input", "/b") == {"type": "string"}
    assert [(d.kind, d.pointer) for d in compiler.diagnostics] == [("unreadable-pattern", "/b")]


def test_a_null_type_stays_null_in_responses() -> None:
    compiler = SchemaCompiler({}, Reporter("spec.yaml"), "3.1")
    result = compiler.compile({"type": "object", "properties": {"gone": {"type": "null"}}}, "output", "/x")
    assert result["properties"]["gone"] == {"type": "null"}


def test_shallow_keeps_the_types_a_nullable_field_allows_and_no_more() -> None:
    untyped = {"anyOf": [{"description": "An amount, of no stated type."}, {"type": "null"}]}
    named = {"anyOf": [{"$ref": "#/$defs/Code"}, {"type": "null"}]}
    schema = {"type": "object", "properties": {"total": untyped, "code": named}, "$defs": {"Code": {"type": "string"}}}
    shallow = trim_output(schema, "shallow")
    assert shallow is not None
    assert "type" not in shallow["properties"]["total"]  # any value, as the full schema allows
    assert shallow["properties"]["code"]["type"] == ["string", "null"]  # read through the reference
    jsonschema.Draft202012Validator(shallow).validate({"total": "12.50", "code": "A1"})

"""The schema compiler: OpenAPI Schema Objects to JSON Schema 2020-12."""

from __future__ import annotations

from typing import Any

import jsonschema

from generator.schema import SchemaCompiler


def _compiler(schemas: dict[str, Any] | None = None, version: str = "3.0") -> SchemaCompiler:
    return SchemaCompiler({"components": {"schemas": schemas or {}}}, "spec.yaml", version)


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
    compiler = SchemaCompiler({}, "spec.yaml", "3.1")
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

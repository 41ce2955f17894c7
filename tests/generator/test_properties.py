"""Properties of generation over random valid OpenAPI 3.0 documents (hypothesis).

The documents have a few paths (literal segments and path parameters that appear in the path), several
methods, query and header parameters with scalar, array and object schemas, optional JSON request bodies
with nested objects and enums, 2xx responses with object or array schemas, and printable Unicode prose with
quotes and braces. For each: generation succeeds; every tool is a valid MCP tool whose input and output
schemas are valid JSON Schema 2020-12; names are unique, at most 64 characters; nothing declared is lost; and a
second generation is byte-identical.
"""

from __future__ import annotations

import copy
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import jsonschema
import mcp.types
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from generator.diagnostics import GenerationError
from generator.naming import MAX_NAME_LENGTH, unique_names
from generator.pipeline import Generation, generate
from generator.render import tool_definition
from generator.write import write_tree
from tests.support.generated import assert_imports

FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
SLOW = settings(max_examples=5, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None)
TOOL_NAME = re.compile(r"[A-Za-z0-9_.-]{1,64}")

# -- strategies ------------------------------------------------------------------------------------------------

# Printable text: letters, digits, punctuation, symbols and spaces of any script (no control or format
# characters), with the pieces most likely to break a template or a Python literal mixed in.
PRINTABLE = st.characters(categories=("L", "M", "N", "P", "S", "Zs"))
SPICY = ['"""', "'''", '"', "'", "\\", "{{ x }}", "{% if x %}", "{#", "}}", "${x}", "</script>", "`", "\\n", "é", "🚀"]
prose = st.lists(st.one_of(st.sampled_from(SPICY), st.text(PRINTABLE, min_size=1, max_size=12)), max_size=6).map(
    " ".join
)
# Names: random identifiers, and common ones that collide once headers and body fields join the query
# parameters in one input schema (`id` in the query and in the body, an `Id` header, and names that already
# carry the prefix a collision adds, such as `header_id`).
COMMON_NAMES = ["id", "name", "page", "per_page", "body", "x_trace", "file", "type", "format", "header_id", "body_name"]
identifier = st.one_of(
    st.sampled_from(COMMON_NAMES),
    st.from_regex(r"[a-z][a-z0-9_]{0,11}", fullmatch=True),
)
header_name = st.one_of(
    st.sampled_from(["Id", "X-Trace", "Name", "Body"]),
    st.from_regex(r"X-[A-Z][a-z]{1,8}(-[A-Z][a-z]{1,8})?", fullmatch=True),
)
segment = st.from_regex(r"[a-z][a-z0-9_-]{0,9}", fullmatch=True)


def _with_description(schema: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.tuples(schema, st.one_of(st.none(), prose)).map(
        lambda pair: pair[0] if pair[1] is None else {**pair[0], "description": pair[1]}
    )


string_schema = st.fixed_dictionaries(
    {"type": st.just("string")},
    optional={
        "enum": st.lists(prose, min_size=1, max_size=5, unique=True),
        "format": st.sampled_from(["date-time", "date", "email", "uuid", "uri", "binary-ish"]),
        "maxLength": st.integers(1, 500),
        "default": prose,
        "nullable": st.booleans(),
    },
)
integer_schema = st.fixed_dictionaries(
    {"type": st.just("integer")},
    optional={
        "minimum": st.integers(-10, 0),
        "maximum": st.integers(1, 1000),
        "enum": st.lists(st.integers(-5, 50), min_size=1, max_size=5, unique=True),
        "format": st.sampled_from(["int32", "int64"]),
    },
)
number_schema = st.fixed_dictionaries(
    {"type": st.just("number")},
    optional={"minimum": st.floats(-1e6, 0), "exclusiveMinimum": st.booleans(), "multipleOf": st.just(0.5)},
)
boolean_schema = st.fixed_dictionaries({"type": st.just("boolean")}, optional={"default": st.booleans()})
scalar = _with_description(st.one_of(string_schema, integer_schema, number_schema, boolean_schema))


def _object(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    def build(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        chosen = [name for name in properties if name in required]
        if chosen:
            schema["required"] = chosen
        return schema

    properties = st.dictionaries(identifier, children, min_size=1, max_size=4)
    return st.builds(build, properties, st.lists(identifier, max_size=4))


def _array(children: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda items: {"type": "array", "items": items}, children)


schema = st.recursive(
    scalar, lambda children: _with_description(st.one_of(_array(children), _object(children))), max_leaves=8
)
object_schema = _with_description(_object(schema))
response_schema = st.one_of(object_schema, _with_description(_array(object_schema)))


@st.composite
def parameters(draw: st.DrawFn, path_names: list[str]) -> list[dict[str, Any]]:
    """Path parameters for every `{name}` of the path, then query and header parameters with unique names."""
    found: list[dict[str, Any]] = [
        {"name": name, "in": "path", "required": True, "schema": draw(scalar.filter(lambda s: "nullable" not in s))}
        for name in path_names
    ]
    for name in draw(st.lists(identifier, max_size=3, unique=True)):
        if name in path_names:
            continue
        parameter: dict[str, Any] = {"name": name, "in": "query", "schema": draw(schema)}
        if parameter["schema"].get("type") == "object":
            parameter["style"] = "deepObject"
            parameter["explode"] = True
        found.append(parameter)
    for name in draw(st.lists(header_name, max_size=2, unique=True)):
        found.append({"name": name, "in": "header", "schema": draw(scalar)})
    for parameter in found:
        if draw(st.booleans()):
            parameter["description"] = draw(prose)
        if parameter["in"] != "path" and draw(st.booleans()):
            parameter["required"] = True
    return found


@st.composite
def operation(draw: st.DrawFn, method: str, path_names: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    if draw(st.booleans()):
        result["operationId"] = draw(identifier)
    if draw(st.booleans()):
        result["summary"] = draw(prose)
    if draw(st.booleans()):
        result["description"] = draw(prose)
    listed = draw(parameters(path_names))
    if listed:
        result["parameters"] = listed
    if method in ("post", "put", "patch") and draw(st.booleans()):
        result["requestBody"] = {
            "required": draw(st.booleans()),
            "content": {"application/json": {"schema": draw(st.one_of(object_schema, schema))}},
        }
    status = draw(st.sampled_from(["200", "201", "2XX"]))
    response: dict[str, Any] = {"description": draw(prose) or "OK."}
    if draw(st.booleans()) or method == "get":
        response["content"] = {"application/json": {"schema": draw(response_schema)}}
    result["responses"] = {status: response, "default": {"description": "An error."}}
    return result


@st.composite
def path_template(draw: st.DrawFn) -> tuple[str, list[str]]:
    parts: list[str] = []
    names: list[str] = []
    for _ in range(draw(st.integers(1, 3))):
        if draw(st.booleans()):
            name = draw(identifier.filter(lambda n: n not in names))
            names.append(name)
            parts.append("{" + name + "}")
        else:
            parts.append(draw(segment))
    return "/" + "/".join(parts), names


@st.composite
def documents(draw: st.DrawFn) -> dict[str, Any]:
    """A random valid OpenAPI 3.0 document."""
    paths: dict[str, Any] = {}
    for _ in range(draw(st.integers(1, 3))):
        path, names = draw(path_template())
        if path in paths:
            continue
        methods = draw(st.lists(st.sampled_from(["get", "post", "put", "patch", "delete"]), min_size=1, max_size=3))
        paths[path] = {method: draw(operation(method, names)) for method in dict.fromkeys(methods)}
    return {
        "openapi": "3.0.3",
        "info": {"title": draw(prose) or "Random API", "version": "1.0", "description": draw(prose)},
        "servers": [{"url": "https://api.example.com/v1"}],
        "paths": paths,
    }


# -- helpers ---------------------------------------------------------------------------------------------------


def _generate(document: dict[str, Any]) -> Generation:
    with tempfile.TemporaryDirectory() as folder:
        spec = Path(folder) / "spec.yaml"
        spec.write_text(yaml.safe_dump(document, sort_keys=False, allow_unicode=True), encoding="utf-8")
        return generate(spec)


def _declared(document: dict[str, Any]) -> list[tuple[str, str, set[tuple[str, str]]]]:
    """Per operation in document order: method, path, and every (location, wire name) it declares."""
    found = []
    for path, item in document["paths"].items():
        for method in ("get", "put", "post", "delete", "options", "head", "patch", "trace"):
            if method not in item:
                continue
            op = item[method]
            wires = {(p["in"], p["name"]) for p in op.get("parameters", [])}
            body = op.get("requestBody", {}).get("content", {}).get("application/json", {}).get("schema", {})
            if body.get("type") == "object" and body.get("properties"):
                wires |= {("body", name) for name in body["properties"]}
            elif body:
                wires.add(("body", ""))
            found.append((method.upper(), path, wires))
    return found


# -- properties ------------------------------------------------------------------------------------------------


@FAST
@given(documents())
def test_random_valid_documents_generate_valid_tools(document: dict[str, Any]) -> None:
    generation = _generate(document)
    tools = generation.api.tools
    names = [tool.name for tool in tools]
    assert len(set(names)) == len(names), names
    for name in names:
        assert len(name) <= MAX_NAME_LENGTH and TOOL_NAME.fullmatch(name), name

    declared = _declared(document)
    assert [(tool.binding.method, tool.binding.path) for tool in tools] == [(m, p) for m, p, _ in declared]
    for tool, (_, _, wires) in zip(tools, declared, strict=True):
        definition = tool_definition(tool)
        assert definition["inputSchema"]["type"] == "object"
        jsonschema.Draft202012Validator.check_schema(definition["inputSchema"])
        if "outputSchema" in definition:
            assert definition["outputSchema"]["type"] == "object"
            jsonschema.Draft202012Validator.check_schema(definition["outputSchema"])
        mcp.types.Tool.model_validate(definition)
        json.dumps(definition, allow_nan=False)
        # Nothing declared is lost: each parameter and body field is one argument, with its own property.
        arguments = tool.binding.arguments
        assert {(a.location, a.wire_name) for a in arguments} == wires
        properties = [a.property_name for a in arguments]
        assert len(set(properties)) == len(properties), properties
        shaping = {"fields", "max_items"} & set(definition["inputSchema"]["properties"])  # the server's own inputs
        assert set(properties) | shaping == set(definition["inputSchema"]["properties"])
        assert not shaping & set(properties), "an input of the API's own keeps its name"


@FAST
@given(documents())
def test_generation_is_deterministic(document: dict[str, Any]) -> None:
    assert _generate(document).files == _generate(document).files


@SLOW
@given(documents())
def test_generated_package_imports(document: dict[str, Any]) -> None:
    generation = _generate(document)
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "out"
        write_tree(out, generation.files)
        for relative, text in generation.files.items():
            if relative.endswith(".py"):
                compile(text, relative, "exec")
        package = generation.api.config.package_name
        runtime = assert_imports(out, package, folder)
        assert [entry["definition"]["name"] for entry in runtime["tools"]] == [t.name for t in generation.api.tools]


snake_words = st.lists(st.from_regex(r"[a-z0-9]{1,30}", fullmatch=True), max_size=6).map("_".join)
path_segments = st.lists(
    st.one_of(st.from_regex(r"[a-z0-9_-]{1,80}", fullmatch=True), identifier.map(lambda name: "{" + name + "}")),
    min_size=1,
    max_size=4,
).map(lambda parts: "/" + "/".join(parts))
candidates = st.lists(
    st.tuples(snake_words, st.sampled_from(["get", "post", "put", "patch", "delete"]), path_segments), max_size=10
)


@FAST
@given(candidates)
def test_unique_names_are_unique_short_and_valid(names: list[tuple[str, str, str]]) -> None:
    """Whatever the summaries (none, or 200 characters in one word) and paths (long segments), names fit MCP."""
    chosen = unique_names(names)
    assert len(chosen) == len(names)
    assert len(set(chosen)) == len(chosen), chosen
    for name in chosen:
        assert TOOL_NAME.fullmatch(name) and not name.startswith("_"), name


# Junk for a random place of a valid document: every stage must answer with GenerationError, never crash.
JUNK = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 3),
    st.floats(allow_nan=False),
    st.text(PRINTABLE, max_size=5),
    st.sampled_from(["{id}", "#/nope", "", "object", "array"]),
    st.just([]),
    st.just({}),
    st.just({"$ref": "#/components/schemas/Nope"}),
    st.just({"$ref": 7}),
    st.just({"type": "object", "properties": None}),
    st.just([{"name": None}]),
)


def _places(node: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    found = [path] if path else []
    children = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in children:
        found += _places(child, (*path, key))
    return found


@FAST
@given(documents(), st.data())
def test_damaged_documents_fail_cleanly(document: dict[str, Any], data: st.DataObject) -> None:
    damaged = copy.deepcopy(document)
    for _ in range(data.draw(st.integers(1, 3))):
        *parents, last = data.draw(st.sampled_from(_places(damaged)))
        holder = damaged
        for key in parents:
            holder = holder[key]
        # A copy: the junk examples are shared between runs, and a later step may write inside this one.
        holder[last] = copy.deepcopy(data.draw(JUNK))
    try:
        _generate(damaged)
    except GenerationError as error:
        assert error.diagnostics and all("\n" not in d.render() for d in error.diagnostics)


def test_a_second_name_collision_keeps_every_parameter() -> None:
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Collisions", "version": "1"},
        "paths": {
            "/things": {
                "get": {
                    "summary": "List things",
                    "parameters": [
                        {"name": "id", "in": "query", "schema": {"type": "string"}},
                        {"name": "header_id", "in": "query", "schema": {"type": "integer"}},
                        {"name": "Id", "in": "header", "schema": {"type": "boolean"}},
                    ],
                    "responses": {"200": {"description": "OK."}},
                }
            }
        },
    }
    (tool,) = _generate(document).api.tools
    properties = [argument.property_name for argument in tool.binding.arguments]
    assert len(set(properties)) == 3, properties
    assert len(tool.input_schema["properties"]) == 3

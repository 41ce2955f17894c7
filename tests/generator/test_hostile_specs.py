"""Broken and hostile specs through the real command line: bad input gets a clear error and nothing is lost.

Each case runs the command line (`python -m generator generate`, its `main` in this process) on one spec from `tests/fixtures/hostile/` (or one
built here, when it is too big to commit), into an output folder that already holds a previous run. Either:

- it is refused: exit 2, every stderr line a one-line error naming the file (and a JSON pointer when the problem
  is inside the document), no traceback, and the previous output untouched; or
- it is generated, with the expected warnings: every Python file compiles, the package imports, tools.json
  parses, and hostile text sits in the tool data verbatim, as data (never rendered by Jinja, never executed).

The stderr lines are snapshotted (with the temporary folder as `<tmp>`); read a changed snapshot before
accepting it with `--snapshot-update`.
"""

from __future__ import annotations

import faulthandler
import io
import json
import re
import shutil
import sys
import tokenize
from collections.abc import Callable, Iterator
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jsonschema
import mcp.types
import pytest
import yaml
from syrupy.assertion import SnapshotAssertion

from generator import cli
from tests.conftest import ROOT
from tests.support.generated import assert_imports

HOSTILE = ROOT / "tests" / "fixtures" / "hostile"
PREVIOUS = b"previous\n"
# Kinds about the file as a whole (it cannot be read or parsed, or is no API description at all): their lines
# name the file, and a line number where the parser knows one, but no JSON pointer.
FILE_LEVEL_KINDS = frozenset(
    {
        "invalid-yaml",
        "invalid-json",
        "not-utf8",
        "not-a-mapping",
        "not-openapi",
        "file-not-found",
        "too-large",
        "bad-file-name",
    }
)
ERROR_LINE = re.compile(r"^<tmp>/\S.*?(:\d+)?: error: .+ \[(?P<kind>[a-z0-9-]+)\]$")
WARNING_LINE = re.compile(r"^<tmp>/\S.*?(:\d+)?: warning: .+ \[(?P<kind>[a-z0-9-]+)\]$")
SUMMARY_LINE = re.compile(r"^warnings by kind: [a-z0-9-]+: \d+(, [a-z0-9-]+: \d+)*$")
# Text that must never run: the injection fixture tries to make the generated code `touch PWNED`.
MARKER = "PWNED"
WATCHDOG_SECONDS = 300


# -- specs built at test time (too big, or with a name a repository should not hold) --------------------------


def _spec(title: str, operation: dict[str, Any], path: str = "/items") -> dict[str, Any]:
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {path: {"post" if "requestBody" in operation else "get": operation}},
    }


def _write_json(folder: Path, name: str, document: dict[str, Any]) -> Path:
    path = folder / name
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


SENTENCE = "This sentence is one of very many in a description of five megabytes. "


def _huge_description(folder: Path) -> Path:
    operation = {
        "operationId": "listItems",
        "summary": "List items",
        "description": SENTENCE * (5_000_000 // len(SENTENCE) + 1),
        "responses": {"200": {"description": "The items."}},
    }
    return _write_json(folder, "huge_description.json", _spec("Huge description", operation))


ENUM_VALUES = [f"code_{index:05d}" for index in range(10_000)]


def _enum_10000(folder: Path) -> Path:
    parameter = {"name": "code", "in": "query", "description": "The code.", "schema": {"type": "string"}}
    parameter["schema"]["enum"] = ENUM_VALUES
    operation = {
        "operationId": "listItems",
        "summary": "List items",
        "parameters": [parameter],
        "responses": {"200": {"description": "The items."}},
    }
    return _write_json(folder, "enum_10000.json", _spec("Big enum", operation))


def _nested(levels: int) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "string", "description": "The innermost value."}
    for level in reversed(range(levels)):
        schema = {"type": "object", "description": f"Level {level}.", "properties": {f"level_{level}": schema}}
    return schema


def _nesting(folder: Path, levels: int, name: str) -> Path:
    operation = {
        "operationId": "createItem",
        "summary": "Create an item",
        "requestBody": {"content": {"application/json": {"schema": _nested(levels)}}},
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": _nested(levels)}}}},
    }
    return _write_json(folder, name, _spec("Deep nesting", operation))


def _ref_chain(folder: Path) -> Path:
    """Five schemas of 60 nested levels, each ending in a reference to the next: shallow files, a deep schema."""
    schemas = {}
    for index in range(5):
        leaf: dict[str, Any] = {"$ref": f"#/components/schemas/Part{index + 1}"} if index < 4 else {"type": "string"}
        schema = leaf
        for level in reversed(range(60)):
            schema = {"type": "object", "description": f"Level {level}.", "properties": {f"level_{level}": schema}}
        schemas[f"Part{index}"] = schema
    operation = {
        "operationId": "createItem",
        "summary": "Create an item",
        "requestBody": {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Part0"}}}},
        "responses": {"201": {"description": "Created."}},
    }
    return _write_json(
        folder, "ref_chain.json", {**_spec("Reference chain", operation), "components": {"schemas": schemas}}
    )


def _hostile_file_name(folder: Path) -> Path:
    """A valid spec whose file name would put code on its own line in every generated file's banner comment."""
    path = folder / f"spec\n__import__('os').system('touch {MARKER}')\n.yaml"
    shutil.copy(HOSTILE / "response_code_integer.yaml", path)
    return path


def _markup_file_name(folder: Path) -> Path:
    """A valid spec whose file name would end the HTML comment the README's banner puts it in, and open a tag."""
    path = folder / "x --><img src=x onerror=alert(1)>.yaml"
    shutil.copy(HOSTILE / "response_code_integer.yaml", path)
    return path


def _coding_file_name(folder: Path) -> Path:
    """A valid spec whose file name, in the banner on each Python file's first line, would declare that file UTF-7,
    in which `+AAo-` is a line break: the code after it would run on import."""
    path = folder / f"x coding: utf-7 +AAo-import os+ADs-os.system(+ACI-touch {MARKER}+ACI-)+AAo-#.yaml"
    shutil.copy(HOSTILE / "response_code_integer.yaml", path)
    return path


# -- the cases -------------------------------------------------------------------------------------------------

Check = Callable[[dict[str, dict[str, Any]], Path], None]


@dataclass(frozen=True)
class Case:
    """One hostile spec: a fixture path (relative to tests/fixtures/hostile) or a builder, and what must happen."""

    spec: str | Callable[[Path], Path]
    exit_code: int
    kinds: tuple[str, ...]
    """Exit 2: the kind of each stderr line, in order. Exit 0: the warning kinds (each at least once, no others)."""
    check: Check | None = None
    """Exit 0: more checks on the tools (by name) and the output folder."""
    extra: tuple[str, ...] = field(default_factory=tuple)
    """Extra CLI arguments."""


def _refused(spec: str | Callable[[Path], Path], *kinds: str) -> Case:
    return Case(spec, 2, kinds)


def _generated(spec: str | Callable[[Path], Path], *warnings: str, check: Check | None = None) -> Case:
    return Case(spec, 0, warnings, check)


# Checks of exit-0 cases: what the tools must say, and keep.


def _only(tools: dict[str, dict[str, Any]]) -> dict[str, Any]:
    assert len(tools) == 1, list(tools)
    return next(iter(tools.values()))["definition"]


def _validator(schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    with _recursion_limit(20_000):  # checking a 100-level schema against the meta-schema goes deep
        jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@contextmanager
def _recursion_limit(limit: int) -> Iterator[None]:
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, previous))
    try:
        yield
    finally:
        sys.setrecursionlimit(previous)


def check_dangling_local_ref(tools: dict[str, dict[str, Any]], out: Path) -> None:
    properties = _only(tools)["inputSchema"]["properties"]
    assert properties["name"]["type"] == "string"
    assert "type" not in properties["owner"] and "$ref" not in properties["owner"]  # any value, not a broken ref
    _validator(_only(tools)["inputSchema"]).validate({"name": "Rex", "owner": {"anything": [1, "two"]}})


def check_circular_external(tools: dict[str, dict[str, Any]], out: Path) -> None:
    output = _only(tools)["outputSchema"]
    pet = output["$defs"]["Pet"]
    assert pet["properties"]["owner"]["properties"]["pets"]["items"] == {"$ref": "#/$defs/Pet"}
    assert "x-bundled" not in json.dumps(output)
    pets = [{"id": 1, "owner": {"name": "Ann", "pets": [{"id": 2, "owner": None}]}}]
    _validator(output).validate({"id": 3, "owner": {"name": "Bob", "pets": pets}})


def check_duplicate_operation_ids(tools: dict[str, dict[str, Any]], out: Path) -> None:
    assert len(tools) == 3
    assert [tool["binding"]["operationId"] for tool in tools.values()] == ["items"] * 3
    assert [(tool["binding"]["method"], tool["binding"]["path"]) for tool in tools.values()] == [
        ("GET", "/items"),
        ("POST", "/items"),
        ("GET", "/archive/items"),
    ]


def check_colliding_names(tools: dict[str, dict[str, Any]], out: Path) -> None:
    assert len(tools) == 4, "every operation keeps its tool"
    assert all(name.startswith("list_items") for name in tools), list(tools)
    assert sorted(tool["binding"]["operationId"] for tool in tools.values()) == sorted(
        ["listItems", "list-items", "ListItems", "list_items"]
    )


def check_path_param_missing(tools: dict[str, dict[str, Any]], out: Path) -> None:
    tool = next(iter(tools.values()))
    schema = tool["definition"]["inputSchema"]
    assert list(schema["properties"]) == ["item_id", "part_id"]
    assert schema["required"] == ["item_id", "part_id"]
    assert [(a["in"], a["name"]) for a in tool["binding"]["arguments"]] == [("path", "item_id"), ("path", "part_id")]


ODD_ENUM = [1, "two", None, True, 2.5, {"a": 1}, ["x"]]


def check_enum_non_string(tools: dict[str, dict[str, Any]], out: Path) -> None:
    schema = _only(tools)["inputSchema"]
    kind = schema["properties"]["kind"]
    assert kind["enum"] == ODD_ENUM
    validator = _validator(schema)
    for value in ODD_ENUM:
        validator.validate({"kind": value})


def check_response_code_integer(tools: dict[str, dict[str, Any]], out: Path) -> None:
    output = _only(tools)["outputSchema"]
    assert output["properties"]["id"]["type"] == ["integer", "null"]


def check_self_reference(tools: dict[str, dict[str, Any]], out: Path) -> None:
    schema = _only(tools)["inputSchema"]
    validator = _validator(schema)
    value = {"loop": {"any": "thing"}, "either": ["not", "a", "string"], "tree": {"children": [{"children": []}]}}
    assert validator.is_valid(value)  # finishes: no endless recursion through `Loop` or `Either`
    assert not validator.is_valid({"tree": {"children": "no"}})


def check_nameless_operations(tools: dict[str, dict[str, Any]], out: Path) -> None:
    # No words to take: the method says the verb (a GET of a collection lists it), the path the resource.
    assert list(tools) == ["list_party", "list_articles", "create_articles"]
    assert [tool["definition"]["title"] for tool in tools.values()] == ["List Party", "قائمة المقالات", "🎉🎉🎉"]


def check_no_operations(tools: dict[str, dict[str, Any]], out: Path) -> None:
    assert tools == {}


# Checks of quirks that are repaired (with a warning) rather than refused.


def _input(tools: dict[str, dict[str, Any]], name: str) -> dict[str, Any]:
    schema: dict[str, Any] = tools[name]["definition"]["inputSchema"]
    return schema


def check_path_item_list(tools: dict[str, dict[str, Any]], out: Path) -> None:
    assert tools == {}, "the unreadable path item is left out; nothing else was there"


def check_response_code_invalid(tools: dict[str, dict[str, Any]], out: Path) -> None:
    assert _only(tools)["name"] == "list_items"


def check_path_without_slash(tools: dict[str, dict[str, Any]], out: Path) -> None:
    (tool,) = tools.values()
    assert tool["binding"]["path"] == "/items"


def check_invalid_operation(tools: dict[str, dict[str, Any]], out: Path) -> None:
    assert list(tools) == ["list_items"], "the refused operation is left out, the other one kept"


def check_invalid_component(tools: dict[str, dict[str, Any]], out: Path) -> None:
    assert [tool["binding"]["path"] for tool in tools.values()] == ["/status"], "only the operation using it goes"


def check_empty_enum(tools: dict[str, dict[str, Any]], out: Path) -> None:
    state = _only(tools)["inputSchema"]["properties"]["state"]
    assert "enum" not in state and state["type"] == "string"
    _validator(_only(tools)["inputSchema"]).validate({"state": "open"})


def check_type_list_in_30(tools: dict[str, dict[str, Any]], out: Path) -> None:
    schema = _only(tools)["inputSchema"]
    validator = _validator(schema)
    assert schema["properties"]["name"]["type"] == ["string", "null"]
    for good in ({"name": None, "size": 3, "note": None}, {"name": "a", "size": "big", "note": "n"}):
        validator.validate(good)
    assert not validator.is_valid({"size": [1]}) and not validator.is_valid({"note": 5})


def check_swagger_type_list(tools: dict[str, dict[str, Any]], out: Path) -> None:
    validator = _validator(_only(tools)["inputSchema"])
    validator.validate({"name": None, "tags": ["a", None]})
    assert not validator.is_valid({"name": 1})


def check_security_scopes(tools: dict[str, dict[str, Any]], out: Path) -> None:
    (tool,) = tools.values()
    assert tool["binding"]["auth"] == ["token"]


def check_missing_responses(tools: dict[str, dict[str, Any]], out: Path) -> None:
    assert list(tools) == ["list_items", "delete_every_item"]
    assert all("outputSchema" not in tool["definition"] for tool in tools.values())


def check_non_string_text(tools: dict[str, dict[str, Any]], out: Path) -> None:
    definition = _only(tools)
    assert "Lists every item. Newest first." in definition["description"]
    assert definition["inputSchema"]["properties"]["limit"]["description"] == "100."


def check_body_on_get(tools: dict[str, dict[str, Any]], out: Path) -> None:
    search, delete = tools["search_items"], tools["delete_items"]
    assert search["binding"]["method"] == "GET" and search["binding"]["body"]["mediaType"] == "application/json"
    assert "query" in search["definition"]["inputSchema"]["properties"]
    assert delete["definition"]["inputSchema"]["required"] == ["ids"]


def check_empty_path_item(tools: dict[str, dict[str, Any]], out: Path) -> None:
    assert list(tools) == ["list_items"]


def check_duplicate_parameters(tools: dict[str, dict[str, Any]], out: Path) -> None:
    limit = _only(tools)["inputSchema"]["properties"]["limit"]
    assert limit == {"description": "How many items to return.", "type": "integer"}
    (tool,) = tools.values()
    assert [argument["name"] for argument in tool["binding"]["arguments"]] == ["limit"]


def check_schema_examples_map(tools: dict[str, dict[str, Any]], out: Path) -> None:
    assert _only(tools)["inputSchema"]["properties"]["name"]["type"] == "string"


def check_component_map_ref(tools: dict[str, dict[str, Any]], out: Path) -> None:
    definition = _only(tools)
    assert definition["inputSchema"]["properties"]["limit"]["type"] == "integer"
    item = definition["outputSchema"]["properties"]["result"]["items"]
    assert item["properties"]["kind"]["enum"] == ["cat", "dog", None]


def check_operation_ref(tools: dict[str, dict[str, Any]], out: Path) -> None:
    assert list(tools) == ["list_items", "create_item", "show_item"]
    assert _input(tools, "create_item")["properties"]["name"]["type"] == "string"
    assert _input(tools, "show_item")["required"] == ["item_id"]
    assert tools["show_item"]["binding"]["path"] == "/items/{item_id}"


def check_markdown_refs(tools: dict[str, dict[str, Any]], out: Path) -> None:
    description = _only(tools)["description"]
    assert "Lists every item, newest first." in description and "key: not YAML, just text" in description
    assert "curl" not in json.dumps(tools), "a code sample is not text the tools carry"


def check_content_format(tools: dict[str, dict[str, Any]], out: Path) -> None:
    definition = _only(tools)
    assert definition["inputSchema"]["properties"]["name"]["description"] == "Name of the item."
    assert definition["outputSchema"]["properties"]["id"]["type"] == ["integer", "null"]


def check_format_by_content(tools: dict[str, dict[str, Any]], out: Path) -> None:
    assert _only(tools)["name"] == "list_items"


INJECTED = ['"""', "'''", "\\", "${x}", "{{ 7 * 7 }}", "{% if true %}rendered{% endif %}", "{# comment #}"]


def check_template_injection(tools: dict[str, dict[str, Any]], out: Path) -> None:
    (tool,) = tools.values()
    definition, binding = tool["definition"], tool["binding"]
    for text in INJECTED:
        assert text in definition["description"], text
    assert "{% for i in range(3) %}{{ i }}{% endfor %}" in definition["description"]
    assert "49" not in definition["description"] and "012" not in definition["description"]
    assert definition["title"] == "Get an Item {{ 7 * 7 }} \"\"\" ''' \\ ${x}"  # the HTML tag is stripped from prose
    assert binding["operationId"] == "get{{ item }}\"\"\"'''\\${x}</script>"
    properties = definition["inputSchema"]["properties"]
    assert properties["item_id"]["description"] == "The {{ item }} \"\"\" ''' \\ ${x} id."
    assert properties["q"]["enum"] == [
        "{{ 7 * 7 }}",
        "{% if true %}x{% endif %}",
        '"""',
        "'''",
        "\\",
        "</script>",
        "${x}",
    ]
    assert properties["q"]["default"] == "{{ 7 * 7 }}"
    assert properties["q"]["description"] == 'Query {% raw %}"""{% endraw %}.'
    assert properties["x_header"]["default"] == f'"""; import os; os.system("touch {MARKER}"); """'
    assert properties["prop"]["default"] == f'"""\n__import__(\'os\').system(\'touch {MARKER}\')\n"""'
    assert properties["script"]["enum"] == [1, 2]
    assert [argument["name"] for argument in binding["arguments"]] == [
        "item_id",
        "{{ q }}\"\"\"'''\\",
        "X-{{ header }}",
        "{{ prop }}",
        "</script>",
    ]
    assert list(definition["outputSchema"]["properties"]) == ["${x}"]
    provenance = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    assert provenance["apiTitle"] == 'Evil """ + __import__("os").system("touch PWNED") + """ {{ 7 * 7 }} API'
    assert provenance["apiVersion"] == '{{ version }}"""'


CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def check_control_and_unicode(tools: dict[str, dict[str, Any]], out: Path) -> None:
    pizzas, article = (tool["definition"] for tool in tools.values())
    for text in (pizzas["title"], pizzas["description"], article["title"], article["description"]):
        assert not CONTROL_CHARACTERS.search(text), ascii(text)
    assert pizzas["title"] == "List 🍕 Pizzas for a Shop"
    for kept in ("🎉", "👨\u200d👩\u200d👧", "עברית", "العربية", "zero\u200bwidth", "tab here"):
        assert kept in pizzas["description"], kept
    properties = pizzas["inputSchema"]["properties"]
    assert properties["shop_id"]["description"] == "ID of the shop 🏪."
    assert properties["na_ve"]["description"] == "A name in 日本語."
    assert properties["topping"]["enum"] == ["🍕", "עברית", "\u202e", "a\x00b", "مرحبا"]  # data stays as it is
    assert pizzas["outputSchema"]["properties"]["🍕"]["description"] == "A slice."
    pizzas_binding, article_binding = (tool["binding"] for tool in tools.values())
    assert pizzas_binding["operationId"] == "list\x00Pizzas\u202e"
    wires = [argument["name"] for argument in next(iter(tools.values()))["binding"]["arguments"]]
    assert wires == ["shop_id", "naïve_名前", "nul\x00name", "topping"]
    assert article["title"] == "اقرأ المقال"
    assert article_binding["path"] == "/مقالات/{id}"
    api = json.loads(next((out / "src").glob("*/api.json")).read_text(encoding="utf-8"))
    assert "Café 🚀" in api["title"] and not CONTROL_CHARACTERS.search(api["title"] + api["name"])


def check_null_keywords(tools: dict[str, dict[str, Any]], out: Path) -> None:
    properties = _only(tools)["inputSchema"]["properties"]
    assert properties["name"] == {"description": "The name.", "type": "string"}
    assert properties["parts"]["properties"]["size"]["type"] == "integer"
    assert "null" not in json.dumps(_only(tools)["inputSchema"])


def check_swagger_odd_collection_format(tools: dict[str, dict[str, Any]], out: Path) -> None:
    (tool,) = tools.values()
    assert [(a["name"], a.get("style", "form"), a["explode"]) for a in tool["binding"]["arguments"]] == [
        ("ids", "form", False),
        ("tags", "form", False),
    ]


def _whole_input(out: Path, name: str) -> dict[str, Any]:
    """The whole input schema of a tool whose listing carries a reduced one (input_schemas.json)."""
    (path,) = (out / "src").glob("*/input_schemas.json")
    schema: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))["inputSchemas"][name]
    return schema


def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def check_ref_chain(tools: dict[str, dict[str, Any]], out: Path) -> None:
    (entry,) = tools.values()
    assert entry["binding"]["reduced"] is True and _depth(entry["definition"]) <= 32, "the listing stays readable"
    node = _whole_input(out, entry["definition"]["name"])
    levels = 0
    while "properties" in node:
        (node,) = node["properties"].values()
        levels += 1
    assert 195 <= levels <= 200, levels
    assert "type" not in node, "the part past the limit is any value"


def check_huge_description(tools: dict[str, dict[str, Any]], out: Path) -> None:
    description = _only(tools)["description"]
    # The opening "List items." says no more than the name, which the model reads first: the details lead.
    assert description.startswith("This sentence is one of very many")
    assert len(description) < 2_000, "the description is cut at a sentence end within the budget"
    assert "many in a description of five megabytes.\n\n" in description
    assert next((out / "src").glob("*/tools.json")).stat().st_size < 100_000


def check_enum_10000(tools: dict[str, dict[str, Any]], out: Path) -> None:
    # 130 KB of choices cannot be in tools/list (the budget types the optional argument only); the whole schema,
    # which describe_operation shows and the server checks arguments against, keeps every one.
    assert _only(tools)["inputSchema"]["properties"]["code"] == {"type": "string"}
    whole = json.loads(next((out / "src").glob("*/input_schemas.json")).read_text())
    (schema,) = whole["inputSchemas"].values()
    assert schema["properties"]["code"]["enum"] == ENUM_VALUES
    validator = _validator(schema)
    assert validator.is_valid({"code": "code_09999"}) and not validator.is_valid({"code": "code_10000"})


def check_nesting_100(tools: dict[str, dict[str, Any]], out: Path) -> None:
    definition = _only(tools)
    # What tools/list carries nests at most 32 levels, which every client parses; the deeper part is open.
    assert _depth(definition) <= 32
    assert "describe_operation" in json.dumps(definition["inputSchema"])
    (outputs,) = (out / "src").glob("*/output_schemas.json")
    whole_output = json.loads(outputs.read_text(encoding="utf-8"))["outputSchemas"][definition["name"]]
    for schema in (_whole_input(out, definition["name"]), whole_output):
        node = schema["properties"]["level_0"]
        for level in range(1, 100):
            node = node["properties"][f"level_{level}"]
        assert node["description"] == "The innermost value."
        _validator(schema)


def check_unsafe_patterns(tools: dict[str, dict[str, Any]], out: Path) -> None:
    definition = _only(tools)
    (outputs,) = (out / "src").glob("*/output_schemas.json")
    whole_output = json.loads(outputs.read_text(encoding="utf-8"))["outputSchemas"].get(definition["name"])
    text = json.dumps([definition, whole_output])
    for unsafe in ("^(a+)+$", r"^(\\w+\\s?)*$", "^(x|x)*$", r"^\\w+([\\.-]?\\w+)*@"):
        assert unsafe not in text, unsafe
    inputs = definition["inputSchema"]["properties"]
    assert "pattern" not in inputs["code"] and inputs["slug"]["pattern"] == "^[a-z0-9-]+$"
    assert "pattern" not in inputs["words"] and inputs["day"]["pattern"] == r"^\d{4}-\d{2}-\d{2}$"
    assert "patternProperties" not in inputs["labels"] and "additionalProperties" not in inputs["labels"]
    outputs_shown = definition["outputSchema"]["properties"]
    assert "pattern" not in outputs_shown["email"] and outputs_shown["contact"]["pattern"].startswith("^[^@")


def check_server_url_markup(tools: dict[str, dict[str, Any]], out: Path) -> None:
    readme = (out / "README.md").read_text(encoding="utf-8")
    for text in ("<img", "<script", "javascript:", "onerror"):
        assert text not in readme, text
    assert "Replaces `https://api.example.com/v2`" in readme
    (runtime,) = (out / "src").glob("*/tools.json")
    servers = json.loads(runtime.read_text(encoding="utf-8"))["servers"]
    assert [server["default"] for server in servers.values()] == ["https://api.example.com/v2"]
    assert _only(tools) and next(iter(tools.values()))["binding"]["server"] == "BASE_URL"


def check_markup_in_file_name(tools: dict[str, dict[str, Any]], out: Path) -> None:
    for name in ("README.md", "TOOLS.md"):
        text = (out / name).read_text(encoding="utf-8")
        banner = text.splitlines()[0]
        assert re.fullmatch(r"<!-- Generated by openapi-mcp-gen from x -&#45;&gt;&lt;img [^<>]* -->", banner), banner
        assert "--" not in banner[4:-3] and "<img" not in text, name


def check_coding_in_file_name(tools: dict[str, dict[str, Any]], out: Path) -> None:
    sources = sorted(out.rglob("*.py"))
    assert sources
    for path in sources:
        with path.open("rb") as source:
            assert tokenize.detect_encoding(source.readline)[0] == "utf-8", path


CASES: dict[str, Case] = {
    # refused, with a clear error
    "invalid-yaml": _refused("invalid_yaml.yaml", "invalid-yaml"),
    "json-trailing-commas": _refused("trailing_commas.json", "invalid-json"),
    "not-openapi": _refused("not_openapi.yaml", "not-openapi"),
    "unsupported-openapi-version": _refused("unsupported_version.yaml", "unsupported-version"),
    "unsupported-swagger-version": _refused("unsupported_swagger.json", "unsupported-version"),
    "dangling-file-ref": _refused("dangling_file_ref.yaml", "file-not-found", "dangling-ref"),
    "ref-outside-folder": _refused("ref_outside_folder.yaml", "ref-outside-folder"),
    "ref-to-url": _refused("ref_url.yaml", "remote-ref", "ref-outside-folder", "unsupported-ref"),
    "empty-file": _refused("empty.yaml", "not-a-mapping"),
    "yaml-list": _refused("yaml_list.yaml", "not-a-mapping"),
    "binary-file": _refused("binary.png", "not-utf8"),
    "raw-nul-byte": _refused("raw_nul.yaml", "invalid-yaml"),
    "alias-bomb": _refused("alias_bomb.yaml", "too-large"),
    "recursive-alias": _refused("recursive_alias.yaml", "invalid-yaml"),
    "lone-surrogate": _refused("lone_surrogate.json", "not-unicode"),
    "nesting-300-levels": _refused(lambda folder: _nesting(folder, 300, "nesting_300.json"), "too-deep"),
    "control-characters-in-file-name": _refused(_hostile_file_name, "bad-file-name"),
    "strict-makes-repairs-errors": Case("control_and_unicode.json", 2, ("control-character",), extra=("--strict",)),
    # generated, with warnings where the input is odd
    "dangling-local-ref": _generated("dangling_local_ref.yaml", "dangling-ref", check=check_dangling_local_ref),
    "circular-external-refs": _generated("circular_external/main.yaml", check=check_circular_external),
    "duplicate-operation-ids": _generated(
        "duplicate_operation_ids.yaml", "duplicate-operation-id", check=check_duplicate_operation_ids
    ),
    "names-colliding-after-snake-case": _generated("colliding_names.yaml", check=check_colliding_names),
    "path-parameter-missing-from-path": _generated(
        "path_param_missing.yaml",
        "unused-path-parameter",
        "undeclared-path-parameter",
        check=check_path_param_missing,
    ),
    "non-string-enum-values": _generated("enum_non_string.yaml", "enum-type-mismatch", check=check_enum_non_string),
    "response-code-integer": _generated("response_code_integer.yaml", check=check_response_code_integer),
    "self-referencing-schemas": _generated("self_reference.yaml", "circular-ref", check=check_self_reference),
    "names-without-ascii": _generated("nameless_operations.yaml", check=check_nameless_operations),
    "no-operations": _generated("no_operations.yaml", "no-operations", check=check_no_operations),
    "template-injection": _generated("template_injection.yaml", check=check_template_injection),
    "control-characters-and-unicode": _generated(
        "control_and_unicode.json", "control-character", check=check_control_and_unicode
    ),
    "null-schema-keywords": _generated("null_keywords.yaml", check=check_null_keywords),
    "swagger-odd-collection-format": _generated(
        "swagger_odd_collection_format.json",
        "unsupported-collection-format",
        check=check_swagger_odd_collection_format,
    ),
    "ref-chain-deeper-than-200": _generated(_ref_chain, "too-deep", "tool-reduced", check=check_ref_chain),
    "description-of-5-mb": _generated(_huge_description, check=check_huge_description),
    "enum-of-10000-values": _generated(_enum_10000, "tool-reduced", check=check_enum_10000),
    "nesting-100-levels": _generated(
        lambda folder: _nesting(folder, 100, "nesting_100.json"), "tool-reduced", check=check_nesting_100
    ),
    # repaired, with a warning each, instead of refused
    "path-item-is-a-list": _generated(
        "path_item_list.yaml", "invalid-path-item", "no-operations", check=check_path_item_list
    ),
    "response-code-not-a-code": _generated(
        "response_code_invalid.yaml", "invalid-response-code", check=check_response_code_invalid
    ),
    "path-without-slash": _generated("path_without_slash.yaml", "path-without-slash", check=check_path_without_slash),
    "operation-the-validator-refuses": _generated(
        "invalid_operation.yaml", "invalid-operation", check=check_invalid_operation
    ),
    "component-the-validator-refuses": _generated(
        "invalid_component.yaml", "invalid-operation", "invalid-component", check=check_invalid_component
    ),
    "empty-enum": _generated("empty_enum.yaml", "empty-enum", check=check_empty_enum),
    "type-lists-in-openapi-3.0": _generated(
        "type_list_in_30.yaml", "type-list", "null-type", check=check_type_list_in_30
    ),
    "type-lists-and-anyof-in-swagger-2.0": _generated(
        "swagger_type_list.json", "type-list", "null-type", check=check_swagger_type_list
    ),
    "security-scopes-not-a-list": _generated("security_scopes.yaml", "security-scopes", check=check_security_scopes),
    "operations-without-responses": _generated(
        "missing_responses.yaml", "missing-responses", check=check_missing_responses
    ),
    "non-string-text": _generated("non_string_text.yaml", "non-string-text", check=check_non_string_text),
    "body-on-get-and-delete": _generated("body_on_get.yaml", check=check_body_on_get),
    "empty-path-item": _generated("empty_path_item.yaml", "invalid-path-item", check=check_empty_path_item),
    "duplicate-parameters": _generated(
        "duplicate_parameters.yaml", "duplicate-parameter", check=check_duplicate_parameters
    ),
    "schema-examples-as-a-map": _generated("schema_examples_map.yaml", "examples-map", check=check_schema_examples_map),
    "component-maps-as-file-refs": _generated(
        "component_map_ref/main.yaml", "component-map-ref", check=check_component_map_ref
    ),
    "operations-and-path-items-as-file-refs": _generated(
        "operation_ref/main.yaml", "operation-ref", check=check_operation_ref
    ),
    "markdown-and-code-sample-refs": _generated("markdown_refs/main.yaml", "text-ref", check=check_markdown_refs),
    "format-from-content-of-referenced-files": _generated("content_format/main.yaml", check=check_content_format),
    "format-from-content-of-the-spec": _generated("format_by_content.unprocessed", check=check_format_by_content),
    # text that would run, freeze or render where it lands, made harmless
    "patterns-that-backtrack-exponentially": _generated(
        "unsafe_patterns.yaml", "unsafe-pattern", check=check_unsafe_patterns
    ),
    "markup-in-server-urls": _generated("server_url_markup.yaml", "invalid-server-url", check=check_server_url_markup),
    "comment-end-and-markup-in-file-name": _generated(_markup_file_name, check=check_markup_in_file_name),
    "encoding-declaration-in-file-name": _generated(_coding_file_name, check=check_coding_in_file_name),
}


# -- running one case ------------------------------------------------------------------------------------------


def _prepare_spec(case: Case, folder: Path) -> Path:
    """The spec in a fresh folder of its own: a copy of the fixture (with its sibling files), or a built one."""
    folder.mkdir()
    if callable(case.spec):
        return case.spec(folder)
    source = HOSTILE / case.spec
    if source.parent != HOSTILE:  # a multi-file case: its whole folder
        shutil.copytree(source.parent, folder, dirs_exist_ok=True)
    else:
        shutil.copy(source, folder / source.name)
    return folder / source.name


def _tree(root: Path) -> dict[str, bytes]:
    return {path.relative_to(root).as_posix(): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def _stderr_lines(stderr: str, tmp_path: Path) -> list[str]:
    return stderr.replace(str(tmp_path), "<tmp>").splitlines()


def _python_tokens_outside_strings(text: str) -> Iterator[str]:
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.type not in (tokenize.STRING, tokenize.COMMENT):
            yield token.string


def _check_generated_package(out: Path, tmp_path: Path) -> dict[str, dict[str, Any]]:
    """Compile every Python file, import the server in a fresh interpreter, parse tools.json; the tools by name."""
    for path in sorted(out.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        compile(text, str(path), "exec")
        for token in _python_tokens_outside_strings(text):
            assert MARKER not in token, f"{path}: spec text outside a string literal: {token!r}"
    (package,) = [p.name for p in (out / "src").iterdir() if p.is_dir()]
    workdir = tmp_path / "import"
    workdir.mkdir()
    runtime = assert_imports(out, package, workdir)
    tools = {entry["definition"]["name"]: entry for entry in runtime["tools"]}
    assert len(tools) == len(runtime["tools"]), "tool names are unique"
    for name, entry in tools.items():
        definition = entry["definition"]
        assert re.fullmatch(r"[A-Za-z0-9_.-]{1,64}", name), name
        mcp.types.Tool.model_validate(definition)
        _validator(definition["inputSchema"])
        if "outputSchema" in definition:
            _validator(definition["outputSchema"])
    assert not list(tmp_path.rglob(MARKER)), "spec text was executed"
    return tools


def _run_command_line(arguments: list[str]) -> tuple[int, str, str]:
    """`python -m generator *arguments`, run by the command line's own `main` in this process (a new interpreter
    for each of these cases would double the module's time; tests/generator/test_cli.py runs the real one): the
    exit code, stdout and stderr. A case still running after WATCHDOG_SECONDS ends the worker, with every
    thread's stack on stderr, instead of holding up the suite."""
    stdout, stderr = io.StringIO(), io.StringIO()
    faulthandler.dump_traceback_later(WATCHDOG_SECONDS, exit=True)
    try:
        with redirect_stdout(stdout), redirect_stderr(stderr):
            exit_code = cli.main(arguments)
    finally:
        faulthandler.cancel_dump_traceback_later()
    return exit_code, stdout.getvalue(), stderr.getvalue()


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_spec(name: str, tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    case = CASES[name]
    spec = _prepare_spec(case, tmp_path / "spec")
    out = tmp_path / "out"
    out.mkdir()
    (out / "provenance.json").write_bytes(PREVIOUS)
    config = tmp_path / "config.yaml"
    config.write_text("output_schema: full  # the checks below read compiled output schemas in full\n")
    before = sorted(p.name for p in tmp_path.iterdir())

    arguments = ["generate", "--spec", str(spec), "--out", str(out), "--config", str(config), *case.extra]
    exit_code, stdout, stderr = _run_command_line(arguments)

    lines = _stderr_lines(stderr, tmp_path)
    assert "Traceback" not in stderr + stdout
    assert exit_code == case.exit_code, stderr
    if case.exit_code == 2:
        assert lines, "an error is explained"
        kinds = []
        for line in lines:
            match = ERROR_LINE.match(line)
            assert match, f"not a one-line error naming the file: {line!r}"
            kinds.append(match["kind"])
            if match["kind"] not in FILE_LEVEL_KINDS:
                assert " (at /" in line, f"no JSON pointer: {line!r}"
        assert tuple(kinds) == case.kinds
        assert _tree(out) == {"provenance.json": PREVIOUS}, "the previous output is untouched"
        assert sorted(p.name for p in tmp_path.iterdir()) == before, "nothing was left beside it"
    else:
        warned = set()
        for line in lines:
            match = WARNING_LINE.match(line)
            assert match or SUMMARY_LINE.match(line), f"unexpected stderr line: {line!r}"
            if match:
                warned.add(match["kind"])
        assert warned == set(case.kinds)
        assert (out / "provenance.json").read_bytes() != PREVIOUS, "the output was replaced"
        tools = _check_generated_package(out, tmp_path)
        assert case.check is not None
        case.check(tools, out)
    assert lines == snapshot


def test_at_least_25_cases_with_a_fixture_each() -> None:
    assert len(CASES) >= 25
    fixtures = {case.spec for case in CASES.values() if isinstance(case.spec, str)}
    on_disk = {
        path.relative_to(HOSTILE).as_posix()
        for path in HOSTILE.rglob("*")
        if path.is_file() and (path.parent == HOSTILE or path.name == "main.yaml")
    }
    assert fixtures == on_disk, "every fixture is used, and every case's fixture exists"


def test_yaml_fixtures_other_than_the_broken_ones_parse() -> None:
    """The fixtures test what they say: only the ones meant to be unreadable fail to parse as YAML."""
    unreadable = {"invalid_yaml.yaml", "raw_nul.yaml", "recursive_alias.yaml"}
    for path in sorted(HOSTILE.rglob("*.yaml")):
        if path.name not in unreadable:
            yaml.safe_load(path.read_text(encoding="utf-8"))

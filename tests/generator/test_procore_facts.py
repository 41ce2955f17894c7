"""The facts of the published package against the Procore catalog in `../shared/specs/procore-catalog.json`:
`specs/procore.yaml` (written in this project's words), `specs/procore-longtail.json` (the catalog's facts for
the rest, with no words at all) and every tool of the generated package exist there with the same method and path,
and their parameters, locations, types and enums, and their bodies' field names and enums are Procore's; where
Procore has an operation in several versions, `procore.yaml` describes the newest. Only facts are
compared, never text. The long-tail file is also checked to be exactly what `specs/tools/catalog_facts.py` makes
of the catalog today, and to hold no summary, description, title or example anywhere."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

from generator.load import load_mapping
from tests.conftest import GENERATED, ROOT, SPEC

LONG_TAIL = ROOT / "specs" / "procore-longtail.json"
EXTRACTOR = ROOT / "specs" / "tools" / "catalog_facts.py"
PROSE = ("summary", "description", "title", "example", "examples", "externalDocs")

METHODS = ("get", "post", "put", "patch", "delete")
COMPANY_HEADER = ("Procore-Company-Id", "header")
"""The catalog leaves this header out of every operation (see ../shared/README.md); Procore requires it."""


def _resolve(document: dict[str, Any], node: Any) -> Any:
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        target: Any = document
        for token in node["$ref"][2:].split("/"):
            target = target[token.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def _operations(document: dict[str, Any]) -> dict[tuple[str, str], tuple[str, dict[str, Any], dict[str, Any]]]:
    found = {}
    for path, item in document["paths"].items():
        for method in METHODS:
            if method in item:
                found[(method, _shape(path))] = (path, item[method], item)
    return found


def _parameters(
    document: dict[str, Any], item: dict[str, Any], operation: dict[str, Any]
) -> dict[tuple[str, str], Any]:
    listed = [_resolve(document, p) for p in [*item.get("parameters", []), *operation.get("parameters", [])]]
    return {(str(p["name"]), str(p["in"])): _resolve(document, p.get("schema", {})) for p in listed}


def _body_schema(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, Any]:
    body = _resolve(document, operation.get("requestBody", {}))
    content = body.get("content", {}) if isinstance(body, dict) else {}
    media = next((m for t, m in content.items() if "json" in t or "form" in t), None)
    return dict(_resolve(document, (media or {}).get("schema", {})))


def _merged(document: dict[str, Any], node: Any) -> Any:
    """A schema with the properties of its `allOf` branches merged in (how a wrapper adds to a shared input)."""
    node = _resolve(document, node)
    if not isinstance(node, dict) or not isinstance(node.get("allOf"), list):
        return node
    properties = dict(node.get("properties", {}))
    for branch in node["allOf"]:
        properties.update(_merged(document, branch).get("properties", {}))
    return {**node, "properties": properties}


def _body_fields(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, set[str]]:
    """Field names of the JSON body: its top level (those it requires without describing too), and one level into
    each object field (Procore's wrappers)."""
    schema = _body_schema(document, operation)
    fields: dict[str, set[str]] = {"": {*schema.get("properties", {}), *schema.get("required", [])}}
    for name, sub in schema.get("properties", {}).items():
        inner = _merged(document, sub)
        if isinstance(inner, dict) and inner.get("properties"):
            fields[name] = set(inner["properties"])
    return fields


def _body_enums(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, set[str]]:
    """The allowed values of the body's fields that list them, at its top level and one level into each wrapper,
    by `wrapper.field` (or `field`)."""
    schema = _body_schema(document, operation)
    found: dict[str, set[str]] = {}
    for name, sub in schema.get("properties", {}).items():
        inner = _merged(document, sub)
        if not isinstance(inner, dict):
            continue
        if inner.get("enum"):
            found[name] = {str(value) for value in inner["enum"]}
        for field, leaf in inner.get("properties", {}).items():
            leaf = _resolve(document, leaf)
            if isinstance(leaf, dict) and leaf.get("enum"):
                found[f"{name}.{field}"] = {str(value) for value in leaf["enum"]}
    return found


def _mismatches(ours: dict[str, Any], catalog: dict[str, Any]) -> list[str]:
    theirs = _operations(catalog)
    problems = []
    for key, (path, operation, item) in _operations(ours).items():
        where = f"{key[0].upper()} {path}"
        if key not in theirs:
            problems.append(f"{where}: no such operation in the catalog")
            continue
        _, their_operation, their_item = theirs[key]
        their_parameters = _parameters(catalog, their_item, their_operation)
        for (name, location), schema in _parameters(ours, item, operation).items():
            if (name, location) == COMPANY_HEADER or location == "path":
                continue  # path names may differ (`{id}`); their positions are the shape compared above
            if (name, location) not in their_parameters:
                problems.append(f"{where}: the catalog has no {location} parameter `{name}`")
                continue
            theirs_schema = their_parameters[(name, location)]
            if schema.get("type") and theirs_schema.get("type") and schema["type"] != theirs_schema["type"]:
                problems.append(f"{where}: `{name}` is {schema['type']} here, {theirs_schema['type']} in the catalog")
            if (
                schema.get("enum")
                and theirs_schema.get("enum")
                and not set(schema["enum"]) <= set(theirs_schema["enum"])
            ):
                problems.append(f"{where}: `{name}` allows values the catalog does not")
        their_fields = _body_fields(catalog, their_operation)
        for wrapper, names in _body_fields(ours, operation).items():
            known = their_fields.get(wrapper)
            if known:  # the catalog simplifies some deep bodies: only fields it describes are compared
                problems += [f"{where}: body field `{wrapper}.{n}` is not Procore's" for n in sorted(names - known)]
        their_enums = _body_enums(catalog, their_operation)
        for field, values in _body_enums(ours, operation).items():
            if field in their_enums and not values <= their_enums[field]:
                problems.append(f"{where}: body field `{field}` allows values the catalog does not")
    return problems


def test_every_operation_and_parameter_is_procores(shared_dir: Path) -> None:
    catalog = json.loads((shared_dir / "specs" / "procore-catalog.json").read_text(encoding="utf-8"))
    ours = load_mapping(SPEC)
    problems = _mismatches(ours, catalog)
    assert not problems, "\n".join(problems)
    assert len(_operations(ours)) == sum(m in item for item in ours["paths"].values() for m in METHODS)


def test_the_check_notices_a_wrong_fact(shared_dir: Path) -> None:
    catalog = json.loads((shared_dir / "specs" / "procore-catalog.json").read_text(encoding="utf-8"))
    ours = load_mapping(SPEC)
    path = next(p for p, item in ours["paths"].items() if "get" in item and item["get"].get("parameters"))
    ours["paths"]["/rest/v9.9/nowhere"] = ours["paths"][path]
    ours["paths"][path]["get"]["parameters"].append({"name": "colour", "in": "query", "schema": {"type": "string"}})
    rfis = "/rest/v1.0/projects/{project_id}/rfis"
    body = _resolve(ours, ours["paths"][rfis]["post"]["requestBody"])["content"]["application/json"]["schema"]
    _resolve(ours, body["properties"]["rfi"])["properties"]["mood"] = {"type": "string"}
    ours["components"]["schemas"]["PunchItemInput"]["properties"]["status"]["enum"].append("Overdue")
    problems = _mismatches(ours, catalog)
    assert problems == [
        f"GET {path}: the catalog has no query parameter `colour`",
        f"POST {rfis}: body field `rfi.mood` is not Procore's",
        "POST /rest/v1.1/punch_items: body field `punch_item.status` allows values the catalog does not",
        "PATCH /rest/v1.1/punch_items/{id}: body field `punch_item.status` allows values the catalog does not",
        "GET /rest/v9.9/nowhere: no such operation in the catalog",
    ]


def _catalog(shared_dir: Path) -> dict[str, Any]:
    return dict(json.loads((shared_dir / "specs" / "procore-catalog.json").read_text(encoding="utf-8")))


def test_every_long_tail_operation_and_parameter_is_procores(shared_dir: Path) -> None:
    long_tail = load_mapping(LONG_TAIL)
    problems = _mismatches(long_tail, _catalog(shared_dir))
    assert not problems, "\n".join(problems)


def _extractor() -> ModuleType:
    spec = importlib.util.spec_from_file_location("catalog_facts", EXTRACTOR)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_long_tail_is_what_the_extractor_makes_of_the_catalog(shared_dir: Path) -> None:
    extractor = _extractor()
    assert extractor.main(["--catalog", str(shared_dir / "specs" / "procore-catalog.json"), "--check"]) == 0, (
        "specs/procore-longtail.json is out of date: run python specs/tools/catalog_facts.py"
    )


def _older_than_the_catalog(ours: dict[str, Any], catalog: dict[str, Any]) -> list[str]:
    """Hand-written operations of which the catalog has a newer version (the same method and path but for the
    `/rest/vX.Y/` segment and parameter names), unless a newer one is hand-written too."""
    extractor = _extractor()
    current, newest = extractor.highest_versions(catalog), extractor.highest_versions(ours)
    return [
        f"{method.upper()} {path}: the catalog's current version is v{current[key][0]}.{current[key][1]}"
        for method, path, _ in extractor.operations(ours)
        if (key := extractor.family(method, path)) in current and extractor.version(path) == newest[key] < current[key]
    ]


def test_every_hand_written_operation_is_the_current_version(shared_dir: Path) -> None:
    """Where Procore has an operation in several versions, `procore.yaml` describes the newest (its facts are then
    compared with that version's above), and the long tail lists nothing newer."""
    problems = _older_than_the_catalog(load_mapping(SPEC), _catalog(shared_dir))
    assert not problems, "\n".join(problems)
    assert load_mapping(LONG_TAIL)["x-catalog-facts"]["newer_than_hand_written"] == []


def test_the_version_check_notices_an_older_version(shared_dir: Path) -> None:
    ours = load_mapping(SPEC)
    ours["paths"]["/rest/v1.0/punch_items"] = ours["paths"].pop("/rest/v1.1/punch_items")
    assert _older_than_the_catalog(ours, _catalog(shared_dir)) == [
        "GET /rest/v1.0/punch_items: the catalog's current version is v1.1",
        "POST /rest/v1.0/punch_items: the catalog's current version is v1.1",
    ]


def _prose(node: Any, pointer: str = "") -> list[str]:
    """Places that hold text: a prose key with a non-empty value, outside `properties` (whose keys are names)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            inside = pointer.endswith("/properties")
            if not inside and key in PROSE and value not in ("", None):
                found.append(f"{pointer}/{key}")
            found += _prose(value, f"{pointer}/{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _prose(value, f"{pointer}/{index}")
    return found


def test_the_long_tail_holds_no_words() -> None:
    long_tail = load_mapping(LONG_TAIL)
    ours = load_mapping(SPEC)
    # Only what it copies from procore.yaml (so that the two merge without a difference) may hold words.
    copied = {
        "/info/title",
        *(f"/servers/{i}/description" for i in range(len(ours["servers"]))),
        *(f"/components/securitySchemes/{name}/description" for name in ours["components"]["securitySchemes"]),
        "/components/parameters/CompanyIdHeader/description",
    }
    assert (
        long_tail["components"]["parameters"]["CompanyIdHeader"] == ours["components"]["parameters"]["CompanyIdHeader"]
    )
    words = [
        place for place in _prose({k: v for k, v in long_tail.items() if k != "x-catalog-facts"}) if place not in copied
    ]
    assert not words, words[:20]


def _package_mismatches(tools: list[dict[str, Any]], catalog: dict[str, Any]) -> list[str]:
    """Each tool's method and path, and the wire names of its query, header and body arguments, against the
    catalog (path names may differ: the path's shape is compared; the company header is the catalog's gap)."""
    theirs = _operations(catalog)
    problems = []
    for entry in tools:
        binding = entry["binding"]
        key = (binding["method"].lower(), _shape(binding["path"]))
        where = f"{entry['definition']['name']} ({binding['method']} {binding['path']})"
        if key not in theirs:
            problems.append(f"{where}: no such operation in the catalog")
            continue
        _, operation, item = theirs[key]
        parameters = _parameters(catalog, item, operation)
        fields = _body_fields(catalog, operation)[""]
        for argument in binding["arguments"]:
            location, names = argument["in"], list(argument.get("members", {}).values()) or [argument["name"]]
            for name in names:
                if location == "path" or (name, location) == COMPANY_HEADER:
                    continue
                if location == "body":
                    if fields and name not in fields:
                        problems.append(f"{where}: body field `{name}` is not Procore's")
                elif (name, location) not in parameters:
                    problems.append(f"{where}: the catalog has no {location} parameter `{name}`")
    return problems


def test_every_tool_of_the_package_is_a_procore_operation(shared_dir: Path) -> None:
    tools = json.loads((GENERATED / "src" / "procore_mcp" / "tools.json").read_text(encoding="utf-8"))["tools"]
    catalog = _catalog(shared_dir)
    problems = _package_mismatches(tools, catalog)
    assert not problems, "\n".join(problems[:40])
    # Every catalog operation is a tool, or left out by the extractor's version rule (counted in the file).
    counts = load_mapping(LONG_TAIL)["x-catalog-facts"]
    left_out = sum(counts["older_versions_dropped"].values()) + len(counts["newer_than_hand_written"])
    assert len(tools) + left_out == counts["catalog"] == len(_operations(catalog))
    assert len({(t["binding"]["method"], _shape(t["binding"]["path"])) for t in tools}) == len(tools)


def test_the_package_check_notices_a_wrong_fact(shared_dir: Path) -> None:
    tools = json.loads((GENERATED / "src" / "procore_mcp" / "tools.json").read_text(encoding="utf-8"))["tools"]
    entry = json.loads(json.dumps(next(t for t in tools if t["definition"]["name"] == "create_rfi")))
    entry["binding"]["arguments"].append({"property": "mood", "in": "body", "name": "mood"})
    entry["binding"]["arguments"].append({"property": "colour", "in": "query", "name": "colour"})
    moved = json.loads(json.dumps(entry))
    moved["binding"]["path"] = "/rest/v9.9/nowhere"
    assert _package_mismatches([entry, moved], _catalog(shared_dir)) == [
        "create_rfi (POST /rest/v1.0/projects/{project_id}/rfis): body field `mood` is not Procore's",
        "create_rfi (POST /rest/v1.0/projects/{project_id}/rfis): the catalog has no query parameter `colour`",
        "create_rfi (POST /rest/v9.9/nowhere): no such operation in the catalog",
    ]

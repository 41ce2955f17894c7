"""The facts of `specs/procore.yaml` (written in this project's words) against the Procore catalog in
`../shared/specs/procore-catalog.json`: every operation exists there with the same method and path, and its
parameters, their locations, types and enums, and its body's field names are Procore's. Only facts are
compared, never text."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from generator.load import load_mapping
from tests.conftest import SPEC

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


def _body_fields(document: dict[str, Any], operation: dict[str, Any]) -> dict[str, set[str]]:
    """Field names of the JSON body: its top level, and one level into each object field (Procore's wrappers)."""
    body = _resolve(document, operation.get("requestBody", {}))
    content = body.get("content", {}) if isinstance(body, dict) else {}
    media = next((m for t, m in content.items() if "json" in t or "form" in t), None)
    schema = _resolve(document, (media or {}).get("schema", {}))
    fields: dict[str, set[str]] = {"": set(schema.get("properties", {}))}
    for name, sub in schema.get("properties", {}).items():
        inner = _resolve(document, sub)
        if isinstance(inner, dict) and inner.get("properties"):
            fields[name] = set(inner["properties"])
    return fields


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
    problems = _mismatches(ours, catalog)
    assert problems == [
        f"GET {path}: the catalog has no query parameter `colour`",
        f"POST {rfis}: body field `rfi.mood` is not Procore's",
        "GET /rest/v9.9/nowhere: no such operation in the catalog",
    ]

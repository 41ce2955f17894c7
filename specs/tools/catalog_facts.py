"""Write `specs/procore-longtail.json`: the facts of every Procore catalog operation `specs/procore.yaml` leaves out.

Reads `../shared/specs/procore-catalog.json` (never part of the project) and keeps only facts: methods, paths,
operationIds that are identifiers, tags, parameters (name, location, required, schema types, formats, enums,
defaults) and the JSON shapes of request bodies and success responses (types, formats, enums, required and
property names). Every summary, description, title and example, at every depth, is left behind: the generator
writes the words from the structure. Run it from the project folder after the catalog or `procore.yaml` changes:

    python specs/tools/catalog_facts.py            # writes specs/procore-longtail.json and prints the counts
    python specs/tools/catalog_facts.py --check    # exit 1 when the committed file is not what it would write

The rules, in order:

1. An operation `procore.yaml` has (same method, same path once parameter names are ignored) is left out: ours
   has the words.
2. Operations that differ only in the `/rest/vX.Y/` segment are one operation in several versions. Where
   `procore.yaml` has any version of it, the catalog's versions are all left out (the hand-written one stands for
   it, and is the highest version; the catalog's highest version, when newer than it, is listed as
   `newer_than_hand_written`, for moving the hand-written one to it, and the facts test fails until the list is
   empty; the rest are counted as dropped). Otherwise only the highest version is kept; the others are counted
   as dropped, by version.
3. An operation the catalog says is deprecated or will be (its own text, never copied, says the endpoint is
   deprecated, to be removed or sunset; a note that some of its fields are deprecated does not count) is kept
   with `deprecated: true`, so search ranks it below its replacement.
4. Procore wants the `Procore-Company-Id` header on every call but two (`GET /rest/v1.0/me` and
   `GET /rest/v1.0/companies`); the catalog dropped it. Every kept `/rest/` operation gets it back as
   `procore.yaml`'s own `CompanyIdHeader` parameter, which the config binds to the `PROCORE_COMPANY_ID` setting.
   `procore.yaml`'s servers, security and security scheme are copied too, so the file stands alone and merges
   into `procore.yaml` (the config's `include_specs`) without a difference.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT.parent / "shared" / "specs" / "procore-catalog.json"
HAND_WRITTEN = ROOT / "specs" / "procore.yaml"
OUTPUT = ROOT / "specs" / "procore-longtail.json"
METHODS = ("get", "put", "post", "delete", "patch")
COMPANY_HEADER = "CompanyIdHeader"
WITHOUT_COMPANY = frozenset({("get", "/rest/v1.0/me"), ("get", "/rest/v1.0/companies")})
"""The two calls Procore takes without the company header."""
SCHEMA_FACTS = frozenset({"type", "format", "enum", "nullable", "minimum", "maximum", "minLength", "maxLength"})
"""Schema keywords copied as they are; `properties`, `items`, `additionalProperties`, `required`, the unions and
`default` are copied with their own rules, and everything else (text) is left behind."""
_VERSION = re.compile(r"^/rest/v(\d+)\.(\d+)/")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_DEPRECATED = re.compile(r"deprecat|sunset", re.IGNORECASE)
_ONLY_FIELDS = re.compile(r"\b(keys|fields|attributes|parameters|params)\s+(are|is)\s+deprecated", re.IGNORECASE)


def shape(path: str) -> str:
    """The path with every parameter name left out: `/projects/{id}` and `/projects/{project_id}` are one path."""
    return re.sub(r"\{[^}]+\}", "{}", path)


def version(path: str) -> tuple[int, int]:
    """The path's `/rest/vX.Y/` version as numbers; (0, 0) for paths without one."""
    found = _VERSION.match(path)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def family(method: str, path: str) -> tuple[str, str]:
    """What stays the same across an operation's versions: the method and the path without its version."""
    return method, _VERSION.sub("/rest/", shape(path))


def highest_versions(document: dict[str, Any]) -> dict[tuple[str, str], tuple[int, int]]:
    """The highest API version each operation family (`family`) has in a document."""
    highest: dict[tuple[str, str], tuple[int, int]] = {}
    for method, path, _ in operations(document):
        key = family(method, path)
        highest[key] = max(highest.get(key, (0, 0)), version(path))
    return highest


def is_deprecated(operation: dict[str, Any]) -> bool:
    """Whether the catalog's text says the endpoint itself is deprecated (read, never copied)."""
    text = f"{operation.get('summary', '')} {operation.get('description', '')}"
    return bool(_DEPRECATED.search(_ONLY_FIELDS.sub("", text)))


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every (method, path, operation) of a document, in its order."""
    return [(m, p, item[m]) for p, item in document["paths"].items() for m in METHODS if m in item]


def facts(schema: Any) -> Any:
    """A schema with only its facts: types, formats, enums, defaults, required and property names, at every depth."""
    if not isinstance(schema, dict):
        return schema if isinstance(schema, bool) else {}
    kept: dict[str, Any] = {key: schema[key] for key in schema if key in SCHEMA_FACTS}
    if schema.get("default") is not None and not isinstance(schema["default"], (dict, list)):
        kept["default"] = schema["default"]
    if isinstance(schema.get("properties"), dict):
        kept["properties"] = {str(name): facts(sub) for name, sub in schema["properties"].items()}
    if isinstance(schema.get("required"), list) and schema["required"]:
        kept["required"] = [str(name) for name in schema["required"]]
    for keyword in ("items", "additionalProperties"):
        if keyword in schema:
            kept[keyword] = facts(schema[keyword])
    for keyword in ("anyOf", "oneOf", "allOf"):
        if isinstance(schema.get(keyword), list):
            kept[keyword] = [facts(branch) for branch in schema[keyword]]
    return kept


def parameter(raw: dict[str, Any]) -> dict[str, Any]:
    """A parameter's facts: name, location, whether it is required, and its schema."""
    kept: dict[str, Any] = {"name": raw["name"], "in": raw["in"]}
    if raw.get("required") or raw["in"] == "path":
        kept["required"] = True
    kept["schema"] = facts(raw.get("schema", {}))
    return kept


def content(raw: dict[str, Any]) -> dict[str, Any]:
    """Media types and their schemas' facts."""
    return {
        media: {"schema": facts(entry.get("schema", {}))} for media, entry in raw.items() if isinstance(entry, dict)
    }


def operation(method: str, path: str, raw: dict[str, Any], deprecated: bool) -> dict[str, Any]:
    """An operation's facts, with the company header where Procore wants it."""
    kept: dict[str, Any] = {}
    operation_id = str(raw.get("operationId", ""))
    if _IDENTIFIER.fullmatch(operation_id):
        kept["operationId"] = operation_id
    kept["tags"] = [str(tag) for tag in raw.get("tags", [])]
    if deprecated:
        kept["deprecated"] = True
    parameters = [parameter(p) for p in raw.get("parameters", [])]
    if path.startswith("/rest/") and (method, path) not in WITHOUT_COMPANY:
        parameters.append({"$ref": f"#/components/parameters/{COMPANY_HEADER}"})
    if parameters:
        kept["parameters"] = parameters
    body = raw.get("requestBody")
    if isinstance(body, dict) and isinstance(body.get("content"), dict):
        kept["requestBody"] = {"required": bool(body.get("required")), "content": content(body["content"])}
    responses = raw.get("responses", {})
    success = [status for status in responses if str(status).startswith("2")] or list(responses)[:1]
    kept["responses"] = {
        str(status): {
            "description": "",
            **({"content": content(c)} if isinstance(c := responses[status].get("content"), dict) else {}),
        }
        for status in success
    }
    return kept


def long_tail(catalog: dict[str, Any], ours: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The facts document and the counts of what each rule did."""
    hand_written = {(m, shape(p)) for m, p, _ in operations(ours)}
    our_versions = highest_versions(ours)
    listed = operations(catalog)
    highest = highest_versions(catalog)
    counts: dict[str, Any] = {"catalog": len(listed), "hand_written": 0, "newer_than_hand_written": [], "kept": 0}
    dropped: Counter[str] = Counter()
    deprecated: list[str] = []
    paths: dict[str, dict[str, Any]] = {}
    for method, path, raw in listed:
        key, label = family(method, path), f"{method.upper()} {path}"
        if (method, shape(path)) in hand_written:
            counts["hand_written"] += 1
        elif key in our_versions and version(path) == highest[key] > our_versions[key]:
            counts["newer_than_hand_written"].append(label)
        elif key in our_versions or version(path) < highest[key]:
            dropped["v{}.{}".format(*version(path))] += 1
        else:
            flagged = is_deprecated(raw)
            if flagged:
                deprecated.append(label)
            paths.setdefault(path, {})[method] = operation(method, path, raw, flagged)
            counts["kept"] += 1
    counts["older_versions_dropped"] = dict(sorted(dropped.items()))
    counts["deprecated"] = deprecated
    return document(catalog, ours, paths), counts


def document(catalog: dict[str, Any], ours: dict[str, Any], paths: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The facts wrapped as an OpenAPI document with `procore.yaml`'s servers, security and company header."""
    tags: list[str] = []
    for item in paths.values():
        for raw in item.values():
            tags.extend(tag for tag in raw["tags"] if tag not in tags)
    components = ours["components"]
    return {
        "openapi": "3.0.3",
        "info": {"title": ours["info"]["title"], "version": str(catalog["info"]["version"])},
        "servers": ours["servers"],
        "security": ours["security"],
        "tags": [{"name": tag} for tag in tags],
        "paths": paths,
        "components": {
            "securitySchemes": components["securitySchemes"],
            "parameters": {COMPANY_HEADER: components["parameters"][COMPANY_HEADER]},
        },
    }


def text(document: dict[str, Any]) -> str:
    """The file as committed: JSON, one key a line, in the catalog's order."""
    return json.dumps(document, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Write (or `--check`) the long-tail facts file and print the counts."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--catalog", type=Path, default=CATALOG)
    parser.add_argument("--out", type=Path, default=OUTPUT)
    parser.add_argument("--check", action="store_true", help="compare with the file instead of writing it")
    args = parser.parse_args(argv)
    if not args.catalog.is_file():
        print(f"{args.catalog}: not found (../shared is beside the project on developer machines)", file=sys.stderr)
        return 2
    catalog = json.loads(args.catalog.read_text(encoding="utf-8"))
    ours = yaml.safe_load(HAND_WRITTEN.read_text(encoding="utf-8"))
    written, counts = long_tail(catalog, ours)
    counts["catalog_sha256"] = hashlib.sha256(args.catalog.read_bytes()).hexdigest()
    written["x-catalog-facts"] = counts  # what each rule did, kept with the file
    summary = {k: (len(v) if isinstance(v, list) else v) for k, v in counts.items()}
    print(json.dumps(summary, indent=1))
    if args.check:
        current = args.out.read_text(encoding="utf-8") if args.out.is_file() else ""
        if current != text(written):
            print(f"{args.out} is out of date: run python specs/tools/catalog_facts.py", file=sys.stderr)
            return 1
        return 0
    args.out.write_text(text(written), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

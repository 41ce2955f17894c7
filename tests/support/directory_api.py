"""A stress spec: a directory API of hundreds of operations over one wide, deep, fully described entity type.

Every operation sends or returns the same `Member` entity (nested objects several levels deep, every property
described, enums and arrays of objects among them), so nearly every tool is over the per-tool budget and the
reduction runs on large schemas shared by hundreds of operations, as it does on real directory APIs.

    python -m tests.support.directory_api OUT.yaml [OPERATIONS]
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import yaml

OPERATIONS = 1300
_ACTIONS = ("list", "get", "create", "update", "replace", "delete", "restore", "check", "assign", "revoke")
_NESTED = ("profile", "contact", "employment", "settings", "security", "licence", "device", "audit")
_SCALARS = ("name", "code", "status", "region", "label", "owner", "source", "note", "kind", "level", "tier", "tag")
_SENTENCE = "It is kept as the directory received it and returned unchanged to every caller that may read it."


def _scalar(name: str, parent: str, index: int) -> dict[str, Any]:
    """A described leaf: a string, an enum, an integer or a date-time, by turns."""
    description = f"The {name} of the {parent}, as the directory records it. {_SENTENCE}"
    kind = index % 4
    if kind == 0:
        return {"type": "string", "description": description, "maxLength": 256}
    if kind == 1:
        return {"type": "string", "description": description, "enum": [f"{name}_{n}" for n in range(6)]}
    if kind == 2:
        return {"type": "integer", "description": description, "minimum": 0, "example": index}
    return {"type": "string", "format": "date-time", "description": description}


def _object(parent: str, depth: int, width: int) -> dict[str, Any]:
    """An object `depth` levels deep: `width` described leaves and, above the last level, two nested objects
    (one of them a list)."""
    properties: dict[str, Any] = {
        f"{name}_{n}" if n else name: _scalar(name, parent, n + i)
        for i, name in enumerate(_SCALARS)
        for n in range(max(1, width // len(_SCALARS)))
    }
    if depth > 1:
        for i, nested in enumerate(_NESTED[depth % 4 :: 4]):
            inner = _object(f"{parent} {nested}", depth - 1, max(4, width * 2 // 3))
            inner["description"] = f"The {nested} of the {parent}. {_SENTENCE}"
            properties[nested] = inner if i else {"type": "array", "description": inner["description"], "items": inner}
    return {"type": "object", "description": f"A {parent}. {_SENTENCE}", "required": ["name"], "properties": properties}


def member_schema() -> dict[str, Any]:
    """The entity: 48 leaves at the top, nested objects five levels deep, every property described."""
    member = _object("member", 5, 48)
    member["properties"].update({nested: {"$ref": "#/components/schemas/Address"} for nested in ("home", "office")})
    return member


def _operation(action: str, resource: str) -> dict[str, Any]:
    member = {"$ref": "#/components/schemas/Member"}
    operation: dict[str, Any] = {
        "operationId": f"{action}{resource.title()}",
        "summary": f"{action.title()} a {resource}",
        "description": f"{action.title()} a {resource} of the directory. {_SENTENCE}",
        "responses": {"200": {"description": "The member.", "content": {"application/json": {"schema": member}}}},
    }
    if action not in ("list", "create"):
        described = f"The ID of the {resource}, as the directory gave it when the {resource} was created."
        parameter = {"name": f"{resource}_id", "in": "path", "required": True, "description": described}
        operation["parameters"] = [{**parameter, "schema": {"type": "string"}}]
    if action not in ("list", "get", "delete"):
        body = {"$ref": "#/components/schemas/Member"}
        operation["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    return operation


def directory_spec(operations: int = OPERATIONS) -> dict[str, Any]:
    """A valid OpenAPI 3.0 document of `operations` operations (GET, POST or DELETE, most with their resource's
    ID in the path), each sending or returning the `Member` entity."""
    paths: dict[str, Any] = {}
    for number in range(operations):
        action, resource = _ACTIONS[number % len(_ACTIONS)], f"unit{number // len(_ACTIONS)}"
        method = "get" if action in ("list", "get") else "delete" if action == "delete" else "post"
        item = "" if action in ("list", "create") else f"/{{{resource}_id}}"
        paths[f"/{resource}s{item}/{action}"] = {method: _operation(action, resource)}
    address = _object("address", 2, 12)
    return {
        "openapi": "3.0.3",
        "info": {"title": "Directory", "version": "1.0", "description": "A directory of members. " + _SENTENCE},
        "servers": [{"url": "https://directory.example.com"}],
        "paths": paths,
        "components": {"schemas": {"Member": member_schema(), "Address": address}},
    }


def write_directory_spec(path: Path, operations: int = OPERATIONS) -> Path:
    path.write_text(yaml.safe_dump(directory_spec(operations), sort_keys=False), encoding="utf-8")
    return path


if __name__ == "__main__":
    count = int(sys.argv[2]) if len(sys.argv) > 2 else OPERATIONS
    print(write_directory_spec(Path(sys.argv[1]), count))

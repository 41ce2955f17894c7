"""File arguments as callers see them: in team mode a file is sent inline, so `path` is not even shown."""

from __future__ import annotations

from typing import Any


def is_file_argument(schema: Any) -> bool:
    """The generated schema of a file argument: `path` or `content_base64`, as `anyOf` branches."""
    if not isinstance(schema, dict) or not isinstance(schema.get("properties"), dict):
        return False
    branches = schema.get("anyOf")
    return (
        {"path", "content_base64"} <= set(schema["properties"])
        and isinstance(branches, list)
        and {"required": ["path"]} in branches
    )


def without_local_paths(schema: Any, phrases: dict[str, str]) -> Any:
    """The schema with every file argument reduced to `content_base64` and `filename` (team mode), its wording
    swapped for the generated team phrases (`api.json`'s `filePhrases`)."""
    if isinstance(schema, list):
        return [without_local_paths(item, phrases) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if is_file_argument(schema):
        return _inline_only(schema, phrases)
    return {key: without_local_paths(value, phrases) for key, value in schema.items()}


def _inline_only(schema: dict[str, Any], phrases: dict[str, str]) -> dict[str, Any]:
    properties = {key: dict(value) for key, value in schema["properties"].items() if key != "path"}
    for key, phrase in (("content_base64", "content"), ("filename", "name")):
        if key in properties and phrases.get(phrase):
            properties[key]["description"] = phrases[phrase]
    reduced = {key: value for key, value in schema.items() if key != "anyOf"}
    reduced["properties"] = properties
    reduced["required"] = [key for key in ("content_base64", "filename") if key in properties]
    description = str(schema.get("description", ""))
    if phrases.get("guidance") and phrases.get("teamGuidance"):
        reduced["description"] = description.replace(phrases["guidance"], phrases["teamGuidance"])
    return reduced

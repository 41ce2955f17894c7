"""File arguments: binary fields of request bodies become `{path | content_base64, filename}` objects."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from generator.wording import Wording

FILE_PROPERTIES = ("path", "content_base64", "filename", "content_type")


def is_binary(schema: object) -> bool:
    """A string schema that carries raw bytes (3.0 `format: binary`, 3.1 `contentMediaType` without encoding)."""
    if not isinstance(schema, dict):
        return False
    kind = schema.get("type")
    if kind not in ("string", None) and not (isinstance(kind, list) and "string" in kind):
        return False
    if schema.get("format") == "binary":
        return True
    return "contentMediaType" in schema and "contentEncoding" not in schema and kind is not None


def file_schema(description: str, wording: Wording) -> dict[str, object]:
    """The input schema of one file argument."""
    return {
        "type": "object",
        "description": f"{description} {wording.file_guidance()}".strip(),
        "properties": {
            "path": {"type": "string", "description": wording.file_path()},
            "content_base64": {
                "type": "string",
                "contentEncoding": "base64",
                "description": wording.file_content(),
            },
            "filename": {"type": "string", "description": wording.file_name()},
            "content_type": {"type": "string", "description": wording.file_type(), "examples": ["image/png"]},
        },
        "anyOf": [{"required": ["path"]}, {"required": ["content_base64", "filename"]}],
        "additionalProperties": False,
    }


def replace_binary_fields(
    schema: dict[str, object], wording: Wording
) -> tuple[dict[str, object], list[tuple[str, ...]]]:
    """Swap every binary field for a file argument; return the new schema and the paths of the file fields."""
    paths: list[tuple[str, ...]] = []

    def walk(node: object, path: tuple[str, ...]) -> object:
        return walk_object(node, path) if isinstance(node, dict) else node

    def walk_object(node: dict[str, object], path: tuple[str, ...]) -> dict[str, object]:
        if is_binary(node):
            paths.append(path)
            return file_schema(str(node.get("description", "")), wording)
        changed = dict(node)
        properties, items = node.get("properties"), node.get("items")
        if isinstance(properties, dict):
            changed["properties"] = {k: walk(v, (*path, k)) for k, v in properties.items()}
        if isinstance(items, dict):
            changed["items"] = walk(items, (*path, "*"))
        return changed

    return walk_object(schema, ()), paths

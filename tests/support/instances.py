"""Valid example values synthesized from a JSON Schema, for request-conformance tests."""

from __future__ import annotations

import base64
from typing import Any

_FORMATS = {
    "date": "2024-05-06",
    "date-time": "2024-05-06T07:08:09Z",
    "time": "07:08:09",
    "email": "someone@example.com",
    "uri": "https://example.com/a",
    "uuid": "123e4567-e89b-12d3-a456-426614174000",
    "byte": base64.b64encode(b"bytes").decode(),
}


def example_instance(schema: Any, root: dict[str, Any] | None = None, depth: int = 0) -> Any:
    """A value valid against `schema`, with every optional property filled in (down to a small depth)."""
    root = root if root is not None else schema
    if not isinstance(schema, dict) or depth > 8:
        return None
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        return example_instance(root["$defs"][name], root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return next((v for v in schema["enum"] if v is not None), schema["enum"][0])
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    if isinstance(schema.get("examples"), list) and schema["examples"]:
        return schema["examples"][0]
    for keyword in ("oneOf", "anyOf"):
        if keyword in schema and "properties" not in schema:
            return example_instance(schema[keyword][0], root, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind is None:
        kind = "object" if "properties" in schema else "string"
    if kind == "object":
        properties = schema.get("properties", {})
        value = {name: example_instance(sub, root, depth + 1) for name, sub in properties.items()}
        for name in schema.get("required", []):
            value.setdefault(name, "text")
        if not properties and schema.get("additionalProperties", True) is not False:
            value["key"] = "text"  # a free-form object: one entry, so it is not lost on the wire
        if "anyOf" in schema:  # a file argument: pick the base64 branch
            value.pop("path", None)
        return {k: v for k, v in value.items() if v is not None or k in schema.get("required", [])}
    if kind == "array":
        count = max(1, int(schema.get("minItems", 1)))
        return [example_instance(schema.get("items", {}), root, depth + 1) for _ in range(count)]
    if kind == "integer":
        return int(schema.get("minimum", 0)) + 1 if "minimum" in schema else 7
    if kind == "number":
        return float(schema.get("minimum", 0)) + 1.5
    if kind == "boolean":
        return True
    if kind == "null":
        return None
    if schema.get("contentEncoding") == "base64":
        return base64.b64encode(b"file-bytes").decode()
    text = _FORMATS.get(str(schema.get("format")), "text")
    minimum = int(schema.get("minLength", 0))
    return text + "x" * max(0, minimum - len(text))

"""Output trimming: less of a response schema for tools/list (an outline, or shallow fields), still accepting
every response the whole schema accepts."""

from __future__ import annotations

from generator.schema_parts import MAX_SCHEMA_DEPTH

_NESTED = ("properties", "items", "$defs", "$ref", "anyOf", "oneOf", "allOf")
"""What a field keeps none of when trimmed to `shallow`."""


def trim_output(schema: dict[str, object], level: str) -> dict[str, object] | None:
    """Less of a response schema for tools/list. `outline` names the top-level fields (and a wrapped list's item
    fields) and nothing more; `shallow` keeps those fields with their types, descriptions and other keywords but
    without nested fields; `none` keeps nothing. Either way the schema still accepts every response the full one
    does, and results are the same."""
    if level == "none":
        return None
    outline = level == "outline"
    defs = schema.get("$defs", {})

    def flat_schema(node: dict[str, object]) -> dict[str, object]:
        if outline:
            return {}
        kept = {k: v for k, v in node.items() if k not in _NESTED}
        if ("anyOf" in node or "oneOf" in node) and "type" not in kept:  # keep the types its branches allow
            kinds = _types_of(node, defs if isinstance(defs, dict) else None)
            if kinds is not None:
                kept["type"] = kinds
        return kept

    def flat(node: object) -> object:
        return flat_schema(node) if isinstance(node, dict) else node

    def level_one(node: dict[str, object]) -> dict[str, object]:
        result: dict[str, object]
        if outline:
            result = {"type": node["type"]} if "type" in node else {}
        else:
            result = {k: v for k, v in node.items() if k != "$defs"}
        properties = node.get("properties")
        if isinstance(properties, dict):
            result["properties"] = {name: flat(sub) for name, sub in properties.items()}
        return result

    trimmed = level_one(schema)
    properties, fields = schema.get("properties"), trimmed.get("properties")
    if not (isinstance(properties, dict) and isinstance(fields, dict)):
        return trimmed
    for name in ("result", "data"):
        inner = properties.get(name)
        items = inner.get("items") if isinstance(inner, dict) else None
        if isinstance(inner, dict) and isinstance(items, dict):
            kinds = _types_of(inner)
            kept = ({"type": kinds} if kinds else {}) if outline else flat_schema(inner)
            fields[name] = {**kept, "items": level_one(items)}
    return trimmed


def _types_of(node: dict[str, object], defs: dict[str, object] | None = None, depth: int = 0) -> str | list[str] | None:
    """The JSON types a compiled schema allows, read from `type`, from the branches of `anyOf`/`oneOf`, or from
    the `$defs` entry a `$ref` names; None when some branch allows any type."""
    kinds = node.get("type")
    if kinds is not None:
        return kinds if isinstance(kinds, (str, list)) else None
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and defs and depth < MAX_SCHEMA_DEPTH:
        target = defs.get(ref[len("#/$defs/") :])
        return _types_of(target, defs, depth + 1) if isinstance(target, dict) else None
    branches = node.get("anyOf") or node.get("oneOf")
    if not isinstance(branches, list) or not branches:
        return None
    found: list[str] = []
    for branch in branches:
        inner = _types_of(branch, defs, depth + 1) if isinstance(branch, dict) else None
        if inner is None:
            return None
        found += [kind for kind in ([inner] if isinstance(inner, str) else inner) if kind not in found]
    return found[0] if len(found) == 1 else found

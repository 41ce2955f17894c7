"""Output trimming: less of a response schema for tools/list (an outline, or shallow fields), still accepting
every response the whole schema accepts."""

from __future__ import annotations

from typing import Any

from generator.schema_parts import MAX_SCHEMA_DEPTH


def trim_output(schema: dict[str, Any], level: str) -> dict[str, Any] | None:
    """Less of a response schema for tools/list. `outline` names the top-level fields (and a wrapped list's item
    fields) and nothing more; `shallow` keeps those fields with their types, descriptions and other keywords but
    without nested fields; `none` keeps nothing. Either way the schema still accepts every response the full one
    does, and results are the same."""
    if level == "none":
        return None
    outline = level == "outline"

    def flat(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        if outline:
            return {}
        kept = {
            k: v
            for k, v in node.items()
            if k not in ("properties", "items", "$defs", "$ref", "anyOf", "oneOf", "allOf")
        }
        if ("anyOf" in node or "oneOf" in node) and "type" not in kept:  # keep the types its branches allow
            kinds = _types_of(node, schema.get("$defs", {}))
            if kinds is not None:
                kept["type"] = kinds
        return kept

    def level_one(node: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any]
        if outline:
            result = {"type": node["type"]} if "type" in node else {}
        else:
            result = {k: v for k, v in node.items() if k != "$defs"}
        if isinstance(node.get("properties"), dict):
            result["properties"] = {name: flat(sub) for name, sub in node["properties"].items()}
        return result

    trimmed = level_one(schema)
    for name in ("result", "data"):
        inner = schema.get("properties", {}).get(name)
        if isinstance(inner, dict) and isinstance(inner.get("items"), dict):
            kinds = _types_of(inner)
            kept = ({"type": kinds} if kinds else {}) if outline else flat(inner)
            trimmed["properties"][name] = {**kept, "items": level_one(inner["items"])}
    return trimmed


def _types_of(node: dict[str, Any], defs: dict[str, Any] | None = None, depth: int = 0) -> str | list[str] | None:
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

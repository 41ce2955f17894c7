"""The per-tool budget: what a model reads of a tool (name, description, inputSchema as compact JSON) kept within
`tool_budget` bytes, and every tool definition within DEPTH_LIMIT levels of JSON nesting.

A tool over budget is reduced in a fixed order, each step only while it is still over:
1. repeated subschemas are shared in `$defs`;
2. `examples` are dropped;
3. nested descriptions are cut to their first sentence;
4. the deepest optional subtrees, level by level, become open values whose description says where the full
   shape is (`describe_operation`); last, the insides of top-level properties;
5. as a last resort, the top-level properties' descriptions are cut to their first sentence too.
Every required argument and every top-level property stays typed and described. The server still checks
arguments against the whole schema.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from generator.load import json_depth
from generator.openapi import SCHEMA_KEYWORDS, SCHEMA_LIST_KEYWORDS, SCHEMA_MAP_KEYWORDS
from generator.text import first_sentence

DEPTH_LIMIT = 32
"""The deepest JSON nesting of a tool definition: the official client's parser gives up on much deeper ones."""
_SINGLE = (*SCHEMA_KEYWORDS, "additionalProperties")
_LISTS = SCHEMA_LIST_KEYWORDS
_MAPS = (*SCHEMA_MAP_KEYWORDS, "$defs")  # a tool's shared definitions are subschemas here too
_KEPT_WHEN_OPEN = ("type", "description", "title", "format", "enum", "const", "default", "nullable", "deprecated")
_SHARED_MIN_BYTES = 200
"""Smaller repeats are left written out: a `$ref` and a definition would save next to nothing."""


@dataclass(frozen=True)
class Reduction:
    """A tool's input schema after the budget and depth rules, with what was done and the sizes."""

    schema: dict[str, Any]
    steps: tuple[str, ...]
    before: int
    after: int


def prompt_size(name: str, description: str, schema: Mapping[str, Any]) -> int:
    """What a model reads of a tool, in bytes: name, description and inputSchema as compact JSON, text as sent."""
    shown = {"name": name, "description": description, "inputSchema": schema}
    return len(json.dumps(shown, separators=(",", ":"), ensure_ascii=False).encode())


def _children(node: dict[str, Any]) -> list[tuple[str, str | int | None, Any]]:
    """A schema's direct subschemas as (keyword, key or index, subschema)."""
    found: list[tuple[str, str | int | None, Any]] = []
    for keyword, value in node.items():
        if keyword in _SINGLE and isinstance(value, dict):
            found.append((keyword, None, value))
        elif keyword in _LISTS and isinstance(value, list):
            found += [(keyword, i, v) for i, v in enumerate(value) if isinstance(v, dict)]
        elif keyword in _MAPS and isinstance(value, dict):
            found += [(keyword, k, v) for k, v in value.items() if isinstance(v, dict)]
    return found


def _rebuilt(node: dict[str, Any], change: Callable[[str, str | int | None, dict[str, Any]], Any]) -> dict[str, Any]:
    """A copy of `node` whose subschemas are replaced by `change(keyword, key, subschema)`."""
    result = dict(node)
    for keyword, value in node.items():
        if keyword in _SINGLE and isinstance(value, dict):
            result[keyword] = change(keyword, None, value)
        elif keyword in _LISTS and isinstance(value, list):
            result[keyword] = [change(keyword, i, v) if isinstance(v, dict) else v for i, v in enumerate(value)]
        elif keyword in _MAPS and isinstance(value, dict):
            result[keyword] = {k: change(keyword, k, v) if isinstance(v, dict) else v for k, v in value.items()}
    return result


# -- 1. shared subschemas --------------------------------------------------------------------------------------


def share_repeated(schema: dict[str, Any], excess: int) -> dict[str, Any]:
    """Subschemas written out more than once become one `$defs` entry each, the largest saving first, until the
    estimated saving covers `excess` bytes. Two passes over the schema, whatever the number of repeats."""
    texts: dict[int, str] = {}
    counts: dict[str, int] = {}
    names: dict[str, str] = {}

    def text_of(node: dict[str, Any]) -> str:
        if id(node) not in texts:
            texts[id(node)] = json.dumps(node, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return texts[id(node)]

    def count(keyword: str, key: str | int | None, node: dict[str, Any]) -> dict[str, Any]:
        text = text_of(node)
        if len(text) >= _SHARED_MIN_BYTES and "$ref" not in node:
            counts[text] = counts.get(text, 0) + 1
            if isinstance(key, str) and keyword == "properties":
                names.setdefault(text, key)
        _rebuilt(node, count)
        return node

    _rebuilt(schema, count)
    defs = dict(schema.get("$defs", {}))
    chosen: dict[str, str] = {}
    saved = 0
    for text in sorted((t for t, n in counts.items() if n > 1), key=lambda t: -(len(t) * (counts[t] - 1))):
        if saved >= excess:
            break
        base = name = re.sub(r"[^A-Za-z0-9_.-]", "_", names.get(text, "shared"))
        suffix = 2
        while name in defs or name in chosen.values():
            name, suffix = f"{base}_{suffix}", suffix + 1
        chosen[text] = name
        saved += (counts[text] - 1) * len(text) - counts[text] * (len(name) + 20)

    def swap(keyword: str, key: str | int | None, node: dict[str, Any]) -> dict[str, Any]:
        name = chosen.get(text_of(node)) if keyword != "$defs" else None
        return {"$ref": f"#/$defs/{name}"} if name is not None else _rebuilt(node, swap)

    if not chosen:
        return schema
    result = _rebuilt(schema, swap)
    for text, name in chosen.items():
        defs[name] = json.loads(text)
    if isinstance(result.get("properties"), dict):  # a top-level property stays typed and described where it is
        result["properties"] = {key: _annotated(sub, defs) for key, sub in result["properties"].items()}
    return {**result, "$defs": dict(sorted(defs.items()))}


def _annotated(schema: Any, defs: dict[str, Any]) -> Any:
    ref = schema.get("$ref") if isinstance(schema, dict) else None
    if not (isinstance(ref, str) and ref.startswith("#/$defs/") and set(schema) == {"$ref"}):
        return schema
    target = defs.get(ref[len("#/$defs/") :], {})
    return {**{k: target[k] for k in ("type", "description") if k in target}, **schema}


# -- 2 and 3. examples and nested descriptions -----------------------------------------------------------------


def without_examples(node: dict[str, Any]) -> dict[str, Any]:
    result = {k: v for k, v in node.items() if k not in ("examples", "example")}
    return _rebuilt(result, lambda keyword, key, sub: without_examples(sub))


def short_descriptions(schema: dict[str, Any], note: str) -> dict[str, Any]:
    """Every description cut to its first sentence, the top-level properties' too (the last resort); an opened
    part keeps its `note`."""
    result = dict(schema)
    text = result.get("description")
    if isinstance(text, str):
        kept = text.endswith(note) and text != note
        result["description"] = (
            (first_sentence(text.removesuffix(note).strip()) + f" {note}").strip() if kept else first_sentence(text)
        )
    return _rebuilt(result, lambda keyword, key, sub: short_descriptions(sub, note))


def short_nested_descriptions(schema: dict[str, Any]) -> dict[str, Any]:
    """Descriptions below the top-level properties cut to their first sentence."""

    def cut(node: dict[str, Any]) -> dict[str, Any]:
        result = dict(node)
        if isinstance(result.get("description"), str):
            result["description"] = first_sentence(result["description"])
        return _rebuilt(result, lambda keyword, key, sub: cut(sub))

    def top(keyword: str, key: str | int | None, sub: dict[str, Any]) -> dict[str, Any]:
        return _rebuilt(sub, lambda k, kk, inner: cut(inner)) if keyword == "properties" else cut(sub)

    return _rebuilt(schema, top)


# -- 4. open subtrees ------------------------------------------------------------------------------------------


def opened(node: dict[str, Any], note: str) -> dict[str, Any]:
    """A schema's own annotations and type, without its insides: any value of that type is accepted here."""
    kept = {k: node[k] for k in _KEPT_WHEN_OPEN if k in node}
    if not any(k in kept for k in ("type", "enum", "const")):
        kinds = [s.get("type") for _, _, s in _children(node) if isinstance(s.get("type"), str)]
        if "properties" in node or "additionalProperties" in node:
            kept["type"] = "object"
        elif "items" in node:
            kept["type"] = "array"
        elif kinds and len(set(kinds)) == 1:
            kept["type"] = kinds[0]
    description = str(kept.get("description", "")).strip()
    kept["description"] = f"{description} {note}".strip() if note not in description else description
    return kept


def open_deepest(schema: dict[str, Any], note: str, fits: Callable[[dict[str, Any]], bool]) -> dict[str, Any]:
    """Open the deepest optional subtrees, one level at a time, until the schema fits; then the insides of the
    top-level properties (required ones too, which stay typed and described)."""
    result = schema
    for level in sorted(_openable_levels(schema), reverse=True):
        if fits(result):
            return result
        result = pruned(_open_at(result, level, note, optional_only=True))
    for level in (2, 1):  # then required parts too, below and in the top-level properties (and definitions)
        if not fits(result):
            result = pruned(_open_at(result, level, note, optional_only=False))
    return result


def _openable_levels(schema: dict[str, Any]) -> set[int]:
    """The levels (below the top-level properties) holding an optional subtree that has insides to leave out."""
    found: set[int] = set()
    pending: list[tuple[dict[str, Any], int]] = [(schema, 0)]
    while pending:
        node, depth = pending.pop()
        required = set(node.get("required", [])) if isinstance(node.get("required"), list) else set()
        for keyword, key, sub in _children(node):
            if depth + 1 >= 2 and keyword == "properties" and key not in required and _children(sub):
                found.add(depth + 1)
            pending.append((sub, depth + 1))
    return found


def _open_at(schema: dict[str, Any], level: int, note: str, *, optional_only: bool) -> dict[str, Any]:
    """Open every subtree at `level` (the root is 0) that has insides; with `optional_only`, only those not
    required by their parent object."""

    def walk(node: dict[str, Any], depth: int) -> dict[str, Any]:
        required = set(node.get("required", [])) if isinstance(node.get("required"), list) else set()

        def change(keyword: str, key: str | int | None, sub: dict[str, Any]) -> Any:
            if depth + 1 == level and _children(sub):
                if optional_only and (keyword != "properties" or key in required):
                    return walk(sub, depth + 1)
                return opened(sub, note)
            return walk(sub, depth + 1) if depth + 1 < level else sub

        return _rebuilt(node, change)

    return walk(schema, 0)


def pruned(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema without the `$defs` entries nothing refers to any more (opened parts held their references)."""
    defs = schema.get("$defs")
    if not isinstance(defs, dict):
        return schema
    wanted: set[str] = set()
    pending = [{k: v for k, v in schema.items() if k != "$defs"}]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            name = ref[len("#/$defs/") :] if isinstance(ref, str) and ref.startswith("#/$defs/") else None
            if name is not None and name not in wanted and name in defs:
                wanted.add(name)
                pending.append(defs[name])
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    if len(wanted) == len(defs):
        return schema
    kept = {name: body for name, body in defs.items() if name in wanted}
    rest = {k: v for k, v in schema.items() if k != "$defs"}
    return {**rest, "$defs": kept} if kept else rest


# -- the JSON depth bound ----------------------------------------------------------------------------------------


def within_depth(schema: dict[str, Any], start: int, note: str, limit: int = DEPTH_LIMIT) -> dict[str, Any]:
    """The schema with every subtree that would nest past `limit` (counting from `start`, the JSON depth the
    schema itself sits at) opened; unchanged when it already fits."""
    if start - 1 + json_depth(schema) <= limit:
        return schema

    def walk(node: dict[str, Any], depth: int) -> dict[str, Any]:
        if depth - 1 + json_depth(node) <= limit:
            return node
        if depth + 3 > limit:  # its subschemas would sit too deep: this one is kept open
            return opened(node, note)

        def change(keyword: str, key: str | int | None, sub: dict[str, Any]) -> Any:
            return walk(sub, depth + (1 if keyword in _SINGLE else 2))

        return _rebuilt(node, change)

    return walk(schema, start)


# -- all of it -------------------------------------------------------------------------------------------------


def reduce_tool(name: str, description: str, schema: dict[str, Any], budget: int, note: str) -> Reduction:
    """The input schema within budget (in the order above) and within the depth bound (the tool definition puts
    the inputSchema at JSON depth 2)."""
    before = prompt_size(name, description, schema)
    steps: list[str] = []

    def fits(candidate: dict[str, Any]) -> bool:
        return prompt_size(name, description, candidate) <= budget

    result = within_depth(schema, 2, note)  # first: what follows walks the schema level by level
    if result is schema and before <= budget:
        return Reduction(schema, (), before, before)  # most tools: measured once
    if result is not schema:
        steps.append(f"parts deeper than {DEPTH_LIMIT} levels left open")
    if not fits(result):
        for label, step in (
            ("repeated parts shared", lambda s: share_repeated(s, prompt_size(name, description, s) - budget)),
            ("examples dropped", without_examples),
            ("nested descriptions shortened", short_nested_descriptions),
            ("deepest optional parts left open", lambda s: open_deepest(s, note, fits)),
            ("top-level descriptions shortened", lambda s: short_descriptions(s, note)),
        ):
            reduced = pruned(step(result))
            if reduced != result:
                steps.append(label)
                result = reduced
            if fits(result):
                break
    return Reduction(result, tuple(steps), before, prompt_size(name, description, result))

"""Results sized for a model: only the fields asked for, then as many whole items (or fields) as fit the budget.

Pure functions over decoded JSON. A result's text is always the compact JSON of its structured content, so what
is cut is whole items or whole fields, never the JSON itself."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

Json = Any
"""A decoded JSON value, from an API this server does not control: every use checks its shape."""
Tree = dict[str, "Tree"]
"""Dotted field paths as a tree: `{"ball_in_court": {"name": {}}}`; an empty tree asks for the whole value."""
CUT_MARK = "… [cut: {more:,} more characters]"


def dumps(value: Json) -> str:
    """The text a result carries: compact JSON (spaces after separators would be a tenth of it)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


# -- fields on demand ---------------------------------------------------------------------------------------


def field_tree(fields: list[str]) -> Tree:
    """The paths as a tree; a path that asks for a whole value wins over longer ones inside it."""
    paths = sorted({tuple(part for part in path.split(".") if part) for path in fields} - {()}, key=len)
    tree: Tree = {}
    whole: set[tuple[str, ...]] = set()
    for path in paths:
        if any(path[:depth] in whole for depth in range(1, len(path))):
            continue
        node = tree
        for part in path:
            node = node.setdefault(part, {})
        whole.add(path)
    return tree


def project(value: Json, tree: Tree, schema: Json = None, root: Json = None) -> Json:
    """Only the fields in `tree` of an object, or of each object in a list, recursively. Fields the schema
    requires stay (the result must still match the output schema a client checks it against)."""
    if not tree:
        return value
    root = schema if root is None else root
    if isinstance(value, list):
        items = _resolved(schema, root).get("items") if isinstance(_resolved(schema, root), dict) else None
        return [project(item, tree, items, root) for item in value]
    if not isinstance(value, dict):
        return value
    resolved = _resolved(schema, root)
    keep = set(required_names(resolved, root))
    properties = resolved.get("properties", {}) if isinstance(resolved, dict) else {}
    shown: dict[str, Json] = {}
    for key, item in value.items():
        if key in tree:
            inner = properties.get(key) if isinstance(properties, dict) else None
            shown[key] = project(item, tree[key], inner, root)
        elif key in keep:
            shown[key] = item
    return shown


def unmatched(value: Json, fields: list[str]) -> list[str]:
    """The paths that name nothing in the value (in no item of a list)."""
    return [path for path in fields if not _present(value, [part for part in path.split(".") if part])]


def _present(value: Json, parts: list[str]) -> bool:
    if not parts:
        return True
    if isinstance(value, list):
        return any(_present(item, parts) for item in value)
    return isinstance(value, dict) and parts[0] in value and _present(value[parts[0]], parts[1:])


def _resolved(schema: Json, root: Json) -> Json:
    """A schema with its local `$ref` (`#/$defs/...`) followed, a few steps at most."""
    for _ in range(8):
        if not isinstance(schema, dict) or not isinstance(schema.get("$ref"), str):
            return schema
        target: Json = root
        for part in schema["$ref"].removeprefix("#/").split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            target = target.get(part) if isinstance(target, dict) else None
        schema = target
    return schema


def required_names(schema: Json, root: Json) -> list[str]:
    """The fields an object schema requires, its `allOf` parts included."""
    schema = _resolved(schema, root)
    if not isinstance(schema, dict):
        return []
    names = [name for name in schema.get("required", []) if isinstance(name, str)]
    for part in schema.get("allOf", []) if isinstance(schema.get("allOf"), list) else []:
        names += required_names(part, root)
    return names


# -- results that fit ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fitted:
    """Structured content within the budget, its text, and what was left out to get there."""

    value: Json
    text: str
    kept: int | None = None
    """Of a list: the items kept, from the start (None: the list was not cut)."""
    total: int | None = None
    """Of a list: the items there were."""
    elided: tuple[tuple[str, int], ...] = ()
    """Fields left out (or shortened), largest first, with their size in characters."""


def fit(structured: dict[str, Json], items_key: str | None, budget: int, schema: Json = None) -> Fitted:
    """The structured content cut to `budget` characters of text: a list keeps as many whole items as fit, in
    order; an object keeps its fields but the largest, which are left out (or shortened, where required)."""
    text = dumps(structured)
    if len(text) <= budget:
        return Fitted(structured, text)
    items = structured.get(items_key) if items_key else None
    if isinstance(items, list) and items_key is not None:
        return _fit_items(structured, items_key, items, budget, schema)
    return _fit_object(structured, budget, schema, schema)


def _fit_items(structured: dict[str, Json], key: str, items: list[Json], budget: int, schema: Json) -> Fitted:
    room = budget - len(dumps({**structured, key: []}))
    if room < 2:  # what surrounds the records is itself over the budget
        return _fit_object(structured, budget, schema, schema)
    kept = _whole_items(items, room)
    if kept:
        value = {**structured, key: items[:kept]}
        return Fitted(value, dumps(value), kept=kept, total=len(items))
    item_schema = _items_schema(schema, key)
    first = items[0]
    if isinstance(first, dict):
        fitted = _fit_object(first, max(room, 2), item_schema, schema)
        smaller, elided = fitted.value, fitted.elided
    else:  # one scalar or list larger than the budget: a cut string, the first items, or the value as it is
        smaller = _shortened(first, max(room - 2, 0), item_schema, schema)
        elided = ((f"{key}[0]", len(dumps(first))),)
    value = {**structured, key: [smaller]}
    if len(dumps(value)) > budget:  # even its smallest form does not fit (a value that cannot be shortened)
        value = {**structured, key: []}
        return Fitted(value, dumps(value), kept=0, total=len(items), elided=((f"{key}[0]", len(dumps(first))),))
    return Fitted(value, dumps(value), kept=1, total=len(items), elided=elided)


def _whole_items(items: list[Json], room: int) -> int:
    """How many items from the start fit `room` characters of JSON between a list's brackets, commas included."""
    kept, used = 0, 0
    for item in items:
        size = len(dumps(item)) + (1 if kept else 0)
        if used + size > room:
            break
        used += size
        kept += 1
    return kept


def _items_schema(schema: Json, key: str) -> Json:
    resolved = _resolved(schema, schema)
    properties = resolved.get("properties") if isinstance(resolved, dict) else None
    listed = _resolved(properties.get(key), schema) if isinstance(properties, dict) else None
    return listed.get("items") if isinstance(listed, dict) else None


def _fit_object(value: dict[str, Json], budget: int, schema: Json, root: Json) -> Fitted:
    """Leave out the largest fields until the rest fits; a required one is shortened instead."""
    resolved = _resolved(schema, root)
    required = set(required_names(resolved, root))
    properties = resolved.get("properties", {}) if isinstance(resolved, dict) else {}
    sizes = {key: len(dumps(item)) for key, item in value.items()}
    total = len(dumps(value))
    kept = dict(value)
    elided: list[tuple[str, int]] = []
    for key in sorted(sizes, key=lambda name: -sizes[name]):
        if total <= budget:
            break
        if key in required or len(kept) == 1:  # required, or all that is left: shortened, never emptied
            inner = properties.get(key) if isinstance(properties, dict) else None
            room = max(sizes[key] - (total - budget), 2)
            kept[key] = _shortened(value[key], room, inner, root)
            total += len(dumps(kept[key])) - sizes[key]
        else:
            del kept[key]
            total -= sizes[key] + len(dumps(key)) + 2  # the key, its colon and a comma
        elided.append((key, sizes[key]))
    if total > budget:  # what was shortened still does not fit: fields the schema does not require go whole
        _leave_out_optional(kept, required, budget, elided, sizes)
    return Fitted(kept, dumps(kept), elided=tuple(elided))


def _leave_out_optional(
    kept: dict[str, Json], required: set[str], budget: int, elided: list[tuple[str, int]], sizes: dict[str, int]
) -> None:
    """Leave out the largest fields not required until `kept` fits `budget` (or only required ones are left)."""
    for key in sorted(kept, key=lambda name: -len(dumps(kept[name]))):
        if len(dumps(kept)) <= budget:
            break
        if key not in required:
            del kept[key]
            if all(name != key for name, _ in elided):
                elided.append((key, sizes[key]))


def _shortened(value: Json, room: int, schema: Json, root: Json) -> Json:
    """A value made to fit `room` characters while keeping its type: a string cut with a mark, a list's first
    items, an object's smaller fields."""
    if isinstance(value, str):
        return _cut_text(value, room)
    if isinstance(value, list):
        resolved = _resolved(schema, root)
        return _first_items(value, room, resolved.get("items") if isinstance(resolved, dict) else None, root)
    if isinstance(value, dict):
        return _fit_object(value, room, schema, root).value
    return value


def _first_items(items: list[Json], room: int, item_schema: Json, root: Json) -> list[Json]:
    """As many whole items from the start as fit `room` characters of JSON (the brackets included); when not
    even one does, the first one shortened if that fits, else none."""
    kept = items[: _whole_items(items, room - 2)]
    if kept or not items or room <= 2:
        return kept
    first = _shortened(items[0], room - 2, item_schema, root)  # one level down: the recursion ends
    return [first] if len(dumps(first)) <= room - 2 else []


def _cut_text(text: str, room: int) -> str:
    """`text` cut with a mark saying how much more there was, its JSON (quotes and escapes such as `\\u0007`
    included) at most `room` characters where the mark alone fits: the longest such start, found by halving."""

    def cut(keep: int) -> str:
        return text[:keep] + CUT_MARK.format(more=len(text) - keep)

    low, high = 0, max(min(room - 2, len(text)), 0)  # each character kept is at least one character of JSON
    while low < high:
        middle = (low + high + 1) // 2
        if len(dumps(cut(middle))) <= room:
            low = middle
        else:
            high = middle - 1
    return cut(low)

"""The per-tool budget: what a model reads of a tool (name, description, inputSchema as compact JSON) kept within
`tool_budget` bytes, and every tool definition within DEPTH_LIMIT levels of JSON nesting.

A tool over budget is reduced in a fixed order, each step only while it is still over:
1. repeated subschemas are shared in `$defs`;
2. `examples` are dropped;
3. nested descriptions are cut to their first sentence;
4. the deepest optional subtrees, level by level, become open values whose description says where the full
   shape is (`describe_operation`); last, the insides of top-level properties;
5. the top-level properties' descriptions are cut to their first sentence too;
6. for a tool of many flat properties, last resorts: the optional top-level properties' descriptions go, the
   longest first (the schema's own description then says where they are), and then
7. optional top-level properties keep only their type, the largest first.
Every required argument stays typed and described, and every top-level property typed. The server still
checks arguments against the whole schema.

The steps work on schemas kept once each in a `Memo` (equal parts are one object), so what a step makes of a
part, and its size, is worked out once however many tools share that part, and a size is the sum of its
parts' sizes: the cost follows the document's distinct schemas, not tools times schema size.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

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
_DEFS = "#/$defs/"

Schema = dict[str, object]
"""A JSON Schema object as the compiler makes it: its values are schemas, lists of them or plain JSON."""
Change = Callable[[str, str | int | None, Schema], object]
"""What replaces a subschema: called with the keyword holding it, its key or index (None for a single one), and
the subschema."""
K = TypeVar("K")
V = TypeVar("V")


@dataclass(frozen=True)
class Reduction:
    """A tool's input schema after the budget and depth rules, with what was done and the sizes."""

    schema: Schema
    steps: tuple[str, ...]
    before: int
    after: int
    whole: Schema
    """The input schema as it came (kept in the run's `Memo` once reduced: tools that send one body share it)."""


def prompt_size(name: str, description: str, schema: Mapping[str, object]) -> int:
    """What a model reads of a tool, in bytes: name, description and inputSchema as compact JSON, text as sent.
    The one measure: the budget reduces by it, the quality gate checks by it, the benchmark reports it."""
    shown = {"name": name, "description": description, "inputSchema": schema}
    return len(json.dumps(shown, separators=(",", ":"), ensure_ascii=False).encode())


class Memo:
    """The schemas a run's reductions meet, each kept once (an equal one, same keys in the same order, is the same
    object), with their sizes and what each step made of them: a part hundreds of tools share is measured and
    reduced once. Kept schemas are shared between tools and must never be changed."""

    def __init__(self) -> None:
        self._table: dict[tuple[object, ...], Schema] = {}
        self._kept: set[int] = set()
        self._sizes: dict[int, int] = {}
        self._strings: dict[str, int] = {}
        self._texts: dict[int, str] = {}
        self._loaded: dict[str, Schema] = {}
        self.done: dict[tuple[object, ...], Schema] = {}
        """What a step made of a kept schema, by (step, id of the schema, what else the step depends on)."""
        self.below: dict[int, dict[str, tuple[int, str | None]]] = {}
        """The repeatable subschemas under a kept schema, by its id (`_below`)."""
        self.levels: dict[int, frozenset[int]] = {}
        """How far below a kept schema optional parts with insides are, by its id (`_levels`)."""
        self.refs: dict[int, frozenset[str]] = {}
        """The `$defs` entries a kept schema refers to, by its id (`_refs`)."""

    def __len__(self) -> int:
        """How many distinct schemas are kept."""
        return len(self._table)

    def one(self, node: Schema) -> Schema:
        """The kept schema equal to `node` (its parts kept too)."""
        if id(node) in self._kept:
            return node
        values: list[object] = []
        identity: list[object] = []
        for key, value in node.items():
            if type(value) is str:  # most values: no call
                values.append(value)
                found: object = value
            else:
                value, found = self._entry(value)
                values.append(value)
            identity.append(key if type(key) is str else (type(key), key))
            identity.append(found)
        whole = tuple(identity)
        kept = self._table.get(whole)
        if kept is None:
            kept = dict(zip(node, values, strict=True))
            self._table[whole] = kept
            self._kept.add(id(kept))
        return kept

    def _entry(self, value: object) -> tuple[object, object]:
        """A value with its mappings kept, and what tells it apart (types too: `true` is not `1`)."""
        kind = type(value)
        if kind is str:
            return value, value
        if isinstance(value, dict):
            kept = self.one(value)
            return kept, id(kept)
        if type(value) is list or type(value) is tuple:
            if all(type(item) is str for item in value):  # enums, required names
                return value, (kind, *value)
            entries = [self._entry(item) for item in value]
            identity = (kind, *(found for _, found in entries))
            if all(new is old for (new, _), old in zip(entries, value, strict=True)):
                return value, identity
            news = [new for new, _ in entries]
            return (news if kind is list else tuple(news)), identity
        return value, (kind, repr(value) if kind is float else value)

    def rebuilt(self, node: Schema, change: Change) -> Schema:
        """`_rebuilt`, kept."""
        return self.one(_rebuilt(node, change))

    def loaded(self, text: str) -> Schema:
        """The kept schema a JSON text (a schema's `text`) holds."""
        if text not in self._loaded:
            schema: object = json.loads(text)
            if not isinstance(schema, dict):
                raise ValueError("not the text of a schema object")
            self._loaded[text] = self.one(schema)
        return self._loaded[text]

    def size(self, value: object) -> int:
        """Bytes of a value as compact JSON, text as sent (a kept schema's size is worked out once)."""
        if type(value) is str:
            found = self._strings.get(value)
            if found is None:
                found = self._strings[value] = len(json.dumps(value, ensure_ascii=False).encode())
            return found
        if isinstance(value, dict):
            found = self._sizes.get(id(value))
            if found is None:
                count = len(value)
                found = 2 + sum(self._key_size(k) + self.size(v) for k, v in value.items()) + 2 * count - (count > 0)
                if id(value) in self._kept:
                    self._sizes[id(value)] = found
            return found
        if type(value) is list or type(value) is tuple:
            return 2 + sum(self.size(item) for item in value) + max(len(value) - 1, 0)
        return len(json.dumps(value, ensure_ascii=False).encode())

    def _key_size(self, key: object) -> int:
        if type(key) is str:
            return self.size(key)
        return len(json.dumps({key: 0}, separators=(",", ":"), ensure_ascii=False).encode()) - len("{:0}")

    def text(self, node: Schema) -> str:
        """A kept schema as compact JSON with sorted keys: equal texts, equal schemas (key order aside)."""
        found = self._texts.get(id(node))
        if found is None:
            found = json.dumps(node, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            self._texts[id(node)] = found
        return found


def _cached(table: dict[K, V], key: K, compute: Callable[[], V]) -> V:
    """`table[key]`, computed the first time (what is computed is never None)."""
    found = table.get(key)
    if found is None:
        found = table[key] = compute()
    return found


def _children(node: Schema) -> list[tuple[str, str | int | None, Schema]]:
    """A schema's direct subschemas as (keyword, key or index, subschema)."""
    found: list[tuple[str, str | int | None, Schema]] = []
    for keyword, value in node.items():
        if keyword in _SINGLE and isinstance(value, dict):
            found.append((keyword, None, value))
        elif keyword in _LISTS and isinstance(value, list):
            found += [(keyword, i, v) for i, v in enumerate(value) if isinstance(v, dict)]
        elif keyword in _MAPS and isinstance(value, dict):
            found += [(keyword, k, v) for k, v in value.items() if isinstance(v, dict)]
    return found


def _rebuilt(node: Schema, change: Change) -> Schema:
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


def _required(node: Schema) -> set[object]:
    required = node.get("required")
    return set(required) if isinstance(required, list) else set()


# -- 1. shared subschemas --------------------------------------------------------------------------------------


def share_repeated(schema: Schema, excess: int, memo: Memo | None = None) -> Schema:
    """Subschemas written out more than once become one `$defs` entry each, the largest saving first, until the
    estimated saving covers `excess` bytes. The repeats under a part are counted once, however many tools hold
    it."""
    memo = Memo() if memo is None else memo
    schema = memo.one(schema)
    counts: dict[str, int] = {}
    names: dict[str, str] = {}
    for keyword, key, node in _children(schema):
        _tally(memo, counts, names, keyword, key, node)
    existing = schema.get("$defs", {})
    defs: dict[str, object] = dict(existing) if isinstance(existing, dict) else {}
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
    if not chosen:
        return schema
    result = memo.rebuilt(schema, lambda keyword, key, node: _swapped(memo, keyword, node, chosen))
    for text, name in chosen.items():
        defs[name] = memo.loaded(text)
    properties = result.get("properties")
    if isinstance(properties, dict):  # a top-level property stays typed and described where it is
        result = {**result, "properties": {key: _annotated(sub, defs) for key, sub in properties.items()}}
    return memo.one({**result, "$defs": dict(sorted(defs.items()))})


def _repeatable(memo: Memo, node: Schema) -> str | None:
    """The sorted text of a subschema large enough to share (None for a smaller one, or a reference)."""
    if "$ref" in node or memo.size(node) < _SHARED_MIN_BYTES:  # bytes: never fewer than characters
        return None
    text = memo.text(node)
    return text if len(text) >= _SHARED_MIN_BYTES else None


def _tally(
    memo: Memo, counts: dict[str, int], names: dict[str, str], keyword: str, key: str | int | None, node: Schema
) -> None:
    """Count `node` and the repeatable subschemas below it, in document order; a repeat is named after the
    first property that holds it."""
    text = _repeatable(memo, node)
    if text is not None:
        counts[text] = counts.get(text, 0) + 1
        if isinstance(key, str) and keyword == "properties":
            names.setdefault(text, key)
    for inner, (count, name) in _below(memo, node).items():
        counts[inner] = counts.get(inner, 0) + count
        if name is not None:
            names.setdefault(inner, name)


def _below(memo: Memo, node: Schema) -> dict[str, tuple[int, str | None]]:
    """The repeatable subschemas under `node` (not itself): how often each is there, and the first name it has."""

    def count() -> dict[str, tuple[int, str | None]]:
        counts: dict[str, int] = {}
        names: dict[str, str] = {}
        for keyword, key, sub in _children(node):
            _tally(memo, counts, names, keyword, key, sub)
        return {text: (number, names.get(text)) for text, number in counts.items()}

    return _cached(memo.below, id(node), count)


def _swapped(memo: Memo, keyword: str, node: Schema, chosen: dict[str, str]) -> Schema:
    """`node` with every chosen repeat in it (itself too, unless it is a definition) a `$ref` to its entry."""
    text = _repeatable(memo, node) if keyword != "$defs" else None
    if text is not None and text in chosen:
        return memo.one({"$ref": f"{_DEFS}{chosen[text]}"})
    inside = tuple((inner, chosen[inner]) for inner in _below(memo, node) if inner in chosen)
    if not inside:
        return node
    change: Change = lambda keyword, key, sub: _swapped(memo, keyword, sub, chosen)  # noqa: E731
    return _cached(memo.done, ("swapped", id(node), inside), lambda: memo.rebuilt(node, change))


def _annotated(schema: object, defs: dict[str, object]) -> object:
    """A top-level property that became a bare `$ref`, with its definition's type and description beside it."""
    if not isinstance(schema, dict):
        return schema
    ref = schema.get("$ref")
    if not (isinstance(ref, str) and ref.startswith(_DEFS) and set(schema) == {"$ref"}):
        return schema
    target = defs.get(ref[len(_DEFS) :])
    if not isinstance(target, dict):
        target = {}
    return {**{k: target[k] for k in ("type", "description") if k in target}, **schema}


# -- 2 and 3. examples and nested descriptions -----------------------------------------------------------------


def without_examples(memo: Memo, node: Schema) -> Schema:
    def compute() -> Schema:
        result = {k: v for k, v in node.items() if k not in ("examples", "example")}
        return memo.rebuilt(result, lambda keyword, key, sub: without_examples(memo, sub))

    return _cached(memo.done, ("examples", id(node)), compute)


def short_descriptions(memo: Memo, schema: Schema, note: str) -> Schema:
    """Every description cut to its first sentence, the top-level properties' too; an opened part keeps its
    `note`."""

    def compute() -> Schema:
        result = dict(schema)
        text = result.get("description")
        if isinstance(text, str):
            kept = text.endswith(note) and text != note
            result["description"] = (
                (first_sentence(text.removesuffix(note).strip()) + f" {note}").strip() if kept else first_sentence(text)
            )
        return memo.rebuilt(result, lambda keyword, key, sub: short_descriptions(memo, sub, note))

    return _cached(memo.done, ("short", id(schema), note), compute)


def short_nested_descriptions(memo: Memo, schema: Schema) -> Schema:
    """Descriptions below the top-level properties cut to their first sentence."""

    def inside(sub: Schema) -> Schema:
        return _cached(
            memo.done, ("cut inside", id(sub)), lambda: memo.rebuilt(sub, lambda k, kk, inner: _cut(memo, inner))
        )

    return memo.rebuilt(schema, lambda keyword, key, sub: inside(sub) if keyword == "properties" else _cut(memo, sub))


def _cut(memo: Memo, node: Schema) -> Schema:
    def compute() -> Schema:
        result = dict(node)
        description = result.get("description")
        if isinstance(description, str):
            result["description"] = first_sentence(description)
        return memo.rebuilt(result, lambda keyword, key, sub: _cut(memo, sub))

    return _cached(memo.done, ("cut", id(node)), compute)


# -- 4. open subtrees ------------------------------------------------------------------------------------------


def opened(node: Schema, note: str) -> Schema:
    """A schema's own annotations and type, without its insides: any value of that type is accepted here."""
    kept = {k: node[k] for k in _KEPT_WHEN_OPEN if k in node} | _implied_type(node)
    description = str(kept.get("description", "")).strip()
    kept["description"] = f"{description} {note}".strip() if note not in description else description
    return kept


def _implied_type(node: Schema) -> dict[str, str]:
    """The type a schema without `type`, `enum` or `const` shows by its other keywords (none when unclear)."""
    if any(k in node for k in ("type", "enum", "const")):
        return {}
    if "properties" in node or "additionalProperties" in node:
        return {"type": "object"}
    if "items" in node:
        return {"type": "array"}
    kinds = [kind for _, _, s in _children(node) if isinstance(kind := s.get("type"), str)]
    return {"type": kinds[0]} if kinds and len(set(kinds)) == 1 else {}


def open_deepest(memo: Memo, schema: Schema, note: str, fits: Callable[[Schema], bool]) -> Schema:
    """Open the deepest optional subtrees, one level at a time, until the schema fits; then the insides of the
    top-level properties (required ones too, which stay typed and described)."""
    result = schema
    for level in sorted(_openable_levels(memo, schema), reverse=True):
        if fits(result):
            return result
        result = pruned(memo, _open_at(memo, result, level, note, optional_only=True))
    for level in (2, 1):  # then required parts too, below and in the top-level properties (and definitions)
        if not fits(result):
            result = pruned(memo, _open_at(memo, result, level, note, optional_only=False))
    return result


def _openable_levels(memo: Memo, schema: Schema) -> set[int]:
    """The levels (below the top-level properties) holding an optional subtree that has insides to leave out."""
    return {1 + level for _, _, sub in _children(schema) for level in _levels(memo, sub)}


def _levels(memo: Memo, node: Schema) -> frozenset[int]:
    """How far below `node` an optional property with insides is found (1: among its own properties)."""

    def compute() -> frozenset[int]:
        required = _required(node)
        found: set[int] = set()
        for keyword, key, sub in _children(node):
            if keyword == "properties" and key not in required and _children(sub):
                found.add(1)
            found.update(1 + level for level in _levels(memo, sub))
        return frozenset(found)

    return _cached(memo.levels, id(node), compute)


def _open_at(memo: Memo, node: Schema, below: int, note: str, *, optional_only: bool) -> Schema:
    """Open every subtree `below` levels under `node` (the root's are at level 1) that has insides; with
    `optional_only`, only those not required by their parent object."""
    if below < 1:
        return node

    def compute() -> Schema:
        required = _required(node)

        def change(keyword: str, key: str | int | None, sub: Schema) -> Schema:
            if below == 1 and _children(sub):
                if optional_only and (keyword != "properties" or key in required):
                    return sub
                return _cached(memo.done, ("opened", id(sub), note), lambda: memo.one(opened(sub, note)))
            return _open_at(memo, sub, below - 1, note, optional_only=optional_only) if below > 1 else sub

        return memo.rebuilt(node, change)

    return _cached(memo.done, ("open at", id(node), below, note, optional_only), compute)


def pruned(memo: Memo, schema: Schema) -> Schema:
    """The schema without the `$defs` entries nothing refers to any more (opened parts held their references)."""
    defs = schema.get("$defs")
    if not isinstance(defs, dict):
        return schema
    pending = set(_own_ref(schema)).union(*(_refs(memo, v) for k, v in schema.items() if k != "$defs"))
    wanted: set[str] = set()
    while pending:
        name = pending.pop()
        if name not in wanted and name in defs:
            wanted.add(name)
            pending |= _refs(memo, defs[name])
    if len(wanted) == len(defs):
        return schema
    kept = {name: body for name, body in defs.items() if name in wanted}
    rest = {k: v for k, v in schema.items() if k != "$defs"}
    return memo.one({**rest, "$defs": kept} if kept else rest)


def _own_ref(node: Schema) -> tuple[str, ...]:
    ref = node.get("$ref")
    return (ref[len(_DEFS) :],) if isinstance(ref, str) and ref.startswith(_DEFS) else ()


def _refs(memo: Memo, value: object) -> frozenset[str]:
    """The `$defs` entries a value refers to, at any depth (examples and other data too)."""
    if isinstance(value, list | tuple):
        return frozenset().union(*(_refs(memo, item) for item in value))
    if not isinstance(value, dict):
        return frozenset()

    def compute() -> frozenset[str]:
        return frozenset(_own_ref(value)).union(*(_refs(memo, v) for v in value.values()))

    return _cached(memo.refs, id(memo.one(value)), compute)


# -- 6 and 7. many flat top-level properties ----------------------------------------------------------------


def without_long_descriptions(memo: Memo, schema: Schema, note: str, room: int) -> Schema:
    """The optional top-level properties' descriptions dropped, the longest first, until the schema fits in `room`
    bytes: the ones left are the short ones. The schema's own description says where the others are."""
    return _leaner(memo, schema, note, room, _undescribed)


def typed_only(memo: Memo, schema: Schema, note: str, room: int) -> Schema:
    """Optional top-level properties reduced to their type (no description, format or allowed values), the
    largest first, until the schema fits in `room` bytes."""
    return _leaner(memo, schema, note, room, _typed)


def _leaner(
    memo: Memo,
    schema: Schema,
    note: str,
    room: int,
    lean: Callable[[Memo, Schema], Schema],
) -> Schema:
    """`lean` applied to the optional top-level properties that save the most (of two that save as much, the later
    one), one at a time, until the schema (its description saying where the rest is) fits; required ones stay
    as they are."""
    properties = schema.get("properties")
    if not isinstance(properties, dict):
        return schema
    required = _required(schema)
    leaner = {k: lean(memo, v) for k, v in properties.items() if k not in required and isinstance(v, dict)}
    savings = {k: memo.size(properties[k]) - memo.size(v) for k, v in leaner.items()}
    if not any(saving > 0 for saving in savings.values()):
        return schema
    noted = memo.one(_noted(schema, note))
    excess = memo.size(noted) - room
    chosen: set[str] = set()
    order = sorted(enumerate(savings.items()), key=lambda item: (-item[1][1], -item[0]))
    for _, (key, saving) in order:
        if excess <= 0 or saving <= 0:
            break
        chosen.add(key)
        excess -= saving
    lean_properties = {k: leaner[k] if k in chosen else v for k, v in properties.items()}
    result = memo.one({**noted, "properties": lean_properties})
    return result if memo.size(result) < memo.size(schema) else schema  # the note may cost more than it saves


def _noted(schema: Schema, note: str) -> Schema:
    """The schema with its description (first, when it had none) saying where the full shape is."""
    description = schema.get("description")
    if not isinstance(description, str):
        return {"description": note, **schema}
    return schema if note in description else {**schema, "description": f"{description} {note}".strip()}


def _undescribed(memo: Memo, node: Schema) -> Schema:
    return _cached(
        memo.done, ("undescribed", id(node)), lambda: memo.one({k: v for k, v in node.items() if k != "description"})
    )


def _typed(memo: Memo, node: Schema) -> Schema:
    """A property's type alone (its allowed values when it has no type), and whether it may be null."""

    def compute() -> Schema:
        kept: Schema = {k: node[k] for k in ("type", "const", "nullable") if k in node}
        if "type" not in node and "const" not in node and "enum" in node:
            kept["enum"] = node["enum"]
        return memo.one(kept | _implied_type(node))

    return _cached(memo.done, ("typed", id(node)), compute)


# -- the JSON depth bound ----------------------------------------------------------------------------------------


def within_depth(schema: Schema, start: int, note: str, limit: int = DEPTH_LIMIT) -> Schema:
    """The schema with every subtree that would nest past `limit` (counting from `start`, the JSON depth the
    schema itself sits at) opened; unchanged when it already fits."""
    if start - 1 + json_depth(schema) <= limit:
        return schema

    def walk(node: Schema, depth: int) -> Schema:
        if depth - 1 + json_depth(node) <= limit:
            return node
        if depth + 3 > limit:  # its subschemas would sit too deep: this one is kept open
            return opened(node, note)

        def change(keyword: str, key: str | int | None, sub: Schema) -> Schema:
            return walk(sub, depth + (1 if keyword in _SINGLE else 2))

        return _rebuilt(node, change)

    return walk(schema, start)


# -- all of it -------------------------------------------------------------------------------------------------


Step = Callable[[Schema], Schema]


def _steps(memo: Memo, note: str, room: int) -> list[tuple[str, Step]]:
    """The reductions in their order, for an inputSchema that may take `room` bytes."""

    def fits(candidate: Schema) -> bool:
        return memo.size(candidate) <= room

    return [
        ("repeated parts shared", lambda s: share_repeated(s, memo.size(s) - room, memo)),
        ("examples dropped", lambda s: without_examples(memo, s)),
        ("nested descriptions shortened", lambda s: short_nested_descriptions(memo, s)),
        ("deepest optional parts left open", lambda s: open_deepest(memo, s, note, fits)),
        ("top-level descriptions shortened", lambda s: short_descriptions(memo, s, note)),
        ("long optional descriptions dropped", lambda s: without_long_descriptions(memo, s, note, room)),
        ("optional properties typed only", lambda s: typed_only(memo, s, note, room)),
    ]


def reduce_tool(
    name: str, description: str, schema: Schema, budget: int, note: str, memo: Memo | None = None
) -> Reduction:
    """The input schema within budget (in the order above) and within the depth bound (the tool definition puts
    the inputSchema at JSON depth 2). `memo`: the run's, shared by its tools (a fresh one without)."""
    before = prompt_size(name, description, schema)
    steps: list[str] = []
    result = within_depth(schema, 2, note)  # first: what follows walks the schema level by level
    if result is schema and before <= budget:
        return Reduction(schema, (), before, before, schema)  # most tools: measured once
    deep = result is not schema
    if deep:
        steps.append(f"parts deeper than {DEPTH_LIMIT} levels left open")
    memo = Memo() if memo is None else memo
    result = memo.one(result)
    whole = schema if deep else result
    # `prompt_size` is the name and description's share plus the inputSchema's size: what the schema may take
    room = budget - (prompt_size(name, description, {}) - memo.size({}))

    def fits(candidate: Schema) -> bool:
        return memo.size(candidate) <= room

    if not fits(result):
        for label, step in _steps(memo, note, room):
            reduced = pruned(memo, step(result))
            if reduced is not result and reduced != result:
                steps.append(label)
                result = reduced
            if fits(result):
                break
    return Reduction(result, tuple(steps), before, prompt_size(name, description, result), whole)

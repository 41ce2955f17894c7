"""Linking: compiled parts of one root schema made into JSON Schema against shared `$defs` (a referenced schema
used once is inlined, one used more often or in a cycle is kept once), and `$defs` attached to a root."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING

from generator.openapi import SCHEMA_KEYWORDS, SCHEMA_LIST_KEYWORDS, SCHEMA_MAP_KEYWORDS
from generator.schema_parts import MAX_SCHEMA_DEPTH, TOO_DEEP, Direction, Part, Ref, make_nullable

if TYPE_CHECKING:
    from generator.schema import SchemaCompiler

_CONDITIONAL_KEYWORDS = frozenset({"not", "if", "then", "else"})


class Linking:
    """One root schema's `$defs`: the parts added to it are linked against the same shared definitions.

    Planning walks the reference graph from the parts once, each referenced schema once: it counts the uses of
    each (a reference that closes a cycle does not count) and finds the cycles that never step into a part of the
    value (cut, with a warning). Linking then inlines a referenced schema used once, unless it is already being
    inlined further up (a cycle: that use becomes a `$ref`), and keeps one used more often once in `$defs`.
    """

    def __init__(self, compiler: SchemaCompiler, direction: Direction, *, max_depth: int | None = None) -> None:
        self.compiler = compiler
        self.direction = direction
        self.max_depth = max_depth
        self.parts: list[Part] = []
        self.planned = False
        self.uses: dict[str, int] = {}
        self.cut: set[int] = set()
        self.path: list[str] = []
        """The referenced schemas being inlined, outermost first: a use of one of them closes a cycle."""
        self.wanted: dict[str, None] = {}
        self.linked_defs: dict[str, dict[str, object]] = {}

    def add(self, part: Part) -> None:
        if self.planned:
            raise RuntimeError("every part of a linking must be added before the first one is linked")
        self.parts.append(part)

    def link(self, part: Part) -> dict[str, object]:
        """The part as JSON Schema; its `$ref`s point into `definitions()`."""
        if self.max_depth is None and not self.planned:
            self._plan()
        tree = part.tree
        linked = self._link_ref(tree, 0, inline=True) if isinstance(tree, Ref) else self._link(tree, 0, part.pointer)
        return linked if isinstance(linked, dict) else {}

    def definitions(self) -> dict[str, dict[str, object]]:
        """The definitions the linked parts refer to (directly or through each other), sorted by name."""
        done: set[str] = set()
        while len(done) < len(self.wanted):
            for ref in [r for r in self.wanted if r not in done]:
                done.add(ref)
                body = self.compiler.body(ref, self.direction)
                where = (self.compiler.resolve(ref, "") or ("", ""))[1]
                self.path.append(ref)
                try:
                    linked = (
                        self._link_ref(body, 0, inline=True) if isinstance(body, Ref) else self._link(body, 0, where)
                    )
                finally:
                    self.path.pop()
                self.linked_defs[self.compiler.def_name(ref)] = linked if isinstance(linked, dict) else {}
        return {name: self.linked_defs[name] for name in sorted(self.linked_defs)}

    # -- planning ---------------------------------------------------------------------------------------------

    def _plan(self) -> None:
        self.planned = True
        state: dict[str, bool] = {}  # True while on the walk's stack, False once done
        for part in self.parts:
            for edge in part.refs:
                self.uses[edge.ref] = self.uses.get(edge.ref, 0) + 1
                if edge.ref not in state:
                    self._walk(edge, state)

    def _walk(self, start: Ref, state: dict[str, bool]) -> None:
        """Depth first from `start`, iteratively; `descents[i]` counts the steps into a part of the value on the
        way to the i-th schema on the stack, so a cycle's count tells whether it describes deeper values."""
        frames: list[tuple[str, Iterator[Ref]]] = []
        position: dict[str, int] = {}
        descents: list[int] = []

        def enter(edge: Ref) -> None:
            state[edge.ref] = True
            position[edge.ref] = len(frames)
            descents.append((descents[-1] if descents else 0) + edge.descends)
            frames.append((edge.ref, iter(self.compiler.body_refs(edge.ref, self.direction))))

        enter(start)
        while frames:
            ref, edges = frames[-1]
            edge = next(edges, None)
            if edge is None:
                frames.pop()
                descents.pop()
                del position[ref]
                state[ref] = False
                continue
            if state.get(edge.ref) is True:
                if descents[-1] - descents[position[edge.ref]] + edge.descends == 0:
                    self.cut.add(id(edge))
                continue  # it closes a cycle: a `$ref` wherever it is used, not a use that could be inlined
            self.uses[edge.ref] = self.uses.get(edge.ref, 0) + 1
            if edge.ref not in state:
                enter(edge)

    def _inlined(self, ref: str) -> bool:
        if ref in self.path:
            return False
        if self.uses.get(ref, 0) <= 1:
            return True
        return self.direction == "input" and self.compiler.carries_binary(ref, self.direction)

    # -- linking ----------------------------------------------------------------------------------------------

    def _link(self, node: object, depth: int, where: str) -> object:
        """A compiled schema as JSON Schema; `where` is the pointer of the schema (a part, or a referenced one) it
        belongs to, for warnings."""
        if isinstance(node, Ref):
            return self._link_ref(node, depth)
        if not isinstance(node, dict):
            return node
        if self.max_depth is not None and depth > self.max_depth:
            return {}
        if depth >= MAX_SCHEMA_DEPTH:
            self.compiler.warn("too-deep", TOO_DEEP, where)
            return {}
        out: dict[str, object] = {}
        deeper = depth + 1
        for keyword, value in node.items():
            if self.max_depth is not None and keyword in _CONDITIONAL_KEYWORDS:
                continue  # cut short, they could reject what the whole schema accepts: left out, which allows more
            if keyword in SCHEMA_KEYWORDS or keyword == "additionalProperties":
                out[keyword] = self._link(value, deeper, where)
            elif keyword in SCHEMA_LIST_KEYWORDS and isinstance(value, list):
                out[keyword] = [self._link(item, deeper, where) for item in value]
            elif keyword in SCHEMA_MAP_KEYWORDS and isinstance(value, dict):
                out[keyword] = {name: self._link(item, deeper, where) for name, item in value.items()}
            else:
                out[keyword] = value
        return out

    def _link_ref(self, node: Ref, depth: int, *, inline: bool = False) -> object:
        if id(node) in self.cut:
            message = f"reference {node.ref!r} comes back to itself without describing any value; treated as any value"
            self.compiler.warn("circular-ref", message, node.pointer)
            return {}
        if self.max_depth is not None:
            if depth > self.max_depth:
                return {}
        elif depth >= MAX_SCHEMA_DEPTH:
            self.compiler.warn("too-deep", TOO_DEEP, node.pointer)
            return {}
        annotations = dict(node.annotations)
        if self.max_depth is not None or inline or self._inlined(node.ref):
            target = self.compiler.resolve(node.ref, node.pointer)
            where = target[1] if target is not None else node.pointer
            self.path.append(node.ref)
            try:
                linked = self._link(self.compiler.body(node.ref, self.direction), depth + 1, where)
            finally:
                self.path.pop()
            linked = {**linked, **annotations} if annotations and isinstance(linked, dict) else linked
            if node.nullable and isinstance(linked, dict):
                linked = dict(linked)
                make_nullable(linked)
            return linked
        self.wanted.setdefault(node.ref)
        reference = {"$ref": f"#/$defs/{self.compiler.def_name(node.ref)}"}
        if node.nullable:
            return {**annotations, "anyOf": [reference, {"type": "null"}]}
        return {**reference, **annotations}


def _refs_in(node: object) -> set[str]:
    if isinstance(node, dict):
        ref = node.get("$ref")
        found = {ref.rsplit("/", 1)[-1]} if isinstance(ref, str) else set()
        for key, value in node.items():
            if key != "$defs":
                found |= _refs_in(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs_in(item) for item in node)) if node else set()
    return set()


def attach_defs(schema: dict[str, object], defs: Mapping[str, object]) -> dict[str, object]:
    """Put the definitions a root schema still refers to (directly or through each other) under `$defs`. The
    result is loosely typed: the IR builder writes into the `$defs` it returns."""
    if not defs:
        return schema
    used: set[str] = set()
    frontier = _refs_in(schema)
    while frontier - used:
        name = (frontier - used).pop()
        used.add(name)
        frontier |= _refs_in(defs.get(name, {}))
    kept = {name: defs[name] for name in sorted(used) if name in defs}
    return {**schema, "$defs": kept} if kept else schema

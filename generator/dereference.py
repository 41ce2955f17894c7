"""Structural `$ref`s: the ones standing for a path item, an operation, a map (of components, properties...), `paths`.

OpenAPI allows a Reference Object for a path item but not for an operation or for a map: a whole
`components/schemas`, a schema's `properties`, a response's `headers`, an operation's `responses`... Real specs
use them all (a file of schemas, an operation or a list of properties kept in a file of its own). After bundling
every ref is local, so each is replaced here by what it points at, and later stages see an ordinary document.
Entries written beside a map's `$ref` are kept, and win over the referenced map's entries of the same name. Refs
the standard allows elsewhere (schemas, parameters, responses...) are left for the stages that follow them.
"""

from __future__ import annotations

from collections.abc import Mapping

from generator.diagnostics import Reporter
from generator.openapi import (
    DATA_KEYS,
    escape_token,
    is_extension,
    json_pointer,
    operation_methods,
    ref_of,
    unescape_token,
)

_COMPONENT_SECTIONS = (
    "schemas", "responses", "parameters", "examples", "requestBodies", "headers", "securitySchemes", "links",
    "callbacks", "pathItems",
)  # fmt: skip
_MAX_CHAIN = 64
MAP_FIELDS = frozenset(
    {
        "properties", "patternProperties", "dependentSchemas", "$defs", "definitions", "schemas", "responses",
        "parameters", "requestBodies", "headers", "securitySchemes", "securityDefinitions", "links", "callbacks",
        "pathItems", "examples", "content", "encoding", "scopes", "variables", "mapping", "paths", "webhooks",
        "additionalOperations",
    }
)  # fmt: skip
"""Fields whose value is a map from names to objects (to text, for `scopes` and `mapping`): where a `$ref` in
place of the map stands for the map it points at. (`parameters` is a list in operations: a ref there is left.)"""
_TEXT_MAPS = frozenset({"scopes", "mapping"})
_CALLBACKS = "callbacks"
"""Its entries are maps too (an expression to a path item)."""

Trail = tuple["Trail", str] | str | None
"""Where a node sits: None for the document, a JSON pointer where a ref led, or (parent trail, key); a pointer
is built only when a warning needs one."""


def pointer_of(trail: Trail) -> str:
    """The JSON pointer of a trail."""
    tokens: list[str] = []
    while isinstance(trail, tuple):
        trail, key = trail
        tokens.append(escape_token(key))
    return (trail or "") + "".join("/" + token for token in reversed(tokens))


def resolve_local(document: Mapping[str, object], ref: str) -> object:
    """The value a local ref (`#/a/b`) points at, or None when it points at nothing."""
    if not ref.startswith("#"):
        return None
    target: object = document
    for raw in ref[1:].split("/")[1:] if ref != "#" else []:
        token = unescape_token(raw)
        if isinstance(target, dict) and token in target:
            target = target[token]
        elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
            target = target[int(token)]
        else:
            return None
    return target


class _Dereferencer:
    def __init__(self, document: dict[str, object], report: Reporter) -> None:
        self.document = document
        self.warn = report.warn

    def follow(self, node: dict[str, object], pointer: str) -> dict[str, object] | None:
        """`node` with its `$ref` chain followed, siblings of each ref kept over the target's fields; None when the
        chain cannot be followed (dangling or circular, warned)."""
        seen: set[str] = set()
        while isinstance(ref := node.get("$ref"), str):
            if ref in seen or len(seen) >= _MAX_CHAIN:
                self.warn("circular-ref", f"reference {ref!r} comes back to itself; left out", pointer)
                return None
            seen.add(ref)
            target = resolve_local(self.document, ref)
            if not isinstance(target, dict):
                self.warn("dangling-ref", f"reference {ref!r} points at no object; left out", pointer)
                return None
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            node = {**target, **siblings} if siblings else target
        return node

    def swagger2_maps(self) -> None:
        """Swagger 2.0 keeps its component maps at the top level."""
        for section in ("definitions", "parameters", "responses", "securityDefinitions"):
            value = self.document.get(section)
            if isinstance(value, dict) and isinstance(value.get("$ref"), str):
                resolved = self.follow(value, f"/{section}")
                self.document[section] = resolved if resolved is not None else {}
                message = f"the whole `{section}` map is given as a reference; the map it points at is used"
                self.warn("component-map-ref", message, f"/{section}")

    def components(self) -> None:
        components = self.document.get("components")
        if isinstance(components, dict) and "$ref" in components:
            components = self.follow(components, "/components")
            self.document["components"] = components if isinstance(components, dict) else {}
            self.warn("component-map-ref", "`components` given as a reference; its target is used", "/components")
        if not isinstance(components, dict):
            return
        for section in _COMPONENT_SECTIONS:
            value = components.get(section)
            if isinstance(value, dict) and isinstance(value.get("$ref"), str):
                pointer = json_pointer("components", section)
                resolved = self.follow(value, pointer)
                components[section] = resolved if resolved is not None else {}
                message = f"the whole `{section}` map is given as a reference; the map it points at is used"
                self.warn("component-map-ref", message, pointer)

    def path_items(self, key: str) -> None:
        """Path items (and their operations) given as references, in `paths` or (3.1) `webhooks`."""
        items = self.document.get(key)
        if isinstance(items, dict) and "$ref" in items:
            items = self.follow(items, f"/{key}")
            self.warn("paths-ref", f"`{key}` given as a reference; its target is used", f"/{key}")
            self.document[key] = items = dict(items) if isinstance(items, dict) else {}
        if not isinstance(items, dict):
            return
        for path in list(items):
            item = items[path]
            pointer = json_pointer(key, path)
            if isinstance(item, dict) and "$ref" in item:
                item = self.follow(item, pointer)
                if item is None:
                    del items[path]
                    continue
                items[path] = item = dict(item)  # its own copy: later repairs may change one path, not all
            if isinstance(item, dict):
                self.operations(item, pointer)

    def operations(self, item: dict[str, object], pointer: str) -> None:
        for method in operation_methods(item):
            operation = item.get(method)
            if isinstance(operation, dict) and isinstance(operation.get("$ref"), str):
                here = f"{pointer}/{method}"
                resolved = self.follow(operation, here)
                if resolved is not None:
                    item[method] = resolved
                    self.warn(
                        "operation-ref", "operation given as a reference; the operation it points at is used", here
                    )
                else:
                    del item[method]


class _MapRefs:
    """The walk that finds every other map given as a `$ref`: through the document (extensions aside) and through
    each local ref into what it points at, so a map-ref inside a bundled file or an `x-` section is found where it
    is used. Knows maps from objects: a property named `content` is a schema, not a content map."""

    def __init__(self, dereferencer: _Dereferencer) -> None:
        self.dereferencer = dereferencer
        self.document = dereferencer.document
        self.seen: tuple[set[int], set[int]] = (set(), set())
        """The objects, and the maps, visited (by id): shared parts and cycles are walked once."""
        self.targets: dict[str, object] = {}
        self.stack: list[tuple[dict[str, object], Trail, str]] = []
        """Nodes still to visit: an object (field "") or the map held by that field."""

    def run(self) -> None:
        self.push(self.document, None, "")
        while self.stack:
            node, trail, field = self.stack.pop()
            if field:
                self.visit_map(node, trail, field)
            else:
                self.visit_object(node, trail)

    def push(self, node: object, trail: Trail, field: str) -> None:
        seen = self.seen[bool(field)]
        if type(node) is dict and id(node) not in seen:
            seen.add(id(node))
            self.stack.append((node, trail, field))

    def visit_object(self, node: dict[str, object], trail: Trail) -> None:
        for key, value in node.items():
            kind = type(value)
            if kind is str:
                if key == "$ref" and isinstance(value, str):
                    self.push(self.target(value), value[1:], "")
                continue
            if kind is not dict and kind is not list:
                continue
            if (
                key in MAP_FIELDS
                and type(value) is dict
                and (ref := ref_of(value)) is not None
                and not is_extension(key)
            ):
                value = self.inline(node, key, value, ref, trail)
            if key in DATA_KEYS or is_extension(key):
                continue  # instance data; an extension is walked only where a ref leads
            if type(value) is dict:
                self.push(value, (trail, key), key if key in MAP_FIELDS else "")
            elif type(value) is list:
                for index, item in enumerate(value):
                    self.push(item, ((trail, key), str(index)), "")

    def visit_map(self, node: dict[str, object], trail: Trail, field: str) -> None:
        if field in _TEXT_MAPS:
            return
        inner = "callback" if field == _CALLBACKS else ""
        for name, entry in node.items():
            if type(entry) is dict:
                self.push(entry, (trail, name), inner)

    def target(self, ref: str) -> object:
        if ref not in self.targets:
            self.targets[ref] = resolve_local(self.document, ref) if ref.startswith("#") else None
        return self.targets[ref]

    def inline(
        self, holder: dict[str, object], key: str, value: dict[str, object], ref: str, trail: Trail
    ) -> list[object] | dict[str, object]:
        """The map a map-ref (`value`, whose `$ref` is `ref`) stands for, put in its place (or the list, for an
        operation's `parameters`): empty (with the warning `follow` gives) when the ref dangles or comes back to
        itself."""
        here = pointer_of((trail, key))
        target = self.target(ref)
        replaced: list[object] | dict[str, object]
        if isinstance(target, list) and len(value) == 1:
            holder[key] = replaced = list(target)
        else:
            resolved = self.dereferencer.follow(value, here)
            holder[key] = replaced = dict(resolved) if resolved is not None else {}
            if resolved is None:
                return replaced
        wanted = "a list" if isinstance(replaced, list) else "a map"
        message = f"`{key}` is one reference ({ref!r}) where OpenAPI wants {wanted}; what it points at is used"
        self.dereferencer.warn("map-ref", message, here)
        return replaced


def dereference_structure(document: dict[str, object], report: Reporter) -> None:
    """Replace, in place, the refs standing for maps, path items and operations (warnings to `report`)."""
    dereferencer = _Dereferencer(document, report)
    if "swagger" in document:
        dereferencer.swagger2_maps()
    dereferencer.components()
    dereferencer.path_items("paths")
    dereferencer.path_items("webhooks")
    _MapRefs(dereferencer).run()

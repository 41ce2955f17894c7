"""Structural `$ref`s: the ones standing for a path item, an operation, a whole component map, or `paths` itself.

OpenAPI allows a Reference Object for a path item but not for an operation or for a whole `components/schemas`
map; real specs use all three (a file of schemas, an operation kept in its own file). After bundling every ref
is local, so each is replaced here by what it points at, and later stages see an ordinary document. Refs the
standard allows elsewhere (schemas, parameters, responses...) are left for the stages that follow them.
"""

from __future__ import annotations

from typing import Any

from generator.diagnostics import Reporter
from generator.openapi import json_pointer, operation_methods, unescape_token

_COMPONENT_SECTIONS = (
    "schemas", "responses", "parameters", "examples", "requestBodies", "headers", "securitySchemes", "links",
    "callbacks", "pathItems",
)  # fmt: skip
_MAX_CHAIN = 64


def resolve_local(document: dict[str, Any], ref: str) -> Any:
    """The value a local ref (`#/a/b`) points at, or None when it points at nothing."""
    if not ref.startswith("#"):
        return None
    target: Any = document
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
    def __init__(self, document: dict[str, Any], report: Reporter) -> None:
        self.document = document
        self.warn = report.warn

    def follow(self, node: Any, pointer: str) -> tuple[Any, bool]:
        """`node` with its `$ref` chain followed, siblings of each ref kept over the target's fields; and whether
        the chain could be followed (False: dangling or circular, warned)."""
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen or len(seen) >= _MAX_CHAIN:
                self.warn("circular-ref", f"reference {ref!r} comes back to itself; left out", pointer)
                return None, False
            seen.add(ref)
            target = resolve_local(self.document, ref)
            if not isinstance(target, dict):
                self.warn("dangling-ref", f"reference {ref!r} points at no object; left out", pointer)
                return None, False
            siblings = {key: value for key, value in node.items() if key != "$ref"}
            node = {**target, **siblings} if siblings else target
        return node, True

    def swagger2_maps(self) -> None:
        """Swagger 2.0 keeps its component maps at the top level."""
        for section in ("definitions", "parameters", "responses", "securityDefinitions"):
            value = self.document.get(section)
            if isinstance(value, dict) and isinstance(value.get("$ref"), str):
                resolved, followed = self.follow(value, f"/{section}")
                self.document[section] = resolved if followed else {}
                message = f"the whole `{section}` map is given as a reference; the map it points at is used"
                self.warn("component-map-ref", message, f"/{section}")

    def components(self) -> None:
        components = self.document.get("components")
        if isinstance(components, dict) and "$ref" in components:
            components, _ = self.follow(components, "/components")
            self.document["components"] = components if isinstance(components, dict) else {}
            self.warn("component-map-ref", "`components` given as a reference; its target is used", "/components")
        if not isinstance(components, dict):
            return
        for section in _COMPONENT_SECTIONS:
            value = components.get(section)
            if isinstance(value, dict) and isinstance(value.get("$ref"), str):
                pointer = json_pointer("components", section)
                resolved, followed = self.follow(value, pointer)
                components[section] = resolved if followed else {}
                message = f"the whole `{section}` map is given as a reference; the map it points at is used"
                self.warn("component-map-ref", message, pointer)

    def path_items(self, key: str) -> None:
        """Path items (and their operations) given as references, in `paths` or (3.1) `webhooks`."""
        items = self.document.get(key)
        if isinstance(items, dict) and "$ref" in items:
            items, _ = self.follow(items, f"/{key}")
            self.warn("paths-ref", f"`{key}` given as a reference; its target is used", f"/{key}")
            self.document[key] = items = dict(items) if isinstance(items, dict) else {}
        if not isinstance(items, dict):
            return
        for path in list(items):
            item = items[path]
            pointer = json_pointer(key, path)
            if isinstance(item, dict) and "$ref" in item:
                item, followed = self.follow(item, pointer)
                if not followed:
                    del items[path]
                    continue
                items[path] = item = dict(item)  # its own copy: later repairs may change one path, not all
            if isinstance(item, dict):
                self.operations(item, pointer)

    def operations(self, item: dict[str, Any], pointer: str) -> None:
        for method in operation_methods(item):
            operation = item.get(method)
            if isinstance(operation, dict) and isinstance(operation.get("$ref"), str):
                here = f"{pointer}/{method}"
                resolved, followed = self.follow(operation, here)
                if followed:
                    item[method] = resolved
                    self.warn(
                        "operation-ref", "operation given as a reference; the operation it points at is used", here
                    )
                else:
                    del item[method]


def dereference_structure(document: dict[str, Any], report: Reporter) -> None:
    """Replace, in place, the refs standing for component maps, path items and operations (warnings to `report`)."""
    dereferencer = _Dereferencer(document, report)
    if "swagger" in document:
        dereferencer.swagger2_maps()
    dereferencer.components()
    dereferencer.path_items("paths")
    dereferencer.path_items("webhooks")

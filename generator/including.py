"""Included specs (the config's `include_specs`): other OpenAPI documents whose paths, components and tags join the
main spec's before it is parsed, as if they had been written in it.

Each included file is loaded and bundled on its own (its `$ref`s relative to its own folder). Its `info` and other
top-level fields are not taken. Its `servers` and `security`, when it has them and they differ from the main spec's,
are written onto its path items and operations, so what a call needs does not change by merging. Anything the two
would both define differently is an error naming both files: an operation (the same method on the same path), a
path spelled with other parameter names (`/pets/{id}` and `/pets/{pet_id}` are one path), an operationId, a
component or a tag. A path both have is one path item: the included operations join the main spec's, taking their
own item's parameters and servers with them, and the main item's parameters apply to them as to its own. A
component or tag both define identically is taken once. Warnings about an included operation name the included
file.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from generator.bundle import BUNDLE_KEY, bundle
from generator.diagnostics import Diagnostic, GenerationError
from generator.load import load_mapping
from generator.openapi import HTTP_METHODS, json_pointer


@dataclass(frozen=True)
class IncludedSpec:
    """An included file a run merged: its name, the SHA-256 of its bytes and its operations (for provenance.json)."""

    name: str
    sha256: str
    operations: int

    @property
    def data(self) -> dict[str, str | int]:
        """As provenance.json records it."""
        return {"file": self.name, "sha256": self.sha256, "operations": self.operations}


@dataclass(frozen=True)
class Combined:
    """The main document with every included spec merged, the warnings found, and what came from where."""

    document: dict[str, object]
    warnings: tuple[Diagnostic, ...] = ()
    included: tuple[IncludedSpec, ...] = ()
    origins: dict[str, str] = field(default_factory=dict)
    """The JSON pointer of each path item an included file brought (`/paths/~1pets`) -> that file."""

    def attributed(self, diagnostic: Diagnostic) -> Diagnostic:
        """The diagnostic naming the included file its place comes from, when it comes from one."""
        parts = diagnostic.pointer.split("/", 4)
        origin = self.origins.get("/".join(parts[:4])) or self.origins.get("/".join(parts[:3]))
        if origin is None or diagnostic.line is not None:
            return diagnostic
        return Diagnostic(diagnostic.level, diagnostic.kind, diagnostic.message, origin, diagnostic.pointer)


def _shape(path: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", path)


def _operation_ids(paths: object) -> Iterator[tuple[str, str]]:
    """Each operationId of a paths object with its pointer."""
    for path, item in paths.items() if isinstance(paths, dict) else ():
        for method in HTTP_METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            if isinstance(operation, dict) and isinstance(operation.get("operationId"), str):
                yield operation["operationId"], json_pointer("paths", path, method, "operationId")


def _pushed_down(item: dict[str, object]) -> dict[str, dict[str, object]]:
    """A path item's operations, each with the item's own parameters (those it does not set itself) and servers,
    ready to join another item of the same path."""
    parameters = item.get("parameters")
    shared = [p for p in parameters if isinstance(p, dict)] if isinstance(parameters, list) else []
    operations: dict[str, dict[str, object]] = {}
    for method in HTTP_METHODS:
        operation = item.get(method)
        if not isinstance(operation, dict):
            continue
        operation = dict(operation)
        own = operation.get("parameters") or []
        if isinstance(own, list):  # other values are the validator's to refuse
            named = {(p.get("name"), p.get("in")) for p in own if isinstance(p, dict)}
            inherited = [p for p in shared if (p.get("name"), p.get("in")) not in named and p not in own]
            if inherited:
                operation["parameters"] = [*inherited, *own]
        if "servers" in item:
            operation.setdefault("servers", item["servers"])
        operations[method] = operation
    return operations


def _section(holder: dict[str, object], key: str) -> dict[str, object] | None:
    """The main document's mapping under `key`, added when absent or null; None when it holds something else (then
    validating the document reports it)."""
    value = holder.setdefault(key, {})
    if value is None:
        holder[key] = value = {}
    return value if isinstance(value, dict) else None


class _Merger:
    def __init__(self, document: dict[str, object], main: str) -> None:
        self.document = document
        self.main = main
        self.errors: list[Diagnostic] = []
        self.origins: dict[str, str] = {}
        paths = document.get("paths")
        self.operation_ids = dict(_operation_ids(paths))
        self.shapes = {_shape(path): path for path in paths} if isinstance(paths, dict) else {}

    def clash(self, source: str, pointer: str, what: str) -> None:
        message = f"{what} is in both {self.main} and this included spec; one of them must change it (include_specs)"
        self.errors.append(Diagnostic("error", "include", message, source, pointer))

    def mapping(self, value: object, source: str, pointer: str) -> dict[str, object]:
        """A mapping of the included spec (nothing for a null or empty value); anything else is an error."""
        if isinstance(value, dict):
            return value
        if value:
            message = f"`{pointer[1:]}` in this included spec is not a mapping, so it cannot be merged (include_specs)"
            self.errors.append(Diagnostic("error", "include", message, source, pointer))
        return {}

    def merge(self, other: dict[str, object], source: str) -> None:
        version, own = str(self.document.get("openapi", "")), str(other.get("openapi", ""))
        if own.split(".")[:2] != version.split(".")[:2]:
            line = ".".join(version.split(".")[:2])
            message = f"an included spec must be OpenAPI {line}.x like {self.main}, not {own or 'unknown'}"
            self.errors.append(Diagnostic("error", "include", message, source, "/openapi"))
            return
        self.carry_down(other)
        self.paths(self.mapping(other.get("paths"), source, "/paths"), source)
        self.entries(other, "webhooks", source)
        self.components(self.mapping(other.get("components"), source, "/components"), source)
        self.entries(other, BUNDLE_KEY, source)
        self.tags(other.get("tags") or [], source)

    def entries(self, other: dict[str, object], key: str, source: str) -> None:
        """The entries of a top-level map (`webhooks`, the bundled files), each joining the main document's."""
        for name, value in self.mapping(other.get(key), source, json_pointer(key)).items():
            target = _section(self.document, key)
            if target is not None:
                self.entry(target, name, value, source, json_pointer(key, name))

    def components(self, components: dict[str, object], source: str) -> None:
        for section, value in components.items():
            entries = self.mapping(value, source, json_pointer("components", section))
            holder = _section(self.document, "components")
            if holder is None:
                continue
            if not entries:
                holder.setdefault(section, {})  # an empty section is added all the same
                continue
            target = _section(holder, section)
            for name, entry in entries.items():
                if target is not None:
                    self.entry(target, name, entry, source, json_pointer("components", section, name))

    def carry_down(self, other: dict[str, object]) -> None:
        """The included spec's own servers and security, onto its path items and operations where they differ."""
        paths = other.get("paths")
        for key, level in (("servers", "item"), ("security", "operation")):
            if key not in other or other[key] == self.document.get(key) or not isinstance(paths, dict):
                continue
            for item in paths.values():
                if not isinstance(item, dict):
                    continue
                if level == "item":
                    item.setdefault(key, other[key])
                    continue
                for method in HTTP_METHODS:
                    if isinstance(operation := item.get(method), dict):
                        operation.setdefault(key, other[key])

    def paths(self, paths: dict[str, object], source: str) -> None:
        if not paths:
            self.document.setdefault("paths", {})
            return
        target = _section(self.document, "paths")
        if target is None:
            return  # the main document's own `paths` is not a mapping: validating it says so
        for path, item in paths.items():
            pointer = json_pointer("paths", path)
            known = self.shapes.get(_shape(path))
            if known is not None and known != path:
                self.clash(source, pointer, f"path `{path}` (written `{known}`)")
                continue
            for operation_id, where in _operation_ids({path: item}):
                if operation_id in self.operation_ids:
                    self.clash(source, where, f"operationId `{operation_id}`")
                self.operation_ids[operation_id] = where
            joined = target.get(path)
            if known is None or not isinstance(item, dict) or not isinstance(joined, dict):
                target[path] = item
                self.shapes[_shape(path)] = path
                self.origins[pointer] = source
                continue
            for method, operation in _pushed_down(item).items():  # a path both have: its operations join
                if method in joined:
                    self.clash(source, json_pointer("paths", path, method), f"`{method.upper()} {path}`")
                joined.setdefault(method, operation)
                self.origins[json_pointer("paths", path, method)] = source

    def entry(self, target: dict[str, object], name: str, value: object, source: str, pointer: str) -> None:
        if name in target and target[name] != value:
            self.clash(source, pointer, f"`{pointer[1:]}`, defined differently,")
        target.setdefault(name, value)

    def tags(self, tags: object, source: str) -> None:
        known = self.document.setdefault("tags", [])
        if known is None:
            self.document["tags"] = known = []
        if not isinstance(tags, list):
            message = "`tags` in this included spec is not a list, so it cannot be merged (include_specs)"
            self.errors.append(Diagnostic("error", "include", message, source, "/tags"))
            return
        if not isinstance(known, list):
            return  # the main document's own `tags` is not a list: validating it says so
        by_name = {t.get("name"): t for t in known if isinstance(t, dict)}
        for index, tag in enumerate(tags):
            name = tag.get("name") if isinstance(tag, dict) else None
            if name not in by_name:
                known.append(tag)
                by_name[name] = tag
            elif by_name[name] != tag:
                self.clash(source, json_pointer("tags", index), f"tag `{name}`, defined differently,")


def include_specs(
    document: dict[str, object],
    main: Path,
    files: tuple[Path, ...],
    *,
    allow_remote: bool = False,
    allow_outside: bool = False,
) -> Combined:
    """The main spec's document with each file's paths, webhooks, components and tags merged in, in order; raise
    GenerationError on a missing file or on anything both define differently."""
    if not files:
        return Combined(document)
    merger = _Merger(document, main.name)
    warnings: list[Diagnostic] = []
    included: list[IncludedSpec] = []
    for path in files:
        loaded = load_mapping(path)
        bundled = bundle(loaded, path, allow_remote=allow_remote, allow_outside=allow_outside)
        warnings.extend(bundled.warnings)
        paths = bundled.document.get("paths")
        count = sum(
            isinstance(item, dict) and isinstance(item.get(m), dict)
            for item in (paths.values() if isinstance(paths, dict) else ())
            for m in HTTP_METHODS
        )
        merger.merge(bundled.document, str(path))
        included.append(IncludedSpec(path.name, hashlib.sha256(path.read_bytes()).hexdigest(), count))
    if merger.errors:
        raise GenerationError(merger.errors)
    return Combined(document, tuple(warnings), tuple(included), merger.origins)

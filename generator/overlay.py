"""Overlays (OpenAPI Overlay 1.0 and 1.1): ordered JSONPath changes to a loaded spec, applied before bundling."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, TypeVar

from generator.diagnostics import Diagnostic, GenerationError
from generator.load import MAX_DEPTH, MAX_VALUES, check_structure, load_mapping
from generator.openapi import json_pointer

if TYPE_CHECKING:
    from jsonpath_rfc9535 import JSONPathEnvironment, JSONPathNode, JSONPathQuery

Kind = Literal["update", "copy", "remove"]
"""What an action does to the nodes its target selects."""

NO_MATCH = "overlay-no-match"
"""The warning's kind for an action whose target selects nothing (an error with `--strict`)."""

_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")
_TOP_KEYS = frozenset({"overlay", "info", "extends", "actions"})
_ACTION_KEYS = frozenset({"target", "description", "update", "remove", "copy"})
_T = TypeVar("_T")


@functools.cache
def _jsonpath() -> JSONPathEnvironment:
    """RFC 9535 JSONPath whose descendant segment (`..`) follows a document as deep as the loader accepts.
    Imported on first use: a run without overlays does not pay for it."""
    import jsonpath_rfc9535

    environment = jsonpath_rfc9535.JSONPathEnvironment()
    environment.max_recursion_depth = MAX_DEPTH + 1
    return environment


def _jsonpath_error() -> type[Exception]:
    """The JSONPath library's error class, imported (as the library is) on first use."""
    from jsonpath_rfc9535 import JSONPathError

    return JSONPathError


@dataclass(frozen=True)
class AppliedOverlay:
    """An overlay a run applied: its file name and the SHA-256 of its bytes (recorded in provenance.json)."""

    name: str
    sha256: str

    @property
    def data(self) -> dict[str, str]:
        """As provenance.json records it."""
        return {"file": self.name, "sha256": self.sha256}


@dataclass(frozen=True)
class Overlaid:
    """The document with every overlay applied, the warnings found, and the overlays applied, in order."""

    document: dict[str, object]
    warnings: tuple[Diagnostic, ...] = ()
    applied: tuple[AppliedOverlay, ...] = ()


@dataclass(frozen=True)
class _Action:
    index: int
    kind: Kind
    target: str
    query: JSONPathQuery
    update: object = None
    copy: str = ""
    """The `copy` JSONPath (Overlay 1.1), as written."""
    copy_query: JSONPathQuery | None = None


@dataclass(frozen=True)
class _Overlay:
    path: Path
    minor: int
    """The Overlay minor version: 0 (targets are objects and arrays; no `copy`) or 1 and later."""
    actions: tuple[_Action, ...]


def apply_overlays(document: dict[str, object], paths: Sequence[Path]) -> Overlaid:
    """Apply each overlay file in order, each action in order, to a copy of the document; raise on bad input."""
    if not paths:
        return Overlaid(document)
    document = _copied(document)  # a plain tree: a change through one YAML alias must not show through another
    warnings: list[Diagnostic] = []
    applied: list[AppliedOverlay] = []
    room = MAX_VALUES  # how many more values the overlays may add (copies of copies double a document each time)
    for path in paths:
        overlay = _read_overlay(path)
        for action in overlay.actions:
            room -= _apply(document, action, overlay, warnings, room)
        _check_result(document, path)
        applied.append(AppliedOverlay(path.name, _sha256(path)))
    return Overlaid(document, tuple(warnings), tuple(applied))


def _check_result(document: dict[str, object], path: Path) -> None:
    """The changed document must still be one later stages can take (not nested too deeply)."""
    try:
        check_structure(document, path, shared=False, escapes=False)
    except GenerationError as exc:
        found = [dataclasses.replace(d, message=f"once this overlay is applied, {d.message}") for d in exc.diagnostics]
        raise GenerationError(found) from None


def _read_overlay(path: Path) -> _Overlay:
    """Load and check an overlay file: every problem in it is reported at once."""
    try:
        raw: dict[str, object] = load_mapping(path)
    except GenerationError as exc:
        raise GenerationError(
            [dataclasses.replace(d, message=f"overlay: {d.message}") for d in exc.diagnostics]
        ) from None
    minor = _minor_version(raw, path)
    problems = [*_top_problems(raw, path), *_info_problems(raw.get("info"), path)]
    actions = raw.get("actions")
    if not isinstance(actions, list) or not actions:
        message = "`actions` must be a list of at least one action"
        problems.append(Diagnostic("error", "overlay", message, str(path), "/actions"))
        actions = []
    found = [_read_action(entry, index, minor, path, problems) for index, entry in enumerate(actions)]
    if problems:
        raise GenerationError(problems)
    return _Overlay(path, minor, tuple(action for action in found if action is not None))


def _minor_version(raw: Mapping[str, object], path: Path) -> int:
    """The `overlay` version's minor number; an error unless it reads `1.<minor>.<patch>`."""
    version = raw.get("overlay")
    match = _VERSION.fullmatch(version) if isinstance(version, str) else None
    problem = ""
    if version is None:
        problem = "no `overlay` version: is this an Overlay document? (it starts with `overlay: 1.1.0`)"
    elif match is None:
        problem = f"`overlay` must be a version string such as 1.1.0 (quoted in YAML), not {version!r}"
    elif match.group(1) != "1":
        problem = f"unsupported Overlay version {version}: this generator applies Overlay 1.x"
    if problem:
        raise GenerationError([Diagnostic("error", "overlay", problem, str(path), "/overlay")])
    assert match is not None
    return int(match.group(2))


def _top_problems(raw: Mapping[str, object], path: Path) -> list[Diagnostic]:
    problems = [
        Diagnostic(
            "error", "overlay", f"unknown field `{key}` (known: {', '.join(sorted(_TOP_KEYS))})", str(path), f"/{key}"
        )
        for key in raw
        if key not in _TOP_KEYS and not key.startswith("x-")
    ]
    if "extends" in raw and not isinstance(raw["extends"], str):
        problems.append(Diagnostic("error", "overlay", "`extends` must be a URI reference", str(path), "/extends"))
    return problems


def _info_problems(info: object, path: Path) -> list[Diagnostic]:
    if not isinstance(info, dict):
        return [Diagnostic("error", "overlay", "`info` must be an object with `title` and `version`", str(path))]
    return [
        Diagnostic("error", "overlay", f"`info.{key}` must be a string", str(path), f"/info/{key}")
        for key in ("title", "version")
        if not isinstance(info.get(key), str)
    ]


def _kind(entry: Mapping[str, object]) -> Kind | None:
    """The action's kind, as the spec ranks them: `remove: true` makes `update` and `copy` have no impact."""
    if entry.get("remove") is True:
        return "remove"
    if "copy" in entry and "update" not in entry:
        return "copy"
    if "update" in entry and "copy" not in entry:
        return "update"
    return None


def _read_action(entry: object, index: int, minor: int, path: Path, problems: list[Diagnostic]) -> _Action | None:
    """One action, checked; None (with its problems added) when it cannot be applied."""
    pointer = json_pointer("actions", index)
    if not isinstance(entry, dict):
        problems.append(Diagnostic("error", "overlay", f"overlay action {index} must be an object", str(path), pointer))
        return None
    target, kind = entry.get("target"), _kind(entry)
    said = f"overlay action {index} ({kind or 'no change'})"
    if isinstance(target, str):
        said += f" target `{target}`"
    found = [f"{said}: {problem}" for problem in _action_problems(entry, kind, minor)]
    query = _compile(target, said, found)
    copy = entry.get("copy") if kind == "copy" else None
    copy_query = _compile(copy, f"{said}: `copy`", found)
    problems.extend(Diagnostic("error", "overlay", message, str(path), pointer) for message in found)
    if found or kind is None or query is None:
        return None
    return _Action(index, kind, str(target), query, entry.get("update"), str(copy or ""), copy_query)


def _action_problems(entry: Mapping[str, object], kind: Kind | None, minor: int) -> list[str]:
    known = _ACTION_KEYS if minor >= 1 else _ACTION_KEYS - {"copy"}
    problems = [
        f"unknown field `{key}` (known: {', '.join(sorted(known))})"
        for key in entry
        if key not in _ACTION_KEYS and not key.startswith("x-")
    ]
    if "copy" in entry and minor == 0:
        problems.append("`copy` is Overlay 1.1: declare `overlay: 1.1.0` to use it")
    if not isinstance(entry.get("target"), str):
        problems.append("`target` must be a JSONPath string such as `$.paths['/pets'].get`")
    if "remove" in entry and not isinstance(entry["remove"], bool):
        problems.append("`remove` must be true or false")
    if "description" in entry and not isinstance(entry["description"], str):
        problems.append("`description` must be a string")
    if "copy" in entry and not isinstance(entry["copy"], str):
        problems.append("`copy` must be a JSONPath string")
    if kind is None and "update" in entry and "copy" in entry:
        problems.append("has both `update` and `copy`, and the Overlay spec gives neither precedence: keep one")
    elif kind is None:
        problems.append("needs `update`, `copy` or `remove: true`")
    return problems


def _compile(text: object, said: str, problems: list[str]) -> JSONPathQuery | None:
    """The compiled JSONPath; None (with a problem added) when it is not valid RFC 9535 JSONPath."""
    if not isinstance(text, str):
        return None
    try:
        return _jsonpath().compile(text)
    except _jsonpath_error() as exc:
        problems.append(f"{said}: invalid JSONPath ({exc})")
        return None


def _action_error(path: Path, action: _Action, message: str) -> Diagnostic:
    said = f"overlay action {action.index} ({action.kind}) target `{action.target}`"
    return Diagnostic("error", "overlay", f"{said}: {message}", str(path), json_pointer("actions", action.index))


def _find(query: JSONPathQuery, document: dict[str, object], path: Path, action: _Action) -> list[JSONPathNode]:
    try:
        return list(query.find(document))
    except _jsonpath_error() as exc:
        raise GenerationError([_action_error(path, action, f"the JSONPath cannot be evaluated ({exc})")]) from None


def _apply(
    document: dict[str, object], action: _Action, overlay: _Overlay, warnings: list[Diagnostic], room: int
) -> int:
    """Apply one action to the document in place; how many values it added (at most `room`). Raises when it
    cannot apply."""
    nodes = _find(action.query, document, overlay.path, action)
    if not nodes:
        message = f"overlay action {action.index} ({action.kind}) target `{action.target}` selects nothing"
        pointer = json_pointer("actions", action.index)
        warnings.append(
            Diagnostic("warning", NO_MATCH, f"{message}: the action changes nothing", str(overlay.path), pointer)
        )
        return 0
    added = 0
    if action.kind == "remove":
        problem = _remove(nodes, overlay.minor)
    else:
        value = _copy_source(document, action, overlay.path) if action.copy_query else action.update
        added = _size(value) * len(nodes)
        if added > room:
            message = f"the overlays would add more than {MAX_VALUES:,} values to the document; refusing to go on"
            raise GenerationError([_action_error(overlay.path, action, message)])
        problem = _update(nodes, _copied(value), overlay.minor)
    if problem:
        raise GenerationError([_action_error(overlay.path, action, problem)])
    return added


def _copy_source(document: dict[str, object], action: _Action, path: Path) -> object:
    """The value the `copy` JSONPath selects: it must select exactly one node."""
    assert action.copy_query is not None
    sources = _find(action.copy_query, document, path, action)
    if len(sources) != 1:
        message = f"`copy` `{action.copy}` must select exactly one node, and it selects {len(sources)}"
        raise GenerationError([_action_error(path, action, message)])
    return sources[0].value


def _shape(value: object) -> str:
    if isinstance(value, dict):
        return "object"
    return "array" if isinstance(value, list) else "primitive"


def _update(nodes: list[JSONPathNode], value: object, minor: int) -> str:
    """Merge the value into each object, append it to (or concatenate it with) each array, or replace each
    primitive with it, as the Overlay spec says; the problem that stops it, or ""."""
    shapes = sorted({_shape(node.value) for node in nodes})
    if len(shapes) > 1:
        return (
            f"the target selects {' and '.join(shapes)} nodes together; they must all be objects, arrays or primitives"
        )
    shape = shapes[0]
    if shape == "object":
        return _update_objects(nodes, value)
    if shape == "array":
        for node in nodes:
            array = node.value
            assert isinstance(array, list)
            if isinstance(value, list):
                array.extend(_copied(value))
            else:
                array.append(_copied(value))
        return ""
    if minor == 0:
        return (
            "Overlay 1.0 targets objects and arrays only: target the object that holds the value,"
            " or declare `overlay: 1.1.0`"
        )
    if _shape(value) != "primitive":
        return f"the target selects primitive values, so the new value must be one too, not {_described(value)}"
    for node in nodes:
        node.value = value  # sets it in the parent too
    return ""


def _update_objects(nodes: list[JSONPathNode], value: object) -> str:
    if not isinstance(value, dict):
        return f"the target selects objects, so the value must be an object, not {_described(value)}"
    for node in nodes:
        target = node.value
        assert isinstance(target, dict)
        conflict = _merge(target, value)
        if conflict is not None:
            where, old, new = conflict
            pointer = json_pointer(*node.location, *where)
            return (
                f"cannot merge at {pointer}: the document has {_described(old)} there and the update"
                f" {_described(new)}; only two objects, two arrays or two primitive values merge"
            )
    return ""


_JSON_TYPES = {bool: "a boolean", int: "a number", float: "a number", str: "a string"}


def _described(value: object) -> str:
    """`an object`, `an array`, `a string`, `null`...: a JSON value's type, as the error names it."""
    if value is None:
        return "null"
    return {dict: "an object", list: "an array", **_JSON_TYPES}.get(type(value), type(value).__name__)


def _merge(
    target: dict[str, object], update: dict[str, object], where: tuple[str, ...] = ()
) -> tuple[tuple[str, ...], object, object] | None:
    """Merge recursively: a new property is inserted, a primitive replaces a primitive, an array is concatenated
    with an array and an object merged with an object. Every other pair is incompatible: its place (below the
    target) and the two values are returned."""
    for key, new in update.items():
        old = target.get(key)
        if key not in target or (_shape(old) == _shape(new) == "primitive"):
            target[key] = _copied(new)
        elif isinstance(old, list) and isinstance(new, list):
            old.extend(_copied(new))
        elif isinstance(old, dict) and isinstance(new, dict):
            conflict = _merge(old, new, (*where, key))
            if conflict is not None:
                return conflict
        else:
            return (*where, key), old, new
    return None


def _remove(nodes: list[JSONPathNode], minor: int) -> str:
    """Remove each node from the object or array holding it; the problem that stops it, or ""."""
    if any(node.parent is None for node in nodes):
        return "cannot remove the whole document"
    if minor == 0 and any(_shape(node.value) == "primitive" for node in nodes):
        return "Overlay 1.0 removes objects and arrays only: declare `overlay: 1.1.0` to remove a primitive value"
    indexes: dict[int, tuple[list[object], set[int]]] = {}
    for node in nodes:
        assert node.parent is not None
        container, key = node.parent.value, node.location[-1]
        if isinstance(container, dict):
            container.pop(str(key), None)
        elif isinstance(container, list) and isinstance(key, int):
            indexes.setdefault(id(container), (container, set()))[1].add(key)
    for array, found in indexes.values():  # last first, so each index still names its item
        for index in sorted(found, reverse=True):
            del array[index]
    return ""


def _copied(value: _T) -> _T:
    """A deep copy that shares nothing with the original, nor within itself (JSON data only: a mapping or a list
    comes back as one of the same type, as from `copy.deepcopy`)."""
    return json.loads(json.dumps(value)) if isinstance(value, (dict, list)) else value


def _size(value: object) -> int:
    """How many values a JSON value holds, itself included."""
    count, pending = 0, [value]
    while pending:
        node = pending.pop()
        count += 1
        if isinstance(node, dict):
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return count


def _sha256(path: Path) -> str:
    try:
        return hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError as exc:
        message = f"overlay: cannot read file: {exc.strerror}"
        raise GenerationError([Diagnostic("error", "unreadable", message, str(path))]) from None

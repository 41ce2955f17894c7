"""Stage 2, parse: recognise the OpenAPI version, mend real-world quirks (with warnings), validate the document.

The result is the normalised document as plain data, validated by openapi-pydantic, plus every warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from generator.dereference import dereference_structure, resolve_local
from generator.diagnostics import Diagnostic, GenerationError, Reporter
from generator.openapi import (
    DATA_KEYS,
    HTTP_METHODS,
    MORE_METHODS_KEY,
    PATH_ITEM_FIELDS,
    json_pointer,
    operation_methods,
    pointer_tokens,
)
from generator.openapi32 import lower_openapi32
from generator.repairs import repair_quirks
from generator.swagger2 import convert_swagger2
from generator.urls import check_server_urls

if TYPE_CHECKING:
    from pydantic import ValidationError

REFERABLE_SECTIONS = frozenset(
    {"schemas", "responses", "parameters", "examples", "requestBodies", "headers", "links", "callbacks", "pathItems"}
)
"""Component sections whose entries operations use by `$ref`: a broken entry leaves out just the operations that
use it. (Security schemes are named by requirements, often the whole API's: a broken one refuses the document.)"""


@dataclass(frozen=True)
class ParsedSpec:
    """A validated OpenAPI 3.x document as plain data, and the reporter its warnings went to (later stages add
    theirs)."""

    document: dict[str, object]
    openapi_version: str
    source: str
    report: Reporter

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return self.report.diagnostics


def detect_version(document: Mapping[str, object], source: str) -> str:
    """Return `2.0`, `3.0`, `3.1` or `3.2`; anything else is a clear error."""
    if "openapi" in document:
        version = str(document["openapi"])
        if re.fullmatch(r"3\.0(\.\d+)?", version):
            return "3.0"
        if re.fullmatch(r"3\.1(\.\d+)?", version):
            return "3.1"
        if re.fullmatch(r"3\.2(\.\d+)?", version):
            return "3.2"
        message = f"unsupported OpenAPI version {version!r}: this generator reads 3.0, 3.1 and 3.2"
        raise GenerationError([Diagnostic("error", "unsupported-version", message, source, "/openapi")])
    if "swagger" in document:
        version = str(document["swagger"])
        if version == "2.0":
            return "2.0"
        message = f"unsupported Swagger version {version!r}: this generator reads Swagger 2.0 and OpenAPI 3.0 to 3.2"
        raise GenerationError([Diagnostic("error", "unsupported-version", message, source, "/swagger")])
    message = "not an OpenAPI document: it has neither an `openapi` nor a `swagger` field"
    raise GenerationError([Diagnostic("error", "not-openapi", message, source, "")])


def _pointer_for_error(document: object, location: tuple[int | str, ...]) -> tuple[str, str] | None:
    """Map a pydantic error location to a JSON pointer, or None when the error is union-branch noise.

    openapi-pydantic validates `Reference | Schema`-style unions, so each error names the branch it came
    from. An error in the `Reference` branch of an object without `$ref` (or the other way round) says
    nothing about the document and is dropped.
    """
    node = document
    tokens: list[str | int] = []
    missing = ""
    for item in location:
        if isinstance(node, dict) and item in node:
            node, tokens = node[item], [*tokens, item]
            continue
        if isinstance(node, list) and isinstance(item, int) and 0 <= item < len(node):
            node, tokens = node[item], [*tokens, item]
            continue
        if not (isinstance(item, str) and isinstance(node, dict)):
            continue
        if item[:1].isupper():
            if (item == "Reference") != ("$ref" in node):
                return None
            continue
        missing = item
        break
    return json_pointer(*tokens), missing


def validate(document: dict[str, object], version: str, source: str) -> list[Diagnostic]:
    """Validate with openapi-pydantic; return one error per distinct problem, with its JSON pointer.

    The models are imported here, not with the module: for large documents this runs in a background process
    (see `generator.background`), which alone then pays for building them."""
    from openapi_pydantic.v3.v3_0 import OpenAPI as OpenAPI30
    from openapi_pydantic.v3.v3_1 import OpenAPI as OpenAPI31
    from pydantic import ValidationError

    model = OpenAPI30 if version == "3.0" else OpenAPI31
    try:
        model.model_validate(document)
    except ValidationError as exc:
        errors = _diagnostics(exc, document, source)
        errors = errors or [Diagnostic("error", "invalid-openapi", "the document is not valid OpenAPI", source)]
        return [*errors, *_more_operation_errors(document, source)]
    return _more_operation_errors(document, source)


def _diagnostics(exc: ValidationError, node: object, source: str, prefix: str = "") -> list[Diagnostic]:
    """The validator's errors about `node` (at the pointer `prefix`), one per distinct problem and place."""
    seen: set[tuple[str, str]] = set()
    errors: list[Diagnostic] = []
    for error in exc.errors():
        mapped = _pointer_for_error(node, tuple(error["loc"]))
        if mapped is None:
            continue
        pointer, missing = prefix + mapped[0], mapped[1]
        if error["type"] == "missing" and missing:
            message = f"missing required field `{missing}`"
        elif missing:
            message = f"`{missing}`: {error['msg']}"
        else:
            message = str(error["msg"])
        if (pointer, message) not in seen:
            seen.add((pointer, message))
            errors.append(Diagnostic("error", "invalid-openapi", message, source, pointer))
    return errors


def _more_operation_errors(document: dict[str, object], source: str) -> list[Diagnostic]:
    """The validator's verdict on operations lowered from 3.2 beyond the fixed eight (its path item model keeps
    unknown fields unread)."""
    from openapi_pydantic.v3.v3_1 import Operation
    from pydantic import ValidationError

    errors: list[Diagnostic] = []
    paths = document.get("paths")
    for path, item in paths.items() if isinstance(paths, dict) else ():
        more = item.get(MORE_METHODS_KEY) if isinstance(item, dict) else None
        for method in more if isinstance(more, list) else ():
            operation = item.get(method) if isinstance(method, str) else None
            if not isinstance(operation, dict):
                continue
            try:
                Operation.model_validate(operation)
            except ValidationError as exc:
                errors.extend(_diagnostics(exc, operation, source, json_pointer("paths", path, method)))
    return errors


def operation_of(pointer: str) -> tuple[str, str] | None:
    """The (path, method) of the operation a JSON pointer lies in; the method is empty for the rest of a path
    item (its shared parameters); None when the pointer lies outside `paths`."""
    tokens = pointer_tokens(pointer)
    if len(tokens) >= 2 and tokens[0] == "paths":
        field = tokens[2] if len(tokens) >= 3 else ""
        is_method = field in HTTP_METHODS or not (field in PATH_ITEM_FIELDS or field.startswith("x-") or not field)
        return tokens[1], field if is_method else ""
    return None


def component_of(pointer: str) -> str | None:
    """The pointer of the component (`/components/schemas/Pet`) a JSON pointer lies in; None outside components,
    and for security schemes (requirements name them, for the whole API or any operation)."""
    tokens = pointer_tokens(pointer)
    if len(tokens) >= 3 and tokens[0] == "components" and tokens[1] in REFERABLE_SECTIONS:
        return json_pointer(*tokens[:3])
    return None


def _refs_in(node: object) -> list[str]:
    """The local refs written anywhere in `node` (instance data aside), discriminator mappings and references to
    Example Objects included."""
    found: list[str] = []
    stack: list[object] = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, list):
            stack.extend(item)
        elif isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#"):
                found.append(ref)
            found.extend(_named_refs(item.get("mapping"), item.get("examples")))
            stack.extend(v for k, v in item.items() if k not in DATA_KEYS and isinstance(v, (dict, list)))
    return found


def _named_refs(mapping: object, examples: object) -> list[str]:
    """Refs held as a discriminator's mapping values, and as the entries of a map of examples (instance data,
    whose entries may be references to components)."""
    refs: list[object] = list(mapping.values()) if isinstance(mapping, dict) else []
    if isinstance(examples, dict):
        refs += [entry.get("$ref") for entry in examples.values() if isinstance(entry, dict)]
    return [ref for ref in refs if isinstance(ref, str) and ref.startswith("#")]


class _Uses:
    """Which broken component an operation uses, following refs from component to component (and through
    bundled files); each ref's own refs are read once."""

    def __init__(self, document: dict[str, object], broken: Iterable[str]) -> None:
        self.document = document
        self.broken = tuple(broken)
        self.inner: dict[str, list[str]] = {}

    def hit(self, ref: str) -> str | None:
        """The broken component a ref points into (or holds), if any."""
        pointer = ref[1:]
        for component in self.broken:
            if pointer == component or pointer.startswith(component + "/"):
                return component
            if pointer and component.startswith(pointer + "/"):
                return component
        return None

    def first(self, node: object) -> str | None:
        """The first broken component `node` reaches through its refs."""
        pending, seen = list(reversed(_refs_in(node))), set()
        while pending:
            ref = pending.pop()
            if ref in seen:
                continue
            seen.add(ref)
            if (component := self.hit(ref)) is not None:
                return component
            if ref not in self.inner:
                self.inner[ref] = _refs_in(resolve_local(self.document, ref))
            pending.extend(reversed(self.inner[ref]))
        return None


def _operations(document: dict[str, object]) -> Iterator[tuple[str, str, list[object]]]:
    """Each operation's path and method, with what it is made of: the operation and its path item's parameters."""
    paths = document.get("paths")
    for path, item in paths.items() if isinstance(paths, dict) else ():
        if not isinstance(item, dict):
            continue
        for method in operation_methods(item):
            if isinstance(item.get(method), dict):
                yield str(path), method, [item.get("parameters"), item[method]]


@dataclass
class _Refused:
    """What the validator refused, sorted by what is left out for it."""

    operations: dict[tuple[str, str], list[Diagnostic]] = field(default_factory=dict)
    components: dict[str, list[Diagnostic]] = field(default_factory=dict)
    webhooks: dict[str, list[Diagnostic]] = field(default_factory=dict)
    """Path items of `webhooks` (3.1): requests the API sends, never tools; a broken one just goes."""


def _sort_errors(errors: list[Diagnostic]) -> _Refused:
    """Each error by the operation (or component) it lies in; raise when one lies elsewhere: then the document is
    refused."""
    refused = _Refused()
    for error in errors:
        if (where := operation_of(error.pointer)) is not None:
            refused.operations.setdefault(where, []).append(error)
        elif (component := component_of(error.pointer)) is not None:
            refused.components.setdefault(component, []).append(error)
        elif len(tokens := pointer_tokens(error.pointer)) >= 2 and tokens[0] == "webhooks":
            refused.webhooks.setdefault(tokens[1], []).append(error)
        else:
            raise GenerationError(errors)
    return refused


def _problem(found: list[Diagnostic]) -> str:
    """The first problem, where it is, and how many more there are."""
    more = len(found) - 1
    tail = f" and {more} more problem{'s' if more > 1 else ''}" if more else ""
    return f"{found[0].message}, at {found[0].pointer}{tail}"


def leave_out(document: dict[str, object], errors: list[Diagnostic]) -> list[Diagnostic]:
    """Take out of `document` every operation (and webhook) the validator refused, every broken component (but a
    security scheme) and every operation that uses one, directly or through other components; a warning each.
    Raise GenerationError when an error lies anywhere else: the document as a whole is not valid."""
    if not errors:
        return []
    refused = _sort_errors(errors)
    gone = _refused_operations(document, refused.operations)
    users = _users_of_broken(document, refused.components, gone)
    warnings = list(gone.values())
    warnings += [_remove_component(document, c, found, users[c]) for c, found in refused.components.items()]
    _remove_operations(document, gone, [path for path, method in refused.operations if not method])
    warnings += [_remove_webhook(document, name, found) for name, found in refused.webhooks.items()]
    return warnings


def _refused_operations(
    document: dict[str, object], refused: dict[tuple[str, str], list[Diagnostic]]
) -> dict[tuple[str, str], Diagnostic]:
    """The warning for each operation the validator refused (all of a path item's when its shared part is)."""
    gone: dict[tuple[str, str], Diagnostic] = {}
    paths = document.get("paths")
    for (path, method), found in refused.items():
        reason = "it is not valid OpenAPI" if method else "its path item is not valid OpenAPI"
        for each in [method] if method else _methods(paths.get(path) if isinstance(paths, dict) else None):
            gone[path, each] = _left_out_warning(path, each, f"{reason} ({_problem(found)})", found[0].file)
    return gone


def _users_of_broken(
    document: dict[str, object], broken: dict[str, list[Diagnostic]], gone: dict[tuple[str, str], Diagnostic]
) -> dict[str, int]:
    """Add to `gone` each other operation that uses a broken component; how many use each."""
    users = dict.fromkeys(broken, 0)
    uses = _Uses(document, broken)
    for path, method, parts in _operations(document) if broken else ():
        if (path, method) not in gone and (component := uses.first(parts)) is not None:
            found = broken[component]
            reason = f"it uses `#{component}`, which is not valid OpenAPI ({_problem(found)})"
            gone[path, method] = _left_out_warning(path, method, reason, found[0].file)
            users[component] += 1
    return users


def _remove_webhook(document: dict[str, object], name: str, found: list[Diagnostic]) -> Diagnostic:
    webhooks = document.get("webhooks")
    if isinstance(webhooks, dict):  # always: the validator's error lies in it
        del webhooks[name]
    message = f"webhook left out: it is not valid OpenAPI ({_problem(found)})"
    return Diagnostic("warning", "invalid-webhook", message, found[0].file, json_pointer("webhooks", name))


def _left_out_warning(path: str, method: str, reason: str, file: str) -> Diagnostic:
    pointer = json_pointer("paths", path, method)
    return Diagnostic("warning", "invalid-operation", f"operation left out: {reason}", file, pointer)


def _methods(item: object) -> list[str]:
    """The methods of the operations a path item holds."""
    return [m for m in operation_methods(item) if isinstance(item.get(m), dict)] if isinstance(item, dict) else []


def _remove_component(document: dict[str, object], component: str, found: list[Diagnostic], users: int) -> Diagnostic:
    """Delete a broken component; the warning says why, and how many operations (otherwise valid) it took along."""
    _, section, name = pointer_tokens(component)
    components = document.get("components")
    entries = components.get(section) if isinstance(components, dict) else None
    if isinstance(entries, dict):  # always: the validator's error lies in it
        del entries[name]
    used = f"operations that use it left out: {users}" if users else "no operation uses it"
    message = f"component left out: it is not valid OpenAPI ({_problem(found)}); {used}"
    return Diagnostic("warning", "invalid-component", message, found[0].file, component)


def _remove_operations(document: dict[str, object], gone: Iterable[tuple[str, str]], whole: list[str]) -> None:
    """Delete the operations left out, and the path items whose shared part was refused."""
    paths = document.get("paths")
    if not isinstance(paths, dict):
        return  # no operation to take out
    for path, method in gone:
        item = paths.get(path)
        if isinstance(item, dict) and method in item:
            del item[method]
    for path in whole:
        paths.pop(path, None)


def drop_map_extensions(document: dict[str, object]) -> None:
    """Remove `x-` keys of the Paths and Responses maps: legal, meaningless here, and rejected by the validator."""
    paths = document.get("paths")
    if not isinstance(paths, dict):
        return
    for key in [k for k in paths if str(k).startswith("x-")]:
        del paths[key]
    for path_item in paths.values():
        for operation in path_item.values() if isinstance(path_item, dict) else ():
            responses = operation.get("responses") if isinstance(operation, dict) else None
            if isinstance(responses, dict):
                for key in [k for k in responses if str(k).startswith("x-")]:
                    del responses[key]


def prepare_document(
    document: dict[str, object], source: str, *, strict: bool = False, report: Reporter | None = None
) -> ParsedSpec:
    """Parsing up to validation: the version, structural refs, Swagger 2.0 conversion and quirk repairs (warnings
    to `report`, which may hold earlier stages' own; errors when strict). The result is not yet known to be
    valid: `document_errors` says whether it is."""
    report = report or Reporter(source)
    version = detect_version(document, source)
    dereference_structure(document, report)
    if version == "2.0":
        document = convert_swagger2(document, report)
        version = "3.0"
    if version == "3.2":
        lower_openapi32(document, report)
        version = "3.1"
    drop_map_extensions(document)
    repair_quirks(document, report, version)
    check_server_urls(document, report)
    warnings = report.diagnostics
    if strict and warnings:
        raise GenerationError([Diagnostic("error", w.kind, w.message, w.file, w.pointer) for w in warnings])
    return ParsedSpec(document, version, source, report)


def document_errors(spec: ParsedSpec) -> list[Diagnostic]:
    """Everything wrong with a prepared document: openapi-pydantic's verdict and the checks it misses."""
    return validate(spec.document, spec.openapi_version, spec.source)


def parse_document(document: dict[str, object], source: str, *, strict: bool = False) -> ParsedSpec:
    """Normalise and validate a loaded document; raise GenerationError with every error found."""
    prepared = prepare_document(document, source, strict=strict)
    errors = document_errors(prepared)
    if errors:
        raise GenerationError(errors)
    return prepared

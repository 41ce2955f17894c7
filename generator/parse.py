"""Stage 2, parse: recognise the OpenAPI version, mend real-world quirks (with warnings), validate the document.

The result is the normalised document as plain data, validated by openapi-pydantic, plus every warning.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from generator.diagnostics import Diagnostic, GenerationError, json_pointer
from generator.swagger2 import convert_swagger2

# Keys whose values are instance data, never schemas: quirk repairs must not walk into them.
_DATA_KEYS = frozenset({"example", "examples", "default", "enum", "const", "x-examples"})
# Prose a reader (a model or a person) sees: it must not hide characters or reorder itself.
_PROSE_KEYS = ("title", "summary", "description")
# C0 and C1 controls other than tab and line breaks (a NUL also cannot stand in Python source); the ones Python
# counts as white space (vertical tab, form feed...) become a space, the others go...
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# ...and the bidi embedding, override and isolate marks, which make text display otherwise than it reads.
_BIDI_CONTROL = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_UNWANTED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_OPERATION_KEYS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_RESPONSE_CODE = re.compile(r"default|[1-5](\d\d|XX)", re.IGNORECASE)


@dataclass(frozen=True)
class ParsedSpec:
    """A validated OpenAPI 3.x document as plain data, with the warnings found on the way."""

    document: dict[str, Any]
    openapi_version: str
    source: str
    diagnostics: tuple[Diagnostic, ...]


def detect_version(document: dict[str, Any], source: str) -> str:
    """Return `2.0`, `3.0` or `3.1`; anything else is a clear error."""
    if "openapi" in document:
        version = str(document["openapi"])
        if re.fullmatch(r"3\.0(\.\d+)?", version):
            return "3.0"
        if re.fullmatch(r"3\.1(\.\d+)?", version):
            return "3.1"
        message = f"unsupported OpenAPI version {version!r}: this generator reads 3.0 and 3.1"
        raise GenerationError([Diagnostic("error", "unsupported-version", message, source, "/openapi")])
    if "swagger" in document:
        version = str(document["swagger"])
        if version == "2.0":
            return "2.0"
        message = f"unsupported Swagger version {version!r}: this generator reads Swagger 2.0 and OpenAPI 3.0 and 3.1"
        raise GenerationError([Diagnostic("error", "unsupported-version", message, source, "/swagger")])
    message = "not an OpenAPI document: it has neither an `openapi` nor a `swagger` field"
    raise GenerationError([Diagnostic("error", "not-openapi", message, source, "")])


Trail = tuple[Any, str | int] | None
"""Where a node sits, as a linked list (parent trail, key): a pointer is built only when one is needed."""


def _pointer(trail: Trail) -> str:
    tokens: list[str | int] = []
    while trail is not None:
        trail, key = trail
        tokens.append(key)
    return json_pointer(*reversed(tokens))


def _walk_schemas(document: Any) -> Iterator[tuple[dict[str, Any], Trail]]:
    """Yield every mapping in the document outside instance data, with its trail. Iterative and cheap per
    node: large specs have hundreds of thousands of them."""
    stack: list[tuple[Any, Trail]] = [(document, None)]
    while stack:
        node, trail = stack.pop()
        if isinstance(node, dict):
            yield node, trail
            children = [(v, (trail, k)) for k, v in node.items() if k not in _DATA_KEYS and isinstance(v, (dict, list))]
        else:
            children = [(v, (trail, i)) for i, v in enumerate(node) if isinstance(v, (dict, list))]
        stack.extend(reversed(children))  # document order: the first child is visited next


_REPAIRED_KEYS = frozenset({"required", "default", *_PROSE_KEYS})


def repair_quirks(document: dict[str, Any], source: str) -> list[Diagnostic]:
    """Mend what real specs get wrong but mean clearly, in place; one warning per repair."""
    warnings: list[Diagnostic] = []
    for node, trail in _walk_schemas(document):
        if node.keys().isdisjoint(_REPAIRED_KEYS):
            continue
        if node.get("required") == []:
            del node["required"]
            message = "empty `required` list removed (OpenAPI 3.0 requires at least one name)"
            warnings.append(Diagnostic("warning", "empty-required", message, source, _pointer(trail) + "/required"))
        if "default" in node and node["default"] is None and node.get("nullable") is not True and "type" in node:
            del node["default"]
            message = "`default: null` on a non-nullable schema removed"
            warnings.append(Diagnostic("warning", "null-default", message, source, _pointer(trail) + "/default"))
        for key in _PROSE_KEYS:
            text = node.get(key)
            if not isinstance(text, str) or _UNWANTED.search(text) is None:
                continue
            pointer = _pointer(trail)
            unwanted = _CONTROL.findall(text) + _BIDI_CONTROL.findall(text)
            if unwanted:
                found = ", ".join(sorted({ascii(c)[1:-1] for c in unwanted}))
                node[key] = _BIDI_CONTROL.sub("", _CONTROL.sub(lambda m: " " if m.group().isspace() else "", text))
                message = f"control characters ({found}) removed from `{key}`"
                warnings.append(Diagnostic("warning", "control-character", message, source, f"{pointer}/{key}"))
    return warnings


def check_paths_and_responses(document: dict[str, Any], source: str) -> list[Diagnostic]:
    """What openapi-pydantic lets through: paths must start with `/`; response keys are status codes or ranges."""
    errors: list[Diagnostic] = []
    paths = document.get("paths")
    for path, path_item in paths.items() if isinstance(paths, dict) else ():
        if not str(path).startswith("/"):
            message = f"path {path!r} must begin with `/`"
            errors.append(Diagnostic("error", "invalid-openapi", message, source, json_pointer("paths", path)))
        for method in _OPERATION_KEYS:
            operation = path_item.get(method) if isinstance(path_item, dict) else None
            responses = operation.get("responses") if isinstance(operation, dict) else None
            for code in responses if isinstance(responses, dict) else ():
                if not _RESPONSE_CODE.fullmatch(str(code)):
                    message = f"response key {code!r} is not an HTTP status code, a range such as `2XX`, or `default`"
                    pointer = json_pointer("paths", path, method, "responses", code)
                    errors.append(Diagnostic("error", "invalid-openapi", message, source, pointer))
    return errors


def _pointer_for_error(document: Any, location: tuple[int | str, ...]) -> tuple[str, str] | None:
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


def validate(document: dict[str, Any], version: str, source: str) -> list[Diagnostic]:
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
        seen: set[tuple[str, str]] = set()
        errors: list[Diagnostic] = []
        for error in exc.errors():
            mapped = _pointer_for_error(document, tuple(error["loc"]))
            if mapped is None:
                continue
            pointer, missing = mapped
            if error["type"] == "missing" and missing:
                message = f"missing required field `{missing}`"
            elif missing:
                message = f"`{missing}`: {error['msg']}"
            else:
                message = str(error["msg"])
            if (pointer, message) not in seen:
                seen.add((pointer, message))
                errors.append(Diagnostic("error", "invalid-openapi", message, source, pointer))
        return errors or [Diagnostic("error", "invalid-openapi", "the document is not valid OpenAPI", source)]
    return []


def drop_map_extensions(document: dict[str, Any]) -> None:
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


def prepare_document(document: dict[str, Any], source: str, *, strict: bool = False) -> ParsedSpec:
    """Parsing up to validation: the version, Swagger 2.0 conversion and quirk repairs (warnings, or errors
    when strict). The result is not yet known to be valid: `document_errors` says whether it is."""
    version = detect_version(document, source)
    warnings: list[Diagnostic] = []
    if version == "2.0":
        document, warnings = convert_swagger2(document, source)
        version = "3.0"
    drop_map_extensions(document)
    warnings += repair_quirks(document, source)
    if strict and warnings:
        raise GenerationError([Diagnostic("error", w.kind, w.message, w.file, w.pointer) for w in warnings])
    return ParsedSpec(document, version, source, tuple(warnings))


def document_errors(spec: ParsedSpec) -> list[Diagnostic]:
    """Everything wrong with a prepared document: openapi-pydantic's verdict and the checks it misses."""
    return check_paths_and_responses(spec.document, spec.source) + validate(
        spec.document, spec.openapi_version, spec.source
    )


def parse_document(document: dict[str, Any], source: str, *, strict: bool = False) -> ParsedSpec:
    """Normalise and validate a loaded document; raise GenerationError with every error found."""
    prepared = prepare_document(document, source, strict=strict)
    errors = document_errors(prepared)
    if errors:
        raise GenerationError(errors)
    return prepared

"""Stage 2, parse: recognise the OpenAPI version, mend real-world quirks (with warnings), validate the document.

The result is the normalised document as plain data, validated by openapi-pydantic, plus every warning.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from generator.dereference import dereference_structure
from generator.diagnostics import Diagnostic, GenerationError, Reporter
from generator.openapi import HTTP_METHODS, MORE_METHODS_KEY, PATH_ITEM_FIELDS, json_pointer, pointer_tokens
from generator.openapi32 import lower_openapi32
from generator.repairs import repair_quirks
from generator.swagger2 import convert_swagger2
from generator.urls import check_server_urls


@dataclass(frozen=True)
class ParsedSpec:
    """A validated OpenAPI 3.x document as plain data, and the reporter its warnings went to (later stages add
    theirs)."""

    document: dict[str, Any]
    openapi_version: str
    source: str
    report: Reporter

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return self.report.diagnostics


def detect_version(document: dict[str, Any], source: str) -> str:
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
    return _more_operation_errors(document, version, source)


def _more_operation_errors(document: dict[str, Any], version: str, source: str) -> list[Diagnostic]:
    """The validator's verdict on operations lowered from 3.2 beyond the fixed eight (its path item model keeps
    unknown fields unread)."""
    from openapi_pydantic.v3.v3_1 import Operation
    from pydantic import ValidationError

    errors: list[Diagnostic] = []
    for path, item in (document.get("paths") or {}).items():
        for method in item.get(MORE_METHODS_KEY) or () if isinstance(item, dict) else ():
            if not isinstance(item.get(method), dict):
                continue
            try:
                Operation.model_validate(item.get(method))
            except ValidationError as exc:
                for error in exc.errors():
                    mapped = _pointer_for_error(item[method], tuple(error["loc"]))
                    if mapped is not None:
                        pointer = json_pointer("paths", path, method) + mapped[0]
                        errors.append(Diagnostic("error", "invalid-openapi", str(error["msg"]), source, pointer))
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


def prepare_document(
    document: dict[str, Any], source: str, *, strict: bool = False, report: Reporter | None = None
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


def parse_document(document: dict[str, Any], source: str, *, strict: bool = False) -> ParsedSpec:
    """Normalise and validate a loaded document; raise GenerationError with every error found."""
    prepared = prepare_document(document, source, strict=strict)
    errors = document_errors(prepared)
    if errors:
        raise GenerationError(errors)
    return prepared

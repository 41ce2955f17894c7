"""OpenAPI 3.2 lowered to 3.1, the way Swagger 2.0 is raised to 3.0: what 3.1 can say is rewritten, what only this
generator reads is kept in an `x-` field or one 3.1 leaves open, and a warning marks every loss of meaning.

Lowering rather than new models: openapi-pydantic knows 3.0 and 3.1, every later stage reads 3.1, and 3.2 adds to
3.1 far more than it changes. The additions become (in order): `query` and `additionalOperations` operations held in
the path item under their lower-case methods (listed in `MORE_METHODS_KEY`); `in: querystring` parameters as one
form-style object query parameter; `itemSchema` of sequential media types as an array schema; tag parents as tag
paths (`Parent/Child`) and non-navigation tags left off the operations; Example `dataValue` and `serializedValue` as
`value`. `$self` is read by the bundler; `defaultMapping`, `deprecated` security schemes, `oauth2MetadataUrl` and the
device authorization flow stay where they are written (3.1's models leave such fields unread) for later stages.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import TypeGuard

from generator.dereference import resolve_local
from generator.diagnostics import Reporter
from generator.openapi import (
    DATA_KEYS,
    MORE_METHODS_KEY,
    PATH_ITEM_FIELDS,
    escape_token,
    is_sequential,
    json_pointer,
    member,
    operation_methods,
    security_scheme_map,
)

LOWERED_VERSION = "3.1.1"
_METHOD_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
"""An HTTP method is a token (RFC 9110, section 5.6.2)."""
_FORM = "application/x-www-form-urlencoded"
_NAVIGATION_KINDS = ("", "nav")


def lower_openapi32(document: dict[str, object], report: Reporter) -> None:
    """Rewrite a 3.2 document, in place, as the 3.1 document later stages read."""
    document["openapi"] = LOWERED_VERSION
    document.pop("$self", None)  # the bundler has resolved references against it
    paths = document.get("paths")
    if isinstance(paths, dict):
        for path, item in paths.items():
            if isinstance(item, dict):
                _more_operations(item, json_pointer("paths", path), report)
        _querystrings(document, paths, report)
    _tags(document, report)
    _media_types(document, report)
    _examples(document)
    _security_schemes(document, report)


def _security_schemes(document: dict[str, object], report: Reporter) -> None:
    """3.2's new security fields stay as written (the IR ranks deprecated schemes last); a scheme whose only flow
    is the device authorization flow is named, since the server signs in with the other flows."""
    for name, scheme in security_scheme_map(document).items():
        flows = member(scheme, "flows")
        if isinstance(flows, dict) and list(flows) == ["deviceAuthorization"]:
            message = (
                "the device authorization flow is the only way this scheme signs in, and the server does not "
                "sign in that way: give the server an access token (its `ACCESS_TOKEN` setting) instead"
            )
            report.warn("device-flow", message, json_pointer("components", "securitySchemes", name, "flows"))


def _more_operations(item: dict[str, object], pointer: str, report: Reporter) -> None:
    """`query` and `additionalOperations` as operations under their lower-case methods, listed in the path item."""
    more: list[str] = []
    if "query" in item:
        if isinstance(item["query"], dict):
            more.append("query")
        else:
            del item["query"]
            report.warn("invalid-operation", "operation `query` is not a mapping; left out", f"{pointer}/query")
    additional = item.pop("additionalOperations", None)
    if additional is not None and not isinstance(additional, dict):
        message = "`additionalOperations` is not a mapping of methods to operations; left out"
        report.warn("invalid-operation", message, f"{pointer}/additionalOperations")
    for method, operation in additional.items() if isinstance(additional, dict) else ():
        here = f"{pointer}/additionalOperations/{escape_token(method)}"
        lower = str(method).lower()
        if not _METHOD_TOKEN.fullmatch(str(method)) or lower in PATH_ITEM_FIELDS or lower in more:
            report.warn("invalid-operation", f"`{method}` is not a method a path item can add; left out", here)
            continue
        if lower.startswith("x-") or not isinstance(operation, dict):
            report.warn("invalid-operation", f"operation `{method}` cannot be read; left out", here)
            continue
        if str(method) != lower.upper():
            report.warn("method-case", f"method `{method}` is sent in capitals, as `{lower.upper()}`", here)
        item[lower] = operation
        more.append(lower)
    if more:
        item[MORE_METHODS_KEY] = more


def _querystrings(document: dict[str, object], paths: dict[str, object], report: Reporter) -> None:
    """Each `in: querystring` parameter as the object query parameter (form style, exploded) that 3.1 sends the
    same way; an operation whose query string has another media type is left out with a warning."""
    for path, item in list(paths.items()):
        if not isinstance(item, dict):
            continue
        operations = [(m, operation) for m in operation_methods(item) if isinstance(operation := item.get(m), dict)]
        if not _lower_parameters(document, item, json_pointer("paths", path), report):
            for method, _ in operations:  # the path's own parameters apply to every operation
                del item[method]
            continue
        for method, operation in operations:
            if not _lower_parameters(document, operation, json_pointer("paths", path, method), report):
                del item[method]
    parameters = member(document.get("components"), "parameters")
    if isinstance(parameters, dict):
        for name in [n for n, p in parameters.items() if _is_querystring(p)]:
            del parameters[name]  # lowered wherever it is used


def _is_querystring(parameter: object) -> TypeGuard[dict[str, object]]:
    return isinstance(parameter, dict) and parameter.get("in") == "querystring"


def _lower_parameters(document: dict[str, object], holder: dict[str, object], pointer: str, report: Reporter) -> bool:
    """Lower the querystring parameters of one parameter list; False when one cannot be (the holder goes)."""
    parameters = holder.get("parameters")
    if not isinstance(parameters, list):
        return True
    for index, parameter in enumerate(parameters):
        ref = member(parameter, "$ref")
        resolved: object = resolve_local(document, ref) if isinstance(ref, str) else parameter
        if not _is_querystring(resolved):
            continue
        here = f"{pointer}/parameters/{index}"
        media = _form_media(resolved)
        if media is None:
            message = (
                "the whole query string is described with a media type other than "
                f"`{_FORM}`, which cannot be sent here; operation left out"
            )
            report.warn("querystring", message, here)
            return False
        if "encoding" in media:
            report.warn(
                "querystring", "`encoding` of a query string's members is not kept: each is sent form style", here
            )
        parameters[index] = _query_object(resolved, media)
    return True


def _form_media(parameter: Mapping[str, object]) -> dict[str, object] | None:
    """The one Media Type Object of a form-urlencoded querystring parameter; None for other media types."""
    content = parameter.get("content")
    if not isinstance(content, dict) or len(content) != 1:
        return None
    media_type, media = next(iter(content.items()))
    if str(media_type).split(";")[0].strip().lower() != _FORM or not isinstance(media, dict):
        return None
    return media


def _query_object(parameter: Mapping[str, object], media: Mapping[str, object]) -> dict[str, object]:
    """A form-urlencoded querystring parameter (its media type object `media`) as a 3.1 query parameter."""
    lowered = {"name": parameter.get("name", "query"), "in": "query", "style": "form", "explode": True}
    lowered["schema"] = media.get("schema", {"type": "object"})
    lowered.update({k: parameter[k] for k in ("description", "required", "deprecated") if k in parameter})
    return lowered


def _tag_paths(tags: list[object]) -> tuple[dict[str, str], set[str]]:
    """Each tag's path through its parents (`Parent/Child`), and the tags that are not for navigation."""
    parents = {str(t["name"]): str(t.get("parent", "")) for t in tags if isinstance(t, dict) and "name" in t}
    paths: dict[str, str] = {}
    for name in parents:
        chain, seen = [name], {name}
        while (parent := parents.get(chain[0], "")) and parent not in seen:
            chain.insert(0, parent)
            seen.add(parent)
        paths[name] = "/".join(chain)
    other = {str(t["name"]) for t in tags if isinstance(t, dict) and str(t.get("kind", "")) not in _NAVIGATION_KINDS}
    return paths, other


def _tags(document: dict[str, object], report: Reporter) -> None:
    """Tags named by their path through their parents, on the document and its operations; tags of another kind
    than navigation (badges, audiences) are no groups: left off the operations, with one warning."""
    tags = document.get("tags")
    if not isinstance(tags, list):
        return
    paths, other = _tag_paths(tags)
    if not any("/" in p for p in paths.values()) and not other:
        return
    for tag in tags:
        if isinstance(tag, dict) and "name" in tag:
            tag["name"] = paths[str(tag["name"])]
    for operation in _operations(document):
        named = operation.get("tags")
        if isinstance(named, list):
            operation["tags"] = [paths.get(str(t), str(t)) for t in named if str(t) not in other]
    if other:
        listed = ", ".join(f"`{name}`" for name in sorted(other))
        report.warn("tag-kind", f"tags that are not for navigation ({listed}) group nothing here; left off", "/tags")


def _operations(document: dict[str, object]) -> Iterator[dict[str, object]]:
    paths = document.get("paths")
    for item in paths.values() if isinstance(paths, dict) else ():
        if isinstance(item, dict):
            yield from (operation for m in operation_methods(item) if isinstance(operation := item.get(m), dict))


def _content_maps(document: dict[str, object]) -> Iterator[tuple[dict[str, object], str, bool]]:
    """Every content map of a request body or response, with its pointer and whether it is a response's."""
    for section, is_response in (("responses", True), ("requestBodies", False)):
        holders = member(document.get("components"), section)
        for name, holder in holders.items() if isinstance(holders, dict) else ():
            if isinstance(content := member(holder, "content"), dict):
                yield content, json_pointer("components", section, name, "content"), is_response
    paths = document.get("paths")
    for path, item in paths.items() if isinstance(paths, dict) else ():
        for method in operation_methods(item) if isinstance(item, dict) else ():
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            if isinstance(content := member(operation.get("requestBody"), "content"), dict):
                yield content, json_pointer("paths", path, method, "requestBody", "content"), False
            responses = operation.get("responses")
            for status, response in responses.items() if isinstance(responses, dict) else ():
                if isinstance(content := member(response, "content"), dict):
                    yield content, json_pointer("paths", path, method, "responses", status, "content"), True


def _media_types(document: dict[str, object], report: Reporter) -> None:
    """A sequential response's `itemSchema` as the array of its items (the server collects them into one list);
    an `itemSchema` anywhere else is left out with a warning."""
    for content, pointer, is_response in _content_maps(document):
        for media_type, media in content.items():
            if not isinstance(media, dict) or "itemSchema" not in media:
                continue
            items = media.pop("itemSchema")
            here = f"{pointer}/{escape_token(media_type)}/itemSchema"
            if is_response and is_sequential(str(media_type)):
                media.setdefault("schema", {"type": "array", "items": items})
            elif is_response:
                report.warn("item-schema", f"items of `{media_type}` are not read here; their schema is left out", here)
            else:
                report.warn(
                    "item-schema", "a request body is sent whole, never as a sequence; `itemSchema` left out", here
                )


def _examples(node: object) -> None:
    """Example objects' `dataValue` (else `serializedValue`, read as JSON when it is) as their `value`, in every
    map of examples (media types, parameters, headers, components); instance data is never walked."""
    if isinstance(node, list):
        for item in node:
            _examples(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "examples" and isinstance(value, dict):
            for example in value.values():
                _lower_example(example)
        elif key not in DATA_KEYS:
            _examples(value)


def _lower_example(example: object) -> None:
    if not isinstance(example, dict) or not ("dataValue" in example or "serializedValue" in example):
        return
    data, serialized = example.pop("dataValue", None), example.pop("serializedValue", None)
    if "value" not in example and "externalValue" not in example:
        example["value"] = data if data is not None else _parsed(serialized)


def _parsed(serialized: object) -> object:
    try:
        return json.loads(serialized) if isinstance(serialized, str) else serialized
    except ValueError:
        return serialized

"""The typed parsed-operation layer between parse and IR: each operation of the document with its parameters
merged and resolved, its request body's media type and encoding chosen, and its first success response found,
each worked out once (on first use, so warnings come in the order the IR stage asks)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from functools import cached_property

from generator.openapi import escape_token, is_sequential, json_list, json_object, json_pointer, operation_methods
from generator.urls import expand_server_url

Resolve = Callable[[object, str], tuple[object, str]]
"""Follows an object's `$ref` (warning when it dangles): the object and its pointer."""

BODY_MEDIA_PREFERENCE = (
    "application/json",
    "application/x-www-form-urlencoded",
    "multipart/form-data",
    "text/plain",
    "application/octet-stream",
)
"""Which request body a tool sends when the operation offers several media types."""


@dataclass(frozen=True)
class Operation:
    """One operation as found in the document."""

    method: str
    path: str
    pointer: str
    operation: dict[str, object]
    path_item: dict[str, object]

    @property
    def operation_id(self) -> str:
        return str(self.operation.get("operationId", ""))

    @property
    def summary(self) -> str:
        return str(self.operation.get("summary", ""))

    @property
    def description(self) -> str:
        return str(self.operation.get("description", ""))

    @property
    def tags(self) -> tuple[str, ...]:
        return tuple(t for t in json_list(self.operation.get("tags", [])) if isinstance(t, str))


@dataclass(frozen=True)
class Parameter:
    """A parameter as the operation takes it (path-level ones merged in), resolved, with its pointer."""

    parameter: dict[str, object]
    pointer: str

    @property
    def location(self) -> str:
        return str(self.parameter["in"])

    @property
    def name(self) -> str:
        return str(self.parameter["name"])


@dataclass(frozen=True)
class RequestBody:
    """The request body the tool sends: the media type chosen, the Request Body Object and its schema's place."""

    media_type: str
    body: dict[str, object]
    schema: object
    schema_pointer: str
    bracketed: tuple[str, ...]
    """Fields the media type's `encoding` gives `style: deepObject`."""


@dataclass(frozen=True)
class Response:
    """The first success response that has content: its JSON schema and where it is, when it has one."""

    schema: object
    schema_pointer: str


class ParsedOperation:
    """An operation ready to become a tool; each part is worked out once, when first asked for."""

    def __init__(self, op: Operation, resolve: Resolve) -> None:
        self.op = op
        self._resolve = resolve

    @cached_property
    def parameters(self) -> tuple[Parameter, ...]:
        """Path-level and operation-level parameters merged (the operation wins), each resolved."""
        op = self.op
        merged: dict[tuple[str, str], Parameter] = {}
        for holder, base in ((op.path_item, json_pointer("paths", op.path)), (op.operation, op.pointer)):
            for index, raw in enumerate(json_list(holder.get("parameters"))):
                parameter, pointer = self._resolve(raw, f"{base}/parameters/{index}")
                if isinstance(parameter, dict) and "name" in parameter and "in" in parameter:
                    merged[(str(parameter["in"]), str(parameter["name"]))] = Parameter(parameter, pointer)
        return tuple(merged.values())

    @cached_property
    def body(self) -> RequestBody | None:
        """The request body in its preferred media type; None without one (or without content)."""
        raw = self.op.operation.get("requestBody")
        if raw is None:
            return None
        resolved, pointer = self._resolve(raw, self.op.pointer + "/requestBody")
        body = json_object(resolved)
        content = body.get("content")
        if not isinstance(content, dict) or not content:
            return None
        media_type = pick_media_type(list(content))
        media = content[media_type] if isinstance(content[media_type], dict) else {}
        encoding = media.get("encoding")
        encoding = encoding if isinstance(encoding, dict) else {}
        bracketed = tuple(
            str(name) for name, rule in encoding.items() if isinstance(rule, dict) and rule.get("style") == "deepObject"
        )
        media_pointer = f"{pointer}/content/{escape_token(media_type)}/schema"
        return RequestBody(media_type, body, media.get("schema", {}), media_pointer, bracketed)

    @cached_property
    def response(self) -> Response | None:
        """The JSON schema of the first success response with content (2XX ranges after the exact codes); None
        when that response is not JSON with a schema: what comes back is then no promise of JSON."""
        op = self.op
        responses = json_object(op.operation.get("responses"))
        for status in sorted((s for s in responses if str(s).startswith("2")), key=lambda s: str(s).replace("X", "9")):
            response, pointer = self._resolve(responses[status], f"{op.pointer}/responses/{status}")
            content = response.get("content") if isinstance(response, dict) else None
            if not isinstance(content, dict):
                continue
            for media_type, media in content.items():
                if (is_json(media_type) or is_sequential(media_type)) and isinstance(media, dict) and "schema" in media:
                    return Response(media["schema"], f"{pointer}/content/{escape_token(media_type)}/schema")
            return None
        return None


def iter_operations(document: Mapping[str, object]) -> Iterator[Operation]:
    """Operations in document order: paths as written, methods in a fixed order."""
    for path, path_item in json_object(document.get("paths")).items():
        if not isinstance(path_item, dict):
            continue
        for method in operation_methods(path_item):
            operation = path_item.get(method)
            if isinstance(operation, dict):
                yield Operation(method, path, json_pointer("paths", path, method), operation, path_item)


def server_url(document: Mapping[str, object], op: Operation) -> str:
    """The operation's host: operation `servers`, then path `servers`, then the document's; variables filled in."""
    for holder in (op.operation, op.path_item, document):
        servers = holder.get("servers")
        if isinstance(servers, list) and servers and isinstance(servers[0], dict):
            return expand_server_url(servers[0])
    return ""


def all_server_urls(document: Mapping[str, object]) -> list[str]:
    """Every distinct host the operations use, the document's own first."""
    urls: list[str] = []
    for server in json_list(document.get("servers")):
        if isinstance(server, dict):
            urls.append(expand_server_url(server))
            break
    for op in iter_operations(document):
        urls.append(server_url(document, op))
    return list(dict.fromkeys(urls)) or [""]


def pick_media_type(media_types: list[str]) -> str:
    for preferred in BODY_MEDIA_PREFERENCE:
        for media_type in media_types:
            if media_type.split(";")[0].strip() == preferred:
                return media_type
    for media_type in media_types:
        if is_json(media_type):
            return media_type
    return media_types[0]


def is_json(media_type: str) -> bool:
    base = media_type.split(";")[0].strip().lower()
    return base == "application/json" or base.endswith("+json") or base == "*/*"


_PATH_PARAMETER = re.compile(r"\{([^{}]+)\}")


def path_parameters(path: str) -> set[str]:
    """The parameter names a path template holds (`/a/{id}` -> {id})."""
    return set(_PATH_PARAMETER.findall(path))

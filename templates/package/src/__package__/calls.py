"""Turning a tool call into an HTTP request, and the HTTP response into a tool result."""

from __future__ import annotations

import base64
import binascii
import http.cookiejar
import json
import mimetypes
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote
from urllib.request import Request

import httpx

from . import contract, settings

MAX_ERROR_TEXT = 2000
_DELIMITERS = {"spaceDelimited": " ", "pipeDelimited": "|"}
_MEDIA_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}")
_COOKIE_OCTETS = re.compile(r"[\x21\x23-\x2B\x2D-\x3A\x3C-\x5B\x5D-\x7E]*")
"""What a cookie value may hold (RFC 6265, 4.1.1): no space, quote, comma, semicolon, backslash or control."""
_HEADER_BREAKERS = re.compile(r"[\r\n\x00]")


class ToolError(Exception):
    """A problem the caller can act on; it becomes a tool result with `isError` set."""


@dataclass(frozen=True)
class FilePart:
    """A file argument ready to send: its name, its bytes and its media type."""

    filename: str
    data: bytes
    media_type: str


FileLoader = Callable[[Any, str], FilePart]
"""Turns one file argument (the object the caller gave, and its field's name) into the file to send."""


class _RefuseCookies(http.cookiejar.DefaultCookiePolicy):
    def set_ok(self, cookie: http.cookiejar.Cookie, request: Request) -> bool:
        return False


def cookieless_jar() -> http.cookiejar.CookieJar:
    """A cookie jar that keeps nothing a response sets: no state passes from one call (or caller) to the next
    through the HTTP client; a cookie goes out only on a call whose arguments (or credentials) give it."""
    return http.cookiejar.CookieJar(policy=_RefuseCookies())


def _text(value: Any) -> str:
    """A scalar as it is written in a URL or header: booleans lower case, everything else as str."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, (dict, list)):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def encoded(value: Any) -> str:
    """One value inside a path segment, percent-encoded with nothing left safe, and its leading dots too: no value
    can add a segment, climb one (`..`, or `..;` to servers that drop what follows a semicolon) or change the
    style's own marks."""
    text = quote(_text(value), safe="")
    dots = len(text) - len(text.lstrip("."))
    return "%2E" * dots + text[dots:]


def _pairs(value: dict[str, Any]) -> list[str]:
    return [item for key, member in value.items() for item in (encoded(key), encoded(member))]


def path_value(value: Any, style: str, explode: bool, name: str) -> str:
    """A path parameter in `simple` (default), `label` or `matrix` style, each value encoded on its own so only
    the style's separators stay literal."""
    if isinstance(value, list):
        items = [encoded(v) for v in value]
    elif isinstance(value, dict):
        items = [f"{encoded(k)}={encoded(v)}" for k, v in value.items()] if explode else _pairs(value)
    else:
        items = [encoded(value)]
    key = encoded(name)
    if style == "label":
        return "." + (".".join(items) if explode else ",".join(items))
    if style == "matrix":
        if explode and isinstance(value, list):
            return "".join(f";{key}={item}" for item in items)
        return f";{key}=" + ",".join(items)
    return ",".join(items)


def header_value(value: Any, explode: bool, field: str) -> str:
    """A header parameter's value (`simple` style); a line break or NUL would start a header of its own."""
    if isinstance(value, list):
        text = ",".join(_text(v) for v in value)
    elif isinstance(value, dict):
        pairs = [(str(key), _text(member)) for key, member in value.items()]
        text = ",".join(f"{k}={v}" if explode else f"{k},{v}" for k, v in pairs)
    else:
        text = _text(value)
    if _HEADER_BREAKERS.search(text):
        raise ToolError(f"`{field}` cannot hold a line break or a NUL character.")
    return text


def cookie_value(value: Any, field: str) -> str:
    """A cookie parameter's value: a semicolon, comma, space or control character could add cookies of its own."""
    text = _text(value)
    if not _COOKIE_OCTETS.fullmatch(text):
        raise ToolError(
            f"`{field}` holds a character a cookie cannot carry (a semicolon, comma, space, quote, backslash "
            "or control character)."
        )
    return text


def bracket_pairs(name: str, value: Any, indexed: bool = False) -> list[tuple[str, str]]:
    """Nested values named the Rails way: `a[b]=1`, `a[]=1`, `a[][b]=1`; `indexed` numbers list items instead
    (`a[0][b]=1`, as deepObject APIs expect: it keeps the members of each item together)."""
    if isinstance(value, dict):
        return [pair for key, member in value.items() for pair in bracket_pairs(f"{name}[{key}]", member, indexed)]
    if isinstance(value, list):
        return [
            pair
            for index, member in enumerate(value)
            for pair in bracket_pairs(f"{name}[{index if indexed else ''}]", member, indexed)
        ]
    return [] if value is None else [(name, _text(value))]


def query_pairs(name: str, value: Any, style: str, explode: bool) -> list[tuple[str, str]]:
    """One query parameter as name/value pairs, by OpenAPI style (form, deepObject, space/pipe delimited).

    `brackets` is not an OpenAPI style: the generator picks it for nested values when the API nests the
    Rails way.
    """
    if value is None:
        return []
    if style == "brackets":
        return bracket_pairs(name, value)
    if style == "deepObject" and isinstance(value, (dict, list)):
        # deepObject names an object's members `a[b]`; nested members and list items follow on the same way
        return bracket_pairs(name, value, indexed=True)
    if isinstance(value, list):
        items = [_text(v) for v in value]
        if style in _DELIMITERS:
            return [(name, _DELIMITERS[style].join(items))]
        return [(name, item) for item in items] if explode else [(name, ",".join(items))]
    if isinstance(value, dict):
        if explode:
            return [(key, _text(member)) for key, member in value.items() if member is not None]
        return [(name, ",".join(_pairs(value)))]
    return [(name, _text(value))]


def inline_file(value: Any, field: str) -> FilePart:
    """A file argument given inline (`content_base64` with `filename`); a local `path` is read by `uploads`."""
    if not isinstance(value, dict):
        raise ToolError(f"`{field}` must be an object with `content_base64` and `filename`.")
    if value.get("content_base64") is None:
        if value.get("path"):
            raise ToolError(f"`{field}`: local files are not read here; send `content_base64` with a `filename`.")
        raise ToolError(f"`{field}` needs `content_base64` with a `filename`.")
    try:
        data = base64.b64decode(str(value["content_base64"]), validate=True)
    except (binascii.Error, ValueError):
        raise ToolError(f"`{field}`: `content_base64` is not valid base64.") from None
    filename = str(value.get("filename") or "upload.bin")
    return FilePart(filename, data, media_type(value, filename, field))


def media_type(value: dict[str, Any], filename: str, field: str) -> str:
    """The file's media type: the caller's `content_type` (a bare `type/subtype`), else guessed from its name."""
    given = value.get("content_type")
    if given is None or given == "":
        return mimetypes.guess_type(filename)[0] or "application/octet-stream"
    if not isinstance(given, str) or not _MEDIA_TYPE.fullmatch(given):
        raise ToolError(f"`{field}`: `content_type` must be a media type such as `image/png`, with no parameters.")
    return given


def form_fields(
    payload: dict[str, Any],
    file_paths: set[tuple[str, ...]],
    nesting: str,
    bracketed: frozenset[str] = frozenset(),
    load: FileLoader = inline_file,
) -> tuple[list[tuple[str, str]], list[tuple[str, FilePart]]]:
    """Flatten a form body into fields and file parts.

    `brackets` names nested fields the Rails way (`image[name]`, `attachments[]`); `openapi` sends each nested
    object or array as one JSON part, as OpenAPI specifies for multipart, except the `bracketed` fields (the spec's
    encoding gives them `style: deepObject`), named the bracket way.
    """
    fields: list[tuple[str, str]] = []
    files: list[tuple[str, FilePart]] = []

    def nested(path: tuple[str, ...]) -> bool:
        return nesting == "brackets" or path[0] in bracketed or _holds_file(path, file_paths)

    def walk(name: str, value: Any, path: tuple[str, ...]) -> None:
        if path in file_paths:
            files.append((name, load(value, ".".join(path))))
        elif isinstance(value, dict) and nested(path):
            for key, member in value.items():
                walk(f"{name}[{key}]", member, (*path, key))
        elif isinstance(value, list) and nested(path):
            indexed = nesting != "brackets" and path[0] in bracketed
            for index, member in enumerate(value):
                walk(f"{name}[{index if indexed else ''}]", member, (*path, "*"))
        elif value is not None:
            fields.append((name, _text(value)))

    for key, value in payload.items():
        walk(key, value, (key,))
    return fields, files


def _holds_file(path: tuple[str, ...], file_paths: set[tuple[str, ...]]) -> bool:
    return any(candidate[: len(path)] == path and len(candidate) > len(path) for candidate in file_paths)


def build_request(
    client: httpx.AsyncClient,
    binding: contract.Binding,
    arguments: dict[str, Any],
    servers: dict[str, contract.Server],
    load: FileLoader = inline_file,
) -> httpx.Request:
    """The exact request the API expects for these arguments; `load` gives each file argument's bytes."""
    path = binding["path"]
    params: list[tuple[str, str]] = []
    headers: dict[str, str] = {}
    cookies: dict[str, str] = {}
    body: dict[str, Any] = {}
    whole_body: Any = None
    for argument in binding["arguments"]:
        if argument["property"] not in arguments:
            continue
        value = arguments[argument["property"]]
        where, name = argument["in"], argument["name"]
        style = argument.get("style", "")
        if where == "path":
            explode = argument.get("explode", False)
            path = path.replace("{" + name + "}", path_value(value, style, explode, name))
        elif where == "query" and "members" in argument:
            for member, member_value in (value or {}).items():
                wire = argument["members"].get(member)
                if wire is not None and style == "brackets" and isinstance(member_value, dict):
                    params.extend(bracket_pairs(wire, member_value))
                elif wire is not None:
                    params.extend(query_pairs(wire, member_value, "form", True))
        elif where == "query":
            params.extend(query_pairs(name, value, style or "form", argument.get("explode", style in ("", "form"))))
        elif where == "header":
            headers[name] = header_value(value, argument.get("explode", False), argument["property"])
        elif where == "cookie":
            cookies[name] = cookie_value(value, argument["property"])
        elif binding.get("body", {}).get("whole"):
            whole_body = value
        else:
            body[name] = value
    url = settings.server_url(servers[binding["server"]]) + path
    content: dict[str, Any] = {}
    spec = binding.get("body")
    if spec is not None and (body or whole_body is not None or spec.get("required")):
        # A required body goes even when no field of it was given: an empty object, not nothing.
        payload = whole_body if spec["whole"] else body
        content = encode_body(spec, {} if payload is None else payload, headers, load)
    return client.build_request(
        binding["method"], url, params=tuple(params), headers=headers, cookies=cookies or None, **content
    )


def encode_body(
    spec: contract.Body, payload: Any, headers: dict[str, str], load: FileLoader = inline_file
) -> dict[str, Any]:
    """httpx keyword arguments for the body, encoded as its media type requires."""
    media_type = spec["mediaType"].split(";")[0].strip().lower()
    file_paths = {tuple(path) for path in spec.get("files", [])}
    if () in file_paths:  # the whole body is one file
        file = load(payload, "body")
        given = isinstance(payload, dict) and bool(payload.get("content_type"))
        # The spec's media type, unless it says no more than "bytes" (octet-stream, a wildcard).
        generic = media_type == "application/octet-stream" or "*" in media_type
        headers["Content-Type"] = file.media_type if generic and given else spec["mediaType"]
        return {"content": file.data}
    bracketed = frozenset(spec.get("bracketed", []))
    if media_type.startswith("multipart/"):
        fields, files = form_fields(payload, file_paths, spec.get("nesting", "openapi"), bracketed, load)
        data, headers["Content-Type"] = multipart_body(fields, files)
        return {"content": data}
    if media_type == "application/x-www-form-urlencoded":
        fields, _ = form_fields(payload, set(), spec.get("nesting", "openapi"), bracketed)
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        return {"content": str(httpx.QueryParams(tuple(fields))).encode()}
    # A wildcard (`*/*`, `application/*`) accepts anything: the body goes as JSON, saying so.
    headers["Content-Type"] = "application/json" if "*" in media_type else spec["mediaType"]
    if media_type.startswith("text/"):
        return {"content": _text(payload).encode()}
    return {"content": json.dumps(payload).encode()}


def _quoted(text: str) -> str:
    """A name or filename inside a Content-Disposition header: quotes and line breaks escaped."""
    return text.replace("\\", "\\\\").replace('"', "%22").replace("\r", "%0D").replace("\n", "%0A")


def multipart_body(fields: list[tuple[str, str]], files: list[tuple[str, FilePart]]) -> tuple[bytes, str]:
    """A multipart/form-data body (RFC 7578) and its Content-Type, with or without file parts."""
    boundary = secrets.token_hex(16)
    parts: list[bytes] = []
    for name, value in fields:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n'
        parts.append(head.encode() + value.encode() + b"\r\n")
    for name, file in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"; '
            f'filename="{_quoted(file.filename)}"\r\nContent-Type: {file.media_type}\r\n\r\n'
        )
        parts.append(head.encode() + file.data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def api_message(body: str) -> str:
    """The API's own words for an error (its body, already redacted): `message`, `error`, `errors` or the start
    of the body."""
    try:
        data = json.loads(body)
    except ValueError:
        return " ".join(body.split())[:MAX_ERROR_TEXT]
    if isinstance(data, dict):
        error = data.get("error")
        if isinstance(error, dict) and error.get("message"):
            return str(error["message"])
        for key in ("message", "error_description", "error", "errors"):
            value = data.get(key)
            if value:
                return value if isinstance(value, str) else json.dumps(value)[:MAX_ERROR_TEXT]
    return json.dumps(data)[:MAX_ERROR_TEXT]


def is_json(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


SEQUENTIAL_TYPES = frozenset(
    {
        "application/jsonl", "application/x-ndjson", "application/x-jsonlines", "application/json-seq",
        "text/event-stream",
    }
)  # fmt: skip
"""Bodies that are a sequence of items: JSON Lines, NDJSON, JSON Text Sequences (RFC 7464), server-sent events."""
_RECORD_SEPARATOR = "\x1e"


def is_sequential(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type in SEQUENTIAL_TYPES


def sequence_items(response: httpx.Response) -> list[Any]:
    """A sequential body's items, in order; a last record cut off by the byte cap is left out. Raises ValueError
    for a record that is not JSON (a server-sent event's `data` stays text, as the stream has it)."""
    content_type = response.headers.get("content-type", "").split(";")[0].strip().lower()
    text = response.text
    if content_type == "text/event-stream":
        return server_sent_events(text)
    whole = text.endswith(("\n", "\r")) if content_type != "application/json-seq" else text.endswith("\n")
    separator = _RECORD_SEPARATOR if content_type == "application/json-seq" else "\n"
    records = text.split(separator)
    if not whole:
        records = records[:-1]
    return [json.loads(record) for record in records if record.strip()]


def server_sent_events(text: str) -> list[dict[str, Any]]:
    """Server-sent events as objects with `data` (lines joined), and `event`, `id` and `retry` where sent; an
    event not ended by a blank line (cut off) is left out, as a browser would."""
    events: list[dict[str, Any]] = []
    event: dict[str, Any] = {}
    data: list[str] = []
    for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")[:-1]:
        if not line:
            if data:
                events.append({"data": "\n".join(data), **event})
            event, data = {}, []
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "data":
            data.append(value)
        elif field in ("event", "id"):
            event[field] = value
        elif field == "retry" and value.isdigit():
            event["retry"] = int(value)
    return events


def is_text(response: httpx.Response) -> bool:
    content_type: str = response.headers.get("content-type", "").split(";")[0].strip().lower()
    return content_type.startswith("text/") or content_type in ("application/xml", "application/csv", "")


def _page_number(link: str) -> int | None:
    for key, value in httpx.URL(link).params.multi_items():
        if key == "page" and value.isdigit():
            return int(value)
    return None


def pagination(response: httpx.Response, page: Any) -> dict[str, Any]:
    """Where a page sits, from Procore-style `Total`, `Per-Page` and `Link` headers (null when unknown)."""
    links = {
        rel: _page_number(str(link.get("url", ""))) for rel, link in response.links.items() if isinstance(rel, str)
    }
    total = response.headers.get("Total", "")
    per_page = response.headers.get("Per-Page", "")
    return {
        "page": int(page) if isinstance(page, int) else 1,
        "per_page": int(per_page) if per_page.isdigit() else None,
        "total": int(total) if total.isdigit() else None,
        "next_page": links.get("next"),
        "last_page": links.get("last"),
    }

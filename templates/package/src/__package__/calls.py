"""Turning a tool call into an HTTP request, and the HTTP response into a tool result."""

from __future__ import annotations

import base64
import binascii
import http.cookiejar
import json
import mimetypes
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import quote
from urllib.request import Request

import httpx

from . import settings

MAX_ERROR_TEXT = 2000
_DELIMITERS = {"spaceDelimited": " ", "pipeDelimited": "|"}


class ToolError(Exception):
    """A problem the caller can act on; it becomes a tool result with `isError` set."""


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


def _path_segment(value: str) -> str:
    """Percent-encode a path value completely, so no value can add or climb path segments."""
    text = quote(value, safe=",;=")
    return text.replace(".", "%2E") if text in (".", "..") else text


def _pairs(value: dict[str, Any]) -> list[str]:
    return [item for key, member in value.items() for item in (key, _text(member))]


def path_value(value: Any, style: str, explode: bool, name: str) -> str:
    """A path parameter in `simple` (default), `label` or `matrix` style."""
    if isinstance(value, list):
        items = [_text(v) for v in value]
    elif isinstance(value, dict):
        items = [f"{k}={_text(v)}" for k, v in value.items()] if explode else _pairs(value)
    else:
        items = [_text(value)]
    if style == "label":
        return "." + (".".join(items) if explode else ",".join(items))
    if style == "matrix":
        if explode and isinstance(value, list):
            return "".join(f";{name}={item}" for item in items)
        return f";{name}=" + ",".join(items)
    return ",".join(items)


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


def load_file(value: Any, field: str) -> tuple[str, bytes, str]:
    """A file argument (`path`, or `content_base64` with `filename`) as (filename, bytes, media type)."""
    if not isinstance(value, dict):
        raise ToolError(f"`{field}` must be an object with `path` or `content_base64`.")
    if value.get("path"):
        path = Path(os.path.expanduser(str(value["path"])))
        root = settings.upload_root()
        if root is not None and not path.resolve().is_relative_to(root):
            raise ToolError(f"`{field}`: {path} is outside {settings.UPLOAD_ROOT} ({root}).")
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise ToolError(f"`{field}`: cannot read {path}: {exc.strerror}.") from None
        filename = str(value.get("filename") or path.name)
    elif value.get("content_base64") is not None:
        try:
            data = base64.b64decode(str(value["content_base64"]), validate=True)
        except (binascii.Error, ValueError):
            raise ToolError(f"`{field}`: `content_base64` is not valid base64.") from None
        filename = str(value.get("filename") or "upload.bin")
    else:
        raise ToolError(f"`{field}` needs `path` or `content_base64`.")
    media_type = value.get("content_type") or mimetypes.guess_type(filename)[0] or "application/octet-stream"
    return filename, data, str(media_type)


def form_fields(
    payload: dict[str, Any], file_paths: set[tuple[str, ...]], nesting: str, bracketed: frozenset[str] = frozenset()
) -> tuple[list[tuple[str, str]], list[tuple[str, tuple[str, bytes, str]]]]:
    """Flatten a form body into fields and file parts.

    `brackets` names nested fields the Rails way (`image[name]`, `attachments[]`); `openapi` sends each nested
    object or array as one JSON part, as OpenAPI specifies for multipart, except the `bracketed` fields (the spec's
    encoding gives them `style: deepObject`), named the bracket way.
    """
    fields: list[tuple[str, str]] = []
    files: list[tuple[str, tuple[str, bytes, str]]] = []

    def nested(path: tuple[str, ...]) -> bool:
        return nesting == "brackets" or path[0] in bracketed or _holds_file(path, file_paths)

    def walk(name: str, value: Any, path: tuple[str, ...]) -> None:
        if path in file_paths:
            files.append((name, load_file(value, ".".join(path))))
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
    client: httpx.AsyncClient, binding: dict[str, Any], arguments: dict[str, Any], servers: dict[str, Any]
) -> httpx.Request:
    """The exact request the API expects for these arguments."""
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
            path = path.replace("{" + name + "}", _path_segment(path_value(value, style, explode, name)))
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
            headers[name] = path_value(value, "simple", argument.get("explode", False), name)
        elif where == "cookie":
            cookies[name] = _text(value)
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
        content = encode_body(spec, {} if payload is None else payload, headers)
    return client.build_request(
        binding["method"], url, params=tuple(params), headers=headers, cookies=cookies or None, **content
    )


def encode_body(spec: dict[str, Any], payload: Any, headers: dict[str, str]) -> dict[str, Any]:
    """httpx keyword arguments for the body, encoded as its media type requires."""
    media_type = spec["mediaType"].split(";")[0].strip().lower()
    file_paths = {tuple(path) for path in spec.get("files", [])}
    if () in file_paths:  # the whole body is one file
        _, data, _ = load_file(payload, "body")
        given = payload.get("content_type") if isinstance(payload, dict) else None
        # The spec's media type, unless it says no more than "bytes" (octet-stream, a wildcard).
        generic = media_type == "application/octet-stream" or "*" in media_type
        headers["Content-Type"] = str(given or spec["mediaType"]) if generic else spec["mediaType"]
        return {"content": data}
    bracketed = frozenset(spec.get("bracketed", []))
    if media_type.startswith("multipart/"):
        fields, files = form_fields(payload, file_paths, spec.get("nesting", "openapi"), bracketed)
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


def multipart_body(fields: list[tuple[str, str]], files: list[tuple[str, tuple[str, bytes, str]]]) -> tuple[bytes, str]:
    """A multipart/form-data body (RFC 7578) and its Content-Type, with or without file parts."""
    boundary = secrets.token_hex(16)
    parts: list[bytes] = []
    for name, value in fields:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"\r\n\r\n'
        parts.append(head.encode() + value.encode() + b"\r\n")
    for name, (filename, data, media_type) in files:
        head = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="{_quoted(name)}"; '
            f'filename="{_quoted(filename)}"\r\nContent-Type: {media_type}\r\n\r\n'
        )
        parts.append(head.encode() + data + b"\r\n")
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def api_message(response: httpx.Response) -> str:
    """The API's own words for an error: `message`, `error`, `errors` or the start of the body."""
    try:
        data = response.json()
    except ValueError:
        return " ".join(response.text.split())[:MAX_ERROR_TEXT]
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

"""Files as MCP resources: a binary answer is embedded when it fits the budget, else linked by a URI this server
reads again on `resources/read` (the same read-only call with the same arguments, as the same caller); never
base64 in text."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, quote, unquote, urlsplit

import httpx
import mcp.types as types

from . import contract, redaction, settings

PATH = "call"
MAX_URI = 4096
"""The longest resource URI read back (the arguments of a file download are a few IDs)."""


def scheme() -> str:
    """This server's URI scheme: its name, as a URI scheme may spell it."""
    return re.sub(r"[^a-z0-9+.-]", "-", str(settings.API["name"]).lower()) or "api"


def uri_of(name: str, arguments: dict[str, Any]) -> str:
    """The URI that reads this tool's answer again."""
    compact = json.dumps(arguments, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return f"{scheme()}://{PATH}/{quote(name, safe='')}?arguments={quote(compact, safe='')}"


def parsed(uri: str) -> tuple[str, dict[str, Any]]:
    """The tool and arguments a resource URI of this server names; ValueError for any other URI."""
    if len(uri) > MAX_URI:
        raise ValueError("the resource URI is too long")
    parts = urlsplit(uri)
    if parts.scheme != scheme() or parts.netloc != PATH or parts.fragment:
        raise ValueError(f"not a resource of this server (they start with {scheme()}://{PATH}/)")
    name = unquote(parts.path.removeprefix("/"))
    raw = parse_qs(parts.query, keep_blank_values=True).get("arguments", ["{}"])
    arguments = json.loads(raw[0]) if len(raw) == 1 else None
    if not isinstance(arguments, dict) or not name:
        raise ValueError("the resource URI names no tool, or its arguments are not one JSON object")
    return name, arguments


def file_name(response: httpx.Response) -> str:
    """The file's name: from `Content-Disposition`, else the URL's last segment."""
    disposition = response.headers.get("content-disposition", "")
    found = re.search(r"filename\*=UTF-8''([^;]+)|filename=\"?([^\";]+)\"?", disposition, re.IGNORECASE)
    if found:
        name = unquote(found.group(1)) if found.group(1) else found.group(2)
    else:
        name = response.url.path.rstrip("/").rsplit("/", 1)[-1]
    return re.sub(r"[\x00-\x1f/\\]", "_", name).strip()[:200] or "download"


def binary(
    entry: contract.Tool,
    response: httpx.Response,
    arguments: dict[str, Any],
    budget: int,
    redact: Callable[[str], str],
) -> types.CallToolResult:
    """A file: embedded (its base64 within the budget) or linked, with its name, media type and size. The URI
    and name pass through `redact` (an API key may ride in a URL)."""
    kind = response.headers.get("content-type", "application/octet-stream").split(";")[0].strip()
    name, size = redact(file_name(response)), len(response.content)
    readable = bool(entry["definition"]["annotations"].get("readOnlyHint"))
    uri = uri_of(entry["definition"]["name"], arguments) if readable else redaction.without_query(str(response.url))
    uri = redact(uri)
    about = f"{name} ({kind}, {size:,} bytes)"
    encoded = base64.b64encode(response.content).decode()
    if len(encoded) <= budget:
        blob = types.BlobResourceContents(uri=uri, mime_type=kind, blob=encoded)
        content: list[types.ContentBlock] = [
            types.TextContent(type="text", text=f"The file {about}, embedded."),
            types.EmbeddedResource(type="resource", resource=blob),
        ]
        return types.CallToolResult(content=content)
    how = (
        "read it with resources/read on its URI (the server fetches it again)"
        if readable
        else "it is not kept by the server"
    )
    link = types.ResourceLink(
        type="resource_link", uri=uri, name=name, mime_type=kind, size=size,
        description=f"Too large to embed in {budget:,} characters; {how}.",
    )  # fmt: skip
    text = f"The file {about}, linked: too large to embed in {budget:,} characters; {how}."
    return types.CallToolResult(content=[types.TextContent(type="text", text=text), link])


def contents(uri: str, response: httpx.Response) -> types.ReadResourceResult:
    """A resource read again: the file's bytes, or text as text."""
    kind = response.headers.get("content-type", "application/octet-stream").split(";")[0].strip()
    if kind.startswith("text/") or kind in ("application/json", "application/xml") or kind.endswith("+json"):
        text = types.TextResourceContents(uri=uri, mime_type=kind, text=response.text)
        return types.ReadResourceResult(contents=[text])
    blob = types.BlobResourceContents(uri=uri, mime_type=kind, blob=base64.b64encode(response.content).decode())
    return types.ReadResourceResult(contents=[blob])

"""Errors that say why and what next: an HTTP error's status and the API's own words mapped to a cause and a next
step, the fields a 422 refused, the API's own hints (from the generator's config), and requests that failed on
the way, with whether they may have been applied."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import mcp.types as types

from . import calls, contract, sending, settings

Redact = Callable[[str, list[str]], str]
MAX_FIELDS = 10

WHY = {
    400: "The API could not use the request as it was sent. Check the arguments against the tool's input schema.",
    401: "The credentials were refused; check them or sign in again.",
    403: "The account is signed in but not allowed to do this.",
    404: "Nothing was found there: check the IDs in the call ({ids}); the record may have been deleted, or belong to "
    "another parent.",
    405: "The API does not allow this method here.",
    409: "The request conflicts with the record's current state (someone changed it, or it already exists): read "
    "it again, then retry with what it holds now.",
    410: "The record is gone for good.",
    413: "The request is too large for the API: send less at a time.",
    422: "The API refused the values sent. Fix them and call again.",
}
"""The cause and next step of each status, for any API (429 and 5xx are told with what the server did)."""


def explain(
    response: httpx.Response, binding: contract.Binding, arguments: dict[str, Any], redact: Redact
) -> types.CallToolResult:
    """A 4xx or 5xx: the status, the API's own words (redacted before they are cut), why, and what to do."""
    status = response.status_code
    body = redact(response.text, [])
    said = calls.api_message(body).strip()
    said = said if said.endswith((".", "!", "?")) else f"{said}."
    lines = [f"HTTP {status} {response.reason_phrase or 'error'}: {said}"]
    refused = field_errors(body)
    if refused:
        lines.append("Fields refused: " + "; ".join(refused) + ".")
    if status == 429:
        wait = sending.retry_after(response)
        lines.append(f"Rate limited; retry in {int(wait)} seconds." if wait else "Rate limited; retry later.")
    elif status >= 500:
        lines.append(_server_failure(binding))
    elif status in WHY:
        lines.append(WHY[status].format(ids=_ids(binding, arguments)))
    lines += hints(status, body)
    meta = {"error": {"status": status, "fields": refused}} if refused else None
    text = redact(" ".join(lines), [])
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=True, _meta=meta)


def _ids(binding: contract.Binding, arguments: dict[str, Any]) -> str:
    """The path values of the call, as `name=value`: what a 404 is most likely about."""
    shown = [
        f"`{a['property']}`={arguments[a['property']]}"
        for a in binding["arguments"]
        if a["in"] == "path" and a["property"] in arguments
    ]
    return ", ".join(shown) or "none in the path"


def _server_failure(binding: contract.Binding) -> str:
    if sending.is_idempotent(binding):
        return "The API failed; the server retried as far as it may. Try again later."
    return (
        "The API failed. This request changes data and was not retried: it may have been applied, so check the "
        "record before sending it again."
    )


def hints(status: int, body: str) -> list[str]:
    """The API's own hints for this status (the config's `error_hints`): those whose words the body holds, or
    else the one that names no words."""
    known: list[contract.ErrorHint] = settings.API.get("errorHints", [])
    matching = [hint for hint in known if status in hint["status"]]
    body = body.lower()
    worded = [hint["hint"] for hint in matching if any(word in body for word in hint.get("when", []))]
    if worded:
        return worded
    return [hint["hint"] for hint in matching if not hint.get("when")][:1]


def field_errors(body: str) -> list[str]:
    """The fields an error body names, each with its message: `subject`: can't be blank. Read from the usual
    shapes: `{"errors": {field: [messages]}}`, lists of `{field|param|source.pointer|loc, message|detail}`, and
    an `error` object with `param` or `details`."""
    try:
        data = json.loads(body)
    except ValueError:
        return []
    if not isinstance(data, dict):
        return []
    found: list[str] = []
    errors = data.get("errors")
    if isinstance(errors, dict):
        for name, messages in errors.items():
            said = messages if isinstance(messages, list) else [messages]
            found.append(f"`{name}`: " + "; ".join(str(m) for m in said if not isinstance(m, (dict, list))))
    elif isinstance(errors, list):
        found += _listed(errors)
    error = data.get("error")
    if isinstance(error, dict):
        if isinstance(error.get("param"), str):
            found.append(f"`{error['param']}`: {error.get('message', 'refused')}")
        if isinstance(error.get("details"), list):
            found += _listed(error["details"])
    return [_short(entry) for entry in found[:MAX_FIELDS]]


def _listed(entries: list[Any]) -> list[str]:
    found = []
    for entry in entries:
        if not isinstance(entry, dict):
            continue
        name = entry.get("field") or entry.get("param") or entry.get("attribute") or entry.get("name")
        source = entry.get("source")
        if not name and isinstance(source, dict):
            name = str(source.get("pointer") or source.get("parameter") or "").removeprefix("/data/attributes/")
        if not name and isinstance(entry.get("loc"), list):
            name = ".".join(str(part) for part in entry["loc"] if part != "body")
        message = entry.get("message") or entry.get("detail") or entry.get("msg") or entry.get("code") or "refused"
        if name:
            found.append(f"`{name}`: {message}")
    return found


def _short(text: str) -> str:
    return text if len(text) <= 300 else text[:300] + "…"


def failure(exc: Exception, binding: contract.Binding) -> str:
    """What to tell the caller when sending failed or the answer was too large to read: for a request that
    changes data and was not answered, that it may have been applied."""
    where = f"{binding['method']} {binding['path']}"
    if isinstance(exc, sending.TooLarge):
        return (
            f"{where}: the response is over {exc.cap:,} bytes, far over {settings.RESPONSE_BUDGET}, and was not "
            "read; ask for less (filters, a smaller page size, `fields`)."
        )
    if isinstance(exc, sending.Unreadable):
        return f"{where}: the API's answer could not be read ({exc})."
    unanswered = not sending.is_idempotent(binding) and not isinstance(exc, sending.UNSENT_ERRORS)
    applied = (
        " The request changes data and was not retried: it may have been applied, so check before sending it again."
        if unanswered
        else ""
    )
    if isinstance(exc, httpx.TimeoutException):
        return (
            f"{where} timed out.{applied}"
            if applied
            else f"{where} timed out; try again, or raise {settings.TIMEOUT} (seconds)."
        )
    reason = str(exc).rstrip(".") or type(exc).__name__
    return f"{where} failed before a response arrived: {reason}.{applied or ' Check the network and the base URL.'}"

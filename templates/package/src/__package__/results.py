"""An HTTP response as a tool result: JSON as structured content with a text copy, text and files within the
budget, errors in the API's own words; every text passes through `redact` before anything cuts it."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import mcp.types as types

from . import calls, contract, redaction, sending, settings

STORED = "[stored by the server]"
WITHHELD = "[withheld: not stored, the server keeps only its own sign-in]"
TOKEN_FIELDS = ("access_token", "refresh_token", "id_token")

Redact = Callable[[str, list[str]], str]
"""Text with every secret in play taken out, and these extra ones too."""


def error(message: str, redact: Redact) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=redact(message, []))], is_error=True)


def meta(data: dict[str, Any]) -> types.CallToolResult:
    """A meta-tool's answer (data of this server's own, no secret in it)."""
    text = json.dumps(data, ensure_ascii=False)
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=data)


def http_error(response: httpx.Response, redact: Redact) -> types.CallToolResult:
    """A 4xx or 5xx: the status, the API's own words (redacted before they are cut), and what to do."""
    reason = response.reason_phrase or "error"
    message = f"HTTP {response.status_code} {reason}: {calls.api_message(redact(response.text, []))}"
    if response.status_code == 429:
        wait = sending.retry_after(response)
        message += f" Rate limited; retry in {int(wait)} seconds." if wait else " Rate limited; retry later."
    elif response.status_code == 401:
        message += " The credentials were refused; check them or sign in again."
    return error(message, redact)


def token_answer(data: dict[str, Any], kept: bool) -> tuple[dict[str, Any], list[str]]:
    """What the model sees of a token endpoint's answer (the tokens replaced), and the tokens to redact."""
    secrets = [str(data[key]) for key in TOKEN_FIELDS if data.get(key)]
    shown = STORED if kept else WITHHELD
    return {key: (shown if key in TOKEN_FIELDS and value else value) for key, value in data.items()}, secrets


def success(
    entry: contract.Tool,
    response: httpx.Response,
    arguments: dict[str, Any],
    redact: Redact,
    validator: Any,
    *,
    kept: bool = False,
) -> types.CallToolResult:
    """A successful response. `kept`: a token endpoint's answer the server stored (the model is told so, else
    that it was withheld); `validator`: the output schema's, or None."""
    binding = entry["binding"]
    budget = settings.response_budget()
    if not calls.is_json(response):
        return not_json(entry["definition"], response, budget, redact)
    try:
        data = response.json()
    except ValueError:
        return error(
            f"HTTP {response.status_code}: the API sent malformed JSON: {redact(response.text, [])[:300]}", redact
        )
    secrets: list[str] = []
    if binding.get("tokenEndpoint") and isinstance(data, dict):
        data, secrets = token_answer(data, kept)
    structured = {"result": data} if binding.get("wrapResult") or not isinstance(data, dict) else data
    if binding.get("paginated"):
        structured = {**structured, "pagination": calls.pagination(response, arguments.get("page", 1))}
    text = redact(json.dumps(structured, ensure_ascii=False), secrets)
    if len(text) > budget:
        return error(
            f"The response is {len(text):,} characters, over {settings.RESPONSE_BUDGET} ({budget:,}); "
            f"ask for less (filters, a smaller `per_page`). It starts: {text[: min(2000, budget)]} [truncated]",
            redact,
        )
    mismatch = next(iter(validator.iter_errors(structured)), None) if validator is not None else None
    if mismatch is not None:
        where = "/".join(str(p) for p in mismatch.absolute_path) or "the top level"
        return error(
            f"The API's response does not match the documented output ({where}: {mismatch.message}). "
            f"The response: {text}",
            redact,
        )
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)], structured_content=json.loads(text)
    )


def not_json(
    definition: contract.Definition, response: httpx.Response, budget: int, redact: Redact
) -> types.CallToolResult:
    """A response that is not JSON: an error where JSON was documented, else its text or the file it holds."""
    if "outputSchema" in definition:
        kind = response.headers.get("content-type", "no content type")
        if not response.content:
            return error(f"HTTP {response.status_code}: the API returned no body (expected JSON).", redact)
        start = redact(response.text, [])[:500]
        return error(f"HTTP {response.status_code}: the API returned {kind} instead of JSON: {start}", redact)
    if not response.content:
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=f"Done: HTTP {response.status_code}.")]
        )
    if calls.is_text(response):
        text = budgeted(redact(response.text, []), budget)
        return types.CallToolResult(content=[types.TextContent(type="text", text=text)])
    kind = response.headers.get("content-type", "application/octet-stream").split(";")[0]
    if len(response.content) > budget:
        return error(
            f"The {kind} response is {len(response.content):,} bytes, over {settings.RESPONSE_BUDGET} ({budget:,}).",
            redact,
        )
    uri = redact(redaction.without_query(str(response.url)), [])  # an API key may ride in the query string
    blob = types.BlobResourceContents(uri=uri, mime_type=kind, blob=base64.b64encode(response.content).decode())
    return types.CallToolResult(content=[types.EmbeddedResource(type="resource", resource=blob)])


def budgeted(text: str, budget: int) -> str:
    """Text cut to the budget (it is redacted before: a cut must never leave part of a secret behind)."""
    if len(text) <= budget:
        return text
    return (
        text[:budget]
        + f"\n[truncated: {len(text) - budget:,} more characters; raise {settings.RESPONSE_BUDGET} or ask for less]"
    )

"""An HTTP response as a tool result: JSON as structured content with a text copy, text and files within the
budget, errors in the API's own words; every text passes through `redact` before anything cuts it."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import mcp.types as types

from . import calls, contract, paging, resources, settings, shaping

STORED = "[stored by the server]"
WITHHELD = "[withheld: not stored, the server keeps only its own sign-in]"
TOKEN_FIELDS = ("access_token", "refresh_token", "id_token")
FIELDS = "fields"
"""The input a tool takes when its answer can be projected to the fields named."""
MAX_ITEMS = "max_items"
"""The input a list tool takes to collect several pages."""
NOTE_ROOM = 1000
"""Characters of the budget kept for the note that says what was left out and how to get it (a quarter of a
smaller budget)."""

Redact = Callable[[str, list[str]], str]
"""Text with every secret in play taken out, and these extra ones too."""


def error(message: str, redact: Redact) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=redact(message, []))], is_error=True)


def meta(data: dict[str, Any]) -> types.CallToolResult:
    """A meta-tool's answer (data of this server's own, no secret in it)."""
    text = json.dumps(data, ensure_ascii=False)
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=data)


def token_answer(data: dict[str, Any], kept: bool) -> tuple[dict[str, Any], list[str]]:
    """What the model sees of a token endpoint's answer (the tokens replaced), and the tokens to redact."""
    secrets = [str(data[key]) for key in TOKEN_FIELDS if data.get(key)]
    shown = STORED if kept else WITHHELD
    return {key: (shown if key in TOKEN_FIELDS and value else value) for key, value in data.items()}, secrets


def decoded(
    binding: contract.Binding, response: httpx.Response, redact: Redact, *, kept: bool = False
) -> tuple[Any, list[str]] | types.CallToolResult:
    """A JSON answer's data with every secret in play taken out, and the extra secrets it held (a token
    endpoint's tokens, replaced); or the error to return when the JSON is malformed. `kept`: a token endpoint's
    answer the server stored (the model is told so, else that it was withheld)."""
    try:
        data = calls.sequence_items(response) if calls.is_sequential(response) else response.json()
    except ValueError:
        return error(
            f"HTTP {response.status_code}: the API sent malformed JSON: {redact(response.text, [])[:300]}", redact
        )
    secrets: list[str] = []
    if binding.get("tokenEndpoint") and isinstance(data, dict):
        data, secrets = token_answer(data, kept)
    return json.loads(redact(shaping.dumps(data), secrets)), secrets


def first_page(
    entry: contract.Tool,
    response: httpx.Response,
    sent: dict[str, Any],
    caller: dict[str, Any],
    redact: Redact,
    *,
    kept: bool = False,
) -> paging.Page | types.CallToolResult:
    """A successful response as the first page of a result; or, when it is no JSON, the whole result (text, a
    file, or the error where JSON was documented). `sent`: the arguments as sent; `caller`: as given."""
    if not (calls.is_json(response) or calls.is_sequential(response)) or not response.content:
        return not_json(entry, response, caller, settings.response_budget(), redact)
    found = decoded(entry["binding"], response, redact, kept=kept)
    if isinstance(found, types.CallToolResult):
        return found
    return paging.Page(sent, response, found[0], records(entry["binding"], found[0]))


def single(
    entry: contract.Tool, response: httpx.Response, caller: dict[str, Any], redact: Redact, validator: Any
) -> types.CallToolResult:
    """The result of one successful response, as `success` shapes it."""
    page = first_page(entry, response, caller, caller, redact)
    return page if isinstance(page, types.CallToolResult) else success(entry, [page], caller, validator, redact)


def records(binding: contract.Binding, data: Any) -> list[Any]:
    """The records of a list tool's answer (empty for any other)."""
    key = binding.get("items")
    if key == "result" and binding.get("wrapResult"):
        found = data
    else:
        found = data.get(key) if key and isinstance(data, dict) else None
    return found if isinstance(found, list) else []


def success(
    entry: contract.Tool,
    pages: list[paging.Page],
    caller: dict[str, Any],
    validator: Any,
    redact: Redact,
    failed: str = "",
) -> types.CallToolResult:
    """The answer of one call, or of several pages collected (`max_items`): the fields asked for (`fields`), as
    many whole records or fields as fit the budget, and a note with the exact arguments that get the rest.
    `caller`: the arguments as the caller gave them; `failed`: why collecting stopped early."""
    binding, definition = entry["binding"], entry["definition"]
    structured, items = _combined(binding, pages, caller)
    schema = definition.get("outputSchema")
    fields = [str(name) for name in caller.get(FIELDS) or []] if binding.get("fields") else []
    missing: list[str] = []
    if fields:
        structured, missing = _projected(binding, structured, fields, schema)
    told = _Told(items, len(pages), "paging" in binding and MAX_ITEMS in caller, bool(fields), missing, failed)
    budget = settings.response_budget()
    room = budget - min(NOTE_ROOM, budget // 4)
    shaped = _Shaped.of(entry, pages, caller, structured, room, told, budget)
    if len(shaped.text) + len(shaped.note) > budget:  # the note came out longer than the room kept for it
        shaped = _Shaped.of(entry, pages, caller, structured, budget - len(shaped.note) - 16, told, budget)
    mismatch = next(iter(validator.iter_errors(shaped.value)), None) if validator is not None else None
    if mismatch is not None:
        where = "/".join(str(p) for p in mismatch.absolute_path) or "the top level"
        return error(
            f"The API's response does not match the documented output ({where}: {mismatch.message}). "
            f"The response starts: {shaped.text[:2000]}",
            redact,
        )
    content: list[types.ContentBlock] = [types.TextContent(type="text", text=shaped.text)]
    if shaped.note:
        content.append(types.TextContent(type="text", text=redact(shaped.note, [])))
    follow = shaped.follow
    meta = {"continuation": {"arguments": follow.arguments, "exact": follow.exact}} if follow else None
    return types.CallToolResult(content=content, structured_content=shaped.value, _meta=meta)


@dataclass(frozen=True)
class _Shaped:
    """A result's structured content cut to a room, its text, its note, and where it continues (when it says)."""

    value: Any
    text: str
    note: str
    follow: paging.Continuation | None

    @classmethod
    def of(
        cls,
        entry: contract.Tool,
        pages: list[paging.Page],
        caller: dict[str, Any],
        structured: dict[str, Any],
        room: int,
        told: _Told,
        budget: int,
    ) -> _Shaped:
        binding = entry["binding"]
        fitted = shaping.fit(structured, binding.get("items"), room, entry["definition"].get("outputSchema"))
        shown = told.records if fitted.kept is None else fitted.kept
        follow = _follow(binding, pages, shown, caller) if "paging" in binding and pages else None
        if not _continues(fitted, told):
            follow = None
        value = fitted.value
        restate = follow is not None and fitted.kept is not None and binding["paging"]["style"] == "page"
        if restate and follow is not None and isinstance(value, dict) and isinstance(value.get("pagination"), dict):
            value = {**value, "pagination": paging.restated(value["pagination"], follow.arguments, binding["paging"])}
        note = _note(entry["definition"]["name"], fitted, told, follow, budget)
        return cls(value, shaping.dumps(value), note, follow)


def _combined(binding: contract.Binding, pages: list[paging.Page], caller: dict[str, Any]) -> tuple[Any, int]:
    """The structured result of the pages: the last page's answer with every page's records, up to
    `max_items`; and how many records that is."""
    last = pages[-1]
    data = last.data
    items: list[Any] = [record for page in pages for record in page.items]
    wanted = caller.get(MAX_ITEMS) if "paging" in binding else None
    if isinstance(wanted, int) and len(items) > wanted:
        items = items[:wanted]
    key = binding.get("items")
    if len(pages) > 1 or len(items) < len(last.items):
        if key == "result" and binding.get("wrapResult"):
            data = items
        elif key and isinstance(data, dict):
            data = {**data, key: items}
    structured = {"result": data} if binding.get("wrapResult") or not isinstance(data, dict) else data
    if binding.get("paginated") and "pagination" not in structured:  # the API's own `pagination` stays
        structured = {**structured, "pagination": calls.pagination(last.response, last.arguments.get("page", 1))}
    return structured, len(items) if key else 0


def _projected(
    binding: contract.Binding, structured: dict[str, Any], fields: list[str], schema: Any
) -> tuple[dict[str, Any], list[str]]:
    """Only the fields asked for: of each record of a list tool, else of the answer (its `pagination` kept)."""
    tree = shaping.field_tree(fields)
    key = binding.get("items")
    if key and isinstance(structured.get(key), list):
        properties = schema.get("properties", {}) if isinstance(schema, dict) else {}
        listed = properties.get(key) if isinstance(properties, dict) else None
        records = structured[key]
        return {**structured, key: shaping.project(records, tree, listed, schema)}, shaping.unmatched(records, fields)
    own = {name: value for name, value in structured.items() if name != "pagination"}
    shown = shaping.project(own, tree, schema, schema)
    if "pagination" in structured:
        shown["pagination"] = structured["pagination"]
    return shown, shaping.unmatched(own, fields)


def _follow(
    binding: contract.Binding, pages: list[paging.Page], shown: int, caller: dict[str, Any]
) -> paging.Continuation | None:
    """Where the records after the `shown` first ones of the pages start."""
    before = 0
    for page in pages:
        if before + len(page.items) >= shown or page is pages[-1]:
            return paging.continuation(binding, page, shown - before, shown, caller)
        before += len(page.items)
    return None


@dataclass(frozen=True)
class _Told:
    """What a result's note reports besides the cut itself."""

    records: int
    pages: int
    collected: bool
    projected: bool
    missing: list[str]
    failed: str


def _continues(fitted: shaping.Fitted, told: _Told) -> bool:
    """Whether the result says where to go on: it was cut, or pages were collected on request."""
    return fitted.kept is not None or told.collected or bool(told.failed)


def _note(name: str, fitted: shaping.Fitted, told: _Told, follow: paging.Continuation | None, budget: int) -> str:
    """What the model needs to know about a result that is not the whole answer, and how to get the rest."""
    lines: list[str] = []
    if told.collected:
        pages = "1 page" if told.pages == 1 else f"{told.pages:,} pages"
        lines.append(f"Collected {told.records:,} records from {pages}.")
    if fitted.kept is not None:
        lines.append(
            f"Showing the first {fitted.kept:,} of {told.records:,} records: the rest did not fit in "
            f"{budget:,} characters."
        )
    if fitted.elided:
        named = ", ".join(f"`{key}` ({size:,} characters)" for key, size in fitted.elided[:8])
        lines.append(f"Left out or shortened to fit {budget:,} characters: {named}.")
    if told.failed:
        lines.append(told.failed)
    if follow is not None:
        arguments = shaping.dumps(follow.arguments)
        if follow.exact:
            lines.append(f"For the records after these, call `{name}` with {arguments}.")
        else:
            lines.append(
                f"To go on, call `{name}` with {arguments}: it returns the last of these records again, with a "
                "cursor that continues after them."
            )
    elif _continues(fitted, told) and fitted.kept is not None:
        lines.append("The API gives no way to start a page after these records; narrow the call with its filters.")
    if (fitted.kept is not None or fitted.elided) and not told.projected:
        lines.append("Pass `fields` (`a.b` for a nested field) to get only what you need, and more records per call.")
    if told.missing:
        names = ", ".join(f"`{path}`" for path in told.missing)
        lines.append(f"No record has {names}; the output schema names the fields.")
    return " ".join(lines)


def not_json(
    entry: contract.Tool, response: httpx.Response, caller: dict[str, Any], budget: int, redact: Redact
) -> types.CallToolResult:
    """A response that is not JSON: an error where JSON was documented, else its text or the file it holds."""
    if "outputSchema" in entry["definition"]:
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
    return resources.binary(entry, response, caller, budget, lambda text: redact(text, []))


def budgeted(text: str, budget: int) -> str:
    """Text cut to the budget (it is redacted before: a cut must never leave part of a secret behind)."""
    if len(text) <= budget:
        return text
    return (
        text[:budget]
        + f"\n[truncated: {len(text) - budget:,} more characters; raise {settings.RESPONSE_BUDGET} or ask for less]"
    )

"""Tool calls: check the arguments, fill what the server supplies, sign and send the request, shape the answer.

Imported with the first call, so start-up and tools/list do not pay for the HTTP stack."""

from __future__ import annotations

import base64
import importlib.util
import json
import sys
from contextvars import ContextVar
from functools import cache
from typing import Any

import httpx
import mcp.types as types

from . import __version__, auth, calls, catalog, redaction, sending, settings, uploads, validation
from .server import SERVER_NAME, hidden_in_team, runtime, team_schema, tools

# httpcore tries to import the optional `sniffio` on every request; when it is not installed, record that
# once, so each call does not search the import path again (about half a millisecond a request).
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]  # None there marks a module as absent

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
REDACTED = "[stored by the server]"
WITHHELD = "[withheld: not stored, the server keeps only its own sign-in]"


@cache
def credentials() -> auth.Credentials:
    return auth.Credentials(runtime())


def _secrets() -> list[str]:
    """Values that must never appear in a result: the client secret and every token in play."""
    found = [
        settings.value(settings.CLIENT_SECRET),
        settings.value(settings.ACCESS_TOKEN),
        settings.value(settings.PASSWORD),
        settings.value(settings.API_KEY),
    ]
    try:
        tokens = credentials().store.load() or {}
    except auth.AuthError:
        tokens = {}
    found += [str(tokens.get("access_token", "")), str(tokens.get("refresh_token", ""))]
    found.append(_USER_TOKEN.get() or "")  # team mode: the signed-in user's token this call sent
    return found


def redact(text: str, extra: list[str] | None = None) -> str:
    """Every secret in play, in every form (`redaction`), out of text a caller will see; always before a cut."""
    return redaction.redact(text, [*_secrets(), *(extra or [])])


def _error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=redact(message))], is_error=True)


@cache
def _validator(name: str, team: bool) -> Any:
    """A JSON Schema validator for the tool's whole input (jsonschema comes with mcp); None if it is not there.
    A tool whose listing is reduced to fit its budget is checked against the whole schema all the same; a team
    user's against the schema they are shown (no local `path` for files)."""
    schema = catalog.input_schema(tools()[name])
    return validation.validator(team_schema(schema) if team else schema)


@cache
def _output_validator(name: str) -> Any:
    schema = tools()[name]["definition"].get("outputSchema")
    if schema is None:
        return None
    return validation.validator(schema)


def argument_problems(name: str, arguments: dict[str, Any]) -> list[str]:
    """Every way the arguments break the tool's inputSchema, one line each."""
    validator = _validator(name, auth.CURRENT_USER.get() is not None)
    if validator is None:
        return []
    problems = []
    for error in sorted(validator.iter_errors(arguments), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(part) for part in error.absolute_path) or "arguments"
        problems.append(f"{where}: {error.message}")
    return problems


def fill_bound(binding: dict[str, Any], arguments: dict[str, Any]) -> dict[str, Any]:
    """Arguments the server supplies: settings (`env`) and stored tokens, never asked of the model."""
    filled = dict(arguments)
    for argument in binding["arguments"]:
        name = argument["property"]
        if argument.get("hidden"):
            filled.pop(name, None)
        if name in filled:
            continue
        value = None
        if argument.get("env"):
            value = settings.value(argument["env"]) or None
            if value is None and argument.get("required"):
                purpose = "it fills `" + argument["name"] + "`"
                raise settings.ConfigurationError(f"Set {argument['env']} ({purpose}), or pass `{name}`.")
        elif argument.get("token"):
            value = credentials().stored(argument["token"])
        if value is not None:
            filled[name] = value
    return filled


_CLIENT: httpx.AsyncClient | None = None


def http_client() -> httpx.AsyncClient:
    """One connection pool for the server's life: calls reuse connections."""
    global _CLIENT
    if _CLIENT is None or _CLIENT.is_closed:
        _CLIENT = httpx.AsyncClient(
            follow_redirects=False,
            headers={"User-Agent": f"{SERVER_NAME}/{__version__}"},
            cookies=calls.cookieless_jar(),
        )
    return _CLIENT


def allowed_origins() -> frozenset[sending.Origin]:
    """Where a redirect may lead: the scheme, host and port of a configured server."""
    found = set()
    for server in runtime()["servers"].values():
        try:
            found.add(sending.origin(httpx.URL(settings.server_url(server))))
        except settings.ConfigurationError:
            continue
    return frozenset(found)


async def _signed(
    client: httpx.AsyncClient, request: httpx.Request, binding: dict[str, Any], rejected: str | None
) -> httpx.Request:
    """The request with credentials for the first scheme the operation accepts."""
    for name in binding["auth"]:
        scheme = runtime()["securitySchemes"].get(name, {})
        if scheme.get("type") in ("oauth2", "openIdConnect"):
            request.headers["Authorization"] = f"Bearer {await _bearer(client, rejected)}"
            return request
        if auth.CURRENT_USER.get() is not None:
            raise auth.AuthError(
                "This operation signs in with a key of the deployment's own, which team mode does not use."
            )
        headers, params = auth.scheme_headers(scheme)
        request.headers.update(headers)
        if params:
            request.url = request.url.copy_merge_params(params)
        return request
    return request


_USER_TOKEN: ContextVar[str | None] = ContextVar("user_token", default=None)
"""Team mode: the user's API token this call sent (refreshed only if the API refuses this one)."""


async def _bearer(client: httpx.AsyncClient, rejected: str | None) -> str:
    """The access token for this call: the signed-in user's in team mode (never a shared one), else the
    server's own credentials. `rejected` is the token the API just refused, if it did."""
    user = auth.CURRENT_USER.get()
    if user is None:
        return await credentials().bearer(client, rejected=rejected)
    if auth.team_bearer is None:
        raise auth.AuthError("Team mode has not started its store.")
    token = await auth.team_bearer(user, rejected)
    _USER_TOKEN.set(token)
    return token


def _sent_token(request: httpx.Request) -> str:
    return str(request.headers.get("Authorization", "")).removeprefix("Bearer ")


async def send(binding: dict[str, Any], arguments: dict[str, Any]) -> httpx.Response:
    """Build, sign and send the request, and read its body up to the cap; renew the token and try once more on
    a 401."""
    client = http_client()
    idempotent = binding["method"] in IDEMPOTENT_METHODS
    servers = runtime()["servers"]
    team = auth.CURRENT_USER.get() is not None
    load = await uploads.loaded_files(client, binding, arguments, servers, team=team)
    rejected: str | None = None
    while True:
        request = calls.build_request(client, binding, arguments, servers, load)
        request.extensions["timeout"] = settings.timeouts().as_dict()
        request = await _signed(client, request, binding, rejected)
        response = await sending.send(
            client, request, idempotent=idempotent, attempts=settings.max_attempts(), allowed=allowed_origins()
        )
        oauth = any(runtime()["securitySchemes"].get(n, {}).get("type") == "oauth2" for n in binding["auth"])
        fixed_token = settings.access_token() is not None and not team
        if response.status_code != 401 or rejected is not None or not oauth or fixed_token:
            break
        await response.aclose()
        rejected = _sent_token(request)
    if response.status_code >= 400:
        await sending.read_capped(response, settings.MAX_ERROR_BODY_BYTES, keep_start=True)
    else:
        await sending.read_capped(response, settings.response_byte_cap())
    return response


def _token_answer(data: dict[str, Any], kept: bool) -> tuple[dict[str, Any], list[str]]:
    """What the model sees of a token endpoint's answer (the tokens replaced), and the tokens to redact."""
    secrets = [str(data.get(k)) for k in ("access_token", "refresh_token", "id_token") if data.get(k)]
    shown = REDACTED if kept else WITHHELD
    hidden = {k: (shown if k in ("access_token", "refresh_token", "id_token") and v else v) for k, v in data.items()}
    return hidden, secrets


def _structured(
    name: str, binding: dict[str, Any], response: httpx.Response, arguments: dict[str, Any], *, kept: bool = False
) -> types.CallToolResult:
    """A successful response as a tool result: JSON as structured content plus a text copy. `kept`: a token
    endpoint's answer that the server stored (the model is told so; otherwise that it was withheld)."""
    entry = tools()[name]
    budget = settings.response_budget()
    if not calls.is_json(response):
        return _not_json(entry, response, budget)
    try:
        data = response.json()
    except ValueError:
        return _error(f"HTTP {response.status_code}: the API sent malformed JSON: {redact(response.text)[:300]}")
    secrets: list[str] = []
    if binding.get("tokenEndpoint") and isinstance(data, dict):
        data, secrets = _token_answer(data, kept)
    structured = {"result": data} if binding.get("wrapResult") or not isinstance(data, dict) else data
    if binding.get("paginated"):
        structured = {**structured, "pagination": calls.pagination(response, arguments.get("page", 1))}
    text = redact(json.dumps(structured, ensure_ascii=False), secrets)
    if len(text) > budget:
        return _error(
            f"The response is {len(text):,} characters, over {settings.RESPONSE_BUDGET} ({budget:,}); "
            f"ask for less (filters, a smaller `per_page`). It starts: {text[: min(2000, budget)]} [truncated]"
        )
    validator = _output_validator(name)
    mismatch = next(iter(validator.iter_errors(structured)), None) if validator is not None else None
    if mismatch is not None:
        where = "/".join(str(p) for p in mismatch.absolute_path) or "the top level"
        return _error(
            f"The API's response does not match the documented output ({where}: {mismatch.message}). "
            f"The response: {text}"
        )
    return types.CallToolResult(
        content=[types.TextContent(type="text", text=text)], structured_content=json.loads(text)
    )


def _not_json(entry: dict[str, Any], response: httpx.Response, budget: int) -> types.CallToolResult:
    """A response that is not JSON: an error where JSON was documented, else its text or the file it holds."""
    if "outputSchema" in entry["definition"]:
        kind = response.headers.get("content-type", "no content type")
        if not response.content:
            return _error(f"HTTP {response.status_code}: the API returned no body (expected JSON).")
        start = redact(response.text)[:500]
        return _error(f"HTTP {response.status_code}: the API returned {kind} instead of JSON: {start}")
    if not response.content:
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=f"Done: HTTP {response.status_code}.")]
        )
    if calls.is_text(response):
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=_budgeted(redact(response.text), budget))]
        )
    kind = response.headers.get("content-type", "application/octet-stream").split(";")[0]
    if len(response.content) > budget:
        return _error(
            f"The {kind} response is {len(response.content):,} bytes, over {settings.RESPONSE_BUDGET} ({budget:,})."
        )
    uri = redact(redaction.without_query(str(response.url)))  # an API key may ride in the query string
    blob = types.BlobResourceContents(uri=uri, mime_type=kind, blob=base64.b64encode(response.content).decode())
    return types.CallToolResult(content=[types.EmbeddedResource(type="resource", resource=blob)])


def _budgeted(text: str, budget: int) -> str:
    """Text cut to the budget (it is redacted before: a cut must never leave part of a secret behind)."""
    if len(text) <= budget:
        return text
    return (
        text[:budget]
        + f"\n[truncated: {len(text) - budget:,} more characters; raise {settings.RESPONSE_BUDGET} or ask for less]"
    )


def _meta_result(data: dict[str, Any]) -> types.CallToolResult:
    text = json.dumps(data, ensure_ascii=False)
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=data)


def _offered(entry: dict[str, Any]) -> bool:
    """In team mode, the tools that handle the server's own tokens are neither found, described nor run."""
    return auth.CURRENT_USER.get() is None or not hidden_in_team(entry)


@cache
def _searchable(for_a_team_user: bool) -> list[dict[str, Any]]:
    """The operations search looks through: the same list object on every call, so the index is built once."""
    return [e for e in runtime()["tools"] if not (for_a_team_user and hidden_in_team(e))]


async def call_meta_tool(name: str, arguments: dict[str, Any]) -> types.CallToolResult:
    """The catalog's search, describe and call tools."""
    problems = _meta_problems(name, arguments)
    if problems:
        return _error("Invalid arguments:\n" + "\n".join(f"- {p}" for p in problems))
    if name == "search_operations":
        return _meta_result(catalog.search(_searchable(auth.CURRENT_USER.get() is not None), arguments))
    target = tools().get(str(arguments.get("name", "")))
    if target is None or not _offered(target):
        return _error(f"No operation is named {arguments.get('name')!r}; find names with `search_operations`.")
    if name == "describe_operation":
        described = catalog.describe(target)
        if auth.CURRENT_USER.get() is not None:
            described["inputSchema"] = team_schema(described["inputSchema"])
        return _meta_result(described)
    outcome = await call_tool(target["definition"]["name"], dict(arguments.get("arguments") or {}))
    return outcome


@cache
def _meta_validators() -> dict[str, Any]:
    return {d["name"]: validation.validator(d["inputSchema"]) for d in catalog.meta_definitions()}


def _meta_problems(name: str, arguments: dict[str, Any]) -> list[str]:
    validator = _meta_validators().get(name)
    if validator is None:
        return []
    return [
        f"{'/'.join(str(p) for p in e.absolute_path) or 'arguments'}: {e.message}"
        for e in validator.iter_errors(arguments)
    ]


async def call_tool(name: str, arguments: dict[str, Any]) -> types.CallToolResult:
    """Run one tool: validate, fill bound arguments, send, and report the response or what went wrong."""
    if name in catalog.META_TOOLS and name not in tools():
        return await call_meta_tool(name, arguments)
    entry = tools().get(name)
    if entry is None or not _offered(entry):
        return _error(f"Unknown tool {name!r}.")
    binding = entry["binding"]
    problems = argument_problems(name, arguments)
    if problems:
        return _error("Invalid arguments:\n" + "\n".join(f"- {p}" for p in problems))
    where = f"{binding['method']} {binding['path']}"
    try:
        if binding.get("tokenEndpoint"):
            response, filled, kept = await _token_call(binding, arguments)
        else:
            filled = fill_bound(binding, arguments)
            response, kept = await send(binding, filled), False
    except settings.ConfigurationError as exc:
        return _error(f"Configuration needed: {exc}")
    except auth.AuthError as exc:
        return _error(f"Authentication failed: {exc}")
    except calls.ToolError as exc:
        return _error(str(exc))
    except sending.RedirectRefused as exc:
        target = redaction.without_query(str(exc.target))
        return _error(f"{where} was redirected to {target}, which is not a configured server; not followed.")
    except sending.TooLarge as exc:
        return _error(
            f"{where}: the response is over {exc.cap:,} bytes, far over {settings.RESPONSE_BUDGET}, and was not "
            "read; ask for less (filters, a smaller `per_page`)."
        )
    except httpx.TimeoutException:
        return _error(f"{where} timed out; try again, or raise {settings.TIMEOUT} (seconds).")
    except httpx.HTTPError as exc:
        reason = str(exc).rstrip(".") or type(exc).__name__
        return _error(f"{where} failed before a response arrived: {reason}. Check the network and the base URL.")
    if response.status_code >= 400:
        return _error(_http_error(response))
    if binding.get("revokesTokens"):
        try:
            for argument in binding["arguments"]:
                if argument.get("token"):
                    credentials().forget(argument["token"])  # stored, it would only be refused from now on
        except auth.AuthError as exc:
            return _error(f"The token was revoked. {exc}")
    return _structured(name, binding, response, filled, kept=kept)


async def _token_call(
    binding: dict[str, Any], arguments: dict[str, Any]
) -> tuple[httpx.Response, dict[str, Any], bool]:
    """A call of the API's token endpoint. Its answer is stored only when it refreshed the pair the server
    holds (under the same lock as the server's own refreshes): a model steered by text in the API's data must
    not sign the server in as somebody else, or swap the user's sign-in for a service account's."""
    async with credentials().exclusive():
        filled = fill_bound(binding, arguments)  # under the lock: the newest stored refresh token
        refreshing = _refreshes_the_stored_pair(binding, filled)
        if not refreshing:  # a request of the model's own carries none of the stored tokens
            stored = {a["property"] for a in binding["arguments"] if a.get("token")}
            filled = {key: value for key, value in filled.items() if key not in stored}
        response = await send(binding, filled)
        kept = False
        if refreshing and response.status_code < 300 and calls.is_json(response):
            try:
                data = response.json()
            except ValueError:
                data = None
            if isinstance(data, dict) and data.get("access_token"):
                credentials().keep(data, refreshed=True)  # stored before the model sees the answer
                kept = True
    return response, filled, kept


def _refreshes_the_stored_pair(binding: dict[str, Any], filled: dict[str, Any]) -> bool:
    """Whether the call is a `refresh_token` grant sending the refresh token the server holds."""
    arguments = binding["arguments"]
    grant = next((filled.get(a["property"]) for a in arguments if a["name"] == "grant_type"), None)
    stored = credentials().stored("refresh_token")
    sends_it = any(filled.get(a["property"]) == stored for a in arguments if a.get("token") == "refresh_token")
    return grant == "refresh_token" and stored is not None and sends_it


def _http_error(response: httpx.Response) -> str:
    reason = response.reason_phrase or "error"
    message = f"HTTP {response.status_code} {reason}: {calls.api_message(redact(response.text))}"
    if response.status_code == 429:
        wait = sending.retry_after(response)
        message += f" Rate limited; retry in {int(wait)} seconds." if wait else " Rate limited; retry later."
    elif response.status_code == 401:
        message += " The credentials were refused; check them or sign in again."
    return message

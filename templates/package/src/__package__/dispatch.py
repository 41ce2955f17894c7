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

from . import __version__, auth, calls, catalog, sending, settings
from .server import SERVER_NAME, hidden_in_team, runtime, tools

# httpcore tries to import the optional `sniffio` on every request; when it is not installed, record that
# once, so each call does not search the import path again (about half a millisecond a request).
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]  # None there marks a module as absent

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
REDACTED = "[stored by the server]"


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
    return [secret for secret in found if len(secret) >= 6]


def redact(text: str, extra: list[str] | None = None) -> str:
    for secret in [*_secrets(), *(extra or [])]:
        text = text.replace(secret, "[redacted]")
    return text


def _error(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=redact(message))], is_error=True)


@cache
def _validator(name: str) -> Any:
    """A JSON Schema validator for the tool's whole input (jsonschema comes with mcp); None if it is not there.
    A tool whose listing is reduced to fit its budget is checked against the whole schema all the same."""
    try:
        from jsonschema import Draft202012Validator
    except ImportError:  # pragma: no cover - mcp depends on jsonschema
        return None
    return Draft202012Validator(catalog.input_schema(tools()[name]))


@cache
def _output_validator(name: str) -> Any:
    schema = tools()[name]["definition"].get("outputSchema")
    if schema is None:
        return None
    try:
        from jsonschema import Draft202012Validator
    except ImportError:  # pragma: no cover
        return None
    return Draft202012Validator(schema)


def argument_problems(name: str, arguments: dict[str, Any]) -> list[str]:
    """Every way the arguments break the tool's inputSchema, one line each."""
    validator = _validator(name)
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


def allowed_hosts() -> frozenset[str]:
    hosts = set()
    for server in runtime()["servers"].values():
        try:
            hosts.add(httpx.URL(settings.server_url(server)).host)
        except settings.ConfigurationError:
            continue
    return frozenset(hosts)


async def _signed(
    client: httpx.AsyncClient, request: httpx.Request, binding: dict[str, Any], renew: bool
) -> httpx.Request:
    """The request with credentials for the first scheme the operation accepts."""
    for name in binding["auth"]:
        scheme = runtime()["securitySchemes"].get(name, {})
        if scheme.get("type") in ("oauth2", "openIdConnect"):
            request.headers["Authorization"] = f"Bearer {await _bearer(client, renew)}"
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


async def _bearer(client: httpx.AsyncClient, renew: bool) -> str:
    """The access token for this call: the signed-in user's in team mode (never a shared one), else the
    server's own credentials."""
    user = auth.CURRENT_USER.get()
    if user is None:
        return await credentials().bearer(client, renew=renew)
    if auth.team_bearer is None:
        raise auth.AuthError("Team mode has not started its store.")
    token = await auth.team_bearer(user, _USER_TOKEN.get() if renew else None)
    _USER_TOKEN.set(token)
    return token


async def send(binding: dict[str, Any], arguments: dict[str, Any]) -> httpx.Response:
    """Build, sign and send the request; renew the token and try once more on a 401."""
    client = http_client()
    idempotent = binding["method"] in IDEMPOTENT_METHODS
    for renew in (False, True):
        request = calls.build_request(client, binding, arguments, runtime()["servers"])
        request.extensions["timeout"] = settings.timeouts().as_dict()
        request = await _signed(client, request, binding, renew)
        response = await sending.send(
            client, request, idempotent=idempotent, attempts=settings.max_attempts(), allowed_hosts=allowed_hosts()
        )
        oauth = any(runtime()["securitySchemes"].get(n, {}).get("type") == "oauth2" for n in binding["auth"])
        fixed_token = settings.access_token() is not None and auth.CURRENT_USER.get() is None
        if response.status_code != 401 or renew or not oauth or fixed_token:
            return response
        await response.aread()
    return response


def _structured(
    name: str, binding: dict[str, Any], response: httpx.Response, arguments: dict[str, Any]
) -> types.CallToolResult:
    """A successful response as a tool result: JSON as structured content plus a text copy."""
    entry = tools()[name]
    budget = settings.response_budget()
    if not calls.is_json(response):
        return _not_json(entry, response, budget)
    try:
        data = response.json()
    except ValueError:
        return _error(f"HTTP {response.status_code}: the API sent malformed JSON: {response.text[:300]}")
    if binding.get("tokenEndpoint") and isinstance(data, dict):
        credentials().keep(data)  # stored first; the model only sees a redacted copy
        secrets = [str(data.get(k)) for k in ("access_token", "refresh_token") if data.get(k)]
        data = {k: (REDACTED if k in ("access_token", "refresh_token") and v else v) for k, v in data.items()}
    else:
        secrets = []
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
        return _error(f"HTTP {response.status_code}: the API returned {kind} instead of JSON: {response.text[:500]}")
    if not response.content:
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=f"Done: HTTP {response.status_code}.")]
        )
    if calls.is_text(response):
        return types.CallToolResult(
            content=[types.TextContent(type="text", text=redact(_budgeted(response.text, budget)))]
        )
    kind = response.headers.get("content-type", "application/octet-stream").split(";")[0]
    if len(response.content) > budget:
        return _error(
            f"The {kind} response is {len(response.content):,} bytes, over {settings.RESPONSE_BUDGET} ({budget:,})."
        )
    blob = types.BlobResourceContents(
        uri=str(response.url), mime_type=kind, blob=base64.b64encode(response.content).decode()
    )
    return types.CallToolResult(content=[types.EmbeddedResource(type="resource", resource=blob)])


def _budgeted(text: str, budget: int) -> str:
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
        return _meta_result(catalog.describe(target))
    outcome = await call_tool(target["definition"]["name"], dict(arguments.get("arguments") or {}))
    return outcome


@cache
def _meta_validators() -> dict[str, Any]:
    try:
        from jsonschema import Draft202012Validator
    except ImportError:  # pragma: no cover - mcp depends on jsonschema
        return {}
    return {d["name"]: Draft202012Validator(d["inputSchema"]) for d in catalog.meta_definitions()}


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
        filled = fill_bound(binding, arguments)
        response = await send(binding, filled)
    except settings.ConfigurationError as exc:
        return _error(f"Configuration needed: {exc}")
    except auth.AuthError as exc:
        return _error(f"Authentication failed: {exc}")
    except calls.ToolError as exc:
        return _error(str(exc))
    except sending.RedirectRefused as exc:
        return _error(f"{where} was redirected to {exc.target}, which is not a configured host; not followed.")
    except httpx.TimeoutException:
        return _error(f"{where} timed out; try again, or raise {settings.TIMEOUT} (seconds).")
    except httpx.HTTPError as exc:
        reason = str(exc).rstrip(".") or type(exc).__name__
        return _error(f"{where} failed before a response arrived: {reason}. Check the network and the base URL.")
    await response.aread()
    if response.status_code >= 400:
        return _error(_http_error(response))
    if binding.get("revokesTokens"):
        try:
            for argument in binding["arguments"]:
                if argument.get("token"):
                    credentials().forget(argument["token"])  # stored, it would only be refused from now on
        except auth.AuthError as exc:
            return _error(f"The token was revoked. {exc}")
    return _structured(name, binding, response, filled)


def _http_error(response: httpx.Response) -> str:
    reason = response.reason_phrase or "error"
    message = f"HTTP {response.status_code} {reason}: {calls.api_message(response)}"
    if response.status_code == 429:
        wait = sending.retry_after(response)
        message += f" Rate limited; retry in {int(wait)} seconds." if wait else " Rate limited; retry later."
    elif response.status_code == 401:
        message += " The credentials were refused; check them or sign in again."
    return message

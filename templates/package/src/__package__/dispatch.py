"""Tool calls: check the arguments, fill what the server supplies, sign and send the request, shape the answer.

One `Dispatcher` per server holds what calls share (the connection pool, the credentials, validators and search
indexes); it is made with the first call, so start-up and tools/list do not pay for the HTTP stack."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from functools import cached_property
from typing import Any

import httpx
import mcp.types as types

from . import (
    __version__,
    auth,
    caller,
    calls,
    catalog,
    confirming,
    contract,
    data,
    errors,
    paging,
    redaction,
    resources,
    results,
    sending,
    settings,
    shaping,
    uploads,
    validation,
)

# httpcore tries to import the optional `sniffio` on every request; when it is not installed, record that
# once, so each call does not search the import path again (about half a millisecond a request).
if importlib.util.find_spec("sniffio") is None:
    sys.modules.setdefault("sniffio", None)  # type: ignore[arg-type]  # None there marks a module as absent

INVALID = "Invalid arguments:\n"
NOT_FOUND, INVALID_PARAMS, INTERNAL = -32002, -32602, -32603
"""JSON-RPC error codes of a refused `resources/read`: no such resource, bad arguments, the API failed."""


class ResourceRefused(Exception):
    """A resource that could not be read: the JSON-RPC error code and what to tell the client."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Dispatcher:
    """Runs the tools of one API. `client`: the HTTP client to send with (by default one pool for the server's
    life, without a cookie jar); tests give one over a fake transport."""

    def __init__(self, api: data.ApiData, client: httpx.AsyncClient | None = None) -> None:
        self.api = api
        self._client = client
        self._validators: dict[tuple[str, bool], Any] = {}
        self._output_validators: dict[str, Any] = {}
        self._indexes: dict[bool, catalog.Index] = {}

    @cached_property
    def credentials(self) -> auth.Credentials:
        return auth.Credentials(self.api.document)

    @property
    def client(self) -> httpx.AsyncClient:
        """One connection pool for the server's life: calls reuse connections."""
        if self._client is None or self._client.is_closed:
            self._client = httpx.AsyncClient(
                follow_redirects=False,
                headers={
                    "User-Agent": f"{settings.API['name']}/{__version__}",
                    "Accept-Encoding": sending.ACCEPT_ENCODING,
                },
                cookies=calls.cookieless_jar(),
            )
        return self._client

    # -- secrets ------------------------------------------------------------------------------------------

    def secrets(self) -> list[str]:
        """Values that must never appear in a result: the client secret and every token in play."""
        found = [settings.value(name) for name in settings.SECRET_SETTINGS]
        try:
            tokens = self.credentials.store.load() or {}
        except auth.AuthError:
            tokens = {}
        found += [str(tokens.get("access_token", "")), str(tokens.get("refresh_token", ""))]
        user = caller.team_user()
        if user is not None:  # team mode: the signed-in user's tokens this call sent
            found += user.sent_tokens
        return found

    def redact(self, text: str, extra: list[str]) -> str:
        """Every secret in play, in every form (`redaction`), out of text a caller will see; before any cut."""
        return redaction.redact(text, [*self.secrets(), *extra])

    def error(self, message: str) -> types.CallToolResult:
        return results.error(message, self.redact)

    # -- arguments ----------------------------------------------------------------------------------------

    def argument_problems(self, name: str, arguments: dict[str, Any]) -> list[str]:
        """Every way the arguments break the tool's whole input schema (as this caller sees it), one line each."""
        team = caller.in_team()
        key = (name, team)
        if key not in self._validators:
            self._validators[key] = validation.validator(self.api.input_schema(self.api.tools[name], team))
        return validation.problems(self._validators[key], arguments)

    def fill_bound(self, binding: contract.Binding, arguments: dict[str, Any]) -> dict[str, Any]:
        """Arguments the server supplies: settings (`env`) and stored tokens, never asked of the model."""
        filled = dict(arguments)
        for argument in binding["arguments"]:
            name = argument["property"]
            if argument.get("hidden"):
                filled.pop(name, None)
            if name in filled:
                continue
            value = None
            if "env" in argument:
                value = settings.value(argument["env"]) or None
                if value is None and argument.get("required"):
                    purpose = "it fills `" + argument["name"] + "`"
                    raise settings.ConfigurationError(f"Set {argument['env']} ({purpose}), or pass `{name}`.")
            elif "token" in argument:
                value = self.credentials.stored(argument["token"])
            if value is not None:
                filled[name] = value
        return filled

    # -- sending ------------------------------------------------------------------------------------------

    def allowed_origins(self) -> frozenset[sending.Origin]:
        """Where a redirect may lead: the scheme, host and port of a configured server."""
        found = set()
        for server in self.api.document["servers"].values():
            try:
                found.add(sending.origin(httpx.URL(settings.server_url(server))))
            except settings.ConfigurationError:
                continue
        return frozenset(found)

    async def _signed(self, request: httpx.Request, binding: contract.Binding, rejected: str | None) -> httpx.Request:
        """The request with credentials for the first scheme the operation accepts."""
        schemes = self.api.document["securitySchemes"]
        for name in binding["auth"]:
            scheme = schemes.get(name) or {"type": ""}
            if scheme["type"] in ("oauth2", "openIdConnect"):
                request.headers["Authorization"] = f"Bearer {await self._bearer(rejected)}"
                return request
            if caller.in_team():
                raise auth.AuthError(
                    "This operation signs in with a key of the deployment's own, which team mode does not use."
                )
            headers, params = auth.scheme_headers(scheme)
            request.headers.update(headers)
            if params:
                request.url = request.url.copy_merge_params(params)
            return request
        return request

    async def _bearer(self, rejected: str | None) -> str:
        """The access token for this call: the signed-in user's in team mode (never a shared one), else the
        server's own credentials."""
        user = caller.team_user()
        if user is None:
            return await self.credentials.bearer(self.client, rejected=rejected)
        token = await user.bearer(user.subject, rejected)
        user.sent_tokens.append(token)
        return token

    async def send(self, binding: contract.Binding, arguments: dict[str, Any]) -> httpx.Response:
        """Build, sign and send the request, and read its body up to the cap; renew the token and try once more
        on a 401."""
        client, servers, team = self.client, self.api.document["servers"], caller.in_team()
        idempotent = sending.is_idempotent(binding)
        load = await uploads.loaded_files(client, binding, arguments, servers, team=team)
        schemes = self.api.document["securitySchemes"]
        oauth = any((schemes.get(name) or {"type": ""})["type"] == "oauth2" for name in binding["auth"])
        rejected: str | None = None
        key = uuid.uuid4().hex  # one idempotency key for this call, on every attempt
        while True:
            request = calls.build_request(client, binding, arguments, servers, load)
            if "idempotencyKey" in binding:
                request.headers[binding["idempotencyKey"]] = key
            request.extensions["timeout"] = settings.timeouts().as_dict()
            request = await self._signed(request, binding, rejected)
            response = await sending.send(
                client, request, idempotent=idempotent, attempts=settings.max_attempts(), allowed=self.allowed_origins()
            )
            fixed_token = settings.access_token() is not None and not team
            if response.status_code != 401 or rejected is not None or not oauth or fixed_token:
                break
            await response.aclose()
            rejected = str(request.headers.get("Authorization", "")).removeprefix("Bearer ")
        if response.status_code >= 400:
            await sending.read_capped(response, settings.MAX_ERROR_BODY_BYTES, keep_start=True)
        else:  # a sequence cut at the cap keeps its whole items; any other body must come whole
            await sending.read_capped(response, settings.response_byte_cap(), keep_start=calls.is_sequential(response))
        return response

    # -- tools --------------------------------------------------------------------------------------------

    async def call_tool(
        self, name: str, arguments: dict[str, Any], asker: confirming.Asker | None = None
    ) -> types.CallToolResult | types.InputRequiredResult:
        """Run one tool: validate, fill bound arguments, ask the user where the call needs it (`asker`: how this
        client can be asked), send, and report the response or what went wrong."""
        if name in catalog.META_TOOLS and name not in self.api.tools:
            return await self.call_meta_tool(name, arguments, asker)
        entry = self.api.tools.get(name)
        if entry is None or not self.api.offered(entry, caller.in_team()):
            return self.error(f"Unknown tool {name!r}.")
        problems = self.argument_problems(name, arguments)
        if problems:
            return self.error(INVALID + "\n".join(f"- {p}" for p in problems))
        binding = entry["binding"]
        try:
            if confirming.needed(entry["definition"]):
                filled = self.fill_bound(binding, arguments)
                asked = await confirming.decide(
                    asker, self.redact(confirming.question(entry, filled), []), confirming.state_of(name, arguments)
                )
                if isinstance(asked, types.InputRequiredResult):
                    return asked
                refused = confirming.refusal(asked, entry)
                if refused is not None:
                    return self.error(refused)
            if binding.get("tokenEndpoint"):
                response, filled, kept = await self._token_call(binding, arguments)
            else:
                filled = self._sized(binding, self.fill_bound(binding, arguments), arguments.get(results.MAX_ITEMS))
                response, kept = await self.send(binding, filled), False
        except (settings.ConfigurationError, auth.AuthError, calls.ToolError, sending.RedirectRefused) as exc:
            return self.error(_refusal(exc, binding))
        except (sending.TooLarge, sending.Unreadable, httpx.HTTPError) as exc:
            return self.error(errors.failure(exc, binding))
        if response.status_code >= 400:
            return errors.explain(response, binding, filled, self.redact)
        if binding.get("revokesTokens"):
            try:
                for argument in binding["arguments"]:
                    if "token" in argument:
                        self.credentials.forget(argument["token"])  # stored, it would only be refused from now on
            except auth.AuthError as exc:
                return self.error(f"The token was revoked. {exc}")
        first = results.first_page(entry, response, filled, arguments, self.redact, kept=kept)
        if isinstance(first, types.CallToolResult):
            return first
        pages = [first]
        wanted = arguments.get(results.MAX_ITEMS)
        failed = await self._collect(binding, pages, wanted, arguments) if isinstance(wanted, int) else ""
        return results.success(entry, pages, arguments, self._output_validator(name), self.redact, failed)

    def _sized(self, binding: contract.Binding, filled: dict[str, Any], wanted: Any) -> dict[str, Any]:
        """The page size to ask for where the caller gave none: enough for `max_items` (within the API's
        documented maximum), else the configured default where the API's own default is large."""
        rule = binding.get("paging")
        size = rule.get("size") if rule else None
        if rule is None or size is None or size in filled:
            return filled
        chosen = rule.get("fill")
        if isinstance(wanted, int) and "sizeMax" in rule:
            chosen = max(chosen or 0, min(wanted, rule["sizeMax"]))
        return filled if chosen is None else {**filled, size: chosen}

    async def _collect(
        self, binding: contract.Binding, pages: list[paging.Page], wanted: int, caller: dict[str, Any]
    ) -> str:
        """Follow the pages after the first until `wanted` records, the result budget, the last page or
        `settings.MAX_PAGES`; what stopped it early, when that was a failure."""
        if "paging" not in binding:
            return ""
        fields = caller.get(results.FIELDS) if binding.get("fields") else None
        tree = shaping.field_tree([str(f) for f in fields]) if isinstance(fields, list) else {}
        budget = settings.response_budget()
        count = len(pages[0].items)
        size = len(shaping.dumps(shaping.project(pages[0].items, tree)))
        while count < wanted and size < budget and len(pages) < settings.MAX_PAGES:
            after = paging.next_arguments(binding, pages[-1])
            if after is None:
                return ""
            number = len(pages) + 1
            try:
                response = await self.send(binding, after)
            except (sending.TooLarge, sending.Unreadable, httpx.HTTPError, sending.RedirectRefused) as exc:
                return f"Page {number} could not be read ({type(exc).__name__}); the records before it are here."
            if response.status_code >= 400 or not calls.is_json(response):
                kind = f"HTTP {response.status_code}" if response.status_code >= 400 else "an answer that is not JSON"
                return f"Page {number} failed with {kind}; the records before it are here."
            got = results.decoded(binding, response, self.redact)
            if isinstance(got, types.CallToolResult):
                return f"Page {number} held malformed JSON; the records before it are here."
            items = results.records(binding, got[0])
            pages.append(paging.Page(after, response, got[0], items))
            count += len(items)
            size += len(shaping.dumps(shaping.project(items, tree)))
        return ""

    async def read_resource(self, uri: str) -> types.ReadResourceResult:
        """A file a result linked (`resources.uri_of`): its read-only call made again, as this caller, with the
        same checks as a tool call. Raises `ResourceRefused` with what went wrong."""
        try:
            name, arguments = resources.parsed(uri)
        except ValueError as exc:
            raise ResourceRefused(NOT_FOUND, str(exc)) from None
        entry = self.api.tools.get(name)
        if entry is None or not self.api.offered(entry, caller.in_team()):
            raise ResourceRefused(NOT_FOUND, f"No tool is named {name!r}.")
        if not entry["definition"]["annotations"].get("readOnlyHint"):
            raise ResourceRefused(NOT_FOUND, f"`{name}` changes data; only what a read-only tool answers is read.")
        problems = self.argument_problems(name, arguments)
        if problems:
            raise ResourceRefused(INVALID_PARAMS, self.redact(INVALID + "\n".join(problems), []))
        binding = entry["binding"]
        try:
            response = await self.send(binding, self.fill_bound(binding, arguments))
        except (settings.ConfigurationError, auth.AuthError, calls.ToolError, sending.RedirectRefused) as exc:
            raise ResourceRefused(INTERNAL, self.redact(_refusal(exc, binding), [])) from None
        except (sending.TooLarge, sending.Unreadable, httpx.HTTPError) as exc:
            raise ResourceRefused(INTERNAL, self.redact(errors.failure(exc, binding), [])) from None
        if response.status_code >= 400:
            said = errors.explain(response, binding, arguments, self.redact)
            raise ResourceRefused(INTERNAL, str(getattr(said.content[0], "text", "HTTP error")))
        read = resources.contents(uri, response)
        for part in read.contents:
            if isinstance(part, types.TextResourceContents):
                part.text = self.redact(part.text, [])
        return read

    def _output_validator(self, name: str) -> Any:
        if name not in self._output_validators:
            schema = self.api.tools[name]["definition"].get("outputSchema")
            self._output_validators[name] = None if schema is None else validation.validator(schema)
        return self._output_validators[name]

    async def _token_call(
        self, binding: contract.Binding, arguments: dict[str, Any]
    ) -> tuple[httpx.Response, dict[str, Any], bool]:
        """A call of the API's token endpoint. Its answer is stored only when it refreshed the pair the server
        holds (under the same lock as the server's own refreshes): a model steered by text in the API's data
        must not sign the server in as somebody else, or swap the user's sign-in for a service account's."""
        async with self.credentials.exclusive():
            filled = self.fill_bound(binding, arguments)  # under the lock: the newest stored refresh token
            refreshing = self._refreshes_the_stored_pair(binding, filled)
            if not refreshing:  # a request of the model's own carries none of the stored tokens
                stored = {argument["property"] for argument in binding["arguments"] if "token" in argument}
                filled = {key: value for key, value in filled.items() if key not in stored}
            response = await self.send(binding, filled)
            kept = refreshing and response.status_code < 300 and self._keep_refreshed(response)
        return response, filled, kept

    def _refreshes_the_stored_pair(self, binding: contract.Binding, filled: dict[str, Any]) -> bool:
        """Whether the call is a `refresh_token` grant sending the refresh token the server holds."""
        arguments = binding["arguments"]
        grant = next((filled.get(a["property"]) for a in arguments if a["name"] == "grant_type"), None)
        stored = self.credentials.stored("refresh_token")
        sends_it = any(filled.get(a["property"]) == stored for a in arguments if a.get("token") == "refresh_token")
        return grant == "refresh_token" and stored is not None and sends_it

    def _keep_refreshed(self, response: httpx.Response) -> bool:
        """Store a refresh's answer before the model sees it; whether there was a pair to store."""
        if not calls.is_json(response):
            return False
        try:
            answer = response.json()
        except ValueError:
            return False
        if not isinstance(answer, dict) or not answer.get("access_token"):
            return False
        self.credentials.keep(answer, refreshed=True)
        return True

    # -- the catalog's meta-tools -------------------------------------------------------------------------

    async def call_meta_tool(
        self, name: str, arguments: dict[str, Any], asker: confirming.Asker | None = None
    ) -> types.CallToolResult | types.InputRequiredResult:
        """The catalog's search, describe and call tools."""
        problems = self._meta_problems(name, arguments)
        if problems:
            return self.error(INVALID + "\n".join(f"- {p}" for p in problems))
        team = caller.in_team()
        if name == "search_operations":
            return results.meta(catalog.search(self.api.searchable(team), arguments, self._index(team)))
        target = self.api.tools.get(str(arguments.get("name", "")))
        if target is None or not self.api.offered(target, team):
            return self.error(f"No operation is named {arguments.get('name')!r}; find names with `search_operations`.")
        if name == "describe_operation":
            schema = self.api.input_schema(target, team)
            return results.meta(catalog.describe(target, schema, self.api.output_document))
        return await self.call_tool(target["definition"]["name"], dict(arguments.get("arguments") or {}), asker)

    def _index(self, team: bool) -> catalog.Index:
        """The search index over what this caller may find, built on the first search."""
        if team not in self._indexes:
            self._indexes[team] = data.lasting(catalog.Index(self.api.searchable(team)))
        return self._indexes[team]

    def _meta_problems(self, name: str, arguments: dict[str, Any]) -> list[str]:
        key = (name, False)
        if key not in self._validators:
            schemas = {d["name"]: d["inputSchema"] for d in self.api.meta_definitions}
            self._validators[key] = validation.validator(schemas[name]) if name in schemas else None
        return validation.problems(self._validators[key], arguments)


def _refusal(exc: Exception, binding: contract.Binding) -> str:
    """What to tell the caller when the server would not send the request."""
    if isinstance(exc, settings.ConfigurationError):
        return f"Configuration needed: {exc}"
    if isinstance(exc, auth.AuthError):
        return f"Authentication failed: {exc}"
    if isinstance(exc, sending.RedirectRefused):
        target = redaction.without_query(str(exc.target))
        where = f"{binding['method']} {binding['path']}"
        return f"{where} was redirected to {target}, which is not a configured server; not followed."
    return str(exc)

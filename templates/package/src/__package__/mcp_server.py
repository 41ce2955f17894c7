"""The MCP server object: tools/list answered from the API's data, tools/call handed to the dispatcher, each as
the caller may see and run them (in team mode, as the signed-in user); prompts/list and prompts/get from the
API's prompts, when it has any."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from . import sdk

sdk.import_lean("mcp.types", "mcp.server.lowlevel")  # before the imports below bind them

import mcp.types as types  # noqa: E402 - after import_lean
from mcp.server.caching import CacheableMethod, CacheHint  # noqa: E402 - after import_lean
from mcp.server.lowlevel import Server  # noqa: E402 - after import_lean
from mcp.shared.exceptions import MCPError  # noqa: E402 - after import_lean
from mcp.types.version import MODERN_PROTOCOL_VERSIONS  # noqa: E402 - after import_lean

from . import __version__, caller, confirming, data, settings  # noqa: E402 - after import_lean

if TYPE_CHECKING:
    from .dispatch import Dispatcher

LISTING_TTL_MS = 24 * 60 * 60 * 1000
"""How long a client may keep this server's tools/list and server/discover results, and prompts/list where it
has prompts (the official client's cap).

What they say is the same for every caller, whoever signed in, and changes only with a new version of this
package (the mode is read when the server starts), so clients may share them (`public`) and keep them long."""
CACHE_HINTS: dict[CacheableMethod, CacheHint] = {
    "tools/list": CacheHint(ttl_ms=LISTING_TTL_MS, scope="public"),
    "server/discover": CacheHint(ttl_ms=LISTING_TTL_MS, scope="public"),
}


@cache
def _list_envelope() -> dict[str, Any]:
    """The fields of a tools/list result besides the tools and the cache hints (the SDK adds those)."""
    envelope = types.ListToolsResult(tools=[]).model_dump(by_alias=True, mode="json", exclude_none=True)
    for field in ("tools", "ttlMs", "cacheScope"):
        envelope.pop(field, None)
    return envelope


class Handlers:
    """The server's answers, for one API and one way of running: alone, or (`team_bearer`) for team users."""

    def __init__(self, api: data.ApiData, team_bearer: caller.Bearer | None = None) -> None:
        self.api = api
        self.team_bearer = team_bearer
        self._dispatcher: Dispatcher | None = None

    @property
    def dispatcher(self) -> Dispatcher:
        if self._dispatcher is None:
            from .dispatch import Dispatcher  # the HTTP side loads with the first call, not at start-up

            self._dispatcher = Dispatcher(self.api)
        return self._dispatcher

    async def list_tools(self, ctx: Any, params: Any) -> dict[str, Any]:
        # The definitions as they are: the SDK validates the result against the connection's protocol version
        # before sending it, so building a model of each tool first would only add another pass over thousands.
        return {**_list_envelope(), "tools": self.api.listed(team=self.team_bearer is not None)}

    async def call_tool(
        self, ctx: Any, params: types.CallToolRequestParams
    ) -> types.CallToolResult | types.InputRequiredResult:
        asker = CallAsker(ctx, params)
        if self.team_bearer is None:
            return await self.dispatcher.call_tool(params.name, params.arguments or {}, asker)
        user = self.team_user(ctx)
        if user is None:
            return types.CallToolResult(content=[types.TextContent(type="text", text="Not signed in.")], is_error=True)
        with caller.acting_for(user):
            return await self.dispatcher.call_tool(params.name, params.arguments or {}, asker)

    def team_user(self, ctx: Any) -> caller.TeamUser | None:
        """Team mode: who signed in for this request (the bearer token the SDK's auth checked), or None."""
        token = getattr(ctx.request.scope.get("user"), "access_token", None) if ctx.request is not None else None
        if token is None or token.subject is None or self.team_bearer is None:
            return None
        return caller.TeamUser(token.subject, self.team_bearer)

    async def list_prompts(self, ctx: Any, params: Any) -> types.ListPromptsResult:
        """The prompts for common jobs, with their arguments (the same for every caller)."""
        return types.ListPromptsResult(
            prompts=[
                types.Prompt(
                    name=prompt["name"],
                    title=prompt["title"],
                    description=prompt["description"],
                    arguments=[types.PromptArgument(**argument) for argument in prompt["arguments"]],
                )
                for prompt in self.api.prompts.values()
            ]
        )

    async def get_prompt(self, ctx: Any, params: types.GetPromptRequestParams) -> types.GetPromptResult:
        """One prompt's message, its template filled with the caller's arguments as plain text. An unknown prompt,
        a missing required argument or one the prompt does not take is invalid params (-32602), as MCP says."""
        prompt = self.api.prompts.get(params.name)
        if prompt is None:
            known = ", ".join(self.api.prompts)
            raise MCPError(types.INVALID_PARAMS, f"Unknown prompt {params.name!r}; the prompts are: {known}.")
        given = params.arguments or {}
        declared = [argument["name"] for argument in prompt["arguments"]]
        unknown = sorted(name for name in given if name not in declared)
        missing = [a["name"] for a in prompt["arguments"] if a["required"] and not given.get(a["name"], "").strip()]
        if unknown or missing:
            problems = [f"missing required argument {name!r}" for name in missing]
            problems += [f"no argument named {name!r}" for name in unknown]
            takes = ", ".join(declared) or "none"
            message = f"Prompt {prompt['name']!r}: {'; '.join(problems)} (it takes: {takes})."
            raise MCPError(types.INVALID_PARAMS, message)
        text = self.api.prompt_text(prompt, given, team=self.team_bearer is not None)
        return types.GetPromptResult(
            description=prompt["description"],
            messages=[types.PromptMessage(role="user", content=types.TextContent(type="text", text=text))],
        )

    async def read_resource(self, ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        """A file a tool result linked, read again as this caller (`Dispatcher.read_resource`)."""
        from .dispatch import ResourceRefused

        try:
            if self.team_bearer is None:
                return await self.dispatcher.read_resource(str(params.uri))
            user = self.team_user(ctx)
            if user is None:
                raise MCPError(-32002, "Not signed in.")
            with caller.acting_for(user):
                return await self.dispatcher.read_resource(str(params.uri))
        except ResourceRefused as refused:
            raise MCPError(refused.code, refused.message) from None


class CallAsker:
    """How the client of one tools/call can ask its user (`confirming.Asker`): on 2026-07-28, an input-required
    result the client answers by calling again; before, a form elicitation request on this call's stream."""

    ELICITATION = types.ClientCapabilities(elicitation=types.ElicitationCapability())

    def __init__(self, ctx: Any, params: types.CallToolRequestParams) -> None:
        self.ctx = ctx
        self.params = params

    @property
    def modern(self) -> bool:
        return str(getattr(self.ctx, "protocol_version", "")) in MODERN_PROTOCOL_VERSIONS

    def can_ask(self) -> bool:
        session = getattr(self.ctx, "session", None)
        if session is None or not session.check_client_capability(self.ELICITATION):
            return False
        return self.modern or bool(getattr(session, "can_send_request", True))

    async def ask(self, message: str, state: str) -> Any:
        if self.modern:
            answer = (self.params.input_responses or {}).get(confirming.QUESTION)
            if isinstance(answer, types.ElicitResult) and self.params.request_state == state:
                return answer.action
            form = types.ElicitRequestFormParams(message=message, requested_schema=confirming.SCHEMA)
            ask = types.ElicitRequest(params=form)
            return types.InputRequiredResult(input_requests={confirming.QUESTION: ask}, request_state=state)
        try:
            result = await self.ctx.session.elicit_form(
                message, confirming.SCHEMA, related_request_id=self.ctx.request_id
            )
        except MCPError:
            return "unavailable"  # no way back to the client on this connection after all
        return result.action


def build(api: data.ApiData, team_bearer: caller.Bearer | None = None) -> Server[Any]:
    """A low-level MCP server whose tools are the API's generated definitions, and whose prompts (only when it has
    any: without handlers, the SDK advertises no prompts capability) are its generated prompts."""
    handlers = Handlers(api, team_bearer)
    prompted = bool(api.prompts)
    hints = {**CACHE_HINTS, "prompts/list": CACHE_HINTS["tools/list"]} if prompted else CACHE_HINTS
    return Server(
        settings.API["name"],
        version=__version__,
        title=settings.API["title"],
        on_list_tools=handlers.list_tools,  # type: ignore[arg-type]  # a dict result is served as one (HandlerResult)
        on_call_tool=handlers.call_tool,
        on_read_resource=handlers.read_resource,
        on_list_prompts=handlers.list_prompts if prompted else None,
        on_get_prompt=handlers.get_prompt if prompted else None,
        cache_hints=hints,
    )

"""The MCP server: starts, lists the generated tools, and hands each call to `dispatch`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from functools import cache
from typing import Any

from . import sdk

sdk.import_lean("mcp.types", "mcp.server.lowlevel")  # before the imports below bind them

import anyio  # noqa: E402 - after import_lean
import mcp.types as types  # noqa: E402 - after import_lean
from mcp.server.caching import CacheableMethod, CacheHint  # noqa: E402 - after import_lean
from mcp.server.lowlevel import Server  # noqa: E402 - after import_lean

from . import __version__, catalog, file_arguments, settings  # noqa: E402 - after import_lean

SERVER_NAME: str = settings.API["name"]
SERVER_TITLE: str = settings.API["title"]


def load_runtime() -> dict[str, Any]:
    """The generated data: hosts, auth schemes, and every tool's definition and HTTP binding."""
    text = settings.data_text("tools.json")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def runtime() -> dict[str, Any]:
    """Loaded on first use, not at import: catalog mode lists its tools without reading every definition."""
    return load_runtime()


@cache
def tools() -> dict[str, dict[str, Any]]:
    return {entry["definition"]["name"]: entry for entry in runtime()["tools"]}


def mode() -> str:
    """`static`, `catalog` or `hybrid`: the generated default, or the `_MODE` setting."""
    chosen = settings.value(settings.MODE) or settings.DEFAULT_MODE
    if chosen not in ("static", "catalog", "hybrid"):
        raise settings.ConfigurationError(f"{settings.MODE} must be static, catalog or hybrid, not {chosen!r}.")
    return chosen


TEAM = False
"""Set by `--team`: every call runs as the signed-in user, and the server's own token tools are gone."""


def hidden_in_team(entry: dict[str, Any]) -> bool:
    """Tools that handle the server's own tokens: in team mode nobody may see or call them."""
    binding = entry["binding"]
    return bool(
        binding.get("tokenEndpoint")
        or binding.get("revokesTokens")
        or any(a.get("token") for a in binding["arguments"])
    )


def listed_definitions() -> list[dict[str, Any]]:
    """What tools/list shows in the current mode."""
    if TEAM:
        hidden = {e["definition"]["name"] for e in runtime()["tools"] if hidden_in_team(e)}
        return [team_definition(d) for d in _mode_definitions() if d["name"] not in hidden]
    return _mode_definitions()


def team_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """An input schema as team users see it: files sent inline only (the deployment reads no file of its own)."""
    reduced: dict[str, Any] = file_arguments.without_local_paths(schema, settings.API.get("filePhrases", {}))
    return reduced


def team_definition(definition: dict[str, Any]) -> dict[str, Any]:
    return _team_definitions().get(definition["name"], definition)


@cache
def _team_definitions() -> dict[str, dict[str, Any]]:
    """The definitions that change for team users (those with file arguments), made once."""
    changed = {}
    for entry in runtime()["tools"]:
        definition = entry["definition"]
        reduced = team_schema(definition["inputSchema"])
        if reduced != definition["inputSchema"]:
            changed[definition["name"]] = {**definition, "inputSchema": reduced}
    return changed


def _mode_definitions() -> list[dict[str, Any]]:
    chosen = mode()
    if chosen == "static":
        listed = [entry["definition"] for entry in runtime()["tools"]]
        if any(entry["binding"].get("reduced") for entry in runtime()["tools"]):
            # Some tools list less than their whole input schema (their budget): `describe_operation` shows it.
            listed += [d for d in catalog.meta_definitions() if d["name"] == "describe_operation"]
        return listed
    if chosen == "catalog":  # the meta-tools only: the operations' data is not even read yet
        return list(catalog.meta_definitions())
    curated = [e["definition"] for e in runtime()["tools"] if e["binding"].get("curated")]
    return [*curated, *catalog.meta_definitions()]


LISTING_TTL_MS = 24 * 60 * 60 * 1000
"""How long a client may keep this server's tools/list and server/discover results (the official client's cap).

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


async def _on_list_tools(ctx: Any, params: Any) -> dict[str, Any]:
    # The definitions as they are: the SDK validates the result against the connection's protocol version
    # before sending it, so building a model of each tool first would only add another pass over thousands.
    return {**_list_envelope(), "tools": listed_definitions()}


async def _on_call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
    from . import auth, dispatch  # the HTTP side loads with the first call, not at start-up

    if not TEAM:
        return await dispatch.call_tool(params.name, params.arguments or {})
    user = getattr(ctx.request.scope.get("user"), "access_token", None) if ctx.request is not None else None
    entry = tools().get(params.name)
    if user is None or user.subject is None or (entry is not None and hidden_in_team(entry)):
        message = f"Unknown tool {params.name!r}." if user is not None else "Not signed in."
        return types.CallToolResult(content=[types.TextContent(type="text", text=message)], is_error=True)
    token = auth.CURRENT_USER.set(user.subject)
    try:
        return await dispatch.call_tool(params.name, params.arguments or {})
    finally:
        auth.CURRENT_USER.reset(token)


def build_server() -> Server[Any]:
    """A low-level MCP server whose tools are the generated definitions."""
    return Server(
        SERVER_NAME,
        version=__version__,
        title=SERVER_TITLE,
        on_list_tools=_on_list_tools,  # type: ignore[arg-type]  # a dict result is served as one (HandlerResult)
        on_call_tool=_on_call_tool,
        cache_hints=CACHE_HINTS,
    )


def run_stdio() -> int:
    """Serve over stdio until the client closes stdin; a client that leaves without closing ends it quietly."""
    try:
        anyio.run(serve_stdio)
    except* (BrokenPipeError, ConnectionResetError):
        # Nobody reads our answers any more: stop, and keep the interpreter from failing to flush stdout at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    return 0


async def serve_stdio() -> None:
    from mcp.server.stdio import stdio_server

    server = build_server()
    async with stdio_server() as (read_stream, write_stream):
        await server.run(read_stream, write_stream, server.create_initialization_options())


def serve_http(host: str, port: int, *, anyone: bool = False) -> int:
    """One user's server over HTTP, acting with the owner's credentials: so only on this machine, unless
    `anyone` (`--allow-anyone-on-the-network`) says the owner accepts that anyone who reaches the port may."""
    import logging

    import uvicorn

    from . import listening

    if not listening.is_loopback(host) and not anyone:
        print(
            f"{SERVER_NAME}: refusing to listen on {host}: without --team, everyone who can reach the port would "
            "act with this server's own credentials. Listen on 127.0.0.1, use --team (each user signs in), or "
            "add --allow-anyone-on-the-network if that is what you want.",
            file=sys.stderr,
        )
        return 2
    listening.quiet_http_client_logs()
    if anyone and not listening.is_loopback(host):
        logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format=f"{SERVER_NAME}: %(message)s")
        logging.getLogger(__name__).warning(
            "listening on %s:%d without sign-in: anyone who can reach this port acts with this server's credentials",
            host, port,
        )  # fmt: skip
    try:
        options = listening.uvicorn_options()
    except settings.ConfigurationError as exc:
        print(f"{SERVER_NAME}: {exc}", file=sys.stderr)
        return 2
    app = build_server().streamable_http_app(host=host)
    uvicorn.run(app, host=host, port=port, **options)
    return 0


def serve_team(host: str, port: int) -> int:
    """Team mode over HTTP; a configuration problem is one line on stderr and exit status 2."""
    global TEAM
    try:
        from . import team, team_store
    except ImportError as exc:
        print(f"{SERVER_NAME}: team mode needs the `team` extra ({exc.name} is missing): "
              f"pip install '{settings.DISTRIBUTION}[team]'", file=sys.stderr)  # fmt: skip
        return 2
    import logging

    import uvicorn

    from . import listening

    TEAM = True
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format=f"{SERVER_NAME} team: %(message)s")
    listening.quiet_http_client_logs()
    try:
        app = team.build_app(host)
        options = listening.uvicorn_options()
    except (team.TeamError, team_store.StoreError, settings.ConfigurationError) as exc:
        print(f"{SERVER_NAME}: {exc}", file=sys.stderr)
        return 2
    uvicorn.run(app, host=host, port=port, proxy_headers=True, **options)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=SERVER_NAME, description=f"{SERVER_TITLE}: MCP over stdio or HTTP.")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument(
        "--transport", choices=["stdio", "http"], default="stdio", help="stdio (default) or streamable HTTP"
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on with --transport http")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on with --transport http")
    parser.add_argument(
        "--team", action="store_true", help="with --transport http: every user signs in as themselves (see README)"
    )
    parser.add_argument(
        "--allow-anyone-on-the-network",
        action="store_true",
        help="with --transport http and no --team: listen on a non-loopback --host although anyone who reaches "
        "the port then acts with this server's own credentials",
    )
    commands = parser.add_subparsers(dest="command")
    login = commands.add_parser("login", help="sign in through the browser and store the tokens")
    login.add_argument("--no-browser", action="store_true", help="print the sign-in link and read the code from stdin")
    login.add_argument("--port", type=int, default=0, dest="login_port", help="local port for the redirect")
    commands.add_parser("team-key", help="print a new key for the team key ring (see the README's team mode)")
    doctor_command = commands.add_parser(
        "doctor",
        help="check the settings, base URLs, token file and token endpoint (values are never shown)",
        description="Check the configuration, one line per check; exit 0 when all pass, 1 otherwise.",
    )
    doctor_command.add_argument("--team", action="store_true", help="check team mode too: extra, keys, database")
    doctor_command.add_argument("--host", dest="doctor_host", help="the address `--transport http` would listen on")
    args = parser.parse_args(argv)
    if args.command == "login":
        from . import dispatch
        from . import login as login_flow

        return login_flow.run(runtime(), dispatch.credentials(), open_browser=not args.no_browser, port=args.login_port)
    if args.command == "doctor":
        from . import doctor

        host = args.doctor_host or args.host
        return doctor.run(team=args.team, host=host, anyone=args.allow_anyone_on_the_network)
    if args.command == "team-key":
        from . import team_store

        print(team_store.new_key())
        return 0
    try:
        if args.team or settings.value(settings.TEAM) in ("1", "true", "yes"):
            if args.transport != "http":
                parser.error("--team serves over HTTP: add --transport http")
            return serve_team(args.host, args.port)
        if args.transport == "http":
            return serve_http(args.host, args.port, anyone=args.allow_anyone_on_the_network)
        else:
            return run_stdio()
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())

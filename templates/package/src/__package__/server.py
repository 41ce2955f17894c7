"""The command line: serve MCP over stdio or HTTP (alone, or for a team), or run `login`, `doctor`, `team-key`.

The composition root: it reads the API's data once and builds the MCP server (`mcp_server`) for the chosen
transport; everything else takes what it needs as arguments."""

from __future__ import annotations

import argparse
import os
import sys

import anyio

from . import __version__, data, mcp_server, settings

SERVER_NAME: str = settings.API["name"]
SERVER_TITLE: str = settings.API["title"]


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


def _note_mode(api: data.ApiData) -> None:
    """Say on stderr when the mode chosen is a poor fit for the API's size (never on stdout: that is MCP's)."""
    note = data.static_note(api)
    if note:
        print(f"{SERVER_NAME}: note: {note}", file=sys.stderr)


async def serve_stdio() -> None:
    from mcp.server.stdio import stdio_server

    api = data.ApiData()
    _note_mode(api)
    server = mcp_server.build(api)
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
    api = data.ApiData()
    _note_mode(api)
    server = mcp_server.build(api)
    app = server.streamable_http_app(host=host, transport_security=listening.loopback_security(host))
    uvicorn.run(app, host=host, port=port, **options)
    return 0


def serve_team(host: str, port: int) -> int:
    """Team mode over HTTP; a configuration problem is one line on stderr and exit status 2."""
    try:
        from . import team, team_store
    except ImportError as exc:
        print(f"{SERVER_NAME}: team mode needs the `team` extra ({exc.name} is missing): "
              f"pip install '{settings.DISTRIBUTION}[team]'", file=sys.stderr)  # fmt: skip
        return 2
    import logging

    import uvicorn

    from . import listening

    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format=f"{SERVER_NAME} team: %(message)s")
    listening.quiet_http_client_logs()
    try:
        api = data.ApiData()
        deployment = team.Deployment.from_settings(api)
        app = deployment.app(mcp_server.build(api, team_bearer=deployment.broker.bearer), host)
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
        from . import auth
        from . import login as login_flow

        document = data.ApiData().document
        credentials = auth.Credentials(document)
        return login_flow.run(document, credentials, open_browser=not args.no_browser, port=args.login_port)
    if args.command == "doctor":
        from . import doctor

        host = args.doctor_host or args.host
        return doctor.run(data.ApiData(), team=args.team, host=host, anyone=args.allow_anyone_on_the_network)
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

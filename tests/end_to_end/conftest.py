"""Fixtures for end-to-end tests: the generated package installed once, a fake Procore per test, and a way
to run a client session against the installed server over stdio or streamable HTTP."""

from __future__ import annotations

import base64
import os
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.conftest import GENERATED
from tests.support.fake_procore import CLIENT_ID, CLIENT_SECRET, FakeProcore, running_fake_procore

Session = Callable[[Client], Awaitable[Any]]

# Everything the servers said during the suite (results, errors, stderr) and every secret in play.
SEEN_TEXT: list[str] = []
SECRETS: set[str] = {CLIENT_SECRET}


def written_forms(secret: str) -> list[str]:
    """A secret as it may be written into text: as it is, percent-encoded, and in base64 (standard or URL-safe)."""
    raw = secret.encode()
    encoded = [base64.b64encode(raw).decode().rstrip("="), base64.urlsafe_b64encode(raw).decode().rstrip("=")]
    return [secret, quote(secret, safe=""), *encoded]


@pytest.fixture(scope="session", autouse=True)
def no_secret_ever_shown(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """After the whole suite: no tool result, error, server log line, doctor report or team database file holds a
    secret or a token, in any of the forms `written_forms` makes."""
    yield
    if not SEEN_TEXT:
        return  # no server ran in this selection of tests
    text = "\n".join(SEEN_TEXT)
    leaked = sorted(
        secret for secret in SECRETS if len(secret) >= 6 and any(form in text for form in written_forms(secret))
    )
    assert not leaked, f"secrets appeared in results or logs: {leaked}"


def _collect(value: Any) -> None:
    if isinstance(value, (list, tuple)):
        for item in value:
            _collect(item)
    elif hasattr(value, "model_dump_json"):
        SEEN_TEXT.append(value.model_dump_json())


@pytest.fixture(scope="session")
def installed_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pip install` the committed generated package into a private folder, as a user would."""
    target = tmp_path_factory.mktemp("installed")
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
        "--target", str(target), str(GENERATED),
    ]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    return target


@pytest.fixture
def fake_procore() -> Iterator[FakeProcore]:
    with running_fake_procore() as fake:
        yield fake
        SECRETS.update(fake.state.issued_tokens)
        SECRETS.update(f"refresh-{n + 1}" for n in range(len(fake.state.issued_tokens)))


def server_environment(installed: Path, fake: FakeProcore, **extra: str) -> dict[str, str]:
    """Only the installed package on the path, both hosts on the fake, tokens in a private file."""
    environment = {
        "PYTHONPATH": str(installed),
        "PROCORE_BASE_URL": fake.url,
        "PROCORE_LOGIN_URL": fake.url,
        "PROCORE_TOKEN_FILE": str(installed.parent / f"tokens-{fake.url.rsplit(':', 1)[1]}.json"),
        "PATH": os.environ.get("PATH", ""),
    }
    environment.update(extra)
    return {key: value for key, value in environment.items() if value is not None}


async def accept_everything(context: Any, params: Any) -> Any:
    """An elicitation callback of a user who allows every call the server asks about."""
    import mcp.types as types

    return types.ElicitResult(action="accept")


def with_client_credentials(**extra: str) -> dict[str, str]:
    return {"PROCORE_CLIENT_ID": CLIENT_ID, "PROCORE_CLIENT_SECRET": CLIENT_SECRET, **extra}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run_session(
    installed: Path,
    fake: FakeProcore,
    body: Session,
    transport: str = "stdio",
    client_mode: str = "auto",
    elicitation: Any = None,
    **extra: str,
) -> Any:
    """Start the installed server (stdio, or HTTP on a free port), run `body` with a connected client; the client's
    `mode` picks the protocol era (`auto` settles on the current one, `legacy` the initialize handshake), and
    `elicitation` answers the server's questions (None: a client that cannot be asked)."""
    options: dict[str, Any] = {"mode": client_mode}
    if elicitation is not None:
        options["elicitation_callback"] = elicitation
    environment = server_environment(installed, fake, **extra)
    if transport == "stdio":
        log = installed.parent / "server-stderr.log"
        command = f'exec "{sys.executable}" -m procore_mcp 2>>"{log}"'
        params = StdioServerParameters(command="sh", args=["-c", command], env=environment)

        async def over_stdio() -> Any:
            async with Client(params, **options) as client:
                return await body(client)

        outcome = anyio.run(over_stdio)
        _collect(outcome)
        if log.exists():
            SEEN_TEXT.append(log.read_text(errors="replace"))
        return outcome
    with http_server(environment) as (url, _):

        async def over_http() -> Any:
            async with Client(url, **options) as client:
                return await body(client)

        outcome = anyio.run(over_http)
    _collect(outcome)
    return outcome


@contextmanager
def http_server(
    environment: dict[str, str], *options: str, port: int | None = None, probe: str = "127.0.0.1"
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """The installed server on streamable HTTP, on a free port (or `port`), with more command-line `options`;
    yield its MCP URL and process once `probe` (the address it listens on) answers. Its stderr joins the secret
    scan when it stops."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "procore_mcp", "--transport", "http", "--port", str(port), *options],
        env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket(socket.AF_INET6 if ":" in probe else socket.AF_INET) as sock:
                if sock.connect_ex((probe, port)) == 0:
                    break
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            time.sleep(0.05)
        yield f"http://127.0.0.1:{port}/mcp", process
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stderr is not None:
            SEEN_TEXT.append(process.stderr.read().decode(errors="replace"))


def run_package(package: tuple[Path, str, str], settings: dict[str, str], body: Session) -> Any:
    """Run `body` against a package generated for a test (its source folder, module and settings prefix) over
    stdio, with these settings (names without the prefix); every result joins the secret scan."""
    source, module, prefix = package
    environment = {"PYTHONPATH": str(source), "PATH": os.environ.get("PATH", "")}
    environment.update({f"{prefix}_{name}": value for name, value in settings.items()})
    params = StdioServerParameters(command=sys.executable, args=["-m", module], env=environment)

    async def session() -> Any:
        async with Client(params) as client:
            return await body(client)

    outcome = anyio.run(session)
    _collect(outcome)
    return outcome

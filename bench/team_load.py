"""The benchmark's team-mode load: 50 users signed in through two replicas on PostgreSQL behind a round-robin
proxy, 500 tool calls (10 per user, all users at once), their Procore tokens expired first so each user's
first call refreshes. Reports added latency (p50, p99) over a direct request to the same fake endpoint,
errors, and Procore refreshes and refresh-token reuses per user.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import anyio
import httpx
import httpx2
import sqlalchemy as sa
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.support.fake_procore import CLIENT_ID, CLIENT_SECRET, FakeProcore, running_fake_procore  # noqa: E402
from tests.support.postgres import missing_reason, running_postgres  # noqa: E402
from tests.support.proxy import round_robin  # noqa: E402
from tests.support.team_client import KEYS, Deployment, sign_in  # noqa: E402

USERS = 50
CALLS_PER_USER = 10
TOOL = "show_signed_in_user"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _replica(environment: dict[str, str], port: int) -> Iterator[None]:
    command = [sys.executable, "-m", "procore_mcp", "--transport", "http", "--team", "--port", str(port)]
    process = subprocess.Popen(command, env=environment, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield
    finally:
        process.terminate()
        process.wait(timeout=10)


@contextmanager
def _deployment(fake: FakeProcore, database: str) -> Iterator[Deployment]:
    listen = socket.socket()
    listen.bind(("127.0.0.1", 0))
    origin = f"http://127.0.0.1:{listen.getsockname()[1]}"
    environment = {
        "PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT / "generated" / "procore-mcp" / "src"),
        "PROCORE_BASE_URL": fake.url, "PROCORE_LOGIN_URL": fake.url, "PROCORE_PUBLIC_URL": origin,
        "PROCORE_CLIENT_ID": CLIENT_ID, "PROCORE_CLIENT_SECRET": CLIENT_SECRET,
        "PROCORE_TEAM_DATABASE_URL": database, "PROCORE_TEAM_KEYS": KEYS,
        "PROCORE_TEAM_REGISTRATION_LIMIT": "1000",  # every simulated user registers from this one address
    }  # fmt: skip
    ports = [_free_port(), _free_port()]
    with ExitStack() as stack:
        for port in ports:
            stack.enter_context(_replica(environment, port))
        stack.enter_context(round_robin(listen, ports))
        yield Deployment(origin, fake)


async def _user_calls(deployment: Deployment, user: str, token: str, latencies: list[float], errors: list[str]) -> None:
    headers = {"Authorization": f"Bearer {token}"}
    try:
        async with (
            httpx2.AsyncClient(headers=headers, timeout=60) as http,
            Client(streamable_http_client(deployment.resource, http_client=http)) as client,
        ):
            for _ in range(CALLS_PER_USER):
                started = time.perf_counter()
                result = await client.call_tool(TOOL, {})
                latencies.append(time.perf_counter() - started)
                if result.is_error:
                    errors.append(str(result.content[0]))
                elif result.structured_content.get("login") != f"{user}@example.com":
                    errors.append(f"{user} was answered as {result.structured_content.get('login')}")
    except Exception as exc:  # counted, and the run goes on
        errors.append(f"{type(exc).__name__}: {exc}")


def _direct_median(fake: FakeProcore) -> float:
    token = fake.state.issue()["access_token"]
    with httpx.Client() as client:
        times = []
        for _ in range(100):
            started = time.perf_counter()
            client.get(f"{fake.url}/rest/v1.0/me", headers={"Authorization": f"Bearer {token}"}).raise_for_status()
            times.append(time.perf_counter() - started)
    return statistics.median(times)


def measure() -> dict[str, Any] | str:
    """The figures, or why they could not be taken."""
    reason = missing_reason()
    if reason is not None:
        return reason
    with running_postgres() as server, running_fake_procore() as fake:
        database = server.new_database()
        for index in range(USERS):
            fake.state.users[f"user{index}"] = {"id": 1000 + index, "login": f"user{index}@example.com"}
        with _deployment(fake, database) as deployment:
            tokens = {f"user{i}": sign_in(deployment, f"user{i}")["access_token"] for i in range(USERS)}
            engine = sa.create_engine(database)
            with engine.begin() as conn:  # every user's Procore token has just expired
                conn.execute(sa.text("UPDATE team_upstream SET expires_at = 0"))
            engine.dispose()
            refreshes_before = fake.state.refreshes
            latencies: list[float] = []
            errors: list[str] = []

            async def everyone() -> None:
                async with anyio.create_task_group() as group:
                    for user, token in tokens.items():
                        group.start_soon(_user_calls, deployment, user, token, latencies, errors)

            started = time.perf_counter()
            anyio.run(everyone)
            wall = time.perf_counter() - started
        direct = _direct_median(fake)
        ordered = sorted(latencies) or [0.0]
        p50, p99 = ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return {
            "calls": len(latencies), "errors": len(errors), "first_error": errors[0] if errors else "",
            "p50": (p50 - direct) * 1000, "p99": (p99 - direct) * 1000, "wall": wall,
            "refreshes_per_user": (fake.state.refreshes - refreshes_before) / USERS,
            "reuses": fake.state.refresh_reuses,
        }  # fmt: skip


def table() -> list[str]:
    """The Markdown section for RESULTS.md."""
    figures = measure()
    lines = ["", "## Team mode under load", ""]
    if isinstance(figures, str):
        return [*lines, f"Not measured: {figures}."]
    lines += [
        f"{USERS} users signed in through two replicas on PostgreSQL behind a round-robin proxy; each makes "
        f"{CALLS_PER_USER} calls of `{TOOL}` in one MCP session, all users at once, right after every user's "
        "Procore token expired. Added latency: a call through the MCP client minus the median direct request "
        "to the same fake endpoint. The load generator (50 MCP clients), both replicas, the proxy, PostgreSQL "
        "and the fake share this machine's cores, so the latencies include waiting for a core.",
        "",
        "| Measure | Value | Target |",
        "| --- | ---: | --- |",
        f"| Calls | {figures['calls']:,} in {figures['wall']:.1f} s | 500 |",
        f"| Errors (tool errors, failed sessions, answers for another user) | {figures['errors']} | 0 |",
        f"| Added latency p50 | {figures['p50']:.1f} ms | |",
        f"| Added latency p99 | {figures['p99']:.1f} ms | |",
        f"| Procore refreshes per user | {figures['refreshes_per_user']:.2f} | 1 |",
        f"| Refresh tokens reused | {figures['reuses']} | 0 |",
    ]
    if figures["first_error"]:
        lines += ["", f"First error: {figures['first_error'][:300]}"]
    return lines


if __name__ == "__main__":
    print("\n".join(table()))

"""team: which addresses count as public for a metadata fetch, how lookups are bounded, which Host headers name
the deployment, and what the consent page shows of a redirect."""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import anyio
import pytest

from tests.runtime.conftest import Runtime


@pytest.mark.parametrize(
    ("address", "public"),
    [("93.184.216.34", True), ("2606:4700::1111", True), ("127.0.0.1", False), ("10.0.0.5", False),
     ("169.254.169.254", False), ("::1", False), ("::ffff:127.0.0.1", False), ("::127.0.0.1", False),
     ("64:ff9b::a00:1", False), ("2002:7f00:1::", False), ("2002:5db8:d822::", True), ("fd00::1", False)],
)  # fmt: skip
def test_addresses_that_lead_back_inside_are_not_public(runtime: Runtime, address: str, public: bool) -> None:
    assert runtime.module("team").is_public(address) is public


def test_metadata_lookups_run_a_few_at_a_time_and_are_abandoned_at_the_deadline(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    team = runtime.module("team")
    running, most, release = [0], [0], threading.Event()
    lock = threading.Lock()

    def stalled(*args: Any, **kwargs: Any) -> Any:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
        release.wait(10)
        with lock:
            running[0] -= 1
        return []

    monkeypatch.setattr(socket, "getaddrinfo", stalled)
    limiter = team.Admissions().lookups

    async def many() -> float:
        started = time.monotonic()
        async with anyio.create_task_group() as group:
            for _ in range(8):
                group.start_soon(_within, team, limiter)
        return time.monotonic() - started

    took = anyio.run(many)
    again = anyio.run(many)  # the first four threads still stall: their slots are not free for new lookups
    release.set()
    assert took < 5 and again < 5  # the deadline ended the waits, not the stalled lookups' end
    assert most[0] == team.LOOKUPS_AT_ONCE  # abandoned lookups kept their slots: no thread beyond the four


async def _within(team: Any, limiter: Any) -> None:
    with anyio.move_on_after(0.5):
        await team._checked_addresses("stalled.example", 443, limiter)


def test_the_deployment_answers_to_every_spelling_of_its_host(runtime: Runtime) -> None:
    forms = runtime.module("team")._host_forms
    assert forms("https://mcp.example.com") == ["mcp.example.com", "mcp.example.com:443"]
    assert forms("https://MCP.Example.com:443") == ["MCP.Example.com:443", "mcp.example.com", "mcp.example.com:443"]
    assert forms("http://127.0.0.1:8123") == ["127.0.0.1:8123"]


def test_the_consent_page_shows_a_redirects_real_host(runtime: Runtime) -> None:
    shown = runtime.module("team")._shown_host
    assert shown("https://login.procore.com@evil.example/cb") == "evil.example"
    assert shown("http://127.0.0.1:9/callback") == "127.0.0.1:9"

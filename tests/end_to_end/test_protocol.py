"""Both protocol eras, over stdio and streamable HTTP, through the official client: the same tools and results,
current-era cache hints that say the listing is stable, and no cookie carried from one call to the next."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.conftest import HYBRID_LISTED
from tests.end_to_end.conftest import run_session
from tests.support.fake_procore import FakeProcore

ME = "show_signed_in_user"
DAY_MS = 86_400_000


async def _listing_and_calls(client: Client) -> dict[str, Any]:
    listed = await client.list_tools()
    first = await client.call_tool(ME, {})
    second = await client.call_tool(ME, {})
    discovered = client.session.discover_result
    return {
        "version": client.protocol_version,
        "tools": [tool.model_dump(mode="json", by_alias=True, exclude_none=True) for tool in listed.tools],
        "hints": (listed.ttl_ms, listed.cache_scope),
        "discover_hints": (discovered.ttl_ms, discovered.cache_scope) if discovered is not None else None,
        "results": [first.structured_content, second.structured_content],
        "errors": [first.is_error, second.is_error],
    }


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_both_eras_get_the_same_tools_and_results(
    installed_package: Path, fake_procore: FakeProcore, transport: str
) -> None:
    token = fake_procore.state.issue()["access_token"]
    seen = {
        mode: run_session(
            installed_package, fake_procore, _listing_and_calls, transport, mode, PROCORE_ACCESS_TOKEN=token
        )
        for mode in ("legacy", "auto")  # `auto` asks server/discover and settles on the current era
    }
    legacy, current = seen["legacy"], seen["auto"]
    assert legacy["version"] != "2026-07-28" and current["version"] == "2026-07-28"
    assert legacy["tools"] == current["tools"] and len(current["tools"]) == HYBRID_LISTED
    assert legacy["results"] == current["results"] and current["errors"] == [False, False]
    assert current["results"][0] == {"id": 42, "login": "pat@example.com", "name": "Pat Builder"}
    # The current era carries the hints: anyone may keep the listing and the discovery for a day.
    assert current["hints"] == (DAY_MS, "public") and current["discover_hints"] == (DAY_MS, "public")


def test_a_cookie_the_api_sets_is_not_sent_back(installed_package: Path, fake_procore: FakeProcore) -> None:
    token = fake_procore.state.issue()["access_token"]
    run_session(installed_package, fake_procore, _listing_and_calls, PROCORE_ACCESS_TOKEN=token)
    calls = [r for r in fake_procore.state.requests if r.path == "/rest/v1.0/me"]
    assert len(calls) == 2  # the first answer set `_session`; the second call must not carry it
    assert [{k.lower() for k in r.headers} & {"cookie"} for r in calls] == [set(), set()]

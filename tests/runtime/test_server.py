"""data and mcp_server: what tools/list shows in each mode, in a fixed order, with cache hints that say it is
stable, and what a team user is shown."""

from __future__ import annotations

import anyio
import pytest

from tests.runtime.conftest import Runtime

WIDGET_TOOLS = ["list_widgets", "create_widget", "delete_widget"]


def _names(runtime: Runtime, team: bool = False) -> list[str]:
    return [definition["name"] for definition in runtime.module("data").ApiData().listed(team)]


def test_static_mode_lists_every_tool_in_the_data_order_and_describe_when_one_is_reduced(runtime: Runtime) -> None:
    assert _names(runtime) == [*WIDGET_TOOLS, "describe_operation"]  # create_widget lists a reduced schema
    assert _names(runtime) == _names(runtime)


def test_catalog_and_hybrid_modes(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WIDGETS_MODE", "catalog")
    assert _names(runtime) == ["search_operations", "describe_operation", "call_operation"]
    monkeypatch.setenv("WIDGETS_MODE", "hybrid")
    assert _names(runtime) == ["list_widgets", "search_operations", "describe_operation", "call_operation"]
    monkeypatch.setenv("WIDGETS_MODE", "everything")
    settings = runtime.module("settings")
    with pytest.raises(settings.ConfigurationError, match="WIDGETS_MODE must be static, catalog or hybrid"):
        _names(runtime)


def test_static_mode_of_a_large_api_says_catalog_or_hybrid_is_the_way_to_run_it(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = runtime.module("data")
    api = data.ApiData()
    assert data.static_note(api) == ""  # three tools: static is fine
    monkeypatch.setattr(data, "LARGE_STATIC", 3)
    note = data.static_note(api)
    assert note.startswith("static mode lists all 3 tools") and "(WIDGETS_MODE=hybrid)" in note
    monkeypatch.setenv("WIDGETS_MODE", "catalog")
    assert data.static_note(api) == ""


def test_listings_may_be_cached_by_anyone_for_a_day(runtime: Runtime) -> None:
    server = runtime.module("mcp_server").build(runtime.module("data").ApiData())
    hints = {method: (hint.ttl_ms, hint.scope) for method, hint in server.cache_hints.items()}
    assert hints == {"tools/list": (86_400_000, "public"), "server/discover": (86_400_000, "public")}


def test_the_listing_leaves_the_cache_fields_to_the_hints(runtime: Runtime) -> None:
    mcp_server = runtime.module("mcp_server")
    listed = anyio.run(mcp_server.Handlers(runtime.module("data").ApiData()).list_tools, None, None)
    assert "ttlMs" not in listed and "cacheScope" not in listed
    assert [tool["name"] for tool in listed["tools"]] == [*WIDGET_TOOLS, "describe_operation"]

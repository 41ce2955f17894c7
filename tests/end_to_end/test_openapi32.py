"""An OpenAPI 3.2 API through the official client (tests/fixtures/specs/openapi32/catalog.yaml against the fake of
tests/support/inventory_api.py): QUERY and added methods sent as such, a whole query string, and answers that are
sequences (JSON Lines, server-sent events) collected into one list."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from generator.pipeline import generate
from generator.write import write_tree
from tests.conftest import ROOT
from tests.end_to_end.conftest import run_package
from tests.support.inventory_api import API_KEY, InventoryState, running_inventory_api

SPEC = ROOT / "tests" / "fixtures" / "specs" / "openapi32" / "catalog.yaml"


@pytest.fixture(scope="module")
def inventory_package(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    generation = generate(SPEC)
    folder = tmp_path_factory.mktemp("inventory") / "pkg"
    write_tree(folder, generation.files)
    return folder / "src", generation.api.config.package_name, generation.api.config.env_prefix


@pytest.fixture
def inventory_api() -> Iterator[tuple[str, InventoryState]]:
    with running_inventory_api() as running:
        yield running


def _session(package: tuple[Path, str, str], base_url: str, body: Any) -> Any:
    return run_package(package, {"BASE_URL": base_url, "API_KEY": API_KEY}, body)


def test_a_query_tool_sends_a_query_request_with_its_body(
    inventory_package: tuple[Path, str, str], inventory_api: tuple[str, InventoryState]
) -> None:
    base_url, state = inventory_api

    async def body(client: Client) -> Any:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        return tools, await client.call_tool("query_parts", {"colour": "red", "fields": ["id"]})

    tools, result = _session(inventory_package, base_url, body)
    hints = tools["query_parts"].annotations
    assert hints is not None and hints.read_only_hint is True
    assert not result.is_error
    assert result.structured_content == {"result": [{"id": "p1"}, {"id": "p3"}]}
    sent = state.requests[-1]
    assert (sent["method"], sent["path"], sent["body"]) == ("QUERY", "/v2/parts", {"colour": "red"})


def test_added_methods_are_sent_as_themselves_and_annotated_by_the_method_registry(
    inventory_package: tuple[Path, str, str], inventory_api: tuple[str, InventoryState]
) -> None:
    base_url, state = inventory_api

    async def body(client: Client) -> Any:
        tools = {tool.name: tool for tool in (await client.list_tools()).tools}
        linked = await client.call_tool("link_part_to_bin", {"part_id": "p1", "link": "</bins/A1>"})
        purged = await client.call_tool("purge_part_from_caches", {"part_id": "p 2"})
        return tools, linked, purged

    tools, linked, purged = _session(inventory_package, base_url, body)
    assert not linked.is_error and not purged.is_error
    link, purge = tools["link_part_to_bin"].annotations, tools["purge_part_from_caches"].annotations
    assert link is not None and link.idempotent_hint is True and link.read_only_hint is not True
    assert purge is not None and not purge.idempotent_hint and not purge.read_only_hint
    methods = [(r["method"], r["path"]) for r in state.requests]
    assert methods == [("LINK", "/v2/parts/p1"), ("PURGE", "/v2/parts/p%202")]
    assert state.requests[0]["headers"]["Link"] == "</bins/A1>"


def test_a_whole_query_string_is_sent_as_its_members(
    inventory_package: tuple[Path, str, str], inventory_api: tuple[str, InventoryState]
) -> None:
    base_url, state = inventory_api

    async def body(client: Client) -> Any:
        return await client.call_tool("list_parts", {"filter": {"colour": "blue", "size": 12}})

    result = _session(inventory_package, base_url, body)
    assert not result.is_error
    assert state.requests[-1]["query"] == [("colour", "blue"), ("size", "12")]
    assert result.structured_content == {"result": [{"id": "p2", "colour": "blue", "bin": {"code": "B2"}}]}


def test_json_lines_and_server_sent_events_come_back_as_one_list(
    inventory_package: tuple[Path, str, str], inventory_api: tuple[str, InventoryState]
) -> None:
    base_url, _ = inventory_api

    async def body(client: Client) -> Any:
        return await client.call_tool("list_stock_movements", {}), await client.call_tool("list_stock_alerts", {})

    movements, alerts = _session(inventory_package, base_url, body)
    assert movements.structured_content == {
        "result": [{"part": "p0", "change": -15}, {"part": "p1", "change": -5}, {"part": "p2", "change": 5}]
    }
    assert alerts.structured_content == {
        "result": [{"data": "p1 is low", "event": "low", "id": "7"}, {"data": "two\nlines"}]
    }


def test_a_long_sequence_is_cut_to_whole_items_within_the_budget_with_a_note(
    inventory_package: tuple[Path, str, str], inventory_api: tuple[str, InventoryState]
) -> None:
    base_url, state = inventory_api
    state.movements = 5000

    async def body(client: Client) -> Any:
        return await client.call_tool("list_stock_movements", {})

    result = _session(inventory_package, base_url, body)
    assert not result.is_error
    kept = result.structured_content["result"]
    assert 0 < len(kept) < 5000 and kept[0] == {"part": "p0", "change": -15}
    assert len(result.content[0].text) <= 40_000
    assert f"Showing the first {len(kept):,} of 5,000 records" in result.content[1].text

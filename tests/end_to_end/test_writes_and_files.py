"""Any API's writes and files, through the official client against a small API of this project's own
(tests/fixtures/specs/orders.yaml): an idempotency key per call, reused on the retry it makes safe; files as
resources, embedded within the budget or linked and read again; cursor pages collected."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from generator.pipeline import generate
from generator.write import write_tree
from tests.conftest import ROOT
from tests.end_to_end.conftest import run_package
from tests.support.orders_api import API_KEY, OrdersState, running_orders_api


@pytest.fixture(scope="module")
def orders_package(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    generation = generate(ROOT / "tests" / "fixtures" / "specs" / "orders.yaml")
    folder = tmp_path_factory.mktemp("orders") / "pkg"
    write_tree(folder, generation.files)
    return folder / "src", generation.api.config.package_name, generation.api.config.env_prefix


@pytest.fixture
def orders_api() -> Iterator[tuple[str, OrdersState]]:
    with running_orders_api() as running:
        yield running


def _session(package: tuple[Path, str, str], base_url: str, body: Any, **extra: str) -> Any:
    return run_package(package, {"BASE_URL": base_url, "API_KEY": API_KEY, **extra}, body)


def test_an_idempotency_key_goes_once_per_call_and_makes_its_retry_safe(
    orders_package: tuple[Path, str, str], orders_api: tuple[str, OrdersState]
) -> None:
    base_url, state = orders_api
    state.slow_posts = 1  # the first attempt is answered after the client gave up: the order is placed anyway

    async def body(client: Client) -> Any:
        listed = await client.list_tools()
        first = await client.call_tool("create_order", {"item": "rebar", "quantity": 40})
        second = await client.call_tool("create_order", {"item": "mesh"})
        return listed, first, second

    listed, first, _ = _session(orders_package, base_url, body, TIMEOUT="0.5")
    create = next(tool for tool in listed.tools if tool.name == "create_order")
    assert "idempotency_key" not in create.input_schema["properties"], "the server fills it, not the model"
    keys = [headers["Idempotency-Key"] for headers in state.posts]
    assert len(keys) == 3 and keys[0] == keys[1] != keys[2], "retried with the same key; a new call, a new key"
    assert first.is_error is False and first.structured_content["id"] == "ord_1"
    assert [order["item"] for order in state.orders] == ["rebar", "mesh"], "placed once, though sent twice"


def test_files_are_resources_embedded_within_the_budget_or_linked_and_read_again(
    orders_package: tuple[Path, str, str], orders_api: tuple[str, OrdersState]
) -> None:
    base_url, state = orders_api

    async def body(client: Client) -> Any:
        small = await client.call_tool("download_receipt", {"order_id": "ord_7"})
        state.receipt_bytes = 200_000
        large = await client.call_tool("download_receipt", {"order_id": "ord_8"})
        read = await client.read_resource(large.content[1].uri)
        refused = []
        for uri in (
            "file:///etc/passwd",
            large.content[1].uri.replace("download_receipt", "create_order"),
            large.content[1].uri.split("?")[0] + "?arguments=%5B1%5D",
            large.content[1].uri.replace("ord_8", "..%2F..%2Fadmin%22%2C%22x%22%3A%221"),
        ):
            try:
                await client.read_resource(uri)
            except MCPError as exc:
                refused.append(exc.error.message)
        return small, large, read, refused

    small, large, read, refused = _session(orders_package, base_url, body)
    summary, embedded = small.content
    assert summary.text == "The file receipt-ord_7.pdf (application/pdf, 2,000 bytes), embedded."
    assert embedded.type == "resource" and embedded.resource.mime_type == "application/pdf"
    assert base64.b64decode(embedded.resource.blob).startswith(b"%PDF-1.7")
    assert "base64" not in summary.text and len(summary.text) < 200
    text, link = large.content
    assert link.type == "resource_link" and link.name == "receipt-ord_8.pdf" and link.size == 200_000
    assert link.mime_type == "application/pdf" and link.uri.startswith("orders-mcp://call/download_receipt?")
    assert "too large to embed in 40,000 characters; read it with resources/read" in text.text
    assert len(base64.b64decode(read.contents[0].blob)) == 200_000
    assert len(refused) == 4, refused
    assert "not a resource of this server" in refused[0] and "changes data" in refused[1]
    assert "not one JSON object" in refused[2]
    assert refused[3].startswith("Invalid arguments:"), "arguments smuggled into a URI are checked like a call's"


def test_cursor_pages_are_collected_and_a_cut_inside_one_says_how_to_go_on(
    orders_package: tuple[Path, str, str], orders_api: tuple[str, OrdersState]
) -> None:
    base_url, state = orders_api
    state.orders = [{"id": f"ord_{n}", "item": f"item {n}", "quantity": n} for n in range(1, 31)]

    async def body(client: Client) -> Any:
        some = await client.call_tool("list_orders", {"limit": 10, "max_items": 25})
        again = await client.call_tool("list_orders", some.meta["continuation"]["arguments"])
        return some, again

    some, again = _session(orders_package, base_url, body)
    assert [o["id"] for o in some.structured_content["data"]] == [f"ord_{n}" for n in range(1, 26)]
    assert some.meta["continuation"] == {"arguments": {"limit": 5, "max_items": 25, "cursor": "20"}, "exact": False}
    assert "it returns the last of these records again" in some.content[1].text
    assert [o["id"] for o in again.structured_content["data"]] == [f"ord_{n}" for n in range(21, 31)]

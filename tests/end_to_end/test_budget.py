"""A tool over its budget, through the official client: its listing is reduced, `describe_operation` is listed
in static mode too and shows the whole schema, and the server still checks arguments against all of it."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from generator.pipeline import generate
from generator.quality import prompt_bytes
from generator.write import write_tree
from tests.support.loopback import QuietHandler, serving


class _Created(QuietHandler):
    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        self.rfile.read(length)
        body = b'{"id": 1}'
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def _order_spec(folder: Path) -> Path:
    """An order whose lines nest four levels deep, each with a long description: far over a 2 KiB budget."""
    long = "This sentence says a great deal about the field it describes. " * 6
    leaf = {"type": "string", "maxLength": 3, "description": "Unit code, three letters at most. " + long}
    unit = {"type": "object", "properties": {f"code_{i}": leaf for i in range(4)}, "description": "Unit. " + long}
    line = {"type": "object", "required": ["sku"], "description": "A line. " + long, "properties": {
        "sku": {"type": "string", "description": "Stock keeping unit. " + long},
        "unit": unit,
    }}  # fmt: skip
    body = {"type": "object", "required": ["lines"], "properties": {
        "lines": {"type": "array", "items": line, "description": "The order's lines. " + long},
        "note": {"type": "string", "description": "A note for the warehouse. " + long},
    }}  # fmt: skip
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Orders", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {"/orders": {"post": {
            "operationId": "createOrder", "summary": "Create an order",
            "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
            "responses": {"201": {"description": "Created.", "content": {"application/json": {
                "schema": {"type": "object", "properties": {"id": {"type": "integer"}}}}}}},
        }}},
    }  # fmt: skip
    spec = folder / "orders.json"
    spec.write_text(json.dumps(document), encoding="utf-8")
    (folder / "config.yaml").write_text("tool_budget: 2048\n", encoding="utf-8")
    return spec


def test_a_reduced_tool_is_checked_in_full_and_described_in_full(tmp_path: Path) -> None:
    spec = _order_spec(tmp_path)
    generation = generate(spec, tmp_path / "config.yaml")
    (tool,) = generation.api.tools
    assert tool.full_input_schema is not None and prompt_bytes(tool) <= 2048
    assert [d.kind for d in generation.diagnostics] == ["tool-reduced"]
    write_tree(tmp_path / "pkg", generation.files)

    async def session(url: str) -> tuple[Any, ...]:
        environment = {"PYTHONPATH": str(tmp_path / "pkg" / "src"), "ORDERS_BASE_URL": url}
        params = StdioServerParameters(command=sys.executable, args=["-m", "orders_mcp"], env=environment)
        async with Client(params) as client:
            listed = await client.list_tools()
            described = await client.call_tool("describe_operation", {"name": "create_order"})
            lines = [{"sku": "A-1", "unit": {"code_0": "too long"}}]
            refused = await client.call_tool("create_order", {"lines": lines})
            accepted = await client.call_tool("create_order", {"lines": [{"sku": "A-1", "unit": {"code_0": "kg"}}]})
            return listed, described, refused, accepted

    with serving(_Created) as url:
        listed, described, refused, accepted = anyio.run(session, url)
    assert [t.name for t in listed.tools] == ["create_order", "describe_operation"]
    whole = described.structured_content["inputSchema"]
    code = whole["properties"]["lines"]["items"]["properties"]["unit"]["properties"]["code_0"]
    assert code["maxLength"] == 3, "describe_operation shows the whole schema"
    assert refused.is_error is True
    assert "lines/0/unit/code_0: 'too long' is too long" in refused.content[0].text
    assert accepted.is_error is False and accepted.structured_content == {"id": 1}

"""The public examples (Swagger 2.0, OpenAPI 3.0 and 3.1) become packages that start and serve their tools."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from generator.pipeline import generate
from generator.write import write_tree
from tests.support.loopback import QuietHandler, serving


class _Pets(QuietHandler):
    def do_GET(self) -> None:
        body = json.dumps([{"id": 1, "name": "Rex", "tag": "dog"}]).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


EXAMPLES = {
    "petstore-expanded.v2.json": ["find_pets", "add_pet", "find_pet_by_id", "delete_pet"],
    "petstore-expanded.v3.0.yaml": ["find_pets", "add_pet", "find_pet_by_id", "delete_pet"],
    "webhook-example.v3.1.yaml": [],
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_example_package_serves_its_tools(name: str, tmp_path: Path, shared_dir: Path) -> None:
    generation = generate(shared_dir / "specs" / "examples" / name)
    write_tree(tmp_path / "pkg", generation.files)
    package = generation.api.config.package_name
    prefix = generation.api.config.env_prefix

    async def session(url: str) -> tuple[Any, Any]:
        environment = {"PYTHONPATH": str(tmp_path / "pkg" / "src"), f"{prefix}_BASE_URL": url}
        params = StdioServerParameters(command=sys.executable, args=["-m", package], env=environment)
        async with Client(params) as client:
            listed = await client.list_tools()
            called = await client.call_tool("find_pets", {"limit": 5}) if listed.tools else None
            return listed, called

    with serving(_Pets) as url:
        listed, called = anyio.run(session, url)
    assert [tool.name for tool in listed.tools] == EXAMPLES[name]
    if called is not None:
        assert called.is_error is False, called.content
        assert called.structured_content == {"result": [{"id": 1, "name": "Rex", "tag": "dog"}]}

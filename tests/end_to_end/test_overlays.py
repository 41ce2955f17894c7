"""A spec changed by overlays, through the official client: the config's overlay and a command-line one applied
in order, so the server lists the new words and parameter, and neither the removed operation nor the removed
parameter (tests/fixtures/overlays)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mcp import Client

from generator.pipeline import Options, generate
from generator.write import write_tree
from tests.conftest import ROOT
from tests.end_to_end.conftest import run_package

OVERLAYS = ROOT / "tests" / "fixtures" / "overlays"


def test_the_server_lists_what_the_overlays_made_of_the_spec(tmp_path: Path) -> None:
    options = Options(overlays=(OVERLAYS / "trim.overlay.yaml",))
    generation = generate(OVERLAYS / "kennel.yaml", OVERLAYS / "kennel.config.yaml", options)
    write_tree(tmp_path / "pkg", generation.files)
    package = (tmp_path / "pkg" / "src", generation.api.config.package_name, generation.api.config.env_prefix)

    async def body(client: Client) -> Any:
        return {tool.name: tool for tool in (await client.list_tools()).tools}

    tools = run_package(package, {"ACCESS_TOKEN": "kennel-token-0123456789"}, body)
    listing = tools["list_dogs"]
    assert listing.description is not None and listing.description.startswith("Lists every dog boarding")
    assert "per_page" in listing.input_schema["properties"]
    assert "debug" not in listing.input_schema["properties"]
    assert not any(name.startswith("delete") for name in tools)

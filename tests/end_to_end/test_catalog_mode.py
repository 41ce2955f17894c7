"""Catalog and hybrid modes: a handful of meta-tools reach every operation; tools/list stays small."""

from __future__ import annotations

import importlib
import json
import re
import sys
from pathlib import Path
from typing import Any

import anyio
import pytest
import yaml
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from generator.pipeline import Options, generate
from generator.write import write_tree
from tests.conftest import minimal_spec, write_spec
from tests.end_to_end.conftest import run_session, with_client_credentials
from tests.support.fake_procore import FakeProcore


def _listing_bytes(listed: Any) -> int:
    return len(json.dumps(listed.model_dump(by_alias=True, exclude_none=True, mode="json")["tools"]).encode())


def test_catalog_mode_lists_three_meta_tools_and_reaches_every_operation(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    async def body(client: Client) -> Any:
        listed = await client.list_tools()
        found = await client.call_tool("search_operations", {"query": "rfi", "limit": 5})
        described = await client.call_tool("describe_operation", {"name": "list_rfis_in_project"})
        called = await client.call_tool("call_operation", {"name": "show_signed_in_user", "arguments": {}})
        invalid = await client.call_tool("call_operation", {"name": "show_rfi", "arguments": {"id": "x"}})
        unknown = await client.call_tool("describe_operation", {"name": "no_such_tool"})
        return listed, found, described, called, invalid, unknown

    environment = with_client_credentials(PROCORE_MODE="catalog")
    listed, found, described, called, invalid, unknown = run_session(
        installed_package, fake_procore, body, **environment
    )
    assert [t.name for t in listed.tools] == ["search_operations", "describe_operation", "call_operation"]
    assert _listing_bytes(listed) < 8 * 1024
    names = [r["name"] for r in found.structured_content["results"]]
    assert names and all("rfi" in name for name in names)
    about = described.structured_content
    assert about["inputSchema"]["type"] == "object"
    assert (about["method"], about["path"]) == ("GET", "/rest/v1.0/projects/{project_id}/rfis")
    # The whole response schema (tools/list only outlines it), and where each argument goes.
    # A schema used once is written in place, one used more often kept once under `$defs`.
    manager = about["outputSchema"]["properties"]["result"]["items"]["properties"]["rfi_manager"]
    assert manager["anyOf"][1] == {"type": "null"}
    user = about["outputSchema"]["$defs"][manager["anyOf"][0]["$ref"].rsplit("/", 1)[-1]]
    assert user["properties"]["name"]["description"] == "The user's full name."
    assert {"argument": "project_id", "in": "path", "name": "project_id"} in about["arguments"]
    company = {"argument": "procore_company_id", "in": "header", "name": "Procore-Company-Id"}
    assert {**company, "default": "setting PROCORE_COMPANY_ID"} in about["arguments"]
    assert called.is_error is False and called.structured_content["login"] == "pat@example.com"
    assert invalid.is_error is True and "id: 'x' is not of type 'integer'" in invalid.content[0].text
    assert unknown.is_error is True and "search_operations" in unknown.content[0].text


@pytest.fixture(scope="module")
def catalog_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    shared = Path(__file__).resolve().parents[2].parent / "shared" / "specs" / "procore-catalog.json"
    if not shared.is_file():
        pytest.skip("../shared is absent: the Procore catalog is only beside the project on developer machines and CI")
    folder = tmp_path_factory.mktemp("catalog")
    config = folder / "config.yaml"
    hybrid = [{"paths": ["/rest/v1.0/projects", "/rest/v1.0/me"], "methods": ["GET"]}]
    config.write_text(yaml.safe_dump({"package_name": "procore_catalog_mcp", "hybrid_static": hybrid}))
    generation = generate(shared, config, Options(mode="catalog"))
    write_tree(folder / "pkg", generation.files)
    return folder / "pkg" / "src"


def _session(source: Path, body: Any, **environment: str) -> Any:
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "procore_catalog_mcp"], env={"PYTHONPATH": str(source), **environment}
    )

    async def run() -> Any:
        async with Client(params) as client:
            return await body(client)

    return anyio.run(run)


# What an agent would type, and the operation it means (method and path; Procore's API facts). The first
# four are the issue's own; the rest cover verbs, plurals, everyday words and resources named in paths.
_MEANT = [
    ("rfi", "GET", r"/projects/\{project_id\}/rfis$"),
    ("submittal", "GET", r"/submittals$|/submittal_logs$"),
    ("daily log", "GET", r"daily_logs"),
    ("budget", "GET", r"/budget_views$"),
    ("list projects", "GET", r"^/rest/v1\.\d/(companies/\{company_id\}/)?projects$"),
    ("show project", "GET", r"^/rest/v1\.\d/projects/\{id\}$"),
    ("create rfi", "POST", r"/rfis$"),
    ("update submittal", "PATCH", r"/submittals/\{id\}$"),
    ("delete rfi reply", "DELETE", r"/rfis/\{rfi_id\}/replies/\{id\}$"),
    ("punch list", "GET", r"/punch_items$"),
    ("company vendors", "GET", r"^/rest/v1\.\d/(vendors|companies/\{company_id\}/vendors)$"),
    ("project users", "GET", r"/projects/\{project_id\}/users$"),
    ("timesheets", "GET", r"/timesheets$"),
    ("drawing revisions", "GET", r"/drawing_revisions$"),
    ("weather logs", "GET", r"/weather_logs$"),
    ("observations", "GET", r"/observations/items$"),
    ("meetings", "GET", r"/meetings$"),
    ("commitments", "GET", r"/commitments$|/commitment_contracts$"),
    ("change events", "GET", r"/change_events$"),
    ("change order packages", "GET", r"/change_order_packages$"),
    ("prime contracts", "GET", r"/prime_contracts$"),
    ("photos", "GET", r"/images$"),
    ("upload a photo", "POST", r"/images$"),
    ("incidents", "GET", r"/incidents$"),
    ("cost codes", "GET", r"/cost_codes$"),
    ("bid packages", "GET", r"/bid_packages$"),
]


def test_search_ranks_the_operation_meant_first_across_the_whole_catalog(catalog_package: Path) -> None:
    async def body(client: Client) -> Any:
        return [await client.call_tool("search_operations", {"query": query, "limit": 3}) for query, _, _ in _MEANT]

    answers = _session(catalog_package, body)
    missed = []
    for (query, method, path), answer in zip(_MEANT, answers, strict=True):
        results = answer.structured_content["results"]
        first = results[0] if results else {"method": "", "path": "(nothing found)", "name": ""}
        if first["method"] != method or not re.search(path, first["path"]):
            missed.append(f"{query!r}: {first['method']} {first['path']} ({first['name']})")
    assert not missed, "\n".join(missed)


def test_search_filters_by_method_and_read_only(catalog_package: Path) -> None:
    async def body(client: Client) -> Any:
        writes = await client.call_tool("search_operations", {"query": "rfi", "method": "POST", "limit": 50})
        reads = await client.call_tool("search_operations", {"query": "rfi", "read_only": True, "limit": 50})
        return writes, reads

    writes, reads = _session(catalog_package, body)
    assert {r["method"] for r in writes.structured_content["results"]} == {"POST"}
    assert all(r["read_only"] for r in reads.structured_content["results"])


def test_catalog_listing_stays_small_whatever_the_size_and_hybrid_adds_curated_tools(catalog_package: Path) -> None:
    async def body(client: Client) -> Any:
        return await client.list_tools()

    catalog_listing = _session(catalog_package, body)
    assert len(catalog_listing.tools) == 3 and _listing_bytes(catalog_listing) < 8 * 1024
    hybrid = _session(catalog_package, body, PROCORE_MODE="hybrid")
    names = [t.name for t in hybrid.tools]
    assert names[-3:] == ["search_operations", "describe_operation", "call_operation"]
    assert len(names) == 5


def test_search_synonyms_from_the_config_reach_the_generated_server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def listing(summary: str) -> dict[str, Any]:
        return {"get": {"summary": summary, "responses": {"200": {"description": "ok"}}}}

    paths = {"/checklists": listing("List checklists"), "/inspection_logs": listing("List inspection logs")}
    paths["/images"] = listing("List images")
    spec = write_spec(tmp_path, minimal_spec(**paths))
    config = tmp_path / "config.yaml"
    config.write_text("package_name: synonym_mcp\nsearch_synonyms:\n  inspections: checklist\n")
    write_tree(tmp_path / "pkg", generate(spec, config).files)
    monkeypatch.syspath_prepend(str(tmp_path / "pkg" / "src"))
    catalog = importlib.import_module("synonym_mcp.catalog")
    tools = json.loads((tmp_path / "pkg" / "src" / "synonym_mcp" / "tools.json").read_text())["tools"]

    def first(query: str) -> str:
        return str(catalog.search(tools, {"query": query, "limit": 1})["results"][0]["name"])

    assert first("inspections") == "list_checklists"  # the API's word, not the agent's
    assert first("inspection logs") == "list_inspection_logs"  # a query naming the other still finds it
    assert first("photos") == "list_images"  # the defaults stay

"""Pieces of the installed runtime driven directly: response shaping for other content types, the non-OAuth
auth schemes, backoff and Retry-After parsing. Real httpx objects, no transport."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest


@pytest.fixture
def runtime(installed_package: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, ModuleType]]:
    monkeypatch.syspath_prepend(str(installed_package))
    for name in [m for m in sys.modules if m == "procore_mcp" or m.startswith("procore_mcp.")]:
        monkeypatch.delitem(sys.modules, name)
    import procore_mcp.auth as auth  # type: ignore[import-not-found]
    import procore_mcp.catalog as catalog  # type: ignore[import-not-found]
    import procore_mcp.dispatch as dispatch  # type: ignore[import-not-found]
    import procore_mcp.sending as sending  # type: ignore[import-not-found]
    import procore_mcp.server as server  # type: ignore[import-not-found]

    yield {"server": server, "dispatch": dispatch, "auth": auth, "sending": sending, "catalog": catalog}


def _response(content: bytes, content_type: str, status: int = 200) -> httpx.Response:
    return httpx.Response(status, content=content, headers={"Content-Type": content_type},
                          request=httpx.Request("GET", "https://api.procore.com/x"))  # fmt: skip


def test_text_and_binary_responses(runtime: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    server, dispatch = runtime["server"], runtime["dispatch"]
    monkeypatch.setenv("PROCORE_TOKEN_FILE", "/nonexistent/tokens.json")
    binding: dict[str, Any] = {"method": "GET", "path": "/x", "arguments": [], "auth": []}
    monkeypatch.setitem(
        server.tools(),
        "export",
        {"definition": {"name": "export", "inputSchema": {"type": "object"}}, "binding": binding},
    )
    text = dispatch._structured("export", binding, _response(b"a,b\n1,2\n", "text/csv"), {})
    assert text.is_error is False and text.content[0].text == "a,b\n1,2\n"
    pdf = dispatch._structured("export", binding, _response(b"%PDF-1.7 bytes", "application/pdf"), {})
    assert pdf.content[0].type == "resource"
    assert base64.b64decode(pdf.content[0].resource.blob) == b"%PDF-1.7 bytes"
    assert pdf.content[0].resource.mime_type == "application/pdf"


def test_json_that_breaks_the_output_schema_is_reported_not_hidden(
    runtime: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, dispatch = runtime["server"], runtime["dispatch"]
    monkeypatch.setenv("PROCORE_TOKEN_FILE", "/nonexistent/tokens.json")
    entry = server.tools()["show_the_signed_in_user"]
    # A typed output schema, as `output_schema: full` lists it (the default outline only names the fields).
    typed = {"type": "object", "properties": {"id": {"type": ["integer", "null"]}, "login": {}}}
    monkeypatch.setitem(entry, "definition", {**entry["definition"], "outputSchema": typed})
    result = dispatch._structured(
        "show_the_signed_in_user", entry["binding"], _response(b'{"id": "not a number"}', "application/json"), {}
    )
    assert result.is_error is True
    assert (
        "does not match the documented output (id:" in result.content[0].text
        and "not a number" in result.content[0].text
    )
    wrong_kind = dispatch._structured(
        "show_the_signed_in_user", entry["binding"], _response(b"<html>", "text/html"), {}
    )
    assert wrong_kind.is_error is True and "text/html instead of JSON" in wrong_kind.content[0].text


def test_basic_bearer_and_api_key_schemes(runtime: dict[str, Any], monkeypatch: pytest.MonkeyPatch) -> None:
    auth = runtime["auth"]
    monkeypatch.setenv("PROCORE_USERNAME", "pat")
    monkeypatch.setenv("PROCORE_PASSWORD", "pw")
    monkeypatch.setenv("PROCORE_API_KEY", "key-123")
    monkeypatch.setenv("PROCORE_ACCESS_TOKEN", "tok")
    assert auth.scheme_headers({"type": "http", "scheme": "basic"}) == ({"Authorization": "Basic cGF0OnB3"}, {})
    assert auth.scheme_headers({"type": "http", "scheme": "bearer"}) == ({"Authorization": "Bearer tok"}, {})
    assert auth.scheme_headers({"type": "apiKey", "in": "header", "name": "X-Key"}) == ({"X-Key": "key-123"}, {})
    assert auth.scheme_headers({"type": "apiKey", "in": "query", "name": "key"}) == ({}, {"key": "key-123"})
    assert auth.scheme_headers({"type": "apiKey", "in": "cookie", "name": "k"}) == ({"Cookie": "k=key-123"}, {})
    monkeypatch.delenv("PROCORE_API_KEY")
    with pytest.raises(Exception, match="Set PROCORE_API_KEY"):
        auth.scheme_headers({"type": "apiKey", "in": "header", "name": "X-Key"})


def test_retry_waits_come_from_the_api_and_backoff_is_capped(runtime: dict[str, Any]) -> None:
    sending = runtime["sending"]
    assert sending.retry_after(_response(b"", "text/plain", 429).__class__(429, headers={"Retry-After": "7"})) == 7.0
    reset = str(int(time.time()) + 30)
    assert 28 <= sending.retry_after(httpx.Response(429, headers={"X-Rate-Limit-Reset": reset})) <= 30
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert sending.retry_after(httpx.Response(503, headers={"Retry-After": date})) == 0.0
    assert all(0 < sending.backoff(attempt) <= sending.BACKOFF_CAP_SECONDS for attempt in range(1, 12))


_LEAN_IMPORT = """
import sys
import procore_mcp.server
loaded = set(sys.modules)
print("client" if "mcp.client" in loaded else "no-client", "framework" if "mcp.server.mcpserver" in loaded else "no-framework",
      "http" if {"httpx", "procore_mcp.dispatch"} & loaded else "no-http")
from mcp import Client
from mcp.server import MCPServer
import mcp
print(Client.__name__, MCPServer.__name__, mcp.Client is Client)
"""


def test_the_server_starts_without_the_http_stack_or_the_sdks_client_and_framework_yet_both_still_import(
    installed_package: Path,
) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", _LEAN_IMPORT], capture_output=True, text=True, check=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(installed_package)},
    )  # fmt: skip
    assert completed.stdout.split() == ["no-client", "no-framework", "no-http", "Client", "MCPServer", "True"]


def test_an_sdk_imported_first_is_left_as_it_is(installed_package: Path) -> None:
    code = "import mcp, sys\nbefore = sys.modules['mcp']\nimport procore_mcp.server\nprint(sys.modules['mcp'] is before, 'mcp.client' in sys.modules)"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(installed_package)},
    )  # fmt: skip
    assert completed.stdout.split() == ["True", "True"]


_CIRCULAR_SDK = {
    "mcp/__init__.py": "MARK = 'whole'\n",
    "mcp/types.py": "",
    "mcp/server/__init__.py": "helper = 'from the package'\nfrom mcp.server.lowlevel import Server\n",
    "mcp/server/lowlevel/__init__.py": "from mcp.server import helper\n\nclass Server:\n    pass\n",
}


def test_an_sdk_that_needs_its_package_init_is_imported_whole(installed_package: Path, tmp_path: Path) -> None:
    # Deferring `mcp.server` breaks this SDK's import cycle; the server falls back to importing it as usual.
    for name, text in _CIRCULAR_SDK.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    code = (
        "from procore_mcp import sdk\n"
        "sdk.import_lean('mcp.types', 'mcp.server.lowlevel')\n"
        "import mcp, mcp.server.lowlevel as lowlevel\n"
        "print(lowlevel.Server.__name__, mcp.MARK, lowlevel.helper)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120,
        env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{installed_package}"},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["Server", "whole", "from", "the", "package"]


def _operation(name: str, method: str, path: str, tags: tuple[str, ...] = ()) -> dict[str, Any]:
    title = name.replace("_", " ").capitalize()
    definition = {"name": name, "title": title, "description": f"{title}.", "inputSchema": {"type": "object"},
                  "annotations": {"readOnlyHint": True} if method == "GET" else {}}  # fmt: skip
    return {"definition": definition, "binding": {"method": method, "path": path, "tags": list(tags)}}


_OPERATIONS = [
    _operation("list_project_punch_item_templates", "GET", "/v1/projects/{project_id}/punch_item_templates"),
    _operation("list_project_roles", "GET", "/v1/projects/{project_id}/roles"),
    _operation("list_projects", "GET", "/v1/projects"),
    _operation("show_project", "GET", "/v1/projects/{id}"),
    _operation("create_project", "POST", "/v1/projects"),
    _operation("delete_budget_lock", "DELETE", "/v1/projects/{project_id}/budget/lock"),
    _operation("list_budget_views", "GET", "/v1/budget_views"),
    _operation("create_image", "POST", "/v1/projects/{project_id}/images"),
    _operation("list_images", "GET", "/v1/projects/{project_id}/images"),
    _operation("list_change_events", "GET", "/v1/projects/{project_id}/change_events"),
    _operation("update_change_event", "PATCH", "/v1/projects/{project_id}/change_events/{id}"),
]


def _first(catalog: Any, query: str, **filters: Any) -> str:
    found = catalog.search(_OPERATIONS, {"query": query, "limit": 3, **filters})["results"]
    return str(found[0]["name"]) if found else ""


@pytest.mark.parametrize(
    ("query", "meant"),
    [
        ("list projects", "list_projects"),  # a name the query covers beats one that merely holds its words
        ("projects", "list_projects"),  # no verb: the list first
        ("show project", "show_project"),  # the query's verb picks the kind of operation
        ("create a project", "create_project"),  # "a" says nothing
        ("budget", "list_budget_views"),  # a read before a change
        ("upload a photo", "create_image"),  # everyday words: photo is an image, upload creates
        ("change events", "list_change_events"),  # "change" is a noun here, not a verb
        ("edit change event", "update_change_event"),
    ],
)
def test_search_ranks_by_rarity_coverage_and_the_verb_asked_for(
    runtime: dict[str, Any], query: str, meant: str
) -> None:
    assert _first(runtime["catalog"], query) == meant


def test_search_needs_the_query_words_and_keeps_its_filters(runtime: dict[str, Any]) -> None:
    catalog = runtime["catalog"]
    assert catalog.search(_OPERATIONS, {"query": "submittal"})["results"] == []
    assert _first(catalog, "project", method="POST") == "create_project"
    assert _first(catalog, "change event", read_only=False) == "update_change_event"
    everything = catalog.search(_OPERATIONS, {"query": "", "limit": 50})
    assert everything["total"] == len(_OPERATIONS)

"""catalog: search ranks operations by rare words, the verb asked for and the API's synonyms."""

from __future__ import annotations

from typing import Any

import pytest

from tests.runtime.conftest import Runtime


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
def test_search_ranks_by_rarity_coverage_and_the_verb_asked_for(runtime: Runtime, query: str, meant: str) -> None:
    assert _first(runtime.module("catalog"), query) == meant


def test_search_needs_the_query_words_and_keeps_its_filters(runtime: Runtime) -> None:
    catalog = runtime.module("catalog")
    assert catalog.search(_OPERATIONS, {"query": "submittal"})["results"] == []
    assert _first(catalog, "project", method="POST") == "create_project"
    assert _first(catalog, "change event", read_only=False) == "update_change_event"
    everything = catalog.search(_OPERATIONS, {"query": "", "limit": 50})
    assert everything["total"] == len(_OPERATIONS)

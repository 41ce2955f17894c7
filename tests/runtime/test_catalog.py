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
    _operation("create_potential_change_order", "POST", "/v1/projects/{project_id}/potential_change_orders"),
    _operation("list_daily_logs", "GET", "/v1/projects/{project_id}/daily_logs"),
    _operation("list_reports", "GET", "/v1/projects/{project_id}/reports"),
    _operation("list_commitments", "GET", "/v1/projects/{project_id}/commitments"),
    _operation("list_vendors", "GET", "/v1/vendors"),
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


@pytest.mark.parametrize(
    ("query", "meant"),
    [
        ("raise a pco", "create_potential_change_order"),  # a word read as the phrase it stands for
        ("new PCO", "create_potential_change_order"),
        ("daily report", "list_daily_logs"),  # a phrase read as another
        ("reports", "list_reports"),  # its words alone keep their own meaning
        ("subs on the project", "list_commitments"),  # one of several meanings: the first listed wins a tie
    ],
)
def test_synonyms_may_be_phrases_or_lists(runtime: Runtime, query: str, meant: str) -> None:
    assert _first(runtime.module("catalog"), query) == meant


def test_every_meaning_of_a_synonym_is_found(runtime: Runtime) -> None:
    found = runtime.module("catalog").search(_OPERATIONS, {"query": "subs", "limit": 3})["results"]
    assert [r["name"] for r in found][:2] == ["list_commitments", "list_vendors"]


@pytest.mark.parametrize(
    ("query", "meant"),
    [
        ("log a delay", "create_delay_log"),  # an opening verb says what kind of operation is meant
        ("delay log", "list_delay_logs"),  # elsewhere the word is a noun
        ("change the budget view", "update_budget_view"),  # a verb when an article follows
        ("change events", "list_change_events"),
        ("set up a budget view", "create_budget_view"),
        ("reports", "list_reports"),  # one word names a thing
    ],
)
def test_an_opening_verb_picks_the_kind_of_operation(runtime: Runtime, query: str, meant: str) -> None:
    operations = [
        *_OPERATIONS,
        _operation("list_delay_logs", "GET", "/v1/projects/{project_id}/delay_logs"),
        _operation("create_delay_log", "POST", "/v1/projects/{project_id}/delay_logs"),
        _operation("create_budget_view", "POST", "/v1/budget_views"),
        _operation("update_budget_view", "PATCH", "/v1/budget_views/{id}"),
    ]
    found = runtime.module("catalog").search(operations, {"query": query, "limit": 1})["results"]
    assert found[0]["name"] == meant


def test_words_no_name_holds_are_details_an_operation_need_not_hold(runtime: Runtime) -> None:
    # "cracked" and "window" appear in no name, tag or path: the list still matches on "images".
    assert _first(runtime.module("catalog"), "images of the cracked window") == "list_images"


def test_a_word_the_index_lacks_is_tried_without_its_ending(runtime: Runtime) -> None:
    assert _first(runtime.module("catalog"), "changed") == "list_change_events"  # `changed` as `change`


def _flagged(name: str, method: str, path: str, **flags: bool) -> dict[str, Any]:
    entry = _operation(name, method, path)
    entry["binding"].update(flags)
    return entry


def test_a_deprecated_operation_ranks_below_one_that_does_the_same(runtime: Runtime) -> None:
    operations = [
        _flagged("list_todos", "GET", "/v1/projects/{project_id}/todos", deprecated=True),
        _flagged("list_todos_v2", "GET", "/v2/projects/{project_id}/todos"),
    ]
    found = runtime.module("catalog").search(operations, {"query": "todos"})["results"]
    assert [r["name"] for r in found] == ["list_todos_v2", "list_todos"]


def test_an_undescribed_operation_ranks_below_a_described_one_that_matches_as_well(runtime: Runtime) -> None:
    operations = [
        _flagged("list_meetings_in_project", "GET", "/v1.1/projects/{project_id}/meetings", outlined=True),
        _flagged("list_meetings_in_project_v1", "GET", "/v1/projects/{project_id}/meetings"),
    ]
    found = runtime.module("catalog").search(operations, {"query": "project meetings"})["results"]
    assert found[0]["name"] == "list_meetings_in_project_v1"


def test_only_described_operations_name_what_a_query_is_about(runtime: Runtime) -> None:
    # "open" is held only by a name made from an undescribed operation's path: in "open images" it is a detail,
    # so the images list, which lacks it, is not halved for lacking it.
    operations = [*_OPERATIONS, _flagged("list_open_items", "GET", "/v1/open_items", outlined=True)]
    found = runtime.module("catalog").search(operations, {"query": "open images", "limit": 2})["results"]
    assert found[0]["name"] == "list_images"


def test_a_phrase_counts_as_one_word_among_the_ways_of_writing_a_slot(runtime: Runtime) -> None:
    catalog = runtime.module("catalog")
    table = catalog.Index(_OPERATIONS)._slot_table((("potential", "change", "order"),))
    position = next(i for i, e in enumerate(_OPERATIONS) if e["definition"]["name"] == "create_potential_change_order")
    value, share, used = table[position]
    assert share == 1.0 and used == {"potential", "change", "order"}
    words = ("potential", "change", "order")
    assert value == pytest.approx(sum(catalog.Index(_OPERATIONS)._scored(w, True)[position] for w in words) / 3)


def test_plurals_in_es_fold_to_their_word(runtime: Runtime) -> None:
    assert runtime.module("catalog").words("near misses and boxes") == ["near", "miss", "and", "box"]

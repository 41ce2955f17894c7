"""Results sized for a model, through the official client against the fake Procore with records the size of real
ones: only the fields asked for, whole records within the budget with arguments that get the rest, objects with
their largest fields left out, and pages collected on request up to their caps."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mcp import Client

from tests.end_to_end.conftest import run_session, with_client_credentials
from tests.support.fake_procore import FakeProcore
from tests.support.procore_records import rfis

RFIS = "list_rfis_in_project"
PROJECT = {"project_id": 7, "procore_company_id": 1}


def _text(result: Any) -> str:
    return str(result.content[0].text)


def _note(result: Any) -> str:
    return " ".join(str(block.text) for block in result.content[1:])


def _valid(result: Any) -> Any:
    """A result that is no error, whose text is exactly the JSON of its structured content."""
    assert result.is_error is False, _text(result)
    assert json.loads(_text(result)) == result.structured_content
    return result.structured_content


def test_fields_project_records_and_nested_paths_in_lists_and_objects(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    fake_procore.state.rfis.extend(rfis(5))
    wanted = ["id", "subject", "ball_in_court.name", "questions.answers.body"]

    async def body(client: Client) -> Any:
        listed = await client.call_tool(RFIS, {**PROJECT, "fields": wanted})
        shown = await client.call_tool("show_rfi", {**PROJECT, "id": 1003, "fields": ["subject", "rfi_manager"]})
        catalog = await client.call_tool(
            "call_operation", {"name": RFIS, "arguments": {**PROJECT, "fields": ["number", "nothing_like_this"]}}
        )
        return listed, shown, catalog

    listed, shown, catalog = run_session(installed_package, fake_procore, body, **with_client_credentials())
    records = _valid(listed)["result"]
    assert [r["id"] for r in records] == [1001, 1002, 1003, 1004, 1005]
    assert all(set(r) == {"id", "subject", "ball_in_court", "questions"} for r in records)
    assert all(person.keys() == {"name"} for r in records for person in r["ball_in_court"])
    assert all(q.keys() == {"answers"} and q["answers"][0].keys() == {"body"} for r in records for q in r["questions"])
    assert len(_text(listed)) < 5 * 1200, "a fifth of what the whole records cost"
    assert _valid(shown) == {"subject": fake_procore.state.rfis[2]["subject"], "rfi_manager": rfis(5)[2]["rfi_manager"]}
    assert [set(r) for r in _valid(catalog)["result"]] == [{"number"}] * 5
    assert "No record has `nothing_like_this`" in _note(catalog)


def test_a_list_over_the_budget_keeps_whole_records_and_its_continuation_gets_the_rest(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    fake_procore.state.rfis.extend(rfis(60))
    seen: list[int] = []
    calls: list[Any] = []

    async def body(client: Client) -> None:
        arguments: dict[str, Any] | None = {**PROJECT, "per_page": 25}
        while arguments is not None and len(calls) < 20:
            result = await client.call_tool(RFIS, arguments)
            calls.append(result)
            seen.extend(r["id"] for r in _valid(result)["result"])
            follow = (result.meta or {}).get("continuation")
            arguments = follow["arguments"] if follow else None
            where = result.structured_content["pagination"]
            if follow is None and where["next_page"]:  # a page that fit whole: the API's own next page
                arguments = {**PROJECT, "per_page": where["per_page"], "page": where["next_page"]}

    run_session(installed_package, fake_procore, body, **with_client_credentials(PROCORE_RESPONSE_BUDGET="20000"))
    assert seen == [1000 + n for n in range(1, 61)], "every record once, in order, none skipped"
    first = calls[0]
    assert all(len(_text(c)) + len(_note(c)) <= 20000 for c in calls)
    kept = len(first.structured_content["result"])
    assert 0 < kept < 25
    assert f"Showing the first {kept} of 25 records" in _note(first)
    assert "Pass `fields`" in _note(first)
    continuation = first.meta["continuation"]
    assert continuation["exact"] is True
    assert continuation["arguments"] == {**PROJECT, "per_page": kept, "page": 2}
    assert first.structured_content["pagination"]["next_page"] == 2
    assert first.structured_content["pagination"]["per_page"] == kept


def test_an_object_over_the_budget_leaves_out_its_largest_fields_by_name(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    record = rfis(1)[0]
    record["questions"][0]["body"] = "A long question. " * 2000  # 34,000 characters
    fake_procore.state.rfis.append(record)

    async def body(client: Client) -> Any:
        whole = await client.call_tool("show_rfi", {**PROJECT, "id": record["id"]})
        asked = await client.call_tool("show_rfi", {**PROJECT, "id": record["id"], "fields": ["questions"]})
        return whole, asked

    environment = with_client_credentials(PROCORE_RESPONSE_BUDGET="12000")
    whole, asked = run_session(installed_package, fake_procore, body, **environment)
    shown = _valid(whole)
    assert "questions" not in shown and shown["subject"] == record["subject"] and shown["id"] == record["id"]
    assert "Left out or shortened to fit 12,000 characters: `questions` (" in _note(whole)
    assert len(_text(whole)) + len(_note(whole)) <= 12000
    alone = _valid(asked)  # asked for alone, it is shortened rather than left out: its records, their small fields
    assert list(alone) == ["questions"] and alone["questions"][0]["id"] == record["questions"][0]["id"]
    assert "`questions` (" in _note(asked) and len(_text(asked)) <= 12000


def test_max_items_follows_the_pages_up_to_its_caps_and_says_where_to_go_on(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    fake_procore.state.rfis.extend(rfis(60))
    small = ["id", "subject"]

    async def body(client: Client) -> Any:
        some = await client.call_tool(RFIS, {**PROJECT, "per_page": 10, "max_items": 35, "fields": small})
        after = await client.call_tool(RFIS, {**some.meta["continuation"]["arguments"], "fields": small})
        everything = await client.call_tool(RFIS, {**PROJECT, "max_items": 1000, "fields": small})
        return some, after, everything

    some, after, everything = run_session(installed_package, fake_procore, body, **with_client_credentials())
    assert [r["id"] for r in _valid(some)["result"]] == [1000 + n for n in range(1, 36)]
    assert "Collected 35 records from 4 pages" in _note(some)
    assert some.meta["continuation"]["arguments"] == {
        **PROJECT, "page": 6, "per_page": 7, "max_items": 35, "fields": small
    }  # fmt: skip
    assert [r["id"] for r in _valid(after)["result"]] == [1000 + n for n in range(36, 61)]
    assert [r["id"] for r in _valid(everything)["result"]] == [1000 + n for n in range(1, 61)]
    assert "Collected 60 records from 3 pages" in _note(everything)  # 25 a page, the configured default
    assert everything.meta is None or "continuation" not in everything.meta
    pages = [dict(r.query).get("page", "1") for r in fake_procore.state.requests if r.path.endswith("/rfis")]
    assert pages == ["1", "2", "3", "4", "6", "7", "8", "9", "1", "2", "3"]


def test_collecting_stops_at_the_budget_and_at_a_failed_page_keeping_what_came(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    fake_procore.state.rfis.extend(rfis(90))
    fake_procore.state.failing_pages.add(3)

    async def body(client: Client) -> Any:
        budgeted = await client.call_tool(RFIS, {**PROJECT, "max_items": 90})
        partial = await client.call_tool(RFIS, {**PROJECT, "per_page": 5, "max_items": 20, "fields": ["id"]})
        return budgeted, partial

    budgeted, partial = run_session(
        installed_package, fake_procore, body, **with_client_credentials(PROCORE_MAX_RETRIES="0")
    )
    records = _valid(budgeted)["result"]
    assert 0 < len(records) < 25, "3 KB records: the 40,000-character default budget holds about a dozen"
    pages = [dict(r.query).get("page", "1") for r in fake_procore.state.requests if r.path.endswith("/rfis")]
    assert pages[0] == "1" and pages[1:] == ["1", "2", "3"], "the first page filled the budget: no page more"
    assert budgeted.meta["continuation"]["arguments"] == {
        **PROJECT, "max_items": 90, "page": 2, "per_page": len(records)
    }  # fmt: skip
    assert [r["id"] for r in _valid(partial)["result"]] == [1000 + n for n in range(1, 11)]
    assert "Page 3 failed with HTTP 503" in _note(partial)
    assert partial.meta["continuation"]["arguments"] == {
        **PROJECT, "page": 3, "per_page": 5, "max_items": 20, "fields": ["id"]
    }  # fmt: skip

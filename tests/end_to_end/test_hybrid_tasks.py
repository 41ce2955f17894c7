"""Five multi-step tasks an agent runs in the published default (hybrid) mode, through the official client against
the fake Procore: the curated tools it lists, and the catalog meta-tools for everything else. Each step reads
what the previous one returned, as an agent would, and the requests are checked where they arrive."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from mcp import Client

from tests.end_to_end.conftest import run_session
from tests.support.fake_procore import PROJECT, FakeProcore

COMPANY = "8"


def _run(installed: Path, fake: FakeProcore, body: Any) -> Any:
    token = fake.state.issue()["access_token"]
    return run_session(installed, fake, body, PROCORE_ACCESS_TOKEN=token, PROCORE_COMPANY_ID=COMPANY)


async def _call(client: Client, name: str, arguments: dict[str, Any]) -> Any:
    """A tool's structured result; a tool error fails the task with its message."""
    result = await client.call_tool(name, arguments)
    assert result.is_error is False, f"{name}: {result.content}"
    return result.structured_content


async def _listed(client: Client) -> set[str]:
    return {tool.name for tool in (await client.list_tools()).tools}


async def _project_named(client: Client, name: str) -> int:
    projects = await _call(client, "list_projects_in_company", {"company_id": int(COMPANY)})
    return int(next(p["id"] for p in projects["result"] if p["name"] == name))


def test_find_the_project_find_the_rfi_and_reply(installed_package: Path, fake_procore: FakeProcore) -> None:
    fake_procore.state.add_rfi("Anchor bolt spacing", "closed")
    rfi = fake_procore.state.add_rfi("Footing depth at grid B", "open")

    async def body(client: Client) -> Any:
        listed = await _listed(client)
        project = await _project_named(client, "Harbor View Tower")
        rfis = await _call(client, "list_rfis_in_project", {"project_id": project, "filters": {"status": "open"}})
        found = next(r for r in rfis["result"] if "Footing" in r["subject"])
        reply = {"body": "Footings at grid B go to 1.2 m, per S-201.", "official": True}
        replied = await _call(
            client, "create_reply_to_rfi", {"project_id": project, "rfi_id": found["id"], "reply": reply}
        )
        return listed, replied

    listed, replied = _run(installed_package, fake_procore, body)
    assert {"list_projects_in_company", "list_rfis_in_project", "create_reply_to_rfi"} <= listed
    assert "update_submittal" not in listed  # reached through the catalog, not listed
    sent = fake_procore.state.requests[-1]
    assert (sent.method, sent.path) == ("POST", f"/rest/v1.0/projects/{PROJECT}/rfis/{rfi['id']}/replies")
    assert sent.headers["Procore-Company-Id"] == COMPANY  # filled from the setting
    assert json.loads(sent.body) == {"reply": {"body": "Footings at grid B go to 1.2 m, per S-201.", "official": True}}
    assert replied["rfi_id"] == rfi["id"] and fake_procore.state.records["rfi_replies"] == [replied]


def test_create_a_punch_item_with_a_photo(installed_package: Path, fake_procore: FakeProcore) -> None:
    photo = base64.b64encode(b"\xff\xd8\xff\xe0cracked-window").decode()

    async def body(client: Client) -> Any:
        project = await _project_named(client, "Harbor View Tower")
        uploaded = await _call(
            client,
            "upload_photo_to_project",
            {"project_id": project, "image_name": "unit-4b-window.jpg",
             "image": {"data": {"content_base64": photo, "filename": "unit-4b-window.jpg"},
                       "description": "Cracked window, unit 4B"}},
        )  # fmt: skip
        item = {"name": "Replace cracked window in unit 4B", "image_ids": [uploaded["id"]], "priority": "high"}
        return uploaded, await _call(client, "create_punch_item", {"project_id": project, "punch_item": item})

    uploaded, created = _run(installed_package, fake_procore, body)
    assert fake_procore.state.uploads[-1]["image[data]"] == (
        "unit-4b-window.jpg",
        b"\xff\xd8\xff\xe0cracked-window",
        "image/jpeg",
    )
    sent = fake_procore.state.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/rest/v1.1/punch_items")
    assert json.loads(sent.body)["punch_item"]["image_ids"] == [uploaded["id"]]
    assert created["name"] == "Replace cracked window in unit 4B" and created["image_ids"] == [uploaded["id"]]


def test_find_a_submittal_and_its_approvers(installed_package: Path, fake_procore: FakeProcore) -> None:
    async def body(client: Client) -> Any:
        project = await _project_named(client, "Harbor View Tower")
        submittals = await _call(client, "list_submittals_in_project", {"project_id": project})
        wanted = next(s for s in submittals["result"] if "Curtain wall" in s["title"])
        return await _call(client, "show_submittal_with_its_approvers", {"project_id": project, "id": wanted["id"]})

    shown = _run(installed_package, fake_procore, body)
    assert fake_procore.state.requests[-1].path == f"/rest/v1.1/projects/{PROJECT}/submittals/3001"
    waiting = [a["user"]["name"] for a in shown["approvers"] if a["response"]["considered"] == "pending"]
    assert waiting == ["Alice Architect"]


def test_record_the_daily_manpower_and_weather(installed_package: Path, fake_procore: FakeProcore) -> None:
    crew = {"date": "2026-12-02", "num_workers": 6, "num_hours": "8", "notes": "Framing crew, level 3"}
    weather = {"date": "2026-12-02", "sky": "Overcast", "temperature": "Cold", "precipitation": "0.3 in",
               "is_weather_delay": 1, "comments": "Rain stopped the pour at 10:00"}  # fmt: skip

    async def body(client: Client) -> Any:
        project = await _project_named(client, "Harbor View Tower")
        manpower = await _call(client, "create_daily_manpower_log", {"project_id": project, "manpower_log": crew})
        logged = await _call(client, "create_daily_weather_log", {"project_id": project, "weather_log": weather})
        return manpower, logged

    manpower, logged = _run(installed_package, fake_procore, body)
    posts = [(r.path, json.loads(r.body)) for r in fake_procore.state.requests if r.method == "POST" and r.body]
    assert (f"/rest/v1.0/projects/{PROJECT}/manpower_logs", {"manpower_log": crew}) in posts
    assert (f"/rest/v1.0/projects/{PROJECT}/weather_logs", {"weather_log": weather}) in posts
    assert manpower["num_workers"] == 6 and logged["precipitation"] == "0.3 in"


def test_list_open_change_events_with_their_amounts(installed_package: Path, fake_procore: FakeProcore) -> None:
    async def body(client: Client) -> Any:
        listed = await _listed(client)
        project = await _project_named(client, "Harbor View Tower")
        found = await _call(client, "search_operations", {"query": "open change events with their amounts"})
        name = found["results"][0]["name"]
        described = await _call(client, "describe_operation", {"name": name})
        called = await _call(client, "call_operation", {"name": name, "arguments": {"project_id": project}})
        return listed, name, described, called

    listed, name, described, called = _run(installed_package, fake_procore, body)
    assert name == "list_change_events_with_amounts" and name not in listed
    assert described["inputSchema"]["required"] == ["project_id"]
    sent = fake_procore.state.requests[-1]
    # The server asks for the configured page size (Procore's own default is 100 records).
    expected_query = [("project_id", str(PROJECT)), ("per_page", "25")]
    assert (sent.method, sent.path, sent.query) == ("GET", "/rest/v1.1/change_events", expected_query)
    open_events = {
        event["title"]: sum(float(item["latest_cost_values"]["amount"]) for item in event["change_items"])
        for event in called["result"]
        if event["status"]["mapped_to_status"] == "open"
    }
    assert open_events == {"Owner adds a canopy": 12500.0, "Extra rebar at grid C": 4250.5}

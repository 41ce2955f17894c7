"""The task benchmark (#25): twelve things people ask of Procore, each as the calls a good agent makes, against
the tests' fake Procore filled like a busy job (hundreds of records, every field filled). Per task: the calls
made, the characters the model reads (the definitions of the tools it used, and every result, search and
description) and whether its answer came out right. Side by side: this server in hybrid mode; the same spec
through FastMCP's `from_openapi`; and a seed-style server, FastMCP's calls with every result cut at 50,000
characters as the seed server cuts them.

    python bench/tasks.py        (`make bench` runs it and adds the table to bench/RESULTS.md)
"""

from __future__ import annotations

import base64
import json
import os
import sys
import tempfile
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import mcp.types as types
from mcp import Client
from mcp.client.stdio import StdioServerParameters

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from tests.support.fake_procore import CLIENT_ID, CLIENT_SECRET, FakeProcore, running_fake_procore  # noqa: E402
from tests.support.procore_records import TODAY, realistic_project, rfis  # noqa: E402

SPEC = ROOT / "specs" / "procore.yaml"
PACKAGE = ROOT / "generated" / "procore-mcp" / "src"
PROJECT = 101
SEED_CUT = 50_000
PAGE = 100
"""The page a FastMCP or seed agent asks for: Procore's largest, the fewest calls."""
PHOTO = base64.b64encode(b"\xff\xd8\xff\xe0 a small jpeg \xff\xd9").decode()


@dataclass
class Reading:
    """What one call gave the model: its text (all of it), the data in it (None where it is no valid JSON)."""

    text: str
    data: Any
    meta: dict[str, Any] | None = None
    error: bool = False


@dataclass
class Tally:
    calls: int = 0
    characters: int = 0
    largest: int = 0
    tools: set[str] = field(default_factory=set)
    asked: int = 0


class Side:
    """One server as an agent meets it: `call` an operation by its operationId, `list` all of a list's records."""

    name = ""

    def __init__(self) -> None:
        self.tally = Tally()

    async def call(self, operation: str, arguments: dict[str, Any]) -> Reading:
        raise NotImplementedError

    async def list(self, operation: str, arguments: dict[str, Any], fields: list[str]) -> list[Any] | None:
        raise NotImplementedError

    def read(self, text: str) -> None:
        self.tally.characters += len(text)
        self.tally.largest = max(self.tally.largest, len(text))


class Ours(Side):
    """This server, hybrid mode: listed tools called by name, the rest found with search_operations, read with
    describe_operation and run with call_operation; `fields` and `max_items` on lists, continuations followed."""

    name = "This server (hybrid)"

    def __init__(self, client: Client, listing: list[types.Tool], names: dict[str, str]) -> None:
        super().__init__()
        self.client = client
        self.definitions = {tool.name: tool for tool in listing}
        self.names = names  # operationId -> tool name

    def define(self, name: str) -> None:
        if name not in self.tally.tools:
            self.tally.tools.add(name)
            tool = self.definitions[name]
            self.read(json.dumps(tool.model_dump(by_alias=True, exclude_none=True, mode="json"), separators=(",", ":")))

    async def _invoke(self, name: str, arguments: dict[str, Any]) -> Reading:
        self.tally.calls += 1
        result = await self.client.call_tool(name, arguments)
        text = "\n".join(str(getattr(block, "text", "")) for block in result.content)
        self.read(text)
        return Reading(text, result.structured_content, result.meta, result.is_error)

    async def call(self, operation: str, arguments: dict[str, Any]) -> Reading:
        name = self.names[operation]
        if name in self.definitions:
            self.define(name)
            return await self._invoke(name, arguments)
        for meta in ("search_operations", "describe_operation", "call_operation"):
            self.define(meta)
        if name not in self.tally.tools:  # found and read once, then called
            self.tally.tools.add(name)
            found = await self._invoke("search_operations", {"query": name.replace("_", " "), "limit": 5})
            assert name in found.text, f"search did not find {name}"
            await self._invoke("describe_operation", {"name": name})
        return await self._invoke("call_operation", {"name": name, "arguments": arguments})

    async def list(self, operation: str, arguments: dict[str, Any], fields: list[str]) -> list[Any] | None:
        records: list[Any] = []
        asked: dict[str, Any] | None = {**arguments, "fields": fields, "max_items": 1000}
        while asked is not None:
            reading = await self.call(operation, asked)
            if reading.error or not isinstance(reading.data, dict):
                return None
            records += reading.data.get("result", [])
            follow = (reading.meta or {}).get("continuation")
            asked = {**follow["arguments"]} if follow else None
        return records


class FastMcp(Side):
    """FastMCP's from_openapi on the same spec: a tool per operation named by its operationId, flat arguments;
    the agent pages with the largest page Procore serves."""

    name = "FastMCP from_openapi"

    def __init__(self, client: Any, listing: list[Any], cut: int | None = None) -> None:
        super().__init__()
        self.client = client
        self.definitions = {tool.name: tool for tool in listing}
        self.cut = cut
        if cut:
            self.name = f"Seed-style ({cut:,}-character cut)"

    async def call(self, operation: str, arguments: dict[str, Any]) -> Reading:
        if operation not in self.tally.tools:
            self.tally.tools.add(operation)
            self.read(json.dumps(self.definitions[operation].to_mcp_tool().model_dump(
                by_alias=True, exclude_none=True, mode="json"), separators=(",", ":")))  # fmt: skip
        flat = {"Procore-Company-Id": 1}
        for key, value in arguments.items():
            if key == "filters":
                flat.update({f"filters[{k}]": v for k, v in value.items()})
            else:
                flat[key] = value
        self.tally.calls += 1
        try:
            result = await self.client.call_tool(operation, flat, raise_on_error=False)
        except Exception as exc:  # a tool that cannot even be called counts as a failed step
            text = f"{type(exc).__name__}: {exc}"
            self.read(text)
            return Reading(text, None, error=True)
        text = "\n".join(str(getattr(block, "text", "")) for block in result.content)
        if self.cut and len(text) > self.cut:
            text = text[: self.cut]
        self.read(text)
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict) and set(data) == {"result"}:
            data = data["result"]
        return Reading(text, data, error=bool(result.is_error))

    async def list(self, operation: str, arguments: dict[str, Any], fields: list[str]) -> list[Any] | None:
        records: list[Any] = []
        page = 1
        while True:
            reading = await self.call(operation, {**arguments, "per_page": PAGE, "page": page})
            if reading.error or not isinstance(reading.data, list):
                return None
            records += reading.data
            if len(reading.data) < PAGE:
                return records
            page += 1


# -- the tasks -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Task:
    name: str
    listing: bool
    """A list-heavy task (the target: at most a quarter of FastMCP's characters)."""
    run: Callable[[Side], Awaitable[Any]]
    truth: Callable[[FakeProcore], Any]


def _names(people: Any) -> tuple[str, ...]:
    return tuple(sorted(str(p.get("name")) for p in people or [] if isinstance(p, dict)))


async def overdue_rfis(side: Side) -> Any:
    found = await side.list("listRfis", {"project_id": PROJECT, "filters": {"status": "open"}},
                            ["number", "due_date", "ball_in_court.name"])  # fmt: skip
    return None if found is None else sorted((r["number"], _names(r["ball_in_court"])) for r in found
                                              if r["due_date"] < TODAY)  # fmt: skip


def overdue_truth(fake: FakeProcore) -> Any:
    return sorted((r["number"], _names(r["ball_in_court"])) for r in fake.state.rfis
                  if r["status"] == "open" and r["due_date"] < TODAY)  # fmt: skip


async def manpower_today(side: Side) -> Any:
    found = await side.list("listManpowerLogs", {"project_id": PROJECT, "log_date": TODAY},
                            ["vendor.name", "num_workers"])  # fmt: skip
    if found is None:
        return None
    totals: Counter[str] = Counter()
    for entry in found:
        totals[entry["vendor"]["name"]] += int(entry["num_workers"])
    return dict(sorted(totals.items()))


def manpower_truth(fake: FakeProcore) -> Any:
    totals: Counter[str] = Counter()
    for entry in fake.state.records["manpower_logs"]:
        if entry["date"] == TODAY:
            totals[entry["vendor"]["name"]] += entry["num_workers"]
    return dict(sorted(totals.items()))


async def punch_by_trade(side: Side) -> Any:
    found = await side.list("listPunchItems", {"project_id": PROJECT, "filters": {"status": "open"}}, ["trade.name"])
    return None if found is None else dict(sorted(Counter(r["trade"]["name"] for r in found).items()))


def punch_truth(fake: FakeProcore) -> Any:
    open_items = [r for r in fake.state.records["punch_items"] if r["status"] == "Open"]
    return dict(sorted(Counter(r["trade"]["name"] for r in open_items).items()))


async def submittals_waiting(side: Side) -> Any:
    found = await side.list("listSubmittals", {"project_id": PROJECT, "filters": {"status_id": [1]}},
                            ["formatted_number", "ball_in_court.name"])  # fmt: skip
    return None if found is None else sorted((r["formatted_number"], _names(r["ball_in_court"])) for r in found
                                             if r["ball_in_court"])  # fmt: skip


def submittals_truth(fake: FakeProcore) -> Any:
    return sorted((r["formatted_number"], _names(r["ball_in_court"])) for r in fake.state.records["submittals"]
                  if r["status"]["id"] == 1 and r["ball_in_court"])  # fmt: skip


async def change_event_amounts(side: Side) -> Any:
    wanted = ["number", "status.mapped_to_status", "change_items.latest_cost_values.amount"]
    found = await side.list("listChangeEventsWithAmounts", {"project_id": PROJECT}, wanted)
    return None if found is None else _open_amounts(found)


def _open_amounts(events: list[Any]) -> Any:
    chosen = [e for e in events if e["status"]["mapped_to_status"] == "open"]
    total = sum(float(i["latest_cost_values"]["amount"]) for e in chosen for i in e["change_items"])
    return len(chosen), round(total, 2)


def change_event_truth(fake: FakeProcore) -> Any:
    return _open_amounts(fake.state.records["change_events"])


async def photo_to_punch_item(side: Side) -> Any:
    image = {"data": {"content_base64": PHOTO, "filename": "cracked-tile.jpg"}, "description": "Cracked tile"}
    uploaded = await side.call("createImage", {"project_id": PROJECT, "image_name": "cracked-tile.jpg", "image": image})
    if uploaded.error or not isinstance(uploaded.data, dict) or "id" not in uploaded.data:
        return None
    changed = await side.call("updatePunchItem", {"project_id": PROJECT, "id": 20007,
                                                  "punch_item": {"image_ids": [uploaded.data["id"]]}})  # fmt: skip
    return None if changed.error else "attached"


def photo_truth(fake: FakeProcore) -> Any:
    item = next(r for r in fake.state.records["punch_items"] if r["id"] == 20007)
    return "attached" if item.get("image_ids") and fake.state.uploads else "missing"


async def delete_duplicate(side: Side) -> Any:
    found = await side.list("listPunchItems", {"project_id": PROJECT}, ["id", "name"])
    duplicate = next((r for r in found or [] if r["name"].startswith("Duplicate:")), None)
    if duplicate is None:
        return None
    deleted = await side.call("deletePunchItem", {"project_id": PROJECT, "id": duplicate["id"]})
    return None if deleted.error else "deleted"


def delete_truth(fake: FakeProcore) -> Any:
    gone = not any(r["name"].startswith("Duplicate:") for r in fake.state.records["punch_items"])
    return "deleted" if gone else "still there"


async def read_an_rfi(side: Side) -> Any:
    arguments = {"project_id": PROJECT, "id": 1042}
    if isinstance(side, Ours):
        arguments["fields"] = ["subject", "questions.body", "questions.answers.body"]
    shown = await side.call("showRfi", arguments)
    if not isinstance(shown.data, dict):
        return None
    question = shown.data["questions"][0]
    return question["body"], question["answers"][0]["body"]


def read_truth(fake: FakeProcore) -> Any:
    question = next(r for r in fake.state.rfis if r["id"] == 1042)["questions"][0]
    return question["body"], question["answers"][0]["body"]


async def draft_an_rfi(side: Side) -> Any:
    draft = {
        "subject": "Embed plate spacing at grid C",
        "rfi_manager_id": 701,
        "question": {"body": "The shop drawings show 600 mm; the structural details 450 mm. Which governs?"},
    }
    created = await side.call("createRfi", {"project_id": PROJECT, "rfi": draft})
    return None if created.error else "created"


def draft_truth(fake: FakeProcore) -> Any:
    return "created" if any(r["subject"] == "Embed plate spacing at grid C" for r in fake.state.rfis) else "none"


async def log_weather(side: Side) -> Any:
    entry = {"date": TODAY, "sky": "Overcast", "temperature": "Cool", "precipitation": "Drizzle",
             "comments": "Light drizzle until 10:00; pour moved to the afternoon."}  # fmt: skip
    logged = await side.call("createWeatherLog", {"project_id": PROJECT, "weather_log": entry})
    return None if logged.error else "logged"


def weather_truth(fake: FakeProcore) -> Any:
    return "logged" if any(r.get("date") == TODAY for r in fake.state.records["weather_logs"]) else "none"


async def find_a_project(side: Side) -> Any:
    found = await side.list("listProjects", {"company_id": 1}, ["id", "name"])
    return None if found is None else next((r["id"] for r in found if r["name"] == "Riverside Lofts"), None)


def project_truth(fake: FakeProcore) -> Any:
    return next(r["id"] for r in fake.state.records["projects"] if r["name"] == "Riverside Lofts")


async def vendor_contacts(side: Side) -> Any:
    found = await side.list("listProjectUsers", {"project_id": PROJECT, "filters": {"vendor_id": [90]}},
                            ["name", "email_address"])  # fmt: skip
    return None if found is None else sorted((r["name"], r["email_address"]) for r in found)


def contacts_truth(fake: FakeProcore) -> Any:
    return sorted((r["name"], r["email_address"]) for r in fake.state.records["project_users"]
                  if r["vendor"]["id"] == 90)  # fmt: skip


TASKS = [
    Task("Overdue RFIs and who holds the ball", True, overdue_rfis, overdue_truth),
    Task("Today's manpower by vendor", True, manpower_today, manpower_truth),
    Task("Open punch items by trade", True, punch_by_trade, punch_truth),
    Task("Submittals waiting on a reviewer", True, submittals_waiting, submittals_truth),
    Task("Open change events with their amounts", True, change_event_amounts, change_event_truth),
    Task("A duplicate punch item deleted (after confirmation)", True, delete_duplicate, delete_truth),
    Task("A project's ID from its name", True, find_a_project, project_truth),
    Task("A subcontractor's people and their e-mails", True, vendor_contacts, contacts_truth),
    Task("A photo added to a punch item", False, photo_to_punch_item, photo_truth),
    Task("The question and answer of one RFI", False, read_an_rfi, read_truth),
    Task("An RFI drafted from notes", False, draft_an_rfi, draft_truth),
    Task("Today's weather logged", False, log_weather, weather_truth),
]


# -- running -----------------------------------------------------------------------------------------------------


def _fill(fake: FakeProcore) -> None:
    """The busy job every side starts from (each side gets its own fake)."""
    fake.state.records.update(realistic_project())
    fake.state.records["punch_items"].append(
        {**fake.state.records["punch_items"][5], "id": 29999, "name": "Duplicate: touch up paint at Level 2"}
    )
    fake.state.rfis.extend(rfis(300))
    fake.state.records["weather_logs"] = []


@dataclass
class Outcome:
    side: str
    task: str
    calls: int
    characters: int
    largest: int
    ok: bool
    asked: int = 0


async def _accept(context: Any, params: Any) -> types.ElicitResult:
    _accept.asked += 1  # type: ignore[attr-defined]
    return types.ElicitResult(action="accept")


_accept.asked = 0  # type: ignore[attr-defined]


async def _ours(task: Task, fake: FakeProcore, folder: Path) -> Outcome:
    environment = {
        "PYTHONPATH": str(PACKAGE), "PATH": os.environ.get("PATH", ""), "PROCORE_BASE_URL": fake.url,
        "PROCORE_LOGIN_URL": fake.url, "PROCORE_CLIENT_ID": CLIENT_ID, "PROCORE_CLIENT_SECRET": CLIENT_SECRET,
        "PROCORE_COMPANY_ID": "1", "PROCORE_TOKEN_FILE": str(folder / f"tokens-{fake.url[-5:]}.json"),
    }  # fmt: skip
    params = StdioServerParameters(command=sys.executable, args=["-m", "procore_mcp"], env=environment)
    tools = json.loads((PACKAGE / "procore_mcp" / "tools.json").read_text())["tools"]
    names = {t["binding"]["operationId"]: t["definition"]["name"] for t in tools if "operationId" in t["binding"]}
    _accept.asked = 0  # type: ignore[attr-defined]
    async with Client(params, elicitation_callback=_accept) as client:
        side = Ours(client, (await client.list_tools()).tools, names)
        answer = await task.run(side)
    tally = side.tally
    asked = _accept.asked  # type: ignore[attr-defined]
    return Outcome(
        side.name, task.name, tally.calls, tally.characters, tally.largest, answer == task.truth(fake), asked
    )


async def _theirs(task: Task, fake: FakeProcore, cut: int | None) -> Outcome:
    from fastmcp import Client as FastMcpClient
    from fastmcp_server import build

    token = fake.state.issue()["access_token"]
    server = build(str(SPEC), fake.url, token)
    async with FastMcpClient(server) as client:
        side = FastMcp(client, await server.list_tools(), cut)
        answer = await task.run(side)
    tally = side.tally
    return Outcome(side.name, task.name, tally.calls, tally.characters, tally.largest, answer == task.truth(fake))


def run() -> list[Outcome]:
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory() as folder:
        for task in TASKS:
            for side in ("ours", "fastmcp", "seed"):
                with running_fake_procore() as fake:
                    _fill(fake)
                    if side == "ours":
                        outcomes.append(anyio.run(_ours, task, fake, Path(folder)))
                    else:
                        outcomes.append(anyio.run(_theirs, task, fake, SEED_CUT if side == "seed" else None))
    return outcomes


def table(outcomes: list[Outcome] | None = None) -> list[str]:
    """The Markdown table for bench/RESULTS.md."""
    outcomes = outcomes if outcomes is not None else run()
    by = {(o.side, o.task): o for o in outcomes}
    ours, fast, seed = "This server (hybrid)", "FastMCP from_openapi", f"Seed-style ({SEED_CUT:,}-character cut)"
    lines = [
        "",
        "## Tasks: what an agent reads to get a job done",
        "",
        "`bench/tasks.py`: each task is the calls a good agent makes, against the tests' fake Procore filled like a",
        "busy job (300 RFIs of about 3 KB, 250 punch items, 200 manpower entries and submittals, 150 change",
        "events, 120 people, 40 projects; every field filled). Characters are what the model reads: the",
        "definitions of the tools it used (searches and descriptions too, for operations reached through the",
        "catalog) and every result. This server uses `fields`, `max_items` and follows continuations; the FastMCP",
        "agent pages with Procore's largest page (100); the seed-style side makes FastMCP's calls with each result",
        f"cut at {SEED_CUT:,} characters. A task succeeds when its answer equals the one computed from the data.",
        "",
        "| Task | List-heavy | Ours: calls | Ours: characters | Ours: ok | FastMCP: calls | FastMCP: characters "
        "| FastMCP: ok | Seed: calls | Seed: characters | Seed: ok | Ours / FastMCP |",
        "| --- | --- |" + " ---: | ---: | --- |" * 3 + " ---: |",
    ]
    for task in TASKS:
        a, b, c = by[(ours, task.name)], by[(fast, task.name)], by[(seed, task.name)]
        ratio = f"{a.characters / b.characters:.2f}x" if b.characters else "n/a"
        asked = " (asked)" if a.asked else ""
        lines.append(
            f"| {task.name} | {'yes' if task.listing else 'no'} | {a.calls} | {a.characters:,} | "
            f"{'yes' if a.ok else 'NO'}{asked} | {b.calls} | {b.characters:,} | {'yes' if b.ok else 'NO'} | "
            f"{c.calls} | {c.characters:,} | {'yes' if c.ok else 'NO'} | {ratio} |"
        )
    heavy = [t for t in TASKS if t.listing]
    worst = max(by[(ours, t.name)].characters / max(by[(fast, t.name)].characters, 1) for t in heavy)
    largest = max(o.largest for o in outcomes if o.side == ours)
    succeeded = {side: sum(by[(side, t.name)].ok for t in TASKS) for side in (ours, fast, seed)}
    lines += [
        "",
        f"Succeeded: this server {succeeded[ours]} of {len(TASKS)}, FastMCP {succeeded[fast]}, seed-style "
        f"{succeeded[seed]}. List-heavy tasks: this server reads at most {worst:.2f}x FastMCP's characters "
        f"(target 0.25x). Largest single result of this server: {largest:,} characters (budget 40,000).",
    ]
    return lines


if __name__ == "__main__":
    print("\n".join(table()))

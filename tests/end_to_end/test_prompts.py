"""Prompts through the official MCP client: the installed Procore server lists its four everyday prompts and fills
one with the caller's words as plain text, over stdio and streamable HTTP, in both protocol eras; bad requests are
MCP errors; a package whose config has no prompts does not offer the capability at all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mcp.types as types
import pytest
from mcp import Client
from mcp.shared.exceptions import MCPError

from generator.pipeline import generate
from generator.write import write_tree
from tests.conftest import ROOT
from tests.end_to_end.conftest import run_package, run_session
from tests.support.fake_procore import FakeProcore

PROMPTS = {
    "draft_rfi_from_notes": ("Draft an RFI from Notes", ["project", "notes", "due_date"]),
    "daily_log_from_foreman_text": ("Daily Log Entries from a Foreman's Text", ["project", "message", "date"]),
    "weekly_owner_report": ("Weekly Owner Report from the Daily Logs", ["project", "week_ending"]),
    "overdue_rfis_ball_in_court": ("Overdue RFIs and Who Holds the Ball", ["project", "as_of"]),
}
BRACES = "Tower {as_of} {0.__class__} {{notes}} }{"


async def _prompts(client: Client) -> dict[str, Any]:
    listed = await client.list_prompts()
    overdue = await client.get_prompt("overdue_rfis_ball_in_court", {"project": BRACES})
    rfi = await client.get_prompt("draft_rfi_from_notes", {"project": "42", "notes": "Beam at C/4 hits the duct."})
    refused = []
    for name, arguments in (
        ("draft_rfi_from_notes", {"project": "42"}),
        ("overdue_rfis_ball_in_court", {"project": "42", "colour": "red"}),
        ("order_pizza", {"project": "42"}),
    ):
        try:
            await client.get_prompt(name, arguments)
        except MCPError as exc:
            refused.append((exc.error.code, exc.error.message))
    return {
        "capability": client.server_capabilities.prompts,
        "listed": listed.prompts,
        "overdue": overdue,
        "rfi": rfi,
        "refused": refused,
    }


@pytest.mark.parametrize(("transport", "era"), [("stdio", "auto"), ("http", "auto"), ("stdio", "legacy")])
def test_procore_lists_its_prompts_and_fills_one_with_plain_text(
    installed_package: Path, fake_procore: FakeProcore, transport: str, era: str
) -> None:
    seen = run_session(installed_package, fake_procore, _prompts, transport, era)
    assert seen["capability"] is not None
    listed = {prompt.name: prompt for prompt in seen["listed"]}
    assert {name: (p.title, [a.name for a in p.arguments or []]) for name, p in listed.items()} == PROMPTS
    for prompt in listed.values():
        arguments = prompt.arguments or []
        assert prompt.description and all(argument.description for argument in arguments)
        assert arguments[0].required is True  # the project, always
    assert [a.required for a in listed["draft_rfi_from_notes"].arguments or []] == [True, True, False]

    overdue: types.GetPromptResult = seen["overdue"]
    (message,) = overdue.messages
    assert message.role == "user" and isinstance(message.content, types.TextContent)
    text = message.content.text
    assert f'the Procore project "{BRACES}".' in text, "the caller's braces come out as they went in"
    assert "Date to measure lateness from: (not given)." in text
    assert text.endswith("\n\nTools to use: list_projects_in_company, list_rfis_in_project, show_rfi.")

    rfi_text = seen["rfi"].messages[0].content.text
    assert "---\nBeam at C/4 hits the duct.\n---" in rfi_text and "{" not in rfi_text
    # The published hybrid mode lists some of a prompt's tools; the rest are reached through call_operation.
    assert rfi_text.rsplit("\n", 1)[1] == (
        "Tools to use: list_projects_in_company, list_rfis_in_project, list_locations_in_project, create_rfi; and, "
        "through call_operation, by name (describe_operation shows their arguments): "
        "list_people_who_can_be_assigned_rfis."
    )

    missing, unknown_argument, unknown_prompt = seen["refused"]
    assert missing == (
        types.INVALID_PARAMS,
        "Prompt 'draft_rfi_from_notes': missing required argument 'notes' (it takes: project, notes, due_date).",
    )
    assert unknown_argument[0] == types.INVALID_PARAMS and "no argument named 'colour'" in unknown_argument[1]
    assert unknown_prompt[0] == types.INVALID_PARAMS and unknown_prompt[1].startswith("Unknown prompt 'order_pizza'")


def test_static_mode_names_every_tool_of_a_prompt_directly(installed_package: Path, fake_procore: FakeProcore) -> None:
    async def body(client: Client) -> Any:
        return await client.get_prompt("draft_rfi_from_notes", {"project": "42", "notes": "n"})

    got = run_session(installed_package, fake_procore, body, PROCORE_MODE="static")
    assert got.messages[0].content.text.rsplit("\n", 1)[1] == (
        "Tools to use: list_projects_in_company, list_rfis_in_project, list_people_who_can_be_assigned_rfis, "
        "list_locations_in_project, create_rfi."
    )


def test_a_package_without_prompts_does_not_offer_them(tmp_path: Path) -> None:
    generation = generate(ROOT / "tests" / "fixtures" / "specs" / "orders.yaml")
    write_tree(tmp_path / "pkg", generation.files)
    package = (tmp_path / "pkg" / "src", generation.api.config.package_name, generation.api.config.env_prefix)

    async def body(client: Client) -> Any:
        try:
            await client.list_prompts()
        except MCPError as exc:
            return client.server_capabilities.prompts, exc.error.code
        return client.server_capabilities.prompts, None

    capability, code = run_package(package, {"BASE_URL": "http://127.0.0.1:9"}, body)
    assert capability is None
    assert code == types.METHOD_NOT_FOUND

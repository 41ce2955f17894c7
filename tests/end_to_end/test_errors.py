"""Errors that say why and what next, through the official client against the fake Procore: each status mapped
to a cause and a next step, Procore's own hints picked by the words of its error, the fields a 422 refused, and a
write that failed on the way reported as possibly applied, never sent twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mcp import Client

from tests.end_to_end.conftest import run_session, with_client_credentials
from tests.support.fake_procore import FakeProcore

SHOW = "show_rfi"
CALL = {"project_id": 7, "id": 99, "procore_company_id": 1}


def _text(result: Any) -> str:
    assert result.is_error is True
    return str(result.content[0].text)


def test_each_error_class_says_why_and_what_next(installed_package: Path, fake_procore: FakeProcore) -> None:
    scripted: list[Any] = [
        (403, {}, {"errors": "This application is not installed in the company"}),
        (403, {}, {"errors": "You do not have access to this project"}),
        (403, {}, {"errors": "Forbidden"}),
        (400, {}, {"errors": "Procore-Company-Id header is missing"}),
        (404, {}, {"errors": "Not Found"}),
        (409, {}, {"errors": "Record was changed by another user"}),
        (422, {}, {"errors": {"subject": ["can't be blank"], "due_date": ["must be on or after today"]}}),
        (429, {"Retry-After": "120"}, {"errors": "Too many requests"}),
    ]

    async def body(client: Client) -> list[Any]:
        await client.call_tool("list_rfis_in_project", {"project_id": 7, "procore_company_id": 1})  # signs in
        fake_procore.state.failures.extend(scripted)
        return [await client.call_tool(SHOW, CALL) for _ in scripted]

    results = run_session(installed_package, fake_procore, body, **with_client_credentials())
    texts = [_text(result) for result in results]
    installed, project, forbidden, header, missing, conflict, refused, limited = texts
    assert installed.startswith("HTTP 403 Forbidden: This application is not installed in the company. ")
    assert "The app is not installed in this company: a company admin installs it" in installed
    assert "not on the service account's permitted list: a company admin adds it" in project
    assert "one of three things" in forbidden and "lacks permission on that tool" in forbidden
    assert "The company header is missing" in header and "PROCORE_COMPANY_ID" in header
    assert "check the IDs in the call (`project_id`=7, `id`=99)" in missing and "recycle bin" in missing
    assert "conflicts with the record's current state" in conflict and "read it again" in conflict
    assert "Fields refused: `subject`: can't be blank; `due_date`: must be on or after today." in refused
    assert results[6].meta["error"] == {
        "status": 422, "fields": ["`subject`: can't be blank", "`due_date`: must be on or after today"]
    }  # fmt: skip
    assert "Rate limited; retry in 120 seconds." in limited


def test_a_write_that_failed_on_the_way_is_never_sent_again(installed_package: Path, fake_procore: FakeProcore) -> None:
    draft = {"subject": "Embed plates at grid C", "question": {"body": "Which spacing governs?"}, "rfi_manager_id": 7}
    rfi = {"project_id": 7, "procore_company_id": 1, "rfi": draft}

    async def body(client: Client) -> list[Any]:
        await client.call_tool("list_rfis_in_project", {"project_id": 7, "procore_company_id": 1})  # signs in
        fake_procore.state.failures.append((500, {}, {"errors": "Internal error"}))
        failed = await client.call_tool("create_rfi", rfi)
        fake_procore.state.delay_seconds = 1.5
        timed_out = await client.call_tool("create_rfi", rfi)
        fake_procore.state.delay_seconds = 0
        fake_procore.state.failures.append((500, {}, {"errors": "Internal error"}))
        read = await client.call_tool(SHOW, CALL)
        return [failed, timed_out, read]

    environment = with_client_credentials(PROCORE_TIMEOUT="0.5")
    failed, timed_out, read = run_session(installed_package, fake_procore, body, **environment)
    posts = [r for r in fake_procore.state.requests if r.method == "POST" and r.path.endswith("/rfis")]
    assert len(posts) == 2, "each write went out once: no retry after a 500 or a timeout"
    assert "This request changes data and was not retried: it may have been applied" in _text(failed)
    assert "timed out. The request changes data and was not retried: it may have been applied" in _text(timed_out)
    assert _text(read).startswith("HTTP 404"), "the read was retried past its 500"
    shows = [r for r in fake_procore.state.requests if r.path.endswith("/rfis/99")]
    assert len(shows) == 2, "the 500 on a read was retried (then the RFI was not found)"

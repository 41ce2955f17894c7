"""Writes confirmed, through the official client against the fake Procore: a delete waits for the user, asked by
form elicitation on the handshake era and by the input-required round trip on 2026-07-28, over stdio and HTTP;
declined or dismissed, nothing is sent; a client that cannot ask is refused unless the owner says to send."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import mcp.types as types
import pytest
from mcp import Client

from tests.end_to_end.conftest import run_session, with_client_credentials
from tests.support.fake_procore import FakeProcore

DELETE = "delete_punch_item"
ITEM = {"id": 9101, "project_id": 101, "name": "Cracked tile at the lobby entrance", "status": "open"}


class Answering:
    """An elicitation callback that gives one answer and remembers what it was asked."""

    def __init__(self, action: str) -> None:
        self.action = action
        self.asked: list[str] = []

    async def __call__(self, context: Any, params: Any) -> types.ElicitResult:
        self.asked.append(str(params.message))
        return types.ElicitResult(action=self.action)  # type: ignore[arg-type]


def _deletes(fake: FakeProcore) -> int:
    return sum(1 for r in fake.state.requests if r.method == "DELETE")


def _delete(arguments: dict[str, Any]) -> Any:
    async def body(client: Client) -> Any:
        return await client.call_tool(DELETE, arguments)

    return body


CALL = {"id": ITEM["id"], "project_id": 101, "procore_company_id": 1}


@pytest.mark.parametrize("transport", ["stdio", "http"])
@pytest.mark.parametrize("era", ["auto", "legacy"])
def test_a_delete_waits_for_the_user_in_both_eras(
    installed_package: Path, fake_procore: FakeProcore, transport: str, era: str
) -> None:
    fake_procore.state.records["punch_items"].append(dict(ITEM))
    for action, sent in (("decline", 0), ("cancel", 0), ("accept", 1)):
        answer = Answering(action)
        result = run_session(
            installed_package, fake_procore, _delete(CALL), transport, era, answer, **with_client_credentials()
        )
        assert len(answer.asked) == 1, "asked exactly once"
        assert "Allow Delete a Punch Item (`delete_punch_item`)? It deletes data." in answer.asked[0]
        assert "DELETE /rest/v1.1/punch_items/9101" in answer.asked[0]
        assert _deletes(fake_procore) == sent, action
        if action == "accept":
            assert result.is_error is False and fake_procore.state.records["punch_items"] == []
        else:
            assert result.is_error is True and "Nothing was changed" in result.content[0].text


def test_a_client_that_cannot_ask_is_refused_unless_the_owner_says_send(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    fake_procore.state.records["punch_items"].append(dict(ITEM))
    refused = run_session(installed_package, fake_procore, _delete(CALL), **with_client_credentials())
    assert refused.is_error is True and _deletes(fake_procore) == 0
    text = refused.content[0].text
    assert "cannot ask for (it does not support elicitation)" in text and "PROCORE_UNCONFIRMABLE=send" in text
    legacy = run_session(installed_package, fake_procore, _delete(CALL), "stdio", "legacy", **with_client_credentials())
    assert legacy.is_error is True and _deletes(fake_procore) == 0
    sent = run_session(
        installed_package, fake_procore, _delete(CALL), **with_client_credentials(PROCORE_UNCONFIRMABLE="send")
    )
    assert sent.is_error is False and _deletes(fake_procore) == 1


def test_every_write_asks_when_the_owner_says_so_and_reads_never_do(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    answer = Answering("decline")

    async def body(client: Client) -> Any:
        created = await client.call_tool(
            "create_punch_item", {"project_id": 101, "procore_company_id": 1, "punch_item": {"name": "Gap"}}
        )
        listed = await client.call_tool("list_rfis_in_project", {"project_id": 7, "procore_company_id": 1})
        return created, listed

    created, listed = run_session(
        installed_package,
        fake_procore,
        body,
        "stdio",
        "auto",
        answer,
        **with_client_credentials(PROCORE_CONFIRM="writes"),
    )
    assert created.is_error is True and "the user declined `create_punch_item`" in created.content[0].text
    assert listed.is_error is False and len(answer.asked) == 1
    assert not [r for r in fake_procore.state.requests if r.method == "POST" and r.path.startswith("/rest/")]


def test_an_answer_for_other_arguments_confirms_nothing(installed_package: Path, fake_procore: FakeProcore) -> None:
    fake_procore.state.records["punch_items"].append(dict(ITEM))

    async def body(client: Client) -> Any:
        first = await client.session.call_tool(DELETE, CALL, allow_input_required=True)
        assert isinstance(first, types.InputRequiredResult)
        accepted = {"confirm": types.ElicitResult(action="accept")}
        other = {**CALL, "id": 9102}
        swapped = await client.session.call_tool(
            DELETE, other, input_responses=accepted, request_state=first.request_state, allow_input_required=True
        )
        return first, swapped

    first, swapped = run_session(
        installed_package, fake_procore, body, "stdio", "2026-07-28", Answering("accept"), **with_client_credentials()
    )
    assert isinstance(swapped, types.InputRequiredResult), "asked again: the answer was for another record"
    assert swapped.request_state != first.request_state and _deletes(fake_procore) == 0

"""Faults: each ends in a tool error that says what happened and what to do; the server keeps serving and
no refresh token is lost."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from mcp import Client

from tests.conftest import HYBRID_LISTED
from tests.end_to_end.conftest import run_session, server_environment, with_client_credentials
from tests.support.fake_procore import FakeProcore

ME = "show_signed_in_user"


def _twice(name: str, arguments: dict[str, Any]) -> Any:
    """Call, then list tools: the second proves the server survived the first."""

    async def body(client: Client) -> Any:
        result = await client.call_tool(name, arguments)
        listed = await client.list_tools()
        return result, listed

    return body


def _token_file(installed: Path, fake: FakeProcore) -> Path:
    return Path(server_environment(installed, fake)["PROCORE_TOKEN_FILE"])


def _failed(installed: Path, fake: FakeProcore, **environment: str) -> str:
    result, listed = run_session(installed, fake, _twice(ME, {}), **with_client_credentials(**environment))
    assert result.is_error is True, result.content
    assert len(listed.tools) == HYBRID_LISTED
    return str(result.content[0].text)


def test_connection_refused(installed_package: Path, fake_procore: FakeProcore) -> None:
    fake_procore.state.issue()
    text = _failed(installed_package, fake_procore, PROCORE_BASE_URL="http://127.0.0.1:9", PROCORE_MAX_RETRIES="1")
    assert "failed before a response arrived" in text and "Check the network and the base URL" in text


def test_name_resolution_failure(installed_package: Path, fake_procore: FakeProcore) -> None:
    text = _failed(
        installed_package, fake_procore, PROCORE_BASE_URL="http://no-such-host.invalid", PROCORE_MAX_RETRIES="0"
    )
    assert "failed before a response arrived" in text


def test_500_storm_ends_after_bounded_retries(installed_package: Path, fake_procore: FakeProcore) -> None:
    fake_procore.state.failures += [(500, {})] * 10
    text = _failed(installed_package, fake_procore, PROCORE_MAX_RETRIES="2")
    assert text.startswith("HTTP 500 Internal Server Error: scripted failure 500")
    assert [r.path for r in fake_procore.state.requests].count("/rest/v1.0/me") == 3


def test_malformed_json(installed_package: Path, fake_procore: FakeProcore) -> None:
    fake_procore.state.raw_body = b'{"id": 42, "login": '
    assert "malformed JSON" in _failed(installed_package, fake_procore)


def test_a_50_mb_response_is_refused_explicitly(installed_package: Path, fake_procore: FakeProcore) -> None:
    fake_procore.state.raw_body = json.dumps({"id": 1, "login": "x" * 50_000_000, "name": "n"}).encode()
    text = _failed(installed_package, fake_procore)
    assert "the response is over 8,388,608 bytes, far over PROCORE_RESPONSE_BUDGET, and was not read" in text
    assert len(text) < 1_000


def test_token_endpoint_down(installed_package: Path, fake_procore: FakeProcore) -> None:
    fake_procore.state.token_endpoint_status = 503
    text = _failed(installed_package, fake_procore)
    assert text.startswith("Authentication failed: The token endpoint answered HTTP 503; try again shortly.")


def test_token_file_corrupt(installed_package: Path, fake_procore: FakeProcore) -> None:
    _token_file(installed_package, fake_procore).write_text("{not json")
    text = _failed(installed_package, fake_procore)
    assert "is damaged. Delete it, then sign in again" in text


def test_token_file_unreadable(installed_package: Path, fake_procore: FakeProcore) -> None:
    """A folder where the token file should be: unreadable for anyone, root included (chmod would not stop root)."""
    token_file = _token_file(installed_package, fake_procore)
    token_file.mkdir()
    try:
        text = _failed(installed_package, fake_procore)
    finally:
        token_file.rmdir()
    assert "Cannot read the token file" in text and "Fix its permissions" in text


def test_token_file_unwritable(installed_package: Path, fake_procore: FakeProcore, tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the token folder should be")
    text = _failed(installed_package, fake_procore, PROCORE_TOKEN_FILE=str(blocker / "tokens.json"))
    assert "Cannot write the token file" in text and "PROCORE_TOKEN_FILE" in text


def test_a_rotated_refresh_token_is_on_disk_before_it_is_used(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    """Kill the server right after a refresh: the file already holds the new pair, so nothing is lost."""
    old = fake_procore.state.issue()
    token_file = _token_file(installed_package, fake_procore)
    token_file.write_text(json.dumps({**old, "expires_at": time.time() - 1}))
    fake_procore.state.delay_seconds = 30  # the API call after the refresh hangs: the test ends the server

    async def body(client: Client) -> Any:
        import anyio

        with anyio.move_on_after(3):
            await client.call_tool(ME, {})

    run_session(installed_package, fake_procore, body, **with_client_credentials())
    fake_procore.state.delay_seconds = 0
    stored = json.loads(token_file.read_text())
    assert stored["refresh_token"] in fake_procore.state.refresh_tokens  # still valid at the API
    result, _ = run_session(installed_package, fake_procore, _twice(ME, {}), **with_client_credentials())
    assert result.is_error is False, result.content

"""The installed generated server, started over stdio by the official MCP client, against the fake Procore."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import jsonschema
from mcp import Client

from tests.conftest import HYBRID_LISTED, OPERATIONS
from tests.end_to_end.conftest import run_session, server_environment, with_client_credentials
from tests.support.fake_procore import CLIENT_ID, CLIENT_SECRET, FakeProcore

TOKEN_TOOL = "get_or_refresh_access_token"


def test_lists_every_generated_tool_with_schemas(installed_package: Path, fake_procore: FakeProcore) -> None:
    async def body(client: Client) -> Any:
        return await client.list_tools()

    listed = run_session(installed_package, fake_procore, body, PROCORE_MODE="static")
    names = [tool.name for tool in listed.tools]
    assert names[:3] == [TOKEN_TOOL, "show_access_token_details", "revoke_token"]
    assert len(names) == len(set(names)) == OPERATIONS
    token_tool = listed.tools[0]
    assert token_tool.title == "Get or Refresh an Access Token"
    assert list(token_tool.input_schema["properties"]) == ["grant_type", "code", "redirect_uri", "fields"]
    assert token_tool.output_schema is not None
    assert list(token_tool.output_schema["properties"]) == [
        "access_token",
        "token_type",
        "expires_in",
        "refresh_token",
        "created_at",
    ]
    assert token_tool.annotations is not None
    assert token_tool.annotations.read_only_hint is None and token_tool.annotations.destructive_hint is False
    assert token_tool.meta is None  # method and path are in TOOLS.md and in describe_operation, not in every listing
    for tool in listed.tools:
        jsonschema.Draft202012Validator.check_schema(tool.input_schema)


def test_token_tool_fills_secrets_and_redacts_but_stores_only_a_refresh_of_the_held_pair(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    token_file = Path(server_environment(installed_package, fake_procore)["PROCORE_TOKEN_FILE"])
    held = {**fake_procore.state.issue("alice"), "expires_at": time.time() + 3000, "grant": "authorization_code"}
    token_file.write_text(json.dumps(held))

    async def body(client: Client) -> Any:
        started = await client.call_tool(TOKEN_TOOL, {"grant_type": "client_credentials"})
        after_start = json.loads(token_file.read_text())
        refreshed = await client.call_tool(TOKEN_TOOL, {"grant_type": "refresh_token"})
        return started, after_start, refreshed

    started, after_start, refreshed = run_session(installed_package, fake_procore, body, **with_client_credentials())
    # A token the model asks for is shown to it redacted and never stored: the user's sign-in stays.
    assert started.is_error is False, started.content
    assert started.structured_content["access_token"].startswith("[withheld")
    assert started.structured_content["expires_in"] == 5400
    assert "access-2" not in started.content[0].text and "refresh-2" not in started.content[0].text
    assert after_start == held
    first = fake_procore.state.requests[-2]
    assert (first.method, first.path) == ("POST", "/oauth/token")
    assert json.loads(first.body) == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    # A refresh of the pair the server holds is stored (still the user's), and the model sees it redacted.
    assert refreshed.structured_content["access_token"] == "[stored by the server]"
    assert json.loads(fake_procore.state.requests[-1].body)["refresh_token"] == held["refresh_token"]
    stored = json.loads(token_file.read_text())
    assert stored["access_token"] == "access-3" and stored["refresh_token"] == "refresh-3"
    assert stored["grant"] == "authorization_code"
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600


def test_http_error_is_a_tool_error_with_status_and_message(installed_package: Path, fake_procore: FakeProcore) -> None:
    async def body(client: Client) -> Any:
        return await client.call_tool(TOKEN_TOOL, {"grant_type": "client_credentials"})

    result = run_session(
        installed_package, fake_procore, body, PROCORE_CLIENT_ID=CLIENT_ID, PROCORE_CLIENT_SECRET="wrong-secret"
    )
    assert result.is_error is True
    assert result.content[0].text.startswith("HTTP 401 Unauthorized: Client authentication failed")
    assert "wrong-secret" not in result.content[0].text


def test_fixed_access_token_is_sent_to_operations_that_need_it(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    token = fake_procore.state.issue()["access_token"]

    async def body(client: Client) -> Any:
        return await client.call_tool("show_access_token_details", {})

    result = run_session(installed_package, fake_procore, body, PROCORE_ACCESS_TOKEN=token)
    assert result.is_error is False, result.content
    assert result.structured_content["resource_owner_id"] == 42
    assert fake_procore.state.requests[-1].headers["Authorization"] == f"Bearer {token}"


def test_no_credentials_names_the_variables(installed_package: Path, fake_procore: FakeProcore) -> None:
    async def body(client: Client) -> Any:
        return await client.call_tool("show_access_token_details", {})

    result = run_session(installed_package, fake_procore, body)
    assert result.is_error is True
    text = result.content[0].text
    assert "PROCORE_CLIENT_ID" in text and "PROCORE_CLIENT_SECRET" in text and "procore-mcp login" in text
    assert fake_procore.state.requests == []


def test_unreachable_host_is_a_tool_error_and_the_server_keeps_serving(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    async def body(client: Client) -> Any:
        first = await client.call_tool(TOKEN_TOOL, {"grant_type": "client_credentials"})
        second = await client.list_tools()
        return first, second

    environment = with_client_credentials(PROCORE_LOGIN_URL="http://127.0.0.1:9")
    failed, listed = run_session(installed_package, fake_procore, body, **environment)
    assert failed.is_error is True
    assert "failed before a response arrived" in failed.content[0].text
    assert len(listed.tools) == HYBRID_LISTED


def test_console_script_and_version(installed_package: Path) -> None:
    completed = subprocess.run(
        [str(installed_package / "bin" / "procore-mcp"), "--version"],
        capture_output=True, text=True, check=False, env={"PYTHONPATH": str(installed_package)},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("procore-mcp ")


def test_a_client_that_stops_reading_ends_the_server_quietly(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    environment = server_environment(installed_package, fake_procore, PROCORE_ACCESS_TOKEN="fixed-token")
    server = subprocess.Popen(
        [sys.executable, "-m", "procore_mcp"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        env=environment,
    )  # fmt: skip
    assert server.stdin is not None and server.stdout is not None and server.stderr is not None
    hello = {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "gone", "version": "1"}}
    server.stdin.write(
        (json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": hello}) + "\n").encode()
    )
    server.stdin.flush()
    assert b'"id":1' in server.stdout.readline().replace(b" ", b"")
    server.stdout.close()  # the client stops reading (it is on its way out)...
    for message in (
        {"jsonrpc": "2.0", "method": "notifications/initialized"},
        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"},
    ):
        server.stdin.write((json.dumps(message) + "\n").encode())
    server.stdin.flush()
    time.sleep(1)  # ...the answer meets the closed pipe...
    server.stdin.close()  # ...and the client's end of the input closes as it exits
    try:
        assert server.wait(timeout=60) == 0
    finally:
        server.kill()
    assert "Traceback" not in server.stderr.read().decode()

"""The installed generated server, started over stdio by the official MCP client, against the fake Procore."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import anyio
import jsonschema
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.end_to_end.conftest import server_environment
from tests.support.fake_procore import CLIENT_ID, CLIENT_SECRET, FakeProcore

TOKEN_TOOL = "get_or_refresh_an_access_token"


def _params(installed: Path, environment: dict[str, str], module: bool = True) -> StdioServerParameters:
    if module:
        return StdioServerParameters(command=sys.executable, args=["-m", "procore_mcp"], env=environment)
    return StdioServerParameters(command=str(installed / "bin" / "procore-mcp"), env=environment)


async def _session(params: StdioServerParameters, body: Any) -> Any:
    async with Client(params) as client:
        return await body(client)


def run(params: StdioServerParameters, body: Any) -> Any:
    return anyio.run(_session, params, body)


def test_lists_every_generated_tool_with_schemas(installed_package: Path, fake_procore: FakeProcore) -> None:
    async def body(client: Client) -> Any:
        return await client.list_tools()

    listed = run(_params(installed_package, server_environment(installed_package, fake_procore)), body)
    names = [tool.name for tool in listed.tools]
    assert names[:3] == [TOKEN_TOOL, "show_access_token_details", "revoke_a_token"]
    assert len(names) == len(set(names)) == 48
    token_tool = listed.tools[0]
    assert token_tool.title == "Get or Refresh an Access Token"
    assert token_tool.input_schema["required"] == ["grant_type", "client_id", "client_secret"]
    assert token_tool.output_schema is not None
    assert token_tool.annotations is not None and token_tool.annotations.read_only_hint is False
    assert token_tool.meta == {
        "openapi": {"method": "POST", "path": "/oauth/token", "operationId": "createAccessToken"}
    }
    for tool in listed.tools:
        jsonschema.Draft202012Validator.check_schema(tool.input_schema)


def test_token_tool_sends_the_real_request_to_the_login_host(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    arguments = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}

    async def body(client: Client) -> Any:
        return await client.call_tool(TOKEN_TOOL, arguments)

    result = run(_params(installed_package, server_environment(installed_package, fake_procore)), body)
    assert result.is_error is False
    assert result.structured_content["access_token"] == "access-1"
    assert result.structured_content["expires_in"] == 5400
    assert json.loads(result.content[0].text) == result.structured_content
    sent = fake_procore.state.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/oauth/token")
    assert sent.headers["Content-Type"] == "application/json"
    assert json.loads(sent.body) == arguments
    assert "Authorization" not in sent.headers


def test_http_error_is_a_tool_error_with_status_and_message(installed_package: Path, fake_procore: FakeProcore) -> None:
    arguments = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": "wrong"}

    async def body(client: Client) -> Any:
        return await client.call_tool(TOKEN_TOOL, arguments)

    result = run(_params(installed_package, server_environment(installed_package, fake_procore)), body)
    assert result.is_error is True
    assert result.content[0].text == "HTTP 401 Unauthorized: Client authentication failed"


def test_bearer_token_is_sent_to_operations_that_need_it(installed_package: Path, fake_procore: FakeProcore) -> None:
    token = fake_procore.state.issue()["access_token"]

    async def body(client: Client) -> Any:
        return await client.call_tool("show_access_token_details", {})

    environment = server_environment(installed_package, fake_procore, PROCORE_ACCESS_TOKEN=token)
    result = run(_params(installed_package, environment, module=False), body)
    assert result.is_error is False, result.content
    assert result.structured_content["resource_owner_id"] == 42
    assert fake_procore.state.requests[-1].headers["Authorization"] == f"Bearer {token}"


def test_missing_token_names_the_variable(installed_package: Path, fake_procore: FakeProcore) -> None:
    async def body(client: Client) -> Any:
        return await client.call_tool("show_access_token_details", {})

    result = run(_params(installed_package, server_environment(installed_package, fake_procore)), body)
    assert result.is_error is True
    assert "PROCORE_ACCESS_TOKEN" in result.content[0].text
    assert fake_procore.state.requests == []


def test_unreachable_host_is_a_tool_error_and_the_server_keeps_serving(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    arguments = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}

    async def body(client: Client) -> Any:
        first = await client.call_tool(TOKEN_TOOL, arguments)
        second = await client.list_tools()
        return first, second

    environment = server_environment(installed_package, fake_procore, PROCORE_LOGIN_URL="http://127.0.0.1:9")
    failed, listed = run(_params(installed_package, environment), body)
    assert failed.is_error is True
    assert "failed before a response arrived" in failed.content[0].text
    assert len(listed.tools) == 48


def test_console_script_and_version(installed_package: Path) -> None:
    completed = subprocess.run(
        [str(installed_package / "bin" / "procore-mcp"), "--version"],
        capture_output=True, text=True, check=False, env={"PYTHONPATH": str(installed_package)},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.startswith("procore-mcp ")

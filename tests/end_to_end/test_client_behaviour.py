"""The generated server as a Procore client: each promise of the configuration, auth, HTTP and transport
behaviour, shown against the fake Procore through the official MCP client."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from mcp import Client

from tests.conftest import HYBRID_LISTED
from tests.end_to_end.conftest import (
    accept_everything,
    run_session,
    server_environment,
    with_client_credentials,
)
from tests.support.fake_procore import CLIENT_SECRET, FakeProcore
from tests.support.loopback import QuietHandler, serving

ME = "show_signed_in_user"
RFIS = "list_rfis_in_project"


def _token_file(installed: Path, fake: FakeProcore) -> Path:
    return Path(server_environment(installed, fake)["PROCORE_TOKEN_FILE"])


def _call(name: str, arguments: dict[str, Any]) -> Any:
    async def body(client: Client) -> Any:
        return await client.call_tool(name, arguments)

    return body


def _grants(fake: FakeProcore) -> list[str]:
    bodies = [r.body.decode() for r in fake.state.requests if r.path == "/oauth/token"]
    return [dict(pair.split("=", 1) for pair in b.split("&")).get("grant_type", "") for b in bodies if "=" in b]


def test_client_credentials_are_exchanged_for_a_token_and_stored(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    result = run_session(installed_package, fake_procore, _call(ME, {}), **with_client_credentials())
    assert result.is_error is False, result.content
    assert result.structured_content["login"] == "pat@example.com"
    assert _grants(fake_procore) == ["client_credentials"]
    token_file = _token_file(installed_package, fake_procore)
    assert stat.S_IMODE(token_file.stat().st_mode) == 0o600
    assert json.loads(token_file.read_text())["access_token"] == "access-1"
    assert fake_procore.state.requests[-1].headers["Authorization"] == "Bearer access-1"


def test_expiring_token_is_refreshed_and_the_rotated_pair_written_first(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    old = fake_procore.state.issue()
    token_file = _token_file(installed_package, fake_procore)
    token_file.write_text(json.dumps({**old, "expires_at": time.time() + 30}))  # inside the refresh margin
    result = run_session(installed_package, fake_procore, _call(ME, {}), **with_client_credentials())
    assert result.is_error is False, result.content
    assert _grants(fake_procore) == ["refresh_token"]
    stored = json.loads(token_file.read_text())
    assert stored["refresh_token"] == "refresh-2" and stored["access_token"] == "access-2"
    assert "refresh-1" not in fake_procore.state.refresh_tokens  # single use: the old one is gone
    assert fake_procore.state.requests[-1].headers["Authorization"] == "Bearer access-2"


def test_a_401_renews_the_token_once_and_retries(installed_package: Path, fake_procore: FakeProcore) -> None:
    old = fake_procore.state.issue()
    _token_file(installed_package, fake_procore).write_text(json.dumps({**old, "expires_at": time.time() + 3000}))
    fake_procore.state.expired.add(old["access_token"])
    result = run_session(installed_package, fake_procore, _call(ME, {}), **with_client_credentials())
    assert result.is_error is False, result.content
    assert _grants(fake_procore) == ["refresh_token"]
    assert [r.headers.get("Authorization") for r in fake_procore.state.requests if r.path == "/rest/v1.0/me"] == [
        "Bearer access-1",
        "Bearer access-2",
    ]


def test_a_refused_service_account_refresh_falls_back_to_client_credentials(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    _token_file(installed_package, fake_procore).write_text(
        json.dumps({"access_token": "gone", "refresh_token": "unknown", "expires_at": 0, "grant": "client_credentials"})
    )
    result = run_session(installed_package, fake_procore, _call(ME, {}), **with_client_credentials())
    assert result.is_error is False, result.content
    assert _grants(fake_procore) == ["refresh_token", "client_credentials"]


def test_a_refused_refresh_of_the_users_sign_in_is_never_replaced_by_the_service_account(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    signed_in = {"access_token": "gone", "refresh_token": "unknown", "expires_at": 0, "grant": "authorization_code"}
    token_file = _token_file(installed_package, fake_procore)
    token_file.write_text(json.dumps(signed_in))
    result = run_session(installed_package, fake_procore, _call(ME, {}), **with_client_credentials())
    assert result.is_error is True and "sign in again with `procore-mcp login`" in result.content[0].text
    assert _grants(fake_procore) == ["refresh_token"]  # no client-credentials token was asked for
    assert json.loads(token_file.read_text()) == signed_in  # the user's sign-in is left for them to renew


def test_a_revoked_access_token_leaves_the_store_and_the_next_call_renews(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    old = fake_procore.state.issue()
    token_file = _token_file(installed_package, fake_procore)
    token_file.write_text(json.dumps({**old, "expires_at": time.time() + 3000}))

    async def body(client: Client) -> Any:
        revoked = await client.call_tool("revoke_token", {})
        stored = json.loads(token_file.read_text())
        return revoked, stored, await client.call_tool(ME, {})

    revoked, stored, after = run_session(  # revoking changes data: the user allows it when asked
        installed_package, fake_procore, body, elicitation=accept_everything, **with_client_credentials()
    )
    assert revoked.is_error is False, revoked.content
    assert stored == {"refresh_token": old["refresh_token"]}  # the revoked token is not kept to be refused later
    assert after.is_error is False, after.content
    assert _grants(fake_procore) == ["refresh_token"]  # straight to a renewal, no call with the revoked token
    assert [r.headers.get("Authorization") for r in fake_procore.state.requests if r.path == "/rest/v1.0/me"] == [
        "Bearer access-2"
    ]


def test_company_header_comes_from_the_setting_and_a_call_can_override_it(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    async def body(client: Client) -> Any:
        default = await client.call_tool(RFIS, {"project_id": 7})
        chosen = await client.call_tool(RFIS, {"project_id": 7, "procore_company_id": 99})
        return default, chosen

    default, chosen = run_session(
        installed_package, fake_procore, body, **with_client_credentials(PROCORE_COMPANY_ID="42")
    )
    assert default.is_error is False and chosen.is_error is False, (default.content, chosen.content)
    sent = [r.headers.get("Procore-Company-Id") for r in fake_procore.state.requests if r.path.endswith("/rfis")]
    assert sent == ["42", "99"]


def test_a_missing_setting_is_named_at_the_first_call_that_needs_it(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    result = run_session(installed_package, fake_procore, _call(RFIS, {"project_id": 7}), **with_client_credentials())
    assert result.is_error is True
    assert "Set PROCORE_COMPANY_ID" in result.content[0].text


def test_arguments_are_validated_before_any_request(installed_package: Path, fake_procore: FakeProcore) -> None:
    arguments = {"project_id": "seven", "filters": {"status": "lost"}, "surprise": 1}
    result = run_session(installed_package, fake_procore, _call(RFIS, arguments), **with_client_credentials())
    assert result.is_error is True
    text = result.content[0].text
    assert text.startswith("Invalid arguments:")
    assert "project_id: 'seven' is not of type 'integer'" in text
    assert "filters/status: 'lost' is not one of" in text
    assert "'surprise' was unexpected" in text
    assert fake_procore.state.requests == []


def test_429_is_retried_after_the_wait_the_api_asks_for(installed_package: Path, fake_procore: FakeProcore) -> None:
    reset = str(int(time.time()))  # already past: retry at once
    fake_procore.state.failures += [(429, {"Retry-After": "0"}), (429, {"X-Rate-Limit-Reset": reset})]
    result = run_session(installed_package, fake_procore, _call(ME, {}), **with_client_credentials())
    assert result.is_error is False, result.content
    assert [r.path for r in fake_procore.state.requests].count("/rest/v1.0/me") == 3


def test_429_storm_ends_in_a_tool_error_naming_status_and_message(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    fake_procore.state.failures += [(429, {"Retry-After": "0"})] * 4
    result = run_session(
        installed_package, fake_procore, _call(ME, {}), **with_client_credentials(PROCORE_MAX_RETRIES="2")
    )
    assert result.is_error is True
    assert result.content[0].text.startswith("HTTP 429 Too Many Requests: scripted failure 429")
    assert [r.path for r in fake_procore.state.requests].count("/rest/v1.0/me") == 3


def test_5xx_is_retried_for_reads_but_not_for_creates(installed_package: Path, fake_procore: FakeProcore) -> None:
    fake_procore.state.failures += [(500, {})]

    async def body(client: Client) -> Any:
        read = await client.call_tool(ME, {})
        fake_procore.state.failures.append((500, {}))
        rfi = {"subject": "s", "question": {"body": "q"}, "rfi_manager_id": 1}
        create = await client.call_tool("create_rfi", {"project_id": 7, "procore_company_id": 1, "rfi": rfi})
        return read, create

    read, create = run_session(installed_package, fake_procore, body, **with_client_credentials())
    assert read.is_error is False, read.content
    assert create.is_error is True and create.content[0].text.startswith("HTTP 500")
    assert [r.method for r in fake_procore.state.requests if r.path.endswith("/rfis")] == ["POST"]


def test_slow_responses_time_out_with_a_clear_error(installed_package: Path, fake_procore: FakeProcore) -> None:
    fake_procore.state.delay_seconds = 3.0
    environment = with_client_credentials(PROCORE_TIMEOUT="0.5", PROCORE_MAX_RETRIES="0")
    result = run_session(installed_package, fake_procore, _call(ME, {}), **environment)
    assert result.is_error is True
    assert result.content[0].text == "GET /rest/v1.0/me timed out; try again, or raise PROCORE_TIMEOUT (seconds)."


def test_pagination_headers_come_back_with_the_page(installed_package: Path, fake_procore: FakeProcore) -> None:
    for index in range(5):
        fake_procore.state.add_rfi(f"Q{index}", "open")
    arguments = {"project_id": 7, "procore_company_id": 1, "page": 2, "per_page": 2}
    result = run_session(installed_package, fake_procore, _call(RFIS, arguments), **with_client_credentials())
    assert result.is_error is False, result.content
    assert result.structured_content["pagination"] == {
        "page": 2,
        "per_page": 2,
        "total": 5,
        "next_page": 3,
        "last_page": 3,
    }
    assert [r["subject"] for r in result.structured_content["result"]] == ["Q2", "Q3"]


def test_the_smallest_response_budget_still_gives_valid_json(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    for index in range(60):
        fake_procore.state.add_rfi(f"A long enough question number {index}", "open")
    arguments = {"project_id": 7, "procore_company_id": 1, "per_page": 60}
    environment = with_client_credentials(PROCORE_RESPONSE_BUDGET="1000")
    result = run_session(installed_package, fake_procore, _call(RFIS, arguments), **environment)
    text = result.content[0].text
    assert result.is_error is False and json.loads(text) == result.structured_content
    assert 0 < len(result.structured_content["result"]) < 60
    assert sum(len(block.text) for block in result.content) <= 1000


@contextmanager
def _other_host() -> Iterator[tuple[str, list[dict[str, str]]]]:
    """A second server, reached as `localhost` (another host name than 127.0.0.1), recording what it gets."""
    seen: list[dict[str, str]] = []

    class Record(QuietHandler):
        def do_GET(self) -> None:
            seen.append(dict(self.headers))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(b"{}")

    with serving(Record, host="localhost") as base:
        yield f"{base}/elsewhere", seen


def test_redirects_to_another_host_are_refused_and_get_no_credentials(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    with _other_host() as (url, seen):
        fake_procore.state.redirect_to = url
        result = run_session(installed_package, fake_procore, _call(ME, {}), **with_client_credentials())
    assert result.is_error is True
    assert f"redirected to {url}, which is not a configured server; not followed" in result.content[0].text
    assert seen == []


def test_path_parameters_cannot_climb_the_path(installed_package: Path) -> None:
    sys.path.insert(0, str(installed_package))
    try:
        import httpx
        from procore_mcp import calls, data  # type: ignore[import-not-found]

        binding = data.ApiData().tools["show_rfi"]["binding"]
        request = calls.build_request(
            httpx.AsyncClient(), binding, {"project_id": "../../companies", "id": "..", "procore_company_id": 1},
            {"BASE_URL": {"default": "https://api.procore.com", "env": "UNSET_VARIABLE"}},
        )  # fmt: skip
    finally:
        sys.path.remove(str(installed_package))
    assert str(request.url) == "https://api.procore.com/rest/v1.0/projects/%2E%2E%2F..%2Fcompanies/rfis/%2E%2E"


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_both_transports_serve_the_same_tools(
    installed_package: Path, fake_procore: FakeProcore, transport: str
) -> None:
    async def body(client: Client) -> Any:
        listed = await client.list_tools()
        called = await client.call_tool(ME, {})
        return listed, called

    listed, called = run_session(installed_package, fake_procore, body, transport, **with_client_credentials())
    assert len(listed.tools) == HYBRID_LISTED
    assert called.is_error is False and called.structured_content["id"] == 42


def _login(
    installed: Path, fake: FakeProcore, arguments: list[str], stdin: str, **extra: str
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, **server_environment(installed, fake, **with_client_credentials(**extra))}
    return subprocess.run(
        [sys.executable, "-m", "procore_mcp", "login", *arguments],
        input=stdin, capture_output=True, text=True, env=environment, timeout=60, check=False,
    )  # fmt: skip


def test_login_with_a_pasted_code_stores_the_tokens(installed_package: Path, fake_procore: FakeProcore) -> None:
    completed = _login(installed_package, fake_procore, ["--no-browser"], "good-code\n")
    assert completed.returncode == 0, completed.stderr
    assert "redirect_uri=urn%3Aietf%3Awg%3Aoauth%3A2.0%3Aoob" in completed.stderr
    assert "access-1" not in completed.stderr + completed.stdout
    stored = json.loads(_token_file(installed_package, fake_procore).read_text())
    assert stored["refresh_token"] == "refresh-1"


def test_login_through_the_browser_redirect(installed_package: Path, fake_procore: FakeProcore, tmp_path: Path) -> None:
    browser = tmp_path / "browser.py"
    browser.write_text("import sys, urllib.request\nurllib.request.urlopen(sys.argv[1]).read()\n")
    completed = _login(installed_package, fake_procore, [], "", BROWSER=f"{sys.executable} {browser} %s")
    assert completed.returncode == 0, completed.stderr
    assert json.loads(_token_file(installed_package, fake_procore).read_text())["access_token"] == "access-1"


def test_login_with_a_wrong_code_stores_nothing(installed_package: Path, fake_procore: FakeProcore) -> None:
    completed = _login(installed_package, fake_procore, ["--no-browser"], "bad-code\n")
    assert completed.returncode == 1
    assert "refused the code" in completed.stderr
    assert not _token_file(installed_package, fake_procore).exists()


def test_secrets_never_reach_results(installed_package: Path, fake_procore: FakeProcore) -> None:
    async def body(client: Client) -> Any:
        results = [await client.call_tool("get_or_refresh_access_token", {"grant_type": "client_credentials"})]
        results.append(await client.call_tool(ME, {}))
        results.append(await client.call_tool("show_access_token_details", {}))
        results.append(await client.call_tool("revoke_token", {}))
        return results

    results = run_session(
        installed_package, fake_procore, body, elicitation=accept_everything, **with_client_credentials()
    )
    text = json.dumps([r.model_dump(mode="json") for r in results])
    for secret in [CLIENT_SECRET, *fake_procore.state.issued_tokens, "refresh-1", "refresh-2"]:
        assert secret not in text
    revoke = [r for r in fake_procore.state.requests if r.path == "/oauth/revoke"][-1]
    assert json.loads(revoke.body)["token"] in fake_procore.state.issued_tokens

"""Team mode end to end: the installed server with `--team`, the fake Procore signing in the user a test
chooses, a browser walked through registration, consent and sign-in with httpx, and the official MCP client
calling tools with the token it got. Each user acts in Procore as themselves."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx
import httpx2
import mcp.types as types
import pytest
import sqlalchemy as sa
import yaml
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.end_to_end.conftest import (
    SECRETS,
    SEEN_TEXT,
    free_port,
    http_server,
    server_environment,
    with_client_credentials,
)
from tests.support.fake_procore import FakeProcore
from tests.support.postgres import PostgresServer
from tests.support.proxy import round_robin
from tests.support.team_client import KEYS, REDIRECT, Deployment, call_as
from tests.support.team_client import sign_in as sign_in_as
from tests.support.tls import serving_documents

SECRETS.add(KEYS.split(":")[1])


@contextmanager
def team_deployment(
    installed: Path, fake: FakeProcore, database: str, port: int | None = None, **extra: str
) -> Iterator[Deployment]:
    port = port or free_port()
    origin = f"http://127.0.0.1:{port}"
    environment = server_environment(
        installed, fake, PROCORE_PUBLIC_URL=origin, PROCORE_TEAM_DATABASE_URL=database, PROCORE_TEAM_KEYS=KEYS,
        **with_client_credentials(), **extra,
    )  # fmt: skip
    with http_server(environment, "--team", port=port):
        yield Deployment(origin, fake)
    if database.startswith("sqlite:///"):  # what the deployment keeps at rest joins the secret scan,
        for stored in Path(database.removeprefix("sqlite:///")).parent.glob("team.db*"):
            # before the server's log, which stays the last entry (tests read it there)
            SEEN_TEXT.insert(len(SEEN_TEXT) - 1, stored.read_bytes().decode("latin-1"))


def sign_in(deployment: Deployment, user: str, client_id: str | None = None) -> dict[str, Any]:
    """A user's sign-in (tests.support.team_client); what it handled joins the suite's secret scan."""
    tokens = sign_in_as(deployment, user, client_id)
    SECRETS.update(tokens["secrets"])
    return tokens


@pytest.fixture
def deployment(installed_package: Path, fake_procore: FakeProcore, tmp_path: Path) -> Iterator[Deployment]:
    with team_deployment(installed_package, fake_procore, f"sqlite:///{tmp_path / 'team.db'}") as running:
        yield running


def test_each_user_signs_in_and_acts_as_themselves(deployment: Deployment) -> None:
    alice, bob = sign_in(deployment, "alice"), sign_in(deployment, "bob")
    names, as_alice = call_as(deployment, alice["access_token"], "show_signed_in_user", {})
    _, as_bob = call_as(deployment, bob["access_token"], "show_signed_in_user", {})
    assert as_alice.structured_content["login"] == "alice@example.com"
    assert as_bob.structured_content["login"] == "bob@example.com"
    # The server's own token tools are gone: nobody may act with the deployment's credentials.
    assert "get_or_refresh_access_token" not in names and "revoke_token" not in names
    assert "show_signed_in_user" in names
    refused = call_as(deployment, alice["access_token"], "get_or_refresh_access_token", {})[1]
    assert refused.is_error is True
    # Procore saw each user's own token, never the MCP client's.
    seen = [r.headers.get("Authorization", "") for r in deployment.fake.state.requests if r.path == "/rest/v1.0/me"]
    assert alice["access_token"] not in " ".join(seen) and all(h.startswith("Bearer access-") for h in seen)


def test_without_a_token_the_client_is_told_where_to_sign_in(deployment: Deployment) -> None:
    response = httpx.post(deployment.resource, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
    assert response.status_code == 401
    assert "resource_metadata=" in response.headers["www-authenticate"]
    metadata = httpx.get(deployment.url + "/.well-known/oauth-authorization-server").json()
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["authorization_response_iss_parameter_supported"] is True
    assert metadata["issuer"] == deployment.url  # exactly: RFC 9207 compares it with the redirect's `iss`
    protected = httpx.get(deployment.url + "/.well-known/oauth-protected-resource/mcp").json()
    assert protected["resource"] == deployment.resource and protected["authorization_servers"] == [deployment.url]
    unknown = {"grant_type": "authorization_code", "code": "x", "client_id": "nobody", "redirect_uri": REDIRECT}
    assert httpx.post(deployment.url + "/token", data=unknown).status_code == 401


@contextmanager
def two_replicas(installed: Path, fake: FakeProcore, database: str) -> Iterator[tuple[Deployment, list[int]]]:
    """Two team-mode replicas on one database and key ring, behind a round-robin proxy (the public origin)."""
    listen = socket.socket()
    listen.bind(("127.0.0.1", 0))
    origin = f"http://127.0.0.1:{listen.getsockname()[1]}"
    environment = server_environment(
        installed, fake, PROCORE_PUBLIC_URL=origin, PROCORE_TEAM_DATABASE_URL=database, PROCORE_TEAM_KEYS=KEYS,
        **with_client_credentials(),
    )  # fmt: skip
    ports = [free_port(), free_port()]
    with (
        http_server(environment, "--team", port=ports[0]),
        http_server(environment, "--team", port=ports[1]),
        round_robin(listen, ports) as chosen,
    ):
        yield Deployment(origin, fake), chosen


def test_two_replicas_share_sign_in_and_refresh_procore_once(
    installed_package: Path, fake_procore: FakeProcore, postgres_server: PostgresServer
) -> None:
    database = postgres_server.new_database()
    with two_replicas(installed_package, fake_procore, database) as (deployment, chosen):
        alice = sign_in(deployment, "alice")
        assert len(set(chosen)) == 2  # the sign-in's steps went to both replicas
        assert call_as(deployment, alice["access_token"], "show_signed_in_user", {})[1].is_error is False
        # Procore's token expires; 20 calls at once, across both replicas, must spend its refresh token once.
        engine = sa.create_engine(database)
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE team_upstream SET expires_at = 0"))
        fake_procore.state.token_delay_seconds = 0.3
        before = fake_procore.state.refreshes

        async def many() -> list[Any]:
            results: list[Any] = [None] * 20

            async def one(index: int) -> None:
                results[index] = await anyio.to_thread.run_sync(
                    lambda: call_as(deployment, alice["access_token"], "show_signed_in_user", {})[1]
                )

            async with anyio.create_task_group() as group:
                for index in range(20):
                    group.start_soon(one, index)
            return results

        results = anyio.run(many)
        assert [r.is_error for r in results] == [False] * 20, [r.content for r in results if r.is_error][:2]
        assert fake_procore.state.refreshes - before == 1 and fake_procore.state.refresh_reuses == 0
        # Procore revokes alice: her call is a tool error, and then her token no longer opens the server.
        with engine.begin() as conn:
            conn.execute(sa.text("UPDATE team_upstream SET expires_at = 0"))
        fake_procore.state.refresh_tokens.clear()
        ended = call_as(deployment, alice["access_token"], "show_signed_in_user", {})[1]
        assert ended.is_error is True and "sign in again" in ended.content[0].text
        response = httpx.post(
            deployment.resource, headers={"Authorization": f"Bearer {alice['access_token']}"},
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
        )  # fmt: skip
        assert response.status_code == 401 and "resource_metadata=" in response.headers["www-authenticate"]
        engine.dispose()


def _token(deployment: Deployment, **form: str) -> httpx.Response:
    return httpx.post(deployment.url + "/token", data={"resource": deployment.resource, **form}, timeout=30)


def test_a_code_is_redeemed_once_and_refresh_tokens_rotate_with_a_grace_window(deployment: Deployment) -> None:
    stolen = sign_in(deployment, "alice")
    again = _token(deployment, grant_type="authorization_code", code=stolen["code"], redirect_uri=REDIRECT,
                   client_id=stolen["client_id"], code_verifier=stolen["verifier"])  # fmt: skip
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    # A code presented twice was seen by someone else: the tokens issued from it stop working (RFC 6749, 4.1.2).
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    revoked = httpx.post(deployment.resource, headers={"Authorization": f"Bearer {stolen['access_token']}"},
                         json=listing, timeout=30)  # fmt: skip
    assert revoked.status_code == 401
    alice = sign_in(deployment, "alice")
    refresh = {"grant_type": "refresh_token", "refresh_token": alice["refresh_token"], "client_id": alice["client_id"]}
    first, replay = _token(deployment, **refresh), _token(deployment, **refresh)  # a client retrying
    assert first.status_code == replay.status_code == 200 and first.json() == replay.json()
    renewed = first.json()
    SECRETS.update({renewed["access_token"], renewed["refresh_token"]})
    assert renewed["access_token"] != alice["access_token"]
    _, result = call_as(deployment, renewed["access_token"], "show_signed_in_user", {})
    assert result.structured_content["login"] == "alice@example.com"
    stranger = _token(deployment, **{**refresh, "client_id": sign_in(deployment, "bob")["client_id"]})
    assert stranger.status_code in (400, 401)  # another client cannot use alice's refresh token


def test_the_sign_in_is_bound_to_the_browser_and_to_this_server(deployment: Deployment) -> None:
    with httpx.Client(base_url=deployment.url, follow_redirects=False, timeout=30) as browser:
        registration = {"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", "client_name": "Agent"}
        client_id = browser.post("/register", json=registration).json()["client_id"]
        query = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "state": "s",
                 "code_challenge": "x" * 43, "code_challenge_method": "S256"}  # fmt: skip
        elsewhere = browser.get("/authorize", params={**query, "resource": "https://other.example/mcp"})
        assert "invalid_target" in elsewhere.headers.get("location", elsewhere.text)
        consent_url = browser.get("/authorize", params={**query, "resource": deployment.resource}).headers["location"]
        page = browser.get(consent_url).text
        fields = dict(re.findall(r'name="(tx|csrf)" value="([^"]+)"', page))
        forged = browser.post(urlsplit(consent_url).path, data={**fields, "csrf": "0" * 64})
        assert forged.status_code == 403  # not approved on our page
        approved = browser.post(urlsplit(consent_url).path, data=fields)
        procore = httpx.get(approved.headers["location"], follow_redirects=False).headers["location"]
        callback = urlsplit(procore)
        # The same callback from a browser without the binding cookie, or with another state, is refused.
        assert httpx.get(procore, follow_redirects=False).status_code == 403
        tampered = f"{callback.path}?{callback.query.replace('state=', 'state=x')}"
        assert browser.get(tampered).status_code == 403
        assert browser.get(f"{callback.path}?{callback.query}").status_code == 302
        assert browser.get(f"{callback.path}?{callback.query}").status_code in (400, 403)  # used once only


def test_an_unknown_client_is_told_to_register_again(deployment: Deployment) -> None:
    unknown = _token(deployment, grant_type="authorization_code", code="x", client_id="nobody", redirect_uri=REDIRECT)
    assert unknown.status_code == 401 and unknown.json()["error"] == "invalid_client"


def test_both_protocol_eras_are_served_statelessly(deployment: Deployment) -> None:
    alice = sign_in(deployment, "alice")

    async def session(mode: str) -> Any:
        headers = {"Authorization": f"Bearer {alice['access_token']}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30) as http,
            Client(streamable_http_client(deployment.resource, http_client=http), mode=mode) as client,
        ):
            result = await client.call_tool("show_signed_in_user", {})
            return client.protocol_version, result.structured_content

    legacy, current = anyio.run(session, "legacy"), anyio.run(session, "auto")
    assert legacy[0] != current[0] == "2026-07-28"
    assert legacy[1] == current[1] and current[1]["login"] == "alice@example.com"


def test_a_refresh_token_replayed_after_the_grace_window_ends_the_grant(
    installed_package: Path, fake_procore: FakeProcore, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'team.db'}"
    with team_deployment(installed_package, fake_procore, database, PROCORE_TEAM_REFRESH_GRACE="0.5") as deployment:
        alice = sign_in(deployment, "alice")
        refresh = {
            "grant_type": "refresh_token",
            "refresh_token": alice["refresh_token"],
            "client_id": alice["client_id"],
        }
        renewed = _token(deployment, **refresh).json()
        SECRETS.update({renewed["access_token"], renewed["refresh_token"]})
        time.sleep(1.0)
        replay = _token(deployment, **refresh)  # a copied token, used after the window
        assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
        listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        gone = httpx.post(
            deployment.resource, headers={"Authorization": f"Bearer {renewed['access_token']}"}, json=listing
        )
        assert gone.status_code == 401  # the whole grant was revoked: the client must sign in again


def test_logs_name_users_by_a_pseudonym_only(
    installed_package: Path, fake_procore: FakeProcore, tmp_path: Path
) -> None:
    with team_deployment(installed_package, fake_procore, f"sqlite:///{tmp_path / 'team.db'}") as deployment:
        sign_in(deployment, "alice")
    log = SEEN_TEXT[-1]  # the server's stderr, collected when it stopped
    assert re.search(r"team: user-[0-9a-f]{12} signed in for client ", log), log
    assert "alice" not in log and "127.0.0.1:7" not in log and "access-" not in log


def test_a_sign_in_survives_a_restart_of_the_server_midway(
    installed_package: Path, fake_procore: FakeProcore, tmp_path: Path
) -> None:
    database, port = f"sqlite:///{tmp_path / 'team.db'}", free_port()
    fake_procore.state.signing_in = "alice"
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        with team_deployment(installed_package, fake_procore, database, port) as deployment:
            registration = {"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", "client_name": "Agent"}
            client_id = browser.post(deployment.url + "/register", json=registration).json()["client_id"]
            verifier = secrets.token_urlsafe(48)
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
            query = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "state": "s",
                     "code_challenge": challenge, "code_challenge_method": "S256", "resource": deployment.resource}  # fmt: skip
            consent = browser.get(deployment.url + "/authorize", params=query).headers["location"]
            fields = dict(re.findall(r'name="(tx|csrf)" value="([^"]+)"', browser.get(consent).text))
            procore = browser.post(consent.split("?")[0], data=fields).headers["location"]
        callback = httpx.get(procore, follow_redirects=False).headers["location"]  # the user signs in meanwhile
        with team_deployment(installed_package, fake_procore, database, port) as deployment:
            back = browser.get(callback)
            assert back.status_code == 302, back.text
            code = parse_qs(urlsplit(back.headers["location"]).query)["code"][0]
            form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, "client_id": client_id,
                    "code_verifier": verifier, "resource": deployment.resource}  # fmt: skip
            tokens = browser.post(deployment.url + "/token", data=form).raise_for_status().json()
            SECRETS.update({tokens["access_token"], tokens["refresh_token"], code, fields["tx"]})
            result = call_as(deployment, tokens["access_token"], "show_signed_in_user", {})[1]
    assert result.structured_content["login"] == "alice@example.com"


def test_a_token_for_another_resource_is_refused(
    installed_package: Path, fake_procore: FakeProcore, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'team.db'}"
    with team_deployment(installed_package, fake_procore, database) as deployment:
        alice = sign_in(deployment, "alice")
        engine = sa.create_engine(database)
        with engine.begin() as conn:  # as if the grant had been made for another server
            conn.execute(sa.text("UPDATE team_grants SET resource = 'https://other.example/mcp'"))
        engine.dispose()
        listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        refused = httpx.post(
            deployment.resource, headers={"Authorization": f"Bearer {alice['access_token']}"}, json=listing
        )
        assert refused.status_code == 401


def test_a_client_named_by_its_metadata_document_needs_no_registration(
    installed_package: Path, fake_procore: FakeProcore, tmp_path: Path
) -> None:
    documents: dict[str, Any] = {}
    with serving_documents(tmp_path, documents) as (base, cert):
        client_id = f"{base}/oauth/client.json"
        # The document lists its loopback redirect without a port: the client listens on one of its choosing.
        redirect = "http://127.0.0.1/callback"
        documents["/oauth/client.json"] = {
            "client_id": client_id,
            "client_name": "Documented agent",
            "redirect_uris": [redirect],
        }
        documents["/oauth/impostor.json"] = {"client_id": client_id, "redirect_uris": [redirect]}  # names another
        database = f"sqlite:///{tmp_path / 'team.db'}"
        extra = {"SSL_CERT_FILE": str(cert), "PROCORE_TEAM_CIMD_PRIVATE": "1"}  # trust the test's own certificate
        with team_deployment(installed_package, fake_procore, database, **extra) as deployment:
            metadata = httpx.get(deployment.url + "/.well-known/oauth-authorization-server").json()
            assert metadata["client_id_metadata_document_supported"] is True
            alice = sign_in(deployment, "alice", client_id=client_id)
            result = call_as(deployment, alice["access_token"], "show_signed_in_user", {})[1]
            assert result.structured_content["login"] == "alice@example.com"
            for refused in (f"{base}/oauth/missing.json", f"{base}/oauth/impostor.json"):
                query = {"response_type": "code", "client_id": refused, "redirect_uri": REDIRECT, "state": "s",
                         "code_challenge": "x" * 43, "code_challenge_method": "S256"}  # fmt: skip
                assert httpx.get(deployment.url + "/authorize", params=query).status_code == 400


def _run(installed: Path, fake: FakeProcore, *args: str, **extra: str) -> subprocess.CompletedProcess[str]:
    environment = server_environment(installed, fake, **extra)
    completed = subprocess.run(
        [sys.executable, "-m", "procore_mcp", *args], env=environment, capture_output=True, text=True, timeout=60
    )
    if args != ("team-key",):  # printing a new key is its whole job; everything else joins the secret scan
        SEEN_TEXT.append(completed.stdout + completed.stderr)
    return completed


def test_doctor_checks_team_mode_without_showing_keys_or_the_database_url(
    installed_package: Path, fake_procore: FakeProcore, tmp_path: Path, postgres_server: PostgresServer
) -> None:
    key = _run(installed_package, fake_procore, "team-key").stdout.strip()
    assert re.fullmatch(r"k\d+:[A-Za-z0-9_-]{43}", key)
    SECRETS.add(key.split(":")[1])
    database = postgres_server.new_database()
    team = {"PROCORE_PUBLIC_URL": "https://mcp.example.com", "PROCORE_TEAM_KEYS": key,
            "PROCORE_TEAM_DATABASE_URL": database, **with_client_credentials()}  # fmt: skip
    healthy = _run(installed_package, fake_procore, "doctor", "--team", **team)
    assert healthy.returncode == 0, healthy.stdout
    assert "ok       PROCORE_PUBLIC_URL: MCP clients connect to https://mcp.example.com/mcp" in healthy.stdout
    assert "redirect URI must be https://mcp.example.com/team/callback" in healthy.stdout
    assert "ok       team database: postgresql, reachable, tables ready" in healthy.stdout
    assert "token file" not in healthy.stdout and key not in healthy.stdout and database not in healthy.stdout
    broken = _run(installed_package, fake_procore, "doctor", "--team", **{**team, "PROCORE_TEAM_KEYS": "k1:short",
                  "PROCORE_PUBLIC_URL": "http://mcp.example.com"})  # fmt: skip
    assert broken.returncode == 1
    assert "missing  team settings: Set PROCORE_PUBLIC_URL to the deployment's public https:// URL" in broken.stdout
    assert "`procore-mcp team-key` prints a new one" in broken.stdout


def test_team_mode_refuses_to_start_half_configured(installed_package: Path, fake_procore: FakeProcore) -> None:
    started = _run(installed_package, fake_procore, "--transport", "http", "--team", **with_client_credentials())
    assert started.returncode == 2 and "Traceback" not in started.stderr
    assert "Set PROCORE_PUBLIC_URL" in started.stderr
    over_stdio = _run(installed_package, fake_procore, "--team")
    assert over_stdio.returncode == 2 and "--team serves over HTTP" in over_stdio.stderr


def test_the_deployment_recipe_runs_two_team_replicas_on_postgresql() -> None:
    from tests.conftest import GENERATED

    compose = yaml.safe_load((GENERATED / "deploy" / "compose.yaml").read_text())
    replicas = [compose["services"][name] for name in ("mcp-1", "mcp-2")]
    assert replicas[0] == replicas[1] and replicas[0]["build"] == {"context": "..", "dockerfile": "deploy/Dockerfile"}
    settings = set(replicas[0]["environment"])
    assert {"PROCORE_PUBLIC_URL", "PROCORE_CLIENT_ID", "PROCORE_CLIENT_SECRET", "PROCORE_TEAM_KEYS"} <= settings
    assert replicas[0]["environment"]["PROCORE_TEAM_DATABASE_URL"].startswith("postgresql://")
    assert "--to mcp-1:8000 --to mcp-2:8000" in compose["services"]["caddy"]["command"]
    dockerfile = (GENERATED / "deploy" / "Dockerfile").read_text()
    assert "pip install --no-cache-dir '.[team]'" in dockerfile and '"--team"]' in dockerfile


def test_revoking_the_last_grant_revokes_the_users_procore_tokens(
    installed_package: Path, fake_procore: FakeProcore, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'team.db'}"
    with team_deployment(installed_package, fake_procore, database) as deployment:
        first, second = sign_in(deployment, "alice"), sign_in(deployment, "alice")
        engine = sa.create_engine(database)
        with engine.connect() as conn:
            approved = conn.execute(sa.text("SELECT count(*) FROM team_consents")).scalar_one()
        engine.dispose()
        assert approved == 2  # one approval per client
        # The SDK requires the client_secret field even for a public client: it is sent empty.
        revoke = {"token": first["refresh_token"], "client_id": first["client_id"], "client_secret": ""}
        assert httpx.post(deployment.url + "/revoke", data=revoke).status_code == 200
        assert fake_procore.state.revoked == set()  # alice still has another client signed in
        assert call_as(deployment, second["access_token"], "show_signed_in_user", {})[1].is_error is False
        revoke = {"token": second["access_token"], "client_id": second["client_id"], "client_secret": ""}
        assert httpx.post(deployment.url + "/revoke", data=revoke).status_code == 200
        assert len(fake_procore.state.revoked) == 1  # her last grant went: Procore was told too


def test_requests_for_another_host_are_refused(deployment: Deployment) -> None:
    alice = sign_in(deployment, "alice")
    listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    headers = {"Authorization": f"Bearer {alice['access_token']}", "Host": "attacker.example"}
    assert httpx.post(deployment.resource, headers=headers, json=listing).status_code in (400, 421)


class _MemoryStorage:
    """The official client's token storage, in memory."""

    def __init__(self) -> None:
        self.tokens: Any = None
        self.client: Any = None

    async def get_tokens(self) -> Any:
        return self.tokens

    async def set_tokens(self, tokens: Any) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> Any:
        return self.client

    async def set_client_info(self, client_info: Any) -> None:
        self.client = client_info


def test_the_official_clients_oauth_support_signs_in_through_both_replicas(
    installed_package: Path, fake_procore: FakeProcore, postgres_server: PostgresServer
) -> None:
    from mcp.client.auth import OAuthClientProvider
    from mcp.shared.auth import AuthorizationCodeResult, OAuthClientMetadata

    fake_procore.state.signing_in = "bob"
    redirected: list[str] = []

    async def redirect_handler(url: str) -> None:  # a headless browser: consent, sign in, come back
        limits = httpx2.Limits(max_keepalive_connections=0)
        async with httpx2.AsyncClient(follow_redirects=False, timeout=30, limits=limits) as browser:
            consent = await browser.get(url)
            consent = await browser.get(consent.headers["location"])
            fields = dict(re.findall(r'name="(tx|csrf)" value="([^"]+)"', consent.text))
            approved = await browser.post(str(consent.url).split("?")[0], data=fields)
            procore = await browser.get(approved.headers["location"])
            back = await browser.get(procore.headers["location"])
            redirected.append(back.headers["location"])

    async def callback_handler() -> AuthorizationCodeResult:
        answer = parse_qs(urlsplit(redirected[-1]).query)
        SECRETS.add(answer["code"][0])
        return AuthorizationCodeResult(code=answer["code"][0], state=answer["state"][0], iss=answer["iss"][0])

    with two_replicas(installed_package, fake_procore, postgres_server.new_database()) as (deployment, chosen):
        storage = _MemoryStorage()
        metadata = OAuthClientMetadata(redirect_uris=[REDIRECT], client_name="Official agent")  # type: ignore[list-item]
        auth = OAuthClientProvider(deployment.resource, metadata, storage, redirect_handler, callback_handler)

        async def session() -> Any:
            async with (
                httpx2.AsyncClient(auth=auth, timeout=30) as http,
                Client(streamable_http_client(deployment.resource, http_client=http)) as client,
            ):
                return await client.call_tool("show_signed_in_user", {})

        result = anyio.run(session)
        SECRETS.update({storage.tokens.access_token, storage.tokens.refresh_token or ""})
        assert result.structured_content["login"] == "bob@example.com"
        assert len(set(chosen)) == 2


def _consent_of(deployment: Deployment, browser: httpx.Client) -> tuple[str, dict[str, str]]:
    """A client's authorization request in `browser`, up to the consent page: its URL and the form's fields."""
    registration = {"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", "client_name": "Agent"}
    client_id = browser.post(deployment.url + "/register", json=registration).json()["client_id"]
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "state": "s",
             "code_challenge": "x" * 43, "code_challenge_method": "S256", "resource": deployment.resource}  # fmt: skip
    consent = browser.get(deployment.url + "/authorize", params=query).headers["location"]
    return consent.split("?")[0], dict(re.findall(r'name="(tx|csrf)" value="([^"]+)"', browser.get(consent).text))


def test_an_approval_posted_from_another_site_or_browser_is_refused(deployment: Deployment) -> None:
    with httpx.Client(follow_redirects=False, timeout=30) as attacker, httpx.Client(follow_redirects=False) as victim:
        url, fields = _consent_of(deployment, attacker)  # the attacker reads their own consent page
        assert victim.post(url, data=fields).status_code == 403  # and has the victim's browser post it
        forged_origin = attacker.post(url, data=fields, headers={"Origin": "https://evil.example"})
        assert forged_origin.status_code == 403
        cross_site = attacker.post(url, data=fields, headers={"Sec-Fetch-Site": "cross-site"})
        assert cross_site.status_code == 403
        assert attacker.post(url, data=fields, headers={"Origin": deployment.url}).status_code == 302


def test_a_declined_sign_in_is_reported_to_the_client(deployment: Deployment) -> None:
    with httpx.Client(follow_redirects=False, timeout=30) as browser:
        url, fields = _consent_of(deployment, browser)
        procore = browser.post(url, data=fields).headers["location"]
        state = parse_qs(urlsplit(procore).query)["state"][0]
        declined = browser.get(f"{deployment.url}/team/callback", params={"error": "access_denied", "state": state})
    answer = parse_qs(urlsplit(declined.headers["location"]).query)
    assert declined.status_code == 302 and answer["error"] == ["access_denied"] and answer["state"] == ["s"]


def test_an_identity_answer_that_names_nobody_signs_nobody_in(deployment: Deployment) -> None:
    with pytest.raises(AssertionError, match="did not complete"):
        sign_in(deployment, "ghost")
    # The pair Procore issued for that sign-in is revoked, not left behind unstored.
    assert deployment.fake.state.revoked == {"refresh-1"}


def test_the_catalog_tools_cannot_reach_the_servers_token_tools(deployment: Deployment) -> None:
    alice = sign_in(deployment, "alice")
    token_tool = {"name": "get_or_refresh_access_token", "arguments": {"grant_type": "client_credentials"}}
    called = call_as(deployment, alice["access_token"], "call_operation", token_tool)[1]
    assert called.is_error is True and "get_or_refresh_access_token" in called.content[0].text
    described = call_as(deployment, alice["access_token"], "describe_operation", {"name": token_tool["name"]})[1]
    assert described.is_error is True
    found = call_as(deployment, alice["access_token"], "search_operations", {"query": "access token", "limit": 50})[1]
    names = [result["name"] for result in found.structured_content["results"]]
    assert "get_or_refresh_access_token" not in names and "revoke_token" not in names
    assert not any(r.path == "/oauth/token" and b"client_credentials" in r.body for r in deployment.fake.state.requests)


def test_a_team_user_confirms_a_delete_on_the_current_era_and_is_refused_where_nobody_can_be_asked(
    deployment: Deployment,
) -> None:
    deployment.fake.state.records["punch_items"] += [{"id": 9201, "name": "Scratch"}, {"id": 9202, "name": "Dent"}]
    alice = sign_in(deployment, "alice")
    asked: list[str] = []

    async def accept(context: Any, params: Any) -> types.ElicitResult:
        asked.append(str(params.message))
        return types.ElicitResult(action="accept")

    async def session(mode: str, item: int) -> Any:
        headers = {"Authorization": f"Bearer {alice['access_token']}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30) as http,
            Client(
                streamable_http_client(deployment.resource, http_client=http), mode=mode, elicitation_callback=accept
            ) as client,  # fmt: skip
        ):
            arguments = {"id": item, "project_id": 101, "procore_company_id": 1}
            return await client.call_tool("delete_punch_item", arguments)

    current = anyio.run(session, "auto", 9201)
    assert current.is_error is False and len(asked) == 1 and "punch_items/9201" in asked[0]
    legacy = anyio.run(session, "legacy", 9202)  # stateless HTTP: no way back to this client mid-call
    assert legacy.is_error is True and "cannot ask for" in legacy.content[0].text and len(asked) == 1
    assert [r["id"] for r in deployment.fake.state.records["punch_items"]] == [9202]

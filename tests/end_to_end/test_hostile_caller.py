"""Every attack of the security review (issue #23) in one place, tried as an attacker would: a remote team user,
or a model steered by text inside the API's own data. Each runs through the real parts: the official MCP client
against the installed Procore server (stdio and HTTP) and the fake Procore, team deployments on SQLite and
PostgreSQL, and a small API of our own (tests/fixtures/specs/hostile_target.yaml) generated into a package of its
own, for what Procore's API does not have (a key in the query string, cookies, string path values).

The generator's findings (item 10) are tried here where they reach a running server (a pattern that backtracks
exponentially); the rest through its command line in tests/generator: test_urls.py and test_templating.py (spec
text in Markdown and HTML, the file name in banners), test_bundle.py (remote refs), test_patterns.py."""

from __future__ import annotations

import base64
import json
import os
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, ClassVar

import anyio
import httpx
import pytest
import sqlalchemy as sa
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from generator.pipeline import generate
from generator.write import write_tree
from tests.conftest import ROOT
from tests.end_to_end.conftest import (
    SECRETS,
    SEEN_TEXT,
    free_port,
    http_server,
    run_package,
    run_session,
    server_environment,
    with_client_credentials,
)
from tests.end_to_end.test_team import sign_in, team_deployment
from tests.support.fake_procore import CLIENT_SECRET, FakeProcore
from tests.support.hostile_api import API_KEY, Seen, running_hostile_api
from tests.support.loopback import QuietHandler, serving
from tests.support.team_client import REDIRECT, Deployment, call_as
from tests.support.tls import GZIPPED, TRICKLE, serving_documents

SECRETS.add(API_KEY)
UPLOAD = "upload_file_to_project_documents"
PHOTO = "upload_photo_to_project"
REBINDING = ROOT / "tests" / "support" / "rebinding"


def _call(name: str, arguments: dict[str, Any]) -> Any:
    async def body(client: Client) -> Any:
        return await client.call_tool(name, arguments)

    return body


def _text(result: Any) -> str:
    return "\n".join(getattr(part, "text", "") for part in result.content)


# -- a package of our own API, for what Procore's API does not have ----------------------------------------


@pytest.fixture(scope="module")
def hostile_package(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """tests/fixtures/specs/hostile_target.yaml generated into a package: its source folder, module and prefix."""
    generation = generate(ROOT / "tests" / "fixtures" / "specs" / "hostile_target.yaml")
    folder = tmp_path_factory.mktemp("hostile") / "pkg"
    write_tree(folder, generation.files)
    return folder / "src", generation.api.config.package_name, generation.api.config.env_prefix


def _hostile_session(package: tuple[Path, str, str], base_url: str, body: Any, **extra: str) -> Any:
    return run_package(package, {"BASE_URL": base_url, "API_KEY": API_KEY, **extra}, body)


@pytest.fixture
def hostile_api() -> Iterator[tuple[str, Seen]]:
    with running_hostile_api() as running:
        yield running


# == 1. File arguments: nobody reads the server's files ====================================================


@contextmanager
def _deployment(installed: Path, fake: FakeProcore, database: str, **extra: str) -> Iterator[Deployment]:
    with team_deployment(installed, fake, database, **extra) as deployment:
        yield deployment


def test_team_users_are_not_shown_a_path_for_files_and_cannot_send_one(
    installed_package: Path, fake_procore: FakeProcore, database_url: str
) -> None:
    arguments = {"project_id": 7, "procore_company_id": 42, "file": {"data": {"path": "/proc/self/environ"}}}
    with _deployment(installed_package, fake_procore, database_url, PROCORE_MODE="static") as deployment:
        alice = sign_in(deployment, "alice")
        names, sent = call_as(deployment, alice["access_token"], UPLOAD, arguments)
        _, through_catalog = call_as(
            deployment, alice["access_token"], "call_operation", {"name": UPLOAD, "arguments": arguments}
        )
        _, described = call_as(deployment, alice["access_token"], "describe_operation", {"name": UPLOAD})
        listed = _listed_schemas(deployment, alice["access_token"])
    assert UPLOAD in names
    for refused in (sent, through_catalog):
        assert refused.is_error is True and "path" in _text(refused)
        assert "PROCORE_TEAM_KEYS" not in _text(refused) and CLIENT_SECRET not in _text(refused)
    file_schema = described.structured_content["inputSchema"]["properties"]["file"]["properties"]["data"]
    assert set(file_schema["properties"]) == {"content_base64", "filename", "content_type"}
    assert "`path`" not in json.dumps(file_schema)
    assert "/proc/self" not in json.dumps(listed) and '"path": {"type": "string"' not in json.dumps(listed)
    assert not any(r.method == "POST" and "/files" in r.path for r in fake_procore.state.requests)


def _listed_schemas(deployment: Deployment, token: str) -> list[dict[str, Any]]:
    async def listing() -> list[dict[str, Any]]:
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        async with (
            httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}, timeout=30) as http,
            Client(streamable_http_client(deployment.resource, http_client=http)) as client,
        ):
            tools = (await client.list_tools()).tools
            return [tool.input_schema for tool in tools if tool.name == UPLOAD]

    return anyio.run(listing)


def test_local_paths_are_read_only_inside_allowed_folders_and_never_through_links(
    installed_package: Path, fake_procore: FakeProcore, tmp_path: Path
) -> None:
    allowed = tmp_path / "uploads"
    allowed.mkdir()
    (allowed / "plan.pdf").write_bytes(b"%PDF-plan")
    (allowed / "drawings").mkdir()
    (allowed / "big.bin").write_bytes(b"x" * 2048)
    secret = tmp_path / "elsewhere" / "id_rsa"
    secret.parent.mkdir()
    secret.write_text("-----BEGIN PRIVATE KEY-----")
    (allowed / "key-link").symlink_to(secret)
    (allowed / "zero-link").symlink_to("/dev/zero")
    (allowed / "linked-folder").symlink_to(secret.parent)
    os.mkfifo(allowed / "pipe")
    token_file = Path(server_environment(installed_package, fake_procore)["PROCORE_TOKEN_FILE"])
    attempts = {
        "outside": str(secret), "climb": str(allowed / ".." / "elsewhere" / "id_rsa"), "token file": str(token_file),
        "link to a file": str(allowed / "key-link"), "link to a device": str(allowed / "zero-link"),
        "through a linked folder": str(allowed / "linked-folder" / "id_rsa"), "a pipe": str(allowed / "pipe"),
        "a folder": str(allowed / "drawings"), "the allowed folder": str(allowed), "a device": "/dev/zero",
        "environment": "/proc/self/environ",
        "missing": str(allowed / "nothing-here"), "too large": str(allowed / "big.bin"),
    }  # fmt: skip

    def upload(path: str) -> dict[str, Any]:
        return {"project_id": 7, "procore_company_id": 42, "image_name": "p", "image": {"data": {"path": path}}}

    async def body(client: Client) -> Any:
        refused = {name: await client.call_tool(PHOTO, upload(path)) for name, path in attempts.items()}
        return refused, await client.call_tool(PHOTO, upload("plan.pdf"))  # relative: inside the first folder

    async def without_a_folder(client: Client) -> Any:
        return await client.call_tool(PHOTO, upload(str(allowed / "plan.pdf")))

    off = run_session(installed_package, fake_procore, without_a_folder, **with_client_credentials())
    assert off.is_error is True and "reading local files is off; to allow it, set PROCORE_UPLOAD_ROOT" in _text(off)
    refused, accepted = run_session(
        installed_package, fake_procore, body, PROCORE_UPLOAD_ROOT=str(allowed), PROCORE_UPLOAD_MAX_BYTES="1024",
        **with_client_credentials(),
    )  # fmt: skip
    for name, result in refused.items():
        text = _text(result)
        assert result.is_error is True, name
        assert str(tmp_path) not in text and "/proc" not in text and "Errno" not in text, (name, text)
        assert "PRIVATE KEY" not in text and "Permission denied" not in text and "No such file" not in text
    assert "over 1,024 bytes" in _text(refused["too large"])
    assert "only regular files" in _text(refused["a pipe"]) and "only regular files" in _text(refused["a folder"])
    assert "not the folder itself" in _text(refused["the allowed folder"])
    assert "links are not followed" in _text(refused["link to a file"])
    assert accepted.is_error is False, accepted.content
    assert len(fake_procore.state.uploads) == 1
    assert fake_procore.state.uploads[0]["image[data]"] == ("plan.pdf", b"%PDF-plan", "application/pdf")


def test_the_servers_own_files_are_never_sent_even_from_an_allowed_folder(
    installed_package: Path, fake_procore: FakeProcore, tmp_path: Path
) -> None:
    home = tmp_path / "home"  # the owner allowed their whole home folder, where the server keeps its files too
    (home / ".config" / "procore-mcp").mkdir(parents=True)
    (home / ".config" / "procore-mcp" / "team.db").write_bytes(b"SQLite format 3")
    token_file = home / "tokens.json"
    token_file.write_text(json.dumps({**fake_procore.state.issue(), "expires_at": time.time() + 3000}))
    os.link(token_file, home / "holiday-photo.jpg")  # the same file under another name
    (home / "plan.pdf").write_bytes(b"%PDF-plan")

    def upload(path: Path) -> dict[str, Any]:
        return {"project_id": 7, "procore_company_id": 42, "image_name": "p", "image": {"data": {"path": str(path)}}}

    async def body(client: Client) -> Any:
        paths = [token_file, home / "holiday-photo.jpg", home / ".config" / "procore-mcp" / "team.db"]
        return [await client.call_tool(PHOTO, upload(path)) for path in [*paths, home / "plan.pdf"]]

    *refused, accepted = run_session(
        installed_package, fake_procore, body, PROCORE_UPLOAD_ROOT=str(home), PROCORE_TOKEN_FILE=str(token_file),
        XDG_CONFIG_HOME=str(home / ".config"), **with_client_credentials(),
    )  # fmt: skip
    for result in refused:
        assert result.is_error is True and "one of this server's own files" in _text(result), _text(result)
    assert accepted.is_error is False, accepted.content
    assert [upload["image[data]"][1] for upload in fake_procore.state.uploads] == [b"%PDF-plan"]


# == 2. Plain HTTP with the owner's credentials stays on this machine =====================================


def test_plain_http_listens_beyond_loopback_only_when_told_to(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    environment = server_environment(installed_package, fake_procore, **with_client_credentials())
    command = [sys.executable, "-m", "procore_mcp", "--transport", "http", "--host", "0.0.0.0", "--port"]
    refused = subprocess.run([*command, str(free_port())], env=environment, capture_output=True, text=True, timeout=60)
    assert refused.returncode == 2 and "refusing to listen on 0.0.0.0" in refused.stderr
    assert "--allow-anyone-on-the-network" in refused.stderr and "Traceback" not in refused.stderr
    doctor = subprocess.run(
        [sys.executable, "-m", "procore_mcp", "doctor", "--host", "0.0.0.0"],
        env=environment, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert "failed   HTTP on 0.0.0.0: refused without --team" in doctor.stdout
    port = free_port()
    with http_server(environment, "--host", "0.0.0.0", "--allow-anyone-on-the-network", port=port) as (url, _):
        assert httpx.post(url, json={}, timeout=30).status_code in (400, 406)  # it listens, as told
    assert "anyone who can reach this port acts with this server's credentials" in SEEN_TEXT[-1]


@pytest.mark.parametrize("host", ["127.0.0.2", "0:0:0:0:0:0:0:1"])
def test_every_loopback_spelling_keeps_web_pages_out(
    installed_package: Path, fake_procore: FakeProcore, host: str
) -> None:
    """DNS rebinding: a web page whose name now points at this machine must not reach the server's tools."""
    if host.count(":") and not socket.has_ipv6:
        pytest.skip("this machine has no IPv6")
    environment = server_environment(installed_package, fake_procore, **with_client_credentials())
    port = free_port()
    with http_server(environment, "--host", host, port=port, probe=host):
        shown = f"[{host}]" if ":" in host else host
        initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18",
                      "capabilities": {}, "clientInfo": {"name": "page", "version": "1"}}}  # fmt: skip
        accept = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
        target = f"http://{shown}:{port}/mcp"
        rebound = httpx.post(target, json=initialize, headers={**accept, "Host": "rebind.attacker.example"}, timeout=30)
        own = httpx.post(target, json=initialize, headers=accept, timeout=30)
    assert rebound.status_code in (403, 421) and own.status_code == 200


# == 3. Client metadata documents: one checked address, one deadline, remembered failures, limits ==========


def _authorize(deployment: Deployment, client_id: str, redirect: str = REDIRECT) -> httpx.Response:
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect, "state": "s",
             "code_challenge": "x" * 43, "code_challenge_method": "S256"}  # fmt: skip
    return httpx.get(deployment.url + "/authorize", params=query, timeout=60)


def test_a_metadata_fetch_connects_only_to_the_address_it_checked(
    installed_package: Path, fake_procore: FakeProcore, tmp_path: Path
) -> None:
    """DNS rebinding: the name answers a public address when checked, then an internal one. The fetch must go to
    the address it checked (unreachable from here) and never reach the internal service."""
    internal = socket.socket()
    internal.bind(("127.0.0.1", 0))
    internal.listen()
    internal.settimeout(0.2)
    port = internal.getsockname()[1]
    rebinding = {
        "PYTHONPATH": f"{installed_package}{os.pathsep}{REBINDING}",
        "TEST_REBIND_NAME": "rebind.test", "TEST_REBIND_ANSWERS": "93.184.216.34,127.0.0.1",
    }  # fmt: skip
    try:
        with _deployment(
            installed_package, fake_procore, f"sqlite:///{tmp_path / 'team.db'}", **rebinding
        ) as deployment:
            refused = _authorize(deployment, f"https://rebind.test:{port}/client.json")
        assert refused.status_code == 400  # no document: the client is unknown
        with pytest.raises(TimeoutError):
            internal.accept()  # nothing connected to the internal service
    finally:
        internal.close()


def test_metadata_fetches_end_at_one_deadline_failures_are_remembered_and_fetches_limited(
    installed_package: Path, fake_procore: FakeProcore, tmp_path: Path
) -> None:
    asked: list[str] = []
    documents: dict[str, Any] = {}
    with serving_documents(tmp_path, documents, asked) as (base, cert):
        documents[GZIPPED] = {"client_id": base + GZIPPED, "client_name": "Zipped", "redirect_uris": [REDIRECT]}
        extra = {"SSL_CERT_FILE": str(cert), "PROCORE_TEAM_CIMD_PRIVATE": "1"}
        database = f"sqlite:///{tmp_path / 'team.db'}"
        with _deployment(installed_package, fake_procore, database, **extra) as deployment:
            started = time.monotonic()
            slow = _authorize(deployment, base + TRICKLE)
            took = time.monotonic() - started
            missing = f"{base}/missing.json"
            remembered = [_authorize(deployment, missing).status_code for _ in range(3)]
            compressed = _authorize(deployment, base + GZIPPED)  # a server that compresses anyway: refused
            limited = [_authorize(deployment, f"{base}/gone-{n}.json").status_code for n in range(31)]
    assert slow.status_code == 400 and took < 30  # the trickle would take a minute: the fetch's one deadline ends it
    assert remembered == [400] * 3 and asked.count("/missing.json") == 1  # a failure is not fetched again
    assert compressed.status_code == 400 and GZIPPED in asked
    assert set(limited) == {400} and len(asked) == 30  # 30 fetches a minute, then no more (the others count)
    assert "/gone-27.json" not in asked and "/gone-30.json" not in asked


def test_registrations_are_limited_per_address(
    installed_package: Path, fake_procore: FakeProcore, tmp_path: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'team.db'}"
    registration = {"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", "client_name": "Spam"}
    with _deployment(installed_package, fake_procore, database, PROCORE_TEAM_REGISTRATION_LIMIT="3") as deployment:
        answers = [httpx.post(deployment.url + "/register", json=registration, timeout=30) for _ in range(5)]
    assert [a.status_code for a in answers] == [201, 201, 201, 429, 429]
    assert answers[-1].headers["retry-after"] == "60"


# == 4. Bodies are read up to a cap, error bodies too ======================================================


def test_endless_bodies_are_cut_off_unread(
    hostile_package: tuple[Path, str, str], hostile_api: tuple[str, Seen]
) -> None:
    base_url, seen = hostile_api

    async def body(client: Client) -> Any:
        return (
            await client.call_tool("show_record", {"name": "endless"}),
            await client.call_tool("show_record", {"name": "endless-error"}),
            await client.call_tool("show_record", {"name": "bomb"}),
            await client.call_tool("show_record", {"name": "still-serving"}),
        )

    endless, endless_error, bomb, after = _hostile_session(hostile_package, base_url, body)
    assert bomb.is_error is True and "the response is over 8,388,608 bytes" in _text(bomb)  # inflated only so far
    assert endless.is_error is True and "the response is over 8,388,608 bytes" in _text(endless)
    assert "was not read" in _text(endless)
    assert endless_error.is_error is True and _text(endless_error).startswith("HTTP 400")
    assert len(_text(endless_error)) < 3000
    assert after.is_error is False  # the server kept serving
    assert seen.streamed_bytes < 256 * 1024 * 1024  # both bodies were dropped long before their end


# == 5. Redirects keep to the scheme, host and port of a configured server =================================


class _Leak(QuietHandler):
    received: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        self.received.append(dict(self.headers))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


def test_redirects_to_another_port_are_refused(
    hostile_package: tuple[Path, str, str], hostile_api: tuple[str, Seen]
) -> None:
    base_url, seen = hostile_api
    _Leak.received = []
    with serving(_Leak) as other:  # the same host (127.0.0.1), another port
        seen.redirect_to = f"{other}/leak?api_key=stolen"

        async def body(client: Client) -> Any:
            # More refusals than the connection pool holds: each must give its connection back.
            refusals = [await client.call_tool("show_record", {"name": "redirect"}) for _ in range(105)]
            seen.redirect_to = f"{base_url}/records/followed"  # the same scheme, host and port: followed
            return refusals, await client.call_tool("show_record", {"name": "redirect"})

        refusals, followed = _hostile_session(hostile_package, base_url, body, TIMEOUT="10")
    refused = refusals[-1]
    assert all(r.is_error for r in refusals) and "which is not a configured server; not followed" in _text(refused)
    assert "stolen" not in _text(refused) and API_KEY not in _text(refused)
    assert _Leak.received == []
    assert followed.is_error is False and followed.structured_content == {"path": "/api/records/followed"}


# == 6. One redaction, before any cut, in every form; no request URLs in logs ================================


def test_the_api_key_never_comes_back_in_any_form(
    hostile_package: tuple[Path, str, str], hostile_api: tuple[str, Seen]
) -> None:
    base_url, _ = hostile_api

    async def body(client: Client) -> Any:
        return (
            await client.call_tool("download_export", {"name": "report"}),
            await client.call_tool("read_notes", {"kind": "encoded"}),
            await client.call_tool("read_notes", {"kind": "cut"}),
            await client.call_tool("show_record", {"name": "echo-error"}),
        )

    export, encoded, cut, error = _hostile_session(hostile_package, base_url, body, RESPONSE_BUDGET="1000")
    blob = export.content[1].resource  # read-only: its URI reads it again through this server, not the API's URL
    assert str(blob.uri).startswith("hostile-target-mcp://call/download_export?")
    assert "api_key" not in str(blob.uri) and API_KEY not in str(blob.uri)
    assert base64.b64decode(blob.blob) == b"\x00export-bytes\xff"
    forms = [API_KEY, base64.b64encode(API_KEY.encode()).decode()[:-4], base64.b64encode(b"user:" + API_KEY.encode())]
    for result in (encoded, cut, error):
        text = _text(result)
        assert "[reda" in text, text[:300]  # an error's text is cut after redaction: maybe inside the marker
        for prefix_length in (8, 12, len(API_KEY)):  # no part of the key left where a cut fell
            assert API_KEY[:prefix_length] not in text, text[-300:]
        assert not any(str(form) in text for form in forms[1:])
    assert "percent [redacted]" in _text(encoded) and _text(encoded).count("[redacted]") == 5
    # In a longer base64 value (`user:key`, as HTTP basic sends it) at most two bytes of the key stay at each edge.
    assert base64.b64encode(f"user:{API_KEY}".encode()).decode()[8:-4] not in _text(encoded)


def test_team_logs_name_no_request_url(installed_package: Path, fake_procore: FakeProcore, tmp_path: Path) -> None:
    with _deployment(installed_package, fake_procore, f"sqlite:///{tmp_path / 'team.db'}") as deployment:
        alice = sign_in(deployment, "alice")
        call_as(deployment, alice["access_token"], "list_rfis_in_project", {"project_id": 7, "procore_company_id": 1})
    log = SEEN_TEXT[-1]
    assert "signed in" in log  # the deployment's own log is here
    assert "HTTP Request" not in log and fake_procore.url not in log


# == 7. Request values cannot change the request's shape ====================================================


def test_values_cannot_add_path_segments_cookies_or_headers(
    hostile_package: tuple[Path, str, str], hostile_api: tuple[str, Seen], tmp_path: Path
) -> None:
    base_url, seen = hostile_api
    names = ["..;", "a;b=c,d", "../admin", "."]

    async def body(client: Client) -> Any:
        shown = [await client.call_tool("show_record", {"name": name}) for name in names]
        cookie = await client.call_tool("show_record", {"name": "x", "session": "c=v; admin=1"})
        header = await client.call_tool("show_record", {"name": "x", "x_trace": "t\r\nX-Admin: 1"})
        content = base64.b64encode(b"hello").decode()
        part = {"content_base64": content, "filename": "a.txt", "content_type": "text/plain\r\nX-Injected: 1"}
        upload = await client.call_tool("add_attachment", {"file": part})
        return shown, cookie, header, upload

    shown, cookie, header, upload = _hostile_session(hostile_package, base_url, body)
    assert [result.structured_content["path"] for result in shown] == [
        "/api/records/%2E%2E%3B", "/api/records/a%3Bb%3Dc%2Cd", "/api/records/%2E%2E%2Fadmin", "/api/records/%2E",
    ]  # fmt: skip
    assert cookie.is_error is True and "a cookie cannot carry" in _text(cookie)
    assert header.is_error is True and "line break" in _text(header)
    assert upload.is_error is True and "must be a media type" in _text(upload)
    assert not seen.parts and all("admin" not in json.dumps(h).lower() for h in seen.headers)
    assert len(seen.paths) == len(names)  # the refused calls sent nothing


# == 8. The model cannot change whose tokens the server holds ==============================================


def test_the_model_cannot_sign_the_server_in_as_someone_else(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    token_file = Path(server_environment(installed_package, fake_procore)["PROCORE_TOKEN_FILE"])
    held = {**fake_procore.state.issue("alice"), "expires_at": time.time() + 3000, "grant": "authorization_code"}
    token_file.write_text(json.dumps(held))
    fake_procore.state.signing_in = "pat"  # the attacker's account answers the attacker's code
    attack = {"grant_type": "authorization_code", "code": "good-code", "redirect_uri": "urn:ietf:wg:oauth:2.0:oob"}
    result = run_session(
        installed_package, fake_procore, _call("get_or_refresh_access_token", attack), **with_client_credentials()
    )
    assert result.is_error is False and result.structured_content["access_token"].startswith("[withheld")
    assert json.loads(token_file.read_text()) == held  # still alice's sign-in


def test_two_servers_sharing_a_token_file_spend_its_refresh_token_once(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    token_file = Path(server_environment(installed_package, fake_procore)["PROCORE_TOKEN_FILE"])
    expired = {**fake_procore.state.issue("alice"), "expires_at": time.time() - 1, "grant": "authorization_code"}
    token_file.write_text(json.dumps(expired))
    fake_procore.state.token_delay_seconds = 1.0  # long enough for the two to meet
    results: list[Any] = [None, None]

    def one(index: int) -> None:
        body = _call("show_signed_in_user", {})
        results[index] = run_session(installed_package, fake_procore, body, **with_client_credentials())

    threads = [threading.Thread(target=one, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert [r.structured_content["login"] for r in results] == ["alice@example.com"] * 2, results
    assert fake_procore.state.refreshes == 1 and fake_procore.state.refresh_reuses == 0
    grants = [r.body for r in fake_procore.state.requests if r.path == "/oauth/token"]
    assert len(grants) == 1 and b"client_credentials" not in grants[0]
    assert json.loads(token_file.read_text())["grant"] == "authorization_code"


# == 9. Team mode's own hardening ===========================================================================


@pytest.mark.parametrize(
    "public_url",
    ["http://localhost.evil.com", "http://127.0.0.1.evil.com:8000", "https://user@mcp.example.com",
     "https://mcp.example.com/?next=x", "ftp://mcp.example.com", "https://"],
)  # fmt: skip
def test_the_public_url_is_parsed_and_compared_exactly(
    installed_package: Path, fake_procore: FakeProcore, public_url: str, tmp_path: Path
) -> None:
    environment = server_environment(
        installed_package, fake_procore, PROCORE_PUBLIC_URL=public_url, PROCORE_TEAM_KEYS="k1:" + "A" * 43,
        PROCORE_TEAM_DATABASE_URL=f"sqlite:///{tmp_path / 'team.db'}", **with_client_credentials(),
    )  # fmt: skip
    command = [sys.executable, "-m", "procore_mcp", "--transport", "http", "--team", "--port", str(free_port())]
    started = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=60)
    assert started.returncode == 2 and "Set PROCORE_PUBLIC_URL" in started.stderr, started.stderr


def test_the_team_database_is_private_and_keeps_no_client_secret(
    installed_package: Path, fake_procore: FakeProcore, tmp_path: Path
) -> None:
    home = tmp_path / "config"
    registration = {"redirect_uris": [REDIRECT], "client_name": "Confidential", "token_endpoint_auth_method":
                    "client_secret_post"}  # fmt: skip
    with _deployment(installed_package, fake_procore, "", XDG_CONFIG_HOME=str(home)) as deployment:
        client = httpx.post(deployment.url + "/register", json=registration, timeout=30).json()
        secret = client["client_secret"]
        SECRETS.add(secret)

        def revoke(presented: str) -> int:
            form = {"client_id": client["client_id"], "client_secret": presented, "token": "no-such-token"}
            return httpx.post(deployment.url + "/revoke", data=form, timeout=30).status_code

        database = home / "procore-mcp" / "team.db"
        stored = sqlite3.connect(database).execute("SELECT secret_hash, info FROM team_clients").fetchall()
        answers = {"right": revoke(secret), "wrong": revoke(secret[::-1]), "the stored hash": revoke(stored[0][0])}
    assert answers == {"right": 200, "wrong": 401, "the stored hash": 401}
    assert secret not in json.dumps(stored) and database.read_bytes().find(secret.encode()) == -1
    assert stat.S_IMODE(database.parent.stat().st_mode) == 0o700
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_no_network_call_holds_the_sqlite_write_lock(
    installed_package: Path, fake_procore: FakeProcore, tmp_path: Path
) -> None:
    """Alice's Procore token is refreshed slowly; meanwhile Bob signs in, which writes to the database."""
    database = f"sqlite:///{tmp_path / 'team.db'}"
    with _deployment(installed_package, fake_procore, database) as deployment:
        alice = sign_in(deployment, "alice")
        with sqlite3.connect(tmp_path / "team.db") as conn:
            conn.execute("UPDATE team_upstream SET expires_at = 0")
        fake_procore.state.token_delay_seconds = 4.0
        finished: dict[str, float] = {}

        def alice_calls() -> None:
            call_as(deployment, alice["access_token"], "show_signed_in_user", {})
            finished["alice"] = time.monotonic()

        slow = threading.Thread(target=alice_calls)
        slow.start()
        time.sleep(0.5)  # her refresh is under way
        sign_in(deployment, "bob")
        finished["bob"] = time.monotonic()
        slow.join(timeout=60)
    assert finished["bob"] < finished["alice"]  # Bob's sign-in did not wait for Alice's refresh


def test_a_sign_in_that_fails_after_procore_issued_tokens_revokes_them(
    installed_package: Path, fake_procore: FakeProcore, database_url: str
) -> None:
    with _deployment(installed_package, fake_procore, database_url) as deployment:
        fake_procore.state.code_answer = b"[1, 2, 3]"  # not an object: a clear page, not a crash
        with pytest.raises(AssertionError, match="did not work"):
            sign_in(deployment, "alice")
        fake_procore.state.code_answer = None
        engine = sa.create_engine(database_url)
        with engine.begin() as conn:  # the store fails after Procore answered: the pair must not be left behind
            conn.execute(sa.text("DROP TABLE team_codes"))
        engine.dispose()
        with pytest.raises(AssertionError, match="did not complete"):
            sign_in(deployment, "bob")
    issued = fake_procore.state.issued_tokens[-1]  # bob's pair, exchanged but never stored
    assert f"refresh-{issued.split('-')[1]}" in fake_procore.state.revoked
    assert "Internal Server Error" not in SEEN_TEXT[-1]


def test_a_replayed_code_revokes_what_it_was_exchanged_for(
    installed_package: Path, fake_procore: FakeProcore, database_url: str
) -> None:
    with _deployment(installed_package, fake_procore, database_url) as deployment:
        alice = sign_in(deployment, "alice")
        replay = {
            "grant_type": "authorization_code",
            "code": alice["code"],
            "redirect_uri": REDIRECT,
            "client_id": alice["client_id"],
            "code_verifier": alice["verifier"],
            "resource": deployment.resource,
        }
        again = httpx.post(deployment.url + "/token", data=replay, timeout=30)  # fmt: skip
        listing = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
        bearer = {"Authorization": f"Bearer {alice['access_token']}"}
        after = httpx.post(deployment.resource, headers=bearer, json=listing, timeout=30)
        refresh = {"grant_type": "refresh_token", "refresh_token": alice["refresh_token"],
                   "client_id": alice["client_id"], "resource": deployment.resource}  # fmt: skip
        refreshed = httpx.post(deployment.url + "/token", data=refresh, timeout=30)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    assert after.status_code == 401 and refreshed.status_code == 400


def test_the_consent_page_says_who_vouches_for_a_client(
    installed_package: Path, fake_procore: FakeProcore, tmp_path: Path
) -> None:
    documents: dict[str, Any] = {}
    with serving_documents(tmp_path, documents) as (base, cert):
        client_id = f"{base}/client.json"
        documents["/client.json"] = {"client_id": client_id, "client_name": "Claude", "redirect_uris": [REDIRECT]}
        extra = {"SSL_CERT_FILE": str(cert), "PROCORE_TEAM_CIMD_PRIVATE": "1"}
        with _deployment(installed_package, fake_procore, f"sqlite:///{tmp_path / 'team.db'}", **extra) as deployment:
            documented = httpx.get(_authorize(deployment, client_id).headers["location"], timeout=30).text
            registration = {"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", "client_name": "Claude"}
            registered_id = httpx.post(deployment.url + "/register", json=registration, timeout=30).json()["client_id"]
            registered = httpx.get(_authorize(deployment, registered_id).headers["location"], timeout=30).text
            disguise = "https://login.procore.com@evil.example/cb"
            posing = {**registration, "redirect_uris": [disguise]}
            posing_id = httpx.post(deployment.url + "/register", json=posing, timeout=30).json()["client_id"]
            disguised = httpx.get(_authorize(deployment, posing_id, disguise).headers["location"], timeout=30).text
    assert "Its description is published by <b>127.0.0.1</b>" in documented
    assert "It registered itself with this server: its name is its own claim" in registered
    assert "sent back to <b>evil.example</b>" in disguised  # not "login.procore.com@evil.example"


def _trickled(port: int, opening: bytes, drip: bytes) -> float:
    """Send `opening`, then `drip` a byte at a time every 0.2 s; how long until the server hung up (or 30 s)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as trickle:
        trickle.sendall(opening)
        started = time.monotonic()
        for byte in drip * 150:
            try:
                trickle.sendall(bytes([byte]))
                if trickle.recv(1, socket.MSG_DONTWAIT) == b"":
                    break
            except BlockingIOError:
                pass
            except OSError:
                break
            time.sleep(0.2)
        return time.monotonic() - started


def test_connections_that_trickle_their_headers_or_body_are_closed(
    installed_package: Path, fake_procore: FakeProcore, tmp_path: Path
) -> None:
    """Before any sign-in: headers sent a byte at a time, or a /token body that never ends, hold a connection (one
    of a limited number) no longer than the deadlines: half a second for headers here, six times that for the body."""
    database = f"sqlite:///{tmp_path / 'team.db'}"
    with _deployment(installed_package, fake_procore, database, PROCORE_HTTP_HEADER_TIMEOUT="0.5") as deployment:
        port = int(deployment.url.rsplit(":", 1)[1])
        headers = _trickled(port, b"GET /mcp HTTP/1.1\r\n", b"X")
        body = _trickled(port, b"POST /token HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n", b"a")
        still_serving = httpx.get(deployment.url + "/.well-known/oauth-authorization-server", timeout=30)
    assert headers < 10 and body < 20  # closed after about 0.5 s and 3.5 s, not left open while they trickle
    assert still_serving.status_code == 200


# == 10. The generator: a spec's pattern cannot freeze the server ===========================================


class _Items(QuietHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


def test_a_pattern_that_backtracks_exponentially_cannot_freeze_the_server(tmp_path: Path) -> None:
    """`^(a+)+$` on 40 characters would take Python's `re` hours (it doubles with each one); the generator drops
    the pattern, so the call is answered at once (the API checks the value)."""
    generation = generate(ROOT / "tests" / "fixtures" / "hostile" / "unsafe_patterns.yaml")
    assert "unsafe-pattern" in {diagnostic.kind for diagnostic in generation.diagnostics}
    write_tree(tmp_path / "pkg", generation.files)
    package, prefix = generation.api.config.package_name, generation.api.config.env_prefix

    async def session(url: str) -> Any:
        environment = {"PYTHONPATH": str(tmp_path / "pkg" / "src"), f"{prefix}_BASE_URL": url}
        params = StdioServerParameters(command=sys.executable, args=["-m", package], env=environment)
        with anyio.fail_after(60):
            async with Client(params) as client:
                return await client.call_tool("update_item", {"code": "a" * 40 + "!", "words": "w " * 40 + "!"})

    with serving(_Items) as url:
        result = anyio.run(session, url)
    assert result.is_error is False, result.content

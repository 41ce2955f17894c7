"""`procore-mcp doctor`, `--help` and `--version` of the installed package, against the fake Procore."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.end_to_end.conftest import SEEN_TEXT, free_port, server_environment, with_client_credentials
from tests.support.fake_procore import CLIENT_ID, CLIENT_SECRET, FakeProcore


def _package_version() -> str:
    import tomllib

    from tests.conftest import GENERATED

    return str(tomllib.loads((GENERATED / "pyproject.toml").read_text())["project"]["version"])


def _server(installed: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    completed = subprocess.run(
        [sys.executable, "-m", "procore_mcp", *args], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    SEEN_TEXT.append(completed.stdout + completed.stderr)  # the suite's secret scan reads it too
    return completed


def _doctor(installed: Path, fake: FakeProcore, **extra: str) -> subprocess.CompletedProcess[str]:
    return _server(installed, "doctor", env=server_environment(installed, fake, **extra))


def _lines(completed: subprocess.CompletedProcess[str]) -> dict[str, str]:
    """Check subject -> status, from `status  subject: detail` lines."""
    found = {}
    for line in completed.stdout.splitlines()[1:-1]:
        status, rest = line.split(maxsplit=1)
        found[rest.split(": ", 1)[0]] = status
    return found


def _token_file(installed: Path, fake: FakeProcore) -> Path:
    return Path(server_environment(installed, fake)["PROCORE_TOKEN_FILE"])


def test_help_lists_the_subcommands_and_version_prints_it(installed_package: Path, fake_procore: FakeProcore) -> None:
    environment = server_environment(installed_package, fake_procore)
    shown = _server(installed_package, "--help", env=environment)
    assert shown.returncode == 0
    assert "{login,team-key,doctor}" in shown.stdout and "--team" in shown.stdout
    assert "login " in shown.stdout and "doctor " in shown.stdout and "team-key " in shown.stdout
    version = _server(installed_package, "--version", env=environment)
    assert (version.returncode, version.stdout) == (0, f"procore-mcp {_package_version()}\n")
    doctor_help = _server(installed_package, "doctor", "--help", env=environment)
    assert doctor_help.returncode == 0 and "exit 0 when all pass, 1 otherwise" in " ".join(doctor_help.stdout.split())


def test_doctor_passes_with_client_credentials_and_never_prints_a_secret(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    completed = _doctor(installed_package, fake_procore, **with_client_credentials())
    assert completed.returncode == 0, completed.stdout + completed.stderr
    checks = _lines(completed)
    assert set(checks.values()) == {"ok"}
    assert checks["PROCORE_CLIENT_ID"] == checks["PROCORE_CLIENT_SECRET"] == "ok"
    assert "ok       PROCORE_CLIENT_SECRET: set (a secret; its value is never shown)" in completed.stdout
    assert f"base URL PROCORE_LOGIN_URL: {fake_procore.url} (from the environment)" in completed.stdout
    assert f"token endpoint {fake_procore.url}/oauth/token: the client credentials were accepted (HTTP 200)" in (
        completed.stdout
    )
    assert completed.stdout.splitlines()[-1] == f"All {len(checks)} checks passed."
    # It really asked, with the credentials; it printed neither them nor what came back, and kept nothing.
    sent = fake_procore.state.requests[-1]
    assert (sent.method, sent.path) == ("POST", "/oauth/token")
    assert fake_procore.state.issued_tokens == ["access-1"]
    output = completed.stdout + completed.stderr
    for secret in (CLIENT_SECRET, "access-1", "refresh-1"):
        assert secret not in output
    assert CLIENT_ID not in output
    assert not _token_file(installed_package, fake_procore).exists()


def test_doctor_reads_a_private_token_file_without_showing_its_tokens(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    issued = fake_procore.state.issue()
    token_file = _token_file(installed_package, fake_procore)
    token_file.write_text(json.dumps({**issued, "expires_at": 4_000_000_000}), encoding="utf-8")
    token_file.chmod(0o600)
    try:
        completed = _doctor(
            installed_package, fake_procore, **with_client_credentials(PROCORE_ACCESS_TOKEN="fixed-token-123")
        )
        assert completed.returncode == 0, completed.stdout
        assert f"token file {token_file}: readable, mode 0600; holds an access token and a refresh token" in (
            completed.stdout
        )
        assert "PROCORE_ACCESS_TOKEN: set (a secret" in completed.stdout
        output = completed.stdout + completed.stderr
        for secret in (issued["access_token"], issued["refresh_token"], "fixed-token-123", CLIENT_SECRET, "access-2"):
            assert secret not in output
        token_file.chmod(0o644)
        loose = _doctor(installed_package, fake_procore, **with_client_credentials())
        assert loose.returncode == 1
        assert (
            f"failed   token file {token_file}: mode 0644: other users may read it; run `chmod 600 {token_file}`"
            in (loose.stdout)
        )
        token_file.write_text("{not json", encoding="utf-8")
        damaged = _doctor(installed_package, fake_procore, **with_client_credentials())
        assert damaged.returncode == 1 and "damaged: delete it" in damaged.stdout
    finally:
        token_file.unlink(missing_ok=True)


def test_doctor_reports_refused_credentials_with_the_status_only(
    installed_package: Path, fake_procore: FakeProcore
) -> None:
    completed = _doctor(
        installed_package, fake_procore, PROCORE_CLIENT_ID=CLIENT_ID, PROCORE_CLIENT_SECRET="wrong-secret-value"
    )
    assert completed.returncode == 1
    assert (
        f"failed   token endpoint {fake_procore.url}/oauth/token: HTTP 401: the client credentials were refused; "
        "check PROCORE_CLIENT_ID and PROCORE_CLIENT_SECRET" in completed.stdout
    )
    assert "wrong-secret-value" not in completed.stdout + completed.stderr
    assert completed.stdout.splitlines()[-1].startswith("1 of ")


def test_doctor_without_credentials_says_what_to_set(installed_package: Path, fake_procore: FakeProcore) -> None:
    completed = _doctor(installed_package, fake_procore)
    assert completed.returncode == 1
    checks = _lines(completed)
    assert checks["credentials"] == "missing"
    assert "run `procore-mcp login` (your user), or set PROCORE_ACCESS_TOKEN" in completed.stdout
    assert "PROCORE_CLIENT_SECRET: not set" in completed.stdout
    assert f"token endpoint {fake_procore.url}/oauth/token: reachable (HTTP 401 without client credentials" in (
        completed.stdout
    )
    assert fake_procore.state.issued_tokens == []


def test_doctor_flags_bad_settings_without_echoing_them(installed_package: Path, fake_procore: FakeProcore) -> None:
    completed = _doctor(
        installed_package,
        fake_procore,
        **with_client_credentials(
            PROCORE_TIMEOUT="soon-ish-value",
            PROCORE_MODE="everything-value",
            PROCORE_BASE_URL="ftp://user:hunter2@api.example",
            PROCORE_UPLOAD_ROOT=str(installed_package.parent / "no-such-folder"),
        ),
    )
    assert completed.returncode == 1
    checks = _lines(completed)
    assert checks["PROCORE_TIMEOUT"] == checks["PROCORE_MODE"] == checks["PROCORE_UPLOAD_ROOT"] == "failed"
    assert checks["base URL PROCORE_BASE_URL"] == "failed"
    assert "PROCORE_TIMEOUT: set, but it must be a number of seconds" in completed.stdout
    assert "must start with http:// or https://" in completed.stdout
    for value in ("soon-ish-value", "everything-value", "hunter2", "no-such-folder"):
        assert value not in completed.stdout + completed.stderr


def test_doctor_reports_an_unreachable_token_endpoint(installed_package: Path, fake_procore: FakeProcore) -> None:
    closed = f"http://127.0.0.1:{free_port()}"
    completed = _doctor(
        installed_package,
        fake_procore,
        **with_client_credentials(PROCORE_LOGIN_URL=closed, PROCORE_CONNECT_TIMEOUT="2"),
    )
    assert completed.returncode == 1
    assert (
        f"failed   token endpoint {closed}/oauth/token: could not be reached (ConnectError): "
        "check PROCORE_LOGIN_URL and the network" in completed.stdout
    )


def test_doctor_shows_urls_without_credentials_in_them(installed_package: Path, fake_procore: FakeProcore) -> None:
    host = fake_procore.url.removeprefix("http://")
    completed = _doctor(
        installed_package, fake_procore, PROCORE_BASE_URL=f"http://someone:pa55word@{host}/base?key=s3cr3t"
    )
    assert f"base URL PROCORE_BASE_URL: http://{host}/base (from the environment)" in completed.stdout
    assert "pa55word" not in completed.stdout and "s3cr3t" not in completed.stdout
    assert os.environ.get("PROCORE_CLIENT_SECRET") is None  # the test process itself holds no secret

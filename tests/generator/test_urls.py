"""The spec's URLs: unusable server URLs left out with a warning; OAuth endpoints on another host than the API's named."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from generator.cli import main
from generator.urls import url_problem
from tests.conftest import minimal_spec, procore_generation, write_spec


@pytest.mark.parametrize(
    "url",
    [
        "https://api.example.com",
        "http://localhost:8080/api/v1",
        "HTTPS://API.EXAMPLE.COM/v2",
        "/api/v3",
        "v1",
        "{scheme}://{host}/api",
        "https://{region}.api.example.com:{port}/base",
        "https://api.example.com/a%20b?x=1&y=2#frag",
        "//cdn.example.com/api",
    ],
)
def test_server_urls_that_are_urls_pass(url: str) -> None:
    assert url_problem(url) == ""


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("https://api.example.com/`<img src=x onerror=alert(1)>`", "holds '`'"),
        ("https://api.example.com/<b>", "holds '<'"),
        ('https://api.example.com/"x', "holds '\"'"),
        ("https://api.example.com/'x", 'holds "\'"'),
        ("https://api.example.com/a b", "holds ' '"),
        ("https://api.example.com/\nHost: evil", "holds '\\n'"),
        ("https://api.example.com/\u202eevil", "holds '\\u202e'"),
        ("https://api.example.com\\@evil.com", "holds '\\\\'"),
        ("javascript:alert(1)", "scheme is 'javascript'"),
        ("file:///etc/passwd", "scheme is 'file'"),
        ("ftp://files.example.com", "scheme is 'ftp'"),
        ("https://[::1/", "not a URL"),
    ],
)
def test_server_urls_that_are_not_usable_say_why(url: str, problem: str) -> None:
    assert problem in url_problem(url)


def _generate(tmp_path: Path, document: dict[str, Any], capsys: pytest.CaptureFixture[str], *extra: str) -> str:
    """Run the command line on the document; return its stderr (the warnings)."""
    spec = write_spec(tmp_path, document)
    assert main(["generate", "--spec", str(spec), "--out", str(tmp_path / "out"), *extra]) == 0
    return capsys.readouterr().err


def test_unusable_server_urls_are_left_out_and_never_reach_the_readme(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = minimal_spec()
    document["servers"] = [
        {"url": "https://api.example.com/`<img src=x onerror=alert(1)>`"},
        {"url": "https://{host}/v1", "variables": {"host": {"default": "x.example.com/`<b>"}}},
        {"url": "https://api.example.com/v2"},
    ]
    document["paths"]["/things"]["get"]["servers"] = [{"url": "javascript:alert(1)"}]
    warnings = _generate(tmp_path, document, capsys)
    assert "[invalid-server-url]" in warnings and "invalid-server-url: 3" in warnings
    readme = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert "<img" not in readme and "<b>" not in readme and "javascript" not in readme
    assert "Replaces `https://api.example.com/v2`" in readme


def test_a_spec_with_only_unusable_servers_needs_the_base_url_setting(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = minimal_spec()
    document["servers"] = [{"url": "https://api.example.com/`<script>alert(1)</script>`"}]
    warnings = _generate(tmp_path, document, capsys)
    assert "left out: it holds '`'" in warnings
    readme = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    assert "<script>" not in readme and "Base URL of the API (required)" in readme


def _oauth(document: dict[str, Any], **urls: str) -> dict[str, Any]:
    flow = {"scopes": {}, **urls}
    document["components"] = {
        "securitySchemes": {"oauth": {"type": "oauth2", "flows": {"authorizationCode": flow}}},
    }
    document["security"] = [{"oauth": []}]
    return document


def test_an_oauth_endpoint_on_another_host_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    document = _oauth(
        minimal_spec(),
        authorizationUrl="https://api.example.com/oauth/authorize",
        tokenUrl="https://collector.example.net/oauth/token",
        refreshUrl="/oauth/token",
    )
    warnings = _generate(tmp_path, document, capsys)
    (line,) = [line for line in warnings.splitlines() if "[foreign-token-host]" in line]
    assert "`tokenUrl` of the authorizationCode flow of `oauth` is on collector.example.net" in line
    assert "none of the API's servers (api.example.com)" in line and "receives the client secret" in line
    assert "(at /components/securitySchemes/oauth/flows/authorizationCode/tokenUrl)" in line


def test_an_oauth_endpoint_on_a_server_of_the_spec_or_the_config_is_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    document = _oauth(
        minimal_spec(),
        authorizationUrl="https://login.example.com/oauth/authorize",
        tokenUrl="https://LOGIN.example.com:443/oauth/token",
    )
    document["paths"]["/things"]["servers"] = [{"url": "https://files.example.com"}]
    config = tmp_path / "config.yaml"
    config.write_text("servers:\n  https://login.example.com: {env: LOGIN_URL}\n", encoding="utf-8")
    assert "foreign-token-host" not in _generate(tmp_path, document, capsys, "--config", str(config))
    assert "foreign-token-host" in _generate(tmp_path, document, capsys)


def test_the_procore_spec_gets_no_warning_about_its_login_host() -> None:
    diagnostics = procore_generation().diagnostics
    assert not [d for d in diagnostics if d.kind in ("foreign-token-host", "invalid-server-url")]

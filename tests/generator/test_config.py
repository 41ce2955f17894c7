"""The generation config: defaults from the spec, explicit settings, and bad settings."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.config import ServerSetting, build_config, defaults_from_title, load_config
from generator.diagnostics import GenerationError


def test_defaults_from_title() -> None:
    assert defaults_from_title("Procore REST API") == {
        "distribution_name": "procore-mcp",
        "package_name": "procore_mcp",
        "server_name": "procore-mcp",
        "display_name": "Procore REST API",
        "env_prefix": "PROCORE",
    }
    assert defaults_from_title("3D Printing Service")["package_name"] == "api_3d_printing_service_mcp"


def test_server_variables_are_derived_from_hosts() -> None:
    config = build_config({}, "Example", ["https://api.example.com", "https://login.example.com"], "x")
    assert config.servers == (
        ServerSetting("https://api.example.com", "BASE_URL"),
        ServerSetting("https://login.example.com", "LOGIN_URL"),
    )


def test_explicit_settings_win(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text("env_prefix: ACME\nservers:\n  https://id.example.com: {env: AUTH_URL}\n")
    config = load_config(path, "Example", ["https://api.example.com", "https://id.example.com"])
    assert config.env_prefix == "ACME"
    assert config.servers == (
        ServerSetting("https://id.example.com", "AUTH_URL"),
        ServerSetting("https://api.example.com", "BASE_URL"),
    )


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("colour: red\n", "unknown setting `colour`"),
        ("env_prefix: lower\n", "`env_prefix` 'lower' must match"),
        ("description_budget: many\n", "`description_budget` must be a int, not str"),
        ("servers:\n  https://x.org: {}\n", "server 'https://x.org' needs `env`"),
        ("search_synonyms:\n  two/words: checklist\n", "a search synonym maps a word or phrase"),
        ("search_synonyms:\n  inspection: 3\n", "a search synonym maps a word or phrase"),
        ("search_synonyms:\n  inspection: []\n", "a search synonym maps a word or phrase"),
        ("search_synonyms:\n  inspection: [checklist, {a: b}]\n", "a search synonym maps a word or phrase"),
        ("search_synonyms: [inspection]\n", "`search_synonyms` must be a dict, not list"),
        ("team_identity: {path: me}\n", "`team_identity.path` must be a path starting with /"),
        ("team_identity: {path: /me, field: ''}\n", "`team_identity.field` must name a field"),
        ("team_identity: {path: /me, server: 'https://else.org'}\n", "`team_identity.server` must be one of"),
    ],
)
def test_bad_settings_are_clear_errors(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    with pytest.raises(GenerationError) as caught:
        load_config(path, "Example", [])
    assert message in caught.value.diagnostics[0].message
    assert caught.value.diagnostics[0].file == str(path)


def test_search_synonyms_add_to_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(
        "search_synonyms:\n  Inspections: Checklist\n  picture: photograph\n  PCO: potential change order\n"
        "  sub: [commitment, Vendor]\n  T&M: time and material\n"
    )
    config = load_config(path, "Example", [])
    assert config.search_synonyms == (
        ("inspections", "checklist"),
        ("pco", "potential change order"),
        ("photo", "image"),
        ("picture", "photograph"),
        ("sub", ("commitment", "vendor")),
        ("t&m", "time and material"),
    )
    assert build_config({}, "Example", [], "x").search_synonyms == (("photo", "image"), ("picture", "image"))


def test_team_identity_names_the_call_that_tells_who_signed_in() -> None:
    urls = ["https://api.example.com", "https://login.example.com"]
    config = build_config({"team_identity": {"path": "/me"}}, "Example", urls, "x")
    assert dict(config.team_identity) == {"server": "BASE_URL", "path": "/me", "field": "id"}
    chosen = {"team_identity": {"path": "/userinfo", "server": "https://login.example.com/", "field": "sub"}}
    assert dict(build_config(chosen, "Example", urls, "x").team_identity)["server"] == "LOGIN_URL"
    assert build_config({}, "Example", urls, "x").team_identity == ()

"""settings: per-API values from the package's data, settings from the environment at call time."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.runtime.conftest import Runtime


def test_the_api_is_named_by_its_data_not_by_the_code(runtime: Runtime) -> None:
    settings = runtime.module("settings")
    assert (settings.ENV_PREFIX, settings.DISTRIBUTION, settings.DEFAULT_MODE) == ("WIDGETS", "widgets-mcp", "static")
    assert settings.ACCESS_TOKEN == "WIDGETS_ACCESS_TOKEN" and settings.VERSION == "1.2.10100"
    assert runtime.package.__version__ == "1.2.10100"
    assert runtime.module("server").SERVER_TITLE == "Widgets MCP server"
    assert runtime.module("mcp_server").build(runtime.module("data").ApiData()).name == "widgets-mcp"


def test_other_data_gives_another_api(load_runtime: Callable[[Path], Runtime], data_copy: Path) -> None:
    api = json.loads((data_copy / "api.json").read_text())
    (data_copy / "api.json").write_text(json.dumps({**api, "envPrefix": "GIZMO", "name": "gizmo-mcp"}))
    other = load_runtime(data_copy)
    assert other.module("settings").TIMEOUT == "GIZMO_TIMEOUT" and other.module("server").SERVER_NAME == "gizmo-mcp"


def test_a_missing_data_file_is_named(load_runtime: Callable[[Path], Runtime], data_copy: Path) -> None:
    (data_copy / "api.json").unlink()
    with pytest.raises(FileNotFoundError, match=r"api\.json is missing from the package runtime_under_test_\d+"):
        load_runtime(data_copy)


def test_settings_are_read_when_used(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = runtime.module("settings")
    assert settings.timeouts().read == 30.0 and settings.max_attempts() == 4
    monkeypatch.setenv("WIDGETS_TIMEOUT", "5")
    monkeypatch.setenv("WIDGETS_MAX_RETRIES", "0")
    assert settings.timeouts().read == 5.0 and settings.timeouts().connect == 5.0 and settings.max_attempts() == 1
    monkeypatch.setenv("WIDGETS_TIMEOUT", "soon")
    with pytest.raises(settings.ConfigurationError, match="WIDGETS_TIMEOUT must be a number, not 'soon'"):
        settings.timeouts()


def test_base_urls_come_from_their_variable_and_must_be_http(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = runtime.module("settings")
    server = {"default": "https://api.widgets.test/", "env": "WIDGETS_BASE_URL"}
    assert settings.server_url(server) == "https://api.widgets.test"
    monkeypatch.setenv("WIDGETS_BASE_URL", "ftp://files.widgets.test")
    with pytest.raises(settings.ConfigurationError, match="must start with http:// or https://"):
        settings.server_url(server)


def test_the_token_file_lives_in_the_configuration_folder(
    runtime: Runtime, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    settings = runtime.module("settings")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    assert settings.token_file() == tmp_path / "widgets-mcp" / "tokens.json"
    monkeypatch.setenv("WIDGETS_TOKEN_FILE", str(tmp_path / "mine.json"))
    assert settings.token_file() == tmp_path / "mine.json"


def test_the_runtime_offers_the_modes_the_generator_accepts(runtime: Runtime) -> None:
    from generator.config import MODES

    assert runtime.module("data").MODES == MODES

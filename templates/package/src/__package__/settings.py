"""Configuration from environment variables, read at call time so a changed variable needs no restart."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx


def data_text(name: str) -> str:
    """One of the package's generated data files (`tools.json`, ...): the first found along the package's path.

    An installed package has one folder; a test of these modules adds a folder of fixture data after theirs."""
    package = sys.modules[__name__.rpartition(".")[0]]
    for folder in getattr(package, "__path__", []):
        candidate = Path(folder) / name
        if candidate.is_file():
            return candidate.read_text(encoding="utf-8")
    raise FileNotFoundError(f"{name} is missing from the package {package.__name__}: generate it again")


def data(name: str) -> Any:
    return json.loads(data_text(name))


API: dict[str, Any] = data("api.json")
"""What names this API's server: its name, title, distribution, settings prefix, version, default mode."""
ENV_PREFIX: str = API["envPrefix"]
DISTRIBUTION: str = API["distribution"]
DEFAULT_MODE: str = API["defaultMode"]
VERSION: str = API["version"]

CLIENT_ID = f"{ENV_PREFIX}_CLIENT_ID"
CLIENT_SECRET = f"{ENV_PREFIX}_CLIENT_SECRET"
ACCESS_TOKEN = f"{ENV_PREFIX}_ACCESS_TOKEN"
TOKEN_FILE = f"{ENV_PREFIX}_TOKEN_FILE"
REDIRECT_URI = f"{ENV_PREFIX}_REDIRECT_URI"
USERNAME = f"{ENV_PREFIX}_USERNAME"
PASSWORD = f"{ENV_PREFIX}_PASSWORD"
API_KEY = f"{ENV_PREFIX}_API_KEY"
TIMEOUT = f"{ENV_PREFIX}_TIMEOUT"
CONNECT_TIMEOUT = f"{ENV_PREFIX}_CONNECT_TIMEOUT"
MAX_RETRIES = f"{ENV_PREFIX}_MAX_RETRIES"
RESPONSE_BUDGET = f"{ENV_PREFIX}_RESPONSE_BUDGET"
UPLOAD_ROOT = f"{ENV_PREFIX}_UPLOAD_ROOT"
MODE = f"{ENV_PREFIX}_MODE"
TEAM = f"{ENV_PREFIX}_TEAM"
PUBLIC_URL = f"{ENV_PREFIX}_PUBLIC_URL"
TEAM_DATABASE_URL = f"{ENV_PREFIX}_TEAM_DATABASE_URL"
TEAM_KEYS = f"{ENV_PREFIX}_TEAM_KEYS"
TEAM_REFRESH_GRACE = f"{ENV_PREFIX}_TEAM_REFRESH_GRACE"
TEAM_CIMD_PRIVATE = f"{ENV_PREFIX}_TEAM_CIMD_PRIVATE"

DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_MAX_RETRIES = 3
DEFAULT_RESPONSE_BUDGET = 200_000


class ConfigurationError(Exception):
    """A setting the call needs is missing or malformed; the message names the variable."""


def value(name: str) -> str:
    """A variable's value, stripped; empty when unset."""
    return os.environ.get(name, "").strip()


def required(name: str, purpose: str) -> str:
    found = value(name)
    if not found:
        raise ConfigurationError(f"Set {name} ({purpose}).")
    return found


def server_url(server: dict[str, str]) -> str:
    """The base URL of one host: its environment variable, else the spec's URL."""
    url = value(server["env"]) or server["default"]
    if not url:
        raise ConfigurationError(f"Set {server['env']} to the base URL of the API.")
    if not url.startswith(("http://", "https://")):
        raise ConfigurationError(f"{server['env']} must start with http:// or https://, not {url!r}.")
    return url.rstrip("/")


def access_token() -> str | None:
    """A pre-issued access token, sent as `Authorization: Bearer ...` (it is never refreshed)."""
    return value(ACCESS_TOKEN) or None


def number(name: str, default: float, minimum: float) -> float:
    raw = value(name)
    if not raw:
        return default
    try:
        number = float(raw)
    except ValueError:
        raise ConfigurationError(f"{name} must be a number, not {raw!r}.") from None
    if number < minimum:
        raise ConfigurationError(f"{name} must be at least {minimum:g}.")
    return number


def timeouts() -> httpx.Timeout:
    """Connect and read timeouts; `_TIMEOUT` sets the read (and write) timeout."""
    read = number(TIMEOUT, DEFAULT_READ_TIMEOUT, 0.001)
    connect = number(CONNECT_TIMEOUT, min(DEFAULT_CONNECT_TIMEOUT, read), 0.001)
    import httpx  # here, not at the top: the listing side of the server reads settings without the HTTP stack

    return httpx.Timeout(read, connect=connect)


def max_attempts() -> int:
    """Attempts per call: the first plus `_MAX_RETRIES` retries."""
    return 1 + int(number(MAX_RETRIES, DEFAULT_MAX_RETRIES, 0))


def response_budget() -> int:
    """The most characters of response text a tool result carries."""
    return int(number(RESPONSE_BUDGET, DEFAULT_RESPONSE_BUDGET, 1000))


def upload_root() -> Path | None:
    """When set, file arguments given by `path` must lie inside this folder."""
    raw = value(UPLOAD_ROOT)
    return Path(os.path.expanduser(raw)).resolve() if raw else None


def config_dir() -> Path:
    """Where this server keeps its files: the platform's per-user configuration folder."""
    if sys.platform == "win32":
        base = Path(os.environ.get("APPDATA") or Path.home() / "AppData" / "Roaming")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_CONFIG_HOME") or Path.home() / ".config")
    return base / DISTRIBUTION


def token_file() -> Path:
    """The token file: `_TOKEN_FILE`, else `tokens.json` in the configuration folder."""
    raw = value(TOKEN_FILE)
    return Path(os.path.expanduser(raw)) if raw else config_dir() / "tokens.json"

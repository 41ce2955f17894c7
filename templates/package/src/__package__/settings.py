"""Configuration from environment variables, read at call time so a changed variable needs no restart."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

    from . import contract


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
UPLOAD_MAX_BYTES = f"{ENV_PREFIX}_UPLOAD_MAX_BYTES"
MODE = f"{ENV_PREFIX}_MODE"
TEAM = f"{ENV_PREFIX}_TEAM"
PUBLIC_URL = f"{ENV_PREFIX}_PUBLIC_URL"
TEAM_DATABASE_URL = f"{ENV_PREFIX}_TEAM_DATABASE_URL"
TEAM_KEYS = f"{ENV_PREFIX}_TEAM_KEYS"
TEAM_REFRESH_GRACE = f"{ENV_PREFIX}_TEAM_REFRESH_GRACE"
TEAM_CIMD_PRIVATE = f"{ENV_PREFIX}_TEAM_CIMD_PRIVATE"
TEAM_REGISTRATION_LIMIT = f"{ENV_PREFIX}_TEAM_REGISTRATION_LIMIT"
HEADER_TIMEOUT = f"{ENV_PREFIX}_HTTP_HEADER_TIMEOUT"
CONFIRM = f"{ENV_PREFIX}_CONFIRM"
UNCONFIRMABLE = f"{ENV_PREFIX}_UNCONFIRMABLE"
CONFIRM_POLICIES = ("destructive", "writes", "none")
"""Which calls wait for the user's confirmation: those that delete (the default), every write, or none."""
UNCONFIRMABLE_POLICIES = ("refuse", "send")
"""What a call that waits for confirmation does where the client cannot ask: refused (the default), or sent."""

SECRET_SETTINGS = (CLIENT_SECRET, ACCESS_TOKEN, PASSWORD, API_KEY, TEAM_KEYS, TEAM_DATABASE_URL)
"""Settings whose values are never shown anywhere (a database URL may hold a password)."""

DEFAULT_READ_TIMEOUT = 30.0
DEFAULT_CONNECT_TIMEOUT = 10.0
DEFAULT_MAX_RETRIES = 3
DEFAULT_RESPONSE_BUDGET = 40_000
"""Characters of text in one result. Claude Code keeps a result in the conversation up to 50,000 characters
(larger ones go to a file the model must read back) and refuses more than 25,000 tokens; JSON runs about three
characters a token, so 40,000 stays inside both, with room for the note on what was left out."""
MAX_PAGES = 50
"""Pages one call follows at most when collecting `max_items`."""
DEFAULT_UPLOAD_MAX_BYTES = 100 * 1024 * 1024
DEFAULT_TEAM_REGISTRATION_LIMIT = 20
"""Client registrations a minute from one address (the whole deployment takes five times as many)."""
DEFAULT_HEADER_TIMEOUT = 10.0
"""Seconds an HTTP connection has to send a request's headers."""
RESPONSE_BYTES_PER_BUDGET = 8
"""A response body is read up to this many bytes per character of the response budget (and at least
`MIN_RESPONSE_BYTES`), then dropped unread: reading it costs memory on every call. The headroom is large because
a result keeps the whole records and the fields asked for: a page of a hundred large records is cut down to what
fits, not refused."""
MIN_RESPONSE_BYTES = 8 * 1024 * 1024
MAX_ERROR_BODY_BYTES = 64 * 1024
"""How much of an error response is read: its first words are all a result shows."""


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


def server_url(server: contract.Server) -> str:
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


def response_byte_cap() -> int:
    """The most bytes of a successful response body the server reads."""
    return max(response_budget() * RESPONSE_BYTES_PER_BUDGET, MIN_RESPONSE_BYTES)


def choice(name: str, choices: tuple[str, ...]) -> str:
    """A setting that takes one of a few words; the first is the default."""
    raw = value(name).lower() or choices[0]
    if raw not in choices:
        raise ConfigurationError(f"{name} must be one of {', '.join(choices)}, not {value(name)!r}.")
    return raw


def confirm_policy() -> str:
    return choice(CONFIRM, CONFIRM_POLICIES)


def unconfirmable_policy() -> str:
    return choice(UNCONFIRMABLE, UNCONFIRMABLE_POLICIES)


def upload_roots() -> list[Path]:
    """The folders whose files a `path` file argument may name (`_UPLOAD_ROOT`, separated like PATH); none
    when unset, and then no local file is read at all."""
    raw = value(UPLOAD_ROOT)
    folders = [part.strip() for part in raw.split(os.pathsep) if part.strip()]
    return [Path(os.path.abspath(os.path.expanduser(folder))) for folder in folders]


def upload_max_bytes() -> int:
    """The largest local file a `path` file argument may send."""
    return int(number(UPLOAD_MAX_BYTES, DEFAULT_UPLOAD_MAX_BYTES, 1))


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

"""The `doctor` command: checks the configuration and the token endpoint, one line per check.

It prints the names of settings, never their values (secrets are only reported as set), the base URLs, the
state of the token file, and whether the token endpoint accepts the client credentials. It never prints a
token and never changes the token file. Exit status: 0 when every check passes, 1 otherwise.
"""

from __future__ import annotations

import json
import os
import stat
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import httpx

from . import __version__, auth, contract, data, redaction, settings

OK = "ok"
MISSING = "missing"
FAILED = "failed"
OUT_OF_BAND = "urn:ietf:wg:oauth:2.0:oob"


@dataclass(frozen=True)
class Check:
    """One line of the report: ok, missing or failed; what was checked; what was found and what to do."""

    status: str
    subject: str
    detail: str

    def line(self) -> str:
        return f"{self.status:<8} {self.subject}: {self.detail}"


def scheme_kinds(runtime: contract.Document) -> list[str]:
    """The kinds of credentials the API accepts: oauth2, basic, bearer or apiKey, in a fixed order."""
    kinds = set()
    for scheme in runtime["securitySchemes"].values():
        kind = scheme.get("type")
        if kind in ("oauth2", "openIdConnect"):
            kinds.add("oauth2")
        elif kind == "http":
            kinds.add("basic" if scheme.get("scheme") == "basic" else "bearer")
        elif kind == "apiKey":
            kinds.add("apiKey")
    return [kind for kind in ("oauth2", "basic", "bearer", "apiKey") if kind in kinds]


def shown_url(url: str) -> str:
    """A URL without user name, password, query or fragment: safe to print."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


# -- settings --------------------------------------------------------------------------------------


def _number(minimum: float, unit: str) -> Callable[[str], str]:
    def check(raw: str) -> str:
        try:
            number = float(raw)
        except ValueError:
            return f"a number of {unit}"
        return "" if number >= minimum else f"a number of {unit}, at least {minimum:g}"

    return check


def _mode(raw: str) -> str:
    return "" if raw in data.MODES else ", ".join(data.MODES[:-1]) + " or " + data.MODES[-1]


def _folders(raw: str) -> str:
    parts = [part.strip() for part in raw.split(os.pathsep) if part.strip()]
    if parts and all(Path(os.path.expanduser(part)).is_dir() for part in parts):
        return ""
    return f"existing folders, separated by {os.pathsep!r}"


def _redirect(raw: str) -> str:
    return "" if raw.startswith(("http://", "https://")) or raw == OUT_OF_BAND else f"an http(s) URL or {OUT_OF_BAND}"


def _anything(raw: str) -> str:
    return ""


def _bound_settings(runtime: contract.Document) -> dict[str, list[str]]:
    """Settings that fill tool inputs, with the inputs each fills."""
    bound: dict[str, list[str]] = {}
    for entry in runtime["tools"]:
        for argument in entry["binding"]["arguments"]:
            if argument.get("env") and argument["name"] not in bound.get(argument["env"], []):
                bound.setdefault(argument["env"], []).append(argument["name"])
    return bound


def known_settings(runtime: contract.Document) -> list[tuple[str, str, Callable[[str], str]]]:
    """(variable, what it is for when unset, validator) for every setting this API's server reads."""
    kinds = scheme_kinds(runtime)
    found: list[tuple[str, str, Callable[[str], str]]] = []
    if "oauth2" in kinds:
        found += [
            (settings.CLIENT_ID, "the OAuth client ID", _anything),
            (settings.CLIENT_SECRET, "the OAuth client secret", _anything),
        ]
    if "oauth2" in kinds or "bearer" in kinds:
        found.append((settings.ACCESS_TOKEN, "a pre-issued access token", _anything))
    if "oauth2" in kinds:
        found += [
            (settings.TOKEN_FILE, "default: tokens.json in the configuration folder", _anything),
            (settings.REDIRECT_URI, "default: a local address for `login`", _redirect),
        ]
    if "basic" in kinds:
        found += [
            (settings.USERNAME, "the user name for HTTP basic authentication", _anything),
            (settings.PASSWORD, "the password for HTTP basic authentication", _anything),
        ]
    if "apiKey" in kinds:
        found.append((settings.API_KEY, "the API key", _anything))
    listed = {name for name, _, _ in found}
    for variable, names in sorted(_bound_settings(runtime).items()):
        if variable not in listed:
            inputs = ", ".join(f"`{name}`" for name in names)
            found.append((variable, f"optional; fills {inputs} when a call leaves it out", _anything))
    found += [
        (settings.TIMEOUT, f"default {settings.DEFAULT_READ_TIMEOUT:g} seconds", _number(0.001, "seconds")),
        (settings.CONNECT_TIMEOUT, f"default {settings.DEFAULT_CONNECT_TIMEOUT:g} seconds", _number(0.001, "seconds")),
        (settings.MAX_RETRIES, f"default {settings.DEFAULT_MAX_RETRIES}", _number(0, "retries")),
        (
            settings.RESPONSE_BUDGET,
            f"default {settings.DEFAULT_RESPONSE_BUDGET} characters",
            _number(1000, "characters"),
        ),
        (settings.MODE, f"default {settings.DEFAULT_MODE}", _mode),
        (settings.UPLOAD_ROOT, "no local file is read; files come as `content_base64`", _folders),
        (settings.UPLOAD_MAX_BYTES, f"default {settings.DEFAULT_UPLOAD_MAX_BYTES:,} bytes", _number(1, "bytes")),
    ]
    return found


def check_settings(runtime: contract.Document) -> list[Check]:
    checks = []
    for variable, unset, validate in known_settings(runtime):
        raw = settings.value(variable)
        secret = " (a secret; its value is never shown)" if variable in settings.SECRET_SETTINGS else ""
        if not raw:
            checks.append(Check(OK, variable, f"not set ({unset})"))
            continue
        expected = validate(raw)
        if expected:
            checks.append(Check(FAILED, variable, f"set, but it must be {expected}: correct it or unset it"))
        else:
            checks.append(Check(OK, variable, f"set{secret}"))
    return checks


# -- credentials -----------------------------------------------------------------------------------


def _stored_tokens() -> dict[str, Any]:
    try:
        return auth.TokenStore(settings.token_file()).load() or {}
    except auth.AuthError:
        return {}


def _credential_check(kind: str) -> Check:
    distribution = settings.DISTRIBUTION
    has = settings.value
    if kind == "oauth2":
        if has(settings.ACCESS_TOKEN):
            return Check(OK, "credentials", f"a fixed access token ({settings.ACCESS_TOKEN}); it is never refreshed")
        if has(settings.CLIENT_ID) and has(settings.CLIENT_SECRET):
            return Check(OK, "credentials", f"client credentials ({settings.CLIENT_ID} and {settings.CLIENT_SECRET})")
        stored = _stored_tokens()
        if stored.get("refresh_token") and has(settings.CLIENT_ID):
            return Check(
                OK, "credentials", f"the tokens stored by `{distribution} login`, renewed with {settings.CLIENT_ID}"
            )
        if has(settings.CLIENT_ID):
            return Check(
                MISSING,
                "credentials",
                f"{settings.CLIENT_ID} is set but {settings.CLIENT_SECRET} is not: "
                f"set it, or run `{distribution} login`",
            )
        if stored.get("access_token"):
            return Check(
                MISSING,
                "credentials",
                "only a stored access token, which cannot be renewed: "
                f"set {settings.CLIENT_ID} and {settings.CLIENT_SECRET}",
            )
        return Check(
            MISSING,
            "credentials",
            f"none: set {settings.CLIENT_ID} and {settings.CLIENT_SECRET} (a service account), "
            f"run `{distribution} login` (your user), or set {settings.ACCESS_TOKEN}",
        )
    if kind == "basic":
        if has(settings.USERNAME) and has(settings.PASSWORD):
            return Check(OK, "credentials", f"HTTP basic ({settings.USERNAME} and {settings.PASSWORD})")
        return Check(
            MISSING, "credentials", f"set {settings.USERNAME} and {settings.PASSWORD} for HTTP basic authentication"
        )
    if kind == "bearer":
        if has(settings.ACCESS_TOKEN):
            return Check(OK, "credentials", f"a bearer token ({settings.ACCESS_TOKEN})")
        return Check(MISSING, "credentials", f"set {settings.ACCESS_TOKEN} to the bearer token")
    if has(settings.API_KEY):
        return Check(OK, "credentials", f"an API key ({settings.API_KEY})")
    return Check(MISSING, "credentials", f"set {settings.API_KEY} to the API key")


def check_credentials(runtime: contract.Document) -> list[Check]:
    kinds = scheme_kinds(runtime)
    if not kinds:
        return [Check(OK, "credentials", "the API declares no authentication")]
    checks = [_credential_check(kind) for kind in kinds]
    if len(checks) > 1 and any(check.status == OK for check in checks):
        note = "; only operations that accept nothing else need it"
        checks = [check if check.status == OK else Check(OK, check.subject, check.detail + note) for check in checks]
    return checks


# -- hosts, token file, token endpoint -------------------------------------------------------------


def check_servers(runtime: contract.Document) -> list[Check]:
    checks = []
    for server in runtime["servers"].values():
        variable = server["env"]
        raw = settings.value(variable)
        subject = f"base URL {variable}"
        if not raw and not server["default"]:
            checks.append(
                Check(MISSING, subject, f"not set, and the API has no default: set {variable} to the API's base URL")
            )
        elif raw and not raw.startswith(("http://", "https://")):
            checks.append(Check(FAILED, subject, "set, but it must start with http:// or https://"))
        elif raw:
            checks.append(Check(OK, subject, f"{shown_url(raw)} (from the environment)"))
        else:
            checks.append(
                Check(OK, subject, f"{shown_url(server['default'])} (the default; set {variable} to use another host)")
            )
    return checks


def check_token_file() -> Check:
    path = settings.token_file()
    subject = f"token file {path}"
    fix = f"point {settings.TOKEN_FILE} at another file"
    if not path.exists():
        parent = path.parent
        while not parent.exists() and parent != parent.parent:
            parent = parent.parent
        if parent.is_dir() and os.access(parent, os.W_OK | os.X_OK):
            return Check(OK, subject, "not there yet; the server creates it (mode 0600) when it first gets a token")
        return Check(FAILED, subject, f"not there, and {parent} cannot be written: {fix}")
    if not path.is_file():
        return Check(FAILED, subject, f"exists but is not a file: remove it or {fix}")
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        return Check(FAILED, subject, f"cannot be read ({exc.strerror}): as its owner, run `chmod 600 {path}`")
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return Check(
            FAILED,
            subject,
            f"damaged: delete it, then run `{settings.DISTRIBUTION} login` or rely on the client credentials",
        )
    if os.name == "posix":
        mode = stat.S_IMODE(path.stat().st_mode)
        if mode & 0o077:
            return Check(FAILED, subject, f"mode {mode:04o}: other users may read it; run `chmod 600 {path}`")
    held = [
        label
        for key, label in (("access_token", "an access token"), ("refresh_token", "a refresh token"))
        if data.get(key)
    ]
    contents = " and ".join(held) if held else "no tokens"
    expires_at = data.get("expires_at")
    if data.get("access_token") and isinstance(expires_at, (int, float)):
        minutes = int((expires_at - time.time()) // 60)
        contents += (
            f" (the access token expires in {minutes} minutes)"
            if minutes > 0
            else " (the access token has expired; it is renewed on the next call)"
        )
    permissions = "mode 0600" if os.name == "posix" else "readable"
    return Check(OK, subject, f"readable, {permissions}; holds {contents}")


def _token_endpoint(runtime: contract.Document) -> tuple[str, str]:
    """The token URL and the variable that moves its host ("" when the URL is fixed)."""
    for scheme in runtime["securitySchemes"].values():
        token = scheme.get("token")
        if token:
            if "url" in token:
                return str(token["url"]), ""
            server = runtime["servers"][token["server"]]
            return auth.Credentials(runtime).token_url(), server["env"]
    return "", ""


def check_token_endpoint(runtime: contract.Document, secrets: list[str]) -> Check | None:
    """A client-credentials token request when the client is configured, else a plain reachability test."""
    try:
        url, variable = _token_endpoint(runtime)
    except settings.ConfigurationError:
        return Check(FAILED, "token endpoint", "its base URL is not valid: fix the base URL above first")
    if not url:
        return None
    subject = f"token endpoint {shown_url(url)}"
    host_hint = f"check {variable} and the network" if variable else "check the network"
    client_id, client_secret = settings.value(settings.CLIENT_ID), settings.value(settings.CLIENT_SECRET)
    form = {"grant_type": "client_credentials"}
    if client_id and client_secret:
        form |= {"client_id": client_id, "client_secret": client_secret}
    try:
        timeout = settings.timeouts()
    except settings.ConfigurationError:
        timeout = httpx.Timeout(settings.DEFAULT_READ_TIMEOUT, connect=settings.DEFAULT_CONNECT_TIMEOUT)
    user_agent = f"{settings.DISTRIBUTION}/{__version__} doctor"
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False, headers={"User-Agent": user_agent}) as client:
            response = client.post(url, data=form)
    except httpx.HTTPError as exc:
        return Check(FAILED, subject, f"could not be reached ({type(exc).__name__}): {host_hint}")
    status = response.status_code
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):  # whatever came back is never printed; its tokens are redacted all the same
        secrets += [str(data[key]) for key in ("access_token", "refresh_token", "id_token") if data.get(key)]
    if not (client_id and client_secret):
        if status >= 500:
            return Check(FAILED, subject, f"answered HTTP {status}: try again later, or {host_hint}")
        return Check(
            OK,
            subject,
            f"reachable (HTTP {status} without client credentials; "
            f"set {settings.CLIENT_ID} and {settings.CLIENT_SECRET} to test them)",
        )
    if 300 <= status < 400:
        return Check(FAILED, subject, f"answered HTTP {status} (a redirect): {host_hint}")
    if status in (400, 401, 403):
        return Check(
            FAILED,
            subject,
            f"HTTP {status}: the client credentials were refused; "
            f"check {settings.CLIENT_ID} and {settings.CLIENT_SECRET}",
        )
    if status >= 400:
        return Check(FAILED, subject, f"answered HTTP {status}: try again later, or {host_hint}")
    if not isinstance(data, dict) or not data.get("access_token"):
        return Check(FAILED, subject, f"answered HTTP {status} without an access token: {host_hint}")
    return Check(OK, subject, f"the client credentials were accepted (HTTP {status}); the token was not kept")


# -- the report ------------------------------------------------------------------------------------


def _secret_values() -> list[str]:
    values = [settings.value(name) for name in settings.SECRET_SETTINGS]
    stored = _stored_tokens()
    values += [str(stored.get(key, "")) for key in ("access_token", "refresh_token")]
    return values


def _guarded(subject: str, run: Callable[[], list[Check]]) -> list[Check]:
    """A check that fails unexpectedly is reported as failed, not as a traceback."""
    try:
        return run()
    except Exception as exc:  # the report goes on
        return [Check(FAILED, subject, f"could not be checked ({type(exc).__name__})")]


def check_uploads(team: bool) -> Check:
    """Which folders a `path` file argument may read (none in team mode: team users send files inline)."""
    subject = "local files"
    if team:
        return Check(
            OK, subject, f"team mode reads none: users send `content_base64`; {settings.UPLOAD_ROOT} is ignored"
        )
    roots = settings.upload_roots()
    if not roots:
        return Check(OK, subject, f"none are read ({settings.UPLOAD_ROOT} is not set): files come as `content_base64`")
    missing = [root for root in roots if not root.is_dir()]
    if missing:
        return Check(FAILED, subject, f"{len(missing)} of the {len(roots)} folders in {settings.UPLOAD_ROOT} do not "
                     "exist: create them or correct the setting")  # fmt: skip
    try:
        limit = f"{settings.upload_max_bytes():,} bytes at most"
    except settings.ConfigurationError:
        limit = f"{settings.UPLOAD_MAX_BYTES} must be fixed"
    count = "1 folder" if len(roots) == 1 else f"{len(roots)} folders"
    return Check(OK, subject, f"files inside the {count} in {settings.UPLOAD_ROOT} may be sent by `path` "
                 f"(links are not followed; {limit})")  # fmt: skip


def check_listening(host: str, team: bool, anyone: bool) -> Check:
    """Whether `--transport http --host HOST` would keep the owner's credentials on this machine."""
    from . import listening

    subject = f"HTTP on {host}"
    if listening.is_loopback(host):
        return Check(OK, subject, "this machine only")
    if team:
        return Check(OK, subject, "reachable from the network; every caller signs in as themselves (team mode)")
    if anyone:
        return Check(FAILED, subject, "reachable from the network WITHOUT sign-in (--allow-anyone-on-the-network): "
                     "anyone who reaches the port acts with this server's credentials; use --team instead")  # fmt: skip
    return Check(FAILED, subject, "refused without --team: anyone who reached the port would act with this server's "
                 "credentials; listen on 127.0.0.1 or use --team")  # fmt: skip


def checks(
    runtime: contract.Document, secrets: list[str], team: bool = False, host: str = "127.0.0.1", anyone: bool = False
) -> list[Check]:
    found = _guarded("settings", lambda: check_settings(runtime))
    found += _guarded("credentials", lambda: check_credentials(runtime))
    found += _guarded("base URLs", lambda: check_servers(runtime))
    if "oauth2" in scheme_kinds(runtime):
        if not team:  # a team deployment keeps no token file: each user's tokens are in its database
            found += _guarded("token file", lambda: [check_token_file()])
        found += _guarded("token endpoint", lambda: [c for c in [check_token_endpoint(runtime, secrets)] if c])
    if team:
        found += _guarded("team mode", lambda: check_team(runtime))
    found += _guarded("local files", lambda: [check_uploads(team)])
    found += _guarded("listening", lambda: [check_listening(host, team, anyone)])
    return found


# -- team mode -------------------------------------------------------------------------------------


def check_team(runtime: contract.Document) -> list[Check]:
    """The team extra, the public URL, the key ring and the database (names and kinds only, never values)."""
    try:
        from . import team, team_store
    except ImportError as exc:
        return [
            Check(MISSING, "team extra", f"{exc.name} is not installed: pip install '{settings.DISTRIBUTION}[team]'")
        ]
    found = [Check(OK, "team extra", "installed")]
    try:
        config = team.TeamConfig.from_settings(runtime)
        found.append(Check(OK, settings.PUBLIC_URL, f"MCP clients connect to {shown_url(config.resource)}; "
                           f"the API app's redirect URI must be {shown_url(config.callback_url)}"))  # fmt: skip
    except (team.TeamError, settings.ConfigurationError) as exc:
        found.append(Check(MISSING, "team settings", str(exc)))
    try:
        ring = team_store.KeyRing.parse(settings.value(settings.TEAM_KEYS))
        found.append(
            Check(OK, settings.TEAM_KEYS, f"{len(ring.keys)} key(s); new values are sealed with {ring.current!r}")
        )
    except team_store.StoreError as exc:
        found.append(Check(MISSING, settings.TEAM_KEYS, f"{exc} `{settings.DISTRIBUTION} team-key` prints a new one."))
        return found
    found.append(_team_database(team_store))
    return found


def _team_database(team_store: Any) -> Check:
    try:
        store = team_store.TeamStore.from_settings()
        with store.engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        kind = store.engine.dialect.name
        store.engine.dispose()
    except Exception as exc:  # reported by kind: a driver's message may name the host, never shown here
        return Check(
            FAILED, "team database", f"cannot be used ({type(exc).__name__}); check {settings.TEAM_DATABASE_URL}"
        )
    if kind == "sqlite":
        return Check(OK, "team database", "SQLite, tables ready: for one replica only; give several a PostgreSQL URL")
    return Check(OK, "team database", f"{kind}, reachable, tables ready: every replica may share it")


def run(
    api: data.ApiData, stream: TextIO | None = None, team: bool = False, host: str = "127.0.0.1", anyone: bool = False
) -> int:
    """Print one line per check; 0 when all pass, 1 otherwise."""
    out = stream or sys.stdout
    secrets = _secret_values()
    print(
        f"{settings.DISTRIBUTION} {__version__} doctor: "
        "checking the configuration (values of settings are never shown)",
        file=out,
    )
    report = checks(api.document, secrets, team, host, anyone)
    for check in report:
        print(redaction.redact(check.line(), secrets), file=out)
    failing = [check for check in report if check.status != OK]
    if failing:
        print(
            f"{len(failing)} of {len(report)} checks did not pass; fix the lines marked {MISSING} or {FAILED} "
            f"and run `{settings.DISTRIBUTION} doctor` again.",
            file=out,
        )
        return 1
    print(f"All {len(report)} checks passed.", file=out)
    return 0

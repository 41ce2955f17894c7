"""Credentials: the token file, OAuth2 token requests (client credentials, refresh), and request signing.

Refresh tokens are single use and rotate: a new pair is written to disk (atomically, mode 0600) before it
is used, so a crash can never lose the only valid refresh token.
"""

from __future__ import annotations

import base64
import json
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

import anyio
import httpx

from . import contract, sending, settings

REFRESH_MARGIN_SECONDS = 120


class AuthError(Exception):
    """Authentication failed in a way the user must act on; the message says how."""


class TokenStore:
    """The token file: JSON with the access token, the refresh token and when the access token expires."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> dict[str, Any] | None:
        try:
            text = self.path.read_text(encoding="utf-8")
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError as exc:
            raise AuthError(f"Cannot read the token file {self.path}: {exc.strerror}. Fix its permissions.") from None
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise AuthError(
                f"The token file {self.path} is damaged. Delete it, then sign in again "
                f"(`{settings.DISTRIBUTION} login`) or rely on the client credentials."
            )
        return data

    def remove(self) -> None:
        try:
            self.path.unlink(missing_ok=True)
        except OSError as exc:
            raise AuthError(f"Cannot remove the token file {self.path}: {exc.strerror}. Delete it by hand.") from None

    def save(self, tokens: dict[str, Any]) -> None:
        """Write atomically: a private temporary file in the same folder, flushed, then renamed over the old."""
        try:
            self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            handle, temporary = tempfile.mkstemp(prefix=".tokens-", dir=self.path.parent)
            try:
                os.chmod(temporary, 0o600)
                with os.fdopen(handle, "w", encoding="utf-8") as stream:
                    json.dump(tokens, stream)
                    stream.flush()
                    os.fsync(stream.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise AuthError(
                f"Cannot write the token file {self.path}: {exc.strerror}. "
                f"Point {settings.TOKEN_FILE} at a writable place."
            ) from None


SERVICE_ACCOUNT = "client_credentials"
"""The `grant` a token file records for tokens the server obtained with its own client credentials; any other
pair is the user's own sign-in, which the server refreshes but never replaces with a service account's."""


def tokens_from_response(data: dict[str, Any], grant: str) -> dict[str, Any]:
    """What is kept of a token response; the expiry becomes an absolute time (from when the answer arrived, not
    the API's `created_at`: clocks differ), and `grant` says whose the tokens are."""
    lifetime = data.get("expires_in")
    expires_in = float(lifetime) if isinstance(lifetime, (int, float)) else 3600.0
    kept = {key: data[key] for key in ("access_token", "refresh_token", "token_type") if data.get(key)}
    kept["expires_at"] = time.time() + expires_in
    kept["grant"] = grant
    return kept


def _fresh(tokens: dict[str, Any] | None) -> bool:
    if not tokens or not tokens.get("access_token"):
        return False
    return float(tokens.get("expires_at", 0)) - REFRESH_MARGIN_SECONDS > time.time()


def oauth_endpoint(runtime: contract.Document, which: Literal["token", "authorize"]) -> str:
    """The URL of the API's OAuth2 `token` or `authorize` endpoint, its host from settings when it is one of the
    API's servers; a ConfigurationError when the API declares none."""
    for scheme in runtime["securitySchemes"].values():
        endpoint = scheme.get(which)
        if endpoint:
            if "url" in endpoint:
                return str(endpoint["url"])
            return settings.server_url(runtime["servers"][endpoint["server"]]) + str(endpoint["path"])
    kind = "token" if which == "token" else "authorization"
    raise settings.ConfigurationError(f"The API declares no OAuth2 {kind} endpoint.")


class Credentials:
    """Access tokens for OAuth2 operations, obtained, stored and refreshed by the server itself.

    A refresh runs under a lock held across processes (`exclusive`): two servers sharing a token file must not
    both spend its single-use refresh token."""

    def __init__(self, runtime: contract.Document) -> None:
        self.runtime = runtime
        self._lock = anyio.Lock()
        self._holding: ContextVar[bool] = ContextVar("holding_the_token_lock", default=False)

    @property
    def store(self) -> TokenStore:
        return TokenStore(settings.token_file())

    def token_url(self) -> str:
        return oauth_endpoint(self.runtime, "token")

    def stored(self, key: str) -> str | None:
        """A stored credential (`access_token` or `refresh_token`), for arguments bound to it."""
        tokens = self.store.load()
        found = tokens.get(key) if tokens else None
        return str(found) if found else None

    def keep(self, data: dict[str, Any], *, refreshed: bool = False, grant: str = "authorization_code") -> None:
        """Store a token response before anything uses it: a sign-in's (`login`), the client credentials', or
        (`refreshed`) a renewal of the stored pair, which stays whoever's it was."""
        if not data.get("access_token"):
            return
        if refreshed:
            grant = str((self.store.load() or {}).get("grant") or "authorization_code")
        self.store.save(tokens_from_response(data, grant))

    def forget(self, revoked: str) -> None:
        """After a revocation: drop the revoked token. Revoking a refresh token ends its access tokens too
        (RFC 7009), so then nothing is kept; a revoked access token leaves the refresh token to try."""
        tokens = self.store.load()
        if not tokens or not tokens.get(revoked):
            return
        kept = {k: v for k, v in tokens.items() if k in ("refresh_token", "grant")} if revoked == "access_token" else {}
        if kept.get("refresh_token"):
            self.store.save(kept)
        else:
            self.store.remove()

    @asynccontextmanager
    async def exclusive(self) -> AsyncIterator[None]:
        """This process's lock, then the token file's lock across processes (re-entrant within one call)."""
        if self._holding.get():
            yield
            return
        async with self._lock:
            held = await anyio.to_thread.run_sync(lock_file, self.store.path)
            marker = self._holding.set(True)
            try:
                yield
            finally:
                self._holding.reset(marker)
                unlock_file(held)

    async def bearer(self, client: httpx.AsyncClient, *, rejected: str | None = None) -> str:
        """A valid access token: the fixed one from the environment, the stored one, or a fresh one.
        `rejected`: the token the API just refused (renewed unless the store already holds another)."""
        fixed = settings.access_token()
        if fixed is not None:
            return fixed
        tokens = self.store.load()
        if _fresh(tokens) and rejected is None:
            return str(tokens["access_token"]) if tokens else ""
        async with self.exclusive():
            tokens = self.store.load()  # another process may have renewed it while this one waited
            if _fresh(tokens) and tokens and tokens["access_token"] != rejected:
                return str(tokens["access_token"])
            return await self._renewed(client, tokens)

    async def _renewed(self, client: httpx.AsyncClient, tokens: dict[str, Any] | None) -> str:
        """A new access token (under the lock): the stored pair refreshed, else the client credentials' when
        the store holds no sign-in of the user's."""
        client_id, client_secret = settings.value(settings.CLIENT_ID), settings.value(settings.CLIENT_SECRET)
        users = bool(tokens) and (tokens or {}).get("grant") != SERVICE_ACCOUNT
        if tokens and tokens.get("refresh_token") and client_id:
            grant = {"grant_type": "refresh_token", "refresh_token": str(tokens["refresh_token"])}
            renewed = await self._request(client, grant, str(tokens.get("grant") or "authorization_code"))
            if renewed is not None:
                return renewed
            if users:
                raise AuthError(
                    f"The stored sign-in was refused (its refresh token is no longer valid); sign in again with "
                    f"`{settings.DISTRIBUTION} login`. Your tokens are never replaced by a service account's."
                )
        elif users:
            raise AuthError(
                f"The stored sign-in cannot be renewed; sign in again with `{settings.DISTRIBUTION} login`, or "
                f"delete {settings.TOKEN_FILE}'s file to use the client credentials."
            )
        if client_id and client_secret:
            obtained = await self._request(client, {"grant_type": "client_credentials"}, SERVICE_ACCOUNT)
            if obtained is not None:
                return obtained
            raise AuthError(
                f"The token endpoint refused {settings.CLIENT_ID} and {settings.CLIENT_SECRET}; check them."
            )
        raise settings.ConfigurationError(
            f"No credentials: set {settings.CLIENT_ID} and {settings.CLIENT_SECRET} (a service account), "
            f"run `{settings.DISTRIBUTION} login`, or set {settings.ACCESS_TOKEN}."
        )

    async def _request(self, client: httpx.AsyncClient, grant: dict[str, str], kind: str) -> str | None:
        """Ask the token endpoint; store the answer (as `kind`'s) before returning its access token. None when
        refused."""
        form = {
            **grant,
            "client_id": settings.value(settings.CLIENT_ID),
            "client_secret": settings.value(settings.CLIENT_SECRET),
        }
        try:
            request = client.build_request("POST", self.token_url(), data={k: v for k, v in form.items() if v})
            response = await client.send(request, stream=True)
            await sending.read_capped(response, TOKEN_ANSWER_BYTES, keep_start=True)
        except (httpx.HTTPError, sending.Unreadable) as exc:
            raise AuthError(
                f"The token endpoint could not be reached ({type(exc).__name__}); try again shortly."
            ) from None
        if response.status_code in (400, 401):
            return None
        if response.status_code >= 300:
            raise AuthError(f"The token endpoint answered HTTP {response.status_code}; try again shortly.")
        try:
            data = response.json()
        except ValueError:
            raise AuthError("The token endpoint answered with something other than JSON.") from None
        if not isinstance(data, dict) or not data.get("access_token"):
            raise AuthError("The token endpoint answered without an access token.")
        self.store.save(tokens_from_response(data, kind))  # the rotated refresh token is on disk before it is used
        return str(data["access_token"])


TOKEN_ANSWER_BYTES = 64 * 1024
"""The most of a token endpoint's answer that is read (past that it is cut, and will not parse)."""


# -- the token file's lock, across processes ----------------------------------------------------------------

LOCK_WAIT_SECONDS = 30.0


def lock_file(token_file: Path) -> int:
    """Take the lock beside the token file (`tokens.json.lock`), waiting up to half a minute; its descriptor."""
    path = token_file.with_name(token_file.name + ".lock")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as exc:
        raise AuthError(
            f"Cannot write the token file {token_file} (its lock: {exc.strerror}). "
            f"Point {settings.TOKEN_FILE} at a writable place."
        ) from None
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    while not _try_lock(descriptor):
        if time.monotonic() > deadline:
            os.close(descriptor)
            raise AuthError("Another server is renewing the tokens and taking too long; try again shortly.")
        time.sleep(0.05)
    return descriptor


def _try_lock(descriptor: int) -> bool:
    try:
        if sys.platform == "win32":
            import msvcrt

            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def unlock_file(descriptor: int) -> None:
    """Release the lock (closing the descriptor releases it too, whatever happens to the process)."""
    os.close(descriptor)


def scheme_headers(scheme: contract.SecurityScheme) -> tuple[dict[str, str], dict[str, str]]:
    """Headers and query parameters for the non-OAuth2 schemes: HTTP basic or bearer, API keys."""
    kind = scheme.get("type")
    if kind == "http" and scheme.get("scheme") == "basic":
        user = settings.required(settings.USERNAME, "the user name for HTTP basic authentication")
        password = settings.required(settings.PASSWORD, "the password for HTTP basic authentication")
        encoded = base64.b64encode(f"{user}:{password}".encode()).decode()
        return {"Authorization": f"Basic {encoded}"}, {}
    if kind == "http":
        token = settings.required(settings.ACCESS_TOKEN, "the bearer token")
        return {"Authorization": f"Bearer {token}"}, {}
    if kind == "apiKey":
        key = settings.required(settings.API_KEY, "the API key")
        if scheme.get("in") == "query":
            return {}, {str(scheme["name"]): key}
        if scheme.get("in") == "cookie":
            return {"Cookie": f"{scheme['name']}={key}"}, {}
        return {str(scheme["name"]): key}, {}
    return {}, {}

"""Credentials: the token file, OAuth2 token requests (client credentials, refresh), and request signing.

Refresh tokens are single use and rotate: a new pair is written to disk (atomically, mode 0600) before it
is used, so a crash can never lose the only valid refresh token.
"""

from __future__ import annotations

import base64
import json
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from pathlib import Path
from typing import Any

import anyio
import httpx

from . import settings

REFRESH_MARGIN_SECONDS = 120


class AuthError(Exception):
    """Authentication failed in a way the user must act on; the message says how."""


CURRENT_USER: ContextVar[str | None] = ContextVar("current_user", default=None)
"""In team mode, the signed-in user a tool call runs for (their subject); None otherwise."""
team_bearer: Callable[[str, str | None], Awaitable[str]] | None = None
"""Set by team mode: the user's API access token, given the subject and the token the API just refused."""


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


def tokens_from_response(data: dict[str, Any]) -> dict[str, Any]:
    """What is kept of a token response; the expiry becomes an absolute time."""
    created, lifetime = data.get("created_at"), data.get("expires_in")
    issued = float(created) if isinstance(created, (int, float)) else time.time()
    expires_in = float(lifetime) if isinstance(lifetime, (int, float)) else 3600.0
    kept = {key: data[key] for key in ("access_token", "refresh_token", "token_type") if data.get(key)}
    kept["expires_at"] = issued + expires_in
    return kept


def oauth_endpoint(runtime: dict[str, Any], which: str) -> str:
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
    """Access tokens for OAuth2 operations, obtained, stored and refreshed by the server itself."""

    def __init__(self, runtime: dict[str, Any]) -> None:
        self.runtime = runtime
        self._lock = anyio.Lock()

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

    def keep(self, data: dict[str, Any]) -> None:
        """Store a token response (from the token tool or the login flow) before anything uses it."""
        if data.get("access_token"):
            self.store.save(tokens_from_response(data))

    def forget(self, revoked: str) -> None:
        """After a revocation: drop the revoked token. Revoking a refresh token ends its access tokens too
        (RFC 7009), so then nothing is kept; a revoked access token leaves the refresh token to try."""
        tokens = self.store.load()
        if not tokens or not tokens.get(revoked):
            return
        kept = {k: v for k, v in tokens.items() if k == "refresh_token"} if revoked == "access_token" else {}
        if kept:
            self.store.save(kept)
        else:
            self.store.remove()

    async def bearer(self, client: httpx.AsyncClient, *, renew: bool = False) -> str:
        """A valid access token: the fixed one from the environment, the stored one, or a fresh one."""
        fixed = settings.access_token()
        if fixed is not None:
            return fixed
        async with self._lock:
            tokens = self.store.load()
            expires_at = float(tokens.get("expires_at", 0)) if tokens else 0.0
            fresh = bool(tokens and tokens.get("access_token")) and expires_at - REFRESH_MARGIN_SECONDS > time.time()
            if tokens and fresh and not renew:
                return str(tokens["access_token"])
            client_id, client_secret = settings.value(settings.CLIENT_ID), settings.value(settings.CLIENT_SECRET)
            refused = False
            if tokens and tokens.get("refresh_token") and client_id:
                grant = {"grant_type": "refresh_token", "refresh_token": str(tokens["refresh_token"])}
                renewed = await self._request(client, grant)
                if renewed is not None:
                    return renewed
                refused = True
            if client_id and client_secret:
                obtained = await self._request(client, {"grant_type": "client_credentials"})
                if obtained is not None:
                    return obtained
                raise AuthError(
                    f"The token endpoint refused {settings.CLIENT_ID} and {settings.CLIENT_SECRET}; check them."
                )
            if refused:
                raise AuthError(
                    f"The stored refresh token was refused; sign in again with `{settings.DISTRIBUTION} login`."
                )
            raise settings.ConfigurationError(
                f"No credentials: set {settings.CLIENT_ID} and {settings.CLIENT_SECRET} (a service account), "
                f"run `{settings.DISTRIBUTION} login`, or set {settings.ACCESS_TOKEN}."
            )

    async def _request(self, client: httpx.AsyncClient, grant: dict[str, str]) -> str | None:
        """Ask the token endpoint; store the answer before returning its access token. None when refused."""
        form = {
            **grant,
            "client_id": settings.value(settings.CLIENT_ID),
            "client_secret": settings.value(settings.CLIENT_SECRET),
        }
        try:
            response = await client.post(self.token_url(), data={k: v for k, v in form.items() if v})
        except httpx.HTTPError as exc:
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
        self.keep(data)  # the rotated refresh token is on disk before the access token is used
        return str(data["access_token"])


def scheme_headers(scheme: dict[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
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

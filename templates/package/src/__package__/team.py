"""Team mode: one HTTP deployment for many people, each calling the API as themselves.

The deployment is its own OAuth 2.1 authorization server for MCP clients and brokers the API's sign-in: a
client registers, the user approves it on a consent page (bound to their browser by a signed cookie), signs
in to the API, and the client gets the deployment's own opaque tokens. The API's tokens stay in the store,
sealed; the client's tokens never reach the API. Each tool call uses the signed-in user's API token.
Only `--team` imports this module (its packages come with the `team` extra).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import html
import ipaddress
import json
import logging
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import anyio
import httpx
from mcp.server.auth.handlers.metadata import MetadataHandler
from mcp.server.auth.provider import (
    AccessToken,
    AuthorizationCode,
    AuthorizationParams,
    AuthorizeError,
    IdentityAssertionParams,
    ProviderTokenVerifier,
    RefreshToken,
    TokenError,
    construct_redirect_uri,
)
from mcp.server.auth.routes import build_metadata, cors_middleware, create_auth_routes
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import AnyUrl
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from . import auth, calls, settings, team_store

TRANSACTION_SECONDS = 600
CODE_SECONDS = 300
CLEAN_UP_EVERY_SECONDS = 600.0
log = logging.getLogger(__name__)
CONSENT_PATH = "/team/consent"
CALLBACK_PATH = "/team/callback"
_T = TypeVar("_T")


class TeamError(Exception):
    """Team mode is not configured well enough to start; the message names the setting."""


@dataclass(frozen=True)
class TeamConfig:
    """Where the deployment lives and how it reaches the API's sign-in."""

    issuer: str
    resource: str
    client_id: str
    client_secret: str
    authorize_url: str
    token_url: str
    identity_url: str
    identity_field: str
    revoke_url: str

    @property
    def callback_url(self) -> str:
        return self.issuer + CALLBACK_PATH

    @property
    def secure(self) -> bool:
        return self.issuer.startswith("https://")

    @classmethod
    def from_settings(cls, runtime: dict[str, Any]) -> TeamConfig:
        public = settings.value(settings.PUBLIC_URL).rstrip("/")
        if not public.startswith(("https://", "http://127.0.0.1", "http://localhost")):
            raise TeamError(f"Set {settings.PUBLIC_URL} to the deployment's public https:// URL.")
        identity = settings.API.get("teamIdentity") or {}
        if not identity.get("path"):
            raise TeamError(
                "This API's generation config names no `team_identity` endpoint, so users cannot be told apart."
            )
        servers = runtime["servers"]
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(public))
        return cls(
            issuer=origin,
            resource=public + "/mcp",
            client_id=settings.required(settings.CLIENT_ID, "the API app's client ID, for team mode"),
            client_secret=settings.required(settings.CLIENT_SECRET, "the API app's client secret, for team mode"),
            authorize_url=auth.oauth_endpoint(runtime, "authorize"),
            token_url=auth.oauth_endpoint(runtime, "token"),
            identity_url=settings.server_url(servers[identity["server"]]) + str(identity["path"]),
            identity_field=str(identity.get("field", "id")),
            revoke_url=_revocation_url(runtime, servers),
        )


def _revocation_url(runtime: dict[str, Any], servers: dict[str, Any]) -> str:
    """The API's token revocation endpoint (RFC 7009), from the operation that revokes tokens; "" without one."""
    for entry in runtime["tools"]:
        binding = entry["binding"]
        if binding.get("revokesTokens") and "server" in binding:
            return settings.server_url(servers[binding["server"]]) + str(binding["path"])
    return ""


async def _off_loop(function: Callable[..., _T], *args: Any) -> _T:
    """Store calls block (a database, a row lock): they run in a worker thread."""
    return await anyio.to_thread.run_sync(functools.partial(function, *args))


class LoopbackTolerantClient(OAuthClientInformationFull):
    """A client whose loopback redirect URIs match on any port, as native apps need (RFC 8252, 7.3)."""

    def validate_redirect_uri(self, redirect_uri: AnyUrl | None) -> AnyUrl:
        if redirect_uri is not None and any(
            _same_loopback(str(r), str(redirect_uri)) for r in self.redirect_uris or []
        ):
            return redirect_uri
        return super().validate_redirect_uri(redirect_uri)


def _same_loopback(registered: str, asked: str) -> bool:
    first, second = urlsplit(registered), urlsplit(asked)
    loopback = first.hostname in ("127.0.0.1", "localhost", "::1")
    same = (first.scheme, first.hostname, first.path, first.query) == (
        second.scheme,
        second.hostname,
        second.path,
        second.query,
    )
    return loopback and first.scheme == "http" and same


DAY = 24 * 3600.0
DOCUMENT_LIMIT = 64 * 1024


async def metadata_document(client_id: str) -> dict[str, Any] | None:
    """A Client ID Metadata Document: fetched from the https URL that is the client ID (no redirects, 5 s,
    64 KiB, public addresses only unless `<PREFIX>_TEAM_CIMD_PRIVATE` allows others), its `client_id` equal to
    the URL. The client is public (no secret) and may refresh. None when any check fails."""
    parts = urlsplit(client_id)
    if parts.scheme != "https" or not parts.hostname or parts.path in ("", "/"):
        return None
    if not await _public_host(parts.hostname, parts.port or 443):
        return None
    document = await _small_json(client_id)
    if not isinstance(document, dict) or document.get("client_id") != client_id:
        return None
    document = {
        **document,
        "token_endpoint_auth_method": "none",  # a public client: it has no secret here
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
    }
    document.pop("client_secret", None)
    try:
        LoopbackTolerantClient.model_validate(document)
    except ValueError:
        return None
    return document


async def _small_json(url: str) -> Any:
    """The JSON at the URL, if it answers 200 within 5 s and 64 KiB, without following redirects."""
    body = b""
    try:
        async with (
            httpx.AsyncClient(timeout=5.0, follow_redirects=False, cookies=calls.cookieless_jar()) as client,
            client.stream("GET", url, headers={"Accept": "application/json"}) as response,
        ):
            if response.status_code != 200:
                return None
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > DOCUMENT_LIMIT:
                    return None
        return json.loads(body)
    except (httpx.HTTPError, ValueError):
        return None


async def _public_host(host: str, port: int) -> bool:
    """Whether every address the host resolves to is a public one (no fetching into the deployment's network)."""
    if settings.value(settings.TEAM_CIMD_PRIVATE) in ("1", "true", "yes"):
        return True
    try:
        found = await anyio.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    except OSError:
        return False
    return bool(found) and all(ipaddress.ip_address(str(entry[4][0]).split("%")[0]).is_global for entry in found)


class Broker:
    """The SDK's authorization-server provider, backed by the shared store, brokering the API's sign-in."""

    def __init__(self, config: TeamConfig, store: team_store.TeamStore) -> None:
        self.config = config
        self.store = store
        key = store.ring.keys[store.ring.current]
        self._mac_key = hashlib.sha256(b"team-mode browser binding\0" + key).digest()
        self._cleaned_at = 0.0

    def mac(self, purpose: str, value: str) -> str:
        return hmac.new(self._mac_key, f"{purpose}\0{value}".encode(), hashlib.sha256).hexdigest()

    def pseudonym(self, subject: str) -> str:
        """How logs name a user: stable for the deployment, meaningless outside it (never an id or a token)."""
        return "user-" + self.mac("log", subject)[:12]

    async def _clean_up_now_and_then(self) -> None:
        """Expired transactions, codes and tokens go, at most every few minutes per process, from any replica."""
        if time.monotonic() - self._cleaned_at < CLEAN_UP_EVERY_SECONDS:
            return
        self._cleaned_at = time.monotonic()
        removed = await _off_loop(self.store.clean_up)
        if removed:
            log.info("removed %d expired sign-in records", removed)

    # -- clients ------------------------------------------------------------------------------------------

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        """A registered client, or one whose client ID is the URL of its metadata document (fetched, checked,
        kept for a day). Registrations are never evicted."""
        info = await _off_loop(self.store.client, client_id)
        if client_id.startswith("https://") and (info is None or time.time() - info.get("_fetched_at", 0) > DAY):
            fetched = await metadata_document(client_id)
            if fetched is not None:
                info = {**fetched, "_fetched_at": time.time()}
                await _off_loop(self.store.save_client, client_id, info)
        if info is None:
            return None
        return LoopbackTolerantClient.model_validate({k: v for k, v in info.items() if not k.startswith("_")})

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        assert client_info.client_id is not None
        info = client_info.model_dump(mode="json", exclude_none=True)
        await _off_loop(self.store.save_client, client_info.client_id, info)

    # -- the authorization code grant ---------------------------------------------------------------------

    async def authorize(self, client: OAuthClientInformationFull, params: AuthorizationParams) -> str:
        if params.resource is not None and params.resource.rstrip("/") != self.config.resource:
            raise AuthorizeError("invalid_target", f"This server issues tokens for {self.config.resource} only.")
        await self._clean_up_now_and_then()
        transaction = team_store.new_token()
        data = {
            "redirect_uri": str(params.redirect_uri),
            "explicit": params.redirect_uri_provided_explicitly,
            "state": params.state,
            "scopes": params.scopes or [],
            "code_challenge": params.code_challenge,
            "client_name": client.client_name or client.client_id,
        }
        assert client.client_id is not None
        await _off_loop(self.store.put_transaction, transaction, client.client_id, data, TRANSACTION_SECONDS)
        return f"{self.config.issuer}{CONSENT_PATH}?{urlencode({'tx': transaction})}"

    async def load_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: str
    ) -> AuthorizationCode | None:
        record = await _off_loop(self.store.peek_code, authorization_code)
        if record is None or record["client_id"] != client.client_id:
            return None
        return AuthorizationCode(
            code=authorization_code,
            scopes=record["scopes"],
            expires_at=record["expires_at"],
            client_id=record["client_id"],
            code_challenge=record["code_challenge"],
            redirect_uri=record["redirect_uri"],
            redirect_uri_provided_explicitly=record["explicit"],
            resource=self.config.resource,
            subject=record["subject"],
        )

    async def exchange_authorization_code(
        self, client: OAuthClientInformationFull, authorization_code: AuthorizationCode
    ) -> OAuthToken:
        record = await _off_loop(self.store.take_code, authorization_code.code)
        if record is None:
            raise TokenError("invalid_grant", "The authorization code was already used or has expired.")
        issued = await _off_loop(
            self.store.issue_grant, record["client_id"], record["subject"], record["scopes"], self.config.resource
        )
        return _token(issued)

    # -- the deployment's own refresh tokens --------------------------------------------------------------

    async def load_refresh_token(self, client: OAuthClientInformationFull, refresh_token: str) -> RefreshToken | None:
        grant = await _off_loop(self.store.refresh_grant, refresh_token)
        if grant is None or grant.client_id != client.client_id:
            return None
        return RefreshToken(
            token=refresh_token,
            client_id=grant.client_id,
            scopes=list(grant.scopes),
            resource=grant.resource,
            subject=grant.subject,
        )

    async def exchange_refresh_token(
        self, client: OAuthClientInformationFull, refresh_token: RefreshToken, scopes: list[str]
    ) -> OAuthToken:
        issued = await _off_loop(self.store.rotate, refresh_token.token)
        if issued is None:
            raise TokenError("invalid_grant", "The refresh token is no longer valid; sign in again.")
        return _token(issued)

    # -- verification and revocation ----------------------------------------------------------------------

    async def load_access_token(self, token: str) -> AccessToken | None:
        grant = await _off_loop(self.store.access_grant, token)
        if grant is None:
            return None
        return AccessToken(
            token=token,
            client_id=grant.client_id,
            scopes=list(grant.scopes),
            expires_at=int(grant.expires_at),
            resource=grant.resource,
            subject=grant.subject,
            claims={"iss": self.config.issuer},
        )

    async def revoke_token(self, token: AccessToken | RefreshToken) -> None:
        """The grant goes; when it was the user's last one, their API tokens are revoked at the API too."""
        subject = await _off_loop(self.store.revoke, token.token)
        if subject is None:
            return
        live: int = await _off_loop(self.store.live_grants, subject)
        if live:
            return
        pair = await _off_loop(self.store.forget_upstream, subject)
        if pair is None or not self.config.revoke_url:
            return
        form = {
            "token": pair.refresh_token,
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret,
        }
        try:
            async with httpx.AsyncClient(timeout=settings.timeouts(), cookies=calls.cookieless_jar()) as client:
                await client.post(self.config.revoke_url, data=form)
        except httpx.HTTPError:
            log.warning("%s: revoking the API tokens failed; they expire on their own", self.pseudonym(subject))
        log.info("%s revoked their last grant; their API tokens were revoked too", self.pseudonym(subject))

    async def exchange_identity_assertion(
        self, client: OAuthClientInformationFull, params: IdentityAssertionParams
    ) -> OAuthToken:
        raise TokenError("unsupported_grant_type", "Sign in through the browser: identity assertions are not accepted.")

    # -- the consent page and the API's callback ----------------------------------------------------------

    async def consent(self, request: Request) -> Response:
        transaction = str(request.query_params.get("tx") or (await request.form()).get("tx") or "")
        pending = await _off_loop(self.store.peek_transaction, transaction)
        if pending is None:
            return _page("This sign-in link has expired or was already used. Start again from your MCP client.", 400)
        if request.method == "GET":
            return self._consent_page(transaction, pending)
        form = await request.form()
        nonce = request.cookies.get(self.consent_cookie, "")
        expected = self.consent_token(transaction, nonce)
        if not nonce or not self._same_origin(request) or not hmac.compare_digest(str(form.get("csrf", "")), expected):
            return _page("This approval did not come from the consent page. Start again from your MCP client.", 403)
        target = (
            self.config.authorize_url
            + "?"
            + urlencode(
                {
                    "response_type": "code",
                    "client_id": self.config.client_id,
                    "redirect_uri": self.config.callback_url,
                    "state": transaction,
                }
            )
        )
        response = RedirectResponse(target, status_code=302)
        response.set_cookie(
            self.cookie_name, self.mac("browser", transaction), max_age=TRANSACTION_SECONDS, path="/",
            secure=self.config.secure, httponly=True, samesite="lax",
        )  # fmt: skip
        return response

    def consent_token(self, transaction: str, nonce: str) -> str:
        """The form's CSRF token: bound to the transaction and to the browser that was shown the page."""
        return self.mac("csrf", f"{transaction}\0{nonce}")

    def _same_origin(self, request: Request) -> bool:
        """A browser's own word that the form was posted from this site (absent headers: not a browser)."""
        origin = request.headers.get("origin")
        fetched_from = request.headers.get("sec-fetch-site")
        return (origin is None or origin == self.config.issuer) and fetched_from in (None, "same-origin", "none")

    @property
    def consent_cookie(self) -> str:
        """Set with the consent page; the approval must carry it (a site that posts the form cannot)."""
        return "__Host-team-consent" if self.config.secure else "team-consent"

    @property
    def cookie_name(self) -> str:
        return "__Host-team-binding" if self.config.secure else "team-binding"

    def _consent_page(self, transaction: str, pending: dict[str, Any]) -> Response:
        nonce = team_store.new_token()  # this browser's, in a cookie the approval must send back
        client = html.escape(str(pending["client_name"]))
        host = html.escape(urlsplit(str(pending["redirect_uri"])).netloc or str(pending["redirect_uri"]))
        body = (
            f"<h1>Allow {client}?</h1><p>{client} asks to act in {html.escape(settings.API['title'])} as you, "
            f"with your own permissions. It will be sent back to <b>{host}</b>.</p>"
            f'<form method="post"><input type="hidden" name="tx" value="{html.escape(transaction)}">'
            f'<input type="hidden" name="csrf" value="{self.consent_token(transaction, nonce)}">'
            '<button type="submit">Allow and sign in</button></form>'
        )
        response = _page(body, 200, raw=True)
        response.set_cookie(
            self.consent_cookie, nonce, max_age=TRANSACTION_SECONDS, path="/",
            secure=self.config.secure, httponly=True, samesite="strict",
        )  # fmt: skip
        return response

    async def callback(self, request: Request) -> Response:
        transaction = str(request.query_params.get("state", ""))
        bound = request.cookies.get(self.cookie_name, "")
        if not transaction or not hmac.compare_digest(bound, self.mac("browser", transaction)):
            return _page("This sign-in did not start in this browser. Start again from your MCP client.", 403)
        pending = await _off_loop(self.store.take_transaction, transaction)
        if pending is None:
            return _page("This sign-in has expired or was already used. Start again from your MCP client.", 400)
        if request.query_params.get("error") or not request.query_params.get("code"):
            # The person declined (or the API refused): the client hears it, as OAuth says, and may start again.
            error = "access_denied" if request.query_params.get("error") == "access_denied" else "server_error"
            target = construct_redirect_uri(
                str(pending["redirect_uri"]), error=error, state=pending["state"], iss=self.config.issuer
            )
            return RedirectResponse(target, status_code=302)
        code = str(request.query_params.get("code", ""))
        try:
            subject = await self._signed_in_upstream(code)
        except (httpx.HTTPError, ValueError, KeyError) as exc:
            return _page(
                f"Signing in to the API did not work ({type(exc).__name__}). Start again from your MCP client.", 502
            )
        log.info("%s signed in for client %s", self.pseudonym(subject), pending["client_id"])
        await _off_loop(self.store.record_consent, subject, pending["client_id"])
        ours = team_store.new_token()
        record = {**pending, "expires_at": time.time() + CODE_SECONDS}
        await _off_loop(self.store.put_code, ours, pending["client_id"], subject, record, CODE_SECONDS)
        target = construct_redirect_uri(
            str(pending["redirect_uri"]), code=ours, state=pending["state"], iss=self.config.issuer
        )
        response = RedirectResponse(target, status_code=302)
        response.delete_cookie(self.cookie_name, path="/", secure=self.config.secure, httponly=True, samesite="lax")
        return response

    async def _signed_in_upstream(self, code: str) -> str:
        """Exchange the API's code, learn who signed in, keep their pair: their subject."""
        form = {
            "grant_type": "authorization_code", "code": code, "redirect_uri": self.config.callback_url,
            "client_id": self.config.client_id, "client_secret": self.config.client_secret,
        }  # fmt: skip
        async with httpx.AsyncClient(timeout=settings.timeouts(), cookies=calls.cookieless_jar()) as client:
            response = await client.post(self.config.token_url, data=form)
            response.raise_for_status()
            pair = response.json()
            me = await client.get(self.config.identity_url, headers={"Authorization": f"Bearer {pair['access_token']}"})
            me.raise_for_status()
            answer = me.json()
            identity = answer.get(self.config.identity_field) if isinstance(answer, dict) else None
        if isinstance(identity, bool) or not isinstance(identity, (int, str)) or not str(identity).strip():
            raise ValueError("the API did not say who signed in")  # never a shared or empty subject
        subject = f"{urlsplit(self.config.token_url).hostname}:{identity}"
        await _off_loop(self.store.keep_upstream, subject, pair)
        return subject

    # -- the API's tokens for a call --------------------------------------------------------------------

    def refresh_upstream(self, refresh_token: str) -> dict[str, Any] | None:
        """The API's token endpoint, for the store's refresh (run under its lock, in a worker thread)."""
        form = {
            "grant_type": "refresh_token", "refresh_token": refresh_token,
            "client_id": self.config.client_id, "client_secret": self.config.client_secret,
        }  # fmt: skip
        response = httpx.post(self.config.token_url, data=form, timeout=settings.timeouts())
        if response.status_code in (400, 401):
            return None
        response.raise_for_status()
        pair: dict[str, Any] = response.json()
        return pair

    async def bearer(self, subject: str, rejected: str | None) -> str:
        try:
            return await _off_loop(self.store.fresh_access_token, subject, self.refresh_upstream, rejected)
        except team_store.SignInNeeded:
            log.warning("%s must sign in again: the API refused the stored refresh token", self.pseudonym(subject))
            raise auth.AuthError(
                "Your sign-in to the API has ended; your MCP client will ask you to sign in again."
            ) from None


def _token(issued: team_store.IssuedPair) -> OAuthToken:
    scope = " ".join(issued.grant.scopes) or None
    return OAuthToken(
        access_token=issued.access_token, expires_in=issued.expires_in, scope=scope, refresh_token=issued.refresh_token
    )


def _page(text: str, status: int, *, raw: bool = False) -> Response:
    body = text if raw else f"<p>{html.escape(text)}</p>"
    headers = {
        "X-Frame-Options": "DENY",
        "Content-Security-Policy": "frame-ancestors 'none'",
        "Cache-Control": "no-store",
    }
    return HTMLResponse(f"<!doctype html><meta charset=utf-8><title>Sign in</title>{body}", status, headers=headers)


def build_app(host: str) -> Starlette:
    """The team deployment: MCP at /mcp behind bearer auth, the authorization server, consent and callback."""
    from . import server

    config = TeamConfig.from_settings(server.runtime())
    broker = Broker(config, team_store.TeamStore.from_settings())
    auth.team_bearer = broker.bearer
    registration, revocation = ClientRegistrationOptions(enabled=True), RevocationOptions(enabled=True)
    # The settings keep the issuer exactly as written (no trailing slash): RFC 9207 compares it as a string
    # with the `iss` of the redirect, and so does the official client.
    settings_for_auth = AuthSettings.model_validate(
        {"issuer_url": config.issuer, "resource_server_url": config.resource, "validate_token_resource": True,
         "client_registration_options": registration, "revocation_options": revocation}
    )  # fmt: skip
    issuer = settings_for_auth.issuer_url
    routes = create_auth_routes(broker, issuer, client_registration_options=registration, revocation_options=revocation)
    metadata = build_metadata(issuer, None, registration, revocation).model_copy(
        update={"authorization_response_iss_parameter_supported": True, "client_id_metadata_document_supported": True}
    )
    routes[0] = Route(
        "/.well-known/oauth-authorization-server",
        endpoint=cors_middleware(MetadataHandler(metadata).handle, ["GET", "OPTIONS"]),
        methods=["GET", "OPTIONS"],
    )
    routes += [Route(CONSENT_PATH, broker.consent, methods=["GET", "POST"]), Route(CALLBACK_PATH, broker.callback)]
    public = urlsplit(config.issuer)
    security = TransportSecuritySettings(
        enable_dns_rebinding_protection=True, allowed_hosts=[public.netloc], allowed_origins=[config.issuer]
    )
    return server.build_server().streamable_http_app(
        stateless_http=True, host=host, transport_security=security, auth=settings_for_auth,
        token_verifier=ProviderTokenVerifier(broker), custom_starlette_routes=routes,
    )  # fmt: skip

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
import threading
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
    RegistrationError,
    TokenError,
    construct_redirect_uri,
)
from mcp.server.auth.routes import build_metadata, cors_middleware, create_auth_routes
from mcp.server.auth.settings import AuthSettings, ClientRegistrationOptions, RevocationOptions
from mcp.server.lowlevel import Server
from mcp.server.transport_security import TransportSecuritySettings
from mcp.shared.auth import OAuthClientInformationFull, OAuthToken
from pydantic import AnyUrl
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from . import auth, calls, contract, data, sending, settings, team_routes, team_store

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
    def from_settings(cls, runtime: contract.Document) -> TeamConfig:
        public = public_url(settings.value(settings.PUBLIC_URL))
        identity = settings.API.get("teamIdentity") or {}
        if not identity.get("path"):
            raise TeamError(
                "This API's generation config names no `team_identity` endpoint, so users cannot be told apart."
            )
        servers = runtime["servers"]
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(public))  # exactly as written: RFC 9207 compares it
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


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def public_url(raw: str) -> str:
    """The deployment's public URL, parsed and checked whole: https, or plain http on a loopback host for a
    trial on one machine; no user name, query or fragment. Without its trailing slash."""
    problem = f"Set {settings.PUBLIC_URL} to the deployment's public https:// URL (such as https://mcp.example.com)."
    try:
        parts = urlsplit(raw.strip())
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError:
        raise TeamError(problem) from None
    secure = parts.scheme == "https" and bool(parts.hostname)
    trial = parts.scheme == "http" and parts.hostname in LOOPBACK_NAMES
    if not (secure or trial) or parts.username or parts.password or parts.query or parts.fragment:
        raise TeamError(problem)
    if "@" in parts.netloc or any(character.isspace() for character in raw.strip()):
        raise TeamError(problem)
    return raw.strip().rstrip("/")


def _revocation_url(runtime: contract.Document, servers: dict[str, contract.Server]) -> str:
    """The API's token revocation endpoint (RFC 7009), from the operation that revokes tokens; "" without one."""
    for entry in runtime["tools"]:
        binding = entry["binding"]
        if binding.get("revokesTokens"):
            return settings.server_url(servers[binding["server"]]) + binding["path"]
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


DOCUMENT_LIMIT = 64 * 1024
FETCH_SECONDS = 5.0
"""The whole fetch of a client's metadata document, from name lookup to the last byte."""
FAILED_FETCH_SECONDS = 300.0
"""A document that could not be fetched is not tried again for this long (per replica)."""
FETCHES_PER_MINUTE = 30
"""Metadata documents fetched per minute by one replica; more wait for the next minute (treated as failures)."""
REGISTRATIONS_FROM_ALL_ADDRESSES = 5
"""How many times one address's registration limit the whole deployment accepts in a minute."""
REMEMBERED_FAILURES = 10_000
LOOKUPS_AT_ONCE = 4
"""Name lookups for metadata documents in flight at once (each in a thread of its own)."""
LOOKUP_SLOT_POLL = 0.05
"""Seconds between looks for a free lookup slot while the caller's deadline runs."""


class LookupSlots:
    """Name lookups in threads, a few at a time: a slot is held until its thread ends, even when the caller
    stopped waiting at its deadline, so a name server that stalls cannot make threads pile up."""

    def __init__(self, size: int = LOOKUPS_AT_ONCE) -> None:
        self._free = threading.BoundedSemaphore(size)
        self._threads = anyio.CapacityLimiter(size)

    async def addresses(self, host: str, port: int) -> list[str]:
        """The addresses `host` resolves to (once a slot is free); an OSError when the lookup fails."""
        while not self._free.acquire(blocking=False):
            await anyio.sleep(LOOKUP_SLOT_POLL)
        owner = ["caller"]  # who gives the slot back: the thread once it starts, else the caller
        handoff = threading.Lock()

        def held() -> list[str]:
            with handoff:
                if owner[0] == "gone":  # the caller gave up before this thread began: the slot is back
                    return []
                owner[0] = "thread"
            try:
                found = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
                return list(dict.fromkeys(str(entry[4][0]).split("%")[0] for entry in found))
            finally:
                self._free.release()

        try:
            return await anyio.to_thread.run_sync(held, limiter=self._threads, abandon_on_cancel=True)
        finally:
            with handoff:
                if owner[0] == "caller":
                    owner[0] = "gone"
                    self._free.release()


async def metadata_document(client_id: str, lookups: LookupSlots) -> dict[str, Any] | None:
    """A Client ID Metadata Document: fetched from the https URL that is the client ID, its `client_id` equal to
    the URL. The name is looked up once and only the addresses that passed the check are connected to (public
    ones, unless `<PREFIX>_TEAM_CIMD_PRIVATE` allows others), with one deadline for the whole fetch, no
    redirects and at most 64 KiB. The client is public (no secret) and may refresh. None when any check fails."""
    parts = urlsplit(client_id)
    if parts.scheme != "https" or not parts.hostname or parts.path in ("", "/"):
        return None
    if parts.username or parts.password or parts.fragment:
        return None
    try:
        with anyio.fail_after(FETCH_SECONDS):
            addresses = await _checked_addresses(parts.hostname, parts.port or 443, lookups)
            document = await _small_json(client_id, addresses)
    except (TimeoutError, ValueError):
        return None
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


async def _checked_addresses(host: str, port: int, lookups: LookupSlots) -> list[str]:
    """The addresses the host resolves to, when every one is public (or private ones are allowed): the only
    addresses the fetch may connect to, so a second lookup cannot lead it elsewhere (DNS rebinding). Lookups run
    in threads of their own, a few at a time (`lookups`), abandoned at the deadline: a name server that stalls
    cannot hold up the lookups the rest of the server makes."""
    try:
        addresses = await lookups.addresses(host, port)
    except OSError:
        return []
    private_allowed = settings.value(settings.TEAM_CIMD_PRIVATE) in ("1", "true", "yes")
    if not private_allowed and not all(is_public(address) for address in addresses):
        return []
    return addresses


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def is_public(address: str) -> bool:
    """A global address that does not lead back inside: IPv6 forms that carry an IPv4 address (mapped,
    compatible, 6to4, NAT64) count by the address they carry."""
    found = ipaddress.ip_address(address)
    if isinstance(found, ipaddress.IPv6Address):
        inner = found.ipv4_mapped or found.sixtofour
        if inner is None and (found in NAT64 or int(found) >> 32 == 0):
            inner = ipaddress.IPv4Address(int(found) & 0xFFFFFFFF)  # NAT64, or IPv4-compatible (::a.b.c.d)
        if inner is not None:
            return inner.is_global
    return found.is_global


async def _small_json(url: str, addresses: list[str]) -> Any:
    """The JSON at the URL from the first checked address that answers: 200, 64 KiB at most, no redirects. The
    connection goes to the address itself; the name is still what TLS verifies and what `Host` says."""
    parts = urlsplit(url)
    hostname = parts.hostname or ""
    for address in addresses:
        target = httpx.URL(url).copy_with(host=address)
        # Identity only: a compressed document is refused, never inflated (read_capped would bound it anyway).
        headers = {"Accept": "application/json", "Accept-Encoding": "identity", "Host": parts.netloc.rpartition("@")[2]}
        try:
            async with (
                # No proxy from the environment (a proxy would look the name up again), but its CA settings.
                httpx.AsyncClient(
                    follow_redirects=False,
                    cookies=calls.cookieless_jar(),
                    trust_env=False,
                    verify=httpx.create_ssl_context(trust_env=True),
                ) as client,  # fmt: skip
                client.stream("GET", target, headers=headers, extensions={"sni_hostname": hostname}) as response,
            ):
                if response.status_code != 200 or response.headers.get("content-encoding", "identity") != "identity":
                    return None
                await sending.read_capped(response, DOCUMENT_LIMIT)
                return json.loads(response.content)
        except httpx.ConnectError:
            continue  # the next checked address
        except (httpx.HTTPError, sending.TooLarge, sending.Unreadable, ValueError):
            return None
    return None


class Admissions:
    """One replica's memory of failed fetches and its rate limits for fetches and registrations."""

    def __init__(self, per_address: int = settings.DEFAULT_TEAM_REGISTRATION_LIMIT) -> None:
        self.lookups = LookupSlots()
        self.failed: dict[str, float] = {}
        self.fetches: list[float] = []
        self.registrations: list[tuple[float, str]] = []
        self.per_address = per_address

    def recently_failed(self, client_id: str) -> bool:
        return self.failed.get(client_id, 0.0) > time.monotonic()

    def remember_failure(self, client_id: str) -> None:
        if len(self.failed) >= REMEMBERED_FAILURES:
            now = time.monotonic()
            self.failed = {key: until for key, until in self.failed.items() if until > now}
            while len(self.failed) >= REMEMBERED_FAILURES:
                self.failed.pop(next(iter(self.failed)))
        self.failed[client_id] = time.monotonic() + FAILED_FETCH_SECONDS

    def may_fetch(self) -> bool:
        now = time.monotonic()
        self.fetches = [when for when in self.fetches if when > now - 60]
        if len(self.fetches) >= FETCHES_PER_MINUTE:
            return False
        self.fetches.append(now)
        return True

    def may_register(self, address: str) -> bool:
        now = time.monotonic()
        self.registrations = [(when, who) for when, who in self.registrations if when > now - 60]
        mine = sum(1 for _, who in self.registrations if who == address)
        everyone = self.per_address * REGISTRATIONS_FROM_ALL_ADDRESSES
        if len(self.registrations) >= everyone or mine >= self.per_address:
            return False
        self.registrations.append((now, address))
        return True


class Broker:
    """The SDK's authorization-server provider, backed by the shared store, brokering the API's sign-in."""

    def __init__(self, config: TeamConfig, store: team_store.TeamStore) -> None:
        self.config = config
        self.store = store
        key = store.ring.keys[store.ring.current]
        self._mac_key = hashlib.sha256(b"team-mode browser binding\0" + key).digest()
        self._cleaned_at = 0.0
        limit = settings.number(settings.TEAM_REGISTRATION_LIMIT, settings.DEFAULT_TEAM_REGISTRATION_LIMIT, 1)
        self.admissions = Admissions(int(limit))

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
        kept for a day; a failed fetch is not retried for minutes). Its secret is never part of what comes back:
        the store keeps only its hash (`HashedSecretAuthenticator` checks it)."""
        if len(client_id) > 512:
            return None
        info = await _off_loop(self.store.client, client_id)
        if client_id.startswith("https://") and info is None:
            info = await self._fetched(client_id)
        if info is None:
            return None
        return LoopbackTolerantClient.model_validate({k: v for k, v in info.items() if not k.startswith("_")})

    async def _fetched(self, client_id: str) -> dict[str, Any] | None:
        if self.admissions.recently_failed(client_id) or not self.admissions.may_fetch():
            return None
        fetched = await metadata_document(client_id, self.admissions.lookups)
        if fetched is None:
            self.admissions.remember_failure(client_id)
            log.info("a client metadata document could not be used; not tried again for a while")
            return None
        if not await _off_loop(self.store.save_client, client_id, fetched, "fetched"):
            log.warning("too many fetched clients are kept; refused a new one until some expire")
            return None
        return fetched

    async def register_client(self, client_info: OAuthClientInformationFull) -> None:
        assert client_info.client_id is not None
        info = client_info.model_dump(mode="json", exclude_none=True)
        if not await _off_loop(self.store.save_client, client_info.client_id, info):
            log.warning("too many registered clients are kept; refused a new registration")
            raise RegistrationError("invalid_client_metadata", "This server keeps too many clients; try again later.")

    async def client_secret_hash(self, client_id: str) -> str | None:
        found: str | None = await _off_loop(self.store.client_secret_hash, client_id)
        return found

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
        if record is None:
            if await _off_loop(self.store.replayed_code, authorization_code):
                log.warning("an authorization code was presented again: the grant issued from it is revoked")
            return None
        if record["client_id"] != client.client_id:
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
        issued = await _off_loop(
            self.store.redeem_code, authorization_code.code, authorization_code.scopes, self.config.resource
        )
        if issued is None:
            raise TokenError("invalid_grant", "The authorization code was already used or has expired.")
        await _off_loop(self.store.touch_client, issued.grant.client_id)  # it signed somebody in: it stays
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
        await _off_loop(self.store.touch_client, issued.grant.client_id)
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
        if pair is None:
            return
        if await self.revoke_upstream(pair.refresh_token or pair.access_token):
            log.info("%s revoked their last grant; their API tokens were revoked too", self.pseudonym(subject))
        else:
            log.warning("%s: revoking the API tokens failed; they expire on their own", self.pseudonym(subject))

    async def revoke_upstream(self, token: str) -> bool:
        """Revoke a pair at the API (RFC 7009: the refresh token ends its access tokens too). Whether it was."""
        if not self.config.revoke_url or not token:
            return False
        form = {"token": token, "client_id": self.config.client_id, "client_secret": self.config.client_secret}
        try:
            async with httpx.AsyncClient(timeout=settings.timeouts(), cookies=calls.cookieless_jar()) as client:
                response = await client.post(self.config.revoke_url, data=form)
        except httpx.HTTPError:
            return False
        return response.status_code < 300

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
        host = html.escape(_shown_host(str(pending["redirect_uri"])))
        body = (
            f"<h1>Allow {client}?</h1><p>{client} asks to act in {html.escape(settings.API['title'])} as you, "
            f"with your own permissions. {_who_vouches(str(pending['client_id']))} "
            f"It will be sent back to <b>{host}</b>.</p>"
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
        try:
            pair = await self._exchange_upstream(str(request.query_params.get("code", "")))
        except (httpx.HTTPError, sending.TooLarge, sending.Unreadable, ValueError) as exc:
            return _page(
                f"Signing in to the API did not work ({type(exc).__name__}). Start again from your MCP client.", 502
            )
        try:
            subject = await self._identified(pair)
            ours = await self._recorded(subject, pair, pending)
        except Exception as exc:  # whatever failed, the fresh API pair must not outlive this sign-in unstored
            revoked = await self.revoke_upstream(str(pair.get("refresh_token") or pair["access_token"]))
            log.warning("a sign-in failed after the API issued tokens (%s); they were %srevoked",
                        type(exc).__name__, "" if revoked else "NOT ")  # fmt: skip
            return _page("Signing in did not complete. Start again from your MCP client.", 502)
        log.info("%s signed in for client %s", self.pseudonym(subject), pending["client_id"])
        target = construct_redirect_uri(
            str(pending["redirect_uri"]), code=ours, state=pending["state"], iss=self.config.issuer
        )
        response = RedirectResponse(target, status_code=302)
        response.delete_cookie(self.cookie_name, path="/", secure=self.config.secure, httponly=True, samesite="lax")
        return response

    async def _exchange_upstream(self, code: str) -> dict[str, Any]:
        """The API's token pair for its authorization code; a ValueError unless it is an object with a token."""
        form = {
            "grant_type": "authorization_code", "code": code, "redirect_uri": self.config.callback_url,
            "client_id": self.config.client_id, "client_secret": self.config.client_secret,
        }  # fmt: skip
        async with httpx.AsyncClient(timeout=settings.timeouts(), cookies=calls.cookieless_jar()) as client:
            response = await client.send(client.build_request("POST", self.config.token_url, data=form), stream=True)
            await sending.read_capped(response, auth.TOKEN_ANSWER_BYTES)
        response.raise_for_status()
        pair = response.json()
        if not isinstance(pair, dict) or not isinstance(pair.get("access_token"), str) or not pair["access_token"]:
            raise ValueError("the API's token answer holds no access token")
        return pair

    async def _identified(self, pair: dict[str, Any]) -> str:
        """Who signed in, as the API's identity endpoint says: their subject (never a shared or empty one)."""
        headers = {"Authorization": f"Bearer {pair['access_token']}"}
        async with httpx.AsyncClient(timeout=settings.timeouts(), cookies=calls.cookieless_jar()) as client:
            me = await client.send(client.build_request("GET", self.config.identity_url, headers=headers), stream=True)
            await sending.read_capped(me, auth.TOKEN_ANSWER_BYTES)
        me.raise_for_status()
        answer = me.json()
        identity = answer.get(self.config.identity_field) if isinstance(answer, dict) else None
        if isinstance(identity, bool) or not isinstance(identity, (int, str)) or not str(identity).strip():
            raise ValueError("the API did not say who signed in")
        return f"{urlsplit(self.config.token_url).hostname}:{identity}"

    async def _recorded(self, subject: str, pair: dict[str, Any], pending: dict[str, Any]) -> str:
        """The user's pair kept, their consent recorded, and the code the client will redeem."""
        await _off_loop(self.store.keep_upstream, subject, pair)
        await _off_loop(self.store.record_consent, subject, pending["client_id"])
        ours = team_store.new_token()
        record = {**pending, "expires_at": time.time() + CODE_SECONDS}
        await _off_loop(self.store.put_code, ours, pending["client_id"], subject, record, CODE_SECONDS)
        return ours

    # -- the API's tokens for a call --------------------------------------------------------------------

    def refresh_upstream(self, refresh_token: str) -> dict[str, Any] | None:
        """The API's token endpoint, for the store's refresh (in a worker thread; on SQLite with no database
        lock held, on PostgreSQL under the user's row lock only)."""
        form = {
            "grant_type": "refresh_token", "refresh_token": refresh_token,
            "client_id": self.config.client_id, "client_secret": self.config.client_secret,
        }  # fmt: skip
        with (
            httpx.Client(timeout=settings.timeouts(), cookies=calls.cookieless_jar()) as client,
            client.stream("POST", self.config.token_url, data=form) as response,
        ):
            body, decode = bytearray(), sending.decoder(response.headers.get("content-encoding", ""))
            for chunk in response.iter_raw():
                body += decode(chunk, auth.TOKEN_ANSWER_BYTES + 1 - len(body))
                if len(body) > auth.TOKEN_ANSWER_BYTES:
                    raise ValueError("the API's token answer is too large")
        if response.status_code in (400, 401):
            return None
        response.raise_for_status()
        pair = json.loads(bytes(body))
        if not isinstance(pair, dict) or not pair.get("access_token"):
            raise ValueError("the API's token answer holds no access token")
        return pair

    async def bearer(self, subject: str, rejected: str | None) -> str:
        try:
            return await _off_loop(self.store.fresh_access_token, subject, self.refresh_upstream, rejected)
        except team_store.SignInNeeded:
            log.warning("%s must sign in again: the API refused the stored refresh token", self.pseudonym(subject))
            raise auth.AuthError(
                "Your sign-in to the API has ended; your MCP client will ask you to sign in again."
            ) from None
        except (httpx.HTTPError, sending.Unreadable, ValueError, team_store.StoreError) as exc:
            log.warning("%s: renewing the API token failed (%s)", self.pseudonym(subject), type(exc).__name__)
            raise auth.AuthError("Your API token could not be renewed just now; try again shortly.") from None


def _host_forms(origin: str) -> list[str]:
    """The Host headers that name the public origin: as written, in lower case, with and without its default
    port (browsers and proxies differ)."""
    parts = urlsplit(origin)
    host = (parts.hostname or "").lower()
    host = f"[{host}]" if ":" in host else host
    default = 443 if parts.scheme == "https" else 80
    forms = [parts.netloc, host] if parts.port in (None, default) else [parts.netloc]
    forms += [f"{host}:{parts.port or default}"]
    return list(dict.fromkeys(forms))


def _shown_host(url: str) -> str:
    """Where a redirect really goes: its host and port, never a user name that could pose as a host."""
    parts = urlsplit(url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    return f"{parts.hostname}{port}" if parts.hostname else url


def _who_vouches(client_id: str) -> str:
    """Whose word the client's name is: the host that publishes its metadata document, or nobody's."""
    parts = urlsplit(client_id)
    if parts.scheme == "https" and parts.hostname:
        return f"Its description is published by <b>{html.escape(parts.hostname)}</b>."
    return "It registered itself with this server: its name is its own claim."


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


class Deployment:
    """A team deployment: its configuration, its store and the broker; `app` serves an MCP server through it."""

    def __init__(self, config: TeamConfig, broker: Broker) -> None:
        self.config = config
        self.broker = broker

    @classmethod
    def from_settings(cls, api: data.ApiData) -> Deployment:
        config = TeamConfig.from_settings(api.document)
        return cls(config, Broker(config, team_store.TeamStore.from_settings()))

    def app(self, server: Server[Any], host: str) -> Starlette:
        """MCP at /mcp behind bearer auth, the authorization server, the consent page and the API's callback."""
        config, broker = self.config, self.broker
        registration, revocation = ClientRegistrationOptions(enabled=True), RevocationOptions(enabled=True)
        # The settings keep the issuer exactly as written (no trailing slash): RFC 9207 compares it as a string
        # with the `iss` of the redirect, and so does the official client.
        settings_for_auth = AuthSettings.model_validate(
            {"issuer_url": config.issuer, "resource_server_url": config.resource, "validate_token_resource": True,
             "client_registration_options": registration, "revocation_options": revocation}
        )  # fmt: skip
        issuer = settings_for_auth.issuer_url
        routes = create_auth_routes(
            broker, issuer, client_registration_options=registration, revocation_options=revocation
        )
        routes = team_routes.hardened(routes, broker, broker.admissions)
        metadata = build_metadata(issuer, None, registration, revocation).model_copy(
            update={
                "authorization_response_iss_parameter_supported": True,
                "client_id_metadata_document_supported": True,
            }
        )
        routes[0] = Route(
            "/.well-known/oauth-authorization-server",
            endpoint=cors_middleware(MetadataHandler(metadata).handle, ["GET", "OPTIONS"]),
            methods=["GET", "OPTIONS"],
        )
        routes += [Route(CONSENT_PATH, broker.consent, methods=["GET", "POST"]), Route(CALLBACK_PATH, broker.callback)]
        hosts = _host_forms(config.issuer)
        security = TransportSecuritySettings(
            enable_dns_rebinding_protection=True, allowed_hosts=hosts,
            allowed_origins=[config.issuer, *(f"{urlsplit(config.issuer).scheme}://{host}" for host in hosts)],
        )  # fmt: skip
        return server.streamable_http_app(
            stateless_http=True, host=host, transport_security=security, auth=settings_for_auth,
            token_verifier=ProviderTokenVerifier(broker), custom_starlette_routes=routes,
        )  # fmt: skip

"""Team mode's authorization-server routes: the SDK's, with client secrets checked against stored hashes and
dynamic registration rate-limited per address. Only team mode imports this module."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Any, Protocol, cast
from urllib.parse import unquote

from mcp.server.auth.handlers.revoke import RevocationHandler
from mcp.server.auth.handlers.token import TokenHandler
from mcp.server.auth.middleware.client_auth import ClientAuthenticator
from mcp.server.auth.provider import OAuthAuthorizationServerProvider
from mcp.server.transport_security import DEFAULT_MAX_REQUEST_BODY_SIZE, RequestBodyLimitMiddleware
from mcp.shared.auth import OAuthClientInformationFull
from mcp.shared.inbound import MCP_PROTOCOL_VERSION_HEADER
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.routing import Route, request_response
from starlette.types import ASGIApp, Receive, Scope, Send

TOKEN_PATH = "/token"
REVOCATION_PATH = "/revoke"
REGISTRATION_PATH = "/register"


class ClientBook(Protocol):
    """What the routes need of the broker: clients, and the hash of a registered client's secret."""

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None: ...

    async def client_secret_hash(self, client_id: str) -> str | None: ...


class Gate(Protocol):
    def may_register(self, address: str) -> bool: ...


async def presented_secret(request: Request) -> str | None:
    """The client secret a token or revocation request carries: HTTP Basic or the form's `client_secret`."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Basic "):
        try:
            decoded = base64.b64decode(header[6:]).decode("utf-8")
        except (binascii.Error, ValueError):
            return None
        return unquote(decoded.partition(":")[2]) if ":" in decoded else None
    form = await request.form()
    given = form.get("client_secret")
    return given if isinstance(given, str) else None


class _Presented:
    """The broker as the SDK's authenticator sees it for one request: a client whose stored hash matches the
    secret presented carries that secret; any other carries a fresh random one, which nothing can match."""

    def __init__(self, book: ClientBook, presented: str | None) -> None:
        self.book = book
        self.presented = presented

    async def get_client(self, client_id: str) -> OAuthClientInformationFull | None:
        client = await self.book.get_client(client_id)
        if client is None:
            return None
        stored = await self.book.client_secret_hash(client_id)
        if stored is None:
            return client
        presented = self.presented or ""
        matches = hmac.compare_digest(hashlib.sha256(presented.encode()).hexdigest(), stored)
        return client.model_copy(update={"client_secret": presented if matches else secrets.token_hex(32)})


class HashedSecretAuthenticator(ClientAuthenticator):
    """The SDK's client authentication, with the store holding only the hash of each client's secret."""

    def __init__(self, book: ClientBook) -> None:
        super().__init__(cast(OAuthAuthorizationServerProvider[Any, Any, Any], book))
        self.book = book

    async def authenticate_request(self, request: Request) -> OAuthClientInformationFull:
        view = _Presented(self.book, await presented_secret(request))
        checker = ClientAuthenticator(cast(OAuthAuthorizationServerProvider[Any, Any, Any], view))
        return await checker.authenticate_request(request)


class RateLimited:
    """An ASGI app that answers 429 when the caller's address (or everyone) registered too often lately."""

    def __init__(self, app: ASGIApp, gate: Gate) -> None:
        self.app = app
        self.gate = gate

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        address = str(client[0]) if client else "unknown"
        if scope["type"] != "http" or scope.get("method") != "POST" or self.gate.may_register(address):
            await self.app(scope, receive, send)
            return
        body = json.dumps(
            {"error": "invalid_client_metadata", "error_description": "Too many registrations; try again in a minute."}
        ).encode()
        headers = [(b"content-type", b"application/json"), (b"retry-after", b"60")]
        await send({"type": "http.response.start", "status": 429, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _endpoint(handler: Callable[[Request], Awaitable[Any]]) -> ASGIApp:
    """As the SDK mounts its client-facing endpoints: CORS outermost, then the body-size limit."""
    limited = RequestBodyLimitMiddleware(request_response(handler), DEFAULT_MAX_REQUEST_BODY_SIZE)
    return CORSMiddleware(
        app=limited, allow_origins="*", allow_methods=["POST", "OPTIONS"], allow_headers=[MCP_PROTOCOL_VERSION_HEADER]
    )


def hardened(routes: list[Route], provider: Any, gate: Gate) -> list[Route]:
    """The SDK's routes with its token and revocation endpoints checking hashed secrets, and registration
    rate-limited."""
    authenticator = HashedSecretAuthenticator(provider)
    replaced = {
        TOKEN_PATH: _endpoint(TokenHandler(provider, authenticator).handle),
        REVOCATION_PATH: _endpoint(RevocationHandler(provider, authenticator).handle),
    }
    result = []
    for route in routes:
        if route.path in replaced:
            route = Route(route.path, endpoint=replaced[route.path], methods=["POST", "OPTIONS"])
        elif route.path == REGISTRATION_PATH:
            route = Route(route.path, endpoint=RateLimited(route.app, gate), methods=["POST", "OPTIONS"])
        result.append(route)
    return result

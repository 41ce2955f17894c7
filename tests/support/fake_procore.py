"""A fake Procore for tests: a real HTTP server on 127.0.0.1 with the OAuth endpoints and a few resources."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret-do-not-log"


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeProcoreState:
    """What the fake has seen and issued; tests read it to check the exact requests sent."""

    requests: list[RecordedRequest] = field(default_factory=list)
    issued_tokens: list[str] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def issue(self) -> dict[str, Any]:
        with self.lock:
            number = len(self.issued_tokens) + 1
            access, refresh = f"access-{number}", f"refresh-{number}"
            self.issued_tokens.append(access)
            self.refresh_tokens.add(refresh)
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 5400,
            "refresh_token": refresh,
            "created_at": 1_700_000_000 + number,
        }


class _Handler(BaseHTTPRequestHandler):
    server: _FakeServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        return

    def _reply(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _record(self) -> tuple[RecordedRequest, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        recorded = RecordedRequest(self.command, parts.path, parse_qsl(parts.query), dict(self.headers), body)
        self.server.state.requests.append(recorded)
        parsed: Any = None
        if body and "json" in self.headers.get("Content-Type", ""):
            parsed = json.loads(body)
        elif body:
            parsed = dict(parse_qsl(body.decode()))
        return recorded, parsed

    def _bearer(self, recorded: RecordedRequest) -> str | None:
        header = recorded.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
        state = self.server.state
        return token if token in state.issued_tokens and token not in state.revoked else None

    def do_GET(self) -> None:
        recorded, _ = self._record()
        if recorded.path == "/oauth/token/info":
            token = self._bearer(recorded)
            if token is None:
                self._reply(401, {"error": "invalid_token", "error_description": "The access token is invalid"})
                return
            self._reply(200, {"resource_owner_id": 42, "scopes": [], "expires_in_seconds": 5000,
                              "application": {"uid": CLIENT_ID}, "created_at": 1_700_000_000})  # fmt: skip
            return
        self._reply(404, {"errors": f"no route for {recorded.path}"})

    def do_POST(self) -> None:
        recorded, body = self._record()
        state = self.server.state
        if recorded.path == "/oauth/token":
            body = body or {}
            if body.get("client_id") != CLIENT_ID or body.get("client_secret") != CLIENT_SECRET:
                self._reply(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
                return
            grant = body.get("grant_type")
            if grant == "refresh_token":
                with state.lock:
                    known = body.get("refresh_token") in state.refresh_tokens
                    state.refresh_tokens.discard(body.get("refresh_token"))
                if not known:
                    self._reply(400, {"error": "invalid_grant", "error_description": "The refresh token is invalid"})
                    return
            elif grant not in ("client_credentials", "authorization_code"):
                self._reply(400, {"error": "unsupported_grant_type", "error_description": f"grant {grant!r}"})
                return
            self._reply(200, state.issue())
            return
        if recorded.path == "/oauth/revoke":
            state.revoked.add(str((body or {}).get("token")))
            self._reply(200, {})
            return
        self._reply(404, {"errors": f"no route for {recorded.path}"})


class _FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = FakeProcoreState()


@dataclass
class FakeProcore:
    url: str
    state: FakeProcoreState


@contextmanager
def running_fake_procore() -> Iterator[FakeProcore]:
    """Start the fake on a free loopback port; stop it on exit."""
    server = _FakeServer()
    thread = threading.Thread(target=server.serve_forever, name="fake-procore", daemon=True)
    thread.start()
    try:
        host, port = server.server_address[:2]
        yield FakeProcore(f"http://{host!s}:{port}", server.state)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)

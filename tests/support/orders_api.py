"""A real HTTP server on 127.0.0.1 playing the API of tests/fixtures/specs/orders.yaml: orders paged by a cursor,
order creation that honours idempotency keys (and can be slow once), and receipts as PDF files of any size."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.support.loopback import QuietHandler, running

API_KEY = "orders-api-key-0123456789"


@dataclass
class OrdersState:
    orders: list[dict[str, Any]] = field(default_factory=list)
    posts: list[dict[str, str]] = field(default_factory=list)
    """The headers of every order creation that arrived."""
    by_key: dict[str, dict[str, Any]] = field(default_factory=dict)
    slow_posts: int = 0
    """Creations still to answer only after a pause (the client times out; the order is placed all the same)."""
    receipt_bytes: int = 2000
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(QuietHandler):
    server: _Server

    def _send(self, status: int, body: bytes, kind: str, extra: dict[str, str] | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, payload: Any) -> None:
        self._send(status, json.dumps(payload).encode(), "application/json")

    def do_GET(self) -> None:
        parts = urlsplit(self.path)
        state = self.server.state
        if self.headers.get("X-Api-Key") != API_KEY:
            self._json(401, {"error": "bad key"})
        elif parts.path == "/v1/orders":
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            start, limit = int(query.get("cursor", "0") or 0), int(query.get("limit", "10"))
            page = state.orders[start : start + limit]
            after = start + limit if start + limit < len(state.orders) else None
            self._json(200, {"data": page, "next_cursor": str(after) if after is not None else None})
        elif parts.path.startswith("/v1/orders/") and parts.path.endswith("/receipt"):
            order = parts.path.split("/")[3]
            body = b"%PDF-1.7\n" + b"x" * max(state.receipt_bytes - 9, 0)
            disposition = {"Content-Disposition": f'attachment; filename="receipt-{order}.pdf"'}
            self._send(200, body, "application/pdf", disposition)
        else:
            self._json(404, {"error": "no such path"})

    def do_POST(self) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length) or b"{}")
        key = self.headers.get("Idempotency-Key", "")
        with state.lock:
            state.posts.append(dict(self.headers))
            slow = state.slow_posts > 0
            state.slow_posts -= slow
            known = state.by_key.get(key) if key else None
            if known is None:
                known = {
                    "id": f"ord_{len(state.orders) + 1}",
                    "item": body.get("item"),
                    "quantity": body.get("quantity", 1),
                }
                state.orders.append(known)
                if key:
                    state.by_key[key] = known
        if slow:
            time.sleep(1.5)
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up; the order stands
            self._json(201, known)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = OrdersState()


@contextmanager
def running_orders_api() -> Iterator[tuple[str, OrdersState]]:
    """The API on a free loopback port: its base URL (with `/v1`) and its state."""
    server = _Server()
    with running(server, "orders-api"):
        yield f"http://127.0.0.1:{server.server_address[1]}/v1", server.state

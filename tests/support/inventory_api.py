"""A real HTTP server on 127.0.0.1 playing the API of tests/fixtures/specs/openapi32/catalog.yaml: a QUERY method
with its query in the body, LINK and PURGE, a whole query string, and answers as JSON Lines and server-sent events."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support.loopback import QuietHandler, serving

API_KEY = "inventory-api-key-0123456789"
PARTS = [
    {"id": "p1", "colour": "red", "bin": {"code": "A1"}},
    {"id": "p2", "colour": "blue", "bin": {"code": "B2"}},
    {"id": "p3", "colour": "red", "bin": {"code": "C3"}},
]


@dataclass
class InventoryState:
    requests: list[dict[str, Any]] = field(default_factory=list)
    """Every request that arrived: method, path, query pairs, headers and body."""
    movements: int = 3
    """How many JSON Lines `/movements` sends."""


def _handler(state: InventoryState) -> type[QuietHandler]:
    class Handler(QuietHandler):
        def _arrived(self) -> dict[str, Any]:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            request = {
                "method": self.command,
                "path": parts.path,
                "query": parse_qsl(parts.query),
                "headers": dict(self.headers),
                "body": json.loads(body) if body else None,
            }
            state.requests.append(request)
            return request

        def _send(self, status: int, body: bytes = b"", kind: str = "application/json") -> None:
            self.send_response(status)
            if body:
                self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _answer(self) -> None:
            request = self._arrived()
            if self.headers.get("X-Api-Key") != API_KEY:
                self._send(401, b'{"error": "bad key"}')
                return
            route = (request["method"], request["path"])
            if route == ("GET", "/v2/parts"):
                wanted = dict(request["query"])
                found = [p for p in PARTS if all(p.get(k) == v for k, v in wanted.items() if k == "colour")]
                self._send(200, json.dumps(found).encode())
            elif route == ("QUERY", "/v2/parts"):
                colour = (request["body"] or {}).get("colour")
                self._send(200, json.dumps([p for p in PARTS if p["colour"] == colour]).encode())
            elif request["method"] in ("LINK", "PURGE") and request["path"].startswith("/v2/parts/"):
                self._send(204)
            elif route == ("GET", "/v2/movements"):
                lines = [json.dumps({"part": f"p{n}", "change": n * 10 - 15}) for n in range(state.movements)]
                self._send(200, ("\n".join(lines) + "\n").encode(), "application/jsonl")
            elif route == ("GET", "/v2/alerts"):
                stream = (
                    ": a comment the client skips\n\nevent: low\nid: 7\ndata: p1 is low\n\ndata: two\ndata: lines\n\n"
                )
                self._send(200, stream.encode(), "text/event-stream")
            else:
                self._send(404, b'{"error": "no such path"}')

        do_GET = do_QUERY = do_LINK = do_PURGE = do_PUT = _answer

    return Handler


@contextmanager
def running_inventory_api() -> Iterator[tuple[str, InventoryState]]:
    """The API on a free loopback port: its base URL (with `/v2`) and its state."""
    state = InventoryState()
    with serving(_handler(state)) as url:
        yield f"{url}/v2", state

"""A real HTTP server on 127.0.0.1 for the length of a `with` block: the tests' stand-in for remote hosts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@contextmanager
def serving(
    handler: Callable[..., BaseHTTPRequestHandler] | type[BaseHTTPRequestHandler], host: str = "127.0.0.1"
) -> Iterator[str]:
    """Serve `handler` on a free loopback port; yield its base URL (`host` names it, e.g. `localhost`)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, name="loopback", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that keeps test output clean."""

    def log_message(self, format: str, *args: Any) -> None:
        return

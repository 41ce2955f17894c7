"""A real HTTP server on 127.0.0.1 for the length of a `with` block: the tests' stand-in for remote hosts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import BaseServer
from typing import Any, TypeVar

ServerT = TypeVar("ServerT", bound=BaseServer)
# How often the serving thread looks for a request to stop: the standard library's half second would add that
# much to the end of every test that starts a server, and the suite starts hundreds.
POLL_SECONDS = 0.01


@contextmanager
def running(server: ServerT, name: str) -> Iterator[ServerT]:
    """Serve `server` in a daemon thread named `name` for the length of the block; then stop it and close it."""
    thread = threading.Thread(target=server.serve_forever, args=(POLL_SECONDS,), name=name, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@contextmanager
def serving(
    handler: Callable[..., BaseHTTPRequestHandler] | type[BaseHTTPRequestHandler], host: str = "127.0.0.1"
) -> Iterator[str]:
    """Serve `handler` on a free loopback port; yield its base URL (`host` names it, e.g. `localhost`)."""
    with running(ThreadingHTTPServer(("127.0.0.1", 0), handler), "loopback") as server:
        yield f"http://{host}:{server.server_address[1]}"


class QuietHandler(BaseHTTPRequestHandler):
    """A request handler that keeps test output clean."""

    def log_message(self, format: str, *args: Any) -> None:
        return

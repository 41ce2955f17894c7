"""Serving over HTTP: which addresses are safe to bind, and uvicorn with connection limits and a header deadline."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from typing import Any

from uvicorn.protocols.http.h11_impl import H11Protocol

from . import settings

MAX_CONNECTIONS = 512
"""Connections (and tasks) served at once; past it, uvicorn answers 503 at once instead of queueing forever."""
MAX_HEADER_BYTES = 16 * 1024
KEEP_ALIVE_SECONDS = 5
SHUTDOWN_SECONDS = 10


def is_loopback(host: str) -> bool:
    """Whether binding `host` keeps the server on this machine: `localhost`, or a loopback address."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class HeaderDeadline(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection whose request headers do not arrive within
    `header_seconds` (a client trickling bytes holds a connection no longer)."""

    header_seconds = settings.DEFAULT_HEADER_TIMEOUT
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._arm()  # the next request on this connection has the same time for its headers

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(self.header_seconds, self._expire, self.cycle)

    def _expire(self, cycle: Any) -> None:
        if self.cycle is cycle and not self.transport.is_closing():  # no new request began since it was armed
            self.transport.close()


def uvicorn_options() -> dict[str, Any]:
    """Limits for every HTTP mode: connections, header size and time (`_HTTP_HEADER_TIMEOUT`), keep-alive,
    shutdown."""
    seconds = settings.number(settings.HEADER_TIMEOUT, settings.DEFAULT_HEADER_TIMEOUT, 0.1)
    return {
        "http": type("TimedHeaders", (HeaderDeadline,), {"header_seconds": seconds}),
        "limit_concurrency": MAX_CONNECTIONS,
        "backlog": MAX_CONNECTIONS,
        "h11_max_incomplete_event_size": MAX_HEADER_BYTES,
        "timeout_keep_alive": KEEP_ALIVE_SECONDS,
        "timeout_graceful_shutdown": SHUTDOWN_SECONDS,
        "log_level": "warning",
    }


def quiet_http_client_logs() -> None:
    """httpx logs every request's URL (with its query string, which may hold a key) at INFO: keep it to warnings."""
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)

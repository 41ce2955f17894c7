"""Serving over HTTP: which addresses are safe to bind, and uvicorn with connection limits and a header deadline."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
from typing import Any

from mcp.server.transport_security import TransportSecuritySettings
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


BODY_TIMES_HEADER = 6
"""A request's body has this many times the header timeout to arrive, once its headers are in."""


class HeaderDeadline(H11Protocol):
    """uvicorn's HTTP/1.1 protocol, closing a connection whose request headers do not arrive within
    `header_seconds`, or whose body does not arrive within `BODY_TIMES_HEADER` times that after them (a client
    trickling bytes holds a connection, and one of the limited slots, no longer)."""

    header_seconds = settings.DEFAULT_HEADER_TIMEOUT
    _deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm()

    def on_response_complete(self) -> None:
        finished = self.cycle
        super().on_response_complete()
        if self.cycle is finished:  # no pipelined request began: the next one has the same time for its headers
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        super().connection_lost(exc)

    def _arm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
        self._deadline = self.loop.call_later(self.header_seconds, self._expire, self.cycle)

    def _expire(self, cycle: Any) -> None:
        if self.transport.is_closing():
            return
        if self.cycle is cycle:  # no new request began since it was armed
            self.transport.close()
        elif self.cycle is not None and self.cycle.more_body:  # its headers came; its body has a while longer
            body_seconds = self.header_seconds * BODY_TIMES_HEADER
            self._deadline = self.loop.call_later(body_seconds, self._body_expired, self.cycle)

    def _body_expired(self, cycle: Any) -> None:
        if self.cycle is cycle and cycle.more_body and not self.transport.is_closing():
            self.transport.close()


def loopback_security(host: str) -> TransportSecuritySettings | None:
    """For a server on this machine, the SDK's DNS-rebinding check (Host and Origin must name this machine) for
    every spelling of a loopback host, not only the three the SDK recognises by itself."""
    if not is_loopback(host):
        return None
    bound = host.lower() if ":" not in host.strip("[]") else f"[{host.strip('[]')}]"
    names = list(dict.fromkeys(["127.0.0.1", "localhost", "[::1]", bound]))
    return TransportSecuritySettings(
        enable_dns_rebinding_protection=True,
        allowed_hosts=[f"{name}:*" for name in names],
        allowed_origins=[f"http://{name}:*" for name in names],
    )


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

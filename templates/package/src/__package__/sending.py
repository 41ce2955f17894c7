"""Sending a request: retries with backoff for rate limits and failures, and redirects kept to known hosts."""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Awaitable, Callable

import anyio
import httpx

RETRY_ALWAYS = frozenset({429, 503})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
LONGEST_WAIT_SECONDS = 60.0
MAX_REDIRECTS = 5

Sleep = Callable[[float], Awaitable[None]]


class RedirectRefused(Exception):
    """The API redirected to a host this server does not send requests to."""

    def __init__(self, target: httpx.URL) -> None:
        super().__init__(str(target))
        self.target = target


def backoff(attempt: int) -> float:
    """Capped exponential backoff with jitter: about 0.5 s, 1 s, 2 s ... never more than the cap."""
    ceiling = min(BACKOFF_CAP_SECONDS, BACKOFF_BASE_SECONDS * 2.0 ** (attempt - 1))
    return ceiling * (0.5 + random.random() / 2)


def retry_after(response: httpx.Response) -> float | None:
    """Seconds the API asks us to wait: `Retry-After` (seconds or a date), else `X-Rate-Limit-Reset`."""
    header = response.headers.get("Retry-After")
    if header:
        if header.strip().isdigit():
            return float(header)
        try:
            when = email.utils.parsedate_to_datetime(header).timestamp()
        except (TypeError, ValueError):
            when = None
        if when is not None:
            return max(0.0, when - time.time())
    reset = response.headers.get("X-Rate-Limit-Reset")
    if reset and reset.strip().isdigit():
        return max(0.0, float(reset) - time.time())
    return None


def _is_retryable(response: httpx.Response, idempotent: bool) -> bool:
    return response.status_code in RETRY_ALWAYS or (idempotent and response.status_code >= 500)


async def send(
    client: httpx.AsyncClient,
    request: httpx.Request,
    *,
    idempotent: bool,
    attempts: int,
    allowed_hosts: frozenset[str],
    sleep: Sleep = anyio.sleep,
) -> httpx.Response:
    """Send, retrying 429 and 503 always and network errors and other 5xx only for idempotent methods.

    The last response (or error) is returned (raised) when attempts run out or the API asks for a wait
    longer than a minute.
    """
    attempt = 0
    redirects = 0
    while True:
        attempt += 1
        try:
            response = await client.send(request)
        except (httpx.TimeoutException, httpx.TransportError):
            if not idempotent or attempt >= attempts:
                raise
            await sleep(backoff(attempt))
            continue
        if response.status_code in REDIRECTS and "location" in response.headers and redirects < MAX_REDIRECTS:
            request = _redirected(client, request, response, allowed_hosts)
            redirects += 1
            attempt -= 1
            await response.aclose()
            continue
        if not _is_retryable(response, idempotent) or attempt >= attempts:
            return response
        delay = retry_after(response)
        delay = backoff(attempt) if delay is None else delay
        if delay > LONGEST_WAIT_SECONDS:
            return response
        await response.aclose()
        await sleep(delay)


def _redirected(
    client: httpx.AsyncClient, request: httpx.Request, response: httpx.Response, allowed_hosts: frozenset[str]
) -> httpx.Request:
    """The follow-up request; only to a configured host, so credentials never reach another one."""
    target = request.url.join(response.headers["location"])
    if target.host not in allowed_hosts:
        raise RedirectRefused(target)
    method = (
        "GET"
        if response.status_code == 303 or (response.status_code in (301, 302) and request.method == "POST")
        else request.method
    )
    content = request.content if method == request.method else None
    headers = dict(request.headers)
    if content is None:
        headers.pop("content-type", None)
        headers.pop("content-length", None)
    return client.build_request(method, target, headers=headers, content=content)

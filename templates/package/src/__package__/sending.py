"""Sending a request: retries with backoff for rate limits and failures, redirects kept to the configured servers,
and response bodies read up to a cap."""

from __future__ import annotations

import email.utils
import random
import time
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable

import anyio
import httpx

from . import contract

RETRY_ALWAYS = frozenset({429, 503})
IDEMPOTENT_METHODS = frozenset(
    {
        "GET", "HEAD", "OPTIONS", "TRACE", "QUERY", "PROPFIND", "REPORT", "SEARCH", "PUT", "DELETE", "ACL", "BIND",
        "CHECKIN", "CHECKOUT", "COPY", "LINK", "MERGE", "MKACTIVITY", "MKCALENDAR", "MKCOL", "MKREDIRECTREF",
        "MKWORKSPACE", "MOVE", "ORDERPATCH", "PROPPATCH", "REBIND", "UNBIND", "UNCHECKOUT", "UNLINK", "UNLOCK",
        "UPDATE", "UPDATEREDIRECTREF", "VERSION-CONTROL",
    }
)  # fmt: skip
"""The IANA HTTP Method Registry's idempotent methods: sent again after a failure, they do what they did once."""
UNSENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)
"""Failures before the request left: it cannot have been applied, so it may be sent again whatever it does."""
REDIRECTS = frozenset({301, 302, 303, 307, 308})
BACKOFF_BASE_SECONDS = 0.5
BACKOFF_CAP_SECONDS = 8.0
LONGEST_WAIT_SECONDS = 60.0
MAX_REDIRECTS = 5
DEFAULT_PORTS = {"http": 80, "https": 443}
ACCEPT_ENCODING = "gzip, deflate"
"""The encodings asked for, and the only ones read: each is decoded here, a piece at a time, within the cap."""

Sleep = Callable[[float], Awaitable[None]]
Origin = tuple[str, str, int]
"""Scheme, host and port: where a request may go with the server's credentials."""


class RedirectRefused(Exception):
    """The API redirected to a place this server does not send requests to (another scheme, host or port)."""

    def __init__(self, target: httpx.URL | str) -> None:
        super().__init__(str(target))
        self.target = target


class TooLarge(Exception):
    """A response body went past the cap (decoded); what arrived was dropped and the connection closed."""

    def __init__(self, cap: int) -> None:
        super().__init__(f"over {cap} bytes")
        self.cap = cap


class Unreadable(Exception):
    """A response body in an encoding this server does not read (it asks for gzip or deflate only)."""


def is_idempotent(binding: contract.Binding) -> bool:
    """Whether sending the request twice does what sending it once does: its method says so, or it carries an
    idempotency key (one per call, the same on every retry)."""
    return binding["method"] in IDEMPOTENT_METHODS or "idempotencyKey" in binding


def origin(url: httpx.URL) -> Origin:
    return (url.scheme, url.host, url.port or DEFAULT_PORTS.get(url.scheme, 0))


async def read_capped(response: httpx.Response, cap: int, *, keep_start: bool = False) -> None:
    """Read a streamed body up to `cap` bytes once decoded. Past it: raise TooLarge, or with `keep_start` keep the
    first `cap` bytes (an error's first words are all anyone reads). The decoding is done here, never more than
    the cap at a time, so a small compressed body cannot expand into memory; the response is closed either way."""
    body = bytearray()
    try:
        decode = decoder(response.headers.get("content-encoding", ""))
        async for chunk in _raw(response):
            body += decode(chunk, cap + 1 - len(body))
            if len(body) > cap:
                if not keep_start:
                    raise TooLarge(cap)
                del body[cap:]
                break
    finally:
        await response.aclose()
    response._content = bytes(body)  # what `.content`, `.text` and `.json()` read, as if httpx had read it


async def _raw(response: httpx.Response) -> AsyncIterator[bytes]:
    """The body as it came off the wire; a response made in memory (already read) gives its content as it is."""
    try:
        async for chunk in response.aiter_raw():
            yield chunk
    except httpx.StreamConsumed:
        yield response.content


def decoder(header: str) -> Callable[[bytes, int], bytes]:
    """Decodes one raw piece into at most `room` bytes (what would not fit is left: the caller stops reading)."""
    encodings = [part.strip().lower() for part in header.split(",") if part.strip().lower() not in ("", "identity")]
    if not encodings:
        return lambda chunk, room: chunk
    if len(encodings) > 1 or encodings[0] not in ("gzip", "x-gzip", "deflate"):
        raise Unreadable(f"the body is encoded as {header!r}; this server reads gzip or deflate only")
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # gzip or zlib, by their header

    def decode(chunk: bytes, room: int) -> bytes:
        try:
            return inflater.decompress(chunk, max(room, 1))
        except zlib.error:
            raise Unreadable("the compressed body is damaged") from None

    return decode


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
    allowed: frozenset[Origin],
    sleep: Sleep = anyio.sleep,
) -> httpx.Response:
    """Send, retrying 429 and 503 always and network errors and other 5xx only for idempotent methods.

    The last response (or error) is returned (raised) when attempts run out or the API asks for a wait
    longer than a minute. It is returned streamed: its body is not read yet (see `read_capped`).
    """
    attempt = 0
    redirects = 0
    while True:
        attempt += 1
        try:
            response = await client.send(request, stream=True)
        except (httpx.TimeoutException, httpx.TransportError) as exc:
            if not (idempotent or isinstance(exc, UNSENT_ERRORS)) or attempt >= attempts:
                raise  # a request that changes data, once it may have arrived, is never sent again
            await sleep(backoff(attempt))
            continue
        if response.status_code in REDIRECTS and "location" in response.headers and redirects < MAX_REDIRECTS:
            try:
                request = _redirected(client, request, response, allowed)
            finally:
                await response.aclose()  # refused or followed, its connection goes back to the pool
            redirects += 1
            attempt -= 1
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
    client: httpx.AsyncClient, request: httpx.Request, response: httpx.Response, allowed: frozenset[Origin]
) -> httpx.Request:
    """The follow-up request: only to the scheme, host and port of a configured server, and never from https to
    http, so credentials reach no other place and never travel in clear."""
    try:
        target = request.url.join(response.headers["location"])
    except httpx.InvalidURL:
        raise RedirectRefused(str(response.headers["location"])[:200]) from None
    downgrade = request.url.scheme == "https" and target.scheme != "https"
    if downgrade or origin(target) not in allowed:
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

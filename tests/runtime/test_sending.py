"""sending: how long to wait before a retry."""

from __future__ import annotations

import time

import httpx

from tests.runtime.conftest import Runtime


def test_retry_waits_come_from_the_api_and_backoff_is_capped(runtime: Runtime) -> None:
    sending = runtime.module("sending")
    assert sending.retry_after(httpx.Response(429, headers={"Retry-After": "7"})) == 7.0
    reset = str(int(time.time()) + 30)
    assert 28 <= sending.retry_after(httpx.Response(429, headers={"X-Rate-Limit-Reset": reset})) <= 30
    date = "Wed, 21 Oct 2015 07:28:00 GMT"
    assert sending.retry_after(httpx.Response(503, headers={"Retry-After": date})) == 0.0
    assert all(0 < sending.backoff(attempt) <= sending.BACKOFF_CAP_SECONDS for attempt in range(1, 12))

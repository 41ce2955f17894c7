"""listening: which hosts keep a server on this machine, and the limits every HTTP mode runs with."""

from __future__ import annotations

import pytest

from tests.runtime.conftest import Runtime


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.0.0.2", True), ("::1", True), ("[::1]", True), ("localhost", True),
     ("0.0.0.0", False), ("::", False), ("192.168.1.5", False), ("example.com", False), ("localhost.evil.com", False)],
)  # fmt: skip
def test_only_loopback_hosts_count_as_this_machine(runtime: Runtime, host: str, loopback: bool) -> None:
    assert runtime.module("listening").is_loopback(host) is loopback


def test_every_http_mode_has_limits_and_a_header_deadline(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    listening = runtime.module("listening")
    monkeypatch.setenv("WIDGETS_HTTP_HEADER_TIMEOUT", "2.5")
    options = listening.uvicorn_options()
    assert options["limit_concurrency"] == listening.MAX_CONNECTIONS
    assert options["h11_max_incomplete_event_size"] == listening.MAX_HEADER_BYTES
    assert issubclass(options["http"], listening.HeaderDeadline) and options["http"].header_seconds == 2.5
    monkeypatch.setenv("WIDGETS_HTTP_HEADER_TIMEOUT", "soon")
    with pytest.raises(Exception, match="WIDGETS_HTTP_HEADER_TIMEOUT"):
        listening.uvicorn_options()

"""Test-only: loaded into a deployment under test (its folder on PYTHONPATH) to play a DNS-rebinding name server.

The name in `TEST_REBIND_NAME` answers the addresses in `TEST_REBIND_ANSWERS` in turn (the last one from then
on): a public address for the first lookup, then an internal one. Every other name is looked up as usual."""

from __future__ import annotations

import os
import socket
import threading
from typing import Any

_real_getaddrinfo = socket.getaddrinfo
_name = os.environ.get("TEST_REBIND_NAME", "")
_answers = [answer for answer in os.environ.get("TEST_REBIND_ANSWERS", "").split(",") if answer]
_asked = [0]
_lock = threading.Lock()


def _rebinding_getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
    asked = host.decode() if isinstance(host, bytes) else host
    if _name and _answers and asked == _name:
        with _lock:
            answer = _answers[min(_asked[0], len(_answers) - 1)]
            _asked[0] += 1
        return _real_getaddrinfo(answer, port, *args, **kwargs)
    return _real_getaddrinfo(host, port, *args, **kwargs)


socket.getaddrinfo = _rebinding_getaddrinfo

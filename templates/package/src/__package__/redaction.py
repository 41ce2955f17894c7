"""Redaction: the one rule that keeps secrets out of tool results, errors, logs and `doctor`'s report."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable
from urllib.parse import quote, quote_plus, urlsplit, urlunsplit

MIN_SECRET_LENGTH = 6
"""Shorter values are not redacted: replacing every `1234` in an API's data would damage it more than it hides."""
MIN_ENCODED_LENGTH = 8
"""A base64 fragment shorter than this is too likely to occur by chance to be replaced."""
REDACTED = "[redacted]"


def _base64_cores(secret: bytes) -> list[str]:
    """The part of the base64 text of `secret` that is the same wherever the secret sits in a longer value
    (`user:password` in a Basic header, say): one for each of the three alignments, standard and URL-safe."""
    cores = []
    for skip in (0, 1, 2):
        body = secret[skip:]
        body = body[: len(body) - len(body) % 3]
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            core = encode(body).decode()
            if len(core) >= MIN_ENCODED_LENGTH:
                cores.append(core)
    return cores


def forms(secret: str) -> set[str]:
    """Every way a secret may be written into text: as it is, JSON-escaped, percent-encoded, and in base64."""
    if len(secret) < MIN_SECRET_LENGTH:
        return set()
    found = {secret, json.dumps(secret)[1:-1], quote(secret, safe=""), quote(secret), quote_plus(secret)}
    found.update(_base64_cores(secret.encode()))
    return {form for form in found if len(form) >= MIN_SECRET_LENGTH}


def redact(text: str, secrets: Iterable[str]) -> str:
    """`text` with every form of every secret replaced, longest first (so no part of a longer one survives)."""
    every = set().union(*(forms(secret) for secret in secrets if secret))
    for form in sorted(every, key=len, reverse=True):
        text = text.replace(form, REDACTED)
    return text


def without_query(url: str) -> str:
    """A URL to show: no user name, password, query or fragment (an API key may ride in any of them)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

"""redaction: every written form of a secret goes, longest first, and shown URLs lose their query strings."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from tests.runtime.conftest import Runtime

SECRET = "s3cr3t/token+with=odd&chars"


def test_plain_escaped_percent_encoded_and_base64_forms_are_redacted(runtime: Runtime) -> None:
    redact = runtime.module("redaction").redact
    basic = base64.b64encode(f"pat:{SECRET}".encode()).decode()
    text = " | ".join(
        [SECRET, json.dumps(SECRET), quote(SECRET, safe=""), base64.b64encode(SECRET.encode()).decode(), basic]
    )
    cleaned = redact(text, [SECRET])
    assert SECRET not in cleaned and quote(SECRET, safe="") not in cleaned
    assert base64.b64encode(SECRET.encode()).decode()[:-4] not in cleaned and basic[8:-4] not in cleaned
    assert redact("short 12345 stays", ["12345"]) == "short 12345 stays"  # below the one minimum length


def test_base64_of_a_value_holding_the_secret_never_keeps_it_whole(runtime: Runtime) -> None:
    redaction = runtime.module("redaction")
    secret = SECRET.encode()

    @given(st.text(max_size=40), st.text(max_size=40), st.integers(min_value=0, max_value=2))
    def check(before: str, after: str, pad: int) -> None:
        wrapped = base64.b64encode(("x" * pad + before + SECRET + after).encode()).decode()
        head, marker, tail = redaction.redact(wrapped, [SECRET]).partition(redaction.REDACTED)
        assert marker  # what is left on either side decodes to at most two bytes of the secret
        assert secret[:3] not in base64.b64decode(head) and secret[-3:] not in base64.b64decode(tail)

    check()


def test_a_shown_url_has_no_credentials_query_or_fragment(runtime: Runtime) -> None:
    without_query = runtime.module("redaction").without_query
    assert (
        without_query("https://u:p@api.widgets.test:8443/files/1?api_key=k#f")
        == "https://api.widgets.test:8443/files/1"
    )
    assert without_query("http://[::1]:9/x?y") == "http://[::1]:9/x"

"""auth: the non-OAuth2 schemes, and what is kept of a token response."""

from __future__ import annotations

import time

import pytest

from tests.runtime.conftest import Runtime


def test_basic_bearer_and_api_key_schemes(runtime: Runtime, monkeypatch: pytest.MonkeyPatch) -> None:
    auth = runtime.module("auth")
    monkeypatch.setenv("WIDGETS_USERNAME", "pat")
    monkeypatch.setenv("WIDGETS_PASSWORD", "pw")
    monkeypatch.setenv("WIDGETS_API_KEY", "key-123")
    monkeypatch.setenv("WIDGETS_ACCESS_TOKEN", "tok")
    assert auth.scheme_headers({"type": "http", "scheme": "basic"}) == ({"Authorization": "Basic cGF0OnB3"}, {})
    assert auth.scheme_headers({"type": "http", "scheme": "bearer"}) == ({"Authorization": "Bearer tok"}, {})
    assert auth.scheme_headers({"type": "apiKey", "in": "header", "name": "X-Key"}) == ({"X-Key": "key-123"}, {})
    assert auth.scheme_headers({"type": "apiKey", "in": "query", "name": "key"}) == ({}, {"key": "key-123"})
    assert auth.scheme_headers({"type": "apiKey", "in": "cookie", "name": "k"}) == ({"Cookie": "k=key-123"}, {})
    monkeypatch.delenv("WIDGETS_API_KEY")
    with pytest.raises(Exception, match="Set WIDGETS_API_KEY"):
        auth.scheme_headers({"type": "apiKey", "in": "header", "name": "X-Key"})


def test_a_token_response_keeps_the_tokens_and_an_absolute_expiry(runtime: Runtime) -> None:
    auth = runtime.module("auth")
    answer = {"access_token": "a", "refresh_token": "r", "expires_in": 60, "created_at": 100}
    before = time.time()
    kept = auth.tokens_from_response(answer, "authorization_code")
    assert before + 60 <= kept.pop("expires_at") <= time.time() + 60  # from its arrival: the API's clock may differ
    assert kept == {"access_token": "a", "refresh_token": "r", "grant": "authorization_code"}
    guessed = auth.tokens_from_response({"access_token": "a", "expires_in": "soon"}, auth.SERVICE_ACCOUNT)
    assert guessed.keys() == {"access_token", "expires_at", "grant"} and guessed["expires_at"] > time.time() + 3500

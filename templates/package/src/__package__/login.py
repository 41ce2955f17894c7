"""The `login` command: the OAuth2 authorization-code flow, by browser or by pasted code."""

from __future__ import annotations

import secrets
import sys
import threading
import webbrowser
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from . import auth, contract, settings

OUT_OF_BAND = "urn:ietf:wg:oauth:2.0:oob"
WAIT_SECONDS = 300


class _Redirect(BaseHTTPRequestHandler):
    """Receives the one redirect from the sign-in page."""

    server: _RedirectServer

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        query = parse_qs(urlsplit(self.path).query)
        if query.get("state", [""])[0] == self.server.state and "code" in query:
            self.server.code = query["code"][0]
            body = b"Signed in. You can close this window."
        else:
            body = b"Sign-in failed: the redirect carried no code."
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.end_headers()
        self.wfile.write(body)


class _RedirectServer(HTTPServer):
    def __init__(self, port: int, state: str) -> None:
        super().__init__(("127.0.0.1", port), _Redirect)
        self.state = state
        self.code = ""
        self.timeout = WAIT_SECONDS


def _browser_code(authorize: str, client_id: str, port: int) -> tuple[str, str]:
    """Open the sign-in page and wait for its redirect to 127.0.0.1; return (code, redirect URI)."""
    state = secrets.token_urlsafe(16)
    server = _RedirectServer(port, state)
    try:
        redirect_uri = settings.value(settings.REDIRECT_URI) or f"http://127.0.0.1:{server.server_address[1]}/callback"
        query = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri, "state": state}
        link = f"{authorize}?{urlencode(query)}"
        print(f"Opening the sign-in page; if no browser opens, visit:\n{link}", file=sys.stderr)
        waiting = threading.Thread(target=server.handle_request, daemon=True)
        waiting.start()  # listening before the browser opens: some browsers return only after the redirect
        webbrowser.open(link)
        waiting.join(WAIT_SECONDS)
        return server.code, redirect_uri
    finally:
        server.server_close()


def _pasted_code(authorize: str, client_id: str) -> tuple[str, str]:
    """The out-of-band flow for machines without a browser: print the link, read the code."""
    redirect_uri = settings.value(settings.REDIRECT_URI) or OUT_OF_BAND
    query = {"response_type": "code", "client_id": client_id, "redirect_uri": redirect_uri}
    print(f"Visit this link, sign in, and paste the code shown:\n{authorize}?{urlencode(query)}", file=sys.stderr)
    print("Code: ", end="", file=sys.stderr, flush=True)
    return sys.stdin.readline().strip(), redirect_uri


def run(runtime: contract.Document, credentials: auth.Credentials, *, open_browser: bool, port: int) -> int:
    """Sign in, exchange the code for tokens, store them. Prints what happened; never prints a token."""
    try:
        client_id = settings.required(settings.CLIENT_ID, "the OAuth client ID")
        client_secret = settings.required(settings.CLIENT_SECRET, "the OAuth client secret")
        authorize = auth.oauth_endpoint(runtime, "authorize")
    except settings.ConfigurationError as exc:
        print(exc, file=sys.stderr)
        return 2
    if open_browser:
        code, redirect_uri = _browser_code(authorize, client_id, port)
    else:
        code, redirect_uri = _pasted_code(authorize, client_id)
    if not code:
        print("No authorization code arrived; nothing was stored.", file=sys.stderr)
        return 1
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "client_id": client_id,
        "client_secret": client_secret,
        "redirect_uri": redirect_uri,
    }
    try:
        response = httpx.post(credentials.token_url(), data=form, timeout=settings.timeouts())
    except httpx.HTTPError as exc:
        print(f"The token endpoint could not be reached: {type(exc).__name__}.", file=sys.stderr)
        return 1
    if response.status_code != 200:
        print(
            f"The token endpoint refused the code (HTTP {response.status_code}); nothing was stored.", file=sys.stderr
        )
        return 1
    try:
        answer = response.json()
        if not isinstance(answer, dict) or not answer.get("access_token"):
            raise ValueError("the token endpoint answered without an access token")
        held = auth.lock_file(credentials.store.path)  # not while another server renews the old pair
        try:
            credentials.keep(answer)
        finally:
            auth.unlock_file(held)
    except (ValueError, auth.AuthError) as exc:
        print(f"Could not store the tokens: {exc}", file=sys.stderr)
        return 1
    print(f"Signed in; tokens stored in {settings.token_file()}.", file=sys.stderr)
    return 0

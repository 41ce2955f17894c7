"""A team-mode deployment as its users meet it: a browser walked through registration, consent and the
Procore sign-in with httpx, and the official MCP client calling tools with the token it got. Used by the
team-mode tests and by the team load benchmark."""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import anyio
import httpx
import httpx2
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.support.fake_procore import FakeProcore

KEYS = "k1:" + base64.urlsafe_b64encode(b"k" * 32).decode().rstrip("=")
REDIRECT = "http://127.0.0.1:9/callback"


@dataclass
class Deployment:
    url: str  # the public origin
    fake: FakeProcore

    @property
    def resource(self) -> str:
        return self.url + "/mcp"


def sign_in(deployment: Deployment, user: str, client_id: str | None = None) -> dict[str, Any]:
    """What a user's browser and MCP client do: register, authorize with PKCE, consent, sign in to Procore,
    and exchange the code. The token response. Every request opens its own connection, so behind the
    round-robin proxy the steps land on different replicas."""
    deployment.fake.state.signing_in = user
    fresh = httpx.Limits(max_keepalive_connections=0)
    with httpx.Client(base_url=deployment.url, follow_redirects=False, timeout=30, limits=fresh) as browser:
        registration = {"redirect_uris": [REDIRECT], "token_endpoint_auth_method": "none", "client_name": "Test agent",
                        "grant_types": ["authorization_code", "refresh_token"], "response_types": ["code"]}  # fmt: skip
        if client_id is None:  # without a metadata document's URL as its ID, the client registers
            client_id = browser.post("/register", json=registration).raise_for_status().json()["client_id"]
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
        authorize = browser.get("/authorize", params={
            "response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT, "state": "client-state",
            "code_challenge": challenge, "code_challenge_method": "S256", "resource": deployment.resource,
        })  # fmt: skip
        assert authorize.status_code == 302, authorize.text
        consent = browser.get(authorize.headers["location"])
        assert consent.status_code == 200 and "agent" in consent.text
        assert consent.headers["x-frame-options"] == "DENY"
        fields = dict(re.findall(r'name="(tx|csrf)" value="([^"]+)"', consent.text))
        approved = browser.post(urlsplit(authorize.headers["location"]).path, data=fields)
        assert approved.status_code == 302 and approved.headers["location"].startswith(deployment.fake.url)
        procore = httpx.get(approved.headers["location"], follow_redirects=False)  # the user signs in there
        back = browser.get(procore.headers["location"])
        assert back.status_code == 302, back.text
        answer = parse_qs(urlsplit(back.headers["location"]).query)
        assert answer["state"] == ["client-state"] and answer["iss"] == [deployment.url]
        exchange = {"grant_type": "authorization_code", "code": answer["code"][0], "redirect_uri": REDIRECT,
                    "client_id": client_id, "code_verifier": verifier, "resource": deployment.resource}  # fmt: skip
        tokens: dict[str, Any] = browser.post("/token", data=exchange).raise_for_status().json()
    secret = {tokens["access_token"], tokens["refresh_token"], answer["code"][0], fields["tx"]}
    return {**tokens, "client_id": client_id, "code": answer["code"][0], "verifier": verifier, "secrets": secret}


def call_as(deployment: Deployment, access_token: str, tool: str, arguments: dict[str, Any]) -> Any:
    async def session() -> Any:
        headers = {"Authorization": f"Bearer {access_token}"}
        async with (
            httpx2.AsyncClient(headers=headers, timeout=30) as http,
            Client(streamable_http_client(deployment.resource, http_client=http)) as client,
        ):
            listed = await client.list_tools()
            return [tool.name for tool in listed.tools], await client.call_tool(tool, arguments)

    return anyio.run(session)

"""A fake Procore for tests: a real HTTP server on 127.0.0.1 with the OAuth endpoints and a few resources."""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tests.support.loopback import running

CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret-do-not-log"


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: list[tuple[str, str]]
    headers: dict[str, str]
    body: bytes


@dataclass
class FakeProcoreState:
    """What the fake has seen and issued; tests read it to check the exact requests sent."""

    requests: list[RecordedRequest] = field(default_factory=list)
    rfis: list[dict[str, Any]] = field(default_factory=list)
    uploads: list[dict[str, Any]] = field(default_factory=list)
    expired: set[str] = field(default_factory=set)
    failures: list[tuple[int, dict[str, str]] | tuple[int, dict[str, str], Any]] = field(default_factory=list)
    """Answers to give API calls before serving them normally: (status, headers) or (status, headers, body)."""
    delay_seconds: float = 0.0
    redirect_to: str = ""
    codes: set[str] = field(default_factory=lambda: {"good-code"})
    users: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {
            "pat": {"id": 42, "login": "pat@example.com", "name": "Pat Builder"},
            "alice": {"id": 7, "login": "alice@example.com", "name": "Alice Architect"},
            "bob": {"id": 8, "login": "bob@example.com", "name": "Bob Builder"},
            "ghost": {"id": None, "login": "", "name": "An answer that names nobody"},
        }
    )
    signing_in: str = "pat"
    """Who the authorize endpoint signs in (as if they had typed their password)."""
    token_users: dict[str, str] = field(default_factory=dict)
    """Whose account each code, access token and refresh token stands for."""
    failing_pages: set[int] = field(default_factory=set)
    """Pages of the RFI list answered with a 503 (a page that fails while others are collected)."""
    raw_body: bytes | None = None
    """When set, API calls answer 200 with exactly these bytes as JSON (malformed or huge bodies)."""
    token_endpoint_status: int = 0
    """When set, the token endpoint answers with this status instead of working."""
    issued_tokens: list[str] = field(default_factory=list)
    revoked: set[str] = field(default_factory=set)
    refresh_tokens: set[str] = field(default_factory=set)
    spent_refresh_tokens: set[str] = field(default_factory=set)
    refreshes: int = 0
    """Refresh tokens exchanged; `refresh_reuses` counts those presented again after being spent."""
    refresh_reuses: int = 0
    token_delay_seconds: float = 0.0
    """How long the token endpoint takes over a refresh (a race needs time to happen in)."""
    code_answer: bytes | None = None
    """When set, the token endpoint answers an authorization code with exactly these bytes (as JSON)."""
    records: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: _seed_records())
    """The resources the generic routes (`ROUTES`) list, show and create, by collection."""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add_rfi(self, subject: str, status: str) -> dict[str, Any]:
        with self.lock:
            number = len(self.rfis) + 1
            rfi = {
                "id": 1000 + number, "number": str(number), "subject": subject, "status": status,
                "private": False, "due_date": None, "created_at": "2026-01-02T03:04:05Z",
            }  # fmt: skip
            self.rfis.append(rfi)
        return rfi

    def add_upload(self, recorded: RecordedRequest) -> dict[str, Any]:
        """Parse a multipart photo upload the way a server would, and keep what arrived."""
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {recorded.headers['Content-Type']}\r\n\r\n".encode() + recorded.body
        )
        parts = {}
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            parts[name] = (part.get_filename(), part.get_payload(decode=True), part.get_content_type())
        with self.lock:
            self.uploads.append(parts)
            number = len(self.uploads)
        filename, data, _ = parts.get("image[data]", ("unnamed", b"", ""))
        return {
            "id": 500 + number,
            "filename": filename,
            "size": len(data or b""),
            "url": f"https://files.test/{number}",
        }

    def issue(self, user: str = "pat") -> dict[str, Any]:
        with self.lock:
            number = len(self.issued_tokens) + 1
            access, refresh = f"access-{number}", f"refresh-{number}"
            self.issued_tokens.append(access)
            self.refresh_tokens.add(refresh)
            self.token_users[access] = self.token_users[refresh] = user
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": 5400,
            "refresh_token": refresh,
            "created_at": 1_700_000_000 + number,
        }


PROJECT = 101
"""The project the seeded records belong to."""


def _seed_records() -> dict[str, list[dict[str, Any]]]:
    """A small job: one project, a submittal with its approvers, change events in two states with amounts."""
    approvers = [
        {"id": 71, "user": {"id": 7, "name": "Alice Architect"}, "workflow_group_number": 1,
         "response": {"id": 2, "name": "Pending", "considered": "pending"}},
        {"id": 72, "user": {"id": 8, "name": "Bob Builder"}, "workflow_group_number": 2,
         "response": {"id": 3, "name": "Approved", "considered": "approved"}},
    ]  # fmt: skip
    events = [
        {"id": 801, "number": "001", "title": "Owner adds a canopy", "status": {"id": 1, "name": "Open",
         "mapped_to_status": "open"}, "change_items": [{"id": 9001, "latest_cost_values": {"amount": "12500.00"}}]},
        {"id": 802, "number": "002", "title": "Soil haul-off", "status": {"id": 2, "name": "Closed",
         "mapped_to_status": "closed"}, "change_items": [{"id": 9002, "latest_cost_values": {"amount": "3100.00"}}]},
        {"id": 803, "number": "003", "title": "Extra rebar at grid C", "status": {"id": 1, "name": "Open",
         "mapped_to_status": "open"}, "change_items": [{"id": 9003, "latest_cost_values": {"amount": "4250.50"}}]},
    ]  # fmt: skip
    return {
        "projects": [
            {"id": PROJECT, "name": "Harbor View Tower", "project_number": "HV-01", "active": True},
            {"id": 102, "name": "Maple Street Clinic", "project_number": "MS-07", "active": True},
        ],
        "submittals": [
            {
                "id": 3001,
                "project_id": PROJECT,
                "number": "084413-1",
                "title": "Curtain wall shop drawings",
                "status": {"id": 1, "name": "Open"},
                "approvers": approvers,
            },
            {
                "id": 3002,
                "project_id": PROJECT,
                "number": "033000-1",
                "title": "Concrete mix design",
                "status": {"id": 2, "name": "Closed"},
                "approvers": [],
            },
        ],
        "change_events": [{**event, "project_id": PROJECT} for event in events],
        "rfi_replies": [],
        "punch_items": [],
        "manpower_logs": [],
        "project_users": [],
        "weather_logs": [],
    }


ROUTES = [
    # method, path (named groups are fields of the record), collection, the body's wrapper for creates
    ("GET", r"/rest/v1\.1/projects", "projects", ""),
    ("GET", r"/rest/v1\.1/projects/(?P<project_id>\d+)/submittals", "submittals", ""),
    ("GET", r"/rest/v1\.1/projects/(?P<project_id>\d+)/submittals/(?P<id>\d+)", "submittals", ""),
    ("GET", r"/rest/v1\.1/change_events", "change_events", ""),
    ("POST", r"/rest/v1\.0/projects/(?P<project_id>\d+)/rfis/(?P<rfi_id>\d+)/replies", "rfi_replies", "reply"),
    ("POST", r"/rest/v1\.1/punch_items", "punch_items", "punch_item"),
    ("DELETE", r"/rest/v1\.1/punch_items/(?P<id>\d+)", "punch_items", ""),
    ("GET", r"/rest/v1\.1/punch_items", "punch_items", ""),
    ("GET", r"/rest/v1\.1/punch_items/(?P<id>\d+)", "punch_items", ""),
    ("PATCH", r"/rest/v1\.1/punch_items/(?P<id>\d+)", "punch_items", "punch_item"),
    ("GET", r"/rest/v1\.0/projects/(?P<project_id>\d+)/manpower_logs", "manpower_logs", ""),
    ("GET", r"/rest/v1\.0/projects/(?P<project_id>\d+)/users", "project_users", ""),
    ("POST", r"/rest/v1\.0/projects/(?P<project_id>\d+)/manpower_logs", "manpower_logs", "manpower_log"),
    ("POST", r"/rest/v1\.0/projects/(?P<project_id>\d+)/weather_logs", "weather_logs", "weather_log"),
]
"""Resources served from `FakeProcoreState.records`: a GET lists the records whose fields match the path's
groups and a `project_id` query (or shows the one with the path's `id`); a POST stores the wrapped body."""


def _matches(record: dict[str, Any], query: list[tuple[str, str]]) -> bool:
    """Procore's list filters: `filters[key]` (or `filters[key][]`, any of several) on a field, on the `id` of an
    object field (`filters[status_id]`), or on its name; `log_date` on a log's date."""
    wanted: dict[str, list[str]] = {}
    for key, value in query:
        if key.startswith("filters[") and key.endswith(("]", "[]")):
            wanted.setdefault(key[len("filters[") :].split("]")[0], []).append(value)
        elif key == "log_date":
            wanted.setdefault("date", []).append(value)
    for key, values in wanted.items():
        if key not in record and key.removesuffix("_id") not in record:
            continue  # a filter this fake does not know narrows nothing
        field = record.get(key, record.get(key.removesuffix("_id")))
        found = {str(field)} if not isinstance(field, dict) else {str(field.get("id")), str(field.get("name"))}
        if not {text.lower() for text in found} & {value.lower() for value in values}:
            return False
    return True


class _Handler(BaseHTTPRequestHandler):
    server: _FakeServer

    def log_message(self, format: str, *args: Any) -> None:  # quiet test output
        return

    def _reply(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        body = b"" if status == 204 else json.dumps(payload).encode()
        self.send_response(status)
        if status != 204:
            self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def _record(self) -> tuple[RecordedRequest, Any]:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        parts = urlsplit(self.path)
        recorded = RecordedRequest(self.command, parts.path, parse_qsl(parts.query), dict(self.headers), body)
        self.server.state.requests.append(recorded)
        parsed: Any = None
        if body and "json" in self.headers.get("Content-Type", ""):
            parsed = json.loads(body)
        elif body and "x-www-form-urlencoded" in self.headers.get("Content-Type", ""):
            parsed = dict(parse_qsl(body.decode()))
        return recorded, parsed

    def _bearer(self, recorded: RecordedRequest) -> str | None:
        header = recorded.headers.get("Authorization", "")
        token = header.removeprefix("Bearer ").strip() if header.startswith("Bearer ") else None
        state = self.server.state
        valid = token in state.issued_tokens and token not in state.revoked and token not in state.expired
        return token if valid else None

    def _misbehave(self) -> bool:
        """Scripted faults first: a failure status, a delay, or a redirect."""
        state = self.server.state
        with state.lock:
            failure = state.failures.pop(0) if state.failures else None
        if failure is not None:
            status, headers = failure[0], failure[1]
            body = failure[2] if len(failure) > 2 else {"errors": f"scripted failure {status}"}
            self._reply(status, body, headers)
            return True
        if state.delay_seconds:
            time.sleep(state.delay_seconds)
        if state.raw_body is not None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(state.raw_body)))
            self.end_headers()
            self.wfile.write(state.raw_body)
            return True
        if state.redirect_to:
            self.send_response(302)
            self.send_header("Location", state.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True
        return False

    def _authorized(self, recorded: RecordedRequest) -> bool:
        """Procore's REST API: a valid bearer token and a company header, or a 401/400 like the real one."""
        if self._bearer(recorded) is None:
            self._reply(401, {"errors": "The access token is invalid or expired"})
            return False
        if not recorded.headers.get("Procore-Company-Id", "").isdigit():
            self._reply(400, {"errors": "Procore-Company-Id header is missing"})
            return False
        return True

    def _served(self, recorded: RecordedRequest, body: Any) -> bool:
        """Answer from the generic routes; False when none matches the request."""
        for method, pattern, collection, wrapper in ROUTES:
            matched = re.fullmatch(pattern, recorded.path)
            if method != recorded.method or matched is None:
                continue
            if not self._authorized(recorded):
                return True
            fields = {key: int(value) for key, value in matched.groupdict().items()}
            state = self.server.state
            with state.lock:
                records = state.records[collection]
                if method == "DELETE":
                    found = [r for r in records if r.get("id") == fields["id"]]
                    records[:] = [r for r in records if r.get("id") != fields["id"]]
                elif method == "PATCH":
                    found = [r for r in records if r.get("id") == fields["id"]]
                    for record in found:
                        record.update(body.get(wrapper, {}))
                elif method == "POST":
                    created = {"id": 5000 + sum(map(len, state.records.values())), **fields, **body.get(wrapper, {})}
                    records.append(created)
                    found: Any = created
                else:
                    query = {k: int(v) for k, v in recorded.query if k == "project_id"}
                    wanted = {**query, **fields}
                    found = [r for r in records if all(r.get(k, v) == v for k, v in wanted.items())]
                    found = [r for r in found if _matches(r, recorded.query)]
            if method == "DELETE":
                self._reply(204, None) if found else self._reply(404, {"errors": "not found"})
            elif method in ("GET", "PATCH") and "id" in fields:
                self._reply(200, found[0]) if found else self._reply(404, {"errors": "not found"})
            elif method == "GET":
                self._reply_page(recorded, found)
            else:
                self._reply(201, found)
            return True
        return False

    def _list_rfis(self, recorded: RecordedRequest) -> None:
        self._reply_page(recorded, [r for r in self.server.state.rfis if _matches(r, recorded.query)])

    def _reply_page(self, recorded: RecordedRequest, records: list[dict[str, Any]]) -> None:
        """One page of a list, as Procore pages: `page` and `per_page` (100 unless asked), with the `Total`,
        `Per-Page` and `Link` headers."""
        query = dict(recorded.query)
        page, per_page = int(query.get("page", "1")), int(query.get("per_page", "100"))
        if page in self.server.state.failing_pages:
            self._reply(503, {"errors": "Service unavailable"})
            return
        chunk = records[(page - 1) * per_page : page * per_page]
        last = max(1, -(-len(records) // per_page))
        base = f"http://{self.headers['Host']}{recorded.path}?per_page={per_page}"
        links = [f'<{base}&page=1>; rel="first"', f'<{base}&page={last}>; rel="last"']
        if page < last:
            links.append(f'<{base}&page={page + 1}>; rel="next"')
        headers = {"Total": str(len(records)), "Per-Page": str(per_page), "Link": ", ".join(links)}
        self._reply(200, chunk, headers)

    def do_GET(self) -> None:
        recorded, _ = self._record()
        if recorded.path.startswith("/rest/") and self._misbehave():
            return
        if recorded.path == "/rest/v1.0/me":
            token = self._bearer(recorded)
            if token is None:
                self._reply(401, {"errors": "The access token is invalid or expired"})
            else:
                # A session cookie, as many APIs set: the server must not send it back on later calls.
                cookie = {"Set-Cookie": "_session=from-the-api; Path=/; HttpOnly"}
                self._reply(200, self.server.state.users[self.server.state.token_users.get(token, "pat")], cookie)
            return
        if recorded.path == "/oauth/authorize":
            query = dict(recorded.query)
            state = self.server.state
            code = "good-code" if state.signing_in == "pat" else f"code-{state.signing_in}-{len(state.codes)}"
            with state.lock:
                state.codes.add(code)
                state.token_users[code] = state.signing_in
            target = f"{query['redirect_uri']}?code={code}&state={query.get('state', '')}"
            self.send_response(302)
            self.send_header("Location", target)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        rfi_list = re.fullmatch(r"/rest/v1\.0/projects/(\d+)/rfis", recorded.path)
        rfi_show = re.fullmatch(r"/rest/v1\.0/projects/(\d+)/rfis/(\d+)", recorded.path)
        if (rfi_list or rfi_show) and not self._authorized(recorded):
            return
        if rfi_list:
            self._list_rfis(recorded)
            return
        if rfi_show:
            found = [r for r in self.server.state.rfis if r["id"] == int(rfi_show.group(2))]
            self._reply(200, found[0]) if found else self._reply(404, {"errors": "RFI not found"})
            return
        if self._served(recorded, None):
            return
        if recorded.path == "/oauth/token/info":
            token = self._bearer(recorded)
            if token is None:
                self._reply(401, {"error": "invalid_token", "error_description": "The access token is invalid"})
                return
            self._reply(200, {"resource_owner_id": 42, "scopes": [], "expires_in_seconds": 5000,
                              "application": {"uid": CLIENT_ID}, "created_at": 1_700_000_000})  # fmt: skip
            return
        self._reply(404, {"errors": f"no route for {recorded.path}"})

    def do_POST(self) -> None:
        recorded, body = self._record()
        state = self.server.state
        if recorded.path.startswith("/rest/") and self._misbehave():
            return
        if recorded.path == "/oauth/token" and state.token_endpoint_status:
            self._reply(state.token_endpoint_status, {"error": "unavailable"})
            return
        if recorded.path == "/oauth/token":
            body = body or {}
            if body.get("client_id") != CLIENT_ID or body.get("client_secret") != CLIENT_SECRET:
                self._reply(401, {"error": "invalid_client", "error_description": "Client authentication failed"})
                return
            grant = body.get("grant_type")
            if grant == "refresh_token":
                with state.lock:
                    token = str(body.get("refresh_token"))
                    known = token in state.refresh_tokens
                    state.refresh_tokens.discard(token)
                    state.refreshes += known
                    state.refresh_reuses += token in state.spent_refresh_tokens
                    state.spent_refresh_tokens.add(token)
                time.sleep(state.token_delay_seconds)
                if not known:
                    self._reply(400, {"error": "invalid_grant", "error_description": "The refresh token is invalid"})
                    return
            elif grant == "authorization_code":
                if body.get("code") not in state.codes:
                    self._reply(400, {"error": "invalid_grant", "error_description": "The code is invalid"})
                    return
                if state.code_answer is not None:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(state.code_answer)))
                    self.end_headers()
                    self.wfile.write(state.code_answer)
                    return
            elif grant != "client_credentials":
                self._reply(400, {"error": "unsupported_grant_type", "error_description": f"grant {grant!r}"})
                return
            owner = str(body.get("refresh_token") if grant == "refresh_token" else body.get("code"))
            self._reply(200, state.issue(state.token_users.get(owner, "pat")))
            return
        if recorded.path == "/oauth/revoke":
            state.revoked.add(str((body or {}).get("token")))
            self._reply(200, {})
            return
        if re.fullmatch(r"/rest/v1\.0/projects/\d+/rfis", recorded.path):
            if self._authorized(recorded):
                self._reply(201, state.add_rfi(body["rfi"]["subject"], "draft"))
            return
        if recorded.path == "/rest/v1.0/images":
            if self._authorized(recorded):
                self._reply(201, state.add_upload(recorded))
            return
        if self._served(recorded, body or {}):
            return
        self._reply(404, {"errors": f"no route for {recorded.path}"})

    def do_PATCH(self) -> None:
        recorded, body = self._record()
        if recorded.path.startswith("/rest/") and self._misbehave():
            return
        if not self._served(recorded, body or {}):
            self._reply(404, {"errors": f"no route for {recorded.path}"})

    def do_DELETE(self) -> None:
        recorded, _ = self._record()
        if recorded.path.startswith("/rest/") and self._misbehave():
            return
        if not self._served(recorded, None):
            self._reply(404, {"errors": f"no route for {recorded.path}"})


class _FakeServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = FakeProcoreState()


@dataclass
class FakeProcore:
    url: str
    state: FakeProcoreState


@contextmanager
def running_fake_procore() -> Iterator[FakeProcore]:
    """Start the fake on a free loopback port; stop it on exit."""
    server = _FakeServer()
    with running(server, "fake-procore"):
        host, port = server.server_address[:2]
        yield FakeProcore(f"http://{host!s}:{port}", server.state)

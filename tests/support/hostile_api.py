"""A real HTTP server on 127.0.0.1 playing the API of tests/fixtures/specs/hostile_target.yaml: it records what
arrives exactly as it arrived and answers the way a compromised or careless API might (endless bodies, a redirect,
text that quotes the caller's key)."""

from __future__ import annotations

import base64
import email.parser
import email.policy
import functools
import json
import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from tests.support.loopback import QuietHandler, running

API_KEY = "hostile-target-api-key-0123456789"
CHUNK = b" " * 65536


@functools.cache
def gzip_bomb() -> bytes:
    """256 MiB of spaces in about 250 KiB of gzip."""
    compressor = zlib.compressobj(wbits=31)
    return compressor.compress(b" " * (256 * 1024 * 1024)) + compressor.flush()


@dataclass
class Seen:
    """What the API received and sent."""

    paths: list[str] = field(default_factory=list)
    headers: list[dict[str, str]] = field(default_factory=list)
    parts: list[list[tuple[str, str]]] = field(default_factory=list)
    """Each multipart upload's parts: (their header lines, joined) and name."""
    streamed_bytes: int = 0
    redirect_to: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)


class _Handler(QuietHandler):
    server: _Server

    def _json(self, status: int, payload: Any) -> None:
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _endless(self, status: int) -> None:
        """A body that never ends (chunked): the client must stop reading it."""
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        try:
            self.wfile.write(b"1\r\n[\r\n")
            for _ in range(200_000):  # about 13 GB: far more than anyone should read
                self.wfile.write(b"%x\r\n" % len(CHUNK) + CHUNK + b"\r\n")
                with self.server.seen.lock:
                    self.server.seen.streamed_bytes += len(CHUNK)
        except (BrokenPipeError, ConnectionResetError):
            return

    def do_GET(self) -> None:
        seen = self.server.seen
        raw_path = self.path.split("?", 1)[0]
        with seen.lock:
            seen.paths.append(raw_path)
            seen.headers.append(dict(self.headers))
        query = parse_qs(urlsplit(self.path).query)
        key = query.get("api_key", [""])[0]
        if raw_path == "/api/records/endless":
            self._endless(200)
        elif raw_path == "/api/records/endless-error":
            self._endless(400)
        elif raw_path == "/api/records/bomb":  # small on the wire, enormous once inflated
            bomb = gzip_bomb()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Encoding", "gzip")
            self.send_header("Content-Length", str(len(bomb)))
            self.end_headers()
            try:
                self.wfile.write(bomb)
            except (BrokenPipeError, ConnectionResetError):
                return
        elif raw_path == "/api/records/echo-error":  # the key straddles where an error's text is cut
            body = ("y" * 1995 + key + " more words").encode()
            self.send_response(400)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif raw_path == "/api/records/redirect":
            self.send_response(302)
            self.send_header("Location", seen.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif raw_path.startswith("/api/records/"):
            self._json(200, {"path": raw_path})
        elif raw_path.startswith("/api/exports/"):
            body = b"\x00export-bytes\xff"
            self.send_response(200)
            self.send_header("Content-Type", "application/octet-stream")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        elif raw_path == "/api/notes":
            self._notes(query.get("kind", [""])[0], key)
        else:
            self._json(404, {"error": "no such route"})

    def _notes(self, kind: str, key: str) -> None:
        """Text that quotes the caller's key: straddling where a cut falls, or encoded."""
        if kind == "cut":
            text = "x" * 990 + key + " and more after it " * 10
        else:
            wrapped = base64.b64encode(f"user:{key}".encode()).decode()
            text = f"plain {key}; percent {quote(key, safe='')}; base64 {base64.b64encode(key.encode()).decode()}; "
            text += f"basic {wrapped}; url-safe {base64.urlsafe_b64encode(key.encode()).decode()}"
        body = text.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            f"Content-Type: {self.headers['Content-Type']}\r\n\r\n".encode() + body
        )
        parts = [("\n".join(f"{k}: {v}" for k, v in part.items()), str(part.get_param("name", header="content-disposition")))
                 for part in message.iter_parts()]  # fmt: skip
        with self.server.seen.lock:
            self.server.seen.parts.append(parts)
        self._json(201, {"size": len(body)})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen = Seen()


@contextmanager
def running_hostile_api() -> Iterator[tuple[str, Seen]]:
    """The API on a free loopback port: its base URL (with `/api`) and what it sees."""
    server = _Server()
    with running(server, "hostile-api"):
        yield f"http://127.0.0.1:{server.server_address[1]}/api", server.seen

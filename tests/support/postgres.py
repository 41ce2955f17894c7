"""A throwaway PostgreSQL server on loopback for the tests: initdb and pg_ctl from PATH, run as the `postgres` user
when the tests run as root (initdb refuses root), data and socket in a private temporary folder."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from itertools import count
from pathlib import Path

_DATABASES = count()


def missing_reason() -> str | None:
    """Why no server can be started here, or None when one can."""
    if not (shutil.which("initdb") and shutil.which("pg_ctl")):
        return "PostgreSQL is not installed here (no initdb and pg_ctl on PATH)"
    if os.geteuid() == 0 and not shutil.which("runuser"):
        return "running as root without runuser, and initdb refuses root"
    return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _run(command: list[str], as_postgres: bool) -> None:
    prefix = ["runuser", "-u", "postgres", "--"] if as_postgres else []
    completed = subprocess.run([*prefix, *command], capture_output=True, text=True, timeout=120, check=False)
    if completed.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {completed.stderr.strip() or completed.stdout.strip()}")


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    """Start a server on a free loopback port; stop it (and delete its files) on exit."""
    as_postgres = os.geteuid() == 0
    base = Path(tempfile.mkdtemp(prefix="pg-test-"))
    data, sockets = base / "data", base / "sockets"
    sockets.mkdir()
    if as_postgres:
        shutil.chown(base, "postgres")
        shutil.chown(sockets, "postgres")
    pg_ctl = str(shutil.which("pg_ctl"))
    try:
        _run([str(shutil.which("initdb")), "-D", str(data), "-A", "trust", "-U", "postgres", "--no-sync"], as_postgres)
        port = _free_port()
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        _run([pg_ctl, "-D", str(data), "-l", str(base / "server.log"), "-w", "-o", options, "start"], as_postgres)
        try:
            yield PostgresServer(port)
        finally:
            _run([pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], as_postgres)
    finally:
        shutil.rmtree(base, ignore_errors=True)


class PostgresServer:
    """A running server: `new_database()` gives the URL of a fresh, empty database."""

    def __init__(self, port: int) -> None:
        self.port = port

    def new_database(self) -> str:
        import psycopg

        name = f"test_{os.getpid()}_{next(_DATABASES)}"
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

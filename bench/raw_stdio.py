"""A server spoken to over stdio in raw JSON-RPC lines, with no MCP client parsing: what the benchmarks time and
measure (`run.py`'s cold starts, `footprint.py`'s memory)."""

from __future__ import annotations

import json
import subprocess

INITIALIZE = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "bench", "version": "1"}},
}
LIST_TOOLS = [
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}},
]
"""Sent once `INITIALIZE` is answered: tools/list is request 2."""


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    """The server process, its stdin and stdout piped, its stderr discarded."""
    return subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)


def send(process: subprocess.Popen[bytes], *messages: dict[str, object]) -> None:
    """Messages as JSON lines, flushed together."""
    assert process.stdin is not None
    process.stdin.write("".join(json.dumps(message) + "\n" for message in messages).encode())
    process.stdin.flush()


def answer(process: subprocess.Popen[bytes], number: int) -> bytes:
    """The line that answers request `number` (notifications and other lines skipped); empty at end of output."""
    assert process.stdout is not None
    while True:
        line = process.stdout.readline()
        if not line or f'"id":{number}'.encode() in line.replace(b" ", b""):
            return line


def listed_tools(process: subprocess.Popen[bytes]) -> list[dict[str, object]]:
    """Initialize, then the tools of the server's tools/list answer."""
    send(process, INITIALIZE)
    answer(process, 1)
    send(process, *LIST_TOOLS)
    tools: list[dict[str, object]] = json.loads(answer(process, 2))["result"]["tools"]
    return tools

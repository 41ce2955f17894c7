"""FastMCP's `from_openapi` on a spec, for the benchmark only (FastMCP is a peer we compare against).

FastMCP rejects Procore's catalog as it is: empty `required: []` lists are removed first, here only.
"""

from __future__ import annotations

import asyncio
import json
import re
import sys
from pathlib import Path
from typing import Any

import httpx2
import yaml
from fastmcp import FastMCP


def _drop_empty_required(node: Any) -> None:
    if isinstance(node, dict):
        if node.get("required") == []:
            del node["required"]
        for value in node.values():
            _drop_empty_required(value)
    elif isinstance(node, list):
        for value in node:
            _drop_empty_required(value)


def build(spec_path: str, base_url: str, token: str = "bench") -> FastMCP:
    text = Path(spec_path).read_text(encoding="utf-8")
    spec = json.loads(text) if spec_path.endswith(".json") else yaml.safe_load(text)
    _drop_empty_required(spec)
    client = httpx2.AsyncClient(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
    return FastMCP.from_openapi(spec, client=client)


def _reason(error: Exception) -> str:
    """One short line saying why FastMCP refused the document (its own messages run to megabytes)."""
    text = " ".join(str(error).split())
    places = re.findall(r"'loc': \(([^)]*)\)", text)
    if places:
        first = ".".join(part.strip(" '") for part in places[0].split(","))
        return f"invalid OpenAPI to it: {len(places):,} errors, the first at {first}"
    return f"{type(error).__name__}: {text[:160]}"


def dump_tools(server: FastMCP, path: str) -> None:
    """The server's tools as tools/list returns them, written to `path` (the benchmark measures them)."""
    tools = asyncio.run(server.list_tools())
    listed = [t.to_mcp_tool().model_dump(by_alias=True, exclude_none=True, mode="json") for t in tools]
    Path(path).write_text(json.dumps(listed), encoding="utf-8")


if __name__ == "__main__":
    build_only = len(sys.argv) > 3 and sys.argv[3] in ("--build-only", "--dump-tools")
    try:
        server = build(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else "http://127.0.0.1:9")
    except Exception as exc:
        if not build_only:
            raise
        print(_reason(exc), file=sys.stderr)
        raise SystemExit(1) from None
    if len(sys.argv) > 4 and sys.argv[3] == "--dump-tools":
        dump_tools(server, sys.argv[4])
    if build_only:
        raise SystemExit(0)
    server.run(show_banner=False)

"""`make bench`: this generator and its servers against FastMCP's `from_openapi`, in one run, side by side.

Measures generation time and peak memory, server cold start to the first tools/list response over stdio,
tools/list bytes, and the latency a tool call adds over a direct HTTP request. Writes bench/RESULTS.md.
Numbers are from this machine and this run: compare the ratios, not the absolute values.
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import anyio
import httpx
import raw_stdio  # bench/ is the script's folder, first on the path
from mcp import Client
from mcp.client.stdio import StdioServerParameters

sys.path.insert(0, str(Path(__file__).resolve().parent))
import real_specs  # bench/ is a folder of scripts, not a package
import tasks
import team_load

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from tests.end_to_end.test_everyday_search import EVERYDAY  # the queries the search test ranks

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SPEC = ROOT / "specs" / "procore.yaml"
CONFIG = ROOT / "specs" / "procore.config.yaml"
CATALOG = ROOT.parent / "shared" / "specs" / "procore-catalog.json"
RUNS = 3
COLD_RUNS = 5
SETTLE = 1.0
CALLS = 60


@dataclass
class Row:
    what: str
    ours: float | None
    theirs: float | None
    unit: str
    target: str = ""

    def ratio(self) -> str:
        if self.ours is None or not self.theirs:
            return "n/a"
        return f"{self.ours / self.theirs:.2f}x"


def _peak_child_kb() -> int:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Wall seconds and peak memory (MB) of one child process (best of RUNS for time)."""
    times, peaks = [], []
    for _ in range(RUNS):
        code = (
            "import resource,subprocess,sys,time;t=time.perf_counter()\n"
            f"r=subprocess.run({command!r},env={env!r},capture_output=True)\n"
            "print(time.perf_counter()-t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)"
        )
        out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True).stdout.split()
        if out[2] != "0":
            raise RuntimeError(f"{command} failed")
        times.append(float(out[0]))
        peaks.append(int(out[1]) / 1024)
    return min(times), max(peaks)


def run_once(command: list[str], env: dict[str, str] | None, timeout: float) -> tuple[float, float, int, str]:
    """Wall seconds, peak memory (MB), exit code and stderr of one child process; a timeout is exit code -1."""
    code = (
        "import json,resource,subprocess,sys,time;t=time.perf_counter()\n"
        f"try:\n r=subprocess.run({command!r},env={env!r},capture_output=True,text=True,timeout={timeout})\n"
        " c,e=r.returncode,r.stderr\n"
        "except subprocess.TimeoutExpired:\n c,e=-1,''\n"
        "print(json.dumps([time.perf_counter()-t,resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,c,e]))"
    )
    out = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, check=True).stdout
    seconds, peak_kb, returncode, stderr = json.loads(out)
    return float(seconds), int(peak_kb) / 1024, int(returncode), str(stderr)


def generate(spec: Path, out: Path, *extra: str) -> None:
    subprocess.run([PYTHON, "-m", "generator", "generate", "--spec", str(spec), "--out", str(out), "--quiet", *extra],
                   cwd=ROOT, check=True)  # fmt: skip


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":")).encode())


def prompt_bytes(tools: list[dict[str, Any]]) -> int:
    """What a model is given of each tool by clients that pass on name, description and input schema only
    (output schemas, titles and annotations stay with the client)."""
    return sum(_size({k: tool[k] for k in ("name", "description", "inputSchema") if k in tool}) for tool in tools)


Launch = tuple[list[str], dict[str, str]]
"""A server command and its environment."""


def _first_listing(command: list[str], env: dict[str, str]) -> tuple[float, list[dict[str, Any]]]:
    """Seconds from spawn to the complete tools/list response, read raw from stdout (no client parsing)."""
    started = time.perf_counter()
    process = raw_stdio.start(command, env)
    tools = raw_stdio.listed_tools(process)
    seconds = time.perf_counter() - started
    process.kill()
    process.wait()
    time.sleep(SETTLE)  # let the machine finish tearing the process down before the next one starts
    return seconds, tools


def cold_starts(*launches: Launch) -> list[tuple[float, int, int, int]]:
    """For each server: the median cold start over COLD_RUNS, its tools array in bytes, the tool count, and
    the bytes of the tools' names, descriptions and input schemas. The servers take turns run by run, so a
    busy moment on a shared machine weighs on each of them alike."""
    durations: list[list[float]] = [[] for _ in launches]
    listings: list[list[dict[str, Any]]] = [[] for _ in launches]
    for _ in range(COLD_RUNS):
        for index, (command, env) in enumerate(launches):
            seconds, listings[index] = _first_listing(command, env)
            durations[index].append(seconds)
    return [
        (statistics.median(times), _size(tools), len(tools), prompt_bytes(tools))
        for times, tools in zip(durations, listings, strict=True)
    ]


class _Me(BaseHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        body = b'{"id": 42, "login": "pat@example.com", "name": "Pat Builder"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@contextmanager
def endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Me)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


async def _direct(url: str) -> list[float]:
    async with httpx.AsyncClient() as client:
        await client.get(url)
        samples = []
        for _ in range(CALLS):
            start = time.perf_counter()
            (await client.get(url)).json()
            samples.append(time.perf_counter() - start)
        return samples


async def _through_mcp(params: StdioServerParameters, tool: str) -> list[float]:
    async with Client(params) as client:
        await client.list_tools()
        await client.call_tool(tool, {})
        samples = []
        for _ in range(CALLS):
            start = time.perf_counter()
            result = await client.call_tool(tool, {})
            samples.append(time.perf_counter() - start)
            assert not result.is_error, result.content
        return samples


async def _searches(params: StdioServerParameters, queries: list[str]) -> list[float]:
    async with Client(params) as client:
        await client.call_tool("search_operations", {"query": "warm up the index"})
        samples = []
        for query in queries:
            start = time.perf_counter()
            result = await client.call_tool("search_operations", {"query": query, "limit": 3})
            samples.append(time.perf_counter() - start)
            assert not result.is_error, result.content
        return samples


def search_latency(params: StdioServerParameters, queries: list[str]) -> tuple[float, float]:
    """Milliseconds a search takes through the MCP client over stdio (the index built beforehand): p50, p99."""
    samples = sorted(anyio.run(_searches, params, queries))
    return statistics.median(samples) * 1000, statistics.quantiles(samples, n=100)[98] * 1000


def _operation_count(spec: Path) -> int:
    import yaml

    paths = yaml.safe_load(spec.read_text(encoding="utf-8"))["paths"]
    return sum(method in item for item in paths.values() for method in ("get", "post", "put", "patch", "delete"))


def added_latency(params: StdioServerParameters, tool: str, url: str) -> float:
    through = statistics.median(anyio.run(_through_mcp, params, tool))
    direct = statistics.median(anyio.run(_direct, url))
    return (through - direct) * 1000


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    try:
        return measure(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def measure(work: Path) -> int:
    rows: list[Row] = []
    has_catalog = CATALOG.is_file()
    if not has_catalog:
        print("../shared is absent: catalog rows are skipped", file=sys.stderr)
    base_env = {"PATH": os.environ.get("PATH", ""), "PROCORE_ACCESS_TOKEN": "bench"}

    # Generation: ours writes a package; FastMCP builds its server in memory from the same spec.
    # Head to head, both sides read procore.yaml alone: the published package's long tail (the config's
    # `include_specs`) is a file FastMCP cannot take in; its own rows follow ("Procore published package").
    hand_written = work / "procore-hand-written.yaml"
    hand_written.write_text(
        "".join(
            line
            for line in CONFIG.read_text(encoding="utf-8").splitlines(True)
            if not line.startswith("include_specs:")
        )
    )
    specs = [(f"Procore spec ({_operation_count(SPEC)} ops)", SPEC, ["--config", str(hand_written)])]
    if has_catalog:
        config = work / "catalog.yaml"
        config.write_text("package_name: procore_catalog_mcp\ndocs_base_url: https://developers.procore.com\n")
        lean = work / "lean.yaml"
        lean.write_text(config.read_text() + "output_schema: none\n")
        specs.append(("Procore catalog (2,636 ops)", CATALOG, ["--config", str(config)]))
    for label, spec, extra in specs:
        ours_time, ours_mem = timed(
            [PYTHON, "-m", "generator", "generate", "--spec", str(spec), "--out", str(work / "gen"), "--quiet", *extra],
            {**base_env, "PYTHONPATH": str(ROOT)},
        )
        theirs_time, theirs_mem = timed(
            [PYTHON, str(ROOT / "bench" / "fastmcp_server.py"), str(spec), "http://127.0.0.1:9", "--build-only"],
            base_env,
        )
        rows.append(
            Row(f"{label}: generation time", ours_time, theirs_time, "s", "catalog <= 2 s" if spec == CATALOG else "")
        )
        rows.append(Row(f"{label}: generation peak memory", ours_mem, theirs_mem, "MB"))

    # Cold start and tools/list size.
    packages = [
        ("Procore spec", SPEC, ["--config", str(hand_written)], "procore_mcp"),
        ("Procore published package (with the long tail)", SPEC, ["--config", str(CONFIG)], "procore_mcp"),
    ]
    if has_catalog:
        packages.append(("Procore catalog", CATALOG, ["--config", str(config)], "procore_catalog_mcp"))
        packages.append(
            ("Procore catalog, output_schema none", CATALOG, ["--config", str(lean)], "procore_catalog_mcp")
        )
    for label, spec, extra, package in packages:
        out = work / package / label.replace(" ", "_").replace(",", "")
        generate(spec, out, *extra)
        env = {**base_env, "PYTHONPATH": str(out / "src")}
        fastmcp = [PYTHON, str(ROOT / "bench" / "fastmcp_server.py"), str(spec)]
        catalog_mode = {**env, "PROCORE_MODE": "catalog"}
        launches: list[Launch] = [
            ([PYTHON, "-m", package], {**env, "PROCORE_MODE": "static"}),
            (fastmcp, base_env),
            ([PYTHON, "-m", package], catalog_mode),
        ]
        if "published" in label:  # the published package: its default, hybrid mode, too
            launches.append(([PYTHON, "-m", package], {**env, "PROCORE_MODE": "hybrid"}))
        measured = cold_starts(*launches)
        (
            (ours_static, ours_bytes, ours_count, ours_prompt),
            (theirs_static, theirs_bytes, theirs_count, theirs_prompt),
            (catalog_start, catalog_bytes, _, _),
        ) = measured[:3]
        rows.append(Row(f"{label}: cold start to tools/list, static", ours_static, theirs_static, "s", "<= 0.25x"))
        rows.append(
            Row(
                f"{label}: tools/list bytes per tool",
                ours_bytes / ours_count,
                theirs_bytes / theirs_count,
                "B",
                "<= 0.6x",
            )
        )
        rows.append(
            Row(
                f"{label}: name, description and inputSchema bytes per tool",
                ours_prompt / ours_count,
                theirs_prompt / theirs_count,
                "B",
            )
        )
        rows.append(Row(f"{label}: tools/list total", ours_bytes / 1024, theirs_bytes / 1024, "KB"))
        rows.append(Row(f"{label}: cold start to tools/list, catalog mode", catalog_start, None, "s", "<= 1.0 s"))
        rows.append(Row(f"{label}: tools/list bytes, catalog mode", catalog_bytes / 1024, None, "KB", "< 8 KB"))
        if "published" in label:
            hybrid_start, hybrid_bytes, hybrid_count, _ = measured[3]
            hybrid = f"{label}, hybrid (the default)"
            rows.append(Row(f"{hybrid}: cold start to tools/list", hybrid_start, theirs_static, "s"))
            rows.append(Row(f"{hybrid}: tools listed", hybrid_count, theirs_count, "tools"))
            rows.append(Row(f"{hybrid}: tools/list bytes", hybrid_bytes / 1024, theirs_bytes / 1024, "KB", "<= 96 KB"))
            params = StdioServerParameters(command=PYTHON, args=["-m", package], env=env)
            p50, p99 = search_latency(params, [query for query, _ in EVERYDAY])
            searches = f"{hybrid}: search_operations latency over {len(EVERYDAY)} everyday queries"
            rows.append(Row(f"{searches}, p50", p50, None, "ms"))
            rows.append(Row(f"{searches}, p99", p99, None, "ms"))

    # Added latency of one tool call over a direct request to the same local endpoint.
    with endpoint() as url:
        ours_pkg = work / "procore_mcp" / "Procore_spec" / "src"
        ours_env = {**base_env, "PYTHONPATH": str(ours_pkg), "PROCORE_BASE_URL": url}
        ours = StdioServerParameters(command=PYTHON, args=["-m", "procore_mcp"], env=ours_env)
        theirs = StdioServerParameters(
            command=PYTHON, args=[str(ROOT / "bench" / "fastmcp_server.py"), str(SPEC), url], env=base_env
        )
        ours_latency = added_latency(ours, "show_signed_in_user", url + "/rest/v1.0/me")
        theirs_latency = added_latency(theirs, "showCurrentUser", url + "/rest/v1.0/me")
        rows.append(Row("Added latency of a tool call (median)", ours_latency, theirs_latency, "ms", "<= 3 ms"))

    table = [
        "| Measure | This project | FastMCP from_openapi | Ratio | Target |",
        "| --- | ---: | ---: | ---: | --- |",
    ]
    for row in rows:
        ours = "n/a" if row.ours is None else f"{row.ours:,.2f} {row.unit}"
        theirs = "n/a" if row.theirs is None else f"{row.theirs:,.2f} {row.unit}"
        table.append(f"| {row.what} | {ours} | {theirs} | {row.ratio()} | {row.target} |")
    import platform

    header = [
        "# Benchmark results",
        "",
        f"`make bench` on {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}. "
        "Cold start is",
        "measured from spawning the server to reading its complete tools/list response from stdout (no client",
        "parsing); medians of 5 runs, the servers taking turns run by run. Generation: best of 3 runs. Added",
        "latency: median over 60 calls through the MCP client over stdio, minus the median of direct httpx",
        'requests to the same local endpoint. "Name, description and inputSchema" is what a model reads of each',
        "tool through clients that pass on only those (output schemas, titles and annotations stay with the",
        "client). The machine is shared: compare the ratios, and expect a few tenths of a second of noise.",
        "",
    ]
    real = real_specs.table(work, run_once, {**base_env, "PYTHONPATH": str(ROOT)})
    if not real:
        print("../shared/corpus is absent: the real-spec table is skipped", file=sys.stderr)
    team = team_load.table()
    jobs = tasks.table()
    text = "\n".join(header + table + real + team + jobs) + "\n"
    (ROOT / "bench" / "RESULTS.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

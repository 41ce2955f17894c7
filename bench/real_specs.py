"""The benchmark's real-spec tables: every `../shared/corpus` entry, generated here and built by FastMCP's
`from_openapi`, in the same run.

Generation: operations, tools generated, warnings by kind, wall time (best of RUNS) and peak memory, and
FastMCP's build time, peak memory and whether it loads the document at all (with its reason when not).
Definitions: what a model reads of each tool (name, description and inputSchema as compact JSON) in total,
median, p95 and max; names over 48 characters; properties without a description at any depth; tools over
16 KiB; names with an article and names ending in a counter; and the total as a ratio of FastMCP's. After the
corpus, one generated stress spec: a directory API of STRESS_OPERATIONS operations over one wide, deep entity
(`tests/support/directory_api.py`), and this project's OpenAPI 3.2 fixture.
"""

from __future__ import annotations

import csv
import json
import re
import statistics
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.name_sources import ARTICLES
from generator.quality import ends_in_a_counter, is_described, schema_properties

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
RUNS = 2
FASTMCP_TIMEOUT = 180.0
BUDGET = 16384
STRESS_OPERATIONS = 1300
_SUMMARY = re.compile(r": (\d+) tools?, (\d+) warnings?(?: \((?P<kinds>[^)]*)\))?, ")

Runner = Callable[[list[str], dict[str, str] | None, float], tuple[float, float, int, str]]


def entries() -> list[dict[str, str]]:
    listing = CORPUS / "corpus.tsv"
    if not listing.is_file():
        return []
    with listing.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def stress_entry(work: Path) -> dict[str, str]:
    """The directory stress spec, written into the work folder, as a corpus entry (an absolute path)."""
    from tests.support.directory_api import write_directory_spec  # the project's root is on the path by now

    spec = write_directory_spec(work / "directory.yaml", STRESS_OPERATIONS)
    return {
        "name": "directory",
        "entry": str(spec),
        "operations": str(STRESS_OPERATIONS),
        "label": "directory (stress)",
    }


OPENAPI_32 = {
    "name": "openapi32",
    "entry": str(
        Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "specs" / "openapi32" / "catalog.yaml"
    ),
    "operations": "8",
    "label": "OpenAPI 3.2 fixture",
}
"""This project's own 3.2 document (QUERY, added methods, a query string, sequential responses, tag parents)."""


def _label(entry: dict[str, str]) -> str:
    if "label" in entry:
        return entry["label"]
    stem = Path(entry["entry"]).name.split(".")[0]
    return entry["name"] if stem in ("openapi", "spec3", "swagger", "oas_v3") else f"{entry['name']} {stem}"


def _ours(entry: dict[str, str], out: Path, run: Runner, env: dict[str, str]) -> tuple[float, float, int, str]:
    spec = str(CORPUS / entry["entry"])
    command = [sys.executable, "-m", "generator", "generate", "--spec", spec, "--out", str(out)]
    times, peaks, summary = [], [], ""
    for _ in range(RUNS):
        seconds, peak, code, _ = run([*command, "--quiet"], env, 600.0)
        if code != 0:
            raise RuntimeError(f"generating {spec} failed (exit {code})")
        times.append(seconds)
        peaks.append(peak)
    completed = subprocess.run(command, capture_output=True, text=True, check=True, env=env)
    summary = next((line for line in completed.stdout.splitlines() if _SUMMARY.search(line)), "")
    match = _SUMMARY.search(summary)
    tools = int(match.group(1)) if match else -1
    kinds = (match.group("kinds") or "none") if match else "?"
    return min(times), max(peaks), tools, kinds


@dataclass(frozen=True)
class Definitions:
    """What a model reads of one API's tools."""

    sizes: tuple[int, ...]
    long_names: int
    undescribed: int
    articles: int = 0
    """Names with `a`, `an` or `the` in them."""
    counters: int = 0
    """Names that end like a counter (`_2`)."""

    def cells(self) -> list[str]:
        ordered = sorted(self.sizes) or [0]
        p95 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]
        over = sum(size > BUDGET for size in self.sizes)
        return [
            f"{sum(self.sizes) / 1024:,.0f} KB", f"{statistics.median(ordered):,.0f} B", f"{p95:,} B",
            f"{max(ordered):,} B", f"{self.long_names:,}", f"{self.articles:,}", f"{self.counters:,}",
            f"{self.undescribed:,}", f"{over:,}",
        ]  # fmt: skip


def measure(tools: list[dict[str, Any]]) -> Definitions:
    sizes, undescribed = [], 0
    for tool in tools:
        shown = {key: tool[key] for key in ("name", "description", "inputSchema") if key in tool}
        sizes.append(len(json.dumps(shown, separators=(",", ":"), ensure_ascii=False).encode()))
        schema = tool.get("inputSchema") or {}
        undescribed += sum(1 for _, sub in schema_properties(schema) if not is_described(sub, schema))
    names = [str(t.get("name", "")).lower().replace("-", "_") for t in tools]
    return Definitions(
        tuple(sizes),
        sum(len(name) > 48 for name in names),
        undescribed,
        sum(not ARTICLES.isdisjoint(name.split("_")) for name in names),
        sum(ends_in_a_counter(name.split("_")) for name in names if name),
    )


def _fastmcp(entry: dict[str, str], run: Runner, env: dict[str, str]) -> tuple[float, float, str]:
    script = str(Path(__file__).resolve().parent / "fastmcp_server.py")
    command = [sys.executable, script, str(CORPUS / entry["entry"]), "http://127.0.0.1:9", "--build-only"]
    seconds, peak, code, stderr = run(command, env, FASTMCP_TIMEOUT)
    if code == -1:
        return seconds, peak, f"did not finish in {FASTMCP_TIMEOUT:.0f} s"
    if code != 0:
        reason = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit {code}"
        return seconds, peak, "no: " + reason.replace("|", "\\|")[:120]
    return seconds, peak, "yes"


def _our_tools(out: Path) -> list[dict[str, Any]]:
    (path,) = (out / "src").glob("*/tools.json")
    return [entry["definition"] for entry in json.loads(path.read_text(encoding="utf-8"))["tools"]]


def _their_tools(entry: dict[str, str], dump: Path, env: dict[str, str]) -> list[dict[str, Any]] | None:
    script = str(Path(__file__).resolve().parent / "fastmcp_server.py")
    command = [sys.executable, script, str(CORPUS / entry["entry"]), "http://127.0.0.1:9", "--dump-tools", str(dump)]
    try:
        completed = subprocess.run(command, capture_output=True, env=env, timeout=FASTMCP_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        return None
    if completed.returncode != 0 or not dump.is_file():
        return None
    tools: list[dict[str, Any]] = json.loads(dump.read_text(encoding="utf-8"))
    return tools


def table(work: Path, run: Runner, env: dict[str, str]) -> list[str]:
    """The Markdown tables, a row per corpus entry (empty when ../shared/corpus is absent)."""
    found = entries()
    if not found:
        return []
    found.append(stress_entry(work))
    found.append(OPENAPI_32)
    definitions = [
        "",
        "## Real specs: what a model reads of each tool (name, description, inputSchema)",
        "",
        "| Spec | Side | Total | Median | p95 | Max | Names > 48 | Names with an article | Names ending in a counter "
        "| Undescribed properties | Tools > 16 KiB | Total vs FastMCP |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    lines = [
        "## Real specs (`../shared/corpus`)",
        "",
        "| Spec | Ops | Tools | Warnings by kind | Our time | Our peak | FastMCP time | FastMCP peak "
        "| FastMCP loads it | Time ratio |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for entry in found:
        ours_time, ours_peak, tools, kinds = _ours(entry, work / "corpus-out", run, env)
        theirs_time, theirs_peak, loads = _fastmcp(entry, run, env)
        ratio = f"{ours_time / theirs_time:.2f}x" if loads == "yes" else "n/a"
        lines.append(
            f"| {_label(entry)} | {int(entry['operations']):,} | {tools:,} | {kinds} | {ours_time:.2f} s | "
            f"{ours_peak:.0f} MB | {theirs_time:.2f} s | {theirs_peak:.0f} MB | {loads} | {ratio} |"
        )
        ours = measure(_our_tools(work / "corpus-out"))
        listed = _their_tools(entry, work / "fastmcp-tools.json", env) if loads == "yes" else None
        theirs = measure(listed) if listed is not None else None
        share = f"{sum(ours.sizes) / sum(theirs.sizes):.2f}x" if theirs is not None and sum(theirs.sizes) else "n/a"
        definitions.append(f"| {_label(entry)} | ours | {' | '.join(ours.cells())} | {share} |")
        if theirs is not None:
            definitions.append(f"| {_label(entry)} | FastMCP | {' | '.join(theirs.cells())} | |")
    return ["", *lines, *definitions]


if __name__ == "__main__":  # the table alone: `python bench/real_specs.py`
    import os
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import run_once

    base = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    with tempfile.TemporaryDirectory() as folder:
        print("\n".join(table(Path(folder), run_once, base)))

"""The benchmark's real-spec table: every `../shared/corpus` entry, generated here and built by FastMCP's
`from_openapi`, in the same run.

Per spec: operations, tools generated, warnings by kind, generation wall time (best of RUNS) and peak memory,
and FastMCP's build time, peak memory and whether it loads the document at all (with its reason when not).
"""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

CORPUS = Path(__file__).resolve().parent.parent.parent / "shared" / "corpus"
RUNS = 2
FASTMCP_TIMEOUT = 180.0
_SUMMARY = re.compile(r": (\d+) tools?, (\d+) warnings?(?: \((?P<kinds>[^)]*)\))?, ")

Runner = Callable[[list[str], dict[str, str] | None, float], tuple[float, float, int, str]]


def entries() -> list[dict[str, str]]:
    listing = CORPUS / "corpus.tsv"
    if not listing.is_file():
        return []
    with listing.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


def _label(entry: dict[str, str]) -> str:
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


def table(work: Path, run: Runner, env: dict[str, str]) -> list[str]:
    """The Markdown table, a row per corpus entry (empty when ../shared/corpus is absent)."""
    found = entries()
    if not found:
        return []
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
    return ["", *lines]


if __name__ == "__main__":  # the table alone: `python bench/real_specs.py`
    import os
    import tempfile

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from run import run_once

    base = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    with tempfile.TemporaryDirectory() as folder:
        print("\n".join(table(Path(folder), run_once, base)))

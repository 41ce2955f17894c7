"""What the published package weighs: its wheel and sdist, and the server's memory once it has answered tools/list,
in each mode (static, hybrid, catalog), and after its first search (which builds the search index). Prints a Markdown
section; `make bench` appends it to bench/RESULTS.md.

    python bench/footprint.py

Memory is read from /proc (Linux): resident set size once tools/list is answered, then once a search_operations
call is answered (modes with search), and the peak until then; the median of RUNS starts per mode.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import raw_stdio  # bench/ is the script's folder, first on the path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "generated" / "procore-mcp"
RUNS = 3
MODES = ("static", "hybrid", "catalog")

_SEARCH = {
    "jsonrpc": "2.0",
    "id": 3,
    "method": "tools/call",
    "params": {"name": "search_operations", "arguments": {"query": "open RFIs on the project"}},
}


def archive_sizes() -> dict[str, int]:
    """Bytes of the wheel and the sdist `python -m build` makes of the published package (offline)."""
    with tempfile.TemporaryDirectory() as folder:
        command = [sys.executable, "-m", "build", "--no-isolation", "--outdir", folder, str(PACKAGE)]
        subprocess.run(command, capture_output=True, check=True, timeout=600)
        (wheel,) = Path(folder).glob("*.whl")
        (sdist,) = Path(folder).glob("*.tar.gz")
        return {"wheel": wheel.stat().st_size, "sdist": sdist.stat().st_size}


def _memory_kb(pid: int) -> tuple[int, int]:
    """Resident and peak resident memory of a running process, in KB."""
    fields = dict(line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines() if ":" in line)
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def memory_after_listing(mode: str) -> tuple[int, int | None, int, int]:
    """Resident KB after tools/list, resident KB after a first search (None in static mode), peak KB, tools listed."""
    env = {
        "PATH": os.environ.get("PATH", ""),
        "PYTHONPATH": str(PACKAGE / "src"),
        "PROCORE_ACCESS_TOKEN": "bench",
        "PROCORE_MODE": mode,
    }
    process = raw_stdio.start([sys.executable, "-m", "procore_mcp"], env)
    try:
        listed = len(raw_stdio.listed_tools(process))
        listing, _ = _memory_kb(process.pid)
        searched = None
        if mode != "static":
            raw_stdio.send(process, _SEARCH)
            raw_stdio.answer(process, 3)
            searched, _ = _memory_kb(process.pid)
        return listing, searched, _memory_kb(process.pid)[1], listed
    finally:
        process.kill()
        process.wait()


def main() -> int:
    sizes = archive_sizes()
    lines = [
        "",
        "## The published package's footprint (`bench/footprint.py`)",
        "",
        f"Wheel {sizes['wheel'] / 1024:,.0f} KB, sdist {sizes['sdist'] / 1024:,.0f} KB. Memory of the server once it "
        f"has answered tools/list over stdio, then a first search (median of {RUNS} starts):",
        "",
        "| Mode | Tools listed | Resident after tools/list | Resident after a first search | Peak |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for mode in MODES:
        runs = [memory_after_listing(mode) for _ in range(RUNS)]
        listing = statistics.median(run[0] for run in runs) / 1024
        searches = [run[1] for run in runs if run[1] is not None]
        searched = f"{statistics.median(searches) / 1024:.1f} MB" if searches else "n/a (no search tool)"
        peak = statistics.median(run[2] for run in runs) / 1024
        lines.append(f"| {mode} | {runs[0][3]:,} | {listing:.1f} MB | {searched} | {peak:.1f} MB |")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""What each piece of performance machinery buys, measured one at a time on the largest specs.

    python bench/machinery.py [repeats]

For generation: the forked validator (`background.py`), the second core building half the tools (`halves.py`)
and the garbage collector switched off during a command (`cli.main`), each turned off alone, in a fresh process
per run (median of `repeats`, 3 by default). For the generated server: `sdk.import_lean`, as the time to import
the server module with and without the SDK's package `__init__`s deferred. Prints a Markdown table.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"

_GENERATE = """
import gc, sys, time
sys.path.insert(0, {root!r})
from pathlib import Path
from generator import halves
from generator.pipeline import Options, generate
spec, config, variant = Path({spec!r}), {config!r}, {variant!r}
if variant == "no second core":
    halves.is_large = lambda operations: False
if variant != "gc on":
    gc.disable()
options = Options(validate_in_background=False) if variant == "no forked validator" else Options()
started = time.perf_counter()
generate(spec, Path(config) if config else None, options)
print(time.perf_counter() - started)
"""
VARIANTS = ("as shipped", "no forked validator", "no second core", "gc on")

_IMPORT = """
import sys, time
sys.path.insert(0, {source!r})
started = time.perf_counter()
if {whole!r}:
    import mcp, mcp.server  # the SDK's package modules run as usual: import_lean then has nothing to defer
import procore_mcp.server
print(time.perf_counter() - started)
"""


def _seconds(code: str) -> float:
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return float(completed.stdout.strip().splitlines()[-1])


def specs() -> list[tuple[str, Path, Path | None]]:
    found: list[tuple[str, Path, Path | None]] = [
        ("procore (662 ops)", ROOT / "specs" / "procore.yaml", ROOT / "specs" / "procore.config.yaml")
    ]
    if SHARED.is_dir():
        found += [
            ("procore catalog (2,636)", SHARED / "specs" / "procore-catalog.json", None),
            ("cloudflare (1,533)", SHARED / "corpus" / "cloudflare" / "openapi.json", None),
            ("kubernetes (1,123)", SHARED / "corpus" / "kubernetes" / "kubernetes" / "swagger.json.unprocessed", None),
            ("stripe (468)", SHARED / "corpus" / "stripe" / "openapi" / "spec3.yaml", None),
        ]
    return found


def main(repeats: int) -> int:
    print("| Spec | " + " | ".join(VARIANTS) + " |")
    print("| --- |" + " ---: |" * len(VARIANTS))
    for name, spec, config in specs():
        cells = []
        for variant in VARIANTS:
            code = _GENERATE.format(root=str(ROOT), spec=str(spec), config=str(config or ""), variant=variant)
            cells.append(f"{statistics.median(_seconds(code) for _ in range(repeats)):.2f} s")
        print(f"| {name} | " + " | ".join(cells) + " |")
    source = str(ROOT / "generated" / "procore-mcp" / "src")
    lean = statistics.median(_seconds(_IMPORT.format(source=source, whole=False)) for _ in range(repeats * 3))
    whole = statistics.median(_seconds(_IMPORT.format(source=source, whole=True)) for _ in range(repeats * 3))
    print(f"\nImporting the server module (what start-up pays before the first tools/list): {lean:.3f} s with")
    print(f"`sdk.import_lean`, {whole:.3f} s with the SDK's package modules loaded whole.")
    return 0


if __name__ == "__main__":
    sys.exit(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3))

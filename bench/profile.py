"""`make profile`: where the time goes, by pyinstrument, in generation and in the generated server's start-up.

Generation is profiled in this process (the critical path; large specs are validated, and the later half of
their tools built, in forked children that this profile does not follow). Start-up is profiled in a real server
process answering initialize and tools/list over stdio. Reports go to the terminal; nothing is written to the project.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from pyinstrument import Profiler

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.pipeline import generate  # noqa: E402
from generator.write import write_tree  # noqa: E402

CATALOG = ROOT.parent / "shared" / "specs" / "procore-catalog.json"
MESSAGES = [
    {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "profile", "version": "1"}}},
    {"jsonrpc": "2.0", "method": "notifications/initialized"},
    {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}},
]  # fmt: skip


def main() -> int:
    if CATALOG.is_file():
        spec, config_text, package = CATALOG, "package_name: procore_catalog_mcp\n", "procore_catalog_mcp"
    else:
        print("../shared is absent: profiling the project's own spec", file=sys.stderr)
        spec, config_text, package = ROOT / "specs" / "procore.yaml", None, "procore_mcp"
    with tempfile.TemporaryDirectory(prefix="profile-") as folder:
        work = Path(folder)
        config = None
        if config_text is not None:
            config = work / "config.yaml"
            config.write_text(config_text, encoding="utf-8")
        else:
            config = ROOT / "specs" / "procore.config.yaml"
        profiler = Profiler(interval=0.001)
        with profiler:
            result = generate(spec, config)
        print(f"== generation of {spec.name} ({len(result.api.tools)} tools), main process ==")
        print(profiler.output_text(unicode=False, color=False))
        write_tree(work / "out", result.files)

        report = work / "startup.txt"
        command = [sys.executable, "-m", "pyinstrument", "--interval", "0.001", "-o", str(report), "-m", package]
        env = {"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(work / "out" / "src"), "PROCORE_ACCESS_TOKEN": "x"}
        stdin = "".join(json.dumps(message) + "\n" for message in MESSAGES)
        subprocess.run(command, input=stdin.encode(), env=env, capture_output=True, timeout=120, check=False)
        print(f"== server start-up to the first tools/list ({package}, static mode; ends when stdin closes) ==")
        print(report.read_text(encoding="utf-8"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

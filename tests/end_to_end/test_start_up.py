"""Start-up of the installed package: the SDK's client and framework and the HTTP stack load only when used.
(The runtime's other pieces are unit-tested where they live: tests/runtime.)"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

_LEAN_IMPORT = """
import sys
import procore_mcp.server
loaded = set(sys.modules)
print("client" if "mcp.client" in loaded else "no-client", "framework" if "mcp.server.mcpserver" in loaded else "no-framework",
      "http" if {"httpx", "procore_mcp.dispatch"} & loaded else "no-http")
from mcp import Client
from mcp.server import MCPServer
import mcp
print(Client.__name__, MCPServer.__name__, mcp.Client is Client)
"""


def test_the_server_starts_without_the_http_stack_or_the_sdks_client_and_framework_yet_both_still_import(
    installed_package: Path,
) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", _LEAN_IMPORT], capture_output=True, text=True, check=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(installed_package)},
    )  # fmt: skip
    assert completed.stdout.split() == ["no-client", "no-framework", "no-http", "Client", "MCPServer", "True"]


def test_an_sdk_imported_first_is_left_as_it_is(installed_package: Path) -> None:
    code = "import mcp, sys\nbefore = sys.modules['mcp']\nimport procore_mcp.server\nprint(sys.modules['mcp'] is before, 'mcp.client' in sys.modules)"
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120,
        env={**os.environ, "PYTHONPATH": str(installed_package)},
    )  # fmt: skip
    assert completed.stdout.split() == ["True", "True"]


_CIRCULAR_SDK = {
    "mcp/__init__.py": "MARK = 'whole'\n",
    "mcp/types.py": "",
    "mcp/server/__init__.py": "helper = 'from the package'\nfrom mcp.server.lowlevel import Server\n",
    "mcp/server/lowlevel/__init__.py": "from mcp.server import helper\n\nclass Server:\n    pass\n",
}


def test_an_sdk_that_needs_its_package_init_is_imported_whole(installed_package: Path, tmp_path: Path) -> None:
    # Deferring `mcp.server` breaks this SDK's import cycle; the server falls back to importing it as usual.
    for name, text in _CIRCULAR_SDK.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    code = (
        "from procore_mcp import sdk\n"
        "sdk.import_lean('mcp.types', 'mcp.server.lowlevel')\n"
        "import mcp, mcp.server.lowlevel as lowlevel\n"
        "print(lowlevel.Server.__name__, mcp.MARK, lowlevel.helper)\n"
    )
    completed = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False, timeout=120,
        env={**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{installed_package}"},
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.split() == ["Server", "whole", "from", "the", "package"]

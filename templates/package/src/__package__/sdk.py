"""Start-up: the parts of the MCP SDK this server uses, without the client and web framework its packages pull in."""

from __future__ import annotations

import importlib
import importlib.util
import sys
from typing import Any

# The package modules whose `__init__` imports the SDK's client and the MCPServer framework (starlette,
# uvicorn, pydantic-settings): a third of start-up, and this server uses neither.
DEFERRED_PACKAGES = ("mcp", "mcp.server")


def _defer(name: str) -> None:
    """Register package `name` with its real spec and path, so its submodules import as usual, but run its
    `__init__` only when a name that module defines is first asked for (`from mcp import Client` still works)."""
    spec = importlib.util.find_spec(name)
    if spec is None or spec.loader is None or spec.submodule_search_locations is None:
        return
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader

    def complete(attribute: str) -> Any:
        del module.__dict__["__getattr__"]
        loader.exec_module(module)
        return getattr(module, attribute)

    module.__dict__["__getattr__"] = complete
    sys.modules[name] = module


def import_lean(*modules: str) -> None:
    """Import these SDK modules with the package modules deferred; does nothing once the SDK is imported.

    Should an SDK version need a package `__init__` while these modules load (a circular import through it,
    say), everything imported so far from `mcp` is dropped and the caller's own imports load the SDK whole."""
    if any(name in sys.modules for name in DEFERRED_PACKAGES):
        return
    for name in DEFERRED_PACKAGES:
        _defer(name)
    try:
        for module in modules:
            importlib.import_module(module)
    except ImportError:
        for name in [name for name in sys.modules if name == "mcp" or name.startswith("mcp.")]:
            del sys.modules[name]

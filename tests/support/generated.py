"""Generate a package into a temporary folder and import its runtime, for tests that drive it in-process."""

from __future__ import annotations

import importlib
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

from generator.config import build_config
from generator.ir_builder import build_api
from generator.load import load_mapping
from generator.operations import all_server_urls
from generator.parse import parse_document
from generator.render import render_package
from generator.write import write_tree


@dataclass
class GeneratedPackage:
    calls: ModuleType
    runtime: dict[str, Any]
    document: dict[str, Any]
    openapi_version: str
    package_name: str


def import_calls(out: Path, package: str) -> ModuleType:
    """The freshly generated package's `calls` module (any earlier import of a package so named forgotten)."""
    return _import_fresh(out, package, "calls")


def _forget(package: str) -> None:
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]


def _import_fresh(out: Path, package: str, module: str) -> ModuleType:
    _forget(package)
    sys.path.insert(0, str(out / "src"))
    importlib.invalidate_caches()  # the folder is new: the path finder must look at it again
    try:
        return importlib.import_module(f"{package}.{module}")
    finally:
        sys.path.remove(str(out / "src"))


def generate_and_import(spec: Path, out: Path, **config: Any) -> GeneratedPackage:
    """Generate from `spec` (config settings as keywords) and import the fresh package's `calls` module."""
    document = load_mapping(spec)
    parsed = parse_document(document, str(spec))
    info = parsed.document.get("info") or {}
    settings = build_config(config, str(info.get("title", "")), all_server_urls(parsed.document), "test")
    api, _ = build_api(parsed, settings, spec.read_bytes())
    write_tree(out, render_package(api, spec.name))
    package = settings.package_name
    calls = import_calls(out, package)
    runtime = json.loads((out / "src" / package / "tools.json").read_text(encoding="utf-8"))
    fresh = parse_document(load_mapping(spec), str(spec))  # the validator gets its own untouched copy
    return GeneratedPackage(calls, runtime, fresh.document, fresh.openapi_version, package)


def assert_imports(out: Path, package: str, cwd: Path) -> dict[str, Any]:
    """The generated server module imports (here, with `cwd` as the working folder, so that anything an import
    ran would leave its traces there; then forgotten again); return its parsed tools.json."""
    before = Path.cwd()
    os.chdir(cwd)
    try:
        _import_fresh(out, package, "server")
    finally:
        os.chdir(before)
        _forget(package)
    runtime: dict[str, Any] = json.loads((out / "src" / package / "tools.json").read_text(encoding="utf-8"))
    return runtime

"""The generated server's runtime imported where it lives (templates/), with fixture data instead of a package.

Each test gets a fresh import of every runtime module as one package whose path is the runtime's folder and
then `tests/fixtures/runtime/` (or a test's own copy of it): the modules come from the first, their data files
(`api.json`, `tools.json`, ...) from the second, since `settings.data_text` looks along the package's path.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from itertools import count
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import ROOT

RUNTIME = ROOT / "templates" / "package" / "src" / "__package__"
DATA = ROOT / "tests" / "fixtures" / "runtime"
_SERIAL = count()


class Runtime:
    """The runtime's modules as one freshly imported package: `runtime.module("calls")`."""

    def __init__(self, data: Path) -> None:
        self.data = data
        self.name = f"runtime_under_test_{next(_SERIAL)}"
        spec = importlib.util.spec_from_file_location(
            self.name, RUNTIME / "__init__.py", submodule_search_locations=[str(RUNTIME), str(data)]
        )
        assert spec is not None and spec.loader is not None
        self.package = importlib.util.module_from_spec(spec)
        sys.modules[self.name] = self.package
        spec.loader.exec_module(self.package)

    dispatcher: Any = None
    """A test's dispatcher, when it made one (tests/runtime/test_dispatch.py)."""

    def module(self, name: str) -> ModuleType:
        return importlib.import_module(f"{self.name}.{name}")

    def forget(self) -> None:
        for name in [m for m in sys.modules if m == self.name or m.startswith(self.name + ".")]:
            del sys.modules[name]


@pytest.fixture
def load_runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[[Path], Runtime]]:
    """Import the runtime over a folder of data; compiled files are not written into templates/."""
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    for name in [n for n in os.environ if n.startswith("WIDGETS_")]:
        monkeypatch.delenv(name)
    loaded: list[Runtime] = []

    def load(data: Path = DATA) -> Runtime:
        loaded.append(Runtime(data))
        return loaded[-1]

    yield load
    for runtime in loaded:
        runtime.forget()


@pytest.fixture
def runtime(load_runtime: Callable[[Path], Runtime]) -> Runtime:
    """The runtime over the fixture API (three widget tools, bearer auth, settings prefixed `WIDGETS_`)."""
    return load_runtime(DATA)


@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    """A copy of the fixture data that a test may change."""
    target = tmp_path / "data"
    shutil.copytree(DATA, target)
    return target

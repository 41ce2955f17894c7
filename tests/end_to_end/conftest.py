"""Fixtures for end-to-end tests: the generated package installed once, and a fake Procore per test."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import GENERATED
from tests.support.fake_procore import FakeProcore, running_fake_procore


@pytest.fixture(scope="session")
def installed_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`pip install` the committed generated package into a private folder, as a user would."""
    target = tmp_path_factory.mktemp("installed")
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
        "--target", str(target), str(GENERATED),
    ]  # fmt: skip
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr
    return target


@pytest.fixture
def fake_procore() -> Iterator[FakeProcore]:
    with running_fake_procore() as fake:
        yield fake


def server_environment(installed: Path, fake: FakeProcore, **extra: str) -> dict[str, str]:
    """The environment the server process gets: only the installed package on the path, hosts on the fake."""
    environment = {
        "PYTHONPATH": str(installed),
        "PROCORE_BASE_URL": fake.url,
        "PROCORE_LOGIN_URL": fake.url,
        "PATH": os.environ.get("PATH", ""),
    }
    environment.update(extra)
    return environment

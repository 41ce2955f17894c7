"""The generated package as a user gets it: a wheel (and sdist) built from generated/procore-mcp/, installed
with its dependencies from PyPI into a clean virtual environment, started through its console script by the
official MCP client, and called against the fake Procore. Nothing here may depend on the repository."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path
from typing import Any

import anyio
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from tests.conftest import GENERATED, HYBRID_LISTED, ROOT
from tests.end_to_end.conftest import SEEN_TEXT, with_client_credentials
from tests.support.fake_procore import CLIENT_SECRET, FakeProcore

pytestmark = pytest.mark.slow

INSTALL_TIMEOUT = 900  # seconds: mcp, httpx and their dependencies come from PyPI


def _package_version() -> str:
    import tomllib

    from tests.conftest import GENERATED

    return str(tomllib.loads((GENERATED / "pyproject.toml").read_text())["project"]["version"])


def _build(outdir: Path) -> tuple[Path, Path]:
    """`make dist`, into a temporary folder: an sdist and a wheel, offline, with this venv's hatchling."""
    command = [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(outdir), str(GENERATED)]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    (sdist,) = outdir.glob("*.tar.gz")
    (wheel,) = outdir.glob("*.whl")
    return sdist, wheel


def _clean_venv(folder: Path, wheel: Path) -> Path:
    """A new virtual environment without system site packages, with the wheel pip-installed into it (by this
    environment's pip, pointed at it: seeding the new one with its own pip would add seconds and prove nothing)."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True, timeout=300)
    config = (folder / "pyvenv.cfg").read_text(encoding="utf-8")
    assert "include-system-site-packages = false" in config
    python = folder / "bin" / "python"
    environment = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "VIRTUAL_ENV")}
    completed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet", str(wheel)],
        env=environment, cwd=folder, capture_output=True, text=True, timeout=INSTALL_TIMEOUT, check=False,
    )  # fmt: skip
    assert completed.returncode == 0, f"pip install of the wheel failed:\n{completed.stdout}\n{completed.stderr}"
    return folder


def _environment(folder: Path, fake: FakeProcore) -> dict[str, str]:
    """What a user's MCP client config would set: the hosts, credentials and a token file; no PYTHONPATH."""
    return {
        "PATH": f"{folder / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOME": str(folder),
        "PROCORE_BASE_URL": fake.url,
        "PROCORE_LOGIN_URL": fake.url,
        "PROCORE_TOKEN_FILE": str(folder / "tokens.json"),
        **with_client_credentials(),
    }


def test_wheel_installs_into_a_clean_venv_and_serves_over_stdio(tmp_path: Path, fake_procore: FakeProcore) -> None:
    sdist, wheel = _build(tmp_path / "dist")
    with tarfile.open(sdist) as archive:
        names = {Path(name).relative_to(Path(name).parts[0]).as_posix() for name in archive.getnames() if "/" in name}
    assert {"LICENSE", "TOOLS.md", "README.md", "pyproject.toml", "src/procore_mcp/doctor.py"} <= names
    with zipfile.ZipFile(wheel) as archive:
        members = set(archive.namelist())
    assert "procore_mcp/tools.json" in members and "procore_mcp/doctor.py" in members
    assert any(name.endswith(".dist-info/licenses/LICENSE") for name in members)

    venv = _clean_venv(tmp_path / "venv", wheel)
    environment = _environment(venv, fake_procore)
    located = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import procore_mcp, mcp, httpx; print(procore_mcp.__file__)"],
        env=environment, cwd=tmp_path, capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    assert Path(located.stdout.strip()).is_relative_to(venv), located.stdout
    assert not Path(located.stdout.strip()).is_relative_to(ROOT)

    script = venv / "bin" / "procore-mcp"
    version = subprocess.run([str(script), "--version"], env=environment, capture_output=True, text=True, timeout=60)
    assert (version.returncode, version.stdout) == (0, f"procore-mcp {_package_version()}\n")
    doctor = subprocess.run([str(script), "doctor"], env=environment, capture_output=True, text=True, timeout=60)
    SEEN_TEXT.append(doctor.stdout + doctor.stderr)
    assert doctor.returncode == 0, doctor.stdout + doctor.stderr
    assert CLIENT_SECRET not in doctor.stdout + doctor.stderr

    params = StdioServerParameters(command=str(script), env=environment, cwd=str(tmp_path))

    async def session() -> tuple[Any, Any]:
        async with Client(params) as client:
            listed = await client.list_tools()
            called = await client.call_tool("show_signed_in_user", {})
            return listed, called

    listed, called = anyio.run(session)
    SEEN_TEXT.append(called.model_dump_json())
    assert len(listed.tools) == HYBRID_LISTED
    assert called.is_error is False, called.content
    assert called.structured_content == {"id": 42, "login": "pat@example.com", "name": "Pat Builder"}
    sent = fake_procore.state.requests[-1]
    assert (sent.method, sent.path) == ("GET", "/rest/v1.0/me")
    assert sent.headers["Authorization"] == f"Bearer {fake_procore.state.issued_tokens[-1]}"

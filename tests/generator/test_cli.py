"""The command line as a user meets it: exit codes, one-line errors, nothing written on failure."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import main
from tests.conftest import FEATURES, ROOT, minimal_spec, spec_with_a_quirk, write_spec


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args], capture_output=True, text=True, cwd=ROOT, check=False
    )


def test_generate_and_check(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "pkg"
    assert main(["generate", "--spec", str(FEATURES), "--out", str(out)]) == 0
    assert main(["generate", "--spec", str(FEATURES), "--out", str(out), "--check"]) == 0
    (out / "README.md").write_text("edited by hand\n")
    (out / "extra.txt").write_text("stale\n")
    assert main(["generate", "--spec", str(FEATURES), "--out", str(out), "--check"]) == 1
    err = capsys.readouterr().err
    assert f"{out}: stale: extra.txt" in err
    assert f"{out}: differs: README.md" in err
    assert "run the same command without --check" in err
    assert (out / "README.md").read_text() == "edited by hand\n"


def test_without_config_names_come_from_the_title(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, minimal_spec())
    assert main(["generate", "--spec", str(spec), "--out", str(tmp_path / "out")]) == 0
    assert (tmp_path / "out" / "src" / "example_mcp" / "server.py").is_file()


BAD_SPECS = {
    "invalid-yaml": ("spec.yaml", "openapi: 3.0.3\ninfo: {title: [x\n"),
    "invalid-json": ("spec.json", '{"openapi": "3.0.3",}'),
    "not-openapi": ("spec.yaml", "hello: world\n"),
    "unsupported-version": ("spec.yaml", "openapi: 2.5.0\ninfo: {title: x, version: '1'}\npaths: {}\n"),
    "invalid-openapi": (
        "spec.yaml",
        "openapi: 3.0.3\ninfo: {title: x, version: '1'}\npaths: {}\ncomponents: {securitySchemes: {k: {in: header}}}\n",
    ),
}


@pytest.mark.parametrize("kind", sorted(BAD_SPECS))
def test_bad_input_exits_2_with_one_clear_line_and_touches_nothing(tmp_path: Path, kind: str) -> None:
    name, text = BAD_SPECS[kind]
    spec = tmp_path / name
    spec.write_text(text)
    out = tmp_path / "out"
    out.mkdir()
    (out / "provenance.json").write_text("previous run\n")
    completed = _run("generate", "--spec", str(spec), "--out", str(out))
    assert completed.returncode == 2
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1, completed.stderr
    assert lines[0].startswith(f"{spec}") and lines[0].endswith(f"[{kind}]")
    assert "Traceback" not in completed.stderr
    assert [p.name for p in out.iterdir()] == ["provenance.json"]
    assert (out / "provenance.json").read_text() == "previous run\n"


def test_missing_spec_file(tmp_path: Path) -> None:
    completed = _run("generate", "--spec", str(tmp_path / "absent.yaml"), "--out", str(tmp_path / "out"))
    assert completed.returncode == 2
    assert completed.stderr.strip() == f"{tmp_path / 'absent.yaml'}: error: file not found [file-not-found]"
    assert not (tmp_path / "out").exists()


def test_bad_config(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("package_name: Not-Valid\n")
    completed = _run("generate", "--spec", str(FEATURES), "--config", str(config), "--out", str(tmp_path / "out"))
    assert completed.returncode == 2
    assert "`package_name` 'Not-Valid' must match" in completed.stderr
    assert "Traceback" not in completed.stderr


def test_warnings_are_printed_with_a_summary(tmp_path: Path) -> None:
    spec = spec_with_a_quirk(tmp_path)
    completed = _run("generate", "--spec", str(spec), "--out", str(tmp_path / "out"))
    assert completed.returncode == 0
    assert "warning: empty `required` list removed" in completed.stderr
    assert "warnings by kind: empty-required: 1" in completed.stderr
    strict = _run("generate", "--spec", str(spec), "--out", str(tmp_path / "strict"), "--strict")
    assert strict.returncode == 2
    assert not (tmp_path / "strict").exists()

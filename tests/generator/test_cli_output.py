"""What a `generate` run prints: the summary line, --quiet, the progress line for large specs, and --help."""

from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from generator.background import LARGE_DOCUMENT
from generator.cli import StageProgress, _parser, main, summary_line
from generator.pipeline import Generation, generate
from tests.conftest import FEATURES, OPERATIONS, ROOT, minimal_spec, spec_with_a_quirk, write_spec

SUMMARY = re.compile(
    r"^(?P<out>.+): (?P<tools>\d+) tools, (?P<warnings>.+), (?P<files>\d+) files written in \d+\.\d\d s$"
)


def _run(*args: str, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args], capture_output=True, text=True, cwd=ROOT, check=False, **kwargs
    )


def _large_spec(folder: Path, operations: int = LARGE_DOCUMENT) -> Path:
    paths = {
        f"/things{index}": {
            "get": {
                "operationId": f"listThings{index}",
                "summary": f"List things of kind {index}",
                "responses": {"200": {"description": "ok"}},
            }
        }
        for index in range(operations)
    }
    return write_spec(folder, minimal_spec(**paths))


SPEC_WARNINGS = (
    "199 warnings (enum-type-mismatch: 25, format-spelling: 56, renamed-property: 20, undeclared-required-property: 1, "
    "unknown-format: 97)"
)
"""The Procore spec's warnings: 20 calls take a name (`project_id`) in both the query and the body (2 of them
hand-written); the rest are the catalog's own quirks in the long tail's facts (`datetime` formats, null in string
enums, hints such as `decimal`), repaired or kept as hints."""


def test_summary_line_counts_tools_warnings_files_and_seconds_and_check_says_up_to_date(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "out"
    expected = generate(FEATURES)  # what the run must count (nine operations: quick)
    command = ["generate", "--spec", str(FEATURES), "--out", str(out)]
    assert main(command) == 0
    stdout = capsys.readouterr().out.strip().splitlines()
    assert len(stdout) == 1
    match = SUMMARY.match(stdout[0])
    assert match, stdout
    assert match["out"] == str(out)
    assert match["tools"] == str(len(expected.api.tools))
    assert match["warnings"].startswith(f"{len(expected.diagnostics)} warning")
    assert int(match["files"]) == sum(1 for path in out.rglob("*") if path.is_file()) == len(expected.files)
    assert main([*command, "--check"]) == 0
    counts = f"{match['tools']} tools, {match['warnings']}"
    assert re.fullmatch(
        rf"{re.escape(str(out))}: up to date: {re.escape(counts)}, \d+ files compared in \S+ s\n",
        capsys.readouterr().out,
    )


def test_the_procore_run_counts_every_tool_and_its_warnings_by_kind(procore: Generation) -> None:
    """What `make generate` prints for the Procore spec (the shared generation, read the way the CLI reads it)."""
    line = summary_line(len(procore.api.tools), procore.diagnostics, len(procore.files), "written", 1.0)
    assert line == f"{OPERATIONS} tools, {SPEC_WARNINGS}, {len(procore.files)} files written in 1.00 s"


def test_summary_line_names_the_warnings_by_kind(tmp_path: Path) -> None:
    spec = spec_with_a_quirk(tmp_path)
    completed = _run("generate", "--spec", str(spec), "--out", str(tmp_path / "out"))
    assert completed.returncode == 0
    assert ", 1 warning (empty-required: 1), " in completed.stdout
    assert "1 tool, " in completed.stdout


def test_quiet_prints_errors_only(tmp_path: Path) -> None:
    document = minimal_spec()
    document["paths"]["/things"]["get"]["responses"]["200"]["content"] = {
        "application/json": {"schema": {"type": "object", "required": []}}
    }
    spec = write_spec(tmp_path, document)
    quiet = _run("generate", "--spec", str(spec), "--out", str(tmp_path / "out"), "--quiet")
    assert quiet.returncode == 0
    assert (quiet.stdout, quiet.stderr) == ("", "")
    failing = _run("generate", "--spec", str(tmp_path / "absent.yaml"), "--out", str(tmp_path / "x"), "--quiet")
    assert failing.returncode == 2
    assert failing.stdout == "" and "file not found" in failing.stderr


def test_progress_stays_silent_when_stderr_is_not_a_terminal(tmp_path: Path) -> None:
    spec = _large_spec(tmp_path)
    completed = _run("generate", "--spec", str(spec), "--out", str(tmp_path / "out"))
    assert completed.returncode == 0, completed.stderr
    assert completed.stderr == ""
    assert f"{LARGE_DOCUMENT} tools" in completed.stdout
    assert "\r" not in completed.stdout


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_shows_only_above_the_threshold_and_only_on_a_terminal() -> None:
    small, large, piped, quiet = _Terminal(), _Terminal(), io.StringIO(), _Terminal()
    for stream, operations, enabled in ((small, LARGE_DOCUMENT - 1, True), (large, LARGE_DOCUMENT, True),
                                        (piped, 5000, True), (quiet, 5000, False)):  # fmt: skip
        progress = StageProgress(stream, enabled=enabled)
        progress("building", operations)
        progress("rendering", 0)
        progress.finish()
    assert small.getvalue() == piped.getvalue() == quiet.getvalue() == ""
    text = large.getvalue()
    assert f"building ({LARGE_DOCUMENT:,} operations)" in text
    assert "rendering" in text
    assert text.endswith("\r\x1b[K")  # the line is cleared before the summary


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_appears_on_a_terminal(tmp_path: Path) -> None:
    import pty

    spec = _large_spec(tmp_path)
    leader, follower = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:  # read as it comes, so a slow run never fills the terminal's buffer
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        process = subprocess.Popen(
            [sys.executable, "-m", "generator", "generate", "--spec", str(spec), "--out", str(tmp_path / "out")],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=follower, text=True,
        )  # fmt: skip
        os.close(follower)
        stdout, _ = process.communicate(timeout=120)
        reader.join(timeout=10)
    finally:
        os.close(leader)
    assert process.returncode == 0
    shown = b"".join(chunks).decode()
    assert f"({LARGE_DOCUMENT:,} operations)" in shown
    assert f"{LARGE_DOCUMENT} tools" in stdout


def test_help_explains_every_option_and_the_exit_codes() -> None:
    top = _run("--help")
    assert top.returncode == 0
    for text in ("generate", "lint", "exit codes:", "0  ok", "1  --check found differences", "2  bad input"):
        assert text in top.stdout
    generate = _run("generate", "--help").stdout
    for option in ("--spec", "--out", "--config", "--check", "--strict", "--mode", "--allow-remote-refs",
                   "--allow-outside-refs", "--templates", "--quiet", "exit codes:"):  # fmt: skip
        assert option in generate
    lint = _run("lint", "--help").stdout
    for option in ("--spec", "--config", "--max-description", "--worst", "--templates", "exit codes:"):
        assert option in lint
    # Every option of every command has its own help text.
    parser = _parser()
    commands = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    for command in (parser, *commands.choices.values()):
        for action in command._actions:
            assert action.help, (command.prog, action.option_strings)


def test_a_large_static_api_gets_a_note_about_catalog_mode(tmp_path: Path) -> None:
    spec = _large_spec(tmp_path)
    static = _run("generate", "--spec", str(spec), "--out", str(tmp_path / "static"))
    assert static.returncode == 0
    lines = static.stdout.strip().splitlines()
    assert len(lines) == 2 and SUMMARY.match(lines[0])
    assert lines[1].startswith(f"{tmp_path / 'static'}: note: {LARGE_DOCUMENT} tools listed one by one")
    assert "the server's EXAMPLE_MODE setting" in lines[1]
    catalog = _run("generate", "--spec", str(spec), "--out", str(tmp_path / "catalog"), "--mode", "catalog")
    assert catalog.returncode == 0 and "note:" not in catalog.stdout
    quiet = _run("generate", "--spec", str(spec), "--out", str(tmp_path / "quiet"), "--quiet")
    assert quiet.stdout == ""

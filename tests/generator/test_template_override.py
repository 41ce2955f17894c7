"""`--templates DIR`: a user's folder of templates overrides any built-in one; the rest fall back.

On a small spec of this project's own (the rules do not depend on the API's size)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from generator.cli import main
from generator.pipeline import Options, generate
from generator.templating import builtin_templates_dir, environment
from tests.conftest import ROOT, minimal_spec, write_spec

BUILTIN = builtin_templates_dir()
SPEC = ROOT / "tests" / "fixtures" / "specs" / "features.yaml"
CONFIG = None
PACKAGE = "feature_fixture_mcp"


def _override(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return folder


def _descriptions(files: dict[str, str], package: str) -> list[str]:
    runtime = json.loads(files[f"src/{package}/tools.json"])
    return [entry["definition"]["description"] for entry in runtime["tools"]]


def test_overriding_the_description_template_changes_every_tool(tmp_path: Path) -> None:
    builtin = (BUILTIN / "tool" / "description.md.jinja").read_text(encoding="utf-8")
    folder = _override(tmp_path / "mine", "tool/description.md.jinja", builtin + "\nReviewed by the platform team.\n")
    plain = generate(SPEC, CONFIG)
    custom = generate(SPEC, CONFIG, Options(templates=folder))
    assert all(text.endswith("Reviewed by the platform team.") for text in _descriptions(custom.files, PACKAGE))
    assert not any("platform team" in text for text in _descriptions(plain.files, PACKAGE))
    # Everything else came from the built-in templates: same files, same server code.
    assert custom.files.keys() == plain.files.keys()
    assert custom.files[f"src/{PACKAGE}/server.py"] == plain.files[f"src/{PACKAGE}/server.py"]


def test_overriding_a_package_template_replaces_that_file_only(tmp_path: Path) -> None:
    folder = _override(tmp_path / "mine", "package/README.md.jinja", "# {{ config.distribution_name }}, our way\n")
    plain = generate(SPEC, CONFIG)
    custom = generate(SPEC, CONFIG, Options(templates=folder))
    assert custom.files["README.md"] == "# feature-fixture-mcp, our way\n"
    assert {k: v for k, v in custom.files.items() if k != "README.md"} == {
        k: v for k, v in plain.files.items() if k != "README.md"
    }


def test_a_new_package_template_adds_a_file(tmp_path: Path) -> None:
    folder = _override(tmp_path / "mine", "package/SECURITY.md.jinja", "Report issues to {{ config.server_name }}.\n")
    files = generate(SPEC, CONFIG, Options(templates=folder)).files
    assert files["SECURITY.md"] == "Report issues to feature-fixture-mcp.\n"


def test_an_empty_override_folder_changes_nothing(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    assert generate(SPEC, CONFIG, Options(templates=tmp_path / "empty")).files == generate(SPEC, CONFIG).files


def test_environment_is_cached_per_override_folder(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert environment() is environment()
    assert environment(override=tmp_path / "a") is environment(override=tmp_path / "a")
    assert environment(override=tmp_path / "a") is not environment(override=tmp_path / "b")
    assert environment(override=tmp_path / "a") is not environment()


def test_cli_generate_with_templates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    folder = _override(tmp_path / "mine", "package/README.md.jinja", "custom readme\n")
    out = tmp_path / "out"
    command = ["generate", "--spec", str(SPEC), "--out", str(out), "--templates", str(folder)]
    assert main(command[:-2]) == 0  # the package as the built-in templates make it
    capsys.readouterr()
    assert main([*command, "--check"]) == 1  # with the override, README.md would change
    assert "differs: README.md" in capsys.readouterr().err
    assert main(command) == 0
    assert (out / "README.md").read_text(encoding="utf-8") == "custom readme\n"
    assert (out / "TOOLS.md").is_file()  # not overridden: the built-in one
    assert main([*command, "--check"]) == 0


def test_cli_lint_with_templates(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    spec = write_spec(tmp_path, minimal_spec())
    builtin = (BUILTIN / "tool" / "description.md.jinja").read_text(encoding="utf-8")
    folder = _override(tmp_path / "mine", "tool/description.md.jinja", builtin + "\nSee <b>the docs</b>.\n")
    assert main(["lint", "--spec", str(spec)]) == 0
    capsys.readouterr()
    assert main(["lint", "--spec", str(spec), "--templates", str(folder)]) == 1  # markup: the quality gate objects


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "generator", *args], capture_output=True, text=True, cwd=ROOT, check=False
    )


def test_a_missing_templates_folder_is_bad_input(tmp_path: Path) -> None:
    completed = _run(
        "generate", "--spec", str(SPEC), "--out", str(tmp_path / "out"), "--templates", str(tmp_path / "nope")
    )
    assert completed.returncode == 2
    assert (
        completed.stderr.strip()
        == f"{tmp_path / 'nope'}: error: the templates folder does not exist (--templates) [templates]"
    )
    assert not (tmp_path / "out").exists()


def test_a_broken_override_is_bad_input_with_file_and_line(tmp_path: Path) -> None:
    folder = _override(tmp_path / "mine", "package/README.md.jinja", "line one\n{% if %}\n")
    completed = _run("generate", "--spec", str(SPEC), "--out", str(tmp_path / "out"), "--templates", str(folder))
    assert completed.returncode == 2, completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in completed.stderr
    assert lines[0].startswith(f"{folder / 'package' / 'README.md.jinja'}:2: error:")
    assert lines[0].endswith("[template]")
    assert not (tmp_path / "out").exists()


def test_an_undefined_name_in_an_override_is_bad_input(tmp_path: Path) -> None:
    folder = _override(tmp_path / "mine", "tool/description.md.jinja", "{{ summary }}\n\n{{ no_such_name }}\n")
    completed = _run("generate", "--spec", str(SPEC), "--out", str(tmp_path / "out"), "--templates", str(folder))
    assert completed.returncode == 2, completed.stderr
    assert "'no_such_name' is undefined" in completed.stderr
    assert completed.stderr.strip().endswith("[template]")
    assert "Traceback" not in completed.stderr


RUNTIME = BUILTIN / "package" / "src" / "__package__"


def test_runtime_modules_are_copied_as_they_are_under_the_banner() -> None:
    files = generate(SPEC, CONFIG).files
    modules = sorted(path.name for path in RUNTIME.glob("*.py"))
    assert "server.py" in modules and not list(BUILTIN.rglob("*.py.jinja"))
    for name in modules:
        banner, _, rest = files[f"src/{PACKAGE}/{name}"].partition("\n")
        assert banner.startswith("# Generated by openapi-mcp-gen from features.yaml. Do not edit")
        assert rest == (RUNTIME / name).read_text(encoding="utf-8")


def test_a_runtime_module_can_be_overridden_plain_or_as_a_template(tmp_path: Path) -> None:
    plain = generate(SPEC, CONFIG).files
    folder = _override(tmp_path / "mine", "package/src/__package__/sending.py", '"""Our own sending."""\n')
    assert (
        generate(SPEC, CONFIG, Options(templates=folder))
        .files[f"src/{PACKAGE}/sending.py"]
        .endswith('\n"""Our own sending."""\n')
    )
    # A template of the same name in the user's folder wins over their plain file, and renders.
    _override(folder, "package/src/__package__/sending.py.jinja", "# for {{ config.package_name }}\n")
    custom = generate(SPEC, CONFIG, Options(templates=folder)).files
    assert custom[f"src/{PACKAGE}/sending.py"] == f"# for {PACKAGE}\n"
    assert {k: v for k, v in custom.items() if k != f"src/{PACKAGE}/sending.py"} == {
        k: v for k, v in plain.items() if k != f"src/{PACKAGE}/sending.py"
    }


def test_compiled_python_beside_the_templates_is_never_copied(tmp_path: Path) -> None:
    folder = _override(tmp_path / "mine", "package/src/__package__/__pycache__/server.cpython-311.pyc", "junk")
    _override(folder, "package/src/__package__/stale.pyc", "junk")
    files = generate(SPEC, CONFIG, Options(templates=folder)).files
    assert not [path for path in files if "__pycache__" in path or path.endswith(".pyc")]


def test_a_banner_override_without_its_hash_macro_is_bad_input(tmp_path: Path) -> None:
    macros = "{% macro text(spec_name) %}x{% endmacro %}{% macro html(spec_name) %}<!-- x -->{% endmacro %}\n"
    folder = _override(tmp_path / "mine", "common/banner.jinja", macros)
    completed = _run("generate", "--spec", str(SPEC), "--out", str(tmp_path / "out"), "--templates", str(folder))
    assert completed.returncode == 2, completed.stderr
    assert "`hash`" in completed.stderr or "'hash'" in completed.stderr  # the first file that needs it says so
    assert "Traceback" not in completed.stderr
    assert completed.stderr.strip().endswith("[template]")
    assert not (tmp_path / "out").exists()

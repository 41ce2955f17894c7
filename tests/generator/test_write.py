"""Stage 5: atomic writes, stale files removed, `--check` comparison, refusal to clobber foreign folders."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.diagnostics import GenerationError
from generator.write import compare_tree, existing_files, write_tree

FILES = {"provenance.json": "{}\n", "src/pkg/a.py": "A = 1\n"}


def test_write_then_compare(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, FILES)
    assert existing_files(out) == {"provenance.json": b"{}\n", "src/pkg/a.py": b"A = 1\n"}
    assert not compare_tree(out, FILES)


def test_stale_files_are_removed_and_differences_listed(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, {**FILES, "old.txt": "x"})
    difference = compare_tree(out, {**FILES, "src/pkg/a.py": "A = 2\n", "new.txt": "y"})
    assert difference.lines() == ["missing: new.txt", "stale: old.txt", "differs: src/pkg/a.py"]
    write_tree(out, FILES)
    assert sorted(existing_files(out)) == ["provenance.json", "src/pkg/a.py"]
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_caches_are_ignored_by_check(tmp_path: Path) -> None:
    out = tmp_path / "out"
    write_tree(out, FILES)
    (out / "src" / "pkg" / "__pycache__").mkdir()
    (out / "src" / "pkg" / "__pycache__" / "a.pyc").write_bytes(b"\0")
    assert not compare_tree(out, FILES)


def test_refuses_to_replace_a_folder_it_did_not_write(tmp_path: Path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(GenerationError) as caught:
        write_tree(tmp_path, FILES)
    assert caught.value.diagnostics[0].kind == "foreign-output"
    assert (tmp_path / "precious.txt").read_text() == "keep me"


def test_refuses_paths_outside_the_folder(tmp_path: Path) -> None:
    with pytest.raises(GenerationError):
        write_tree(tmp_path / "out", {"../escape.txt": "x"})
    assert not (tmp_path / "escape.txt").exists()


def test_failure_midway_leaves_the_old_tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out = tmp_path / "out"
    write_tree(out, FILES)

    def broken_replace(src: object, dst: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("generator.write.os.replace", broken_replace)
    with pytest.raises(GenerationError) as caught:
        write_tree(out, {"provenance.json": "{}\n", "other.py": ""})
    assert "No space left on device" in caught.value.diagnostics[0].message
    monkeypatch.undo()
    assert existing_files(out) == {"provenance.json": b"{}\n", "src/pkg/a.py": b"A = 1\n"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]

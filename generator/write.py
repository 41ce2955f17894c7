"""Stage 5, write: put rendered files on disk atomically, remove stale ones, or compare them (`--check`)."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from generator.diagnostics import Diagnostic, GenerationError


@dataclass(frozen=True)
class TreeDifference:
    """How a directory differs from what would be generated."""

    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.added or self.removed or self.changed)

    def lines(self) -> list[str]:
        return (
            [f"missing: {p}" for p in self.added]
            + [f"stale: {p}" for p in self.removed]
            + [f"differs: {p}" for p in self.changed]
        )


def existing_files(root: Path) -> dict[str, bytes]:
    """Every file below `root` (caches and build leftovers aside), by POSIX relative path."""
    if not root.is_dir():
        return {}
    skipped = {"__pycache__", ".pytest_cache", "build", "dist"}
    found: dict[str, bytes] = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.is_file() and not skipped.intersection(relative.parts) and not relative.parts[0].endswith(".egg-info"):
            found[relative.as_posix()] = path.read_bytes()
    return found


def compare_tree(root: Path, files: dict[str, str]) -> TreeDifference:
    """What `write_tree` would change, without writing anything."""
    current = existing_files(root)
    wanted = {path: text.encode("utf-8") for path, text in files.items()}
    return TreeDifference(
        added=tuple(sorted(set(wanted) - set(current))),
        removed=tuple(sorted(set(current) - set(wanted))),
        changed=tuple(sorted(p for p in set(wanted) & set(current) if wanted[p] != current[p])),
    )


def _check_paths(files: dict[str, str]) -> None:
    for relative in files:
        parts = Path(relative).parts
        if Path(relative).is_absolute() or ".." in parts or not parts:
            raise GenerationError([Diagnostic("error", "bad-output-path", f"refusing to write {relative!r}", relative)])


PROVENANCE_FILE = "provenance.json"


def _check_replaceable(root: Path) -> None:
    """Only an empty folder or one this generator wrote (it has a provenance file) may be replaced."""
    if root.exists() and not root.is_dir():
        raise GenerationError([Diagnostic("error", "not-a-directory", "output exists and is not a folder", str(root))])
    if root.is_dir() and any(root.iterdir()) and not (root / PROVENANCE_FILE).is_file():
        message = (
            f"refusing to replace a folder this generator did not write (no {PROVENANCE_FILE}); pick another --out"
        )
        raise GenerationError([Diagnostic("error", "foreign-output", message, str(root))])


def write_tree(root: Path, files: dict[str, str]) -> None:
    """Replace `root` with exactly `files`: built in a sibling temporary directory, then swapped in.

    If anything fails before the swap, `root` is left as it was.
    """
    _check_paths(files)
    root = root.resolve()
    _check_replaceable(root)
    try:
        root.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{root.name}.new-", dir=root.parent))
    except OSError as exc:
        raise GenerationError([Diagnostic("error", "unwritable", f"cannot write: {exc.strerror}", str(root))]) from None
    backup = root.parent / f".{root.name}.old"
    try:
        for relative, text in sorted(files.items()):
            target = staging / relative
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        if backup.exists():
            shutil.rmtree(backup)
        if root.exists():
            os.replace(root, backup)
        os.replace(staging, root)
    except OSError as exc:
        shutil.rmtree(staging, ignore_errors=True)
        if backup.exists() and not root.exists():
            os.replace(backup, root)
        raise GenerationError([Diagnostic("error", "unwritable", f"cannot write: {exc.strerror}", str(root))]) from None
    shutil.rmtree(backup, ignore_errors=True)

"""The committed `generated/` is exactly what the spec and templates produce, byte for byte, every time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from generator.pipeline import Generation, generate
from generator.write import compare_tree, existing_files
from tests.conftest import CONFIG, GENERATED, ROOT, SPEC

UPDATE = "run `make generate`, read the diff of generated/, and commit it"


def test_generated_folder_matches_a_fresh_generation(procore: Generation) -> None:
    difference = compare_tree(GENERATED, procore.files)
    assert not difference, f"generated/ is out of date ({'; '.join(difference.lines())}): {UPDATE}"


def test_every_generated_file_starts_with_the_banner(procore: Generation) -> None:
    for path, text in procore.files.items():
        assert any("Do not edit" in line for line in text.splitlines()[:4]), path


def test_generated_python_compiles(procore: Generation) -> None:
    for path, text in procore.files.items():
        if path.endswith(".py"):
            compile(text, path, "exec")


def _generate_in_subprocess(out: Path, seed: str) -> dict[str, bytes]:
    environment = {**os.environ, "PYTHONHASHSEED": seed}
    command = [sys.executable, "-m", "generator", "generate", "--spec", str(SPEC), "--config", str(CONFIG)]
    completed = subprocess.run(
        [*command, "--out", str(out), "--quiet"], env=environment, cwd=ROOT, capture_output=True, text=True, check=False
    )
    assert completed.returncode == 0, completed.stderr
    return existing_files(out)


def test_byte_identical_under_another_hash_seed(tmp_path: Path, procore: Generation) -> None:
    """A fresh process with a fixed hash seed writes what this process (its own seed) made, byte for byte."""
    seed = "0" if os.environ.get("PYTHONHASHSEED") == "4242" else "4242"
    written = _generate_in_subprocess(tmp_path / "out", seed)
    assert written == {path: text.encode() for path, text in procore.files.items()}


def test_repeated_generation_is_identical(procore: Generation) -> None:
    assert generate(SPEC, CONFIG).files == procore.files


def test_provenance_records_spec_hash_and_version(procore: Generation) -> None:
    import hashlib
    import json

    from generator import __version__

    provenance = json.loads(procore.files["provenance.json"])
    assert provenance["specSha256"] == hashlib.sha256(SPEC.read_bytes()).hexdigest()
    assert provenance["generatorVersion"] == __version__
    assert str(ROOT) not in json.dumps(provenance)

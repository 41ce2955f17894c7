"""One SHA-256 per generated package (Procore, the catalog, every corpus spec, the project's own fixtures): run it
before and after a change that must not change any output, and compare the two listings.

    python bench/output_digests.py > before.txt   # on the old commit
    python bench/output_digests.py > after.txt    # on the new one
    diff before.txt after.txt                     # empty: every output is byte-identical

The digest covers every file's path and text, and the warnings the run printed.
"""

from __future__ import annotations

import csv
import hashlib
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.pipeline import generate  # noqa: E402
from tests.support.directory_api import write_directory_spec  # noqa: E402

SHARED = ROOT.parent / "shared"


def _sources(scratch: Path) -> Iterator[tuple[str, Path, Path | None]]:
    """(label, spec, config) for every document this check covers; absent ones are skipped with a line on stderr."""
    yield "procore", ROOT / "specs/procore.yaml", ROOT / "specs/procore.config.yaml"
    for fixture in sorted((ROOT / "tests/fixtures/specs").glob("*.yaml")):
        yield f"fixture {fixture.name}", fixture, None
    yield "fixture openapi32", ROOT / "tests/fixtures/specs/openapi32/catalog.yaml", None
    yield "directory stress spec", write_directory_spec(scratch / "directory.yaml"), None
    catalog = SHARED / "specs/procore-catalog.json"
    if catalog.is_file():
        yield "procore catalog", catalog, None
    else:
        print("skipped: ../shared/specs/procore-catalog.json is absent", file=sys.stderr)
    listing = SHARED / "corpus/corpus.tsv"
    if not listing.is_file():
        print("skipped: ../shared/corpus is absent", file=sys.stderr)
        return
    with listing.open(encoding="utf-8", newline="") as handle:
        for entry in csv.DictReader(handle, delimiter="\t"):
            yield f"corpus {entry['entry']}", SHARED / "corpus" / entry["entry"], None


def _digest(spec: Path, config: Path | None) -> str:
    generation = generate(spec, config)
    texts = [f"{path}\0{generation.files[path]}" for path in sorted(generation.files)]
    texts += [diagnostic.render() for diagnostic in generation.diagnostics]
    # A spec written to a scratch folder is named by that folder in warnings: the same run twice must agree.
    folder = str(spec.parent)
    return hashlib.sha256("\0".join(texts).replace(folder, "<spec folder>").encode()).hexdigest()


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        for label, spec, config in _sources(Path(folder)):
            print(f"{_digest(spec, config)}  {label}", flush=True)


if __name__ == "__main__":
    main()

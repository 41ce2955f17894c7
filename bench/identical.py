"""Byte-identical outputs across a change to the generator: record what every spec generates, then compare.

    python bench/identical.py record /tmp/before    # with the generator as it was
    python bench/identical.py compare /tmp/before   # after the change: exit 0 when every file is the same

Specs: `specs/procore.yaml` (with its config), every fixture spec in `tests/fixtures/specs/` (the OpenAPI 3.2 one
too), the directory stress spec of the tests, and, when `../shared` is beside the project, the Procore catalog and
every entry of `../shared/corpus/corpus.tsv`. The
warnings are recorded too (as `warnings.txt` beside each output): a change may not move them either.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.diagnostics import GenerationError  # noqa: E402 - after the path is set
from generator.pipeline import Options, generate  # noqa: E402 - after the path is set
from generator.write import compare_tree  # noqa: E402 - after the path is set
from tests.support.directory_api import write_directory_spec  # noqa: E402 - after the path is set

SHARED = ROOT.parent / "shared"


def specs(scratch: Path) -> Iterator[tuple[str, Path, Path | None]]:
    """(name, spec, config) for every spec the comparison covers (the stress spec is written into `scratch`)."""
    yield "procore", ROOT / "specs" / "procore.yaml", ROOT / "specs" / "procore.config.yaml"
    for fixture in sorted((ROOT / "tests" / "fixtures" / "specs").glob("*.yaml")):
        yield f"fixture-{fixture.stem}", fixture, None
    yield "fixture-openapi32", ROOT / "tests" / "fixtures" / "specs" / "openapi32" / "catalog.yaml", None
    yield "directory-stress", write_directory_spec(scratch / "directory.yaml"), None
    if not (SHARED / "corpus").is_dir():
        print("skipped the catalog and the corpus: ../shared is absent", file=sys.stderr)
        return
    yield "procore-catalog", SHARED / "specs" / "procore-catalog.json", None
    rows = (SHARED / "corpus" / "corpus.tsv").read_text(encoding="utf-8").splitlines()[1:]
    for number, row in enumerate(rows):
        name, entry = row.split("\t")[:2]
        yield f"corpus-{number:02d}-{name}", SHARED / "corpus" / entry, None


def outputs(spec: Path, config: Path | None) -> dict[str, str]:
    """Every file generation writes, plus the warnings (or the error) as text."""
    try:
        generation = generate(spec, config, Options())
    except GenerationError as error:
        return {"error.txt": "\n".join(str(d) for d in error.diagnostics)}
    warnings = "\n".join(f"{d.kind}\t{d.pointer}\t{d.message}" for d in generation.diagnostics)
    # A spec written to a scratch folder is named by that folder in its warnings: two runs must still agree.
    warnings = warnings.replace(str(spec.parent), "<spec folder>")
    return {**generation.files, "warnings.txt": warnings}


def record(folder: Path, scratch: Path) -> int:
    for name, spec, config in specs(scratch):
        for path, text in outputs(spec, config).items():
            target = folder / name / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        print(f"recorded {name}")
    return 0


def compare(folder: Path, scratch: Path) -> int:
    differing = 0
    for name, spec, config in specs(scratch):
        difference = compare_tree(folder / name, outputs(spec, config))
        changed = [*difference.added, *difference.changed, *difference.removed]
        if changed:
            differing += 1
            print(f"DIFFERS {name}: {json.dumps(sorted(changed)[:10])}")
        else:
            print(f"same    {name}")
    print(f"{differing} spec(s) differ" if differing else "every output is byte for byte the same")
    return 1 if differing else 0


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("record", "compare"):
        print(__doc__, file=sys.stderr)
        return 2
    folder = Path(argv[1])
    with tempfile.TemporaryDirectory() as scratch:
        return record(folder, Path(scratch)) if argv[0] == "record" else compare(folder, Path(scratch))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

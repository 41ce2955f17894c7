"""Request conformance: for every operation, valid arguments become exactly the request its spec describes.

Arguments are synthesized from each tool's inputSchema, the generated runtime builds the request, and an
independent checker (openapi-core for parameters, openapi-schema-validator for bodies) compares it with the
OpenAPI operation. A mismatch fails with the operation and the difference.
"""

from __future__ import annotations

from pathlib import Path

import httpx
import jsonschema
import pytest

from tests.conftest import ROOT, SPEC
from tests.support.conformance import RequestChecker
from tests.support.generated import generate_and_import
from tests.support.instances import example_instance

FIXTURES = sorted((ROOT / "tests" / "fixtures" / "specs").glob("*.yaml"))
EXAMPLES = ["petstore-expanded.v2.json", "petstore-expanded.v3.0.yaml", "webhook-example.v3.1.yaml"]


def _mismatches(spec: Path, out: Path, **config: str) -> tuple[int, list[str]]:
    package = generate_and_import(spec, out, **config)
    checker = RequestChecker(package.document, package.openapi_version, config.get("nesting", "openapi"))
    problems: list[str] = []
    with httpx.Client() as client:
        for entry in package.runtime["tools"]:
            definition, binding = entry["definition"], entry["binding"]
            arguments = example_instance(definition["inputSchema"])
            jsonschema.validate(arguments, definition["inputSchema"])
            request = package.calls.build_request(client, binding, arguments, package.runtime["servers"])
            for problem in checker.check(request, binding["method"], binding["path"]):
                problems.append(f"{binding['method']} {binding['path']} ({definition['name']}): {problem}")
    return len(package.runtime["tools"]), problems


@pytest.mark.parametrize("spec", [SPEC, *FIXTURES], ids=lambda p: p.name)
def test_project_specs(spec: Path, tmp_path: Path) -> None:
    config = {"nesting": "brackets"} if spec == SPEC else {}
    count, problems = _mismatches(spec, tmp_path / "out", **config)
    assert count > 0
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", EXAMPLES)
def test_shared_examples(name: str, tmp_path: Path, shared_dir: Path) -> None:
    _, problems = _mismatches(shared_dir / "specs" / "examples" / name, tmp_path / "out")
    assert not problems, "\n".join(problems)


def test_procore_catalog(tmp_path: Path, shared_dir: Path) -> None:
    spec = shared_dir / "specs" / "procore-catalog.json"
    count, problems = _mismatches(spec, tmp_path / "out", package_name="procore_catalog_mcp", nesting="brackets")
    assert count == 2636
    assert not problems, f"{len(problems)} of {count} operations differ:\n" + "\n".join(problems[:40])

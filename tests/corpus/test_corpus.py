"""Real vendor specs (`../shared/corpus/`): each generates, gives valid schemas, serves its tools, sends conforming
requests, and passes the quality gate.

Every entry of `corpus.tsv` is generated once (in the test process, the `generate` command's own pipeline) and
written as a package. It must pass the quality gate (what `python -m generator lint` checks), hold one tool per
operation, start over stdio and list them all through the official MCP client. Input and output schemas must be
valid JSON Schema 2020-12, and the requests the runtime builds from synthesized arguments must conform to the
operation (the independent openapi-core check). `make test` checks a deterministic sample of at least SAMPLE
operations per spec for the schemas and requests; `make corpus` (CORPUS_FULL=1) checks every one. The command
line itself is tested on the project's own specs (tests/generator/test_cli*.py, test_hostile_specs.py)."""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path
from typing import Any

import anyio
import httpx
import jsonschema
import pytest
from mcp import Client
from mcp.client.stdio import StdioServerParameters

from generator import halves
from generator.background import is_large
from generator.bundle import bundle
from generator.load import load_mapping
from generator.parse import prepare_document
from generator.pipeline import generate
from generator.quality import Report, lint_api
from generator.write import write_tree
from tests.conftest import SHARED
from tests.support.conformance import RequestChecker
from tests.support.generated import import_calls
from tests.support.instances import example_instance

CORPUS = SHARED / "corpus"
SAMPLE = 50
FULL = os.environ.get("CORPUS_FULL") == "1"


def _entries() -> list[dict[str, str]]:
    listing = CORPUS / "corpus.tsv"
    if not listing.is_file():
        return []
    with listing.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


ENTRIES = _entries()


def _id(entry: dict[str, str] | None) -> str:
    return "absent" if entry is None else entry["entry"].rsplit("/", 1)[-1].split(".")[0]


def _sample(items: list[Any]) -> list[Any]:
    """Every item with CORPUS_FULL, else an evenly spread, deterministic sample of at least SAMPLE."""
    if FULL or len(items) <= SAMPLE:
        return items
    step = len(items) / SAMPLE
    return [items[int(index * step)] for index in range(SAMPLE)]


def _generate(entry: dict[str, str], out: Path) -> tuple[Path, Report]:
    """The entry generated and written to `out`, with the quality gate's report on its tools."""
    spec = CORPUS / entry["entry"]
    generation = generate(spec)
    write_tree(out, generation.files)
    return spec, lint_api(generation.api)


def _package(out: Path) -> str:
    (package,) = [path.name for path in (out / "src").iterdir() if path.is_dir()]
    return package


def _listed_over_stdio(out: Path, package: str) -> list[str]:
    environment = {"PYTHONPATH": str(out / "src"), "PATH": os.environ.get("PATH", "")}
    params = StdioServerParameters(command=sys.executable, args=["-m", package], env=environment)

    async def listing() -> list[str]:
        async with Client(params) as client:
            return [tool.name for tool in (await client.list_tools()).tools]

    return anyio.run(listing)


def _check_schemas(runtime: dict[str, Any], out: Path, package: str) -> None:
    check = jsonschema.Draft202012Validator.check_schema
    for entry in _sample(runtime["tools"]):
        definition = entry["definition"]
        check(definition["inputSchema"])
        if "outputSchema" in definition:
            check(definition["outputSchema"])
    outputs = json.loads((out / "src" / package / "output_schemas.json").read_text(encoding="utf-8"))
    shared = outputs["$defs"]
    for name in _sample(sorted(outputs["outputSchemas"])):
        schema = outputs["outputSchemas"][name]
        check(schema)
        assert set(_closure(schema, shared)) <= set(shared), "every `$ref` has its definition"
    check({"$defs": shared})


def _closure(schema: Any, shared: dict[str, Any]) -> dict[str, Any]:
    """The shared definitions a schema refers to, directly or through each other."""
    found: dict[str, Any] = {}
    pending = [schema]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            name = ref.rsplit("/", 1)[-1] if isinstance(ref, str) and ref.startswith("#/$defs/") else None
            if name is not None and name not in found:
                found[name] = shared.get(name)
                pending.append(shared.get(name))
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return found


def _mismatches(spec: Path, out: Path, package: str, runtime: dict[str, Any]) -> list[str]:
    """Requests built from synthesized arguments, checked against the operation by an independent checker."""
    bundled = bundle(load_mapping(spec), spec)
    document = prepare_document(bundled.document, str(spec)).document  # the checker's own copy
    checker = RequestChecker(document, "3.1" if str(document.get("openapi", "")).startswith("3.1") else "3.0")
    # A spec without a host (Kubernetes': every cluster has its own) is served from a configured URL.
    servers = {
        key: {**server, "default": server["default"] or "https://api.example.com"}
        for key, server in runtime["servers"].items()
    }
    calls = import_calls(out, package)
    problems: list[str] = []
    whole = json.loads((out / "src" / package / "input_schemas.json").read_text(encoding="utf-8"))["inputSchemas"]
    with httpx.Client() as client:
        for entry in _sample(runtime["tools"]):
            definition, binding = entry["definition"], entry["binding"]
            # A tool reduced to fit its budget takes what its whole schema (describe_operation) says.
            schema = whole[definition["name"]] if binding.get("reduced") else definition["inputSchema"]
            arguments = example_instance(schema)
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(arguments))
            if errors:
                problems.append(f"{definition['name']}: no valid arguments synthesized: {errors[0].message[:200]}")
                continue
            request = calls.build_request(client, binding, arguments, servers)
            for problem in checker.check(request, binding["method"], binding["path"]):
                problems.append(f"{binding['method']} {binding['path']} ({definition['name']}): {problem}")
    return problems


@pytest.mark.parametrize("entry", ENTRIES or [None], ids=_id)
def test_corpus_spec_generates_a_working_server_that_passes_the_quality_gate(
    entry: dict[str, str] | None, tmp_path: Path
) -> None:
    if entry is None:
        pytest.skip("../shared/corpus is absent: the vendor specs are only beside the project on developer machines")
    out = tmp_path / "out"
    spec, report = _generate(entry, out)
    # names, titles, descriptions, budget, depth, every property described at every depth
    assert not report.violations, "\n".join(f"{v.tool} [{v.check}] {v.detail}" for v in report.violations[:30])
    package = _package(out)
    runtime = json.loads((out / "src" / package / "tools.json").read_text(encoding="utf-8"))
    names = [tool["definition"]["name"] for tool in runtime["tools"]]
    assert len(names) == int(entry["operations"]), "one tool per operation"
    assert len(set(names)) == len(names)
    _check_schemas(runtime, out, package)
    reduced = any(tool["binding"].get("reduced") for tool in runtime["tools"])
    assert _listed_over_stdio(out, package) == names + (["describe_operation"] if reduced else [])
    problems = _mismatches(spec, out, package, runtime)
    assert not problems, f"{len(problems)} requests differ from their operation:\n" + "\n".join(problems[:30])


def test_two_cores_write_what_one_writes(monkeypatch: pytest.MonkeyPatch) -> None:
    """The smallest corpus spec that builds half its tools in a child (see generator/halves.py), generated
    both ways: the same files and warnings. (`make corpus` does it for every spec that large.)"""
    large = sorted((int(e["operations"]), e["entry"]) for e in ENTRIES if is_large(int(e["operations"])))
    if not large:
        pytest.skip("../shared/corpus is absent: the vendor specs are only beside the project on developer machines")
    for _, entry in large if FULL else large[:1]:
        results = []
        for two_cores in (True, False):
            monkeypatch.setattr(halves, "is_large", lambda operations, two_cores=two_cores: two_cores)
            generation = generate(CORPUS / entry)
            results.append((generation.files, generation.diagnostics))
        assert results[0] == results[1], entry

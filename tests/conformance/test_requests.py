"""Request conformance: for every operation, valid arguments become exactly the request its spec describes.

Arguments are synthesized from each tool's inputSchema, the generated runtime builds the request, and an
independent checker (openapi-core for parameters, openapi-schema-validator for bodies) compares it with the
OpenAPI operation. A mismatch fails with the operation and the difference.
"""

from __future__ import annotations

import json
import os
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


CATALOG_SAMPLE_EVERY = 8
"""`make test` checks every eighth operation of the 2,636 in the catalog, spread over all of it (the Procore spec's
test checks every one of its 662 operations; the long tail the package adds is made from the catalog's facts);
`make corpus` (CORPUS_FULL=1) checks them all."""
FULL = os.environ.get("CORPUS_FULL") == "1"


def _mismatches(spec: Path, out: Path, every: int = 1, **config: str) -> tuple[int, list[str]]:
    package = generate_and_import(spec, out, **config)
    checker = RequestChecker(package.document, package.openapi_version, config.get("nesting", "openapi"))
    problems: list[str] = []
    with httpx.Client() as client:
        for entry in package.runtime["tools"][::every]:
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
    every = 1 if FULL else CATALOG_SAMPLE_EVERY
    count, problems = _mismatches(spec, tmp_path / "out", every, package_name="procore_catalog_mcp", nesting="brackets")
    assert count == 2636
    assert not problems, f"{len(problems)} of {count} operations differ:\n" + "\n".join(problems[:40])


def test_a_body_on_get_and_delete_is_sent_as_the_spec_describes(tmp_path: Path) -> None:
    spec = ROOT / "tests" / "fixtures" / "hostile" / "body_on_get.yaml"
    package = generate_and_import(spec, tmp_path / "out")
    checker = RequestChecker(package.document, package.openapi_version)
    tools = {entry["definition"]["name"]: entry["binding"] for entry in package.runtime["tools"]}
    with httpx.Client() as client:
        search = package.calls.build_request(
            client, tools["search_items"], {"query": "red"}, package.runtime["servers"]
        )
        delete = package.calls.build_request(client, tools["delete_items"], {"ids": [1, 2]}, package.runtime["servers"])
    assert (search.method, json.loads(search.content)) == ("GET", {"query": "red"})
    assert (delete.method, json.loads(delete.content)) == ("DELETE", {"ids": [1, 2]})
    assert checker.check(search, "GET", "/items") == [] and checker.check(delete, "DELETE", "/items") == []


def test_a_required_body_goes_as_an_empty_object_when_no_field_is_given(tmp_path: Path) -> None:
    spec = ROOT / "tests" / "fixtures" / "hostile" / "body_on_get.yaml"
    package = generate_and_import(spec, tmp_path / "out")
    binding = next(e["binding"] for e in package.runtime["tools"] if e["definition"]["name"] == "delete_items")
    binding = {**binding, "body": {**binding["body"], "required": True}}
    with httpx.Client() as client:
        request = package.calls.build_request(client, binding, {}, package.runtime["servers"])
    assert request.content == b"{}" and request.headers["content-type"] == "application/json"


def _spec_file(folder: Path, operation: dict[str, object]) -> Path:
    document = {
        "openapi": "3.0.3",
        "info": {"title": "Encodings", "version": "1"},
        "servers": [{"url": "https://api.example.com"}],
        "paths": {"/things": {"post": {"operationId": "createThing", "summary": "Create a thing", **operation}}},
    }
    path = folder / "spec.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path


def test_form_fields_the_encoding_marks_deep_object_are_named_with_brackets(tmp_path: Path) -> None:
    schema = {
        "type": "object",
        "properties": {
            "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
            "items": {"type": "array", "items": {"type": "object", "properties": {"price": {"type": "integer"}}}},
            "note": {"type": "object", "properties": {"text": {"type": "string"}}},
        },
    }
    encoding = {"metadata": {"style": "deepObject", "explode": True}, "items": {"style": "deepObject"}}
    media = {"application/x-www-form-urlencoded": {"schema": schema, "encoding": encoding}}
    spec = _spec_file(tmp_path, {"requestBody": {"content": media}, "responses": {"201": {"description": "ok"}}})
    package = generate_and_import(spec, tmp_path / "out")
    binding = package.runtime["tools"][0]["binding"]
    assert binding["body"]["bracketed"] == ["metadata", "items"]
    arguments = {"metadata": {"a": "1"}, "items": [{"price": 5}, {"price": 6}], "note": {"text": "hi"}}
    with httpx.Client() as client:
        request = package.calls.build_request(client, binding, arguments, package.runtime["servers"])
    fields = httpx.QueryParams(request.content.decode())
    assert list(fields.multi_items()) == [
        ("metadata[a]", "1"),
        ("items[0][price]", "5"),
        ("items[1][price]", "6"),
        ("note", '{"text":"hi"}'),  # no encoding given: OpenAPI's JSON for a nested value
    ]
    checker = RequestChecker(package.document, package.openapi_version)
    assert checker.check(request, "POST", "/things") == []


def test_a_wildcard_media_type_sends_json_and_a_named_one_its_own_name(tmp_path: Path) -> None:
    wild = {"*/*": {"schema": {"type": "object", "properties": {"a": {"type": "integer"}}}}}
    spec = _spec_file(tmp_path, {"requestBody": {"content": wild}, "responses": {"201": {"description": "ok"}}})
    package = generate_and_import(spec, tmp_path / "out")
    with httpx.Client() as client:
        request = package.calls.build_request(
            client, package.runtime["tools"][0]["binding"], {"a": 1}, package.runtime["servers"]
        )
    assert request.headers["content-type"] == "application/json" and json.loads(request.content) == {"a": 1}

    ndjson = {"application/x-ndjson": {"schema": {"type": "string", "format": "binary"}}}
    spec = _spec_file(tmp_path, {"requestBody": {"content": ndjson}, "responses": {"201": {"description": "ok"}}})
    package = generate_and_import(spec, tmp_path / "out2")
    upload = {"body": {"content_base64": "e30K", "filename": "a.png", "content_type": "image/png"}}
    binding = package.runtime["tools"][0]["binding"]
    name = next(iter(package.runtime["tools"][0]["definition"]["inputSchema"]["properties"]))
    with httpx.Client() as client:
        request = package.calls.build_request(client, binding, {name: upload["body"]}, package.runtime["servers"])
    assert request.headers["content-type"] == "application/x-ndjson", "the spec's media type, not the file's guess"

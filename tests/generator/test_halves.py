"""Two cores: half the tools built in a forked child give exactly what one process gives."""

from __future__ import annotations

import copy
import dataclasses
import os
from typing import Any

import pytest

from generator import ir_builder
from generator.background import can_fork
from generator.config import build_config
from generator.diagnostics import Diagnostic
from generator.ir import Tool
from generator.ir_builder import build_api
from generator.operations import all_server_urls
from generator.parse import parse_document
from generator.render import render_package
from tests.conftest import minimal_spec

pytestmark = pytest.mark.skipif(not can_fork(), reason="building on a second core needs fork (Linux)")


def _document(count: int) -> dict[str, Any]:
    """`count` operations: every one uses `Shared` (in input and output), the second half alone uses `Late`, and
    both warn (an unknown format) from inside components, so warnings and `$defs` come from both halves."""
    paths = {}
    for number in range(count):
        late = number >= count // 2
        item = {"$ref": "#/components/schemas/Late" if late else "#/components/schemas/Early"}
        body = {"type": "object", "properties": {"shared": {"$ref": "#/components/schemas/Shared"}, "item": item}}
        paths[f"/things{number}"] = {
            "post": {
                "operationId": f"createThing{number}",
                "summary": f"Create thing {number}",
                "requestBody": {"content": {"application/json": {"schema": body}}},
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": body}}}},
            }
        }
    document = minimal_spec(**paths)
    leaf = {"type": "object", "properties": {"when": {"type": "string", "format": "odd-format"}}}
    document["components"] = {
        "schemas": {
            "Shared": {"type": "object", "properties": {"a": {"$ref": "#/components/schemas/Early"}}},
            "Early": copy.deepcopy(leaf),
            "Late": {"type": "object", "properties": {"b": {"$ref": "#/components/schemas/Shared"}}, **leaf},
        }
    }
    return document


def _generate(document: dict[str, Any], parallel: bool) -> tuple[tuple[Tool, ...], dict[str, str], list[Diagnostic]]:
    parsed = parse_document(copy.deepcopy(document), "spec.yaml")
    config = build_config({}, "Example API", all_server_urls(parsed.document), "x")
    api, diagnostics = build_api(parsed, config, b"", parallel=parallel)
    return api.tools, render_package(api, "spec.yaml"), diagnostics


def _marking_builds(monkeypatch: pytest.MonkeyPatch, *, fail_in_child: bool = False) -> None:
    """Tools built outside this process carry the builder's process ID in their title (or fail to build)."""
    parent, original = os.getpid(), ir_builder._ToolBuilder.build

    def build(self: Any, *args: Any, **kwargs: Any) -> ir_builder.Built:
        if os.getpid() != parent and fail_in_child:
            raise RuntimeError("the child fails")
        built = original(self, *args, **kwargs)
        if os.getpid() == parent:
            return built
        return dataclasses.replace(
            built, tool=dataclasses.replace(built.tool, title=f"{built.tool.title} @{os.getpid()}")
        )

    monkeypatch.setattr(ir_builder._ToolBuilder, "build", build)


def test_the_second_half_is_built_in_a_child_and_the_output_is_what_one_process_writes(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    document = _document(12)
    tools, files, diagnostics = _generate(document, parallel=False)
    _marking_builds(monkeypatch)
    parallel_tools, _, parallel_diagnostics = _generate(document, parallel=True)
    assert [t.title for t in parallel_tools[:6]] == [t.title for t in tools[:6]]
    assert all(" @" in t.title for t in parallel_tools[6:])  # built elsewhere, and kept in order
    monkeypatch.undo()
    _, parallel_files, _ = _generate(document, parallel=True)
    assert parallel_files == files
    assert parallel_diagnostics == diagnostics
    assert [d.kind for d in diagnostics] == ["unknown-format", "unknown-format"]
    output = files["src/example_mcp/output_schemas.json"]
    assert '"Shared": {' in output  # one shared definition for uses from both halves


def test_a_child_that_fails_leaves_the_work_to_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    document = _document(8)
    _, files, diagnostics = _generate(document, parallel=False)
    _marking_builds(monkeypatch, fail_in_child=True)
    tools, parallel_files, parallel_diagnostics = _generate(document, parallel=True)
    assert not any(" @" in t.title for t in tools)
    assert (parallel_files, parallel_diagnostics) == (files, diagnostics)


def test_names_that_clash_across_the_halves_are_given_as_one_process_gives_them() -> None:
    # `a b` and `a_b` both want the `$defs` name `a_b`: the first met keeps it, whichever half meets it.
    def operation(number: int, ref: str) -> dict[str, Any]:
        schema = {"type": "array", "items": {"$ref": ref}}
        return {
            "get": {
                "operationId": f"listThings{number}",
                "summary": f"List things {number}",
                "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": schema}}}},
            }
        }

    refs = ["#/components/schemas/a b", "#/components/schemas/a_b"]
    document = minimal_spec(**{f"/t{n}": operation(n, refs[n >= 2]) for n in range(4)})
    thing = {"type": "object", "properties": {"id": {"type": "integer", "description": "ID."}}}
    document["components"] = {"schemas": {"a b": thing, "a_b": {**thing, "description": "Other."}}}
    assert _generate(document, parallel=True)[1:] == _generate(document, parallel=False)[1:]


def test_small_documents_stay_in_one_process(monkeypatch: pytest.MonkeyPatch) -> None:
    _marking_builds(monkeypatch)
    tools, _, _ = _generate(_document(12), parallel=None)  # None: only for a large document
    assert not any(" @" in t.title for t in tools)

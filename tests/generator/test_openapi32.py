"""OpenAPI 3.2 read by lowering it to 3.1: each feature of tests/fixtures/specs/openapi32/catalog.yaml, and the
warnings where 3.1 cannot say what 3.2 does."""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from generator import openapi
from generator.bundle import bundle
from generator.diagnostics import GenerationError
from generator.load import load_mapping
from generator.parse import ParsedSpec, detect_version, document_errors, prepare_document
from generator.pipeline import generate
from tests.conftest import ROOT, minimal_spec, write_spec

SPEC = ROOT / "tests" / "fixtures" / "specs" / "openapi32" / "catalog.yaml"
RUNTIME_SENDING = ROOT / "templates" / "package" / "src" / "__package__" / "sending.py"


def _prepared(path: Path = SPEC) -> ParsedSpec:
    bundled = bundle(load_mapping(path), path)
    return prepare_document(bundled.document, str(path))


def _spec32(**paths: Any) -> dict[str, Any]:
    document = minimal_spec(**paths)
    document["openapi"] = "3.2.0"
    return document


def _kinds(spec: ParsedSpec) -> list[str]:
    return [d.kind for d in spec.diagnostics]


def test_3_2_documents_are_read_and_later_versions_refused_by_name() -> None:
    assert detect_version({"openapi": "3.2.0"}, "x") == "3.2"
    with pytest.raises(GenerationError, match=r"'3.3.0': this generator reads 3.0, 3.1 and 3.2"):
        detect_version({"openapi": "3.3.0"}, "x")


def test_the_lowered_document_is_valid_3_1() -> None:
    spec = _prepared()
    assert spec.openapi_version == "3.1" and spec.document["openapi"] == "3.1.1"
    assert "$self" not in spec.document
    assert document_errors(spec) == []


def test_query_and_added_operations_sit_under_their_methods() -> None:
    paths = _prepared().document["paths"]
    assert paths["/parts"][openapi.MORE_METHODS_KEY] == ["query"]
    assert paths["/parts/{part_id}"][openapi.MORE_METHODS_KEY] == ["link", "purge"]
    assert "additionalOperations" not in paths["/parts/{part_id}"]
    assert paths["/parts/{part_id}"]["link"]["operationId"] == "linkPart"


def test_methods_a_path_item_cannot_add_are_left_out_with_a_warning(tmp_path: Path) -> None:
    answer = {"responses": {"204": {"description": "done"}}}
    item = {"additionalOperations": {"GET": answer, "servers": answer, "bad method": answer, "lock": answer}}
    spec = prepare_document(_spec32(**{"/x": item}), "spec")
    assert spec.document["paths"]["/x"][openapi.MORE_METHODS_KEY] == ["lock"]
    warnings = [d.message for d in spec.diagnostics]
    assert sum("is not a method a path item can add" in w for w in warnings) == 3
    assert any("sent in capitals, as `LOCK`" in w for w in warnings)


def test_an_added_operation_the_validator_refuses_is_left_out_and_the_rest_generates(tmp_path: Path) -> None:
    answer = {"responses": {"200": {"description": "x"}}}
    item = {"additionalOperations": {"COPY": {**answer, "requestBody": {"content": 3}}}, "get": answer}
    generation = generate(write_spec(tmp_path, _spec32(**{"/x": item})))
    assert [t.binding.method for t in generation.api.tools] == ["GET"]
    refused = [d for d in generation.diagnostics if d.kind == "invalid-operation"]
    assert refused and refused[0].pointer == "/paths/~1x/copy"


def test_annotations_follow_the_method_registry() -> None:
    tools = {t.binding.method: t.annotations for t in generate(SPEC).api.tools}
    assert tools["QUERY"].read_only and tools["QUERY"].idempotent
    assert tools["LINK"].idempotent and not tools["LINK"].read_only and not tools["LINK"].destructive
    assert not tools["PURGE"].idempotent and not tools["PURGE"].read_only


def test_the_runtime_retries_exactly_the_methods_the_generator_calls_idempotent() -> None:
    text = RUNTIME_SENDING.read_text(encoding="utf-8")
    block = text[text.index("IDEMPOTENT_METHODS = frozenset(") : text.index(")  # fmt: skip")]
    assert set(re.findall(r'"([A-Z-]+)"', block)) == {m.upper() for m in openapi.IDEMPOTENT_METHODS}


def test_a_form_query_string_becomes_one_exploded_object_parameter() -> None:
    spec = _prepared()
    (parameter,) = spec.document["paths"]["/parts"]["get"]["parameters"]
    assert parameter["in"] == "query" and parameter["style"] == "form" and parameter["explode"] is True
    assert set(parameter["schema"]["properties"]) == {"colour", "size"}
    assert "PartFilter" not in spec.document["components"]["parameters"]


def test_a_query_string_of_another_media_type_leaves_its_operation_out() -> None:
    spec = _prepared()
    assert "get" not in spec.document["paths"]["/search"]
    assert "querystring" in _kinds(spec)


def test_tags_are_named_by_their_parents_and_badges_group_nothing() -> None:
    spec = _prepared()
    assert [t["name"] for t in spec.document["tags"]] == ["Stock", "Stock/Parts", "Stock/Parts/Bins", "beta"]
    assert spec.document["paths"]["/parts"]["get"]["tags"] == ["Stock/Parts"]
    assert "tag-kind" in _kinds(spec)
    tools = {t.name: t for t in generate(SPEC).api.tools}
    assert tools["link_part_to_bin"].tags == ("Stock/Parts/Bins",)


def test_a_tag_cycle_ends_the_path() -> None:
    document = _spec32()
    document["tags"] = [{"name": "a", "parent": "b"}, {"name": "b", "parent": "a"}]
    document["paths"]["/things"]["get"]["tags"] = ["a"]
    spec = prepare_document(document, "spec")
    assert spec.document["paths"]["/things"]["get"]["tags"] == ["b/a"]


def test_sequential_responses_are_documented_as_lists_of_their_items() -> None:
    tools = {t.name: t for t in generate(SPEC).api.tools}
    output = tools["list_stock_movements"].output_schema
    assert output is not None
    assert set(output["properties"]["result"]["items"]["properties"]) == {"part", "change"}


def test_an_item_schema_of_a_request_or_of_another_media_type_is_named() -> None:
    operation = {
        "requestBody": {"content": {"application/jsonl": {"itemSchema": {"type": "object"}}}},
        "responses": {"200": {"description": "x", "content": {"multipart/mixed": {"itemSchema": {"type": "string"}}}}},
    }
    spec = prepare_document(_spec32(**{"/x": {"post": operation}}), "spec")
    messages = [d.message for d in spec.diagnostics if d.kind == "item-schema"]
    assert len(messages) == 2 and "sent whole" in messages[0] and "`multipart/mixed`" in messages[1]


def test_examples_data_and_serialized_values_become_values() -> None:
    examples = {
        "data": {"dataValue": {"a": 1}, "serializedValue": '{"a": 1}'},
        "json": {"serializedValue": '{"b": 2}'},
        "text": {"serializedValue": "a=1&b=2"},
        "both": {"value": 3, "dataValue": 4},
    }
    parameter = {"name": "q", "in": "query", "schema": {"type": "string"}, "examples": copy.deepcopy(examples)}
    document = _spec32()
    document["paths"]["/things"]["get"]["parameters"] = [parameter]
    spec = prepare_document(document, "spec")
    lowered = spec.document["paths"]["/things"]["get"]["parameters"][0]["examples"]
    assert {k: v["value"] for k, v in lowered.items()} == {
        "data": {"a": 1},
        "json": {"b": 2},
        "text": "a=1&b=2",
        "both": 3,
    }
    assert all("dataValue" not in v and "serializedValue" not in v for v in lowered.values())


def test_a_default_mapping_is_said_where_the_discriminator_is() -> None:
    tools = {t.name: t for t in generate(SPEC).api.tools}
    body = tools["set_part_shape"].input_schema["properties"]["body"]
    assert body["description"].endswith("without it, `Round` does.")


def test_deprecated_schemes_come_last_and_a_device_only_scheme_is_named() -> None:
    generation = generate(SPEC)
    assert [s.name for s in generation.api.security_schemes][-1] == "legacyKey"
    assert all(t.binding.auth[-1] == "legacyKey" for t in generation.api.tools)
    device = [d for d in generation.diagnostics if d.kind == "device-flow"]
    assert device and device[0].pointer == "/components/securitySchemes/signIn/flows"


def test_self_is_the_base_of_relative_references_and_names_the_document_itself() -> None:
    spec = _prepared()
    bundled = spec.document["x-bundled"]
    assert set(bundled) == {"schemas/part.yaml", "schemas/bin.yaml"}
    items = spec.document["paths"]["/parts"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert items["items"] == {"$ref": "#/components/schemas/Part"}


def test_a_reference_beyond_the_documents_own_origin_still_needs_permission(tmp_path: Path) -> None:
    document = _spec32()
    document["$self"] = "https://specs.example.test/v1/api.yaml"
    schema = {"$ref": "https://elsewhere.example.test/v1/thing.yaml"}
    document["paths"]["/things"]["get"]["responses"]["200"]["content"] = {"application/json": {"schema": schema}}
    path = write_spec(tmp_path, document)
    with pytest.raises(GenerationError, match="needs network access"):
        bundle(load_mapping(path), path)


def test_a_relative_self_maps_its_folder_onto_the_specs_own(tmp_path: Path) -> None:
    document = _spec32()
    document["$self"] = "/published/specs/api.yaml"
    schema = {"$ref": "parts/thing.yaml"}
    document["paths"]["/things"]["get"]["responses"]["200"]["content"] = {"application/json": {"schema": schema}}
    (tmp_path / "parts").mkdir()
    (tmp_path / "parts" / "thing.yaml").write_text("type: object\n", encoding="utf-8")
    path = write_spec(tmp_path, document)
    assert bundle(load_mapping(path), path).document["x-bundled"] == {"parts/thing.yaml": {"type": "object"}}


@pytest.mark.parametrize("value", [5, [1, 2], "LINK"])
def test_additional_operations_that_are_no_mapping_are_named(value: Any) -> None:
    spec = prepare_document(_spec32(**{"/x": {"additionalOperations": value}}), "spec")
    assert [d.pointer for d in spec.diagnostics] == ["/paths/~1x/additionalOperations"]


_MALFORMED: dict[str, dict[str, Any]] = {
    "added operation is null": {"additionalOperations": {"LINK": None}},
    "query is a list": {"query": []},
    "querystring without content": {"get": {"parameters": [{"name": "q", "in": "querystring"}], "responses": {}}},
    "querystring content is a list": {
        "get": {"parameters": [{"name": "q", "in": "querystring", "content": []}], "responses": {}}
    },
    "item schema is a number": {
        "get": {"responses": {"200": {"description": "x", "content": {"application/jsonl": {"itemSchema": 5}}}}}
    },
    "example values of odd types": {
        "get": {
            "parameters": [{"name": "a", "in": "query", "examples": {"e": {"serializedValue": 5, "dataValue": None}}}],
            "responses": {},
        }
    },
}


@pytest.mark.parametrize("item", _MALFORMED.values(), ids=list(_MALFORMED))
def test_malformed_3_2_parts_are_repaired_or_refused_never_a_crash(tmp_path: Path, item: dict[str, Any]) -> None:
    document = _spec32(**{"/x": item})
    document["$self"] = 5
    try:
        generate(write_spec(tmp_path, document))
    except GenerationError as exc:
        assert exc.diagnostics


def test_a_self_on_a_hostile_origin_cannot_reach_files_outside_the_specs_folder(tmp_path: Path) -> None:
    document = _spec32()
    document["$self"] = "https://specs.example.test/a/b/api.yaml"
    schema = {"$ref": "https://specs.example.test/etc/passwd"}
    document["paths"]["/things"]["get"]["responses"]["200"]["content"] = {"application/json": {"schema": schema}}
    folder = tmp_path / "a" / "b"
    folder.mkdir(parents=True)
    path = write_spec(folder, document)
    with pytest.raises(GenerationError, match="leaves the spec's folder"):
        bundle(load_mapping(path), path)


def test_the_runtime_reads_as_sequences_exactly_the_media_types_the_generator_documents_as_lists() -> None:
    text = (ROOT / "templates" / "package" / "src" / "__package__" / "calls.py").read_text(encoding="utf-8")
    block = text[text.index("SEQUENTIAL_TYPES = frozenset(") :].split(")  # fmt: skip", 1)[0]
    assert set(re.findall(r'"([a-z/+.-]+)"', block)) == set(openapi.SEQUENTIAL_MEDIA_TYPES)

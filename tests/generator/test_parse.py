"""Stage 2: version detection, quirk repairs with warnings, validation errors with JSON pointers."""

from __future__ import annotations

import copy

import pytest

from generator.diagnostics import GenerationError
from generator.parse import parse_document
from tests.conftest import minimal_spec


def _errors(document: dict[str, object]) -> list[str]:
    with pytest.raises(GenerationError) as caught:
        parse_document(document, "spec.yaml")
    return [d.render() for d in caught.value.diagnostics]


def test_valid_document_has_no_warnings() -> None:
    parsed = parse_document(minimal_spec(), "spec.yaml")
    assert parsed.openapi_version == "3.0"
    assert parsed.diagnostics == ()


def test_openapi_31_is_accepted() -> None:
    document = minimal_spec()
    document["openapi"] = "3.1.0"
    assert parse_document(document, "spec.yaml").openapi_version == "3.1"


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"openapi": "4.0.0"}, "spec.yaml: error: unsupported OpenAPI version '4.0.0': this generator reads 3.0, 3.1 and 3.2 (at /openapi) [unsupported-version]"),
        ({"swagger": "1.2", "openapi": None}, "spec.yaml: error: unsupported Swagger version '1.2': this generator reads Swagger 2.0 and OpenAPI 3.0 to 3.2 (at /swagger) [unsupported-version]"),
        ({"openapi": None}, "spec.yaml: error: not an OpenAPI document: it has neither an `openapi` nor a `swagger` field [not-openapi]"),
    ],
)  # fmt: skip
def test_version_errors(change: dict[str, object], expected: str) -> None:
    document = minimal_spec()
    for key, value in change.items():
        if value is None:
            document.pop(key, None)
        else:
            document[key] = value
    assert _errors(document) == [expected]


def test_validation_errors_point_at_the_problem() -> None:
    document = minimal_spec()
    document["components"] = {"parameters": {"limit": {"name": "limit"}}}
    document["paths"]["/things"]["get"]["parameters"] = [{"name": "x", "in": "body"}]
    assert _errors(document) == [
        "spec.yaml: error: Input should be 'query', 'header', 'path' or 'cookie' "
        "(at /paths/~1things/get/parameters/0/in) [invalid-openapi]",
        "spec.yaml: error: missing required field `in` (at /components/parameters/limit) [invalid-openapi]",
    ]


def test_a_missing_or_numeric_info_field_is_repaired() -> None:
    document = minimal_spec()
    del document["info"]["version"]
    document["info"]["title"] = 7
    parsed = parse_document(document, "spec.yaml")
    assert parsed.document["info"] == {"title": "7", "version": ""}
    assert [(d.kind, d.pointer) for d in parsed.diagnostics] == [
        ("non-string-text", "/info/title"),
        ("missing-info", "/info/version"),
    ]


def test_quirks_are_repaired_with_warnings() -> None:
    document = minimal_spec()
    schema = {"type": "object", "required": [], "properties": {"a": {"type": "string", "default": None}}}
    document["paths"]["/things"]["get"]["responses"]["200"]["content"] = {"application/json": {"schema": schema}}
    original = copy.deepcopy(document)
    parsed = parse_document(document, "spec.yaml")
    kinds = [(d.kind, d.pointer) for d in parsed.diagnostics]
    base = "/paths/~1things/get/responses/200/content/application~1json/schema"
    assert kinds == [("empty-required", f"{base}/required"), ("null-default", f"{base}/properties/a/default")]
    assert parsed.document != original
    with pytest.raises(GenerationError):
        parse_document(copy.deepcopy(original), "spec.yaml", strict=True)


def test_instance_data_is_not_repaired() -> None:
    document = minimal_spec()
    schema = {"type": "object", "example": {"required": []}}
    document["paths"]["/things"]["get"]["responses"]["200"]["content"] = {"application/json": {"schema": schema}}
    parsed = parse_document(document, "spec.yaml")
    assert parsed.diagnostics == ()
    assert schema["example"] == {"required": []}


def test_swagger_2_is_converted_first() -> None:
    document = {
        "swagger": "2.0",
        "info": {"title": "Old", "version": "1"},
        "host": "api.example.com",
        "basePath": "/v1",
        "paths": {"/things": {"get": {"responses": {"200": {"description": "ok", "schema": {"type": "array"}}}}}},
    }
    parsed = parse_document(document, "spec.json")
    assert parsed.openapi_version == "3.0"
    assert parsed.document["servers"] == [{"url": "https://api.example.com/v1"}]
    assert "swagger" not in parsed.document


def test_extensions_in_paths_and_responses_are_accepted() -> None:
    document = minimal_spec()
    document["paths"]["x-internal"] = {"note": True}
    document["paths"]["/things"]["get"]["responses"]["x-note"] = "fine"
    assert parse_document(document, "spec.yaml").diagnostics == ()


def test_paths_that_are_not_a_mapping_in_31_are_an_error_not_a_crash() -> None:
    document = {**minimal_spec(), "openapi": "3.1.0", "paths": [1]}
    with pytest.raises(GenerationError) as caught:
        parse_document(document, "spec.yaml")
    assert [d.pointer for d in caught.value.diagnostics] == ["/paths"]

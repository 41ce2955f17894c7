"""Swagger 2.0 to OpenAPI 3.0.3: servers, components, references, parameters, bodies, responses, warnings."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from openapi_pydantic.v3.v3_0 import OpenAPI

from generator.diagnostics import Diagnostic, Reporter
from generator.swagger2 import convert_swagger2

SOURCE = "api.v2.yaml"
SHARED = Path(__file__).resolve().parents[2].parent / "shared"
OK = {"200": {"description": "ok"}}


def _swagger(**fields: Any) -> dict[str, Any]:
    """A small Swagger 2.0 document; keyword fields replace or add top-level fields."""
    document: dict[str, Any] = {"swagger": "2.0", "info": {"title": "Tools", "version": "2.1"}, "paths": {}}
    document.update(fields)
    return document


def _with_operation(
    operation: dict[str, Any], path: str = "/tools", method: str = "post", **fields: Any
) -> dict[str, Any]:
    return _swagger(paths={path: {method: {"responses": OK, **operation}}}, **fields)


def _convert(document: dict[str, Any], *, valid: bool = True) -> tuple[dict[str, Any], list[Diagnostic]]:
    """Convert, check the input is untouched, and (by default) that the result is valid OpenAPI 3.0."""
    before = copy.deepcopy(document)
    report = Reporter(SOURCE)
    result = convert_swagger2(document, report)
    assert document == before
    if valid:
        OpenAPI.model_validate(result)
    return result, list(report.diagnostics)


def _found(warnings: list[Diagnostic]) -> list[tuple[str, str]]:
    return [(w.kind, w.pointer) for w in warnings]


# --- servers -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "servers"),
    [
        ({"host": "api.example.com", "basePath": "/v2", "schemes": ["http", "https"]}, ["https://api.example.com/v2", "http://api.example.com/v2"]),
        ({"host": "api.example.com", "basePath": "/v2", "schemes": ["http"]}, ["http://api.example.com/v2"]),
        ({"host": "api.example.com:8443"}, ["https://api.example.com:8443"]),
        ({"host": "api.example.com", "basePath": "/"}, ["https://api.example.com"]),
        ({"basePath": "/v2", "schemes": ["http"]}, ["/v2"]),
        ({"schemes": ["https"]}, None),
        ({}, None),
    ],
)  # fmt: skip
def test_servers_from_host_base_path_and_schemes(fields: dict[str, Any], servers: list[str] | None) -> None:
    result, warnings = _convert(_swagger(**fields))
    assert warnings == []
    if servers is None:
        assert "servers" not in result
    else:
        assert [server["url"] for server in result["servers"]] == servers


def test_operation_schemes_become_operation_servers() -> None:
    document = _with_operation({"schemes": ["wss"]}, host="api.example.com", basePath="/v2", schemes=["https"])
    result, _ = _convert(document)
    assert result["paths"]["/tools"]["post"]["servers"] == [{"url": "wss://api.example.com/v2"}]


def test_host_with_a_scheme_is_mended_with_a_warning() -> None:
    result, warnings = _convert(_swagger(host="http://api.example.com", schemes=["http"]))
    assert result["servers"] == [{"url": "http://api.example.com"}]
    assert _found(warnings) == [("host-has-scheme", "/host")]


# --- components and references -----------------------------------------------------------------------------------


def test_definitions_become_schemas_and_every_ref_is_rewritten() -> None:
    definitions = {
        "Tool": {
            "type": "object",
            "properties": {
                "owner": {"$ref": "#/definitions/Person"},
                "parts": {"type": "array", "items": {"$ref": "#/definitions/Part"}},
                "labels": {"type": "object", "additionalProperties": {"$ref": "#/definitions/Part"}},
            },
        },
        "Part": {"allOf": [{"$ref": "#/definitions/Person"}, {"not": {"$ref": "#/definitions/Tool"}}]},
        "Person": {"type": "string", "example": {"$ref": "instance data, not a reference"}},
    }
    document = _with_operation(
        {"responses": {"200": {"description": "ok", "schema": {"$ref": "#/definitions/Tool"}}}}, definitions=definitions
    )
    result, warnings = _convert(document)
    assert warnings == []
    schemas = result["components"]["schemas"]
    assert schemas["Tool"]["properties"] == {
        "owner": {"$ref": "#/components/schemas/Person"},
        "parts": {"type": "array", "items": {"$ref": "#/components/schemas/Part"}},
        "labels": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/Part"}},
    }
    assert schemas["Part"] == {
        "allOf": [{"$ref": "#/components/schemas/Person"}, {"not": {"$ref": "#/components/schemas/Tool"}}]
    }
    assert schemas["Person"]["example"] == {"$ref": "instance data, not a reference"}
    content = result["paths"]["/tools"]["post"]["responses"]["200"]["content"]
    assert content == {"application/json": {"schema": {"$ref": "#/components/schemas/Tool"}}}


def test_global_parameters_become_parameters_and_request_bodies() -> None:
    parameters = {
        "Page": {"name": "page", "in": "query", "type": "integer", "minimum": 1},
        "ToolBody": {
            "name": "tool",
            "in": "body",
            "required": True,
            "description": "The tool",
            "schema": {"$ref": "#/definitions/Tool"},
        },
        "Note": {"name": "note", "in": "formData", "type": "string", "required": True},
    }
    paths = {
        "/tools": {
            "post": {"parameters": [{"$ref": "#/parameters/Page"}, {"$ref": "#/parameters/ToolBody"}], "responses": OK},
            "put": {
                "consumes": ["application/xml"],
                "parameters": [{"$ref": "#/parameters/ToolBody"}],
                "responses": OK,
            },
        },
        "/notes": {"post": {"parameters": [{"$ref": "#/parameters/Note"}], "responses": OK}},
    }
    document = _swagger(paths=paths, parameters=parameters, definitions={"Tool": {"type": "object"}})
    result, warnings = _convert(document)
    assert warnings == []
    components = result["components"]
    assert components["parameters"] == {
        "Page": {"name": "page", "in": "query", "schema": {"type": "integer", "minimum": 1}}
    }
    assert components["requestBodies"] == {
        "ToolBody": {
            "description": "The tool",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Tool"}}},
            "required": True,
        }
    }
    post = result["paths"]["/tools"]["post"]
    assert post["parameters"] == [{"$ref": "#/components/parameters/Page"}]
    assert post["requestBody"] == {"$ref": "#/components/requestBodies/ToolBody"}
    # Another media type than the document's: the shared body is inlined with this operation's media types.
    put_body = result["paths"]["/tools"]["put"]["requestBody"]
    assert put_body["content"] == {"application/xml": {"schema": {"$ref": "#/components/schemas/Tool"}}}
    # A global formData parameter has no OpenAPI 3 component: it is inlined as a form field.
    assert "Note" not in json.dumps(components)
    notes_body = result["paths"]["/notes"]["post"]["requestBody"]
    assert notes_body["content"]["application/x-www-form-urlencoded"]["schema"] == {
        "type": "object",
        "properties": {"note": {"type": "string"}},
        "required": ["note"],
    }


def test_global_responses_become_component_responses() -> None:
    responses = {"NotFound": {"description": "no such tool", "schema": {"$ref": "#/definitions/Error"}}}
    paths = {
        "/tools": {
            "get": {"responses": {"404": {"$ref": "#/responses/NotFound"}}},
            "put": {"produces": ["text/plain"], "responses": {"404": {"$ref": "#/responses/NotFound"}}},
        }
    }
    result, warnings = _convert(_swagger(paths=paths, responses=responses, definitions={"Error": {"type": "string"}}))
    assert warnings == []
    assert result["components"]["responses"] == {
        "NotFound": {
            "description": "no such tool",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}},
        }
    }
    assert result["paths"]["/tools"]["get"]["responses"]["404"] == {"$ref": "#/components/responses/NotFound"}
    inlined = result["paths"]["/tools"]["put"]["responses"]["404"]
    assert inlined == {
        "description": "no such tool",
        "content": {"text/plain": {"schema": {"$ref": "#/components/schemas/Error"}}},
    }


def test_security_definitions_become_security_schemes() -> None:
    scopes = {"tools:read": "read tools"}
    definitions = {
        "basicAuth": {"type": "basic", "description": "user and password"},
        "key": {"type": "apiKey", "name": "X-Key", "in": "header", "x-rotation": "daily"},
        "implicit": {
            "type": "oauth2",
            "flow": "implicit",
            "authorizationUrl": "https://a.example/auth",
            "scopes": scopes,
        },
        "password": {"type": "oauth2", "flow": "password", "tokenUrl": "https://a.example/token", "scopes": scopes},
        "application": {"type": "oauth2", "flow": "application", "tokenUrl": "https://a.example/token", "scopes": {}},
        "accessCode": {
            "type": "oauth2",
            "flow": "accessCode",
            "authorizationUrl": "https://a.example/auth",
            "tokenUrl": "https://a.example/token",
            "scopes": scopes,
        },
    }
    result, warnings = _convert(_swagger(securityDefinitions=definitions, security=[{"key": []}]))
    assert warnings == []
    assert result["security"] == [{"key": []}]
    assert result["components"]["securitySchemes"] == {
        "basicAuth": {"type": "http", "scheme": "basic", "description": "user and password"},
        "key": {"type": "apiKey", "name": "X-Key", "in": "header", "x-rotation": "daily"},
        "implicit": {
            "type": "oauth2",
            "flows": {"implicit": {"authorizationUrl": "https://a.example/auth", "scopes": scopes}},
        },
        "password": {
            "type": "oauth2",
            "flows": {"password": {"tokenUrl": "https://a.example/token", "scopes": scopes}},
        },
        "application": {
            "type": "oauth2",
            "flows": {"clientCredentials": {"tokenUrl": "https://a.example/token", "scopes": {}}},
        },
        "accessCode": {
            "type": "oauth2",
            "flows": {
                "authorizationCode": {
                    "authorizationUrl": "https://a.example/auth",
                    "tokenUrl": "https://a.example/token",
                    "scopes": scopes,
                }
            },
        },
    }


def test_unknown_security_schemes_are_dropped_with_warnings() -> None:
    definitions = {"odd": {"type": "oauth2", "flow": "device"}, "mtls": {"type": "mutualTLS"}}
    result, warnings = _convert(_swagger(securityDefinitions=definitions))
    assert "components" not in result
    assert _found(warnings) == [
        ("unsupported-security-scheme", "/securityDefinitions/odd/flow"),
        ("unsupported-security-scheme", "/securityDefinitions/mtls/type"),
    ]


def test_unresolved_and_unconvertible_refs_warn() -> None:
    schema = {
        "type": "object",
        "properties": {"a": {"$ref": "#/definitions/Missing"}, "b": {"$ref": "#/paths/~1tools"}},
    }
    document = _with_operation({"parameters": [{"$ref": "#/parameters/Gone"}]}, definitions={"Thing": schema})
    result, warnings = _convert(document, valid=False)
    assert result["components"]["schemas"]["Thing"]["properties"]["a"] == {"$ref": "#/components/schemas/Missing"}
    assert "parameters" not in result["paths"]["/tools"]["post"]
    assert _found(warnings) == [
        ("unresolved-ref", "/paths/~1tools/post/parameters/0/$ref"),
        ("unresolved-ref", "/definitions/Thing/properties/a/$ref"),
        ("unconvertible-ref", "/definitions/Thing/properties/b/$ref"),
    ]


def test_external_refs_are_kept() -> None:
    schema = {"properties": {"a": {"$ref": "common.yaml#/definitions/Id"}, "b": {"$ref": "id.schema.json"}}}
    result, warnings = _convert(_swagger(definitions={"Thing": schema}))
    assert result["components"]["schemas"]["Thing"] == schema
    assert _found(warnings) == [("external-ref", "/definitions/Thing/properties/a/$ref")]


# --- request bodies ----------------------------------------------------------------------------------------------

BODY = {"name": "tool", "in": "body", "description": "The tool to add", "required": True, "schema": {"type": "object"}}


@pytest.mark.parametrize(
    ("operation_consumes", "document_consumes", "media_types"),
    [
        (["application/xml", "application/json"], ["text/plain"], ["application/xml", "application/json"]),
        (None, ["application/vnd.tools+json"], ["application/vnd.tools+json"]),
        (None, None, ["application/json"]),
    ],
)
def test_body_parameter_becomes_request_body(
    operation_consumes: list[str] | None, document_consumes: list[str] | None, media_types: list[str]
) -> None:
    operation: dict[str, Any] = {"parameters": [BODY]}
    if operation_consumes is not None:
        operation["consumes"] = operation_consumes
    fields: dict[str, Any] = {} if document_consumes is None else {"consumes": document_consumes}
    result, warnings = _convert(_with_operation(operation, **fields))
    assert warnings == []
    post = result["paths"]["/tools"]["post"]
    assert "parameters" not in post
    assert post["requestBody"] == {
        "description": "The tool to add",
        "content": {media_type: {"schema": {"type": "object"}} for media_type in media_types},
        "required": True,
    }


def test_form_data_becomes_an_url_encoded_object_body() -> None:
    fields = [
        {
            "name": "name",
            "in": "formData",
            "type": "string",
            "required": True,
            "description": "Tool name",
            "maxLength": 40,
        },
        {"name": "kind", "in": "formData", "type": "string", "enum": ["saw", "drill"], "default": "saw"},
        {
            "name": "sizes",
            "in": "formData",
            "type": "array",
            "items": {"type": "integer", "format": "int32"},
            "collectionFormat": "multi",
        },
        {"name": "tags", "in": "formData", "type": "array", "items": {"type": "string"}},
    ]
    result, warnings = _convert(_with_operation({"parameters": fields}))
    assert warnings == []
    assert result["paths"]["/tools"]["post"]["requestBody"] == {
        "content": {
            "application/x-www-form-urlencoded": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "name": {"description": "Tool name", "type": "string", "maxLength": 40},
                        "kind": {"type": "string", "enum": ["saw", "drill"], "default": "saw"},
                        "sizes": {"type": "array", "items": {"type": "integer", "format": "int32"}},
                        "tags": {"type": "array", "items": {"type": "string"}},
                    },
                    "required": ["name"],
                },
                "encoding": {"sizes": {"style": "form", "explode": True}, "tags": {"style": "form", "explode": False}},
            }
        },
        "required": True,
    }


def test_form_data_with_a_file_becomes_multipart() -> None:
    fields = [
        {"name": "photo", "in": "formData", "type": "file", "description": "A photo"},
        {"name": "caption", "in": "formData", "type": "string"},
    ]
    result, warnings = _convert(_with_operation({"parameters": fields}))
    assert warnings == []
    body = result["paths"]["/tools"]["post"]["requestBody"]
    assert body == {
        "content": {
            "multipart/form-data": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "photo": {"description": "A photo", "type": "string", "format": "binary"},
                        "caption": {"type": "string"},
                    },
                }
            }
        }
    }


def test_form_data_is_multipart_when_consumes_says_so() -> None:
    operation = {
        "consumes": ["multipart/form-data"],
        "parameters": [{"name": "caption", "in": "formData", "type": "string"}],
    }
    result, _ = _convert(_with_operation(operation))
    assert list(result["paths"]["/tools"]["post"]["requestBody"]["content"]) == ["multipart/form-data"]


def test_body_conflicts_keep_the_first_body_and_warn() -> None:
    second = {**BODY, "name": "other"}
    field = {"name": "note", "in": "formData", "type": "string"}
    result, warnings = _convert(_with_operation({"parameters": [BODY, second, field]}))
    assert result["paths"]["/tools"]["post"]["requestBody"]["description"] == "The tool to add"
    assert _found(warnings) == [
        ("multiple-body-parameters", "/paths/~1tools/post/parameters/1"),
        ("body-and-form-data", "/paths/~1tools/post/parameters/2"),
    ]


# --- non-body parameters -----------------------------------------------------------------------------------------


def test_non_body_parameter_keywords_move_into_schema() -> None:
    parameter = {
        "name": "size",
        "in": "query",
        "description": "Size",
        "required": False,
        "type": "array",
        "items": {
            "type": "integer",
            "minimum": 0,
            "exclusiveMinimum": True,
            "maximum": 9,
            "exclusiveMaximum": True,
            "multipleOf": 3,
        },
        "minItems": 1,
        "maxItems": 4,
        "uniqueItems": True,
        "default": [3],
        "collectionFormat": "pipes",
        "x-order": 2,
    }
    name = {
        "name": "name",
        "in": "header",
        "type": "string",
        "format": "uuid",
        "minLength": 36,
        "maxLength": 36,
        "pattern": "^[0-9a-f-]+$",
        "enum": ["a"],
    }
    result, warnings = _convert(_with_operation({"parameters": [parameter, name]}, method="get"))
    assert warnings == []
    assert result["paths"]["/tools"]["get"]["parameters"] == [
        {
            "name": "size",
            "in": "query",
            "description": "Size",
            "required": False,
            "style": "pipeDelimited",
            "explode": False,
            "schema": {
                "type": "array",
                "items": {
                    "type": "integer",
                    "maximum": 9,
                    "exclusiveMaximum": True,
                    "minimum": 0,
                    "exclusiveMinimum": True,
                    "multipleOf": 3,
                },
                "default": [3],
                "maxItems": 4,
                "minItems": 1,
                "uniqueItems": True,
            },
            "x-order": 2,
        },
        {
            "name": "name",
            "in": "header",
            "schema": {
                "type": "string",
                "format": "uuid",
                "enum": ["a"],
                "maxLength": 36,
                "minLength": 36,
                "pattern": "^[0-9a-f-]+$",
            },
        },
    ]


@pytest.mark.parametrize(
    ("location", "collection_format", "style", "warning"),
    [
        ("query", "csv", {"style": "form", "explode": False}, None),
        ("query", None, {"style": "form", "explode": False}, None),
        ("query", "ssv", {"style": "spaceDelimited", "explode": False}, None),
        ("query", "pipes", {"style": "pipeDelimited", "explode": False}, None),
        ("query", "multi", {"style": "form", "explode": True}, None),
        ("query", "tsv", {"style": "form", "explode": False}, "unsupported-collection-format"),
        ("path", "csv", {"style": "simple"}, None),
        ("header", "csv", {"style": "simple"}, None),
        ("header", "tsv", {"style": "simple"}, "unsupported-collection-format"),
        ("path", "pipes", {"style": "simple"}, "unsupported-collection-format"),
    ],
)
def test_collection_format_becomes_style_and_explode(
    location: str, collection_format: str | None, style: dict[str, Any], warning: str | None
) -> None:
    parameter: dict[str, Any] = {
        "name": "ids",
        "in": location,
        "required": True,
        "type": "array",
        "items": {"type": "string"},
    }
    if collection_format is not None:
        parameter["collectionFormat"] = collection_format
    result, warnings = _convert(_with_operation({"parameters": [parameter]}, path="/tools/{ids}", method="get"))
    converted = result["paths"]["/tools/{ids}"]["get"]["parameters"][0]
    assert {key: converted[key] for key in ("style", "explode") if key in converted} == style
    pointer = "/paths/~1tools~1{ids}/get/parameters/0/collectionFormat"
    assert _found(warnings) == ([] if warning is None else [(warning, pointer)])


def test_allow_empty_value_is_kept_for_query_only() -> None:
    query = {"name": "q", "in": "query", "type": "string", "allowEmptyValue": True}
    header = {"name": "h", "in": "header", "type": "string", "allowEmptyValue": True}
    result, warnings = _convert(_with_operation({"parameters": [query, header]}, method="get"))
    converted = result["paths"]["/tools"]["get"]["parameters"]
    assert converted[0]["allowEmptyValue"] is True
    assert "allowEmptyValue" not in converted[1]
    assert _found(warnings) == [("ignored-field", "/paths/~1tools/get/parameters/1/allowEmptyValue")]


def test_path_level_parameters() -> None:
    path_item = {
        "parameters": [
            {"name": "id", "in": "path", "required": True, "type": "string"},
            {"name": "tool", "in": "body", "schema": {"type": "object"}},
        ],
        "put": {"responses": OK},
        "patch": {"parameters": [{"name": "patch", "in": "body", "schema": {"type": "array"}}], "responses": OK},
    }
    result, warnings = _convert(_swagger(paths={"/tools/{id}": path_item}))
    assert warnings == []
    converted = result["paths"]["/tools/{id}"]
    assert converted["parameters"] == [{"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}]
    assert converted["put"]["requestBody"] == {"content": {"application/json": {"schema": {"type": "object"}}}}
    assert converted["patch"]["requestBody"] == {"content": {"application/json": {"schema": {"type": "array"}}}}


def test_path_parameters_are_made_required() -> None:
    document = _with_operation({"parameters": [{"name": "id", "in": "path", "type": "string"}]}, path="/tools/{id}")
    result, warnings = _convert(document)
    assert result["paths"]["/tools/{id}"]["post"]["parameters"][0]["required"] is True
    assert _found(warnings) == [("path-parameter-required", "/paths/~1tools~1{id}/post/parameters/0/required")]


# --- responses and schemas ---------------------------------------------------------------------------------------


def test_responses_get_content_headers_and_examples() -> None:
    response = {
        "description": "the tools",
        "schema": {"type": "array", "items": {"type": "string"}},
        "headers": {
            "X-Rate-Limit": {"type": "integer", "format": "int32", "description": "calls left"},
            "Link": {"type": "array", "items": {"type": "string"}, "collectionFormat": "csv", "x-rel": True},
        },
        "examples": {"application/json": ["saw"], "text/csv": "saw"},
        "x-cache": "60s",
    }
    operation = {
        "produces": ["application/json", "application/xml"],
        "responses": {"200": response, "204": {"description": "none"}},
    }
    result, warnings = _convert(_with_operation(operation, method="get"))
    assert warnings == []
    schema = {"type": "array", "items": {"type": "string"}}
    assert result["paths"]["/tools"]["get"]["responses"] == {
        "200": {
            "description": "the tools",
            "headers": {
                "X-Rate-Limit": {"description": "calls left", "schema": {"type": "integer", "format": "int32"}},
                "Link": {"schema": {"type": "array", "items": {"type": "string"}}, "x-rel": True},
            },
            "content": {
                "application/json": {"schema": schema, "example": ["saw"]},
                "application/xml": {"schema": schema},
                "text/csv": {"schema": schema, "example": "saw"},
            },
            "x-cache": "60s",
        },
        "204": {"description": "none"},
    }


def test_responses_use_document_produces_then_json() -> None:
    responses = {"200": {"description": "ok", "schema": {"type": "string"}}}
    result, _ = _convert(_with_operation({"responses": responses}, produces=["text/plain"]))
    assert list(result["paths"]["/tools"]["post"]["responses"]["200"]["content"]) == ["text/plain"]
    result, _ = _convert(_with_operation({"responses": responses}))
    assert list(result["paths"]["/tools"]["post"]["responses"]["200"]["content"]) == ["application/json"]


def test_schema_objects_are_mended() -> None:
    definitions = {
        "Upload": {"type": "file"},
        "Animal": {
            "type": "object",
            "discriminator": "kind",
            "required": ["kind"],
            "properties": {"kind": {"type": "string"}, "nick": {"type": "string", "x-nullable": True}},
            "xml": {"name": "animal"},
            "x-internal": False,
        },
    }
    result, warnings = _convert(_swagger(definitions=definitions))
    assert warnings == []
    assert result["components"]["schemas"] == {
        "Upload": {"type": "string", "format": "binary"},
        "Animal": {
            "type": "object",
            "discriminator": {"propertyName": "kind"},
            "required": ["kind"],
            "properties": {"kind": {"type": "string"}, "nick": {"type": "string", "nullable": True}},
            "xml": {"name": "animal"},
            "x-internal": False,
        },
    }


# --- carried fields, extensions, malformed input -----------------------------------------------------------------


def test_top_level_fields_and_extensions_are_carried() -> None:
    operation = {
        "tags": ["tools"],
        "summary": "Add",
        "operationId": "addTool",
        "externalDocs": {"url": "https://docs.example/add"},
        "deprecated": True,
        "security": [{"key": []}],
        "x-op": {"$ref": "#/definitions/Tool"},
        "responses": {"200": {"description": "ok"}, "x-responses": 1},
    }
    document = _swagger(
        info={"title": "Tools", "version": "2.1", "x-logo": "logo.png"},
        tags=[{"name": "tools", "x-display": "Tools"}],
        externalDocs={"url": "https://docs.example"},
        security=[{"key": []}],
        securityDefinitions={"key": {"type": "apiKey", "name": "k", "in": "query"}},
        definitions={"Tool": {"type": "object"}},
        paths={"/tools": {"post": operation, "x-path": "p"}, "x-paths": "ps"},
        **{"x-top": [1, 2]},
    )
    # Valid OpenAPI, but openapi-pydantic does not accept extensions inside the Paths and Responses maps.
    result, warnings = _convert(document, valid=False)
    assert warnings == []
    assert result["info"] == {"title": "Tools", "version": "2.1", "x-logo": "logo.png"}
    assert result["tags"] == [{"name": "tools", "x-display": "Tools"}]
    assert result["externalDocs"] == {"url": "https://docs.example"}
    assert result["security"] == [{"key": []}]
    assert result["x-top"] == [1, 2]
    assert result["paths"]["x-paths"] == "ps"
    assert result["paths"]["/tools"]["x-path"] == "p"
    post = result["paths"]["/tools"]["post"]
    assert {key: post[key] for key in ("tags", "summary", "operationId", "externalDocs", "deprecated", "security")} == {
        key: operation[key] for key in ("tags", "summary", "operationId", "externalDocs", "deprecated", "security")
    }
    assert post["x-op"] == {"$ref": "#/components/schemas/Tool"}
    assert post["responses"]["x-responses"] == 1


def test_output_shares_nothing_with_the_input() -> None:
    document = _with_operation({"tags": ["a"], "parameters": [BODY]}, definitions={"T": {"enum": ["x"]}})
    result, _ = _convert(document)
    before = copy.deepcopy(document)
    result["paths"]["/tools"]["post"]["tags"].append("b")
    result["components"]["schemas"]["T"]["enum"].append("y")
    result["paths"]["/tools"]["post"]["requestBody"]["content"]["application/json"]["schema"]["type"] = "string"
    assert document == before


def test_unknown_parameter_location_is_dropped_with_a_warning() -> None:
    parameters = [{"name": "session", "in": "cookie", "type": "string"}, {"name": "nowhere", "type": "string"}, "page"]
    result, warnings = _convert(_with_operation({"parameters": parameters}, method="get"))
    assert "parameters" not in result["paths"]["/tools"]["get"]
    assert _found(warnings) == [
        ("unknown-parameter-location", "/paths/~1tools/get/parameters/0/in"),
        ("unknown-parameter-location", "/paths/~1tools/get/parameters/1"),
        ("invalid-field", "/paths/~1tools/get/parameters/2"),
    ]
    assert all(w.level == "warning" and w.file == SOURCE for w in warnings)
    assert warnings[0].render() == (
        "api.v2.yaml: warning: parameter 'session' has unsupported location `in: cookie`; dropped "
        "(at /paths/~1tools/get/parameters/0/in) [unknown-parameter-location]"
    )


def test_paths_that_are_not_a_mapping_give_warnings_and_an_empty_paths() -> None:
    result, warnings = _convert(_swagger(paths=["/tools"], definitions={"T": {"type": "string"}}))
    assert result["paths"] == {}
    assert result["components"]["schemas"] == {"T": {"type": "string"}}
    assert _found(warnings) == [("invalid-field", "/paths")]


def test_malformed_documents_never_raise() -> None:
    document: dict[str, Any] = {
        "swagger": "1.2",
        "info": "Tools",
        "host": 42,
        "schemes": "https",
        "consumes": "application/json",
        "definitions": ["Tool"],
        "parameters": {"Bad": "page", "Where": {"name": "w", "in": "cookie"}},
        "responses": {"Bad": 7},
        "securityDefinitions": {"Bad": "basic"},
        "components": {},
        "paths": {
            "/a": "get",
            "/b": {
                "get": "list",
                "post": {"parameters": {"name": "x"}, "responses": ["200"]},
                "put": {"responses": {"200": "ok", "201": {"description": "made", "headers": [], "examples": 3}}},
                "trace": {},
            },
        },
    }
    result, warnings = _convert(document, valid=False)
    assert result["openapi"] == "3.0.3"
    assert "servers" not in result
    assert result["paths"]["/b"]["put"]["responses"] == {"201": {"description": "made"}}
    assert sorted(_found(warnings)) == sorted(
        [
            ("unexpected-version", "/swagger"),
            ("unknown-field", "/components"),
            ("invalid-field", "/info"),
            ("invalid-field", "/host"),
            ("invalid-field", "/schemes"),
            ("invalid-field", "/consumes"),
            ("invalid-field", "/definitions"),
            ("invalid-field", "/parameters/Bad"),
            ("unknown-parameter-location", "/parameters/Where/in"),
            ("invalid-field", "/responses/Bad"),
            ("invalid-field", "/securityDefinitions/Bad"),
            ("invalid-field", "/paths/~1a"),
            ("unknown-field", "/paths/~1b/trace"),
            ("invalid-field", "/paths/~1b/get"),
            ("invalid-field", "/paths/~1b/post/parameters"),
            ("invalid-field", "/paths/~1b/post/responses"),
            ("invalid-field", "/paths/~1b/put/responses/200"),
            ("invalid-field", "/paths/~1b/put/responses/201/headers"),
            ("invalid-field", "/paths/~1b/put/responses/201/examples"),
        ]
    )


# --- a real document ---------------------------------------------------------------------------------------------


def test_petstore_expanded_converts_to_valid_openapi_3() -> None:
    if not (SHARED / "specs").is_dir():
        pytest.skip("../shared is absent: reference specs are only beside the project on developer machines and CI")
    examples = SHARED / "specs" / "examples"
    document = json.loads((examples / "petstore-expanded.v2.json").read_text(encoding="utf-8"))
    result, warnings = _convert(document)
    assert warnings == []
    OpenAPI.model_validate(result)
    assert result["openapi"] == "3.0.3"
    assert result["servers"] == [{"url": "http://petstore.swagger.io/api"}]
    assert sorted(result["components"]["schemas"]) == ["Error", "NewPet", "Pet"]
    reference = yaml.safe_load((examples / "petstore-expanded.v3.0.yaml").read_text(encoding="utf-8"))
    assert result["paths"]["/pets/{id}"] == reference["paths"]["/pets/{id}"]
    assert result["paths"]["/pets"]["post"]["requestBody"] == reference["paths"]["/pets"]["post"]["requestBody"]
    assert result["components"]["schemas"]["Error"] == reference["components"]["schemas"]["Error"]

"""Stage 3: operations to tools — inputs merged from parameters and body, bindings, outputs, names."""

from __future__ import annotations

from typing import Any

from generator.config import build_config
from generator.ir import Api, Argument
from generator.ir_builder import build_api
from generator.operations import all_server_urls
from generator.parse import parse_document
from generator.render import annotation_hints
from tests.conftest import minimal_spec


def _api(document: dict[str, Any]) -> Api:
    parsed = parse_document(document, "spec.yaml")
    config = build_config({}, "Example API", all_server_urls(parsed.document), "x")
    api, _ = build_api(parsed, config, b"")
    return api


def _operation(**fields: Any) -> dict[str, Any]:
    return {"responses": {"200": {"description": "ok"}}, **fields}


def test_parameters_and_body_merge_into_one_input_schema() -> None:
    document = minimal_spec(
        **{
            "/projects/{id}": {
                "parameters": [{"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}],
                "patch": _operation(
                    summary="Update a project",
                    parameters=[
                        {"name": "Procore-Company-Id", "in": "header", "required": True, "schema": {"type": "integer"}},
                        {"name": "verbose", "in": "query", "schema": {"type": "boolean"}, "description": "More."},
                    ],
                    requestBody={
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "required": ["project"],
                                    "properties": {"project": {"type": "object"}, "id": {"type": "string"}},
                                }
                            }
                        },
                    },
                ),
            }
        }
    )
    tool = _api(document).tools[0]
    assert list(tool.input_schema["properties"]) == ["id", "procore_company_id", "verbose", "project", "body_id"]
    assert tool.input_schema["required"] == ["id", "procore_company_id", "project"]
    assert tool.binding.arguments == (
        Argument("id", "path", "id", True),
        Argument("procore_company_id", "header", "Procore-Company-Id", True),
        Argument("verbose", "query", "verbose", False),
        Argument("project", "body", "project", True),
        Argument("body_id", "body", "id", False),
    )
    assert all("description" in schema for schema in tool.input_schema["properties"].values())


def test_operation_parameter_overrides_path_parameter() -> None:
    document = minimal_spec(
        **{
            "/things": {
                "parameters": [{"name": "q", "in": "query", "schema": {"type": "string"}}],
                "get": _operation(parameters=[{"name": "q", "in": "query", "schema": {"type": "integer"}}]),
            }
        }
    )
    assert _api(document).tools[0].input_schema["properties"]["q"]["type"] == "integer"


def test_bracket_filters_become_a_typed_object() -> None:
    parameters = [
        {"name": "filters[vendor_id]", "in": "query", "schema": {"type": "integer"}, "description": "Vendor."},
        {"name": "filters[status][]", "in": "query", "schema": {"type": "string", "enum": ["open", "closed"]}},
    ]
    tool = _api(minimal_spec(**{"/things": {"get": _operation(parameters=parameters)}})).tools[0]
    filters = tool.input_schema["properties"]["filters"]
    assert filters["properties"]["vendor_id"] == {"description": "Vendor.", "type": "integer"}
    assert filters["properties"]["status"]["type"] == "array"
    assert filters["properties"]["status"]["items"] == {"type": "string", "enum": ["open", "closed"]}
    assert tool.binding.arguments == (
        Argument(
            "filters",
            "query",
            "filters",
            False,
            members=(("vendor_id", "filters[vendor_id]"), ("status", "filters[status][]")),
        ),
    )


def test_non_object_response_is_wrapped() -> None:
    response = {"description": "ok", "content": {"application/json": {"schema": {"type": "array", "items": {}}}}}
    tool = _api(minimal_spec(**{"/things": {"get": {"responses": {"200": response}}}})).tools[0]
    assert tool.output_wrapped is True
    assert tool.full_output_schema == {
        "type": "object",
        "properties": {"result": {"type": "array", "items": {}}},
        "required": ["result"],
    }
    assert tool.output_schema == {"type": "object", "properties": {"result": {"type": "array", "items": {}}}}


def test_annotations_follow_the_method() -> None:
    document = minimal_spec(**{"/t": {m: _operation(summary=f"{m} t") for m in ("get", "put", "post", "delete")}})
    hints = {t.binding.method: t.annotations for t in _api(document).tools}
    assert hints["GET"].read_only and hints["GET"].idempotent and not hints["GET"].destructive
    assert hints["DELETE"].destructive and hints["DELETE"].idempotent
    assert hints["PUT"].idempotent and not hints["PUT"].read_only
    assert not hints["POST"].idempotent and not hints["POST"].destructive


def test_servers_and_security() -> None:
    document = minimal_spec(
        **{
            "/login": {"servers": [{"url": "https://login.example.com/"}], "post": _operation(security=[])},
            "/data": {"get": _operation()},
        }
    )
    document["security"] = [{"token": []}]
    login, data = _api(document).tools
    assert (login.binding.server, login.binding.auth) == ("https://login.example.com", ())
    assert (data.binding.server, data.binding.auth) == ("https://api.example.com", ("token",))


def test_undeclared_path_parameter_is_added_with_a_warning() -> None:
    parsed = parse_document(minimal_spec(**{"/things/{id}": {"get": _operation()}}), "spec.yaml")
    config = build_config({}, "Example API", all_server_urls(parsed.document), "x")
    api, warnings = build_api(parsed, config, b"")
    assert api.tools[0].input_schema["required"] == ["id"]
    assert [w.kind for w in warnings] == ["missing-operation-id", "undeclared-path-parameter"]


def test_quirks_are_warnings_with_working_tools() -> None:
    document = minimal_spec(
        **{
            "/a/{id}": {
                "get": _operation(
                    operationId="same",
                    parameters=[
                        {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}},
                        {"name": "ghost", "in": "path", "required": True, "schema": {"type": "integer"}},
                        {"name": "kind", "in": "query", "schema": {"type": "string", "enum": ["a", None, 3]}},
                        {"name": "when", "in": "query", "schema": {"type": "string", "format": "datetime"}},
                        {"name": "cost", "in": "query", "schema": {"type": "string", "format": "decimal"}},
                    ],
                )
            },
            "/b": {"get": _operation(operationId="same")},
        }
    )
    parsed = parse_document(document, "spec.yaml")
    config = build_config({}, "Example API", all_server_urls(parsed.document), "x")
    api, warnings = build_api(parsed, config, b"")
    assert sorted((w.kind, w.pointer) for w in warnings) == [
        ("duplicate-operation-id", "/paths/~1b/get/operationId"),
        ("enum-type-mismatch", "/paths/~1a~1{id}/get/parameters/2/schema"),
        ("format-spelling", "/paths/~1a~1{id}/get/parameters/3/schema"),
        ("unknown-format", "/paths/~1a~1{id}/get/parameters/4/schema"),
        ("unused-path-parameter", "/paths/~1a~1{id}/get/parameters/1"),
    ]
    properties = api.tools[0].input_schema["properties"]
    assert list(properties) == ["id", "kind", "when", "cost"]
    assert properties["kind"]["type"] == ["integer", "null", "string"]
    assert properties["when"]["format"] == "date-time"


def test_the_description_names_the_returned_fields_whatever_tools_list_carries() -> None:
    schema = {"type": "object", "properties": {"id": {"type": "integer"}, "subject": {"type": "string"}}}
    response = {"description": "ok", "content": {"application/json": {"schema": schema}}}
    document = minimal_spec(**{"/rfis/{id}": {"get": {"summary": "Show an RFI", "responses": {"200": response}}}})
    parsed = parse_document(document, "spec.yaml")
    for level in ("full", "outline", "shallow", "none"):
        config = build_config({"output_schema": level}, "Example API", all_server_urls(parsed.document), "x")
        (tool,) = build_api(parsed, config, b"")[0].tools
        assert "Returns an object with `id` and `subject`." in tool.description, level
        assert (tool.output_schema is None) == (level == "none")


def test_listed_hints_mean_the_same_under_mcps_defaults() -> None:
    defaults = {"readOnlyHint": False, "destructiveHint": True, "idempotentHint": False, "openWorldHint": True}
    methods = ("get", "put", "post", "delete", "patch")
    document = minimal_spec(**{"/t": {m: _operation(summary=f"{m} t") for m in methods}})
    for tool in _api(document).tools:
        hints = {**defaults, **annotation_hints(tool)}
        effect = tool.annotations
        assert hints["readOnlyHint"] == effect.read_only and hints["openWorldHint"] == effect.open_world
        if not effect.read_only:  # the other two only mean something for tools that change data
            assert "destructiveHint" in annotation_hints(tool)
            assert hints["destructiveHint"] == effect.destructive and hints["idempotentHint"] == effect.idempotent


def test_placeholder_descriptions_count_as_missing() -> None:
    body = {
        "type": "object",
        "properties": {
            "injury": {"type": "object", "description": "(nested object)", "properties": {"part_id": {}}},
            "witness_ids": {"type": "array", "description": "Witnesses.", "items": {"description": "(Nested Object)"}},
            "status": {"type": "string", "description": "Status of the record, (nested object) or not."},
        },
    }
    operation = _operation(
        summary="Create an incident",
        requestBody={"content": {"application/json": {"schema": body}}},
    )
    properties = _api(minimal_spec(**{"/incidents": {"post": operation}})).tools[0].input_schema["properties"]
    assert properties["injury"]["description"] == "Fields of the injury."
    assert properties["injury"]["properties"]["part_id"]["description"] == "ID of the part."
    assert properties["witness_ids"] == {"type": "array", "description": "Witnesses.", "items": {}}
    assert properties["status"]["description"] == "Status of the record, (nested object) or not."


def test_needs_names_only_what_the_model_must_supply() -> None:
    header = {"name": "Company-Id", "in": "header", "required": True, "schema": {"type": "integer"}}
    path = {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
    document = minimal_spec(**{"/things/{id}": {"get": _operation(summary="Show a thing", parameters=[header, path])}})
    parsed = parse_document(document, "spec.yaml")
    unbound = _api(document).tools[0].description
    config = build_config({"bindings": {"Company-Id": {"env": "COMPANY_ID"}}}, "Example API", [], "x")
    bound = build_api(parsed, config, b"")[0].tools[0].description
    assert "Needs `company_id` and `id`." in unbound
    assert "Needs `id`." in bound and "`company_id`" not in bound.split("Needs")[1].split(".")[0]


def test_a_revocation_endpoint_sending_a_stored_token_is_marked() -> None:
    body = {"content": {"application/json": {"schema": {"type": "object", "properties": {"token": {}}}}}}
    paths = {
        "/oauth/revoke": {"post": _operation(summary="Revoke a token", requestBody=body)},
        "/oauth/introspect": {"post": _operation(summary="Inspect a token", requestBody=body)},
        "/things/revoke": {"post": _operation(summary="Revoke a thing")},
    }
    config = build_config({"bindings": {"token": {"token": "access_token", "hidden": True}}}, "Example API", [], "x")
    tools = build_api(parse_document(minimal_spec(**paths), "spec.yaml"), config, b"")[0].tools
    assert [(t.name, t.binding.revokes_tokens) for t in tools] == [
        ("revoke_token", True),
        ("inspect_token", False),
        ("revoke_thing", False),  # nothing stored is sent
    ]


def test_relative_links_resolve_against_the_specs_own_docs_or_keep_only_their_text() -> None:
    operation = _operation(summary="List things", description="Needs an [admin key](../admin-keys) to call.")
    document = minimal_spec(**{"/things": {"get": operation}})
    assert _api(document).tools[0].description.startswith("Needs an admin key to call.")
    document["externalDocs"] = {"url": "https://docs.example.com/api/reference"}
    assert (
        _api(document)
        .tools[0]
        .description.startswith("Needs an [admin key](https://docs.example.com/api/admin-keys) to call.")
    )


def test_a_description_never_says_its_opening_twice() -> None:
    twice = _operation(summary="Delete Container File", description="Delete a container file. It goes for good.")
    named = _operation(summary="Delete a thing", description="Removes the thing for good.")
    bare = _operation(summary="Delete another thing")
    document = minimal_spec(**{"/a": {"delete": twice}, "/b": {"delete": named}, "/c": {"delete": bare}})
    descriptions = [tool.description for tool in _api(document).tools]
    assert descriptions[0].startswith("Delete a container file. It goes for good.\n\n")
    assert descriptions[1].startswith("Removes the thing for good.\n\n"), "the opening said only the tool's name"
    assert descriptions[2].startswith("Delete another thing.\n\n"), "without details the opening stays"

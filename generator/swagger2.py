"""Convert a Swagger 2.0 document to an equivalent OpenAPI 3.0.3 document, warning about what cannot be carried."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Literal
from urllib.parse import unquote

from generator.diagnostics import Reporter
from generator.openapi import (
    DATA_KEYS,
    SWAGGER_SCHEMA_KEYWORDS,
    SWAGGER_SCHEMA_LIST_KEYWORDS,
    SWAGGER_SCHEMA_MAP_KEYWORDS,
    is_extension,
    json_pointer,
)

OPENAPI_VERSION = "3.0.3"
DEFAULT_MEDIA_TYPE = "application/json"

Location = tuple[str | int, ...]
# How a Swagger 2.0 parameter travels: an OpenAPI 3 parameter, a request body, one form field, or not at all.
ParameterKind = Literal["parameter", "body", "formData", "invalid"]

_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
_PARAMETER_LOCATIONS = ("query", "header", "path")
# Keywords of a 2.0 non-body parameter, Items or Header object that belong in an OpenAPI 3 Schema Object.
_SIMPLE_SCHEMA_KEYS = (
    "type", "format", "items", "enum", "default", "maximum", "exclusiveMaximum", "minimum", "exclusiveMinimum",
    "maxLength", "minLength", "pattern", "maxItems", "minItems", "uniqueItems", "multipleOf",
)  # fmt: skip
# collectionFormat -> (style, explode) for query parameters and url-encoded form fields.
_QUERY_STYLES: dict[str, tuple[str, bool]] = {
    "csv": ("form", False),
    "ssv": ("spaceDelimited", False),
    "pipes": ("pipeDelimited", False),
    "multi": ("form", True),
}
_OAUTH2_FLOWS = {
    "implicit": "implicit",
    "password": "password",
    "application": "clientCredentials",
    "accessCode": "authorizationCode",
}
_TOP_LEVEL_KEYS = frozenset(
    {
        "swagger", "info", "host", "basePath", "schemes", "consumes", "produces", "paths", "definitions",
        "parameters", "responses", "securityDefinitions", "security", "tags", "externalDocs",
    }
)  # fmt: skip
_PATH_ITEM_KEYS = frozenset({"$ref", "parameters", "summary", "description", *_HTTP_METHODS})
_OPERATION_KEYS = frozenset(
    {
        "tags", "summary", "description", "externalDocs", "operationId", "consumes", "produces", "parameters",
        "responses", "schemes", "deprecated", "security",
    }
)  # fmt: skip
_PARAMETER_KEYS = frozenset(
    {"name", "in", "description", "required", "allowEmptyValue", "collectionFormat", "schema", "example"}
)
_RESPONSE_KEYS = frozenset({"description", "schema", "headers", "examples"})
_HEADER_KEYS = frozenset({"description", "collectionFormat"})


@dataclass(frozen=True)
class _Reporter:
    """The pipeline's reporter, told of places in the 2.0 document as paths of tokens."""

    report: Reporter

    def warn(self, kind: str, message: str, location: Location) -> None:
        """Record a warning; `location` is the path of tokens into the original 2.0 document."""
        self.report.warn(kind, message, json_pointer(*location))


@dataclass(frozen=True)
class _Context:
    """What every part of the conversion needs to know about the whole 2.0 document."""

    report: _Reporter
    definitions: frozenset[str]
    responses: dict[str, object]
    parameters: dict[str, object]
    parameter_kinds: dict[str, ParameterKind]
    consumes: tuple[str, ...]
    produces: tuple[str, ...]
    host: str | None
    base_path: str
    schemes: tuple[str, ...]

    def warn(self, kind: str, message: str, location: Location) -> None:
        """Record a warning; `location` is the path of tokens into the original 2.0 document."""
        self.report.warn(kind, message, location)


@dataclass(frozen=True)
class _Parameter:
    """One entry of a 2.0 parameter list, with its definition (the target of a `$ref` to a global parameter)."""

    node: dict[str, object]
    location: Location
    entry_location: Location
    kind: ParameterKind
    ref: str | None = None
    ref_token: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """What a path-level parameter is overridden by: name and location (any body replaces a body)."""
        if self.kind == "body":
            return "", "body"
        return str(self.node.get("name", "")), str(self.node.get("in", ""))


def convert_swagger2(document: dict[str, object], reporter: Reporter) -> dict[str, object]:
    """An OpenAPI 3.0.3 document equivalent to a Swagger 2.0 `document` (left unchanged); warnings to `reporter`."""
    report = _Reporter(reporter)
    ctx = _context(document, report)
    if str(document.get("swagger")) != "2.0":
        found = document.get("swagger")
        ctx.warn("unexpected-version", f"expected `swagger: '2.0'`, found {found!r}; converted as 2.0", ("swagger",))
    for key in document:
        if key not in _TOP_LEVEL_KEYS and not is_extension(key):
            ctx.warn("unknown-field", f"`{key}` is not a Swagger 2.0 field; dropped", (key,))

    result: dict[str, object] = {"openapi": OPENAPI_VERSION}
    if "info" in document:
        if isinstance(document["info"], dict):
            result["info"] = _copy(ctx, document["info"], ("info",))
        else:
            ctx.warn("invalid-field", "`info` must be a mapping; dropped", ("info",))
    if "externalDocs" in document:
        result["externalDocs"] = _copy(ctx, document["externalDocs"], ("externalDocs",))
    servers = _servers(ctx, ctx.schemes)
    if servers:
        result["servers"] = servers
    if "tags" in document:
        result["tags"] = _copy(ctx, document["tags"], ("tags",))
    if "paths" in document:
        result["paths"] = _paths(ctx, document["paths"])
    else:
        ctx.warn("missing-field", "the document has no `paths`; an empty one was added", ())
        result["paths"] = {}
    components = _components(ctx, document)
    if components:
        result["components"] = components
    if "security" in document:
        result["security"] = _copy(ctx, document["security"], ("security",))
    result.update(_extensions(ctx, document, ()))
    return result


# --- document-wide facts ---------------------------------------------------------------------------------------


def _context(document: dict[str, object], report: _Reporter) -> _Context:
    definitions = _mapping(report, document, "definitions")
    responses = _mapping(report, document, "responses")
    parameters = _mapping(report, document, "parameters")
    host = document.get("host")
    if host is not None and not isinstance(host, str):
        report.warn("invalid-field", "`host` must be a string; ignored", ("host",))
        host = None
    if host and "://" in host:
        report.warn("host-has-scheme", "`host` must not include a scheme; the scheme was dropped", ("host",))
        host = host.split("://", 1)[1]
    base_path = document.get("basePath")
    if base_path is not None and not isinstance(base_path, str):
        report.warn("invalid-field", "`basePath` must be a string; ignored", ("basePath",))
        base_path = None
    if base_path and not base_path.startswith("/"):
        report.warn("base-path-not-absolute", "`basePath` must start with `/`; one was added", ("basePath",))
        base_path = "/" + base_path
    schemes = tuple(_schemes(report, document.get("schemes"), ("schemes",)))
    return _Context(
        report=report,
        definitions=frozenset(str(name) for name in definitions),
        responses={str(name): node for name, node in responses.items()},
        parameters={str(name): node for name, node in parameters.items()},
        parameter_kinds={str(name): _parameter_kind(node) for name, node in parameters.items()},
        consumes=_media_types(report, document.get("consumes"), ("consumes",), (DEFAULT_MEDIA_TYPE,)),
        produces=_media_types(report, document.get("produces"), ("produces",), (DEFAULT_MEDIA_TYPE,)),
        host=host.rstrip("/") if host else None,
        base_path=base_path or "",
        schemes=schemes or ("https",),
    )


def _mapping(report: _Reporter, document: dict[str, object], key: str) -> dict[str, object]:
    value = document.get(key)
    if value is None:
        return {}
    if not isinstance(value, dict):
        report.warn("invalid-field", f"`{key}` must be a mapping; ignored", (key,))
        return {}
    return value


def _parameter_kind(node: object) -> ParameterKind:
    if not isinstance(node, dict):
        return "invalid"
    location = node.get("in")
    if location == "body":
        return "body"
    if location == "formData":
        return "formData"
    return "parameter" if location in _PARAMETER_LOCATIONS else "invalid"


def _schemes(report: _Reporter, value: object, location: Location) -> list[str]:
    """Schemes, https first, then http, then any other in the order given."""
    if value is None:
        return []
    if not isinstance(value, list):
        report.warn("invalid-field", "`schemes` must be a list of strings; ignored", location)
        return []
    schemes: list[str] = []
    for index, scheme in enumerate(value):
        if not isinstance(scheme, str):
            report.warn("invalid-field", f"scheme {scheme!r} is not a string; ignored", (*location, index))
        elif scheme.lower() not in schemes:
            schemes.append(scheme.lower())
    rank = {"https": 0, "http": 1}
    return sorted(schemes, key=lambda scheme: rank.get(scheme, 2))


def _media_types(report: _Reporter, value: object, location: Location, fallback: tuple[str, ...]) -> tuple[str, ...]:
    """A `consumes` or `produces` list; absent or empty means `fallback`."""
    if value is None:
        return fallback
    if not isinstance(value, list):
        report.warn("invalid-field", f"`{location[-1]}` must be a list of media types; ignored", location)
        return fallback
    types: list[str] = []
    for index, media_type in enumerate(value):
        if isinstance(media_type, str) and media_type.strip():
            if media_type not in types:
                types.append(media_type)
        else:
            report.warn("invalid-field", f"media type {media_type!r} is not a string; ignored", (*location, index))
    return tuple(types) or fallback


def _servers(ctx: _Context, schemes: tuple[str, ...]) -> list[dict[str, object]]:
    """Server objects from host, basePath and schemes; a relative URL when there is no host."""
    base_path = ctx.base_path.rstrip("/")
    if ctx.host:
        return [{"url": f"{scheme}://{ctx.host}{base_path}"} for scheme in schemes]
    if ctx.base_path:
        return [{"url": base_path or "/"}]
    return []


# --- generic copying and references ----------------------------------------------------------------------------


def _extensions(ctx: _Context, node: dict[str, object], location: Location) -> dict[str, object]:
    """The vendor extensions of a node, copied."""
    return {key: _copy(ctx, value, (*location, key)) for key, value in node.items() if is_extension(key)}


def _warn_unknown_keys(ctx: _Context, node: dict[str, object], known: frozenset[str], location: Location) -> None:
    for key in node:
        if key not in known and not is_extension(key):
            ctx.warn("unknown-field", f"`{key}` is not a Swagger 2.0 field here; dropped", (*location, key))


def _copy(ctx: _Context, node: object, location: Location) -> object:
    """A deep copy of arbitrary data, with every `$ref` outside instance data rewritten for OpenAPI 3."""
    if isinstance(node, dict):
        result: dict[str, object] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str):
                result[key] = _rewrite_ref(ctx, value, (*location, key))
            elif key in DATA_KEYS:
                result[key] = copy.deepcopy(value)
            else:
                result[key] = _copy(ctx, value, (*location, key))
        return result
    if isinstance(node, list):
        return [_copy(ctx, item, (*location, index)) for index, item in enumerate(node)]
    return node


def _unescape_token(token: str) -> str:
    return unquote(token).replace("~1", "/").replace("~0", "~")


def _rewrite_ref(ctx: _Context, ref: str, location: Location) -> str:
    """Point a 2.0 `$ref` at its OpenAPI 3 home; warn when it cannot be pointed anywhere sensible."""
    if not ref.startswith("#"):
        fragment = ref.partition("#")[2]
        if fragment.startswith(("/definitions/", "/parameters/", "/responses/")):
            message = f"external $ref {ref!r} left unchanged: the Swagger 2.0 file it names is not converted"
            ctx.warn("external-ref", message, location)
        return ref
    section, _, rest = ref[2:].partition("/") if ref.startswith("#/") else ("", "", "")
    token, _, deeper = rest.partition("/")
    name = _unescape_token(token)
    if section == "definitions":
        if name not in ctx.definitions:
            ctx.warn("unresolved-ref", f"$ref {ref!r} names no entry of `definitions`", location)
        return "#/components/schemas/" + rest
    if section == "securityDefinitions":
        return "#/components/securitySchemes/" + rest
    if section in ("responses", "parameters") and not deeper:
        table = ctx.responses if section == "responses" else ctx.parameters
        if name not in table:
            ctx.warn("unresolved-ref", f"$ref {ref!r} names no entry of `{section}`", location)
        if section == "responses":
            return "#/components/responses/" + rest
        kind = ctx.parameter_kinds.get(name, "parameter")
        if kind == "body":
            return "#/components/requestBodies/" + rest
        if kind == "formData":
            message = f"$ref {ref!r} names a formData parameter, which is only inlined into parameter lists"
            ctx.warn("unconvertible-ref", message, location)
            return ref
        return "#/components/parameters/" + rest
    message = f"$ref {ref!r} points where the OpenAPI 3 layout differs; left unchanged"
    ctx.warn("unconvertible-ref", message, location)
    return ref


# --- schemas ---------------------------------------------------------------------------------------------------


def _schema(ctx: _Context, node: object, location: Location) -> dict[str, object]:
    """A 2.0 Schema Object as an OpenAPI 3.0 one: file -> binary string, x-nullable, discriminator, refs."""
    if not isinstance(node, dict):
        ctx.warn("invalid-schema", f"a schema must be a mapping, found {type(node).__name__}; used `{{}}`", location)
        return {}
    result: dict[str, object] = {}
    for key, value in node.items():
        here = (*location, key)
        if key == "$ref" and isinstance(value, str):
            result[key] = _rewrite_ref(ctx, value, here)
        elif key == "x-nullable" and isinstance(value, bool):
            result["nullable"] = value
        elif key == "discriminator" and isinstance(value, str):
            result[key] = {"propertyName": value}
        elif key == "items":
            result[key] = _items_subschema(ctx, value, here)
        elif key in SWAGGER_SCHEMA_KEYWORDS and isinstance(value, dict):
            result[key] = _schema(ctx, value, here)
        elif key in SWAGGER_SCHEMA_LIST_KEYWORDS and isinstance(value, list):
            result[key] = [_schema(ctx, item, (*here, index)) for index, item in enumerate(value)]
        elif key in SWAGGER_SCHEMA_MAP_KEYWORDS and isinstance(value, dict):
            result[key] = {name: _schema(ctx, item, (*here, name)) for name, item in value.items()}
        elif key in DATA_KEYS:
            result[key] = copy.deepcopy(value)
        else:
            result[key] = _copy(ctx, value, here)
    if node.get("type") == "file":
        result["type"] = "string"
        result["format"] = "binary"
    return result


def _items_subschema(ctx: _Context, value: object, location: Location) -> dict[str, object]:
    if isinstance(value, list):
        ctx.warn("tuple-items", "a list of `items` schemas has no OpenAPI 3.0 equivalent; merged with anyOf", location)
        schemas = [_schema(ctx, item, (*location, index)) for index, item in enumerate(value)]
        return schemas[0] if len(schemas) == 1 else {"anyOf": schemas} if schemas else {}
    return _schema(ctx, value, location)


def _simple_schema(ctx: _Context, node: dict[str, object], location: Location) -> dict[str, object]:
    """The Schema Object of a 2.0 non-body parameter, Items or Header object: its type keywords, moved."""
    schema: dict[str, object] = {}
    for key in _SIMPLE_SCHEMA_KEYS:
        if key not in node:
            continue
        value = node[key]
        if key == "items":
            schema[key] = _simple_items(ctx, value, (*location, key))
        else:
            schema[key] = copy.deepcopy(value)
    if node.get("type") == "file":
        schema["type"] = "string"
        schema["format"] = "binary"
    if isinstance(nullable := node.get("x-nullable"), bool):
        schema["nullable"] = nullable
    return schema


def _simple_items(ctx: _Context, value: object, location: Location) -> dict[str, object]:
    if not isinstance(value, dict):
        ctx.warn("invalid-field", "`items` must be a mapping; used `{}`", location)
        return {}
    if "$ref" in value:  # not allowed by 2.0 in Items objects, but common and unambiguous
        return _schema(ctx, value, location)
    fmt = value.get("collectionFormat", "csv")
    if fmt != "csv":
        message = f"`collectionFormat: {fmt}` on nested items has no OpenAPI 3 equivalent; dropped"
        ctx.warn("unsupported-collection-format", message, (*location, "collectionFormat"))
    return _simple_schema(ctx, value, location)


# --- parameters ------------------------------------------------------------------------------------------------


def _collection_format(ctx: _Context, node: dict[str, object], location: Location) -> str:
    """The effective collectionFormat of an array parameter (csv by default); tsv and unknowns become csv."""
    fmt = node.get("collectionFormat", "csv")
    if fmt == "tsv":
        message = "`collectionFormat: tsv` has no OpenAPI 3 equivalent; treated as csv"
        ctx.warn("unsupported-collection-format", message, (*location, "collectionFormat"))
        return "csv"
    if not isinstance(fmt, str) or fmt not in _QUERY_STYLES:
        message = f"unknown `collectionFormat: {fmt}`; treated as csv"
        ctx.warn("unsupported-collection-format", message, (*location, "collectionFormat"))
        return "csv"
    return str(fmt)


def _parameter_style(ctx: _Context, node: dict[str, object], location: Location) -> dict[str, object]:
    """`style` and `explode` for an array parameter from its collectionFormat."""
    if node.get("type") != "array":
        return {}
    fmt = _collection_format(ctx, node, location)
    where = node.get("in")
    if where == "query":
        style, explode = _QUERY_STYLES[fmt]
        return {"style": style, "explode": explode}
    if fmt != "csv":
        message = f"`collectionFormat: {fmt}` is not possible for {where} parameters in OpenAPI 3; treated as csv"
        ctx.warn("unsupported-collection-format", message, (*location, "collectionFormat"))
    return {"style": "simple"}


def _parameter(ctx: _Context, node: dict[str, object], location: Location) -> dict[str, object]:
    """A 2.0 query, header or path parameter as an OpenAPI 3 Parameter Object."""
    _warn_unknown_keys(ctx, node, _PARAMETER_KEYS | frozenset(_SIMPLE_SCHEMA_KEYS), location)
    result: dict[str, object] = {}
    for key in ("name", "in", "description", "required"):
        if key in node:
            result[key] = copy.deepcopy(node[key])
    if node.get("in") == "path" and node.get("required") is not True:
        message = f"path parameter {node.get('name')!r} must be required; marked `required: true`"
        ctx.warn("path-parameter-required", message, (*location, "required"))
        result["required"] = True
    if "allowEmptyValue" in node:
        if node.get("in") == "query":
            result["allowEmptyValue"] = copy.deepcopy(node["allowEmptyValue"])
        else:
            message = "`allowEmptyValue` applies only to query parameters; dropped"
            ctx.warn("ignored-field", message, (*location, "allowEmptyValue"))
    result.update(_parameter_style(ctx, node, location))
    if "type" in node:
        result["schema"] = _simple_schema(ctx, node, location)
    elif isinstance(node.get("schema"), dict):
        message = "a non-body parameter describes its type inline in Swagger 2.0; its `schema` was used"
        ctx.warn("misplaced-schema", message, (*location, "schema"))
        result["schema"] = _schema(ctx, node["schema"], (*location, "schema"))
    else:
        ctx.warn("missing-parameter-type", f"parameter {node.get('name')!r} has no `type`; any value allowed", location)
        result["schema"] = _simple_schema(ctx, node, location)
    if "example" in node:
        result["example"] = copy.deepcopy(node["example"])
    result.update(_extensions(ctx, node, location))
    return result


def _resolve_parameters(ctx: _Context, value: object, location: Location) -> list[_Parameter]:
    """The usable entries of a parameter list, each with its definition; warn about and skip the rest."""
    if value is None:
        return []
    if not isinstance(value, list):
        ctx.warn("invalid-field", "`parameters` must be a list; ignored", location)
        return []
    resolved: list[_Parameter] = []
    for index, entry in enumerate(value):
        here = (*location, index)
        if not isinstance(entry, dict):
            ctx.warn("invalid-field", f"a parameter must be a mapping, found {type(entry).__name__}; dropped", here)
            continue
        ref = entry.get("$ref")
        if isinstance(ref, str):
            parameter = _resolve_parameter_ref(ctx, entry, ref, here)
            if parameter is not None:
                resolved.append(parameter)
            continue
        kind = _parameter_kind(entry)
        if kind == "invalid":
            _warn_location(ctx, entry, here)
            continue
        resolved.append(_Parameter(entry, here, here, kind))
    return resolved


def _resolve_parameter_ref(ctx: _Context, entry: dict[str, object], ref: str, location: Location) -> _Parameter | None:
    if not ref.startswith("#/parameters/") or "/" in ref[len("#/parameters/") :]:
        return _Parameter(entry, location, location, "parameter", ref=_rewrite_ref(ctx, ref, (*location, "$ref")))
    token = ref[len("#/parameters/") :]
    name = _unescape_token(token)
    node = ctx.parameters.get(name)
    if node is None:
        message = f"$ref {ref!r} names no entry of `parameters`; the parameter was dropped"
        ctx.warn("unresolved-ref", message, (*location, "$ref"))
        return None
    kind = ctx.parameter_kinds[name]
    if kind == "invalid" or not isinstance(node, dict):
        return None  # already warned about where it is defined (only a mapping has another kind)
    target = ("parameters", name)
    component = "#/components/requestBodies/" if kind == "body" else "#/components/parameters/"
    return _Parameter(node, target, location, kind, ref=component + token, ref_token=token)


def _warn_location(ctx: _Context, node: dict[str, object], location: Location) -> None:
    name = node.get("name")
    if "in" not in node:
        ctx.warn("unknown-parameter-location", f"parameter {name!r} has no `in`; dropped", location)
    else:
        message = f"parameter {name!r} has unsupported location `in: {node['in']}`; dropped"
        ctx.warn("unknown-parameter-location", message, (*location, "in"))


def _parameter_entry(ctx: _Context, parameter: _Parameter) -> dict[str, object]:
    if parameter.ref is not None:
        return {"$ref": parameter.ref}
    return _parameter(ctx, parameter.node, parameter.location)


# --- request bodies --------------------------------------------------------------------------------------------


def _request_body(
    ctx: _Context, node: dict[str, object], location: Location, media_types: tuple[str, ...]
) -> dict[str, object]:
    """A 2.0 body parameter as an OpenAPI 3 Request Body Object, one content entry per media type."""
    body: dict[str, object] = {}
    if "description" in node:
        body["description"] = copy.deepcopy(node["description"])
    if "schema" in node:
        schema = _schema(ctx, node["schema"], (*location, "schema"))
    else:
        ctx.warn(
            "missing-body-schema", f"body parameter {node.get('name')!r} has no `schema`; any value allowed", location
        )
        schema = {}
    body["content"] = {media_type: {"schema": copy.deepcopy(schema)} for media_type in media_types}
    if "required" in node:
        body["required"] = copy.deepcopy(node["required"])
    body.update(_extensions(ctx, node, location))
    return body


def _is_multipart(media_type: str) -> bool:
    return media_type.split(";", 1)[0].strip().lower() == "multipart/form-data"


def _form_body(ctx: _Context, fields: list[_Parameter], media_types: tuple[str, ...]) -> dict[str, object]:
    """formData parameters as one Request Body Object whose schema has a property per field."""
    multipart = any(item.node.get("type") == "file" for item in fields) or any(map(_is_multipart, media_types))
    properties: dict[str, object] = {}
    required: list[str] = []
    encoding: dict[str, object] = {}
    for field_ in fields:
        node, location = field_.node, field_.location
        name = str(node.get("name", ""))
        _warn_unknown_keys(ctx, node, _PARAMETER_KEYS | frozenset(_SIMPLE_SCHEMA_KEYS), location)
        schema = _simple_schema(ctx, node, location)
        if "description" in node:
            schema = {"description": copy.deepcopy(node["description"]), **schema}
        schema.update(_extensions(ctx, node, location))
        properties[name] = schema
        if node.get("required") is True and name not in required:
            required.append(name)
        if "allowEmptyValue" in node:
            message = "`allowEmptyValue` has no OpenAPI 3 equivalent for form fields; dropped"
            ctx.warn("ignored-field", message, (*location, "allowEmptyValue"))
        if node.get("type") != "array":
            continue
        fmt = _collection_format(ctx, node, location)
        if not multipart:
            style, explode = _QUERY_STYLES[fmt]
            encoding[name] = {"style": style, "explode": explode}
        elif fmt != "multi" and "collectionFormat" in node:
            message = f"`collectionFormat: {fmt}` cannot be described for multipart fields; sent as repeated parts"
            ctx.warn("unsupported-collection-format", message, (*location, "collectionFormat"))
    schema_object: dict[str, object] = {"type": "object", "properties": properties}
    if required:
        schema_object["required"] = required
    media: dict[str, object] = {"schema": schema_object}
    if encoding:
        media["encoding"] = encoding
    body: dict[str, object] = {
        "content": {"multipart/form-data" if multipart else "application/x-www-form-urlencoded": media}
    }
    if required:
        body["required"] = True
    return body


def _operation_request_body(
    ctx: _Context, parameters: list[_Parameter], media_types: tuple[str, ...]
) -> dict[str, object] | None:
    bodies = [parameter for parameter in parameters if parameter.kind == "body"]
    fields = [parameter for parameter in parameters if parameter.kind == "formData"]
    for extra in bodies[1:]:
        message = "an operation has at most one body parameter; only the first was kept"
        ctx.warn("multiple-body-parameters", message, extra.entry_location)
    if bodies and fields:
        message = "an operation has either a body or formData parameters; the formData parameters were dropped"
        ctx.warn("body-and-form-data", message, fields[0].entry_location)
    if bodies:
        body = bodies[0]
        if body.ref is not None and media_types == ctx.consumes:
            return {"$ref": body.ref}
        return _request_body(ctx, body.node, body.location, media_types)
    if fields:
        return _form_body(ctx, fields, media_types)
    return None


# --- responses -------------------------------------------------------------------------------------------------


def _header(ctx: _Context, node: dict[str, object], location: Location) -> dict[str, object]:
    _warn_unknown_keys(ctx, node, _HEADER_KEYS | frozenset(_SIMPLE_SCHEMA_KEYS), location)
    header: dict[str, object] = {}
    if "description" in node:
        header["description"] = copy.deepcopy(node["description"])
    if node.get("type") == "array" and _collection_format(ctx, node, location) != "csv":
        message = f"`collectionFormat: {node['collectionFormat']}` is not possible for headers in OpenAPI 3; csv used"
        ctx.warn("unsupported-collection-format", message, (*location, "collectionFormat"))
    header["schema"] = _simple_schema(ctx, node, location)
    header.update(_extensions(ctx, node, location))
    return header


def _response(
    ctx: _Context, node: dict[str, object], location: Location, media_types: tuple[str, ...]
) -> dict[str, object]:
    """A 2.0 Response Object: `schema` and `examples` become content per media type, headers get schemas."""
    _warn_unknown_keys(ctx, node, _RESPONSE_KEYS, location)
    response: dict[str, object] = {}
    if "description" in node:
        response["description"] = copy.deepcopy(node["description"])
    headers = node.get("headers")
    if isinstance(headers, dict):
        converted: dict[str, object] = {}
        for name, header in headers.items():
            if isinstance(header, dict):
                converted[name] = _header(ctx, header, (*location, "headers", name))
            else:
                ctx.warn("invalid-field", f"header {name!r} must be a mapping; dropped", (*location, "headers", name))
        response["headers"] = converted
    elif headers is not None:
        ctx.warn("invalid-field", "`headers` must be a mapping; dropped", (*location, "headers"))
    schema = _schema(ctx, node["schema"], (*location, "schema")) if "schema" in node else None
    content: dict[str, dict[str, object]] = {}
    if schema is not None:
        content = {media_type: {"schema": copy.deepcopy(schema)} for media_type in media_types}
    examples = node.get("examples")
    if isinstance(examples, dict):
        for media_type, example in examples.items():
            entry = content.setdefault(media_type, {} if schema is None else {"schema": copy.deepcopy(schema)})
            entry["example"] = copy.deepcopy(example)
    elif examples is not None:
        ctx.warn(
            "invalid-field", "`examples` must be a mapping of media type to example; dropped", (*location, "examples")
        )
    if content:
        response["content"] = content
    response.update(_extensions(ctx, node, location))
    return response


def _responses(ctx: _Context, value: object, location: Location, media_types: tuple[str, ...]) -> dict[str, object]:
    if not isinstance(value, dict):
        ctx.warn("invalid-field", "`responses` must be a mapping of status code to response; dropped", location)
        return {}
    responses: dict[str, object] = {}
    for code, node in value.items():
        here = (*location, code)
        if is_extension(code):
            responses[code] = _copy(ctx, node, here)
        elif not isinstance(node, dict):
            ctx.warn("invalid-field", f"response {code!r} must be a mapping; dropped", here)
        elif isinstance(ref := node.get("$ref"), str):
            responses[str(code)] = _response_ref(ctx, ref, here, media_types)
        else:
            responses[str(code)] = _response(ctx, node, here, media_types)
    return responses


def _response_ref(ctx: _Context, ref: str, location: Location, media_types: tuple[str, ...]) -> dict[str, object]:
    """A reference to a global response; inlined when this operation produces other media types than the document."""
    token = ref[len("#/responses/") :] if ref.startswith("#/responses/") else ""
    target = ctx.responses.get(_unescape_token(token)) if token and "/" not in token else None
    if isinstance(target, dict) and media_types != ctx.produces and ("schema" in target or "examples" in target):
        return _response(ctx, target, ("responses", _unescape_token(token)), media_types)
    return {"$ref": _rewrite_ref(ctx, ref, (*location, "$ref"))}


# --- paths and operations --------------------------------------------------------------------------------------


def _paths(ctx: _Context, value: object) -> dict[str, object]:
    if not isinstance(value, dict):
        message = (
            f"`paths` must be a mapping of path to path item, found {type(value).__name__}; no operations converted"
        )
        ctx.warn("invalid-field", message, ("paths",))
        return {}
    paths: dict[str, object] = {}
    for path, item in value.items():
        here = ("paths", path)
        if is_extension(path):
            paths[path] = _copy(ctx, item, here)
        elif isinstance(item, dict):
            paths[path] = _path_item(ctx, item, here)
        else:
            ctx.warn("invalid-field", f"path item {path!r} must be a mapping; dropped", here)
    return paths


def _path_item(ctx: _Context, node: dict[str, object], location: Location) -> dict[str, object]:
    """A Path Item: shared non-body parameters stay here; shared body and formData ones move into each operation."""
    _warn_unknown_keys(ctx, node, _PATH_ITEM_KEYS, location)
    item: dict[str, object] = {}
    if isinstance(ref := node.get("$ref"), str):
        item["$ref"] = _rewrite_ref(ctx, ref, (*location, "$ref"))
    for key in ("summary", "description"):
        if key in node:
            item[key] = copy.deepcopy(node[key])
    shared = _resolve_parameters(ctx, node.get("parameters"), (*location, "parameters"))
    plain = [_parameter_entry(ctx, parameter) for parameter in shared if parameter.kind == "parameter"]
    if plain:
        item["parameters"] = plain
    inherited = [parameter for parameter in shared if parameter.kind != "parameter"]
    for method, operation in node.items():
        if method not in _HTTP_METHODS:
            continue
        if isinstance(operation, dict):
            item[method] = _operation(ctx, operation, (*location, method), inherited)
        else:
            ctx.warn("invalid-field", f"operation `{method}` must be a mapping; dropped", (*location, method))
    item.update(_extensions(ctx, node, location))
    return item


def _operation(
    ctx: _Context, node: dict[str, object], location: Location, inherited: list[_Parameter]
) -> dict[str, object]:
    _warn_unknown_keys(ctx, node, _OPERATION_KEYS, location)
    operation: dict[str, object] = {}
    for key in ("tags", "summary", "description", "externalDocs", "operationId"):
        if key in node:
            operation[key] = _copy(ctx, node[key], (*location, key))
    consumes = _media_types(ctx.report, node.get("consumes"), (*location, "consumes"), ctx.consumes)
    produces = _media_types(ctx.report, node.get("produces"), (*location, "produces"), ctx.produces)
    own = _resolve_parameters(ctx, node.get("parameters"), (*location, "parameters"))
    overridden = {parameter.key for parameter in own}
    parameters = [parameter for parameter in inherited if parameter.key not in overridden] + own
    plain = [_parameter_entry(ctx, parameter) for parameter in own if parameter.kind == "parameter"]
    if plain:
        operation["parameters"] = plain
    request_body = _operation_request_body(ctx, parameters, consumes)
    if request_body is not None:
        operation["requestBody"] = request_body
    if "responses" in node:
        operation["responses"] = _responses(ctx, node["responses"], (*location, "responses"), produces)
    for key in ("deprecated", "security"):
        if key in node:
            operation[key] = _copy(ctx, node[key], (*location, key))
    if "schemes" in node:
        schemes = tuple(_schemes(ctx.report, node["schemes"], (*location, "schemes")))
        if ctx.host and schemes and schemes != ctx.schemes:
            operation["servers"] = _servers(ctx, schemes)
    operation.update(_extensions(ctx, node, location))
    return operation


# --- components ------------------------------------------------------------------------------------------------


def _components(ctx: _Context, document: dict[str, object]) -> dict[str, object]:
    """definitions, parameters, responses and securityDefinitions as OpenAPI 3 components.

    Global body parameters become `requestBodies` (with the document's `consumes`); global formData parameters
    have no component of their own and are inlined into the form body of each operation that refers to them.
    """
    components: dict[str, object] = {}
    schemas = {
        name: _schema(ctx, node, ("definitions", name))
        for name, node in _mapping(ctx.report, document, "definitions").items()
    }
    parameters: dict[str, object] = {}
    request_bodies: dict[str, object] = {}
    for name, node in ctx.parameters.items():
        here = ("parameters", name)
        kind = ctx.parameter_kinds[name]
        if not isinstance(node, dict):  # its kind is "invalid"
            ctx.warn("invalid-field", f"parameter {name!r} must be a mapping; dropped", here)
        elif kind == "parameter":
            parameters[name] = _parameter(ctx, node, here)
        elif kind == "body":
            request_bodies[name] = _request_body(ctx, node, here, ctx.consumes)
        elif kind == "invalid":
            _warn_location(ctx, node, here)
    responses: dict[str, object] = {}
    for name, node in ctx.responses.items():
        if isinstance(node, dict):
            responses[name] = _response(ctx, node, ("responses", name), ctx.produces)
        else:
            ctx.warn("invalid-field", f"response {name!r} must be a mapping; dropped", ("responses", name))
    security_schemes: dict[str, object] = {}
    for name, node in _mapping(ctx.report, document, "securityDefinitions").items():
        scheme = _security_scheme(ctx, node, ("securityDefinitions", name))
        if scheme is not None:
            security_schemes[name] = scheme
    sections = (
        ("schemas", schemas),
        ("responses", responses),
        ("parameters", parameters),
        ("requestBodies", request_bodies),
        ("securitySchemes", security_schemes),
    )
    for section, entries in sections:
        if entries:
            components[section] = entries
    return components


def _security_scheme(ctx: _Context, node: object, location: Location) -> dict[str, object] | None:
    """basic -> http/basic, apiKey as it is, oauth2 with one flow under its OpenAPI 3 name."""
    if not isinstance(node, dict):
        ctx.warn("invalid-field", "a security scheme must be a mapping; dropped", location)
        return None
    kind = node.get("type")
    scheme: dict[str, object]
    if kind == "basic":
        scheme = {"type": "http", "scheme": "basic"}
    elif kind == "apiKey":
        scheme = {"type": "apiKey", **{key: copy.deepcopy(node[key]) for key in ("name", "in") if key in node}}
    elif kind == "oauth2":
        flow = node.get("flow")
        flow_name = _OAUTH2_FLOWS.get(flow) if isinstance(flow, str) else None
        if flow_name is None:
            message = f"unknown oauth2 flow {flow!r}; the security scheme was dropped"
            ctx.warn("unsupported-security-scheme", message, (*location, "flow"))
            return None
        flow_object: dict[str, object] = {}
        for key in ("authorizationUrl", "tokenUrl"):
            if key in node:
                flow_object[key] = copy.deepcopy(node[key])
        scopes = node.get("scopes", {})
        if not isinstance(scopes, dict):
            ctx.warn(
                "invalid-field", "`scopes` must be a mapping of scope to description; emptied", (*location, "scopes")
            )
            scopes = {}
        flow_object["scopes"] = copy.deepcopy(scopes)
        scheme = {"type": "oauth2", "flows": {flow_name: flow_object}}
    else:
        message = f"unknown security scheme type {kind!r}; the security scheme was dropped"
        ctx.warn("unsupported-security-scheme", message, (*location, "type"))
        return None
    if "description" in node:
        scheme["description"] = copy.deepcopy(node["description"])
    scheme.update(_extensions(ctx, node, location))
    return scheme

"""An independent check that an HTTP request is what an OpenAPI operation expects.

Parameters are checked by openapi-core; bodies are decoded from the wire here (JSON, form, multipart with
JSON parts or Rails-style bracket names, text, bytes) and validated with openapi-schema-validator against
the operation's own schema. Neither path shares code with the generator.
"""

from __future__ import annotations

import contextlib
import email.parser
import email.policy
import json
import re
from collections import Counter
from typing import Any
from urllib.parse import parse_qsl

import httpx
from openapi_core import OpenAPI
from openapi_core.configurations import Config
from openapi_core.datatypes import RequestParameters
from openapi_core.validation.request.validators import V30RequestParametersValidator, V31RequestParametersValidator
from openapi_schema_validator import OAS30WriteValidator, OAS31Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4, DRAFT202012
from werkzeug.datastructures import Headers, ImmutableMultiDict

_STANDARD_HEADERS = frozenset(
    [
        "host",
        "accept",
        "accept-encoding",
        "connection",
        "user-agent",
        "content-type",
        "content-length",
        "authorization",
        "cookie",
    ]
)
BINARY = "<binary>"


class _Request:
    """openapi-core's request protocol over an httpx.Request."""

    def __init__(self, request: httpx.Request) -> None:
        self.host_url = f"{request.url.scheme}://{request.url.netloc.decode()}"
        self.path = request.url.path
        self.method = request.method.lower()
        self.body = request.content
        self.content_type = request.headers.get("content-type", "")
        cookies = dict(parse_qsl(request.headers.get("cookie", "").replace("; ", "&")))
        self.parameters = RequestParameters(
            query=ImmutableMultiDict(list(request.url.params.multi_items())),
            header=Headers(dict(request.headers)),
            cookie=ImmutableMultiDict(cookies),
            path={},
        )


def _pointer(*tokens: str) -> str:
    return "".join("/" + t.replace("~", "~0").replace("/", "~1") for t in tokens)


class RequestChecker:
    """Checks requests against one OpenAPI document."""

    def __init__(self, document: dict[str, Any], openapi_version: str, nesting: str = "openapi") -> None:
        self.document = _without_dangling_refs(document)
        self.version = openapi_version
        self.nesting = nesting
        parameters_validator = (
            V31RequestParametersValidator if openapi_version == "3.1" else V30RequestParametersValidator
        )
        config = Config(spec_validator_cls=None, request_validator_cls=parameters_validator)
        self.own_checks: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.skip_openapi_core: set[tuple[str, str]] = set()
        self.app = OpenAPI.from_dict(self._for_openapi_core(), config=config)
        specification = DRAFT202012 if openapi_version == "3.1" else DRAFT4
        self.registry: Registry[Any] = Registry().with_resource(
            "urn:spec", Resource.from_contents(self.document, default_specification=specification)
        )

    def _for_openapi_core(self) -> dict[str, Any]:
        """A copy of the document without the parameters openapi-core cannot read; those are checked here.

        openapi-core knows neither Rails-style nested query values nor path templates with text after a
        parameter in one segment (`/rfis/{id}.pdf`).
        """
        copy = json.loads(json.dumps(self.document))
        shapes = Counter(re.sub(r"\{[^}]*\}", "{}", path) for path in copy.get("paths", {}))
        for path, path_item in copy.get("paths", {}).items():
            # openapi-core would match `/rfis/{id}` with id `7.pdf`, or a request to one of two same-shaped
            # templates (`/a/{x}` and `/a/{y}`) with the other: such operations are checked here alone.
            suffixed = re.search(r"\}[^/]", path) is not None or shapes[re.sub(r"\{[^}]*\}", "{}", path)] > 1
            for method, operation in path_item.items():
                if method not in ("get", "put", "post", "delete", "options", "head", "patch", "trace"):
                    continue
                own: list[dict[str, Any]] = []
                for holder in (path_item, operation):
                    kept = []
                    for raw in holder.get("parameters", []):
                        parameter = dict(self.resolve(raw))
                        schema = self.resolve(parameter.get("schema", {}))
                        if parameter.get("in") == "path" and "{" + str(parameter.get("name")) + "}" not in path:
                            continue  # declared, but not in the path: nothing can carry it
                        # readOnly says where a property travels; openapi-core refuses it on a parameter's value. An
                        # enum without a type is read as text from a query string, so its type is made explicit.
                        parameter["schema"] = schema = _one_way_marks_dropped(schema, self)
                        nested = self.nesting == "brackets" and _is_nested(schema, self) and "style" not in parameter
                        # OpenAPI defines no form serialization of a list of objects: this runtime sends JSON items
                        nested = nested or (parameter.get("in") == "query" and _is_object_list(schema, self))
                        # openapi-core reads deepObject only for objects (OpenAPI defines no other use of it)
                        # (and reads one level only: `a[b][c]` is checked here)
                        deep = parameter.get("style") == "deepObject"
                        if parameter.get("in") == "query" and (nested or deep):
                            own.append(parameter)
                            continue
                        if suffixed:
                            own.append(parameter)
                        kept.append(parameter)
                    if "parameters" in holder:
                        holder["parameters"] = kept
                if own:
                    self.own_checks[(path, method)] = own
                if suffixed:
                    self.skip_openapi_core.add((path, method))
        return copy

    def resolve(self, node: Any) -> Any:
        seen = 0
        while (
            isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#") and seen < 50
        ):
            target: Any = self.document
            for token in node["$ref"][2:].split("/"):
                target = target[token.replace("~1", "/").replace("~0", "~")]
            node, seen = target, seen + 1
        return node

    def check(self, request: httpx.Request, method: str, path: str) -> list[str]:
        """Every way the request differs from the operation; empty when it conforms."""
        problems: list[str] = []
        try:
            if (path, method.lower()) not in self.skip_openapi_core:
                self.app.validate_request(_Request(request))
        except Exception as exc:  # openapi-core raises a family of validation errors
            cause = exc.__cause__ or exc
            problems.append(f"parameters: {exc}: {cause}")
        path_item = self.resolve(self.document["paths"][path])
        operation = path_item[method.lower()]
        problems += self._own_parameters(request, path, method.lower())
        problems += self._undeclared(request, path_item, operation)
        problems += self._body(request, method, path, operation)
        return problems

    def _own_parameters(self, request: httpx.Request, path: str, method: str) -> list[str]:
        problems: list[str] = []
        for parameter in self.own_checks.get((path, method), []):
            name, schema = parameter["name"], parameter.get("schema", {})
            if parameter["in"] == "path":
                # literal, name, literal, name, ...; a `#...` after the path only tells same-path operations apart
                pieces = re.split(r"\{([^{}]+)\}", path.split("#", 1)[0])
                pattern = "".join(
                    re.escape(piece) if index % 2 == 0 else f"(?P<p{index}>[^/]+?)"
                    for index, piece in enumerate(pieces)
                )
                groups = {pieces[index]: f"p{index}" for index in range(1, len(pieces), 2)}
                match = re.fullmatch("(?:/.*)?" + pattern, request.url.path)  # after the server's base path
                if match is None:
                    problems.append(f"path: {request.url.path} does not match {path}")
                    continue
                value: Any = match.group(groups[name])
            elif parameter["in"] in ("header", "cookie"):
                source = (
                    request.headers
                    if parameter["in"] == "header"
                    else dict(parse_qsl(request.headers.get("cookie", "").replace("; ", "&")))
                )
                if name not in source:
                    if parameter.get("required"):
                        problems.append(f"{parameter['in']}: required `{name}` is missing")
                    continue
                value = source[name]
            else:
                pairs = [(k, v) for k, v in request.url.params.multi_items() if k == name or k.startswith(name + "[")]
                if not pairs:
                    if parameter.get("required"):
                        problems.append(f"query: required `{name}` is missing")
                    continue
                renamed = [("v" + k[len(name) :], v) for k, v in pairs]  # the name may hold brackets itself
                value = _nest(renamed, {"properties": {"v": schema}}, self)["v"]
            value = self._coerce(value, schema)
            validator_class = OAS31Validator if self.version == "3.1" else OAS30WriteValidator
            validator = validator_class({"allOf": [_absolute_refs(schema)]}, registry=self.registry)
            problems += [f"{parameter['in']} `{name}`: {error.message}" for error in validator.iter_errors(value)]
        return problems

    def _declared(self, path_item: dict[str, Any], operation: dict[str, Any], location: str) -> list[dict[str, Any]]:
        found = {}
        for raw in [*path_item.get("parameters", []), *operation.get("parameters", [])]:
            parameter = self.resolve(raw)
            if parameter.get("in") == location:
                found[parameter["name"]] = parameter
        return list(found.values())

    def _undeclared(self, request: httpx.Request, path_item: dict[str, Any], operation: dict[str, Any]) -> list[str]:
        allowed: set[str] = set()
        patterns: list[str] = []
        for parameter in self._declared(path_item, operation, "query"):
            allowed.add(parameter["name"])
            schema = self.resolve(parameter.get("schema", {}))
            nested = self.nesting == "brackets" and _is_nested(schema, self) and "style" not in parameter
            if parameter.get("style") == "deepObject" or nested:
                patterns.append(re.escape(parameter["name"]) + r"(\[[^\]]*\])+")
            elif _object_properties(schema, self) is not None and parameter.get("explode", True):
                names = _object_properties(schema, self) or {}
                allowed.update(names)
                if not names and schema.get("additionalProperties", True) is not False:
                    patterns.append(".*")  # an exploded free-form object may use any name
        problems = [
            f"query: `{name}` is not a parameter of this operation"
            for name in dict.fromkeys(k for k, _ in request.url.params.multi_items())
            if name not in allowed and not any(re.fullmatch(p, name) for p in patterns)
        ]
        headers = {p["name"].lower() for p in self._declared(path_item, operation, "header")}
        problems += [
            f"header: `{name}` is not a parameter of this operation"
            for name in request.headers
            if name.lower() not in headers and name.lower() not in _STANDARD_HEADERS
        ]
        return problems

    def _body(self, request: httpx.Request, method: str, path: str, operation: dict[str, Any]) -> list[str]:
        body = self.resolve(operation.get("requestBody"))
        if not body:
            return ["body: sent, but the operation has none"] if request.content else []
        if not request.content:
            return ["body: required but not sent"] if body.get("required") else []
        content_type = request.headers.get("content-type", "")
        media_type = content_type.split(";")[0].strip().lower()
        declared = {k.split(";")[0].strip().lower(): k for k in body.get("content", {})}
        key = declared.get(media_type) or (declared.get("application/octet-stream") if media_type else None)
        key = key or next((k for d, k in declared.items() if "*" in d and _covers(d, media_type)), None)
        if key is None:
            return [f"body: media type {media_type!r} is not one of {sorted(declared)}"]
        schema_pointer = _pointer("paths", path, method.lower(), "requestBody", "content", key, "schema")
        if "$ref" in operation["requestBody"]:
            ref = operation["requestBody"]["$ref"][1:]
            schema_pointer = ref + _pointer("content", key, "schema")
        if "schema" not in (self.resolve(body["content"][key]) or {}):
            return []  # a media type without a schema takes any body
        schema = self.resolve(body["content"][key].get("schema", {}))
        try:
            value = self._decode(request, media_type, content_type, schema)
        except ValueError as exc:
            return [f"body: cannot decode {media_type}: {exc}"]
        validator_class = OAS31Validator if self.version == "3.1" else OAS30WriteValidator
        validator = validator_class({"$ref": "urn:spec#" + schema_pointer}, registry=self.registry)
        return [f"body: {error.json_path}: {error.message}" for error in validator.iter_errors(value)]

    def _decode(self, request: httpx.Request, media_type: str, content_type: str, schema: dict[str, Any]) -> Any:
        if media_type == "application/json" or media_type.endswith("+json"):
            return json.loads(request.content)
        if media_type.startswith("text/"):
            return request.content.decode()
        if media_type == "application/x-www-form-urlencoded":
            pairs = parse_qsl(request.content.decode(), keep_blank_values=True)
            return self._coerce(_nest([(k, v) for k, v in pairs], schema, self), schema)
        if media_type.startswith("multipart/"):
            message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                f"Content-Type: {content_type}\r\n\r\n".encode() + request.content
            )
            if not message.is_multipart():
                if request.content.strip().startswith(b"--") and request.content.strip().endswith(b"--"):
                    return self._coerce({}, schema)  # a multipart body with no parts
                raise ValueError("not a multipart body")
            pairs: list[tuple[str, Any]] = []
            for part in message.iter_parts():
                name = part.get_param("name", header="content-disposition")
                payload = part.get_payload(decode=True) or b""
                pairs.append((str(name), BINARY if part.get_filename() is not None else payload.decode()))
            return self._coerce(_nest(pairs, schema, self), schema)
        return BINARY

    def _coerce(self, value: Any, schema: Any) -> Any:
        """Form fields arrive as text; give them the types their schema names."""
        schema = self.resolve(schema)
        if not isinstance(schema, dict):
            return value
        properties = dict(schema.get("properties", {}))
        for part in schema.get("allOf", []):
            properties.update(self.resolve(part).get("properties", {}))
        branches = [self.resolve(b) for b in [*schema.get("anyOf", []), *schema.get("oneOf", [])]]
        if not isinstance(value, (dict, list)) and branches and "type" not in schema:
            kinds = [b.get("type") for b in branches if isinstance(b, dict)]
            return (
                next((c for c in (self._coerce(value, b) for b in branches) if c != value), value) if kinds else value
            )
        for branch in branches:
            if isinstance(value, dict) and isinstance(branch, dict) and "properties" in branch:
                properties = {**branch["properties"], **properties}
            if isinstance(value, dict) and isinstance(branch.get("additionalProperties"), dict):
                schema = {
                    **schema,
                    "additionalProperties": schema.get("additionalProperties", branch["additionalProperties"]),
                }
            if isinstance(value, list) and isinstance(branch, dict) and "items" in branch and "items" not in schema:
                schema = {**schema, "items": branch["items"]}
        if isinstance(value, dict):
            extra = schema.get("additionalProperties", {})
            extra = extra if isinstance(extra, dict) else {}
            return {k: self._coerce(v, properties.get(k, extra)) for k, v in value.items()}
        if isinstance(value, list):
            return [self._coerce(v, schema.get("items", {})) for v in value]
        kind = schema.get("type")
        try:
            if kind == "integer" and isinstance(value, str):
                return int(value)
            if kind == "number" and isinstance(value, str):
                return float(value)
        except ValueError:
            return value
        if kind == "boolean" and value in ("true", "false"):
            return value == "true"
        return value


def _absolute_refs(schema: Any) -> Any:
    """A copy of a schema whose local `$ref`s name the registered document, so it can be checked on its own."""
    if isinstance(schema, dict):
        return {
            k: ("urn:spec" + v if k == "$ref" and isinstance(v, str) and v.startswith("#") else _absolute_refs(v))
            for k, v in schema.items()
        }
    if isinstance(schema, list):
        return [_absolute_refs(item) for item in schema]
    return schema


def _one_way_marks_dropped(schema: Any, checker: RequestChecker, depth: int = 0) -> Any:
    """A parameter's schema inlined (a few levels) without readOnly/writeOnly."""
    schema = checker.resolve(schema)
    if depth > 8 or not isinstance(schema, (dict, list)):
        return schema
    if isinstance(schema, list):
        return [_one_way_marks_dropped(item, checker, depth + 1) for item in schema]
    result = {
        k: v
        if k in ("enum", "default", "example", "examples", "const")
        else _one_way_marks_dropped(v, checker, depth + 1)
        for k, v in schema.items()
        if k not in ("readOnly", "writeOnly")
    }
    enum = schema.get("enum")
    if "type" not in schema and isinstance(enum, list) and enum:
        kinds = {"boolean" if isinstance(v, bool) else "integer" if isinstance(v, int) else "" for v in enum}
        if len(kinds) == 1 and "" not in kinds:
            result["type"] = kinds.pop()
    return result


def _object_properties(schema: Any, checker: RequestChecker) -> dict[str, Any] | None:
    """The properties of an object schema (its allOf parts' too); None when the schema is not an object."""
    schema = checker.resolve(schema)
    if not isinstance(schema, dict):
        return None
    parts = [checker.resolve(part) for part in schema.get("allOf", [])]
    if schema.get("type") != "object" and not any(isinstance(p, dict) and p.get("type") == "object" for p in parts):
        return None
    found = dict(schema.get("properties", {}))
    for part in parts:
        if isinstance(part, dict):
            found.update(part.get("properties", {}))
    return found


def _covers(declared: str, media_type: str) -> bool:
    """Whether a wildcard media type (`*/*`, `application/*`) covers a concrete one."""
    kind, _, sub = declared.partition("/")
    other_kind, _, other_sub = media_type.partition("/")
    return kind in ("*", other_kind) and sub in ("*", other_sub)


def _is_object_list(schema: Any, checker: RequestChecker) -> bool:
    schema = checker.resolve(schema)
    if not isinstance(schema, dict) or schema.get("type") != "array":
        return False
    items = checker.resolve(schema.get("items", {}))
    return isinstance(items, dict) and (items.get("type") == "object" or "properties" in items)


def _without_dangling_refs(document: Any) -> Any:
    """The document read as the generator reads it: every `$ref` that points at nothing replaced by `{}` (any value:
    a broken spec cannot be checked there, and the rest of it still can), `oneOf` as `anyOf` (real specs' branches
    overlap, so exactly-one would refuse every value), and readOnly properties out of `required` lists (where
    openapi-schema-validator misses a mark behind a `$ref` or in an allOf part)."""

    def exists(ref: str) -> bool:
        target: Any = document
        for token in ref[2:].split("/") if ref.startswith("#/") else []:
            token = token.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or token not in target:
                return False
            target = target[token]
        return ref.startswith("#")

    def read_only(node: Any) -> bool:
        for _ in range(50):
            if not isinstance(node, dict):
                return False
            if node.get("readOnly") is True or any(read_only(part) for part in node.get("allOf", [])):
                return True
            ref = node.get("$ref")
            if not (isinstance(ref, str) and exists(ref)):
                return False
            node = target_of(ref)
        return False

    def target_of(ref: str) -> Any:
        target: Any = document
        for token in ref[2:].split("/"):
            target = target[token.replace("~1", "/").replace("~0", "~")]
        return target

    def all_properties(node: Any, depth: int = 0) -> dict[str, Any]:
        """A schema's properties with those of its allOf parts and anyOf/oneOf branches, references followed."""
        while isinstance(node, dict) and isinstance(node.get("$ref"), str) and exists(node["$ref"]) and depth < 32:
            node, depth = target_of(node["$ref"]), depth + 1
        if not isinstance(node, dict) or depth > 16:
            return {}
        found: dict[str, Any] = {}
        for keyword in ("allOf", "anyOf", "oneOf"):
            for part in node.get(keyword) or []:
                found.update(all_properties(part, depth + 1))
        found.update(node.get("properties") or {})
        return found

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and not exists(ref):
                return {}
            data = ("example", "examples", "default", "enum", "const")
            result = {k: v if k in data else walk(v) for k, v in node.items()}
            if isinstance(result.get("oneOf"), list) and "anyOf" not in result:
                result["anyOf"] = result.pop("oneOf")  # read as the generator reads it: any branch will do
            items = node.get("items")
            if isinstance(items, dict) and read_only(items):
                # readOnly is about properties: on a list's items (a shared ID schema, say) it says nothing
                result["items"] = {"allOf": [{k: v for k, v in items.items() if k != "readOnly"}], "readOnly": False}
                if isinstance(items.get("$ref"), str) and exists(items["$ref"]):
                    target = target_of(items["$ref"])
                    result["items"] = walk({k: v for k, v in target.items() if k != "readOnly"})
            properties, required = all_properties(node), node.get("required")
            if properties and isinstance(required, list):
                # Requests leave out readOnly properties, required or not; a mark behind a `$ref` counts too.
                result["required"] = [n for n in required if not read_only(properties.get(n))]
            return result
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return walk(document)


def _is_nested(schema: Any, checker: RequestChecker) -> bool:
    schema = checker.resolve(schema)
    if not isinstance(schema, dict):
        return False
    if schema.get("type") == "object" or "properties" in schema:
        return True
    items = checker.resolve(schema.get("items", {}))
    return (
        schema.get("type") == "array"
        and isinstance(items, dict)
        and (items.get("type") == "object" or "properties" in items)
    )


def _nest(pairs: list[tuple[str, Any]], schema: dict[str, Any], checker: RequestChecker) -> dict[str, Any]:
    """Rebuild an object from form fields named `a[b][c]` / `a[]`, or with nested values as JSON parts."""
    result: dict[str, Any] = {}
    properties = checker.resolve(schema).get("properties", {}) if isinstance(schema, dict) else {}
    for name, value in pairs:
        tokens = re.findall(r"\[([^\]]*)\]", name)
        head = name.split("[", 1)[0]
        if not tokens:
            kind = checker.resolve(properties.get(head, {})).get("type")
            if kind in ("object", "array") and isinstance(value, str) and value != BINARY:
                with contextlib.suppress(ValueError):  # a plain text part stays text
                    value = json.loads(value)
            if kind == "array" and not isinstance(value, list):
                result.setdefault(head, []).append(value)
            else:
                result[head] = value
            continue
        node: Any = result
        keys: list[str] = [head, *tokens]
        for index, key in enumerate(keys):
            last = index == len(keys) - 1
            following = None if last else keys[index + 1]
            fresh: Any = [] if following == "" or (following or "x").isdigit() else {}
            if isinstance(node, list) and key.isdigit():  # `a[0][b]`: numbered items
                position = int(key)
                while len(node) <= position:
                    node.append({} if not last else None)
                if last:
                    node[position] = value
                else:
                    if not isinstance(node[position], (dict, list)) or (
                        isinstance(fresh, list) and node[position] == {}
                    ):
                        node[position] = fresh
                    node = node[position]
                continue
            if key == "":
                if last:
                    node.append(value)
                elif node and isinstance(node[-1], dict) and following not in node[-1]:
                    node = node[-1]  # Rails: `a[][x]=1&a[][y]=2` fills one element until a key repeats
                else:
                    node.append(fresh)
                    node = node[-1]
            elif last:
                node[key] = value
            else:
                node = node.setdefault(key, fresh)
    return result

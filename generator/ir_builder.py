"""Stage 3, IR: turn a parsed OpenAPI document into an Api of Tools (schemas, binding, names, wording)."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from generator import __version__, paging
from generator.budget import Memo, reduce_tool, within_depth
from generator.config import GeneratorConfig
from generator.describing import Describer
from generator.diagnostics import Diagnostic, GenerationError
from generator.effects import method_hints
from generator.files import is_binary, replace_binary_fields
from generator.halves import build_tools
from generator.ir import Api, Argument, HttpBinding, Location, SecurityScheme, Shape, Tool, ToolAnnotations
from generator.linking import Linking, attach_defs
from generator.name_sources import NAME_AIM, NameSource, plain_text, product_words, title_from
from generator.name_sources import choose as choose_source
from generator.naming import sentence_case, shorten_names, snake_case, unique_names
from generator.openapi import HTTP_METHODS, IDEMPOTENT_METHODS, TYPING_KEYWORDS
from generator.operations import (
    Operation,
    ParsedOperation,
    RequestBody,
    is_json,
    iter_operations,
    server_url,
)
from generator.outline import outline
from generator.parse import ParsedSpec
from generator.schema import SchemaCompiler
from generator.schema_parts import Part
from generator.selection import Override
from generator.siblings import related_tools
from generator.templating import environment
from generator.text import as_sentence, clean_prose, drop_doubled_words, first_sentence, gist
from generator.trimming import trim_output
from generator.urls import foreign_oauth_hosts, spec_server_urls
from generator.wording import Wording

_BRACKETED = re.compile(r"^([A-Za-z0-9_.-]+)\[([^\[\]]+)\](\[\])?$")
_PROPERTY_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


@dataclass(frozen=True)
class OutputPart:
    """A response schema compiled but carried in part by tools/list: `link_outputs` makes it whole."""

    part: Part
    paginated: bool


@dataclass(frozen=True)
class Built:
    """What building one operation gives: its tool, and its response schema when that is to be made whole."""

    tool: Tool
    output: OutputPart | None


@dataclass(frozen=True)
class _Inputs:
    """What a tool takes: its input schema, where each argument goes, and how the body travels."""

    schema: dict[str, Any]
    arguments: list[Argument]
    media_type: str | None
    body_is_whole: bool
    file_fields: tuple[tuple[str, ...], ...]
    bracketed: tuple[str, ...]
    body_required: bool
    idempotency_header: str = ""
    """The spec's idempotency-key header: the server fills it, one key per call, so it is no input."""


class _InputAssembly:
    """One tool's input schema as it is put together: properties, required names and argument bindings, added in
    a fixed order (parameters, undeclared path parameters, bracketed query groups, then the body)."""

    def __init__(self, builder: _ToolBuilder, op: Operation) -> None:
        self.builder = builder
        self.op = op
        self.properties: dict[str, Any] = {}
        self.required: list[str] = []
        self.arguments: list[Argument] = []
        self.dependent_required: dict[str, list[str]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        """Query parameters written `group[member]`, by group: they become one object property each."""
        self.renamed: dict[str, tuple[str, str]] = {}
        self.taken: set[str] = set()
        self.path_params: set[str] = set()
        self.idempotency_header = ""

    def take(self, name: str, location: Location) -> str:
        """A property name for a wire name: as written when it is a valid, free name; else qualified."""
        candidate = name if _PROPERTY_NAME.match(name) else snake_case(name) or "value"
        if location == "header":
            candidate = snake_case(name) or "header"
        if candidate in self.taken:
            base = f"{location}_{candidate}"
            candidate, counter = base, 2
            while candidate in self.taken:
                candidate, counter = f"{base}_{counter}", counter + 1
            message = f"`{name}` appears in more than one place; the {location} one is called `{candidate}`"
            self.builder.warn("renamed-property", message, self.op.pointer)
            self.renamed[candidate] = (name, location)
        self.taken.add(candidate)
        return candidate

    def add(self, schema: dict[str, Any], argument: Argument) -> None:
        self.properties[argument.property_name] = schema
        if argument.required:
            self.required.append(argument.property_name)
        self.arguments.append(argument)

    def parameter(self, parameter: dict[str, Any], pointer: str, schema: dict[str, Any]) -> None:
        location: Location = parameter["in"]
        wire = str(parameter["name"])
        is_required = bool(parameter.get("required")) or location == "path"
        if location == "path":
            if "{" + wire + "}" not in self.op.path:
                message = f"path parameter `{wire}` does not appear in the path; it is left out"
                self.builder.warn("unused-path-parameter", message, pointer)
                return
            self.path_params.add(wire)
        if location == "header" and paging.squashed(wire) in IDEMPOTENCY_HEADERS:
            self.idempotency_header = wire  # the server sends one key per call and keeps it on retries
            return
        bracketed = _BRACKETED.match(wire) if location == "query" else None
        if bracketed:
            self.group_member(parameter, bracketed, schema, is_required)
            return
        name = self.take(wire, location)
        style, explode = _serialization(parameter, location)
        if location == "query" and not style and self.builder.config.nesting == "brackets" and _is_nested(schema):
            style = "brackets"
        self.add(schema, Argument(name, location, wire, is_required, style=style, explode=explode))

    def group_member(
        self, parameter: dict[str, Any], bracketed: re.Match[str], schema: dict[str, Any], is_required: bool
    ) -> None:
        group = self.groups.setdefault(bracketed.group(1), {"members": {}, "required": []})
        member = bracketed.group(2)
        if bracketed.group(3) and schema.get("type") != "array":
            schema = {"type": "array", "items": {k: v for k, v in schema.items() if k != "description"}}
            if "description" in parameter:
                schema["description"] = clean_prose(str(parameter["description"]), self.builder.docs_base)
        group["members"][member] = (str(parameter["name"]), schema)
        if is_required:
            group["required"].append(member)

    def undeclared_path_parameters(self) -> None:
        for missing in sorted(set(re.findall(r"\{([^{}]+)\}", self.op.path)) - self.path_params):
            self.builder.warn(
                "undeclared-path-parameter", f"path parameter `{missing}` is not declared", self.op.pointer
            )
            name = self.take(missing, "path")
            schema = {"type": "string", "description": self.builder.wording.parameter_fallback(missing, "path")}
            self.add(schema, Argument(name, "path", missing, True))

    def bracketed_groups(self) -> None:
        for group_name, group in self.groups.items():
            name = self.take(group_name, "query")
            members = {member: schema for member, (_, schema) in group["members"].items()}
            group_schema: dict[str, Any] = {
                "type": "object",
                "description": self.builder.wording.bracket_group(group_name),
                "properties": members,
                "additionalProperties": False,
            }
            if group["required"]:
                group_schema["required"] = group["required"]
            wires = tuple((member, wire) for member, (wire, _) in group["members"].items())
            style = "brackets" if self.builder.config.nesting == "brackets" else ""
            argument = Argument(name, "query", group_name, bool(group["required"]), members=wires, style=style)
            self.add(group_schema, argument)

    def body(
        self, media_type: str | None, schema: dict[str, Any] | None, required: bool, files: list[tuple[str, ...]]
    ) -> bool:
        """Add the body: its fields as properties when it is an object with some, else one property for all of it.
        Whether it is sent whole."""
        if schema is None:
            return False
        fields = schema.get("properties")
        is_file = () in files
        if not is_file and schema.get("type") in ("object", None) and isinstance(fields, dict) and fields:
            self.body_fields(schema, fields, required)
            return False
        name = self.take("file" if is_file else "body", "body")
        if "description" not in schema:
            schema["description"] = self.builder.wording.whole_body(media_type)
        if schema.keys().isdisjoint(TYPING_KEYWORDS):
            schema["type"] = _body_type(schema, media_type)
        self.add(schema, Argument(name, "body", "", required))
        return True

    def body_fields(self, schema: dict[str, Any], fields: dict[str, Any], body_required: bool) -> None:
        listed = [str(n) for n in schema.get("required", [])]
        declared = dict(fields)
        for missing in [n for n in listed if n not in declared]:
            message = f"the body requires `{missing}` but does not describe it; it is accepted as any value"
            self.builder.warn("undeclared-required-property", message, self.op.pointer + "/requestBody")
            declared[missing] = {"description": self.builder.wording.undescribed(missing)}
        names: dict[str, str] = {}
        for wire, field in declared.items():
            name = names[wire] = self.take(wire, "body")
            self.add(dict(field), Argument(name, "body", wire, body_required and wire in listed))
        if not body_required and listed:
            # An optional body still needs its required fields once any field of it is sent.
            needed = [names[n] for n in listed]
            self.dependent_required.update(
                {names[w]: [n for n in needed if n != names[w]] for w in declared if names[w] not in needed}
            )
            self.dependent_required.update({n: [m for m in needed if m != n] for n in needed if len(needed) > 1})

    def schema(self, definitions: dict[str, dict[str, Any]]) -> dict[str, Any]:
        """The input schema: every property described, the config's bindings applied, shared parts in `$defs`."""
        builder, properties = self.builder, self.properties
        for name, (wire, location) in self.renamed.items():
            note = builder.wording.renamed(wire, location)
            described = properties[name].get("description", "")
            properties[name] = {**properties[name], "description": f"{described} {note}".strip()}
        locations = {argument.property_name: argument.location for argument in self.arguments}
        for name, schema in properties.items():
            properties[name] = builder.describer.property(name, schema, locations.get(name, "body"), "")
        self.arguments = builder.bind(self.arguments, properties, self.required)
        input_schema: dict[str, Any] = {"type": "object", "properties": properties}
        if self.required:
            input_schema["required"] = self.required
        if self.dependent_required:
            input_schema["dependentRequired"] = {k: v for k, v in self.dependent_required.items() if v}
        input_schema["additionalProperties"] = False
        input_schema = attach_defs(input_schema, definitions)
        for def_name, definition in input_schema.get("$defs", {}).items():
            input_schema["$defs"][def_name] = builder.describer.members(definition, "body", def_name)
        return input_schema


class _ToolBuilder:
    """Builds tools for one document; holds the schema compiler and the wording templates."""

    def __init__(self, spec: ParsedSpec, config: GeneratorConfig, wording: Wording) -> None:
        self.spec = spec
        self.document = spec.document
        self.config = config
        # Real specs repeat the same field descriptions thousands of times: clean each text once.
        budget = config.description_budget
        self.docs_base = docs_base(spec.document, config.docs_base_url)
        self.clean = functools.lru_cache(maxsize=None)(lambda text: clean_prose(text, self.docs_base, budget))
        self.compiler = SchemaCompiler(spec.document, spec.report, spec.openapi_version, self.clean, wording)
        self.wording = wording
        self.schemes = security_schemes(spec.document)
        raw_schemes = (spec.document.get("components") or {}).get("securitySchemes") or {}
        self.deprecated_schemes = {
            n for n, s in raw_schemes.items() if isinstance(s, dict) and s.get("deprecated") is True
        }
        self.describer = Describer(wording.parameter_fallback)
        self.acronyms = document_acronyms(spec.document)
        self.reductions = Memo()  # tools over budget that share parts reduce them once

    def warn(self, kind: str, message: str, pointer: str) -> None:
        self.compiler.warn(kind, message, pointer)

    def spell(self, word: str) -> str:
        """A path's word as the document writes it: an acronym its prose uses in capitals (`rfis` -> `RFIs`)."""
        if word in self.acronyms:
            return self.acronyms[word]
        if word.endswith("s") and word[:-1] in self.acronyms:
            return self.acronyms[word[:-1]] + "s"
        return word

    # -- parameters and body -------------------------------------------------------------------------

    def parameter_part(self, parameter: dict[str, Any], pointer: str, state: Linking) -> Part:
        """A parameter's schema, compiled (from `schema`, else from its one `content` entry) and added to `state`."""
        if "schema" in parameter:
            return self.compiler.compile_part(parameter["schema"], pointer + "/schema", state)
        content = parameter.get("content") or {}
        media: Any = next(iter(content.values()), {}) if isinstance(content, dict) else {}
        return self.compiler.compile_part(media.get("schema", {}), pointer + "/content", state)

    def parameter_schema(self, parameter: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
        """The linked schema of a parameter, with the parameter's own description and deprecation."""
        description = self.clean(str(parameter.get("description", "")))
        if description:
            schema = {"description": description, **{k: v for k, v in schema.items() if k != "description"}}
        if parameter.get("deprecated"):
            schema["deprecated"] = True
        return schema

    def is_token_endpoint(self, op: Operation) -> bool:
        url = f"{server_url(self.document, op)}{op.path}"
        return any(scheme.token_url.rstrip("/") == url for scheme in self.schemes)

    @staticmethod
    def is_revocation_endpoint(op: Operation, arguments: list[Argument]) -> bool:
        """A token revocation endpoint (RFC 7009 names its path `revoke`) that sends a token from the store."""
        return op.path.rstrip("/").rsplit("/", 1)[-1] == "revoke" and any(a.bind_token for a in arguments)

    def with_shape_inputs(self, schema: dict[str, Any], shape: Shape) -> dict[str, Any]:
        """The inputs that shape the answer: `fields` (project it), `max_items` (follow the pages), and the page
        size's default where the server asks for one."""
        properties = dict(schema.get("properties", {}))
        rule = shape.paging
        if rule is not None and rule.fill is not None and rule.size in properties:
            size = dict(properties[rule.size])
            told = str(self.wording.page_size_fill(rule.fill))
            size["description"] = f"{size['description']} {told}".strip() if size.get("description") else told
            properties[rule.size] = size
        if shape.fields:
            properties[paging.FIELDS] = {
                "type": "array",
                "items": {"type": "string"},
                "description": str(self.wording.fields_input(bool(shape.items))),
            }
        if rule is not None:
            properties[paging.MAX_ITEMS] = {
                "type": "integer",
                "minimum": 1,
                "maximum": paging.MAX_ITEMS_LIMIT,
                "description": str(self.wording.max_items_input()),
            }
        return {**schema, "properties": properties}

    def with_pagination(self, schema: dict[str, Any]) -> dict[str, Any]:
        """Add the optional `pagination` object the server fills from the response headers."""
        properties = schema.get("properties", {})
        if "pagination" in properties:
            return schema
        pagination = {
            "type": "object",
            "description": str(self.wording.pagination()),
            "properties": {
                key: {"type": ["integer", "null"], "description": str(self.wording.pagination_field(key))}
                for key in ("page", "per_page", "total", "next_page", "last_page")
            },
        }
        return {**schema, "properties": {**properties, "pagination": pagination}}

    def bind(self, arguments: list[Argument], properties: dict[str, Any], required: list[str]) -> list[Argument]:
        """Apply the config's bindings: hidden arguments leave the schema; visible ones become optional."""
        bound: list[Argument] = []
        for argument in arguments:
            binding = self.config.binding_for(argument.wire_name) if argument.wire_name else None
            if binding is None:
                bound.append(argument)
                continue
            name = argument.property_name
            if name in required:
                required.remove(name)
            if binding.hidden:
                properties.pop(name, None)
            else:
                note = self.wording.bound_default(binding.env) if binding.env else ""
                properties[name] = {
                    **properties[name],
                    "description": f"{properties[name]['description']} {note}".strip(),
                }
            bound.append(
                dataclasses.replace(argument, bind_env=binding.env, bind_token=binding.token, hidden=binding.hidden)
            )
        return bound

    def body_part(self, body: RequestBody | None, state: Linking) -> Part | None:
        """The request body's schema, compiled and added to `state`; None without a body."""
        if body is None:
            return None
        return self.compiler.compile_part(body.schema, body.schema_pointer, state)

    def request_body(
        self, found: RequestBody | None, part: Part | None, state: Linking
    ) -> tuple[str | None, dict[str, Any] | None, bool, list[tuple[str, ...]]]:
        """The chosen media type, its linked schema, whether the body is required, and its file fields."""
        if found is None or part is None:
            return None, None, False, []
        media_type, body = found.media_type, found.body
        schema = state.link(part)
        description = clean_prose(str(body.get("description", "")), self.docs_base)
        if description and "description" not in schema:
            schema["description"] = description
        base = media_type.split(";")[0].strip().lower()
        files: list[tuple[str, ...]] = []
        if base.startswith("multipart/") or base == "application/octet-stream" or is_binary(schema):
            if base == "application/octet-stream" and not schema:
                schema = {"type": "string", "format": "binary", "description": self.wording.whole_body(media_type)}
            schema, files = replace_binary_fields(schema, self.wording)
        return media_type, schema, bool(body.get("required")), files

    # -- one tool --------------------------------------------------------------------------------------

    def build_input(self, parsed: ParsedOperation) -> _Inputs:
        # Every part is compiled before any is linked: which referenced schemas are shared depends on all of them.
        state = self.compiler.begin("input")
        parameters = [
            (found.parameter, found.pointer, self.parameter_part(found.parameter, found.pointer, state))
            for found in parsed.parameters
        ]
        body = parsed.body
        body_part = self.body_part(body, state)
        inputs = _InputAssembly(self, parsed.op)
        for parameter, pointer, part in parameters:
            inputs.parameter(parameter, pointer, self.parameter_schema(parameter, state.link(part)))
        inputs.undeclared_path_parameters()
        inputs.bracketed_groups()
        media_type, body_schema, body_required, file_fields = self.request_body(body, body_part, state)
        body_is_whole = inputs.body(media_type, body_schema, body_required, file_fields)
        input_schema = inputs.schema(state.definitions())
        deep_fields = body.bracketed if body is not None and not body_is_whole else ()
        return _Inputs(
            input_schema,
            inputs.arguments,
            media_type,
            body_is_whole,
            tuple(file_fields),
            deep_fields,
            body_required,
            inputs.idempotency_header,
        )

    def build_output(self, parsed: ParsedOperation) -> tuple[dict[str, Any] | None, bool, Part | None]:
        """The outputSchema from the first 2xx JSON response (non-objects are wrapped as `{"result": ...}`), and
        the compiled response schema. Unless tools/list carries it in full, the schema is only its first levels,
        which is all an outline and the description need; output_schemas.json gets the whole (`link_outputs`)."""
        response = parsed.response
        if response is None:
            return None, False, None
        part = self.compiler.part(response.schema, response.schema_pointer, "output")
        if self.config.output_schema != "full":
            shaped, wrapped = _shaped_output(self.compiler.shallow(part, _OUTLINE_DEPTH))
            return shaped, wrapped, part
        linking = self.compiler.begin("output")
        linking.add(part)
        shaped, wrapped = _shaped_output(linking.link(part))
        return attach_defs(shaped, linking.definitions()), wrapped, part

    def within_budget(
        self, op: Operation, name: str, description: str, schema: dict[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The input schema tools/list carries, and the whole one when that had to be reduced (with a warning)."""
        note = str(self.wording.open_shape())
        reduction = reduce_tool(name, description, schema, self.config.tool_budget, note, self.reductions)
        if not reduction.steps:
            return schema, None
        budget = self.config.tool_budget
        size = f"{reduction.before:,} bytes of name, description and inputSchema"
        over = f"is {size} ({budget:,} allowed)" if reduction.before > budget else f"({size}) nests too deep"
        message = (
            f"`{name}` {over}: {', '.join(reduction.steps)}; now {reduction.after:,} bytes. The server checks"
            " arguments against the whole schema, which `describe_operation` shows"
        )
        self.warn("tool-reduced" if reduction.after <= budget else "tool-over-budget", message, op.pointer)
        return reduction.schema, reduction.whole

    def link_outputs(self, built: tuple[Built, ...]) -> tuple[tuple[Tool, ...], dict[str, Any]]:
        """The whole response schemas for output_schemas.json, linked together: a referenced schema that several
        of them use is kept once in the shared definitions returned. Tools get theirs as `full_output_schema`."""
        linking = self.compiler.begin("output")
        for one in built:
            if one.output is not None:
                linking.add(one.output.part)
        linked: list[Tool] = []
        for one in built:
            tool = one.tool
            if one.output is None:
                linked.append(tool)
                continue
            part, paginated = one.output.part, one.output.paginated
            schema, _ = _shaped_output(linking.link(part))
            if paginated:
                schema = self.with_pagination(schema)
            full = schema if schema != tool.output_schema else None
            linked.append(dataclasses.replace(tool, full_output_schema=full))
        return tuple(linked), linking.definitions()

    def annotations(self, op: Operation, override: Override | None, name: str) -> ToolAnnotations:
        """Hints from the method and the name (`generator.effects`), then the config's per-operation overrides."""
        hints = {**method_hints(op.method, name), "openWorldHint": True}
        if override is not None:
            hints.update(dict(override.annotations))
        return ToolAnnotations(
            read_only=hints["readOnlyHint"],
            destructive=hints["destructiveHint"],
            idempotent=hints["idempotentHint"],
            open_world=hints["openWorldHint"],
        )

    def security(self, op: Operation) -> tuple[str, ...]:
        requirements = op.operation.get("security", self.document.get("security", []))
        names: list[str] = []
        for requirement in requirements or []:
            if isinstance(requirement, dict):
                names.extend(name for name in requirement if name not in names)
        deprecated = self.deprecated_schemes
        return tuple(sorted(names, key=lambda name: name in deprecated))  # OpenAPI 3.2: deprecated ones last

    def describe(
        self,
        op: Operation,
        name: str,
        summary: str,
        annotations: ToolAnnotations,
        output: tuple[dict[str, Any] | None, bool],
        inputs: tuple[dict[str, Any], list[Argument]],
        addendum: str,
        related: list[tuple[str, str]],
    ) -> str:
        """The description, from `templates/tool/description.md.jinja`, fed with what the operation tells; an
        operation without a summary or description opens with what its method and path say it does."""
        source = str(op.operation.get("description", ""))
        details = clean_prose(source, self.docs_base, self.config.description_budget)
        opening = as_sentence(sentence_case(summary)) if summary else ""
        returns = _returns(*output, focus=_resource_words(name))
        if not source.strip() and not op.summary.strip():
            listing = {"list": True, "data": True, "object": False, "value": False}.get(str(returns.get("kind")))
            opening = self.wording.outline(outline(op.method, op.path, listing), self.spell) or opening
        if gist(details) == gist(opening):
            details = ""
        elif opening and gist(first_sentence(details)) == gist(opening):
            opening = ""  # the details say it first, as a sentence ("Delete a container file.")
        elif details and gist(opening) == gist(name.replace("_", " ")):
            opening = ""  # it says no more than the tool's name, which the model reads first
        schema, _ = inputs
        text = self.wording.description.render(
            summary=opening,
            details=details,
            addendum=clean_prose(addendum, self.docs_base),
            method=op.method.upper(),
            annotations=annotations,
            returns=returns,
            deprecated=op.operation.get("deprecated") is True,
            paginated="page" in schema.get("properties", {}),
            # Every argument the model must give (settings and the token store fill bound ones), or none: a
            # long list would only repeat the schema's `required`.
            context=_needed(schema),
            related=related,
        )
        return "\n\n".join(p.strip() for p in text.strip().split("\n\n") if p.strip())

    def http_binding(self, op: Operation, inputs: _Inputs) -> HttpBinding:
        """Where the tool's call goes and how its arguments travel."""
        arguments = inputs.arguments
        return HttpBinding(
            method=op.method.upper(),
            server=server_url(self.document, op),
            path=op.path,
            arguments=tuple(arguments),
            body_media_type=inputs.media_type,
            body_is_whole=inputs.body_is_whole,
            auth=self.security(op),
            file_fields=inputs.file_fields,
            bracketed_fields=inputs.bracketed,
            body_required=inputs.body_required,
            nesting=self.config.nesting,
            token_endpoint=self.is_token_endpoint(op),
            revokes_tokens=self.is_revocation_endpoint(op, arguments),
            paginated=any(a.wire_name == "page" and a.location == "query" for a in arguments),
            idempotency_header=inputs.idempotency_header or self.configured_idempotency(op),
        )

    def configured_idempotency(self, op: Operation) -> str:
        """The config's `idempotency_header`, for the operations whose method is not idempotent already."""
        return "" if op.method in IDEMPOTENT_METHODS else self.config.idempotency_header

    def build(
        self, op: Operation, name: str, related: list[tuple[str, str]] | None = None, source: NameSource | None = None
    ) -> Built:
        """One tool, and (when tools/list carries less than its response schema) that schema compiled, for
        `link_outputs` to make whole once every tool is built."""
        parsed = ParsedOperation(op, self.compiler.resolve_object)
        summary = drop_doubled_words(plain_text(op.summary))
        source = source or name_source(op)
        if source.origin == "path":  # the title spells the path's words as the document does (`RFIs`)
            source = dataclasses.replace(source, title_text=" ".join(map(self.spell, source.title_text.split())))
        override = self.config.operations.override_for(op.method, op.path, op.operation_id)
        inputs = self.build_input(parsed)
        input_schema, arguments = inputs.schema, inputs.arguments
        output_schema, wrapped, output_part = self.build_output(parsed)
        annotations = self.annotations(op, override, name)
        title = title_from(source, list(source.words), op.summary)
        if override is not None and override.title:
            title = override.title
        addendum = override.description_addendum if override is not None else ""
        binding = self.http_binding(op, inputs)
        shape = paging.shape(
            binding.method, op.path, arguments, input_schema, output_schema, wrapped, self.config.default_page_size
        )
        if shape != Shape():
            input_schema = self.with_shape_inputs(input_schema, shape)
            binding = dataclasses.replace(binding, shape=shape)
        if binding.paginated and output_schema is not None:
            output_schema = self.with_pagination(output_schema)
        full_output = output_schema  # the description tells what comes back, however much tools/list carries
        whole_output: OutputPart | None = None
        if output_schema is not None and self.config.output_schema != "full":
            output_schema = trim_output(output_schema, self.config.output_schema)
            if output_part is not None:
                whole_output = OutputPart(output_part, binding.paginated)
        tags = _tags(op)
        description = self.describe(
            op,
            name,
            summary or title,
            annotations,
            (full_output, wrapped),
            (input_schema, arguments),
            addendum,
            related or [],
        )
        input_schema, full_input = self.within_budget(op, name, description, input_schema)
        deep_output = None
        if output_schema is not None:
            bounded = within_depth(output_schema, 2, str(self.wording.open_shape()))
            deep_output, output_schema = (output_schema if bounded is not output_schema else None), bounded
        tool = Tool(
            name=name,
            title=title,
            description=description,
            input_schema=input_schema,
            full_input_schema=full_input,
            output_schema=output_schema,
            output_wrapped=wrapped,
            annotations=annotations,
            binding=binding,
            operation_id=str(op.operation.get("operationId", "")),
            tags=tags,
            deprecated=op.operation.get("deprecated") is True,
            outlined=not op.summary.strip() and not op.description.strip(),
            documented_response=parsed.response is not None,
            # Set by `link_outputs` once every response is known; here only a full listing cut for its depth.
            full_output_schema=deep_output,
            curated=any(
                rule.matches(op.method, op.path, str(op.operation.get("operationId", "")), tags)
                for rule in self.config.hybrid_static
            ),
        )
        return Built(tool, whole_output)


_DEFAULT_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}


def _serialization(parameter: dict[str, Any], location: str) -> tuple[str, bool | None]:
    """The parameter's style and explode, each left empty when it is the default for its location."""
    default_style = _DEFAULT_STYLE.get(location, "")
    style = str(parameter.get("style", default_style))
    explode = parameter.get("explode")
    default_explode = style == "form"
    return (
        "" if style == default_style else style,
        None if explode is None or bool(explode) == default_explode else bool(explode),
    )


_JSON_TYPES = {dict: "object", list: "array", str: "string", bool: "boolean", int: "number", float: "number"}


def _body_type(schema: dict[str, Any], media_type: str | None) -> str | list[str]:
    """A type for a whole body the spec leaves untyped: its example's, else an object or list for JSON, else text."""
    examples = schema.get("examples")
    listed = examples[:1] if isinstance(examples, list) else []
    for example in [*listed, *([schema["example"]] if "example" in schema else [])]:
        if type(example) in _JSON_TYPES:
            return _JSON_TYPES[type(example)]
    return ["object", "array"] if media_type is None or is_json(media_type) else "string"


NEEDS_LIMIT = 6
"""The most required arguments a description's "Needs" line names; past it, the schema's `required` says it."""


def _needed(schema: dict[str, Any]) -> list[str]:
    required = [str(name) for name in schema.get("required") or []]
    return required if len(required) <= NEEDS_LIMIT else []


_PREPOSITIONS = frozenset({"in", "of", "for", "on", "to", "from", "by", "with", "across", "under", "at", "into"})


def _resource_words(name: str) -> tuple[str, ...]:
    """The words of a tool's name between its verb and its first preposition: what the call is about
    (`create_embeddings` -> embeddings; `list_projects_in_company` -> projects)."""
    words = name.split("_")[1:]
    cut = next((i for i, w in enumerate(words) if w in _PREPOSITIONS), len(words))
    return tuple(words[:cut])


def _focused(fields: list[str], focus: tuple[str, ...]) -> list[str]:
    """Fields in order, those the tool's name or summary speaks of first (`embedding` for create_embeddings)."""
    words = {w.lower() for w in focus} | {w.lower().rstrip("s") for w in focus}
    spoken = [f for f in fields if f.lower() in words or f.lower().rstrip("s") in words]
    return [*spoken, *(f for f in fields if f not in spoken)]


def _value(schema: dict[str, Any]) -> dict[str, str]:
    """What a value that is no object with fields is, for the description template to say in words: its type,
    its items' type when it is a list, and the first sentence of what the spec says of it (or of its items)."""
    about = first_sentence(str(schema.get("description", ""))).strip().rstrip(".")
    items = schema.get("items") if schema.get("type") == "array" and isinstance(schema.get("items"), dict) else {}
    assert isinstance(items, dict)
    about = about or first_sentence(str(items.get("description", ""))).strip().rstrip(".")
    return {"type": str(schema.get("type", "")), "items": str(items.get("type", "")), "about": about}


def _returns(schema: dict[str, Any] | None, wrapped: bool, focus: tuple[str, ...] = ()) -> dict[str, Any]:
    """What the description says comes back: an object's fields, or a list and its items' fields (those the tool's
    name or summary speaks of first), or what a single value is."""
    if schema is None:
        return {"kind": "none", "fields": []}
    if wrapped:
        result = schema["properties"]["result"]
        items = result.get("items") if result.get("type") == "array" else None
        if isinstance(items, dict) and items.get("properties"):
            fields = _focused(list(items.get("properties", {})), focus)
            return {"kind": "list", "fields": fields, "about": items.get("description", "")}
        return {"kind": "value", "fields": [], **_value(result)}
    properties = schema.get("properties", {})
    data = properties.get("data")
    if list(properties) == ["data"] and isinstance(data, dict) and data.get("type") == "array":
        items = data.get("items", {})
        fields = _focused(list(items.get("properties", {})), focus)
        return {"kind": "data", "fields": fields, "about": items.get("description", "")}
    return {"kind": "object", "fields": _focused(list(properties), focus), "about": schema.get("description", "")}


def _is_nested(schema: dict[str, Any]) -> bool:
    """An object, or an array of objects: values that need a nesting convention in a query string."""
    kinds = schema.get("type")
    if kinds == "object" or "properties" in schema:
        return True
    items = schema.get("items")
    return kinds == "array" and isinstance(items, dict) and (items.get("type") == "object" or "properties" in items)


_OUTLINE_DEPTH = 5
IDEMPOTENCY_HEADERS = frozenset({"idempotencykey", "xidempotencykey"})
"""Header parameters (squashed names) that carry an idempotency key."""
"""How many levels of a response schema an outline or a description reads: fields, a list's items, their fields."""


def _shaped_output(schema: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """An object schema as it is (typed `object`); anything else wrapped as `{"result": ...}` (True)."""
    if _is_object_schema(schema):
        return {"type": "object", **{k: v for k, v in schema.items() if k != "type"}}, False
    return {"type": "object", "properties": {"result": schema}, "required": ["result"]}, True


def _is_object_schema(schema: dict[str, Any]) -> bool:
    kind = schema.get("type")
    if kind == "object":
        return True
    return kind is None and ("properties" in schema or "additionalProperties" in schema)


def docs_base(document: dict[str, Any], configured: str) -> str:
    """What relative links in the spec's prose are read against: the config's `docs_base_url`, else the spec's
    `externalDocs` URL, else the one site its `info` names (contact, terms of service); empty when none is sure."""
    if configured:
        return configured
    external = document.get("externalDocs")
    url = external.get("url") if isinstance(external, dict) else None
    if isinstance(url, str) and url.startswith(("https://", "http://")):
        return url
    info: dict[str, Any] = document["info"] if isinstance(document.get("info"), dict) else {}
    contact: dict[str, Any] = info["contact"] if isinstance(info.get("contact"), dict) else {}
    urls = [u for u in (contact.get("url"), info.get("termsOfService")) if isinstance(u, str) and "://" in u]
    sites = {urlsplit(u)[:2] for u in urls if u.startswith(("https://", "http://"))}
    return f"{next(iter(sites))[0]}://{next(iter(sites))[1]}" if len(sites) == 1 else ""


def name_source(
    op: Operation, products: frozenset[str] = frozenset(), scopes: tuple[tuple[str, str], ...] = ()
) -> NameSource:
    """Where the tool's name and title come from: a short summary, else a worded operationId, else method and path;
    `products`: the document's compound words, kept whole; `scopes`: the config's `related_scopes`, said last in a
    name made from the path (`list_rfis_in_project`)."""
    summary, operation_id = str(op.operation.get("summary", "")), str(op.operation.get("operationId", ""))
    description = str(op.operation.get("description", ""))
    return choose_source(summary, operation_id, op.method, op.path, description, products, dict(scopes))


def document_products(document: dict[str, Any], operations: list[Operation]) -> frozenset[str]:
    """The compound words (`GitHub`) the document's title, tags and summaries write as one word, but no parameter
    or schema is named."""
    info: dict[str, Any] = document["info"] if isinstance(document.get("info"), dict) else {}
    tags = [t for t in document.get("tags") or [] if isinstance(t, dict)]
    texts = [str(info.get("title", "")), *(str(t.get("name", "")) for t in tags), *(op.summary for op in operations)]
    identifiers = {str(name) for name in ((document.get("components") or {}).get("schemas") or {})}
    for op in operations:
        for parameter in op.operation.get("parameters") or []:
            if isinstance(parameter, dict):
                identifiers.add(str(parameter.get("name", "")))
    return product_words(texts, identifiers)


_ACRONYM = re.compile(r"\b([A-Z][A-Z0-9]{1,5})s?\b")
ACRONYM_USES = 3
"""How often the document's prose must write a word in capitals for its paths' words to be spelled so."""


def document_acronyms(document: dict[str, Any]) -> dict[str, str]:
    """Words the document's operation summaries and descriptions and its tag names write in capitals at least
    ACRONYM_USES times (`RFI`, `ID`), by their lower-case form."""
    counts: dict[str, int] = {}
    texts = [str(t.get("name", "")) for t in document.get("tags") or [] if isinstance(t, dict)]
    for item in (document.get("paths") or {}).values():
        for method in HTTP_METHODS:
            operation = item.get(method) if isinstance(item, dict) else None
            if isinstance(operation, dict):
                texts += [str(operation.get("summary", "")), str(operation.get("description", ""))]
    for text in texts:
        for word in _ACRONYM.findall(text):
            counts[word] = counts.get(word, 0) + 1
    return {word.lower(): word for word, count in sorted(counts.items()) if count >= ACRONYM_USES}


def security_schemes(document: dict[str, Any]) -> tuple[SecurityScheme, ...]:
    """The spec's security schemes, those marked deprecated (OpenAPI 3.2) last so the server prefers the others;
    OAuth2 endpoints from the flows this server signs in with before the device authorization flow."""
    schemes: list[tuple[bool, SecurityScheme]] = []
    for name, raw in ((document.get("components") or {}).get("securitySchemes") or {}).items():
        if not isinstance(raw, dict):
            continue
        flows = {k: v for k, v in (raw.get("flows") or {}).items() if isinstance(v, dict)}
        ordered = sorted(flows.values(), key=lambda flow: "deviceAuthorizationUrl" in flow)
        token_url = next((str(f["tokenUrl"]) for f in ordered if f.get("tokenUrl")), "")
        authorization_url = next((str(f["authorizationUrl"]) for f in ordered if f.get("authorizationUrl")), "")
        scheme = SecurityScheme(
            name=str(name),
            type=str(raw.get("type", "")),
            scheme=str(raw.get("scheme", "")).lower(),
            location=str(raw.get("in", "")),
            parameter_name=str(raw.get("name", "")),
            token_url=token_url,
            authorization_url=authorization_url,
            flows=tuple(flows),
        )
        schemes.append((raw.get("deprecated") is True, scheme))
    return tuple(scheme for _, scheme in sorted(schemes, key=lambda pair: pair[0]))


def _tags(op: Operation) -> tuple[str, ...]:
    return op.tags


def _override_name(config: GeneratorConfig, op: Operation) -> str:
    override = config.operations.override_for(op.method, op.path, str(op.operation.get("operationId", "")))
    return override.name if override is not None and override.name else ""


def tool_names(config: GeneratorConfig, operations: list[Operation], sources: list[NameSource]) -> list[str]:
    """Unique names, at most NAME_AIM characters where a shorter unique name can be had; a config's names win."""
    chosen = [_override_name(config, op) for op in operations]
    candidates = [
        (chosen[i] or "_".join(sources[i].words), op.method, op.path, str(op.operation.get("operationId", "")))
        for i, op in enumerate(operations)
    ]
    worded = frozenset(i for i, source in enumerate(sources) if chosen[i] or source.origin != "path")
    names = unique_names(candidates, worded)
    return shorten_names(names, {i for i, name in enumerate(chosen) if name}, NAME_AIM)


def _check_overrides(config: GeneratorConfig, operations: list[Operation]) -> None:
    """Every override must name an operation of the spec (by operationId or `METHOD /path`): typos are errors."""
    keys = {str(op.operation.get("operationId", "")) for op in operations}
    keys |= {f"{op.method.upper()} {op.path}" for op in operations}
    unknown = [key for key, _ in config.operations.overrides if key not in keys]
    if unknown:
        raise GenerationError(
            [Diagnostic("error", "config", f"override {key!r} matches no operation", "config", "/operations/overrides")
             for key in unknown]
        )  # fmt: skip


def build_api(
    spec: ParsedSpec,
    config: GeneratorConfig,
    spec_bytes: bytes,
    parallel: bool | None = None,
    wording: Wording | None = None,
) -> tuple[Api, list[Diagnostic]]:
    """The whole IR stage: one Tool per operation, unique names, and every warning raised on the way. `parallel`
    builds half the tools on a second core (None: for large documents; see `halves`); `wording` is the run's
    (the built-in templates' by default)."""
    server_urls = [*spec_server_urls(spec.document), *(server.url for server in config.servers)]
    foreign_oauth_hosts(spec.document, server_urls, spec.report)
    builder = _ToolBuilder(spec, config, wording or Wording(environment()))
    everything = list(iter_operations(spec.document))
    _check_overrides(config, everything)
    selection = config.operations
    operations = [
        op
        for op in everything
        if selection.selects(op.method, op.path, str(op.operation.get("operationId", "")), _tags(op))
    ]
    if not operations:
        builder.warn("no-operations", "the document has no operations: the server will have no tools", "/paths")
    seen_ids: dict[str, str] = {}
    for op in operations:
        operation_id = op.operation.get("operationId")
        if operation_id is None:
            builder.warn("missing-operation-id", "no operationId; the tool is named from the summary", op.pointer)
        elif str(operation_id) in seen_ids:
            message = f"operationId {operation_id!r} is also used at {seen_ids[str(operation_id)]}"
            builder.warn("duplicate-operation-id", message, op.pointer + "/operationId")
        else:
            seen_ids[str(operation_id)] = op.pointer
    products = document_products(spec.document, operations)
    sources = [name_source(op, products, config.related_scopes) for op in operations]
    names = tool_names(config, operations, sources)
    related = related_tools(operations, names, dict(config.related_scopes))
    jobs = [
        (op, name, related.get(name, []), source) for op, name, source in zip(operations, names, sources, strict=True)
    ]
    tools, output_definitions = builder.link_outputs(build_tools(builder, jobs, parallel))
    info = spec.document.get("info") or {}
    api = Api(
        title=str(info.get("title", "")),
        version=str(info.get("version", "")),
        description=clean_prose(str(info.get("description", "")), builder.docs_base),
        config=config,
        tools=tools,
        security_schemes=builder.schemes,
        spec_sha256=hashlib.sha256(spec_bytes).hexdigest(),
        output_definitions=output_definitions,
        generator_version=__version__,
    )
    return api, list(spec.report.diagnostics)

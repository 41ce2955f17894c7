"""Stage 3, IR: turn a parsed OpenAPI document into an Api of Tools (schemas, binding, names, wording)."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
from dataclasses import dataclass

from generator import __version__, paging
from generator.budget import Memo, reduce_tool, within_depth
from generator.config import GeneratorConfig
from generator.describing import Describer
from generator.diagnostics import Diagnostic
from generator.document_facts import (
    check_operation_ids,
    check_overrides,
    deprecated_schemes,
    docs_base,
    document_acronyms,
    document_products,
    name_source,
    security_schemes,
    selected_operations,
    tool_names,
)
from generator.effects import method_hints
from generator.files import is_binary, replace_binary_fields
from generator.halves import build_tools
from generator.ir import Api, Argument, HttpBinding, JsonSchema, Shape, Tool, ToolAnnotations
from generator.linking import Linking, attach_defs
from generator.name_sources import NameSource, plain_text, title_from
from generator.openapi import IDEMPOTENT_METHODS, json_list, json_object
from generator.operations import Operation, ParsedOperation, RequestBody, iter_operations, server_url
from generator.parse import ParsedSpec
from generator.schema import SchemaCompiler
from generator.schema_parts import Part
from generator.selection import Override
from generator.siblings import related_tools
from generator.templating import environment
from generator.text import clean_prose, drop_doubled_words
from generator.tool_description import ToolDescriber, ToolFacts
from generator.tool_inputs import InputAssembly, Inputs
from generator.trimming import trim_output
from generator.urls import foreign_oauth_hosts, spec_server_urls
from generator.wording import Wording


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
        self.deprecated_schemes = deprecated_schemes(spec.document)
        self.describer = Describer(wording.parameter_fallback)
        self.acronyms = document_acronyms(spec.document)
        self.tool_describer = ToolDescriber(wording, self.docs_base, budget, self.spell)
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

    def parameter_part(self, parameter: dict[str, object], pointer: str, state: Linking) -> Part:
        """A parameter's schema, compiled (from `schema`, else from its one `content` entry) and added to `state`."""
        if "schema" in parameter:
            return self.compiler.compile_part(parameter["schema"], pointer + "/schema", state)
        content = parameter.get("content")
        media = json_object(next(iter(content.values()), {}) if isinstance(content, dict) else {})
        return self.compiler.compile_part(media.get("schema", {}), pointer + "/content", state)

    def parameter_schema(self, parameter: dict[str, object], schema: dict[str, object]) -> dict[str, object]:
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

    def with_shape_inputs(self, schema: dict[str, object], shape: Shape) -> dict[str, object]:
        """The inputs that shape the answer: `fields` (project it), `max_items` (follow the pages), and the page
        size's default where the server asks for one."""
        properties = dict(json_object(schema.get("properties")))
        rule = shape.paging
        if rule is not None and rule.fill is not None and rule.size in properties:
            size = dict(json_object(properties[rule.size]))
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

    def with_pagination(self, schema: dict[str, object]) -> dict[str, object]:
        """Add the optional `pagination` object the server fills from the response headers."""
        properties = json_object(schema.get("properties"))
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

    def body_part(self, body: RequestBody | None, state: Linking) -> Part | None:
        """The request body's schema, compiled and added to `state`; None without a body."""
        if body is None:
            return None
        return self.compiler.compile_part(body.schema, body.schema_pointer, state)

    def request_body(
        self, found: RequestBody | None, part: Part | None, state: Linking
    ) -> tuple[str | None, dict[str, object] | None, bool, list[tuple[str, ...]]]:
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

    def build_input(self, parsed: ParsedOperation) -> Inputs:
        # Every part is compiled before any is linked: which referenced schemas are shared depends on all of them.
        state = self.compiler.begin("input")
        parameters = [
            (found.parameter, found.pointer, self.parameter_part(found.parameter, found.pointer, state))
            for found in parsed.parameters
        ]
        body = parsed.body
        body_part = self.body_part(body, state)
        inputs = InputAssembly(self, parsed.op)
        for parameter, pointer, part in parameters:
            inputs.parameter(parameter, pointer, self.parameter_schema(parameter, state.link(part)))
        inputs.undeclared_path_parameters()
        inputs.bracketed_groups()
        media_type, body_schema, body_required, file_fields = self.request_body(body, body_part, state)
        body_is_whole = inputs.body(media_type, body_schema, body_required, file_fields)
        input_schema = inputs.schema(state.definitions())
        deep_fields = body.bracketed if body is not None and not body_is_whole else ()
        return Inputs(
            input_schema,
            inputs.arguments,
            media_type,
            body_is_whole,
            tuple(file_fields),
            deep_fields,
            body_required,
            inputs.idempotency_header,
        )

    def build_output(self, parsed: ParsedOperation) -> tuple[dict[str, object] | None, bool, Part | None]:
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
        self, op: Operation, name: str, description: str, schema: dict[str, object]
    ) -> tuple[dict[str, object], dict[str, object] | None]:
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

    def link_outputs(self, built: tuple[Built, ...]) -> tuple[tuple[Tool, ...], dict[str, JsonSchema]]:
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
        definitions: dict[str, JsonSchema] = dict(linking.definitions())
        return tuple(linked), definitions

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
        for requirement in json_list(requirements):
            if isinstance(requirement, dict):
                names.extend(name for name in requirement if name not in names)
        deprecated = self.deprecated_schemes
        return tuple(sorted(names, key=lambda name: name in deprecated))  # OpenAPI 3.2: deprecated ones last

    def http_binding(self, op: Operation, inputs: Inputs) -> HttpBinding:
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
        override = self.config.operations.override_for(op.method, op.path, op.operation_id)
        inputs = self.build_input(parsed)
        output_schema, wrapped, output_part = self.build_output(parsed)
        annotations = self.annotations(op, override, name)
        title = self.title(op, source or name_source(op), override)
        binding, input_schema, output_schema = self.shaped(op, inputs, output_schema, wrapped)
        summary = drop_doubled_words(plain_text(op.summary)) or title
        addendum = override.description_addendum if override is not None else ""
        facts = ToolFacts(name, summary, annotations, (output_schema, wrapped), input_schema, addendum, related or [])
        # The description tells what comes back, however much of it tools/list carries.
        description = self.tool_describer.describe(op, facts)
        input_schema, full_input = self.within_budget(op, name, description, input_schema)
        whole_output: OutputPart | None = None
        if output_schema is not None and output_part is not None and self.config.output_schema != "full":
            whole_output = OutputPart(output_part, binding.paginated)
        listed_output, deep_output = self.listed_output(output_schema)
        tool = Tool(
            name=name,
            title=title,
            description=description,
            input_schema=input_schema,
            full_input_schema=full_input,
            output_schema=listed_output,
            output_wrapped=wrapped,
            annotations=annotations,
            binding=binding,
            operation_id=op.operation_id,
            tags=op.tags,
            deprecated=op.operation.get("deprecated") is True,
            outlined=not op.summary.strip() and not op.description.strip(),
            documented_response=parsed.response is not None,
            # Set by `link_outputs` once every response is known; here only a full listing cut for its depth.
            full_output_schema=deep_output,
            curated=any(
                rule.matches(op.method, op.path, op.operation_id, op.tags) for rule in self.config.hybrid_static
            ),
        )
        return Built(tool, whole_output)

    def title(self, op: Operation, source: NameSource, override: Override | None) -> str:
        """The config's title for the operation, else one from its name's source; a title made from the path
        spells the path's words as the document does (`RFIs`)."""
        if override is not None and override.title:
            return override.title
        if source.origin == "path":
            source = dataclasses.replace(source, title_text=" ".join(map(self.spell, source.title_text.split())))
        return title_from(source, list(source.words), op.summary)

    def shaped(
        self, op: Operation, inputs: Inputs, output_schema: dict[str, object] | None, wrapped: bool
    ) -> tuple[HttpBinding, dict[str, object], dict[str, object] | None]:
        """The call's binding with what its answer offers (records, `fields`, paging), the input schema with the
        inputs that shape the answer, and the output schema with `pagination` when the headers tell of pages."""
        binding = self.http_binding(op, inputs)
        input_schema = inputs.schema
        default_size = self.config.default_page_size
        shape = paging.shape(
            binding.method, op.path, inputs.arguments, input_schema, output_schema, wrapped, default_size
        )
        if shape != Shape():
            input_schema = self.with_shape_inputs(input_schema, shape)
            binding = dataclasses.replace(binding, shape=shape)
        if binding.paginated and output_schema is not None:
            output_schema = self.with_pagination(output_schema)
        return binding, input_schema, output_schema

    def listed_output(
        self, schema: dict[str, object] | None
    ) -> tuple[dict[str, object] | None, dict[str, object] | None]:
        """The output schema tools/list carries (trimmed as the config says, and no deeper than two levels), and
        the trimmed one when the depth cut it."""
        if schema is not None and self.config.output_schema != "full":
            schema = trim_output(schema, self.config.output_schema)
        if schema is None:
            return None, None
        bounded = within_depth(schema, 2, str(self.wording.open_shape()))
        return bounded, (schema if bounded is not schema else None)


_OUTLINE_DEPTH = 5
"""How many levels of a response schema an outline or a description reads: fields, a list's items, their fields."""


def _shaped_output(schema: dict[str, object]) -> tuple[dict[str, object], bool]:
    """An object schema as it is (typed `object`); anything else wrapped as `{"result": ...}` (True)."""
    if _is_object_schema(schema):
        return {"type": "object", **{k: v for k, v in schema.items() if k != "type"}}, False
    return {"type": "object", "properties": {"result": schema}, "required": ["result"]}, True


def _is_object_schema(schema: dict[str, object]) -> bool:
    kind = schema.get("type")
    if kind == "object":
        return True
    return kind is None and ("properties" in schema or "additionalProperties" in schema)


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
    check_overrides(config, everything)
    operations = selected_operations(config, everything)
    if not operations:
        builder.warn("no-operations", "the document has no operations: the server will have no tools", "/paths")
    check_operation_ids(operations, builder.warn)
    products = document_products(spec.document, operations)
    sources = [name_source(op, products, config.related_scopes) for op in operations]
    names = tool_names(config, operations, sources)
    related = related_tools(operations, names, dict(config.related_scopes))
    jobs = [
        (op, name, related.get(name, []), source) for op, name, source in zip(operations, names, sources, strict=True)
    ]
    tools, output_definitions = builder.link_outputs(build_tools(builder, jobs, parallel))
    info = json_object(spec.document.get("info"))
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

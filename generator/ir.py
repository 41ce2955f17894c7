"""The intermediate representation: an API made of tools, each with its JSON Schemas and HTTP binding."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from generator.config import GeneratorConfig
from generator.including import IncludedSpec
from generator.overlay import AppliedOverlay

Location = Literal["path", "query", "header", "cookie", "body"]
JsonSchema = Mapping[str, object]


@dataclass(frozen=True)
class Argument:
    """Where one inputSchema property goes in the HTTP request."""

    property_name: str
    location: Location
    wire_name: str
    required: bool
    members: tuple[tuple[str, str], ...] = ()
    """For a bracket group (`filters[vendor_id]`, `filters[status][]`): each member property and its wire name."""
    bind_env: str = ""
    """A setting that fills this argument: a full environment variable name."""
    bind_token: str = ""
    """A stored credential that fills this argument: `access_token` or `refresh_token`."""
    hidden: bool = False
    """Left out of the input schema: the server always fills it (secrets are never asked of the model)."""
    style: str = ""
    """OpenAPI serialization style when it differs from the location's default (form for query, simple for path)."""
    explode: bool | None = None
    """OpenAPI `explode` when it differs from the style's default."""


@dataclass(frozen=True)
class Paging:
    """How a list tool moves through its pages (the runtime's `contract.Paging`): the input
    that moves (`param`) and the one that sets the page size, what the spec documents of that size, and where the
    answer tells of the next page (`next` cursor path, `last_id` field of the records, `more` flag path)."""

    style: Literal["page", "offset", "cursor"]
    param: str
    size: str = ""
    size_default: int | None = None
    size_max: int | None = None
    next: str = ""
    last_id: str = ""
    more: str = ""
    fill: int | None = None


@dataclass(frozen=True)
class Shape:
    """What a tool's answer offers: the key of its records (a list tool), `fields`, and paging."""

    items: str = ""
    fields: bool = False
    paging: Paging | None = None


@dataclass(frozen=True)
class HttpBinding:
    """How a tool call becomes an HTTP request."""

    method: str
    server: str
    path: str
    arguments: tuple[Argument, ...]
    body_media_type: str | None
    body_is_whole: bool
    """True when the body is not an object spread into properties but one property (`body`) sent as is."""
    auth: tuple[str, ...]
    """Security scheme names accepted by the operation; empty means no authentication."""
    token_endpoint: bool = False
    """The OAuth token endpoint itself: the server stores what it returns and hands back a redacted copy."""
    revokes_tokens: bool = False
    """A token revocation endpoint (RFC 7009: a path ending in `revoke`) that sends a stored token: once it
    succeeds, the server drops that token from its store (and, for a refresh token, the whole store)."""
    paginated: bool = False
    """Takes `page`: results carry `pagination` from the Total, Per-Page and Link headers."""
    file_fields: tuple[tuple[str, ...], ...] = ()
    """Paths (from the body's root; `*` for array items) of file fields, sent as file parts or raw bytes."""
    nesting: Literal["openapi", "brackets"] = "openapi"
    """How nested form fields are named: `brackets` (`image[data]`, Rails style) or `openapi` (JSON parts)."""
    body_required: bool = False
    """The spec requires a body: an empty one goes when no field of it is given."""
    bracketed_fields: tuple[str, ...] = ()
    """Form body fields whose Encoding Object says `style: deepObject`: named `a[b]` even under `openapi`."""
    shape: Shape = Shape()
    """What the answer offers: where a list tool's records are, `fields`, and paging (`max_items`)."""
    idempotency_header: str = ""
    """The header that carries an idempotency key (one per call, the same on retries, which it makes safe)."""


@dataclass(frozen=True)
class ToolAnnotations:
    """MCP tool hints derived from the method and the operation."""

    read_only: bool
    destructive: bool
    idempotent: bool
    open_world: bool


@dataclass(frozen=True)
class Tool:
    """One MCP tool, made from one OpenAPI operation."""

    name: str
    title: str
    description: str
    input_schema: JsonSchema
    output_schema: JsonSchema | None
    output_wrapped: bool
    """True when a non-object response is returned as `{"result": ...}`."""
    annotations: ToolAnnotations
    binding: HttpBinding
    operation_id: str
    tags: tuple[str, ...]
    deprecated: bool = False
    """The spec marks the operation deprecated: its description says so and catalog search ranks it lower."""
    outlined: bool = False
    """The spec gives the operation no summary or description: its words come from its method and path (and
    catalog search ranks it a little below a described one that matches as well)."""
    curated: bool = False
    """Listed as a static tool in hybrid mode (the config's `hybrid_static` rules); others via the catalog."""
    documented_response: bool = False
    """True when the spec gives a 2xx JSON response schema (the quality gate then expects an outputSchema)."""
    full_input_schema: JsonSchema | None = None
    """The whole input schema when tools/list carries a reduced one (over `tool_budget`, or nested too deep): the
    server checks arguments against it, and `describe_operation` shows it."""
    full_output_schema: JsonSchema | None = None
    """The whole response schema when tools/list carries less of it (`output_schema` other than `full`):
    catalog mode's `describe_operation` shows it. Its `$ref`s point into `Api.output_definitions`."""


@dataclass(frozen=True)
class SecurityScheme:
    """An authentication scheme the generated server understands, as declared by the spec."""

    name: str
    type: str
    scheme: str = ""
    location: str = ""
    parameter_name: str = ""
    token_url: str = ""
    authorization_url: str = ""
    flows: tuple[str, ...] = ()
    """OAuth2 flows the spec declares: `clientCredentials`, `authorizationCode`, ..."""


@dataclass(frozen=True)
class Api:
    """Everything the renderer needs: the tools, the hosts, the auth schemes and the naming config."""

    title: str
    version: str
    description: str
    config: GeneratorConfig
    tools: tuple[Tool, ...]
    security_schemes: tuple[SecurityScheme, ...]
    spec_sha256: str
    generator_version: str
    output_definitions: dict[str, JsonSchema] = field(default_factory=dict)
    """Response schemas that several tools' `full_output_schema`s share (or that are recursive), by name."""
    overlays: tuple[AppliedOverlay, ...] = ()
    """The overlay files applied to the spec, in order (provenance.json records them)."""
    included: tuple[IncludedSpec, ...] = ()
    """The specs merged into the spec (the config's `include_specs`), in order (provenance.json records them)."""

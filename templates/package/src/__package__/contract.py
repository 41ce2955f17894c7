"""The shape of the generated data (`tools.json`, `prompts.json`): written by the generator's render stage, read by
this runtime.

TypedDicts, so both sides are checked by `mypy --strict` against this one definition and the file stays plain
JSON. The generator imports this module for its types only (`from __package__ import contract` under
TYPE_CHECKING), so nothing here may need anything at run time but the standard library.
"""

from __future__ import annotations

from typing import Any, Literal, NotRequired, TypedDict

Location = Literal["path", "query", "header", "cookie", "body"]


# One input of a tool and where it goes on the wire. (`in` is a Python keyword: the functional syntax spells it.)
Argument = TypedDict(
    "Argument",
    {
        "property": str,  # the input's name in the tool's inputSchema
        "in": Location,
        "name": str,  # its name on the wire
        "members": NotRequired[dict[str, str]],  # a query object's members: input name -> wire name
        "style": NotRequired[str],
        "explode": NotRequired[bool],
        "env": NotRequired[str],  # a setting that fills it when the call leaves it out
        "token": NotRequired[str],  # a stored credential that fills it (`access_token`, `refresh_token`)
        "hidden": NotRequired[bool],  # never asked of the model: always filled by the server
        "required": NotRequired[bool],
    },
)


class Body(TypedDict):
    """How the request body is encoded."""

    mediaType: str
    whole: bool  # one input is the whole body (otherwise each body field is an input)
    required: NotRequired[bool]
    files: NotRequired[list[list[str]]]  # paths of file fields inside the body ("*" for list items)
    nesting: NotRequired[Literal["openapi", "brackets"]]
    bracketed: NotRequired[list[str]]


# How a list tool moves through its pages, recognised from its parameters and response by the generator.
class Paging(TypedDict):
    style: Literal["page", "offset", "cursor"]
    param: str  # the input that moves: the page number, the offset, or the cursor
    size: NotRequired[str]  # the input that sets the page size
    sizeDefault: NotRequired[int]  # the page size the spec documents as the API's default
    sizeMax: NotRequired[int]  # the largest page size the spec allows
    fill: NotRequired[int]  # the page size asked for when the caller gives none (the config's default)
    next: NotRequired[str]  # cursor: dotted path of the next cursor in the response (else the `Link` header)
    lastId: NotRequired[str]  # cursor: the records' field whose last value is the next cursor (`starting_after`)
    more: NotRequired[str]  # dotted path of the response's "more pages follow" flag


class Binding(TypedDict):
    """What turns a call of the tool into an HTTP request, and how its answer is shaped."""

    method: str
    server: str  # a key of `servers`
    path: str
    arguments: list[Argument]
    auth: list[str]  # security scheme names, the first one that can sign wins
    body: NotRequired[Body]
    wrapResult: NotRequired[bool]
    reduced: NotRequired[bool]  # the listed inputSchema is reduced; the whole one is in input_schemas.json
    tokenEndpoint: NotRequired[bool]
    revokesTokens: NotRequired[bool]
    paginated: NotRequired[bool]
    items: NotRequired[str]  # the key of the structured result that holds the records ("result" for a bare list)
    fields: NotRequired[bool]  # takes `fields`: the result is projected to the fields named
    paging: NotRequired[Paging]  # takes `max_items`: pages are followed on request
    idempotencyKey: NotRequired[str]  # the header that carries one key per call, the same on every retry
    tags: NotRequired[list[str]]
    operationId: NotRequired[str]
    curated: NotRequired[bool]  # listed as a tool of its own in hybrid mode
    deprecated: NotRequired[bool]  # the API marks the operation deprecated: search ranks it below the others
    outlined: NotRequired[bool]  # undescribed in the spec: its words come from its method and path


class Annotations(TypedDict, total=False):
    readOnlyHint: bool
    destructiveHint: bool
    idempotentHint: bool
    openWorldHint: bool


class Definition(TypedDict):
    """The MCP Tool object exactly as tools/list returns it."""

    name: str
    title: str
    description: str
    inputSchema: dict[str, Any]
    outputSchema: NotRequired[dict[str, Any]]
    annotations: Annotations


class Tool(TypedDict):
    definition: Definition
    binding: Binding


class Server(TypedDict):
    default: str  # the spec's URL ("" when it has none)
    env: str  # the setting that replaces it


class Endpoint(TypedDict, total=False):
    """An OAuth endpoint: on a configured server (`server` and `path`, so its setting moves it) or a fixed URL."""

    server: str
    path: str
    url: str


# An auth scheme as the server applies it (an API key's location in `in`).
SecurityScheme = TypedDict(
    "SecurityScheme",
    {
        "type": str,
        "scheme": NotRequired[str],
        "in": NotRequired[str],
        "name": NotRequired[str],
        "flows": NotRequired[list[str]],
        "token": NotRequired[Endpoint],
        "authorize": NotRequired[Endpoint],
    },
)


class Document(TypedDict):
    """`tools.json`: the hosts, the auth schemes and every tool."""

    mode: str
    servers: dict[str, Server]
    securitySchemes: dict[str, SecurityScheme]
    tools: list[Tool]


class ErrorHint(TypedDict):
    """One of `api.json`'s `errorHints` (the config's `error_hints`): what an error with one of these statuses
    means, told when the body holds one of the `when` words (or always, when there are none)."""

    status: list[int]
    hint: str
    when: NotRequired[list[str]]


class PromptArgument(TypedDict):
    """One argument of a prompt, as prompts/list shows it."""

    name: str
    description: str
    required: bool


class Prompt(TypedDict):
    """A prompt for a common job: what prompts/list shows (`name`, `title`, `description`, `arguments`) and what
    prompts/get fills (`template`, whose `{argument}` placeholders take the arguments' values as plain text, with
    `{{` and `}}` for braces; the generator checked that each placeholder is an argument), and the `tools` it uses."""

    name: str
    title: str
    description: str
    arguments: list[PromptArgument]
    tools: list[str]
    template: str


class Prompts(TypedDict):
    """`prompts.json`: the prompts the server offers, in the config's order (none: no prompts capability)."""

    prompts: list[Prompt]

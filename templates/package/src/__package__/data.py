"""The API's generated data, read once per server: the tools, the catalog's meta-tools, the whole schemas, the
prompts, the mode, and what each kind of caller is shown (a team user sees no token tools and no local file
paths)."""

from __future__ import annotations

import gc
import json
import re
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import Any, TypeVar, cast

from . import contract, file_arguments, settings

MODES = ("static", "catalog", "hybrid")
PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([a-z][a-z0-9_]*)\}")
"""A prompt template's markup: `{{` or `}}` (a brace) or `{name}` (an argument), read in one pass (the generator
read each template the same way and refused anything else)."""
NOT_GIVEN = "(not given)"
"""What stands in a prompt's text for an optional argument the caller left out."""
T = TypeVar("T")


def lasting(value: T) -> T:
    """`value`, with every object made so far left out of the cycle collector's full passes (`gc.freeze`): the
    API's data and search indexes last as long as the server, and walking their million objects again and again
    would pause a call for a tenth of a second at a time."""
    gc.freeze()
    return value


class ApiData:
    """Everything a server knows of its API, loaded on first use (catalog mode lists its meta-tools without
    reading a single operation). `read` gives a data file's text (the package's own files by default)."""

    def __init__(self, read: Callable[[str], str] = settings.data_text) -> None:
        self._read = read
        self._team_definitions: dict[str, contract.Definition] | None = None
        self._searchable: dict[bool, list[contract.Tool]] = {}

    # -- the files ------------------------------------------------------------------------------------------

    @cached_property
    def document(self) -> contract.Document:
        """`tools.json`: hosts, auth schemes, and every tool's definition and HTTP binding."""
        return lasting(cast(contract.Document, json.loads(self._read("tools.json"))))

    @cached_property
    def tools(self) -> dict[str, contract.Tool]:
        return {entry["definition"]["name"]: entry for entry in self.document["tools"]}

    @cached_property
    def meta_definitions(self) -> list[contract.Definition]:
        """The catalog's three meta-tools (`catalog_tools.json`)."""
        return cast(list[contract.Definition], json.loads(self._read("catalog_tools.json"))["tools"])

    @cached_property
    def full_input_schemas(self) -> dict[str, dict[str, Any]]:
        """The whole input schemas of tools whose listing is reduced to fit their budget."""
        return cast(dict[str, dict[str, Any]], json.loads(self._read("input_schemas.json"))["inputSchemas"])

    @cached_property
    def output_document(self) -> dict[str, Any]:
        """`output_schemas.json`: whole response schemas of tools whose listing outlines them, and their `$defs`."""
        return lasting(cast(dict[str, Any], json.loads(self._read("output_schemas.json"))))

    @cached_property
    def prompts(self) -> dict[str, contract.Prompt]:
        """`prompts.json`: the prompts for common jobs, by name, in the config's order."""
        document = cast(contract.Prompts, json.loads(self._read("prompts.json")))
        return {prompt["name"]: prompt for prompt in document["prompts"]}

    # -- what is listed ---------------------------------------------------------------------------------------

    def listed(self, team: bool) -> list[contract.Definition]:
        """What tools/list shows in the current mode; `team`: as a team user sees it."""
        definitions = self._mode_definitions(mode())
        if not team:
            return definitions
        hidden = {name for name, entry in self.tools.items() if hidden_in_team(entry)}
        return [self.team_definition(d) for d in definitions if d["name"] not in hidden]

    def _mode_definitions(self, chosen: str) -> list[contract.Definition]:
        if chosen == "catalog":  # the meta-tools only: the operations' data is not even read yet
            return list(self.meta_definitions)
        tools = self.document["tools"]
        if chosen == "static":
            listed = [entry["definition"] for entry in tools]
            if any(entry["binding"].get("reduced") for entry in tools):
                # Some tools list less than their whole input schema (their budget): `describe_operation` shows it.
                listed += [d for d in self.meta_definitions if d["name"] == "describe_operation"]
            return listed
        curated = [entry["definition"] for entry in tools if entry["binding"].get("curated")]
        return [*curated, *self.meta_definitions]

    def prompt_text(self, prompt: contract.Prompt, values: Mapping[str, str], team: bool) -> str:
        """A prompt's message: its template filled with these values (see `fill`), then a line naming its tools as
        this caller reaches them in the current mode: listed ones by name, the others through `call_operation`."""
        reachable = {d["name"] for d in self.listed(team)} | {d["name"] for d in self.meta_definitions}
        direct = ", ".join(name for name in prompt["tools"] if name in reachable)
        through = ", ".join(name for name in prompt["tools"] if name not in reachable)
        by_name = "through call_operation, by name (describe_operation shows their arguments)"
        if not through:
            line = f"Tools to use: {direct}."
        elif not direct:
            line = f"Tools to use, {by_name}: {through}."
        else:
            line = f"Tools to use: {direct}; and, {by_name}: {through}."
        return f"{fill(prompt['template'], values)}\n\n{line}"

    def offered(self, entry: contract.Tool, team: bool) -> bool:
        """Whether a caller may find, describe and run this tool (team users: not the server's token tools)."""
        return not (team and hidden_in_team(entry))

    def searchable(self, team: bool) -> list[contract.Tool]:
        """The operations search looks through: the same list object every time, so its index is built once."""
        if team not in self._searchable:
            self._searchable[team] = [entry for entry in self.document["tools"] if self.offered(entry, team)]
        return self._searchable[team]

    # -- schemas as each caller sees them -----------------------------------------------------------------

    def input_schema(self, entry: contract.Tool, team: bool) -> dict[str, Any]:
        """A tool's whole input schema (for a tool reduced to fit its budget, the one it stands for), as this
        caller sees it: a team user's files are sent inline only."""
        definition = entry["definition"]
        schema = definition["inputSchema"]
        if entry["binding"].get("reduced"):
            schema = self.full_input_schemas.get(definition["name"], schema)
        return team_schema(schema) if team else schema

    def team_definition(self, definition: contract.Definition) -> contract.Definition:
        if self._team_definitions is None:
            self._team_definitions = {}
            for entry in self.document["tools"]:
                original = entry["definition"]
                reduced = team_schema(original["inputSchema"])
                if reduced != original["inputSchema"]:
                    self._team_definitions[original["name"]] = {**original, "inputSchema": reduced}
        return self._team_definitions.get(definition["name"], definition)


LARGE_STATIC = 300
"""Tools from which static mode (one tool per operation) is too large a listing: as many as the generator's
`LARGE_DOCUMENT`, from which it suggests catalog or hybrid mode."""


def static_note(api: ApiData) -> str:
    """In static mode, for an API of LARGE_STATIC operations or more: a line saying catalog or hybrid mode is the
    way to run it; empty otherwise (the other modes never read the tools for it)."""
    if mode() != "static" or len(api.tools) < LARGE_STATIC:
        return ""
    return (
        f"static mode lists all {len(api.tools):,} tools, which an agent must read before it starts: an API this "
        f"large is meant to run in hybrid or catalog mode ({settings.MODE}=hybrid), where three meta-tools search, "
        "describe and call every operation"
    )


def mode() -> str:
    """`static`, `catalog` or `hybrid`: the generated default, or the `_MODE` setting."""
    chosen = settings.value(settings.MODE) or settings.DEFAULT_MODE
    if chosen not in MODES:
        raise settings.ConfigurationError(f"{settings.MODE} must be static, catalog or hybrid, not {chosen!r}.")
    return chosen


def fill(template: str, values: Mapping[str, str]) -> str:
    """A prompt template with its arguments' values, in one pass: each value goes in as plain text and is never read
    as a template itself (a `{other}` or `{0.__class__}` in it stays as written); `{{` and `}}` become braces; an
    argument left out or blank (as some clients send an optional one) reads `(not given)`."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name is None:
            return match.group()[0]
        value = values.get(name, "")
        return value if value.strip() else NOT_GIVEN

    return PLACEHOLDER.sub(replace, template)


def hidden_in_team(entry: contract.Tool) -> bool:
    """Tools that handle the server's own tokens: in team mode nobody may see or call them."""
    binding = entry["binding"]
    return bool(
        binding.get("tokenEndpoint")
        or binding.get("revokesTokens")
        or any(argument.get("token") for argument in binding["arguments"])
    )


def team_schema(schema: dict[str, Any]) -> dict[str, Any]:
    """An input schema as team users see it: files sent inline only (the deployment reads no file of its own)."""
    reduced: dict[str, Any] = file_arguments.without_local_paths(schema, settings.API.get("filePhrases", {}))
    return reduced

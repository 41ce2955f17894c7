"""The generation config: package names, environment prefix, hosts and text settings, with defaults from the spec."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict, get_args, get_origin, get_type_hints

from generator.diagnostics import Diagnostic, GenerationError
from generator.load import load_mapping
from generator.openapi import json_list, json_object, json_pointer
from generator.selection import Rule, Selection, parse_rules, parse_selection

if TYPE_CHECKING:  # the runtime's own definition of the data it reads (templates/package/src/__package__/contract.py)
    from __package__ import contract


@dataclass(frozen=True)
class ServerSetting:
    """How the generated server finds one host of the API: its default URL and the variable that overrides it."""

    url: str
    env: str


@dataclass(frozen=True)
class Binding:
    """A parameter or body field the server fills: from a setting (`env`) or a stored token (`token`)."""

    env: str = ""
    token: str = ""
    hidden: bool = False


Mode = Literal["static", "catalog", "hybrid"]
"""What tools/list shows: a tool per operation, the three catalog meta-tools, or curated tools plus them."""
OutputSchema = Literal["outline", "full", "shallow", "none"]
Nesting = Literal["openapi", "brackets"]
MODES: tuple[Mode, ...] = get_args(Mode)

DEFAULT_SYNONYMS = (("photo", "image"), ("picture", "image"))
"""Everyday words for what APIs commonly name otherwise; a config's `search_synonyms` adds to them."""


@dataclass(frozen=True)
class ErrorHint:
    """What an error of the API means and what to do, in the API's own terms: told when the status matches and
    (when `when` is given) the error body holds one of its words."""

    status: tuple[int, ...]
    hint: str
    when: tuple[str, ...] = ()

    @property
    def data(self) -> contract.ErrorHint:
        """As the generated server reads it (`api.json`)."""
        found: contract.ErrorHint = {"status": list(self.status), "hint": self.hint}
        if self.when:
            found["when"] = list(self.when)
        return found


@dataclass(frozen=True)
class PromptArgument:
    """One argument of a prompt: its name (a placeholder of the template), what to give, and whether it must be."""

    name: str
    description: str
    required: bool = False


@dataclass(frozen=True)
class Prompt:
    """A prompt the generated server offers (prompts/list, prompts/get): a job's instructions, with `{argument}`
    placeholders, and the tools the job uses (checked against the package's tools once they are known)."""

    name: str
    title: str
    description: str
    tools: tuple[str, ...]
    template: str
    arguments: tuple[PromptArgument, ...] = ()


PROMPT_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")
"""A prompt template's markup, left to right: `{{` and `}}` (a literal brace), `{name}` (an argument), or a lone
brace (an error). The generated server fills templates with the same reading, in one pass."""
_IDENTIFIER = r"[a-z][a-z0-9_]*"


@dataclass(frozen=True)
class GeneratorConfig:
    """Every choice the generator makes that is not in the spec itself."""

    distribution_name: str
    package_name: str
    server_name: str
    display_name: str
    env_prefix: str
    docs_base_url: str = ""
    description_budget: int = 1200
    tool_budget: int = 16384
    """The most bytes a model reads of one tool (name, description and inputSchema as compact JSON); a larger tool
    is reduced, in a fixed order, until it fits."""
    output_schema: OutputSchema = "outline"
    """How much of each response schema tools/list carries: `outline` (the names of the top-level fields),
    `full`, `shallow` (top-level fields with their types and descriptions) or `none`."""
    mode: Mode = "static"
    """`static` (one tool per operation), `catalog` (search, describe and call meta-tools) or `hybrid`."""
    nesting: Nesting = "openapi"
    """How nested values travel in forms and queries: `openapi` (the spec's style rules; JSON parts in
    multipart) or `brackets` (Rails: `image[data]`, `items[][id]`), which Procore expects."""
    license_holder: str = ""
    package_version: str = ""
    """The generated package's version; by default the spec's version followed by the generator's."""
    registry_name: str = ""
    """The server's name in the MCP Registry (`io.github.owner/name`); by default from the distribution name."""
    repository_url: str = ""
    """The copyright holder named in the package's LICENSE (MIT); empty: "The <distribution> contributors"."""
    servers: tuple[ServerSetting, ...] = field(default_factory=tuple)
    operations: Selection = field(default_factory=Selection)
    bindings: tuple[tuple[str, Binding], ...] = ()
    hybrid_static: tuple[Rule, ...] = ()
    search_synonyms: tuple[tuple[str, str | tuple[str, ...]], ...] = DEFAULT_SYNONYMS
    """Catalog search: a word an agent may use, and the word the API uses for it; a query word matches either."""
    team_identity: tuple[tuple[str, str], ...] = ()
    """Team mode: the call that tells who signed in (`server` setting key, `path`, `field` of the answer)."""
    search_examples: tuple[str, ...] = ()
    """Words the catalog's search tool suggests (`rfi`, `daily log`); by default the API's most used tags."""
    default_page_size: int | None = None
    """The page size the server asks for when a list tool's caller gives none, where the API's own default is
    larger or unknown (Procore sends 100 records a page unless asked)."""
    idempotency_header: str = ""
    """A header the API reads an idempotency key from, sent (one key per call) with every POST and PATCH; the
    spec's own idempotency-key header parameters are recognised without it."""
    error_hints: tuple[ErrorHint, ...] = ()
    """What an error means in this API and what to do: a status (or several), a hint, and optionally words of
    the error body that pick it (`when`)."""
    related_scopes: tuple[tuple[str, str], ...] = ()
    """Path segments that scope a resource (`projects` in `/projects/{id}/...`) and the word for each scope: an
    operation's description names its twin at another scope (\"does the same at company level\")."""
    overlays: tuple[Path, ...] = ()
    """Overlay files (OpenAPI Overlay 1.x) applied to the spec as it loads, in order, before any `--overlay`;
    written relative to the config file. The pipeline reads them from the file (`ConfigFile.overlays`) before
    the spec is parsed."""
    include_specs: tuple[Path, ...] = ()
    """Other OpenAPI files whose paths, components and tags are merged into the spec before it is parsed, in
    order; written relative to the config file (`ConfigFile.include_specs`)."""
    prompts: tuple[Prompt, ...] = ()
    """Prompts for common jobs (prompts/list and prompts/get): each a `name`, `title`, `description`, `arguments`,
    the `tools` it uses and its `template` with `{argument}` placeholders."""

    def binding_for(self, wire_name: str) -> Binding | None:
        return next((binding for name, binding in self.bindings if name == wire_name), None)


_RAW_FORMS: dict[str, type] = {
    "servers": dict,
    "operations": dict,
    "bindings": dict,
    "hybrid_static": list,
    "search_synonyms": dict,
    "team_identity": dict,
    "related_scopes": dict,
    "search_examples": list,
    "error_hints": list,
    "overlays": list,
    "include_specs": list,
    "prompts": list,
}
"""Settings written in the config as a mapping or a list and read into a structure of their own."""
_CHOICE_HELP = {"nesting": "`openapi` (the spec's own rules) or `brackets` (Rails style: `image[data]`)"}


def _settings() -> dict[str, tuple[type, tuple[str, ...]]]:
    """Each setting the config may hold, from `GeneratorConfig`'s own fields: the type it is written as, and
    the choices of a `Literal` one."""
    hints = get_type_hints(GeneratorConfig)
    found: dict[str, tuple[type, tuple[str, ...]]] = {}
    for entry in dataclasses.fields(GeneratorConfig):
        hint = hints[entry.name]
        if entry.name in _RAW_FORMS:
            found[entry.name] = (_RAW_FORMS[entry.name], ())
        elif get_origin(hint) is Literal:
            found[entry.name] = (str, tuple(str(choice) for choice in get_args(hint)))
        else:
            kinds = [kind for kind in (get_args(hint) or (hint,)) if kind is not type(None)]
            found[entry.name] = (kinds[0], ())
    return found


_KNOWN_KEYS = _settings()


def slug_words(text: str) -> list[str]:
    """Lower-case ASCII words of a title: `Procore REST API` -> [procore, rest, api]."""
    return re.findall(r"[a-z0-9]+", text.lower())


class TitleDefaults(TypedDict):
    """The names a config need not set: derived from the spec's `info.title`."""

    distribution_name: str
    package_name: str
    server_name: str
    display_name: str
    env_prefix: str


def defaults_from_title(title: str) -> TitleDefaults:
    """Names derived from `info.title` when the config does not set them."""
    words = [w for w in slug_words(title) if w not in {"api", "rest", "openapi", "the"}] or ["api"]
    if words[0][0].isdigit():
        words.insert(0, "api")
    base = "-".join(words)
    return {
        "distribution_name": f"{base}-mcp",
        "package_name": f"{base.replace('-', '_')}_mcp",
        "server_name": f"{base}-mcp",
        "display_name": title.strip() or "API",
        "env_prefix": base.replace("-", "_").upper(),
    }


def _check(raw: Mapping[str, object], source: str) -> list[Diagnostic]:
    problems: list[Diagnostic] = []
    for key, value in raw.items():
        expected = _KNOWN_KEYS.get(key)
        if expected is None:
            known = ", ".join(sorted(_KNOWN_KEYS))
            problems.append(
                Diagnostic("error", "config", f"unknown setting `{key}` (known: {known})", source, f"/{key}")
            )
        elif not isinstance(value, expected[0]) or isinstance(value, bool):
            message = f"`{key}` must be a {expected[0].__name__}, not {type(value).__name__}"
            problems.append(Diagnostic("error", "config", message, source, f"/{key}"))
        elif expected[1] and value not in expected[1]:
            allowed = _CHOICE_HELP.get(key) or ", ".join(expected[1])
            problems.append(Diagnostic("error", "config", f"`{key}` must be one of {allowed}", source, f"/{key}"))
    patterns = {
        "package_name": r"[a-z_][a-z0-9_]*",
        "distribution_name": r"[a-z0-9]+([-_.][a-z0-9]+)*",
        "env_prefix": r"[A-Z][A-Z0-9_]*",
    }
    budget = raw.get("tool_budget", GeneratorConfig.tool_budget)
    if isinstance(budget, int) and not isinstance(budget, bool) and budget < 2048:
        problems.append(
            Diagnostic("error", "config", "`tool_budget` must be at least 2048 bytes", source, "/tool_budget")
        )
    size = raw.get("default_page_size")
    if isinstance(size, int) and not isinstance(size, bool) and size < 1:
        message = "`default_page_size` must be at least 1"
        problems.append(Diagnostic("error", "config", message, source, "/default_page_size"))
    for key, value in raw.items():
        if isinstance(value, str) and any(
            ord(c) < 32 or 0x202A <= ord(c) <= 0x202E or 0x2066 <= ord(c) <= 0x2069 for c in value
        ):
            message = f"`{key}` contains control or bidirectional characters"
            problems.append(Diagnostic("error", "config", message, source, f"/{key}"))
    for key, pattern in patterns.items():
        value = raw.get(key)
        if isinstance(value, str) and not re.fullmatch(pattern, value):
            message = f"`{key}` {value!r} must match {pattern}"
            problems.append(Diagnostic("error", "config", message, source, f"/{key}"))
    return problems


def _server_settings(raw: Mapping[str, object], spec_urls: list[str], source: str) -> tuple[ServerSetting, ...]:
    """One setting per host: configured ones first, then the spec's, with derived variable names."""
    settings: dict[str, ServerSetting] = {}
    for url, entry in json_object(raw.get("servers")).items():
        env = entry.get("env") if isinstance(entry, dict) else None
        if not isinstance(env, str) or not re.fullmatch(r"[A-Z][A-Z0-9_]*", env):
            message = f"server {url!r} needs `env`, an upper-case variable suffix such as BASE_URL"
            raise GenerationError([Diagnostic("error", "config", message, source, "/servers")])
        settings[url.rstrip("/")] = ServerSetting(url.rstrip("/"), env)
    for index, url in enumerate(spec_urls):
        url = url.rstrip("/")
        if url in settings:
            continue
        host_words = slug_words(re.sub(r"^[a-z]+://", "", url).split("/")[0].split(".")[0])
        env = "BASE_URL" if index == 0 else f"{'_'.join(host_words).upper() or 'SERVER'}_URL"
        taken = {s.env for s in settings.values()}
        suffix = 2
        candidate = env
        while candidate in taken:
            candidate = f"{env.removesuffix('_URL')}{suffix}_URL"
            suffix += 1
        settings[url] = ServerSetting(url, candidate)
    return tuple(settings.values())


def build_config(raw: Mapping[str, object], title: str, spec_urls: list[str], source: str) -> GeneratorConfig:
    """Merge a raw config mapping over defaults derived from the spec; raise on any bad setting."""
    problems = _check(raw, source)
    if problems:
        raise GenerationError(problems)
    # each a field of `GeneratorConfig` written as a plain value, its type checked against the field's by `_check`
    values: dict[str, Any] = {**defaults_from_title(title), **{k: v for k, v in raw.items() if k not in _RAW_FORMS}}
    servers = _server_settings(raw, spec_urls, source)
    return GeneratorConfig(
        **values,
        servers=servers,
        team_identity=_team_identity(json_object(raw.get("team_identity")), servers, source),
        operations=parse_selection(raw.get("operations"), source),
        bindings=_bindings(json_object(raw.get("bindings")), str(values["env_prefix"]), source),
        hybrid_static=parse_rules(raw.get("hybrid_static"), "/hybrid_static", source),
        search_synonyms=_synonyms(json_object(raw.get("search_synonyms")), source),
        related_scopes=_related_scopes(json_object(raw.get("related_scopes")), source),
        search_examples=_search_examples(json_list(raw.get("search_examples")), source),
        error_hints=_error_hints(json_list(raw.get("error_hints")), source),
        overlays=_files(raw.get("overlays"), source, "overlays", "an overlay file"),
        include_specs=_files(raw.get("include_specs"), source, "include_specs", "an OpenAPI file"),
        prompts=_prompts(json_list(raw.get("prompts")), source),
    )


def _files(raw: object, source: str, key: str, kind: str) -> tuple[Path, ...]:
    """`overlays` or `include_specs`: file paths, relative to the config file's folder (or absolute)."""
    if raw is None:
        return ()
    problems = _check({key: raw}, source)
    if problems or not isinstance(raw, list):  # `_check` finds a problem whenever it is not a list
        raise GenerationError(problems)
    paths: list[str] = []
    for index, entry in enumerate(raw):
        if not isinstance(entry, str) or not entry.strip():
            message = f"each of `{key}` is the path of {kind}, relative to the config file"
            raise GenerationError([Diagnostic("error", "config", message, source, f"/{key}/{index}")])
        paths.append(entry)
    return tuple(Path(source).parent / entry for entry in paths)


_PROMPT_FIELDS = {"name", "title", "description", "arguments", "tools", "template"}
_PROMPT_REQUIRED = ("name", "title", "description", "tools", "template")
_ARGUMENT_FIELDS = {"name", "description", "required"}


def _prompts(raw: list[object], source: str) -> tuple[Prompt, ...]:
    """`prompts`: each a snake_case `name` (unique), a `title`, a `description`, optional `arguments` (each a
    `name`, a `description` and `required`, false by default), the `tools` it uses (at least one) and its
    `template`, whose `{argument}` placeholders are its arguments, every one used (`{{` and `}}` for braces).
    Every problem is an error naming the prompt."""
    found: list[Prompt] = []
    problems: list[Diagnostic] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw):
        pointer = f"/prompts/{index}"
        name = entry.get("name") if isinstance(entry, dict) else None
        label = f"prompt `{name}`" if isinstance(name, str) and name else f"prompt {index}"
        errors = _prompt_problems(entry, seen)
        problems.extend(Diagnostic("error", "config", f"{label}: {error}", source, pointer) for error in errors)
        if not errors and isinstance(entry, dict):  # an entry without problems is a mapping
            prompt = _prompt(entry)
            seen.add(prompt.name)
            found.append(prompt)
    if problems:
        raise GenerationError(problems)
    return tuple(found)


def _prompt(entry: Mapping[str, object]) -> Prompt:
    """A prompt whose entry `_prompt_problems` found sound."""
    arguments = tuple(
        PromptArgument(
            _text(arg, "name"), " ".join(_text(arg, "description").split()), bool(arg.get("required", False))
        )
        for arg in json_list(entry.get("arguments"))
        if isinstance(arg, dict)  # every argument of a sound entry is
    )
    return Prompt(
        name=_text(entry, "name"),
        title=" ".join(_text(entry, "title").split()),
        description=" ".join(_text(entry, "description").split()),
        tools=tuple(str(tool) for tool in json_list(entry.get("tools"))),
        template=_text(entry, "template").strip(),
        arguments=arguments,
    )


def _text(entry: Mapping[str, object], key: str) -> str:
    """A field `_prompt_problems` found to be text."""
    value = entry[key]
    if not isinstance(value, str):
        raise TypeError(f"`{key}` is not text")
    return value


def _unprintable(text: str, newlines: bool = False) -> bool:
    """Control characters (but line breaks and tabs, where `newlines`) or bidirectional marks."""
    allowed = "\n\t" if newlines else ""
    return any(
        (ord(c) < 32 and c not in allowed) or 0x7F <= ord(c) <= 0x9F or 0x202A <= ord(c) <= 0x202E
        or 0x2066 <= ord(c) <= 0x2069
        for c in text
    )  # fmt: skip


def _unknown_fields(entry: Iterable[object], known: set[str]) -> list[str]:
    unknown = sorted(str(key) for key in entry if key not in known)
    if not unknown:
        return []
    return [f"unknown field {', '.join(f'`{key}`' for key in unknown)} (known: {', '.join(sorted(known))})"]


def _prompt_problems(entry: object, seen: set[str]) -> list[str]:
    """What is wrong with one entry of `prompts`, in words."""
    if not isinstance(entry, dict):
        return ["each of `prompts` is a mapping with `name`, `title`, `description`, `tools` and `template`"]
    problems: list[str] = _unknown_fields(entry, _PROMPT_FIELDS)
    missing = [key for key in _PROMPT_REQUIRED if key not in entry]
    if missing:
        problems.append(f"missing {', '.join(f'`{key}`' for key in missing)}")
    name = entry.get("name")
    if "name" in entry and not (isinstance(name, str) and re.fullmatch(_IDENTIFIER, name) and len(name) <= 64):
        problems.append("`name` must be snake_case (lower-case letters, digits and _, starting with a letter)")
    elif isinstance(name, str) and name in seen:
        problems.append("another prompt has the same `name`")
    for key in ("title", "description"):
        value = entry.get(key)
        if key in entry and not (isinstance(value, str) and value.strip() and not _unprintable(value, newlines=True)):
            problems.append(f"`{key}` must be text, without control or bidirectional characters")
    tools = entry.get("tools")
    if "tools" in entry and not (
        isinstance(tools, list)
        and tools
        and all(isinstance(t, str) and re.fullmatch(r"[A-Za-z0-9_.-]+", t) for t in tools)
    ):
        problems.append("`tools` must be a list of the tool names the prompt uses, at least one")
    elif isinstance(tools, list) and len(set(tools)) != len(tools):
        problems.append("`tools` names a tool twice")
    arguments, argument_problems = _prompt_arguments(entry.get("arguments", []))
    problems.extend(argument_problems)
    template = entry.get("template")
    if "template" in entry:
        if not (isinstance(template, str) and template.strip()) or _unprintable(template, newlines=True):
            problems.append("`template` must be text, without control or bidirectional characters")
        elif not argument_problems:
            problems.extend(_template_problems(template, arguments))
    return problems


def _prompt_arguments(raw: object) -> tuple[dict[str, bool], list[str]]:
    """A prompt's `arguments` (name -> required), and what is wrong with them."""
    if raw is None:
        return {}, []
    if not isinstance(raw, list):
        return {}, ["`arguments` must be a list of {name, description, required}"]
    declared: dict[str, bool] = {}
    problems: list[str] = []
    for position, argument in enumerate(raw):
        if not isinstance(argument, dict):
            problems.append(f"argument {position} must be a mapping with `name`, `description` and `required`")
            continue
        name = argument.get("name")
        label = f"argument `{name}`" if isinstance(name, str) and name else f"argument {position}"
        problems.extend(f"{label}: {problem}" for problem in _unknown_fields(argument, _ARGUMENT_FIELDS))
        if not (isinstance(name, str) and re.fullmatch(_IDENTIFIER, name)):
            problems.append(
                f"{label}: `name` must be snake_case (lower-case letters, digits and _, starting with a letter)"
            )
            continue
        if name in declared:
            problems.append(f"{label} is declared twice")
        description = argument.get("description")
        if not (isinstance(description, str) and description.strip() and not _unprintable(description, newlines=True)):
            problems.append(f"{label}: `description` must be text saying what to give")
        required = argument.get("required", False)
        if not isinstance(required, bool):
            problems.append(f"{label}: `required` is true or false")
        declared[name] = required is True
    return declared, problems


def _template_problems(template: str, arguments: dict[str, bool]) -> list[str]:
    """Placeholders that are not declared arguments, lone braces, and declared arguments the template never uses."""
    problems: list[str] = []
    used: set[str] = set()
    for match in PROMPT_PLACEHOLDER.finditer(template):
        text = match.group()
        if text in ("{{", "}}"):
            continue
        if text in ("{", "}"):
            problems.append(
                f"`template` has a lone `{text}` at character {match.start()}: write `{text * 2}` for a brace"
            )
        elif match.group(1) in arguments:
            used.add(match.group(1))
        else:
            declared = ", ".join(arguments) or "none"
            problems.append(f"`template` placeholder `{text}` is not one of its arguments (declared: {declared})")
    unused = [name for name in arguments if name not in used]
    if unused:
        names = ", ".join(f"`{{{name}}}`" for name in unused)
        problems.append(f"`template` never uses the argument{'s' if len(unused) > 1 else ''} {names}")
    return problems


def _error_hints(raw: list[object], source: str) -> tuple[ErrorHint, ...]:
    """`error_hints`: each a `status` (or list of them, 400 to 599), a `hint`, and optional `when` words."""
    found = []
    for index, entry in enumerate(raw):
        status = entry.get("status") if isinstance(entry, dict) else None
        statuses = status if isinstance(status, list) else [status]
        when = entry.get("when", []) if isinstance(entry, dict) else None
        words = when if isinstance(when, list) else [when]
        hint = entry.get("hint") if isinstance(entry, dict) else None
        valid = (
            isinstance(entry, dict)
            and all(isinstance(s, int) and not isinstance(s, bool) and 400 <= s <= 599 for s in statuses)
            and all(isinstance(w, str) and w.strip() for w in words)
            and isinstance(hint, str)
            and 0 < len(hint.strip()) <= 600
            and set(entry) <= {"status", "when", "hint"}
        )
        if not valid:
            message = "each of `error_hints` has a `status` (400 to 599, or a list), a `hint` and optional `when` words"
            raise GenerationError([Diagnostic("error", "config", message, source, f"/error_hints/{index}")])
        codes = tuple(int(code) for code in statuses if isinstance(code, int))
        found.append(ErrorHint(codes, " ".join(str(hint).split()), tuple(str(w).lower() for w in words)))
    return tuple(found)


def _search_examples(raw: list[object], source: str) -> tuple[str, ...]:
    """`search_examples`: a few short words or phrases."""
    words = [word for word in raw if isinstance(word, str) and 0 < len(word.strip()) <= 40]
    if len(words) != len(raw):
        message = "`search_examples` is a list of short words or phrases (`rfi`, `daily log`)"
        raise GenerationError([Diagnostic("error", "config", message, source, "/search_examples")])
    return tuple(word.strip() for word in words)


def _related_scopes(raw: Mapping[str, object], source: str) -> tuple[tuple[str, str], ...]:
    """`related_scopes`: path segment -> the word for that scope, both plain words."""
    for segment, word in raw.items():
        if not re.fullmatch(r"[A-Za-z0-9_-]+", str(segment)) or not isinstance(word, str) or not word.strip():
            message = "`related_scopes` maps a path segment (`projects`) to the word for its scope (`project`)"
            raise GenerationError([Diagnostic("error", "config", message, source, "/related_scopes")])
    return tuple((str(segment), str(word).strip()) for segment, word in raw.items())


def _team_identity(
    raw: Mapping[str, object], servers: tuple[ServerSetting, ...], source: str
) -> tuple[tuple[str, str], ...]:
    """`team_identity`: `path` of the call answering who is signed in, the answer's `field` naming them (`id`),
    and the `server` it is on (one of `servers`; the first by default)."""
    if not raw:
        return ()
    by_url = {setting.url.rstrip("/"): setting.env for setting in servers}
    server = str(raw.get("server") or (servers[0].url if servers else "")).rstrip("/")
    path, field_name = raw.get("path"), raw.get("field", "id")
    problem = ""
    if not isinstance(path, str) or not path.startswith("/"):
        problem = "`team_identity.path` must be a path starting with /"
    elif not isinstance(field_name, str) or not field_name:
        problem = "`team_identity.field` must name a field of the answer"
    elif server not in by_url:
        problem = f"`team_identity.server` must be one of the servers ({', '.join(sorted(by_url)) or 'none'})"
    if problem:
        raise GenerationError([Diagnostic("error", "config", problem, source, "/team_identity")])
    return (("server", by_url[server]), ("path", str(path)), ("field", str(field_name)))


_PHRASE = re.compile(r"[A-Za-z0-9][A-Za-z0-9&' -]*")


def _synonyms(raw: Mapping[str, object], source: str) -> tuple[tuple[str, str | tuple[str, ...]], ...]:
    """`search_synonyms`: a word or phrase an agent may use -> how the API says it: one word (either will do), a
    phrase (read in its place), or a list of words or phrases (any will do). Added to the defaults."""
    merged: dict[str, str | tuple[str, ...]] = dict(DEFAULT_SYNONYMS)
    for key, meaning in raw.items():
        options = meaning if isinstance(meaning, list) else [meaning]
        words = [text for text in options if isinstance(text, str) and _PHRASE.fullmatch(text)]
        if not (isinstance(key, str) and _PHRASE.fullmatch(key)) or not options or len(words) != len(options):
            message = (
                "a search synonym maps a word or phrase (letters, digits, spaces, & and ') to another, or to a list"
            )
            raise GenerationError(
                [Diagnostic("error", "config", message, source, json_pointer("search_synonyms", str(key)))]
            )
        merged[key.lower()] = meaning.lower() if isinstance(meaning, str) else tuple(o.lower() for o in words)
    return tuple(sorted(merged.items()))


def _bindings(raw: Mapping[str, object], prefix: str, source: str) -> tuple[tuple[str, Binding], ...]:
    """`bindings`: wire name -> {env: SUFFIX | token: access_token|refresh_token, hidden: bool}."""
    result: list[tuple[str, Binding]] = []
    for name, entry in raw.items():
        pointer = f"/bindings/{name}"
        if not isinstance(entry, dict) or set(entry) - {"env", "token", "hidden"}:
            message = "a binding sets `env` (a variable suffix) or `token`, and optionally `hidden`"
            raise GenerationError([Diagnostic("error", "config", message, source, pointer)])
        env, token = entry.get("env", ""), entry.get("token", "")
        if bool(env) == bool(token):
            raise GenerationError(
                [Diagnostic("error", "config", "set exactly one of `env` and `token`", source, pointer)]
            )
        if env and not (isinstance(env, str) and re.fullmatch(r"[A-Z][A-Z0-9_]*", env)):
            message = "`env` is an upper-case suffix such as COMPANY_ID"
            raise GenerationError([Diagnostic("error", "config", message, source, pointer)])
        if token and token not in ("access_token", "refresh_token"):
            message = "`token` is access_token or refresh_token"
            raise GenerationError([Diagnostic("error", "config", message, source, pointer)])
        hidden = entry.get("hidden", False)
        if not isinstance(hidden, bool):
            raise GenerationError([Diagnostic("error", "config", "`hidden` is true or false", source, pointer)])
        result.append((str(name), Binding(env=f"{prefix}_{env}" if env else "", token=str(token), hidden=hidden)))
    return tuple(result)


@dataclass(frozen=True)
class ConfigFile:
    """A config file's settings as written, read once per run: empty (from `<defaults>`) without a file."""

    raw: dict[str, object]
    source: str

    @property
    def overlays(self) -> tuple[Path, ...]:
        """The overlay files its `overlays` names, in order: needed before the spec is parsed, so before the
        rest of the config can be completed from it. Checked as `build_config` checks them."""
        return _files(self.raw.get("overlays"), self.source, "overlays", "an overlay file")

    @property
    def include_specs(self) -> tuple[Path, ...]:
        """The OpenAPI files its `include_specs` names, in order: merged into the spec before it is parsed."""
        return _files(self.raw.get("include_specs"), self.source, "include_specs", "an OpenAPI file")

    def complete(self, title: str, spec_urls: list[str]) -> GeneratorConfig:
        """The whole config, completed from the spec; raise on any bad setting."""
        return build_config(self.raw, title, spec_urls, self.source)


def read_config(path: Path | None) -> ConfigFile:
    """Read the config file (optional); nothing in it is checked yet."""
    if path is None:
        return ConfigFile({}, "<defaults>")
    return ConfigFile(load_mapping(path), str(path))


def load_config(path: Path | None, title: str, spec_urls: list[str]) -> GeneratorConfig:
    """Read the config file (optional) and complete it from the spec."""
    return read_config(path).complete(title, spec_urls)

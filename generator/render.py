"""Stage 4, render: the IR to `{relative path: text}` through the templates in `templates/package/`. No I/O."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

import jinja2

from generator.background import is_large
from generator.config import Prompt
from generator.ir import Api, Argument, HttpBinding, Paging, SecurityScheme, Tool
from generator.templating import environment

if TYPE_CHECKING:  # the runtime's own definition of the data it reads (templates/package/src/__package__/contract.py)
    from __package__ import contract

PACKAGE_TEMPLATES = "package/"
PACKAGE_PLACEHOLDER = "__package__"


def tool_definition(tool: Tool) -> contract.Definition:
    """The MCP Tool object exactly as tools/list returns it."""
    hints = annotation_hints(tool)  # last, as clients have always seen it
    if tool.output_schema is None:
        return {
            "name": tool.name,
            "title": tool.title,
            "description": tool.description,
            "inputSchema": dict(tool.input_schema),
            "annotations": hints,
        }
    return {
        "name": tool.name,
        "title": tool.title,
        "description": tool.description,
        "inputSchema": dict(tool.input_schema),
        "outputSchema": dict(tool.output_schema),
        "annotations": hints,
    }


def annotation_hints(tool: Tool) -> contract.Annotations:
    """The hints that say something: MCP defines a default for each (not read-only, destructive, not
    idempotent, open world), and the destructive and idempotent hints only matter for tools that change data."""
    effect = tool.annotations
    hints: contract.Annotations = (
        {"readOnlyHint": True} if effect.read_only else {"destructiveHint": effect.destructive}
    )
    if effect.idempotent and not effect.read_only:
        hints["idempotentHint"] = True
    if not effect.open_world:
        hints["openWorldHint"] = False
    return hints


def argument_entry(argument: Argument) -> contract.Argument:
    """One argument as the runtime reads it: where it goes, and only the facts that differ from the defaults."""
    entry: contract.Argument = {"property": argument.property_name, "in": argument.location, "name": argument.wire_name}
    if argument.members:
        entry["members"] = dict(argument.members)
    if argument.style:
        entry["style"] = argument.style
    if argument.explode is not None:
        entry["explode"] = argument.explode
    if argument.bind_env:
        entry["env"] = argument.bind_env
    if argument.bind_token:
        entry["token"] = argument.bind_token
    if argument.hidden:
        entry["hidden"] = True
    if argument.required:
        entry["required"] = True
    return entry


def body_entry(binding: HttpBinding, media_type: str) -> contract.Body:
    """How the request body travels: its media type, whether whole, its files and form nesting."""
    body: contract.Body = {"mediaType": media_type, "whole": binding.body_is_whole}
    if binding.body_required:
        body["required"] = True
    if binding.file_fields:
        body["files"] = [list(path) for path in binding.file_fields]
    if media_type.lower().startswith(("multipart/", "application/x-www-form-urlencoded")):
        body["nesting"] = binding.nesting
        if binding.bracketed_fields:
            body["bracketed"] = list(binding.bracketed_fields)
    return body


def tool_binding(tool: Tool, server_keys: dict[str, str]) -> contract.Binding:
    """What the runtime needs to turn a call of this tool into an HTTP request."""
    http = tool.binding
    binding: contract.Binding = {
        "method": http.method,
        "server": server_keys[http.server.rstrip("/")],
        "path": http.path,
        "arguments": [argument_entry(argument) for argument in http.arguments],
        "auth": list(http.auth),
    }
    if http.body_media_type:
        binding["body"] = body_entry(http, http.body_media_type)
    if tool.output_wrapped:
        binding["wrapResult"] = True
    if tool.full_input_schema is not None:
        binding["reduced"] = True  # its whole inputSchema is in input_schemas.json
    if http.token_endpoint:
        binding["tokenEndpoint"] = True
    if http.revokes_tokens:
        binding["revokesTokens"] = True
    if http.paginated:
        binding["paginated"] = True
    if http.idempotency_header:
        binding["idempotencyKey"] = http.idempotency_header
    shape = http.shape
    if shape.items:
        binding["items"] = shape.items
    if shape.fields:
        binding["fields"] = True
    if shape.paging is not None:
        binding["paging"] = paging_entry(shape.paging)
    if tool.tags:
        binding["tags"] = list(tool.tags)
    if tool.operation_id:
        binding["operationId"] = tool.operation_id
    if tool.curated:
        binding["curated"] = True
    if tool.deprecated:
        binding["deprecated"] = True
    if tool.outlined:
        binding["outlined"] = True
    return binding


def paging_entry(rule: Paging) -> contract.Paging:
    entry: contract.Paging = {"style": rule.style, "param": rule.param}
    if rule.size:
        entry["size"] = rule.size
    if rule.size_default is not None:
        entry["sizeDefault"] = rule.size_default
    if rule.size_max is not None:
        entry["sizeMax"] = rule.size_max
    if rule.fill is not None:
        entry["fill"] = rule.fill
    if rule.next:
        entry["next"] = rule.next
    if rule.last_id:
        entry["lastId"] = rule.last_id
    if rule.more:
        entry["more"] = rule.more
    return entry


def _endpoint(url: str, server_keys: dict[str, str]) -> contract.Endpoint:
    """A URL as (server key, path) when it lives on a configured host, so its override variable applies."""
    for server, key in sorted(server_keys.items(), key=lambda item: -len(item[0])):
        if server and url.startswith(server + "/"):
            return {"server": key, "path": url[len(server) :]}
    return {"url": url} if url else {}


def security_scheme(scheme: SecurityScheme, server_keys: dict[str, str]) -> contract.SecurityScheme:
    entry: contract.SecurityScheme = {"type": scheme.type}
    if scheme.scheme:
        entry["scheme"] = scheme.scheme
    if scheme.location:
        entry["in"] = scheme.location
        entry["name"] = scheme.parameter_name
    if scheme.flows:
        entry["flows"] = list(scheme.flows)
    if scheme.token_url:
        entry["token"] = _endpoint(scheme.token_url, server_keys)
    if scheme.authorization_url:
        entry["authorize"] = _endpoint(scheme.authorization_url, server_keys)
    return entry


def runtime_document(api: Api) -> contract.Document:
    """The data file the generated server loads: hosts, auth schemes, and every tool with its binding."""
    prefix = api.config.env_prefix
    server_keys = {s.url: s.env for s in api.config.servers}
    return {
        "mode": api.config.mode,
        "servers": {s.env: {"default": s.url, "env": f"{prefix}_{s.env}"} for s in api.config.servers},
        "securitySchemes": {s.name: security_scheme(s, server_keys) for s in api.security_schemes},
        "tools": [
            {"definition": tool_definition(tool), "binding": tool_binding(tool, server_keys)} for tool in api.tools
        ],
    }


def prompt_entry(prompt: Prompt) -> contract.Prompt:
    """A prompt as the generated server reads it (`prompts.json`): what prompts/list shows, its template and tools."""
    return {
        "name": prompt.name,
        "title": prompt.title,
        "description": prompt.description,
        "arguments": [
            {"name": argument.name, "description": argument.description, "required": argument.required}
            for argument in prompt.arguments
        ],
        "tools": list(prompt.tools),
        "template": prompt.template,
    }


def package_version(api: Api) -> str:
    """A PEP 440 version that moves with the spec and the generator: `<spec version>.<generator serial>`.

    `2026.11` and generator 0.1.0 give `2026.11.100`; a config `package_version` wins.
    """
    if api.config.package_version:
        return api.config.package_version
    spec = re.match(r"\d+(\.\d+)*", api.version.strip())
    major, minor, patch = (int(part) for part in [*api.generator_version.split("."), "0", "0"][:3])
    return f"{spec.group(0) if spec else '0'}.{major * 10000 + minor * 100 + patch}"


def search_examples(api: Api) -> list[str]:
    """What the search tool suggests searching for: the config's words, else the API's three most used tags (the
    last part of a tag written `Area/Sub/Topic`), else the resources its first paths end in."""
    if api.config.search_examples:
        return list(api.config.search_examples)
    counts = Counter(tag.rsplit("/", 1)[-1].strip().lower() for tool in api.tools for tag in tool.tags)
    words = [tag for tag, _ in counts.most_common(3) if tag]
    for tool in api.tools:
        segments = [s for s in tool.binding.path.split("/") if s and not s.startswith("{")]
        if len(words) >= 3 or not segments:
            continue
        word = segments[-1].replace("_", " ").replace("-", " ").lower()
        if word not in words:
            words.append(word)
    return words[:3] or ["list"]


def registry_name(api: Api) -> str:
    return api.config.registry_name or f"io.github.{api.config.distribution_name}/{api.config.distribution_name}"


def bound_settings(api: Api) -> list[tuple[str, list[str]]]:
    """Visible bindings by variable: which inputs each setting fills by default."""
    grouped: dict[str, list[str]] = {}
    for name, binding in api.config.bindings:
        if binding.env and not binding.hidden:
            grouped.setdefault(binding.env, []).append(name)
    return sorted(grouped.items())


def output_path(template_name: str, package_name: str) -> str:
    """`package/src/__package__/server.py.jinja` -> `src/procore_mcp/server.py`."""
    relative = template_name.removeprefix(PACKAGE_TEMPLATES).removesuffix(".jinja")
    return str(Path(relative.replace(PACKAGE_PLACEHOLDER, package_name)).as_posix())


def tool_groups(runtime: contract.Document) -> list[tuple[str, list[contract.Definition]]]:
    """Tool definitions by tag, tags sorted and tools by name; a tool with several tags is in each group.

    Untagged tools come last, under the tag "" (the template names that group)."""
    groups: dict[str, list[contract.Definition]] = {}
    for entry in runtime["tools"]:
        for tag in entry["binding"].get("tags") or [""]:
            groups.setdefault(str(tag), []).append(entry["definition"])
    ordered = sorted(groups.items(), key=lambda item: (item[0] == "", item[0].casefold(), item[0]))
    return [(tag, sorted(definitions, key=lambda d: str(d["name"]))) for tag, definitions in ordered]


def render_package(
    api: Api, spec_name: str, templates_dir: Path | None = None, override: Path | None = None
) -> dict[str, str]:
    """Render every template under `templates/package/` for this API.

    `override` is a user's folder searched before the built-in templates (`--templates`); a template
    there replaces the built-in one of the same name, and a new one under `package/` adds a file."""
    env = environment(templates_dir, override)
    runtime = runtime_document(api)
    context = {
        "api": api,
        "config": api.config,
        "spec_name": spec_name,
        "runtime": runtime,
        "tools": [tool_definition(tool) for tool in api.tools],
        "full_output_schemas": {t.name: t.full_output_schema for t in api.tools if t.full_output_schema is not None},
        "full_input_schemas": {t.name: t.full_input_schema for t in api.tools if t.full_input_schema is not None},
        "tool_groups": tool_groups(runtime),
        "curated_names": [tool.name for tool in api.tools if tool.curated],
        "bound_settings": bound_settings(api),
        "package_version": package_version(api),
        "registry_name": registry_name(api),
        "search_examples": search_examples(api),
        "prompts": [prompt_entry(prompt) for prompt in api.config.prompts],
        # From this many operations, static mode (a tool each) is no way to run the API: the README says so.
        "large_api": is_large(len(api.tools)),
    }
    files: dict[str, str] = {}
    for name in package_sources(env, override).values():
        text = env.get_template(name).render(context) if name.endswith(".jinja") else copied(env, name, spec_name)
        if text.strip() or not name.endswith(".jinja"):  # a template that renders nothing leaves its file out
            files[output_path(name, api.config.package_name)] = text
    return dict(sorted(files.items()))


def package_sources(env: jinja2.Environment, override: Path | None) -> dict[str, str]:
    """Per output file, the template or plain file it comes from: the user's folder first, and within one folder
    a `.jinja` template before a plain file of the same name. Compiled Python left by imports is not a source."""
    chosen: dict[str, tuple[int, str]] = {}
    for name in env.list_templates(filter_func=lambda n: n.startswith(PACKAGE_TEMPLATES)):
        if "__pycache__" in name.split("/") or name.endswith((".pyc", ".pyo")):
            continue
        user_layer = override is not None and (override / name).is_file()
        rank = (0 if user_layer else 2) + (0 if name.endswith(".jinja") else 1)
        path = name.removesuffix(".jinja")
        if path not in chosen or rank < chosen[path][0]:
            chosen[path] = (rank, name)
    return {path: name for path, (_, name) in sorted(chosen.items())}


def copied(env: jinja2.Environment, name: str, spec_name: str) -> str:
    """A plain file (the runtime's modules) as it is, byte for byte, a Python one under the do-not-edit line."""
    assert env.loader is not None
    text = env.loader.get_source(env, name)[0]
    if not name.endswith(".py"):
        return text
    hash_banner: object = vars(env.get_template("common/banner.jinja").module).get("hash")  # the template's macro
    if not callable(hash_banner):
        raise jinja2.TemplateRuntimeError("common/banner.jinja has no macro `hash` (the banner of a copied module)")
    return f"{hash_banner(spec_name)}\n{text}"

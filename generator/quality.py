"""The quality gate: checks every tool definition an agent will read, and measures what tools/list costs."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass

from generator.budget import DEPTH_LIMIT, prompt_size
from generator.effects import computes_only, replaces
from generator.ir import Api, Tool
from generator.load import json_depth
from generator.name_sources import ARTICLES, CLAUSE_WORDS, NAME_AIM, SENTENCE_OPENERS
from generator.naming import MAX_NAME_LENGTH, title_case
from generator.openapi import TYPING_KEYWORDS, json_list, json_object
from generator.render import tool_definition
from generator.text import drop_doubled_words, gist, is_link_residue

DESCRIPTION_LIMIT = 2000
TITLE_LIMIT = 80
_TITLE_MARKUP = re.compile(r"[*`<>\[\]#]|(?<!\w)_|_(?!\w)|https?://")  # an identifier's `tax_id` is no markup
_SENTENCE_SPLIT = re.compile(r"(?<=[.!?])\s+")
_NAME = re.compile(r"[a-z][a-z0-9_]*")
_LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
_MARKUP = re.compile(r"</?[A-Za-z][^<>]*>|&[a-z]+;|&#\d+;")
_DOUBLED = re.compile(r"\b(\w+)\s+\1\b", re.IGNORECASE)
_SENTENCE_END = re.compile(r"[.!?)`:][\"']?[*_]*$")


@dataclass(frozen=True)
class Violation:
    tool: str
    check: str
    detail: str


def schema_properties(schema: object, path: str = "") -> Iterator[tuple[str, dict[str, object]]]:
    """Every named property of a schema at every depth, with a dotted path: inside objects, list items, maps
    (additionalProperties), each anyOf/oneOf/allOf branch, and `$defs` (named after the definition)."""
    if not isinstance(schema, dict):
        return
    for name, sub in json_object(schema.get("properties")).items():
        if isinstance(sub, dict):
            yield f"{path}{name}", sub
            yield from schema_properties(sub, f"{path}{name}.")
    yield from schema_properties(schema.get("items"), f"{path}[]." if path else "[].")
    extra = schema.get("additionalProperties")
    yield from schema_properties(extra, f"{path}*." if path else "*.")
    for keyword in ("anyOf", "oneOf", "allOf", "prefixItems"):
        for index, branch in enumerate(json_list(schema.get(keyword))):
            yield from schema_properties(branch, f"{path}{keyword}[{index}].")
    for name, defined in json_object(schema.get("$defs")).items():
        yield from schema_properties(defined, f"$defs.{name}.")


def is_described(schema: Mapping[str, object], root: Mapping[str, object]) -> bool:
    """A description of its own, or (a bare `$ref`) one on the definition it names."""
    if str(schema.get("description", "")).strip():
        return True
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        target = json_object(root.get("$defs")).get(ref[len("#/$defs/") :], {})
        return isinstance(target, dict) and bool(str(target.get("description", "")).strip())
    return False


def prompt_bytes(tool: Tool) -> int:
    """What a model reads of a tool: its name, description and inputSchema as compact JSON (as the budget counts)."""
    return prompt_size(tool.name, tool.description, tool.input_schema)


def check_name(tool: Tool) -> Iterator[str]:
    if len(tool.name) > MAX_NAME_LENGTH:
        yield f"{len(tool.name)} characters (limit {MAX_NAME_LENGTH})"
    elif len(tool.name) > NAME_AIM:
        yield f"{len(tool.name)} characters (aim {NAME_AIM})"
    if not _NAME.fullmatch(tool.name):
        yield "not snake_case"
    words = tool.name.split("_")
    if words[0] in SENTENCE_OPENERS or not CLAUSE_WORDS.isdisjoint(words):
        yield f"reads like a sentence: {tool.name!r}"
    elif not ARTICLES.isdisjoint(words):
        yield f"carries an article: {tool.name!r}"
    if ends_in_a_counter(words):
        yield f"ends in a number: {tool.name!r}"


def ends_in_a_counter(words: list[str]) -> bool:
    """A name that ends like a counter told clashes apart (`list_users_2`): a number of one or two digits that is
    no part of a version (`v1_5`, `base_1_0`); a number that names something (`1099`, a tax form) is a word like
    any other."""
    if not (words[-1].isdigit() and len(words[-1]) <= 2):
        return False
    return len(words) == 1 or not (words[-2].isdigit() or re.fullmatch(r"v\d+", words[-2]))


def check_title(tool: Tool) -> Iterator[str]:
    if not tool.title.strip():
        yield "missing"
        return
    if tool.title != title_case(tool.title):
        yield f"not in title case: {tool.title!r}"
    if _TITLE_MARKUP.search(tool.title):
        yield f"markup or a link: {tool.title!r}"
    if len(tool.title) > TITLE_LIMIT:
        yield f"{len(tool.title)} characters (limit {TITLE_LIMIT})"
    if tool.title.rstrip().endswith((".", ":", ";")):
        yield f"ends in punctuation: {tool.title!r}"


def check_repeated_title(tool: Tool) -> Iterator[str]:
    """The description's opening sentence, said again (maybe with other articles) as the next one."""
    sentences = [s for s in _SENTENCE_SPLIT.split(tool.description.replace("\n\n", " ")) if s.strip()]
    if len(sentences) > 1 and gist(sentences[0]) == gist(sentences[1]):
        yield f"the first sentence is said twice: {sentences[0].strip()!r}"


def check_sentences(tool: Tool) -> Iterator[str]:
    for paragraph in tool.description.split("\n\n"):
        text = paragraph.strip()
        if text.endswith(("...", "…")):
            yield f"truncated: ...{text[-40:]!r}"
        elif not _SENTENCE_END.search(text):
            yield f"dangling sentence: ...{text[-40:]!r}"


def _texts(tool: Tool) -> list[str]:
    """The description and every property description, at every depth."""
    return [tool.description, *(str(p.get("description", "")) for _, p in schema_properties(tool.input_schema))]


def check_links(tool: Tool) -> Iterator[str]:
    for text in _texts(tool):
        for target in _LINK.findall(text):
            if not re.match(r"^(https?|mailto):", target):
                yield f"relative link {target!r}"


def check_markup(tool: Tool) -> Iterator[str]:
    for text in _texts(tool):
        for found in _MARKUP.findall(str(text)):
            yield f"leftover markup {found!r}"


def check_grammar(tool: Tool) -> Iterator[str]:
    """A word said twice running (`the the`), outside code spans: what prose cleaning takes out."""
    for text in _texts(tool):
        if drop_doubled_words(text) != text:
            found = next((m.group(0) for m in _DOUBLED.finditer(text)), text[:40])
            yield f"doubled word {found!r}"


def check_parameters(tool: Tool) -> Iterator[str]:
    for path, schema in schema_properties(tool.input_schema):
        description = str(schema.get("description", "")).strip()
        if not is_described(schema, tool.input_schema):
            if not _described_in_whole(tool, path, schema):
                yield f"`{path}` has no description"
            continue
        bare = re.sub(r"[^a-z0-9]", "", description.lower())
        if bare == re.sub(r"[^a-z0-9]", "", path.rsplit(".", 1)[-1].lower()):
            yield f"`{path}` description only repeats its name"


def _described_in_whole(tool: Tool, name: str, schema: dict[str, object]) -> bool:
    """A top-level property whose description the budget left out of tools/list (the tool says so) and the whole
    input schema, which `describe_operation` shows, has."""
    whole = tool.full_input_schema
    if whole is None or json_object(tool.input_schema.get("properties")).get(name) is not schema:
        return False
    found = json_object(whole.get("properties")).get(name)
    return isinstance(found, dict) and is_described(found, whole)


def check_output(tool: Tool, documented: bool) -> Iterator[str]:
    if documented and tool.output_schema is None:
        yield "the spec documents a 2xx JSON response but the tool has no outputSchema"


def check_length(tool: Tool, limit: int) -> Iterator[str]:
    if len(tool.description) > limit:
        yield f"description is {len(tool.description)} characters (budget {limit})"


def check_depth(tool: Tool) -> Iterator[str]:
    depth = json_depth(tool_definition(tool))
    if depth > DEPTH_LIMIT:
        yield f"nested {depth} levels deep (limit {DEPTH_LIMIT}): some clients cannot read it"


def check_budget(tool: Tool, budget: int) -> Iterator[str]:
    size = prompt_bytes(tool)
    if size > budget:
        yield f"{size:,} bytes of name, description and inputSchema (budget {budget:,})"


def check_annotations(tool: Tool) -> Iterator[str]:
    definition = tool_definition(tool)
    hints = definition.get("annotations", {})
    # Left-out hints take MCP's defaults, and the default for a tool that changes data is "destructive":
    # such a tool must say `destructiveHint` either way.
    if not hints.get("readOnlyHint") and "destructiveHint" not in hints:
        yield "changes data but says neither readOnlyHint nor destructiveHint"
    if hints.get("readOnlyHint") and hints.get("destructiveHint"):
        yield "both read-only and destructive"


_RESIDUE = re.compile(r"<!--|-->|(?:^|\n\n)\s*>|>\s*>\s")
_NEEDS = re.compile(r"(?:^|\s)Needs ((?:`[^`]+`(?:, | and )?)+)\.")


def check_residue(tool: Tool) -> Iterator[str]:
    """Documentation residue: HTML comments, blockquote markers, a sentence that pointed at a link now gone."""
    for text in _texts(tool):
        if found := _RESIDUE.search(text):
            yield f"residue {found.group(0).strip()!r}"
        for sentence in re.split(r"(?<=[.!?:])\s+|\n\n", text):
            if is_link_residue(sentence.strip()):
                yield f"a sentence about a link that is not there: {sentence.strip()!r}"


def check_needs(tool: Tool) -> Iterator[str]:
    """The "Needs" line names every required argument (or there is none)."""
    found = _NEEDS.search(tool.description)
    if found is None:
        return
    named = set(re.findall(r"`([^`]+)`", found.group(1)))
    required = {str(name) for name in json_list(tool.input_schema.get("required"))}
    if named != required:
        yield f"Needs names {sorted(named)} but the schema requires {sorted(required)}"


def check_effects(tool: Tool) -> Iterator[str]:
    """Effects said by the method and the name: a POST that only works something out is read-only, a PUT that
    replaces a record is destructive."""
    method = tool.binding.method
    if computes_only(method, tool.name) and not tool.annotations.read_only:
        yield f"{method} `{tool.name}` works something out and changes nothing, but is not marked read-only"
    if replaces(method, tool.name) and not tool.annotations.destructive:
        yield f"{method} `{tool.name}` replaces a record whole, but is not marked destructive"


def check_requirements(tool: Tool) -> Iterator[str]:
    """What the API requires (a header such as If-Match, a file part) is required in the input schema too, and a
    whole body has a type."""
    required = set(json_list(tool.input_schema.get("required")))
    for argument in tool.binding.arguments:
        filled = argument.bind_env or argument.bind_token or argument.hidden
        if argument.required and not filled and argument.property_name not in required:
            yield f"`{argument.property_name}` ({argument.location}) is required by the API but not by the tool"
    body = json_object(tool.input_schema.get("properties")).get("body")
    if tool.binding.body_is_whole and isinstance(body, dict) and body.keys().isdisjoint(TYPING_KEYWORDS):
        yield "the whole `body` has no type"


CHECKS: dict[str, Callable[[Tool], Iterator[str]]] = {
    "name": check_name,
    "title": check_title,
    "repeated-title": check_repeated_title,
    "whole-sentences": check_sentences,
    "absolute-links": check_links,
    "no-markup": check_markup,
    "doc-residue": check_residue,
    "needs-line": check_needs,
    "effects": check_effects,
    "requirements": check_requirements,
    "grammar": check_grammar,
    "parameters-described": check_parameters,
    "annotations": check_annotations,
    "depth": check_depth,
}


@dataclass(frozen=True)
class Report:
    """What the gate found and measured."""

    tool_count: int
    violations: tuple[Violation, ...]
    checks: tuple[str, ...]
    list_bytes: int
    per_tool_bytes: tuple[tuple[str, int], ...]

    @property
    def estimated_tokens(self) -> int:
        return round(self.list_bytes / 4)

    def lines(self, worst: int = 5) -> list[str]:
        counts = Counter(v.check for v in self.violations)
        width = max(len(c) for c in self.checks)
        out = [f"{self.tool_count} tools checked"]
        out += [f"  {check:<{width}}  {counts.get(check, 0):>5} violations" for check in self.checks]
        average = self.list_bytes // max(1, self.tool_count)
        out.append(
            f"tools/list: {self.list_bytes:,} bytes, about {self.estimated_tokens:,} tokens "
            f"({average:,} bytes, about {average // 4:,} tokens per tool)"
        )
        largest = sorted(self.per_tool_bytes, key=lambda item: (-item[1], item[0]))[:worst]
        out.append(
            "largest tools (name, description and inputSchema): "
            + ", ".join(f"{name} ({size:,} bytes)" for name, size in largest)
        )
        by_tool = Counter(v.tool for v in self.violations)
        for name, count in sorted(by_tool.items(), key=lambda item: (-item[1], item[0]))[:worst]:
            out.append(f"worst: {name} ({count} violations)")
            out += [f"  {v.check}: {v.detail}" for v in self.violations if v.tool == name][:5]
        return out


def lint_api(api: Api, description_limit: int = DESCRIPTION_LIMIT) -> Report:
    """Run every check on every tool and measure the tools/list response."""
    violations: list[Violation] = []
    names = Counter(tool.name for tool in api.tools)
    for tool in api.tools:
        if names[tool.name] > 1:
            violations.append(Violation(tool.name, "name", "used by more than one tool"))
        for check, run in CHECKS.items():
            violations += [Violation(tool.name, check, detail) for detail in run(tool)]
        violations += [
            Violation(tool.name, "output-schema", d)
            for d in check_output(tool, tool.documented_response and api.config.output_schema != "none")
        ]
        violations += [Violation(tool.name, "length", d) for d in check_length(tool, description_limit)]
        violations += [Violation(tool.name, "budget", d) for d in check_budget(tool, api.config.tool_budget)]
    definitions = [tool_definition(tool) for tool in api.tools]
    sizes = tuple((tool.name, prompt_bytes(tool)) for tool in api.tools)  # what the budget counts, no other measure
    listing = len(json.dumps({"tools": definitions}, separators=(",", ":"), ensure_ascii=False).encode())
    return Report(
        tool_count=len(api.tools),
        violations=tuple(violations),
        checks=(*CHECKS, "output-schema", "length", "budget"),
        list_bytes=listing,
        per_tool_bytes=sizes,
    )

"""Catalog mode: search, describe and call any operation through three small tools."""

from __future__ import annotations

import json
import math
import re
from functools import cache
from typing import Any

from . import settings

# How much a query word found in each field counts (times the word's rarity across the API).
WEIGHTS = {"name": 3.0, "title": 2.0, "resource": 3.0, "tags": 1.5, "path": 1.0, "summary": 1.0, "params": 0.3}
META_TOOLS = ("search_operations", "describe_operation", "call_operation")
# A query's verb, as the kind of operation it asks for (`change`, `get` and `set` are left out: too often nouns
# or too vague). Without a verb, lists rank before single records, and both before changes.
INTENTS = {
    "list": "list", "find": "list", "search": "list", "all": "list",
    "show": "show", "view": "show", "detail": "show",
    "create": "create", "add": "create", "new": "create", "upload": "create",
    "update": "update", "edit": "update", "modify": "update",
    "delete": "delete", "remove": "delete",
}  # fmt: skip
STOP_WORDS = frozenset(
    {"a", "an", "the", "of", "for", "in", "on", "to", "by", "with", "from", "my", "me", "i", "and", "or", "get"}
)
# Words an agent may search for, and the words this API uses instead (the config's `search_synonyms`).
SYNONYMS: dict[str, str] = settings.API["searchSynonyms"]
_VERSION = re.compile(r"v?\d+")


@cache
def meta_definitions() -> list[dict[str, Any]]:
    text = settings.data_text("catalog_tools.json")
    tools: list[dict[str, Any]] = json.loads(text)["tools"]
    return tools


def words(text: str) -> list[str]:
    """Lower-case words with simple plurals folded (`rfis` -> `rfi`, `entries` -> `entry`)."""
    found = []
    for word in re.findall(r"[a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower()):
        if len(word) > 4 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        found.append(word)
    return found


_MEANINGS = {" ".join(words(word)): tuple(words(meaning)) for word, meaning in SYNONYMS.items()}


def summary(definition: dict[str, Any]) -> str:
    first = str(definition.get("description", "")).split("\n\n", 1)[0]
    return first if len(first) <= 200 else first[:197].rsplit(" ", 1)[0] + "..."


def _params(schema: dict[str, Any]) -> str:
    names = list(schema.get("properties", {}))
    for sub in schema.get("properties", {}).values():
        if isinstance(sub, dict):
            names += list(sub.get("properties", {}))
    return " ".join(names)


def _segments(path: str) -> list[str]:
    """A path's fixed parts, without parameters, version numbers and `rest`: what the operation works on."""
    return [
        s for s in path.split("/") if s and s[0] != "{" and s != "rest" and not _VERSION.fullmatch(s.replace(".", ""))
    ]


def _kind(name: str, method: str, path: str) -> str:
    """What an operation does, from its name's verb, else from its method and path."""
    verb = words(name)[:1]
    if verb and verb[0] in INTENTS:
        return INTENTS[verb[0]]
    if method == "GET":
        return "show" if path.rstrip("/").endswith("}") else "list"
    return {"POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}.get(method, "")


class Index:
    """The words each operation is found by, and how rare each word is; built on the first search."""

    def __init__(self, tools: list[dict[str, Any]]) -> None:
        self.tools = tools
        self.fields: list[dict[str, set[str]]] = []
        self.kinds: list[str] = []
        self.topics: list[set[str]] = []  # the words of a name besides its verb and version
        counts: dict[str, int] = {}
        for entry in tools:
            definition, binding = entry["definition"], entry["binding"]
            segments = _segments(binding["path"])
            texts = {
                "name": definition["name"],
                "title": definition.get("title", ""),
                "resource": segments[-1] if segments else "",
                "tags": " ".join(binding.get("tags", [])),
                "path": " ".join(segments),
                "summary": summary(definition),
                "params": _params(definition["inputSchema"]),
            }
            fields = {field: set(words(text)) for field, text in texts.items()}
            self.fields.append(fields)
            self.kinds.append(_kind(definition["name"], binding["method"], binding["path"]))
            self.topics.append({w for w in fields["name"] if w not in INTENTS and not _VERSION.fullmatch(w)})
            for word in fields["name"] | fields["title"] | fields["resource"] | fields["tags"] | fields["path"]:
                counts[word] = counts.get(word, 0) + 1
        self.rarity = {word: math.log(1 + len(tools) / count) for word, count in counts.items()}
        self.unknown = math.log(1 + max(len(tools), 1))

    def search(
        self, query: str, tag: str = "", method: str = "", read_only: bool | None = None
    ) -> list[tuple[float, int]]:
        """Matching operations, best first: rare query words found in names and resources count most, an
        operation must hold most of the query's words, a name the query covers gains, and the query's verb
        (list, show, create, update, delete) picks the kind of operation. A word with a synonym matches
        either word."""
        terms = [t for t in words(query) if t not in STOP_WORDS] or words(query)
        intent = next((INTENTS[t] for t in terms if t in INTENTS), "")
        topic = [t for t in terms if t not in INTENTS] or terms
        choices = [[(word, self.rarity.get(word, self.unknown)) for word in (t, *_MEANINGS.get(t, ()))] for t in topic]
        top = max((rarity for alternatives in choices for _, rarity in alternatives), default=0.0)
        scored = []
        for position, (entry, fields) in enumerate(zip(self.tools, self.fields, strict=True)):
            binding, definition = entry["binding"], entry["definition"]
            if method and binding["method"] != method.upper():
                continue
            if tag and not any(tag.lower() in t.lower() for t in binding.get("tags", [])):
                continue
            if read_only is not None and bool(definition["annotations"].get("readOnlyHint")) != read_only:
                continue
            if not terms:
                scored.append((0.0, position))
                continue
            score, found, matched = 0.0, 0, set()
            for alternatives in choices:
                best, best_word = 0.0, ""
                for word, rarity in alternatives:
                    for field, weight in WEIGHTS.items():
                        value = weight * rarity  # a whole word; a word's beginning counts half
                        if value <= best:
                            continue
                        if word in fields[field]:
                            best, best_word = value, word
                        elif value / 2 > best and len(word) >= 3 and any(w.startswith(word) for w in fields[field]):
                            best, best_word = value / 2, word
                if best:
                    found += 1
                    matched.add(best_word)
                    score += best
            if not found:
                continue
            score *= found / len(topic)
            named = self.topics[position]
            if named:
                score += 2.0 * top * len(named & matched) / len(named)
            kind = self.kinds[position]
            if intent:
                score += 1.5 * top if kind == intent else 0.0
            else:
                score += {"list": 1.0, "show": 0.5}.get(kind, 0.0) * top
            scored.append((score, position))
        scored.sort(key=lambda item: (-item[0], len(self.tools[item[1]]["definition"]["name"]), item[1]))
        return scored


_INDEX: Index | None = None


def index(tools: list[dict[str, Any]]) -> Index:
    """The index of these tools, built once for the list the server keeps (again only for another list)."""
    global _INDEX
    if _INDEX is None or _INDEX.tools is not tools:
        _INDEX = Index(tools)
    return _INDEX


def search(tools: list[dict[str, Any]], arguments: dict[str, Any]) -> dict[str, Any]:
    found = index(tools).search(
        str(arguments.get("query", "")),
        str(arguments.get("tag", "")),
        str(arguments.get("method", "")),
        arguments.get("read_only"),
    )
    limit = int(arguments.get("limit", 10))
    results = []
    for _, position in found[:limit]:
        definition, binding = tools[position]["definition"], tools[position]["binding"]
        results.append(
            {
                "name": definition["name"],
                "title": definition.get("title", ""),
                "method": binding["method"],
                "path": binding["path"],
                "read_only": bool(definition["annotations"].get("readOnlyHint")),
                "summary": summary(definition),
            }
        )
    return {"results": results, "total": len(found)}


@cache
def _output_document() -> dict[str, Any]:
    text = settings.data_text("output_schemas.json")
    document: dict[str, Any] = json.loads(text)
    return document


@cache
def _full_input_schemas() -> dict[str, Any]:
    text = settings.data_text("input_schemas.json")
    schemas: dict[str, Any] = json.loads(text)["inputSchemas"]
    return schemas


def input_schema(entry: dict[str, Any]) -> dict[str, Any]:
    """A tool's whole input schema: its listing's, or (for a tool reduced to fit its budget) the one it stands for."""
    definition = entry["definition"]
    if entry["binding"].get("reduced"):
        schema: dict[str, Any] = _full_input_schemas().get(definition["name"], definition["inputSchema"])
        return schema
    whole: dict[str, Any] = definition["inputSchema"]
    return whole


def full_output_schemas() -> dict[str, Any]:
    """Whole response schemas of the tools whose listing outlines them; read on the first `describe`."""
    schemas: dict[str, Any] = _output_document()["outputSchemas"]
    return schemas


def _definitions_in(node: Any) -> list[str]:
    """The names of the shared definitions a schema refers to, in order, once per reference."""
    found: list[str] = []
    pending = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                found.append(ref[len("#/$defs/") :])
            pending.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            pending.extend(reversed(item))
    return found


def _on_a_cycle(name: str, graph: dict[str, list[str]]) -> bool:
    seen: set[str] = set()
    pending = list(graph.get(name, []))
    while pending:
        other = pending.pop()
        if other == name:
            return True
        if other not in seen:
            seen.add(other)
            pending.extend(graph.get(other, []))
    return False


def with_definitions(schema: dict[str, Any]) -> dict[str, Any]:
    """A response schema made whole from the shared definitions: one used once here is written in place, one used
    more often (or recursive) is kept under `$defs`."""
    shared: dict[str, Any] = _output_document().get("$defs", {})
    uses: dict[str, int] = {}
    graph: dict[str, list[str]] = {}
    pending = [name for name in _definitions_in(schema) if name in shared]
    while pending:
        name = pending.pop(0)
        uses[name] = uses.get(name, 0) + 1
        if name not in graph:
            graph[name] = [inner for inner in _definitions_in(shared[name]) if inner in shared]
            pending.extend(graph[name])
    in_place = {name for name, count in uses.items() if count == 1 and not _on_a_cycle(name, graph)}

    def whole(node: Any) -> Any:
        if isinstance(node, list):
            return [whole(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref[len("#/$defs/") :] in in_place and ref.startswith("#/$defs/"):
            siblings = {key: whole(value) for key, value in node.items() if key != "$ref"}
            return {**whole(shared[ref[len("#/$defs/") :]]), **siblings}
        return {key: whole(value) for key, value in node.items()}

    result: dict[str, Any] = whole(schema)
    kept = sorted(name for name in graph if name not in in_place)
    if kept:
        result["$defs"] = {name: whole(shared[name]) for name in kept}
    return result


def _argument(argument: dict[str, Any]) -> dict[str, Any]:
    """Where one argument travels, and what the server fills in by itself (names of settings, never values)."""
    shown = {"argument": argument["property"], "in": argument["in"], "name": argument["name"]}
    if argument.get("env"):
        shown["default"] = "setting " + argument["env"]
    if argument.get("token"):
        shown["default"] = "the stored " + argument["token"].replace("_", " ")
    if argument.get("hidden"):
        shown["filledByServer"] = True
    return shown


def describe(entry: dict[str, Any]) -> dict[str, Any]:
    definition, binding = entry["definition"], entry["binding"]
    described = {key: definition[key] for key in ("name", "title", "description") if key in definition}
    described["inputSchema"] = input_schema(entry)
    full = full_output_schemas().get(definition["name"])
    output = with_definitions(full) if full is not None else definition.get("outputSchema")
    if output is not None:
        described["outputSchema"] = output
    described["annotations"] = definition.get("annotations", {})
    described["method"] = binding["method"]
    described["path"] = binding["path"]
    if "operationId" in binding:
        described["operationId"] = binding["operationId"]
    described["arguments"] = [_argument(argument) for argument in binding["arguments"]]
    if "body" in binding:
        described["bodyMediaType"] = binding["body"]["mediaType"]
    return described

"""A tool's description: its opening, the operation's details, what comes back ("Returns") and what it needs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Required, TypedDict

from generator.ir import ToolAnnotations
from generator.naming import sentence_case
from generator.openapi import json_list, json_object
from generator.operations import Operation
from generator.outline import outline
from generator.text import as_sentence, clean_prose, first_sentence, gist
from generator.wording import Wording

NEEDS_LIMIT = 6
"""The most required arguments a description's "Needs" line names; past it, the schema's `required` says it."""


def needed(schema: Mapping[str, object]) -> list[str]:
    """The required arguments a description names: all of them, or none when there are more than NEEDS_LIMIT."""
    required = [str(name) for name in json_list(schema.get("required"))]
    return required if len(required) <= NEEDS_LIMIT else []


_PREPOSITIONS = frozenset({"in", "of", "for", "on", "to", "from", "by", "with", "across", "under", "at", "into"})


def resource_words(name: str) -> tuple[str, ...]:
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


class Returns(TypedDict, total=False):
    """What comes back, for the description template: `kind` (none, list, data, object or value), the fields
    to name, what the spec says of it (`about`); for a single value its `type` and its items' type (`items`)."""

    kind: Required[str]
    fields: Required[list[str]]
    type: str
    items: str
    about: object


def _value(schema: Mapping[str, object]) -> Returns:
    """What a value that is no object with fields is, for the description template to say in words: its type,
    its items' type when it is a list, and the first sentence of what the spec says of it (or of its items)."""
    about = first_sentence(str(schema.get("description", ""))).strip().rstrip(".")
    items = json_object(schema.get("items")) if schema.get("type") == "array" else {}
    about = about or first_sentence(str(items.get("description", ""))).strip().rstrip(".")
    kind, item_kind = str(schema.get("type", "")), str(items.get("type", ""))
    return {"kind": "value", "fields": [], "type": kind, "items": item_kind, "about": about}


def returns(schema: Mapping[str, object] | None, wrapped: bool, focus: tuple[str, ...] = ()) -> Returns:
    """What the description says comes back: an object's fields, or a list and its items' fields (those the tool's
    name or summary speaks of first), or what a single value is."""
    if schema is None:
        return {"kind": "none", "fields": []}
    if wrapped:
        result = json_object(json_object(schema.get("properties")).get("result"))
        items = result.get("items") if result.get("type") == "array" else None
        if isinstance(items, dict) and items.get("properties"):
            fields = _focused(_names(items.get("properties")), focus)
            return {"kind": "list", "fields": fields, "about": items.get("description", "")}
        return _value(result)
    properties = json_object(schema.get("properties"))
    data = properties.get("data")
    if list(properties) == ["data"] and isinstance(data, dict) and data.get("type") == "array":
        items = json_object(data.get("items", {}))
        fields = _focused(_names(items.get("properties")), focus)
        return {"kind": "data", "fields": fields, "about": items.get("description", "")}
    return {"kind": "object", "fields": _focused(list(properties), focus), "about": schema.get("description", "")}


def _names(properties: object) -> list[str]:
    """The names a schema's `properties` gives, in order."""
    return list(json_object(properties))


@dataclass(frozen=True)
class ToolFacts:
    """What one tool's description is made from, beside its operation."""

    name: str
    summary: str
    annotations: ToolAnnotations
    output: tuple[dict[str, object] | None, bool]
    """The whole response schema (None without one), and whether it is wrapped as `{"result": ...}`."""
    input_schema: dict[str, object]
    addendum: str
    related: list[tuple[str, str]]


@dataclass(frozen=True)
class ToolDescriber:
    """Writes tool descriptions for one document: its wording, links read against `docs_base`, details cut to
    `budget`, and a path's words spelled as the document writes them (`spell`)."""

    wording: Wording
    docs_base: str
    budget: int
    spell: Callable[[str], str]

    def describe(self, op: Operation, facts: ToolFacts) -> str:
        """The description, from `templates/tool/description.md.jinja`, fed with what the operation tells; an
        operation without a summary or description opens with what its method and path say it does."""
        details = clean_prose(op.description, self.docs_base, self.budget)
        told = returns(*facts.output, focus=resource_words(facts.name))
        opening, details = self.opening(op, facts, told, details)
        schema = facts.input_schema
        text = self.wording.description.render(
            summary=opening,
            details=details,
            addendum=clean_prose(facts.addendum, self.docs_base),
            method=op.method.upper(),
            annotations=facts.annotations,
            returns=told,
            deprecated=op.operation.get("deprecated") is True,
            paginated="page" in json_object(schema.get("properties")),
            # Every argument the model must give (settings and the token store fill bound ones), or none: a
            # long list would only repeat the schema's `required`.
            context=needed(schema),
            related=facts.related,
        )
        return "\n\n".join(p.strip() for p in text.strip().split("\n\n") if p.strip())

    def opening(self, op: Operation, facts: ToolFacts, told: Returns, details: str) -> tuple[str, str]:
        """The opening sentence and the details, neither saying again what the other (or the name) says."""
        summary, name = facts.summary, facts.name
        opening = as_sentence(sentence_case(summary)) if summary else ""
        if not op.description.strip() and not op.summary.strip():
            listing = {"list": True, "data": True, "object": False, "value": False}.get(told["kind"])
            opening = self.wording.outline(outline(op.method, op.path, listing), self.spell) or opening
        if gist(details) == gist(opening):
            details = ""
        elif opening and gist(first_sentence(details)) == gist(opening):
            opening = ""  # the details say it first, as a sentence ("Delete a container file.")
        elif details and gist(opening) == gist(name.replace("_", " ")):
            opening = ""  # it says no more than the tool's name, which the model reads first
        return opening, details

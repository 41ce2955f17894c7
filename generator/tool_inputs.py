"""One tool's input schema put together: parameters, bracketed query groups and body fields, and where each goes."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

from generator import paging
from generator.config import GeneratorConfig
from generator.describing import Describer
from generator.ir import Argument, Location
from generator.linking import attach_defs
from generator.naming import snake_case
from generator.openapi import TYPING_KEYWORDS, json_list, json_object
from generator.operations import Operation, is_json
from generator.text import clean_prose
from generator.wording import Wording

_BRACKETED = re.compile(r"^([A-Za-z0-9_.-]+)\[([^\[\]]+)\](\[\])?$")
_PROPERTY_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
IDEMPOTENCY_HEADERS = frozenset({"idempotencykey", "xidempotencykey"})
"""Header parameters (squashed names) that carry an idempotency key."""
_PARAMETER_LOCATIONS: tuple[Location, ...] = ("path", "query", "header", "cookie")


class Builder(Protocol):
    """What assembling inputs needs of the IR stage's tool builder."""

    config: GeneratorConfig
    wording: Wording
    describer: Describer
    docs_base: str

    def warn(self, kind: str, message: str, pointer: str) -> None: ...


@dataclass
class _Group:
    """Query parameters written `group[member]`: each member's wire name and schema, and the required members."""

    members: dict[str, tuple[str, dict[str, object]]] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Inputs:
    """What a tool takes: its input schema, where each argument goes, and how the body travels."""

    schema: dict[str, object]
    arguments: list[Argument]
    media_type: str | None
    body_is_whole: bool
    file_fields: tuple[tuple[str, ...], ...]
    bracketed: tuple[str, ...]
    body_required: bool
    idempotency_header: str = ""
    """The spec's idempotency-key header: the server fills it, one key per call, so it is no input."""


class InputAssembly:
    """One tool's input schema as it is put together: properties, required names and argument bindings, added in
    a fixed order (parameters, undeclared path parameters, bracketed query groups, then the body)."""

    def __init__(self, builder: Builder, op: Operation) -> None:
        self.builder = builder
        self.op = op
        self.properties: dict[str, dict[str, object]] = {}
        self.required: list[str] = []
        self.arguments: list[Argument] = []
        self.dependent_required: dict[str, list[str]] = {}
        self.groups: dict[str, _Group] = {}
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

    def add(self, schema: dict[str, object], argument: Argument) -> None:
        self.properties[argument.property_name] = schema
        if argument.required:
            self.required.append(argument.property_name)
        self.arguments.append(argument)

    def parameter(self, parameter: Mapping[str, object], pointer: str, schema: dict[str, object]) -> None:
        location = _location(parameter["in"])
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
        self, parameter: Mapping[str, object], bracketed: re.Match[str], schema: dict[str, object], is_required: bool
    ) -> None:
        group = self.groups.setdefault(bracketed.group(1), _Group())
        member = bracketed.group(2)
        if bracketed.group(3) and schema.get("type") != "array":
            schema = {"type": "array", "items": {k: v for k, v in schema.items() if k != "description"}}
            if "description" in parameter:
                schema["description"] = clean_prose(str(parameter["description"]), self.builder.docs_base)
        group.members[member] = (str(parameter["name"]), schema)
        if is_required:
            group.required.append(member)

    def undeclared_path_parameters(self) -> None:
        for missing in sorted(set(re.findall(r"\{([^{}]+)\}", self.op.path)) - self.path_params):
            self.builder.warn(
                "undeclared-path-parameter", f"path parameter `{missing}` is not declared", self.op.pointer
            )
            name = self.take(missing, "path")
            schema: dict[str, object] = {
                "type": "string",
                "description": self.builder.wording.parameter_fallback(missing, "path"),
            }
            self.add(schema, Argument(name, "path", missing, True))

    def bracketed_groups(self) -> None:
        for group_name, group in self.groups.items():
            name = self.take(group_name, "query")
            members = {member: schema for member, (_, schema) in group.members.items()}
            group_schema: dict[str, object] = {
                "type": "object",
                "description": self.builder.wording.bracket_group(group_name),
                "properties": members,
                "additionalProperties": False,
            }
            if group.required:
                group_schema["required"] = group.required
            wires = tuple((member, wire) for member, (wire, _) in group.members.items())
            style = "brackets" if self.builder.config.nesting == "brackets" else ""
            argument = Argument(name, "query", group_name, bool(group.required), members=wires, style=style)
            self.add(group_schema, argument)

    def body(
        self, media_type: str | None, schema: dict[str, object] | None, required: bool, files: list[tuple[str, ...]]
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

    def body_fields(self, schema: dict[str, object], fields: dict[str, object], body_required: bool) -> None:
        listed = [str(n) for n in json_list(schema.get("required", []))]
        declared = dict(fields)
        for missing in [n for n in listed if n not in declared]:
            message = f"the body requires `{missing}` but does not describe it; it is accepted as any value"
            self.builder.warn("undeclared-required-property", message, self.op.pointer + "/requestBody")
            declared[missing] = {"description": self.builder.wording.undescribed(missing)}
        names: dict[str, str] = {}
        for wire, declared_field in declared.items():
            name = names[wire] = self.take(wire, "body")
            self.add(dict(json_object(declared_field)), Argument(name, "body", wire, body_required and wire in listed))
        if not body_required and listed:
            # An optional body still needs its required fields once any field of it is sent.
            needed = [names[n] for n in listed]
            self.dependent_required.update(
                {names[w]: [n for n in needed if n != names[w]] for w in declared if names[w] not in needed}
            )
            self.dependent_required.update({n: [m for m in needed if m != n] for n in needed if len(needed) > 1})

    def bind(
        self, arguments: list[Argument], properties: dict[str, dict[str, object]], required: list[str]
    ) -> list[Argument]:
        """Apply the config's bindings: hidden arguments leave the schema; visible ones become optional."""
        bound: list[Argument] = []
        for argument in arguments:
            binding = self.builder.config.binding_for(argument.wire_name) if argument.wire_name else None
            if binding is None:
                bound.append(argument)
                continue
            name = argument.property_name
            if name in required:
                required.remove(name)
            if binding.hidden:
                properties.pop(name, None)
            else:
                note = self.builder.wording.bound_default(binding.env) if binding.env else ""
                properties[name] = {
                    **properties[name],
                    "description": f"{properties[name]['description']} {note}".strip(),
                }
            bound.append(
                dataclasses.replace(argument, bind_env=binding.env, bind_token=binding.token, hidden=binding.hidden)
            )
        return bound

    def schema(self, definitions: dict[str, dict[str, object]]) -> dict[str, object]:
        """The input schema: every property described, the config's bindings applied, shared parts in `$defs`."""
        builder, properties = self.builder, self.properties
        for name, (wire, location) in self.renamed.items():
            note = builder.wording.renamed(wire, location)
            described = properties[name].get("description", "")
            properties[name] = {**properties[name], "description": f"{described} {note}".strip()}
        locations = {argument.property_name: argument.location for argument in self.arguments}
        for name, schema in properties.items():
            properties[name] = builder.describer.property(name, schema, locations.get(name, "body"), "")
        self.arguments = self.bind(self.arguments, properties, self.required)
        input_schema: dict[str, object] = {"type": "object", "properties": properties}
        if self.required:
            input_schema["required"] = self.required
        if self.dependent_required:
            input_schema["dependentRequired"] = {k: v for k, v in self.dependent_required.items() if v}
        input_schema["additionalProperties"] = False
        input_schema = attach_defs(input_schema, definitions)
        defs = json_object(input_schema.get("$defs"))
        for def_name, definition in defs.items():
            defs[def_name] = builder.describer.members(json_object(definition), "body", def_name)
        return input_schema


_DEFAULT_STYLE = {"query": "form", "cookie": "form", "path": "simple", "header": "simple"}


def _location(value: object) -> Location:
    """A parameter's `in`: path, query, header or cookie (the validator refuses any other)."""
    for location in _PARAMETER_LOCATIONS:
        if value == location:
            return location
    raise ValueError(f"parameter location {value!r}")


def _serialization(parameter: Mapping[str, object], location: str) -> tuple[str, bool | None]:
    """The parameter's style and explode, each left empty when it is the default for its location."""
    default_style = _DEFAULT_STYLE.get(location, "")
    style = str(parameter.get("style", default_style))
    explode = parameter.get("explode")
    default_explode = style == "form"
    return (
        "" if style == default_style else style,
        None if explode is None or bool(explode) == default_explode else bool(explode),
    )


_JSON_TYPES: dict[type, str] = {
    dict: "object",
    list: "array",
    str: "string",
    bool: "boolean",
    int: "number",
    float: "number",
}


def _body_type(schema: Mapping[str, object], media_type: str | None) -> str | list[str]:
    """A type for a whole body the spec leaves untyped: its example's, else an object or list for JSON, else text."""
    examples = schema.get("examples")
    listed = examples[:1] if isinstance(examples, list) else []
    for example in [*listed, *([schema["example"]] if "example" in schema else [])]:
        if type(example) in _JSON_TYPES:
            return _JSON_TYPES[type(example)]
    return ["object", "array"] if media_type is None or is_json(media_type) else "string"


def _is_nested(schema: Mapping[str, object]) -> bool:
    """An object, or an array of objects: values that need a nesting convention in a query string."""
    kinds = schema.get("type")
    if kinds == "object" or "properties" in schema:
        return True
    items = schema.get("items")
    return kinds == "array" and isinstance(items, dict) and (items.get("type") == "object" or "properties" in items)

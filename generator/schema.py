"""The schema compiler: OpenAPI 3.0/3.1 Schema Objects to self-contained JSON Schema 2020-12.

A referenced schema is inlined where a root schema uses it once, and kept once under `$defs` where it is used
more often or lies on a reference cycle; each is compiled once, whatever the number of places that use it.
OpenAPI-only keywords are mapped (nullable, boolean exclusive bounds, example, discriminator) or dropped, and
properties that do not travel in the given direction (readOnly in requests, writeOnly in responses) are left out.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from generator.dereference import resolve_local
from generator.diagnostics import Diagnostic, Reporter
from generator.files import is_binary
from generator.openapi import (
    SCHEMA_KEYWORDS,
    SCHEMA_LIST_KEYWORDS,
    SCHEMA_MAP_KEYWORDS,
    VALUE_KEYWORDS,
    escape_token,
    subschemas,
    unescape_token,
)
from generator.patterns import backtracking_risk, python_pattern
from generator.templating import environment
from generator.wording import Wording

Direction = Literal["input", "output"]

# Every keyword above, in the order compiled schemas hold them.
_KEYWORD_ORDER = {
    keyword: position
    for position, keyword in enumerate((*VALUE_KEYWORDS, *SCHEMA_KEYWORDS, *SCHEMA_LIST_KEYWORDS, *SCHEMA_MAP_KEYWORDS))
}
_VALUE_ORDER = frozenset(VALUE_KEYWORDS)
# Keywords whose subschemas apply to a part of the value (an item, a property), not to the value itself.
_DESCENDING_KEYWORDS = frozenset(
    {"items", "contains", "propertyNames", "unevaluatedItems", "prefixItems", "properties", "patternProperties"}
)
# The most schemas nested in one another (references followed) that a compiled schema holds: each file is at
# most 256 levels deep (see load.py), but a chain of references can nest such parts without end.
MAX_SCHEMA_DEPTH = 200

# JSON Schema 2020-12 formats and the ones OpenAPI adds.
KNOWN_FORMATS = frozenset(
    [
        "date-time",
        "date",
        "time",
        "duration",
        "email",
        "idn-email",
        "hostname",
        "idn-hostname",
        "ipv4",
        "ipv6",
        "uri",
        "uri-reference",
        "iri",
        "iri-reference",
        "uuid",
        "uri-template",
        "json-pointer",
        "relative-json-pointer",
        "regex",
        "int32",
        "int64",
        "float",
        "double",
        "byte",
        "binary",
        "password",
    ]
)


# Misspellings whose meaning is clear.
_FORMAT_SPELLINGS = {"datetime": "date-time", "date_time": "date-time", "dateTime": "date-time"}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object"


@dataclass(frozen=True)
class _Ref:
    """Where a compiled schema refers to another one: a placeholder that linking replaces by the target's body
    (inlined) or by a `$ref` into `$defs`."""

    ref: str
    pointer: str
    descends: bool
    """Whether the path from the enclosing body's root to here passes into a part of the value (an item, a
    property): a cycle with no such step would send a validator round in circles."""
    annotations: tuple[tuple[str, Any], ...] = ()
    """Siblings of the `$ref` that refine the target (description, title, default...)."""
    nullable: bool = False


@dataclass(frozen=True)
class Part:
    """A compiled schema whose references are still placeholders; a `Linking` turns it into JSON Schema."""

    tree: Any
    direction: Direction
    refs: tuple[_Ref, ...]
    """Its placeholders, in document order."""
    pointer: str = ""


class SchemaCompiler:
    """Compiles the Schema Objects of one OpenAPI document.

    Every schema a `$ref` points at is compiled once per direction into a body whose own references are
    placeholders (`_Ref`). A `Linking` then assembles one root schema (a tool's input, say) from those bodies:
    a referenced schema used once is inlined, one used more than once, or in a cycle, becomes a `$defs` entry.
    The work therefore grows with the document and the tools' sizes, never with the number of paths through
    the reference graph.
    """

    def __init__(
        self,
        document: dict[str, Any],
        report: Reporter,
        openapi_version: str,
        clean: Callable[[str], str] | None = None,
        wording: Wording | None = None,
    ) -> None:
        self.document = document
        self.clean = clean
        # Words the compiler adds to schemas come from templates/tool/phrases.jinja, like every generated word.
        self.wording = wording or Wording(environment())
        self.report = report
        self.openapi_version = openapi_version
        self._depth = 0
        self._bodies: dict[tuple[str, Direction], Any] = {}
        self._body_refs: dict[tuple[str, Direction], tuple[_Ref, ...]] = {}
        self._compiling: set[tuple[str, Direction]] = set()
        self._targets: dict[str, tuple[Any, str] | None] = {}
        self._def_names: dict[str, str] = {}
        self._taken_names: set[str] = set()
        self._binary: dict[tuple[str, Direction], bool] = {}

    def warn(self, kind: str, message: str, pointer: str) -> None:
        """Record a warning (once per kind and place: the reporter's rule)."""
        self.report.warn(kind, message, pointer)

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """Every warning about the document so far, this compiler's among them."""
        return self.report.diagnostics

    def resolve(self, ref: str, pointer: str) -> tuple[Any, str] | None:
        """Follow a local `$ref`; return the target and its pointer, or None (with a warning) when it dangles."""
        if ref not in self._targets:
            self._targets[ref] = self._lookup(ref)
        found = self._targets[ref]
        if found is None:
            if ref.startswith("#"):
                self.warn("dangling-ref", f"reference {ref!r} points at nothing; treated as any value", pointer)
            else:
                message = f"external reference {ref!r} is not supported; treated as any value"
                self.warn("unsupported-ref", message, pointer)
        return found

    def _lookup(self, ref: str) -> tuple[Any, str] | None:
        target = resolve_local(self.document, ref)
        return None if target is None else (target, ref[1:])

    def resolve_object(self, node: Any, pointer: str) -> tuple[Any, str]:
        """Follow `$ref` chains on a non-schema object (parameter, request body, response)."""
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref = node["$ref"]
            if ref in seen:
                self.warn("circular-ref", f"reference {ref!r} refers to itself", pointer)
                return {}, pointer
            seen.add(ref)
            resolved = self.resolve(ref, pointer)
            if resolved is None:
                return {}, pointer
            node, pointer = resolved
        return node, pointer

    # -- the public entry points ------------------------------------------------------------------------------

    def compile(self, schema: Any, direction: Direction, pointer: str) -> dict[str, Any]:
        """Compile a schema into a self-contained JSON Schema (with `$defs` for shared and recursive parts)."""
        linking = self.begin(direction)
        part = self.compile_part(schema, pointer, linking)
        result = linking.link(part)
        return attach_defs(result, linking.definitions())

    def begin(self, direction: Direction) -> Linking:
        """Start a root schema made of several compiled parts (a tool's parameters and body) sharing `$defs`."""
        return Linking(self, direction)

    def part(self, schema: Any, pointer: str, direction: Direction) -> Part:
        """Compile one schema, its references left as placeholders; any number of linkings can use it."""
        tree = self._compile(schema, pointer, direction, False)
        return Part(tree, direction, _placeholders(tree), pointer)

    def compile_part(self, schema: Any, pointer: str, linking: Linking) -> Part:
        """Compile one part of a root schema and add it to `linking`; link it once every part is added."""
        part = self.part(schema, pointer, linking.direction)
        linking.add(part)
        return part

    def shallow(self, part: Part, depth: int) -> dict[str, Any]:
        """The part's first `depth` levels with every reference inlined, and any value below: enough to outline a
        response (its fields and their types), at a cost that does not depend on what lies deeper."""
        result = Linking(self, part.direction, max_depth=depth).link(part)
        return result

    # -- bodies of referenced schemas -------------------------------------------------------------------------

    def body(self, ref: str, direction: Direction) -> Any:
        """The compiled target of `ref` (placeholders for its own references), compiled on first use."""
        key = (ref, direction)
        if key not in self._bodies:
            if ref not in self._targets:  # met first by a forked copy of this compiler (see `adopt`), which warned
                self._targets[ref] = self._lookup(ref)
            resolved = self._targets[ref]
            target, target_pointer = resolved if resolved is not None else ({}, "")
            self._compiling.add(key)
            try:
                self._bodies[key] = self._compile(target, target_pointer, direction, False)
            finally:
                self._compiling.discard(key)
            self._body_refs[key] = _placeholders(self._bodies[key])
        return self._bodies[key]

    def body_refs(self, ref: str, direction: Direction) -> tuple[_Ref, ...]:
        self.body(ref, direction)
        return self._body_refs[(ref, direction)]

    def def_name(self, ref: str) -> str:
        """The `$defs` name of a referenced schema: the same in every tool and in output_schemas.json."""
        if ref not in self._def_names:
            token = unescape_token(ref.rsplit("/", 1)[-1])
            if "/" in token or token.endswith((".json", ".yaml", ".yml")):  # a whole bundled file: its name
                token = token.rsplit("/", 1)[-1].rsplit(".", 1)[0]
            base = re.sub(r"[^A-Za-z0-9_.-]", "_", token) or "schema"
            name, counter = base, 2
            while name in self._taken_names:
                name, counter = f"{base}_{counter}", counter + 1
            self._def_names[ref] = name
            self._taken_names.add(name)
        return self._def_names[ref]

    def progress(self) -> tuple[int, int]:
        """How many `$defs` names and warnings this compiler holds so far (see `since` and `adopt`)."""
        return len(self._def_names), self.report.count()

    def since(self, progress: tuple[int, int]) -> tuple[dict[str, str], tuple[Diagnostic, ...]]:
        """The `$defs` names given and the warnings raised after `progress` was taken."""
        named, warned = progress
        return dict(list(self._def_names.items())[named:]), self.report.since(warned)

    def adopt(self, names: dict[str, str], diagnostics: tuple[Diagnostic, ...]) -> bool:
        """Take on what a forked copy of this compiler named and warned about, as if this one had met it next.
        When a name it gave clashes with one given here since the fork, nothing changes and this returns False
        (the caller then does the copy's work itself)."""
        owners = {name: ref for ref, name in self._def_names.items()}
        if any(self._def_names.get(ref, name) != name or owners.get(name, ref) != ref for ref, name in names.items()):
            return False
        for ref, name in names.items():
            self._def_names[ref] = name
            self._taken_names.add(name)
        for diagnostic in diagnostics:
            self.report.add(diagnostic)
        return True

    def carries_binary(self, ref: str, direction: Direction) -> bool:
        """Whether the schema `ref` names holds a binary field anywhere: such parts are always inlined, so that a
        request body's file fields have a path from its root."""
        key = (ref, direction)
        if key in self._binary:
            return self._binary[key]
        self._binary[key] = False  # a cycle back to here adds nothing
        found = _holds_binary(self.body(ref, direction)) or any(
            self.carries_binary(inner.ref, direction) for inner in self.body_refs(ref, direction)
        )
        self._binary[key] = found
        return found

    # -- compiling one schema ------------------------------------------------------------------------------------

    def _compile(self, schema: Any, pointer: str, direction: Direction, descended: bool) -> Any:
        """Compile one schema; past MAX_SCHEMA_DEPTH nested schemas, any value, with a warning."""
        if self._depth >= MAX_SCHEMA_DEPTH:
            self.warn("too-deep", _TOO_DEEP, pointer)
            return {}
        self._depth += 1
        try:
            return self._compile_schema(schema, pointer, direction, descended)
        finally:
            self._depth -= 1

    def _compile_schema(self, schema: Any, pointer: str, direction: Direction, descended: bool) -> Any:
        if isinstance(schema, bool):
            return {} if schema else {"not": {}}
        if not isinstance(schema, dict):
            self.warn("invalid-schema", "schema is not an object; treated as any value", pointer)
            return {}
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return self._placeholder(schema, ref, pointer, descended)
        # The schema's own keys, in the fixed order output takes (a schema has few keys; the keyword lists are long).
        known = [key for key in schema if key in _KEYWORD_ORDER]
        known.sort(key=_KEYWORD_ORDER.__getitem__)
        out = self._value_keywords(schema, known)
        for keyword in known:
            if keyword in _VALUE_ORDER:
                continue
            within = True if keyword in _DESCENDING_KEYWORDS else descended
            sub, here = schema[keyword], f"{pointer}/{keyword}"
            if keyword in SCHEMA_KEYWORDS:
                out[keyword] = self._compile(sub, here, direction, within)
            elif keyword in SCHEMA_LIST_KEYWORDS:
                if isinstance(sub, list):
                    out[keyword] = [self._compile(item, f"{here}/{i}", direction, within) for i, item in enumerate(sub)]
            elif isinstance(sub, dict):
                out[keyword] = {
                    name: self._compile(item, f"{here}/{escape_token(name)}", direction, within)
                    for name, item in sub.items()
                }
        extra = schema.get("additionalProperties")
        if isinstance(extra, bool):
            out["additionalProperties"] = extra
        elif isinstance(extra, dict):
            out["additionalProperties"] = self._compile(extra, f"{pointer}/additionalProperties", direction, True)
        return self._finish_schema(schema, out, pointer, direction)

    def _value_keywords(self, schema: dict[str, Any], known: list[str]) -> dict[str, Any]:
        """The keywords holding plain data, copied, with OpenAPI's spellings mapped to JSON Schema's."""
        out: dict[str, Any] = {}
        for keyword in known:
            if keyword not in _VALUE_ORDER:
                break
            # `required: null`, `type: null`...: the validator reads null as absent, and so does JSON Schema's
            # meta-schema (it rejects the null); only `default` and `const` take null as a value.
            value = schema[keyword]
            if value is not None or keyword in ("default", "const"):
                out[keyword] = _copy_data(value)
        if self.clean is not None and isinstance(out.get("description"), str):
            out["description"] = self.clean(out["description"])
            if not out["description"]:
                del out["description"]
        if "example" in schema and "examples" not in out:
            out["examples"] = [copy.deepcopy(schema["example"])]
        elif isinstance(out.get("examples"), dict):  # an OpenAPI Example map slipped into a schema
            out["examples"] = list(out["examples"].values())
        if "exclusiveMaximum" in out or "exclusiveMinimum" in out:
            self._map_bounds(schema, out)
        return out

    def _finish_schema(self, schema: dict[str, Any], out: dict[str, Any], pointer: str, direction: Direction) -> Any:
        """What depends on the compiled subschemas: nullability, discriminators, merged allOf, one-way fields."""
        if "enum" in out or "format" in out:
            self._check_enum_and_format(out, pointer)
        if "pattern" in out:
            self._check_pattern(out, pointer)
        if isinstance(out.get("patternProperties"), dict):
            self._check_pattern_keys(out, pointer)
        if self.openapi_version == "3.0" and schema.get("nullable") is True:
            _make_nullable(out)
        if schema.get("type") == "file":  # Swagger 2.0 leftovers
            out["type"] = "string"
            out["format"] = "binary"
        discriminator = schema.get("discriminator")
        if isinstance(discriminator, dict) and isinstance(discriminator.get("propertyName"), str):
            note = self.wording.discriminator(discriminator["propertyName"])
            out["description"] = f"{out['description']} {note}" if out.get("description") else note
        if "oneOf" in out:
            # Real specs write oneOf where any branch will do, and branches often overlap (an ID and an e-mail are
            # both strings): exactly-one would refuse every value. anyOf keeps every branch and accepts them.
            branches = out.pop("oneOf")
            if "anyOf" in out:
                out["allOf"] = [*out.get("allOf", []), {"anyOf": branches}]
            else:
                out["anyOf"] = branches
        if "allOf" in out:
            out = _merge_all_of(out, [self._merge_view(part, direction) for part in out["allOf"]])
        if isinstance(out.get("required"), list) and any(isinstance(schema.get(k), list) for k in _COMBINATORS):
            # Required names whose properties (in a part or branch) travel only the other way do not apply here.
            one_way = self._one_way_names(schema, "readOnly" if direction == "input" else "writeOnly")
            out["required"] = [name for name in out["required"] if name not in one_way]
            if not out["required"]:
                del out["required"]
        if "properties" in out:
            self._drop_one_way_properties(out, direction)
            if direction == "output":
                # APIs send null for fields they leave empty, documented or not: accept it in responses.
                out["properties"] = {name: _nullable_copy(sub) for name, sub in out["properties"].items()}
        return out

    def _placeholder(self, schema: dict[str, Any], ref: str, pointer: str, descended: bool) -> Any:
        """A `$ref` becomes a placeholder; one that points at nothing becomes any value (with a warning)."""
        if self.resolve(ref, pointer) is None:
            return {}
        # Siblings of `$ref` (allowed in 3.1, common in 3.0 anyway) refine the target's annotations.
        annotations = []
        for keyword in _REF_SIBLINGS:
            if keyword in schema:
                value = copy.deepcopy(schema[keyword])
                if keyword == "description" and self.clean is not None and isinstance(value, str):
                    value = self.clean(value)
                annotations.append((keyword, value))
        return _Ref(ref, pointer, descended, tuple(annotations), schema.get("nullable") is True)

    def _merge_view(self, part: Any, direction: Direction) -> Any:
        """An allOf part as merging sees it: a placeholder's body (with its annotations), when it can be had."""
        seen: set[str] = set()
        annotations: dict[str, Any] = {}
        while isinstance(part, _Ref):
            if part.ref in seen or (part.ref, direction) in self._compiling or part.nullable:
                return None  # a cycle, or a body still being compiled: the part is kept as it is
            seen.add(part.ref)
            annotations = {**dict(part.annotations), **annotations}
            part = self.body(part.ref, direction)
        return {**part, **annotations} if isinstance(part, dict) and annotations else part

    def _flag(self, schema: Any, keyword: str, depth: int = 0) -> bool:
        """Whether a property (compiled or raw) is marked readOnly or writeOnly, looking through references."""
        seen: set[str] = set()
        while True:
            if isinstance(schema, _Ref):
                if dict(schema.annotations).get(keyword):
                    return True
                ref = schema.ref
            elif isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
                if schema.get(keyword):
                    return True
                ref = schema["$ref"]
            else:
                break
            if ref in seen:
                return False
            seen.add(ref)
            target = self._targets.get(ref) or self._lookup(ref)
            schema = target[0] if target is not None else {}
        if not isinstance(schema, dict):
            return False
        # `allOf: [{$ref: ...}, {readOnly: true}]`: a part's mark is the whole property's
        parts = schema.get("allOf")
        if bool(schema.get(keyword)):
            return True
        return isinstance(parts, list) and depth < 16 and any(self._flag(p, keyword, depth + 1) for p in parts)

    def _one_way_names(self, schema: dict[str, Any], keyword: str) -> set[str]:
        """The properties a raw schema (with its allOf parts and anyOf/oneOf branches, references followed) marks
        `keyword` (readOnly or writeOnly): a required list that names them does not apply in that direction."""
        names: set[str] = set()
        pending: list[Any] = [schema]
        seen = 0
        while pending and seen < 256:
            node, seen, hops = pending.pop(), seen + 1, 0
            while isinstance(node, dict) and isinstance(node.get("$ref"), str) and hops < 64:
                found = self._targets.get(node["$ref"]) or self._lookup(node["$ref"])
                node, hops = (found[0] if found is not None else None), hops + 1
            if not isinstance(node, dict):
                continue
            properties = node.get("properties")
            for name, sub in properties.items() if isinstance(properties, dict) else ():
                if self._flag(sub, keyword):
                    names.add(name)
            for combinator in _COMBINATORS:
                pending.extend(part for part in node.get(combinator) or [] if isinstance(part, dict))
        return names

    def _check_enum_and_format(self, out: dict[str, Any], pointer: str) -> None:
        """Enum values of another type than declared widen the type; unknown formats are only noted."""
        enum, kind = out.get("enum"), out.get("type")
        if isinstance(enum, list) and isinstance(kind, (str, list)):
            declared = {kind} if isinstance(kind, str) else set(kind)
            found = {_json_type(value) for value in enum}
            if "integer" in found and "number" in declared:
                found.discard("integer")
            missing = sorted(found - declared - ({"integer"} if "number" in declared else set()))
            if missing:
                names = ", ".join(missing)
                self.warn(
                    "enum-type-mismatch", f"enum values of type {names} in a `{kind}` schema; both accepted", pointer
                )
                out["type"] = sorted(declared | set(missing))
        form = out.get("format")
        if isinstance(form, str) and form in _FORMAT_SPELLINGS:
            out["format"] = _FORMAT_SPELLINGS[form]
            self.warn("format-spelling", f"format {form!r} read as {out['format']!r}", pointer)
        elif isinstance(form, str) and form not in KNOWN_FORMATS:
            self.warn("unknown-format", f"format {form!r} is not a standard one; kept as a hint", pointer)

    def _check_pattern(self, out: dict[str, Any], pointer: str) -> None:
        """A pattern the server's validator (Python's `re`) can read (ECMAScript's `(?<name>` is spelled `(?P<name>`)
        and match in linear time; any other is dropped, with a warning, rather than failing or freezing calls."""
        pattern = out["pattern"]
        usable = self._usable_pattern(pattern, pointer) if isinstance(pattern, str) else None
        if usable is None:
            del out["pattern"]
        else:
            out["pattern"] = usable

    def _check_pattern_keys(self, out: dict[str, Any], pointer: str) -> None:
        """`patternProperties` whose regular expression is unusable go, and with them `additionalProperties`,
        which would otherwise refuse the properties they named."""
        kept: dict[str, Any] = {}
        for key, sub in out["patternProperties"].items():
            usable = self._usable_pattern(key, f"{pointer}/patternProperties/{escape_token(key)}")
            if usable is not None:
                kept[usable] = sub
        if len(kept) < len(out["patternProperties"]):
            out.pop("additionalProperties", None)
        out["patternProperties"] = kept
        if not kept:
            del out["patternProperties"]

    def _usable_pattern(self, pattern: str, pointer: str) -> str | None:
        """The pattern as the server checks it, or None (with a warning) when it cannot be read or could take
        exponential time on a crafted value (arguments, and responses an outsider may write to)."""
        readable = python_pattern(pattern)
        if readable is None:
            message = f"pattern {pattern!r} is not a regular expression Python reads; dropped"
            self.warn("unreadable-pattern", message, pointer)
            return None
        risk = backtracking_risk(readable)
        if risk:
            message = f"pattern {pattern!r} could take exponential time to match ({risk}); dropped: the API checks it"
            self.warn("unsafe-pattern", message, pointer)
            return None
        return readable

    def _map_bounds(self, schema: dict[str, Any], out: dict[str, Any]) -> None:
        """OpenAPI 3.0 boolean `exclusiveMaximum`/`exclusiveMinimum` become 2020-12 numeric bounds."""
        for exclusive, bound in (("exclusiveMaximum", "maximum"), ("exclusiveMinimum", "minimum")):
            value = schema.get(exclusive)
            if isinstance(value, bool):
                del out[exclusive]
                if value and bound in out:
                    out[exclusive] = out.pop(bound)

    def _drop_one_way_properties(self, out: dict[str, Any], direction: Direction) -> None:
        """Leave out readOnly properties of request schemas and writeOnly ones of response schemas."""
        hidden = "readOnly" if direction == "input" else "writeOnly"
        dropped = [name for name, sub in out["properties"].items() if self._flag(sub, hidden)]
        if not dropped:
            return
        out["properties"] = {k: v for k, v in out["properties"].items() if k not in dropped}
        if isinstance(out.get("required"), list):
            out["required"] = [name for name in out["required"] if name not in dropped]
            if not out["required"]:
                del out["required"]


_TOO_DEEP = (
    f"schema nested more than {MAX_SCHEMA_DEPTH} levels deep once references are followed;"
    " the deeper part is accepted as any value"
)
_COMBINATORS = ("allOf", "anyOf", "oneOf")
_CONDITIONAL_KEYWORDS = frozenset({"not", "if", "then", "else"})
_REF_SIBLINGS = ("description", "title", "default", "deprecated", "readOnly", "writeOnly", "examples")


def _placeholders(tree: Any) -> tuple[_Ref, ...]:
    """The placeholders of a compiled tree, in document order (schema positions only, never instance data)."""
    found: list[_Ref] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, _Ref):
            found.append(node)
        elif isinstance(node, dict):
            stack.extend(reversed([sub for _, sub in subschemas(node)]))
    return tuple(found)


def _holds_binary(tree: Any) -> bool:
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if is_binary(node):
                return True
            stack.extend(sub for _, sub in subschemas(node))
    return False


class Linking:
    """One root schema's `$defs`: the parts added to it are linked against the same shared definitions.

    Planning walks the reference graph from the parts once, each referenced schema once: it counts the uses of
    each (a reference that closes a cycle does not count) and finds the cycles that never step into a part of the
    value (cut, with a warning). Linking then inlines a referenced schema used once, unless it is already being
    inlined further up (a cycle: that use becomes a `$ref`), and keeps one used more often once in `$defs`.
    """

    def __init__(self, compiler: SchemaCompiler, direction: Direction, *, max_depth: int | None = None) -> None:
        self.compiler = compiler
        self.direction = direction
        self.max_depth = max_depth
        self.parts: list[Part] = []
        self.planned = False
        self.uses: dict[str, int] = {}
        self.cut: set[int] = set()
        self.path: list[str] = []
        """The referenced schemas being inlined, outermost first: a use of one of them closes a cycle."""
        self.wanted: dict[str, None] = {}
        self.linked_defs: dict[str, dict[str, Any]] = {}

    def add(self, part: Part) -> None:
        if self.planned:
            raise RuntimeError("every part of a linking must be added before the first one is linked")
        self.parts.append(part)

    def link(self, part: Part) -> dict[str, Any]:
        """The part as JSON Schema; its `$ref`s point into `definitions()`."""
        if self.max_depth is None and not self.planned:
            self._plan()
        tree = part.tree
        linked = self._link_ref(tree, 0, inline=True) if isinstance(tree, _Ref) else self._link(tree, 0, part.pointer)
        return linked if isinstance(linked, dict) else {}

    def definitions(self) -> dict[str, dict[str, Any]]:
        """The definitions the linked parts refer to (directly or through each other), sorted by name."""
        done: set[str] = set()
        while len(done) < len(self.wanted):
            for ref in [r for r in self.wanted if r not in done]:
                done.add(ref)
                body = self.compiler.body(ref, self.direction)
                where = (self.compiler.resolve(ref, "") or ("", ""))[1]
                self.path.append(ref)
                try:
                    linked = (
                        self._link_ref(body, 0, inline=True) if isinstance(body, _Ref) else self._link(body, 0, where)
                    )
                finally:
                    self.path.pop()
                self.linked_defs[self.compiler.def_name(ref)] = linked
        return {name: self.linked_defs[name] for name in sorted(self.linked_defs)}

    # -- planning ---------------------------------------------------------------------------------------------

    def _plan(self) -> None:
        self.planned = True
        state: dict[str, bool] = {}  # True while on the walk's stack, False once done
        for part in self.parts:
            for edge in part.refs:
                self.uses[edge.ref] = self.uses.get(edge.ref, 0) + 1
                if edge.ref not in state:
                    self._walk(edge, state)

    def _walk(self, start: _Ref, state: dict[str, bool]) -> None:
        """Depth first from `start`, iteratively; `descents[i]` counts the steps into a part of the value on the
        way to the i-th schema on the stack, so a cycle's count tells whether it describes deeper values."""
        frames: list[tuple[str, Iterator[_Ref]]] = []
        position: dict[str, int] = {}
        descents: list[int] = []

        def enter(edge: _Ref) -> None:
            state[edge.ref] = True
            position[edge.ref] = len(frames)
            descents.append((descents[-1] if descents else 0) + edge.descends)
            frames.append((edge.ref, iter(self.compiler.body_refs(edge.ref, self.direction))))

        enter(start)
        while frames:
            ref, edges = frames[-1]
            edge = next(edges, None)
            if edge is None:
                frames.pop()
                descents.pop()
                del position[ref]
                state[ref] = False
                continue
            if state.get(edge.ref) is True:
                if descents[-1] - descents[position[edge.ref]] + edge.descends == 0:
                    self.cut.add(id(edge))
                continue  # it closes a cycle: a `$ref` wherever it is used, not a use that could be inlined
            self.uses[edge.ref] = self.uses.get(edge.ref, 0) + 1
            if edge.ref not in state:
                enter(edge)

    def _inlined(self, ref: str) -> bool:
        if ref in self.path:
            return False
        if self.uses.get(ref, 0) <= 1:
            return True
        return self.direction == "input" and self.compiler.carries_binary(ref, self.direction)

    # -- linking ----------------------------------------------------------------------------------------------

    def _link(self, node: Any, depth: int, where: str) -> Any:
        """A compiled schema as JSON Schema; `where` is the pointer of the schema (a part, or a referenced one) it
        belongs to, for warnings."""
        if isinstance(node, _Ref):
            return self._link_ref(node, depth)
        if not isinstance(node, dict):
            return node
        if self.max_depth is not None and depth > self.max_depth:
            return {}
        if depth >= MAX_SCHEMA_DEPTH:
            self.compiler.warn("too-deep", _TOO_DEEP, where)
            return {}
        out: dict[str, Any] = {}
        deeper = depth + 1
        for keyword, value in node.items():
            if self.max_depth is not None and keyword in _CONDITIONAL_KEYWORDS:
                continue  # cut short, they could reject what the whole schema accepts: left out, which allows more
            if keyword in SCHEMA_KEYWORDS or keyword == "additionalProperties":
                out[keyword] = self._link(value, deeper, where)
            elif keyword in SCHEMA_LIST_KEYWORDS and isinstance(value, list):
                out[keyword] = [self._link(item, deeper, where) for item in value]
            elif keyword in SCHEMA_MAP_KEYWORDS and isinstance(value, dict):
                out[keyword] = {name: self._link(item, deeper, where) for name, item in value.items()}
            else:
                out[keyword] = value
        return out

    def _link_ref(self, node: _Ref, depth: int, *, inline: bool = False) -> Any:
        if id(node) in self.cut:
            message = f"reference {node.ref!r} comes back to itself without describing any value; treated as any value"
            self.compiler.warn("circular-ref", message, node.pointer)
            return {}
        if self.max_depth is not None:
            if depth > self.max_depth:
                return {}
        elif depth >= MAX_SCHEMA_DEPTH:
            self.compiler.warn("too-deep", _TOO_DEEP, node.pointer)
            return {}
        annotations = dict(node.annotations)
        if self.max_depth is not None or inline or self._inlined(node.ref):
            target = self.compiler.resolve(node.ref, node.pointer)
            where = target[1] if target is not None else node.pointer
            self.path.append(node.ref)
            try:
                linked = self._link(self.compiler.body(node.ref, self.direction), depth + 1, where)
            finally:
                self.path.pop()
            linked = {**linked, **annotations} if annotations and isinstance(linked, dict) else linked
            if node.nullable and isinstance(linked, dict):
                linked = dict(linked)
                _make_nullable(linked)
            return linked
        self.wanted.setdefault(node.ref)
        reference = {"$ref": f"#/$defs/{self.compiler.def_name(node.ref)}"}
        if node.nullable:
            return {**annotations, "anyOf": [reference, {"type": "null"}]}
        return {**reference, **annotations}


def _copy_data(value: Any) -> Any:
    """A copy of instance data (enum lists, defaults...): flat lists of plain values cheaply, the rest deeply."""
    if isinstance(value, list) and all(item is None or isinstance(item, (str, int, float)) for item in value):
        return list(value)
    return copy.deepcopy(value) if isinstance(value, (dict, list)) else value


def _nullable_copy(schema: Any) -> Any:
    if isinstance(schema, _Ref):
        return dataclasses.replace(schema, nullable=True)
    if not isinstance(schema, dict) or not schema:
        return schema
    copy_ = dict(schema)
    _make_nullable(copy_)
    return copy_


def _make_nullable(out: dict[str, Any]) -> None:
    """Allow null in a compiled schema (OpenAPI 3.0 `nullable: true`)."""
    kind = out.get("type")
    if kind == "null":
        return
    if isinstance(kind, str):
        out["type"] = [kind, "null"]
    elif isinstance(kind, list):
        if "null" not in kind:
            out["type"] = [*kind, "null"]
    elif out:
        inner = dict(out)
        out.clear()
        out["anyOf"] = [inner, {"type": "null"}]
    if isinstance(out.get("enum"), list) and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]


_MERGEABLE = frozenset({"type", "properties", "required", "description", "title", "additionalProperties"})


def _merge_all_of(out: dict[str, Any], parts: list[Any]) -> dict[str, Any]:
    """Merge `allOf` parts that are plain object schemas into one object; keep `allOf` otherwise. `parts` are the
    parts as merging sees them (a referenced part's body)."""
    if not all(isinstance(p, dict) and set(p) <= _MERGEABLE and p.get("type", "object") == "object" for p in parts):
        return out
    merged: dict[str, Any] = {k: v for k, v in out.items() if k != "allOf"}
    if merged.get("type", "object") != "object":
        return out
    properties: dict[str, Any] = {}
    required: list[str] = []
    for part in parts:
        properties.update(part.get("properties", {}))
        required.extend(name for name in part.get("required", []) if name not in required)
        for keyword in ("description", "title"):
            if keyword in part and keyword not in merged:
                merged[keyword] = part[keyword]
        if part.get("additionalProperties") is False:
            merged["additionalProperties"] = False
    merged["type"] = "object"
    merged["properties"] = {**properties, **merged.get("properties", {})}
    extra_required = [name for name in merged.get("required", []) if name not in required]
    if required or extra_required:
        merged["required"] = required + extra_required
    return merged


def _refs_in(node: Any) -> set[str]:
    if isinstance(node, dict):
        found = {node["$ref"].rsplit("/", 1)[-1]} if isinstance(node.get("$ref"), str) else set()
        for key, value in node.items():
            if key != "$defs":
                found |= _refs_in(value)
        return found
    if isinstance(node, list):
        return set().union(*(_refs_in(item) for item in node)) if node else set()
    return set()


def attach_defs(schema: dict[str, Any], defs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Put the definitions a root schema still refers to (directly or through each other) under `$defs`."""
    if not defs:
        return schema
    used: set[str] = set()
    frontier = _refs_in(schema)
    while frontier - used:
        name = (frontier - used).pop()
        used.add(name)
        frontier |= _refs_in(defs.get(name, {}))
    kept = {name: defs[name] for name in sorted(used) if name in defs}
    return {**schema, "$defs": kept} if kept else schema


def trim_output(schema: dict[str, Any], level: str) -> dict[str, Any] | None:
    """Less of a response schema for tools/list. `outline` names the top-level fields (and a wrapped list's item
    fields) and nothing more; `shallow` keeps those fields with their types, descriptions and other keywords but
    without nested fields; `none` keeps nothing. Either way the schema still accepts every response the full one
    does, and results are the same."""
    if level == "none":
        return None
    outline = level == "outline"

    def flat(node: Any) -> Any:
        if not isinstance(node, dict):
            return node
        if outline:
            return {}
        kept = {
            k: v
            for k, v in node.items()
            if k not in ("properties", "items", "$defs", "$ref", "anyOf", "oneOf", "allOf")
        }
        if ("anyOf" in node or "oneOf" in node) and "type" not in kept:  # keep the types its branches allow
            kinds = _types_of(node, schema.get("$defs", {}))
            if kinds is not None:
                kept["type"] = kinds
        return kept

    def level_one(node: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any]
        if outline:
            result = {"type": node["type"]} if "type" in node else {}
        else:
            result = {k: v for k, v in node.items() if k != "$defs"}
        if isinstance(node.get("properties"), dict):
            result["properties"] = {name: flat(sub) for name, sub in node["properties"].items()}
        return result

    trimmed = level_one(schema)
    for name in ("result", "data"):
        inner = schema.get("properties", {}).get(name)
        if isinstance(inner, dict) and isinstance(inner.get("items"), dict):
            kinds = _types_of(inner)
            kept = ({"type": kinds} if kinds else {}) if outline else flat(inner)
            trimmed["properties"][name] = {**kept, "items": level_one(inner["items"])}
    return trimmed


def _types_of(node: dict[str, Any], defs: dict[str, Any] | None = None, depth: int = 0) -> str | list[str] | None:
    """The JSON types a compiled schema allows, read from `type`, from the branches of `anyOf`/`oneOf`, or from
    the `$defs` entry a `$ref` names; None when some branch allows any type."""
    kinds = node.get("type")
    if kinds is not None:
        return kinds if isinstance(kinds, (str, list)) else None
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/") and defs and depth < MAX_SCHEMA_DEPTH:
        target = defs.get(ref[len("#/$defs/") :])
        return _types_of(target, defs, depth + 1) if isinstance(target, dict) else None
    branches = node.get("anyOf") or node.get("oneOf")
    if not isinstance(branches, list) or not branches:
        return None
    found: list[str] = []
    for branch in branches:
        inner = _types_of(branch, defs, depth + 1) if isinstance(branch, dict) else None
        if inner is None:
            return None
        found += [kind for kind in ([inner] if isinstance(inner, str) else inner) if kind not in found]
    return found[0] if len(found) == 1 else found

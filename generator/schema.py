"""The schema compiler: OpenAPI 3.0/3.1 Schema Objects to self-contained JSON Schema 2020-12.

Each referenced schema is compiled once, whatever the number of places that use it; `linking` then inlines one
a root schema uses once and keeps one used more often, or on a reference cycle, under `$defs`; `trimming` makes
the shorter views of a response that tools/list carries.
OpenAPI-only keywords are mapped (nullable, boolean exclusive bounds, example, discriminator) or dropped, and
properties that do not travel in the given direction (readOnly in requests, writeOnly in responses) are left out.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Callable, Mapping

from generator.dereference import resolve_local
from generator.diagnostics import Diagnostic, Reporter
from generator.files import is_binary
from generator.linking import Linking, attach_defs
from generator.openapi import (
    SCHEMA_KEYWORDS,
    SCHEMA_LIST_KEYWORDS,
    SCHEMA_MAP_KEYWORDS,
    VALUE_KEYWORDS,
    escape_token,
    json_list,
    json_object,
    subschemas,
    unescape_token,
)
from generator.patterns import backtracking_risk, python_pattern
from generator.schema_parts import MAX_SCHEMA_DEPTH, TOO_DEEP, Direction, Part, Ref, make_nullable
from generator.templating import environment
from generator.wording import Wording

# The schema keywords, in the order compiled schemas hold them.
_KEYWORD_ORDER = {
    keyword: position
    for position, keyword in enumerate((*VALUE_KEYWORDS, *SCHEMA_KEYWORDS, *SCHEMA_LIST_KEYWORDS, *SCHEMA_MAP_KEYWORDS))
}
_VALUE_ORDER = frozenset(VALUE_KEYWORDS)
# Keywords whose subschemas apply to a part of the value (an item, a property), not to the value itself.
_DESCENDING_KEYWORDS = frozenset(
    {"items", "contains", "propertyNames", "unevaluatedItems", "prefixItems", "properties", "patternProperties"}
)
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


def _json_type(value: object) -> str:
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


class SchemaCompiler:
    """Compiles the Schema Objects of one OpenAPI document.

    Every schema a `$ref` points at is compiled once per direction into a body whose own references are
    placeholders (`Ref`). A `Linking` then assembles one root schema (a tool's input, say) from those bodies:
    a referenced schema used once is inlined, one used more than once, or in a cycle, becomes a `$defs` entry.
    The work therefore grows with the document and the tools' sizes, never with the number of paths through
    the reference graph.
    """

    def __init__(
        self,
        document: dict[str, object],
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
        self._bodies: dict[tuple[str, Direction], object] = {}
        self._body_refs: dict[tuple[str, Direction], tuple[Ref, ...]] = {}
        self._compiling: set[tuple[str, Direction]] = set()
        self._targets: dict[str, tuple[object, str] | None] = {}
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

    def resolve(self, ref: str, pointer: str) -> tuple[object, str] | None:
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

    def _lookup(self, ref: str) -> tuple[object, str] | None:
        target: object = resolve_local(self.document, ref)
        return None if target is None else (target, ref[1:])

    def resolve_object(self, node: object, pointer: str) -> tuple[object, str]:
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

    def compile(self, schema: object, direction: Direction, pointer: str) -> dict[str, object]:
        """Compile a schema into a self-contained JSON Schema (with `$defs` for shared and recursive parts)."""
        linking = self.begin(direction)
        part = self.compile_part(schema, pointer, linking)
        result = linking.link(part)
        return attach_defs(result, linking.definitions())

    def begin(self, direction: Direction) -> Linking:
        """Start a root schema made of several compiled parts (a tool's parameters and body) sharing `$defs`."""
        return Linking(self, direction)

    def part(self, schema: object, pointer: str, direction: Direction) -> Part:
        """Compile one schema, its references left as placeholders; any number of linkings can use it."""
        tree = self._compile(schema, pointer, direction, False)
        return Part(tree, direction, _placeholders(tree), pointer)

    def compile_part(self, schema: object, pointer: str, linking: Linking) -> Part:
        """Compile one part of a root schema and add it to `linking`; link it once every part is added."""
        part = self.part(schema, pointer, linking.direction)
        linking.add(part)
        return part

    def shallow(self, part: Part, depth: int) -> dict[str, object]:
        """The part's first `depth` levels with every reference inlined, and any value below: enough to outline a
        response (its fields and their types), at a cost that does not depend on what lies deeper."""
        result = Linking(self, part.direction, max_depth=depth).link(part)
        return result

    # -- bodies of referenced schemas -------------------------------------------------------------------------

    def body(self, ref: str, direction: Direction) -> object:
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

    def body_refs(self, ref: str, direction: Direction) -> tuple[Ref, ...]:
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

    def _compile(self, schema: object, pointer: str, direction: Direction, descended: bool) -> object:
        """Compile one schema; past MAX_SCHEMA_DEPTH nested schemas, any value, with a warning."""
        if self._depth >= MAX_SCHEMA_DEPTH:
            self.warn("too-deep", TOO_DEEP, pointer)
            return {}
        self._depth += 1
        try:
            return self._compile_schema(schema, pointer, direction, descended)
        finally:
            self._depth -= 1

    def _compile_schema(self, schema: object, pointer: str, direction: Direction, descended: bool) -> object:
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

    def _value_keywords(self, schema: Mapping[str, object], known: list[str]) -> dict[str, object]:
        """The keywords holding plain data, copied, with OpenAPI's spellings mapped to JSON Schema's."""
        out: dict[str, object] = {}
        for keyword in known:
            if keyword not in _VALUE_ORDER:
                break
            # `required: null`, `type: null`...: the validator reads null as absent, and so does JSON Schema's
            # meta-schema (it rejects the null); only `default` and `const` take null as a value.
            value = schema[keyword]
            if value is not None or keyword in ("default", "const"):
                out[keyword] = _copy_data(value)
        description = out.get("description")
        if self.clean is not None and isinstance(description, str):
            out["description"] = self.clean(description)
            if not out["description"]:
                del out["description"]
        if "example" in schema and "examples" not in out:
            out["examples"] = [copy.deepcopy(schema["example"])]
        elif isinstance(examples := out.get("examples"), dict):  # an OpenAPI Example map slipped into a schema
            out["examples"] = list(examples.values())
        if "exclusiveMaximum" in out or "exclusiveMinimum" in out:
            self._map_bounds(schema, out)
        return out

    def _finish_schema(
        self, schema: Mapping[str, object], out: dict[str, object], pointer: str, direction: Direction
    ) -> dict[str, object]:
        """What depends on the compiled subschemas: nullability, discriminators, merged allOf, one-way fields."""
        if "enum" in out or "format" in out:
            self._check_enum_and_format(out, pointer)
        if "pattern" in out:
            self._check_pattern(out, pointer)
        if isinstance(out.get("patternProperties"), dict):
            self._check_pattern_keys(out, pointer)
        if self.openapi_version == "3.0" and schema.get("nullable") is True:
            make_nullable(out)
        if schema.get("type") == "file":  # Swagger 2.0 leftovers
            out["type"] = "string"
            out["format"] = "binary"
        discriminator = schema.get("discriminator")
        if isinstance(discriminator, dict) and isinstance(discriminator.get("propertyName"), str):
            default = str(discriminator.get("defaultMapping") or "")  # OpenAPI 3.2: the variant when it is missing
            note = self.wording.discriminator(discriminator["propertyName"], default.rsplit("/", 1)[-1])
            out["description"] = f"{out['description']} {note}" if out.get("description") else note
        if "oneOf" in out:
            # Real specs write oneOf where any branch will do, and branches often overlap (an ID and an e-mail are
            # both strings): exactly-one would refuse every value. anyOf keeps every branch and accepts them.
            branches = out.pop("oneOf")
            if "anyOf" in out:
                out["allOf"] = [*json_list(out.get("allOf", [])), {"anyOf": branches}]
            else:
                out["anyOf"] = branches
        if "allOf" in out:
            out = _merge_all_of(out, [self._merge_view(part, direction) for part in json_list(out["allOf"])])
        required = out.get("required")
        if isinstance(required, list) and any(isinstance(schema.get(k), list) for k in _COMBINATORS):
            # Required names whose properties (in a part or branch) travel only the other way do not apply here.
            one_way = self._one_way_names(schema, "readOnly" if direction == "input" else "writeOnly")
            out["required"] = [name for name in required if name not in one_way]
            if not out["required"]:
                del out["required"]
        if "properties" in out:
            self._drop_one_way_properties(out, direction)
            if direction == "output":
                # APIs send null for fields they leave empty, documented or not: accept it in responses.
                properties = json_object(out["properties"])
                out["properties"] = {name: _nullable_copy(sub) for name, sub in properties.items()}
        return out

    def _placeholder(self, schema: Mapping[str, object], ref: str, pointer: str, descended: bool) -> object:
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
        return Ref(ref, pointer, descended, tuple(annotations), schema.get("nullable") is True)

    def _merge_view(self, part: object, direction: Direction) -> object:
        """An allOf part as merging sees it: a placeholder's body (with its annotations), when it can be had."""
        seen: set[str] = set()
        annotations: dict[str, object] = {}
        while isinstance(part, Ref):
            if part.ref in seen or (part.ref, direction) in self._compiling or part.nullable:
                return None  # a cycle, or a body still being compiled: the part is kept as it is
            seen.add(part.ref)
            annotations = {**dict(part.annotations), **annotations}
            part = self.body(part.ref, direction)
        return {**part, **annotations} if isinstance(part, dict) and annotations else part

    def _flag(self, schema: object, keyword: str, depth: int = 0) -> bool:
        """Whether a property (compiled or raw) is marked readOnly or writeOnly, looking through references."""
        seen: set[str] = set()
        while True:
            if isinstance(schema, Ref):
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

    def _one_way_names(self, schema: Mapping[str, object], keyword: str) -> set[str]:
        """The properties a raw schema (with its allOf parts and anyOf/oneOf branches, references followed) marks
        `keyword` (readOnly or writeOnly): a required list that names them does not apply in that direction."""
        names: set[str] = set()
        pending: list[object] = [schema]
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
                pending.extend(part for part in json_list(node.get(combinator)) if isinstance(part, dict))
        return names

    def _check_enum_and_format(self, out: dict[str, object], pointer: str) -> None:
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
            out["format"] = spelled = _FORMAT_SPELLINGS[form]
            self.warn("format-spelling", f"format {form!r} read as {spelled!r}", pointer)
        elif isinstance(form, str) and form not in KNOWN_FORMATS:
            self.warn("unknown-format", f"format {form!r} is not a standard one; kept as a hint", pointer)

    def _check_pattern(self, out: dict[str, object], pointer: str) -> None:
        """A pattern the server's validator (Python's `re`) can read (ECMAScript's `(?<name>` is spelled `(?P<name>`)
        and match in linear time; any other is dropped, with a warning, rather than failing or freezing calls."""
        pattern = out["pattern"]
        usable = self._usable_pattern(pattern, pointer) if isinstance(pattern, str) else None
        if usable is None:
            del out["pattern"]
        else:
            out["pattern"] = usable

    def _check_pattern_keys(self, out: dict[str, object], pointer: str) -> None:
        """`patternProperties` whose regular expression is unusable go, and with them `additionalProperties`,
        which would otherwise refuse the properties they named."""
        patterns = json_object(out["patternProperties"])
        kept: dict[str, object] = {}
        for key, sub in patterns.items():
            usable = self._usable_pattern(key, f"{pointer}/patternProperties/{escape_token(key)}")
            if usable is not None:
                kept[usable] = sub
        if len(kept) < len(patterns):
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

    def _map_bounds(self, schema: Mapping[str, object], out: dict[str, object]) -> None:
        """OpenAPI 3.0 boolean `exclusiveMaximum`/`exclusiveMinimum` become 2020-12 numeric bounds."""
        for exclusive, bound in (("exclusiveMaximum", "maximum"), ("exclusiveMinimum", "minimum")):
            value = schema.get(exclusive)
            if isinstance(value, bool):
                del out[exclusive]
                if value and bound in out:
                    out[exclusive] = out.pop(bound)

    def _drop_one_way_properties(self, out: dict[str, object], direction: Direction) -> None:
        """Leave out readOnly properties of request schemas and writeOnly ones of response schemas."""
        hidden = "readOnly" if direction == "input" else "writeOnly"
        properties = json_object(out["properties"])
        dropped = [name for name, sub in properties.items() if self._flag(sub, hidden)]
        if not dropped:
            return
        out["properties"] = {k: v for k, v in properties.items() if k not in dropped}
        required = out.get("required")
        if isinstance(required, list):
            out["required"] = [name for name in required if name not in dropped]
            if not out["required"]:
                del out["required"]


_COMBINATORS = ("allOf", "anyOf", "oneOf")
_REF_SIBLINGS = ("description", "title", "default", "deprecated", "readOnly", "writeOnly", "examples")


def _placeholders(tree: object) -> tuple[Ref, ...]:
    """The placeholders of a compiled tree, in document order (schema positions only, never instance data)."""
    found: list[Ref] = []
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, Ref):
            found.append(node)
        elif isinstance(node, dict):
            stack.extend(reversed([sub for _, sub in subschemas(node)]))
    return tuple(found)


def _holds_binary(tree: object) -> bool:
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if is_binary(node):
                return True
            stack.extend(sub for _, sub in subschemas(node))
    return False


def _copy_data(value: object) -> object:
    """A copy of instance data (enum lists, defaults...): flat lists of plain values cheaply, the rest deeply."""
    if isinstance(value, list) and all(item is None or isinstance(item, (str, int, float)) for item in value):
        return list(value)
    return copy.deepcopy(value) if isinstance(value, (dict, list)) else value


def _nullable_copy(schema: object) -> object:
    if isinstance(schema, Ref):
        return dataclasses.replace(schema, nullable=True)
    if not isinstance(schema, dict) or not schema:
        return schema
    copy_ = dict(schema)
    make_nullable(copy_)
    return copy_


_MERGEABLE = frozenset({"type", "properties", "required", "description", "title", "additionalProperties"})


def _merge_all_of(out: dict[str, object], parts: list[object]) -> dict[str, object]:
    """Merge `allOf` parts that are plain object schemas into one object; keep `allOf` otherwise. `parts` are the
    parts as merging sees them (a referenced part's body)."""
    plain = [p for p in parts if isinstance(p, dict) and set(p) <= _MERGEABLE and p.get("type", "object") == "object"]
    if len(plain) < len(parts):
        return out
    merged: dict[str, object] = {k: v for k, v in out.items() if k != "allOf"}
    if merged.get("type", "object") != "object":
        return out
    properties: dict[str, object] = {}
    required: list[object] = []
    for part in plain:
        properties.update(json_object(part.get("properties", {})))
        required.extend(name for name in json_list(part.get("required", [])) if name not in required)
        for keyword in ("description", "title"):
            if keyword in part and keyword not in merged:
                merged[keyword] = part[keyword]
        if part.get("additionalProperties") is False:
            merged["additionalProperties"] = False
    merged["type"] = "object"
    merged["properties"] = {**properties, **json_object(merged.get("properties", {}))}
    extra_required = [name for name in json_list(merged.get("required", [])) if name not in required]
    if required or extra_required:
        merged["required"] = required + extra_required
    return merged

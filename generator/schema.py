"""The schema compiler: OpenAPI 3.0/3.1 Schema Objects to self-contained JSON Schema 2020-12.

`$ref`s are inlined; a reference cycle becomes a `$defs` entry instead of infinite expansion. OpenAPI-only
keywords are mapped (nullable, boolean exclusive bounds, example, discriminator) or dropped, and properties
that do not travel in the given direction (readOnly in requests, writeOnly in responses) are left out.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from generator.diagnostics import Diagnostic
from generator.templating import environment

Direction = Literal["input", "output"]

# JSON Schema 2020-12 keywords whose values are plain data, copied as they are.
_VALUE_KEYWORDS = (
    "title", "description", "type", "format", "enum", "const", "default", "examples", "deprecated",
    "multipleOf", "maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "maxLength", "minLength",
    "pattern", "maxItems", "minItems", "uniqueItems", "maxContains", "minContains", "maxProperties",
    "minProperties", "required", "dependentRequired", "contentEncoding", "contentMediaType", "readOnly",
    "writeOnly",
)  # fmt: skip
# Keywords holding one subschema.
_SCHEMA_KEYWORDS = ("items", "not", "contains", "if", "then", "else", "propertyNames", "unevaluatedItems")
# Keywords holding a list of subschemas.
_SCHEMA_LIST_KEYWORDS = ("allOf", "oneOf", "anyOf", "prefixItems")
# Keywords holding a mapping of name to subschema.
_SCHEMA_MAP_KEYWORDS = ("properties", "patternProperties", "dependentSchemas")
# Every keyword above, in the order compiled schemas hold them.
_KEYWORD_ORDER = {
    keyword: position
    for position, keyword in enumerate(
        (*_VALUE_KEYWORDS, *_SCHEMA_KEYWORDS, *_SCHEMA_LIST_KEYWORDS, *_SCHEMA_MAP_KEYWORDS)
    )
}
_VALUE_ORDER = frozenset(_VALUE_KEYWORDS)
# Keywords whose subschemas apply to a part of the value (an item, a property), not to the value itself.
_DESCENDING_KEYWORDS = frozenset(
    {"items", "contains", "propertyNames", "unevaluatedItems", "prefixItems", "properties", "patternProperties"}
)
# Marks, in the stack of refs being expanded, a step into a part of the value: a cycle that passes through one
# describes ever deeper values (a tree); a cycle without one would send a validator round in circles for ever.
_DESCENT = ""


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


@dataclass
class _Compilation:
    """State for one root schema: cycle-breaking definitions and the warnings found."""

    direction: Direction
    defs: dict[str, dict[str, Any]] = field(default_factory=dict)
    def_names: dict[str, str] = field(default_factory=dict)
    pending: list[str] = field(default_factory=list)


class SchemaCompiler:
    """Compiles the Schema Objects of one OpenAPI document."""

    def __init__(
        self,
        document: dict[str, Any],
        source: str,
        openapi_version: str,
        clean: Callable[[str], str] | None = None,
    ) -> None:
        self.document = document
        self.clean = clean
        # Words the compiler adds to schemas come from templates/tool/phrases.jinja, like every generated word.
        self.phrases: Any = environment().get_template("tool/phrases.jinja").module
        self.source = source
        self.openapi_version = openapi_version
        self.diagnostics: list[Diagnostic] = []
        self._warned: set[tuple[str, str]] = set()
        self._depth = 0

    def warn(self, kind: str, message: str, pointer: str) -> None:
        """Record a warning once per kind and place."""
        if (kind, pointer) not in self._warned:
            self._warned.add((kind, pointer))
            self.diagnostics.append(Diagnostic("warning", kind, message, self.source, pointer))

    def resolve(self, ref: str, pointer: str) -> tuple[Any, str] | None:
        """Follow a local `$ref`; return the target and its pointer, or None (with a warning) when it dangles."""
        if not ref.startswith("#"):
            self.warn(
                "unsupported-ref",
                f"external reference {ref!r} is not supported; treated as any value",
                pointer,
            )
            return None
        target: Any = self.document
        for raw in ref[1:].split("/")[1:]:
            token = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(target, dict) and token in target:
                target = target[token]
            elif isinstance(target, list) and token.isdigit() and int(token) < len(target):
                target = target[int(token)]
            else:
                self.warn("dangling-ref", f"reference {ref!r} points at nothing; treated as any value", pointer)
                return None
        return target, ref[1:]

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

    def compile(self, schema: Any, direction: Direction, pointer: str) -> dict[str, Any]:
        """Compile a schema into a self-contained JSON Schema (with `$defs` when it is recursive)."""
        state = self.begin(direction)
        result = self.compile_part(schema, pointer, state)
        defs = self.finish(state, pointer)
        return {**result, "$defs": defs} if defs else result

    def begin(self, direction: Direction) -> _Compilation:
        """Start a root schema made of several compiled parts (a tool's parameters and body) sharing `$defs`."""
        return _Compilation(direction)

    def compile_part(self, schema: Any, pointer: str, state: _Compilation) -> dict[str, Any]:
        """Compile one part of a root schema; its cycle-breaking definitions go to `state`."""
        return self._compile(schema, pointer, state, ())

    def finish(self, state: _Compilation, pointer: str) -> dict[str, dict[str, Any]]:
        """Compile the definitions the parts referred to; return them sorted by name."""
        while state.pending:
            ref = state.pending.pop()
            name = state.def_names[ref]
            resolved = self.resolve(ref, pointer)
            target, target_pointer = resolved if resolved is not None else ({}, pointer)
            state.defs[name] = self._compile(target, target_pointer, state, (ref,))
        return {name: state.defs[name] for name in sorted(state.defs)}

    def _def_name(self, ref: str, state: _Compilation) -> str:
        if ref not in state.def_names:
            base = re.sub(r"[^A-Za-z0-9_.-]", "_", ref.rsplit("/", 1)[-1]) or "schema"
            name, counter = base, 2
            while name in state.def_names.values():
                name, counter = f"{base}_{counter}", counter + 1
            state.def_names[ref] = name
            state.pending.append(ref)
        return state.def_names[ref]

    def _compile(self, schema: Any, pointer: str, state: _Compilation, stack: tuple[str, ...]) -> dict[str, Any]:
        """Compile one schema; past MAX_SCHEMA_DEPTH nested schemas (references followed), any value, with a warning."""
        if self._depth >= MAX_SCHEMA_DEPTH:
            message = (
                f"schema nested more than {MAX_SCHEMA_DEPTH} levels deep once references are followed;"
                " the deeper part is accepted as any value"
            )
            self.warn("too-deep", message, pointer)
            return {}
        self._depth += 1
        try:
            return self._compile_schema(schema, pointer, state, stack)
        finally:
            self._depth -= 1

    def _compile_schema(self, schema: Any, pointer: str, state: _Compilation, stack: tuple[str, ...]) -> dict[str, Any]:
        if isinstance(schema, bool):
            return {} if schema else {"not": {}}
        if not isinstance(schema, dict):
            self.warn("invalid-schema", "schema is not an object; treated as any value", pointer)
            return {}
        ref = schema.get("$ref")
        if isinstance(ref, str):
            return self._compile_ref(schema, ref, pointer, state, stack)

        # The schema's own keys, in the fixed order output takes (a schema has few keys; the keyword lists are long).
        known = [key for key in schema if key in _KEYWORD_ORDER]
        known.sort(key=_KEYWORD_ORDER.__getitem__)
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

        deeper = (*stack, _DESCENT)
        for keyword in known:
            if keyword in _VALUE_ORDER:
                continue
            within = deeper if keyword in _DESCENDING_KEYWORDS else stack
            sub = schema[keyword]
            if keyword in _SCHEMA_KEYWORDS:
                out[keyword] = self._compile(sub, f"{pointer}/{keyword}", state, within)
            elif keyword in _SCHEMA_LIST_KEYWORDS:
                if isinstance(sub, list):
                    out[keyword] = [
                        self._compile(item, f"{pointer}/{keyword}/{i}", state, within) for i, item in enumerate(sub)
                    ]
            elif isinstance(sub, dict):
                out[keyword] = {
                    name: self._compile(item, f"{pointer}/{keyword}/{_escape(name)}", state, within)
                    for name, item in sub.items()
                }
        extra = schema.get("additionalProperties")
        if isinstance(extra, bool):
            out["additionalProperties"] = extra
        elif isinstance(extra, dict):
            out["additionalProperties"] = self._compile(extra, f"{pointer}/additionalProperties", state, deeper)

        if "enum" in out or "format" in out:
            self._check_enum_and_format(out, pointer)
        if self.openapi_version == "3.0" and schema.get("nullable") is True:
            _make_nullable(out)
        if schema.get("type") == "file":  # Swagger 2.0 leftovers
            out["type"] = "string"
            out["format"] = "binary"
        discriminator = schema.get("discriminator")
        if isinstance(discriminator, dict) and isinstance(discriminator.get("propertyName"), str):
            note = str(self.phrases.discriminator(discriminator["propertyName"]))
            out["description"] = f"{out['description']} {note}" if out.get("description") else note
        if "allOf" in out:
            out = _merge_all_of(out)
        if "properties" in out:
            self._drop_one_way_properties(out, state.direction)
            if state.direction == "output":
                # APIs send null for fields they leave empty, documented or not: accept it in responses.
                out["properties"] = {name: _nullable_copy(sub) for name, sub in out["properties"].items()}
        return out

    def _compile_ref(
        self, schema: dict[str, Any], ref: str, pointer: str, state: _Compilation, stack: tuple[str, ...]
    ) -> dict[str, Any]:
        if ref and ref in stack:
            since = stack[len(stack) - stack[::-1].index(ref) :]
            if _DESCENT not in since:
                message = f"reference {ref!r} comes back to itself without describing any value; treated as any value"
                self.warn("circular-ref", message, pointer)
                return {}
            return {"$ref": f"#/$defs/{self._def_name(ref, state)}"}
        resolved = self.resolve(ref, pointer)
        if resolved is None:
            return {}
        target, target_pointer = resolved
        compiled = self._compile(target, target_pointer, state, (*stack, ref))
        # Siblings of `$ref` (allowed in 3.1, common in 3.0 anyway) refine the target's annotations.
        for keyword in ("description", "title", "default", "deprecated", "readOnly", "writeOnly", "examples"):
            if keyword in schema:
                compiled = {**compiled, keyword: copy.deepcopy(schema[keyword])}
        if schema.get("nullable") is True:
            compiled = dict(compiled)
            _make_nullable(compiled)
        return compiled

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

    def _map_bounds(self, schema: dict[str, Any], out: dict[str, Any]) -> None:
        """OpenAPI 3.0 boolean `exclusiveMaximum`/`exclusiveMinimum` become 2020-12 numeric bounds."""
        for exclusive, bound in (("exclusiveMaximum", "maximum"), ("exclusiveMinimum", "minimum")):
            value = schema.get(exclusive)
            if isinstance(value, bool):
                del out[exclusive]
                if value and bound in out:
                    out[exclusive] = out.pop(bound)

    @staticmethod
    def _drop_one_way_properties(out: dict[str, Any], direction: Direction) -> None:
        """Leave out readOnly properties of request schemas and writeOnly ones of response schemas."""
        hidden = "readOnly" if direction == "input" else "writeOnly"
        dropped = [name for name, sub in out["properties"].items() if isinstance(sub, dict) and sub.get(hidden)]
        if not dropped:
            return
        out["properties"] = {k: v for k, v in out["properties"].items() if k not in dropped}
        if isinstance(out.get("required"), list):
            out["required"] = [name for name in out["required"] if name not in dropped]
            if not out["required"]:
                del out["required"]


def _copy_data(value: Any) -> Any:
    """A copy of instance data (enum lists, defaults...): flat lists of plain values cheaply, the rest deeply."""
    if isinstance(value, list) and all(item is None or isinstance(item, (str, int, float)) for item in value):
        return list(value)
    return copy.deepcopy(value) if isinstance(value, (dict, list)) else value


def _escape(name: str) -> str:
    return name.replace("~", "~0").replace("/", "~1")


def _nullable_copy(schema: Any) -> Any:
    if not isinstance(schema, dict) or not schema:
        return schema
    copy_ = dict(schema)
    _make_nullable(copy_)
    return copy_


def _make_nullable(out: dict[str, Any]) -> None:
    """Allow null in a compiled schema (OpenAPI 3.0 `nullable: true`)."""
    kind = out.get("type")
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


def _merge_all_of(out: dict[str, Any]) -> dict[str, Any]:
    """Merge `allOf` parts that are plain object schemas into one object; keep `allOf` otherwise."""
    parts = out["allOf"]
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
        if "anyOf" in node and "type" not in kept:  # a nullable reference: keep its description only
            kept["type"] = ["object", "null"]
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


def _types_of(node: dict[str, Any]) -> str | list[str] | None:
    """The JSON types a compiled schema allows, read from `type` or from the branches of `anyOf`/`oneOf`;
    None when some branch allows any type."""
    kinds = node.get("type")
    if kinds is not None:
        return kinds if isinstance(kinds, (str, list)) else None
    branches = node.get("anyOf") or node.get("oneOf")
    if not isinstance(branches, list) or not branches:
        return None
    found: list[str] = []
    for branch in branches:
        inner = _types_of(branch) if isinstance(branch, dict) else None
        if inner is None:
            return None
        found += [kind for kind in ([inner] if isinstance(inner, str) else inner) if kind not in found]
    return found[0] if len(found) == 1 else found

"""Quirk repairs: what real specs get wrong but mean clearly, mended in place, with a warning and a JSON pointer.

Each repair has one obvious meaning and keeps the operation working: an empty `enum` allows any value, a type
list in OpenAPI 3.0 becomes `anyOf` (or `nullable`), a path without its leading slash gains one, a response
keyed by something that is not a status code is left out. Two passes: one over paths and operations (their
structure), one over every mapping outside instance data (schema keywords and prose).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from generator.bundle import BUNDLE_KEY
from generator.dereference import resolve_local
from generator.diagnostics import Reporter
from generator.openapi import DATA_KEYS, escape_token, json_pointer, operation_methods, ref_of

# Keys whose values are instance data, never schemas: repairs must not walk into them.
# Prose a reader (a model or a person) sees: it must not hide characters or reorder itself.
PROSE_KEYS = ("title", "summary", "description")
# Maps whose keys are names (a property called `description` is a schema, not prose).
_NAME_MAPS = frozenset(
    {
        "properties", "patternProperties", "dependentSchemas", "$defs", "definitions", "schemas", "responses",
        "parameters", "requestBodies", "headers", "securitySchemes", "securityDefinitions", "links", "callbacks",
        "content", "encoding", "variables", "paths", "webhooks", "pathItems", "mapping", "x-bundled",
    }
)  # fmt: skip
# C0 and C1 controls other than tab and line breaks (a NUL also cannot stand in Python source); the ones Python
# counts as white space (vertical tab, form feed...) become a space, the others go...
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# ...and the bidi embedding, override and isolate marks, which make text display otherwise than it reads.
_BIDI_CONTROL = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
_UNWANTED = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_RESPONSE_CODE = re.compile(r"default|[1-5](\d\d|XX)", re.IGNORECASE)
_TYPES = ("string", "number", "integer", "boolean", "array", "object")
_SECURITY_TYPES = ("apiKey", "http", "oauth2", "openIdConnect", "mutualTLS", "basic")
_REPAIRED_KEYS = frozenset({"required", "default", "enum", "type", "anyOf", "oneOf", *PROSE_KEYS})

Trail = tuple["Trail", str | int] | None
"""Where a node sits, as a linked list (parent trail, key): a pointer is built only when one is needed."""


def pointer_of(trail: Trail) -> str:
    tokens: list[str | int] = []
    while trail is not None:
        trail, key = trail
        tokens.append(key)
    return json_pointer(*reversed(tokens))


def walk_mappings(document: dict[str, object]) -> Iterator[tuple[dict[str, object], Trail]]:
    """Every mapping outside instance data and vendor extensions (bundled files excepted), once each (shared parts
    too), in document order, with its trail. The caller may change a mapping before its children are visited.
    Iterative: large specs have 10^6 of them."""
    seen: set[int] = set()
    stack: list[tuple[dict[str, object] | list[object], Trail]] = [(document, None)]
    while stack:
        node, trail = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        children: list[tuple[dict[str, object] | list[object], Trail]]
        if isinstance(node, dict):
            yield node, trail
            children = [
                (v, (trail, k))
                for k, v in node.items()
                if isinstance(v, (dict, list)) and k not in DATA_KEYS and not (k[:2] == "x-" and k != BUNDLE_KEY)
            ]
        else:
            children = [(v, (trail, i)) for i, v in enumerate(node) if isinstance(v, (dict, list))]
        stack.extend(reversed(children))  # document order: the first child is visited next


class _Repairs:
    def __init__(self, document: dict[str, object], report: Reporter, version: str) -> None:
        self.document = document
        self.version = version
        self.warn = report.warn

    def info(self) -> None:
        """`info` with a text `title` and `version`: a number is read as text, a missing one as empty."""
        info = self.document.get("info")
        if not isinstance(info, dict):
            self.document["info"] = info = {}
            self.warn("missing-info", "no `info` mapping; the API has no title or version", "/info")
        for key in ("title", "version"):
            value = info.get(key)
            if isinstance(value, str):
                continue
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                info[key] = str(value)
                self.warn("non-string-text", f"`{key}` is a number, not text; read as text", f"/info/{key}")
            else:
                info[key] = ""
                self.warn("missing-info", f"`info` has no `{key}`; left empty", f"/info/{key}")

    # -- paths and operations --------------------------------------------------------------------------------

    def paths(self) -> None:
        paths = self.document.get("paths")
        if paths is None and self.version == "3.0":
            self.document["paths"] = {}
            self.warn("missing-paths", "no `paths`; the document has no operations", "/paths")
            return
        if not isinstance(paths, dict):
            return
        for path in list(paths):
            item = paths[path]
            here = json_pointer("paths", path)
            if str(path).startswith("x-"):
                continue
            if not isinstance(item, dict):
                del paths[path]
                found = "empty" if item is None else f"a {type(item).__name__}"
                self.warn("invalid-path-item", f"path item {path!r} is {found}, not a mapping; left out", here)
                continue
            if not str(path).startswith("/"):
                self.add_slash(paths, str(path), here)
        for path, item in list(paths.items()):
            if isinstance(item, dict) and not str(path).startswith("x-"):
                self.path_item(item, json_pointer("paths", path))

    def add_slash(self, paths: dict[str, object], path: str, here: str) -> None:
        fixed = "/" + path
        item = paths.pop(path)
        if fixed in paths:
            self.warn("path-without-slash", f"path {path!r} lacks its leading `/` and {fixed!r} exists; left out", here)
            return
        paths[fixed] = item
        self.warn("path-without-slash", f"path {path!r} lacks its leading `/`; read as {fixed!r}", here)

    def path_item(self, item: dict[str, object], here: str) -> None:
        self.parameter_list(item, here)
        for method in operation_methods(item):
            if method not in item:
                continue
            operation = item[method]
            if not isinstance(operation, dict):
                del item[method]
                found = "empty" if operation is None else f"a {type(operation).__name__}"
                self.warn("invalid-operation", f"operation `{method}` is {found}, not a mapping; left out", here)
                continue
            self.operation(operation, f"{here}/{method}")

    def operation(self, operation: dict[str, object], here: str) -> None:
        self.parameter_list(operation, here)
        responses = operation.get("responses")
        if not isinstance(responses, dict):
            if self.version == "3.0" or responses is not None:
                operation["responses"] = {}
                self.warn("missing-responses", "no `responses`; the operation is read as documenting none", here)
        else:
            self.response_codes(responses, f"{here}/responses")
        if "security" in operation:
            self.security(operation, f"{here}/security")

    def response_codes(self, responses: dict[str, object], here: str) -> None:
        for code in list(responses):
            if str(code).startswith("x-"):
                continue
            if not _RESPONSE_CODE.fullmatch(str(code)):
                del responses[code]
                message = f"response key {code!r} is not an HTTP status code, a range such as `2XX`, or `default`"
                self.warn("invalid-response-code", f"{message}; left out", f"{here}/{escape_token(code)}")
            elif not isinstance(responses[code], dict):
                del responses[code]
                self.warn(
                    "invalid-response", f"response {code!r} is not a mapping; left out", f"{here}/{escape_token(code)}"
                )

    def parameter_list(self, holder: dict[str, object], here: str) -> None:
        """Parameters that are not mappings go; of two with the same name and location, the last one counts."""
        parameters = holder.get("parameters")
        if parameters is None:
            return
        if not isinstance(parameters, list):
            del holder["parameters"]
            self.warn("invalid-parameters", "`parameters` is not a list; left out", f"{here}/parameters")
            return
        last: dict[tuple[str, str], int] = {}
        keep: list[bool] = []
        for index, entry in enumerate(parameters):
            ref = ref_of(entry)
            resolved = resolve_local(self.document, ref) if ref is not None else entry
            keep.append(isinstance(entry, dict))
            if not isinstance(entry, dict):
                self.warn("invalid-parameter", "parameter is not a mapping; left out", f"{here}/parameters/{index}")
            elif isinstance(resolved, dict) and "name" in resolved and "in" in resolved:
                key = (str(resolved["in"]), str(resolved["name"]))
                if key in last:
                    keep[last[key]] = False
                    message = f"{key[0]} parameter `{key[1]}` is listed twice; the later one is used"
                    self.warn("duplicate-parameter", message, f"{here}/parameters/{last[key]}")
                last[key] = index
        if not all(keep):
            holder["parameters"] = [entry for entry, kept in zip(parameters, keep, strict=True) if kept]

    def security(self, holder: dict[str, object], here: str) -> None:
        """Each security requirement maps a scheme to a list of scopes."""
        requirements = holder.get("security")
        if not isinstance(requirements, list):
            if requirements is not None:
                del holder["security"]
                self.warn("invalid-security", "`security` is not a list of requirements; left out", here)
            return
        for index, requirement in enumerate(requirements):
            if not isinstance(requirement, dict):
                continue
            for name, scopes in requirement.items():
                if isinstance(scopes, list) and all(isinstance(scope, str) for scope in scopes):
                    continue
                fixed = [scopes] if isinstance(scopes, str) and scopes else []
                if isinstance(scopes, list):
                    fixed = [str(scope) for scope in scopes if isinstance(scope, (str, int, float))]
                requirement[name] = fixed
                message = f"the scopes of `{name}` are not a list of names; read as {fixed}"
                self.warn("security-scopes", message, f"{here}/{index}/{escape_token(name)}")

    # -- every mapping ------------------------------------------------------------------------------------------

    def mappings(self) -> None:
        for node, trail in walk_mappings(self.document):
            if node.keys().isdisjoint(_REPAIRED_KEYS):
                continue
            in_name_map = trail is not None and trail[1] in _NAME_MAPS
            if not in_name_map:
                self.schema_keywords(node, trail)
                self.prose(node, trail)

    def schema_keywords(self, node: dict[str, object], trail: Trail) -> None:
        if node.get("required") == []:
            del node["required"]
            message = "empty `required` list removed (OpenAPI 3.0 requires at least one name)"
            self.warn("empty-required", message, pointer_of(trail) + "/required")
        if "default" in node and node["default"] is None and node.get("nullable") is not True and "type" in node:
            del node["default"]
            message = "`default: null` on a non-nullable schema removed"
            self.warn("null-default", message, pointer_of(trail) + "/default")
        examples = node.get("examples")
        if isinstance(examples, dict) and "schema" not in node and "content" not in node:
            node["examples"] = [_example_value(example) for example in examples.values()]
            message = "`examples` of a schema is a map (as in a media type), not a list; its values are used"
            self.warn("examples-map", message, pointer_of(trail) + "/examples")
        if node.get("enum") == []:  # `enum: null` is read as absent, by the validator and the compiler alike
            del node["enum"]
            self.warn("empty-enum", "empty `enum` removed: it would allow no value at all", pointer_of(trail) + "/enum")
        if self.version == "3.0":
            self.null_branches(node, trail)
            self.type_keyword(node, trail)

    def null_branches(self, node: dict[str, object], trail: Trail) -> None:
        """`anyOf`/`oneOf` branches of `type: null` (OpenAPI 3.1 style) become `nullable: true` in 3.0."""
        for keyword in ("anyOf", "oneOf"):
            branches = node.get(keyword)
            if not isinstance(branches, list):
                continue
            kept = [b for b in branches if not (isinstance(b, dict) and b.get("type") in ("null", ["null"]))]
            if len(kept) == len(branches):
                continue
            node[keyword] = kept or [{}]
            node["nullable"] = True
            message = f"`type: null` branch of `{keyword}` read as `nullable: true` (OpenAPI 3.0 has no null type)"
            self.warn("null-type", message, f"{pointer_of(trail)}/{keyword}")

    def type_keyword(self, node: dict[str, object], trail: Trail) -> None:
        """A 3.0 `type` must be one name: a list becomes `anyOf` (null: `nullable`), unknown names any value."""
        kind = node.get("type")
        if not isinstance(kind, (str, list)) or kind in _TYPES or kind in _SECURITY_TYPES:
            return  # a mapping is a schema named `type`; a security scheme has types of its own
        here = pointer_of(trail) + "/type"
        names = kind if isinstance(kind, list) else [kind]
        known = [n for n in dict.fromkeys(str(n).lower() for n in names) if n in _TYPES]
        nullable = any(str(n).lower() == "null" for n in names)
        unknown = [n for n in names if str(n).lower() not in (*_TYPES, "null", "file")]
        if isinstance(kind, str) and kind.lower() == "file":
            return  # Swagger 2.0's file type: the schema compiler reads it as a binary string
        del node["type"]
        if len(known) == 1:
            node["type"] = known[0]
        elif known:
            branches = [{"type": name} for name in known]
            if "anyOf" in node:
                all_of = node.get("allOf", [])
                node["allOf"] = [*(all_of if isinstance(all_of, list) else [all_of]), {"anyOf": branches}]
            else:
                node["anyOf"] = branches
        if nullable:
            node["nullable"] = True
            if not known:
                node["enum"] = [None]
        if unknown:
            message = f"`type: {kind}` names no JSON type ({', '.join(map(str, unknown))}); that part accepts any value"
            self.warn("unknown-type", message, here)
        elif isinstance(kind, list):
            message = f"`type: {kind}` is a list, which OpenAPI 3.0 does not allow; read as " + (
                f"`{known[0]}`" if len(known) == 1 else "`anyOf` of each type" if known else "null only"
            )
            self.warn("type-list", message + (" that may be null" if nullable and known else ""), here)
        else:
            self.warn("null-type", "`type: null` read as `nullable: true` (OpenAPI 3.0 has no null type)", here)

    def prose(self, node: dict[str, object], trail: Trail) -> None:
        for key in PROSE_KEYS:
            if key not in node:
                continue
            text = node[key]
            if text is None:
                continue  # read as absent
            if not isinstance(text, str):
                self.non_string(node, key, trail)
                continue
            if _UNWANTED.search(text) is None:
                continue
            unwanted = _CONTROL.findall(text) + _BIDI_CONTROL.findall(text)
            found = ", ".join(sorted({ascii(c)[1:-1] for c in unwanted}))
            node[key] = _BIDI_CONTROL.sub("", _CONTROL.sub(lambda m: " " if m.group().isspace() else "", text))
            message = f"control characters ({found}) removed from `{key}`"
            self.warn("control-character", message, f"{pointer_of(trail)}/{key}")

    def non_string(self, node: dict[str, object], key: str, trail: Trail) -> None:
        """A number or list of lines where text belongs becomes text; anything else is left out."""
        value = node[key]
        if isinstance(value, dict):
            return  # a schema named `title` or `description` in a map this walk did not recognise
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            node[key] = str(value)
            outcome = "read as text"
        elif isinstance(value, list) and value and all(isinstance(line, str) for line in value):
            node[key] = "\n".join(value)
            outcome = "its lines joined"
        else:
            del node[key]
            outcome = "left out"
        found = "null" if value is None else type(value).__name__
        self.warn("non-string-text", f"`{key}` is {found}, not text; {outcome}", f"{pointer_of(trail)}/{key}")


def _example_value(example: object) -> object:
    """The value of an Example Object (`{summary, value}`), or the entry itself when it is a plain value."""
    if isinstance(example, dict) and "value" in example and set(example) <= _EXAMPLE_KEYS:
        return example["value"]
    return example


_EXAMPLE_KEYS = frozenset({"summary", "description", "value", "externalValue"})


def repair_quirks(document: dict[str, object], report: Reporter, version: str = "3.0") -> None:
    """Mend, in place, what real specs get wrong but mean clearly; one warning per repair (to `report`)."""
    repairs = _Repairs(document, report, version)
    repairs.info()
    repairs.paths()
    if "security" in document:
        repairs.security(document, "/security")
    repairs.mappings()

"""OpenAPI and JSON Schema primitives every stage shares: the HTTP methods, the keys that hold data rather than
schemas, the schema keyword tables, the subschema walk and JSON pointer tokens. One home for each."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
"""The operations a path item of OpenAPI 3.0 and 3.1 may hold, in the order OpenAPI lists them."""

MORE_METHODS_KEY = "x-more-methods"
"""Where a path item lowered from OpenAPI 3.2 lists its other operations (`query`, then `additionalOperations`),
each held in the path item under its method in lower case, like the fixed eight."""

PATH_ITEM_FIELDS = frozenset({"$ref", "summary", "description", "servers", "parameters", *HTTP_METHODS})
"""A path item's fields in OpenAPI 3.0 and 3.1: a lowered 3.2 operation may not take one of these names."""

SAFE_METHODS = frozenset({"get", "head", "options", "trace", "query", "propfind", "report", "search"})
"""Methods the IANA HTTP Method Registry marks safe: they change nothing (QUERY is RFC 9110's safe, idempotent
GET with a body)."""
IDEMPOTENT_METHODS = SAFE_METHODS | frozenset(
    {
        "put", "delete", "acl", "bind", "checkin", "checkout", "copy", "link", "merge", "mkactivity",
        "mkcalendar", "mkcol", "mkredirectref", "mkworkspace", "move", "orderpatch", "proppatch", "rebind",
        "unbind", "uncheckout", "unlink", "unlock", "update", "updateredirectref", "version-control",
    }
)  # fmt: skip
"""Methods the IANA HTTP Method Registry marks idempotent: sending one twice does what sending it once does."""


SEQUENTIAL_MEDIA_TYPES = frozenset(
    {
        "application/jsonl",
        "application/x-ndjson",
        "application/x-jsonlines",
        "application/json-seq",
        "text/event-stream",
    }
)
"""Media types whose body is a sequence of items (JSON Lines, NDJSON, JSON Text Sequences, server-sent events)."""


def is_sequential(media_type: str) -> bool:
    return media_type.split(";")[0].strip().lower() in SEQUENTIAL_MEDIA_TYPES


def operation_methods(path_item: Mapping[str, object]) -> tuple[str, ...]:
    """The methods whose operations a path item may hold: the fixed eight, then those a 3.2 document adds."""
    more = path_item.get(MORE_METHODS_KEY)
    if isinstance(more, list):
        return (*HTTP_METHODS, *(str(method) for method in more))
    return HTTP_METHODS


DATA_KEYS = frozenset({"example", "examples", "default", "enum", "const", "x-example", "x-examples"})
"""Keys whose values are instance data, never schemas or references: copied as they are, never walked."""

# JSON Schema 2020-12 keywords whose values are plain data, copied as they are.
VALUE_KEYWORDS = (
    "title", "description", "type", "format", "enum", "const", "default", "examples", "deprecated",
    "multipleOf", "maximum", "minimum", "exclusiveMaximum", "exclusiveMinimum", "maxLength", "minLength",
    "pattern", "maxItems", "minItems", "uniqueItems", "maxContains", "minContains", "maxProperties",
    "minProperties", "required", "dependentRequired", "contentEncoding", "contentMediaType", "readOnly",
    "writeOnly",
)  # fmt: skip
TYPING_KEYWORDS = frozenset({"type", "anyOf", "oneOf", "allOf", "$ref", "enum", "const", "not"})
"""Keywords that say what values a schema takes: a schema with none of them takes any value."""
SCHEMA_KEYWORDS = ("items", "not", "contains", "if", "then", "else", "propertyNames", "unevaluatedItems")
"""Keywords holding one subschema."""
SCHEMA_LIST_KEYWORDS = ("allOf", "oneOf", "anyOf", "prefixItems")
"""Keywords holding a list of subschemas."""
SCHEMA_MAP_KEYWORDS = ("properties", "patternProperties", "dependentSchemas")
"""Keywords holding a mapping of name to subschema."""

# The same three tables for the Schema Objects of Swagger 2.0, which knows only these.
SWAGGER_SCHEMA_KEYWORDS = ("not", "additionalProperties")
SWAGGER_SCHEMA_LIST_KEYWORDS = ("allOf", "anyOf", "oneOf")
SWAGGER_SCHEMA_MAP_KEYWORDS = ("properties",)


def subschemas(node: Mapping[str, object]) -> Iterator[tuple[str, object]]:
    """A schema's direct subschemas, in keyword order, each with the keyword that holds it
    (`additionalProperties` when it is a schema too)."""
    for keyword, value in node.items():
        if keyword in SCHEMA_KEYWORDS or keyword == "additionalProperties":
            yield keyword, value
        elif keyword in SCHEMA_LIST_KEYWORDS and isinstance(value, list):
            yield from ((keyword, item) for item in value)
        elif keyword in SCHEMA_MAP_KEYWORDS and isinstance(value, dict):
            yield from ((keyword, item) for item in value.values())


def escape_token(token: str | int) -> str:
    """One reference token of a JSON pointer (RFC 6901): `~` as `~0`, `/` as `~1`."""
    return str(token).replace("~", "~0").replace("/", "~1")


def unescape_token(token: str) -> str:
    """A JSON pointer's reference token as the key it names."""
    return token.replace("~1", "/").replace("~0", "~")


def json_pointer(*tokens: str | int) -> str:
    """A JSON pointer such as `/paths/~1oauth~1token/post` from raw tokens."""
    return "".join("/" + escape_token(token) for token in tokens)


def pointer_tokens(pointer: str) -> list[str]:
    """The keys a JSON pointer names, in order (`""` names the whole document: no keys)."""
    return [unescape_token(token) for token in pointer.split("/")[1:]]


def member(node: object, key: str) -> object:
    """`node[key]` when `node` is a mapping that holds `key`, else None: one step into JSON of unknown shape (a
    document before validation, where any value may be of any type)."""
    return node.get(key) if isinstance(node, dict) else None


def ref_of(value: object) -> str | None:
    """The `$ref` of a Reference Object (a mapping whose `$ref` is text); None for any other value."""
    if isinstance(value, dict):
        ref = value.get("$ref")
        if isinstance(ref, str):
            return ref
    return None


def json_object(value: object) -> dict[str, object]:
    """The value when it is a JSON object (a dict, the same one), else an empty dict: JSON read where it is used."""
    return value if isinstance(value, dict) else {}


def json_list(value: object) -> list[object]:
    """The value when it is a JSON array (a list, the same one), else an empty list."""
    return value if isinstance(value, list) else []


def is_extension(key: object) -> bool:
    """Whether a key is a specification extension (`x-...`)."""
    return isinstance(key, str) and key.startswith("x-")


def security_scheme_map(document: Mapping[str, object]) -> dict[str, object]:
    """`components/securitySchemes` of a document read as it came (empty when absent or not a mapping)."""
    return json_object(json_object(document.get("components")).get("securitySchemes"))

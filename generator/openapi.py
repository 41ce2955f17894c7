"""OpenAPI and JSON Schema primitives every stage shares: the HTTP methods, the keys that hold data rather than
schemas, the schema keyword tables, the subschema walk and JSON pointer tokens. One home for each."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
"""The operations a path item may hold, in the order OpenAPI lists them."""

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


def subschemas(node: dict[str, Any]) -> Iterator[tuple[str, Any]]:
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

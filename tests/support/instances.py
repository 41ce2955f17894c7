"""Valid example values synthesized from a JSON Schema, for request-conformance tests.

Every optional property is filled in down to FULL_DEPTH levels; below that only what is required, so that
recursive schemas end. Where a schema offers choices (examples, `anyOf`/`oneOf` branches, a pattern), the value is
checked against the schema and the next choice taken when it does not fit.
"""

from __future__ import annotations

import base64
import functools
import re
from typing import Any

import jsonschema
from hypothesis import HealthCheck, find, settings
from hypothesis import strategies as st

FULL_DEPTH = 8
_FORMATS = {
    "date": "2024-05-06",
    "date-time": "2024-05-06T07:08:09Z",
    "time": "07:08:09",
    "email": "someone@example.com",
    "uri": "https://example.com/a",
    "url": "https://example.com/a",
    "uuid": "123e4567-e89b-12d3-a456-426614174000",
    "byte": base64.b64encode(b"bytes").decode(),
}
_TEXTS = ("text", "1", "a", "A", "abc", "2024-05-06")


class _Instances:
    def __init__(self, root: dict[str, Any]) -> None:
        self.root = root
        self.validator = jsonschema.Draft202012Validator(root)

    def fits(self, value: Any, schema: Any) -> bool:
        return bool(self.validator.evolve(schema=schema).is_valid(value))

    def make(self, schema: Any, depth: int) -> Any:
        if not isinstance(schema, dict):
            return None
        if "$ref" in schema:
            name = schema["$ref"].rsplit("/", 1)[-1]
            return self.make(
                {**self.root["$defs"][name], **{k: v for k, v in schema.items() if k != "$ref"}}, depth + 1
            )
        if "const" in schema:
            return schema["const"]
        if "enum" in schema:
            return next((v for v in schema["enum"] if v is not None), schema["enum"][0])
        for given in (schema.get("default"), *(schema.get("examples") or [])):
            # A spec's example object may hold response-only fields: objects are built from their properties.
            if given is not None and not isinstance(given, (dict, list)) and self.fits(given, schema):
                return given
        for keyword in ("oneOf", "anyOf"):
            if keyword in schema and "properties" not in schema:
                return self.branch(schema, keyword, depth)
        if "allOf" in schema and "properties" not in schema:
            rest = {k: v for k, v in schema.items() if k != "allOf"}
            parts = [self.make({**rest, **self.resolve(part)}, depth + 1) for part in schema["allOf"]]
            if parts and all(isinstance(part, dict) for part in parts):
                return {key: value for part in parts for key, value in part.items()}
            return next((part for part in parts if self.fits(part, schema)), parts[0] if parts else None)
        return self.typed(schema, depth)

    def branch(self, schema: dict[str, Any], keyword: str, depth: int) -> Any:
        """A value of the first branch that fits the whole schema (exactly one branch, for oneOf)."""
        branches = schema[keyword]
        values = [self.make({**{k: v for k, v in schema.items() if k != keyword}, **b}, depth + 1) for b in branches]
        for index, value in enumerate(values):
            if keyword == "oneOf":
                value = self.distinguish(value, index, branches)
            matching = sum(self.fits(value, b) for b in branches) if keyword == "oneOf" else 1
            if matching == 1 and self.fits(value, schema):
                return value
        return values[0] if values else None

    def distinguish(self, value: Any, chosen: int, branches: list[Any]) -> Any:
        """For oneOf branches that are open objects (any of them accepts the others' values), add to the value a
        property another branch defines, with a type that branch refuses, until only the chosen one accepts it."""
        if not isinstance(value, dict):
            return value
        own = self.resolve(branches[chosen]).get("properties", {})
        for index, branch in enumerate(branches):
            if index == chosen or not self.fits(value, branch):
                continue
            for name, sub in self.resolve(branch).get("properties", {}).items():
                if name in value or name in own:
                    continue
                wrong = next((w for w in (0, "x", [], {}, True) if not self.fits(w, sub)), None)
                if wrong is not None:
                    value = {**value, name: wrong}
                    break
        return value

    def resolve(self, schema: Any) -> dict[str, Any]:
        while isinstance(schema, dict) and "$ref" in schema:
            schema = self.root["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
        return schema if isinstance(schema, dict) else {}

    def typed(self, schema: dict[str, Any], depth: int) -> Any:
        kind = schema.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        if kind is None:
            kind = "object" if "properties" in schema else "string"
        if kind == "object":
            return self.object(schema, depth)
        if kind == "array":
            count = max(1 if depth <= FULL_DEPTH else 0, int(schema.get("minItems", 1 if depth <= FULL_DEPTH else 0)))
            items = [self.make(schema.get("items", {}), depth + 1) for _ in range(count)]
            if schema.get("uniqueItems"):
                items = [_varied(item, index) for index, item in enumerate(items)]
            return items
        if kind in ("integer", "number"):
            return self.number(schema, kind)
        if kind == "boolean":
            return True
        if kind == "null":
            return None
        return self.string(schema)

    def object(self, schema: dict[str, Any], depth: int) -> dict[str, Any]:
        properties = schema.get("properties", {})
        required = schema.get("required", [])
        wanted = properties if depth <= FULL_DEPTH else {n: s for n, s in properties.items() if n in required}
        value = {name: self.make(sub, depth + 1) for name, sub in wanted.items()}
        for name in required:
            value.setdefault(name, "text")
        extra = schema.get("additionalProperties", True)
        if not properties and extra is not False and depth <= FULL_DEPTH:
            # A free-form object: one entry, so it is not lost on the wire.
            value["key"] = self.make(extra, depth + 1) if isinstance(extra, dict) and extra else "text"
        if "anyOf" in schema:  # a file argument: pick the base64 branch
            value.pop("path", None)
        value = {k: v for k, v in value.items() if v is not None or k in required}
        for index in range(int(schema.get("minProperties", 0)) - len(value)):
            value[f"key{index}"] = self.make(extra, depth + 1) if isinstance(extra, dict) else "text"
        return value

    @staticmethod
    def number(schema: dict[str, Any], kind: str) -> int | float:
        """A number inside the bounds: 7 (or 1.5) when it fits, else one just above the minimum or the midpoint."""
        low, high = schema.get("minimum", schema.get("exclusiveMinimum")), schema.get("maximum")
        high = high if high is not None else schema.get("exclusiveMaximum")
        value: float = 7 if kind == "integer" else 1.5
        if low is not None and value <= low:
            value = low + 1 if kind == "integer" else low + 0.5
        if high is not None and value >= high:
            value = (low + high) / 2 if low is not None else high - 1
        return int(value) if kind == "integer" else float(value)

    def string(self, schema: dict[str, Any]) -> str:
        if schema.get("contentEncoding") == "base64":
            return base64.b64encode(b"file-bytes").decode()
        text = _FORMATS.get(str(schema.get("format")), "text")
        minimum = int(schema.get("minLength", 0))
        text += "x" * max(0, minimum - len(text))
        if "maxLength" in schema:
            text = text[: max(minimum, int(schema["maxLength"]))]
        pattern = schema.get("pattern")
        try:
            re.compile(pattern) if isinstance(pattern, str) else None
        except re.error:
            return text  # a pattern Python cannot read (the server drops such patterns, with a warning)
        if isinstance(pattern, str) and not self.fits(text, schema):
            return next((t for t in _TEXTS if self.fits(t, schema)), None) or _matching(pattern, minimum)
        return text


def _varied(item: Any, index: int) -> Any:
    """The index-th of distinct items (for `uniqueItems`): numbers counted up, texts numbered."""
    if index == 0:
        return item
    if isinstance(item, bool):
        return not item
    if isinstance(item, (int, float)):
        return item + index
    if isinstance(item, str):
        return f"{item}{index}"
    return item


@functools.cache
def _matching(pattern: str, minimum: int) -> str:
    """The simplest text a pattern accepts (hypothesis shrinks to it, the same every time)."""
    strategy = st.from_regex(re.compile(pattern), fullmatch=False).filter(lambda s: len(s) >= minimum)
    found: str = find(
        strategy,
        lambda _: True,
        settings=settings(database=None, derandomize=True, suppress_health_check=list(HealthCheck)),
    )
    return found


def example_instance(schema: Any, root: dict[str, Any] | None = None, depth: int = 0) -> Any:
    """A value valid against `schema`, with every optional property filled in (down to FULL_DEPTH levels)."""
    root = root if root is not None else schema
    return _Instances(root).make(schema, depth)

"""Every property described, at every depth: inside objects, list items, maps and each anyOf/oneOf/allOf branch.

A property the spec leaves undescribed (or describes with its own name, or a placeholder such as "(nested
object)") gets a fallback from `templates/tool/phrases.jinja` made of its name and its parent's. Before that, a
nullable union (`anyOf: [X, {type: null}]`) becomes X allowing null where that is exact, and a lone allOf part is
merged into its parent, so the description sits on the property itself rather than inside a branch.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

# Keywords of X that `anyOf: [X, {type: null}]` cannot be folded past: they would apply to the null too.
_UNFOLDABLE = frozenset({"$ref", "anyOf", "oneOf", "allOf", "not", "const", "if", "then", "else"})
_BRANCHES = ("anyOf", "oneOf", "allOf")
# Keywords both a union and its branch may hold: the union's own (the property's) win.
_ANNOTATIONS = frozenset({"description", "title", "default", "examples", "deprecated"})
_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]")
_IDENTIFIER = re.compile(r"[A-Za-z0-9_.-]+")
# Text some specs put where a description should be, telling nothing the schema does not.
_PLACEHOLDER = re.compile(
    r"\(?\s*(nested )?(object|array|string|integer|number|boolean|n/?a|none|null|todo|tbd)\s*\)?\.?", re.I
)


def is_weak(description: str, name: str) -> bool:
    """No description, one that only repeats the property's name ("Page" for `page`), or a placeholder such as
    "(nested object)"."""
    bare = _NOT_ALPHANUMERIC.sub("", description.lower())
    return (
        not bare or bare == _NOT_ALPHANUMERIC.sub("", name.lower()) or bool(_PLACEHOLDER.fullmatch(description.strip()))
    )


def _is_null(schema: object) -> bool:
    return (
        isinstance(schema, dict) and schema.get("type") in ("null", ["null"]) and set(schema) <= {"type", "description"}
    )


def simplified(schema: Mapping[str, object]) -> dict[str, object]:
    """`anyOf: [X, {type: null}]` as X with null among its types (and its enum), where that means the same; a
    single allOf part merged into its parent when their keywords do not overlap. Otherwise a nullable union keeps
    its branches, and gains the non-null branch's description when it has none."""
    result = dict(schema)
    for keyword in ("anyOf", "oneOf"):
        branches = result.get(keyword)
        if not (isinstance(branches, list) and len(branches) == 2 and any(_is_null(b) for b in branches)):
            continue
        other = next(b for b in branches if not _is_null(b))
        if not isinstance(other, dict):
            continue
        rest = {k: v for k, v in result.items() if k != keyword}
        if "type" in other and _UNFOLDABLE.isdisjoint(other) and not (set(other) & set(rest)) - _ANNOTATIONS:
            result = {**other, **rest, "type": _with_null(other["type"])}
            enum = result.get("enum")
            if isinstance(enum, list) and None not in enum:
                result["enum"] = [*enum, None]
        elif "description" not in result and isinstance(other.get("description"), str):
            result = {"description": other["description"], **result}
        break
    parts = result.get("allOf")
    if isinstance(parts, list) and len(parts) == 1 and isinstance(parts[0], dict) and "$ref" not in parts[0]:
        part, rest = parts[0], {k: v for k, v in result.items() if k != "allOf"}
        if not (set(part) & set(rest)) - _ANNOTATIONS:
            result = {**part, **rest}
    return result


def _with_null(kind: object) -> object:
    if isinstance(kind, list):
        return kind if "null" in kind else [*kind, "null"]
    return kind if kind == "null" else [kind, "null"]


Fallback = Callable[[str, str, str, str], str]
"""Writes a description for an undescribed property: `fallback(name, location, parent, kind)`."""


class Describer:
    """Gives undescribed properties a description; `fallback(name, location, parent, kind)` writes one."""

    def __init__(self, fallback: Fallback) -> None:
        self.fallback = fallback

    def property(self, name: str, schema: Mapping[str, object], location: str, parent: str) -> dict[str, object]:
        """The property with a useful description, and everything inside it described too."""
        result = simplified(schema)
        if is_weak(str(result.get("description", "")), name):
            kind = result.get("type")
            kind = next((k for k in kind if k != "null"), "") if isinstance(kind, list) else kind or ""
            result["description"] = str(self.fallback(name, location, parent, str(kind)))
        return self.members(result, location, name)

    def members(self, schema: Mapping[str, object], location: str, owner: str) -> dict[str, object]:
        """A schema whose properties (and those of its items, map values and branches) are described; `owner` is
        the property they belong to, named in fallbacks. A `title` that is only an identifier (`address_param`)
        tells a model nothing and goes."""
        result = dict(schema)
        title = result.get("title")
        if isinstance(title, str) and _IDENTIFIER.fullmatch(title):
            del result["title"]
        properties = result.get("properties")
        if isinstance(properties, dict):
            result["properties"] = {
                child: self.property(child, sub, location, owner) if isinstance(sub, dict) else sub
                for child, sub in properties.items()
            }
        items = result.get("items")
        if isinstance(items, dict):
            if "description" in items and is_weak(str(items["description"]), owner):
                items = {k: v for k, v in items.items() if k != "description"}
            result["items"] = self.members(simplified(items), location, owner)
        extra = result.get("additionalProperties")
        if isinstance(extra, dict):
            result["additionalProperties"] = self.members(simplified(extra), location, owner)
        for keyword in _BRANCHES:
            branches = result.get(keyword)
            if isinstance(branches, list):
                result[keyword] = [
                    self.members(simplified(b), location, owner) if isinstance(b, dict) else b for b in branches
                ]
        return result

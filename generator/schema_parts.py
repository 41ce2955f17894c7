"""What the schema compiler and linking share: the direction a schema is read in, the depth bound, compiled parts
and the placeholders their references leave."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["input", "output"]

# The most schemas nested in one another (references followed) that a compiled schema holds: each file is at
# most 256 levels deep (see load.py), but a chain of references can nest such parts without end.
MAX_SCHEMA_DEPTH = 200
TOO_DEEP = (
    f"schema nested more than {MAX_SCHEMA_DEPTH} levels deep once references are followed;"
    " the deeper part is accepted as any value"
)


@dataclass(frozen=True)
class Ref:
    """Where a compiled schema refers to another one: a placeholder that linking replaces by the target's body
    (inlined) or by a `$ref` into `$defs`."""

    ref: str
    pointer: str
    descends: bool
    """Whether the path from the enclosing body's root to here passes into a part of the value (an item, a
    property): a cycle with no such step would send a validator round in circles."""
    annotations: tuple[tuple[str, object], ...] = ()
    """Siblings of the `$ref` that refine the target (description, title, default...)."""
    nullable: bool = False


@dataclass(frozen=True)
class Part:
    """A compiled schema whose references are still placeholders; a `Linking` turns it into JSON Schema."""

    tree: object
    """The compiled schema: a mapping, a placeholder, or a boolean schema as written."""
    direction: Direction
    refs: tuple[Ref, ...]
    """Its placeholders, in document order."""
    pointer: str = ""


def make_nullable(out: dict[str, object]) -> None:
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
    enum = out.get("enum")
    if isinstance(enum, list) and None not in enum:
        out["enum"] = [*enum, None]

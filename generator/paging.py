"""How a tool's answer can be shaped on request: where a list tool's records are, how it pages (page and size,
offset and limit, or a cursor), recognised from any spec's parameters and response, and the inputs that use it
(`fields` to project the answer, `max_items` to follow the pages)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from generator.ir import Argument, Paging, Shape

Schema = Mapping[str, object]

FIELDS = "fields"
MAX_ITEMS = "max_items"
MAX_ITEMS_LIMIT = 1000
"""The most records one call collects across pages (the result budget cuts what does not fit)."""

PAGE_NAMES = frozenset({"page", "pagenumber", "pageno", "pagenum", "pageindex"})
SIZE_NAMES = frozenset(
    {"perpage", "pagesize", "limit", "size", "count", "maxresults", "top", "pagelen", "pagelength", "resultsperpage"}
)
OFFSET_NAMES = frozenset({"offset", "skip", "startindex", "startposition"})
CURSOR_NAMES = frozenset(
    {
        "cursor",
        "pagetoken",
        "nextpagetoken",
        "nexttoken",
        "continuationtoken",
        "continue",
        "marker",
        "after",
        "startingafter",
        "afterid",
        "pagecursor",
        "startcursor",
    }
)
AFTER_ID_NAMES = frozenset({"startingafter", "after", "afterid"})
"""Cursor inputs that, where the answer names no next cursor, take the last record's `id`."""
NEXT_FIELDS = frozenset(
    {"nextcursor", "nextpagetoken", "nexttoken", "continuationtoken", "nextmarker", "endcursor", "nextpagecursor"}
)
MORE_FIELDS = frozenset({"hasmore", "hasnextpage", "moreresults", "istruncated"})
LIST_FIELDS = ("data", "items", "results", "result", "records", "entries", "values", "value", "elements", "objects")
"""Where an envelope keeps its records, when it has more than one list."""
STATUS_LISTS = frozenset({"errors", "warnings", "messages", "notices"})
"""Lists an envelope carries beside its records, about the call itself."""


def squashed(name: str) -> str:
    return re.sub(r"[^a-z0-9]", "", name.lower())


def _resolved(schema: object, root: Schema) -> Schema:
    """A schema with its local references followed (full output schemas keep shared ones in `$defs`)."""
    for _ in range(8):
        if not isinstance(schema, Mapping) or not isinstance(schema.get("$ref"), str):
            break
        target: object = root
        for part in str(schema["$ref"]).removeprefix("#/").split("/"):
            target = target.get(part) if isinstance(target, Mapping) else None
        schema = target
    return schema if isinstance(schema, Mapping) else {}


def properties(schema: object, root: Schema) -> dict[str, Schema]:
    """An object schema's properties, its `allOf` parts' included."""
    resolved = _resolved(schema, root)
    found: dict[str, Schema] = {}
    parts = resolved.get("allOf")
    for part in parts if isinstance(parts, list) else []:
        found.update(properties(part, root))
    own = resolved.get("properties")
    if isinstance(own, Mapping):
        found.update({str(k): _resolved(v, root) for k, v in own.items()})
    return found


def _is_array(schema: Schema) -> bool:
    kind = schema.get("type")
    return kind == "array" or (isinstance(kind, list) and "array" in kind) or "items" in schema


def _is_object(schema: Schema, root: Schema) -> bool:
    kind = schema.get("type")
    return kind == "object" or bool(properties(schema, root))


def items_key(output: Schema, wrapped: bool) -> str:
    """The key of the structured result that holds a list tool's records ("" when it is no list)."""
    fields = properties(output, output)
    if wrapped:
        return "result" if _is_array(fields.get("result", {})) else ""
    lists = [name for name, schema in fields.items() if _is_array(schema) and squashed(name) not in STATUS_LISTS]
    if len(lists) == 1:
        return lists[0]
    return next((name for name in LIST_FIELDS if name in lists), "")


def _path_to(output: Schema, names: frozenset[str], depth: int = 2) -> str:
    """The dotted path of the first field (breadth first, `depth` levels) whose squashed name is one of `names`."""
    level: list[tuple[str, Schema]] = [("", output)]
    for _ in range(depth):
        deeper: list[tuple[str, Schema]] = []
        for prefix, schema in level:
            for name, inner in properties(schema, output).items():
                path = f"{prefix}.{name}" if prefix else name
                if squashed(name) in names:
                    return path
                deeper.append((path, inner))
        level = deeper
    return ""


def _numeric(schema: Schema) -> bool:
    kind = schema.get("type")
    return kind in ("integer", "number", None) or (isinstance(kind, list) and bool({"integer", "number"} & set(kind)))


def _int(schema: Schema, key: str) -> int | None:
    value = schema.get(key)
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and value >= 1 else None


def paging(
    arguments: list[Argument], inputs: Schema, output: Schema, key: str, default_page_size: int | None
) -> Paging | None:
    """The paging a GET list tool's query parameters and answer show, or None."""
    found: dict[str, tuple[str, Schema]] = {}
    props = inputs.get("properties")
    schemas = props if isinstance(props, Mapping) else {}
    for argument in arguments:
        if argument.location != "query" or argument.members or argument.bind_env or argument.hidden:
            continue
        schema = _resolved(schemas.get(argument.property_name, {}), inputs)
        wire = squashed(argument.wire_name)
        for role, names in (("page", PAGE_NAMES), ("size", SIZE_NAMES), ("offset", OFFSET_NAMES)):
            if wire in names and _numeric(schema):
                found.setdefault(role, (argument.property_name, schema))
        if wire in CURSOR_NAMES and schema.get("type") in ("string", None):
            found.setdefault("cursor", (argument.property_name, schema))
    size, size_schema = found.get("size", ("", {}))
    documented, maximum = _int(size_schema, "default"), _int(size_schema, "maximum")
    fill = _fill(default_page_size, documented, maximum) if size else None
    more = _path_to(output, MORE_FIELDS)
    if "cursor" in found:
        cursor, _ = found["cursor"]
        wire = squashed(next(a.wire_name for a in arguments if a.property_name == cursor))
        after = _path_to(output, NEXT_FIELDS | {wire})
        last_id = ""
        if not after and wire in AFTER_ID_NAMES:
            records = properties(output, output).get(key, {})
            last_id = "id" if "id" in properties(_resolved(records.get("items", {}), output), output) else ""
            if not last_id:
                return None  # an opaque `after` with nothing in the answer to follow
        return Paging("cursor", cursor, size, documented, maximum, after, last_id, more, fill)
    if "page" in found:
        return Paging("page", found["page"][0], size, documented, maximum, more=more, fill=fill)
    if "offset" in found:
        return Paging("offset", found["offset"][0], size, documented, maximum, more=more, fill=fill)
    return None


def _fill(default_page_size: int | None, documented: int | None, maximum: int | None) -> int | None:
    """The page size to ask for when the caller gives none: the configured one, where the API's documented
    default is larger (or unknown), within its maximum."""
    if default_page_size is None or (documented is not None and documented <= default_page_size):
        return None
    return min(default_page_size, maximum) if maximum is not None else default_page_size


def shape(
    method: str,
    path: str,
    arguments: list[Argument],
    inputs: Schema,
    output: Schema | None,
    wrapped: bool,
    default_page_size: int | None,
) -> Shape:
    """What the tool's answer offers. `output`: the whole output schema (before it is trimmed for the listing).

    A bare list is a list tool's answer; so is an object with one list of records where the tool pages, or where
    a GET of a collection (a path that does not end in an ID) keeps it under a usual name (`data`, `items`...)."""
    if output is None:
        return Shape()
    taken = inputs.get("properties")
    names = set(taken) if isinstance(taken, Mapping) else set()
    key = items_key(output, wrapped)
    pages = None
    if key and method == "GET" and MAX_ITEMS not in names:
        pages = paging(arguments, inputs, output, key, default_page_size)
    collection = method == "GET" and not path.rstrip("/").endswith("}") and key in LIST_FIELDS
    if not wrapped and pages is None and not collection:
        key = ""
    records = properties(output, output).get(key, {}) if key else {}
    record = _resolved(records.get("items", {}), output) if key else {}
    projectable = _is_object(record, output) if key else (not wrapped and _is_object(output, output))
    return Shape(items=key, fields=projectable and FIELDS not in names, paging=pages)

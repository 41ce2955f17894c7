"""JSON Schema checks of arguments and results (jsonschema, which `mcp` brings), with `pattern` matched only on
strings short enough to match in bounded time."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from typing import Any

PATTERN_MAX_LENGTH = 256
"""Longer strings are not matched against a `pattern` here (the API still checks them). Python's `re` holds the
event loop while it matches: the generator drops patterns that can take exponential time, and this bound keeps
the polynomial ones (such as a URL pattern with nested optional groups, cubic on crafted input) to milliseconds."""


@cache
def _compiled(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _bounded_pattern(validator: Any, pattern: str, instance: Any, schema: dict[str, Any]) -> Iterator[Any]:
    from jsonschema.exceptions import ValidationError

    if not validator.is_type(instance, "string") or len(instance) > PATTERN_MAX_LENGTH:
        return
    compiled = _compiled(pattern)
    if compiled is not None and compiled.search(instance) is None:
        yield ValidationError(f"{instance!r} does not match {pattern!r}")


@cache
def _validator_class() -> Any:
    from jsonschema import Draft202012Validator, validators

    return validators.extend(Draft202012Validator, {"pattern": _bounded_pattern})  # type: ignore[no-untyped-call]


def validator(schema: dict[str, Any]) -> Any:
    """A Draft 2020-12 validator for the schema, its `pattern` bounded; None without jsonschema."""
    try:
        return _validator_class()(schema)
    except ImportError:  # pragma: no cover - mcp depends on jsonschema
        return None


def problems(checker: Any, instance: Any) -> list[str]:
    """Every way the instance breaks the schema, one line each, in the order of where they are."""
    if checker is None:
        return []
    found = []
    for error in sorted(checker.iter_errors(instance), key=_where):
        where = "/".join(str(part) for part in error.absolute_path) or "arguments"
        found.append(f"{where}: {error.message}")
    return found


def _where(error: Any) -> list[tuple[int, int, str]]:
    """Sorts errors by where they are: list positions by number, names by name."""
    return [(0, part, "") if isinstance(part, int) else (1, 0, str(part)) for part in error.absolute_path]

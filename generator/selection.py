"""Which operations become tools, and per-operation overrides, as the config's `operations` section says."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from generator.diagnostics import Diagnostic, GenerationError
from generator.openapi import escape_token, json_list

_RULE_KEYS = {"tags", "paths", "methods", "operation_ids"}
_OVERRIDE_KEYS = {"name", "title", "description_addendum", "annotations"}
_ANNOTATION_KEYS = {"readOnlyHint", "destructiveHint", "idempotentHint", "openWorldHint"}


@dataclass(frozen=True)
class Rule:
    """Matches an operation when every field it sets matches (globs for tags, paths and operationIds)."""

    tags: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    methods: tuple[str, ...] = ()
    operation_ids: tuple[str, ...] = ()

    def matches(self, method: str, path: str, operation_id: str, tags: tuple[str, ...]) -> bool:
        checks = [
            not self.tags or any(fnmatchcase(tag, glob) for tag in tags for glob in self.tags),
            not self.paths or any(fnmatchcase(path, glob) for glob in self.paths),
            not self.methods or method.upper() in self.methods,
            not self.operation_ids or any(fnmatchcase(operation_id, glob) for glob in self.operation_ids),
        ]
        return all(checks)


@dataclass(frozen=True)
class Override:
    """Per-operation changes: a name, a title, a sentence added to the description, annotation hints."""

    name: str = ""
    title: str = ""
    description_addendum: str = ""
    annotations: tuple[tuple[str, bool], ...] = ()


@dataclass(frozen=True)
class Selection:
    include: tuple[Rule, ...] = ()
    exclude: tuple[Rule, ...] = ()
    overrides: tuple[tuple[str, Override], ...] = field(default_factory=tuple)

    def selects(self, method: str, path: str, operation_id: str, tags: tuple[str, ...]) -> bool:
        included = not self.include or any(r.matches(method, path, operation_id, tags) for r in self.include)
        return included and not any(r.matches(method, path, operation_id, tags) for r in self.exclude)

    def override_for(self, method: str, path: str, operation_id: str) -> Override | None:
        keys = {operation_id, f"{method.upper()} {path}"}
        return next((override for key, override in self.overrides if key in keys), None)


def _strings(value: object, where: str, source: str) -> tuple[str, ...]:
    items = json_list([value] if isinstance(value, str) else value)
    strings = tuple(v for v in items if isinstance(v, str))
    if not isinstance(value, (str, list)) or len(strings) != len(items):
        raise GenerationError([Diagnostic("error", "config", "expected a string or a list of strings", source, where)])
    return strings


def parse_rules(raw: object, where: str, source: str) -> tuple[Rule, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        raise GenerationError([Diagnostic("error", "config", "expected a list of rules", source, where)])
    rules = []
    for index, item in enumerate(raw):
        pointer = f"{where}/{index}"
        if not isinstance(item, dict) or not item or set(item) - _RULE_KEYS:
            known = ", ".join(sorted(_RULE_KEYS))
            message = f"a rule is a mapping of {known}"
            raise GenerationError([Diagnostic("error", "config", message, source, pointer)])
        values = {key: _strings(value, f"{pointer}/{key}", source) for key, value in item.items()}
        if "methods" in values:
            values["methods"] = tuple(m.upper() for m in values["methods"])
        rules.append(Rule(**values))
    return tuple(rules)


def _override(key: str, raw: object, source: str) -> Override:
    pointer = f"/operations/overrides/{escape_token(key)}"
    if not isinstance(raw, dict) or set(raw) - _OVERRIDE_KEYS:
        message = f"an override may set {', '.join(sorted(_OVERRIDE_KEYS))}"
        raise GenerationError([Diagnostic("error", "config", message, source, pointer)])
    name = raw.get("name", "")
    if name and not (isinstance(name, str) and re.fullmatch(r"[a-z][a-z0-9_]{0,63}", name)):
        message = f"override name {name!r} must be snake_case, at most 64 characters"
        raise GenerationError([Diagnostic("error", "config", message, source, pointer + "/name")])
    hints = raw.get("annotations", {})
    if (
        not isinstance(hints, dict)
        or set(hints) - _ANNOTATION_KEYS
        or not all(isinstance(v, bool) for v in hints.values())
    ):
        message = f"annotations may set {', '.join(sorted(_ANNOTATION_KEYS))} to true or false"
        raise GenerationError([Diagnostic("error", "config", message, source, pointer + "/annotations")])
    for text_key in ("title", "description_addendum"):
        if not isinstance(raw.get(text_key, ""), str):
            raise GenerationError([Diagnostic("error", "config", "expected text", source, f"{pointer}/{text_key}")])
    return Override(
        name=str(name),
        title=str(raw.get("title", "")),
        description_addendum=str(raw.get("description_addendum", "")),
        annotations=tuple(sorted(hints.items())),
    )


def parse_selection(raw: object, source: str) -> Selection:
    """The `operations` section: `include` and `exclude` rule lists and `overrides` by operationId or `METHOD /path`."""
    if raw is None:
        return Selection()
    if not isinstance(raw, dict) or set(raw) - {"include", "exclude", "overrides"}:
        message = "`operations` may set include, exclude and overrides"
        raise GenerationError([Diagnostic("error", "config", message, source, "/operations")])
    overrides = raw.get("overrides") or {}
    if not isinstance(overrides, dict):
        raise GenerationError([Diagnostic("error", "config", "expected a mapping", source, "/operations/overrides")])
    return Selection(
        include=parse_rules(raw.get("include"), "/operations/include", source),
        exclude=parse_rules(raw.get("exclude"), "/operations/exclude", source),
        overrides=tuple((str(key), _override(str(key), value, source)) for key, value in overrides.items()),
    )

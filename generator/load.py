"""Stage 1, load: read a YAML or JSON file into plain JSON-compatible data, with file and line on errors."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from generator.diagnostics import Diagnostic, GenerationError


class _JsonCompatibleLoader(yaml.SafeLoader):
    """A safe YAML loader that yields only JSON types: no dates, and every mapping key a string."""


# YAML 1.1 turns `2024-01-01` into a date and `on` into a boolean; OpenAPI means the JSON data model.
_JsonCompatibleLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _construct_mapping(loader: _JsonCompatibleLoader, node: yaml.MappingNode) -> dict[str, Any]:
    loader.flatten_mapping(node)
    mapping: dict[str, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, bool):
            key = str(key).lower()
        mapping[str(key) if key is not None else "null"] = loader.construct_object(value_node, deep=True)
    return mapping


_JsonCompatibleLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _error(path: Path, kind: str, message: str, line: int | None = None) -> GenerationError:
    return GenerationError([Diagnostic("error", kind, message, str(path), line=line)])


def parse_text(text: str, path: Path) -> Any:
    """Parse JSON (for `.json` files) or YAML (anything else, a superset of JSON) from text."""
    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise _error(path, "invalid-json", f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
    try:
        return yaml.load(text, Loader=_JsonCompatibleLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "not valid YAML"
        raise _error(path, "invalid-yaml", f"invalid YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise _error(path, "invalid-yaml", f"invalid YAML: {exc}") from None


def read_text(path: Path) -> str:
    """Read a UTF-8 file, turning every I/O problem into a one-line error."""
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise _error(path, "file-not-found", "file not found") from None
    except IsADirectoryError:
        raise _error(path, "not-a-file", "is a directory, not a file") from None
    except UnicodeDecodeError as exc:
        raise _error(path, "not-utf8", f"not UTF-8 text (byte {exc.start})") from None
    except OSError as exc:
        raise _error(path, "unreadable", f"cannot read file: {exc.strerror}") from None


def load_mapping(path: Path) -> dict[str, Any]:
    """Load a file whose top level must be a mapping (an OpenAPI document or a config file)."""
    data = parse_text(read_text(path), path)
    if not isinstance(data, dict):
        found = "empty" if data is None else f"a {type(data).__name__}"
        raise _error(path, "not-a-mapping", f"expected a mapping at the top level, found {found}", 1)
    return data

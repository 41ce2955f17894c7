"""Stage 1, load: read a YAML or JSON file into plain JSON-compatible data, with file and line on errors.

Data that later stages could not take is refused here, with a clear error instead of a crash or a hang:
nesting deeper than MAX_DEPTH, YAML aliases that expand past MAX_VALUES values (an "alias bomb"), text
that is not Unicode (a lone surrogate from a `\\ud800` escape), and file names with control characters
(the spec's name is written into every generated file).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from generator.diagnostics import Diagnostic, GenerationError
from generator.openapi import json_pointer

MAX_DEPTH = 256
"""The deepest nesting of mappings and lists accepted: 100 levels of nested schemas take about 210."""
MAX_VALUES = 10_000_000
"""The most values (counting every use of a YAML alias) a document may hold."""

_SURROGATE = re.compile(r"[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\(u|U0000)[dD][89a-fA-F]")
_UNSAFE_IN_FILE_NAME = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


class _JsonCompatibleLoader(yaml.SafeLoader):
    """A safe YAML loader that yields only JSON types: no dates, and every mapping key a string.

    Pure Python, and the one that explains errors: it names the line and counts alias uses as it reads."""

    aliases = 0
    """How many `*alias` uses were read: without any, the data is a tree, cheap to measure."""

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
        return super().compose_node(parent, index)


_FastJsonCompatibleLoader: type[yaml.CSafeLoader] | type[yaml.SafeLoader]
"""The same loader on libyaml when PyYAML has it (about four times faster), for documents that load without error."""
if yaml.__with_libyaml__:

    class _LibyamlJsonCompatibleLoader(yaml.CSafeLoader):
        """The JSON-compatible loader on libyaml."""

    _FastJsonCompatibleLoader = _LibyamlJsonCompatibleLoader
else:

    class _PurePythonJsonCompatibleLoader(yaml.SafeLoader):
        """The JSON-compatible loader in pure Python, without counting aliases."""

    _FastJsonCompatibleLoader = _PurePythonJsonCompatibleLoader


# YAML 1.1 turns `2024-01-01` into a date and `on` into a boolean; OpenAPI means the JSON data model.
_JSON_RESOLVERS = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_JsonCompatibleLoader.yaml_implicit_resolvers = _JSON_RESOLVERS
_FastJsonCompatibleLoader.yaml_implicit_resolvers = _JSON_RESOLVERS
# An anchor (`&name`) is what any alias needs: without one, the data is a tree.
# The pattern finds every anchor (and sometimes text that only looks like one, which costs the slower loader).
_ANCHOR = re.compile(r"(?:^|:|^[ \t]*-|[\[{,])[ \t]*&[^\s\[\]{},]", re.MULTILINE)


def _construct_mapping(loader: yaml.SafeLoader | yaml.CSafeLoader, node: yaml.MappingNode) -> dict[str, object]:
    loader.flatten_mapping(node)
    mapping: dict[str, object] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if isinstance(key, bool):
            key = str(key).lower()
        mapping[str(key) if key is not None else "null"] = loader.construct_object(value_node, deep=True)
    return mapping


_JsonCompatibleLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_FastJsonCompatibleLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _error(path: Path, kind: str, message: str, line: int | None = None) -> GenerationError:
    return GenerationError([Diagnostic("error", kind, message, str(path), line=line)])


def parse_text(text: str, path: Path) -> object:
    """Parse JSON or YAML (a superset of JSON) from text: JSON for `.json` files, and for files whose extension
    says nothing (`swagger.json.unprocessed`) but whose text starts like JSON; YAML otherwise."""
    data, shared = _parse(text, path)
    check_structure(data, path, shared=shared, escapes=_SURROGATE_ESCAPE.search(text) is not None)
    return data


_YAML_SUFFIXES = frozenset({".yaml", ".yml"})


def _parse(text: str, path: Path) -> tuple[object, bool]:
    """The data, and whether YAML aliases made parts of it shared (so that it is no longer a plain tree)."""
    suffix = path.suffix.lower()
    if suffix == ".json":
        return _parse_json(text, path), False
    if suffix not in _YAML_SUFFIXES and text.lstrip()[:1] in ("{", "["):
        try:
            return json.loads(text), False
        except (json.JSONDecodeError, RecursionError):
            pass  # YAML's flow style also starts with a brace: let YAML read it or explain why not
    try:
        data = yaml.load(text, Loader=_FastJsonCompatibleLoader)
    except (yaml.YAMLError, RecursionError):
        return _parse_yaml(text, path)  # the pure-Python loader reads it again to report the error exactly
    if _ANCHOR.search(text) is None:
        return data, False
    sharing = _sharing(data)
    if sharing == "cycle":
        return _parse_yaml(text, path)  # it refuses a recursive alias, naming the line
    return data, sharing == "shared"


def _sharing(data: object) -> str:
    """`tree`, `shared` (a mapping or list reached twice, through YAML aliases) or `cycle` (one inside itself)."""
    entered: set[int] = set()
    finished: set[int] = set()
    shared = False
    stack: list[tuple[object, bool]] = [(data, False)]
    while stack:
        node, leaving = stack.pop()
        if leaving:
            finished.add(id(node))
            continue
        if id(node) in entered:
            if id(node) not in finished:
                return "cycle"
            shared = True
            continue
        entered.add(id(node))
        stack.append((node, True))
        children = node.values() if isinstance(node, dict) else node if isinstance(node, list) else ()
        stack.extend((child, False) for child in children if isinstance(child, (dict, list)))
    return "shared" if shared else "tree"


def _parse_json(text: str, path: Path) -> object:
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise _error(path, "invalid-json", f"invalid JSON: {exc.msg} (column {exc.colno})", exc.lineno) from None
    except RecursionError:
        raise _error(path, "too-deep", _TOO_DEEP) from None


_TOO_DEEP = f"nested too deeply to read (the limit is {MAX_DEPTH} levels)"


def _parse_yaml(text: str, path: Path) -> tuple[object, bool]:
    """YAML with the pure-Python loader: it counts aliases, and its errors name the line."""
    loader: _JsonCompatibleLoader | None = None
    try:
        loader = _JsonCompatibleLoader(text)  # reading starts here: a NUL byte already fails
        return loader.get_single_data(), loader.aliases > 0
    except yaml.reader.ReaderError as exc:  # a character YAML does not allow, such as a NUL or an escape byte
        where = text.count("\n", 0, exc.position) + 1
        character = ascii(chr(exc.character))[1:-1] if isinstance(exc.character, int) else "?"
        raise _error(path, "invalid-yaml", f"invalid YAML: the character {character} is not allowed", where) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or exc.context or "not valid YAML"
        raise _error(path, "invalid-yaml", f"invalid YAML: {problem}", line) from None
    except yaml.YAMLError as exc:
        raise _error(path, "invalid-yaml", f"invalid YAML: {exc}") from None
    except RecursionError:
        raise _error(path, "too-deep", _TOO_DEEP) from None
    finally:
        if loader is not None:
            loader.dispose()


def _children(node: dict[str, object] | list[object]) -> list[tuple[str | int, object]]:
    return list(node.items()) if isinstance(node, dict) else list(enumerate(node))


def json_depth(data: object) -> int:
    """How deep mappings and lists nest in a tree (a scalar is 0): one level at a time, no recursion, no per-node
    bookkeeping, so a document or schema hundreds of levels deep costs no stack."""
    depth, level = 0, [data] if isinstance(data, (dict, list)) else []
    while level:
        depth += 1
        below: list[dict[str, object] | list[object]] = []
        for node in level:
            below.extend(
                [
                    child
                    for child in (node.values() if isinstance(node, dict) else node)
                    if isinstance(child, (dict, list))
                ]
            )
        level = below
    return depth


def _measure(data: object) -> dict[int, tuple[int, int]]:
    """Per distinct mapping or list (by id): how many values it holds once aliases are expanded, and its depth.

    Iterative and linear in the distinct nodes, so measuring an alias bomb costs nothing.
    """
    measured: dict[int, tuple[int, int]] = {}
    stack: list[tuple[object, bool]] = [(data, False)]
    while stack:
        node, done = stack.pop()
        if not isinstance(node, (dict, list)) or (not done and id(node) in measured):
            continue
        values = list(node.values()) if isinstance(node, dict) else node
        if done:
            size, depth = 1 + len(values), 1
            for child in values:
                if isinstance(child, (dict, list)):
                    child_size, child_depth = measured.get(id(child), (1, 0))
                    size, depth = size + child_size - 1, max(depth, child_depth + 1)
            measured[id(node)] = (min(size, MAX_VALUES + 1), depth)
        else:
            stack.append((node, True))
            stack.extend((child, False) for child in values)
    return measured


def _deepest_pointer(data: object, measured: dict[int, tuple[int, int]]) -> str:
    """The pointer MAX_DEPTH levels down the deepest branch: where the document goes too deep."""
    tokens: list[str | int] = []
    node = data
    for _ in range(MAX_DEPTH):
        children = _children(node) if isinstance(node, (dict, list)) else []
        branches = [(measured[id(c)][1], k, c) for k, c in children if isinstance(c, (dict, list))]
        if not branches:
            break
        deepest = max(depth for depth, _, _ in branches)
        key, node = next((k, c) for depth, k, c in branches if depth == deepest)
        tokens.append(key)
    return json_pointer(*tokens)


def _has_surrogate(value: object) -> bool:
    return isinstance(value, str) and not value.isascii() and _SURROGATE.search(value) is not None


def _surrogate_pointer(data: object) -> str | None:
    """The pointer of the first key or text (in document order) holding a lone surrogate; None when none does."""
    if _has_surrogate(data):
        return ""
    stack: list[tuple[object, tuple[str | int, ...]]] = [(data, ())]
    while stack:
        node, tokens = stack.pop()
        if not isinstance(node, (dict, list)):
            continue
        children = _children(node)
        for key, child in children:
            if _has_surrogate(key) or _has_surrogate(child):
                return json_pointer(*tokens, key)
        stack.extend((child, (*tokens, key)) for key, child in reversed(children))
    return None


def check_structure(data: object, path: Path, *, shared: bool = True, escapes: bool = True) -> None:
    """Refuse data later stages cannot take: too many values once aliases expand, too deep, or not Unicode.

    `shared` says parts of the data may be shared (YAML aliases); `escapes` that its text may hold a lone
    surrogate (the source has a `\\uD800`-style escape). Both default to the safe side.
    """
    if shared:
        measured = _measure(data)
        size, depth = measured.get(id(data), (1, 0))
        if size > MAX_VALUES:
            message = f"the document holds more than {MAX_VALUES:,} values once its YAML aliases are expanded"
            raise _error(path, "too-large", f"{message} (an alias bomb?); refusing to expand it")
    else:
        depth = json_depth(data)
    if depth > MAX_DEPTH:
        pointer = _deepest_pointer(data, _measure(data))
        message = f"nested more than {MAX_DEPTH} levels deep; later stages cannot follow it"
        raise GenerationError([Diagnostic("error", "too-deep", message, str(path), pointer)])
    found = _surrogate_pointer(data) if escapes else None
    if found is not None:
        message = "text holds a lone surrogate (a `\\ud800`-style escape without its pair), which is not Unicode"
        raise GenerationError([Diagnostic("error", "not-unicode", message, str(path), found)])


def read_text(path: Path) -> str:
    """Read a UTF-8 file, turning every I/O problem into a one-line error."""
    unsafe = _UNSAFE_IN_FILE_NAME.search(path.name)
    if unsafe is not None:
        message = f"the file name holds a control character ({ascii(unsafe.group())[1:-1]}); rename the file"
        raise _error(path, "bad-file-name", message)
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


def load_mapping(path: Path) -> dict[str, object]:
    """Load a file whose top level must be a mapping (an OpenAPI document or a config file)."""
    data = parse_text(read_text(path), path)
    if not isinstance(data, dict):
        found = "empty" if data is None else f"a {type(data).__name__}"
        raise _error(path, "not-a-mapping", f"expected a mapping at the top level, found {found}", 1)
    return data

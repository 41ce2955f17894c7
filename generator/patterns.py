"""Spec regular expressions as Python's `re` reads them, and the ones it could take exponential time to match."""

from __future__ import annotations

import array
import functools
import importlib
import re
import sys
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol


class _Named(Protocol):
    """One of `re`'s named constants (an opcode, a category): an int with a name."""

    @property
    def name(self) -> str: ...


class _State(Protocol):
    @property
    def flags(self) -> int: ...


class _SubPattern(Protocol):
    """A pattern or part of one as `re`'s parser reads it: its items, each an opcode and the opcode's argument
    (whose shape depends on the opcode: narrowed where it is read), and the flags the whole pattern sets."""

    @property
    def data(self) -> list[tuple[_Named, object]]: ...

    @property
    def state(self) -> _State: ...


# Python's own regex parser (`sre_parse` before 3.11): the analysis reads the pattern exactly as `re` does. The
# module is private and has no type information: what this module uses of it is declared here, once.
_parser = importlib.import_module("re._parser")
_constants = importlib.import_module("re._constants")
_parse: Callable[[str], _SubPattern] = _parser.parse
_SUBPATTERN: type[_SubPattern] = _parser.SubPattern
_NAMED: type[_Named] = _constants._NamedIntConstant
_MAXREPEAT: int = _constants.MAXREPEAT

MAX_POSITIONS = 2_000
"""The most character positions a pattern may expand to; a larger one is reported as too large to check."""
MAX_STEPS = 500_000
"""The most work (pairs of positions reached, ranges of characters compared) the search for ambiguity may do;
past it the pattern is too large to check."""
UNROLLED = 4
"""Counted repeats of at most this many copies (`(\\d{1,3}\\.){3}`) are read exactly; larger ones as loops."""

AMBIGUOUS = "a repeated part can match the same text in more than one way"
TOO_LARGE = "too large to check"

Ranges = tuple[tuple[int, int], ...]
"""A set of characters: sorted, disjoint, non-adjacent ranges of code points, both ends included."""
_EVERYTHING: Ranges = ((0, sys.maxunicode),)
_NAMED_GROUP = re.compile(r"\(\?<(?![=!])")
_IGNORECASE, _DOTALL, _ASCII = re.IGNORECASE.value, re.DOTALL.value, re.ASCII.value
_CATEGORIES = {"DIGIT": r"\d", "SPACE": r"\s", "WORD": r"\w", "LINEBREAK": r"\n"}


def python_pattern(pattern: str) -> str | None:
    """The pattern as Python's `re` reads it (ECMAScript's `(?<name>` spelled `(?P<name>`), or None when it
    does not compile either way."""
    for candidate in (pattern, _NAMED_GROUP.sub("(?P<", pattern)):
        try:
            re.compile(candidate)
        except (re.error, OverflowError, RecursionError):
            continue
        return candidate
    return None


@functools.lru_cache(maxsize=4096)
def backtracking_risk(pattern: str) -> str:
    """Why matching a pattern (one `re` compiles: see `python_pattern`) with Python's `re` can take time
    exponential in the text's length; empty when it cannot.

    A backtracking matcher is exponential exactly when some repeated part can match one text in two different
    ways (`(a+)+`, `(\\w+\\s?)*`, `(a|a)*`, `(a|aa)*`): each extra character then multiplies the ways it tries
    before a failing match gives up. The pattern, as Python's parser reads it (`(\\d|\\w)` is one character set
    there, so `(\\d|\\w)+` is safe), becomes an automaton of its character positions (with how many ways each step
    can be taken), and a loop that two different paths can go round on the same text is looked for in the
    product of the automaton with itself. Lookarounds are checked as patterns of their own; a backreference
    counts as any text; atomic groups and possessive repeats are read as ordinary ones; a repeat only ever
    followed by success (`(\\S+\\s*)+$`) is still named: where the analysis approximates, it names the pattern.
    Repeats that cost a polynomial (`\\d+\\d+$`, or a repeat of at most UNROLLED copies) are not named."""
    try:
        automaton = _Automaton()
        parsed = _parse(pattern)
        automaton.build(parsed, int(parsed.state.flags))
        return AMBIGUOUS if automaton.ambiguous_loop() else ""
    except (_TooLarge, RecursionError):
        return TOO_LARGE


class _TooLarge(Exception):
    """The pattern expands past MAX_POSITIONS, or its search past MAX_STEPS."""


@dataclass(frozen=True)
class _Fragment:
    """Part of a pattern: the positions it can start and end with, and how many ways each; how many ways it
    matches the empty text. Counts stop at 2: only "more than one" matters."""

    first: dict[int, int]
    last: dict[int, int]
    empty: int


_EMPTY = _Fragment({}, {}, 1)


def _add(into: dict[int, int], counts: dict[int, int], times: int = 1) -> dict[int, int]:
    if times:
        for position, count in counts.items():
            into[position] = min(2, into.get(position, 0) + count * times)
    return into


class _Automaton:
    """Glushkov's automaton of a pattern, with multiplicities: one state per character position, an edge from
    each position to those that can follow it, and how many ways (through groups and repeats) each edge exists."""

    def __init__(self) -> None:
        self.labels: list[Ranges] = []
        self.follow: list[dict[int, int]] = []

    def position(self, label: Ranges) -> _Fragment:
        if len(self.labels) >= MAX_POSITIONS:
            raise _TooLarge
        self.labels.append(label)
        self.follow.append({})
        index = len(self.labels) - 1
        return _Fragment({index: 1}, {index: 1}, 0)

    def link(self, last: dict[int, int], first: dict[int, int]) -> None:
        for source, ways in last.items():
            _add(self.follow[source], first, ways)

    def sequence(self, parts: Iterable[_Fragment]) -> _Fragment:
        result = _EMPTY
        for part in parts:
            self.link(result.last, part.first)
            first = _add(dict(result.first), part.first, result.empty)
            last = _add(dict(part.last), result.last, part.empty)
            result = _Fragment(first, last, min(2, result.empty * part.empty))
        return result

    def choice(self, parts: Iterable[_Fragment]) -> _Fragment:
        first: dict[int, int] = {}
        last: dict[int, int] = {}
        empty = 0
        for part in parts:
            _add(first, part.first)
            _add(last, part.last)
            empty = min(2, empty + part.empty)
        return _Fragment(first, last, empty)

    def build(self, items: object, flags: int) -> _Fragment:
        """A parsed (sub)pattern: the sequence of its items (anything else, which `re` does not make: any text)."""
        if not isinstance(items, _SUBPATTERN):
            return self.any_text()
        return self.sequence(self.item(op.name, value, flags) for op, value in items.data)

    def item(self, op: str, value: object, flags: int) -> _Fragment:
        if op in ("LITERAL", "NOT_LITERAL", "ANY", "IN", "CATEGORY"):
            return self.position(_label(op, value, flags))
        match op, value:
            case "MAX_REPEAT" | "MIN_REPEAT" | "POSSESSIVE_REPEAT", (int() as low, int() as high, body):
                return self.repeat(body, low, high, flags)
            case "SUBPATTERN", (_, int() as add, int() as remove, body):
                return self.build(body, (flags | add) & ~remove)
            case "ATOMIC_GROUP", body:
                return self.build(body, flags)
            case "BRANCH", (_, list() as branches):
                return self.choice(self.build(branch, flags) for branch in branches)
            case "GROUPREF_EXISTS", (_, yes, no):
                return self.choice([self.build(yes, flags), self.build(no, flags) if no else _EMPTY])
            case "ASSERT" | "ASSERT_NOT", (_, body):
                self.build(body, flags)  # its loops are in the automaton, apart from the pattern's own path
                return _EMPTY
            case "AT" | "FAILURE" | "SUCCESS", _:
                return _EMPTY
        return self.any_text()  # a backreference (or anything newer): whatever text, of any length

    def any_text(self) -> _Fragment:
        loop = self.position(_EVERYTHING)
        self.link(loop.last, loop.first)
        return _Fragment(loop.first, loop.last, 1)

    def repeat(self, body: object, low: int, high: int, flags: int) -> _Fragment:
        """`{low,high}`: copies of the body while they are few, else the body once with a loop back."""
        if high == 0:
            return _EMPTY
        if high == _MAXREPEAT or high > UNROLLED:
            once = self.build(body, flags)
            self.link(once.last, once.first)
            return _Fragment(once.first, once.last, 1 if low == 0 else once.empty)
        optional = _EMPTY  # `(A(A)?)?`: the copies past `low`, each only after the one before
        for _ in range(high - low):
            optional = self.choice([self.sequence([self.build(body, flags), optional]), _EMPTY])
        return self.sequence([*(self.build(body, flags) for _ in range(low)), optional])

    def ambiguous_loop(self) -> bool:
        """Whether two different paths can go round a loop reading the same text: an edge taken more than one
        way inside a loop, or, in the product automaton, a pair of different positions that the same position
        reaches, and that reaches the same position again, on one text."""
        edges = [{q: n for q, n in out.items() if self.labels[q]} for out in self.follow]
        component = _components(edges)
        for source, out in enumerate(edges):
            if any(ways > 1 and component[target] == component[source] for target, ways in out.items()):
                return True
        members: dict[int, list[int]] = {}
        for position, number in enumerate(component):
            members.setdefault(number, []).append(position)
        steps = _Steps(self.labels)
        inside = [frozenset(q for q in out if component[q] == component[p]) for p, out in enumerate(edges)]
        return any(_pairs_meet_again(group, inside, steps) for group in members.values() if len(group) > 1)


def _pairs_meet_again(group: list[int], inside: list[frozenset[int]], steps: _Steps) -> bool:
    """In one loop (a strongly connected group of positions): can a pair of different positions be reached from
    a position paired with itself, and reach one again? Every pair reached comes from such a start, so it is enough
    that one different pair steps straight to a position paired with itself."""
    pending = [(p, p) for p in group]
    seen = set(pending)
    while pending:
        p, q = pending.pop()
        for after in steps.after(inside[p], inside[q]):
            if p != q and after[0] == after[1]:
                return True
            if after not in seen:
                seen.add(after)
                pending.append(after)
                steps.count(1)
    return False


class _Steps:
    """The pairs of positions two positions can go on to by reading one character (remembered per pair of
    follow sets), with the work counted against MAX_STEPS."""

    def __init__(self, labels: list[Ranges]) -> None:
        self.labels = labels
        self.known: dict[tuple[frozenset[int], frozenset[int]], list[tuple[int, int]]] = {}
        self.work = 0

    def count(self, work: int) -> None:
        self.work += work
        if self.work > MAX_STEPS:
            raise _TooLarge

    def after(self, left: frozenset[int], right: frozenset[int]) -> list[tuple[int, int]]:
        key = (left, right)
        if key not in self.known:
            ranges = [(start, end, 0, p) for p in left for start, end in self.labels[p]]
            ranges += [(start, end, 1, q) for q in right for start, end in self.labels[q]]
            self.count(len(ranges))
            found = _overlapping(sorted(ranges))
            self.count(len(found))
            self.known[key] = found
        return self.known[key]


def _overlapping(ranges: list[tuple[int, int, int, int]]) -> list[tuple[int, int]]:
    """From ranges of characters sorted by their start, each of one position on the left (0) or right (1) side:
    every (left, right) pair of positions that share a character, by one sweep."""
    active: tuple[list[tuple[int, int]], list[tuple[int, int]]] = ([], [])
    found: set[tuple[int, int]] = set()
    for start, end, side, position in ranges:
        other = active[1 - side]
        other[:] = [(stop, owner) for stop, owner in other if stop >= start]
        found.update((position, owner) if side == 0 else (owner, position) for _, owner in other)
        active[side].append((end, position))
    return sorted(found)


def _components(edges: list[dict[int, int]]) -> list[int]:
    """Tarjan's strongly connected components, iteratively: the component number of each position."""
    index = [-1] * len(edges)
    low = [0] * len(edges)
    component = [-1] * len(edges)
    stack: list[int] = []
    counter = groups = 0
    for root in range(len(edges)):
        if index[root] >= 0:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if index[child] < 0:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    work.append((child, iter(edges[child])))
                elif component[child] < 0:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    component[member] = groups
                    if member == node:
                        break
                groups += 1
    return component


# -- characters -------------------------------------------------------------------------------------------------


def _label(op: str, value: object, flags: int) -> Ranges:
    """The characters one position reads (where `re` gives an argument of another shape: any character)."""
    if op == "ANY":
        return _EVERYTHING if flags & _DOTALL else _complement(((10, 10),))
    if op == "CATEGORY":
        return _category(_name(value), flags)
    if op in ("LITERAL", "NOT_LITERAL"):
        if not isinstance(value, int):
            return _EVERYTHING
        found = _cased(((value, value),), flags)
        return found if op == "LITERAL" else _complement(found)
    ranges: list[tuple[int, int]] = []
    negate = False
    for member in value if isinstance(value, list) else [None]:
        match member:
            case (kind, _) if _name(kind) == "NEGATE":
                negate = True
            case (kind, int() as code) if _name(kind) == "LITERAL":
                ranges.append((code, code))
            case (kind, (int() as low, int() as high)) if _name(kind) == "RANGE":
                ranges.append((low, high))
            case (kind, category) if _name(kind) == "CATEGORY":
                ranges.extend(_category(_name(category), flags))
            case _:
                ranges.append(_EVERYTHING[0])
    found = _cased(_normalized(ranges), flags)
    return _complement(found) if negate else found


def _name(constant: object) -> str:
    """The name of one of `re`'s named constants (`CATEGORY_DIGIT`), or empty."""
    return constant.name if isinstance(constant, _NAMED) else ""


def _category(name: str, flags: int) -> Ranges:
    """`CATEGORY_DIGIT`, `CATEGORY_NOT_WORD`...: the characters `re` itself finds for `\\d`, `\\W`..."""
    bare = name.removeprefix("CATEGORY_")
    negated = bare.startswith("NOT_")
    regex = _CATEGORIES.get(bare.removeprefix("NOT_"))
    if regex is None:
        return _EVERYTHING
    found = _matching(regex, bool(flags & _ASCII))
    return _complement(found) if negated else found


@functools.cache
def _matching(regex: str, ascii_only: bool) -> Ranges:
    text = _every_character()
    found = re.finditer(regex + "+", text, re.ASCII if ascii_only else 0)
    return tuple((match.start(), match.end() - 1) for match in found)


def _every_character() -> str:
    """Every code point in order, surrogates too (4 MiB; made for the few categories, each remembered)."""
    codes = array.array("I", range(sys.maxunicode + 1))
    return codes.tobytes().decode(f"utf-32-{'le' if sys.byteorder == 'little' else 'be'}", "surrogatepass")


@functools.lru_cache(maxsize=1024)
def _cased(ranges: Ranges, flags: int) -> Ranges:
    """With IGNORECASE, the other case of each letter too (for ranges small enough to go through)."""
    if not flags & _IGNORECASE:
        return ranges
    extra: list[tuple[int, int]] = list(ranges)
    for start, end in ranges:
        if end - start > 4096:
            continue
        for code in range(start, end + 1):
            for other in (chr(code).lower(), chr(code).upper()):
                if len(other) == 1:
                    extra.append((ord(other), ord(other)))
    return _normalized(extra)


def _normalized(ranges: Iterable[tuple[int, int]]) -> Ranges:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and start <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return tuple(merged)


def _complement(ranges: Ranges) -> Ranges:
    result: list[tuple[int, int]] = []
    next_start = 0
    for start, end in ranges:
        if start > next_start:
            result.append((next_start, start - 1))
        next_start = end + 1
    if next_start <= sys.maxunicode:
        result.append((next_start, sys.maxunicode))
    return tuple(result)

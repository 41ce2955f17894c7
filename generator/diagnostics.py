"""Errors and warnings as values: what went wrong, where (file, line, JSON pointer), and how bad."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Level = Literal["error", "warning"]

# Characters that would break the one-line promise, hide text or reorder it on a terminal: escaped when shown.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


@dataclass(frozen=True)
class Diagnostic:
    """One problem found in the input; `kind` is a stable short code used for grouping."""

    level: Level
    kind: str
    message: str
    file: str
    pointer: str = ""
    line: int | None = None

    def render(self) -> str:
        """One line: `file:line: level: message (at /json/pointer) [kind]`; control characters escaped."""
        where = visible(self.file) if self.line is None else f"{visible(self.file)}:{self.line}"
        at = f" (at {visible(self.pointer)})" if self.pointer else ""
        return f"{where}: {self.level}: {visible(_one_line(self.message))}{at} [{self.kind}]"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def visible(text: str) -> str:
    """Escape line breaks, other control characters, bidi overrides and lone surrogates as `\\n`, `\\u202e`..."""
    return _UNPRINTABLE.sub(lambda match: ascii(match.group())[1:-1], text)


GROUP_SHOWN = 3
"""How many places a grouped line names before it only counts the rest."""


def grouped_lines(diagnostics: Sequence[Diagnostic]) -> list[str]:
    """One line per kind (in order of first appearance): a kind found once is shown as it is; one found more often
    shows its first message, how many more there are, and the first few places."""
    by_kind: dict[str, list[Diagnostic]] = {}
    for diagnostic in diagnostics:
        by_kind.setdefault(diagnostic.kind, []).append(diagnostic)
    lines: list[str] = []
    for kind, found in by_kind.items():
        first = found[0]
        if len(found) == 1:
            lines.append(first.render())
            continue
        places = [visible(d.pointer or (f"line {d.line}" if d.line else d.file)) for d in found[:GROUP_SHOWN]]
        rest = len(found) - len(places)
        also = ", ".join(places) + (f" and {rest:,} more" if rest else "")
        where = visible(first.file)
        like = f"{len(found) - 1:,} more like it"
        lines.append(f"{where}: {first.level}: {visible(_one_line(first.message))}; {like} (at {also}) [{kind}]")
    return lines


class Reporter:
    """Where every stage puts its warnings about one document: each once per kind, file and place, in the order
    found. The pipeline makes one and hands it to each stage in turn."""

    def __init__(self, source: str) -> None:
        self.source = source
        self._found: list[Diagnostic] = []
        self._seen: set[tuple[str, str, str]] = set()

    def warn(self, kind: str, message: str, pointer: str = "") -> None:
        """A warning about the document itself (`source`), at a JSON pointer."""
        self.add(Diagnostic("warning", kind, message, self.source, pointer))

    def add(self, diagnostic: Diagnostic) -> None:
        """A finished diagnostic (about another file, say); a repeat of one already reported is dropped."""
        key = (diagnostic.kind, diagnostic.file, diagnostic.pointer)
        if key not in self._seen:
            self._seen.add(key)
            self._found.append(diagnostic)

    @property
    def diagnostics(self) -> tuple[Diagnostic, ...]:
        return tuple(self._found)

    def count(self) -> int:
        """How many were reported so far (for `since` and `rewind`)."""
        return len(self._found)

    def since(self, count: int) -> tuple[Diagnostic, ...]:
        return tuple(self._found[count:])

    def rewind(self, count: int) -> None:
        """Forget what was reported after `count` (a stage that runs again reports it again)."""
        for dropped in self._found[count:]:
            self._seen.discard((dropped.kind, dropped.file, dropped.pointer))
        del self._found[count:]


class GenerationError(Exception):
    """Raised when the input cannot be turned into a server; carries every error found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(d.render() for d in self.diagnostics))


def errors_in(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """The diagnostics that stop generation."""
    return [d for d in diagnostics if d.level == "error"]

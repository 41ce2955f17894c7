"""Errors and warnings as values: what went wrong, where (file, line, JSON pointer), and how bad."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

Level = Literal["error", "warning"]

# Characters that would break the one-line promise, hide text or reorder it on a terminal: escaped when shown.
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def escape_pointer_token(token: str | int) -> str:
    """Escape one reference token for a JSON pointer (RFC 6901)."""
    return str(token).replace("~", "~0").replace("/", "~1")


def json_pointer(*tokens: str | int) -> str:
    """Build a JSON pointer such as `/paths/~1oauth~1token/post` from raw tokens."""
    return "".join("/" + escape_pointer_token(token) for token in tokens)


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
        where = _visible(self.file) if self.line is None else f"{_visible(self.file)}:{self.line}"
        at = f" (at {_visible(self.pointer)})" if self.pointer else ""
        return f"{where}: {self.level}: {_visible(_one_line(self.message))}{at} [{self.kind}]"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _visible(text: str) -> str:
    """Escape line breaks, other control characters, bidi overrides and lone surrogates as `\\n`, `\\u202e`..."""
    return _UNPRINTABLE.sub(lambda match: ascii(match.group())[1:-1], text)


class GenerationError(Exception):
    """Raised when the input cannot be turned into a server; carries every error found."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = tuple(diagnostics)
        super().__init__("\n".join(d.render() for d in self.diagnostics))


def errors_in(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """The diagnostics that stop generation."""
    return [d for d in diagnostics if d.level == "error"]

"""The Jinja2 environment shared by every stage that writes text: strict, and JSON only through `tojson`."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import jinja2


def builtin_templates_dir() -> Path:
    """`templates/` of a source checkout, or the copy packed inside an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "templates", here / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the generator's templates/ folder is missing from this installation")


def to_json(value: Any, indent: int | None = None) -> str:
    """The one way JSON enters a template: ASCII-only, so the text is also a valid Python and TOML literal."""
    separators = (",", ": ") if indent is not None else (", ", ": ")
    return json.dumps(value, indent=indent, ensure_ascii=True, separators=separators)


def markdown_inline(value: str) -> str:
    """Spec text placed in Markdown prose: one line, with characters that would start markup escaped."""
    text = " ".join(str(value).split())
    for char in "\\`*_{}[]<>#|":
        text = text.replace(char, "\\" + char)
    return text


@cache
def environment(templates_dir: Path | None = None) -> jinja2.Environment:
    """A strict environment: undefined names fail, nothing is auto-escaped, output ends as written."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir or builtin_templates_dir())),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson"] = to_json
    env.filters["md"] = markdown_inline
    return env

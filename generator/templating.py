"""The Jinja2 environment shared by every stage that writes text: strict, and JSON only through `tojson`.

A user's folder of templates (`--templates DIR`) can override any built-in template: the environment's
loader looks in that folder first and falls back to `templates/`. Each run asks for its environment with its
folder; the IR stage gets its words through a `Wording` made from it.
"""

from __future__ import annotations

import html
import json
import re
from functools import cache
from pathlib import Path

import jinja2

from generator.diagnostics import visible
from generator.naming import cased_words

_CODING = re.compile(r"coding([:=])")


def builtin_templates_dir() -> Path:
    """`templates/` of a source checkout, or the copy packed inside an installed wheel."""
    here = Path(__file__).resolve().parent
    for candidate in (here.parent / "templates", here / "templates"):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the generator's templates/ folder is missing from this installation")


def to_json(value: object, indent: int | None = None) -> str:
    """The one way JSON enters a template: ASCII-only, so the text is also a valid Python and TOML literal."""
    separators = (",", ": ") if indent is not None else (", ", ": ")
    return json.dumps(value, indent=indent, ensure_ascii=True, separators=separators)


def markdown_inline(value: str) -> str:
    """Spec text placed in Markdown prose: one line, with characters that would start markup escaped."""
    text = " ".join(str(value).split())
    for char in "\\`*_{}[]<>#|":
        text = text.replace(char, "\\" + char)
    return text


def markdown_code(value: str, cell: bool = False) -> str:
    """Spec text as one Markdown code span that nothing in it can close: on one line, fenced with more backticks
    than it holds in a row (padded when it starts or ends with one); in a table `cell`, its `|` escaped."""
    text = " ".join(str(value).split())
    if not text:
        return ""
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    if text.startswith("`") or text.endswith("`"):
        text = f" {text} "
    if cell:
        text = text.replace("|", "\\|")
    return f"{fence}{text}{fence}"


def comment_text(value: str) -> str:
    """Text for a generated file's comment, on one line whatever it holds: line breaks, other control characters
    and bidi marks are written as escapes (`\\n`, `\\u202e`)."""
    return visible(str(value))


def hash_comment(value: str) -> str:
    """One line of text safe after `#` on a file's first lines: no `coding:` that Python would read as the file's
    encoding (PEP 263)."""
    return _CODING.sub(r"coding \1", comment_text(value))


def html_comment(value: str) -> str:
    """Text safe inside `<!-- ... -->`: `&`, `<` and `>` as entities and no `--`, so nothing in it can end (or
    nest) the comment."""
    text = html.escape(comment_text(value), quote=False)
    while "--" in text:
        text = text.replace("--", "-&#45;")
    return text


def paragraphs(value: str) -> list[str]:
    """A text's paragraphs (split at blank lines), each on one line; empty ones dropped."""
    chunks = str(value).replace("\r\n", "\n").split("\n\n")
    return [" ".join(chunk.split()) for chunk in chunks if chunk.strip()]


def environment(templates_dir: Path | None = None, override: Path | None = None) -> jinja2.Environment:
    """A strict environment: undefined names fail, nothing is auto-escaped, output ends as written.

    `templates_dir` replaces the built-in templates; `override` (a user's `--templates` folder) is searched before
    them. One environment is kept per pair of folders.
    """
    chosen = override.resolve() if override is not None else None
    return _environment((templates_dir or builtin_templates_dir()).resolve(), chosen)


@cache
def _environment(templates_dir: Path, override: Path | None) -> jinja2.Environment:
    loaders: list[jinja2.BaseLoader] = [jinja2.FileSystemLoader(str(override))] if override is not None else []
    loaders.append(jinja2.FileSystemLoader(str(templates_dir)))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader(loaders),
        undefined=jinja2.StrictUndefined,
        autoescape=False,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["tojson"] = to_json
    env.filters["md"] = markdown_inline
    env.filters["paragraphs"] = paragraphs
    env.filters["code"] = markdown_code
    env.filters["comment"] = comment_text
    env.filters["hash_comment"] = hash_comment
    env.filters["html_comment"] = html_comment
    env.filters["spaced"] = spaced_words
    return env


def spaced_words(name: str) -> str:
    """A name's words as a phrase, with the capitals it has (`InLata` -> `In Lata`, `vendor_id` -> `vendor id`)."""
    return " ".join(cased_words(name))

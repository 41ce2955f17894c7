"""Cleaning spec prose for tool descriptions: links made absolute, HTML stripped, whole sentences only."""

from __future__ import annotations

import html
import re

_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_BREAK_TAG = re.compile(r"<br\s*/?>|</p>", re.IGNORECASE)
_BLANK_LINE = re.compile(r"\n\s*\n")
_CODE_SPAN = re.compile(r"(`[^`]*`)")
_ENDS_A_PARAGRAPH = re.compile(r"[.!?:)`\]\"']$")
_TRUNCATED = re.compile(r"(\.\.\.|…)\s*$")
# A sentence ends at . ! or ? followed by white space or the end, not after a common abbreviation.
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)[.!?](?=[\s)\]]|$)")


def absolute_links(text: str, base_url: str) -> str:
    """Make markdown links with a relative target absolute against `base_url`."""
    if not base_url:
        return text

    def fix(match: re.Match[str]) -> str:
        label, target = match.group(1), match.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:|^#", target, re.IGNORECASE):
            return match.group(0)
        return f"[{label}]({base_url.rstrip('/')}/{target.lstrip('/')})"

    return _LINK.sub(fix, text)


def strip_html(text: str) -> str:
    """Drop HTML tags (a `<br>` or a `</p>` becomes a break) and decode entities."""
    text = _BREAK_TAG.sub("\n", text)
    return html.unescape(_TAG.sub("", text))


def normalize_whitespace(text: str) -> str:
    """One space between words; paragraphs kept as blank-line breaks; single line breaks joined."""
    paragraphs = _BLANK_LINE.split(text.strip())
    cleaned = [" ".join(p.split()) for p in paragraphs]
    return "\n\n".join(p for p in cleaned if p)


def last_sentence_end(text: str, limit: int | None = None) -> int:
    """Index just past the last sentence end at or before `limit`, or 0 when there is none."""
    end = 0
    for match in _SENTENCE_END.finditer(text):
        if limit is not None and match.end() > limit:
            break
        end = match.end()
    return end


def whole_sentences(text: str, budget: int | None = None) -> str:
    """Cut truncated (`...`) or over-budget text back to its last whole sentence; never mid-sentence."""
    truncated = bool(_TRUNCATED.search(text))
    if truncated:
        text = _TRUNCATED.sub("", text).rstrip()
        text = text[: last_sentence_end(text)]
    if budget is not None and len(text) > budget:
        text = text[: last_sentence_end(text, budget)]
    return text.rstrip()


_DOUBLED = re.compile(r"\b(\w+)(\s+)\1\b", re.IGNORECASE)


def drop_doubled_words(text: str) -> str:
    """`the the` -> `the`, `RFI RFI manager` -> `RFI manager` (code spans left alone)."""
    parts = _CODE_SPAN.split(text)
    return "".join(part if part.startswith("`") else _DOUBLED.sub(r"\1", part) for part in parts)


def end_paragraphs(text: str) -> str:
    """Close every paragraph with a full stop when it ends without terminal punctuation."""
    paragraphs = text.split("\n\n")
    return "\n\n".join(p if not p or _ENDS_A_PARAGRAPH.search(p) else p + "." for p in paragraphs)


def clean_prose(text: str, base_url: str, budget: int | None = None) -> str:
    """The whole cleaning pipeline for one piece of spec prose."""
    text = drop_doubled_words(normalize_whitespace(strip_html(text)))
    return end_paragraphs(whole_sentences(absolute_links(text, base_url), budget))


def as_sentence(text: str) -> str:
    """Make a phrase a sentence: capital first letter, closing full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."

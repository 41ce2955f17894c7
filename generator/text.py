"""Cleaning spec prose for tool descriptions: links made absolute, HTML stripped, whole sentences only."""

from __future__ import annotations

import html
import re
from urllib.parse import urljoin

_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]+)\)")
_SCHEME = re.compile(r"([a-z][a-z0-9+.-]*):", re.IGNORECASE)
_LINK_SCHEMES = frozenset({"http", "https", "mailto"})
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_BREAK_TAG = re.compile(r"</?br\s*/?>|</p>", re.IGNORECASE)
_COMMENT = re.compile(r"<!--.*?(?:-->|$)", re.DOTALL)
_QUOTE_MARKS = re.compile(r"^[ \t]*(?:>[ \t]?)+", re.MULTILINE)
"""Markdown blockquote markers at the start of a line (`> > 1.`): residue once lines are joined."""
_MORE = re.compile(
    r"(?:(?:learn|read|see|find out|click here for|click here to learn|get)\s+more"
    r"(?:\s+(?:here|about (?:this|it|them)|info(?:rmation)?))?|more info(?:rmation)?|(?:see|click) here|"
    r"for more (?:info(?:rmation)?|details))[.:!]?",
    re.IGNORECASE,
)
"""A sentence that only pointed at a link the cleaning took away ("Learn more.")."""
_SENTENCES = re.compile(r"(?<=[.!?:])\s+")
_BLANK_LINE = re.compile(r"\n\s*\n")
_CODE_SPAN = re.compile(r"(`[^`]*`)")
# A paragraph is closed by terminal punctuation, or by a quote or bracket right after it (`...said "no."`).
_ENDS_A_PARAGRAPH = re.compile(r"([.!?:)`]|[.!?][\]\"'])[*_]*$")
"""(Closing emphasis after the punctuation, `**Note.**`, ends it too.)"""
_TRUNCATED = re.compile(r"(\.\.\.|…)\s*$")
# A sentence ends at . ! or ? followed by white space or the end, not after a common abbreviation.
_SENTENCE_END = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)[.!?](?=[\s)\]]|$)")


def absolute_links(text: str, base_url: str) -> str:
    """Markdown links with a relative target made absolute against `base_url` (`/x` from its host, `../x` and `x`
    from its path); with no base, for an anchor (`#top`) that leads nowhere outside the page, or for a scheme other
    than http, https and mailto (`javascript:`, `data:`), only the label."""

    def fix(match: re.Match[str]) -> str:
        label, target = match.group(1), match.group(2)
        scheme = _SCHEME.match(target)
        if scheme is not None:
            return match.group(0) if scheme.group(1).lower() in _LINK_SCHEMES else label
        if not base_url or target.startswith("#"):
            return label
        return f"[{label}]({urljoin(base_url if base_url.endswith('/') else base_url + '/', target)})"

    return _LINK.sub(fix, text)


def strip_html(text: str) -> str:
    """Drop HTML comments and tags (a `<br>`, `</br>` or `</p>` becomes a break) and decode entities."""
    text = _BREAK_TAG.sub("\n", _COMMENT.sub("", text))
    return html.unescape(_TAG.sub("", text))


def is_link_residue(sentence: str) -> bool:
    """A sentence that only pointed at a link, with the link gone ("Learn more.")."""
    return bool(_MORE.fullmatch(sentence))


def drop_residue(text: str) -> str:
    """Documentation residue out: blockquote markers, and sentences that only pointed at a link no longer there
    ("Learn more."). A sentence holding a link keeps it."""
    paragraphs = _QUOTE_MARKS.sub("", text).split("\n\n")
    kept = [" ".join(s for s in _SENTENCES.split(p) if not _MORE.fullmatch(s.strip())) for p in paragraphs]
    return "\n\n".join(p for p in kept if p.strip())


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
    text = drop_doubled_words(normalize_whitespace(strip_html(_QUOTE_MARKS.sub("", text))))
    text = drop_residue(absolute_links(text, base_url))
    # Once more after the cut: a code span cut in half no longer shields the words after it.
    return end_paragraphs(drop_doubled_words(whole_sentences(text, budget)))


def as_sentence(text: str) -> str:
    """Make a phrase a sentence: capital first letter, closing full stop."""
    text = text.strip()
    if not text:
        return text
    text = text[:1].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."


_WORD = re.compile(r"[a-z0-9]+")
_FIRST_SENTENCE = re.compile(r"(?<!\be\.g)(?<!\bi\.e)(?<!\bvs)[.!?](?=\s|$)")


def gist(text: str) -> str:
    """A text's words in lower case without articles: two sentences with the same gist say the same thing."""
    return " ".join(w for w in _WORD.findall(text.lower()) if w not in ("a", "an", "the"))


def first_sentence(text: str) -> str:
    """The text up to its first sentence end (the whole text when it has none)."""
    match = _FIRST_SENTENCE.search(text)
    return text[: match.end()] if match else text

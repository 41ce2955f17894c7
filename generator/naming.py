"""Tool names and titles: snake_case verb phrases, title case, the 64-character limit, uniqueness."""

from __future__ import annotations

import re

MAX_NAME_LENGTH = 64

# Words kept lower case inside a title ("Get or Refresh an Access Token").
_MINOR_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "for",
        "from",
        "in",
        "into",
        "nor",
        "of",
        "off",
        "on",
        "onto",
        "or",
        "per",
        "the",
        "to",
        "via",
        "vs",
        "with",
    ]
)


_PLURAL_ACRONYM = re.compile(r"([A-Z]{2,})s(?![a-z])")
_LOWER_THEN_UPPER = re.compile(r"([a-z0-9])([A-Z])")
_ACRONYM_THEN_WORD = re.compile(r"([A-Z]+)([A-Z][a-z])")
_NOT_A_WORD = re.compile(r"[^A-Za-z0-9]+")


def split_words(text: str) -> list[str]:
    """Split prose, snake_case, kebab-case or CamelCase (`RestV10ProjectsGet`) into lower-case words."""
    # A plural acronym (`RFIs`) is one word, not `RF` + `Is`.
    spaced = _PLURAL_ACRONYM.sub(lambda m: m.group(1).capitalize() + "s", text)
    spaced = _LOWER_THEN_UPPER.sub(r"\1 \2", spaced)
    spaced = _ACRONYM_THEN_WORD.sub(r"\1 \2", spaced)
    return [w for w in _NOT_A_WORD.split(spaced.lower()) if w]


def snake_case(text: str) -> str:
    """`Get or Refresh an Access Token` -> `get_or_refresh_an_access_token`; a doubled word counts once."""
    words = split_words(text)
    return "_".join(w for i, w in enumerate(words) if i == 0 or w != words[i - 1])


def limit_name(name: str, limit: int = MAX_NAME_LENGTH) -> str:
    """Cut a snake_case name to `limit` characters at a word boundary."""
    if len(name) <= limit:
        return name
    head = name[: limit + 1]
    if "_" not in head:  # one long word: cut it
        return name[:limit]
    words = head.rsplit("_", 1)[0].split("_")
    while len(words) > 1 and words[-1] in _MINOR_WORDS:  # no dangling "..._of_the"
        words.pop()
    return "_".join(words).strip("_") or name[:limit]


def title_case(text: str) -> str:
    """Title case with minor words in lower case; words with inner capitals (RFIs, iOS) stay as written."""
    words = text.split()
    titled: list[str] = []
    for index, word in enumerate(words):
        bare = word.strip("()[]\"'`,.:;")
        is_edge = index in (0, len(words) - 1)
        if any(c.isupper() for c in bare[1:]) or any(c.isdigit() for c in bare):
            titled.append(word)
        elif bare.lower() in _MINOR_WORDS and not is_edge:
            titled.append(word.lower())
        else:
            titled.append(word[:1].upper() + word[1:])
    return " ".join(titled)


def sentence_case(text: str) -> str:
    """A title as the opening of a sentence: first letter upper case, the rest as written."""
    text = text.strip()
    return text[:1].upper() + text[1:]


def path_qualifiers(path: str, name: str = "") -> list[str]:
    """Words that tell apart operations sharing a summary: the API version, the words of the operation's own
    resource that the name lacks (`with_ancestors`), then the parent resources (`in_projects`)."""
    segments = [s for s in path.strip("/").split("/") if s and not s.startswith("{")]
    versions = [snake_case(s) for s in segments if re.fullmatch(r"v\d+(\.\d+)*", s)]
    resources = [snake_case(s) for s in segments if not re.fullmatch(r"v\d+(\.\d+)*|rest|api", s)]
    known = set(name.split("_"))
    novel = "_".join(w for w in resources[-1].split("_") if w not in known) if resources else ""
    return [*versions, novel, *(f"in_{r}" for r in reversed(resources[:-1]))]


def unique_names(candidates: list[tuple[str, str, str]]) -> list[str]:
    """Make names unique. Each candidate is (base name, method, path); clashes gain path qualifiers.

    A clash is settled by the first qualifier (API version, then parent resource, then method) that tells
    the clashing operations apart; the order of the input decides nothing but the last-resort counter.
    """
    # A summary or operationId without a single ASCII letter or digit (emoji, Arabic, `$$$`) names nothing.
    names = [limit_name(base or snake_case(f"{method} {path}") or method.lower()) for base, method, path in candidates]
    for _ in range(4):
        groups: dict[str, list[int]] = {}
        for index, name in enumerate(names):
            groups.setdefault(name, []).append(index)
        clashes = [indexes for indexes in groups.values() if len(indexes) > 1]
        if not clashes:
            return names
        for indexes in clashes:
            options = {
                i: [*path_qualifiers(candidates[i][2], candidates[i][0]), candidates[i][1].lower()] for i in indexes
            }
            for depth in range(max(len(o) for o in options.values())):
                picks = {i: (options[i][depth] if depth < len(options[i]) else "") for i in indexes}
                if len(set(picks.values())) > 1:
                    for i in indexes:
                        if picks[i]:
                            names[i] = _append(names[i], picks[i])
                    break
    taken: set[str] = set()
    for index, name in enumerate(names):
        candidate, count = name, 1
        while candidate in taken:  # a counter, skipping names already given (`list_2` may be a real name)
            count += 1
            candidate = _append(name, str(count))
        taken.add(candidate)
        names[index] = candidate
    return names


def _append(name: str, suffix: str) -> str:
    """Append a qualifier, shortening the base at a word boundary so the result fits the limit.

    A qualifier longer than half the limit (a path segment can be any length) is cut first, so a base stays.
    """
    suffix = limit_name(suffix, MAX_NAME_LENGTH // 2)
    base = limit_name(name, MAX_NAME_LENGTH - len(suffix) - 1)
    return f"{base}_{suffix}" if base else suffix

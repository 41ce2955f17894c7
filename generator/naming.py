"""Tool names and titles: snake_case verb phrases, title case, the 64-character limit, uniqueness."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence

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
    return [w.lower() for w in cased_words(text)]


def cased_words(text: str) -> list[str]:
    """The words `split_words` finds, with the capitals they were written with (`listRFIs` -> list, RFIs)."""
    # A plural acronym (`RFIs`) is one word, not `RF` + `Is`.
    marked = _PLURAL_ACRONYM.sub(lambda m: m.group(1) + "\x00s", text)
    spaced = _LOWER_THEN_UPPER.sub(r"\1 \2", marked)
    spaced = _ACRONYM_THEN_WORD.sub(r"\1 \2", spaced)
    return [w.replace("\x00", "") for w in re.split(r"[^A-Za-z0-9\x00]+", spaced) if w.replace("\x00", "")]


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
    resource that the name lacks (`with_ancestors`), then the parent resources (`in_projects`), the words after
    a `#` (some specs tell same-path operations apart so), and what the path ends in (`by_name`)."""
    route, _, fragment = path.partition("#")
    segments = [s for s in route.strip("/").split("/") if s and not s.startswith("{")]
    versions = [snake_case(s) for s in segments if _VERSION.fullmatch(s)]
    resources = [snake_case(s) for s in segments if not _VERSION.fullmatch(s) and s not in ("rest", "api")]
    known = set(name.split("_"))
    known |= {w + "s" for w in known} | {w[:-1] for w in known if w.endswith("s")}  # `items` is `item` again
    novel = "_".join(w for w in resources[-1].split("_") if w not in known) if resources else ""
    parameter = re.search(r"\{([^}]+)\}/?$", route)
    by = f"by_{snake_case(parameter.group(1))}" if parameter else ""
    return [*versions, novel, *(f"in_{r}" for r in reversed(resources[:-1])), snake_case(fragment), by]


_VERSION = re.compile(r"v\d+(\.\d+)*")


def unique_names(candidates: Sequence[tuple[str, ...]], worded: frozenset[int] = frozenset()) -> list[str]:
    """Make names unique. Each candidate is (base name, method, path[, operationId]); clashes gain qualifiers.

    A clash is settled by the first qualifier (API version, resource, parent resource, path ending, method, then
    the operationId's own words, the whole path) that tells the clashing operations apart; an ordinal word
    (`second`) is the very last resort, for operations the document itself does not tell apart. No name ends in a
    number: a version qualifier goes after the verb (`list_v2_users`). A `worded` candidate (its name from the
    spec's or the config's words, not made from its path) that clashes only with names made from paths keeps its
    name: they take the qualifiers.
    """
    # A summary or operationId without a single ASCII letter or digit (emoji, Arabic, `$$$`) names nothing.
    names = [limit_name(c[0] or snake_case(f"{c[1]} {c[2]}") or c[1].lower()) for c in candidates]
    for _ in range(4):
        groups: dict[str, list[int]] = {}
        for index, name in enumerate(names):
            groups.setdefault(name, []).append(index)
        clashes = [indexes for indexes in groups.values() if len(indexes) > 1]
        if not clashes:
            return names
        for indexes in clashes:
            options = {i: _qualifiers(candidates[i], names[i]) for i in indexes}
            kept = [i for i in indexes if i in worded]
            moved = [i for i in indexes if i not in kept] if len(kept) == 1 else indexes
            for depth in range(max(len(o) for o in options.values())):
                picks = {i: (options[i][depth] if depth < len(options[i]) else "") for i in indexes}
                if len(kept) == 1:  # the worded name stays: every other one needs a qualifier, others apart
                    settled = all(picks[i] for i in moved) and (len(moved) == 1 or len({picks[i] for i in moved}) > 1)
                else:
                    settled = len(set(picks.values())) > 1
                if settled:
                    for i in moved:
                        if picks[i]:
                            names[i] = _qualified(names[i], picks[i])
                    break
    taken: set[str] = set()
    for index, name in enumerate(names):
        candidate, count = name, 0
        while candidate in taken:  # an ordinal, skipping names already given (`list_second` may be a real name)
            count += 1
            candidate = _append(name, _ORDINALS[count] if count < len(_ORDINALS) else f"{count + 1}th_one")
        taken.add(candidate)
        names[index] = candidate
    return names


_ORDINALS = ("first", "second", "third", "fourth", "fifth", "sixth", "seventh", "eighth", "ninth", "tenth")


def _qualified(name: str, qualifier: str) -> str:
    """The name with a qualifier appended; a version (or anything ending in a number) goes after the verb."""
    if not re.search(r"(^|_)\d+$", qualifier):
        return _append(name, qualifier)
    verb, _, rest = name.partition("_")
    base = limit_name(rest, MAX_NAME_LENGTH - len(verb) - len(qualifier) - 2)
    return "_".join(part for part in (verb, qualifier, base) if part)


def _qualifiers(candidate: tuple[str, ...], name: str) -> list[str]:
    base, method, path = candidate[0], candidate[1], candidate[2]
    operation_id = candidate[3] if len(candidate) > 3 else ""
    own = [w for w in split_words(operation_id) if w not in set(name.split("_"))]
    whole_path = snake_case(path.replace("{", " by ").replace("}", " "))
    return [*path_qualifiers(path, base), method.lower(), "_".join(own), whole_path]


_SCOPES = frozenset({"in", "across", "on", "within"})
"""Words that open a name's closing scope (`list_rfis_in_project`), as catalog search reads them."""
_DROPPED_FIRST = (frozenset({"a", "an", "the"}), frozenset({"of", "for", "in", "on", "by", "to", "with", "into"}))


def shorten_names(names: list[str], keep: set[int], aim: int) -> list[str]:
    """Names longer than `aim` lose, while they stay unique: articles, a closing scope (`in_project`, whole: the
    scope word alone would read as what the tool is about), small words, the words most names of the API share
    (they tell the least), then a version (`v1_0`, whole); never their first word (the verb), nor their last
    but with its scope. What is still too long is cut at a word boundary, when that stays unique. `keep` holds
    the indexes of names a config chose: those stay as written."""
    shared = Counter(word for name in names for word in set(name.split("_")))
    result = list(names)
    taken = Counter(result)
    for index, name in enumerate(result):
        if index in keep or len(name) <= aim:
            continue
        words = name.split("_")
        for group in (_DROPPED_FIRST[0], "scope", _DROPPED_FIRST[1], "shared", "version"):
            dropped = True
            while dropped and len("_".join(words)) > aim:
                dropped = False
                for position in _droppable(words, group, shared):
                    span = _span(words, position, group)
                    trial = [w for i, w in enumerate(words) if i not in span]
                    if "_".join(trial) not in taken:
                        words, dropped = trial, True
                        break
        shorter = "_".join(words)
        cut = limit_name(shorter, aim)
        if len(shorter) > aim and cut not in taken:
            shorter = cut
        if shorter != name:
            taken[name] -= 1
            taken[shorter] += 1
            result[index] = shorter
    return result


def _span(words: list[str], position: int, group: object) -> range:
    """The words dropped together: a version with the numbers after it (`v1_0`), a scope with the word after it
    (`in_project`), else the one word."""
    if group == "scope":
        return range(position, len(words))
    end = position + 1
    while group == "version" and end < len(words) and words[end].isdigit():
        end += 1
    return range(position, end)


def _droppable(words: list[str], group: object, shared: Counter[str]) -> list[int]:
    """Positions of the words of one kind a long name may lose, last first (frequent ones first for `shared`)."""
    inner = range(len(words) - 2, 0, -1)
    if group == "scope":
        return [i for i in (len(words) - 2,) if i > 1 and words[i] in _SCOPES]
    if group == "version":
        return [i for i in inner if _VERSION.fullmatch(words[i])]
    if group == "shared":  # a version (`v1_0`) or a number goes whole or not at all: alone, a digit says nothing
        kept = [i for i in inner if not (_VERSION.fullmatch(words[i]) or words[i].isdigit())]
        return sorted(kept, key=lambda i: (-shared[words[i]], -i))
    assert isinstance(group, frozenset)
    return [i for i in inner if words[i] in group]


def _append(name: str, suffix: str) -> str:
    """Append a qualifier, shortening the base at a word boundary so the result fits the limit.

    A qualifier longer than half the limit (a path segment can be any length) is cut first, so a base stays.
    """
    suffix = limit_name(suffix, MAX_NAME_LENGTH // 2)
    base = limit_name(name, MAX_NAME_LENGTH - len(suffix) - 1)
    return f"{base}_{suffix}" if base else suffix

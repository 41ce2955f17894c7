"""What a path says about its operations: the resource each works on, the records it sits in, and an action the last
segment names (`/plans/{id}/publish`). Names made from paths and the opening sentence of an undescribed operation
are read from it; the words themselves come from `templates/tool/phrases.jinja`."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from generator.naming import split_words

NOISE = re.compile(r"v\d+(?:[._]\d+)*|rest|api")
"""Path segments that name no resource: versions, `rest`, `api`."""
# Verbs a path's last segment may open with to name an action rather than a resource (`publish`, `bulk_update`);
# words that are as often nouns there (`schedule`, `log`, `list_templates`) are not among them.
ACTION_VERBS = frozenset(
    [
        "accept", "activate", "add", "approve", "archive", "assign", "attach", "authorize", "bulk", "batch",
        "calculate", "cancel", "check", "clone", "close", "complete", "convert", "copy", "count", "create",
        "deactivate", "decline", "delete", "destroy", "detach", "disable", "download", "duplicate", "enable",
        "exchange", "export", "find", "finalize", "forward", "import", "invite", "lock", "merge", "move", "publish",
        "query", "refresh", "reject", "remove", "reopen", "reorder", "replace", "reset", "resend", "restart",
        "restore", "retry", "revise", "revoke", "search", "send", "sign", "submit", "sync", "terminate", "toggle",
        "unarchive", "unassign", "unlock", "unpublish", "update", "upload", "validate", "verify", "void",
    ]
)  # fmt: skip
_BULK = frozenset({"bulk", "batch"})
_SAME_AS = {"destroy": "delete"}
_METHOD_ACTIONS = {"get": "list", "post": "create", "put": "replace", "patch": "update", "delete": "delete"}


@dataclass(frozen=True)
class Segment:
    """A fixed part of a path, as words; `one` when a parameter follows it (it names one record)."""

    words: tuple[str, ...]
    one: bool
    text: str = ""
    """The segment as the path writes it (`purchase_order_contracts`)."""

    @property
    def singular(self) -> tuple[str, ...]:
        """The words with the last one in the singular (`purchase order contracts` -> `purchase order contract`)."""
        return (*self.words[:-1], singular(self.words[-1])) if self.words else self.words


@dataclass(frozen=True)
class Outline:
    """What an operation does, read from its method and path."""

    action: str
    """`list`, `show`, `create`, `update`, `replace`, `delete`, or `act` when the path names a verb."""
    resource: Segment | None
    parents: tuple[Segment, ...] = ()
    """The records and groups the resource sits in, nearest first."""
    verb: str = ""
    """For `act`: the verb the path names, in its base form (`publish`)."""
    extra: tuple[str, ...] = ()
    """For `act`: the words after the verb in its segment (`not applicable` in `toggle_not_applicable`)."""
    bulk: bool = False
    """The path says the action is done for many records at once (`bulk_update`, `batch`)."""


_IRREGULAR = {"people": "person", "children": "child", "men": "man", "women": "woman", "criteria": "criterion"}


def singular(word: str) -> str:
    """A resource's word in the singular (`drives` -> drive, `companies` -> company, `statuses` -> status,
    `people` -> person), roughly."""
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "uses")) and len(word) > 4:
        return word[:-2]
    if word.endswith("s") and not word.endswith(("ss", "us", "sis", "xis")) and len(word) > 3:
        return word[:-1]
    return word


def segments(path: str) -> list[Segment]:
    """The path's fixed parts that name something, each marked when a parameter follows it."""
    found: list[Segment] = []
    for part in path.split("#", 1)[0].strip("/").split("/"):
        if not part:
            continue
        if part.startswith("{"):
            if found:
                found[-1] = Segment(found[-1].words, True, found[-1].text)
            continue
        if NOISE.fullmatch(part.lower()):
            continue
        words = tuple(split_words(part))
        if words:
            found.append(Segment(words, False, part))
    return found


def scoped(found: list[Segment], scopes: Mapping[str, str]) -> tuple[list[Segment], str]:
    """The segments after the leading scopes (`/companies/{id}/projects/{id}/...`: the config's `related_scopes`)
    and the word for the nearest of them (`project`); all of them, and no word, when no scope leads or nothing
    follows them."""
    start = 0
    while start < len(found) and found[start].one and found[start].text in scopes:
        start += 1
    if start == 0 or start == len(found):
        return found, ""
    return found[start:], scopes[found[start - 1].text]


def named_action(last: Segment, method: str) -> tuple[str, tuple[str, ...], bool] | None:
    """The verb, the words after it and whether it is done in bulk, when the last segment names an action."""
    words = last.words
    if last.one or not words or words[0] not in ACTION_VERBS:
        return None
    if len(words) > 1 and words[-1].endswith("s") and words[-1] not in ACTION_VERBS:
        return None  # `change_types`: a resource named with a verb
    if len(words) > 2 and words[1] in ("or", "and") and words[2] in ACTION_VERBS:
        return words[0], words[1:], False  # `find_or_create`: both verbs, said together
    if words[0] in _BULK:
        rest = words[1:]
        if rest and rest[0] in ACTION_VERBS and rest[0] not in _BULK:
            return rest[0], rest[1:], True
        return _METHOD_ACTIONS.get(method, method), rest, True
    return words[0], words[1:], False


def outline(method: str, path: str, returns_list: bool | None = None) -> Outline:
    """What the method and path say the operation does. `returns_list`: whether its answer is a list (None: not
    known), which tells a GET of one thing (`/projects/{id}/schedule`) from a list; a plural resource is a list
    whatever wraps it."""
    method = method.lower()
    found = segments(path)
    if not found:
        return Outline(_METHOD_ACTIONS.get(method, method), None)
    last, parents = found[-1], tuple(reversed(found[:-1]))
    named = named_action(last, method) if len(found) > 1 else None
    if named is not None:
        verb, extra, bulk = named
        verb = _SAME_AS.get(verb, verb)
        if verb in _METHOD_ACTIONS.values() and extra:  # `create_equipment`: what is made, in what the path names
            return Outline(verb, Segment(extra, False), parents, bulk=bulk)
        if verb in _METHOD_ACTIONS.values():
            return Outline(verb, found[-2], parents[1:], bulk=bulk)
        return Outline("act", found[-2], parents[1:], verb, extra, bulk)
    action = _METHOD_ACTIONS.get(method, method)
    plural = last.words[-1] != singular(last.words[-1])
    if method == "get" and (last.one or (returns_list is False and not plural)):
        action = "show"  # one record, or one thing that is not a list (`/projects/{id}/schedule`)
    return Outline(action, last, parents)

"""Where a tool's name and title come from: the summary when it is a short verb phrase, else the operationId when
it is made of words, else the method and path.

Real summaries are often sentences ("Note: this endpoint requires an admin key") and real operationIds often path
noise (`RestV10ProjectsGet`); each source is taken only when it reads as a name. Words never come from links or
markup, and a leading third-person verb ("Creates a thing") is read in its base form.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from generator.naming import cased_words, split_words, title_case
from generator.openapi import HTTP_METHODS
from generator.outline import NOISE, Segment, scoped, singular
from generator.outline import named_action as path_action
from generator.outline import segments as path_segments
from generator.text import strip_html

SHORT_PHRASE_WORDS = 8
"""The most words a summary may have to be a name."""
NAME_AIM = 48
"""Names this long or shorter read at a glance; MAX_NAME_LENGTH (64) is MCP's hard limit."""

# Verbs APIs name their operations with, in their base form.
VERBS = frozenset(
    [
        "abort", "accept", "acknowledge", "activate", "add", "aggregate", "allow", "apply", "approve", "archive",
        "assign", "attach", "authenticate", "authorize", "batch", "block", "bulk", "calculate", "call", "cancel",
        "change", "check", "checkout", "claim", "clear", "clone", "close", "commit", "complete", "compute",
        "configure", "confirm", "connect", "convert", "copy", "count", "create", "deactivate", "decline", "delete",
        "deny", "deploy", "describe", "detach", "disable", "disconnect", "dismiss", "download", "duplicate", "edit",
        "enable", "end", "enroll", "estimate", "evaluate", "exchange", "execute", "expire", "export", "extend",
        "fetch", "fill", "finalize", "find", "finish", "flag", "follow", "forward", "generate", "get", "grant",
        "import", "initiate", "insert", "invite", "invalidate", "issue", "join", "label", "launch", "leave", "link",
        "list", "lock", "log", "login", "logout", "mark", "merge", "migrate", "modify", "move", "mute", "notify",
        "open", "order", "patch", "pause", "pay", "perform", "pin", "ping", "place", "poll", "post", "preview",
        "print", "process", "promote", "publish", "purge", "push", "put", "query", "queue", "read", "reactivate",
        "rebuild", "receive", "record", "redact", "redeem", "refresh", "refund", "regenerate", "register", "reject",
        "release", "reload", "remove", "rename", "render", "reopen", "reorder", "replace", "reply", "report",
        "request", "resend", "reserve", "reset", "resolve", "restart", "restore", "resume", "retrieve", "retry",
        "return", "reverse", "revoke", "rollback", "rotate", "run", "save", "scan", "schedule", "search", "select",
        "send", "set", "share", "show", "sign", "snooze", "sort", "split", "start", "stop", "stream", "submit",
        "subscribe", "suspend", "swap", "sync", "tag", "terminate", "test", "toggle", "track", "transfer",
        "transition", "trigger", "truncate", "unarchive", "unassign", "unblock", "undelete", "unfollow", "unlink",
        "unlock", "unmute", "unpin", "unpublish", "unsubscribe", "update", "upload", "upsert", "validate", "verify",
        "view", "void", "watch", "withdraw", "write",
    ]
)  # fmt: skip
_METHOD_VERBS = {"get": "get", "put": "replace", "post": "create", "patch": "update", "delete": "delete"}
# A summary (or a name) that starts like a sentence rather than with a verb, or holds a clause; the gate checks
# names against the same words.
SENTENCE_OPENERS = frozenset(
    {"this", "that", "these", "those", "the", "a", "an", "it", "note", "you", "we", "if", "when", "use"}
)
CLAUSE_WORDS = frozenset({"if", "when", "unless", "because", "which", "will", "must", "should", "please"})
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_URL = re.compile(r"https?://\S+")
_EMPHASIS = re.compile(r"(\*\*|__|\*|_)(?=\S)(.+?)(?<=\S)\1")
_CODE = re.compile(r"(`+)(.+?)\1")
_LINE_MARK = re.compile(r"^\s*(#+|>+|[-*+]\s)\s*", re.MULTILINE)
_SENTENCE_INSIDE = re.compile(r"[.!?;:](\s|$)|\s[-\u2013\u2014]\s|\(|\)")
_NOISE = NOISE
_A_LIST_OF = re.compile(
    r"(return|get|retrieve|fetch|list|show) (a |an |the )?((full|complete|paginated) )?list of (all )?"
)
_POSSESSIVE = re.compile(r"(?<=\w)['\u2019]s\b")
_CAMEL_SEGMENTS = re.compile(r"[A-Z][A-Za-z0-9]*(_[A-Z][A-Za-z0-9]*)+")


ARTICLES = frozenset({"a", "an", "the"})
"""Words a name never carries: `show_a_project` says no more than `show_project`."""
_ODATA_SEGMENT = re.compile(r"\$(count|value|ref|metadata|batch)$")
_ODATA_VERBS = {
    "count": {"get": "count"},
    "value": {"get": "get", "put": "replace", "patch": "update", "delete": "delete"},
    "ref": {"get": "get", "post": "add", "put": "set", "delete": "remove"},
}
_ODATA_OBJECTS = {"value": "content", "ref": "reference"}
_PRODUCT_WORD = re.compile(r"\b[A-Z][a-z]+(?:[A-Z][a-z]+)+\b")
"""A compound written as one word with inner capitals (`GitHub`, `LinkedIn`), as prose names a product."""


@dataclass(frozen=True)
class NameSource:
    """The words a tool is named with, and the text (with its own capitals) its title is made from."""

    words: tuple[str, ...]
    title_text: str
    origin: str
    """`summary`, `operationId`, `path` or `odata` (a path whose last segment says what the call does: its title
    comes from these words, never from the summary, which real specs give every such path alike)."""


def plain_text(text: str) -> str:
    """Summary text without HTML, markdown links (their label stays), bare URLs, emphasis, code marks, headings."""
    text = strip_html(text)
    text = _MARKDOWN_LINK.sub(r"\1", text)
    text = _URL.sub("", text)
    for pattern in (_EMPHASIS, _CODE):
        text = pattern.sub(r"\2", text)
    text = _LINE_MARK.sub("", text)
    return " ".join(text.split())


def without_articles(words: list[str]) -> list[str]:
    """The words without `a`, `an` and `the` (and `all of` said as `all`), when any other word is left."""
    kept = [w for w in words if w not in ARTICLES]
    kept = [w for i, w in enumerate(kept) if not (w == "of" and i > 0 and kept[i - 1] == "all" and i + 1 < len(kept))]
    return kept or words


def product_words(texts: list[str], identifiers: set[str]) -> frozenset[str]:
    """Compounds the document's prose writes as one word (`GitHub`), lower-cased, that are no identifier of it
    (a parameter or property named `ExternalId` is two words): names keep them whole."""
    found = {m.group(0) for text in texts for m in _PRODUCT_WORD.finditer(text)}
    return frozenset(word.lower() for word in found if word not in identifiers)


def joined_products(words: list[str], products: frozenset[str]) -> list[str]:
    """Words with the split parts of a product word joined again (`git`, `hub` -> `github`)."""
    if not products:
        return words
    result: list[str] = []
    index = 0
    while index < len(words):
        for end in range(min(len(words), index + 4), index + 1, -1):
            if "".join(words[index:end]) in products:
                result.append("".join(words[index:end]))
                index = end
                break
        else:
            result.append(words[index])
            index += 1
    return result


def from_odata_path(method: str, path: str) -> NameSource | None:
    """An OData path ending in `$count`, `$value` or `$ref`: the segment as a verb or object, on the resource
    before it and its parents (`/drives/{id}/bundles/$count` -> count drive bundles)."""
    route = path.split("#", 1)[0].rstrip("/")
    match = _ODATA_SEGMENT.search(route)
    verb = _ODATA_VERBS.get(match.group(1), {}).get(method.lower()) if match else None
    if match is None or verb is None:
        return None
    segments = [s for s in route[: match.start()].strip("/").split("/") if s and not s.startswith("{")]
    segments = [s for s in segments if not _NOISE.fullmatch(s.lower())]
    if not segments:
        return None
    parents = [singular(w) for s in segments[:-1] for w in split_words(s)]
    words = [verb, *parents, *split_words(segments[-1])]
    if match.group(1) in _ODATA_OBJECTS:
        words.append(_ODATA_OBJECTS[match.group(1)])
    return NameSource(tuple(words), " ".join(words), "odata")


def base_verb(word: str) -> str:
    """`creates` -> `create`, `searches` -> `search`, `lists` -> `list`; other words as they are."""
    for cut in (1, 2):
        if word.endswith("s") and word[:-cut] in VERBS:
            return word[:-cut]
    if word.endswith("ies") and word[:-3] + "y" in VERBS:
        return word[:-3] + "y"
    return word


def _verb_first(words: list[str]) -> list[str]:
    """The first word in its base form; "returns a list of X" (and get, retrieve, fetch) said as "list X"."""
    words = [base_verb(words[0]), *words[1:]] if words else words
    match = _A_LIST_OF.match(" ".join(words))
    return ["list", *" ".join(words)[match.end() :].split()] if match and match.end() < len(" ".join(words)) else words


def from_summary(summary: str) -> NameSource | None:
    """The summary's words when it is a short verb phrase: a few words, no sentence punctuation, no clause."""
    text = _POSSESSIVE.sub("", plain_text(summary)).rstrip(".")
    if not text or _SENTENCE_INSIDE.search(text):
        return None
    words = split_words(text)
    if (
        not words
        or len(words) > SHORT_PHRASE_WORDS
        or words[0] in SENTENCE_OPENERS
        or not CLAUSE_WORDS.isdisjoint(words)
    ):
        return None
    if _NOISE.fullmatch(words[0]):  # "v3 Mail Send": a route's words, not a verb phrase
        return None
    words = without_articles(_verb_first(words))
    if len("_".join(words)) > NAME_AIM:
        return None
    return NameSource(tuple(words), _summary_title(text, words), "summary")


def _summary_title(text: str, words: list[str]) -> str:
    """The summary as the title, with its verb as the name has it ("Creates a pet" -> "Create a pet")."""
    based = _base_first(text)  # "Returns a list of your coupons" -> "Return a list of your coupons"
    said_list = _A_LIST_OF.match(based.lower()) if words[0] == "list" else None
    if said_list is not None and said_list.end() < len(based):
        return "List " + based[said_list.end() :]  # as it is named: list your coupons
    if words[0] == split_words(text)[0]:
        return text
    return words[0].capitalize() + text[len(text.split()[0]) :]


def from_operation_id(operation_id: str, method: str, path: str) -> NameSource | None:
    """The operationId's words when they name the operation, not its path: verb first, `entity.action` turned
    round (`users.list` -> list users)."""
    if not operation_id.strip():
        return None
    # `users.list`, `Envelopes_PostEnvelopes`: an entity, then the action on it.
    separator = r"[./]" if re.search(r"[./]", operation_id) or not _CAMEL_SEGMENTS.fullmatch(operation_id) else "_"
    segments = [s for s in re.split(separator, operation_id) if s]
    action = cased_words(segments[-1]) if segments else []
    if len(segments) > 1 and action and base_verb(action[0].lower()) in VERBS:
        said = {w.lower() for w in action}
        entity = [w for s in segments[:-1] for w in cased_words(s) if w.lower() not in said]
        cased = [action[0], *entity, *action[1:]]
    else:
        cased = cased_words(operation_id)
    words = without_articles(_verb_first([w.lower() for w in cased]))
    if not words or _is_path_noise(split_words(operation_id), method, path):
        return None
    return NameSource(tuple(words), " ".join([words[0], *cased[1:]]), "operationId")


def _is_path_noise(words: list[str], method: str, path: str) -> bool:
    """`RestV10ProjectsGet`, `read_items_items__item_id__get`: a route spelled out, not an operation named."""
    if _NOISE.fullmatch(words[0]) or (words[0] in HTTP_METHODS and len(words) > 1 and _NOISE.fullmatch(words[1])):
        return True
    path_words = set(split_words(path))
    if words[0] == method.lower() and len(words) > 1 and set(words[1:]) <= path_words:
        return True  # `GetProductsId`: the method, then the path's own words
    ends_in_method = len(words) >= 3 and words[-1] in HTTP_METHODS and words[-1] == method.lower()
    return (ends_in_method and words[0] not in VERBS) or (ends_in_method and set(words[1:-1]) <= path_words)


def from_path(method: str, path: str, scopes: Mapping[str, str] | None = None) -> NameSource:
    """A verb for the method and the path's resource words (no versions, parameters or `api`/`rest`), a segment
    that names one record in the singular (`/companies/{id}/users` -> list company users). Leading `scopes`
    (`{projects: project}`) are said last: `/projects/{id}/rfis` -> list rfis in project. A last segment that
    names an action gives the verb: `/entries/{id}/restore` -> restore entry, `.../bulk_update` -> bulk update."""
    verb = _METHOD_VERBS.get(method.lower(), method.lower())
    if method.lower() == "get" and not path.rstrip("/").endswith("}"):
        verb = "list"
    found, scope = scoped(path_segments(path), scopes or {})
    words = _said_once(found)
    said_last = ["in", scope] if scope else []
    fragment = split_words(path.split("#", 1)[1]) if "#" in path else []
    if fragment and fragment[0] in VERBS:
        words = [*fragment, *words, *said_last]
        return NameSource(tuple(words), " ".join(words), "path")
    if len(found) > 1 and path_action(found[-1], method.lower()) is not None:  # `/entries/{id}/restore`
        words = [*_said_once(found[-1:]), *_said_once(found[:-1]), *said_last]
    elif len(words) > 1 and words[-1] in VERBS and method.lower() == "post":  # `/mail/send`: the path says the verb
        words = [words[-1], *words[:-1], *said_last]
    else:
        words = [verb, *words, *fragment, *said_last]
    return NameSource(tuple(words), " ".join(words), "path")


def _said_once(found: list[Segment]) -> list[str]:
    """The segments' words in order, a segment that names one record in the singular, and the words a segment
    opens with that the one before it ended with said once: `/generic_tools/{id}/generic_tool_items` -> generic
    tool items, `/checklist/items/{id}/item_response` -> checklist item response, `/action_plans/plans` -> action
    plans."""
    words: list[str] = []
    for segment in found:
        said = list(segment.singular if segment.one else segment.words)
        repeated = next((size for size in range(min(len(words), len(said)), 0, -1) if words[-size:] == said[:size]), 0)
        words.extend(said[repeated:])
    return words


def choose(
    summary: str,
    operation_id: str,
    method: str,
    path: str,
    description: str = "",
    products: frozenset[str] = frozenset(),
    scopes: Mapping[str, str] | None = None,
) -> NameSource:
    """The best source for this operation's name and title: an OData path's own meaning, the summary, a worded
    operationId, the first clause of a sentence-like summary or of the description, then the method and path.
    `products`: compound words (`github`) its split parts are joined into again; `scopes`: path segments said last
    in a name made from the path (see `from_path`)."""
    source = (
        from_odata_path(method, path)
        or from_summary(summary)
        or from_operation_id(operation_id, method, path)
        or from_summary_start(summary)
        or from_summary_start(description, whole=True)
        or from_path(method, path, scopes)
    )
    joined = joined_products(list(source.words), products)
    return source if len(joined) == len(source.words) else NameSource(tuple(joined), source.title_text, source.origin)


def from_summary_start(summary: str, *, whole: bool = False) -> NameSource | None:
    """A sentence-like summary that opens with a verb phrase ("Creates a model response. Provide..."): its first
    clause, when that is short enough to be a name. `whole`: the text may be that clause alone (a description)."""
    text = plain_text(summary)
    first = re.split(r"[.!?;:(]|\s[-\u2013\u2014]\s", text, maxsplit=1)[0]
    return from_summary(first) if whole or first.strip() != text.rstrip(".").strip() else None


def _base_first(phrase: str) -> str:
    """ "Gets list of charges" -> "Get list of charges": the verb as the name has it."""
    first, _, rest = phrase.partition(" ")
    verb = base_verb(first.lower())
    return (
        (verb.capitalize() if first[:1].isupper() else verb) + (" " + rest if rest else "")
        if verb != first.lower()
        else phrase
    )


def title_from(source: NameSource, words: list[str], summary: str = "") -> str:
    """Plain-text title case, at most 80 characters: the summary when it is a short phrase (in any script), else
    the name's words with the capitals the source gave them (RFIs, URL)."""
    phrase = plain_text(summary).rstrip(".") if source.origin != "odata" else ""
    if phrase and not _SENTENCE_INSIDE.search(phrase) and len(phrase.split()) <= SHORT_PHRASE_WORDS + 2:
        title = _base_first(phrase) if source.origin != "summary" else source.title_text
    elif source.origin == "summary" and list(source.words) == words:
        title = source.title_text
    else:
        # Only acronyms keep their capitals (`RFIs`, `URL`); title case does the rest.
        capitals = {w.lower(): w for w in cased_words(source.title_text) if sum(c.isupper() for c in w) > 1}
        title = " ".join(capitals.get(w, w) for w in words)
    title = title_case(title[:1].upper() + title[1:]).rstrip(" .:;")
    return title if len(title) <= 80 else title[:80].rsplit(" ", 1)[0]

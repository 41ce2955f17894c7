"""Catalog mode: search, describe and call any operation through three small tools."""

from __future__ import annotations

import bisect
import functools
import math
import re
from typing import Any

from . import contract, settings

# How much a query word found in each field counts (times the word's rarity across the API).
WEIGHTS = {"name": 3.0, "title": 2.0, "resource": 3.0, "tags": 1.5, "path": 1.0, "summary": 1.0, "params": 0.3}
META_TOOLS = ("search_operations", "describe_operation", "call_operation")
# A query's verb, as the kind of operation it asks for (`change`, `get` and `set` are left out: too often nouns
# or too vague). Without a verb, lists rank before single records, and both before changes.
INTENTS = {
    "list": "list", "find": "list", "search": "list", "all": "list",
    "show": "show", "view": "show", "detail": "show", "browse": "list",
    "create": "create", "add": "create", "new": "create", "upload": "create",
    "update": "update", "edit": "update", "modify": "update",
    "delete": "delete", "remove": "delete",
}  # fmt: skip
# A query's first word (or two), when one of these verbs, says the kind of operation too (elsewhere in a query
# they are often nouns: a daily log, an incident report, a close-out). The second set only when an article
# follows: "change the due date", "schedule a meeting", but "change orders", "schedule tasks".
LEADING_VERBS = {
    "log": "create", "record": "create", "raise": "create", "report": "create", "submit": "create",
    "send": "create", "start": "create", "post": "create", "answer": "create", "reply": "create",
    "respond": "create", "book": "create", "invite": "create", "set up": "create", "sign in": "create",
    "close": "update", "approve": "update", "reject": "update", "mark": "update", "fill": "update",
    "rename": "update",
}  # fmt: skip
VERBS_BEFORE_AN_ARTICLE = {"change": "update", "schedule": "create", "set": "update", "file": "create"}
# Leading verbs that also name what is made ("reply to the RFI": a reply; "approve": an approver's response):
# they stay words to find as well.
VERBS_THAT_NAME = frozenset({"log", "answer", "reply", "respond", "approve", "reject"})
_ARTICLES = ("a", "an", "the", "my", "our", "this", "that", "these", "those", "some")
_STOP_WORDS = (
    *_ARTICLES, "of", "for", "in", "on", "to", "by", "with", "from", "me", "i", "and", "or", "get", "s", "is",
    "are", "was", "were", "be", "do", "does", "did", "have", "has", "we", "us", "it", "its", "there", "at", "as",
    "about", "up", "out", "still", "any", "who", "what", "which", "where", "when", "how", "many", "much", "can",
    "will", "please",
    # Dates narrow a list (its filters); they never name an operation.
    "today", "yesterday", "tomorrow", "tonight", "week", "month", "year", "last",
)  # fmt: skip
# Words an agent may search for, and the words this API uses instead (the config's `search_synonyms`).
SYNONYMS: dict[str, Any] = settings.API["searchSynonyms"]
_VERSION = re.compile(r"v?\d+")


def words(text: str) -> list[str]:
    """Lower-case words with simple plurals folded (`rfis` -> `rfi`, `entries` -> `entry`, `misses` -> `miss`)."""
    found = []
    for word in re.findall(r"[a-z0-9]+", re.sub(r"([a-z])([A-Z])", r"\1 \2", text).lower()):
        if len(word) > 4 and word.endswith("ies"):
            word = word[:-3] + "y"
        elif len(word) > 4 and word.endswith(("sses", "shes", "ches", "xes")):
            word = word[:-2]
        elif len(word) > 3 and word.endswith("s") and not word.endswith("ss"):
            word = word[:-1]
        found.append(word)
    return found


Slot = tuple[tuple[str, ...], ...]
"""One thing a query asks for: the ways it may be written (each a word or a phrase), any of which will do."""


def _meanings(synonyms: dict[str, Any]) -> dict[tuple[str, ...], Slot]:
    """A synonym's words (one word or a phrase) -> what else they may be written as."""
    meanings: dict[tuple[str, ...], Slot] = {}
    for key, meaning in synonyms.items():
        options = meaning if isinstance(meaning, list) else [meaning]
        meanings[tuple(words(key))] = tuple(tuple(words(option)) for option in options if words(option))
    return meanings


# Folded as query words are (`this` -> `thi`), so that they match what `words` gives.
ARTICLES = frozenset(w for text in _ARTICLES for w in words(text))
STOP_WORDS = frozenset(w for text in _STOP_WORDS for w in words(text))
_MEANINGS = _meanings(SYNONYMS)
_LONGEST = max((len(key) for key in _MEANINGS), default=1)


def slots(query: str) -> list[Slot]:
    """The query's words, each a slot of its own, except that a synonym's words (the longest found first) make one
    slot that holds them and what they mean: `pco` may be `pco` or `potential change order`."""
    found = words(query)
    result: list[Slot] = []
    start = 0
    while start < len(found):
        for size in range(min(_LONGEST, len(found) - start), 0, -1):
            key = tuple(found[start : start + size])
            if key in _MEANINGS:
                result.append((key, *_MEANINGS[key]))
                start += size
                break
        else:
            result.append(((found[start],),))
            start += 1
    return result


def _single(slot: Slot) -> str:
    """The slot's word when it is one plain word with no synonym, else an empty string."""
    return slot[0][0] if len(slot) == 1 and len(slot[0]) == 1 else ""


def summary(definition: contract.Definition) -> str:
    first = definition["description"].split("\n\n", 1)[0]
    return first if len(first) <= 200 else first[:197].rsplit(" ", 1)[0] + "..."


def _params(schema: dict[str, Any]) -> str:
    names = list(schema.get("properties", {}))
    for sub in schema.get("properties", {}).values():
        if isinstance(sub, dict):
            names += list(sub.get("properties", {}))
    return " ".join(names)


def _segments(path: str) -> list[str]:
    """A path's fixed parts, without parameters, version numbers and `rest`: what the operation works on."""
    return [
        s for s in path.split("/") if s and s[0] != "{" and s != "rest" and not _VERSION.fullmatch(s.replace(".", ""))
    ]


SCOPES = frozenset({"in", "across", "on", "within"})
SlotTable = dict[int, tuple[float, float, frozenset[str]]]
"""For one slot of a query, per operation that holds it: its score, the share of its words found, those words."""
SCORE_CACHE = 4096
"""How many words' scores an index keeps between searches before it starts afresh."""
PREFERENCE = 0.9
"""A synonym's meanings are listed most likely first: each later one counts this much of the one before."""
DETAIL_WEIGHT = 0.5
"""How much a detail word (one no name, tag or path holds) found in an operation's text adds, at most."""
DEPRECATED_SHARE = 0.6
"""What an operation the API marks deprecated keeps of its score: it ranks below one that does the same."""
OUTLINED_SHARE = 0.8
"""What an operation the spec leaves undescribed (its words written from its method and path) keeps of its score:
where it matches a query about as well as one the spec describes, the described one comes first."""


def _topic(name: str) -> dict[str, float]:
    """What a name says the operation works on, each word with its share: the words before the scope count
    whole, those of the scope half (`list_rfis_in_project` works on RFIs, in a project). Its verb, version
    and small words are left out."""
    found = words(name)
    scope = next((i for i, word in enumerate(found) if i and word in SCOPES), len(found))
    shares: dict[str, float] = {}
    for position, word in enumerate(found):
        if position == 0 and word in LEADING_VERBS:
            continue  # a verb, as in `record_an_injury`
        if word not in INTENTS and word not in STOP_WORDS and not _VERSION.fullmatch(word):
            shares[word] = max(shares.get(word, 0.0), 1.0 if position < scope else 0.5)
    return shares


def _kind(name: str, method: str, path: str) -> str:
    """What an operation does, from its name's verb, else from its method and path."""
    verb = words(name)[:1]
    if verb and verb[0] in INTENTS:
        return INTENTS[verb[0]]
    if method == "GET":
        return "show" if path.rstrip("/").endswith("}") else "list"
    if method == "QUERY":
        return "list"
    return {"POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}.get(method, "")


class Index:
    """The words each operation is found by, and how rare each word is; built on the first search."""

    def __init__(self, tools: list[contract.Tool]) -> None:
        self.tools = tools
        self.fields: list[dict[str, set[str]]] = []
        self.kinds: list[str] = []
        self.topics: list[dict[str, float]] = []  # what a name says the operation works on (see `_topic`)
        self.name_lengths = [len(entry["definition"]["name"]) for entry in tools]
        self.shares = [
            (DEPRECATED_SHARE if entry["binding"].get("deprecated") else 1.0)
            * (OUTLINED_SHARE if entry["binding"].get("outlined") else 1.0)
            for entry in tools
        ]
        counts: dict[str, int] = {}
        # The words that name what described operations are: where the spec describes some, a word only the names
        # made from undescribed operations' paths hold is a detail, as one nothing names is.
        described = [not entry["binding"].get("outlined") for entry in tools]
        self.naming: set[str] = set()
        for entry, own in zip(tools, described, strict=True):
            definition, binding = entry["definition"], entry["binding"]
            segments = _segments(binding["path"])
            texts = {
                "name": definition["name"],
                "title": definition["title"],
                "resource": segments[-1] if segments else "",
                "tags": " ".join(binding.get("tags", [])),
                "path": " ".join(segments),
                "summary": summary(definition),
                "params": _params(definition["inputSchema"]),
            }
            fields = {field: set(words(text)) for field, text in texts.items()}
            self.fields.append(fields)
            self.kinds.append(_kind(definition["name"], binding["method"], binding["path"]))
            self.topics.append(_topic(definition["name"]))
            for word in fields["name"] | fields["title"] | fields["resource"] | fields["tags"] | fields["path"]:
                counts[word] = counts.get(word, 0) + 1
                if own or not any(described):
                    self.naming.add(word)
        self.rarity = {word: math.log(1 + len(tools) / count) for word, count in counts.items()}
        self.unknown = math.log(1 + max(len(tools), 1))
        # Per field, which operations hold each word, and the words in order (a word's beginning finds longer ones).
        self.postings: dict[str, dict[str, list[int]]] = {field: {} for field in WEIGHTS}
        for position, fields in enumerate(self.fields):
            for field, found in fields.items():
                for word in found:
                    self.postings[field].setdefault(word, []).append(position)
        self.vocabulary = {field: sorted(postings) for field, postings in self.postings.items()}
        self._scores: dict[tuple[str, bool], dict[int, float]] = {}
        # What covering a whole name takes: its words before the scope (a scope word found adds to it, capped),
        # or all of them when the name begins with its scope.
        # Each name's topic words with their weights (see `_topic`), for the share of the name a query covers.
        self.topic_terms = [
            [(word, self._weight(word) * share) for word, share in named.items()] for named in self.topics
        ]
        self.topic_weights = [
            sum(self._weight(word) for word in ([w for w, share in named.items() if share == 1.0] or named))
            for named in self.topics
        ]

    def search(
        self, query: str, tag: str = "", method: str = "", read_only: bool | None = None
    ) -> list[tuple[float, int]]:
        """Matching operations, best first: rare query words found in names and resources count most, an
        operation must hold most of the query's words, a name the query covers gains, and the query's verb
        (list, show, create, update, delete) picks the kind of operation. A word or phrase with a synonym
        matches whichever way of writing it scores best."""
        every = [self._known_form(slot) for slot in slots(query)]
        intent, taken = _leading_verb(every)
        every = every[taken:]
        terms = [slot for slot in every if _single(slot) not in STOP_WORDS] or every
        intent = intent or next((INTENTS[_single(slot)] for slot in terms if _single(slot) in INTENTS), "")
        asked = [slot for slot in terms if _single(slot) not in INTENTS] or terms
        # Words no name, tag or path holds are details of a record ("the cracked window"): they may add to a
        # match found in a description, but an operation need not hold them.
        topic = [slot for slot in asked if self._named(slot)] or asked
        details = [slot for slot in asked if slot not in topic]
        top = max((self._weight(w) for slot in topic for way in slot for w in way), default=0.0)
        if not terms:  # nothing to look for: every operation the filters keep
            scored = [(0.0, i) for i, entry in enumerate(self.tools) if _kept(entry, tag, method, read_only)]
        else:
            tables = [self._slot_table(slot) for slot in topic]
            scored = self._scores_of(tables, details, intent, top, (tag, method, read_only))
        scored.sort(key=lambda item: (-item[0], self.name_lengths[item[1]], item[1]))
        return scored

    def _scores_of(
        self, tables: list[SlotTable], details: list[Slot], intent: str, top: float, filters: tuple[str, str, Any]
    ) -> list[tuple[float, int]]:
        """Every operation's score for a query's topic (its slots' tables, see `_slot_table`) and details, for the
        operations that hold some of the topic and pass the filters: see `search`. `top` is the rarest topic word's
        weight, the unit of the bonuses. (One pass over the tables, then one over the operations found.)"""
        found: dict[int, list[Any]] = {}  # per operation: its slots' scores, shares and words found, summed
        for table in tables:
            for position, (value, share, used) in table.items():
                entry = found.get(position)
                if entry is None:
                    found[position] = [value, share, used]
                else:
                    entry[0] += value
                    entry[1] += share
                    entry[2] = entry[2] | used
        detail_scores = [self._scored(_single(slot), True) for slot in details]
        filtered = any(value not in ("", None) for value in filters)
        kind_bonus = {"list": 1.0, "show": 0.5}
        scored: list[tuple[float, int]] = []
        for position in sorted(found):
            if filtered and not _kept(self.tools[position], *filters):
                continue
            score, share, matched = found[position]
            if not share:
                continue
            score *= share / len(tables)
            score += sum(DETAIL_WEIGHT * scores.get(position, 0.0) / self.unknown for scores in detail_scores)
            terms = self.topic_terms[position]
            if terms:  # how much of the name the query covers, its rare words counting most
                covered = sum(weight for word, weight in terms if _covers(matched, word))
                score += 2.0 * top * min(1.0, covered / self.topic_weights[position])
            kind = self.kinds[position]
            if intent:
                score += 1.5 * top if kind == intent else 0.0
            else:
                score += kind_bonus.get(kind, 0.0) * top
            scored.append((score * self.shares[position], position))
        return scored

    def _weight(self, word: str) -> float:
        return self.rarity.get(word, self.unknown)

    def _named(self, slot: Slot) -> bool:
        """Whether any way of writing the slot is a word the (described) operations' names, tags or paths hold."""
        return any(word in self.naming for way in slot for word in way)

    def _known_form(self, slot: Slot) -> Slot:
        """A word the index does not hold, as the index holds it: `changed` as `change`, `assigned` as `assign`."""
        word = _single(slot)
        if not word or word in self.rarity:
            return slot
        stems = [word[:-1], word[:-2], word[:-3], word[:-3] + "e"] if word.endswith(("ed", "ing")) else []
        return next((((stem,),) for stem in stems if len(stem) > 2 and stem in self.rarity), slot)

    def _slot_table(self, slot: Slot) -> SlotTable:
        """For every operation that holds a way of writing the slot: the best way's score, the share of its words
        found, and those words. A way's score is its words' scores (in proportion to the share of them found),
        over its length: a phrase counts as one word. A word that has synonyms is matched whole (`sub` must not
        find `submittal`); a synonym's later meanings count a little less than its first."""
        table: SlotTable = {}
        for index, way in enumerate(slot):
            prefix = len(slot) == 1 or index > 0
            totals: dict[int, tuple[float, tuple[str, ...]]] = {}
            for word in way:
                for position, value in self._scored(word, prefix).items():
                    total, used = totals.get(position, (0.0, ()))
                    totals[position] = (total + value, (*used, word))
            factor = PREFERENCE ** max(index - 1, 0)
            for position, (total, used) in totals.items():
                share = len(set(used)) / len(way)
                value = total * share / len(way) * factor
                if value and (position not in table or value > table[position][0]):
                    table[position] = (value, share, frozenset(used))
        return table

    def _scored(self, word: str, prefix: bool) -> dict[int, float]:
        """For every operation that holds the word: the best field it is found in, weighted by the word's rarity (a
        word's beginning counts half), from the postings; kept for the next search."""
        key = (word, prefix)
        if key in self._scores:
            return self._scores[key]
        if len(self._scores) > SCORE_CACHE:
            self._scores.clear()
        rarity, scores = self.rarity.get(word, self.unknown), dict[int, float]()
        for field, weight in WEIGHTS.items():
            value = weight * rarity
            for position in self.postings[field].get(word, ()):
                scores[position] = max(scores.get(position, 0.0), value)
            if not prefix or len(word) < 3:
                continue
            vocabulary = self.vocabulary[field]
            for other in vocabulary[bisect.bisect_right(vocabulary, word) :]:
                if not other.startswith(word):
                    break
                for position in self.postings[field][other]:
                    scores[position] = max(scores.get(position, 0.0), value / 2)
        self._scores[key] = scores
        return scores


@functools.lru_cache(maxsize=SCORE_CACHE)
def _covers(matched: frozenset[str], word: str) -> bool:
    """Whether a name's word was found by the query: itself, or a query word it begins with (`approve`)."""
    return word in matched or any(len(found) >= 3 and word.startswith(found) for found in matched)


def _leading_verb(found: list[Slot]) -> tuple[str, int]:
    """The kind of operation a query's opening verb asks for (see LEADING_VERBS) and how many of its first slots
    that verb takes up (0 when it also names what is made, or when there is no such verb)."""
    if len(found) < 2:
        return "", 0  # a query of one word names a thing: "reports", "log"
    first = [slot[0][0] if len(slot[0]) == 1 else "" for slot in found[:2]]  # the words as written
    if " ".join(first) in LEADING_VERBS:
        return LEADING_VERBS[" ".join(first)], 2
    verb = first[0]
    kind = LEADING_VERBS.get(verb, "")
    if not kind and verb in VERBS_BEFORE_AN_ARTICLE and first[1] in ARTICLES:
        kind = VERBS_BEFORE_AN_ARTICLE[verb]
    return kind, 0 if not kind or verb in VERBS_THAT_NAME else 1


def _kept(entry: contract.Tool, tag: str, method: str, read_only: bool | None) -> bool:
    """Whether an operation passes the search's filters."""
    binding, definition = entry["binding"], entry["definition"]
    if method and binding["method"] != method.upper():
        return False
    if tag and not any(tag.lower() in t.lower() for t in binding.get("tags", [])):
        return False
    return read_only is None or bool(definition["annotations"].get("readOnlyHint")) == read_only


def search(tools: list[contract.Tool], arguments: dict[str, Any], index: Index | None = None) -> dict[str, Any]:
    """`search_operations`: the best matches among the tools (through their `index` when it is kept, so it is built
    once), as names with what to tell them apart by."""
    index = index if index is not None and index.tools is tools else Index(tools)
    found = index.search(
        str(arguments.get("query", "")),
        str(arguments.get("tag", "")),
        str(arguments.get("method", "")),
        arguments.get("read_only"),
    )
    limit = int(arguments.get("limit", 10))
    results = []
    for _, position in found[:limit]:
        definition, binding = tools[position]["definition"], tools[position]["binding"]
        results.append(
            {
                "name": definition["name"],
                "title": definition["title"],
                "method": binding["method"],
                "path": binding["path"],
                "read_only": bool(definition["annotations"].get("readOnlyHint")),
                "summary": summary(definition),
            }
        )
    return {"results": results, "total": len(found)}


def _definitions_in(node: Any) -> list[str]:
    """The names of the shared definitions a schema refers to, in order, once per reference."""
    found: list[str] = []
    pending = [node]
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            ref = item.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                found.append(ref[len("#/$defs/") :])
            pending.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            pending.extend(reversed(item))
    return found


def _on_a_cycle(name: str, graph: dict[str, list[str]]) -> bool:
    seen: set[str] = set()
    pending = list(graph.get(name, []))
    while pending:
        other = pending.pop()
        if other == name:
            return True
        if other not in seen:
            seen.add(other)
            pending.extend(graph.get(other, []))
    return False


def with_definitions(schema: dict[str, Any], shared: dict[str, Any]) -> dict[str, Any]:
    """A response schema made whole from the `shared` definitions: one used once here is written in place, one
    used more often (or recursive) is kept under `$defs`."""
    uses: dict[str, int] = {}
    graph: dict[str, list[str]] = {}
    pending = [name for name in _definitions_in(schema) if name in shared]
    while pending:
        name = pending.pop(0)
        uses[name] = uses.get(name, 0) + 1
        if name not in graph:
            graph[name] = [inner for inner in _definitions_in(shared[name]) if inner in shared]
            pending.extend(graph[name])
    in_place = {name for name, count in uses.items() if count == 1 and not _on_a_cycle(name, graph)}

    def whole(node: Any) -> Any:
        if isinstance(node, list):
            return [whole(item) for item in node]
        if not isinstance(node, dict):
            return node
        ref = node.get("$ref")
        if isinstance(ref, str) and ref[len("#/$defs/") :] in in_place and ref.startswith("#/$defs/"):
            siblings = {key: whole(value) for key, value in node.items() if key != "$ref"}
            return {**whole(shared[ref[len("#/$defs/") :]]), **siblings}
        return {key: whole(value) for key, value in node.items()}

    result: dict[str, Any] = whole(schema)
    kept = sorted(name for name in graph if name not in in_place)
    if kept:
        result["$defs"] = {name: whole(shared[name]) for name in kept}
    return result


def _argument(argument: contract.Argument) -> dict[str, Any]:
    """Where one argument travels, and what the server fills in by itself (names of settings, never values)."""
    shown: dict[str, Any] = {"argument": argument["property"], "in": argument["in"], "name": argument["name"]}
    if argument.get("env"):
        shown["default"] = "setting " + argument["env"]
    if argument.get("token"):
        shown["default"] = "the stored " + argument["token"].replace("_", " ")
    if argument.get("hidden"):
        shown["filledByServer"] = True
    return shown


def describe(entry: contract.Tool, input_schema: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    """`describe_operation`: everything about one operation, its whole input and output schemas included
    (`outputs` is `output_schemas.json`: whole response schemas and their shared `$defs`)."""
    definition, binding = entry["definition"], entry["binding"]
    described: dict[str, Any] = {"name": definition["name"], "title": definition["title"]}
    described["description"] = definition["description"]
    described["inputSchema"] = input_schema
    full = outputs.get("outputSchemas", {}).get(definition["name"])
    output = with_definitions(full, outputs.get("$defs", {})) if full is not None else definition.get("outputSchema")
    if output is not None:
        described["outputSchema"] = output
    described["annotations"] = definition["annotations"]
    described["method"] = binding["method"]
    described["path"] = binding["path"]
    if "operationId" in binding:
        described["operationId"] = binding["operationId"]
    described["arguments"] = [_argument(argument) for argument in binding["arguments"]]
    if "body" in binding:
        described["bodyMediaType"] = binding["body"]["mediaType"]
    return described

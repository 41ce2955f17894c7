"""What a call does to the API's data, from its method and the words of its name: one rule for the IR's
annotations and the quality gate alike."""

from __future__ import annotations

from generator.openapi import IDEMPOTENT_METHODS, SAFE_METHODS

COMPUTING_VERBS = frozenset(
    {"search", "query", "find", "lookup", "compute", "calculate", "count", "estimate", "preview", "validate", "embed"}
)
"""Verbs of a POST that works something out and keeps nothing (a search with its filters in the body)."""
COMPUTED_RESULTS = frozenset(
    {"embedding", "embeddings", "search", "query", "preview", "estimate", "calculation", "calculations", "validation"}
)
"""What such a POST makes when its verb is only `create` or `run` (`create_embeddings`, `run_search`)."""
_PLAIN_VERBS = frozenset({"create", "run", "get", "do", "perform", "make", "post", "generate"})
WRITING_VERBS = frozenset(
    {"create", "add", "update", "delete", "remove", "set", "save", "insert", "upsert", "write", "send", "replace",
     "store", "record", "submit", "import", "upload"}
)  # fmt: skip
"""Verbs that keep something: a name holding one (`find_or_create_location`) changes data, whatever it opens with."""
REPLACING_VERBS = frozenset({"replace", "overwrite"})
"""Verbs of a PUT that puts a whole new record in place of the old one: what the old one held is gone."""


def computes_only(method: str, name: str) -> bool:
    """A POST whose name says it works something out and changes nothing."""
    words = name.split("_")
    if method.lower() != "post" or not words:
        return False
    if words[0] in COMPUTING_VERBS:
        return WRITING_VERBS.isdisjoint(words)
    return words[0] in _PLAIN_VERBS and words[-1] in COMPUTED_RESULTS


def replaces(method: str, name: str) -> bool:
    """A PUT whose name says it replaces a record whole."""
    return method.lower() == "put" and name.split("_")[0] in REPLACING_VERBS


def method_hints(method: str, name: str) -> dict[str, bool]:
    """readOnlyHint, destructiveHint and idempotentHint from the method (the IANA registry), then the name."""
    method = method.lower()
    read_only = method in SAFE_METHODS or computes_only(method, name)
    return {
        "readOnlyHint": read_only,
        "destructiveHint": method == "delete" or replaces(method, name),
        "idempotentHint": method in IDEMPOTENT_METHODS or read_only,
    }

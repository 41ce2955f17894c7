"""Writes confirmed: before a call that deletes (or, by a setting, any call that changes data) is sent, the user
is asked through the client: by form elicitation on the handshake era, by the input-required round trip on
2026-07-28. Declined or dismissed, nothing is sent; where the client cannot ask, a setting decides."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal, Protocol

import mcp.types as types

from . import contract, settings

Decision = Literal["accept", "decline", "cancel", "unavailable"]
QUESTION = "confirm"
"""The key of the input request (2026-07-28) that carries the question."""
SCHEMA: dict[str, Any] = {"type": "object", "properties": {}}
"""Nothing to fill in: the user accepts, declines or dismisses."""
MAX_SHOWN = 600


class Asker(Protocol):
    """How the client of this call can be asked (the MCP layer knows; `mcp_server.CallAsker`)."""

    def can_ask(self) -> bool: ...

    async def ask(self, message: str, state: str) -> Decision | types.InputRequiredResult: ...


def needed(definition: contract.Definition) -> bool:
    """Whether this tool's calls wait for the user: `destructive` ones (the default), every `writes` one, or
    `none` (the `_CONFIRM` setting)."""
    policy = settings.confirm_policy()
    hints = definition["annotations"]
    if policy == "none" or hints.get("readOnlyHint"):
        return False
    return policy == "writes" or bool(hints.get("destructiveHint", True))


def state_of(name: str, arguments: dict[str, Any]) -> str:
    """What ties an answer to this exact call: an answer given for other arguments does not confirm it."""
    canonical = json.dumps([name, arguments], sort_keys=True, ensure_ascii=False, default=str)
    return "confirm:" + hashlib.sha256(canonical.encode()).hexdigest()[:32]


def question(entry: contract.Tool, arguments: dict[str, Any]) -> str:
    """What the user is asked: the tool, the request with its values, and what it sends."""
    definition, binding = entry["definition"], entry["binding"]
    path = binding["path"]
    sent: dict[str, Any] = {}
    for argument in binding["arguments"]:
        if argument["property"] not in arguments or argument.get("hidden"):
            continue
        value = arguments[argument["property"]]
        if argument["in"] == "path":
            path = path.replace("{" + argument["name"] + "}", str(value))
        elif argument["in"] in ("query", "body"):
            sent[argument["property"]] = value
    shown = json.dumps(sent, ensure_ascii=False, default=str)
    shown = shown if len(shown) <= MAX_SHOWN else shown[:MAX_SHOWN] + "…"
    what = "It deletes data." if definition["annotations"].get("destructiveHint", True) else "It changes data."
    body = f" with {shown}" if sent else ""
    return f"Allow {definition['title']} (`{definition['name']}`)? {what} {binding['method']} {path}{body}"


async def decide(asker: Asker | None, message: str, state: str) -> Decision | types.InputRequiredResult:
    """The user's answer, the round trip that asks for it, or `unavailable` when this client cannot ask."""
    if asker is None or not asker.can_ask():
        return "unavailable"
    return await asker.ask(message, state)


def refusal(decision: Decision, entry: contract.Tool) -> str | None:
    """What the result says when the call is not sent (None: send it)."""
    name = entry["definition"]["name"]
    if decision == "accept":
        return None
    if decision == "decline":
        return f"Not sent: the user declined `{name}`. Nothing was changed; do not try again unless they ask."
    if decision == "cancel":
        return f"Not sent: the user dismissed the question about `{name}`. Nothing was changed."
    if settings.unconfirmable_policy() == "send":
        return None
    return (
        f"Not sent: `{name}` changes data and waits for the user's confirmation, which this client cannot ask for "
        f"(it does not support elicitation). Nothing was changed. To run such calls without asking, the server's "
        f"owner sets {settings.UNCONFIRMABLE}=send (or {settings.CONFIRM}=none)."
    )

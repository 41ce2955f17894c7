"""Who a tool call runs for: nobody in particular (the server's own credentials), or a signed-in team user.

The one piece of per-call state the runtime keeps, in the one ContextVar this module owns: set by the server for
the length of a team user's call, read by whatever needs to know whose call it is."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

Bearer = Callable[[str, str | None], Awaitable[str]]
"""Team mode's source of API tokens: the user's access token, given their subject and the token the API just
refused (or None)."""


@dataclass
class TeamUser:
    """A signed-in team user, for one call: their subject, where their API token comes from, and the tokens this
    call sent (kept out of what it returns)."""

    subject: str
    bearer: Bearer
    sent_tokens: list[str] = field(default_factory=list)


_CURRENT: ContextVar[TeamUser | None] = ContextVar("team_user", default=None)


def team_user() -> TeamUser | None:
    """The team user this call runs for; None outside team mode."""
    return _CURRENT.get()


def in_team() -> bool:
    return _CURRENT.get() is not None


@contextmanager
def acting_for(user: TeamUser) -> Iterator[TeamUser]:
    """Run the body as this user's call."""
    token = _CURRENT.set(user)
    try:
        yield user
    finally:
        _CURRENT.reset(token)

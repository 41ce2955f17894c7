"""Work on a second core: run a function in a forked process while the caller goes on, then collect its result."""

from __future__ import annotations

import multiprocessing
import sys
from collections.abc import Callable
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Generic, TypeVar, TypeVarTuple

T = TypeVar("T")
Args = TypeVarTuple("Args")

LARGE_DOCUMENT = 300
"""Selected operations from which a document is large: openapi-pydantic checks it in a forked process while the
tools are built, a second forked process builds half of its tools, and the command line shows its progress
(below this, a fork costs more than it saves)."""


def is_large(operations: int) -> bool:
    return operations >= LARGE_DOCUMENT


def can_fork() -> bool:
    """Fork is what makes this cheap: the child starts with the parent's data, nothing is copied or pickled on
    the way in. macOS has fork but warns against it and Windows has none: there the work runs in the caller."""
    return sys.platform != "darwin" and "fork" in multiprocessing.get_all_start_methods()


def _run_and_send(sender: Connection[T, object], call: Callable[[], T]) -> None:
    with sender:
        try:
            sender.send(call())
        except BaseException:  # the caller runs the function again and meets the error first-hand
            return


class Pending(Generic[T]):
    """A function's result, computed in a forked child when `background` is asked for and fork is available,
    else in the caller when the result is first wanted.

    `result()` waits for the child. If the child failed in any way (an exception, a crash, a value that cannot
    be sent back) the function runs again in the caller, so its error surfaces as if it had been called there.
    """

    def __init__(self, function: Callable[[*Args], T], *args: *Args, background: bool = True) -> None:
        self._call: Callable[[], T] = lambda: function(*args)
        self._process: BaseProcess | None = None
        self._value: tuple[T] | None = None
        if background and can_fork():
            context = multiprocessing.get_context("fork")
            receiver: Connection[object, T]
            sender: Connection[T, object]
            receiver, sender = context.Pipe(duplex=False)
            self._receiver = receiver
            self._process = context.Process(target=_run_and_send, args=(sender, self._call), daemon=True)
            self._process.start()
            sender.close()

    @property
    def in_background(self) -> bool:
        """Whether a child process is computing the result right now."""
        return self._process is not None

    def result(self) -> T:
        """The function's value (or its exception); computed once."""
        if self._value is None:
            self._value = (self._collect(),)
        return self._value[0]

    def _collect(self) -> T:
        if self._process is None:
            return self._call()
        process, self._process = self._process, None
        try:
            value = self._receiver.recv()
        except (EOFError, OSError):
            value = self._call()
        finally:
            self._receiver.close()
            process.join()
        return value

    def cancel(self) -> None:
        """Stop the child when the result is no longer wanted."""
        if self._process is not None:
            process, self._process = self._process, None
            process.kill()
            process.join()
            self._receiver.close()

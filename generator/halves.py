"""Build a large document's tools on two cores: the second half in a forked child, merged as if built in order."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

from generator.background import Pending, can_fork, is_large
from generator.diagnostics import Diagnostic
from generator.name_sources import NameSource
from generator.operations import Operation
from generator.schema import SchemaCompiler

Built = TypeVar("Built")
"""What the IR stage's builder makes of one job (`ir_builder.Built`): passed along as it is."""
Made = TypeVar("Made", covariant=True)

Job = tuple[Operation, str, list[tuple[str, str]] | None, NameSource | None]
"""One tool to build: its operation, its name, its related tools and where its name comes from."""


class Builder(Protocol[Made]):
    """What this module needs of the IR stage's tool builder."""

    compiler: SchemaCompiler

    def build(
        self, op: Operation, name: str, related: list[tuple[str, str]] | None = None, source: NameSource | None = None
    ) -> Made: ...


@dataclass(frozen=True)
class _Share(Generic[Built]):
    """What the child built, and what it added to the builder's state on the way."""

    built: tuple[Built, ...]
    names: dict[str, str]
    diagnostics: tuple[Diagnostic, ...]


def _build_share(builder: Builder[Built], jobs: Sequence[Job]) -> _Share[Built]:
    progress = builder.compiler.progress()
    built = tuple(builder.build(*job) for job in jobs)
    names, diagnostics = builder.compiler.since(progress)
    return _Share(built, names, diagnostics)


def build_tools(builder: Builder[Built], jobs: Sequence[Job], parallel: bool | None = None) -> tuple[Built, ...]:
    """`builder.build(*job)` for every job, in order. With `parallel` (None: for a large document, where fork
    is available) a forked child builds the second half while this process builds the first; the child's
    tools, `$defs` names and warnings are then taken on in order, so the result is the one a single process
    gives. Should the child fail, or name a schema differently from this process, this process builds the
    second half itself."""
    if parallel is None:
        parallel = is_large(len(jobs))
    if not parallel or len(jobs) < 2 or not can_fork():
        return tuple(builder.build(*job) for job in jobs)
    middle = len(jobs) // 2
    later = Pending(_build_share, builder, jobs[middle:], background=True)
    first = tuple(builder.build(*job) for job in jobs[:middle])
    share = later.result()
    if not builder.compiler.adopt(share.names, share.diagnostics):
        return first + tuple(builder.build(*job) for job in jobs[middle:])
    return first + share.built

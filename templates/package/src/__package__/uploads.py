"""File arguments given as a local `path`: read only inside the allowed folders, safely, off the event loop.

A model can be steered by text in the API's own data, so a path it sends is hostile until proven otherwise: it
must lie inside a folder `<PREFIX>_UPLOAD_ROOT` names; every folder under that root is opened without following
links, the file must be a regular file no larger than `<PREFIX>_UPLOAD_MAX_BYTES`, and its real path is checked
again once it is open. In team mode there are no local files at all: callers send `content_base64`.
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePath
from typing import Any

import anyio
import httpx

from . import calls, contract, settings

_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_DIRECTORY = getattr(os, "O_DIRECTORY", 0)
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0) | _NO_FOLLOW


class Refused(calls.ToolError):
    """A local file the server will not read; the message names the field, never a path or an OS error."""


def how_to_allow() -> str:
    return (
        f"set {settings.UPLOAD_ROOT} to the folder that holds it (several folders separated by "
        f"{os.pathsep!r}), or send the file as `content_base64` with a `filename`"
    )


def _inside(path: PurePath, roots: list[Path]) -> tuple[Path, PurePath] | None:
    """The root that holds `path` lexically and the path relative to it (no `..` left), if any does."""
    for root in roots:
        try:
            relative = PurePath(os.path.normpath(path)).relative_to(root)
        except ValueError:
            continue
        if ".." not in relative.parts:
            return root, relative
    return None


def _requested(given: str, roots: list[Path]) -> PurePath:
    """The absolute path the caller means: `~` expanded, a relative path taken inside the first allowed folder."""
    expanded = PurePath(os.path.expanduser(given))
    return expanded if expanded.is_absolute() else roots[0] / expanded


@contextmanager
def _opened(root: Path, relative: PurePath, field: str) -> Iterator[int]:
    """A descriptor of the file, reached from the root one folder at a time, never through a link."""
    if not relative.parts:
        raise Refused(f"`{field}`: name a file inside the allowed folders, not the folder itself.")
    descriptors: list[int] = []
    try:
        if os.open not in os.supports_dir_fd:  # Windows: the real path is checked before opening instead
            descriptors.append(os.open(_checked_real_path(root / relative, root, field), _READ_FLAGS))
        else:
            descriptors.append(os.open(root, os.O_RDONLY | _DIRECTORY))
            for folder in relative.parts[:-1]:
                descriptors.append(os.open(folder, os.O_RDONLY | _DIRECTORY | _NO_FOLLOW, dir_fd=descriptors[-1]))
            descriptors.append(os.open(relative.parts[-1], _READ_FLAGS, dir_fd=descriptors[-1]))
    except FileNotFoundError:
        _close(descriptors)
        raise Refused(f"`{field}`: no such file in the allowed upload folders.") from None
    except OSError:
        _close(descriptors)
        raise Refused(f"`{field}`: the file cannot be opened; links are not followed.") from None
    try:
        yield descriptors[-1]
    finally:
        _close(descriptors)


def _checked_real_path(path: PurePath, root: Path, field: str) -> str:
    real = os.path.realpath(path)
    if _inside(PurePath(real), [Path(os.path.realpath(root))]) is None:
        raise Refused(f"`{field}`: that file is outside the allowed upload folders; {how_to_allow()}.")
    return real


def _close(descriptors: list[int]) -> None:
    for descriptor in descriptors:
        os.close(descriptor)


def _real_path(descriptor: int) -> PurePath | None:
    """Where the open file really is, as the kernel says (Linux); None where it cannot say."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return PurePath(os.readlink(f"/proc/self/fd/{descriptor}"))
    except OSError:
        return None


def _server_file(status: os.stat_result, real: PurePath | None) -> bool:
    """Whether the open file is one of this server's own (its configuration folder, the token file and its lock),
    by where it is and by what it is (a hard link elsewhere is the same file)."""
    own = [settings.token_file(), settings.token_file().with_name(settings.token_file().name + ".lock")]
    for path in own:
        try:
            found = os.stat(path)
        except OSError:
            continue
        if (found.st_dev, found.st_ino) == (status.st_dev, status.st_ino):
            return True
    folder = Path(os.path.realpath(settings.config_dir()))
    return real is not None and _inside(real, [folder]) is not None


def _real_roots(roots: list[Path]) -> list[Path]:
    return [Path(os.path.realpath(root)) for root in roots]


def read_local(given: str, field: str, roots: list[Path], limit: int) -> bytes:
    """The bytes of an allowed local file (blocking: run it in a worker thread)."""
    found = _inside(_requested(given, roots), roots)
    if found is None:
        raise Refused(f"`{field}`: that file is outside the allowed upload folders; {how_to_allow()}.")
    with _opened(*found, field) as descriptor:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise Refused(f"`{field}`: only regular files can be sent (not a folder, device, pipe or socket).")
        real = _real_path(descriptor)
        if sys.platform.startswith("linux") and (real is None or _inside(real, _real_roots(roots)) is None):
            raise Refused(f"`{field}`: that file is outside the allowed upload folders; {how_to_allow()}.")
        if _server_file(status, real):
            raise Refused(f"`{field}`: that is one of this server's own files (its tokens or settings); never sent.")
        if status.st_size > limit:
            raise Refused(f"`{field}`: the file is over {limit:,} bytes; raise {settings.UPLOAD_MAX_BYTES} to send it.")
        chunks, total = [], 0
        while chunk := os.read(descriptor, min(1 << 20, limit + 1 - total)):
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:
                raise Refused(f"`{field}`: the file grew past {limit:,} bytes while it was read.")
    return b"".join(chunks)


async def load_file(value: Any, field: str, *, team: bool) -> calls.FilePart:
    """One file argument: inline, or a local `path` read in a worker thread within the allowed folders."""
    if not isinstance(value, dict) or not value.get("path") or value.get("content_base64") is not None:
        return calls.inline_file(value, field)
    if team:
        raise Refused(f"`{field}`: this server does not read its own files; send `content_base64` with a `filename`.")
    roots = settings.upload_roots()
    if not roots:
        raise Refused(f"`{field}`: reading local files is off; to allow it, {how_to_allow()}.")
    given = str(value["path"])
    data = await anyio.to_thread.run_sync(read_local, given, field, roots, settings.upload_max_bytes())
    filename = str(value.get("filename") or PurePath(given).name or "upload.bin")
    return calls.FilePart(filename, data, calls.media_type(value, filename, field))


async def loaded_files(
    client: httpx.AsyncClient,
    binding: contract.Binding,
    arguments: dict[str, Any],
    servers: dict[str, contract.Server],
    *,
    team: bool,
) -> calls.FileLoader:
    """Read every file argument of the call first (off the event loop), then hand them to `calls.build_request`.

    The request is built once without reading anything, to learn which objects are file arguments."""
    wanted: list[tuple[Any, str]] = []

    def note(value: Any, field: str) -> calls.FilePart:
        wanted.append((value, field))
        return calls.FilePart("", b"", "application/octet-stream")

    if binding.get("body", {}).get("files"):
        calls.build_request(client, binding, arguments, servers, note)
    ready = {id(value): await load_file(value, field, team=team) for value, field in wanted}

    def load(value: Any, field: str) -> calls.FilePart:
        return ready[id(value)] if id(value) in ready else calls.inline_file(value, field)

    return load

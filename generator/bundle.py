"""Multi-file specs: every external `$ref` is pulled into one document, so later stages see local refs only.

A referenced JSON or YAML file is copied whole under `/x-bundled/<relative path>`; its own refs are rewritten to
point there. A referenced file of another kind (Markdown, a code sample) is text: it replaces the reference where
text belongs (a description or summary) and is dropped, with a warning, anywhere else; it is never parsed as YAML.
Files outside the spec's folder, and URLs, are refused unless explicitly allowed: generation reads nothing from the
network by default.
"""

from __future__ import annotations

import http.client
import posixpath
import re
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urljoin, urlsplit
from urllib.request import url2pathname

from generator.diagnostics import Diagnostic, GenerationError
from generator.load import parse_text, read_text
from generator.openapi import DATA_KEYS, escape_token, ref_of

BUNDLE_KEY = "x-bundled"
_REMOTE_TIMEOUT_SECONDS = 20
"""The longest wait for a remote host to connect or send more (within the deadline below)."""
REMOTE_DEADLINE_SECONDS = 60.0
"""How long the remote references of one spec may take to fetch, all together."""
MAX_REMOTE_BYTES = 8 * 1024 * 1024
"""The most one referenced URL may send (larger than the largest real specs); reading stops past it."""
_CHUNK_BYTES = 64 * 1024
# Where a referenced text file can stand in for the reference.
PROSE_KEYS = frozenset({"description", "summary", "title"})
# Extensions that say a file is data, and ones that say it is text; any other extension is judged by content.
_DATA_SUFFIXES = frozenset({".json", ".yaml", ".yml"})
_TEXT_SUFFIXES = frozenset(
    {
        ".md", ".markdown", ".mdx", ".txt", ".text", ".rst", ".adoc", ".html", ".htm", ".xml", ".csv",
        ".js", ".mjs", ".ts", ".py", ".rb", ".sh", ".bash", ".go", ".java", ".kt", ".cs", ".php", ".swift",
        ".c", ".cpp", ".rs", ".curl", ".http", ".graphql", ".sql",
    }
)  # fmt: skip


@dataclass(frozen=True)
class Text:
    """A referenced file that is not JSON or YAML data: its text, as written."""

    text: str


@dataclass(frozen=True)
class Bundled:
    """The document with only local refs, and the warnings found while bundling it."""

    document: dict[str, object]
    warnings: tuple[Diagnostic, ...] = ()


def classify(text: str, path: Path) -> object:
    """A file's content: data (a mapping or list) for JSON and YAML, else `Text`. The extension decides when it
    names a kind; otherwise the content does (data only when it reads as a mapping or a list)."""
    suffix = path.suffix.lower()
    if suffix in _TEXT_SUFFIXES:
        return Text(text)
    if suffix in _DATA_SUFFIXES:
        return parse_text(text, path)
    try:
        data = parse_text(text, path)
    except GenerationError:
        return Text(text)
    return data if isinstance(data, (dict, list)) else Text(text)


class _Bundler:
    def __init__(self, root_file: Path, *, allow_remote: bool, allow_outside: bool) -> None:
        self.root_file = root_file.resolve()
        self.root_dir = self.root_file.parent
        self.allow_remote = allow_remote
        self.allow_outside = allow_outside
        self.bundled: dict[str, object] = {}
        self.texts: dict[str, Text | None] = {}
        self.errors: list[Diagnostic] = []
        self.warnings: list[Diagnostic] = []
        self.deadline: float | None = None
        self.identity = ""
        """The spec's own URI when it names one (`$self`, OpenAPI 3.2): relative refs resolve against it."""

    def as_local(self, url: str) -> str:
        """A URL on the spec's own origin (by its `$self`) as the file at the same place beside the spec; any
        other URL as it is."""
        own, there = urlsplit(self.identity), urlsplit(url)
        if not self.identity or (own.scheme, own.netloc) != (there.scheme, there.netloc):
            return url
        if there.path == own.path:
            return str(self.root_file)
        relative = posixpath.relpath(unquote(there.path), posixpath.dirname(unquote(own.path)) or "/")
        return str((self.root_dir / relative).resolve())

    def rewrite(self, node: object, base: str, local_prefix: str, source: str, pointer: str) -> object:
        """A copy of `node` whose refs are all local: `#/...` refs of a bundled file gain its prefix."""
        if isinstance(node, list):
            return self.rewrite_list(node, base, local_prefix, source, pointer)
        if isinstance(node, dict):
            return self.rewrite_mapping(node, base, local_prefix, source, pointer)
        return node

    def rewrite_list(self, node: list[object], base: str, local_prefix: str, source: str, pointer: str) -> list[object]:
        items = []
        for index, value in enumerate(node):
            child = f"{pointer}/{index}"
            ref = ref_of(value)
            if ref is not None and self.referenced_text(ref, base, source, child) is not None:
                self.drop_text(ref, source, child)
            else:
                items.append(self.rewrite(value, base, local_prefix, source, child))
        return items

    def rewrite_mapping(
        self, node: dict[str, object], base: str, local_prefix: str, source: str, pointer: str
    ) -> dict[str, object]:
        result: dict[str, object] = {}
        for key, value in node.items():
            child = f"{pointer}/{escape_token(key)}"
            if key == "$ref" and isinstance(value, str):
                result[key] = self.local_ref(value, base, local_prefix, source, child)
            elif key in DATA_KEYS:
                result[key] = self.data(key, value, base, local_prefix, source, child)
            elif (ref := ref_of(value)) is not None and (
                text := self.referenced_text(ref, base, source, child)
            ) is not None:
                if key in PROSE_KEYS:
                    result[key] = text.text.strip()
                else:
                    self.drop_text(ref, source, child)
            else:
                result[key] = self.rewrite(value, base, local_prefix, source, child)
        return result

    def data(self, key: str, value: object, base: str, local_prefix: str, source: str, pointer: str) -> object:
        """Instance data, copied as it is; but a map of examples given as one `$ref` (to a file of them) has that
        ref bundled."""
        ref = ref_of(value)
        if key != "examples" or ref is None or not isinstance(value, dict):
            return value
        return {**value, "$ref": self.local_ref(ref, base, local_prefix, source, f"{pointer}/$ref")}

    def referenced_text(self, ref: str, base: str, source: str, pointer: str) -> Text | None:
        """The text file a `{"$ref": ...}` value names, or None when it names data (or nothing readable)."""
        location = ref.partition("#")[0]
        if not location or Path(urlsplit(location).path).suffix.lower() in _DATA_SUFFIXES:
            return None
        errors = len(self.errors)
        target = self.locate(location, base, source, f"{pointer}/$ref")
        del self.errors[errors:]  # bundling the reference reports them, once
        if target is None or target == str(self.root_file):
            return None
        if target not in self.texts:
            loaded = self.load(target, source, f"{pointer}/$ref", text_only=True)
            self.texts[target] = loaded if isinstance(loaded, Text) else None
        return self.texts[target]

    def drop_text(self, ref: str, source: str, pointer: str) -> None:
        message = f"reference to {ref!r} names a text file (not JSON or YAML) where no text belongs; dropped"
        self.warnings.append(Diagnostic("warning", "text-ref", message, source, pointer))

    def local_ref(self, ref: str, base: str, local_prefix: str, source: str, pointer: str) -> str:
        location, _, fragment = ref.partition("#")
        if not location:
            return f"#{local_prefix}{fragment}"
        target = self.locate(location, base, source, pointer)
        if target is None:
            return ref
        key = self.include(target, source, pointer)
        if key is None:
            return ref
        if key == "":  # a bundled file referring back into the spec itself
            return f"#{fragment}"
        return f"#/{BUNDLE_KEY}/{escape_token(key)}{fragment}"

    def locate(self, location: str, base: str, source: str, pointer: str) -> str | None:
        """The absolute file path or URL a ref names, or None (with an error) when it may not be read."""
        if "://" in location or "://" in base:
            url = self.as_local(location if "://" in location else urljoin(base, location))
            if "://" not in url:
                return self.inside_folder(url, location, source, pointer)
            scheme = urlsplit(url).scheme
            if scheme == "file":  # a local file named by URL: the same folder rule as for a path
                location = url2pathname(urlsplit(url).path)
            elif scheme not in ("http", "https"):
                self.error("unsupported-ref", f"cannot follow reference to {url!r}", source, pointer)
                return None
            elif not self.allow_remote:
                message = f"reference to {url!r} needs network access; pass --allow-remote-refs to follow it"
                self.error("remote-ref", message, source, pointer)
                return None
            else:
                return url
        return self.inside_folder(str((Path(base).parent / location).resolve()), location, source, pointer)

    def inside_folder(self, path: str, location: str, source: str, pointer: str) -> str | None:
        """The file, when it lies in the spec's folder (or outside files are allowed); None with an error."""
        if not self.allow_outside and not Path(path).is_relative_to(self.root_dir):
            message = f"reference to {location!r} leaves the spec's folder; only files beside the spec may be read"
            self.error("ref-outside-folder", message, source, pointer)
            return None
        return path

    def include(self, target: str, source: str, pointer: str) -> str | None:
        """Bundle a file (once) and return its key."""
        if target == str(self.root_file):
            return ""
        inside = "://" not in target and Path(target).is_relative_to(self.root_dir)
        key = Path(target).relative_to(self.root_dir).as_posix() if inside else target
        if key in self.bundled:
            return key
        self.bundled[key] = {}  # placeholder: a file that refers back to itself is already known
        document = self.load(target, source, pointer)
        if document is None or isinstance(document, Text):
            if isinstance(document, Text):
                self.drop_text(target, source, pointer)
            del self.bundled[key]
            return None
        prefix = f"/{BUNDLE_KEY}/{escape_token(key)}"
        self.bundled[key] = self.rewrite(document, target, prefix, target, "")
        return key

    def load(self, target: str, source: str, pointer: str, *, text_only: bool = False) -> object:
        """A file's data or `Text`; None (with errors) when it cannot be read. With `text_only`, data files are
        not parsed (None): the caller only asks whether the file is text, and bundles data itself."""
        name = target if "://" in target else Path(target).name
        try:
            text = self.fetch(target) if "://" in target else read_text(Path(target))
            where = Path(urlsplit(target).path or "remote.yaml") if "://" in target else Path(target)
            if text_only and where.suffix.lower() in _DATA_SUFFIXES:
                return None
            content = classify(text, where)
        except GenerationError as exc:
            if text_only:
                return None  # bundling the reference reports it
            self.errors.extend(exc.diagnostics)
            self.error("dangling-ref", f"reference to {name!r} cannot be loaded", source, pointer)
            return None
        if text_only:
            return content if isinstance(content, Text) else None
        return content

    def fetch(self, url: str) -> str:
        """A URL's text, within MAX_REMOTE_BYTES and the run's deadline (which starts with the first fetch)."""
        if self.deadline is None:
            self.deadline = time.monotonic() + REMOTE_DEADLINE_SECONDS
        try:
            return _download(url, self.deadline).decode("utf-8")
        except _Refused as exc:
            message = str(exc)
        except (urllib.error.URLError, http.client.HTTPException, OSError, UnicodeDecodeError) as exc:
            message = f"cannot fetch: {exc}"
        raise GenerationError([Diagnostic("error", "remote-ref", message, url)]) from None

    def error(self, kind: str, message: str, source: str, pointer: str) -> None:
        self.errors.append(Diagnostic("error", kind, message, source, pointer))


class _Refused(Exception):
    """A remote reference that was not read whole: too large, too slow, or redirected where it may not go."""


class _HttpRedirects(urllib.request.HTTPRedirectHandler):
    """Redirects to http or https only, and never from https down to http."""

    def http_error_302(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: http.client.HTTPMessage
    ) -> object:
        target = urljoin(req.full_url, headers.get("location") or headers.get("uri") or "")
        old, new = urlsplit(req.full_url).scheme.lower(), urlsplit(target).scheme.lower()
        if new not in ("http", "https") or (old, new) == ("https", "http"):
            fp.close()
            raise _Refused(f"redirected to {target!r}, which is refused: only http and https, and never https to http")
        return super().http_error_302(req, fp, code, msg, headers)

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def _opener() -> urllib.request.OpenerDirector:
    """urllib's opener for http and https alone (proxies from the environment honoured): no file, ftp or data URLs,
    even through a redirect."""
    opener = urllib.request.OpenerDirector()
    handlers: list[urllib.request.BaseHandler] = [
        urllib.request.ProxyHandler(),
        urllib.request.UnknownHandler(),
        urllib.request.HTTPHandler(),
        urllib.request.HTTPSHandler(),
        urllib.request.HTTPDefaultErrorHandler(),
        _HttpRedirects(),
        urllib.request.HTTPErrorProcessor(),
    ]
    for handler in handlers:
        opener.add_handler(handler)
    return opener


def _download(url: str, deadline: float) -> bytes:
    """The body at `url`, read in chunks: refused once it passes MAX_REMOTE_BYTES or the deadline."""
    too_large = f"the answer is larger than {MAX_REMOTE_BYTES // (1024 * 1024)} MiB, the most a reference may be"
    too_slow = f"not fetched in time: remote references may take {REMOTE_DEADLINE_SECONDS:g} s in all"
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise _Refused(too_slow)
    with _opener().open(url, timeout=min(_REMOTE_TIMEOUT_SECONDS, remaining)) as response:
        declared = str(response.headers.get("Content-Length") or "")
        if declared.isdigit() and int(declared) > MAX_REMOTE_BYTES:
            raise _Refused(too_large)
        chunks: list[bytes] = []
        size = 0
        while chunk := response.read1(_CHUNK_BYTES):
            size += len(chunk)
            if size > MAX_REMOTE_BYTES:
                raise _Refused(too_large)
            if time.monotonic() > deadline:
                raise _Refused(too_slow)
            chunks.append(chunk)
    return b"".join(chunks)


# A `$ref` whose value does not start with `#`, in JSON or YAML spelling; a `\u` escape could hide one.
_OUTWARD_REF = re.compile(r"""\$ref["']?\s*:\s*["']?[^"'#\s]|\\u0024""")


def _may_refer_outside(spec_path: Path) -> bool:
    """A quick look at the spec's text: False only when no reference can point outside it (most single-file specs),
    sparing the walk through every node."""
    try:
        return _OUTWARD_REF.search(spec_path.read_text(encoding="utf-8")) is not None
    except (OSError, UnicodeDecodeError):
        return True


def _has_external_refs(document: object) -> bool:
    """Whether any `$ref` outside instance data (or for a map of examples) points elsewhere than this document (one
    level at a time)."""
    level = [document]
    while level:
        below: list[object] = []
        for node in level:
            if isinstance(node, dict):
                examples = node.get("examples")
                refs = (node.get("$ref"), examples.get("$ref") if isinstance(examples, dict) else None)
                if any(isinstance(ref, str) and not ref.startswith("#") for ref in refs):
                    return True
                below.extend([v for k, v in node.items() if isinstance(v, (dict, list)) and k not in DATA_KEYS])
            elif isinstance(node, list):
                below.extend([v for v in node if isinstance(v, (dict, list))])
        level = below
    return False


def bundle(
    document: dict[str, object],
    spec_path: Path,
    *,
    allow_remote: bool = False,
    allow_outside: bool = False,
    as_written: bool = True,
) -> Bundled:
    """The document with every external ref made local; raise GenerationError listing refs that cannot be.
    `as_written`: the document is the spec file's text as it is (no overlay changed it), so a look at the text can
    spare the walk."""
    if (as_written and not _may_refer_outside(spec_path)) or not _has_external_refs(document):
        return Bundled(document)
    bundler = _Bundler(spec_path, allow_remote=allow_remote, allow_outside=allow_outside)
    own = document.get("$self")
    if isinstance(own, str) and own:
        bundler.identity = urljoin(bundler.root_file.as_uri(), own.partition("#")[0])
    bundled = bundler.rewrite_mapping(document, bundler.identity or str(bundler.root_file), "", str(spec_path), "")
    if bundler.errors:
        raise GenerationError(bundler.errors)
    if bundler.bundled:
        bundled[BUNDLE_KEY] = {key: bundler.bundled[key] for key in sorted(bundler.bundled)}
    return Bundled(bundled, tuple(bundler.warnings))

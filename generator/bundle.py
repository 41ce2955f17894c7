"""Multi-file specs: every external `$ref` is pulled into one document, so later stages see local refs only.

A referenced file is copied whole under `/x-bundled/<relative path>`; its own refs are rewritten to point
there. Files outside the spec's folder, and URLs, are refused unless explicitly allowed: generation reads
nothing from the network by default.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit
from urllib.request import url2pathname

from generator.diagnostics import Diagnostic, GenerationError, escape_pointer_token
from generator.load import load_mapping, parse_text

BUNDLE_KEY = "x-bundled"
_DATA_KEYS = frozenset({"example", "examples", "default", "enum", "const"})
_REMOTE_TIMEOUT_SECONDS = 20


class _Bundler:
    def __init__(self, root_file: Path, *, allow_remote: bool, allow_outside: bool) -> None:
        self.root_file = root_file.resolve()
        self.root_dir = self.root_file.parent
        self.allow_remote = allow_remote
        self.allow_outside = allow_outside
        self.bundled: dict[str, Any] = {}
        self.errors: list[Diagnostic] = []

    def rewrite(self, node: Any, base: str, local_prefix: str, source: str, pointer: str) -> Any:
        """A copy of `node` whose refs are all local: `#/...` refs of a bundled file gain its prefix."""
        if isinstance(node, list):
            return [self.rewrite(v, base, local_prefix, source, f"{pointer}/{i}") for i, v in enumerate(node)]
        if not isinstance(node, dict):
            return node
        result: dict[str, Any] = {}
        for key, value in node.items():
            child = f"{pointer}/{escape_pointer_token(key)}"
            if key == "$ref" and isinstance(value, str):
                result[key] = self.local_ref(value, base, local_prefix, source, child)
            elif key in _DATA_KEYS:
                result[key] = value
            else:
                result[key] = self.rewrite(value, base, local_prefix, source, child)
        return result

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
        return f"#/{BUNDLE_KEY}/{escape_pointer_token(key)}{fragment}"

    def locate(self, location: str, base: str, source: str, pointer: str) -> str | None:
        """The absolute file path or URL a ref names, or None (with an error) when it may not be read."""
        if "://" in location or "://" in base:
            url = location if "://" in location else urljoin(base, location)
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
        path = (Path(base).parent / location).resolve()
        if not self.allow_outside and not path.is_relative_to(self.root_dir):
            message = f"reference to {location!r} leaves the spec's folder; only files beside the spec may be read"
            self.error("ref-outside-folder", message, source, pointer)
            return None
        return str(path)

    def include(self, target: str, source: str, pointer: str) -> str | None:
        """Bundle a file (once) and return its key."""
        if target == str(self.root_file):
            return ""
        inside = "://" not in target and Path(target).is_relative_to(self.root_dir)
        key = Path(target).relative_to(self.root_dir).as_posix() if inside else target
        if key in self.bundled:
            return key
        self.bundled[key] = {}  # placeholder: a file that refers back to itself is already known
        try:
            document = self.fetch(target) if "://" in target else load_mapping(Path(target))
        except GenerationError as exc:
            self.errors.extend(exc.diagnostics)
            message = f"reference to {Path(target).name if '://' not in target else target!r} cannot be loaded"
            self.error("dangling-ref", message, source, pointer)
            del self.bundled[key]
            return None
        prefix = f"/{BUNDLE_KEY}/{escape_pointer_token(key)}"
        self.bundled[key] = self.rewrite(document, target, prefix, target, "")
        return key

    def fetch(self, url: str) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(url, timeout=_REMOTE_TIMEOUT_SECONDS) as response:
                text = response.read().decode("utf-8")
        except (urllib.error.URLError, OSError, UnicodeDecodeError) as exc:
            raise GenerationError([Diagnostic("error", "remote-ref", f"cannot fetch: {exc}", url)]) from None
        data = parse_text(text, Path(urlsplit(url).path or "remote.yaml"))
        if not isinstance(data, dict):
            raise GenerationError([Diagnostic("error", "not-a-mapping", "expected a mapping", url)])
        return data

    def error(self, kind: str, message: str, source: str, pointer: str) -> None:
        self.errors.append(Diagnostic("error", kind, message, source, pointer))


def _has_external_refs(document: Any) -> bool:
    """Whether any `$ref` outside instance data points elsewhere than this document (one level at a time)."""
    level = [document]
    while level:
        below: list[Any] = []
        for node in level:
            if isinstance(node, dict):
                ref = node.get("$ref")
                if isinstance(ref, str) and not ref.startswith("#"):
                    return True
                below.extend([v for k, v in node.items() if isinstance(v, (dict, list)) and k not in _DATA_KEYS])
            elif isinstance(node, list):
                below.extend([v for v in node if isinstance(v, (dict, list))])
        level = below
    return False


def bundle(
    document: dict[str, Any], spec_path: Path, *, allow_remote: bool = False, allow_outside: bool = False
) -> dict[str, Any]:
    """The document with every external ref made local; raise GenerationError listing refs that cannot be."""
    if not _has_external_refs(document):
        return document
    bundler = _Bundler(spec_path, allow_remote=allow_remote, allow_outside=allow_outside)
    result = bundler.rewrite(document, str(bundler.root_file), "", str(spec_path), "")
    if bundler.errors:
        raise GenerationError(bundler.errors)
    bundled: dict[str, Any] = dict(result)
    if bundler.bundled:
        bundled[BUNDLE_KEY] = {key: bundler.bundled[key] for key in sorted(bundler.bundled)}
    return bundled

"""The stages in order: load (with bundling), parse, IR, render; the CLI and the tests call these."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path

from generator.bundle import bundle
from generator.config import load_config
from generator.diagnostics import Diagnostic, GenerationError
from generator.ir import Api
from generator.ir_builder import all_server_urls, build_api
from generator.load import load_mapping
from generator.parse import parse_document
from generator.render import render_package


@dataclass(frozen=True)
class Options:
    """How strict generation is, and what it may read besides the spec's own folder."""

    strict: bool = False
    allow_remote_refs: bool = False
    allow_outside_refs: bool = False
    mode: str | None = None
    """Overrides the config's `mode` (static, catalog or hybrid)."""


@dataclass(frozen=True)
class Generation:
    """What one run produced: the API model, the files, and the warnings."""

    api: Api
    files: dict[str, str]
    diagnostics: tuple[Diagnostic, ...] = field(default_factory=tuple)


def build_model(
    spec_path: Path, config_path: Path | None = None, options: Options | None = None
) -> tuple[Api, list[Diagnostic]]:
    """Load, parse and lower a spec to the IR; raise GenerationError on bad input (or any warning if strict)."""
    options = options or Options()
    source = str(spec_path)
    document = bundle(
        load_mapping(spec_path),
        spec_path,
        allow_remote=options.allow_remote_refs,
        allow_outside=options.allow_outside_refs,
    )
    parsed = parse_document(document, source, strict=options.strict)
    info = parsed.document.get("info") or {}
    config = load_config(config_path, str(info.get("title", "")), all_server_urls(parsed.document))
    if options.mode is not None:
        config = dataclasses.replace(config, mode=options.mode)
    api, diagnostics = build_api(parsed, config, spec_path.read_bytes())
    if options.strict and diagnostics:
        raise GenerationError([Diagnostic("error", d.kind, d.message, d.file, d.pointer) for d in diagnostics])
    return api, diagnostics


def generate(spec_path: Path, config_path: Path | None = None, options: Options | None = None) -> Generation:
    """Everything but writing: the files a run would put in the output folder."""
    api, diagnostics = build_model(spec_path, config_path, options)
    files = render_package(api, spec_path.name)
    return Generation(api, files, tuple(diagnostics))

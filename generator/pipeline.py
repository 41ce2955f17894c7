"""The stages in order: load, parse, IR, render; the CLI and the tests call these."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from generator.config import load_config
from generator.diagnostics import Diagnostic
from generator.ir import Api
from generator.ir_builder import all_server_urls, build_api
from generator.load import load_mapping
from generator.parse import parse_document
from generator.render import render_package


@dataclass(frozen=True)
class Generation:
    """What one run produced: the API model, the files, and the warnings."""

    api: Api
    files: dict[str, str]
    diagnostics: tuple[Diagnostic, ...]


def build_model(
    spec_path: Path, config_path: Path | None = None, *, strict: bool = False
) -> tuple[Api, list[Diagnostic]]:
    """Load, parse and lower a spec to the IR; raise GenerationError on bad input."""
    document = load_mapping(spec_path)
    source = str(spec_path)
    parsed = parse_document(document, source, strict=strict)
    info = parsed.document.get("info") or {}
    config = load_config(config_path, str(info.get("title", "")), all_server_urls(parsed.document))
    return build_api(parsed, config, spec_path.read_bytes())


def generate(spec_path: Path, config_path: Path | None = None, *, strict: bool = False) -> Generation:
    """Everything but writing: the files a run would put in the output folder."""
    api, diagnostics = build_model(spec_path, config_path, strict=strict)
    files = render_package(api, spec_path.name)
    return Generation(api, files, tuple(diagnostics))

"""The stages in order: load (with overlays and bundling), parse, IR, render; the CLI and the tests call these."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import ParamSpec

import jinja2

from generator.background import Pending, is_large
from generator.bundle import bundle
from generator.config import ConfigFile, Mode, read_config
from generator.diagnostics import Diagnostic, GenerationError, Reporter
from generator.including import Combined, include_specs
from generator.ir import Api
from generator.ir_builder import build_api
from generator.load import load_mapping
from generator.openapi import json_object
from generator.operations import all_server_urls, iter_operations
from generator.overlay import Overlaid, apply_overlays
from generator.parse import ParsedSpec, document_errors, leave_out, prepare_document
from generator.prompts import check_prompt_tools
from generator.render import render_package
from generator.templating import environment
from generator.wording import Wording

Progress = Callable[[str, int], None]
"""Told each stage as it starts (`loading`, `parsing`, `building`, `rendering`) and the operation count
(0 until the document is parsed). The CLI shows it for large specs; the stages never print."""


@dataclass(frozen=True)
class Options:
    """How strict generation is, and what it may read besides the spec's own folder."""

    strict: bool = False
    allow_remote_refs: bool = False
    allow_outside_refs: bool = False
    mode: Mode | None = None
    """Overrides the config's `mode` (static, catalog or hybrid)."""
    templates: Path | None = None
    """A folder of templates searched before the built-in `templates/` (`--templates`)."""
    validate_in_background: bool | None = None
    """Check the document with openapi-pydantic in a forked process while the IR is built (its verdict still
    decides). None: only for large documents (`background.LARGE_DOCUMENT`), where it pays for the fork."""
    overlays: tuple[Path, ...] = ()
    """Overlay files (`--overlay`) applied in order to the loaded spec, after the config's `overlays`."""


@dataclass(frozen=True)
class Generation:
    """What one run produced: the API model, the files, and the warnings."""

    api: Api
    files: dict[str, str]
    diagnostics: tuple[Diagnostic, ...] = field(default_factory=tuple)


def _no_progress(stage: str, operations: int) -> None:
    return


def check_templates_folder(folder: Path | None) -> None:
    """A `--templates` folder must exist; raise the usual bad-input error when it does not."""
    if folder is not None and not folder.is_dir():
        message = "the templates folder does not exist (--templates)"
        raise GenerationError([Diagnostic("error", "templates", message, str(folder))])


def _template_frame(traceback: TracebackType | None) -> tuple[str, int | None]:
    """The innermost template file and line in a rendering traceback (Jinja rewrites frames to them)."""
    found: tuple[str, int | None] = ("", None)
    while traceback is not None:
        filename = traceback.tb_frame.f_code.co_filename
        if filename.endswith(".jinja"):
            found = (filename, traceback.tb_lineno)
        traceback = traceback.tb_next
    return found


@contextmanager
def user_templates(folder: Path | None) -> Iterator[None]:
    """Run a block that uses the user's templates: their mistakes become bad-input errors (exit 2)."""
    if folder is None:
        yield
        return
    check_templates_folder(folder)
    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        where = exc.filename or exc.name or str(folder)
        raise GenerationError(
            [Diagnostic("error", "template", exc.message or "syntax error", where, "", exc.lineno)]
        ) from None
    except jinja2.TemplateError as exc:
        filename, line = _template_frame(exc.__traceback__)
        message = f"{type(exc).__name__}: {exc.message or exc}"
        raise GenerationError([Diagnostic("error", "template", message, filename or str(folder), "", line)]) from None


def _raise_if_any(errors: list[Diagnostic]) -> None:
    if errors:
        raise GenerationError(errors)


def _left_out(errors: list[Diagnostic], parsed: ParsedSpec, strict: bool) -> list[Diagnostic]:
    """Operations the validator refused, and broken components with the operations that use them, taken out of
    the document, with a warning each. Errors anywhere else (or any at all with `--strict`) still refuse the
    document: then this raises."""
    if errors and strict:
        raise GenerationError(errors)
    return leave_out(parsed.document, errors)


Built = tuple[Api, list[Diagnostic]]
_P = ParamSpec("_P")


def _attempt(build: Callable[_P, Built], *args: _P.args, **kwargs: _P.kwargs) -> Built | Exception:
    """A build's result, or the exception it raised: the document's own errors, once known, may explain it."""
    try:
        return build(*args, **kwargs)
    except Exception as exc:
        return exc


def _build(parsed: ParsedSpec, config_file: ConfigFile, spec_path: Path, options: Options) -> Built:
    info = json_object(parsed.document.get("info"))
    config = config_file.complete(str(info.get("title", "")), all_server_urls(parsed.document))
    if options.mode is not None:
        config = dataclasses.replace(config, mode=options.mode)
    with user_templates(options.templates):
        wording = Wording(environment(override=options.templates))
        return build_api(parsed, config, spec_path.read_bytes(), wording=wording)


def _rebuild(
    parsed: ParsedSpec, config_file: ConfigFile, spec_path: Path, options: Options, parsed_count: int
) -> Built:
    """Build again (without what the validator refused): the first build's own warnings are forgotten."""
    parsed.report.rewind(parsed_count)
    return _build(parsed, config_file, spec_path, options)


def build_model(
    spec_path: Path,
    config_path: Path | None = None,
    options: Options | None = None,
    *,
    progress: Progress | None = None,
) -> tuple[Api, list[Diagnostic]]:
    """Load, parse and lower a spec to the IR; raise GenerationError on bad input (or any warning if strict)."""
    options = options or Options()
    report = progress or _no_progress
    check_templates_folder(options.templates)
    report("loading", 0)
    config_file = read_config(config_path)
    overlaid = apply_overlays(load_mapping(spec_path), (*config_file.overlays, *options.overlays))
    bundled = bundle(
        overlaid.document,
        spec_path,
        allow_remote=options.allow_remote_refs,
        allow_outside=options.allow_outside_refs,
        as_written=not overlaid.applied,
    )
    combined = include_specs(
        bundled.document,
        spec_path,
        config_file.include_specs,
        allow_remote=options.allow_remote_refs,
        allow_outside=options.allow_outside_refs,
    )
    try:
        return _built_model(spec_path, config_file, options, overlaid, bundled.warnings, combined, report)
    except GenerationError as exc:  # an included operation's errors name its file
        raise GenerationError([combined.attributed(d) for d in exc.diagnostics]) from None


def _built_model(
    spec_path: Path,
    config_file: ConfigFile,
    options: Options,
    overlaid: Overlaid,
    bundle_warnings: tuple[Diagnostic, ...],
    combined: Combined,
    report: Progress,
) -> tuple[Api, list[Diagnostic]]:
    """`build_model` once the spec is loaded, overlaid, bundled and merged with its included specs."""
    report("parsing", 0)
    reporter = Reporter(str(spec_path))
    for warning in (*overlaid.warnings, *bundle_warnings, *combined.warnings):
        reporter.add(warning)
    parsed = prepare_document(combined.document, str(spec_path), strict=options.strict, report=reporter)
    parsed_count = reporter.count()
    # Not validated yet: count only what has the expected shape.
    operations = (
        sum(1 for _ in iter_operations(parsed.document)) if isinstance(parsed.document.get("paths"), dict) else 0
    )
    background = options.validate_in_background
    verdict = Pending(document_errors, parsed, background=is_large(operations) if background is None else background)
    in_background = verdict.in_background
    left_out = [] if in_background else _left_out(verdict.result(), parsed, options.strict)
    try:
        report("building", operations)
        built = _attempt(_build, parsed, config_file, spec_path, options)
    except BaseException:  # interrupted: the verdict is no longer wanted
        verdict.cancel()
        raise
    if in_background:
        left_out = _left_out(verdict.result(), parsed, options.strict)
        if left_out:  # rare: built again without what the validator refused (the first build may have failed on it)
            built = _attempt(_rebuild, parsed, config_file, spec_path, options, parsed_count)
    if isinstance(built, Exception):
        # An invalid document explains whatever went wrong after it: its errors come first, as if checked first.
        _raise_if_any(verdict.result())
        raise built
    api, diagnostics = built
    check_prompt_tools(api, config_file.source)  # the tools are known only now
    diagnostics = [combined.attributed(d) for d in (*left_out, *diagnostics)]
    if options.strict and diagnostics:
        raise GenerationError([Diagnostic("error", d.kind, d.message, d.file, d.pointer) for d in diagnostics])
    if overlaid.applied:
        api = dataclasses.replace(api, overlays=overlaid.applied)
    if combined.included:
        api = dataclasses.replace(api, included=combined.included)
    return api, diagnostics


def generate(
    spec_path: Path,
    config_path: Path | None = None,
    options: Options | None = None,
    *,
    progress: Progress | None = None,
) -> Generation:
    """Everything but writing: the files a run would put in the output folder."""
    options = options or Options()
    api, diagnostics = build_model(spec_path, config_path, options, progress=progress)
    (progress or _no_progress)("rendering", len(api.tools))
    with user_templates(options.templates):
        files = render_package(api, spec_path.name, override=options.templates)
    return Generation(api, files, tuple(diagnostics))

"""The command line: `python -m generator generate --spec SPEC --out DIR [--config FILE] [--check]`, and `lint`."""

from __future__ import annotations

import argparse
import gc
import sys
import threading
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from generator import __version__
from generator.background import LARGE_DOCUMENT, is_large
from generator.config import MODES
from generator.diagnostics import Diagnostic, GenerationError, grouped_lines
from generator.pipeline import Options, build_model, generate
from generator.quality import DESCRIPTION_LIMIT, lint_api
from generator.write import compare_tree, write_tree

EXIT_OK = 0
EXIT_DIFFERENT = 1
EXIT_BAD_INPUT = 2

"""Specs with more operations than this get a progress line on stderr (when it is a terminal)."""

EXIT_CODES = """\
exit codes:
  0  ok
  1  --check found differences (generate), or violations were found (lint)
  2  bad input: the spec, the config or the templates; one line per problem on stderr
     (file, line or JSON pointer, and a kind in brackets), and nothing is written"""

MAIN_EPILOG = f"""\
examples:
  python -m generator generate --spec specs/procore.yaml --config specs/procore.config.yaml \\
      --out generated/procore-mcp
  python -m generator generate --spec specs/procore.yaml --config specs/procore.config.yaml \\
      --out generated/procore-mcp --check
  python -m generator lint --spec specs/procore.yaml --config specs/procore.config.yaml

Run `python -m generator COMMAND --help` for every option of a command.

{EXIT_CODES}"""

GENERATE_EPILOG = f"""\
The output folder is replaced whole; a non-empty folder without provenance.json (one this tool
did not write) is refused. At the end a summary line gives the tools generated, the warnings by
kind, the files written and the seconds taken. Specs with {LARGE_DOCUMENT} operations or more show
their progress on stderr when it is a terminal.

examples:
  python -m generator generate --spec api.yaml --out my-mcp
  python -m generator generate --spec api.yaml --out my-mcp --templates my-templates
      (my-templates/tool/description.md.jinja replaces the built-in wording; missing files fall back)
  python -m generator generate --spec api.yaml --out my-mcp --overlay fixes.overlay.yaml
      (an OpenAPI Overlay: JSONPath updates, removals and copies applied to the spec before it is read)

{EXIT_CODES}"""

LINT_EPILOG = f"""\
Prints the count per check, the size of the tools/list response in bytes and estimated tokens, and the
worst offenders.

{EXIT_CODES}"""

OVERLAY_HELP = (
    "an OpenAPI Overlay 1.0/1.1 file (YAML or JSON) applied to the spec as it loads; repeat it to apply several, "
    "in order, after the config's `overlays`"
)
TEMPLATES_HELP = (
    "a folder of templates laid out like the built-in templates/ (e.g. tool/description.md.jinja, "
    "package/README.md.jinja); each file found there replaces the built-in one, the rest fall back"
)


def _parser() -> argparse.ArgumentParser:
    formatter = argparse.RawDescriptionHelpFormatter
    parser = argparse.ArgumentParser(
        prog="openapi-mcp-gen",
        description="Generate an installable MCP server package from an OpenAPI document.",
        epilog=MAIN_EPILOG,
        formatter_class=formatter,
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(
        dest="command", required=True, metavar="COMMAND", help="`generate` a package or `lint` a spec's tools"
    )
    _generate_arguments(
        commands.add_parser(
            "generate",
            help="write (or --check) the server package for a spec",
            description="Write the MCP server package for an OpenAPI document (or, with --check, compare).",
            epilog=GENERATE_EPILOG,
            formatter_class=formatter,
        )
    )
    _lint_arguments(
        commands.add_parser(
            "lint",
            help="check every tool definition against the quality gate",
            description="Check every tool (name, title, wording, links, parameters, schemas, annotations, size).",
            epilog=LINT_EPILOG,
            formatter_class=formatter,
        )
    )
    return parser


def _generate_arguments(gen: argparse.ArgumentParser) -> None:
    gen.add_argument("--spec", type=Path, required=True, help="OpenAPI 3.0/3.1 or Swagger 2.0 document, YAML or JSON")
    gen.add_argument("--out", type=Path, required=True, help="output folder for the package (replaced whole)")
    gen.add_argument("--config", type=Path, help="generation config (YAML); names derive from the spec without it")
    gen.add_argument("--overlay", type=Path, action="append", default=[], metavar="FILE", help=OVERLAY_HELP)
    gen.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 and list the files if --out differs from a fresh run",
    )
    gen.add_argument("--strict", action="store_true", help="treat warnings (repaired quirks) as errors (exit 2)")
    gen.add_argument(
        "--mode",
        choices=MODES,
        help="overrides the config's `mode`: a tool per operation, search/describe/call meta-tools, "
        "or curated tools plus those",
    )
    gen.add_argument(
        "--allow-remote-refs", action="store_true", help="follow `$ref`s to http(s) URLs (off: no network access)"
    )
    gen.add_argument(
        "--allow-outside-refs", action="store_true", help="follow `$ref`s to files outside the spec's folder"
    )
    gen.add_argument("--templates", type=Path, metavar="DIR", help=TEMPLATES_HELP)
    gen.add_argument("--quiet", action="store_true", help="print errors only: no warnings, progress or summary")


def _lint_arguments(lint: argparse.ArgumentParser) -> None:
    lint.add_argument("--spec", type=Path, required=True, metavar="FILE", help="OpenAPI document, YAML or JSON")
    lint.add_argument("--config", type=Path, metavar="FILE", help="generation config (YAML)")
    lint.add_argument("--overlay", type=Path, action="append", default=[], metavar="FILE", help=OVERLAY_HELP)
    lint.add_argument(
        "--max-description",
        type=int,
        default=DESCRIPTION_LIMIT,
        metavar="N",
        help=f"the longest description allowed, in characters (default {DESCRIPTION_LIMIT})",
    )
    lint.add_argument(
        "--worst", type=int, default=5, metavar="N", help="how many of the largest and worst tools to list (default 5)"
    )
    lint.add_argument("--templates", type=Path, metavar="DIR", help=TEMPLATES_HELP + " (descriptions come from tool/)")


class StageProgress:
    """A one-line progress indicator on a terminal: the stage, the operation count and the seconds so far.

    It shows only for large specs (`background.LARGE_DOCUMENT` operations or more), and never when the stream is not
    a terminal (a pipe, a file, CI logs), so captured output stays clean."""

    FRAMES = "|/-\\"

    def __init__(self, stream: TextIO, enabled: bool = True) -> None:
        self.stream = stream
        self.enabled = enabled and stream.isatty()
        self.active = False
        self.stage = ""
        self.operations = 0
        self.started = time.perf_counter()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._ticker: threading.Thread | None = None
        self._frame = 0

    def __call__(self, stage: str, operations: int) -> None:
        if not self.enabled:
            return
        if is_large(operations):
            self.active = True
        if not self.active:
            return
        with self._lock:
            self.stage = stage
            self.operations = max(self.operations, operations)
        self._draw()
        if self._ticker is None:
            self._ticker = threading.Thread(target=self._tick, name="progress", daemon=True)
            self._ticker.start()

    def _tick(self) -> None:
        while not self._stop.wait(0.2):
            self._draw()

    def _draw(self) -> None:
        with self._lock:
            if self._stop.is_set():
                return
            self._frame = (self._frame + 1) % len(self.FRAMES)
            seconds = time.perf_counter() - self.started
            frame = self.FRAMES[self._frame]
            line = f"openapi-mcp-gen: {self.stage} ({self.operations:,} operations) {frame} {seconds:.1f} s"
            self.stream.write("\r\x1b[K" + line)
            self.stream.flush()

    def finish(self) -> None:
        """Stop ticking and clear the line, so what follows starts on a clean line."""
        with self._lock:
            self._stop.set()
        if self._ticker is not None:
            self._ticker.join(timeout=1)
        if self.active:
            self.stream.write("\r\x1b[K")
            self.stream.flush()


def _print_errors(error: GenerationError) -> None:
    for line in grouped_lines(error.diagnostics):
        print(line, file=sys.stderr)


def run_lint(args: argparse.Namespace) -> int:
    """Exit 0 when every tool passes, 1 when any check fails, 2 on bad input."""
    try:
        options = Options(templates=args.templates, overlays=tuple(args.overlay))
        api, _ = build_model(args.spec, args.config, options)
    except GenerationError as exc:
        _print_errors(exc)
        return EXIT_BAD_INPUT
    report = lint_api(api, args.max_description)
    for line in report.lines(args.worst):
        print(line)
    if report.violations:
        print(f"{len(report.violations)} violations", file=sys.stderr)
        return EXIT_DIFFERENT
    print("no violations")
    return EXIT_OK


def _print_warnings(diagnostics: Sequence[Diagnostic], quiet: bool) -> None:
    if quiet or not diagnostics:
        return
    for line in grouped_lines(diagnostics):
        print(line, file=sys.stderr)
    print(f"warnings by kind: {_warnings_by_kind(diagnostics)}", file=sys.stderr)


def _warnings_by_kind(diagnostics: Sequence[Diagnostic]) -> str:
    counts = Counter(d.kind for d in diagnostics)
    return ", ".join(f"{kind}: {count}" for kind, count in sorted(counts.items()))


def summary_line(tools: int, diagnostics: Sequence[Diagnostic], files: int, verb: str, seconds: float) -> str:
    """`48 tools, 2 warnings (empty-required: 2), 17 files written in 1.25 s`."""
    count = len(diagnostics)
    warnings = f"{count} warning{'' if count == 1 else 's'}"
    if count:
        warnings += f" ({_warnings_by_kind(diagnostics)})"
    tool_word = "tool" if tools == 1 else "tools"
    file_word = "file" if files == 1 else "files"
    return f"{tools} {tool_word}, {warnings}, {files} {file_word} {verb} in {seconds:.2f} s"


def run_generate(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    progress = StageProgress(sys.stderr, enabled=not args.quiet)
    try:
        options = Options(
            args.strict,
            args.allow_remote_refs,
            args.allow_outside_refs,
            args.mode,
            args.templates,
            overlays=tuple(args.overlay),
        )
        result = generate(args.spec, args.config, options, progress=progress)
        progress("comparing" if args.check else "writing", 0)
        difference = compare_tree(args.out, result.files) if args.check else None
        if not args.check:
            write_tree(args.out, result.files)
    except GenerationError as exc:
        progress.finish()
        _print_errors(exc)
        return EXIT_BAD_INPUT
    progress.finish()
    _print_warnings(result.diagnostics, args.quiet)
    seconds = time.perf_counter() - started
    tools, files = len(result.api.tools), len(result.files)
    if difference is not None:
        if difference:
            for line in difference.lines():
                print(f"{args.out}: {line}", file=sys.stderr)
            print("generated files are out of date: run the same command without --check", file=sys.stderr)
            return EXIT_DIFFERENT
        if not args.quiet:
            summary = summary_line(tools, result.diagnostics, files, "compared", seconds)
            print(f"{args.out}: up to date: {summary}")
        return EXIT_OK
    if not args.quiet:
        print(f"{args.out}: {summary_line(tools, result.diagnostics, files, 'written', seconds)}")
        hint = mode_hint(result.api.config.mode, tools, result.api.config.env_prefix)
        if hint:
            print(f"{args.out}: {hint}")
    return EXIT_OK


def mode_hint(mode: str, tools: int, env_prefix: str) -> str:
    """A suggestion for APIs too large to list tool by tool; empty when there is nothing to suggest."""
    if mode != "static" or not is_large(tools):
        return ""
    return (
        f"note: {tools:,} tools listed one by one make a large tools/list for an agent to read; `mode: catalog`"
        f" (or `hybrid`, or the server's {env_prefix}_MODE setting) lists three meta-tools that search, describe"
        " and call them"
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    # One run builds millions of small, acyclic objects and then exits: the cycle collector's full passes over
    # them cost a fifth of the time on the largest specs (0.5 to 0.8 s of CPU on Cloudflare's) and free almost
    # nothing, so it stays off while a command runs.
    gc.disable()
    try:
        return _command(args)
    finally:
        gc.enable()


def _command(args: argparse.Namespace) -> int:
    if args.command == "generate":
        return run_generate(args)
    if args.command == "lint":
        return run_lint(args)
    return EXIT_BAD_INPUT  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())

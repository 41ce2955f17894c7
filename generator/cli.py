"""The command line: `python -m generator generate --spec SPEC --out DIR [--config FILE] [--check]`."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

from generator import __version__
from generator.diagnostics import Diagnostic, GenerationError
from generator.pipeline import Options, build_model, generate
from generator.quality import DESCRIPTION_LIMIT, lint_api
from generator.write import compare_tree, write_tree

EXIT_OK = 0
EXIT_DIFFERENT = 1
EXIT_BAD_INPUT = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="openapi-mcp-gen",
        description="Generate an installable MCP server package from an OpenAPI document.",
        epilog="Exit codes: 0 ok, 1 --check found differences or lint found violations, 2 bad input.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    gen = commands.add_parser("generate", help="write (or --check) the server package for a spec")
    gen.add_argument("--spec", type=Path, required=True, help="OpenAPI 3.0/3.1 document, YAML or JSON")
    gen.add_argument("--out", type=Path, required=True, help="output folder for the package (replaced whole)")
    gen.add_argument("--config", type=Path, help="generation config (YAML); names derive from the spec without it")
    gen.add_argument("--check", action="store_true", help="write nothing; exit 1 if --out differs from a fresh run")
    gen.add_argument("--strict", action="store_true", help="treat warnings as errors")
    gen.add_argument(
        "--mode",
        choices=["static", "catalog", "hybrid"],
        help="tools/list: a tool per operation, search/describe/call meta-tools, or curated tools plus those",
    )
    gen.add_argument(
        "--allow-remote-refs", action="store_true", help="follow `$ref`s to http(s) URLs (off: no network access)"
    )
    gen.add_argument(
        "--allow-outside-refs", action="store_true", help="follow `$ref`s to files outside the spec's folder"
    )
    gen.add_argument("--quiet", action="store_true", help="print errors only")
    lint = commands.add_parser("lint", help="check every tool definition against the quality gate")
    lint.add_argument("--spec", type=Path, required=True, help="OpenAPI document, YAML or JSON")
    lint.add_argument("--config", type=Path, help="generation config (YAML)")
    lint.add_argument("--max-description", type=int, default=DESCRIPTION_LIMIT, help="description budget in characters")
    lint.add_argument("--worst", type=int, default=5, help="how many of the largest and worst tools to list")
    return parser


def run_lint(args: argparse.Namespace) -> int:
    """Exit 0 when every tool passes, 1 when any check fails, 2 on bad input."""
    try:
        api, _ = build_model(args.spec, args.config)
    except GenerationError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic.render(), file=sys.stderr)
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
    counts = Counter(d.kind for d in diagnostics)
    for diagnostic in diagnostics[:20]:
        print(diagnostic.render(), file=sys.stderr)
    if len(diagnostics) > 20:
        print(f"... and {len(diagnostics) - 20} more warnings", file=sys.stderr)
    summary = ", ".join(f"{kind}: {count}" for kind, count in sorted(counts.items()))
    print(f"warnings by kind: {summary}", file=sys.stderr)


def run_generate(args: argparse.Namespace) -> int:
    try:
        options = Options(args.strict, args.allow_remote_refs, args.allow_outside_refs, args.mode)
        result = generate(args.spec, args.config, options)
        _print_warnings(result.diagnostics, args.quiet)
        if args.check:
            difference = compare_tree(args.out, result.files)
            if difference:
                for line in difference.lines():
                    print(f"{args.out}: {line}", file=sys.stderr)
                print("generated files are out of date: run `make generate`", file=sys.stderr)
                return EXIT_DIFFERENT
            if not args.quiet:
                print(f"{args.out}: up to date ({len(result.api.tools)} tools)")
            return EXIT_OK
        write_tree(args.out, result.files)
    except GenerationError as exc:
        for diagnostic in exc.diagnostics:
            print(diagnostic.render(), file=sys.stderr)
        return EXIT_BAD_INPUT
    if not args.quiet:
        print(f"{args.out}: {len(result.api.tools)} tools, {len(result.files)} files written")
    return EXIT_OK


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "generate":
        return run_generate(args)
    if args.command == "lint":
        return run_lint(args)
    return EXIT_BAD_INPUT  # pragma: no cover - argparse rejects unknown commands


if __name__ == "__main__":
    sys.exit(main())

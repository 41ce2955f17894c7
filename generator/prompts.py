"""The config's prompts against the package's tools: a prompt may only name tools the generated server has.

The config stage checks a prompt's own shape (`config.py`); which tools exist is known only once the IR is built,
so the pipeline calls `check_prompt_tools` then, before anything is rendered."""

from __future__ import annotations

import difflib

from generator.diagnostics import Diagnostic, GenerationError
from generator.ir import Api

META_TOOLS = ("search_operations", "describe_operation", "call_operation")
"""The catalog's meta-tools (`templates/package/src/__package__/catalog_tools.json.jinja`): in every package,
listed in catalog and hybrid modes and callable in all."""


def check_prompt_tools(api: Api, source: str) -> None:
    """Raise a config error (naming the prompt, the unknown tools and the closest names) when a prompt names a
    tool the package does not have."""
    known = [*(tool.name for tool in api.tools), *META_TOOLS]
    names = set(known)
    problems: list[Diagnostic] = []
    for index, prompt in enumerate(api.config.prompts):
        unknown = [name for name in prompt.tools if name not in names]
        if not unknown:
            continue
        hints = []
        for name in unknown:
            close = difflib.get_close_matches(name, known, n=3, cutoff=0.6)
            if close:
                hints.append(f"for `{name}`, did you mean {' or '.join(f'`{match}`' for match in close)}?")
        listed = ", ".join(f"`{name}`" for name in unknown)
        message = f"prompt `{prompt.name}`: the package has no tool {listed}" + (
            f"; {'; '.join(hints)}" if hints else " (TOOLS.md of a generated package lists every tool)"
        )
        problems.append(Diagnostic("error", "config", message, source, f"/prompts/{index}/tools"))
    if problems:
        raise GenerationError(problems)

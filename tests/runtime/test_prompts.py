"""data and mcp_server: prompts filled in one pass with the caller's values as plain text, a last line naming the
tools as the mode reaches them, errors as invalid params, and no prompts capability for an API without prompts."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import anyio
import mcp.types as types
import pytest
from mcp.shared.exceptions import MCPError

from tests.runtime.conftest import Runtime

TEMPLATE = "Widgets like {{this}}: {kind}, at most {count}.\n{kind} again."
PROMPT = {
    "name": "tidy_widgets",
    "title": "Tidy Widgets",
    "description": "Finds widgets of a kind and tidies them.",
    "arguments": [
        {"name": "kind", "description": "Which widgets.", "required": True},
        {"name": "count", "description": "How many.", "required": False},
    ],
    "tools": ["list_widgets", "create_widget", "search_operations"],
    "template": TEMPLATE,
}


@pytest.fixture
def prompted(load_runtime: Any, data_copy: Path) -> Runtime:
    (data_copy / "prompts.json").write_text(json.dumps({"prompts": [PROMPT]}), encoding="utf-8")
    runtime: Runtime = load_runtime(data_copy)
    return runtime


@pytest.mark.parametrize(
    ("values", "text"),
    [
        ({"kind": "red", "count": "3"}, "Widgets like {this}: red, at most 3.\nred again."),
        ({"kind": "red"}, "Widgets like {this}: red, at most (not given).\nred again."),
        ({"kind": "red", "count": " "}, "Widgets like {this}: red, at most (not given).\nred again."),
        ({"kind": "{count}", "count": "{kind}"}, "Widgets like {this}: {count}, at most {kind}.\n{count} again."),
        ({"kind": "{0.__class__}", "count": "{{x}} }"}, "Widgets like {this}: {0.__class__}, at most {{x}} }.\n"),
    ],
)
def test_values_go_in_as_plain_text_in_one_pass(runtime: Runtime, values: dict[str, str], text: str) -> None:
    assert runtime.module("data").fill(TEMPLATE, values).startswith(text)


def test_the_last_line_names_the_tools_as_the_mode_reaches_them(
    prompted: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    api = prompted.module("data").ApiData()
    prompt = api.prompts["tidy_widgets"]

    def last_line() -> str:
        text: str = api.prompt_text(prompt, {"kind": "red"}, team=False)
        return text.rsplit("\n", 1)[1]

    assert last_line() == "Tools to use: list_widgets, create_widget, search_operations."
    monkeypatch.setenv("WIDGETS_MODE", "hybrid")
    by_name = "through call_operation, by name (describe_operation shows their arguments)"
    assert last_line() == f"Tools to use: list_widgets, search_operations; and, {by_name}: create_widget."
    monkeypatch.setenv("WIDGETS_MODE", "catalog")
    assert last_line() == f"Tools to use: search_operations; and, {by_name}: list_widgets, create_widget."


def test_prompts_are_listed_and_filled(prompted: Runtime) -> None:
    handlers = prompted.module("mcp_server").Handlers(prompted.module("data").ApiData())
    listed = anyio.run(handlers.list_prompts, None, None)
    assert [prompt.model_dump(exclude_none=True) for prompt in listed.prompts] == [
        {key: value for key, value in PROMPT.items() if key not in ("tools", "template")}
    ]
    params = types.GetPromptRequestParams(name="tidy_widgets", arguments={"kind": "{count}"})
    got = anyio.run(handlers.get_prompt, None, params)
    assert got.description == PROMPT["description"]
    (message,) = got.messages
    assert message.role == "user"
    assert message.content.text.startswith("Widgets like {this}: {count}, at most (not given).\n{count} again.\n\n")


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("tidy", {"kind": "red"}, "Unknown prompt 'tidy'; the prompts are: tidy_widgets."),
        ("tidy_widgets", {}, "Prompt 'tidy_widgets': missing required argument 'kind' (it takes: kind, count)."),
        ("tidy_widgets", {"kind": "  "}, "missing required argument 'kind'"),
        ("tidy_widgets", {"kind": "red", "colour": "x"}, "Prompt 'tidy_widgets': no argument named 'colour'"),
    ],
)
def test_bad_requests_are_invalid_params(prompted: Runtime, name: str, arguments: dict[str, str], message: str) -> None:
    handlers = prompted.module("mcp_server").Handlers(prompted.module("data").ApiData())
    with pytest.raises(MCPError) as raised:
        anyio.run(handlers.get_prompt, None, types.GetPromptRequestParams(name=name, arguments=arguments))
    assert raised.value.error.code == types.INVALID_PARAMS
    assert message in raised.value.error.message


def test_the_capability_and_its_cache_hint_come_only_with_prompts(runtime: Runtime, prompted: Runtime) -> None:
    without = runtime.module("mcp_server").build(runtime.module("data").ApiData())
    assert without.get_capabilities().prompts is None and "prompts/list" not in without.cache_hints
    server = prompted.module("mcp_server").build(prompted.module("data").ApiData())
    assert server.get_capabilities().prompts is not None
    assert (server.cache_hints["prompts/list"].ttl_ms, server.cache_hints["prompts/list"].scope) == (
        86_400_000,
        "public",
    )

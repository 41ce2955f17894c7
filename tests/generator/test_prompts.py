"""The config's prompts: each bad input a clear error naming the prompt (exit 2, nothing written), a tool the
package lacks refused with the closest names, and the prompts rendered into `prompts.json` and the README."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.cli import main
from generator.config import Prompt, PromptArgument, build_config
from generator.diagnostics import GenerationError
from generator.pipeline import generate
from tests.conftest import GENERATED, minimal_spec, write_spec


def _prompt(**changes: Any) -> dict[str, Any]:
    """A sound prompt for the minimal spec (its one tool is `list_things`), with `changes` over it."""
    prompt: dict[str, Any] = {
        "name": "find_things",
        "title": "Find Things",
        "description": "Finds the things that match a description.",
        "arguments": [
            {"name": "words", "description": "What the things look like.", "required": True},
            {"name": "limit", "description": "How many to show."},
        ],
        "tools": ["list_things"],
        "template": "Find the things that look like {words}; show at most {limit}. Braces: {{literal}}.",
    }
    prompt.update(changes)
    return {key: value for key, value in prompt.items() if value is not None}


def _errors(prompts: Any) -> list[str]:
    with pytest.raises(GenerationError) as raised:
        build_config({"prompts": prompts}, "Example", [], "config.yaml")
    return [diagnostic.render() for diagnostic in raised.value.diagnostics]


def test_a_sound_prompt_is_read_into_the_config() -> None:
    config = build_config({"prompts": [_prompt(title="  Find\n Things ")]}, "Example", [], "config.yaml")
    assert config.prompts == (
        Prompt(
            name="find_things",
            title="Find Things",
            description="Finds the things that match a description.",
            tools=("list_things",),
            template="Find the things that look like {words}; show at most {limit}. Braces: {{literal}}.",
            arguments=(
                PromptArgument("words", "What the things look like.", required=True),
                PromptArgument("limit", "How many to show.", required=False),
            ),
        ),
    )
    assert build_config({}, "Example", [], "config.yaml").prompts == ()
    no_arguments = _prompt(arguments=None, template="List every thing.")
    assert build_config({"prompts": [no_arguments]}, "Example", [], "c").prompts[0].arguments == ()


@pytest.mark.parametrize(
    ("prompts", "message"),
    [
        ([_prompt(colour="red")], "prompt `find_things`: unknown field `colour` (known: arguments, description,"),
        ([_prompt(tools=None)], "prompt `find_things`: missing `tools`"),
        ([_prompt(name=None, template=None)], "prompt 0: missing `name`, `template`"),
        ([_prompt(), _prompt()], "prompt `find_things`: another prompt has the same `name` (at /prompts/1)"),
        ([_prompt(name="Find-Things")], "prompt `Find-Things`: `name` must be snake_case"),
        ([_prompt(tools=[])], "prompt `find_things`: `tools` must be a list of the tool names the prompt uses"),
        ([_prompt(tools="list_things")], "prompt `find_things`: `tools` must be a list"),
        ([_prompt(tools=["list_things", "list_things"])], "prompt `find_things`: `tools` names a tool twice"),
        ([_prompt(title="")], "prompt `find_things`: `title` must be text"),
        ([_prompt(description="a\u202eb")], "prompt `find_things`: `description` must be text, without control"),
        (
            [_prompt(template="{words} {limit} and {colour}")],
            "prompt `find_things`: `template` placeholder `{colour}` is not one of its arguments (declared: words,",
        ),
        ([_prompt(template="{words} {limit} {0.__class__}")], "placeholder `{0.__class__}` is not one of its"),
        ([_prompt(template="{words} {limit!r}")], "placeholder `{limit!r}` is not one of its arguments"),
        ([_prompt(template="{words} {limit:>3}")], "placeholder `{limit:>3}` is not one of its arguments"),
        ([_prompt(template="{words} {limit} {}")], "placeholder `{}` is not one of its arguments"),
        ([_prompt(template="{words} {limit} a } b")], "`template` has a lone `}` at character 18: write `}}`"),
        ([_prompt(template="{words} {limit} a { b")], "`template` has a lone `{` at character 18: write `{{`"),
        (
            [_prompt(template="Show at most {limit}.")],
            "prompt `find_things`: `template` never uses the argument `{words}`",
        ),
        ([_prompt(template="{{words}} {limit}")], "`template` never uses the argument `{words}`"),
        ([_prompt(template="   ")], "prompt `find_things`: `template` must be text"),
        (
            [_prompt(arguments=[{"name": "words", "description": "d", "required": "yes"}], template="{words}")],
            "prompt `find_things`: argument `words`: `required` is true or false",
        ),
        (
            [_prompt(arguments=[{"name": "words", "description": "d", "default": "x"}], template="{words}")],
            "prompt `find_things`: argument `words`: unknown field `default` (known: description, name, required)",
        ),
        (
            [_prompt(arguments=[{"name": "words"}], template="{words}")],
            "prompt `find_things`: argument `words`: `description` must be text",
        ),
        (
            [_prompt(arguments=[{"name": "Words", "description": "d"}], template="{Words}")],
            "prompt `find_things`: argument `Words`: `name` must be snake_case",
        ),
        (
            [_prompt(arguments=[{"name": "w", "description": "d"}, {"name": "w", "description": "e"}])],
            "prompt `find_things`: argument `w` is declared twice",
        ),
        ([_prompt(arguments={"words": "d"})], "prompt `find_things`: `arguments` must be a list"),
        (["find_things"], "prompt 0: each of `prompts` is a mapping with `name`, `title`, `description`"),
        ({"find_things": {}}, "`prompts` must be a list, not dict"),
    ],
)
def test_bad_prompts_are_clear_errors_naming_the_prompt(prompts: Any, message: str) -> None:
    errors = _errors(prompts)
    assert any(message in error for error in errors), errors
    assert all(error.startswith("config.yaml: error: ") for error in errors)


def test_every_problem_of_every_prompt_is_told_at_once() -> None:
    errors = _errors([_prompt(colour="red"), _prompt(name="other", tools=[])])
    assert [error.split(" (at ")[1] for error in errors] == ["/prompts/0) [config]", "/prompts/1) [config]"]


def _project(tmp_path: Path, prompts: list[dict[str, Any]]) -> tuple[Path, Path]:
    spec = write_spec(tmp_path, minimal_spec())
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"prompts": prompts}, sort_keys=False), encoding="utf-8")
    return spec, config


def test_a_tool_the_package_lacks_is_refused_with_the_closest_names(tmp_path: Path) -> None:
    spec, config = _project(tmp_path, [_prompt(tools=["list_thing", "call_operation", "delete_everything"])])
    with pytest.raises(GenerationError) as raised:
        generate(spec, config)
    (error,) = [diagnostic.render() for diagnostic in raised.value.diagnostics]
    assert error == (
        f"{config}: error: prompt `find_things`: the package has no tool `list_thing`, `delete_everything`; for "
        "`list_thing`, did you mean `list_things`? (at /prompts/0/tools) [config]"
    )


@pytest.mark.parametrize(
    "prompt",
    [_prompt(tools=["list_thingz"]), _prompt(template="{words} {limit} {other}"), _prompt(tools=[])],
    ids=["unknown tool", "undeclared placeholder", "no tools"],
)
def test_the_command_line_exits_2_and_writes_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], prompt: dict[str, Any]
) -> None:
    spec, config = _project(tmp_path, [prompt])
    out = tmp_path / "out"
    assert main(["generate", "--spec", str(spec), "--config", str(config), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert "prompt `find_things`:" in err and "Traceback" not in err
    assert not out.exists()


def test_the_prompts_are_rendered_into_prompts_json_and_the_readme(tmp_path: Path) -> None:
    spec, config = _project(tmp_path, [_prompt(), _prompt(name="all_things", arguments=[], template="All {{x}}.")])
    files = generate(spec, config).files
    document = json.loads(files["src/example_mcp/prompts.json"])
    assert document["_generated"].startswith("Generated by openapi-mcp-gen from spec.yaml.")
    assert document["prompts"] == [
        {
            "name": "find_things",
            "title": "Find Things",
            "description": "Finds the things that match a description.",
            "arguments": [
                {"name": "words", "description": "What the things look like.", "required": True},
                {"name": "limit", "description": "How many to show.", "required": False},
            ],
            "tools": ["list_things"],
            "template": "Find the things that look like {words}; show at most {limit}. Braces: {{literal}}.",
        },
        {
            "name": "all_things",
            "title": "Find Things",
            "description": "Finds the things that match a description.",
            "arguments": [],
            "tools": ["list_things"],
            "template": "All {{x}}.",
        },
    ]
    readme = files["README.md"]
    assert "## Prompts" in readme
    assert "| `find_things` | Find Things | `words`, `limit` (optional) | `list_things` |" in readme
    assert "| `all_things` | Find Things | none | `list_things` |" in readme


def test_without_prompts_the_file_holds_none_and_the_readme_says_nothing(tmp_path: Path) -> None:
    files = generate(write_spec(tmp_path, minimal_spec())).files
    assert json.loads(files["src/example_mcp/prompts.json"])["prompts"] == []
    assert "## Prompts" not in files["README.md"]


def test_procore_offers_its_four_everyday_prompts_with_tools_it_has() -> None:
    package = GENERATED / "src" / "procore_mcp"
    prompts = json.loads((package / "prompts.json").read_text(encoding="utf-8"))["prompts"]
    tools = {entry["definition"]["name"] for entry in json.loads((package / "tools.json").read_text())["tools"]}
    assert [prompt["name"] for prompt in prompts] == [
        "draft_rfi_from_notes",
        "daily_log_from_foreman_text",
        "weekly_owner_report",
        "overdue_rfis_ball_in_court",
    ]
    for prompt in prompts:
        assert set(prompt["tools"]) <= tools, prompt["name"]
        assert prompt["arguments"][0] == {
            "name": "project",
            "description": "The project's name or ID.",
            "required": True,
        }

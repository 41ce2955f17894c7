"""Overlays (OpenAPI Overlay 1.0 and 1.1): updates, removals and copies applied in order, their warnings and
errors, the config's `overlays` and `--overlay`, and what a generated package shows of them."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.cli import main
from generator.diagnostics import Diagnostic, GenerationError
from generator.load import load_mapping
from generator.overlay import NO_MATCH, apply_overlays
from generator.pipeline import Options, build_model

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "overlays"
KENNEL = FIXTURES / "kennel.yaml"


def _document() -> dict[str, Any]:
    """A small document to change; each test gets its own."""
    return {
        "info": {"title": "Example", "version": "1", "x-tags": ["a"]},
        "paths": {
            "/a": {"get": {"summary": "A", "tags": ["x", "dummy", "y"], "parameters": [{"name": "p"}]}},
            "/b": {"get": {"summary": "B", "tags": ["dummy"], "parameters": []}},
        },
    }


def _overlay(folder: Path, actions: list[Any], version: str = "1.1.0", name: str = "change.overlay.yaml") -> Path:
    path = folder / name
    document = {"overlay": version, "info": {"title": "Test overlay", "version": "1"}, "actions": actions}
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def _apply(folder: Path, actions: list[Any], version: str = "1.1.0") -> dict[str, Any]:
    return apply_overlays(_document(), [_overlay(folder, actions, version)]).document


def _errors(folder: Path, actions: list[Any], version: str = "1.1.0") -> tuple[Diagnostic, ...]:
    with pytest.raises(GenerationError) as raised:
        _apply(folder, actions, version)
    assert all(found.level == "error" for found in raised.value.diagnostics)
    return raised.value.diagnostics


def _error(folder: Path, actions: list[Any], version: str = "1.1.0") -> Diagnostic:
    found = _errors(folder, actions, version)
    assert len(found) == 1, found
    return found[0]


# Update


def test_update_merges_objects_recursively_and_concatenates_arrays(tmp_path: Path) -> None:
    update = {"summary": "A, better", "x-new": {"deep": 1}, "tags": ["z"], "parameters": [{"name": "q"}]}
    document = _apply(tmp_path, [{"target": "$.paths['/a'].get", "update": update}])
    get = document["paths"]["/a"]["get"]
    assert get == {
        "summary": "A, better",
        "tags": ["x", "dummy", "y", "z"],
        "parameters": [{"name": "p"}, {"name": "q"}],
        "x-new": {"deep": 1},
    }
    nested = _apply(tmp_path, [{"target": "$", "update": {"info": {"x-tags": ["b"], "description": "D"}}}])
    assert nested["info"] == {"title": "Example", "version": "1", "x-tags": ["a", "b"], "description": "D"}


def test_update_of_arrays_appends_an_item_or_concatenates_an_array(tmp_path: Path) -> None:
    appended = _apply(tmp_path, [{"target": "$.paths.*.get.parameters", "update": {"name": "page"}}])
    assert appended["paths"]["/a"]["get"]["parameters"] == [{"name": "p"}, {"name": "page"}]
    assert appended["paths"]["/b"]["get"]["parameters"] == [{"name": "page"}]
    concatenated = _apply(tmp_path, [{"target": "$.paths['/a'].get.tags", "update": ["u", "v"]}])
    assert concatenated["paths"]["/a"]["get"]["tags"] == ["x", "dummy", "y", "u", "v"]


def test_each_target_gets_its_own_copy_of_the_update(tmp_path: Path) -> None:
    document = _apply(
        tmp_path,
        [
            {"target": "$.paths.*.get", "update": {"x-limits": {"rate": [1]}}},
            {"target": "$.paths['/a'].get['x-limits'].rate", "update": 2},
        ],
    )
    assert document["paths"]["/a"]["get"]["x-limits"] == {"rate": [1, 2]}
    assert document["paths"]["/b"]["get"]["x-limits"] == {"rate": [1]}


def test_an_update_replaces_primitive_targets_from_overlay_1_1(tmp_path: Path) -> None:
    document = _apply(tmp_path, [{"target": "$.paths.*.get.summary", "update": "Same for all"}])
    assert [item["get"]["summary"] for item in document["paths"].values()] == ["Same for all", "Same for all"]
    found = _error(tmp_path, [{"target": "$.paths.*.get.summary", "update": "x"}], version="1.0.0")
    assert found.message.startswith("overlay action 0 (update) target `$.paths.*.get.summary`: Overlay 1.0 targets")


def test_a_yaml_alias_shared_by_two_places_changes_in_one_place_only(tmp_path: Path) -> None:
    spec = tmp_path / "aliases.yaml"
    spec.write_text("paths:\n  /a: {get: &op {summary: A}}\n  /b: {get: *op}\n", encoding="utf-8")
    document = load_mapping(spec)
    overlay = _overlay(tmp_path, [{"target": "$.paths['/a'].get", "update": {"summary": "Only A"}}])
    changed = apply_overlays(document, [overlay]).document
    assert changed["paths"]["/a"]["get"]["summary"] == "Only A"
    assert changed["paths"]["/b"]["get"]["summary"] == "A"
    assert document["paths"]["/a"]["get"]["summary"] == "A", "the loaded document is left as it was"


# Remove


def test_remove_takes_a_key_out_of_its_object(tmp_path: Path) -> None:
    document = _apply(tmp_path, [{"target": "$.paths['/b']", "remove": True}], version="1.0.0")
    assert list(document["paths"]) == ["/a"]


def test_remove_takes_every_selected_item_out_of_its_array(tmp_path: Path) -> None:
    document = _apply(tmp_path, [{"target": "$.paths.*.get.tags[?@ == 'dummy' || @ == 'y']", "remove": True}])
    assert document["paths"]["/a"]["get"]["tags"] == ["x"]
    assert document["paths"]["/b"]["get"]["tags"] == []
    objects = _apply(tmp_path, [{"target": "$..parameters[?@.name == 'p']", "remove": True}], version="1.0.0")
    assert objects["paths"]["/a"]["get"]["parameters"] == []


def test_remove_wins_over_update_as_the_spec_says(tmp_path: Path) -> None:
    document = _apply(tmp_path, [{"target": "$.paths['/b']", "remove": True, "update": {"x": 1}}])
    assert "/b" not in document["paths"]


def test_overlay_1_0_removes_objects_and_arrays_only(tmp_path: Path) -> None:
    found = _error(tmp_path, [{"target": "$.paths.*.get.tags[0]", "remove": True}], version="1.0.0")
    assert "Overlay 1.0 removes objects and arrays only" in found.message


# Copy (Overlay 1.1)


def test_copy_merges_the_one_selected_node_into_each_target(tmp_path: Path) -> None:
    document = _apply(tmp_path, [{"target": "$.paths['/b'].get", "copy": "$.paths['/a'].get"}])
    assert document["paths"]["/b"]["get"] == {
        "summary": "A",
        "tags": ["dummy", "x", "dummy", "y"],
        "parameters": [{"name": "p"}],
    }
    document["paths"]["/b"]["get"]["parameters"][0]["name"] = "changed"
    assert document["paths"]["/a"]["get"]["parameters"] == [{"name": "p"}], "the copy shares nothing"


def test_a_move_is_update_then_copy_then_remove(tmp_path: Path) -> None:
    """The spec's own Move example: each action sees what the one before it left."""
    document = _apply(
        tmp_path,
        [
            {"target": "$.paths", "update": {"/c": {}}},
            {"target": "$.paths['/c']", "copy": "$.paths['/a']"},
            {"target": "$.paths['/a']", "remove": True},
        ],
    )
    assert list(document["paths"]) == ["/b", "/c"]
    assert document["paths"]["/c"]["get"]["summary"] == "A"


# Order


def test_actions_apply_in_order_each_to_the_result_of_the_one_before(tmp_path: Path) -> None:
    recreated = _apply(
        tmp_path,
        [{"target": "$.paths['/b']", "remove": True}, {"target": "$.paths", "update": {"/b": {"x-new": True}}}],
    )
    assert recreated["paths"]["/b"] == {"x-new": True}
    removed = _apply(
        tmp_path,
        [{"target": "$.paths", "update": {"/b": {"x-new": True}}}, {"target": "$.paths['/b']", "remove": True}],
    )
    assert "/b" not in removed["paths"]


def test_overlays_apply_in_the_order_given(tmp_path: Path) -> None:
    first = _overlay(tmp_path, [{"target": "$.info", "update": {"title": "First", "x-tags": ["1"]}}], name="1.yaml")
    second = _overlay(tmp_path, [{"target": "$.info", "update": {"title": "Second", "x-tags": ["2"]}}], name="2.yaml")
    result = apply_overlays(_document(), [first, second])
    assert result.document["info"]["title"] == "Second"
    assert result.document["info"]["x-tags"] == ["a", "1", "2"]
    assert [applied.name for applied in result.applied] == ["1.yaml", "2.yaml"]
    assert apply_overlays(_document(), [second, first]).document["info"]["title"] == "First"


def test_config_overlays_apply_first_then_the_command_line_ones(tmp_path: Path) -> None:
    """Paths in the config are relative to the config file, not to where the generator runs."""
    settings = tmp_path / "settings"
    settings.mkdir()
    words = "Lists the dogs, as the {} overlay says."
    from_config = _overlay(
        settings, [{"target": "$.paths['/dogs'].get", "update": {"description": words.format("config")}}]
    )
    from_flag = _overlay(
        tmp_path, [{"target": "$.paths['/dogs'].get", "update": {"description": words.format("flag")}}]
    )
    config = settings / "config.yaml"
    config.write_text(f"overlays: [{from_config.name}]\n", encoding="utf-8")
    api, _ = build_model(KENNEL, config)
    assert _tool(api.tools, "list_dogs").description.startswith(words.format("config"))
    assert [applied.name for applied in api.overlays] == [from_config.name]
    api, _ = build_model(KENNEL, config, Options(overlays=(from_flag,)))
    assert _tool(api.tools, "list_dogs").description.startswith(words.format("flag"))
    assert [applied.sha256 for applied in api.overlays] == [
        hashlib.sha256(path.read_bytes()).hexdigest() for path in (from_config, from_flag)
    ]


def _tool(tools: Any, name: str) -> Any:
    return next(tool for tool in tools if tool.name == name)


# Warnings


def test_a_target_that_selects_nothing_is_a_warning(tmp_path: Path) -> None:
    overlay = _overlay(tmp_path, [{"target": "$.info", "update": {}}, {"target": "$.paths['/gone']", "remove": True}])
    result = apply_overlays(_document(), [overlay])
    assert result.document == _document()
    assert result.warnings == (
        Diagnostic(
            "warning",
            NO_MATCH,
            "overlay action 1 (remove) target `$.paths['/gone']` selects nothing: the action changes nothing",
            str(overlay),
            "/actions/1",
        ),
    )


def test_the_no_match_warning_reaches_the_run_and_strict_makes_it_an_error(tmp_path: Path) -> None:
    overlay = _overlay(tmp_path, [{"target": "$.paths['/cats'].get", "update": {"description": "Cats."}}])
    _, diagnostics = build_model(KENNEL, options=Options(overlays=(overlay,)))
    assert [(d.kind, d.file, d.pointer) for d in diagnostics] == [(NO_MATCH, str(overlay), "/actions/0")]
    with pytest.raises(GenerationError) as raised:
        build_model(KENNEL, options=Options(strict=True, overlays=(overlay,)))
    assert [(d.level, d.kind) for d in raised.value.diagnostics] == [("error", NO_MATCH)]


# Errors


BAD_ACTIONS: dict[str, tuple[list[Any], str, str]] = {
    "no change": ([{"target": "$.info"}], "overlay action 0 (no change) target `$.info`", "needs `update`, `copy` or"),
    "remove false": ([{"target": "$.info", "remove": False}], "overlay action 0 (no change)", "needs `update`"),
    "invalid jsonpath": (
        [{"target": "$.info", "update": {}}, {"target": "$.paths[", "update": {}}],
        "overlay action 1 (update) target `$.paths[`",
        "invalid JSONPath",
    ),
    "not rfc 9535": ([{"target": "paths.*", "remove": True}], "action 0 (remove) target `paths.*`", "invalid JSONPath"),
    "object target, text update": (
        [{"target": "$.info", "update": "Example"}],
        "overlay action 0 (update) target `$.info`",
        "the target selects objects, so the value must be an object, not a string",
    ),
    "incompatible merge": (
        [{"target": "$.paths['/a']", "update": {"get": {"tags": {"not": "a list"}}}}],
        "overlay action 0 (update) target `$.paths['/a']`",
        "cannot merge at /paths/~1a/get/tags: the document has an array there and the update an object",
    ),
    "mixed targets": (
        [{"target": "$.paths['/a'].get.*", "update": {}}],
        "overlay action 0 (update)",
        "the target selects array and primitive nodes together",
    ),
    "copy selects nothing": (
        [{"target": "$.info", "copy": "$.nothing"}],
        "overlay action 0 (copy) target `$.info`",
        "`copy` `$.nothing` must select exactly one node, and it selects 0",
    ),
    "copy selects two": (
        [{"target": "$.info", "copy": "$.paths.*"}],
        "overlay action 0 (copy)",
        "must select exactly one node, and it selects 2",
    ),
    "update and copy": (
        [{"target": "$.info", "update": {}, "copy": "$.info"}],
        "action 0 (no change)",
        "gives neither",
    ),
    "remove the root": (
        [{"target": "$", "remove": True}],
        "overlay action 0 (remove) target `$`",
        "the whole document",
    ),
    "a typo": ([{"target": "$.info", "updates": {}}], "overlay action 0 (no change)", "unknown field `updates`"),
    "no target": ([{"update": {}}], "overlay action 0 (update):", "`target` must be a JSONPath string"),
    "not an object": (["$.info"], "overlay action 0 must be an object", ""),
}


@pytest.mark.parametrize("case", sorted(BAD_ACTIONS))
def test_a_bad_action_is_an_error_naming_the_action_its_kind_and_target(tmp_path: Path, case: str) -> None:
    actions, said, problem = BAD_ACTIONS[case]
    found = _errors(tmp_path, actions)
    where = ("overlay", str(tmp_path / "change.overlay.yaml"), f"/actions/{len(actions) - 1}")
    assert all((d.kind, d.file, d.pointer) == where for d in found), found
    assert any(said in d.message and problem in d.message for d in found), found


def test_copy_needs_overlay_1_1(tmp_path: Path) -> None:
    found = _error(tmp_path, [{"target": "$.info", "copy": "$.info"}], version="1.0.0")
    assert "`copy` is Overlay 1.1" in found.message


BAD_OVERLAYS: dict[str, tuple[str, str, str]] = {
    "not a mapping": ("- target: $\n", "not-a-mapping", "overlay: expected a mapping at the top level"),
    "no version": ("info: {title: t, version: '1'}\nactions: []\n", "overlay", "no `overlay` version"),
    "a number": ("overlay: 1.0\ninfo: {title: t, version: '1'}\n", "overlay", "a version string such as 1.1.0"),
    "major version 2": (
        "overlay: 2.0.0\ninfo: {title: t, version: '1'}\n",
        "overlay",
        "unsupported Overlay version 2.0.0",
    ),
    "no info": ("overlay: 1.1.0\nactions: [{target: $, update: {}}]\n", "overlay", "`info` must be an object"),
    "no actions": ("overlay: 1.1.0\ninfo: {title: t, version: '1'}\nactions: []\n", "overlay", "at least one action"),
    "unknown field": (
        "overlay: 1.1.0\ninfo: {title: t, version: '1'}\nactoins: [{target: $, update: {}}]\n",
        "overlay",
        "unknown field `actoins`",
    ),
}


@pytest.mark.parametrize("case", sorted(BAD_OVERLAYS))
def test_a_malformed_overlay_is_an_error(tmp_path: Path, case: str) -> None:
    text, kind, message = BAD_OVERLAYS[case]
    path = tmp_path / "bad.overlay.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(GenerationError) as raised:
        apply_overlays(_document(), [path])
    found = raised.value.diagnostics
    assert any(d.kind == kind and message in d.message and d.file == str(path) for d in found), found


def test_every_problem_of_an_overlay_is_reported_at_once(tmp_path: Path) -> None:
    path = _overlay(tmp_path, [{"target": "$.info"}, {"target": "$[", "update": {}}])
    with pytest.raises(GenerationError) as raised:
        apply_overlays(_document(), [path])
    assert [d.pointer for d in raised.value.diagnostics] == ["/actions/0", "/actions/1"]


@pytest.mark.parametrize(
    ("value", "pointer"), [("one.yaml", "/overlays"), ([3], "/overlays/0"), (["a.yaml", ""], "/overlays/1")]
)
def test_config_overlays_must_be_a_list_of_paths(tmp_path: Path, value: Any, pointer: str) -> None:
    config = tmp_path / "config.yaml"
    config.write_text(yaml.safe_dump({"overlays": value}), encoding="utf-8")
    with pytest.raises(GenerationError) as raised:
        build_model(KENNEL, config)
    assert [(d.kind, d.file, d.pointer) for d in raised.value.diagnostics] == [("config", str(config), pointer)]


# The command line


def _tools(out: Path) -> dict[str, Any]:
    document = json.loads((out / "src" / "kennel_mcp" / "tools.json").read_text(encoding="utf-8"))
    return {entry["binding"]["operationId"]: entry["definition"] for entry in document["tools"]}


def test_overlays_change_the_generated_package(tmp_path: Path) -> None:
    out = tmp_path / "kennel-mcp"
    config = FIXTURES / "kennel.config.yaml"
    trim, copy = FIXTURES / "trim.overlay.yaml", FIXTURES / "copy.overlay.json"
    argv = ["generate", "--spec", str(KENNEL), "--config", str(config), "--out", str(out), "--quiet"]
    assert main([*argv, "--overlay", str(trim), "--overlay", str(copy)]) == 0
    tools = _tools(out)
    assert sorted(tools) == ["listDogs", "listPuppies", "showDog"], "deleteDog was removed"
    described = "Lists every dog boarding in the kennel today, with its name and ID."
    assert tools["listDogs"]["description"].startswith(described)
    arguments = tools["listDogs"]["inputSchema"]["properties"]
    assert "per_page" in arguments and "debug" not in arguments
    provenance = json.loads((out / "provenance.json").read_text(encoding="utf-8"))
    applied = [FIXTURES / "describe.overlay.yaml", trim, copy]
    assert provenance["overlays"] == [
        {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()} for path in applied
    ]
    plain = tmp_path / "plain"
    assert main(["generate", "--spec", str(KENNEL), "--out", str(plain), "--quiet"]) == 0
    assert "overlays" not in json.loads((plain / "provenance.json").read_text(encoding="utf-8"))


def test_strict_makes_a_no_match_an_error_on_the_command_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    overlay = _overlay(tmp_path, [{"target": "$.paths['/cats']", "remove": True}])
    argv = ["generate", "--spec", str(KENNEL), "--out", str(tmp_path / "out"), "--overlay", str(overlay)]
    assert main(argv) == 0
    assert f"{overlay}: warning: overlay action 0 (remove)" in capsys.readouterr().err
    assert main([*argv[:-2], "--strict", "--overlay", str(overlay), "--out", str(tmp_path / "strict")]) == 2
    err = capsys.readouterr().err
    assert f"{overlay}: error: overlay action 0 (remove) target `$.paths['/cats']` selects nothing" in err
    assert err.rstrip().endswith(f"[{NO_MATCH}]")
    assert not (tmp_path / "strict").exists()


@pytest.mark.parametrize("named_in", ["command line", "config", "lint"])
def test_a_missing_overlay_file_is_one_clear_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], named_in: str
) -> None:
    missing = tmp_path / "absent.overlay.yaml"
    argv = ["generate", "--spec", str(KENNEL), "--out", str(tmp_path / "out")]
    if named_in == "config":
        config = tmp_path / "config.yaml"
        config.write_text("overlays: [absent.overlay.yaml]\n", encoding="utf-8")
        argv += ["--config", str(config)]
    elif named_in == "lint":
        argv = ["lint", "--spec", str(KENNEL), "--overlay", str(missing)]
    else:
        argv += ["--overlay", str(missing)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err == f"{missing}: error: overlay: file not found [file-not-found]\n"
    assert not (tmp_path / "out").exists()


def test_a_bad_overlay_writes_nothing(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    overlay = _overlay(tmp_path, [{"target": "$.paths['/dogs'].get", "update": "not an object"}])
    out = tmp_path / "out"
    assert main(["generate", "--spec", str(KENNEL), "--out", str(out), "--overlay", str(overlay)]) == 2
    lines = capsys.readouterr().err.splitlines()
    assert lines == [
        f"{overlay}: error: overlay action 0 (update) target `$.paths['/dogs'].get`: the target selects objects, so the"
        " value must be an object, not a string (at /actions/0) [overlay]"
    ]
    assert not out.exists()


def test_copies_of_copies_cannot_grow_the_document_without_bound(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("generator.overlay.MAX_VALUES", 1_000)
    doubling: list[Any] = [{"target": "$", "update": {"a": {"b": list(range(10))}}}]
    doubling += [{"target": "$.a", "copy": "$"} for _ in range(20)]
    found = _error(tmp_path, doubling)
    assert "the overlays would add more than 1,000 values" in found.message
    assert found.pointer.startswith("/actions/") and found.pointer != "/actions/20"


def test_a_document_nested_too_deeply_by_an_overlay_is_refused(tmp_path: Path) -> None:
    chain: dict[str, Any] = {"leaf": True}
    for _ in range(200):
        chain = {"x": chain}
    overlay = _overlay(tmp_path, [{"target": "$..[?@.leaf == true]", "copy": "$.chain"}])
    with pytest.raises(GenerationError) as raised:
        apply_overlays({"chain": chain}, [overlay])
    [found] = raised.value.diagnostics
    assert (found.kind, found.file) == ("too-deep", str(overlay))
    assert (
        found.message == "once this overlay is applied, nested more than 256 levels deep; later stages cannot follow it"
    )


def test_a_reference_an_overlay_adds_to_a_file_beside_the_spec_is_bundled(tmp_path: Path) -> None:
    spec = tmp_path / "kennel.yaml"
    spec.write_text(KENNEL.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "collar.yaml").write_text("type: object\ndescription: A dog's collar.\n", encoding="utf-8")
    target = "$.paths['/dogs'].get.responses['200']"
    update = {"content": {"application/json": {"schema": {"$ref": "collar.yaml"}}}}
    overlay = _overlay(tmp_path, [{"target": target, "update": update}])
    api, _ = build_model(spec, options=Options(overlays=(overlay,)))
    listing = next(tool for tool in api.tools if tool.binding.path == "/dogs" and tool.binding.method == "GET")
    assert listing.full_output_schema == {"type": "object", "description": "A dog's collar."}

"""The generated package's TOOLS.md (a tool reference by tag) and LICENSE (MIT, holder from the config)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from generator.config import build_config
from generator.diagnostics import GenerationError
from generator.pipeline import generate
from generator.render import tool_groups
from tests.conftest import (
    FEATURES,
    HYBRID_LISTED,
    OPERATIONS,
    minimal_spec,
    procore_generation,
    write_spec,
)


@pytest.fixture
def files() -> dict[str, str]:
    return procore_generation().files


def _sections(tools_md: str) -> dict[str, list[list[str]]]:
    """`## tag` -> table rows (cells), in the order written."""
    sections: dict[str, list[list[str]]] = {}
    current = ""
    for line in tools_md.splitlines():
        if line.startswith("## "):
            current = line[3:]
            sections[current] = []
        elif current and line.startswith("| `"):
            sections[current].append([cell.strip() for cell in line.strip("|").split(" | ")])
    return sections


def _name(cell: str) -> str:
    return cell.split("`")[1]


def test_tools_md_marks_the_tools_hybrid_mode_lists(files: dict[str, str]) -> None:
    runtime = json.loads(files["src/procore_mcp/tools.json"])
    curated = {entry["definition"]["name"] for entry in runtime["tools"] if entry["binding"].get("curated")}
    marked = {_name(row[0]) for rows in _sections(files["TOOLS.md"]).values() for row in rows if "**listed**" in row[0]}
    assert marked == curated and len(curated) == HYBRID_LISTED - 3
    assert f"lists the {len(curated)} curated operations marked **listed**" in files["TOOLS.md"]


def test_tools_md_lists_every_tool_once_under_its_tag_sorted(files: dict[str, str]) -> None:
    runtime = json.loads(files["src/procore_mcp/tools.json"])
    sections = _sections(files["TOOLS.md"])
    expected: dict[str, list[str]] = {}
    for entry in runtime["tools"]:
        for tag in entry["binding"]["tags"]:
            expected.setdefault(tag, []).append(entry["definition"]["name"])
    assert list(sections) == sorted(expected, key=str.casefold)
    for tag, rows in sections.items():
        names = [_name(row[0]) for row in rows]
        assert names == sorted(expected[tag]), tag
    assert sum(len(rows) for rows in sections.values()) == len(runtime["tools"]) == OPERATIONS


def test_tools_md_rows_have_title_purpose_and_effect(files: dict[str, str]) -> None:
    runtime = json.loads(files["src/procore_mcp/tools.json"])
    by_name = {entry["definition"]["name"]: entry["definition"] for entry in runtime["tools"]}
    rows = [row for rows in _sections(files["TOOLS.md"]).values() for row in rows]
    for name_cell, title, purpose, effect in rows:
        definition = by_name[_name(name_cell)]
        assert title == definition["title"]
        assert purpose and "\n" not in purpose
        annotations = definition["annotations"]
        if annotations.get("readOnlyHint"):
            assert effect == "read-only"
        elif annotations["destructiveHint"]:  # stated by every tool that changes data
            assert effect == "destructive"
        else:
            assert effect == "changes data"
    effects = {row[3] for row in rows}
    assert effects == {"read-only", "destructive", "changes data"}


def test_tools_md_purpose_is_the_first_paragraph_or_the_next_when_it_restates_the_title(files: dict[str, str]) -> None:
    rows = {_name(row[0]): row for rows in _sections(files["TOOLS.md"]).values() for row in rows}
    runtime = json.loads(files["src/procore_mcp/tools.json"])
    for entry in runtime["tools"]:
        definition = entry["definition"]
        paragraphs = [" ".join(p.split()) for p in definition["description"].split("\n\n") if p.strip()]
        restates = paragraphs[0].rstrip(".").lower() == definition["title"].lower()
        chosen = paragraphs[1] if restates and len(paragraphs) > 1 else paragraphs[0]
        unescaped = re.sub(r"\\(.)", r"\1", rows[definition["name"]][2])
        assert unescaped == chosen, definition["name"]


def test_untagged_tools_come_last_and_several_tags_list_a_tool_in_each(tmp_path: Path) -> None:
    runtime = {
        "tools": [
            {"definition": {"name": "b"}, "binding": {"tags": ["zeta", "Alpha"]}},
            {"definition": {"name": "a"}, "binding": {"tags": ["zeta"]}},
            {"definition": {"name": "c"}, "binding": {}},
        ]
    }
    groups = [(tag, [d["name"] for d in defs]) for tag, defs in tool_groups(runtime)]
    assert groups == [("Alpha", ["b"]), ("zeta", ["a", "b"]), ("", ["c"])]
    spec = write_spec(tmp_path, minimal_spec())  # no tags at all
    text = generate(spec).files["TOOLS.md"]
    assert "## Other tools" in text and "`list_things`" in text


def test_license_is_mit_with_the_default_holder(files: dict[str, str]) -> None:
    text = files["LICENSE"]
    assert text.splitlines()[0] == "MIT License"
    assert "Copyright (c) The procore-mcp contributors\n" in text
    assert 'THE SOFTWARE IS PROVIDED "AS IS"' in text
    assert not re.search(r"\b(19|20)\d\d\b", text)  # no year: the output carries no dates


def test_license_holder_comes_from_the_config(tmp_path: Path) -> None:
    config = tmp_path / "config.yaml"
    config.write_text("license_holder: Example Builders Ltd\n", encoding="utf-8")
    text = generate(FEATURES, config).files["LICENSE"]
    assert "Copyright (c) Example Builders Ltd\n" in text


def test_license_holder_must_be_text() -> None:
    with pytest.raises(GenerationError, match="`license_holder` must be a str"):
        build_config({"license_holder": 42}, "Example", [], "test")
    assert build_config({}, "Example", [], "test").license_holder == ""


def test_the_default_hybrid_listing_stays_within_96_kib(files: dict[str, str]) -> None:
    """What tools/list sends in hybrid mode (the curated tools, then the three meta-tools), as compact JSON:
    the `fields` and `max_items` inputs of every listed tool included."""
    document = json.loads(files["src/procore_mcp/tools.json"])
    listed = [tool["definition"] for tool in document["tools"] if tool["binding"].get("curated")]
    listed += json.loads(files["src/procore_mcp/catalog_tools.json"])["tools"]
    size = len(json.dumps(listed, separators=(",", ":"), ensure_ascii=False).encode())
    assert size <= 96 * 1024, f"{size / 1024:.1f} KiB"
    assert sum("fields" in tool["inputSchema"].get("properties", {}) for tool in listed) >= 30

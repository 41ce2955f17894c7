"""Spec text in generated Markdown and comments: escaped for where it lands (code spans, tables, comments)."""

from __future__ import annotations

import io
import re
import tokenize
import tomllib
from pathlib import Path

import pytest
import yaml

from generator.cli import main
from generator.pipeline import build_model
from generator.render import render_package
from generator.templating import comment_text, hash_comment, html_comment, markdown_code
from tests.conftest import minimal_spec, write_spec


@pytest.mark.parametrize(
    ("value", "cell", "expected"),
    [
        ("https://api.example.com", False, "`https://api.example.com`"),
        ("a`b", False, "``a`b``"),
        ("a``b`", False, "``` a``b` ```"),
        ("`<img src=x onerror=alert(1)>`", False, "`` `<img src=x onerror=alert(1)>` ``"),
        ("a|b", True, "`a\\|b`"),
        ("a|b", False, "`a|b`"),
        ("two\nlines  here", False, "`two lines here`"),
        ("", False, ""),
    ],
)
def test_a_code_span_holds_whatever_it_is_given(value: str, cell: bool, expected: str) -> None:
    assert markdown_code(value, cell=cell) == expected


def _code_span_content(span: str) -> str:
    """What a CommonMark renderer shows for one code span (the whole string must be exactly one span)."""
    fence = re.match(r"`+", span)
    assert fence is not None and span.endswith(fence.group())
    inner = span[len(fence.group()) : -len(fence.group())]
    assert not re.search(rf"(?<!`){fence.group()}(?!`)", inner), "the span closes early"
    return inner[1:-1] if inner.startswith(" ") and inner.endswith(" ") and inner.strip() else inner


@pytest.mark.parametrize("value", ["`", "``", "a`", "`a", "a ` b", "x```y`", "`<b>`"])
def test_a_code_span_shows_its_text_as_it_is(value: str) -> None:
    assert _code_span_content(markdown_code(value)) == value


def test_comment_text_keeps_everything_on_one_line() -> None:
    assert comment_text("a\nb\r\u2028c\u202ed") == "a\\nb\\r\\u2028c\\u202ed"
    assert hash_comment("x -*- coding: utf-7 -*-") == "x -*- coding : utf-7 -*-"
    assert hash_comment("vim: set fileencoding=latin-1") == "vim: set fileencoding =latin-1"


@pytest.mark.parametrize("name", ["x --><script>alert(1)</script>", "a--b", "---", "<!--", "--!>", "a-", "&lt;"])
def test_an_html_comment_cannot_be_ended_from_inside(name: str) -> None:
    text = html_comment(name)
    assert "--" not in text and "<" not in text and ">" not in text


def test_a_file_name_cannot_break_out_of_any_banner(tmp_path: Path) -> None:
    """The command line refuses file names with line breaks, but the banners are safe without that check."""
    api, _ = build_model(write_spec(tmp_path, minimal_spec()))
    name = "x\n__import__('os').system('touch PWNED')\n-->\r<script>alert(1)</script> coding: utf-7.yaml"
    files = render_package(api, name)
    for path, text in files.items():
        if path.endswith(".py"):
            compile(text, path, "exec")
            first = text.splitlines()[0]
            assert first.startswith("# Generated") and "PWNED')\\n-->" in first
            readline = io.BytesIO(text.encode()).readline
            assert tokenize.detect_encoding(readline)[0] == "utf-8"
    assert tomllib.loads(files["pyproject.toml"])["project"]["name"] == "example-mcp"
    for path in ("README.md", "TOOLS.md"):
        banner = files[path].splitlines()[0]
        assert banner.startswith("<!-- ") and banner.endswith(" -->") and "--" not in banner[4:-3], banner
        assert "<script" not in files[path]


def test_config_values_in_readme_code_spans_stay_inside_them(tmp_path: Path) -> None:
    spec = write_spec(tmp_path, minimal_spec())
    config = tmp_path / "config.yaml"
    url = "https://api.example.com/a`b|<img src=x>"
    config.write_text(yaml.safe_dump({"servers": {url: {"env": "BASE_URL"}}}), encoding="utf-8")
    assert main(["generate", "--spec", str(spec), "--config", str(config), "--out", str(tmp_path / "out")]) == 0
    readme = (tmp_path / "out" / "README.md").read_text(encoding="utf-8")
    (row,) = [line for line in readme.splitlines() if line.startswith("| `EXAMPLE_BASE_URL`")]
    assert "Replaces ``https://api.example.com/a`b\\|<img src=x>`` (for example" in row
    assert row.count(" | ") == 1, "the URL's `|` does not split the table row"


def test_field_names_in_descriptions_stay_inside_their_code_spans(tmp_path: Path) -> None:
    document = minimal_spec()
    response = document["paths"]["/things"]["get"]["responses"]["200"]
    fields = {"a`b": {"type": "string"}, "<img src=x onerror=alert(1)>": {"type": "string"}}
    response["content"] = {"application/json": {"schema": {"type": "object", "properties": fields}}}
    api, _ = build_model(write_spec(tmp_path, document))
    assert "Returns an object with ``a`b`` and `<img src=x onerror=alert(1)>`." in api.tools[0].description

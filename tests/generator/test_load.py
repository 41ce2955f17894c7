"""Stage 1: files to plain data, with file and line on every error."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.diagnostics import GenerationError
from generator.load import load_mapping


def _error_line(path: Path) -> str:
    with pytest.raises(GenerationError) as caught:
        load_mapping(path)
    assert len(caught.value.diagnostics) == 1
    return caught.value.diagnostics[0].render()


def test_yaml_keeps_json_types(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("info:\n  version: 2024-01-01\nresponses:\n  200: {description: ok}\n  true: x\n")
    data = load_mapping(path)
    assert data == {
        "info": {"version": "2024-01-01"},
        "responses": {"200": {"description": "ok"}, "true": "x"},
    }


def test_json_file(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text('{"openapi": "3.0.3"}')
    assert load_mapping(path) == {"openapi": "3.0.3"}


def test_missing_file(tmp_path: Path) -> None:
    line = _error_line(tmp_path / "nope.yaml")
    assert line == f"{tmp_path / 'nope.yaml'}: error: file not found [file-not-found]"


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("openapi: 3.0.3\ninfo:\n  title: [unclosed\n")
    line = _error_line(path)
    assert line.startswith(f"{path}:4: error: invalid YAML:")
    assert line.endswith("[invalid-yaml]")


def test_invalid_json_names_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('{\n  "openapi": "3.0.3",\n}\n')
    line = _error_line(path)
    assert line.startswith(f"{path}:3: error: invalid JSON: ")
    assert line.endswith("(column 1) [invalid-json]")


def test_top_level_must_be_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- a\n- b\n")
    assert "expected a mapping at the top level, found a list" in _error_line(path)


def test_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "empty.yaml"
    path.write_text("")
    assert "found empty" in _error_line(path)


def test_directory_and_binary(tmp_path: Path) -> None:
    assert "is a directory" in _error_line(tmp_path)
    path = tmp_path / "binary.yaml"
    path.write_bytes(b"\xff\xfe\x00garbage")
    assert "not UTF-8" in _error_line(path)


def test_a_scalar_document_with_an_anchor_is_refused_as_not_a_mapping(tmp_path: Path) -> None:
    path = tmp_path / "spec.yaml"
    path.write_text("&anchor 5\n")
    assert "expected a mapping at the top level, found a int" in _error_line(path)

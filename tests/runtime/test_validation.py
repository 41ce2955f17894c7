"""validation: schemas are checked as JSON Schema 2020-12, with `pattern` matched only on short strings."""

from __future__ import annotations

from tests.runtime.conftest import Runtime


def test_patterns_hold_for_short_strings_and_long_ones_are_left_to_the_api(runtime: Runtime) -> None:
    validation = runtime.module("validation")
    checker = validation.validator({"type": "object", "properties": {"code": {"type": "string", "pattern": "^(a+)+$"}}})
    assert [e.message for e in checker.iter_errors({"code": "aab"})] == ["'aab' does not match '^(a+)+$'"]
    assert list(checker.iter_errors({"code": "aaa"})) == []
    # Matching this would take longer than the universe has left; over the bound it is not tried at all.
    hostile = "a" * validation.PATTERN_MAX_LENGTH + "!"
    assert list(checker.iter_errors({"code": hostile})) == []
    assert [e.validator for e in checker.iter_errors({"code": 5})] == ["type"]  # everything else still holds

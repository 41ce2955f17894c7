"""Spec regular expressions: read as Python's `re` reads them, and the ones that could backtrack exponentially found."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from generator.patterns import AMBIGUOUS, TOO_LARGE, backtracking_risk, python_pattern

# With Python's `re`, each of these takes time exponential in the length of a crafted text (`^(a+)+$` on 26 a's and
# a `!`: 1.7 s, doubling with each further character), or, repeated a bounded number of times, a polynomial of that
# degree: exponential in the bound.
UNSAFE = [
    r"^(a+)+$",
    r"(a*)*$",
    r"^(\w+\s?)*$",
    r"^(a|a)*$",
    r"^(a|aa)*$",
    r"^(a?a?)*$",
    r"(x+x+)+y",
    r"^(\d+\.?\d*)+$",
    r"^([^@]+)*@",
    r"^(a|b\w*)+$",
    r"^\w+([\.-]?\w+)*@\w+([\.-]?\w+)*(\.\w{2,3})+$",  # an e-mail pattern found in many places
    r"^(([a-z])+.)+[A-Z]([a-z])+$",
    r"^([a-zA-Z0-9])(([\-.]|[_]+)?([a-zA-Z0-9]+))*(@){1}[a-z0-9]+[.]{1}(([a-z]{2,3})|([a-z]{2,3}[.]{1}[a-z]{2,3}))$",
    r"(?=(a+)+$)",  # inside a lookahead
    r"^(?!(\d+)+x)",
    r"^(a|a){1,30}$",  # bounded, but by more than a few copies
    r"^(\w+\s?){1,10}$",
    r"(.*a){12}",
    r"^(?i:(ab|AB))+$",  # both branches read `ab` when case is ignored
    r"^(?:\s|\r\n)+$",  # a line break is two white space characters, or one `\r\n`
]

# Flagged though Python happens never to try their ways: the analysis reads a backreference as any text, and does
# not ask whether what follows a loop can fail (`$` after `(\S+\s*)+` never does). Dropping them costs a check the
# API still makes.
CONSERVATIVE = [
    r"^(\S+\s*)+$",
    r"^(?P<word>[a-z]+)(-(?P=word)|[a-z])*$",
]

SAFE = [
    r"^[a-z0-9-]+$",
    r"^\d{4}-\d{2}-\d{2}$",
    r"^[^@\s]+@[^@\s]+\.[^@\s]+$",
    r"^[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$",
    r"^.*@.*\..*",
    r"^[a-z0-9_]+(?:-[a-z0-9_]+)*$",
    r"^([a-z0-9]+-)*[a-z0-9]+$",
    r"^((25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$",
    r"^(\d{1,3}\.){3}\d{1,3}$",
    r"^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$",
    r"^(([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])\.)*([A-Za-z0-9]|[A-Za-z0-9][A-Za-z0-9-]*[A-Za-z0-9])$",
    r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
    r"^\+?[1-9]\d{1,14}$",
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)"
    r"(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$",  # semver
    r"^(https?|ftp)://[^\s/$.?#].[^\s]*$",
    r"^#([0-9a-f]{3}){1,2}$",
    r"^(a|ab)*$",  # every text splits one way only: linear (200,000 characters in 10 ms)
    r"^(\d|\w)+$",  # Python reads the branch as one character set, `[\d\w]`
    r"^(?i:(A|a)+)$",  # the same, ignoring case
    r"^[a-zA-Z\u0080-\u024F\s\/\-\)\(\`\.\"\']+$",
    r"^(?P<id>[a-z0-9\-]{32,36}):\$(?P<path>.*?)$",
    r"(?P<x>a)(?P=x)",
    r"^(alpha|beta|production)$",
    r"^/v1/tax/calculations/[^/]+/line_items",
    r"\b[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\b",
    r"^[\w.+-]+@[\w-]+\.[\w.-]+$",
    r"^(?=.*\d)(?=.*[a-z])(?=.*[A-Z]).{8,}$",
    "",
    "^$",
]


@pytest.mark.parametrize("pattern", UNSAFE + CONSERVATIVE)
def test_patterns_that_backtrack_exponentially_are_found(pattern: str) -> None:
    assert backtracking_risk(pattern) == AMBIGUOUS


@pytest.mark.parametrize("pattern", SAFE)
def test_ordinary_patterns_are_kept(pattern: str) -> None:
    assert backtracking_risk(pattern) == ""


def test_a_pattern_too_large_to_check_counts_as_unsafe() -> None:
    assert backtracking_risk("(?:" + "a?" * 3000 + ")$") == TOO_LARGE
    assert backtracking_risk("^" + "[a-z]" * 1000 + "$") == ""


def test_python_pattern_reads_ecmascript_named_groups_and_refuses_what_does_not_compile() -> None:
    assert python_pattern(r"^(?<year>\d{4})$") == r"^(?P<year>\d{4})$"
    assert python_pattern(r"^(?<=a)b(?<!c)$") == r"^(?<=a)b(?<!c)$"
    assert python_pattern(r"^[a-z]+$") == r"^[a-z]+$"
    assert python_pattern(r"^(unclosed$") is None
    assert python_pattern(r"\p{L}+") is None


_TEXT = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_a_repeated_fixed_text_is_safe(text: str) -> None:
    """A text repeated (each repetition is the same characters, so a string splits one way only)."""
    assert backtracking_risk(f"^(?:{re.escape(text)})+$") == ""


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_a_repeat_inside_a_repeat_of_the_same_characters_is_unsafe(text: str) -> None:
    characters = "".join(sorted(set(text))).replace("\\", "\\\\").replace("]", "\\]").replace("^", "\\^")
    characters = characters.replace("-", "\\-").replace("[", "\\[")
    assert backtracking_risk(f"^(?:[{characters}]+)+$") == AMBIGUOUS


@settings(max_examples=200, deadline=None)
@given(_TEXT)
def test_an_alternation_of_a_text_with_itself_under_a_repeat_is_unsafe(text: str) -> None:
    escaped = re.escape(text)
    assert backtracking_risk(f"^(?:{escaped}|{escaped})*!$") == AMBIGUOUS


_ATOMS = st.sampled_from(["a", "b", ".", r"\d", r"\w", r"\s", "[ab]", "[^a]", r"\b", "^", "$", "(?=a)", r"\1"])


def _regexes() -> st.SearchStrategy[str]:
    def extend(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        quantified = st.tuples(inner, st.sampled_from(["*", "+", "?", "{2}", "{1,3}", "{0,9}", "*?", "++"]))
        return st.one_of(
            st.lists(inner, min_size=2, max_size=4).map("".join),
            st.lists(inner, min_size=2, max_size=3).map(lambda parts: "(" + "|".join(parts) + ")"),
            quantified.map(lambda pair: f"(?:{pair[0]}){pair[1]}"),
        )

    return st.recursive(_ATOMS, extend, max_leaves=12).map(lambda body: f"(x){body}")


@settings(max_examples=300, deadline=None)
@given(_regexes())
def test_any_pattern_python_reads_gets_an_answer(pattern: str) -> None:
    try:
        re.compile(pattern)
    except re.error:
        return
    assert backtracking_risk(pattern) in ("", AMBIGUOUS, TOO_LARGE)

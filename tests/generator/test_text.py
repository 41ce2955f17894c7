"""Cleaning spec prose."""

from __future__ import annotations

from generator.text import absolute_links, as_sentence, clean_prose, strip_html, whole_sentences


def test_relative_links_become_absolute() -> None:
    text = "See [Guide](/documentation/oauth) and [Other](https://x.org/a) and [Anchor](#top)."
    assert absolute_links(text, "https://developers.procore.com") == (
        "See [Guide](https://developers.procore.com/documentation/oauth) and [Other](https://x.org/a) and Anchor."
    )
    assert absolute_links("[Keys](../admin-keys) and [Text](/docs/text)", "https://x.org/docs/api") == (
        "[Keys](https://x.org/docs/admin-keys) and [Text](https://x.org/docs/text)"
    )


def test_without_a_base_a_relative_link_keeps_only_its_label() -> None:
    text = "See [Guide](/documentation/oauth) and [Other](https://x.org/a) and [Anchor](#top)."
    assert absolute_links(text, "") == "See Guide and [Other](https://x.org/a) and Anchor."


def test_links_to_other_schemes_than_the_web_and_mail_keep_only_their_label() -> None:
    text = "[a](javascript:alert`1`) [b](JavaScript:x) [c](data:text/html,<b>) [d](mailto:x@y.org) [e](http://x.org)"
    assert absolute_links(text, "https://x.org") == "a b c [d](mailto:x@y.org) [e](http://x.org)"
    assert absolute_links("[a](javascript:alert(1))", "") == "a)"  # a target ends at its first `)`


def test_html_is_stripped() -> None:
    assert strip_html("<p>One &amp; two</p><br/>three") == "One & two\n\nthree"


def test_truncated_text_is_cut_back_to_a_whole_sentence() -> None:
    text = "First sentence. Second one is fine. JavaScript applications cannot make this ..."
    assert whole_sentences(text) == "First sentence. Second one is fine."


def test_budget_cuts_at_sentence_end() -> None:
    text = "Alpha beta. Gamma delta epsilon. Zeta."
    assert whole_sentences(text, budget=20) == "Alpha beta."
    assert whole_sentences(text, budget=5) == ""


def test_abbreviations_do_not_end_sentences() -> None:
    assert whole_sentences("Use a filter, e.g. status. Then more ...") == "Use a filter, e.g. status."


def test_clean_prose_joins_lines_and_keeps_paragraphs() -> None:
    assert clean_prose("one\ntwo\n\nthree", "") == "one two.\n\nthree."
    assert clean_prose("Use the the filter for For RFI RFI managers", "") == "Use the filter for RFI managers."


def test_as_sentence() -> None:
    assert as_sentence("list projects") == "List projects."
    assert as_sentence("Done!") == "Done!"
    assert as_sentence("") == ""

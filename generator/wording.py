"""Every word the generator adds to a tool, typed: the macros of `templates/tool/phrases.jinja` and the tool
description template, read from one Jinja environment (a user's template folder first, when there is one)."""

from __future__ import annotations

from collections.abc import Callable

import jinja2

from generator.outline import Outline, Segment

PHRASES = "tool/phrases.jinja"
DESCRIPTION = "tool/description.md.jinja"


class Wording:
    """The phrases, as methods that return text; made once per run by the pipeline and handed to the stages."""

    def __init__(self, environment: jinja2.Environment) -> None:
        self._phrases = environment.get_template(PHRASES).module  # a macro module: made when it runs
        self.description = environment.get_template(DESCRIPTION)

    def _say(self, macro: str, *arguments: object) -> str:
        """What the phrases template's macro `macro` says of `arguments`."""
        found: object = getattr(self._phrases, macro)
        if not callable(found):
            raise TypeError(f"{PHRASES} has no macro {macro!r}")
        return str(found(*arguments))

    def parameter_fallback(self, name: str, location: str, parent: str = "", kind: str = "") -> str:
        """For a property the spec leaves undescribed, or describes with its own name only."""
        return self._say("parameter_fallback", name, location, parent, kind)

    def bracket_group(self, name: str) -> str:
        return self._say("bracket_group", name)

    def whole_body(self, media_type: str | None) -> str:
        return self._say("whole_body", media_type)

    def undescribed(self, name: str) -> str:
        return self._say("undescribed", name)

    def renamed(self, wire: str, location: str) -> str:
        return self._say("renamed", wire, location)

    def bound_default(self, variable: str) -> str:
        return self._say("bound_default", variable)

    def pagination(self) -> str:
        return self._say("pagination")

    def pagination_field(self, key: str) -> str:
        return self._say("pagination_field", key)

    def fields_input(self, listing: bool) -> str:
        """The `fields` input: for each record of a list (`listing`), or of one object."""
        return self._say("fields_input", listing)

    def max_items_input(self) -> str:
        return self._say("max_items_input")

    def page_size_fill(self, size: int) -> str:
        """Said of a page-size input the server fills when the caller leaves it out."""
        return self._say("page_size_fill", size)

    def discriminator(self, property_name: str, default: str = "") -> str:
        return self._say("discriminator", property_name, default)

    def outline(self, outline: Outline, spell: Callable[[str], str] = str) -> str:
        """The opening sentence of an undescribed operation, from what its method and path say (empty when the
        path names nothing); `spell` writes a word as the document does (`rfi` -> `RFI`)."""
        if outline.resource is None:
            return ""

        def segment(part: Segment) -> dict[str, object]:
            return {
                "words": [spell(w) for w in part.words],
                "one": [spell(w) for w in part.singular],
                "single": part.one,
            }

        return self._say(
            "outline",
            outline.action,
            segment(outline.resource),
            [segment(parent) for parent in outline.parents],
            outline.verb,
            [spell(w) for w in outline.extra],
            outline.bulk,
        )

    def open_shape(self) -> str:
        return self._say("open_shape")

    def file_guidance(self) -> str:
        return self._say("file_guidance")

    def file_path(self) -> str:
        return self._say("file_path")

    def file_content(self) -> str:
        return self._say("file_content")

    def file_name(self) -> str:
        return self._say("file_name")

    def file_type(self) -> str:
        return self._say("file_type")

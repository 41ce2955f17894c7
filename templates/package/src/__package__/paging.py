"""Pages: the arguments of the next page after a response, and the exact arguments that continue a result that
was cut (by `max_items` or the result budget) wherever the cut fell."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from . import contract

Json = Any
"""A decoded JSON value from the API: every use checks its shape."""


@dataclass(frozen=True)
class Page:
    """One response of a list tool: the arguments it was asked with and the records it held."""

    arguments: dict[str, Json]
    response: httpx.Response
    data: Json
    items: list[Json]


@dataclass(frozen=True)
class Continuation:
    """Arguments that get the records after a result. `exact`: they start right after its last record; else
    they repeat the last page's first records, smaller, and the cursor in that answer continues."""

    arguments: dict[str, Json]
    exact: bool = True


def wire_name(binding: contract.Binding, property_name: str) -> str:
    return next((a["name"] for a in binding["arguments"] if a["property"] == property_name), property_name)


def lookup(data: Json, path: str) -> Json:
    """The value at a dotted path (`response_metadata.next_cursor`), or None."""
    for part in path.split("."):
        if not isinstance(data, dict):
            return None
        data = data.get(part)
    return data


def page_size(paging: contract.Paging, page: Page) -> int | None:
    """The size of this page as asked, as the API says (`Per-Page`), or as documented."""
    size = page.arguments.get(paging.get("size", ""))
    if isinstance(size, int) and not isinstance(size, bool):
        return size
    header = page.response.headers.get("Per-Page", "")
    if header.isdigit():
        return int(header)
    return paging.get("sizeDefault")


def _int(value: Json, default: int) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _link_value(response: httpx.Response, name: str) -> str | None:
    """A query value of the `Link` header's `rel="next"` URL (None when there is no next link)."""
    link = response.links.get("next")
    if not link or not link.get("url"):
        return None
    try:
        found: str | None = httpx.URL(str(link["url"])).params.get(name)
        return found
    except httpx.InvalidURL:
        return None


def _last(response: httpx.Response, paging: contract.Paging, page: Page, size: int | None) -> bool:
    """Whether the API says, or the page shows, that no page follows this one."""
    if not page.items:
        return True
    if "more" in paging and lookup(page.data, paging["more"]) is False:
        return True
    if response.headers.get("Link") and not response.links.get("next"):
        return True
    total = response.headers.get("Total", "")
    if paging["style"] == "page" and total.isdigit() and size:
        return _int(page.arguments.get(paging["param"]), 1) * size >= int(total)
    return size is not None and len(page.items) < size


def next_arguments(binding: contract.Binding, page: Page) -> dict[str, Json] | None:
    """The arguments of the page after this one, or None when this was the last."""
    paging = binding["paging"]
    param = paging["param"]
    size = page_size(paging, page)
    if paging["style"] != "cursor" and _last(page.response, paging, page, size):
        return None
    if paging["style"] == "page":
        return {**page.arguments, param: _int(page.arguments.get(param), 1) + 1}
    if paging["style"] == "offset":
        return {**page.arguments, param: _int(page.arguments.get(param), 0) + len(page.items)}
    if not page.items or ("more" in paging and lookup(page.data, paging["more"]) is False):
        return None
    if "lastId" in paging:
        cursor = page.items[-1].get(paging["lastId"]) if isinstance(page.items[-1], dict) else None
    elif "next" in paging:
        cursor = lookup(page.data, paging["next"])
    else:
        cursor = _link_value(page.response, wire_name(binding, param))
    if cursor in (None, "") or cursor == page.arguments.get(param):
        return None
    return {**page.arguments, param: cursor}


def continuation(
    binding: contract.Binding, page: Page, shown: int, shown_in_all: int, caller: dict[str, Json]
) -> Continuation | None:
    """The arguments that get what follows a result whose last page showed `shown` of its records
    (`shown_in_all` in the whole result), built on the caller's own arguments; None when nothing follows or the
    API gives no way to start there."""
    paging = binding["paging"]
    param, size_param = paging["param"], paging.get("size")
    if shown >= len(page.items):
        after = next_arguments(binding, page)
        if after is None:
            return None
        return Continuation({**caller, **{k: after[k] for k in (param, size_param) if k is not None and k in after}})
    if paging["style"] == "page":
        size = page_size(paging, page) or len(page.items)
        offset = (_int(page.arguments.get(param), 1) - 1) * size + shown
        if size_param is None:
            return None
        per_page = largest_divisor(offset, min(shown_in_all, size))
        return Continuation({**caller, param: offset // per_page + 1, size_param: per_page})
    if paging["style"] == "offset":
        moved: dict[str, Json] = {param: _int(page.arguments.get(param), 0) + shown}
        if size_param is not None:
            moved[size_param] = shown_in_all
        return Continuation({**caller, **moved})
    if "lastId" in paging:
        last = page.items[shown - 1]
        cursor = last.get(paging["lastId"]) if isinstance(last, dict) else None
        return None if cursor is None else Continuation({**caller, param: cursor})
    if size_param is None:
        return None
    again = {key: value for key, value in caller.items() if key != param}
    if param in page.arguments:
        again[param] = page.arguments[param]
    return Continuation({**again, size_param: shown}, exact=False)


def largest_divisor(number: int, at_most: int) -> int:
    """The largest page size up to `at_most` that `number` records fill exactly (so a page starts right after)."""
    for candidate in range(max(min(at_most, number), 1), 0, -1):
        if number % candidate == 0:
            return candidate
    return 1


def restated(pagination: dict[str, Json], arguments: dict[str, Json], paging: contract.Paging) -> dict[str, Json]:
    """The `pagination` object of a cut page-numbered result, in the page size that continues it exactly."""
    per_page = arguments.get(paging.get("size", ""))
    next_page = arguments.get(paging["param"])
    if not isinstance(per_page, int) or not isinstance(next_page, int):
        return {**pagination, "next_page": None}
    total = pagination.get("total")
    last = -(-total // per_page) if isinstance(total, int) else None
    return {**pagination, "page": next_page - 1, "per_page": per_page, "next_page": next_page, "last_page": last}

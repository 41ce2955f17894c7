"""paging: the next page's arguments for each paging style, and the exact arguments that continue a result cut
anywhere inside a page."""

from __future__ import annotations

from typing import Any

import httpx

from tests.runtime.conftest import Runtime


def _binding(**paging: Any) -> dict[str, Any]:
    arguments = [{"property": name, "in": "query", "name": name} for name in ("page", "per_page", "cursor", "limit")]
    return {"method": "GET", "server": "BASE_URL", "path": "/x", "arguments": arguments, "auth": [], "paging": paging}


def _page(runtime: Runtime, arguments: dict[str, Any], items: list[Any], data: Any = None, **headers: str) -> Any:
    response = httpx.Response(200, headers=headers, request=httpx.Request("GET", "https://api.test/x"))
    return runtime.module("paging").Page(arguments, response, data if data is not None else items, items)


def test_page_numbers_stop_at_a_short_page_the_total_or_a_missing_next_link(runtime: Runtime) -> None:
    paging = runtime.module("paging")
    binding = _binding(style="page", param="page", size="per_page")
    full = _page(runtime, {"page": 2, "per_page": 3}, [1, 2, 3])
    assert paging.next_arguments(binding, full) == {"page": 3, "per_page": 3}
    assert paging.next_arguments(binding, _page(runtime, {"page": 2, "per_page": 3}, [1, 2])) is None
    assert paging.next_arguments(binding, _page(runtime, {"page": 2, "per_page": 3}, [1, 2, 3], Total="6")) is None
    last = _page(runtime, {"page": 2}, [1, 2, 3], Link='<https://api.test/x?page=1>; rel="first"')
    assert paging.next_arguments(binding, last) is None
    unsized = _page(runtime, {}, [1, 2, 3], **{"Per-Page": "3"})
    assert paging.next_arguments(binding, unsized) == {"page": 2}


def test_offsets_move_by_the_records_received(runtime: Runtime) -> None:
    paging = runtime.module("paging")
    binding = _binding(style="offset", param="cursor", size="limit")
    assert paging.next_arguments(binding, _page(runtime, {"limit": 2}, ["a", "b"])) == {"limit": 2, "cursor": 2}
    assert paging.next_arguments(binding, _page(runtime, {"limit": 2, "cursor": 4}, ["a"])) is None
    cut = paging.continuation(binding, _page(runtime, {"limit": 5, "cursor": 10}, list("abcde")), 3, 3, {"x": 1})
    assert cut.arguments == {"x": 1, "cursor": 13, "limit": 3} and cut.exact


def test_cursors_come_from_the_answer_the_last_record_or_the_link_header(runtime: Runtime) -> None:
    paging = runtime.module("paging")
    from_body = _binding(style="cursor", param="cursor", size="limit", next="meta.next_cursor")
    data = {"items": [1, 2], "meta": {"next_cursor": "c2"}}
    assert paging.next_arguments(from_body, _page(runtime, {"cursor": "c1"}, [1, 2], data)) == {"cursor": "c2"}
    done = {"items": [1, 2], "meta": {"next_cursor": ""}}
    assert paging.next_arguments(from_body, _page(runtime, {"cursor": "c1"}, [1, 2], done)) is None
    after_id = _binding(style="cursor", param="cursor", lastId="id", more="has_more")
    records = [{"id": "a"}, {"id": "b"}]
    more = {"data": records, "has_more": True}
    assert paging.next_arguments(after_id, _page(runtime, {}, records, more)) == {"cursor": "b"}
    assert paging.next_arguments(after_id, _page(runtime, {}, records, {**more, "has_more": False})) is None
    linked = _binding(style="cursor", param="cursor")
    link = '<https://api.test/x?cursor=zz9&limit=2>; rel="next"'
    assert paging.next_arguments(linked, _page(runtime, {}, [1], Link=link)) == {"cursor": "zz9"}
    assert paging.next_arguments(linked, _page(runtime, {}, [1])) is None


def test_a_cut_inside_a_page_continues_at_the_next_record_exactly(runtime: Runtime) -> None:
    paging = runtime.module("paging")
    binding = _binding(style="page", param="page", size="per_page")
    first = paging.continuation(binding, _page(runtime, {"per_page": 25}, list(range(25))), 12, 12, {"q": "x"})
    assert first.arguments == {"q": "x", "page": 2, "per_page": 12}
    # Page 2 of 100 cut after 33: the next record is the 134th; 19 records a page start there (7 x 19 = 133).
    later = paging.continuation(binding, _page(runtime, {"page": 2, "per_page": 100}, list(range(100))), 33, 33, {})
    assert later.arguments == {"page": 8, "per_page": 19}
    assert paging.largest_divisor(133, 33) == 19 and paging.largest_divisor(7, 3) == 1


def test_an_opaque_cursor_cut_inside_a_page_asks_for_a_smaller_page_again(runtime: Runtime) -> None:
    paging = runtime.module("paging")
    binding = _binding(style="cursor", param="cursor", size="limit", next="next")
    page = _page(runtime, {"cursor": "c7", "limit": 50}, list(range(50)), {"next": "c8"})
    again = paging.continuation(binding, page, 20, 20, {"filter": "open", "cursor": "c1"})
    assert again.arguments == {"filter": "open", "cursor": "c7", "limit": 20} and again.exact is False
    whole = paging.continuation(binding, page, 50, 50, {"filter": "open"})
    assert whole.arguments == {"filter": "open", "cursor": "c8", "limit": 50} and whole.exact


def test_a_restated_pagination_matches_its_continuation(runtime: Runtime) -> None:
    paging = runtime.module("paging")
    rule = {"style": "page", "param": "page", "size": "per_page"}
    told = {"page": 1, "per_page": 25, "total": 60, "next_page": 2, "last_page": 3}
    restated = paging.restated(told, {"page": 2, "per_page": 12}, rule)
    assert restated == {"page": 1, "per_page": 12, "total": 60, "next_page": 2, "last_page": 5}

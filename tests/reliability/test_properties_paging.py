"""Property-based tests of the paging iterators (``api/paging.py``).

Two properties, over servers of every size and every behaviour hypothesis can draw:

* a well-behaved server of any size (exact multiples of the page size included) yields every row exactly
  once, in order, with exactly the requests the stop rule needs;
* whatever a fetcher answers (repeated pages, full pages for ever, cursors going in circles, lying totals),
  the iteration ends - normally or with ``SnovioResponseError`` - after at most ``max_pages`` fetches.

Settings are derandomized (same examples on every run) with a modest number of examples, so CI time stays
bounded and a failure replays.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_snovio.api.errors import SnovioResponseError
from airflow_provider_snovio.api.paging import Page, iter_cursor, iter_offset, iter_pages
from tests.reliability.support import PROPERTY

MAX_PAGES = 12


def rows_of(n: int, prefix: str = "r") -> list[dict[str, Any]]:
    return [{"id": f"{prefix}{i}", "n": i} for i in range(n)]


# -- well-behaved servers: nothing lost, nothing repeated ------------------------------------------------

sizes = st.integers(min_value=1, max_value=9).flatmap(
    lambda page: st.tuples(
        st.just(page),
        st.one_of(
            st.integers(min_value=0, max_value=6 * page),
            st.integers(min_value=0, max_value=5).map(lambda k: k * page),  # exact multiples of the page size
        ),
    )
)


@PROPERTY
@given(sizes)
def test_offset_paging_yields_every_row_once(size: tuple[int, int]) -> None:
    page_size, n = size
    rows = rows_of(n)
    offsets: list[int] = []

    def fetch(offset: int) -> list[dict[str, Any]]:
        offsets.append(offset)
        return rows[offset : offset + page_size]

    assert list(iter_offset(fetch, page_size, "replies")) == rows
    assert offsets == [k * page_size for k in range(n // page_size + 1)]  # always sent, from 0, then advanced


@PROPERTY
@given(sizes, st.integers(min_value=0, max_value=3))
def test_page_paging_yields_every_row_once_even_when_per_page_is_clamped(size: tuple[int, int], extra: int) -> None:
    cap, n = size
    rows = rows_of(n)
    asked = cap + extra  # a per_page above the documented cap: the server clamps it to the cap
    pages: list[int] = []

    def fetch(page: int) -> dict[str, Any]:
        pages.append(page)
        served = min(asked, cap)
        return {"prospects": rows[(page - 1) * served : page * served]}

    assert list(iter_pages(fetch, asked, "list prospects", key="prospects", cap=cap)) == rows
    assert pages == list(range(1, n // cap + 2))


@PROPERTY
@given(sizes, st.booleans(), st.booleans())
def test_cursor_paging_yields_every_row_once(size: tuple[int, int], with_total: bool, pair: bool) -> None:
    page_size, n = size
    rows = rows_of(n)
    calls: list[str | None] = []

    def fetch(cursor: str | None) -> Page | tuple[list[Any], Any]:
        calls.append(cursor)
        start = int(cursor) if cursor else 0
        chunk = rows[start : start + page_size]
        following = str(start + page_size) if start + page_size < n else ""
        if pair:
            return chunk, following
        return Page(chunk, following, n if with_total else None)

    assert list(iter_cursor(fetch, "domain emails", page_size=page_size)) == rows
    assert len(calls) == max(1, math.ceil(n / page_size))


# -- any fetcher behaviour: always finite ----------------------------------------------------------------

row = st.builds(lambda i: {"id": f"x{i}"}, st.integers(min_value=0, max_value=4))
page_rows = st.lists(row, max_size=4)


@PROPERTY
@given(st.data(), st.integers(min_value=1, max_value=4))
def test_offset_paging_is_finite_whatever_the_server_answers(data: st.DataObject, page_size: int) -> None:
    fetched = 0

    def fetch(offset: int) -> list[dict[str, Any]]:
        nonlocal fetched
        fetched += 1
        assert fetched <= MAX_PAGES, "fetched past max_pages"
        return data.draw(page_rows, label=f"page at offset {offset}")

    count = _drain(iter_offset(fetch, page_size, "replies", max_pages=MAX_PAGES))
    assert fetched <= MAX_PAGES and count <= fetched * 4


@PROPERTY
@given(st.data(), st.integers(min_value=1, max_value=4))
def test_page_paging_is_finite_whatever_the_server_answers(data: st.DataObject, per_page: int) -> None:
    fetched = 0

    def fetch(page: int) -> Any:
        nonlocal fetched
        fetched += 1
        assert fetched <= MAX_PAGES, "fetched past max_pages"
        return data.draw(
            st.one_of(page_rows, page_rows.map(lambda rows: {"prospects": rows}), st.just({"prospects": None})),
            label=f"page {page}",
        )

    _drain(iter_pages(fetch, per_page, "list prospects", key="prospects", max_pages=MAX_PAGES))
    assert fetched <= MAX_PAGES


@PROPERTY
@given(st.data(), st.one_of(st.none(), st.integers(min_value=1, max_value=4)))
def test_cursor_paging_is_finite_and_respects_the_first_total(data: st.DataObject, page_size: int | None) -> None:
    fetched = 0
    first_total: list[int] = []

    def fetch(cursor: str | None) -> Page:
        nonlocal fetched
        fetched += 1
        assert fetched <= MAX_PAGES, "fetched past max_pages"
        total = data.draw(st.one_of(st.none(), st.integers(min_value=0, max_value=20)), label="total")
        if fetched == 1 and total is not None:
            first_total.append(total)
        following = data.draw(st.one_of(st.none(), st.just(""), st.sampled_from("abcd")), label="next")
        return Page(data.draw(page_rows, label="rows"), following, total)

    _drain(iter_cursor(fetch, "domain emails", page_size=page_size, max_pages=MAX_PAGES))
    assert fetched <= MAX_PAGES
    if page_size and first_total:  # a total on the first page caps the (possibly paid) pages started
        assert fetched <= math.ceil(first_total[0] / page_size) + 1


def _drain(iterator: Any) -> int:
    """Rows yielded before the iteration ended; a SnovioResponseError is a legitimate end."""
    count = 0
    try:
        for _ in iterator:
            count += 1
    except SnovioResponseError:
        pass
    return count

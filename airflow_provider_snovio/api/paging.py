"""The four paging styles of Snov.io as generators that hold one page in memory at a time.

Each loop has a stop rule that cannot spin forever: a short page ends offset and page paging, an
empty or repeated cursor ends cursor paging, and a page identical to the previous one is an error
rather than an endless loop (Snov.io's own n8n node never advanced ``offset`` and looped forever on
any campaign with 10,000 replies).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from airflow_provider_snovio.api.errors import SnovioResponseError


def _rows(body: Any, key: str | None, what: str) -> list[Any]:
    rows = body.get(key) if key is not None and isinstance(body, dict) else body
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise SnovioResponseError(f"{what}: expected a list of rows, got {type(rows).__name__}")
    return rows


def iter_offset(fetch: Callable[[int], Any], page_size: int, what: str) -> Iterator[Any]:
    """Offset paging (#23-#26): ``offset`` always sent, from 0, advanced by the rows received.

    Without ``offset`` Snov.io returns the LAST 10,000 rows, so the first call sends ``offset=0``.
    A page shorter than ``page_size`` is the last; a campaign with exactly ``page_size`` rows ends
    after one more, empty, page.
    """
    offset = 0
    while True:
        rows = _rows(fetch(offset), None, what)
        yield from rows
        if len(rows) < page_size:
            return
        offset += len(rows)


def iter_pages(fetch: Callable[[int], Any], per_page: int, what: str, key: str | None = None) -> Iterator[Any]:
    """Page paging (#34): pages from 1 until one returns fewer than ``per_page`` rows."""
    page, previous = 1, None
    while True:
        rows = _rows(fetch(page), key, what)
        if rows and rows == previous:
            raise SnovioResponseError(f"{what}: page {page} repeats page {page - 1}; stopping")
        yield from rows
        if len(rows) < per_page:
            return
        page, previous = page + 1, rows


def iter_cursor(fetch: Callable[[str | None], tuple[list[Any], str | None]], what: str) -> Iterator[Any]:
    """Cursor paging (#7/#9 ``next``, legacy #41 ``lastId``): until the cursor is empty or repeats."""
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        rows, following = fetch(cursor)
        yield from rows
        if not rows or following in (None, "", 0, "0"):
            return
        following = str(following)
        if following in seen:
            raise SnovioResponseError(f"{what}: cursor {following!r} came back twice; stopping")
        seen.add(following)
        cursor = following

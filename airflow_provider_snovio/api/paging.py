"""The four paging styles of Snov.io as generators that hold one page in memory at a time.

Every loop is provably finite, whatever the server answers:

- its own stop rule: a page shorter than the documented page size ends offset and page paging, an
  empty or missing cursor ends cursor paging;
- a repeated page is an error, not another lap: when a page's first and last row keys (:func:`row_key`)
  equal the previous page's, the server ignored ``offset``/``page``/the cursor (or a caching proxy
  answered), and reading on would only yield the same rows for ever. Snov.io's own n8n node never
  advanced ``offset`` and looped forever on any campaign with 10,000 replies;
- a cursor that comes back twice is an error;
- where an answer carries a total (``meta.total_count``), no more than ``ceil(total / page_size) + 1``
  pages are fetched (the ``+ 1`` is the empty page that ends a total which is a multiple of the page size);
- and in all cases at most :data:`MAX_PAGES` pages per iteration.

The check runs before a page's rows are yielded and before the next page is fetched, so a repeated
page is never delivered twice and a lying total never costs another (possibly paid) request.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from airflow_provider_snovio.api.errors import SnovioResponseError

#: Absolute cap on the pages one iteration may fetch. Generous on purpose: 100,000 pages are a billion
#: campaign events at 10,000 a page and over 27 hours of calls at 60 requests/minute, far beyond any
#: real account; reaching it means the server never signals the end, and stopping with an error beats
#: spinning for ever.
MAX_PAGES = 100_000


@dataclass(frozen=True)
class Page:
    """One page of a cursor-paged answer: its rows, the cursor to the next page, the total if known."""

    rows: list[Any]
    next: str | None = None
    #: ``meta.total_count`` when the answer carries it; caps the number of pages.
    total: int | None = None


def row_key(row: Any) -> Any:
    """Identity of a row for repeated-page detection: its ``id``, else a stable hash of the whole record."""
    if isinstance(row, dict) and row.get("id") not in (None, ""):
        return ("id", str(row["id"]))
    encoded = json.dumps(row, sort_keys=True, default=str, separators=(",", ":"))
    return ("sha256", hashlib.sha256(encoded.encode()).hexdigest())


class _Guard:
    """Counts pages and refuses a repeated page, a page beyond the total and a page beyond the cap."""

    def __init__(self, what: str, page_size: int | None, max_pages: int) -> None:
        if max_pages < 1:
            raise ValueError("max_pages must be at least 1")
        self.what = what
        self.page_size = page_size
        self.allowed = max_pages
        self.reason = f"the cap of {max_pages:,} pages (paging.MAX_PAGES)"
        self.fetched = 0
        self.total_seen = False
        self.previous: tuple[Any, Any] | None = None

    def before_fetch(self) -> None:
        """Call before fetching a page: past the allowed number of pages, raise instead."""
        if self.fetched >= self.allowed:
            raise SnovioResponseError(
                f"{self.what}: the server still signals more rows after {self.fetched:,} pages, "
                f"more than {self.reason} allows; stopping"
            )
        self.fetched += 1

    def admit(self, rows: list[Any], total: Any = None) -> None:
        """Call with a fetched page before yielding it: refuses a page that repeats the previous one."""
        if total is not None and not self.total_seen and self.page_size:
            self.total_seen = True  # the first total counts: a liar cannot raise the cap page by page
            try:
                count = max(0, int(total))
            except (TypeError, ValueError):
                count = None
            if count is not None:
                limit = math.ceil(count / self.page_size) + 1
                if limit < self.allowed:
                    self.allowed, self.reason = limit, f"meta.total_count={count:,} at {self.page_size} a page"
        if not rows:
            return
        keys = (row_key(rows[0]), row_key(rows[-1]))
        if keys == self.previous:
            raise SnovioResponseError(
                f"{self.what}: page {self.fetched} repeats page {self.fetched - 1} (same first and last row); "
                "the server ignored the paging parameter, or a proxy cached the answer; stopping"
            )
        self.previous = keys


def _rows(body: Any, key: str | None, what: str) -> list[Any]:
    rows = body.get(key) if key is not None and isinstance(body, dict) else body
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise SnovioResponseError(f"{what}: expected a list of rows, got {type(rows).__name__}")
    return rows


def iter_offset(fetch: Callable[[int], Any], page_size: int, what: str, *, max_pages: int = MAX_PAGES) -> Iterator[Any]:
    """Offset paging (#23-#26): ``offset`` always sent, from 0, advanced by the rows received.

    Without ``offset`` Snov.io returns the LAST 10,000 rows, so the first call sends ``offset=0``.
    A page shorter than ``page_size`` (the documented 10,000) is the last; a campaign with exactly
    ``page_size`` rows ends after one more, empty, page. A server that ignores ``offset`` answers the
    same full page again: that is an error, not an endless loop.
    """
    guard = _Guard(what, page_size, max_pages)
    offset = 0
    while True:
        guard.before_fetch()
        rows = _rows(fetch(offset), None, what)
        guard.admit(rows)
        yield from rows
        if len(rows) < page_size:
            return
        offset += len(rows)


def iter_pages(
    fetch: Callable[[int], Any],
    per_page: int,
    what: str,
    key: str | None = None,
    *,
    cap: int | None = None,
    max_pages: int = MAX_PAGES,
) -> Iterator[Any]:
    """Page paging (#34): pages from 1 until one returns fewer rows than a full page.

    A full page is ``per_page`` rows, or the documented ``cap`` if ``per_page`` asks for more: a server
    that clamps a too-large ``perPage`` answers ``cap`` rows on every page but the last, and comparing
    with ``per_page`` would stop after the first page, silently dropping the rest.
    """
    full = min(per_page, cap) if cap else per_page
    guard = _Guard(what, full, max_pages)
    page = 1
    while True:
        guard.before_fetch()
        rows = _rows(fetch(page), key, what)
        guard.admit(rows)
        yield from rows
        if len(rows) < full:
            return
        page += 1


def iter_cursor(
    fetch: Callable[[str | None], Page | tuple[list[Any], Any]],
    what: str,
    *,
    page_size: int | None = None,
    max_pages: int = MAX_PAGES,
) -> Iterator[Any]:
    """Cursor paging (#7/#9 ``next``, #3 page links, legacy #41 ``lastId``): until the cursor is empty.

    ``fetch(cursor)`` answers a :class:`Page` (or a ``(rows, next_cursor)`` pair); the first call gets
    ``None``. An empty page ends the iteration whatever its cursor says; a cursor seen before, a page
    repeating the previous one, or more pages than the total allows (``page_size`` given) raise.
    """
    guard = _Guard(what, page_size, max_pages)
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        guard.before_fetch()
        answer = fetch(cursor)
        page = answer if isinstance(answer, Page) else Page(list(answer[0]), answer[1])
        guard.admit(page.rows, page.total)
        yield from page.rows
        if not page.rows or page.next in (None, "", 0, "0"):
            return
        following = str(page.next)
        if following in seen:
            raise SnovioResponseError(f"{what}: cursor {following!r} came back twice; stopping")
        seen.add(following)
        cursor = following


def iter_has_more(
    fetch: Callable[[int], Any], page_size: int, what: str, *, key: str = "data", max_pages: int = MAX_PAGES
) -> Iterator[Any]:
    """Offset/limit paging with an end marker (2026 recipients activity, #72): until ``has_more`` is false.

    ``fetch(offset)`` answers ``{key: [...], "pagination": {total, offset, limit, has_more}}``; ``offset``
    starts at 0 and advances by the rows received (never by the ``limit`` asked, which a server may clamp).
    ``pagination.total`` caps the pages; ``has_more`` on an empty page is an error, not an endless loop.
    """
    guard = _Guard(what, page_size, max_pages)
    offset = 0
    while True:
        guard.before_fetch()
        body = fetch(offset)
        rows = _rows(body, key, what)
        pagination = (body.get("pagination") if isinstance(body, dict) else None) or {}
        guard.admit(rows, pagination.get("total"))
        yield from rows
        if not pagination.get("has_more"):
            return
        if not rows:
            raise SnovioResponseError(f"{what}: pagination.has_more is true on an empty page; stopping")
        offset += len(rows)


def iter_offset_to_empty(
    fetch: Callable[[int], Any], what: str, *, key: str = "data", max_pages: int = MAX_PAGES
) -> Iterator[Any]:
    """Offset paging without a page size or end marker (2026 all replies, #73): until an empty page.

    Snov.io documents neither the page size nor the end (**inferred**): ``offset`` starts at 0 and advances by
    the rows received, whatever their number; the first empty page ends. A server that ignores ``offset``
    repeats its page, which the guard refuses.
    """
    guard = _Guard(what, None, max_pages)
    offset = 0
    while True:
        guard.before_fetch()
        rows = _rows(fetch(offset), key, what)
        if not rows:
            return
        guard.admit(rows)
        yield from rows
        offset += len(rows)

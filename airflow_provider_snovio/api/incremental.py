"""Resumable reading of Snov.io's offset-paged engagement endpoints (#23-#26).

Why resumable: a nightly sync must not re-read 25,000 replies to find the 7 new ones. Snov.io serves
replies, opens, clicks and sent emails oldest first, 10,000 per call, from ``offset`` (without
``offset`` it answers the LAST 10,000, so an offset is always sent). A sync therefore stores, per
campaign, a :class:`Position`: how many upstream rows it has stored (``offset``) and the keys of the last
few of them (``tail``). The next run asks for ``offset - len(tail)``: the first rows of the answer must be
exactly the stored tail. If they are, everything after them is new (one request when nothing is). If
they are not - rows were deleted or reordered upstream, so every stored offset is meaningless - the
campaign is re-read from offset 0 and the caller is told (``Page.restarted``) to drop the campaign's
stored rows in the same transaction as that first page.

Memory: one page (<= 10,000 records) at a time. Pure functions, no I/O of their own: ``fetch(offset)``
does the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from airflow_provider_snovio.api.catalogue import OFFSET_PAGE_SIZE
from airflow_provider_snovio.api.errors import SnovioResponseError, SnovioValidationError

#: Rows re-read before the stored position to prove nothing upstream moved. Small: it is what an
#: incremental run with nothing new reads per campaign.
DEFAULT_OVERLAP = 20


@dataclass(frozen=True)
class Position:
    """Where a scope's stored copy ends: ``offset`` upstream rows stored, ``tail`` = keys of the last of them."""

    offset: int = 0
    tail: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.offset < 0 or len(self.tail) > self.offset:
            raise ValueError(f"inconsistent position: offset {self.offset}, {len(self.tail)} tail keys")


@dataclass(frozen=True)
class Page:
    """One upstream answer, ready to be stored in one transaction.

    ``records`` are the records to write (the verified overlap is left out); ``read`` counts every record
    received; ``position`` is where the stored copy ends once ``records`` are written (None for resources
    that are not resumable); ``restarted`` marks the first page of a re-read from scratch: rows of this
    scope stored earlier may no longer exist upstream and are to be replaced.
    """

    records: list[dict[str, Any]]
    read: int
    position: Position | None = None
    restarted: bool = False


def check_rows(body: Any, what: str) -> list[dict[str, Any]]:
    """An offset page must be a JSON array (``null`` = none)."""
    if body is None:
        return []
    if not isinstance(body, list):
        raise SnovioResponseError(f"{what}: expected a list of rows, got {type(body).__name__}")
    return body


def resume_offset(
    fetch: Callable[[int], Any],
    key_of: Callable[[dict[str, Any]], str],
    position: Position | None = None,
    *,
    overlap: int = DEFAULT_OVERLAP,
    page_size: int = OFFSET_PAGE_SIZE,
    what: str = "offset paging",
) -> Iterator[Page]:
    """Pages from ``position`` on (from offset 0 when None or empty); see the module docstring."""
    if overlap < 1:
        raise SnovioValidationError("overlap", "must be at least 1 (the overlap proves the stored position)")
    position = position or Position()
    if position.offset == 0:
        yield from _read_from(fetch, key_of, Position(), (), overlap, page_size, what, restarted=False)
        return
    if not position.tail:
        yield from _read_from(fetch, key_of, Position(), (), overlap, page_size, what, restarted=True)
        return
    start = position.offset - len(position.tail)
    rows = check_rows(fetch(start), what)
    seen = tuple(key_of(row) for row in rows[: len(position.tail)])
    if seen != position.tail:
        yield from _read_from(fetch, key_of, Position(), (), overlap, page_size, what, restarted=True)
        return
    yield from _continue(fetch, key_of, start, rows, len(position.tail), (), overlap, page_size, what, False)


def _read_from(fetch: Callable[[int], Any], key_of: Callable[[dict[str, Any]], str], position: Position,
               carry: Sequence[str], overlap: int, page_size: int, what: str, *,
               restarted: bool) -> Iterator[Page]:
    rows = check_rows(fetch(position.offset), what)
    yield from _continue(fetch, key_of, position.offset, rows, 0, carry, overlap, page_size, what, restarted)


def _continue(fetch: Callable[[int], Any], key_of: Callable[[dict[str, Any]], str], start: int,
              rows: list[dict[str, Any]], skip: int, carry: Sequence[str], overlap: int, page_size: int,
              what: str, restarted: bool) -> Iterator[Page]:
    """Yield ``rows`` (received from ``start``; the first ``skip`` are the verified overlap), then follow on.

    ``carry`` holds the keys just before ``start`` so the stored tail is right even after a short page.
    """
    previous_first: str | None = None
    while True:
        keys = [key_of(row) for row in rows]
        if len(rows) >= page_size and keys and keys[0] == previous_first:
            raise SnovioResponseError(f"{what}: offset {start} answered the previous page again; stopping")
        end = start + len(rows)
        tail = tuple([*carry, *keys][-overlap:]) if end else ()
        yield Page(records=rows[skip:], read=len(rows), position=Position(end, tail), restarted=restarted)
        if len(rows) < page_size:
            return
        previous_first = keys[0] if keys else None
        start, carry, skip, restarted = end, tail, 0, False
        rows = check_rows(fetch(start), what)

"""Resumable reading of Snov.io's offset-paged engagement endpoints (#23-#26).

Why resumable: a nightly sync must not re-read 25,000 replies to find the 7 new ones. Snov.io serves
replies, opens, clicks and sent emails 10,000 per call from ``offset`` (without ``offset`` it answers the
LAST 10,000, so an offset is always sent). It documents no order: the sandbox's default is oldest first,
the docs' only multi-row example (emails sent) is newest first. So the order is *detected* from the event
times of the rows read (more rows newer than their predecessor: oldest first; more older: newest first;
otherwise unknown) and stored per scope in the :class:`Position`, with how many upstream rows are stored
(``offset``), the keys of the first (``head``) and last (``tail``) ``overlap`` of them.

Resuming, by the stored order:

- oldest first (or unknown): the tail check. Ask for ``offset - len(tail)``; the answer must open with
  exactly the stored tail. Everything after it is new (one request when nothing is).
- newest first: the head-anchored resume. Read from offset 0 until the stored head keys reappear (at
  ``p``): the ``p`` rows before them are new. Then the tail must sit exactly at ``offset + p`` with nothing
  after it: checked inside the first page when the scope fits in it (one request), else by one request at
  ``offset + p - len(tail)``.

Every page after the first of one read is asked for ``overlap`` rows early and must open with the last
``overlap`` keys of the previous page, so rows deleted or inserted upstream *during* a multi-page read are
noticed. Newest first, rows inserted above the read position (new events arriving at the head) only push
the verified keys down: they are skipped over and picked up by the next run's head search; anything else
is a mismatch.

A mismatch anywhere - rows deleted or inserted before the stored position, so every stored offset is
meaningless - re-reads the scope from offset 0, and the caller is told (``Page.restarted``) to replace the
scope's stored rows in the same transaction as that first page (at most :data:`MAX_RESTARTS` times per
read; then :class:`SnovioResponseError`). The order decides only the cost, never the result: a scope read
in the wrong order fails its checks and is re-read. What count-based checks cannot see: as many rows
inserted as deleted, all older than the last ``overlap`` rows, between two runs; ``full_refresh`` finds it.

Key collisions (one key twice in one read: Snov.io never says what an event's id identifies) are counted
in ``Page.collisions``; the last record of a key wins.

Memory: one page (<= 10,000 records) at a time, plus the keys of one read (for the collision count).
Pure functions, no I/O of their own: ``fetch(offset)`` does the request.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from airflow_provider_snovio.api.catalogue import OFFSET_PAGE_SIZE
from airflow_provider_snovio.api.errors import SnovioResponseError, SnovioValidationError

#: Rows re-read before the stored position to prove nothing upstream moved. Small: it is what an
#: incremental run with nothing new reads per campaign.
DEFAULT_OVERLAP = 20
#: Re-reads of one scope within one read before giving up (rows keep moving upstream).
MAX_RESTARTS = 3

OLDEST_FIRST = "oldest_first"
NEWEST_FIRST = "newest_first"
UNKNOWN_ORDER = "unknown"
ORDERS = (OLDEST_FIRST, NEWEST_FIRST, UNKNOWN_ORDER)


@dataclass(frozen=True)
class Position:
    """Where a scope's stored copy ends: ``offset`` upstream rows stored; ``tail``/``head`` = keys of the last/
    first of them (in the order served); ``order`` as detected; ``partial``: a newest-first read from offset 0
    stopped after ``offset`` rows (the next run continues it).

    ``high_water`` (ISO 8601 UTC text) is the position of a time-windowed resource (``Reading.WINDOW``, see
    :mod:`.windows`): every event before it has been read; offset-paged resources leave it None."""

    offset: int = 0
    tail: tuple[str, ...] = ()
    order: str = UNKNOWN_ORDER
    head: tuple[str, ...] = ()
    partial: bool = False
    high_water: str | None = None

    def __post_init__(self) -> None:
        if self.offset < 0 or len(self.tail) > self.offset or len(self.head) > self.offset:
            raise ValueError(
                f"inconsistent position: offset {self.offset}, {len(self.tail)} tail keys, {len(self.head)} head keys"
            )
        if self.order not in ORDERS:
            raise ValueError(f"unknown order {self.order!r}")

    def to_json(self) -> dict[str, Any]:
        """What a store keeps beside ``offset`` (one JSON value)."""
        value: dict[str, Any] = {
            "tail": list(self.tail),
            "head": list(self.head),
            "order": self.order,
            "partial": self.partial,
        }
        if self.high_water is not None:
            value["high_water"] = self.high_water
        return value

    @classmethod
    def from_json(cls, offset: int, value: Any) -> Position:
        """The inverse of :meth:`to_json`; a bare list is the older shape (the tail alone, order unknown).
        Raises ValueError on anything unreadable."""
        if isinstance(value, str | bytes):
            value = json.loads(value)
        if value is None:
            value = []
        if isinstance(value, list):
            return cls(int(offset), tuple(str(key) for key in value))
        if not isinstance(value, dict):
            raise ValueError(f"unreadable position {type(value).__name__}")
        return cls(
            int(offset),
            tuple(str(key) for key in value.get("tail") or ()),
            str(value.get("order") or UNKNOWN_ORDER),
            tuple(str(key) for key in value.get("head") or ()),
            bool(value.get("partial", False)),
            str(value["high_water"]) if value.get("high_water") is not None else None,
        )


@dataclass(frozen=True)
class Page:
    """One upstream answer, ready to be stored in one transaction.

    ``records`` are the records to write (verified overlaps are left out); ``read`` counts every record
    received; ``position`` is where the stored copy ends once ``records`` are written (None: leave the stored
    position as it is - resources that are not resumable, and the new rows of a head search not finished
    yet); ``restarted`` marks the first page of a re-read from scratch: rows of this scope stored earlier may
    no longer exist upstream and are to be replaced; ``collisions`` counts records of this page whose key an
    earlier record of the same read already had.

    Time-windowed resources (``Reading.WINDOW``) also say which stored rows a page's window stands for, as
    ``[from, to)`` UTC instants of the resource's time column: ``replaces`` (first page of a window read
    again because upstream moved under the read: the window's stored rows are marked deleted before the
    page is written, like ``restarted`` for a whole scope) and ``sweeps`` (last page of a window: the
    window's stored rows this sync has not written are gone upstream and are marked deleted).
    """

    records: list[dict[str, Any]]
    read: int
    position: Position | None = None
    restarted: bool = False
    collisions: int = 0
    replaces: tuple[datetime, datetime] | None = None
    sweeps: tuple[datetime, datetime] | None = None


def check_rows(body: Any, what: str) -> list[dict[str, Any]]:
    """An offset page must be a JSON array (``null`` = none)."""
    if body is None:
        return []
    if not isinstance(body, list):
        raise SnovioResponseError(f"{what}: expected a list of rows, got {type(body).__name__}")
    return body


def detect_order(times: Sequence[Any]) -> str:
    """The order of consecutive event times (None ignored): more increases than decreases -> oldest first,
    more decreases -> newest first, else unknown."""
    up, down = _steps(times)
    return OLDEST_FIRST if up > down else NEWEST_FIRST if down > up else UNKNOWN_ORDER


def _steps(times: Sequence[Any]) -> tuple[int, int]:
    up = down = 0
    previous = None
    for moment in times:
        if moment is None:
            continue
        if previous is not None:
            if moment > previous:
                up += 1
            elif moment < previous:
                down += 1
        previous = moment
    return up, down


class _Moved(Exception):
    """Rows moved upstream under the read: an overlap did not match. The scope is re-read from offset 0."""


def resume_offset(
    fetch: Callable[[int], Any],
    key_of: Callable[[dict[str, Any]], str],
    position: Position | None = None,
    *,
    overlap: int = DEFAULT_OVERLAP,
    page_size: int = OFFSET_PAGE_SIZE,
    what: str = "offset paging",
    time_of: Callable[[dict[str, Any]], Any] | None = None,
) -> Iterator[Page]:
    """Pages from ``position`` on (from offset 0 when None or empty); see the module docstring.

    ``time_of(record)`` gives a record's event time (comparable, or None); without it the order stays unknown
    and every resume is a tail check."""
    if overlap < 1:
        raise SnovioValidationError("overlap", "must be at least 1 (the overlap proves the stored position)")
    if overlap >= page_size:
        raise SnovioValidationError("overlap", f"must be smaller than a page ({page_size} rows)")
    yield from _Reader(fetch, key_of, time_of, overlap, page_size, what).run(position or Position())


class _Reader:
    """One read of one scope (see the module docstring)."""

    def __init__(
        self,
        fetch: Callable[[int], Any],
        key_of: Callable[[dict[str, Any]], str],
        time_of: Callable[[dict[str, Any]], Any] | None,
        overlap: int,
        page_size: int,
        what: str,
    ) -> None:
        self.fetch, self.key_of, self.time_of = fetch, key_of, time_of
        self.overlap, self.page_size, self.what = overlap, page_size, what
        self.seen: set[str] = set()  # keys of this read (collision count)
        self.up = self.down = 0  # time steps seen by this read

    # --- entry ---

    def run(self, position: Position) -> Iterator[Page]:
        try:
            if position.offset == 0:
                yield from self._full(restarted=False)
            elif not position.tail:
                yield from self._full(restarted=True)
            elif position.order == NEWEST_FIRST and position.partial:
                yield from self._continue(position)
            elif position.order == NEWEST_FIRST:
                yield from self._resume_head(position)
            else:
                yield from self._continue(position)
            return
        except _Moved:
            pass
        for _ in range(MAX_RESTARTS):
            self.seen.clear()
            self.up = self.down = 0
            try:
                yield from self._full(restarted=True)
                return
            except _Moved:
                continue
        raise SnovioResponseError(
            f"{self.what}: rows kept moving upstream during {MAX_RESTARTS} re-reads from offset 0; stopping "
            "(what was stored is kept; the next run checks it again)"
        )

    # --- helpers ---

    def _get(self, offset: int) -> tuple[list[dict[str, Any]], list[str]]:
        rows = check_rows(self.fetch(offset), self.what)
        keys = [self.key_of(row) for row in rows]
        if self.time_of is not None:
            up, down = _steps([self.time_of(row) for row in rows])
            self.up += up
            self.down += down
        return rows, keys

    def _order(self, stored: str = UNKNOWN_ORDER) -> str:
        found = OLDEST_FIRST if self.up > self.down else NEWEST_FIRST if self.down > self.up else UNKNOWN_ORDER
        return found if found != UNKNOWN_ORDER else stored

    def _collisions(self, keys: Sequence[str]) -> int:
        count = 0
        seen = self.seen
        for key in keys:
            if key in seen:
                count += 1
            else:
                seen.add(key)
        return count

    @staticmethod
    def _verify(keys: list[str], expect: Sequence[str], shift: bool) -> int:
        """Where the fresh rows of a page begin: after ``expect``, which must open it (or, with ``shift``,
        follow rows pushed down from above). Raises :class:`_Moved`."""
        n = len(expect)
        if not n:
            return 0
        wanted = list(expect)
        if keys[:n] == wanted:
            return n
        if shift:
            first = wanted[0]
            for index in range(1, len(keys) - n + 1):
                if keys[index] == first and keys[index : index + n] == wanted:
                    return index + n
        raise _Moved

    def _walk(
        self, start: int, expect: Sequence[str], shift: Callable[[], bool]
    ) -> Iterator[tuple[list[dict[str, Any]], list[str], int, bool]]:
        """Pages from ``start``: (rows, keys, where the fresh rows begin, whether more pages follow). Each
        following page is asked ``overlap`` rows early and must open with the previous page's last keys."""
        previous: tuple[str, str] | None = None
        while True:
            rows, keys = self._get(start)
            full = len(rows) >= self.page_size
            if full and previous == (keys[0], keys[-1]):
                raise SnovioResponseError(f"{self.what}: offset {start} answered the previous page again; stopping")
            skip = self._verify(keys, expect, shift())
            if full and skip >= len(rows):
                raise SnovioResponseError(f"{self.what}: offset {start} answered no new row in a full page; stopping")
            yield rows, keys, skip, full
            if not full:
                return
            previous = (keys[0], keys[-1])
            expect = keys[-self.overlap :]
            start += len(rows) - len(expect)

    # --- the reads ---

    def _full(self, *, restarted: bool) -> Iterator[Page]:
        """From offset 0; ``restarted``: the first page replaces the scope's stored rows."""
        yield from self._continue(Position(), restarted=restarted)

    def _continue(self, position: Position, *, restarted: bool = False) -> Iterator[Page]:
        """From ``position`` on: a tail check (or the continuation of a partial newest-first read), or a read
        from offset 0 when ``position`` is empty."""
        count, tail, head = position.offset, tuple(position.tail), tuple(position.head)
        # A read from offset 0 detects the order afresh; a resume keeps a known stored order (a few late
        # events appended by arrival must not flip it).
        stored = position.order if count else UNKNOWN_ORDER
        order: Callable[[], str] = self._order if not count or stored == UNKNOWN_ORDER else (lambda: stored)
        for rows, keys, skip, more in self._walk(count - len(tail), tail, lambda: order() == NEWEST_FIRST):
            fresh = keys[skip:]
            if count == 0:
                head = tuple(keys[: self.overlap])
            count += len(fresh)
            tail = tuple([*tail, *fresh][-self.overlap :]) if count else ()
            yield Page(
                rows[skip:],
                len(rows),
                Position(count, tail, order(), head, partial=more),
                restarted,
                self._collisions(fresh),
            )
            restarted = False

    def _resume_head(self, position: Position) -> Iterator[Page]:
        """Newest first: new rows until the stored head reappears, then the tail check (module docstring)."""
        head, tail, stored = list(position.head), tuple(position.tail), position.offset
        if not head:
            raise _Moved
        taken = 0  # upstream rows [0, taken) already handed out as new
        new_head: list[str] = []
        new_tail: list[str] = []
        start = 0
        for rows, keys, _, more in self._walk(0, (), lambda: False):
            found = self._find(keys, head)
            cut = found if found is not None else (len(rows) - self.overlap if more else None)
            if cut is None:  # the last page, and the head is gone: deleted upstream
                raise _Moved
            fresh = keys[taken - start : cut]
            if len(new_head) < self.overlap:
                new_head.extend(fresh[: self.overlap - len(new_head)])
            new_tail = [*new_tail, *fresh][-self.overlap :]
            if found is None:
                yield Page(rows[taken - start : cut], len(rows), None, False, self._collisions(fresh))
                taken = start + cut
                start += len(rows) - self.overlap
                continue
            total = start + found + stored  # where the stored tail must end upstream
            if more:  # the stored tail must be the last rows upstream: one more request proves it
                if self._get(total - len(tail))[1] != list(tail):
                    raise _Moved
            elif start + len(rows) != total or keys[len(keys) - len(tail) :] != list(tail):
                raise _Moved
            at = Position(
                total,
                tuple([*new_tail, *tail][-self.overlap :]) if stored < self.overlap else tail,
                self._order(NEWEST_FIRST),
                tuple([*new_head, *head][: self.overlap]),
            )
            yield Page(rows[taken - start : found], len(rows), at, False, self._collisions(fresh))
            return

    @staticmethod
    def _find(keys: list[str], wanted: list[str]) -> int | None:
        """Where ``wanted`` first appears whole in ``keys``."""
        n = len(wanted)
        first = wanted[0]
        for index in range(len(keys) - n + 1):
            if keys[index] == first and keys[index : index + n] == wanted:
                return index
        return None

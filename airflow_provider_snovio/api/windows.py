"""Incremental reading of a time-windowed event feed: recipients activity (#72), by event time.

Why a reading of its own: #72 is asked for a range of UTC days (``dateFrom``/``dateTo``, at most 31 days
apart) and paged by offset inside it; it has no stable position of its own. So the position is a
**high-water mark** (``Position.high_water``): every event before it has been read. Each run reads from
``lookback_days`` days before the stored mark to the run's end, so events Snov.io records late (with an
event time before the mark) still arrive; the first run (nothing stored) and a ``full_refresh`` read from
the run's ``first_day`` (see :class:`Span`).

Windows (:func:`plan_windows`): ``dateTo - dateFrom`` is at most :data:`WINDOW_DAYS` (30), accepted whether
the server counts its 31-day limit as the difference or inclusively (sandbox knob
``activity_window_inclusive``). Whether ``dateTo`` itself is included is not documented either, so each
window asks ``dateFrom = a``, ``dateTo = b`` and keeps only the events of days ``[a, b)``; the next window
starts at ``b``. Included or not, the day ``b`` is read by exactly one window: no event lost, none read twice.

Inside a window the pages go by ``offset``/``limit`` until ``pagination.has_more`` is false. If
``pagination.total`` changes between two pages of one window (events arrived or went inside it during the
read, shifting every later offset), the window is read again from offset 0, its stored rows replaced
(``Page.replaces``); at most :data:`MAX_RESTARTS` times. The last page of a window marks the window's
stored rows that this sync did not see as gone (``Page.sweeps``) and carries the new position, so a page,
its sweep and the position are stored in one transaction by the caller: a crash re-reads from the last
stored mark.

Event identity: the caller's ``key_of`` (the natural key, see the resource). Identical events in one
second (same time, type, recipient, subject) are one row; how many records repeated a key of their window
is ``Page.collisions``. Pure: ``fetch(date_from, date_to, offset)`` does the request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

from airflow_provider_snovio.api.errors import SnovioResponseError, SnovioValidationError
from airflow_provider_snovio.api.incremental import Page, Position

#: ``dateTo - dateFrom`` of every request: inside #72's "<= 31 days" however the server counts it.
WINDOW_DAYS = 30
#: Days before the stored high-water mark read again by every run (late events land).
DEFAULT_LOOKBACK_DAYS = 3
#: Upper bound of ``lookback_days`` (a year): a typo such as 3000 is refused rather than read.
MAX_LOOKBACK_DAYS = 366
#: Days read on the first run when neither ``history_start`` nor the campaign's creation day is known.
DEFAULT_HISTORY_DAYS = 365
#: Re-reads of one window within one run before giving up (events keep moving upstream).
MAX_RESTARTS = 3


def check_lookback(value: Any) -> int:
    """``lookback_days``: an integer 0..:data:`MAX_LOOKBACK_DAYS`, refused naming the field."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_LOOKBACK_DAYS:
        raise SnovioValidationError("lookback_days", f"must be an integer from 0 to {MAX_LOOKBACK_DAYS}, got {value!r}")
    return int(value)


def check_history_start(value: Any) -> date | None:
    """``history_start``: None, a date, a datetime or ISO ``YYYY-MM-DD`` text; refused naming the field."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return utc(value).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            pass
    raise SnovioValidationError("history_start", f"expected a date (YYYY-MM-DD), got {value!r}")


def utc(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


def midnight(day: date) -> datetime:
    return datetime.combine(day, time.min, timezone.utc)


@dataclass(frozen=True)
class Span:
    """What one run reads of each scope: up to ``end`` (the run's end, UTC; never after now), from
    ``lookback_days`` before the stored mark, or from ``first_day(scope_values)`` when nothing is stored
    (or on a full refresh)."""

    end: datetime
    lookback_days: int
    first_day: Callable[[Any], date]


def plan_windows(first: date, last: date) -> list[tuple[date, date]]:
    """``[(a, b), ...]``: the windows covering days ``first..last`` (inclusive), each owning days ``[a, b)``
    and asked as ``dateFrom=a, dateTo=b`` (``b - a <= WINDOW_DAYS``)."""
    windows = []
    start = first
    while start <= last:
        stop = min(start + timedelta(days=WINDOW_DAYS), last + timedelta(days=1))
        windows.append((start, stop))
        start = stop
    return windows


def read_windows(
    fetch: Callable[[str, str, int], Any],
    key_of: Callable[[dict[str, Any]], Any],
    time_of: Callable[[dict[str, Any]], datetime | None],
    span: Span,
    first_day: date,
    position: Position | None,
    *,
    full_refresh: bool = False,
    what: str = "window paging",
    now: datetime | None = None,
) -> Iterator[Page]:
    """Pages of one scope from ``position`` (see the module docstring). ``first_day`` is where a read
    without a position starts. The first page of a ``full_refresh`` is ``restarted``."""
    moment = utc(now or datetime.now(timezone.utc))
    stored = _mark(position) if not full_refresh else None
    end = min(max(utc(span.end), stored or utc(span.end)), moment)
    start = (stored - timedelta(days=span.lookback_days)).date() if stored is not None else first_day
    last = (end - timedelta(microseconds=1)).date()
    windows = plan_windows(start, last)
    if not windows:
        yield Page([], 0, restarted=False)
        return
    restarted = full_refresh
    for a, b in windows:
        high = max(min(midnight(b), end), stored) if stored is not None else min(midnight(b), end)
        for page in _window(fetch, key_of, time_of, a, b, Position(high_water=high.isoformat()), what):
            if restarted:
                page = Page(page.records, page.read, page.position, True, page.collisions, page.replaces, page.sweeps)
                restarted = False
            yield page


def _mark(position: Position | None) -> datetime | None:
    if position is None or not position.high_water:
        return None
    try:
        return utc(datetime.fromisoformat(position.high_water))
    except ValueError:
        return None  # unreadable: read as if nothing were stored


def _window(
    fetch: Callable[[str, str, int], Any],
    key_of: Callable[[dict[str, Any]], Any],
    time_of: Callable[[dict[str, Any]], datetime | None],
    a: date,
    b: date,
    position: Position,
    what: str,
) -> Iterator[Page]:
    """One window ``[a, b)``, page by page; re-read from offset 0 when its total moves during the read."""
    bounds = (midnight(a), midnight(b))
    label = f"{what} {a.isoformat()}..{b.isoformat()}"
    replaces = None
    for _ in range(MAX_RESTARTS + 1):
        seen: set[Any] = set()
        offset, total = 0, None
        moved = False
        while True:
            rows, page_total, more = _answer(fetch(a.isoformat(), b.isoformat(), offset), label)
            if total is None:
                total = page_total
            elif page_total != total:
                moved = True
                break
            if more and not rows:
                raise SnovioResponseError(f"{label}: offset {offset} answered no row but has_more; stopping")
            kept = []
            collisions = 0
            for record in rows:
                moment = time_of(record) if isinstance(record, dict) else None
                if moment is not None and not bounds[0] <= moment < bounds[1]:
                    continue  # a day another window owns (dateTo included by the server), or outside the range
                kept.append(record)
                if moment is None:
                    continue  # no key: the writer skips and counts it
                key = key_of(record)
                if key in seen:
                    collisions += 1
                else:
                    seen.add(key)
            yield Page(
                kept,
                len(rows),
                position if not more else None,
                False,
                collisions,
                replaces,
                bounds if not more else None,
            )
            replaces = None
            if not more:
                return
            offset += len(rows)
        if not moved:  # pragma: no cover - the loop above returns or breaks
            return
        replaces = bounds
    raise SnovioResponseError(
        f"{label}: the window's events kept changing during {MAX_RESTARTS} re-reads; stopping "
        "(what was stored is kept; the next run reads it again)"
    )


def _answer(body: Any, label: str) -> tuple[list[Any], int | None, bool]:
    """(rows, pagination.total, has_more) of one #72 answer."""
    if not isinstance(body, dict):
        raise SnovioResponseError(f"{label}: expected an object, got {type(body).__name__}")
    rows = body.get("data")
    if rows is None:
        rows = []
    if not isinstance(rows, list):
        raise SnovioResponseError(f"{label}: expected a list of events, got {type(rows).__name__}")
    pagination = body.get("pagination")
    if not isinstance(pagination, dict):
        return rows, None, False
    total = pagination.get("total")
    return (
        rows,
        int(total) if isinstance(total, int | str) and str(total).isdigit() else None,
        bool(pagination.get("has_more")),
    )

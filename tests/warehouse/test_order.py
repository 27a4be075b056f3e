"""Unit tests of the offset reader under both event orders, rows moving during a read, and key collisions.

``fetch(offset)`` is a slice of an in-memory list whose rows carry an event time ``t``; ``newest_first``
serves the same events reversed. Pages of 5 rows, overlap 2: small enough to see every boundary.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from airflow_provider_snovio.api.errors import SnovioResponseError, SnovioValidationError
from airflow_provider_snovio.api.incremental import (
    NEWEST_FIRST,
    OLDEST_FIRST,
    UNKNOWN_ORDER,
    Position,
    detect_order,
    resume_offset,
)
from airflow_provider_snovio.api.resources import RESOURCES, lookback_intervals

PAGE = 5
OVERLAP = 2


class Events:
    """Events ``{"id", "t"}`` kept oldest first; served in ``order``; ``on_fetch`` may change them mid-read."""

    def __init__(self, n: int, newest_first: bool = False) -> None:
        self.events = [{"id": f"e{i}", "t": 10 * i} for i in range(n)]
        self.newest_first = newest_first
        self.offsets: list[int] = []
        self.on_fetch: Callable[[int], None] | None = None
        self.serial = n

    def served(self) -> list[dict[str, int | str]]:
        return self.events[::-1] if self.newest_first else list(self.events)

    def fetch(self, offset: int) -> list[dict[str, int | str]]:
        self.offsets.append(offset)
        page = self.served()[offset : offset + PAGE]
        if self.on_fetch is not None:
            self.on_fetch(len(self.offsets))
        return page

    def add_new(self, count: int) -> None:
        for _ in range(count):
            self.events.append({"id": f"e{self.serial}", "t": 10 * self.serial})
            self.serial += 1

    def add_late(self, after: int, count: int = 1) -> None:
        for _ in range(count):
            self.events.insert(after + 1, {"id": f"late{self.serial}", "t": self.events[after]["t"]})
            self.serial += 1

    def read(self, position: Position | None) -> tuple[dict[str, dict], Position | None, list]:
        pages = list(
            resume_offset(
                self.fetch,
                lambda row: str(row["id"]),
                position,
                overlap=OVERLAP,
                page_size=PAGE,
                time_of=lambda row: row["t"],
            )
        )
        return pages, next((p.position for p in reversed(pages) if p.position is not None), position)


class Table:
    """What a warehouse does with the pages: restarted pages replace the scope; the last record of a key wins."""

    def __init__(self) -> None:
        self.rows: dict[str, dict] = {}
        self.position: Position | None = None

    def sync(self, upstream: Events) -> list:
        pages, _ = upstream.read(self.position)
        for page in pages:
            if page.restarted:
                self.rows.clear()
            self.rows.update((str(row["id"]), row) for row in page.records)
            if page.position is not None:
                self.position = page.position
        return pages

    def exact(self, upstream: Events) -> bool:
        return set(self.rows) == {str(e["id"]) for e in upstream.events}


@pytest.mark.parametrize("newest_first", [False, True], ids=["oldest_first", "newest_first"])
def test_each_change_between_runs_ends_exact_and_nothing_new_costs_little(newest_first):
    upstream, table = Events(23, newest_first), Table()
    table.sync(upstream)
    assert table.exact(upstream) and table.position.order == (NEWEST_FIRST if newest_first else OLDEST_FIRST)

    upstream.offsets.clear()
    pages = table.sync(upstream)  # nothing new
    assert [r for p in pages for r in p.records] == [] and not any(p.restarted for p in pages)
    assert len(upstream.offsets) == (2 if newest_first else 1)  # newest first, more than a page: head + tail

    upstream.offsets.clear()
    upstream.add_new(2)  # with the 2-row overlap, one page of 5 still holds them
    pages = table.sync(upstream)
    assert sorted(r["id"] for p in pages for r in p.records) == ["e23", "e24"]
    assert table.exact(upstream) and not any(p.restarted for p in pages)
    assert len(upstream.offsets) == (2 if newest_first else 1)

    upstream.add_late(after=4, count=2)  # late events inside the history: re-read, exact
    pages = table.sync(upstream)
    assert any(p.restarted for p in pages) and table.exact(upstream)

    del upstream.events[7:9]  # deletions between runs
    pages = table.sync(upstream)
    assert any(p.restarted for p in pages) and table.exact(upstream)


@pytest.mark.parametrize("newest_first", [False, True], ids=["oldest_first", "newest_first"])
@pytest.mark.parametrize("where", ["early", "late"])
def test_rows_deleted_during_a_multi_page_read_restart_the_scope(newest_first, where):
    upstream, table = Events(23, newest_first), Table()
    served_index = 1 if where == "early" else 2  # a row the first page already covered / not yet

    def delete_after_first_page(fetches: int) -> None:
        if fetches == 1:
            victim = upstream.served()[served_index]
            upstream.events.remove(victim)

    upstream.on_fetch = delete_after_first_page
    pages = table.sync(upstream)
    upstream.on_fetch = None
    assert table.exact(upstream)
    assert any(p.restarted for p in pages)  # the next page's overlap no longer matched


def test_new_events_arriving_at_the_head_during_a_newest_first_read_are_skipped_then_found():
    upstream, table = Events(23, newest_first=True), Table()

    def arrive(fetches: int) -> None:
        if fetches == 2:
            upstream.add_new(2)

    upstream.on_fetch = arrive
    pages = table.sync(upstream)
    upstream.on_fetch = None
    assert not any(p.restarted for p in pages)  # pushed down, not moved: the read went on
    assert {"e23", "e24"} & set(table.rows) == set()
    table.sync(upstream)  # the next run's head search finds them
    assert table.exact(upstream)


def test_a_partial_newest_first_read_is_continued_by_the_next_run():
    upstream, table = Events(23, newest_first=True), Table()
    pages = list(
        resume_offset(
            upstream.fetch,
            lambda row: str(row["id"]),
            None,
            overlap=OVERLAP,
            page_size=PAGE,
            time_of=lambda row: row["t"],
        )
    )
    first_two = pages[:2]  # a crash after two pages
    for page in first_two:
        table.rows.update((str(row["id"]), row) for row in page.records)
    table.position = first_two[-1].position
    assert table.position.partial and table.position.order == NEWEST_FIRST
    stopped = table.position.offset
    upstream.add_new(1)
    upstream.offsets.clear()
    pages = table.sync(upstream)
    assert upstream.offsets[0] == stopped - OVERLAP  # continued where it stopped, not from offset 0
    assert not any(p.restarted for p in pages)
    table.sync(upstream)
    assert table.exact(upstream)


def test_a_wrongly_stored_order_costs_a_reread_never_a_row():
    upstream, table = Events(12), Table()  # oldest first
    table.sync(upstream)
    table.position = Position(table.position.offset, table.position.tail, NEWEST_FIRST, table.position.head)
    upstream.add_new(2)
    pages = table.sync(upstream)
    assert any(p.restarted for p in pages) and table.exact(upstream)
    assert table.position.order == OLDEST_FIRST


def test_rows_that_keep_moving_stop_the_read_with_an_error():
    upstream = Events(23)
    upstream.on_fetch = lambda fetches: upstream.events.pop(0) if fetches % 2 else None
    with pytest.raises(SnovioResponseError, match="kept moving"):
        upstream.read(None)


def test_order_detection_and_overlap_bounds():
    assert detect_order([1, 2, 2, 3]) == OLDEST_FIRST
    assert detect_order([3, None, 2, 2, 1]) == NEWEST_FIRST
    assert detect_order([5, 5, 5]) == detect_order([]) == detect_order([1, 2, 1]) == UNKNOWN_ORDER
    with pytest.raises(SnovioValidationError):
        list(resume_offset(lambda offset: [], str, None, overlap=PAGE, page_size=PAGE))


def test_positions_round_trip_and_read_the_older_shape():
    position = Position(40, ("a", "b"), NEWEST_FIRST, ("y", "z"), partial=True)
    assert Position.from_json(40, position.to_json()) == position
    assert Position.from_json(40, '{"tail": ["a"], "order": "oldest_first"}') == Position(40, ("a",), OLDEST_FIRST)
    assert Position.from_json(3, ["x", "y"]) == Position(3, ("x", "y"))  # stored by an older version
    for bad in ({"order": "sideways"}, 7, {"tail": ["a", "b", "c", "d"]}):
        with pytest.raises((ValueError, TypeError)):
            Position.from_json(3, bad)


def test_collisions_are_counted_and_opens_clicks_are_keyed_by_time():
    rows = [{"id": "same", "t": 1}, {"id": "other", "t": 2}, {"id": "same", "t": 3}]
    pages = list(
        resume_offset(
            lambda offset: rows[offset : offset + PAGE],
            lambda row: str(row["id"]),
            None,
            overlap=OVERLAP,
            page_size=PAGE,
            time_of=lambda row: row["t"],
        )
    )
    assert sum(p.collisions for p in pages) == 1

    opens, replies = RESOURCES["campaign_opens"], RESOURCES["campaign_replies"]
    first = {"id": "x1", "visitedAt": {"date": "2025-09-01 09:00:00.000000", "timezone": "UTC"}}
    again = {"id": "x1", "visitedAt": {"date": "2025-09-02 10:00:00.000000", "timezone": "UTC"}}
    assert opens.key_of(first) != opens.key_of(again) and replies.key_of(first) == replies.key_of(again)
    assert opens.key == ("campaign_id", "id", "visited_at") and "visited_at" in RESOURCES["campaign_clicks"].key


def test_analytics_lookback_intervals_keep_the_grain():
    day = date(2025, 9, 10)
    assert lookback_intervals((day, day), 2) == [(date(2025, 9, 8),) * 2, (date(2025, 9, 9),) * 2, (day, day)]
    assert lookback_intervals((day, day), 0) == [(day, day)]
    two = (date(2025, 9, 10), date(2025, 9, 11))
    assert lookback_intervals(two, 2) == [(date(2025, 9, 8), date(2025, 9, 9)), two]
    week = (date(2025, 9, 8), date(2025, 9, 14))
    assert lookback_intervals(week, 2) == [(date(2025, 9, 1), date(2025, 9, 7)), week]
    with pytest.raises(SnovioValidationError):
        lookback_intervals((day, day), -1)
    scopes = RESOURCES["campaign_analytics"].scopes(None, [7], dates=two, lookback_days=2)
    assert [(s["date_from"], s["date_to"], s["grain_days"]) for s in scopes] == [
        (date(2025, 9, 8), date(2025, 9, 9), 2),
        (*two, 2),
    ]


class DuplicatingClient:
    """A Snov.io stand-in whose reply page holds one id twice, with different event times."""

    def get_user_campaigns(self):  # the sync lists the campaigns to notice deleted ones
        return [{"id": 7, "campaign": "c", "status": "Active"}]

    def get_campaign_replies(self, campaign_id, offset=None):
        def row(event_id, day):
            return {"id": event_id, "visitedAt": {"date": f"2025-09-0{day} 09:00:00.000000", "timezone": "UTC"}}

        return [row("a", 1), row("b", 2), row("a", 3)][offset:]


def test_collisions_reach_the_xcom_and_the_log(tmp_path, caplog):
    from sqlalchemy import create_engine, text

    from airflow_provider_snovio.transfers.warehouse import Warehouse, sync

    engine = create_engine(f"sqlite:///{tmp_path / 'w.db'}")
    with caplog.at_level("WARNING"):
        result = sync(
            DuplicatingClient(), Warehouse(engine), RESOURCES["campaign_replies"], "replies", campaign_ids=[7]
        )
    assert result.key_collisions == 1 and result.as_xcom()["key_collisions"] == 1
    assert "repeat a key" in caplog.text
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT id, visited_at FROM replies ORDER BY id")).all()
    assert [row[0] for row in rows] == ["a", "b"] and str(rows[0][1]).startswith("2025-09-03")  # the last wins
    engine.dispose()


@pytest.mark.parametrize("newest_first", [False, True], ids=["oldest_first", "newest_first"])
def test_a_late_event_inserted_during_a_multi_page_read_is_never_lost(newest_first):
    upstream, table = Events(23, newest_first), Table()

    def insert_inside_what_was_read(fetches: int) -> None:
        if fetches == 1:  # an event whose time puts it among the rows the first page served
            upstream.add_late(after=len(upstream.events) - 3 if newest_first else 1)

    upstream.on_fetch = insert_inside_what_was_read
    pages = table.sync(upstream)
    upstream.on_fetch = None
    if not newest_first:  # oldest first the shift is noticed at once: re-read
        assert any(p.restarted for p in pages) and table.exact(upstream)
    else:  # newest first a push-down is skipped over; the next run's tail check notices the extra row
        table.sync(upstream)
        assert table.exact(upstream)

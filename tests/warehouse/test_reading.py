"""Unit tests of the pure parts: record parsers, the resumable offset reader, analytics intervals.

No HTTP here: ``fetch(offset)`` is a slice of an in-memory list, the same contract as Snov.io's offset
paging (ascending rows, ``page_size`` per call).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from airflow_provider_snovio.api import records as r
from airflow_provider_snovio.api.errors import SnovioResponseError, SnovioValidationError
from airflow_provider_snovio.api.incremental import Position, resume_offset
from airflow_provider_snovio.api.resources import RESOURCES, analytics_dates, data_interval, numeric_ids, resource

UTC = timezone.utc


# --- record parsers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            {"date": "2020-07-14 13:10:46.000000", "timezone_type": 3, "timezone": "UTC"},
            datetime(2020, 7, 14, 13, 10, 46),
        ),
        (
            {"date": "2020-07-14 15:10:46.000000", "timezone_type": 3, "timezone": "Europe/Berlin"},
            datetime(2020, 7, 14, 13, 10, 46),
        ),
        (
            {"date": "2020-07-14 15:10:46.000000", "timezone_type": 1, "timezone": "+02:00"},
            datetime(2020, 7, 14, 13, 10, 46),
        ),
        (
            {"date": "2020-07-14 08:10:46.000000", "timezone_type": 2, "timezone": "EST"},
            datetime(2020, 7, 14, 13, 10, 46),
        ),
        (1594732246, datetime(2020, 7, 14, 13, 10, 46)),
        ("1594732246", datetime(2020, 7, 14, 13, 10, 46)),
        ("2020-07-14T13:10:46Z", datetime(2020, 7, 14, 13, 10, 46)),
        ("2020-07-14 13:10:46", datetime(2020, 7, 14, 13, 10, 46)),
    ],
)
def test_timestamps_become_utc(value, expected):
    assert r.timestamp(value) == expected.replace(tzinfo=UTC)


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        {"date": None},
        {"date": "x", "timezone_type": 3, "timezone": "UTC"},
        {"date": "2020-07-14 13:10:46", "timezone_type": 3, "timezone": "Mars/Olympus"},
        "not a date",
        [1],
    ],
)
def test_unreadable_timestamps_are_none(value):
    assert r.timestamp(value) is None


def test_rates_counts_booleans_and_text():
    assert r.rate("77%") == 77.0 and r.rate("0%") == 0.0 and r.rate("12.5 %") == 12.5 and r.rate(3) == 3.0
    assert r.rate("n/a") is None and r.rate(None) is None and r.rate("") is None
    assert r.integer("25") == 25 and r.integer(3.0) == 3 and r.integer("x") is None and r.integer(True) is None
    assert r.boolean("true") is True and r.boolean(0) is False and r.boolean("maybe") is None
    assert r.text("0a1b") == "0a1b" and r.text(123) == "123" and r.text({"b": 1, "a": 2}) == '{"a":2,"b":1}'


def test_records_without_id_get_a_stable_content_hash_key():
    record = {"prospectEmail": "a@b.com", "visitedAt": {"date": "2020-01-01 00:00:00.000000"}}
    same = dict(reversed(list(record.items())))
    key = r.record_id(record)
    assert key.startswith("sha256:") and key == r.record_id(same) == r.content_key(record)
    assert key != r.record_id({**record, "prospectEmail": "c@d.com"})
    assert r.record_id({"id": 42}) == "42"


# --- the resumable offset reader -----------------------------------------------------------------


class Upstream:
    """An offset-paged endpoint over a list of ids; counts requests."""

    def __init__(self, n: int, page_size: int = 5) -> None:
        self.rows = [{"id": f"e{i}"} for i in range(n)]
        self.page_size = page_size
        self.offsets: list[int] = []

    def fetch(self, offset: int) -> list[dict[str, str]]:
        self.offsets.append(offset)
        return self.rows[offset : offset + self.page_size]

    def first_read_offsets(self, overlap: int = 2) -> list[int]:
        """Offsets a read from 0 asks for: each page after the first starts ``overlap`` rows early."""
        offsets, offset = [0], 0
        while len(self.rows[offset : offset + self.page_size]) == self.page_size:
            offset += self.page_size - overlap
            offsets.append(offset)
        return offsets

    def read(self, position: Position | None, overlap: int = 2) -> tuple[list[str], Position, list[bool]]:
        pages = list(resume_offset(self.fetch, r.record_id, position, overlap=overlap, page_size=self.page_size))
        written = [row["id"] for page in pages for row in page.records]
        return written, pages[-1].position, [page.restarted for page in pages]


@pytest.mark.parametrize("n", [0, 3, 5, 10, 12])
def test_a_first_read_pages_from_offset_zero_until_a_short_page(n):
    upstream = Upstream(n)
    written, position, restarted = upstream.read(None)
    assert written == [row["id"] for row in upstream.rows]
    assert upstream.offsets == upstream.first_read_offsets()  # a full page is followed by one more request
    assert position == Position(
        n, tuple(row["id"] for row in upstream.rows[-2:]), head=tuple(row["id"] for row in upstream.rows[:2])
    )
    assert not any(restarted)


def test_resuming_with_nothing_new_costs_one_request_and_writes_nothing():
    upstream = Upstream(10)
    _, position, _ = upstream.read(None)
    upstream.offsets.clear()
    written, after, restarted = upstream.read(position)
    assert upstream.offsets == [8] and written == [] and after == position and restarted == [False]


def test_resuming_reads_only_what_is_new_across_page_boundaries():
    upstream = Upstream(10)
    _, position, _ = upstream.read(None)
    upstream.rows += [{"id": f"new{i}"} for i in range(9)]
    upstream.offsets.clear()
    written, after, _ = upstream.read(position)
    assert written == [f"new{i}" for i in range(9)]
    assert upstream.offsets == [8, 11, 14, 17]  # every page after the first re-reads 2 rows to verify them
    assert after == Position(19, ("new7", "new8"), head=("e0", "e1"))


@pytest.mark.parametrize("change", ["delete_early", "delete_tail", "truncate_all"])
def test_an_overlap_that_no_longer_matches_restarts_the_scope_from_zero(change):
    upstream = Upstream(12)
    _, position, _ = upstream.read(None)
    if change == "delete_early":
        del upstream.rows[1]
    elif change == "delete_tail":
        del upstream.rows[10]
    else:
        upstream.rows = upstream.rows[:4]
    upstream.offsets.clear()
    written, after, restarted = upstream.read(position)
    assert restarted[0] is True and not any(restarted[1:])
    assert written == [row["id"] for row in upstream.rows]
    assert upstream.offsets[0] == 10 and upstream.offsets[1] == 0
    assert after.offset == len(upstream.rows)


def test_a_server_ignoring_offset_is_an_error_not_an_endless_loop():
    rows = [{"id": f"e{i}"} for i in range(5)]
    with pytest.raises(SnovioResponseError):
        list(resume_offset(lambda offset: rows, r.record_id, None, overlap=2, page_size=5))


def test_positions_and_overlap_are_checked():
    with pytest.raises(ValueError):
        Position(1, ("a", "b"))
    with pytest.raises(SnovioValidationError):
        list(resume_offset(lambda offset: [], r.record_id, None, overlap=0))


class FakeClient:
    def __init__(self, rows):
        self.rows = rows
        self.calls = []

    def get_campaign_replies(self, campaign_id, offset=None):
        self.calls.append(offset)
        return self.rows[offset : offset + 10_000]


def test_full_refresh_reads_from_zero_and_marks_the_first_page():
    client = FakeClient([{"id": str(i)} for i in range(3)])
    pages = list(
        RESOURCES["campaign_replies"].pages(client, {"campaign_id": 1}, Position(3, ("1", "2")), full_refresh=True)
    )
    assert client.calls == [0] and [p.restarted for p in pages] == [True] and len(pages[0].records) == 3


# --- resources and intervals ---------------------------------------------------------------------


def test_every_resource_has_key_columns_it_fills():
    for res in RESOURCES.values():
        columns = [name for name, _ in res.columns]
        assert len(columns) == len(set(columns)), res.name
        assert set(res.key) <= set(columns), res.name
        assert res.default_table == f"snovio_{res.name}"


def test_unknown_resources_and_ids_are_refused():
    with pytest.raises(SnovioValidationError):
        resource("replies")
    assert numeric_ids("campaign_ids", ["12", 12, 7]) == [12, 7]
    assert numeric_ids("campaign_ids", None) is None
    for bad in (["1x"], "12", [True], 12):
        with pytest.raises(SnovioValidationError):
            numeric_ids("campaign_ids", bad)


def test_analytics_interval_days():
    day = datetime(2025, 9, 10, tzinfo=UTC)
    assert analytics_dates(day, day + timedelta(days=1)) == (date(2025, 9, 10), date(2025, 9, 10))
    assert analytics_dates(day, day + timedelta(days=7)) == (date(2025, 9, 10), date(2025, 9, 16))
    assert analytics_dates(day + timedelta(hours=5), day + timedelta(hours=6)) == (date(2025, 9, 10),) * 2
    assert analytics_dates(None, None, now=day + timedelta(hours=3)) == (date(2025, 9, 9),) * 2
    assert analytics_dates(day, day) == (date(2025, 9, 9),) * 2  # zero-length: the previous full day
    assert data_interval(None, None, now=day + timedelta(hours=3)) == (day - timedelta(days=1), day)

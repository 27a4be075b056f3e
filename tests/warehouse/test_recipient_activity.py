"""recipient_activity (#72) into SQLite, PostgreSQL and object storage: exact through a run sequence.

The sequence (each step compared with the sandbox's own events, never with a hard-coded count):

1. a first sync of a history longer than 31 days (several windows; no request asks for more than 30 days);
2. new events (the run's end moves on; events added after it);
3. late events with an event time inside the lookback, an event deleted inside the lookback, and three
   identical events in one second (one row, two collisions counted);
4. the same run again (idempotent);
5. a campaign deleted upstream (its rows marked deleted);
6. a full refresh.

Under the sandbox's readings of what Snov.io leaves open: ``activity_window_inclusive`` (the 31-day limit
counted inclusively), ``activity_date_to_exclusive`` (dateTo's events left out) and
``activity_iso_event_time`` (``event_time`` as ISO 8601 instead of "YYYY-MM-DD HH:MM:SS").
"""

from __future__ import annotations

import itertools
from collections import Counter
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import MetaData, select

from airflow_provider_snovio.api import records as r
from airflow_provider_snovio.api.errors import SnovioResponseError, SnovioValidationError
from airflow_provider_snovio.api.incremental import Position
from airflow_provider_snovio.api.resources import RESOURCES, activity_span
from airflow_provider_snovio.api.windows import WINDOW_DAYS, Span, plan_windows, read_windows
from airflow_provider_snovio.sandbox.data.recipients import activity_events, activity_row
from airflow_provider_snovio.transfers import SnovioToObjectStorageOperator, SnovioToSqlOperator
from airflow_provider_snovio.transfers.object_storage import sync_to_storage
from airflow_provider_snovio.transfers.storage import open_store
from airflow_provider_snovio.transfers.warehouse import DELETED_AT, Warehouse, build_table, sync
from tests.warehouse.conftest import SQL_CONN_ID
from tests.warehouse.test_object_storage_sync import Files

UTC = timezone.utc
ACTIVITY = RESOURCES["recipient_activity"]
TABLE = "snovio_recipient_activity"
A, B, C = 237923, 237938, 237949  # ~110 events each, 2025-09-08 .. 2025-10-07
CAMPAIGNS = [A, B, C]
HISTORY = date(2025, 8, 1)  # the first run reads 2025-08-01 .. END1: more than 31 days
END1 = datetime(2025, 9, 25, tzinfo=UTC)
END2 = datetime(2025, 10, 10, tzinfo=UTC)
END3 = datetime(2025, 10, 11, tzinfo=UTC)
LOOKBACK = 3
READINGS = [
    pytest.param({}, id="default-readings"),
    pytest.param(
        {"activity_window_inclusive": True, "activity_date_to_exclusive": True, "activity_iso_event_time": True},
        id="inclusive-31-exclusive-dateTo-iso-time",
    ),
    pytest.param({"activity_date_to_exclusive": True}, id="exclusive-dateTo"),
]


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


class Spy:
    """The client, recording the (dateFrom, dateTo) of every #72 request it makes."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self.windows: list[tuple[int, str, str]] = []

    def get_campaign_recipients_activity(self, campaign_id: Any, date_from: Any, date_to: Any, **kwargs: Any) -> Any:
        self.windows.append((int(campaign_id), str(date_from), str(date_to)))
        return self._client.get_campaign_recipients_activity(campaign_id, date_from, date_to, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._client, name)


# --- the sandbox's ground truth ---------------------------------------------------------------------------


def truth(sandbox: Any, end: datetime, since: datetime | None = None) -> Counter[tuple[Any, ...]]:
    """Every event the sandbox has for CAMPAIGNS (those still listed) with ``since <= time < end``, keyed as the
    table is (campaign_id, event_time, event_type, recipient_email, email_subject), counted."""
    with sandbox.state.lock:
        campaigns = {camp.id: camp for camp in sandbox.state.data.campaigns.campaigns}
        unsubscribed = dict(sandbox.state.data.unsubscribed_at)
    from airflow_provider_snovio.sandbox.control import deleted_campaigns

    gone = deleted_campaigns(sandbox.state)
    out: Counter[tuple[Any, ...]] = Counter()
    for cid in CAMPAIGNS:
        if cid in gone:
            continue
        camp = campaigns[cid]
        for event in activity_events(camp, unix(since) if since else 0, unix(end), unsubscribed):
            row = activity_row(camp, event, False)
            out[
                (cid, r.timestamp(row["event_time"]), row["event_type"], row["recipient_email"], row["email_subject"])
            ] += 1
    return out


def collisions(counts: Counter[tuple[Any, ...]]) -> int:
    return sum(n - 1 for n in counts.values())


def utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def table_keys(engine: Any) -> tuple[set[tuple[Any, ...]], int]:
    """(keys of the live rows, rows marked deleted)."""
    table = build_table(ACTIVITY, TABLE, MetaData())
    with engine.connect() as connection:
        rows = connection.execute(select(*(table.c[name] for name in ACTIVITY.key), table.c[DELETED_AT])).all()
    live = {(row[0], utc(row[1]), *row[2:5]) for row in rows if row[5] is None}
    assert len(live) == len([row for row in rows if row[5] is None])  # one row per key
    return live, len([row for row in rows if row[5] is not None])


def check_windows(spy: Spy) -> None:
    """No request asked for more than 30 days (inside "<= 31" however it is counted); per campaign and run the
    windows follow each other, each starting on the day the previous one named as dateTo."""
    assert spy.windows
    for cid, first, last in spy.windows:
        assert 1 <= (date.fromisoformat(last) - date.fromisoformat(first)).days <= WINDOW_DAYS, (cid, first, last)
    by_campaign: dict[int, list[tuple[str, str]]] = {}
    for cid, first, last in spy.windows:
        runs = by_campaign.setdefault(cid, [])
        if not runs or runs[-1] != (first, last):  # pages of one window repeat it
            runs.append((first, last))
    for runs in by_campaign.values():
        for (_, previous_to), (following_from, _) in itertools.pairwise(runs):
            assert following_from <= previous_to  # contiguous (a later run starts again before)
    spy.windows.clear()


def change_upstream(sandbox: Any) -> dict[str, Any]:
    """Step 3's changes: a late event inside the lookback (two days before END2), three identical clicks in one
    second, and the deletion of an event inside the lookback (the open step 2 added)."""
    late = sandbox.add_activity(B, "opens", unix(END2 - timedelta(days=2, hours=-6)), recipient=1)
    same = sandbox.add_activity(C, "clicks", unix(datetime(2025, 10, 9, 8, 0, 0, tzinfo=UTC)), count=3, recipient=2)
    with sandbox.state.lock:
        opens = sandbox.state.data.campaigns.by_id(A).opens
    deleted = sandbox.delete_events(A, "opens", offset=len(opens) - 1, count=1)
    return {"late": late, "same": same, "deleted": deleted}


# --- SQL ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("knobs", READINGS)
def test_sql_sync_is_exact_through_the_sequence(warehouse, snovio_sandbox, client, knobs) -> None:
    snovio_sandbox.configure(**knobs)
    spy = Spy(client)
    wh = Warehouse(warehouse.engine)

    def run(end: datetime, **kwargs: Any) -> dict[str, Any]:
        span = activity_span(spy, end, LOOKBACK, HISTORY)
        return sync(spy, wh, ACTIVITY, TABLE, campaign_ids=CAMPAIGNS, span=span, **kwargs).as_xcom()

    # 1. first sync: 2025-08-01 .. END1, two windows per campaign
    first = run(END1)
    expected = truth(snovio_sandbox, END1)
    assert table_keys(warehouse.engine) == (set(expected), 0)
    assert first["key_collisions"] == collisions(expected) and first["rows_written"] == len(expected)
    assert len({w for w in spy.windows if w[0] == A}) >= 2
    check_windows(spy)

    # 2. new events: the seeded ones after END1 and one added after them
    added = snovio_sandbox.add_activity(A, "opens", unix(datetime(2025, 10, 9, 12, tzinfo=UTC)), recipient=3)
    assert added["added"] == 1
    second = run(END2)
    assert table_keys(warehouse.engine) == (set(truth(snovio_sandbox, END2)), 0)
    assert second["rows_written"] < len(truth(snovio_sandbox, END2))  # incremental: not the whole history again
    check_windows(spy)

    # 3. late events inside the lookback, a deletion inside it, identical events in one second
    change_upstream(snovio_sandbox)
    third = run(END3)
    expected = truth(snovio_sandbox, END3)
    assert table_keys(warehouse.engine) == (set(expected), 1)  # the deleted open is marked deleted
    assert max(expected.values()) == 3  # the three identical clicks are one key ...
    read_from = datetime.combine((END2 - timedelta(days=LOOKBACK)).date(), datetime.min.time(), UTC)
    assert third["key_collisions"] == collisions(truth(snovio_sandbox, END3, read_from)) == 2  # ... counted
    assert third["rows_deleted"] == 1
    check_windows(spy)

    # 4. the same run again: nothing changes
    again = run(END3)
    assert table_keys(warehouse.engine) == (set(expected), 1)
    assert again["rows_deleted"] == 0 and again["key_collisions"] == 2

    # 5. a campaign deleted upstream: skipped, its rows marked deleted
    snovio_sandbox.delete_campaign(B)
    fifth = run(END3)
    assert fifth["deleted_scopes"] == [f"campaign_id={B}"]
    live, deleted = table_keys(warehouse.engine)
    assert live == set(truth(snovio_sandbox, END3)) and deleted == 1 + len({k for k in expected if k[0] == B})

    # 6. full refresh: the whole history again, the same table
    full = run(END3, full_refresh=True)
    final = truth(snovio_sandbox, END3)
    assert table_keys(warehouse.engine)[0] == set(final)
    assert full["key_collisions"] == collisions(final) == 2
    check_windows(spy)


class Killed(BaseException):
    """The worker killed mid-sync (not an error the sync handles)."""


def test_a_sync_killed_between_windows_resumes_from_the_last_stored_mark(warehouse, snovio_sandbox, client) -> None:
    spy = Spy(client)
    wh = Warehouse(warehouse.engine)
    real = spy.get_campaign_recipients_activity

    def dies_on_the_second_window(campaign_id: Any, date_from: Any, date_to: Any, **kwargs: Any) -> Any:
        if {w[1] for w in spy.windows if w[0] == A} - {str(date_from)}:
            raise Killed
        return real(campaign_id, date_from, date_to, **kwargs)

    spy.get_campaign_recipients_activity = dies_on_the_second_window  # type: ignore[method-assign]
    with pytest.raises(Killed):
        sync(spy, wh, ACTIVITY, TABLE, campaign_ids=[A], span=activity_span(spy, END1, LOOKBACK, HISTORY))
    table = wh.table(ACTIVITY, TABLE)
    # the first window's pages and its mark were committed together; nothing of the second window
    assert wh.position(table, f"campaign_id={A}") == Position(high_water="2025-08-31T00:00:00+00:00")
    del spy.get_campaign_recipients_activity
    sync(spy, wh, ACTIVITY, TABLE, campaign_ids=[A], span=activity_span(spy, END1, LOOKBACK, HISTORY))
    expected = {k for k in truth(snovio_sandbox, END1) if k[0] == A}
    assert table_keys(warehouse.engine) == (expected, 0)
    assert spy.windows[-1][1:] == ("2025-08-28", "2025-09-25")  # resumed lookback_days before the stored mark


def test_the_operator_reads_from_the_campaigns_creation_to_the_run_end(warehouse, snovio_conn_env) -> None:
    """No ``history_start``: the first run starts the day before each campaign's ``created_at`` (#27), and
    ends at the data interval's end; the next run reads on from there."""
    op = SnovioToSqlOperator(
        task_id="activity", resource="recipient_activity", sql_conn_id=SQL_CONN_ID, campaign_ids=CAMPAIGNS
    )
    first = op.execute({"data_interval_start": END1 - timedelta(days=1), "data_interval_end": END1})
    expected = truth(snovio_conn_env, END1)
    assert table_keys(warehouse.engine) == (set(expected), 0) and first["rows_written"] == len(expected)
    op.execute({"data_interval_start": END1, "data_interval_end": END2})
    assert table_keys(warehouse.engine) == (set(truth(snovio_conn_env, END2)), 0)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"lookback_days": -1}, "lookback_days"),
        ({"lookback_days": "3"}, "lookback_days"),
        ({"lookback_days": 400}, "lookback_days"),
        ({"history_start": "last year"}, "history_start"),
    ],
)
def test_bad_window_inputs_are_refused_naming_the_field(kwargs, field, snovio_conn_env, tmp_path) -> None:
    for make in (
        lambda: SnovioToSqlOperator(task_id="bad", resource="recipient_activity", sql_conn_id=SQL_CONN_ID, **kwargs),
        lambda: SnovioToObjectStorageOperator(
            task_id="bad", resource="recipient_activity", path=f"file://{tmp_path}", **kwargs
        ),
    ):
        with pytest.raises(SnovioValidationError) as refused:
            make()
        assert refused.value.field == field
    assert snovio_conn_env.stats()["total_requests"] == 0


# --- object storage ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("knobs", READINGS[:2])
def test_object_storage_is_exact_through_the_sequence(snovio_sandbox, client, tmp_path, knobs) -> None:
    snovio_sandbox.configure(**knobs)
    spy = Spy(client)
    store, base = open_store(f"file://{tmp_path}/stage")
    root = f"{base}/recipient_activity"
    files = Files(store, root)

    def run(end: datetime) -> dict[str, Any]:
        span = activity_span(spy, end, LOOKBACK, HISTORY)
        return sync_to_storage(spy, store, root, ACTIVITY, campaign_ids=CAMPAIGNS, span=span).as_xcom()

    def stored() -> set[tuple[Any, ...]]:
        return {
            (k[0], datetime.fromisoformat(k[1]), *k[2:])
            for k in files.union(ACTIVITY.key)  # the files' union, latest row per key, deletions dropped
        }

    first = run(END1)
    expected = truth(snovio_sandbox, END1)
    assert stored() == set(expected) and first["rows_written"] == len(expected)
    check_windows(spy)

    snovio_sandbox.add_activity(A, "opens", unix(datetime(2025, 10, 9, 12, tzinfo=UTC)), recipient=3)
    second = run(END2)
    assert stored() == set(truth(snovio_sandbox, END2))
    new = len(truth(snovio_sandbox, END2)) - len(expected)
    assert second["rows_written"] == new  # only what arrived: the re-read lookback days are not rewritten

    change_upstream(snovio_sandbox)
    third = run(END3)
    expected = truth(snovio_sandbox, END3)
    assert stored() == set(expected)
    assert third["rows_deleted"] == 1 and third["key_collisions"] == 2
    assert third["rows_written"] == 2  # the late open and the one row of the three identical clicks

    again = run(END3)
    assert stored() == set(expected) and again["rows_written"] == again["rows_deleted"] == 0

    snovio_sandbox.delete_campaign(B)
    fifth = run(END3)
    assert fifth["deleted_scopes"] == [f"campaign_id={B}"]
    assert stored() == set(truth(snovio_sandbox, END3))
    files.check_complete()
    check_windows(spy)


def test_object_storage_operator_reads_recipient_activity(snovio_conn_env, tmp_path) -> None:
    op = SnovioToObjectStorageOperator(
        task_id="stage", resource="recipient_activity", path=f"file://{tmp_path}/stage", campaign_ids=[A]
    )
    result = op.execute({"data_interval_end": END1})
    store, base = open_store(f"file://{tmp_path}/stage")
    union = Files(store, f"{base}/recipient_activity").union(ACTIVITY.key)
    expected = {k for k in truth(snovio_conn_env, END1) if k[0] == A}
    assert {(k[0], datetime.fromisoformat(k[1]), *k[2:]) for k in union} == expected
    assert result["rows_written"] == len(expected)


# --- the reading itself (no HTTP) ------------------------------------------------------------------------------


def test_event_time_in_both_spellings_is_one_instant() -> None:
    sampled = ACTIVITY.row({"event_time": "2025-12-15 10:58:52", "event_type": "open"}, {"campaign_id": 1})
    described = ACTIVITY.row({"event_time": "2025-12-15T12:58:52+02:00", "event_type": "open"}, {"campaign_id": 1})
    zulu = ACTIVITY.row({"event_time": "2025-12-15T10:58:52Z", "event_type": "open"}, {"campaign_id": 1})
    assert (
        sampled["event_time"]
        == described["event_time"]
        == zulu["event_time"]
        == datetime(2025, 12, 15, 10, 58, 52, tzinfo=UTC)
    )
    assert sampled["email_subject"] == ""  # absent: '' (a key column is never null)


def test_windows_cover_each_day_once_and_never_ask_for_more_than_30_days() -> None:
    windows = plan_windows(date(2025, 1, 1), date(2025, 12, 31))
    assert windows[0][0] == date(2025, 1, 1) and windows[-1][1] == date(2026, 1, 1)
    assert all(b - a <= timedelta(days=WINDOW_DAYS) for a, b in windows)
    assert all(previous[1] == following[0] for previous, following in itertools.pairwise(windows))


def _feed(events: list[dict[str, Any]], moved_after: int | None = None) -> Any:
    """A #72 stand-in over ``events`` (dateTo inclusive, 2 per page); with ``moved_after``, one event is added
    to the window once that many pages were served (its total moves during the read)."""
    served = {"pages": 0}
    data = list(events)

    def fetch(date_from: str, date_to: str, offset: int) -> dict[str, Any]:
        served["pages"] += 1
        if moved_after is not None and served["pages"] == moved_after + 1:
            data.insert(0, {"event_time": f"{date_from} 00:00:01", "event_type": "open", "recipient_email": "x@y"})
        rows = [e for e in data if date_from <= e["event_time"][:10] <= date_to]
        page = rows[offset : offset + 2]
        return {"data": page, "pagination": {"total": len(rows), "offset": offset, "has_more": offset + 2 < len(rows)}}

    return fetch


def _events(day: str, count: int) -> list[dict[str, Any]]:
    return [
        {"event_time": f"{day} 10:00:{k:02d}", "event_type": "sent", "recipient_email": f"r{k}@x.com"}
        for k in range(count)
    ]


def test_a_window_whose_total_moves_during_the_read_is_read_again_and_replaced() -> None:
    span = Span(datetime(2025, 9, 3, tzinfo=UTC), 3, lambda _: date(2025, 9, 1))
    pages = list(
        read_windows(
            _feed(_events("2025-09-01", 5), moved_after=1),
            ACTIVITY.natural_key,
            ACTIVITY.time_of,
            span,
            date(2025, 9, 1),
            None,
            now=datetime(2025, 9, 5, tzinfo=UTC),
        )
    )
    replaced = [page for page in pages if page.replaces is not None]
    assert len(replaced) == 1  # the window's second read starts by replacing its rows
    after = pages[pages.index(replaced[0]) :]
    assert sum(len(page.records) for page in after) == 6 and after[-1].sweeps == replaced[0].replaces
    assert after[-1].position == Position(high_water="2025-09-03T00:00:00+00:00")


def test_a_window_that_keeps_moving_stops_the_scope() -> None:
    calls = {"n": 0}

    def fetch(date_from: str, date_to: str, offset: int) -> dict[str, Any]:
        calls["n"] += 1
        return {"data": _events(date_from, 2), "pagination": {"total": calls["n"], "has_more": True}}

    span = Span(datetime(2025, 9, 3, tzinfo=UTC), 3, lambda _: date(2025, 9, 1))
    with pytest.raises(SnovioResponseError, match="kept changing"):
        list(read_windows(fetch, ACTIVITY.natural_key, ACTIVITY.time_of, span, date(2025, 9, 1), None, now=span.end))

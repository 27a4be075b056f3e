"""The warehouse stays equal to the sandbox's data when Snov.io and the warehouse are less kind (issue 14):
a dropped or truncated table, an explicit full refresh, a campaign deleted upstream (under each reading of
what Snov.io answers for it), a scope that fails, two writers of one table and scope, two resources aimed
at one table, and a table of the previous version (unprefixed system columns).

Everything runs over real HTTP against the sandbox, on SQLite and on PostgreSQL. Where a test needs an
interleaving (a writer paused between two pages, a crash after one), the client is wrapped by a proxy that
pauses or raises between real requests; every request still goes to the sandbox.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Column, DateTime, MetaData, Table, inspect, text

from airflow_provider_snovio.api.errors import SnovioConfigError, SnovioServerError
from airflow_provider_snovio.api.resources import resource
from airflow_provider_snovio.sandbox.config import DELETED_CAMPAIGN_ANSWERS
from airflow_provider_snovio.transfers.warehouse import (
    STATE_TABLE,
    SnovioSyncError,
    Warehouse,
    _sql_type,
    json_type,
    sync,
    synced_at_index_name,
)
from tests.warehouse.conftest import upstream_ids

REPLIES = "snovio_campaign_replies"
SMALL = {"big_campaign_replies": 400, "exact_campaign_replies": 150}


def ids(engine: Any, table: str, column: str = "campaign_id", *, deleted: bool = False) -> dict[int, set[str]]:
    """``{scope id: {row ids}}`` of the live rows (``deleted``: of the rows marked deleted)."""
    where = "IS NOT NULL" if deleted else "IS NULL"
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT {column}, id FROM {table} WHERE _snovio_deleted_at {where}")).all()
    out: dict[int, set[str]] = {}
    for scope, row_id in rows:
        out.setdefault(int(scope), set()).add(str(row_id))
    return out


def count(engine: Any, sql: str) -> int:
    with engine.connect() as connection:
        return int(connection.execute(text(sql)).scalar_one())


def replies_upstream(sandbox: Any) -> dict[int, set[str]]:
    return {cid: set(found) for cid, found in upstream_ids(sandbox, "replies").items() if found}


def finished_upstream(sandbox: Any) -> dict[int, set[str]]:
    with sandbox.state.lock:
        return {
            c.id: {rid for rid, _ in c.finished.values()} for c in sandbox.state.data.campaigns.campaigns if c.finished
        }


def campaign_ids_upstream(sandbox: Any) -> set[int]:
    with sandbox.state.lock:
        return {c.id for c in sandbox.state.data.campaigns.campaigns}


class Proxy:
    """The real client, with hooks around chosen methods (every request still goes to the sandbox)."""

    def __init__(self, client: Any, **hooks: Any) -> None:
        self._client = client
        self._hooks = hooks

    def __getattr__(self, name: str) -> Any:
        hook = self._hooks.get(name)
        real = getattr(self._client, name)
        if hook is None:
            return real
        return lambda *args, **kwargs: hook(real, *args, **kwargs)


# --- dropped, truncated, full refresh ------------------------------------------------------------------------


@pytest.mark.parametrize("newest_first", [False, True], ids=["oldest-first", "newest-first"])
def test_dropped_truncated_and_thinned_tables_come_back_whole(warehouse, snovio_sandbox, client, newest_first):
    snovio_sandbox.configure(**SMALL, newest_first_events=newest_first)
    wh = Warehouse(warehouse.engine)
    replies = resource("campaign_replies")
    upstream = replies_upstream(snovio_sandbox)
    total = sum(len(found) for found in upstream.values())
    sync(client, wh, replies, REPLIES)
    assert ids(warehouse.engine, REPLIES) == upstream

    # 1. Dropped: the table is created anew and its state reset with it, so every row comes back.
    with warehouse.engine.begin() as connection:
        connection.execute(text(f"DROP TABLE {REPLIES}"))
    again = sync(client, wh, replies, REPLIES)
    assert again.rows_written == total
    assert ids(warehouse.engine, REPLIES) == upstream

    # 2. Truncated (the state row survives and the tail still matches upstream): every scope restarts.
    with warehouse.engine.begin() as connection:
        connection.execute(text(f"DELETE FROM {REPLIES}"))
    truncated = sync(client, wh, replies, REPLIES)
    assert sorted(truncated.reread_scopes) == sorted(f"campaign_id={cid}" for cid in upstream)
    assert ids(warehouse.engine, REPLIES) == upstream
    assert count(warehouse.engine, f"SELECT COUNT(*) FROM {REPLIES}") == total

    # 3. A few rows of one campaign deleted in the warehouse: only that scope restarts.
    victim = max(upstream, key=lambda cid: len(upstream[cid]))
    with warehouse.engine.begin() as connection:
        doomed = sorted(upstream[victim])[:5]
        connection.execute(
            text(f"DELETE FROM {REPLIES} WHERE campaign_id = :c AND id IN ({', '.join(repr(i) for i in doomed)})"),
            {"c": victim},
        )
    thinned = sync(client, wh, replies, REPLIES)
    assert thinned.reread_scopes == [f"campaign_id={victim}"]
    assert ids(warehouse.engine, REPLIES) == upstream

    # 4. Nothing changed: nothing re-read, nothing written.
    quiet = sync(client, wh, replies, REPLIES)
    assert (quiet.reread_scopes, quiet.rows_written) == ([], 0)


def test_explicit_full_refresh_resets_data_and_state_together(warehouse, snovio_sandbox, client):
    snovio_sandbox.configure(**SMALL)
    wh = Warehouse(warehouse.engine)
    sync(client, wh, resource("campaigns"), "snovio_campaigns")
    sync(client, wh, resource("campaign_replies"), REPLIES)
    with warehouse.engine.begin() as connection:  # damage both: a wrong value, a row upstream never had
        connection.execute(text("UPDATE snovio_campaigns SET name = 'wrong'"))
        connection.execute(text("UPDATE snovio_campaigns SET id = 1 WHERE id = (SELECT MIN(id) FROM snovio_campaigns)"))
        connection.execute(text(f"UPDATE {REPLIES} SET id = 'stale' WHERE id = (SELECT MIN(id) FROM {REPLIES})"))
        connection.execute(
            text(f"UPDATE {STATE_TABLE} SET position = 3, tail = '[\"a\", \"b\"]' WHERE scope <> '#table'")
        )
    sync(client, wh, resource("campaigns"), "snovio_campaigns", full_refresh=True)
    result = sync(client, wh, resource("campaign_replies"), REPLIES, full_refresh=True)
    upstream = replies_upstream(snovio_sandbox)
    assert ids(warehouse.engine, REPLIES) == upstream
    assert [i for found in ids(warehouse.engine, REPLIES, deleted=True).values() for i in found] == ["stale"]
    assert result.rows_written == sum(len(found) for found in upstream.values())
    with warehouse.engine.connect() as connection:
        live = {
            r.id: r.name
            for r in connection.execute(text("SELECT id, name FROM snovio_campaigns WHERE _snovio_deleted_at IS NULL"))
        }
        gone = [
            r[0]
            for r in connection.execute(text("SELECT id FROM snovio_campaigns WHERE _snovio_deleted_at IS NOT NULL"))
        ]
        positions = dict(
            connection.execute(
                text(f"SELECT scope, position FROM {STATE_TABLE} WHERE table_name = '{REPLIES}' AND scope <> '#table'")
            ).all()
        )
    with snovio_sandbox.state.lock:
        assert live == {c.id: c.name for c in snovio_sandbox.state.data.campaigns.campaigns}
    assert gone == [1]
    assert positions == {
        f"campaign_id={cid}": len(found) for cid, found in upstream_ids(snovio_sandbox, "replies").items()
    }
    quiet = sync(client, wh, resource("campaign_replies"), REPLIES)  # the new state is right: nothing to do
    assert (quiet.reread_scopes, quiet.rows_written) == ([], 0)


# --- a campaign deleted upstream -----------------------------------------------------------------------------


@pytest.mark.parametrize("answer", DELETED_CAMPAIGN_ANSWERS)
@pytest.mark.parametrize("newest_first", [False, True], ids=["oldest-first", "newest-first"])
def test_deleted_campaign_is_soft_deleted_and_the_others_synced(
    warehouse, snovio_sandbox, client, answer, caplog, newest_first
):
    snovio_sandbox.configure(newest_first_events=newest_first)
    snovio_sandbox.configure(deleted_campaign_answer=answer, **SMALL)
    wh = Warehouse(warehouse.engine)
    everything = sorted(campaign_ids_upstream(snovio_sandbox))
    before_replies, before_finished = replies_upstream(snovio_sandbox), finished_upstream(snovio_sandbox)
    opened = {cid for cid, found in upstream_ids(snovio_sandbox, "opens").items() if found}
    victim = next(cid for cid in everything if cid in before_replies and cid in before_finished and cid in opened)
    other = next(cid for cid in before_replies if cid != victim)
    runs = {
        "campaigns": {},
        "campaign_replies": {},
        "finished_prospects": {},
        "emails_sent": {"campaign_ids": everything},
    }  # explicit ids, as a DAG's list would hold them
    for name, kwargs in runs.items():
        sync(client, wh, resource(name), f"snovio_{name}", **kwargs)
    before_sent = ids(warehouse.engine, "snovio_emails_sent")

    sync(client, wh, resource("campaign_opens"), "snovio_campaign_opens", campaign_ids=everything)
    before_opens = ids(warehouse.engine, "snovio_campaign_opens")

    snovio_sandbox.delete_campaign(victim)
    added = set(snovio_sandbox.append_events(other, "replies", 3)["ids"])
    with caplog.at_level(logging.WARNING):
        results = {name: sync(client, wh, resource(name), f"snovio_{name}", **kwargs) for name, kwargs in runs.items()}
        # ids taken from the API after the deletion (as the example DAG does): the victim is not asked for,
        # and its stored rows are marked deleted all the same
        results["campaign_opens"] = sync(
            client,
            wh,
            resource("campaign_opens"),
            "snovio_campaign_opens",
            campaign_ids=sorted(campaign_ids_upstream(snovio_sandbox)),
        )

    label = f"campaign_id={victim}"
    for name in ("campaign_replies", "finished_prospects", "emails_sent", "campaign_opens"):
        assert results[name].deleted_scopes == [label], name
    assert label in caplog.text and "no longer lists it" in caplog.text
    replies, finished = replies_upstream(snovio_sandbox), finished_upstream(snovio_sandbox)
    assert victim not in replies and added <= replies[other]
    assert ids(warehouse.engine, "snovio_campaign_replies") == replies
    assert ids(warehouse.engine, "snovio_campaign_replies", deleted=True) == {victim: before_replies[victim]}
    assert ids(warehouse.engine, "snovio_finished_prospects") == finished
    assert ids(warehouse.engine, "snovio_finished_prospects", deleted=True) == {victim: before_finished[victim]}
    assert victim not in ids(warehouse.engine, "snovio_emails_sent")
    assert ids(warehouse.engine, "snovio_emails_sent", deleted=True) == {victim: before_sent[victim]}
    assert ids(warehouse.engine, "snovio_campaign_opens", deleted=True) == {victim: before_opens[victim]}
    assert ids(warehouse.engine, "snovio_campaign_opens") == {
        cid: found for cid, found in before_opens.items() if cid != victim
    }
    with warehouse.engine.connect() as connection:
        live = {
            r[0] for r in connection.execute(text("SELECT id FROM snovio_campaigns WHERE _snovio_deleted_at IS NULL"))
        }
        gone = {
            r[0]
            for r in connection.execute(text("SELECT id FROM snovio_campaigns WHERE _snovio_deleted_at IS NOT NULL"))
        }
        states = [
            r[0] for r in connection.execute(text(f"SELECT scope FROM {STATE_TABLE} WHERE scope = :s"), {"s": label})
        ]
    assert (live, gone) == (campaign_ids_upstream(snovio_sandbox), {victim})
    assert states == []  # its positions are forgotten

    # The next runs are quiet: the deleted campaign is neither read nor reported again by the listing runs.
    again = sync(client, wh, resource("campaign_replies"), REPLIES)
    assert again.deleted_scopes == [] and again.rows_written == 0


@pytest.mark.parametrize("answer", DELETED_CAMPAIGN_ANSWERS)
def test_campaign_deleted_between_listing_and_read(warehouse, snovio_sandbox, client, answer):
    """The listing still had it; its own endpoints answer per the knob. No run fails, the rows end deleted."""
    snovio_sandbox.configure(deleted_campaign_answer=answer, **SMALL)
    wh = Warehouse(warehouse.engine)
    before = finished_upstream(snovio_sandbox)
    victim = sorted(before)[0]
    sync(client, wh, resource("finished_prospects"), "snovio_finished_prospects")
    sync(client, wh, resource("campaign_replies"), REPLIES)
    deleted: list[int] = []

    def list_then_delete(real: Any, *args: Any, **kwargs: Any) -> Any:
        answer_body = real(*args, **kwargs)
        if not deleted:
            snovio_sandbox.delete_campaign(victim)
            deleted.append(victim)
        return answer_body

    for name, table in (("finished_prospects", "snovio_finished_prospects"), ("campaign_replies", REPLIES)):
        deleted.clear()
        if name == "campaign_replies":
            snovio_sandbox.reset()
            snovio_sandbox.configure(deleted_campaign_answer=answer, **SMALL)
        result = sync(Proxy(client, get_user_campaigns=list_then_delete), wh, resource(name), table)
        label = f"campaign_id={victim}"
        named = result.deleted_scopes + result.reread_scopes
        assert label in named, (name, result)
        assert victim not in ids(warehouse.engine, table)
    assert ids(warehouse.engine, "snovio_finished_prospects") == {
        cid: found for cid, found in before.items() if cid != victim
    }
    assert ids(warehouse.engine, REPLIES) == replies_upstream(snovio_sandbox)


def test_a_failing_scope_fails_the_task_naming_it_after_the_others_synced(warehouse, snovio_sandbox, client):
    snovio_sandbox.configure(**SMALL)
    wh = Warehouse(warehouse.engine)
    upstream = replies_upstream(snovio_sandbox)
    bad = sorted(upstream)[1]

    def fail_for_bad(real: Any, campaign_id: int, **kwargs: Any) -> Any:
        if campaign_id == bad:  # as the client raises after its retries of a 5xx
            raise SnovioServerError("503 Service Unavailable", status=503)
        return real(campaign_id, **kwargs)

    with pytest.raises(
        SnovioSyncError,
        match=rf"1 of {len(campaign_ids_upstream(snovio_sandbox))} scope\(s\) "
        rf"failed.*campaign_id={bad}: ",
    ):
        sync(Proxy(client, get_campaign_replies=fail_for_bad), wh, resource("campaign_replies"), REPLIES)
    assert ids(warehouse.engine, REPLIES) == {cid: found for cid, found in upstream.items() if cid != bad}
    sync(client, wh, resource("campaign_replies"), REPLIES)  # the next run completes it
    assert ids(warehouse.engine, REPLIES) == upstream


# --- two writers -------------------------------------------------------------------------------------------


class Crash(Exception):
    """A writer dying between two pages (not a Snov.io error: nothing catches it)."""


def test_a_restart_by_one_writer_and_a_crash_leave_no_hole_for_the_other(warehouse, snovio_sandbox, client):
    """B is paused between its pages; A restarts the scope (full refresh), commits one page and crashes;
    B resumes: its stored position was moved under it, so it re-reads from A's position instead of
    overwriting it (which would leave A's restart's deleted marks on rows B never re-reads)."""
    upstream = upstream_ids(snovio_sandbox, "replies")
    big = next(cid for cid, found in upstream.items() if len(found) == 25_500)
    wh = Warehouse(warehouse.engine)
    replies = resource("campaign_replies")

    def crash_after_first_page() -> Any:
        """A proxy method that reads the first page and kills the run before its second request (which asks
        from ``overlap`` rows before the first page's end, so no offset threshold names it)."""
        served: list[int] = []

        def method(real: Any, campaign_id: int, offset: int = 0, **kwargs: Any) -> Any:
            if served:
                raise Crash(f"killed before reading offset {offset}")
            served.append(offset)
            return real(campaign_id, offset=offset, **kwargs)

        return method

    with pytest.raises(Crash):  # a first run that stopped after one page: position 10,000
        sync(Proxy(client, get_campaign_replies=crash_after_first_page()), wh, replies, REPLIES, campaign_ids=[big])
    assert wh.position(wh.table(replies, REPLIES), f"campaign_id={big}").offset == 10_000

    paused, resume = threading.Event(), threading.Event()
    calls: list[int] = []

    def pause_before_second_page(real: Any, campaign_id: int, offset: int = 0, **kwargs: Any) -> Any:
        calls.append(offset)
        if len(calls) == 2:
            paused.set()
            assert resume.wait(120)
        return real(campaign_id, offset=offset, **kwargs)

    outcome: dict[str, Any] = {}

    def writer_b() -> None:
        try:
            outcome["b"] = sync(
                Proxy(client, get_campaign_replies=pause_before_second_page), wh, replies, REPLIES, campaign_ids=[big]
            )
        except BaseException as exc:  # reported below
            outcome["b"] = exc

    thread = threading.Thread(target=writer_b)
    thread.start()
    try:
        assert paused.wait(120), "writer B never reached its second page"
        b_position = wh.position(wh.table(replies, REPLIES), f"campaign_id={big}").offset
        assert b_position == 10_000 - 20 + 10_000  # B committed its first page (from the overlap on)
        with pytest.raises(Crash):
            sync(
                Proxy(client, get_campaign_replies=crash_after_first_page()),
                wh,
                replies,
                REPLIES,
                campaign_ids=[big],
                full_refresh=True,
            )
        assert wh.position(wh.table(replies, REPLIES), f"campaign_id={big}").offset == 10_000
    finally:
        resume.set()
        thread.join(300)
    assert not thread.is_alive()
    assert not isinstance(outcome["b"], BaseException), outcome["b"]
    assert ids(warehouse.engine, REPLIES) == {big: set(upstream[big])}  # no hole
    assert ids(warehouse.engine, REPLIES, deleted=True) == {}
    assert count(warehouse.engine, f"SELECT COUNT(*) FROM {REPLIES}") == 25_500  # no duplicate
    assert wh.position(wh.table(replies, REPLIES), f"campaign_id={big}").offset == 25_500


WRITER = """
import sys
from sqlalchemy import create_engine
from airflow_provider_snovio.api.client import ClientConfig, SnovioClient
from airflow_provider_snovio.api.resources import resource
from airflow_provider_snovio.transfers.warehouse import Warehouse, sync
base_url, client_id, secret, db_url, campaign_id, full_refresh = sys.argv[1:7]
client = SnovioClient(ClientConfig(client_id=client_id, client_secret=secret, base_url=base_url,
                                   requests_per_minute=100000))
result = sync(client, Warehouse(create_engine(db_url)), resource("campaign_replies"), "snovio_campaign_replies",
              campaign_ids=[int(campaign_id)], full_refresh=full_refresh == "1")
print(result.rows_written)
"""


@pytest.mark.parametrize("newest_first", [False, True], ids=["oldest-first", "newest-first"])
def test_two_writer_processes_of_one_scope_end_exact(warehouse, snovio_sandbox, client, tmp_path: Path, newest_first):
    snovio_sandbox.configure(newest_first_events=newest_first)
    upstream = upstream_ids(snovio_sandbox, "replies")
    big = next(cid for cid, found in upstream.items() if len(found) == 25_500)
    wh = Warehouse(warehouse.engine)
    sync(client, wh, resource("campaign_replies"), REPLIES, campaign_ids=[big])
    added = snovio_sandbox.append_events(big, "replies", 12_000)["ids"]  # two more pages to read
    snovio_sandbox.configure(latency_ms=300)
    script = tmp_path / "writer.py"
    script.write_text(WRITER)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    children = [
        subprocess.Popen(
            [
                sys.executable,
                str(script),
                snovio_sandbox.base_url,
                snovio_sandbox.client_id,
                snovio_sandbox.client_secret,
                warehouse.url,
                str(big),
                refresh,
            ],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for refresh in ("1", "0")
    ]
    outputs = [child.communicate(timeout=300) for child in children]
    assert [child.returncode for child in children] == [0, 0], outputs
    now = upstream_ids(snovio_sandbox, "replies")[big]
    assert set(added) <= set(now)
    assert ids(warehouse.engine, REPLIES) == {big: set(now)}
    assert ids(warehouse.engine, REPLIES, deleted=True) == {}
    assert count(warehouse.engine, f"SELECT COUNT(*) FROM {REPLIES}") == len(now)
    snovio_sandbox.configure(latency_ms=0)
    quiet = sync(client, wh, resource("campaign_replies"), REPLIES, campaign_ids=[big])
    assert (quiet.reread_scopes, quiet.rows_written) == ([], 0)


# --- one table, one resource ---------------------------------------------------------------------------------


def test_a_table_holding_another_resource_is_refused(warehouse, snovio_sandbox, client):
    snovio_sandbox.configure(**SMALL)
    wh = Warehouse(warehouse.engine)
    sync(client, wh, resource("campaign_replies"), "shared")
    before = ids(warehouse.engine, "shared")
    with pytest.raises(
        SnovioConfigError,
        match=r"'shared' holds the sync state of resource 'campaign_replies'.*"
        r"resource 'campaign_opens' cannot",
    ):
        sync(client, Warehouse(warehouse.engine), resource("campaign_opens"), "shared")
    assert ids(warehouse.engine, "shared") == before == replies_upstream(snovio_sandbox)
    with pytest.raises(SnovioConfigError, match="resource 'user_lists' cannot"):
        sync(client, Warehouse(warehouse.engine), resource("user_lists"), "shared")


# --- the migration from unprefixed system columns ----------------------------------------------------------------


def test_a_table_of_the_previous_version_is_migrated_without_loss(warehouse, snovio_sandbox, client):
    from datetime import datetime, timezone

    snovio_sandbox.configure(**SMALL)
    campaigns = resource("campaigns")
    metadata = MetaData()
    legacy = Table(
        "snovio_campaigns",
        metadata,
        *[Column(name, _sql_type(kind), primary_key=name in campaigns.key) for name, kind in campaigns.columns],
        Column("raw", json_type(), nullable=False),
        Column("synced_at", DateTime(timezone=True), nullable=False),
    )
    from sqlalchemy import BigInteger, Text

    Table(
        STATE_TABLE,
        metadata,
        Column("table_name", Text(), primary_key=True),  # without row_count
        Column("scope", Text(), primary_key=True),
        Column("resource", Text(), nullable=False),
        Column("position", BigInteger(), nullable=False),
        Column("tail", json_type(), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )
    metadata.create_all(warehouse.engine)
    then = datetime(2025, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    gone_record = {"id": 1, "campaign": "deleted long ago", "status": "Completed", "note": "only in raw"}
    with warehouse.engine.begin() as connection:
        connection.execute(legacy.insert(), [{**campaigns.row(gone_record, {}), "raw": gone_record, "synced_at": then}])
    wh = Warehouse(warehouse.engine)
    wh.table(campaigns, "snovio_campaigns")  # the migration alone
    columns = [c["name"] for c in inspect(warehouse.engine).get_columns("snovio_campaigns")]
    assert {"_snovio_raw", "_snovio_synced_at", "_snovio_deleted_at"} <= set(columns)
    assert not {"raw", "synced_at"} & set(columns)
    assert synced_at_index_name("snovio_campaigns") in {
        ix["name"] for ix in inspect(warehouse.engine).get_indexes("snovio_campaigns")
    }
    assert "row_count" in {c["name"] for c in inspect(warehouse.engine).get_columns(STATE_TABLE)}

    def old_row() -> Any:
        with warehouse.engine.connect() as connection:
            return connection.execute(
                text(
                    "SELECT name, _snovio_raw, _snovio_synced_at, _snovio_deleted_at FROM snovio_campaigns WHERE id = 1"
                )
            ).one()

    row = old_row()
    assert row.name == "deleted long ago" and row._snovio_deleted_at is None
    assert (json.loads(row._snovio_raw) if isinstance(row._snovio_raw, str) else row._snovio_raw) == gone_record
    result = sync(client, wh, resource("campaigns"), "snovio_campaigns")
    assert result.rows_deleted == 1
    row = old_row()  # kept, marked deleted: upstream no longer has it
    assert (json.loads(row._snovio_raw) if isinstance(row._snovio_raw, str) else row._snovio_raw) == gone_record
    assert row._snovio_deleted_at is not None
    with warehouse.engine.connect() as connection:
        live = {
            r[0] for r in connection.execute(text("SELECT id FROM snovio_campaigns WHERE _snovio_deleted_at IS NULL"))
        }
    assert live == campaign_ids_upstream(snovio_sandbox)


def test_an_opens_table_keyed_without_the_event_time_is_kept_aside_and_read_again(warehouse, snovio_sandbox, client):
    """Before opens and clicks were keyed by event time too, their tables had the key (campaign_id, id): the
    upsert on the new key would be refused there. The old table is kept under another name (nothing lost)
    and a table with the new key is read from the start."""
    snovio_sandbox.configure(**SMALL)
    opens = resource("campaign_opens")
    metadata = MetaData()
    legacy = Table(
        "snovio_campaign_opens",
        metadata,
        *[Column(name, _sql_type(kind), primary_key=name in ("campaign_id", "id")) for name, kind in opens.columns],
        Column("raw", json_type(), nullable=False),
        Column("synced_at", DateTime(timezone=True), nullable=False),
    )
    metadata.create_all(warehouse.engine)
    from datetime import datetime, timezone

    old = {
        "campaign_id": 1,
        "id": "old-open",
        "raw": {"id": "old-open"},
        "synced_at": datetime(2025, 1, 2, tzinfo=timezone.utc),
    }
    with warehouse.engine.begin() as connection:
        connection.execute(legacy.insert(), [old])
    upstream = {cid: set(found) for cid, found in upstream_ids(snovio_sandbox, "opens").items() if found}
    assert upstream

    result = sync(client, Warehouse(warehouse.engine), opens, "snovio_campaign_opens")
    assert result.rows_written == sum(len(found) for found in upstream.values())
    key = inspect(warehouse.engine).get_pk_constraint("snovio_campaign_opens")["constrained_columns"]
    assert set(key) == set(opens.key) and "visited_at" in key
    assert ids(warehouse.engine, "snovio_campaign_opens") == upstream
    with warehouse.engine.connect() as connection:  # the old rows, untouched
        kept = connection.execute(text("SELECT id FROM snovio_campaign_opens_prior_key")).scalars().all()
    assert kept == ["old-open"]
    again = sync(client, Warehouse(warehouse.engine), opens, "snovio_campaign_opens")  # the new table stays
    assert again.rows_written == 0 and ids(warehouse.engine, "snovio_campaign_opens") == upstream

"""The warehouse sync on DuckDB (a file) and MySQL / MariaDB (a private MariaDB server), over real HTTP.

Each engine runs the same scenarios, compared with what the sandbox serves (never with copied numbers):
campaign_replies (offset reading) through new events, deletions, a rerun and a sync killed mid-run;
recipient_activity (window reading) through new, late and deleted events; campaigns (a snapshot) through
a campaign deleted upstream; and one SnovioToSqlOperator run through an Airflow connection of type
``duckdb`` (host = the file) or ``mysql``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from airflow_provider_snovio.api.resources import RESOURCES, activity_span, resource
from airflow_provider_snovio.transfers import SnovioToSqlOperator
from airflow_provider_snovio.transfers.warehouse import Warehouse, sync
from tests.warehouse.conftest import SQL_CONN_ID, upstream_ids
from tests.warehouse.test_recipient_activity import (
    CAMPAIGNS,
    END1,
    END2,
    END3,
    HISTORY,
    LOOKBACK,
    UTC,
    A,
    change_upstream,
    table_keys,
    truth,
    unix,
)
from tests.warehouse.test_sync import TABLE, row_count, snapshot, stored

ACTIVITY = RESOURCES["recipient_activity"]


def test_replies_exact_through_new_events_deletions_and_a_rerun(engine_warehouse, snovio_sandbox, client):
    upstream = upstream_ids(snovio_sandbox, "replies")
    # every campaign but the 25,500-reply one (read in full by the crash test): the 10,000-reply campaign
    # is exactly one page, so a page boundary is crossed
    campaign_ids = [cid for cid, ids in upstream.items() if len(ids) != 25_500]
    exact = next(cid for cid, ids in upstream.items() if len(ids) == 10_000)
    wh = Warehouse(engine_warehouse.engine)
    replies = resource("campaign_replies")

    first = sync(client, wh, replies, TABLE, campaign_ids=campaign_ids)
    expected = {cid: set(upstream[cid]) for cid in campaign_ids if upstream[cid]}
    assert stored(engine_warehouse.engine) == expected
    assert row_count(engine_warehouse.engine) == first.rows_written == sum(len(ids) for ids in expected.values())
    before = snapshot(engine_warehouse.engine)

    again = sync(client, wh, replies, TABLE, campaign_ids=campaign_ids)  # a rerun: nothing written, same rows
    assert again.rows_written == 0 and again.reread_scopes == []
    assert snapshot(engine_warehouse.engine) == before

    added = snovio_sandbox.append_events(exact, "replies", 3)["ids"]
    third = sync(client, wh, replies, TABLE, campaign_ids=campaign_ids)
    assert third.rows_written == 3
    assert set(added) <= stored(engine_warehouse.engine)[exact]

    small = next(cid for cid in campaign_ids if 0 < len(upstream[cid]) < 1000)
    gone = snovio_sandbox.delete_events(small, "replies", offset=2, count=2)["ids"]
    fourth = sync(client, wh, replies, TABLE, campaign_ids=campaign_ids)
    assert fourth.reread_scopes == [f"campaign_id={small}"]
    now = upstream_ids(snovio_sandbox, "replies")
    assert stored(engine_warehouse.engine) == {cid: set(now[cid]) for cid in campaign_ids if now[cid]}
    assert stored(engine_warehouse.engine, deleted=True) == {small: set(gone)}


#: The child of the crash test: syncs the big campaign and says "committed <position>" after each page's
#: transaction (its first page's position) - so the parent kills it while the next page is in flight,
#: whether or not it can open the database meanwhile (DuckDB: one process per file).
CHILD = """
import sys
from sqlalchemy import create_engine
from airflow_provider_snovio.api.client import ClientConfig, SnovioClient
from airflow_provider_snovio.api.resources import resource
from airflow_provider_snovio.transfers.warehouse import Warehouse, sync
base_url, client_id, secret, db_url, campaign_id = sys.argv[1:6]
client = SnovioClient(ClientConfig(client_id=client_id, client_secret=secret, base_url=base_url,
                                   requests_per_minute=100000))
warehouse = Warehouse(create_engine(db_url))
write_page = warehouse.write_page
def reporting(table, resource, scope_values, page, *args, **kwargs):
    done = write_page(table, resource, scope_values, page, *args, **kwargs)
    print("committed", page.position.offset if page.position else -1, flush=True)
    return done
warehouse.write_page = reporting
sync(client, warehouse, resource("campaign_replies"), "snovio_campaign_replies", campaign_ids=[int(campaign_id)])
"""


def test_killed_mid_sync_resumes_complete_and_duplicate_free(engine_warehouse, snovio_sandbox, client, tmp_path):
    """Killed (SIGKILL) while its second page is in flight: the first page and its position were committed
    together, and the next sync resumes there - complete, without duplicates, without re-reading."""
    upstream = upstream_ids(snovio_sandbox, "replies")
    big = next(cid for cid, ids in upstream.items() if len(ids) == 25_500)
    engine_warehouse.engine.dispose()  # DuckDB: the child must be able to open the file
    snovio_sandbox.configure(latency_ms=1500)
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    args = [snovio_sandbox.base_url, snovio_sandbox.client_id, snovio_sandbox.client_secret, engine_warehouse.url]
    child = subprocess.Popen(
        [sys.executable, str(script), *args, str(big)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        assert child.stdout is not None
        line = ""
        while not line.startswith("committed "):  # log lines first; then the first page has committed
            line = child.stdout.readline().decode()
            assert line, child.communicate()
        child.send_signal(signal.SIGKILL)  # the second page's request is in flight (1.5 s latency)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(30)
    assert child.returncode == -signal.SIGKILL
    committed = int(line.split()[1])
    time.sleep(1.6)  # the request in flight ends at the sandbox
    snovio_sandbox.configure(latency_ms=0)
    with engine_warehouse.engine.connect() as connection:
        position = connection.execute(
            text("SELECT MAX(position) FROM snovio_sync_state WHERE scope = :scope"), {"scope": f"campaign_id={big}"}
        ).scalar_one()
    assert position == committed == 10_000  # the first page and its position, nothing of the second
    assert row_count(engine_warehouse.engine) == position
    resumed = sync(client, Warehouse(engine_warehouse.engine), resource("campaign_replies"), TABLE, campaign_ids=[big])
    assert resumed.reread_scopes == []
    assert resumed.rows_written == 25_500 - position  # resumed after the committed page, not from scratch
    assert stored(engine_warehouse.engine) == {big: set(upstream[big])}
    with engine_warehouse.engine.connect() as connection:
        rows, keys = connection.execute(text(f"SELECT COUNT(*), COUNT(DISTINCT id) FROM {TABLE}")).one()
    assert rows == keys == 25_500


def test_recipient_activity_exact_through_new_late_and_deleted_events(engine_warehouse, snovio_sandbox, client):
    wh = Warehouse(engine_warehouse.engine)

    def run(end: Any) -> dict[str, Any]:
        span = activity_span(client, end, LOOKBACK, HISTORY)
        return sync(client, wh, ACTIVITY, "snovio_recipient_activity", campaign_ids=CAMPAIGNS, span=span).as_xcom()

    run(END1)
    assert table_keys(engine_warehouse.engine) == (set(truth(snovio_sandbox, END1)), 0)
    added = snovio_sandbox.add_activity(A, "opens", unix(datetime(2025, 10, 9, 12, tzinfo=UTC)), recipient=3)
    assert added["added"] == 1  # a new event after END1 (the open step 3 deletes, inside the lookback)
    run(END2)
    assert table_keys(engine_warehouse.engine) == (set(truth(snovio_sandbox, END2)), 0)
    change_upstream(snovio_sandbox)  # a late event, three identical clicks, a deleted open
    third = run(END3)
    assert table_keys(engine_warehouse.engine) == (set(truth(snovio_sandbox, END3)), 1)
    assert third["rows_deleted"] == 1
    again = run(END3)
    assert table_keys(engine_warehouse.engine) == (set(truth(snovio_sandbox, END3)), 1)
    assert again["rows_deleted"] == 0


def test_campaigns_snapshot_and_the_operator_through_an_airflow_connection(engine_warehouse, snovio_conn_env):
    """SnovioToSqlOperator on a ``duckdb`` / ``mysql`` connection: every campaign; one deleted upstream is
    marked deleted on the next run."""
    op = SnovioToSqlOperator(task_id="campaigns", resource="campaigns", sql_conn_id=SQL_CONN_ID)
    ids = {c.id for c in snovio_conn_env.state.data.campaigns.campaigns}
    first = op.execute({})
    assert first["rows_written"] == len(ids)

    def live() -> tuple[set[int], set[int]]:
        with engine_warehouse.engine.connect() as connection:
            rows = connection.execute(text("SELECT id, _snovio_deleted_at FROM snovio_campaigns")).all()
        engine_warehouse.engine.dispose()  # DuckDB: one process has the file; the operator opens it next
        return {int(r[0]) for r in rows if r[1] is None}, {int(r[0]) for r in rows if r[1] is not None}

    assert live() == (ids, set())
    victim = sorted(ids)[0]
    snovio_conn_env.delete_campaign(victim)
    second = op.execute({})
    assert second["rows_deleted"] == 1
    assert live() == (ids - {victim}, {victim})


HOLDER = """
import sys, duckdb
connection = duckdb.connect(sys.argv[1])
print("open", flush=True)
sys.stdin.readline()  # holds the file until told (or its stdin closes)
connection.close()
"""


def test_a_duckdb_file_another_process_holds_is_waited_for_then_refused_by_name(tmp_path):
    """Parallel tasks on one DuckDB file: the second waits for the first to let go of the file (DuckDB's
    lock is per process), and past the connection's ``lock_timeout`` fails with an error saying why."""
    import threading

    from airflow.models import Connection
    from sqlalchemy import text as sql_text

    from airflow_provider_snovio.api.errors import SnovioConfigError
    from airflow_provider_snovio.transfers.engines.duckdb import engine_of_connection

    path = tmp_path / "held.duckdb"
    script = tmp_path / "holder.py"
    script.write_text(HOLDER)

    def connection(timeout: float) -> Connection:
        return Connection(conn_id="d", conn_type="duckdb", host=str(path), extra=f'{{"lock_timeout": {timeout}}}')

    def hold() -> subprocess.Popen[bytes]:
        holder = subprocess.Popen(
            [sys.executable, str(script), str(path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE
        )
        assert holder.stdout is not None and holder.stdout.readline() == b"open\n"
        return holder

    holder = hold()
    engine = engine_of_connection(connection(30))
    released = threading.Event()

    def release() -> None:
        released.set()
        assert holder.stdin is not None
        holder.stdin.close()

    threading.Timer(1.0, release).start()
    with engine.connect() as opened:  # waits for the holder to close the file
        assert released.is_set()
        assert opened.execute(sql_text("SELECT 42")).scalar_one() == 42
    assert holder.wait(10) == 0
    engine.dispose()

    holder = hold()
    try:
        with pytest.raises(SnovioConfigError, match="stayed locked by another process"):
            engine_of_connection(connection(0.5)).connect()
    finally:
        holder.kill()
        holder.wait(10)


def test_mysql_scope_lock_excludes_a_second_writer_until_the_first_transaction_ends(mariadb_server, monkeypatch):
    """The scope's GET_LOCK is held for the page's whole transaction: a second writer of the same table and
    scope waits, and gets it once the first transaction has ended; another scope is not held up."""
    from sqlalchemy import create_engine

    from airflow_provider_snovio.api.errors import SnovioConfigError
    from airflow_provider_snovio.transfers.engines import mysql

    monkeypatch.setattr(mysql, "LOCK_TIMEOUT_S", 1)
    first, second = create_engine(mariadb_server), create_engine(mariadb_server)
    one, two = Warehouse(first), Warehouse(second)
    try:
        with one.transaction("t", "campaign_id=1") as held:
            held.execute(text("SELECT 1"))
            waiting = two.transaction("t", "campaign_id=1")
            with pytest.raises(SnovioConfigError, match="another writer held the sync lock"), waiting:
                pass
            with two.transaction("t", "campaign_id=2") as other:  # another scope: not held up
                assert other.execute(text("SELECT 2")).scalar_one() == 2
        with two.transaction("t", "campaign_id=1") as after:  # released with the transaction
            assert after.execute(text("SELECT 3")).scalar_one() == 3
    finally:
        first.dispose()
        second.dispose()

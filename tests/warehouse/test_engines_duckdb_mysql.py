"""The warehouse sync on DuckDB (a file) and MySQL / MariaDB (a private MariaDB server), over real HTTP.

Each engine runs the same scenarios, compared with what the sandbox serves (never with copied numbers):
campaign_replies (offset reading) through new events, deletions and a rerun;
recipient_activity (window reading) through new, late and deleted events; campaigns (a snapshot) through
a campaign deleted upstream; and one SnovioToSqlOperator run through an Airflow connection of type
``duckdb`` (host = the file) or ``mysql``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

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

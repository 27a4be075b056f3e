"""The warehouse sync on Snowflake, run on fakesnow (Snowflake SQL executed by DuckDB in-process).

Exactness is checked against what the sandbox serves, as ``test_sync.py`` does on SQLite and PostgreSQL:
through new events, deletions upstream, a crash in the middle of a page's transaction, and a rerun; on
campaign_replies, recipient_activity and campaigns; and one ``SnovioToSqlOperator`` run through an Airflow
connection of type ``snowflake``. What fakesnow does not model (Snowflake's table locks between sessions,
real ``VARIANT`` storage) is listed in docs/warehouse.md.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import fakesnow
import pytest
from sqlalchemy import create_engine, text

from airflow_provider_snovio.api.resources import resource
from airflow_provider_snovio.transfers import SnovioToSqlOperator
from airflow_provider_snovio.transfers.engines import snowflake as sf
from airflow_provider_snovio.transfers.sql import table_asset_uri
from airflow_provider_snovio.transfers.warehouse import STATE_TABLE, Warehouse, sync
from tests.warehouse.conftest import upstream_ids
from tests.warehouse.test_recipient_activity import (
    ACTIVITY,
    CAMPAIGNS,
    END1,
    END2,
    END3,
    HISTORY,
    LOOKBACK,
    change_upstream,
    table_keys,
    truth,
    unix,
)
from tests.warehouse.test_sync import stored

TABLE = "snovio_campaign_replies"
ACTIVITY_TABLE = "snovio_recipient_activity"
UTC = timezone.utc


@pytest.fixture
def snow() -> Iterator[Any]:
    """A fresh fakesnow database ``snovio`` with schema ``analytics``, as a SQLAlchemy engine."""
    with fakesnow.patch():
        engine = create_engine("snowflake://user:secret@account/snovio/analytics")
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE DATABASE IF NOT EXISTS snovio")
            connection.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS snovio.analytics")
        try:
            yield engine
        finally:
            engine.dispose()


def test_replies_exact_through_new_events_deletions_a_crash_and_a_rerun(snow, snovio_sandbox, client, monkeypatch):
    upstream = upstream_ids(snovio_sandbox, "replies")
    campaign_ids = [cid for cid, ids in upstream.items() if 0 < len(ids) < 2_000]
    wh = Warehouse(snow)
    replies = resource("campaign_replies")

    first = sync(client, wh, replies, TABLE, campaign_ids=campaign_ids)
    expected = {cid: set(upstream[cid]) for cid in campaign_ids}
    assert stored(snow) == expected
    assert first.rows_written == sum(len(ids) for ids in expected.values())
    with snow.connect() as connection:  # the raw record is a VARIANT: its fields are queryable
        same = connection.execute(text(f"SELECT COUNT(*) FROM {TABLE} WHERE _snovio_raw:id::TEXT = id")).scalar_one()
        assert same == first.rows_written
        assert connection.execute(text(f"SELECT COUNT(*) FROM {sf.stage_name(TABLE)}")).scalar_one() == 0

    # new events in one campaign, two deleted in another (before its stored position: it is re-read)
    grow = max(campaign_ids, key=lambda cid: len(upstream[cid]))
    small = next(cid for cid in campaign_ids if 5 < len(upstream[cid]) < 1000)
    added = snovio_sandbox.append_events(grow, "replies", 9)["ids"]
    gone = snovio_sandbox.delete_events(small, "replies", offset=1, count=2)["ids"]

    # a crash inside a page's transaction (after the rows, before the state row): nothing of it stays
    from airflow_provider_snovio.transfers import sync_state

    real_store = sync_state.store

    def crash(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("killed between the page's rows and the commit")

    monkeypatch.setattr(sync_state, "store", crash)
    with pytest.raises(RuntimeError, match="killed"):
        sync(client, wh, replies, TABLE, campaign_ids=[grow])
    assert stored(snow)[grow] == expected[grow]  # the merged page was rolled back with the failed state row
    monkeypatch.setattr(sync_state, "store", real_store)

    second = sync(client, wh, replies, TABLE, campaign_ids=campaign_ids)
    now = upstream_ids(snovio_sandbox, "replies")
    assert stored(snow) == {cid: set(now[cid]) for cid in campaign_ids}
    assert set(added) <= stored(snow)[grow]
    assert stored(snow, deleted=True) == {small: set(gone)}
    assert second.reread_scopes == [f"campaign_id={small}"]

    # a rerun: nothing written, nothing changes
    before = _snapshot(snow)
    third = sync(client, wh, replies, TABLE, campaign_ids=campaign_ids)
    assert third.rows_written == 0 and _snapshot(snow) == before
    with snow.connect() as connection:
        owner = connection.execute(
            text(f"SELECT resource FROM {STATE_TABLE} WHERE table_name = '{TABLE}' AND scope = '#table'")
        ).all()
    assert [tuple(row) for row in owner] == [("campaign_replies",)]


def test_recipient_activity_exact_through_new_late_and_deleted_events_and_a_rerun(snow, snovio_sandbox, client):
    from airflow_provider_snovio.api.resources import activity_span

    wh = Warehouse(snow)

    def run(end: datetime) -> dict[str, Any]:
        span = activity_span(client, end, LOOKBACK, HISTORY)
        return sync(client, wh, ACTIVITY, ACTIVITY_TABLE, campaign_ids=CAMPAIGNS, span=span).as_xcom()

    run(END1)  # several windows per campaign
    assert table_keys(snow) == (set(truth(snovio_sandbox, END1)), 0)
    snovio_sandbox.add_activity(CAMPAIGNS[0], "opens", unix(datetime(2025, 10, 9, 12, tzinfo=UTC)), recipient=3)
    run(END2)
    assert table_keys(snow) == (set(truth(snovio_sandbox, END2)), 0)
    change_upstream(snovio_sandbox)  # a late event in the lookback, one deleted in it, three identical ones
    third = run(END3)
    expected = set(truth(snovio_sandbox, END3))
    assert table_keys(snow) == (expected, 1) and third["rows_deleted"] == 1
    before = _snapshot(snow, ACTIVITY_TABLE)
    run(END3)  # the same run again
    assert table_keys(snow) == (expected, 1) and _snapshot(snow, ACTIVITY_TABLE) == before


def _snapshot(engine: Any, table: str = TABLE) -> list[tuple[str, ...]]:
    with engine.connect() as connection:
        result = connection.execute(text(f"SELECT * FROM {table}"))
        names = list(result.keys())
        rows = []
        for row in result:
            values = dict(zip(names, row, strict=True))
            values.pop("_snovio_synced_at")
            values["_snovio_raw"] = json.dumps(json.loads(values["_snovio_raw"]), sort_keys=True)
            rows.append(tuple(sorted((k, str(v)) for k, v in values.items())))
    return sorted(rows)


def test_campaigns_snapshot_and_the_operator_through_a_snowflake_connection(snow, snovio_conn_env, monkeypatch):
    """A connection of type ``snowflake`` (account, database, schema as the Snowflake provider names them):
    the operator builds the engine, syncs ``campaigns`` exactly, and a campaign deleted upstream is marked."""
    monkeypatch.setenv(
        "AIRFLOW_CONN_SNOW",
        json.dumps(
            {
                "conn_type": "snowflake",
                "login": "user",
                "password": "secret-password",
                "schema": "analytics",
                "extra": {"account": "account", "database": "snovio", "warehouse": "wh"},
            }
        ),
    )
    with snovio_conn_env.state.lock:
        upstream = {camp.id for camp in snovio_conn_env.state.data.campaigns.campaigns}
    op = SnovioToSqlOperator(task_id="campaigns", resource="campaigns", sql_conn_id="snow")
    first = op.execute({})
    assert first["rows_written"] == len(upstream)
    with snow.connect() as connection:
        ids = {
            int(row[0])
            for row in connection.execute(text("SELECT id FROM snovio_campaigns WHERE _snovio_deleted_at IS NULL"))
        }
    assert ids == upstream
    assert op.execute({})["rows_written"] == len(upstream)  # a snapshot: rewritten, not duplicated
    assert table_asset_uri(op.get_engine().url, None, "snovio_campaigns") == (
        "snowflake://account/snovio/analytics/snovio_campaigns"
    )
    assert op.get_openlineage_facets_on_complete(None).outputs[0].namespace == "snowflake://account"
    with snow.connect() as connection:
        assert connection.execute(text("SELECT COUNT(*) FROM snovio_campaigns")).scalar_one() == len(upstream)


def test_endpoint_extras_reach_the_connector_of_a_fakesnow_server():
    """The extras ``host``, ``port`` (as the connection form stores it: text) and ``protocol`` take the engine
    built from a ``snowflake`` connection to a fakesnow server over plain HTTP; without them it would go to
    ``https://<account>.snowflakecomputing.com``. ``make test-wheel`` runs a whole sync this way on connector 5."""
    from airflow.models.connection import Connection

    with fakesnow.server() as kwargs:
        extra = {"account": "fakesnow", "database": "snovio", "host": kwargs["host"], "port": str(kwargs["port"])}
        conn = Connection(
            conn_id="snow_server",
            conn_type="snowflake",
            login="fake",
            password="snow",
            extra=json.dumps(extra | {"protocol": kwargs["protocol"]}),
        )
        assert sf.endpoint_args(conn.extra_dejson) == {"host": "127.0.0.1", "port": kwargs["port"], "protocol": "http"}
        engine = sf.engine_from_connection(conn)
        try:
            with engine.connect() as connection:
                assert connection.exec_driver_sql("SELECT 'through the server'").scalar_one() == "through the server"
        finally:
            engine.dispose()


def test_endpoint_extras_absent_or_invalid():
    from airflow_provider_snovio.api.errors import SnovioValidationError

    assert sf.endpoint_args({"account": "acme", "host": "", "port": None}) == {}
    with pytest.raises(SnovioValidationError, match="'port' is not a number"):
        sf.endpoint_args({"port": "https"})

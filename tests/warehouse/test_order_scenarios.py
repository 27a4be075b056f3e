"""Issue 14 scenarios: the SQL transfer stays exact when Snov.io is less kind than the sandbox's default.

Through ``SnovioToSqlOperator`` (real HTTP to the sandbox, real SQLite and PostgreSQL), in BOTH event orders
(sandbox knob ``newest_first_events``), with repeated opens sharing an id (``shared_event_ids``), the table
must equal what the sandbox serves - same keys, same row count - after each of: the first sync, a sync with
nothing new, new events, late events inserted by event time, deletions between runs, and deletions during a
multi-page read (an armed one-shot deletion fires after the first page). The request counts of the
incremental cases are printed and bounded.

Small data knobs (a big campaign of 12,000 replies, so replies and sent e-mails take two pages) keep each
case to seconds.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

import pytest
from sqlalchemy import inspect, select

from airflow_provider_snovio.api.catalogue import OFFSET_PAGE_SIZE
from airflow_provider_snovio.api.resources import resource
from airflow_provider_snovio.transfers import SnovioToSqlOperator
from airflow_provider_snovio.transfers.warehouse import Warehouse
from tests.warehouse.conftest import SQL_CONN_ID, requests_of

KNOBS = {"campaigns": 4, "big_campaign_replies": 12_000, "exact_campaign_replies": 150, "small_campaign_events": 60,
         "shared_event_ids": True}
#: resource -> (sandbox kind, endpoint counted by the sandbox)
CASES = {
    "campaign_replies": ("replies", "GET /v1/get-emails-replies"),
    "emails_sent": ("sent", "GET /v1/emails-sent"),
    "campaign_opens": ("opens", "GET /v1/get-emails-opened"),
}


def _utc(value: Any) -> Any:
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)
    return value


def served_keys(client: Any, res: Any, campaign_ids: list[int]) -> list[tuple[Any, ...]]:
    """Every key the sandbox serves now (read page by page, as served), one per row served."""
    method = getattr(client, res.method)
    keys: list[tuple[Any, ...]] = []
    for cid in campaign_ids:
        offset = 0
        while True:
            rows = method(cid, offset=offset) or []
            for row in rows:
                key = [cid, str(row["id"])]
                if res.time_in_key:
                    key.append(_utc(res.time_of(row)))
                keys.append(tuple(key))
            if len(rows) < OFFSET_PAGE_SIZE:
                break
            offset += len(rows)
    return keys


def stored_keys(engine: Any, res: Any, table_name: str) -> list[tuple[Any, ...]]:
    """The table's keys (rows soft-deleted by a later version - ``_snovio_deleted_at`` set - are not there)."""
    table = Warehouse(engine).table(res, table_name)
    query = select(*(table.c[name] for name in res.key))
    if "_snovio_deleted_at" in {column["name"] for column in inspect(engine).get_columns(table_name)}:
        from sqlalchemy import column

        query = query.where(column("_snovio_deleted_at").is_(None))
    with engine.connect() as connection:
        return [(int(row[0]), str(row[1]), *(_utc(value) for value in row[2:])) for row in connection.execute(query)]


def run(name: str, table: str) -> dict[str, Any]:
    """One run of the SQL transfer, as a task would (a new operator each time)."""
    return SnovioToSqlOperator(task_id=f"sync_{table}", resource=name, sql_conn_id=SQL_CONN_ID,
                               table=table).execute({})


@pytest.mark.parametrize("newest_first", [False, True], ids=["oldest_first", "newest_first"])
@pytest.mark.parametrize("name", list(CASES))
def test_the_table_equals_the_sandbox_after_every_change(name, newest_first, warehouse, snovio_conn_env, client):
    sandbox = snovio_conn_env
    sandbox.configure(**KNOBS, newest_first_events=newest_first)
    res, (kind, endpoint) = resource(name), CASES[name]
    campaigns = {c.id: c for c in sandbox.state.data.campaigns.campaigns}
    ids = list(campaigns)
    big = ids[0]
    small = next(cid for cid, camp in campaigns.items() if 0 < len(getattr(camp, kind)) < 1000)
    table = f"t_{name}"

    def check(step: str, xcom: dict[str, Any], table_name: str = table) -> None:
        served = served_keys(client, res, ids)
        stored = stored_keys(warehouse.engine, res, table_name)
        assert len(stored) == len(set(stored)), step
        assert set(stored) == set(served), f"{step}: {len(set(served) - set(stored))} missing, " \
                                           f"{len(set(stored) - set(served))} not upstream"
        assert len(stored) == len(set(served)), step
        print(f"{name} {'newest' if newest_first else 'oldest'}-first {warehouse.dialect} {step}: "
              f"{len(stored)} rows, xcom {xcom}")

    def requests(step: str, action: Any) -> tuple[dict[str, Any], int]:
        before = requests_of(sandbox, endpoint)
        xcom = action()
        spent = requests_of(sandbox, endpoint) - before
        print(f"{name} {'newest' if newest_first else 'oldest'}-first {warehouse.dialect} {step}: {spent} requests "
              f"for {len(ids)} campaigns")
        return xcom, spent

    # Big campaign larger than a page (opens: top it up), so reads of it take several pages.
    missing = OFFSET_PAGE_SIZE + 500 - len(getattr(campaigns[big], kind))
    if missing > 0:
        sandbox.append_events(big, kind, missing)
    pages_of_big = -(-(len(getattr(sandbox.state.data.campaigns.by_id(big), kind)) + 1) // OFFSET_PAGE_SIZE)
    assert pages_of_big >= 2
    # One request per campaign; newest first, a campaign bigger than a page also needs its tail checked.
    steady = len(ids) + (1 if newest_first else 0)

    first, _ = requests("first sync", lambda: run(name, table))
    check("first sync", first)
    if name == "campaign_opens":  # the knob is on: repeated opens share an id, the time keeps them apart
        served_ids = [key[:2] for key in served_keys(client, res, ids)]
        assert len(set(served_ids)) < len(served_ids)

    xcom, spent = requests("nothing new", lambda: run(name, table))
    check("nothing new", xcom)
    assert spent == steady and xcom["rows_written"] == 0 and xcom["reread_scopes"] == []

    sandbox.append_events(big, kind, 3)
    sandbox.append_events(small, kind, 2)
    xcom, spent = requests("a handful new", lambda: run(name, table))
    check("a handful new", xcom)
    assert spent == steady and xcom["rows_written"] == 5 and xcom["reread_scopes"] == []

    sandbox.insert_late_events(small, kind, 2, after_offset=3)
    sandbox.insert_late_events(big, kind, 1, after_offset=100)
    xcom, spent = requests("late inserts", lambda: run(name, table))
    check("late inserts", xcom)
    assert sorted(xcom["reread_scopes"]) == sorted([f"campaign_id={small}", f"campaign_id={big}"])

    sandbox.delete_events(small, kind, offset=5, count=2)
    sandbox.delete_events(big, kind, offset=7, count=3)
    xcom, spent = requests("deletions between runs", lambda: run(name, table))
    check("deletions between runs", xcom)
    assert sorted(xcom["reread_scopes"]) == sorted([f"campaign_id={small}", f"campaign_id={big}"])

    xcom, spent = requests("nothing new again", lambda: run(name, table))
    check("nothing new again", xcom)
    assert spent == steady and xcom["rows_written"] == 0

    # Deletions during a multi-page read: a fresh table's first read of the big campaign; after its first page
    # is served, 4 events the page already covered are deleted upstream (oldest-first positions: 5..8 oldest
    # first, newest first the events served at 5..8), which shifts the second page.
    total = len(getattr(sandbox.state.data.campaigns.by_id(big), kind))
    at = total - 9 if newest_first else 5
    sandbox.arm_deletion(big, kind, offset=at, count=4, after_pages=1)
    fresh = f"{table}_2"
    xcom, spent = requests("deletions during a multi-page read", lambda: run(name, fresh))
    armed = sandbox.armed()
    assert armed["pending"] == [] and len(armed["fired"]) == 1 and len(armed["fired"][0]["ids"]) == 4
    check("deletions during a multi-page read", xcom, fresh)
    gone = set(armed["fired"][0]["ids"])
    assert not gone & {key[1] for key in stored_keys(warehouse.engine, res, fresh)}
    assert spent > pages_of_big + len(ids) - 1  # the big campaign was re-read after the shift was noticed
    # ... and the incremental table notices the same deletions on its next run.
    xcom, _ = requests("after the mid-read deletions", lambda: run(name, table))
    check("after the mid-read deletions", xcom)

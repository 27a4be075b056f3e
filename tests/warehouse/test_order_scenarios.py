"""Issue 14 scenarios: the SQL transfer stays exact when Snov.io is less kind than the sandbox's default.

Through ``SnovioToSqlOperator`` (real HTTP to the sandbox, real SQLite and PostgreSQL), in BOTH event orders
(sandbox knob ``newest_first_events``), with repeated opens sharing an id (``shared_event_ids``), the table
must equal what the sandbox serves - same keys, same row count - after each of: the first sync, a sync with
nothing new, new events, late events inserted by event time, deletions between runs, and deletions during a
multi-page read (an armed one-shot deletion fires after the first page). The request counts of the
incremental cases are printed and bounded.

Small data knobs keep each case to seconds: every campaign fits in one page for the between-runs cases; the
multi-page cases use one campaign just over a page (10,000 rows), of replies and of opens.
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

KNOBS = {
    "campaigns": 4,
    "big_campaign_replies": 400,
    "exact_campaign_replies": 150,
    "small_campaign_events": 60,
    "shared_event_ids": True,
}
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
    return SnovioToSqlOperator(task_id=f"sync_{table}", resource=name, sql_conn_id=SQL_CONN_ID, table=table).execute({})


class Scenario:
    """One resource and order against one warehouse: runs the transfer, compares, counts requests."""

    def __init__(self, name: str, newest_first: bool, warehouse: Any, sandbox: Any, client: Any) -> None:
        self.name, self.newest_first, self.warehouse, self.sandbox, self.client = (
            name,
            newest_first,
            warehouse,
            sandbox,
            client,
        )
        sandbox.configure(**KNOBS, newest_first_events=newest_first)
        self.res = resource(name)
        self.kind, self.endpoint = CASES[name]
        self.ids = [c.id for c in sandbox.state.data.campaigns.campaigns]
        self.label = f"{name} {'newest' if newest_first else 'oldest'}-first {warehouse.dialect}"

    def events(self, campaign_id: int) -> int:
        return len(getattr(self.sandbox.state.data.campaigns.by_id(campaign_id), self.kind))

    def run(self, step: str, table: str) -> tuple[dict[str, Any], int]:
        """Run the transfer into ``table``, check the table equals what is served; (XCom, requests spent)."""
        before = requests_of(self.sandbox, self.endpoint)
        xcom = run(self.name, table)
        spent = requests_of(self.sandbox, self.endpoint) - before
        served = served_keys(self.client, self.res, self.ids)
        stored = stored_keys(self.warehouse.engine, self.res, table)
        assert len(stored) == len(set(stored)), step
        assert set(stored) == set(served), (
            f"{self.label} {step}: {len(set(served) - set(stored))} missing, "
            f"{len(set(stored) - set(served))} not upstream"
        )
        assert len(stored) == len(set(served)), step
        print(
            f"{self.label} {step}: {spent} requests for {len(self.ids)} campaigns, {len(stored)} rows, "
            f"reread {xcom['reread_scopes']}, key_collisions {xcom['key_collisions']}"
        )
        return xcom, spent


@pytest.mark.parametrize("newest_first", [False, True], ids=["oldest_first", "newest_first"])
@pytest.mark.parametrize("name", list(CASES))
def test_the_table_equals_the_sandbox_after_every_change_between_runs(
    name, newest_first, warehouse, snovio_conn_env, client
):
    case = Scenario(name, newest_first, warehouse, snovio_conn_env, client)
    sandbox, kind, table = snovio_conn_env, case.kind, f"t_{name}"
    big = case.ids[0]
    small = next(cid for cid in case.ids if 0 < case.events(cid) < 100)
    assert max(case.events(cid) for cid in case.ids) < OFFSET_PAGE_SIZE  # every campaign in one page

    first, spent = case.run("first sync", table)
    assert spent == len(case.ids) and first["reread_scopes"] == []
    if name == "campaign_opens":  # the knob is on: repeated opens share an id, the event time keeps them apart
        served_ids = [key[:2] for key in served_keys(client, case.res, case.ids)]
        assert len(set(served_ids)) < len(served_ids) and first["key_collisions"] == 0

    xcom, spent = case.run("nothing new", table)  # one request per campaign, in either order
    assert spent == len(case.ids) and xcom["rows_written"] == 0 and xcom["reread_scopes"] == []

    sandbox.append_events(big, kind, 3)
    sandbox.append_events(small, kind, 2)
    xcom, spent = case.run("a handful new", table)  # still one request per campaign, nothing re-read
    assert spent == len(case.ids) and xcom["rows_written"] == 5 and xcom["reread_scopes"] == []

    sandbox.insert_late_events(small, kind, 2, after_offset=3)  # by event time, inside the history
    sandbox.insert_late_events(big, kind, 1, after_offset=100)
    xcom, spent = case.run("late inserts", table)
    assert sorted(xcom["reread_scopes"]) == sorted([f"campaign_id={small}", f"campaign_id={big}"])
    assert spent == len(case.ids) + 2  # + one re-read page each

    sandbox.delete_events(small, kind, offset=5, count=2)
    sandbox.delete_events(big, kind, offset=7, count=3)
    xcom, spent = case.run("deletions between runs", table)
    assert sorted(xcom["reread_scopes"]) == sorted([f"campaign_id={small}", f"campaign_id={big}"])

    xcom, spent = case.run("nothing new again", table)
    assert spent == len(case.ids) and xcom["rows_written"] == 0


@pytest.mark.parametrize("newest_first", [False, True], ids=["oldest_first", "newest_first"])
@pytest.mark.parametrize("name", ["campaign_replies", "campaign_opens"])
def test_the_table_equals_the_sandbox_after_deletions_during_a_multi_page_read(
    name, newest_first, warehouse, snovio_conn_env, client
):
    case = Scenario(name, newest_first, warehouse, snovio_conn_env, client)
    sandbox, kind, table = snovio_conn_env, case.kind, f"t_{name}"
    big = case.ids[0]
    sandbox.append_events(big, kind, OFFSET_PAGE_SIZE + 50 - case.events(big))  # just over one page
    total = case.events(big)
    # After the first page of the big campaign is served, 4 events that page already covered are deleted
    # upstream (served at 5..8 in either order; positions count oldest first), which shifts the second page.
    sandbox.arm_deletion(big, kind, offset=total - 9 if newest_first else 5, count=4, after_pages=1)
    xcom, spent = case.run("deletions during a multi-page read", table)
    armed = sandbox.armed()
    assert armed["pending"] == [] and len(armed["fired"]) == 1 and len(armed["fired"][0]["ids"]) == 4
    assert not set(armed["fired"][0]["ids"]) & {key[1] for key in stored_keys(warehouse.engine, case.res, table)}
    assert spent == len(case.ids) + 1 + 2  # the big campaign: 2 pages, the shift noticed, 2 pages again

    # Nothing new: one request per campaign; newest first, the campaign bigger than a page also has its
    # stored last rows checked (one request more), which is what notices deletions in its middle.
    xcom, spent = case.run("nothing new", table)
    assert spent == len(case.ids) + (1 if newest_first else 0) and xcom["rows_written"] == 0

    sandbox.append_events(big, kind, 3)
    xcom, spent = case.run("a handful new", table)
    assert spent == len(case.ids) + (1 if newest_first else 0) and xcom["rows_written"] == 3
    assert xcom["reread_scopes"] == []

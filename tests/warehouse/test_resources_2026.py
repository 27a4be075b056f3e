"""The 2026 snapshot resources (all replies, campaign details, sender accounts, warm-up statistics,
do-not-email lists, pipelines and their stages) synced from the sandbox over real HTTP.

For each: a first sync equals what the sandbox holds (its data, read here, never numbers copied), a second
sync after an upstream change holds the new rows, the changed values and the soft-deleted rows exactly, and
a re-run leaves every row as it was. All replies and warm-up statistics run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from airflow_provider_snovio.api import records as r
from airflow_provider_snovio.api.resources import RESOURCES
from airflow_provider_snovio.sandbox.data import pipelines as pipeline_data
from airflow_provider_snovio.sandbox.data import recipients as recipient_data
from airflow_provider_snovio.sandbox.data.senders import STATS_SECONDS, day_of, day_statistics
from airflow_provider_snovio.sandbox.routes.senders import senders_of
from airflow_provider_snovio.transfers import SnovioToSqlOperator
from airflow_provider_snovio.transfers.object_storage import sync_to_storage
from airflow_provider_snovio.transfers.storage import open_store
from airflow_provider_snovio.transfers.warehouse import Warehouse, sync
from tests.warehouse.conftest import SQL_CONN_ID, requests_of
from tests.warehouse.test_object_storage_sync import Files
from tests.warehouse.test_sync import snapshot

ALL_REPLIES = "GET /v2/campaigns/{campaign_id}/all-replies"


def norm(value: Any) -> Any:
    """One spelling for both databases: timestamps as naive UTC "YYYY-MM-DD HH:MM:SS", dates ISO, bools 0/1."""
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] in " T":
        value = r.timestamp(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return int(value)
    return value


def rows(engine: Any, table: str, columns: tuple[str, ...], *, deleted: bool = False) -> set[tuple[Any, ...]]:
    """``columns`` of the live rows (``deleted``: of the rows marked deleted), normalised."""
    where = "IS NOT NULL" if deleted else "IS NULL"
    quoted = ", ".join(f'"{name}"' for name in columns)
    with engine.connect() as connection:
        result = connection.execute(text(f"SELECT {quoted} FROM {table} WHERE _snovio_deleted_at {where}"))
        return {tuple(norm(value) for value in row) for row in result}


def sqlite_engine(tmp_path: Path) -> Any:
    return create_engine(f"sqlite:///{tmp_path / 'warehouse.db'}")


# --- campaign_all_replies ---------------------------------------------------------------------------

REPLY_COLUMNS = ("campaign_id", "prospect_id", "reply_type", "received_at", "occurrence", "subject", "message")


def small_campaigns(sandbox: Any) -> list[int]:
    """Every campaign but the two with 10,000+ replies (their threads would make this test slow)."""
    return [camp.id for camp in sandbox.state.data.campaigns.campaigns if len(camp.replies) < 1000]


def expected_replies(sandbox: Any, campaign_ids: list[int]) -> set[tuple[Any, ...]]:
    """One tuple per reply of the sandbox's #73 threads (its own data), with the same-second occurrence."""
    out = set()
    with sandbox.state.lock:
        camps = [sandbox.state.data.campaigns.by_id(cid) for cid in campaign_ids]
    for camp in camps:
        for thread in recipient_data.reply_threads(camp):
            seen: Counter[str] = Counter()
            for reply in thread["replies"]:
                occurrence = seen[reply["receivedAt"]]
                seen[reply["receivedAt"]] += 1
                out.add(
                    (
                        camp.id,
                        thread["prospectId"],
                        thread["replyType"],
                        reply["receivedAt"],
                        occurrence,
                        reply["subject"] or None,
                        reply["message"],
                    )
                )
    return out


def test_all_replies_one_row_per_reply_then_exact_after_changes(warehouse, snovio_sandbox, client, monkeypatch):
    res, table = RESOURCES["campaign_all_replies"], "snovio_campaign_all_replies"
    wh = Warehouse(warehouse.engine)
    ids = small_campaigns(snovio_sandbox)
    before = expected_replies(snovio_sandbox, ids)
    assert {row[2] for row in before} == {"email", "linkedinMessage", "linkedinInvite", "linkedinInMail"}
    snovio_sandbox.configure(all_replies_page_size=7)  # several pages per campaign

    first = sync(client, wh, res, table, campaign_ids=ids)
    assert rows(warehouse.engine, table, REPLY_COLUMNS) == before
    assert first.rows_read == first.rows_written == len(before) and first.rows_skipped == 0
    # every page until the empty one (a short page does not end it: the page size is not documented)
    threads = {cid: len(recipient_data.reply_threads(snovio_sandbox.state.data.campaigns.by_id(cid))) for cid in ids}
    assert requests_of(snovio_sandbox, ALL_REPLIES) == sum(-(-n // 7) + 1 for n in threads.values())

    # Upstream: new e-mail replies in one campaign, the oldest reply of another gone, LinkedIn messages edited.
    grow, shrink = [cid for cid in ids if threads[cid]][:2]
    snovio_sandbox.append_events(grow, "replies", 3)
    snovio_sandbox.delete_events(shrink, "replies", offset=0, count=1)
    edited = tuple(f"{message} (edited)" for message in recipient_data.LINKEDIN_MESSAGES)
    monkeypatch.setattr(recipient_data, "LINKEDIN_MESSAGES", edited)
    after = expected_replies(snovio_sandbox, ids)
    key = lambda rows_: {row[:5] for row in rows_}  # noqa: E731
    gone = key(before) - key(after)
    assert key(after) - key(before) and gone and any(row[6].endswith("(edited)") for row in after)

    second = sync(client, wh, res, table, campaign_ids=ids)
    assert rows(warehouse.engine, table, REPLY_COLUMNS) == after
    assert key(rows(warehouse.engine, table, REPLY_COLUMNS, deleted=True)) == gone
    assert second.rows_deleted == len(gone)

    kept = snapshot(warehouse.engine, table)
    third = sync(client, wh, res, table, campaign_ids=ids)
    assert third.rows_deleted == 0 and snapshot(warehouse.engine, table) == kept


def test_all_replies_to_object_storage(tmp_path, snovio_sandbox, client):
    res = RESOURCES["campaign_all_replies"]
    store, base = open_store(f"file://{tmp_path}/stage")
    root = f"{base}/{res.name}"
    files = Files(store, root)
    ids = small_campaigns(snovio_sandbox)
    union_keys = lambda: {  # noqa: E731
        (k[0], k[1], k[2], norm(k[3]), k[4]) for k in files.union(res.key)
    }
    expected_keys = lambda: {row[:5] for row in expected_replies(snovio_sandbox, ids)}  # noqa: E731

    first = sync_to_storage(client, store, root, res, campaign_ids=ids)
    assert union_keys() == expected_keys() and first.rows_written == len(expected_keys())
    again = sync_to_storage(client, store, root, res, campaign_ids=ids)
    assert (again.rows_written, again.rows_deleted, again.files) == (0, 0, [])

    shrink = next(cid for cid in ids if snovio_sandbox.state.data.campaigns.by_id(cid).replies)
    before = expected_keys()
    snovio_sandbox.delete_events(shrink, "replies", offset=0, count=2)
    gone = before - expected_keys()
    changed = sync_to_storage(client, store, root, res, campaign_ids=ids)
    assert union_keys() == expected_keys() and changed.rows_deleted == len(gone) > 0
    files.check_complete()


# --- warm_up_statistics -------------------------------------------------------------------------------

WARM_UP_COLUMNS = (
    "warm_up_id",
    "date",
    "email_account_id",
    "is_calculated",
    "emails_sent",
    "replies",
    "bounces",
    "spam_emails",
    "inbox_emails",
    "categories_emails",
    "scheduled",
)


def expected_warm_ups(sandbox: Any) -> set[tuple[Any, ...]]:
    """Every day of every warm-up from its start to today, from the sandbox's own figures (none while a new
    warm-up's statistics are not calculated)."""
    state = sandbox.state
    client_today = dt.datetime.now(dt.timezone.utc).date()
    with state.lock:
        now = state.now()
        warm_ups = [dict(w) for w in senders_of(state).warm_ups.values()]
    today = day_of(now)
    out = set()
    for w in warm_ups:
        if now - w["created"] < STATS_SECONDS:
            continue
        day = dt.date.fromisoformat(w["start_date"])
        last = min(client_today, today)
        if w["campaign_deadline"]:
            last = min(last, dt.date.fromisoformat(w["campaign_deadline"]))
        while day <= last:
            s = day_statistics(w, day, today)
            out.add((w["id"], day.isoformat(), w["email_account_id"], 1, *(s[c] for c in WARM_UP_COLUMNS[4:])))
            day += dt.timedelta(days=1)
    return out


def test_warm_up_statistics_every_day_then_exact_after_changes(warehouse, snovio_sandbox, client):
    res, table = RESOURCES["warm_up_statistics"], "snovio_warm_up_statistics"
    wh = Warehouse(warehouse.engine)
    before = expected_warm_ups(snovio_sandbox)
    assert len({row[0] for row in before}) == 3

    first = sync(client, wh, res, table)
    assert rows(warehouse.engine, table, WARM_UP_COLUMNS) == before
    assert first.rows_written == len(before)

    # Upstream: warm-up 301's reply rate changes every day's replies, 302 is deleted, a new one is created.
    client.update_warm_up(301, reply_rate=45)
    client.delete_warm_up(302)
    created = client.create_warm_up(21, per_day=10, from_=2, increase=1)["data"]["id"]
    after = expected_warm_ups(snovio_sandbox)  # the new warm-up has no days yet: not calculated
    assert not any(row[0] == created for row in after)
    second = sync(client, wh, res, table)
    assert rows(warehouse.engine, table, WARM_UP_COLUMNS) == after
    deleted = rows(warehouse.engine, table, ("warm_up_id", "date"), deleted=True)
    assert deleted == {row[:2] for row in before if row[0] == 302} and second.rows_deleted == len(deleted)
    changed = {row for row in after if row[0] == 301} - before
    assert changed and {row[:2] for row in changed} <= {row[:2] for row in before}  # same days, new figures

    # Once its statistics are calculated, the new warm-up's days arrive.
    snovio_sandbox.state.advance_clock(STATS_SECONDS + 1)
    calculated = expected_warm_ups(snovio_sandbox)
    assert any(row[0] == created for row in calculated)
    sync(client, wh, res, table)
    assert rows(warehouse.engine, table, WARM_UP_COLUMNS) == calculated

    kept = snapshot(warehouse.engine, table)
    again = sync(client, wh, res, table)
    assert again.rows_deleted == 0 and snapshot(warehouse.engine, table) == kept


# --- campaign_details ---------------------------------------------------------------------------------


def test_campaign_details_one_row_per_campaign(tmp_path, snovio_sandbox, client):
    res, table = RESOURCES["campaign_details"], "snovio_campaign_details"
    engine = sqlite_engine(tmp_path)
    wh = Warehouse(engine)
    columns = ("campaign_id", "id", "title", "status", "list_id", "track_opens")

    def expected() -> set[tuple[Any, ...]]:
        out = set()
        for camp in client.get_user_campaigns():
            data = client.get_campaign(camp["id"])["data"]
            tracking = data.get("tracking") or {}
            opens = tracking.get("open")
            out.add((camp["id"], data["id"], data["title"], data["status"], data["recipients"]["list_id"], norm(opens)))
        return out

    before = expected()
    assert len(before) == len(snovio_sandbox.state.data.campaigns.campaigns)
    sync(client, wh, res, table)
    assert rows(engine, table, columns) == before

    renamed, removed = sorted(row[0] for row in before)[:2]
    client.update_campaign(renamed, title="Renamed upstream")
    snovio_sandbox.delete_campaign(removed)
    after = expected()
    assert any(row[2] == "Renamed upstream" for row in after) and removed not in {row[0] for row in after}
    second = sync(client, wh, res, table)
    assert rows(engine, table, columns) == after
    assert {row[0] for row in rows(engine, table, columns, deleted=True)} == {removed}
    assert second.deleted_scopes == [f"campaign_id={removed}"]

    kept = snapshot(engine, table)
    sync(client, wh, res, table)
    assert snapshot(engine, table) == kept


# --- sender_accounts ----------------------------------------------------------------------------------

SENDER_COLUMNS = ("id", "sender_name", "email_from", "valid", "suspended", "limitation", "provider", "imap_valid")


def expected_senders(client: Any) -> set[tuple[Any, ...]]:
    return {
        (
            a["id"],
            a["sender_name"],
            a["email_from"],
            norm(a["valid"]),
            norm(a["suspended"]),
            a["limitation"],
            a["provider"],
            norm((a.get("imap") or {}).get("valid")),
        )
        for a in client.list_email_accounts()["data"]
    }


def test_sender_accounts_then_exact_after_changes(tmp_path, snovio_sandbox, client):
    res, table = RESOURCES["sender_accounts"], "snovio_sender_accounts"
    engine = sqlite_engine(tmp_path)
    wh = Warehouse(engine)
    before = expected_senders(client)
    assert len(before) == len(senders_of(snovio_sandbox.state).accounts)
    sync(client, wh, res, table)
    assert rows(engine, table, SENDER_COLUMNS) == before

    client.update_email_account(21, sender_name="Renamed Sender", limitation=60)
    created = client.create_email_account(
        "New Sender",
        "new@sandbox.snov.io",
        "secret-password",
        {"host": "smtp.example.com", "port": 587, "encryption": "tls"},
    )["data"]["id"]
    after = expected_senders(client)
    sync(client, wh, res, table)
    assert rows(engine, table, SENDER_COLUMNS) == after
    assert {row[0] for row in after} - {row[0] for row in before} == {created}
    assert (21, "Renamed Sender") in {row[:2] for row in after} and (21, "Renamed Sender") not in {
        row[:2] for row in before
    }

    with snovio_sandbox.state.lock:  # Snov.io has no delete call; an account removed in its UI disappears
        del senders_of(snovio_sandbox.state).accounts[created]
    third = sync(client, wh, res, table)
    assert rows(engine, table, SENDER_COLUMNS) == expected_senders(client)
    assert {row[0] for row in rows(engine, table, ("id",), deleted=True)} == {created} and third.rows_deleted == 1

    kept = snapshot(engine, table)
    sync(client, wh, res, table)
    assert snapshot(engine, table) == kept
    with engine.connect() as connection:  # the password sent on create is in no row
        assert "secret-password" not in json.dumps(
            [list(map(str, r_)) for r_ in connection.execute(text(f"SELECT * FROM {table}"))]
        )


# --- do_not_email_lists -------------------------------------------------------------------------------


def test_do_not_email_lists_then_exact_after_changes(tmp_path, snovio_sandbox, client):
    res, table = RESOURCES["do_not_email_lists"], "snovio_do_not_email_lists"
    engine = sqlite_engine(tmp_path)
    wh = Warehouse(engine)
    state = snovio_sandbox.state

    def expected() -> set[tuple[Any, ...]]:
        with state.lock:
            return {(dne.id, dne.name, len(dne.items)) for dne in state.data.do_not_email.values()}

    sync(client, wh, res, table)
    assert rows(engine, table, ("id", "name", "total")) == expected()
    assert len(expected()) >= 2

    grown, removed = sorted(state.data.do_not_email)[:2]
    totals = {row[0]: row[2] for row in expected()}
    client.add_to_do_not_email_list(grown, ["someone@blocked.example", "blocked.example"])
    with state.lock:  # Snov.io's API has no delete call for a list; one deleted in its UI disappears
        del state.data.do_not_email[removed]
    second = sync(client, wh, res, table)
    assert rows(engine, table, ("id", "name", "total")) == expected()
    assert {row[0]: row[2] for row in expected()}[grown] == totals[grown] + 2
    assert rows(engine, table, ("id",), deleted=True) == {(removed,)} and second.rows_deleted == 1

    kept = snapshot(engine, table)
    sync(client, wh, res, table)
    assert snapshot(engine, table) == kept


# --- pipelines and pipeline_stages --------------------------------------------------------------------


def test_pipelines_and_stages_then_exact_after_changes(tmp_path, snovio_conn_env, client, monkeypatch):
    engine = sqlite_engine(tmp_path)
    monkeypatch.setenv(
        f"AIRFLOW_CONN_{SQL_CONN_ID.upper()}",
        json.dumps({"conn_type": "sqlite", "host": str(tmp_path / "warehouse.db")}),
    )
    pipeline_columns = ("id", "name", "deals_count", "deals_value", "created_at")
    stage_columns = ("pipeline_id", "id", "name", "stage_order", "deals_count", "deals_value")

    def expected() -> tuple[set[tuple[Any, ...]], set[tuple[Any, ...]]]:
        pipelines = {tuple(norm(p[c]) for c in pipeline_columns) for p in pipeline_data.pipeline_rows()}
        stages = {
            (s["pipeline_id"], s["id"], s["name"], s["order"], s["deals_count"], s["deals_value"])
            for p in pipeline_data.pipeline_rows()
            for s in pipeline_data.stage_rows(p["id"]) or []
        }
        return pipelines, stages

    def run() -> list[dict[str, Any]]:  # through the operator, as a DAG runs it
        return [
            SnovioToSqlOperator(task_id=name, resource=name, sql_conn_id=SQL_CONN_ID).execute({})
            for name in ("pipelines", "pipeline_stages")
        ]

    run()
    pipelines, stages = expected()
    assert rows(engine, "snovio_pipelines", pipeline_columns) == pipelines and len(pipelines) >= 2
    assert rows(engine, "snovio_pipeline_stages", stage_columns) == stages

    # Upstream: the first pipeline renamed and given a new stage, the second pipeline deleted.
    (pid, _, created, first_stages), (gone_id, _, _, gone_stages), *rest = pipeline_data.PIPELINES
    new_stage = (first_stages[-1][0] + 100, "Negotiation", 1, 700.0)
    renamed = (pid, "Renamed pipeline", created, (*first_stages, new_stage))
    monkeypatch.setattr(pipeline_data, "PIPELINES", (renamed, *rest))
    second = run()
    pipelines, stages = expected()
    assert rows(engine, "snovio_pipelines", pipeline_columns) == pipelines
    assert rows(engine, "snovio_pipeline_stages", stage_columns) == stages
    assert (pid, "Renamed pipeline") in {row[:2] for row in pipelines}
    assert rows(engine, "snovio_pipelines", ("id",), deleted=True) == {(gone_id,)}
    deleted_stages = rows(engine, "snovio_pipeline_stages", ("pipeline_id", "id"), deleted=True)
    assert deleted_stages == {(gone_id, stage[0]) for stage in gone_stages}
    assert [result["rows_deleted"] for result in second] == [1, len(gone_stages)]

    kept = (snapshot(engine, "snovio_pipelines"), snapshot(engine, "snovio_pipeline_stages"))
    run()
    assert (snapshot(engine, "snovio_pipelines"), snapshot(engine, "snovio_pipeline_stages")) == kept

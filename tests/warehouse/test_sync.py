"""The warehouse sync against the sandbox over real HTTP, on SQLite and on PostgreSQL.

Exactness is checked against what the sandbox serves (its state), never against numbers copied here.
The 25,500-reply campaign is read in full only where its size is the point (exact counts, crash-resume).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, text

from airflow_provider_snovio.api.incremental import DEFAULT_OVERLAP
from airflow_provider_snovio.api.resources import resource
from airflow_provider_snovio.sandbox.data.campaigns import engagement_row
from airflow_provider_snovio.transfers.warehouse import STATE_TABLE, Warehouse, sync
from tests.warehouse.conftest import requests_of, upstream_ids

REPLIES = "GET /v1/get-emails-replies"
TABLE = "snovio_campaign_replies"


def stored(engine: Any, table: str = TABLE, *, deleted: bool = False) -> dict[int, set[str]]:
    """Ids per campaign of the live rows (``deleted``: of the rows marked deleted)."""
    where = "IS NOT NULL" if deleted else "IS NULL"
    with engine.connect() as connection:
        rows = connection.execute(text(f"SELECT campaign_id, id FROM {table} WHERE _snovio_deleted_at {where}")).all()
    out: dict[int, set[str]] = {}
    for campaign_id, row_id in rows:
        out.setdefault(int(campaign_id), set()).add(row_id)
    return out


def row_count(engine: Any, table: str = TABLE) -> int:
    """Live rows (not marked deleted)."""
    with engine.connect() as connection:
        return connection.execute(text(f"SELECT COUNT(*) FROM {table} WHERE _snovio_deleted_at IS NULL")).scalar_one()


def snapshot(engine: Any, table: str = TABLE) -> list[tuple[Any, ...]]:
    """Every row but ``_snovio_synced_at``, ordered (``_snovio_raw`` compared as parsed JSON)."""
    with engine.connect() as connection:
        result = connection.execute(text(f"SELECT * FROM {table}"))
        names = list(result.keys())
        rows = []
        for row in result:
            values = dict(zip(names, row, strict=True))
            values.pop("_snovio_synced_at")
            raw = values["_snovio_raw"]
            values["_snovio_raw"] = json.dumps(json.loads(raw) if isinstance(raw, str) else raw, sort_keys=True)
            rows.append(tuple(sorted((k, str(v)) for k, v in values.items())))
    return sorted(rows)


def expected_pages(rows: int, page: int = 10_000) -> int:
    """Requests of a read from offset 0: full pages, then the short (possibly empty) last one."""
    return rows // page + 1


def test_replies_exact_then_incremental_then_appended_then_reread(warehouse, snovio_sandbox, client):
    upstream = upstream_ids(snovio_sandbox, "replies")
    sizes = sorted(len(ids) for ids in upstream.values())
    assert 25_500 in sizes and 10_000 in sizes  # the big campaign and the exactly-one-page campaign
    campaign_ids = list(upstream)
    wh = Warehouse(warehouse.engine)
    replies = resource("campaign_replies")

    # 1. First run: everything, exactly.
    first = sync(client, wh, replies, TABLE, campaign_ids=campaign_ids)
    assert stored(warehouse.engine) == {cid: set(ids) for cid, ids in upstream.items() if ids}
    assert row_count(warehouse.engine) == sum(sizes) == first.rows_written
    # every page after a campaign's first re-reads the previous page's last `overlap` rows to verify them
    assert first.rows_read == sum(sizes) + DEFAULT_OVERLAP * sum(expected_pages(n) - 1 for n in sizes)
    assert requests_of(snovio_sandbox, REPLIES) == sum(expected_pages(n) for n in sizes)
    before = snapshot(warehouse.engine)

    # 2. Nothing new: one request per campaign, only the overlap read, nothing written, same rows.
    sent = requests_of(snovio_sandbox, REPLIES)
    second = sync(client, wh, replies, TABLE, campaign_ids=campaign_ids)
    assert requests_of(snovio_sandbox, REPLIES) - sent == len(campaign_ids)
    assert second.rows_read == sum(min(n, DEFAULT_OVERLAP) for n in sizes)
    assert second.rows_written == 0 and second.reread_scopes == []
    assert snapshot(warehouse.engine) == before

    # 3. New replies upstream (the big campaign and the exactly-10,000 one) arrive on the next run.
    big = next(cid for cid, ids in upstream.items() if len(ids) == 25_500)
    exact = next(cid for cid, ids in upstream.items() if len(ids) == 10_000)
    added = snovio_sandbox.append_events(big, "replies", 7)["ids"]
    added += snovio_sandbox.append_events(exact, "replies", 3)["ids"]
    sent = requests_of(snovio_sandbox, REPLIES)
    third = sync(client, wh, replies, TABLE, campaign_ids=campaign_ids)
    assert requests_of(snovio_sandbox, REPLIES) - sent == len(campaign_ids)
    assert third.rows_written == 10
    now = upstream_ids(snovio_sandbox, "replies")
    assert stored(warehouse.engine) == {cid: set(ids) for cid, ids in now.items() if ids}
    assert set(added) <= stored(warehouse.engine)[big] | stored(warehouse.engine)[exact]

    # 4. Rows deleted upstream before the stored position: the overlap no longer matches, so that campaign
    #    (and only it) is re-read from offset 0 and its deleted rows are marked deleted (kept, with the time).
    small = next(cid for cid, ids in now.items() if 0 < len(ids) < 1000)
    gone = snovio_sandbox.delete_events(small, "replies", offset=2, count=2)["ids"]
    sent = requests_of(snovio_sandbox, REPLIES)
    fourth = sync(client, wh, replies, TABLE, campaign_ids=campaign_ids)
    assert fourth.reread_scopes == [f"campaign_id={small}"]
    assert requests_of(snovio_sandbox, REPLIES) - sent == len(campaign_ids) + 1  # + the re-read page
    final = upstream_ids(snovio_sandbox, "replies")
    assert stored(warehouse.engine) == {cid: set(ids) for cid, ids in final.items() if ids}
    assert not set(gone) & stored(warehouse.engine)[small]
    assert stored(warehouse.engine, deleted=True) == {small: set(gone)}
    assert row_count(warehouse.engine) == sum(len(ids) for ids in final.values())


def test_full_refresh_rereads_and_replaces(warehouse, snovio_sandbox, client):
    upstream = upstream_ids(snovio_sandbox, "replies")
    small = [cid for cid, ids in upstream.items() if len(ids) < 1000]
    wh = Warehouse(warehouse.engine)
    replies = resource("campaign_replies")
    sync(client, wh, replies, TABLE, campaign_ids=small)
    with warehouse.engine.begin() as connection:  # a row upstream no longer has (e.g. deleted long ago)
        connection.execute(text(f"UPDATE {TABLE} SET id = 'stale-row' WHERE id = :id"), {"id": upstream[small[0]][0]})
    sent = requests_of(snovio_sandbox, REPLIES)
    result = sync(client, wh, replies, TABLE, campaign_ids=small, full_refresh=True)
    assert requests_of(snovio_sandbox, REPLIES) - sent == len(small)  # each read again from offset 0
    assert result.rows_read == result.rows_written == sum(len(upstream[cid]) for cid in small)
    assert stored(warehouse.engine) == {cid: set(upstream[cid]) for cid in small if upstream[cid]}


def test_types_are_parsed_and_raw_json_round_trips(warehouse, snovio_sandbox, client):
    from datetime import date, datetime, timezone

    wh = Warehouse(warehouse.engine)
    state = snovio_sandbox.state
    camp = next(c for c in state.data.campaigns.campaigns if c.replies and len(c.replies) < 1000)
    sync(client, wh, resource("campaigns"), "snovio_campaigns")
    sync(client, wh, resource("campaign_replies"), TABLE, campaign_ids=[camp.id])
    sync(client, wh, resource("user_lists"), "snovio_user_lists")
    day = date(2025, 9, 1)
    sync(
        client,
        wh,
        resource("campaign_analytics"),
        "snovio_campaign_analytics",
        campaign_ids=[camp.id],
        dates=(day, date(2025, 12, 31)),
        lookback_days=0,
    )

    def as_utc(value: Any) -> datetime:  # SQLite: naive UTC text (raw SQL); PostgreSQL: an aware timestamptz
        value = datetime.fromisoformat(value) if isinstance(value, str) else value
        return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value.astimezone(timezone.utc)

    with warehouse.engine.connect() as connection:
        started = connection.execute(
            text("SELECT started_at, created_at, hash FROM snovio_campaigns WHERE id = :i"), {"i": camp.id}
        ).one()
        assert as_utc(started.started_at) == datetime.fromtimestamp(camp.started_at, timezone.utc)
        assert as_utc(started.created_at) == datetime.fromtimestamp(camp.created_at, timezone.utc)
        assert started.hash == camp.hash  # a hex hash stays text

        first = camp.replies[0]
        row = connection.execute(
            text(f"SELECT visited_at, hash, _snovio_raw AS raw FROM {TABLE} WHERE id = :i"), {"i": first.id}
        ).one()
        assert as_utc(row.visited_at) == datetime.fromtimestamp(first.ts, timezone.utc)
        raw = json.loads(row.raw) if isinstance(row.raw, str) else row.raw
        assert raw == engagement_row(camp, first)  # the whole record, as served
        assert "customField_company" in raw  # a field no column knows is kept

        deleted = connection.execute(
            text("SELECT is_deleted, deleted_at FROM snovio_user_lists WHERE is_deleted = :t"), {"t": True}
        ).all()
        assert deleted and all(d.deleted_at is not None for d in deleted)

        figures = connection.execute(text("SELECT * FROM snovio_campaign_analytics")).mappings().one()
    upstream = client.get_campaign_analytics(campaign_ids=[camp.id], date_from="2025-09-01", date_to="2025-12-31")
    assert figures["email_opens_rate"] == float(upstream["email_opens_rate"].rstrip("%"))
    assert isinstance(figures["email_opens_rate"], float)
    assert figures["emails_sent"] == upstream["emails_sent"] > 0
    assert str(figures["date_from"]) == "2025-09-01" and str(figures["date_to"]) == "2025-12-31"
    if warehouse.dialect == "postgresql":
        with warehouse.engine.connect() as connection:
            kinds = dict(
                connection.execute(
                    text("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = :t"),
                    {"t": TABLE},
                ).all()
            )
        assert kinds["_snovio_raw"] == "jsonb"
        assert kinds["visited_at"] == "timestamp with time zone"
        assert kinds["campaign_id"] == "bigint"


def test_every_resource_lands_exactly(warehouse, snovio_sandbox, client):
    """Small data (the big sizes are not the point here): each resource once, checked against the sandbox."""
    snovio_sandbox.configure(big_campaign_replies=400, exact_campaign_replies=150)
    state = snovio_sandbox.state
    camps = state.data.campaigns.campaigns
    wh = Warehouse(warehouse.engine)

    def synced(name: str, **kwargs: Any) -> dict[Any, set[str]]:
        sync(client, wh, resource(name), f"snovio_{name}", **kwargs)
        key = "list_id" if name == "list_prospects" else "campaign_id"
        with warehouse.engine.connect() as connection:
            rows = connection.execute(text(f"SELECT {key}, id FROM snovio_{name}")).all()
        out: dict[Any, set[str]] = {}
        for scope, row_id in rows:
            out.setdefault(int(scope), set()).add(row_id)
        return out

    for name, kind in (("campaign_opens", "opens"), ("campaign_clicks", "clicks"), ("emails_sent", "sent")):
        assert synced(name) == {c.id: {e.id for e in getattr(c, kind)} for c in camps if getattr(c, kind)}, name
    assert synced("finished_prospects") == {c.id: {rid for rid, _ in c.finished.values()} for c in camps if c.finished}
    live = {lid: plist for lid, plist in state.data.lists.items() if plist.deleted is None}
    assert synced("list_prospects") == {lid: set(p.prospect_ids) for lid, p in live.items() if p.prospect_ids}
    for name, expected in (("campaigns", {c.id for c in camps}), ("user_lists", set(state.data.lists))):
        sync(client, wh, resource(name), f"snovio_{name}")
        with warehouse.engine.connect() as connection:
            assert {r[0] for r in connection.execute(text(f"SELECT id FROM snovio_{name}"))} == expected
    sync(client, wh, resource("custom_fields"), "snovio_custom_fields")
    with warehouse.engine.connect() as connection:
        labels = {r[0] for r in connection.execute(text("SELECT label FROM snovio_custom_fields"))}
    assert labels == {f["label"] for f in client.get_prospect_custom_fields()}
    # Re-running every resource adds no row anywhere.
    counts = {
        name: row_count(warehouse.engine, f"snovio_{name}")
        for name in ("campaign_opens", "list_prospects", "finished_prospects", "campaigns")
    }
    for name in counts:
        sync(client, wh, resource(name), f"snovio_{name}")
    assert counts == {name: row_count(warehouse.engine, f"snovio_{name}") for name in counts}


def test_ten_percent_faults_still_exact(warehouse, snovio_sandbox, client):
    # 10% of API requests fail: 3% 500/502/503, 2% truncated bodies, 2% dropped connections, 3% 429 (one in
    # every 33). The fault RNG is seeded; the assertion below proves each kind of fault happened in this run.
    snovio_sandbox.configure(
        seed=16, error_rate=0.03, truncate_rate=0.02, drop_rate=0.02, burst_429_every=32, burst_429_length=1
    )
    state = snovio_sandbox.state
    upstream = upstream_ids(snovio_sandbox, "replies")
    chosen = [cid for cid, ids in upstream.items() if len(ids) <= 10_000]  # incl. the exactly-one-page campaign
    wh = Warehouse(warehouse.engine)
    sync(client, wh, resource("campaign_replies"), TABLE, campaign_ids=chosen)
    sync(client, wh, resource("list_prospects"), "snovio_list_prospects")
    sync(client, wh, resource("finished_prospects"), "snovio_finished_prospects")
    sync(client, wh, resource("campaigns"), "snovio_campaigns")
    for name in ("campaign_opens", "emails_sent"):
        sync(client, wh, resource(name), f"snovio_{name}", campaign_ids=chosen)
    stats = snovio_sandbox.stats()
    assert all(stats["faults"].get(kind, 0) for kind in ("error", "truncate", "drop")), stats
    assert stats["injected_429"], stats
    for name, kind in (("campaign_opens", "opens"), ("emails_sent", "sent")):
        assert stored(warehouse.engine, f"snovio_{name}") == {
            c.id: {e.id for e in getattr(c, kind)}
            for c in state.data.campaigns.campaigns
            if c.id in chosen and getattr(c, kind)
        }
    assert stored(warehouse.engine) == {cid: set(upstream[cid]) for cid in chosen if upstream[cid]}
    live = {lid: p for lid, p in state.data.lists.items() if p.deleted is None}
    assert row_count(warehouse.engine, "snovio_list_prospects") == sum(len(p.prospect_ids) for p in live.values())
    assert row_count(warehouse.engine, "snovio_finished_prospects") == sum(
        len(c.finished) for c in state.data.campaigns.campaigns
    )
    assert row_count(warehouse.engine, "snovio_campaigns") == len(state.data.campaigns.campaigns)


CHILD = """
import sys
from sqlalchemy import create_engine
from airflow_provider_snovio.api.client import ClientConfig, SnovioClient
from airflow_provider_snovio.api.resources import resource
from airflow_provider_snovio.transfers.warehouse import Warehouse, sync
base_url, client_id, secret, db_url, campaign_id = sys.argv[1:6]
client = SnovioClient(ClientConfig(client_id=client_id, client_secret=secret, base_url=base_url,
                                   requests_per_minute=100000))
sync(client, Warehouse(create_engine(db_url)), resource("campaign_replies"), "snovio_campaign_replies",
     campaign_ids=[int(campaign_id)])
print("finished")
"""


def test_killed_mid_sync_resumes_complete_and_duplicate_free(warehouse, snovio_sandbox, client, tmp_path: Path):
    upstream = upstream_ids(snovio_sandbox, "replies")
    big = next(cid for cid, ids in upstream.items() if len(ids) == 25_500)
    snovio_sandbox.configure(latency_ms=1500)  # slow pages: time to kill the sync between two commits
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])}
    child = subprocess.Popen(
        [
            sys.executable,
            str(script),
            snovio_sandbox.base_url,
            snovio_sandbox.client_id,
            snovio_sandbox.client_secret,
            warehouse.url,
            str(big),
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    wh = Warehouse(warehouse.engine)
    position = 0
    deadline = time.monotonic() + 120
    try:
        while time.monotonic() < deadline and child.poll() is None:
            position = _stored_position(warehouse.engine, big)
            if position > 0:
                break
            time.sleep(0.05)
        assert child.poll() is None, child.communicate()
        child.send_signal(signal.SIGKILL)
    finally:
        if child.poll() is None:
            child.kill()
        child.wait(30)
    assert child.returncode == -signal.SIGKILL
    position = _stored_position(warehouse.engine, big)
    assert 0 < position < 25_500
    assert row_count(warehouse.engine) == position  # the page and its position committed together

    # The request the child had in flight ends at the sandbox once its latency has passed (counted then,
    # as "dropped"): wait for it so that it is not counted as a request of the resumed run.
    settle = time.monotonic() + 3
    while time.monotonic() < settle and not snovio_sandbox.stats()["faults"].get("dropped"):
        time.sleep(0.05)
    snovio_sandbox.configure(latency_ms=0)
    sent = requests_of(snovio_sandbox, REPLIES)
    resumed = sync(client, wh, resource("campaign_replies"), TABLE, campaign_ids=[big])
    assert resumed.reread_scopes == []
    assert resumed.rows_written == 25_500 - position  # resumed where it stopped, not from scratch
    assert requests_of(snovio_sandbox, REPLIES) - sent == (25_500 - position + DEFAULT_OVERLAP) // 10_000 + 1
    assert stored(warehouse.engine) == {big: set(upstream[big])}
    assert row_count(warehouse.engine) == 25_500


def _stored_position(engine: Any, campaign_id: int) -> int:
    from sqlalchemy import MetaData, Table

    try:
        state = Table(STATE_TABLE, MetaData(), autoload_with=engine)
    except Exception:  # not created yet
        return 0
    with engine.connect() as connection:
        found = connection.execute(
            select(func.max(state.c.position)).where(state.c.scope == f"campaign_id={campaign_id}")
        ).scalar()
    return int(found or 0)

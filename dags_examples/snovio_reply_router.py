"""Reply router: a DAG run within a poll interval of a prospect replying, not the next morning.

How it starts: the asset ``snovio_new_replies`` has an ``AssetWatcher`` whose trigger,
:class:`~airflow_provider_snovio.triggers.SnovioNewEventsTrigger`, runs in the triggerer and polls Snov.io's
free recipients-activity feed (#72) once a minute per watched campaign. Each poll that finds new replies
becomes one asset event, which queues one run of this DAG (a burst of replies is one run, not one each).

What a run does:

1. ``new_replies``: reads ``triggering_asset_events`` (the trigger's payload: ids, types, times and counts
   per campaign - no message body, no address) and returns the campaigns that got replies;
2. ``upsert_replies``: those campaigns' replies into the warehouse table ``snovio_campaign_replies``,
   incrementally and idempotently (a :class:`~airflow_provider_snovio.transfers.SnovioToSqlOperator`
   upsert on the reply id: a batch delivered twice changes nothing);
3. ``who_replied``: prints who replied (the newest replies of each campaign, as many as the batch counted),
   read back from the warehouse - where a CRM push or an owner alert would go.

Cost: one free request per watched campaign per poll (60/hour per campaign at the default interval), plus
what a run reads (one listing and one replies page per campaign that got replies). See the README,
"Reply-driven DAGs".

Configuration (read when the file is parsed, so the trigger's kwargs - its identity - stay the same):

- ``SNOVIO_REPLY_ROUTER_CAMPAIGNS``: comma-separated campaign ids; unset: every Active campaign (up to 10);
- ``SNOVIO_REPLY_ROUTER_POLL_INTERVAL``: seconds between polls (default 60);
- ``SNOVIO_REPLY_ROUTER_BUDGET_SHARE``: the share of the account's 60 requests/min the watcher may take
  (default 0.25); a configuration over it is an import error of this file, naming the fix.

Connections: ``snovio_default`` (the watcher and the sync) and ``snovio_warehouse`` (SQLite or PostgreSQL).
"""

from __future__ import annotations

import os

import pendulum
from airflow.sdk import DAG, Asset, AssetWatcher, BaseHook, Param, task

from airflow_provider_snovio.transfers import SnovioToSqlOperator
from airflow_provider_snovio.triggers import SnovioNewEventsTrigger


def _campaigns() -> list[int] | None:
    listed = [part for part in os.environ.get("SNOVIO_REPLY_ROUTER_CAMPAIGNS", "").split(",") if part.strip()]
    return [int(part) for part in listed] if listed else None


NEW_REPLIES = Asset(
    name="snovio_new_replies",
    uri="snovio://replies",
    watchers=[
        AssetWatcher(
            name="snovio_new_replies_watcher",
            trigger=SnovioNewEventsTrigger(
                snovio_conn_id="snovio_default",
                campaign_ids=_campaigns(),
                event_types=["reply"],
                poll_interval=float(os.environ.get("SNOVIO_REPLY_ROUTER_POLL_INTERVAL", "60")),
                budget_share=float(os.environ.get("SNOVIO_REPLY_ROUTER_BUDGET_SHARE", "0.25")),
            ),
        )
    ],
)

with DAG(
    dag_id="snovio_reply_router",
    description="New Snov.io replies (an asset event from the triggerer) into the warehouse, and who replied",
    schedule=[NEW_REPLIES],
    start_date=pendulum.datetime(2025, 9, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # batches queue up (each becomes a run) instead of competing for the 60 requests/min
    params={
        "sql_conn_id": Param("snovio_warehouse", type="string", description="warehouse connection (SQLite/PostgreSQL)"),
        "snovio_conn_id": Param("snovio_default", type="string", description="Snov.io connection of the sync"),
    },
    default_args={"retries": 2, "retry_delay": pendulum.duration(minutes=1)},
    tags=["snovio", "example", "asset"],
    doc_md=__doc__,
) as dag:

    @task
    def new_replies(triggering_asset_events=None) -> dict:
        """The batch(es) behind this run: replies per campaign, from the asset events' payloads."""
        per_campaign: dict[str, int] = {}
        for asset_event in (triggering_asset_events or {}).get(NEW_REPLIES, []):
            payload = (asset_event.extra or {}).get("payload") or {}  # Airflow: {"from_trigger": True, "payload"}
            for campaign_id, counts in payload.get("campaigns", {}).items():
                per_campaign[campaign_id] = per_campaign.get(campaign_id, 0) + int(counts.get("reply", 0))
        replies = {cid: n for cid, n in per_campaign.items() if n}
        print(f"{sum(replies.values())} new replies in campaigns {sorted(replies, key=int)}")
        return {"campaign_ids": sorted(int(cid) for cid in replies), "replies": replies}

    batch = new_replies()
    upsert = SnovioToSqlOperator(
        task_id="upsert_replies",
        resource="campaign_replies",
        campaign_ids=batch["campaign_ids"],
        sql_conn_id="{{ params.sql_conn_id }}",
        snovio_conn_id="{{ params.snovio_conn_id }}",
    )

    @task
    def who_replied(batch: dict, params: dict | None = None) -> dict:
        """The newest replies of each campaign, as many as the batch counted, read from the warehouse."""
        db = BaseHook.get_connection(params["sql_conn_id"]).get_hook()
        shown: dict[str, int] = {}
        for campaign_id, count in sorted(batch["replies"].items(), key=lambda item: int(item[0])):
            rows = db.get_records(  # ints only inlined: portable across paramstyles
                "SELECT prospect_name, prospect_email, visited_at FROM snovio_campaign_replies "
                f"WHERE campaign_id = {int(campaign_id)} AND _snovio_deleted_at IS NULL "
                f"ORDER BY visited_at DESC, id DESC LIMIT {int(count)}"
            )
            for name, email, visited_at in reversed(rows):
                print(f"Reply in campaign {campaign_id} from {name} <{email}> at {visited_at}")
            shown[campaign_id] = len(rows)
        return {"replies_shown": shown}

    shown = who_replied(batch)
    upsert >> shown

"""Item 8: requests of an incremental sync with nothing new, over the minimum (one per campaign and resource).

Every campaign of a sandbox (a big one of 10,500 replies, one of exactly 10,000, small ones, an empty
draft) is synced with :class:`SnovioToSqlOperator` for the four offset-paged resources into SQLite; then
the same sync runs again with nothing new upstream, and the sandbox counts its requests. Explicit
``campaign_ids`` mean no campaign listing is needed, so the minimum is campaigns x resources. Token
requests are reported apart (item 6 measures them). To show the cheap run is not blind, a few replies
are then added upstream and a third run must write exactly those.
"""

from __future__ import annotations

from typing import Any

from bench.results import Result

RESOURCES = ("campaign_replies", "campaign_opens", "campaign_clicks", "emails_sent")
WAREHOUSE_CONN_ID = "bench_incremental"
TOKEN_ENDPOINT = "POST /v1/oauth/access_token"
NEW_REPLIES = 7


def sync_all(campaign_ids: list[int]) -> list[dict[str, Any]]:
    from airflow_provider_snovio.transfers import SnovioToSqlOperator

    return [
        SnovioToSqlOperator(
            task_id=f"sync_{name}", resource=name, sql_conn_id=WAREHOUSE_CONN_ID, campaign_ids=campaign_ids
        ).execute({})
        for name in RESOURCES
    ]


def counted(sandbox: Any, run: Any) -> tuple[Any, dict[str, int]]:
    """``run()``'s result and the requests the sandbox served meanwhile, per endpoint."""
    before = sandbox.stats()["requests"]
    result = run()
    after = sandbox.stats()["requests"]
    return result, {k: v - before.get(k, 0) for k, v in after.items() if v != before.get(k, 0)}


def measure() -> list[Result]:
    from airflow_provider_snovio.sandbox.testing import SandboxServer
    from bench.infra import environment, fresh_path, sqlite_conn_json

    with (
        SandboxServer(requests_per_minute=1_000_000, big_campaign_replies=10_500) as sandbox,
        environment(
            AIRFLOW_CONN_SNOVIO_DEFAULT=sandbox.connection_json(),
            **{f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": sqlite_conn_json(fresh_path("inc.db"))},
        ),
    ):
        campaign_ids = [campaign.id for campaign in sandbox.state.data.campaigns.campaigns]
        first, _ = counted(sandbox, lambda: sync_all(campaign_ids))
        second, requests = counted(sandbox, lambda: sync_all(campaign_ids))
        sandbox.append_events(campaign_ids[0], "replies", NEW_REPLIES)
        third, third_requests = counted(sandbox, lambda: sync_all(campaign_ids))
    tokens = requests.pop(TOKEN_ENDPOINT, 0)
    third_requests.pop(TOKEN_ENDPOINT, None)
    minimum = len(campaign_ids) * len(RESOURCES)
    made = sum(requests.values())
    share = made / minimum
    stored = sum(x["rows_written"] for x in first)
    rewritten = sum(x["rows_written"] for x in second)
    picked_up = sum(x["rows_written"] for x in third)
    exact = rewritten == 0 and picked_up == NEW_REPLIES
    detail = (
        f"{len(campaign_ids)} campaigns x {len(RESOURCES)} resources = {minimum}; the first sync stored "
        f"{stored:,} rows; the run with nothing new made {made} data requests and {tokens} token requests "
        f"and wrote {rewritten} rows; after {NEW_REPLIES} new replies upstream the next run wrote "
        f"{picked_up} rows with {sum(third_requests.values())} data requests"
    )
    return [
        Result(
            "8. requests of an incremental sync with nothing new / minimum",
            round(share, 4),
            "1.0",
            "ratio",
            share == 1.0 and exact,
            detail,
        )
    ]

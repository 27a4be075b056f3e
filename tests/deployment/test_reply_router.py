"""Issue 19: reply-driven DAGs in a real deployment (scheduler, triggerer, dag-processor, api-server).

``dags_examples/snovio_reply_router.py`` is deployed alone; its asset's watcher (``SnovioNewEventsTrigger``)
runs in the real triggerer against the sandbox, polling every 2 s (time-compressed; the DAG's default is
60 s). Replies are appended to a campaign upstream through the sandbox's control route, and the runs the
scheduler creates from the asset events are read back through the REST API:

1. while nothing is new, no run is created (the baseline and quiet polls fire nothing);
2. two replies appended -> exactly one run, which upserts them into the warehouse and prints who replied;
3. quiet polls after it create no further run;
4. the triggerer is killed, one reply arrives while no triggerer runs, and a new triggerer starts: its
   cursor (the asset state store, Airflow 3.3) makes it report exactly that reply - one more run, whose batch
   counts one reply - and not the first batch again (no duplicate run), then nothing.

The detection latency (reply appended -> run queued) is printed; ``make bench`` measures it on its own.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.deployment.conftest import REPO, Deployment
from tests.warehouse.conftest import _postgres_database, postgres_server  # noqa: F401 (a fixture)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

DAG_ID = "snovio_reply_router"
ACTIVITY = "GET /v2/campaigns/{campaign_id}/recipients-activity"
POLL_INTERVAL = 2.0
#: Start-up included (the deployment starts in ~30-60 s on a loaded 2-core machine).
BUDGET_SECONDS = 240.0


@pytest.fixture
def router(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: str,  # noqa: F811
    snovio_sandbox: SandboxServer,
) -> Iterator[tuple[Deployment, int]]:
    """A deployment of the reply router alone, watching one active campaign; stopped on teardown."""
    campaign = next(c.id for c in snovio_sandbox.state.data.campaigns.campaigns if c.status == "Active")
    _, url = _postgres_database(postgres_server)
    deployment = Deployment(
        tmp_path_factory.mktemp("reply-router"),
        url,
        snovio_sandbox,
        settings={
            "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "True",  # asset-triggered runs are scheduled runs
            "SNOVIO_REPLY_ROUTER_CAMPAIGNS": str(campaign),
            "SNOVIO_REPLY_ROUTER_POLL_INTERVAL": str(POLL_INTERVAL),
            "SNOVIO_REPLY_ROUTER_BUDGET_SHARE": "1",  # 30 requests/min: inside the sandbox's 60
        },
        dag_files=(REPO / "dags_examples" / f"{DAG_ID}.py",),
        dag_ids=(DAG_ID,),
    )
    try:
        yield deployment, campaign
    finally:
        deployment.stop()


def queued_at(run: dict) -> float:
    return dt.datetime.fromisoformat(str(run["queued_at"]).replace("Z", "+00:00")).timestamp()


def runs(deployment: Deployment) -> list[dict]:
    answer = deployment.api("GET", f"/dags/{DAG_ID}/dagRuns", params={"limit": 100})
    return sorted(answer["dag_runs"], key=queued_at)


def polls(sandbox: SandboxServer) -> int:
    return sandbox.stats()["requests"].get(ACTIVITY, 0)


def wait_polls(deployment: Deployment, sandbox: SandboxServer, count: int, deadline: float) -> None:
    """Until the watcher has polled ``count`` more times."""
    start = polls(sandbox)
    deployment.wait_for(lambda: polls(sandbox) >= start + count, deadline, f"{count} polls of the watcher", 0.3)


def test_replies_start_one_run_per_batch(router: tuple[Deployment, int], snovio_sandbox: SandboxServer) -> None:
    deployment, campaign = router
    started = time.monotonic()
    deadline = started + BUDGET_SECONDS
    deployment.start(deadline)
    startup = time.monotonic() - started

    # 1. The watcher runs in the triggerer: baseline, then quiet polls -> no run.
    wait_polls(deployment, snovio_sandbox, 3, deadline)
    assert runs(deployment) == []

    # 2. Two replies -> one run.
    appended_at = time.time()
    added = snovio_sandbox.append_events(campaign, "replies", 2)["ids"]
    first = deployment.wait_for(lambda: runs(deployment), deadline, "a run from the new replies", 0.2)
    latency = queued_at(first[0]) - appended_at
    assert first[0]["run_type"] == "asset_triggered", first
    deployment.wait_run(DAG_ID, first[0]["dag_run_id"], deadline)
    assert deployment.xcom(DAG_ID, first[0]["dag_run_id"], "new_replies") == {
        "campaign_ids": [campaign],
        "replies": {str(campaign): 2},
    }
    with sqlite3.connect(Path(deployment.home) / "warehouse.sqlite") as db:
        names = dict(
            db.execute(
                f"SELECT id, prospect_name FROM snovio_campaign_replies WHERE id IN ({','.join('?' * len(added))})",
                added,
            ).fetchall()
        )
    assert set(names) == set(added), names
    log = deployment.task_log_tails(DAG_ID, first[0]["dag_run_id"], chars=20_000)
    for name in names.values():
        assert f"Reply in campaign {campaign} from {name}" in log, log[-3000:]

    # 3. Quiet polls: no other run.
    wait_polls(deployment, snovio_sandbox, 3, deadline)
    assert len(runs(deployment)) == 1

    # 4. The triggerer is killed, a reply arrives while none runs, a new triggerer starts: it resumes from the
    #    stored cursor (not a new baseline, which would miss that reply), so exactly one more run, of one reply,
    #    and no repeat of the first batch.
    deployment.kill("triggerer")
    snovio_sandbox.append_events(campaign, "replies", 1)
    deployment.launch("triggerer")
    second = deployment.wait_for(lambda: (r := runs(deployment)) and len(r) >= 2 and r, deadline, "a second run", 0.2)
    deployment.wait_for(  # its first task is enough (the rest was proven by the first run)
        lambda: deployment.task_instances(DAG_ID, second[1]["dag_run_id"])["new_replies"]["state"] == "success",
        deadline,
        "the second run's new_replies task",
        0.3,
    )
    assert deployment.xcom(DAG_ID, second[1]["dag_run_id"], "new_replies")["replies"] == {str(campaign): 1}
    wait_polls(deployment, snovio_sandbox, 3, deadline)
    assert len(runs(deployment)) == 2, runs(deployment)
    # on Airflow 3.3 the cursor is in the asset state store (the metadata DB), as both triggerers logged
    stores = [text for path, text in deployment.all_logs().items() if "cursor in" in text]
    assert stores and all("cursor in AssetStateCursor" in text for text in stores), stores

    print(
        f"\nreply router: start-up {startup:.0f} s, detection latency {latency:.1f} s "
        f"(poll every {POLL_INTERVAL:g} s), total {time.monotonic() - started:.0f} s"
    )
    assert latency < POLL_INTERVAL + 15, latency
    assert time.monotonic() - started < BUDGET_SECONDS

"""Item 11 (issue 19): reply-driven DAGs - detection latency and what a watcher costs per campaign.

A real deployment (``tests/deployment/conftest.Deployment``: PostgreSQL metadata DB, api-server, scheduler,
dag-processor, triggerer) runs ``dags_examples/snovio_reply_router.py`` alone, its watcher polling
``CAMPAIGNS`` campaigns of a private sandbox every ``P`` seconds (time-compressed: the DAG's default is 60 s).

* Latency: ``SAMPLES`` replies are appended upstream one at a time (each after the previous run ended), at
  different phases of the poll cycle; each one's latency is the run's ``queued_at`` (REST API) minus the
  moment it was appended. The line is the worst sample; the target is one poll interval plus 10 s (the
  triggerer hands the event to the metadata DB, the scheduler's next loop queues the run).
* Cost: the watcher's recipients-activity requests (the sandbox's count) over the measured span, per watched
  campaign, scaled from ``P`` to the default 60-s interval: requests per hour per campaign at the default.
  The DAG runs' own reads (a listing and a replies page per campaign with replies) are not the watcher's
  and are reported in the detail.

Bounded: every wait has a deadline inside ``BUDGET`` seconds; the deployment is stopped on every path.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from bench.results import Result

P = 5.0
CAMPAIGNS = 2
SAMPLES = 4
BUDGET = 300.0
DEFAULT_INTERVAL = 60.0
DAG_ID = "snovio_reply_router"
ACTIVITY = "GET /v2/campaigns/{campaign_id}/recipients-activity"
NAME_LATENCY = f"11. reply appended -> DAG run queued, watcher polling every {P:g} s (worst of {SAMPLES})"
TARGET_LATENCY = f"<= P + 10 = {P + 10:g}"
NAME_COST = "11. watcher requests per hour per watched campaign, at the default 60-s poll"
TARGET_COST = "<= 60"


def _queued_at(run: dict[str, Any]) -> float:
    return dt.datetime.fromisoformat(str(run["queued_at"]).replace("Z", "+00:00")).timestamp()


def measure() -> list[Result]:
    try:
        return _measure()
    except BaseException as error:  # pytest.fail (a BaseException) from the deployment helpers: a broken run
        if isinstance(error, KeyboardInterrupt | SystemExit):
            raise
        raise RuntimeError(str(error).splitlines()[0] if str(error) else type(error).__name__) from error


def _measure() -> list[Result]:
    from airflow_provider_snovio.sandbox.testing import SandboxServer
    from bench.infra import private_postgres, run_dir
    from tests.deployment.conftest import REPO, Deployment
    from tests.warehouse.conftest import _postgres_database

    deadline = time.monotonic() + BUDGET
    with SandboxServer() as sandbox, private_postgres() as server:
        campaigns = [c.id for c in sandbox.state.data.campaigns.campaigns if c.status == "Active"][:CAMPAIGNS]
        _, url = _postgres_database(server)
        deployment = Deployment(
            run_dir() / "reply-router",
            url,
            sandbox,
            settings={
                "AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE": "True",
                "SNOVIO_REPLY_ROUTER_CAMPAIGNS": ",".join(map(str, campaigns)),
                "SNOVIO_REPLY_ROUTER_POLL_INTERVAL": str(P),
                "SNOVIO_REPLY_ROUTER_BUDGET_SHARE": "1",
            },
            dag_files=(REPO / "dags_examples" / f"{DAG_ID}.py",),
            dag_ids=(DAG_ID,),
        )

        def polls() -> int:
            return int(sandbox.stats()["requests"].get(ACTIVITY, 0))

        def runs() -> list[dict[str, Any]]:
            answer = deployment.api("GET", f"/dags/{DAG_ID}/dagRuns", params={"limit": 100})
            return sorted(answer["dag_runs"], key=_queued_at)

        try:
            deployment.start(deadline)
            deployment.wait_for(lambda: polls() >= 2 * CAMPAIGNS, deadline, "the baseline poll", 0.2)
            first_requests, first_at = polls(), time.monotonic()
            latencies = []
            for sample in range(SAMPLES):
                time.sleep(P * (sample + 0.5) / SAMPLES)  # a different phase of the poll cycle each time
                appended = time.time()
                sandbox.append_events(campaigns[sample % CAMPAIGNS], "replies", 1)
                found = deployment.wait_for(
                    lambda n=sample + 1: (r := runs()) and len(r) >= n and r, deadline, f"run {sample + 1}", 0.1
                )
                latencies.append(_queued_at(found[sample]) - appended)
                # the next reply only once this run ended: with max_active_runs=1 a batch that arrives during
                # a run waits for it (and joins the next run), which is queueing, not detection
                deployment.wait_run(DAG_ID, found[sample]["dag_run_id"], deadline)
            watcher = polls() - first_requests
            span = time.monotonic() - first_at
            stats = sandbox.stats()["requests"]
            total_runs = len(runs())
        finally:
            deployment.stop()
    per_hour_at_p = watcher / span * 3600 / CAMPAIGNS
    per_hour_default = per_hour_at_p * P / DEFAULT_INTERVAL
    dag_reads = {k: v for k, v in stats.items() if k != ACTIVITY and not k.startswith("POST /v1/oauth")}
    latency_detail = (
        f"latencies {', '.join(f'{x:.1f}' for x in latencies)} s over {SAMPLES} replies in {CAMPAIGNS} campaigns; "
        f"{total_runs} runs for {SAMPLES} replies (one per batch)"
    )
    cost_detail = (
        f"{watcher} recipients-activity requests in {span:.0f} s for {CAMPAIGNS} campaigns polled every {P:g} s = "
        f"{per_hour_at_p:.0f}/h per campaign, x {P:g}/{DEFAULT_INTERVAL:g} = {per_hour_default:.1f}/h at the "
        f"default; the DAG runs' own reads: {dag_reads}"
    )
    worst = max(latencies)
    return [
        Result(
            NAME_LATENCY,
            round(worst, 2),
            TARGET_LATENCY,
            "s",
            worst <= P + 10 and total_runs == SAMPLES,
            latency_detail,
        ),
        Result(NAME_COST, round(per_hour_default, 1), TARGET_COST, "requests/h", per_hour_default <= 60.0, cost_detail),
    ]

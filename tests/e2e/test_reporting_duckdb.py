"""The reporting DAG on a DuckDB warehouse (``conn_type`` ``duckdb``, host = the file), end to end.

Every sync task writes through the provider's DuckDB engine and the ``report`` task reads the same file
through it (a ``duckdb`` connection has no common-sql hook). What is checked is what the DAG is for: the
tables hold the sandbox's records, and the report is the one the sandbox's own figures give.

* ``airflow dags test`` (the harness of ``tests/e2e/conftest.py``) runs one task at a time, so no two tasks
  contend for the file there; it checks the tables and the printed report.
* A LocalExecutor deployment (``tests/deployment/conftest.py``: scheduler, api-server, dag-processor,
  triggerer; 4 task processes) starts the six event syncs together: DuckDB allows one writing process per
  file, and none may fail on it - a task finding the file open waits for it (the engine's ``lock_timeout``).
  The wait and its refusal past ``lock_timeout`` are tested on their own in
  ``tests/warehouse/test_engines_duckdb_mysql.py::test_a_duckdb_file_another_process_holds_is_waited_for_then_refused_by_name``.
"""

from __future__ import annotations

import itertools
import json
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_snovio.sandbox.data.campaigns import DAY, analytics
from airflow_provider_snovio.sandbox.data.recipients import activity_events
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.deployment.conftest import REPORTING, Deployment
from tests.e2e.conftest import run_dag_test
from tests.e2e.test_example_dags import DAGS, deprecation_errors
from tests.warehouse.conftest import _postgres_database, postgres_server  # noqa: F401 (a fixture)

#: The event syncs of the DAG, ready at the same time once the analytics are in.
EVENT_RESOURCES = (
    "recipient_activity",
    "campaign_replies",
    "campaign_opens",
    "campaign_clicks",
    "emails_sent",
    "finished_prospects",
)

#: The run of 2025-10-16 covers (and reports on) 2025-10-15; its data interval ends at RUN_END.
RUN_END = datetime(2025, 10, 16, tzinfo=timezone.utc)
REPORTED_DAY = "2025-10-15"
#: The DAG's default ``top`` param: campaigns shown in the report.
TOP = 5
pytestmark = pytest.mark.slow


def duckdb_rows(path: Path, sql: str) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` on the DuckDB file, opened read-only (the run is over: nothing holds the file)."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as db:
        return [tuple(row) for row in db.execute(sql).fetchall()]


def day_figures(sandbox: SandboxServer) -> dict[int, dict[str, Any]]:
    """Each non-draft campaign's figures for the reported day, as the sandbox's analytics endpoint computes them."""
    day_start = RUN_END.timestamp() - DAY
    data = sandbox.state.data
    return {
        camp.id: analytics([camp], day_start, day_start + DAY, dict(data.unsubscribed_at))
        for camp in data.campaigns.campaigns
        if camp.status != "Draft"
    }


def expected_top(sandbox: SandboxServer) -> list[dict[str, Any]]:
    """The report's ``top_campaigns``: the day's campaigns with e-mails or replies, ranked as the DAG says
    (reply rate, then replies, then id), computed from the sandbox's data rather than read back."""
    names = {camp.id: camp.name for camp in sandbox.state.data.campaigns.campaigns}
    top = [
        {
            "campaign_id": cid,
            "name": names[cid],
            "emails_sent": figures["emails_sent"],
            "replies": figures["email_replies"],
            "reply_rate": float(figures["email_replies_rate"].rstrip("%")),
        }
        for cid, figures in day_figures(sandbox).items()
        if figures["emails_sent"] > 0 or figures["email_replies"] > 0
    ]
    top.sort(key=lambda c: (-c["reply_rate"], -c["replies"], c["campaign_id"]))
    assert top, "no campaign had activity on the reported day: the ranking would not be exercised"
    return top[:TOP]


def expected_counts(sandbox: SandboxServer) -> dict[str, int]:
    """Live rows per table after the run, in the order of the report (the sync tasks' order in the DAG)."""
    campaigns = sandbox.state.data.campaigns.campaigns
    active = [c for c in campaigns if c.status != "Draft"]
    return {
        "snovio_campaigns": len(campaigns),
        "snovio_campaign_analytics": 3 * len(active),  # the run's day and the 2 days of lookback_days
        # every #72 event from each campaign's creation to the run's end (its data interval's end)
        "snovio_recipient_activity": len(
            {(c.id, event) for c in active for event in activity_events(c, 0, RUN_END.timestamp(), {})}
        ),
        "snovio_campaign_replies": sum(len(c.replies) for c in active),
        "snovio_campaign_opens": sum(len(c.opens) for c in active),
        "snovio_campaign_clicks": sum(len(c.clicks) for c in active),
        "snovio_emails_sent": sum(len(c.sent) for c in active),
        "snovio_finished_prospects": sum(len(c.finished) for c in active),
    }


def check_warehouse(path: Path, sandbox: SandboxServer) -> None:
    """The DuckDB file holds the sandbox's records: campaigns field by field, the events by key, the reported
    day's analytics as the sandbox computes them, and every table's live row count."""
    campaigns = sandbox.state.data.campaigns.campaigns
    active = [c for c in campaigns if c.status != "Draft"]
    assert set(duckdb_rows(path, "SELECT id, name, list_id, status, hash FROM snovio_campaigns")) == {
        (c.id, c.name, c.list_id, c.status, c.hash) for c in campaigns
    }
    for table, kind in (
        ("snovio_campaign_replies", "replies"),
        ("snovio_campaign_opens", "opens"),
        ("snovio_campaign_clicks", "clicks"),
        ("snovio_emails_sent", "sent"),
    ):
        stored = sorted(set(duckdb_rows(path, f"SELECT campaign_id, id FROM {table}")))
        assert stored == sorted({(c.id, str(e.id)) for c in active for e in getattr(c, kind)}), table
    assert sorted(duckdb_rows(path, "SELECT campaign_id, id FROM snovio_finished_prospects")) == sorted(
        (c.id, row_id) for c in active for row_id, _ in c.finished.values()
    )
    stored_day = duckdb_rows(
        path,
        "SELECT campaign_id, emails_sent, email_replies, email_replies_rate FROM snovio_campaign_analytics "
        f"WHERE date_from = DATE '{REPORTED_DAY}' AND date_to = DATE '{REPORTED_DAY}'",
    )
    assert {cid: (sent, replies, rate) for cid, sent, replies, rate in stored_day} == {
        cid: (f["emails_sent"], f["email_replies"], float(f["email_replies_rate"].rstrip("%")))
        for cid, f in day_figures(sandbox).items()
    }
    live = {
        table: duckdb_rows(path, f"SELECT COUNT(*) FROM {table} WHERE _snovio_deleted_at IS NULL")[0][0]
        for table in expected_counts(sandbox)
    }
    assert live == expected_counts(sandbox)


def test_campaign_reporting_dag_on_duckdb(airflow_dags_env, snovio_sandbox: SandboxServer, tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    env = airflow_dags_env(
        snovio_sandbox,
        DAGS,
        {
            "AIRFLOW_CONN_SNOVIO_WAREHOUSE": json.dumps({"conn_type": "duckdb", "host": str(warehouse)}),
            "PYTHONWARNINGS": deprecation_errors(),
        },
    )
    result = run_dag_test(
        "snovio_campaign_reporting", DAGS, env, extra_args=("2025-10-16T00:00:00+00:00",), timeout=300
    )
    check_warehouse(warehouse, snovio_sandbox)
    # the report task read the same file: its lines, in order, are those the sandbox's figures give
    lines = [f"Snov.io report for {REPORTED_DAY}", "Rows per table:"]
    lines += [f"  {table:<28} {count:>8}" for table, count in expected_counts(snovio_sandbox).items()]
    lines.append("Campaigns by reply rate:")
    lines += [
        f"  {c['reply_rate']:6.1f}%  {c['replies']:>5} replies / {c['emails_sent']:>5} sent  {c['name']}"
        for c in expected_top(snovio_sandbox)
    ]
    output = result.stdout + result.stderr
    assert "\n".join(lines) in output, output[-4000:]
    assert snovio_sandbox.stats()["credits_spent"] == 0


#: The parallel run's whole budget, start-up included (a loaded 2-core machine).
BUDGET_SECONDS = 540.0


def test_parallel_sync_tasks_share_the_duckdb_file_in_a_deployment(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: str,  # noqa: F811
    snovio_sandbox: SandboxServer,
) -> None:
    """A scheduler with the LocalExecutor (4 task processes at once) runs the DAG: the six event syncs are
    ready together and start in parallel on one DuckDB file. None may fail on DuckDB's file lock - a task
    that finds the file open waits for it (the engine's ``lock_timeout``) - and the report read back equals
    the sandbox's figures."""
    deadline = time.monotonic() + BUDGET_SECONDS
    home = tmp_path_factory.mktemp("airflow-duckdb-deployment")
    warehouse = home / "warehouse.duckdb"
    _, metadata_url = _postgres_database(postgres_server)
    deployment = Deployment(
        home,
        metadata_url,
        snovio_sandbox,
        settings={"AIRFLOW_CONN_SNOVIO_WAREHOUSE": json.dumps({"conn_type": "duckdb", "host": str(warehouse)})},
        dag_files=(DAGS / f"{REPORTING}.py",),
        dag_ids=(REPORTING,),
    )
    try:
        deployment.start(deadline)
        run_id = deployment.trigger(REPORTING, logical_date="2025-10-16T00:00:00Z")
        deployment.wait_run(REPORTING, run_id, deadline)
        instances = deployment.task_instances(REPORTING, run_id)
        report = deployment.xcom(REPORTING, run_id, "report")
        logs = deployment.task_log_tails(REPORTING, run_id, chars=10**6)
    finally:
        deployment.stop()

    # each task succeeded at its first try (a lock error would have failed it: retries would show here)
    assert {task: (ti["state"], ti["try_number"]) for task, ti in instances.items()} == {
        task: ("success", 1) for task in instances
    }
    # the event syncs did run at the same time, and at least one found the file held by another process
    spans = sorted(
        (datetime.fromisoformat(ti["start_date"]), datetime.fromisoformat(ti["end_date"]))
        for task, ti in instances.items()
        if task in EVENT_RESOURCES
    )
    assert any(later_start < end for (_, end), (later_start, _) in itertools.pairwise(spans)), spans
    assert "is open in another process: waiting" in logs, "no sync task met the file lock: nothing was contended"
    check_warehouse(warehouse, snovio_sandbox)
    assert report["tables"] == expected_counts(snovio_sandbox)
    assert report["top_campaigns"] == expected_top(snovio_sandbox)
    assert report["date_from"] == report["date_to"] == REPORTED_DAY

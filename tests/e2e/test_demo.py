"""``make demo``'s script, twice, as a user runs it: the first run syncs everything, the second is incremental.

The demo's sandbox has Snov.io's real 60 requests per 60-second window; the reporting DAG's first run needs
about 100 requests (recipient_activity reads every campaign's history), so it waits once for the window
(about 100 s on 2 cores); the second needs fewer than 60 (about 30 s). What is checked
is what the summary promises: the warehouse's tables match the sandbox's seeded data, no 429, no credit,
and the second run makes fewer requests for the same tables and says so.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest

from airflow_provider_snovio.sandbox.config import SandboxConfig
from airflow_provider_snovio.sandbox.data import build_data
from airflow_provider_snovio.sandbox.data.recipients import activity_events

ROOT = Path(__file__).resolve().parents[2]
#: The end of the demo run's data interval: scripts/demo.py runs the DAG for 2025-10-16, which reports on 2025-10-15.
RUN_END = datetime(2025, 10, 16, tzinfo=timezone.utc)
pytestmark = pytest.mark.slow


def run_demo(output: Path) -> subprocess.CompletedProcess[str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AIRFLOW") and k not in ("SNOVIO_CLIENT_ID", "SNOVIO_CLIENT_SECRET")
    }
    env["SNOVIO_DEMO_OUTPUT"] = str(output)
    result = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "demo.py")],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, f"{result.stdout[-4000:]}\n{result.stderr[-4000:]}"
    return result


def test_demo_runs_then_syncs_incrementally(tmp_path: Path) -> None:
    output = tmp_path / "demo-output"
    first = run_demo(output)
    first_run = json.loads((output / "last-run.json").read_text())
    second = run_demo(output)
    second_run = json.loads((output / "last-run.json").read_text())

    campaigns = build_data(SandboxConfig(seed=42)).campaigns.campaigns
    active = [c for c in campaigns if c.status != "Draft"]
    expected = {
        "snovio_campaigns": len(campaigns),
        "snovio_campaign_analytics": 3 * len(active),  # + 2 lookback days
        "snovio_campaign_replies": sum(len(c.replies) for c in active),
        "snovio_campaign_opens": sum(len(c.opens) for c in active),
        "snovio_campaign_clicks": sum(len(c.clicks) for c in active),
        "snovio_emails_sent": sum(len(c.sent) for c in active),
        "snovio_finished_prospects": sum(len(c.finished) for c in active),
        # every #72 event from each campaign's creation to the run's end (identical events in a second: one row)
        "snovio_recipient_activity": len(
            {(c.id, event) for c in active for event in activity_events(c, 0, RUN_END.timestamp(), {})}
        ),
    }
    with sqlite3.connect(output / "warehouse.sqlite") as db:
        assert {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in expected} == expected
    assert first_run["tables"] == second_run["tables"] == expected

    assert "metadata DB   created and migrated" in first.stdout and "metadata DB   reused" in second.stdout
    for result in (first, second):
        assert "429 responses:  0" in result.stdout and "credits spent: 0" in result.stdout
        assert "Q1 Outbound - Enterprise" in result.stdout  # the day's top campaign by reply rate
        assert str(output / "warehouse.sqlite") in result.stdout
    assert second_run["requests"] < first_run["requests"] == second_run["first_requests"]
    assert (
        f"the first run (a full sync) made {first_run['requests']} requests, this one {second_run['requests']}"
    ) in second.stdout
    assert "(unchanged)" in second.stdout
    assert len(list((output / "logs").glob("run-*.log"))) == 2

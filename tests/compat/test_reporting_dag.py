"""The reporting family (campaigns into a SQLite warehouse, then the day's report) through
``airflow dags test`` on the Airflow installed: ``make test-matrix`` runs it on each declared minor.
(The other families run from ``tests/e2e/test_dags_async.py`` in the same matrix leg.)"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.e2e.conftest import run_dag_test

DAGS = Path(__file__).resolve().parents[2] / "dags_examples"
pytestmark = pytest.mark.slow


def test_campaign_reporting_dag_on_sqlite(
    airflow_dags_env,
    snovio_sandbox: SandboxServer,
    tmp_path: Path,
) -> None:
    warehouse = tmp_path / "warehouse.sqlite"
    env = airflow_dags_env(
        snovio_sandbox,
        DAGS,
        {"AIRFLOW_CONN_SNOVIO_WAREHOUSE": json.dumps({"conn_type": "sqlite", "host": str(warehouse)})},
    )
    # 2025-10-16's run reports on 2025-10-15, a day inside the seeded campaigns' activity
    result = run_dag_test(
        "snovio_campaign_reporting", DAGS, env, extra_args=("2025-10-16T00:00:00+00:00",), timeout=300
    )
    campaigns = snovio_sandbox.state.data.campaigns.campaigns
    active = [c for c in campaigns if c.status != "Draft"]
    with sqlite3.connect(warehouse) as db:
        assert db.execute("SELECT COUNT(*) FROM snovio_campaigns").fetchone()[0] == len(campaigns)
        # the reported day and, lookback_days=2, the two days before it
        assert db.execute("SELECT COUNT(*) FROM snovio_campaign_analytics").fetchone()[0] == 3 * len(active)
        assert db.execute("SELECT COUNT(*) FROM snovio_campaign_replies").fetchone()[0] == sum(
            len(c.replies) for c in active
        )
    assert "Snov.io report for 2025-10-15" in result.stdout + result.stderr
    assert snovio_sandbox.stats()["credits_spent"] == 0

"""Fixtures of the reliability suite: SQLite warehouses reachable as Airflow connections, and the engagement sync.

The engagement sync is what a user schedules: ``SnovioToSqlOperator`` for replies, opens, clicks, sent
e-mails and finished prospects of every campaign, reading the Snov.io connection ``snovio_default`` and the
SQL connection from the environment. Tables are compared by digest (one SHA-256 per live row,
``_snovio_synced_at`` left out), so 100,000 rows compare without holding them all as Python tuples.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from airflow_provider_snovio.sandbox.testing import SandboxServer

#: resource -> the sandbox's campaign attribute holding its events ("finished" is a dict of row ids)
ENGAGEMENT = {
    "campaign_replies": "replies",
    "campaign_opens": "opens",
    "campaign_clicks": "clicks",
    "emails_sent": "sent",
    "finished_prospects": "finished",
}
#: Seeded data of the engagement runs: the big campaign cut to 10,500 replies (still more than one 10,000-row
#: page), the exactly-10,000 campaign kept (its last page is empty); ~60,000 rows in all.
ENGAGEMENT_DATA: dict[str, Any] = {"big_campaign_replies": 10_500}


def sql_connection(monkeypatch: pytest.MonkeyPatch, conn_id: str, path: Path) -> str:
    """Make ``conn_id`` an Airflow SQLite connection to ``path``; return its SQLAlchemy URL."""
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", json.dumps({"conn_type": "sqlite", "host": str(path)}))
    return f"sqlite:///{path}"


def sync_engagement(sql_conn_id: str, **snovio: Any) -> dict[str, dict[str, Any]]:
    """Run the five engagement syncs for every campaign, as tasks would; return each task's XCom."""
    from airflow_provider_snovio.transfers import SnovioToSqlOperator

    out = {}
    for name in ENGAGEMENT:
        op = SnovioToSqlOperator(task_id=f"sync_{name}", resource=name, sql_conn_id=sql_conn_id, **snovio)
        out[name] = op.execute({})
    return out


def table_digest(url: str, table: str) -> dict[tuple[str, str], str]:
    """``{(scope, id): sha256 of the row}`` of the live rows (not marked deleted) - every column but
    ``_snovio_synced_at``, ``_snovio_raw`` compared as parsed JSON."""
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            result = connection.execute(text(f"SELECT * FROM {table} WHERE _snovio_deleted_at IS NULL"))
            names = list(result.keys())
            digests: dict[tuple[str, str], str] = {}
            for row in result:
                values = dict(zip(names, row, strict=True))
                values.pop("_snovio_synced_at")
                raw = values["_snovio_raw"]
                values["_snovio_raw"] = json.loads(raw) if isinstance(raw, str) else raw
                key = (str(values["campaign_id"]), str(values["id"]))
                assert key not in digests, f"duplicate row {key} in {table}"
                canonical = json.dumps(values, sort_keys=True, default=str)
                digests[key] = hashlib.sha256(canonical.encode()).hexdigest()
    finally:
        engine.dispose()
    return digests


def upstream_keys(sandbox: SandboxServer, attribute: str) -> set[tuple[str, str]]:
    """Every (campaign id, row id) the sandbox serves for one engagement kind (its own data)."""
    with sandbox.state.lock:
        keys = set()
        for camp in sandbox.state.data.campaigns.campaigns:
            events = getattr(camp, attribute)
            ids = [row_id for row_id, _ in events.values()] if attribute == "finished" else [e.id for e in events]
            keys.update((str(camp.id), str(row_id)) for row_id in ids)
        return keys


@pytest.fixture(scope="module")
def clean_engagement(
    snovio_sandbox_session: SandboxServer, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, dict[tuple[str, str], str]]:
    """Digests of a fault-free engagement sync of the seeded data (the reference for the fault runs)."""
    sandbox = snovio_sandbox_session
    sandbox.restore_config()
    sandbox.reset()
    sandbox.configure(**ENGAGEMENT_DATA)
    path = tmp_path_factory.mktemp("clean-warehouse") / "clean.db"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("AIRFLOW_CONN_SNOVIO_DEFAULT", sandbox.connection_json())
        url = sql_connection(patch, "clean_warehouse", path)
        sync_engagement("clean_warehouse")
    stats = sandbox.stats()
    assert not stats["faults"] and not stats["responses_429"], stats  # really fault-free
    sandbox.restore_config()
    sandbox.reset()
    return {name: table_digest(url, f"snovio_{name}") for name in ENGAGEMENT}


@pytest.fixture
def sqlite_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], str]:
    """``make(conn_id) -> url``: a fresh SQLite file reachable as Airflow connection ``conn_id``."""

    def make(conn_id: str) -> str:
        return sql_connection(monkeypatch, conn_id, tmp_path / f"{conn_id}.db")

    return make


# The ``airflow dags test`` harness of tests/e2e (a private, migrated AIRFLOW_HOME per session).
from tests.e2e.conftest import airflow_dags_env, airflow_home  # noqa: E402, F401

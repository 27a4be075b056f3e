"""The campaign reporting example keeps running when a campaign is deleted upstream (issue 14, item 7).

Before: the DAG read its campaign ids back from the warehouse, so a campaign deleted in Snov.io was asked
for every day, answered 404, and failed the run. Now the ids come from the API, and every sync marks the
deleted campaign's rows deleted (``_snovio_deleted_at``) instead of failing. Real ``airflow dags test``
runs against the sandbox; a SQLite warehouse (the PostgreSQL side of the sync is in tests/warehouse).
"""

from __future__ import annotations

import pytest

from airflow_provider_snovio.sandbox.config import DELETED_CAMPAIGN_ANSWERS
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.e2e.conftest import run_dag_test
from tests.e2e.test_example_dags import DAGS, Warehouse, env_of, warehouse  # noqa: F401 (fixtures)

pytestmark = pytest.mark.slow
EVENT_TABLES = {
    "snovio_campaign_replies": "replies",
    "snovio_campaign_opens": "opens",
    "snovio_campaign_clicks": "clicks",
    "snovio_emails_sent": "sent",
}


@pytest.mark.parametrize("warehouse", ["sqlite"], indirect=True)
def test_a_campaign_deleted_between_two_runs(
    env_of,  # noqa: F811
    snovio_sandbox: SandboxServer,
    warehouse: Warehouse,  # noqa: F811
) -> None:
    snovio_sandbox.configure(deleted_campaign_answer=DELETED_CAMPAIGN_ANSWERS[0])  # 404, as Snov.io's docs
    run_dag_test("snovio_campaign_reporting", DAGS, env_of(snovio_sandbox), extra_args=("2025-10-16T00:00:00+00:00",))
    campaigns = snovio_sandbox.state.data.campaigns.campaigns
    victim = next(c for c in campaigns if c.status != "Draft" and c.replies and c.opens and c.sent)
    snovio_sandbox.delete_campaign(victim.id)

    result = run_dag_test(
        "snovio_campaign_reporting", DAGS, env_of(snovio_sandbox), extra_args=("2025-10-17T00:00:00+00:00",)
    )
    output = result.stdout + result.stderr
    assert f"campaign_id={victim.id}" in output and "no longer lists it" in output  # the warning names it
    assert warehouse.rows(
        f"SELECT COUNT(*) FROM snovio_campaigns WHERE id = {victim.id} AND _snovio_deleted_at IS NOT NULL"
    ) == [(1,)]
    for table, kind in EVENT_TABLES.items():
        live = warehouse.rows(
            f"SELECT COUNT(*) FROM {table} WHERE campaign_id = {victim.id} AND _snovio_deleted_at IS NULL"
        )
        gone = warehouse.rows(
            f"SELECT COUNT(*) FROM {table} WHERE campaign_id = {victim.id} AND _snovio_deleted_at IS NOT NULL"
        )
        assert (live, gone) == ([(0,)], [(len(getattr(victim, kind)),)]), table
    others = [c for c in snovio_sandbox.state.data.campaigns.campaigns if c.status != "Draft"]
    assert warehouse.rows("SELECT COUNT(*) FROM snovio_campaign_replies WHERE _snovio_deleted_at IS NULL") == [
        (sum(len(c.replies) for c in others),)
    ]
    assert {
        row[0]
        for row in warehouse.rows(
            "SELECT DISTINCT campaign_id FROM snovio_campaign_analytics WHERE date_from = '2025-10-16'"
        )
    } == {c.id for c in others}

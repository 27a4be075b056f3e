"""E2E: the three sensors - a v2 task (deferrable), campaign progress (deferrable), verification (poke)."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_snovio.sensors import (
    SnovioCampaignProgressSensor,
    SnovioEmailVerificationSensor,
    SnovioTaskSensor,
)

EMAILS = ["john.doe@yourdomain.com", "jane.doe@yourdomain.com"]
QUICK = {"poke_interval": 0.05, "timeout": 30}

with DAG("snovio_e2e_sensors", schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), catchup=False):

    @task
    def start_search() -> str:
        from airflow_provider_snovio.api.status import task_hash_of
        from airflow_provider_snovio.hooks.snovio import SnovioHook

        return task_hash_of(SnovioHook().start_domain_search("octagon.com"))

    @task
    def active_campaign() -> str:
        from airflow_provider_snovio.hooks.snovio import SnovioHook

        return str(next(c["id"] for c in SnovioHook().get_user_campaigns() if c["status"] == "Active"))

    @task
    def queue_emails() -> list[str]:
        from airflow_provider_snovio.hooks.snovio import SnovioHook

        SnovioHook().add_emails_to_verification(EMAILS)
        return EMAILS

    task_done = SnovioTaskSensor(
        task_id="task_done",
        task_hash=start_search(),
        result_method="get_domain_search_result",
        deferrable=True,
        **QUICK,
    )
    progress = SnovioCampaignProgressSensor(
        task_id="progress", campaign_id=active_campaign(), min_progress=50, deferrable=True, **QUICK
    )
    verified = SnovioEmailVerificationSensor(
        task_id="verified", emails=queue_emails(), mode="poke", deferrable=False, greylisted_poll_interval=0.05, **QUICK
    )

    @task
    def check(task_result: dict, progress_result: dict, statuses: dict) -> None:
        assert task_result["status"] == "completed", task_result
        assert progress_result["status"] == "Active", progress_result
        assert set(statuses) == set(EMAILS) and statuses["john.doe@yourdomain.com"] == "valid", statuses
        print("SNOVIO_E2E_SENSORS_OK")

    check(task_done.output, progress.output, verified.output)

"""E2E: e-mail verification, v1 (status first, queue the rest; deferrable) and v2 (chunks of 10)."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_snovio.operators import SnovioEmailVerificationOperator

EMAILS = [
    "gavin.vanrooyen@octagon.com",
    "lizi.hamer@octagon.com",
    "ben.gillespie@octagon.com",
    "info@octagon.com",
    "sales@octagon.com",
    "press@octagon.com",
    "john.doe@yourdomain.com",
    "jane.doe@yourdomain.com",
    "support@octagon.com",
    "marketing@octagon.com",
    "contact@octagon.com",
    "careers@octagon.com",
]
FAST = {"poll_interval": 0.05, "timeout": 30}

with DAG("snovio_e2e_verification", schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), catchup=False):
    v1 = SnovioEmailVerificationOperator(
        task_id="verify_v1", emails=EMAILS, deferrable=True, greylisted_poll_interval=0.05, **FAST
    )
    v2 = SnovioEmailVerificationOperator(task_id="verify_v2", emails=EMAILS, api_version="v2", deferrable=False, **FAST)

    @task
    def check(v1_result: dict, v2_result: dict) -> None:
        for result in (v1_result, v2_result):
            assert list(result["results"]) == EMAILS, result["results"]
            assert result["results"]["john.doe@yourdomain.com"]["smtp_status"] == "valid", result["results"]
        assert v1_result["queued"] == 12, v1_result["queued"]
        print("SNOVIO_E2E_VERIFICATION_OK")

    check(v1.output, v2.output)

"""E2E: the email finder, v1 (queue the not-found, ask again; deferrable) and v2 (start/result)."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_snovio.operators import SnovioEmailFinderOperator

PEOPLE = [
    {"first_name": "Gavin", "last_name": "Vanrooyen", "domain": "octagon.com"},
    {"first_name": "John", "last_name": "Doe", "domain": "yourdomain.com"},
    {"first_name": "Nobody", "last_name": "Known", "domain": "yourdomain.com"},
]
FAST = {"poll_interval": 0.05, "timeout": 30}

with DAG("snovio_e2e_finder", schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), catchup=False):
    v1 = SnovioEmailFinderOperator(task_id="find_v1", people=PEOPLE, api_version="v1", deferrable=True, **FAST)
    v2 = SnovioEmailFinderOperator(task_id="find_v2", people=PEOPLE, api_version="v2", deferrable=False, **FAST)

    @task
    def check(v1_result: dict, v2_result: dict) -> None:
        for result in (v1_result, v2_result):
            found = {p["last_name"]: [e["email"] for e in p["emails"]] for p in result["people"]}
            assert found == {
                "Vanrooyen": ["gavin.vanrooyen@octagon.com"],
                "Doe": ["john.doe@yourdomain.com"],
                "Known": [],
            }, found
        assert v1_result["queued"] == 3, v1_result
        print("SNOVIO_E2E_FINDER_OK")

    check(v1.output, v2.output)

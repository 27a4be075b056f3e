"""One DAG per async family through ``airflow dags test`` (deferrable tasks run their triggers in line).

Each run costs Airflow's own start-up (parsing, the in-process execution API: ~15 s on a quiet 2-core
machine); the Snov.io work in each is well under a few seconds against the sandbox.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.e2e.conftest import run_dag_test

DAGS = Path(__file__).parent / "dags"
pytestmark = pytest.mark.slow


def _run(dag_id: str, marker: str, env_of, sandbox: SandboxServer) -> dict:
    result = run_dag_test(dag_id, DAGS, env_of(sandbox, DAGS))
    assert marker in result.stdout + result.stderr, "the DAG's check task did not run"
    return sandbox.stats()


def test_domain_search_dag(airflow_dags_env, snovio_sandbox: SandboxServer) -> None:
    stats = _run("snovio_e2e_domain_search", "SNOVIO_E2E_DOMAIN_SEARCH_OK", airflow_dags_env, snovio_sandbox)
    # one start per tab and per prospect: resuming after each deferral started (and paid) nothing again
    assert {k: v for k, v in stats["requests"].items() if k.startswith("POST /v2/")} == {
        "POST /v2/domain-search/start": 1,
        "POST /v2/domain-search/prospects/start": 1,
        "POST /v2/domain-search/domain-emails/start": 1,
        "POST /v2/domain-search/generic-contacts/start": 1,
        "POST /v2/domain-search/prospects/search-emails/start/{prospect_hash}": 20,
    }
    assert 4 < stats["credits_spent"] <= 4 + 20


def test_finder_dag(airflow_dags_env, snovio_sandbox: SandboxServer) -> None:
    stats = _run("snovio_e2e_finder", "SNOVIO_E2E_FINDER_OK", airflow_dags_env, snovio_sandbox)
    assert stats["requests"]["POST /v1/add-names-to-find-emails"] == 3
    assert stats["requests"]["POST /v2/emails-by-domain-by-name/start"] == 1


def test_verification_dag(airflow_dags_env, snovio_sandbox: SandboxServer) -> None:
    snovio_sandbox.configure(greylisted_share=0.3)
    stats = _run("snovio_e2e_verification", "SNOVIO_E2E_VERIFICATION_OK", airflow_dags_env, snovio_sandbox)
    assert stats["credits_spent"] == 12 + 12
    assert stats["requests"]["POST /v1/add-emails-to-verification"] == 2


def test_sensors_dag(airflow_dags_env, snovio_sandbox: SandboxServer) -> None:
    stats = _run("snovio_e2e_sensors", "SNOVIO_E2E_SENSORS_OK", airflow_dags_env, snovio_sandbox)
    assert stats["credits_spent"] == 1 + 2  # the sensors themselves never pay

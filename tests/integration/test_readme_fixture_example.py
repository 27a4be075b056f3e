"""The README's "In your own tests" example, verbatim, so the manual stays true."""

from __future__ import annotations


def test_my_dag_task(snovio_conn_env):
    from airflow_provider_snovio.hooks.snovio import SnovioHook

    assert SnovioHook().get_balance()["data"]["balance"] == "25000.00"
    assert snovio_conn_env.stats()["requests"]["GET /v1/get-balance"] == 1

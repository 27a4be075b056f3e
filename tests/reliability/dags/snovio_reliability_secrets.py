"""Reliability E2E: a DAG whose logs, XComs and error texts ``test_secrets_e2e.py`` searches for secrets.

It syncs, verifies (deferrable: the trigger runs in line), reads the balance and progress, and collects the
texts of three errors a user meets: an unknown task hash, a wrong client secret and a rate-limit backend
whose Redis password is wrong. Every task uses the shared Redis limiter through a password in its URL.
"""

from __future__ import annotations

import logging

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_snovio.operators import (
    SnovioApiOperator,
    SnovioBalanceCheckOperator,
    SnovioEmailVerificationOperator,
)
from airflow_provider_snovio.transfers import SnovioToSqlOperator

log = logging.getLogger(__name__)
EMAILS = ["gavin.vanrooyen@octagon.com", "lizi.hamer@octagon.com", "info@octagon.com", "lead01@example1.com"]

with DAG(
    "snovio_reliability_secrets", schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), catchup=False
):
    replies = SnovioToSqlOperator(
        task_id="sync_replies", resource="campaign_replies", sql_conn_id="reliability_warehouse"
    )
    verify = SnovioEmailVerificationOperator(
        task_id="verify", emails=EMAILS, deferrable=True, poll_interval=0.05, timeout=60, greylisted_poll_interval=0.05
    )
    balance = SnovioBalanceCheckOperator(task_id="balance", min_balance=1)
    campaigns = SnovioApiOperator(task_id="campaigns", endpoint="get_user_campaigns")

    @task
    def error_texts() -> dict[str, list[str]]:
        from airflow_provider_snovio.api.errors import SnovioError
        from airflow_provider_snovio.hooks.snovio import SnovioHook

        texts: dict[str, list[str]] = {}
        for conn_id in ("snovio_default", "snovio_wrong_secret", "snovio_bad_redis"):
            ok, message = SnovioHook(conn_id).test_connection()
            texts[f"test_connection:{conn_id}"] = [str(ok), message]
        calls = {
            "unknown_task": lambda: SnovioHook().get_domain_search_result(task_hash="0123456789abcdef" * 2),
            "wrong_secret": lambda: SnovioHook("snovio_wrong_secret").get_balance(),
            "bad_redis": lambda: SnovioHook("snovio_bad_redis").get_balance(),
        }
        for name, call in calls.items():
            try:
                call()
            except SnovioError as error:
                log.exception("expected failure (%s)", name)  # the traceback goes to the task log
                texts[name] = [type(error).__name__, str(error), repr(error)]
        return texts

    replies >> verify >> [balance, campaigns] >> error_texts()

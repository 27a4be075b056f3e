"""Issue 15 item 2: the provider in a real Airflow deployment, one machine.

PostgreSQL metadata DB, LocalExecutor, and ``airflow api-server``, ``scheduler``, ``dag-processor`` and
``triggerer`` as separate processes (``conftest.Deployment``). The example reporting DAG and a DAG with every
deferrable operator and sensor (``dags/snovio_deploy_deferrable.py``) are triggered through the REST API:

1. both succeed; the deferred tasks ran in the triggerer process (its log names their triggers); the
   credits are exact, per paid endpoint; the reporting DAG spent nothing;
2. a second run of the deferrable DAG pays nothing again;
3. on a fresh account (sandbox reset), the triggerer is SIGKILLed while tasks wait in it and restarted: the
   run still succeeds, its triggers ran in the new triggerer, and it paid exactly what run 1 paid;
4. the whole test asked Snov.io for ONE token: every task try, resume and both triggerers shared it
   (issue 15 item 4; the sandbox issues tokens for an hour);
5. neither the client secret nor any token appears in any process's log or in any task log.

Time-compressed by the sandbox's ``task_polls_pending`` (asynchronous work pending for a few 1-s polls,
not minutes) and bounded: every wait has a deadline inside :data:`BUDGET_SECONDS`.
"""

from __future__ import annotations

import time

import pytest

from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.deployment.conftest import DEFERRABLE, DEFERRING, REPORTING, Deployment, deferrable_dag_credits, paid

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

#: The whole test, start-up included, must end within this (a loaded 2-core machine).
BUDGET_SECONDS = 540.0


def test_dags_run_in_a_real_deployment(deployment: Deployment, snovio_sandbox: SandboxServer) -> None:
    started = time.monotonic()
    deadline = started + BUDGET_SECONDS
    snovio_sandbox.configure(task_polls_pending=8, greylisted_share=0.0)  # ~8 s per wait (poll interval 1 s)
    deployment.start(deadline)
    startup = time.monotonic() - started

    # 1. Both DAGs, triggered through the REST API, at once.
    tokens_before = snovio_sandbox.stats()["tokens_issued"]
    report_run = deployment.trigger(REPORTING, logical_date="2025-10-16T00:00:00Z")
    run1 = deployment.trigger(DEFERRABLE)
    deployment.wait_run(DEFERRABLE, run1, deadline)
    deployment.wait_run(REPORTING, report_run, deadline)
    first = paid(snovio_sandbox)
    summary = deployment.xcom(DEFERRABLE, run1, "check")
    assert first == deferrable_dag_credits(summary), (first, summary)
    report = deployment.xcom(REPORTING, report_run, "report")
    assert report["tables"]["snovio_campaigns"] == len(snovio_sandbox.state.data.campaigns.campaigns), report
    # The deferring tasks deferred, and their triggers ran in the triggerer process: it writes each trigger's
    # log next to the task's, suffixed with its job id, and logs the event it fired.
    ran = deployment.trigger_logs(DEFERRABLE, run1)
    assert set(ran) >= DEFERRING, f"tasks that never waited in the triggerer: {DEFERRING - set(ran)}"
    first_triggerer = set().union(*ran.values())
    assert len(first_triggerer) == 1, ran
    tokens_run1 = snovio_sandbox.stats()["tokens_issued"] - tokens_before

    # 2. The same DAG again: everything is already paid for.
    run2 = deployment.trigger(DEFERRABLE)
    deployment.wait_run(DEFERRABLE, run2, deadline)
    assert paid(snovio_sandbox) == first, "the second run paid again"
    tokens_run2 = snovio_sandbox.stats()["tokens_issued"] - tokens_before - tokens_run1

    # 3. A fresh account (credits, paid ledger, verifications; tokens stay valid), the triggerer killed
    #    while tasks wait in it, then restarted.
    snovio_sandbox.configure(task_polls_pending=15)
    snovio_sandbox.reset()
    run3 = deployment.trigger(DEFERRABLE)
    deployment.wait_for(
        lambda: (
            {t for t, ti in deployment.task_instances(DEFERRABLE, run3).items() if ti["state"] == "deferred"}
            & {"verification", "email_finder"}
        ),
        deadline,
        "tasks of run 3 to defer",
        pause=0.3,
    )
    deployment.wait_for(  # their triggers are running (their log files exist; nothing fired yet)
        lambda: deployment.trigger_logs(DEFERRABLE, run3, fired=False).keys() & {"verification", "email_finder"},
        deadline,
        "the triggerer to run the deferred tasks of run 3",
        pause=0.3,
    )
    paid_before_kill = paid(snovio_sandbox)
    deployment.kill("triggerer")
    deployment.launch("triggerer")
    deployment.wait_run(DEFERRABLE, run3, deadline)
    assert paid(snovio_sandbox) == first, f"killing the triggerer paid again (before the kill: {paid_before_kill})"
    ran3 = deployment.trigger_logs(DEFERRABLE, run3)
    assert any(jobs - first_triggerer for jobs in ran3.values()), f"the restarted triggerer ran nothing: {ran3}"
    tokens_run3 = snovio_sandbox.stats()["tokens_issued"]  # stats restart at the reset
    retried = {
        run: {
            t: ti["try_number"] for t, ti in deployment.task_instances(DEFERRABLE, run).items() if ti["try_number"] > 1
        }
        for run in (run1, run2, run3)
    }

    # 4. One token for everything: 3 runs x 10 tasks, their resumes, 2 triggerers.
    print(
        f"\ndeployment test: start-up {startup:.0f} s, total {time.monotonic() - started:.0f} s; token "
        f"requests: run 1 (+ the reporting DAG) {tokens_run1}, run 2 {tokens_run2}, run 3 with the "
        f"triggerer killed {tokens_run3}; tasks retried: {retried}"
    )
    assert (tokens_run1, tokens_run2, tokens_run3) == (1, 0, 0)

    # 5. No secret in any log.
    secrets = [snovio_sandbox.client_secret, *snovio_sandbox.state.tokens]
    logs = deployment.all_logs()
    assert len(logs) > 10 and any("domain_search" in str(path) for path in logs), sorted(map(str, logs))
    leaks = [str(path) for path, text in logs.items() for secret in secrets if secret in text]
    assert not leaks, f"a secret appears in {leaks}"
    assert time.monotonic() - started < BUDGET_SECONDS

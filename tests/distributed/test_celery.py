"""Issue 15 item 3: the provider under CeleryExecutor, two workers on two "hosts", one Redis rate-limit backend.

The deployment of ``tests/deployment`` with the ``CeleryExecutor`` (``conftest.celery_deployment``): Redis is
the broker and, through the connection extra ``rate_limit_backend``, the one place where the account's
admission log and token live. Each worker has a home of its own (its own per-host rate-limit directory), so
nothing but Redis can make the workers and the triggerer share the account's limit.

The account's limit is lowered to :data:`LIMIT` requests per (real, 60-s) minute, below what the two DAGs
ask for when run together, so the limit is really pressed. Then:

1. both DAGs succeed; every task try ran on a Celery worker, on both workers; the deferred tasks waited in
   the triggerer; credits are exact, per paid endpoint; the reporting DAG spent nothing;
2. the sandbox never answered a 429, and its busiest window held exactly :data:`LIMIT` requests: the limit was
   reached and never exceeded, across both workers and the triggerer;
3. the whole test asked Snov.io for ONE token (the sandbox issues tokens for an hour), shared through Redis,
   where it is stored encrypted; no host kept a limiter or token file of its own;
4. neither the client secret nor any token appears in any process's or task's log, on any host.

Bounded: every wait has a deadline inside :data:`BUDGET_SECONDS`.
"""

from __future__ import annotations

import time

import pytest
import redis

from airflow_provider_snovio.api.ratelimit import REDIS_KEY_PREFIX
from airflow_provider_snovio.api.token_store import REDIS_TOKEN_PREFIX
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.deployment.conftest import DEFERRABLE, DEFERRING, REPORTING, Deployment, deferrable_dag_credits, paid
from tests.distributed.conftest import WORKERS

pytestmark = [pytest.mark.distributed, pytest.mark.slow, pytest.mark.timeout(600)]

#: The whole test, start-up included, must end within this (a loaded 2-core machine).
BUDGET_SECONDS = 540.0
#: The account's requests per minute (sandbox and connection alike): the two DAGs together ask for more.
LIMIT = 60


def test_dags_share_one_limit_across_celery_workers(
    celery_deployment: Deployment, snovio_sandbox: SandboxServer, redis_server: str
) -> None:
    deployment = celery_deployment
    started = time.monotonic()
    deadline = started + BUDGET_SECONDS
    snovio_sandbox.configure(task_polls_pending=8, greylisted_share=0.0, requests_per_minute=LIMIT)
    deployment.start(deadline)
    startup = time.monotonic() - started

    # 1. Both DAGs at once, triggered through the REST API.
    report_run = deployment.trigger(REPORTING, logical_date="2025-10-16T00:00:00Z")
    run = deployment.trigger(DEFERRABLE)
    deployment.wait_run(DEFERRABLE, run, deadline)
    deployment.wait_run(REPORTING, report_run, deadline)
    ran_for = time.monotonic() - started - startup
    summary = deployment.xcom(DEFERRABLE, run, "check")
    assert paid(snovio_sandbox) == deferrable_dag_credits(summary), (paid(snovio_sandbox), summary)
    report = deployment.xcom(REPORTING, report_run, "report")
    assert report["tables"]["snovio_campaigns"] == len(snovio_sandbox.state.data.campaigns.campaigns), report

    # Every task's tries ran on worker hosts (each try's log is in its host's home, and it reported its
    # host's name to the api-server), and both workers ran tasks.
    hosts: dict[str, set[str]] = {}
    hostnames: dict[str, str] = {}
    for dag_id, run_id in ((DEFERRABLE, run), (REPORTING, report_run)):
        instances = deployment.task_instances(dag_id, run_id)
        where = deployment.task_hosts(dag_id, run_id)
        assert set(where) == set(instances), (
            f"{dag_id}: tasks with no try log on any host: {set(instances) - set(where)}"
        )
        hosts.update({f"{dag_id}.{task}": found for task, found in where.items()})
        hostnames.update({f"{dag_id}.{task}": ti["hostname"] for task, ti in instances.items()})
    assert all(found <= set(WORKERS) for found in hosts.values()), f"a try ran off the workers: {hosts}"
    assert set().union(*hosts.values()) == set(WORKERS), f"not every worker ran a task: {hosts}"
    assert set(hostnames.values()) == set(WORKERS), hostnames
    # The deferring tasks waited in the one triggerer, which logged the events their triggers fired.
    triggered = deployment.trigger_logs(DEFERRABLE, run)
    assert set(triggered) >= DEFERRING, f"tasks that never waited in the triggerer: {DEFERRING - set(triggered)}"

    # 2. The limit was reached and held: not one 429.
    stats = snovio_sandbox.stats()
    by_worker = {w: sum(w in found for found in hosts.values()) for w in WORKERS}
    print(
        f"\ncelery test: start-up {startup:.0f} s, DAG runs {ran_for:.0f} s; {stats['total_requests']} requests, "
        f"peak {stats['peak_requests_in_window']} per {snovio_sandbox.state.config.rate_window_seconds:.0f} s "
        f"(limit {LIMIT}), 429s {stats['responses_429']}, tokens {stats['tokens_issued']}; tasks by worker: "
        f"{by_worker}; deferred in the triggerer: {sorted(triggered)}"
    )
    assert stats["responses_429"] == 0 and stats["rate_limited"] == 0, stats
    assert stats["peak_requests_in_window"] == LIMIT, "the DAGs' traffic never reached the limit: raise LIMIT's load"

    # 3. One token for both workers' every try and resume, and the triggerer; kept in Redis, encrypted.
    assert stats["tokens_issued"] == 1, stats["tokens_issued"]
    store = redis.Redis.from_url(f"{redis_server}/0")
    token_keys = list(store.scan_iter(f"{REDIS_TOKEN_PREFIX}*"))
    assert len(token_keys) == 1, token_keys
    stored = store.get(token_keys[0]) or b""
    assert all(token.encode() not in stored for token in snovio_sandbox.state.tokens), "a token in clear in Redis"
    assert list(store.scan_iter(f"{REDIS_KEY_PREFIX}*")), "no rate-limit log in Redis"
    local = [p for host in deployment.hosts for p in (host.home / "rate-limits").rglob("*") if p.is_file()]
    assert not local, f"a host kept limiter or token state of its own: {local}"

    # 4. No secret in any log, on any host.
    secrets = [snovio_sandbox.client_secret, *snovio_sandbox.state.tokens]
    logs = deployment.all_logs()
    leaks = [str(path) for path, text in logs.items() for secret in secrets if secret in text]
    assert not leaks, f"a secret appears in {leaks}"
    assert time.monotonic() - started < BUDGET_SECONDS

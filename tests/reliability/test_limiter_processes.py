"""Four processes sharing one limiter never exceed the limit, as the *sandbox* counts it.

``tests/integration/test_ratelimit_processes.py`` proves the limiter's own admissions stay within the
limit. Here each process is a real client sending real requests (token requests included) to the sandbox,
whose sliding window counts arrivals: it must never have refused one (no 429 from its limit), its busiest
window must hold at most the limit, and the processes together must still use most of it. Once for the
default per-host backend (a SQLite file) - the backend every deployment without configuration uses - and
once for Redis.
"""

from __future__ import annotations

import multiprocessing
from pathlib import Path

import pytest

from airflow_provider_snovio.api.ratelimit import RATE_LIMIT_DIR_ENV
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.integration.test_ratelimit_processes import private_redis_server
from tests.reliability.limiter_worker import send_until

pytestmark = pytest.mark.slow

LIMIT = 20
WINDOW = 2.0
DURATION = 6.0  # three windows
PROCESSES = 4


def run_processes(sandbox: SandboxServer, backend: str | None) -> int:
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(PROCESSES), ctx.Queue()
    workers = [
        ctx.Process(
            target=send_until,
            args=(
                sandbox.base_url,
                sandbox.client_id,
                sandbox.client_secret,
                backend,
                LIMIT,
                WINDOW,
                DURATION,
                barrier,
                results,
            ),
        )
        for _ in range(PROCESSES)
    ]
    for worker in workers:
        worker.start()
    try:
        sent = [results.get(timeout=180) for _ in workers]
    finally:
        for worker in workers:
            worker.join(timeout=10)
            if worker.is_alive():
                worker.kill()
    assert all(worker.exitcode == 0 for worker in workers), [worker.exitcode for worker in workers]
    return sum(sent)


@pytest.mark.parametrize("backend", ["per-host", "redis"])
def test_four_processes_never_exceed_the_limit_the_sandbox_counts(
    backend: str, snovio_sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(RATE_LIMIT_DIR_ENV, str(tmp_path))  # a fresh per-host log, not shared with other tests
    snovio_sandbox.configure(requests_per_minute=LIMIT, rate_window_seconds=WINDOW)
    if backend == "redis":
        with private_redis_server() as url:
            sent = run_processes(snovio_sandbox, url)
    else:
        sent = run_processes(snovio_sandbox, None)
    stats = snovio_sandbox.stats()
    assert stats["rate_limited"] == 0 and stats["responses_429"] == 0, stats
    assert stats["peak_requests_in_window"] <= LIMIT, stats
    assert stats["requests"]["GET /v1/get-balance"] == sent + PROCESSES  # + one warm-up call each
    print(
        f"{backend}: {sent} requests in {DURATION} s, peak {stats['peak_requests_in_window']} per {WINDOW} s "
        f"window (limit {LIMIT})"
    )
    # Not idle either: the limit was reached, and the four together used at least all but one window of it.
    assert stats["peak_requests_in_window"] == LIMIT, stats
    assert sent >= LIMIT * (DURATION / WINDOW - 1), sent

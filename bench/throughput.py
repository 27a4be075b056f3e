"""Items 1 and 2: requests per minute achieved on API-bound work, by one process and by four sharing a limiter.

Time is compressed 2x: the sandbox and the clients allow ``LIMIT`` = 300 requests per ``WINDOW`` = 30 s
sliding window (600/min) instead of a 60-s window. From 20-s windows up the limiter keeps the 1-s safety
margin it keeps in production (shorter windows get 5 % of the window, which alone would cap the ratio at
0.952). Each worker process builds its own :class:`SnovioClient` (its own limiter object, sharing only the
backend) and calls free reads in a loop for ``DURATION`` seconds, as fast as the limiter lets it. Every run
uses a new client id, so runs share no limiter log and the sandbox's counters are reset between them.

Achieved rate: a run of a sliding-window limiter is a burst then one admission per freed slot, so
counting requests in a fixed interval is off by up to a whole burst. Instead: ``LIMIT`` admissions take
on average ``mean(t[i + LIMIT] - t[i])`` seconds (t = the merged completion times, sorted); the achieved
share of the limit is ``WINDOW`` over that mean. Never above the limit: the sandbox answered no 429 (it
refuses, and counts, any request beyond ``LIMIT`` in a window) and its peak in any window is <= ``LIMIT``.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from statistics import fmean
from typing import Any

from bench.results import Result
from tests.windows import max_in_window

LIMIT = 300
WINDOW = 30.0
DURATION = 36.0  # two bursts (at 0 and ~31 s): the second one starts the steady state
PROCESSES = 4
#: Free reads cycled through: API-bound work that spends no credit.
CALLS = ("get_balance", "get_user_campaigns", "get_user_lists")


def achieved_share(stamps: list[float], limit: int, window: float) -> float:
    """``window`` / mean time taken by ``limit`` consecutive requests (1.0 = exactly the limit)."""
    ordered = sorted(stamps)
    spans = [ordered[i + limit] - ordered[i] for i in range(len(ordered) - limit)]
    if not spans:
        raise ValueError(f"only {len(ordered)} requests: too few to measure a rate over {limit}")
    return window / fmean(spans)


def rate_worker(
    base_url: str, client_id: str, limit: int, window: float, backend: str | None, duration: float
) -> dict[str, Any]:
    """Worker process: free reads in a loop from the common start; the completion stamps of the first
    ``duration`` seconds. The loop runs in a daemon thread: at the end of the period a call may sit in the
    limiter until the next window, and that wait is not part of the measurement."""
    from airflow_provider_snovio.api.client import SnovioClient
    from bench.child import wait_for_go
    from bench.infra import client_config

    config = client_config(
        base_url, client_id, requests_per_minute=limit, rate_limit_backend=backend, rate_window_seconds=window
    )
    stamps: list[float] = []
    client = SnovioClient(config)
    client.access_token()  # the token (one limited request) and the limiter's backend, before the clock
    start_at = wait_for_go()

    def loop() -> None:
        time.sleep(max(0.0, start_at - time.time()))
        index = 0
        while True:
            getattr(client, CALLS[index % len(CALLS)])()
            stamps.append(time.time())
            index += 1

    threading.Thread(target=loop, name="api-bound-work", daemon=True).start()
    time.sleep(max(0.0, start_at + duration - time.time()))
    return {"stamps": [stamp for stamp in list(stamps) if stamp <= start_at + duration]}


def _run(sandbox: Any, processes: int, backend: str | None) -> tuple[list[float], dict[str, Any]]:
    from bench.infra import SECRET_ENV, run_together

    sandbox.configure(client_id=f"bench-{uuid.uuid4().hex[:12]}")  # a new account: a fresh limiter log
    sandbox.reset()
    results = run_together(
        "bench.throughput:rate_worker",
        processes,
        env={SECRET_ENV: sandbox.client_secret},
        base_url=sandbox.base_url,
        client_id=sandbox.client_id,
        limit=LIMIT,
        window=WINDOW,
        backend=backend,
        duration=DURATION,
    )
    return [stamp for result in results for stamp in result["stamps"]], sandbox.stats()


def _describe(stamps: list[float], stats: dict[str, Any], share: float) -> str:
    return (
        f"{len(stamps)} calls in {max(stamps) - min(stamps):.1f} s; limit {LIMIT} per {WINDOW:g}-s window "
        f"(= {LIMIT * 60 / WINDOW:.0f}/min); achieved {share * LIMIT * 60 / WINDOW:.0f}/min; "
        f"sandbox: {stats['responses_429']} 429s, peak {stats['peak_requests_in_window']} in a window; "
        f"client-side max in any {WINDOW:g}-s window {max_in_window(stamps, WINDOW)}"
    )


def within_limit(stats: dict[str, Any]) -> bool:
    return stats["responses_429"] == 0 and stats["peak_requests_in_window"] <= LIMIT


def measure(redis_url: Callable[[], Any]) -> list[Result]:
    """Item 1 (one process, default per-host backend), then item 2 (four processes on the per-host SQLite log,
    then on a private Redis server ``redis_url()`` yields)."""
    from airflow_provider_snovio.sandbox.testing import SandboxServer

    out = []
    with SandboxServer(requests_per_minute=LIMIT, rate_window_seconds=WINDOW) as sandbox:
        stamps, stats = _run(sandbox, 1, None)
        share = achieved_share(stamps, LIMIT, WINDOW)
        out.append(
            Result(
                "1. requests/min achieved / limit, 1 process",
                round(share, 4),
                ">= 0.95, zero 429s",
                "ratio",
                share >= 0.95 and within_limit(stats),
                _describe(stamps, stats, share),
            )
        )
        for label in ("per-host SQLite", "Redis"):
            if label == "Redis":
                with redis_url() as url:
                    stamps, stats = _run(sandbox, PROCESSES, url)
            else:
                stamps, stats = _run(sandbox, PROCESSES, None)
            share = achieved_share(stamps, LIMIT, WINDOW)
            out.append(
                Result(
                    f"2. requests/min achieved / limit, {PROCESSES} processes, {label}",
                    round(share, 4),
                    ">= 0.90, never above the limit",
                    "ratio",
                    share >= 0.90 and within_limit(stats),
                    _describe(stamps, stats, share),
                )
            )
    return out

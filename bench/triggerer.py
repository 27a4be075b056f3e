"""Item 9: 200 deferred sensors' triggers in one triggerer-like event loop: request rate and loop lag.

A fresh process (the triggerer; the sandbox runs in the parent, as the API would run elsewhere) re-creates
``COUNT`` :class:`SnovioCampaignProgressTrigger` from their serialised kwargs - each waiting for a running
campaign to reach 100 %, which it does not - and runs them all in one asyncio loop until their common
deadline, beside a heartbeat coroutine that sleeps 10 ms at a time and records how late it wakes up.

The limit uses the real 60-s window (the hook reads only ``requests_per_minute`` from the connection;
it has no window knob), at 600 per window, so the run lasts a little more than one window. Demand
(``COUNT`` / ``POLL`` = 40 requests/s) is four times the limit: the shared limiter, awaited without
blocking the loop, has to hold it. The sandbox counts what arrived: its peak in any 60-s window and its
429s.
"""

from __future__ import annotations

import time
from statistics import quantiles
from typing import Any

from bench.results import Result

COUNT = 200
POLL = 5.0
LIMIT = 600
WINDOW = 60.0
DURATION = 70.0
HEARTBEAT = 0.01
#: The detail also gives the worst lag after this many seconds, once every trigger has started.
STARTUP = 10.0


def triggerer_worker(campaign_ids: list[int], count: int, poll_interval: float, duration: float) -> dict[str, Any]:
    """Worker process: ``count`` triggers and a heartbeat in one event loop; their events and the lags."""
    import asyncio
    from collections import Counter

    from airflow_provider_snovio.triggers import SnovioCampaignProgressTrigger
    from bench.sensor import rebuilt

    deadline = time.time() + duration
    triggers = [
        rebuilt(
            SnovioCampaignProgressTrigger(
                str(campaign_ids[i % len(campaign_ids)]),
                min_progress=100,
                deadline=deadline,
                poll_interval=poll_interval,
            )
        )
        for i in range(count)
    ]

    async def main() -> tuple[list[list[dict[str, Any]]], list[tuple[float, float]]]:
        loop = asyncio.get_running_loop()
        begun = loop.time()
        lags: list[tuple[float, float]] = []  # (seconds since the loop started, lag of that beat)
        finished = asyncio.Event()

        async def heartbeat() -> None:
            while not finished.is_set():
                before = loop.time()
                await asyncio.sleep(HEARTBEAT)
                lags.append((before - begun, loop.time() - before - HEARTBEAT))

        async def events_of(trigger: Any) -> list[dict[str, Any]]:
            return [event.payload async for event in trigger.run()]

        beat = asyncio.create_task(heartbeat())
        try:
            events = await asyncio.gather(*(events_of(trigger) for trigger in triggers))
        finally:
            finished.set()
            await beat
        return events, lags

    started = time.monotonic()
    events, lags = asyncio.run(main())
    statuses = Counter(payloads[-1]["status"] if payloads else "none" for payloads in events)
    return {
        "statuses": dict(statuses),
        "event_counts": sorted({len(p) for p in events}),
        "lags": lags,
        "elapsed": time.monotonic() - started,
    }


def measure() -> list[Result]:
    from airflow_provider_snovio.sandbox.testing import SandboxServer
    from bench.infra import run_worker

    with SandboxServer(requests_per_minute=LIMIT, rate_window_seconds=WINDOW) as sandbox:
        running = [c.id for c in sandbox.state.data.campaigns.campaigns if c.status in ("Active", "Paused")]
        result = run_worker(
            "bench.triggerer:triggerer_worker",
            env={"AIRFLOW_CONN_SNOVIO_DEFAULT": sandbox.connection_json()},
            campaign_ids=running,
            count=COUNT,
            poll_interval=POLL,
            duration=DURATION,
        )
        stats = sandbox.stats()
    lags = [lag for _, lag in result["lags"]]
    worst = max(lags) * 1000
    p99 = quantiles(lags, n=100)[98] * 1000
    worst_at = max(result["lags"], key=lambda beat: beat[1])[0]
    later = max((beat for beat in result["lags"] if beat[0] >= STARTUP), key=lambda beat: beat[1], default=(0.0, 0.0))
    peak = stats["peak_requests_in_window"]
    within = stats["responses_429"] == 0 and peak <= LIMIT
    waited = result["statuses"] == {"timeout": COUNT} and result["event_counts"] == [1]
    rate_detail = (
        f"{COUNT} triggers polling every {POLL:g} s ({COUNT / POLL:.0f} requests/s wanted) for "
        f"{result['elapsed']:.0f} s; limit {LIMIT} per {WINDOW:g}-s window; the sandbox served "
        f"{stats['total_requests']} requests ({stats['tokens_issued']} token), peak {peak} in a "
        f"window, {stats['responses_429']} 429s; trigger end events {result['statuses']}"
    )
    lag_detail = (
        f"heartbeat every {HEARTBEAT * 1000:.0f} ms, {len(lags)} beats: worst {worst:.1f} ms "
        f"({worst_at:.1f} s after the loop started), p99 {p99:.1f} ms; worst after the first "
        f"{STARTUP:g} s (all triggers polling): {later[1] * 1000:.1f} ms at {later[0]:.1f} s; all {COUNT} "
        f"triggers waited to their deadline: {waited}"
    )
    return [
        Result(
            f"9. {COUNT} deferred sensors, one event loop: peak requests in any window / limit",
            round(peak / LIMIT, 4),
            "<= 1.0, zero 429s",
            "ratio",
            within and waited,
            rate_detail,
        ),
        Result(
            f"9. {COUNT} deferred sensors, one event loop: worst event-loop lag",
            round(worst, 1),
            "< 100",
            "ms",
            worst < 100 and waited,
            lag_detail,
        ),
    ]

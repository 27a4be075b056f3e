"""The rate limiter for asyncio code (triggers): the same admissions, awaited without blocking the loop.

A trigger must not block the triggerer's event loop, which runs every other trigger too, and hundreds of
them may wait on one account. So each attempt runs in a worker thread, the waits between attempts are
``asyncio.sleep`` (a waiter cancelled while it sleeps, a trigger being stopped, leaves no thread behind
that would later take a slot for nothing), and the waiters' wake-ups are spread (:func:`async_wake_delay`).
"""

from __future__ import annotations

import asyncio
import random
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_provider_snovio.api.ratelimit.limiter import RateLimiter
    from airflow_provider_snovio.api.ratelimit.policy import Admission

#: Async waiters sleep up to this share longer than the wait the log reported (at most
#: :data:`ASYNC_WAKE_JITTER_MAX_SECONDS` more). Hundreds of triggers waiting on one full window all learn the
#: same wait; waking them at one instant made the triggerer's event loop lag 0.4 s (``make bench`` item 9).
#: Jitter only ever delays an attempt, so it cannot let a request through early.
ASYNC_WAKE_JITTER = 0.2
ASYNC_WAKE_JITTER_MAX_SECONDS = 2.0


def async_wake_delay(wait: float) -> float:
    """``wait`` plus a random share of it (see :data:`ASYNC_WAKE_JITTER`)."""
    return wait + random.uniform(0.0, min(wait * ASYNC_WAKE_JITTER, ASYNC_WAKE_JITTER_MAX_SECONDS))


async def acquire_async(limiter: RateLimiter, family: str | None = None, units: int = 1) -> Admission:
    """:meth:`RateLimiter.acquire` for asyncio code (see the module docstring); what ``acquire`` returns."""
    from airflow_provider_snovio.api.ratelimit.policy import new_admission

    quota = limiter.quota_ask(family, units)
    admission = new_admission(quota)
    while True:
        wait = await asyncio.to_thread(limiter._attempt, quota, admission.ticket)
        if wait is None:
            return admission
        await asyncio.sleep(async_wake_delay(wait))

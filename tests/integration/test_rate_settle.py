"""A request's rate entry counts from its answer on, not from its admission (``RateLimiter.settle``).

Why: the client stamps a request when it admits it, Snov.io when it arrives. A request that reaches the
server late (a process descheduled between admission and send, a busy event loop: 1.5 s was measured in
the CeleryExecutor deployment test) would leave the client's log before the server's, and the 61st request
of a window got through: a 429. Settled at the answer, the entry lives on the client at least as long as on
the server. Checked on every backend (this process's memory, the per-host SQLite log, a private Redis), for
a log written before entries had tickets, and through the client against the sandbox.
"""

from __future__ import annotations

import dataclasses
import sqlite3
import time
import uuid
from pathlib import Path

import pytest

from airflow_provider_snovio.api.client import SnovioClient
from airflow_provider_snovio.api.ratelimit import RateLimiter, safety_margin_seconds
from airflow_provider_snovio.api.token import TokenCache
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.integration.conftest import FAST_RETRIES

WINDOW = 0.6


pytestmark = pytest.mark.usefixtures("private_rate_limit_dir")  # tests/limiter_backends.py


def key() -> str:
    return f"https://api.snov.io|settle-{uuid.uuid4().hex}"


def test_a_settled_request_counts_from_its_answer(backend: str | None) -> None:
    limiter = RateLimiter(key(), 2, backend, window_seconds=WINDOW)
    interval = WINDOW + safety_margin_seconds(WINDOW)
    start = time.monotonic()
    slow = limiter.acquire()
    limiter.acquire()
    time.sleep(0.3)
    limiter.settle(slow)  # its answer came 0.3 s after its admission
    assert max(limiter._ready().stamps()) - min(limiter._ready().stamps()) >= 0.29
    time.sleep(max(0.0, start + interval + 0.1 - time.monotonic()))
    # The other entry has left the window; the settled one (out at ~0.3 s + interval) has not.
    assert limiter._attempt() is None
    assert limiter._attempt() is not None, "the settled request was aged out at its admission time"


def test_a_log_from_before_tickets_is_taken_over(private_rate_limit_dir: Path) -> None:
    limiter = RateLimiter(key(), 2, None, window_seconds=WINDOW)
    path = Path(limiter.location)  # the per-host SQLite file under the private directory
    assert path.is_relative_to(private_rate_limit_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(path) as old:  # the schema of an older release, one entry of it
        old.execute("CREATE TABLE admissions (stamp REAL NOT NULL)")
        old.execute("INSERT INTO admissions (stamp) VALUES (?)", (time.time(),))
    admitted = limiter.acquire()
    limiter.settle(admitted)
    assert len(limiter._ready().stamps()) == 2
    assert limiter._attempt() is not None  # the old entry still counts


def test_the_client_settles_every_request_at_its_answer(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    snovio_sandbox.configure(latency_ms=400)
    config = dataclasses.replace(hook.client_config(), retry=FAST_RETRIES, rate_limit_backend="memory")
    limiter = RateLimiter(config.account_key, 60, "memory")
    client = SnovioClient(config, tokens=TokenCache(), limiter=limiter)
    start = time.monotonic()
    client.get_balance()  # a token request, then the balance: each answered 0.4 s after it was sent
    first, second = limiter._ready().stamps()
    assert first - start >= 0.39, "the token request was counted from its admission, not its answer"
    assert time.monotonic() - second < 0.2, "the balance request was counted from its admission, not its answer"

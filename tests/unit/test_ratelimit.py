"""Unit tests of the Snov.io rate limiter: validation, caching, threads, asyncio, per-host files."""

from __future__ import annotations

import asyncio
import importlib.util
import math
import multiprocessing
import os
import sqlite3
import stat
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest

from airflow_provider_snovio.api import ratelimit
from airflow_provider_snovio.api.ratelimit import (
    RATE_LIMIT_DIR_ENV,
    SAFETY_MARGIN_SECONDS,
    RateLimitBackendError,
    RateLimiter,
    get_rate_limiter,
    safety_margin_seconds,
)
from tests.windows import max_in_window


def theoretical_max(limit: int, window: float, duration: float) -> int:
    """Most admissions a period of ``duration`` can hold without ever exceeding ``limit`` per window."""
    return limit * math.ceil(duration / window)


def unique_key() -> str:
    return f"https://api.snov.io|client-{uuid.uuid4().hex}"


#: Per-host SQLite files of these tests stay out of the real default directory (tests/limiter_backends.py).
pytestmark = pytest.mark.usefixtures("private_rate_limit_dir")


# -- validation -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [0, -1, 1.5, "60", True, None])
def test_requests_per_minute_must_be_positive_int(value: object) -> None:
    with pytest.raises(ValueError, match="requests_per_minute"):
        get_rate_limiter(unique_key(), value, "memory")  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["http://localhost:6379", "sqlite:///tmp/x.db", "mem", "redis", 5])
def test_unknown_backend_names_the_field(value: object) -> None:
    with pytest.raises(ValueError, match="rate_limit_backend"):
        get_rate_limiter(unique_key(), 60, value)  # type: ignore[arg-type]


def test_backend_error_does_not_leak_a_password() -> None:
    with pytest.raises(ValueError, match="rate_limit_backend") as info:
        get_rate_limiter(unique_key(), 60, "http://user:hunter2@cache:6379/0")
    assert "hunter2" not in str(info.value)


@pytest.mark.parametrize("value", [0, -2.0, float("nan"), float("inf"), "60", True])
def test_window_seconds_must_be_positive(value: object) -> None:
    with pytest.raises(ValueError, match="window_seconds"):
        get_rate_limiter(unique_key(), 60, "memory", window_seconds=value)  # type: ignore[arg-type]


@pytest.mark.parametrize("value", ["", None, 5])
def test_account_key_must_be_a_non_empty_string(value: object) -> None:
    with pytest.raises(ValueError, match="account_key"):
        get_rate_limiter(value, 60, "memory")  # type: ignore[arg-type]


def test_margin_is_one_second_for_a_minute_and_small_for_short_windows() -> None:
    assert SAFETY_MARGIN_SECONDS == 1.0
    assert safety_margin_seconds(60.0) == 1.0
    assert safety_margin_seconds(2.0) == pytest.approx(0.1)
    limiter = get_rate_limiter(unique_key())
    assert limiter.requests_per_minute == 60
    assert limiter.window_seconds == 60.0
    assert limiter.margin_seconds == 1.0
    # 60 per 61 s: the achievable share of the nominal limit stays above the 0.95 target.
    assert 60 / (60 + limiter.margin_seconds) >= 0.95


# -- caching --------------------------------------------------------------------------------------------


def test_same_arguments_give_the_same_object() -> None:
    key = unique_key()
    first = get_rate_limiter(key, 60, "memory")
    assert get_rate_limiter(key, 60, "memory") is first
    assert get_rate_limiter(key, requests_per_minute=60, backend="memory", window_seconds=60) is first
    assert get_rate_limiter(key, 30, "memory") is not first
    assert get_rate_limiter(key, 60, "memory", window_seconds=30) is not first
    assert get_rate_limiter(unique_key(), 60, "memory") is not first
    assert get_rate_limiter(key, 60, None) is get_rate_limiter(key, 60, "")


def test_cache_is_thread_safe() -> None:
    key = unique_key()
    barrier = threading.Barrier(16)
    seen: list[RateLimiter] = []

    def grab() -> None:
        barrier.wait()
        seen.append(get_rate_limiter(key, 60, "memory"))

    threads = [threading.Thread(target=grab) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == 16
    assert len({id(limiter) for limiter in seen}) == 1


# -- admission ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["memory", None])
def test_burst_then_wait_for_the_oldest_to_leave_the_window(backend: str | None) -> None:
    limiter = get_rate_limiter(unique_key(), 3, backend, window_seconds=0.5)
    limiter.acquire()  # opens the bucket
    start = time.monotonic()
    limiter.acquire()
    limiter.acquire()
    assert time.monotonic() - start < 0.2
    limiter.acquire()
    waited = time.monotonic() - start
    assert 0.5 <= waited < 0.5 + limiter.margin_seconds + 0.25


@pytest.mark.parametrize("backend", ["memory", None])
def test_different_accounts_do_not_share_a_limit(backend: str | None) -> None:
    first = get_rate_limiter(unique_key(), 2, backend, window_seconds=5)
    second = get_rate_limiter(unique_key(), 2, backend, window_seconds=5)
    first.acquire()
    first.acquire()
    assert first._attempt() is not None  # exhausted for 5 s
    start = time.monotonic()
    second.acquire()
    second.acquire()
    assert time.monotonic() - start < 0.5


def test_limiters_with_different_rates_share_the_account_log() -> None:
    """Two configurations for one account must not add up to more than the higher limit."""
    key = unique_key()
    strict = get_rate_limiter(key, 2, None, window_seconds=5)
    loose = get_rate_limiter(key, 3, None, window_seconds=5)
    assert strict.location == loose.location
    strict.acquire()
    strict.acquire()
    assert strict._attempt() is not None
    assert loose._attempt() is None  # 3rd request of the account: within the loose limit
    assert loose._attempt() is not None  # 4th would exceed it


def test_host_backend_counts_entries_stamped_slightly_later() -> None:
    """An entry another process stamped a moment later than our clock reading still counts."""
    limiter = get_rate_limiter(unique_key(), 1, None, window_seconds=5)
    store = limiter._ready()
    store.insert(time.time() + 0.5)
    wait = limiter._attempt()
    assert wait is not None and wait > 0


def test_host_backend_drops_entries_from_a_clock_stepped_back(caplog: pytest.LogCaptureFixture) -> None:
    """Entries more than a window in the future (the wall clock was stepped back) must not block the account
    until the clock catches up; they are dropped with a warning."""
    limiter = get_rate_limiter(unique_key(), 1, None, window_seconds=5)
    store = limiter._ready()
    store.insert(time.time() + 3600)
    with caplog.at_level("WARNING", logger=ratelimit.__name__):
        assert limiter._attempt() is None
    assert "stepped backwards" in caplog.text
    assert len(store.stamps()) == 1


@pytest.mark.parametrize("backend", ["memory", None])
def test_a_lower_limit_waits_for_the_right_entry_to_leave(backend: str | None) -> None:
    """With more entries than its own limit (a higher-limit limiter shares the log), the wait is until
    enough entries leave for one more to fit, not until the oldest leaves."""
    limiter = get_rate_limiter(unique_key(), 2, backend, window_seconds=1.0)
    store = limiter._ready()
    if backend is None:
        now = time.time()
        for offset in (-0.9, -0.5, -0.1):  # three entries, limit two: the second oldest must leave
            store.insert(now + offset)
        wait = limiter._attempt()
        interval = 1.0 + limiter.margin_seconds
        assert wait == pytest.approx(interval - 0.5, abs=0.05)
    else:
        limiter.acquire()
        time.sleep(0.3)
        limiter.acquire()
        wait = limiter._attempt()
        assert wait is not None
        assert wait == pytest.approx(1.0 + limiter.margin_seconds - 0.3, abs=0.05)


@pytest.mark.parametrize("backend", ["memory", None])
def test_threads_never_exceed_the_limit_and_reach_it(backend: str | None) -> None:
    limit, window, duration = 10, 1.0, 3.0
    limiter = get_rate_limiter(unique_key(), limit, backend, window_seconds=window)
    limiter.acquire()  # open the bucket before timing; this admission is counted below
    stamps: list[float] = [time.monotonic()]
    lock = threading.Lock()
    start = stamps[0]

    def work() -> None:
        while True:
            limiter.acquire()
            now = time.monotonic()
            if now - start >= duration:
                return
            with lock:
                stamps.append(now)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=10)
        assert not thread.is_alive()

    assert max_in_window(stamps, window) <= limit
    ratio = len(stamps) / theoretical_max(limit, window, duration)
    print(f"threads/{backend or 'host'}: {len(stamps)} admitted, ratio {ratio:.3f}")
    assert ratio >= 0.9


def test_timestamps_are_taken_after_the_wait_not_planned_before_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """A sleep that overshoots must not make the request look older than it is."""
    limiter = get_rate_limiter(unique_key(), 1, "memory", window_seconds=0.2)
    limiter.acquire()
    real_sleep = time.sleep
    monkeypatch.setattr(time, "sleep", lambda seconds: real_sleep(seconds + 0.3))
    limiter.acquire()  # waits ~0.21 s, oversleeps by 0.3 s
    after = time.monotonic()
    newest = max(limiter._ready().stamps())
    assert 0 <= after - newest < 0.05


@pytest.mark.parametrize("backend", ["memory", None])
def test_expired_entries_are_deleted(backend: str | None) -> None:
    limiter = get_rate_limiter(unique_key(), 3, backend, window_seconds=0.05)
    for _ in range(3):
        limiter.acquire()
    store = limiter._ready()
    assert len(store.stamps()) == 3
    time.sleep(0.1)  # older than the window (+ margin)
    limiter.acquire()
    assert len(store.stamps()) == 1


# -- asyncio --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("backend", ["memory", None])
def test_acquire_async_does_not_block_the_event_loop(backend: str | None) -> None:
    limiter = get_rate_limiter(unique_key(), 2, backend, window_seconds=0.5)

    async def scenario() -> tuple[float, int]:
        await limiter.acquire_async()
        await limiter.acquire_async()
        ticks = 0
        done = asyncio.Event()

        async def ticker() -> None:
            nonlocal ticks
            while not done.is_set():
                await asyncio.sleep(0.01)
                ticks += 1

        task = asyncio.create_task(ticker())
        start = time.monotonic()
        await limiter.acquire_async()  # must wait ~0.525 s for a slot
        waited = time.monotonic() - start
        done.set()
        await task
        return waited, ticks

    waited, ticks = asyncio.run(scenario())
    assert waited >= 0.4
    # ~50 ticks of 10 ms fit in the wait; a blocked loop would manage at most one or two.
    assert ticks >= 20


def test_cancelled_async_waiter_does_not_consume_a_slot() -> None:
    limiter = get_rate_limiter(unique_key(), 1, "memory", window_seconds=0.3)

    async def scenario() -> None:
        await limiter.acquire_async()
        with pytest.raises(asyncio.TimeoutError):
            await asyncio.wait_for(limiter.acquire_async(), timeout=0.1)
        await asyncio.sleep(0.35)

    asyncio.run(scenario())
    assert limiter._attempt() is None  # the slot freed by the window is still there


# -- per-host files and backends ------------------------------------------------------------------------


def test_host_backend_file_is_named_from_a_hash(private_rate_limit_dir: Path) -> None:
    key = "https://api.snov.io|client-id-that-must-not-appear"
    limiter = get_rate_limiter(key, 5, None, window_seconds=2)
    limiter.acquire()
    path = Path(limiter.location)
    assert path.parent == private_rate_limit_dir
    assert path.exists()
    for name in os.listdir(private_rate_limit_dir):
        assert "client-id" not in name and "snov.io" not in name
    other_window = get_rate_limiter(key, 5, None, window_seconds=3)
    assert other_window.location != limiter.location
    assert get_rate_limiter(unique_key(), 5, None, window_seconds=2).location != limiter.location


def test_default_directory_is_private_to_the_user(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RATE_LIMIT_DIR_ENV, raising=False)
    limiter = RateLimiter(unique_key(), 5, None, window_seconds=1)
    try:
        limiter.acquire()
        path = Path(limiter.location)
        expected_dir = Path(tempfile.gettempdir()) / f"airflow-provider-snovio-{os.getuid()}"
        assert path.parent == expected_dir
        assert stat.S_IMODE(os.stat(expected_dir).st_mode) == 0o700
    finally:
        limiter.close()
        for suffix in ("", "-wal", "-shm", ".lock"):
            Path(f"{limiter.location}{suffix}").unlink(missing_ok=True)


def test_redis_extra_missing_gives_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util, "find_spec", lambda name, *a: None if name == "redis" else real_find_spec(name, *a)
    )
    with pytest.raises(ImportError, match=r"airflow-provider-snovio\[redis\]"):
        RateLimiter(unique_key(), 60, "redis://127.0.0.1:6379/0")


def test_redis_backend_connects_lazily_and_hides_the_password() -> None:
    limiter = get_rate_limiter(unique_key(), 60, "redis://:hunter2@127.0.0.1:1/0")  # nothing listens on :1
    assert "hunter2" not in repr(limiter)
    assert limiter.location.startswith("airflow-provider-snovio:ratelimit:")
    with pytest.raises(RateLimitBackendError, match="rate_limit_backend") as info:
        limiter.acquire()
    assert isinstance(info.value, ConnectionError)
    assert "hunter2" not in str(info.value)


def test_a_broken_host_log_is_a_backend_error(private_rate_limit_dir: Path) -> None:
    """A per-host log that is not a database: a RateLimitBackendError (a ConnectionError) naming the field."""
    limiter = get_rate_limiter(unique_key(), 5, None, window_seconds=1)
    private_rate_limit_dir.mkdir(parents=True, exist_ok=True)
    Path(limiter.location).write_bytes(b"not a sqlite database" * 100)
    with pytest.raises(RateLimitBackendError, match="rate_limit_backend") as info:
        limiter.acquire()
    assert isinstance(info.value, ConnectionError)


def _acquire_in_forked_child(limiter: RateLimiter, queue: multiprocessing.Queue) -> None:
    limiter.acquire()
    queue.put(limiter._ready() is not None)


def test_forked_child_reopens_the_bucket() -> None:
    """Airflow's LocalExecutor forks: an inherited limiter must not reuse the parent's SQLite/file lock."""
    if "fork" not in multiprocessing.get_all_start_methods():
        pytest.fail("this platform cannot fork; the rate limiter's fork handling is untested")
    limiter = get_rate_limiter(unique_key(), 5, None, window_seconds=1)
    limiter.acquire()
    parent_state = limiter._ready()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_acquire_in_forked_child, args=(limiter, queue))
    child.start()
    child.join(timeout=20)
    assert child.exitcode == 0
    assert queue.get(timeout=5) is True
    limiter.acquire()
    assert limiter._ready() is parent_state
    # parent + child + parent: three entries in the shared per-host log
    assert len(parent_state.stamps()) == 3


def test_module_does_not_import_airflow() -> None:
    """The API layer stays importable (and cheap) without Airflow."""
    code = (
        "import sys; import airflow_provider_snovio.api.ratelimit; "
        "sys.exit(1 if any(m == 'airflow' or m.startswith('airflow.') for m in sys.modules) else 0)"
    )
    assert subprocess.run([sys.executable, "-c", code], timeout=60).returncode == 0


def test_async_wake_delays_are_spread_and_never_early() -> None:
    """Many async waiters told the same wait must not all wake at one instant (the triggerer's event loop
    lagged when 200 did), and none may wake before the wait the log reported."""
    from airflow_provider_snovio.api import ratelimit

    for wait in (0.5, 4.0, 60.0):
        delays = [ratelimit.async_wake_delay(wait) for _ in range(200)]
        most = wait + min(wait * ratelimit.ASYNC_WAKE_JITTER, ratelimit.ASYNC_WAKE_JITTER_MAX_SECONDS)
        assert all(wait <= delay <= most for delay in delays)
        assert len({round(delay, 4) for delay in delays}) > 100  # spread, not one instant


def test_acquire_async_sleeps_the_jittered_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    import asyncio

    from airflow_provider_snovio.api import ratelimit

    limiter = ratelimit.RateLimiter("jitter-account", 1, "memory", window_seconds=60)
    answers = iter([4.0, 2.5, None, None])
    monkeypatch.setattr(limiter, "_attempt", lambda quota=None, ticket="": next(answers))
    asked: list[float] = []
    monkeypatch.setattr(ratelimit.aio, "async_wake_delay", lambda wait: asked.append(wait) or 0.0)

    async def twice() -> None:
        await limiter.acquire_async()
        await limiter.acquire_async()

    asyncio.run(twice())
    assert asked == [4.0, 2.5]


class _LockedThenFree:
    """A connection whose journal-mode change is refused ``locked`` times as "database is locked"."""

    def __init__(self, locked: int, message: str = "database is locked") -> None:
        self.locked, self.message, self.calls = locked, message, 0

    def execute(self, sql: str) -> None:
        self.calls += 1
        if self.calls <= self.locked:
            raise sqlite3.OperationalError(self.message)


def test_switching_the_log_to_wal_waits_while_another_process_holds_the_file() -> None:
    """Two workers opening a new per-host log at once: SQLite refuses the journal-mode change with
    "database is locked" without its busy handler, so the store retries it instead of failing."""
    from airflow_provider_snovio.api.ratelimit.sqlite import _enable_wal

    conn = _LockedThenFree(locked=3)
    _enable_wal(conn)  # type: ignore[arg-type]
    assert conn.calls == 4
    other = _LockedThenFree(locked=1, message="disk I/O error")
    with pytest.raises(sqlite3.OperationalError, match="disk I/O"):
        _enable_wal(other)  # type: ignore[arg-type]
    assert other.calls == 1  # any other error is not retried

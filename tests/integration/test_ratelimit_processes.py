"""The rate limit holds across real processes: per host by default, and across a private Redis server.

Each worker is a separate interpreter (multiprocessing, spawn) that builds its own limiter with
``get_rate_limiter``, exactly as independent Airflow task processes would. The workers record the wall-clock
time at which each request was admitted; the merged stamps must never put more than the limit in any
sliding window, and must come close to the most the limit allows.
"""

from __future__ import annotations

import contextlib
import math
import multiprocessing
import shutil
import socket
import subprocess
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_snovio.api.ratelimit import RATE_LIMIT_DIR_ENV, RateLimiter
from tests.windows import max_in_window

LIMIT = 6
WINDOW = 2.0
DURATION = 3.0  # two windows' worth of admissions; each test takes ~5 s including spawn


def _worker(
    account_key: str,
    backend: str | None,
    barrier: Any,
    results: Any,
    index: int,
) -> None:
    # Imported in the child: each process builds its own limiter, sharing only the backend.
    from airflow_provider_snovio.api.ratelimit import get_rate_limiter

    limiter = get_rate_limiter(account_key, LIMIT, backend, window_seconds=WINDOW)
    # Open the bucket (imports, SQLite file, Redis connection) before the common start, so that a slow
    # start-up of one process does not eat into the measured period.
    limiter._ready()
    stamps: list[float] = []
    barrier.wait(timeout=60)
    start = time.time()
    while True:
        limiter.acquire()
        now = time.time()
        if now - start >= DURATION:
            break
        stamps.append(now)
    results.put((index, account_key, stamps))


def run_workers(specs: list[tuple[str, str | None]]) -> dict[str, list[float]]:
    """Run one spawned process per (account_key, backend); return the admission stamps per account."""
    ctx = multiprocessing.get_context("spawn")
    barrier = ctx.Barrier(len(specs))
    results = ctx.Queue()
    processes = [
        ctx.Process(target=_worker, args=(key, backend, barrier, results, index))
        for index, (key, backend) in enumerate(specs)
    ]
    for process in processes:
        process.start()
    collected: dict[str, list[float]] = {}
    try:
        for _ in processes:
            _, key, stamps = results.get(timeout=60)
            collected.setdefault(key, []).extend(stamps)
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
    assert all(process.exitcode == 0 for process in processes)
    return collected


def check_limit(stamps: list[float], label: str) -> float:
    """Assert the limit held and was nearly reached; return the achieved ratio."""
    assert max_in_window(stamps, WINDOW) <= LIMIT, f"{label}: more than {LIMIT} in a {WINDOW}-s window"
    ratio = len(stamps) / (LIMIT * math.ceil(DURATION / WINDOW))
    ordered = sorted(stamps)
    # Shortest span of LIMIT + 1 consecutive admissions: must exceed the window (by about the margin).
    spans = [ordered[i + LIMIT] - ordered[i] for i in range(len(ordered) - LIMIT)]
    print(
        f"{label}: {len(stamps)} admitted, achieved ratio {ratio:.3f}, "
        f"shortest span of {LIMIT + 1} admissions {min(spans, default=float('nan')):.3f} s"
    )
    assert ratio >= 0.8, f"{label}: only {len(stamps)} admitted (ratio {ratio:.2f})"
    return ratio


def new_key() -> str:
    return f"https://api.snov.io|client-{uuid.uuid4().hex}"


# -- per host (default backend) -------------------------------------------------------------------------


def test_two_processes_share_the_default_per_host_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """No configuration at all: the default directory and file are found by both processes."""
    monkeypatch.delenv(RATE_LIMIT_DIR_ENV, raising=False)
    key = new_key()
    location = RateLimiter(key, LIMIT, None, window_seconds=WINDOW).location
    try:
        stamps = run_workers([(key, None), (key, None)])[key]
        check_limit(stamps, "2 processes, per-host default")
    finally:
        for suffix in ("", "-wal", "-shm", ".lock"):
            Path(f"{location}{suffix}").unlink(missing_ok=True)


def test_four_processes_share_the_per_host_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RATE_LIMIT_DIR_ENV, str(tmp_path))
    key = new_key()
    stamps = run_workers([(key, None)] * 4)[key]
    check_limit(stamps, "4 processes, per-host")
    assert len(list(tmp_path.glob("snovio-ratelimit-*.sqlite"))) == 1


def test_different_accounts_do_not_share_a_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RATE_LIMIT_DIR_ENV, str(tmp_path))
    first, second = new_key(), new_key()
    collected = run_workers([(first, None), (first, None), (second, None), (second, None)])
    # Each account gets its whole limit: were they sharing, each would get about half.
    check_limit(collected[first], "account A (2 processes)")
    check_limit(collected[second], "account B (2 processes)")


# -- across hosts (Redis) -------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def private_redis_server(*options: str) -> Iterator[str]:
    """A private, non-persistent redis-server on a free loopback port, killed on exit.

    ``options`` are extra server arguments; with ``--requirepass`` the readiness probe expects NOAUTH.
    """
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail(
            "redis-server is not on PATH: run `make test`, which installs it (scripts/system-deps.sh)",
            pytrace=False,
        )
    import redis

    port = _free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", *options],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.AuthenticationError:  # up, and refusing us as it should
                break
            except redis.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"redis-server did not start on 127.0.0.1:{port}", pytrace=False)
                time.sleep(0.05)
        client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


def test_two_processes_share_a_redis_limit(redis_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # A per-host directory of its own proves the processes share through Redis, not through SQLite.
    monkeypatch.setenv(RATE_LIMIT_DIR_ENV, str(tmp_path))
    key = new_key()
    stamps = run_workers([(key, redis_url), (key, redis_url)])[key]
    check_limit(stamps, "2 processes, redis")
    assert not list(tmp_path.glob("*.sqlite"))
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        redis_key = RateLimiter(key, LIMIT, redis_url, window_seconds=WINDOW).location
        assert client.exists(redis_key)
        assert key.encode() not in b" ".join(client.keys("*"))
    finally:
        client.close()


def test_redis_window_follows_the_server_clock(redis_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """Two hosts whose clocks are 30 s apart still share one window: the stamps come from Redis's TIME.

    Were the stamps taken from the local clock, the host running 30 s behind would write entries the
    other host sees as long expired, and the second host would be admitted at once.
    """
    key = new_key()
    behind = RateLimiter(key, 2, redis_url, window_seconds=WINDOW)
    on_time = RateLimiter(key, 2, redis_url, window_seconds=WINDOW)
    real_time = time.time
    try:
        monkeypatch.setattr(time, "time", lambda: real_time() - 30)
        behind.acquire()
        behind.acquire()
        monkeypatch.setattr(time, "time", lambda: real_time() + 30)  # and the other host runs ahead
        wait = on_time._attempt()
        assert wait is not None, "the host with another clock was admitted beyond the shared limit"
        assert 0 < wait <= WINDOW + on_time.margin_seconds
    finally:
        behind.close()
        on_time.close()


def test_redis_key_expires_after_two_windows(redis_url: str) -> None:
    """An idle account leaves no key behind for ever."""
    import redis

    limiter = RateLimiter(new_key(), 5, redis_url, window_seconds=WINDOW)
    client = redis.Redis.from_url(redis_url)
    try:
        limiter.acquire()
        ttl_ms = client.pttl(limiter.location)
        assert 0 < ttl_ms <= 2 * (WINDOW + limiter.margin_seconds) * 1000
    finally:
        client.close()
        limiter.close()


def test_redis_with_a_password_in_the_query_or_user_info() -> None:
    """A password-protected Redis: accepted in either place, never shown, and a wrong one is refused
    without echoing it."""
    password = "s3cret-Redis-pw"
    with private_redis_server("--requirepass", password) as url:
        base = url.removeprefix("redis://")
        for backend in (
            f"redis://:{password}@{base}",
            f"{url}?password={password}",
            f"redis://default:{password}@{base}",
        ):
            limiter = RateLimiter(new_key(), 5, backend, window_seconds=WINDOW)
            try:
                limiter.acquire()
                assert password not in repr(limiter) + limiter.backend + limiter.location
            finally:
                limiter.close()
        for backend in (f"redis://:wrong-{password}@{base}", f"{url}?password=wrong-{password}"):
            limiter = RateLimiter(new_key(), 5, backend, window_seconds=WINDOW)
            try:
                with pytest.raises(ConnectionError, match="rate_limit_backend") as info:
                    limiter.acquire()
                assert password not in str(info.value)
                assert info.value.__cause__ is None
            finally:
                limiter.close()


def test_redis_script_is_reloaded_after_a_flush(redis_url: str) -> None:
    """A Redis restart or failover forgets loaded scripts (NOSCRIPT): the limiter loads it again."""
    import redis

    limiter = RateLimiter(new_key(), 5, redis_url, window_seconds=WINDOW)
    try:
        limiter.acquire()
        client = redis.Redis.from_url(redis_url)
        client.script_flush()
        client.close()
        limiter.acquire()
        assert len(limiter._ready().stamps()) == 2
    finally:
        limiter.close()


def test_redis_outage_raises_connection_error_naming_the_field() -> None:
    with private_redis_server() as url:
        limiter = RateLimiter(new_key(), 5, url, window_seconds=WINDOW)
        limiter.acquire()
    # the server is gone now
    try:
        with pytest.raises(ConnectionError, match="rate_limit_backend"):
            limiter.acquire()
    finally:
        limiter.close()

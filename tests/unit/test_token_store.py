"""The shared token store: one token per account for every process (api/token_store.py).

File store: mode 0600, never trusted when another user could read it, one renewer among processes.
Redis store: the value is encrypted with a key derived from the client secret (the token is not in Redis
in clear, and another secret cannot read it), expires with the token, one renewer among processes.
Real processes (fork) and a real redis-server; the "token endpoint" is a function counting its calls in a
file, so the count spans processes.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import stat
import time
from pathlib import Path

import pytest

from airflow_provider_snovio.api.ratelimit import RATE_LIMIT_DIR_ENV
from airflow_provider_snovio.api.token import TokenCache
from airflow_provider_snovio.api.token_store import (
    REDIS_TOKEN_PREFIX,
    FileTokenStore,
    GuardedStore,
    RedisTokenStore,
    encryption_key,
    shared_token_store,
)

SECRET = "client-secret-of-the-account"
KEY = "0123456789abcdef0123456789abcdef"


def counting_fetch(log: Path, delay: float = 0.3, expires_in: float = 3600.0):
    """A token endpoint: appends a line per call to ``log`` (shared by processes), answers after ``delay``."""

    def fetch() -> tuple[str, float]:
        with open(log, "a") as handle:
            handle.write(f"{os.getpid()}\n")
        time.sleep(delay)
        return f"TOKEN-{os.getpid()}-{time.monotonic_ns()}", expires_in

    return fetch


def fetches(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


# File store -------------------------------------------------------------------------------------------


def test_file_store_writes_a_0600_file_and_reads_it_back(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path, KEY)
    old = os.umask(0o000)  # even a permissive umask gives a private file
    try:
        store.write("TOKEN-A", 100.0)
    finally:
        os.umask(old)
    assert stat.S_IMODE(store.path.stat().st_mode) == 0o600
    value, usable = store.read()
    assert value == "TOKEN-A" and 99.0 < usable <= 100.0
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left behind


def test_file_store_ignores_a_file_others_can_read_and_an_expired_token(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path, KEY)
    store.write("TOKEN-A", 100.0)
    os.chmod(store.path, 0o644)
    assert store.read() is None  # readable by others: not trusted
    store.write("TOKEN-B", 0.05)
    assert store.read()[0] == "TOKEN-B"
    time.sleep(0.1)
    assert store.read() is None


def test_file_store_discards_only_the_refused_token(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path, KEY)
    store.write("TOKEN-NEW", 100.0)
    store.discard("TOKEN-OLD")  # a late 401 for a token already replaced by another process
    assert store.read()[0] == "TOKEN-NEW"
    store.discard("TOKEN-NEW")
    assert store.read() is None


def test_the_host_store_lives_in_the_rate_limit_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(RATE_LIMIT_DIR_ENV, str(tmp_path / "limits"))
    store = shared_token_store(None, KEY, SECRET)
    assert isinstance(store.store, FileTokenStore) and store.store.path.parent == tmp_path / "limits"
    assert shared_token_store("memory", KEY, SECRET) is None
    assert shared_token_store("", KEY, SECRET) is store  # one per account and place, per process


def _renew_in_child(directory: str, log: str, start_at: float, results: multiprocessing.Queue) -> None:
    store = GuardedStore(FileTokenStore(Path(directory), KEY), directory)
    tokens = TokenCache()  # a fresh process: no token of its own
    time.sleep(max(0.0, start_at - time.time()))
    results.put(tokens.get(KEY, counting_fetch(Path(log)), store))


def _run_children(target, args: tuple, count: int) -> list[str]:
    context = multiprocessing.get_context("fork")
    results = context.Queue()
    start_at = time.time() + 0.5
    children = [context.Process(target=target, args=(*args, start_at, results)) for _ in range(count)]
    for child in children:
        child.start()
    try:
        values = [results.get(timeout=30) for _ in children]
    finally:
        for child in children:
            child.join(timeout=10)
            if child.is_alive():
                child.kill()
    assert all(child.exitcode == 0 for child in children)
    return values


def test_four_processes_without_a_token_fetch_one_through_the_file_store(tmp_path: Path) -> None:
    log = tmp_path / "fetches.log"
    values = _run_children(_renew_in_child, (str(tmp_path), str(log)), 4)
    assert fetches(log) == 1
    assert len(set(values)) == 1  # every process uses the one token


def test_a_401_drops_the_shared_token_and_the_next_process_renews_it(tmp_path: Path) -> None:
    store = GuardedStore(FileTokenStore(tmp_path, KEY), str(tmp_path))
    log = tmp_path / "fetches.log"
    first, second = TokenCache(), TokenCache()  # two processes' caches
    token = first.get(KEY, counting_fetch(log, 0), store)
    assert second.get(KEY, counting_fetch(log, 0), store) == token and fetches(log) == 1
    second.invalidate(KEY, token, store)  # the API answered 401 to the second process
    renewed = first.get(KEY, counting_fetch(log, 0), store)  # the first still holds it locally...
    assert renewed == token
    first.invalidate(KEY, token, store)  # ...until its own 401
    assert first.get(KEY, counting_fetch(log, 0), store) != token and fetches(log) == 2


def test_an_unusable_directory_falls_back_to_a_token_per_process(tmp_path: Path, caplog) -> None:
    missing = tmp_path / "gone"
    store = GuardedStore(FileTokenStore(missing, KEY), str(missing))
    log = tmp_path / "fetches.log"
    assert TokenCache().get(KEY, counting_fetch(log, 0), store).startswith("TOKEN-")
    assert fetches(log) == 1
    assert "fetches its own token" in caplog.text


def test_async_callers_adopt_the_shared_token_and_a_cancelled_renewer_releases_the_lock(tmp_path: Path) -> None:
    store = GuardedStore(FileTokenStore(tmp_path, KEY), str(tmp_path))
    log = tmp_path / "fetches.log"

    async def slow_fetch() -> tuple[str, float]:
        counting_fetch(log, 0)()
        await asyncio.sleep(10)
        return "never", 3600.0

    async def fast_fetch() -> tuple[str, float]:
        return counting_fetch(log, 0)()

    async def run() -> str:
        renewer = asyncio.create_task(TokenCache().aget(KEY, slow_fetch, store))
        await asyncio.sleep(0.3)
        renewer.cancel()  # a trigger stopped while it renews: the lock must not stay taken
        with pytest.raises(asyncio.CancelledError):
            await renewer
        return await asyncio.wait_for(TokenCache().aget(KEY, fast_fetch, store), 5)

    token = asyncio.run(run())
    assert fetches(log) == 2
    cache = TokenCache()
    assert asyncio.run(cache.aget(KEY, fast_fetch, store)) == token and cache.adopted == 1 and fetches(log) == 2


# Redis store ------------------------------------------------------------------------------------------


def test_redis_holds_the_token_encrypted_with_a_key_derived_from_the_secret(redis_url: str) -> None:
    import redis
    from cryptography.fernet import Fernet

    store = RedisTokenStore(redis_url, KEY, SECRET)
    store.clear()
    store.write("TOKEN-IN-REDIS", 30.0)
    raw = redis.Redis.from_url(redis_url).get(f"{REDIS_TOKEN_PREFIX}{KEY}")
    assert raw and b"TOKEN-IN-REDIS" not in raw and SECRET.encode() not in raw
    assert Fernet(encryption_key(SECRET, KEY)).decrypt(raw) == b"TOKEN-IN-REDIS"
    ttl = redis.Redis.from_url(redis_url).pttl(f"{REDIS_TOKEN_PREFIX}{KEY}")
    assert 29_000 < ttl <= 30_000  # Redis drops it when it stops being usable
    value, usable = store.read()
    assert value == "TOKEN-IN-REDIS" and 29.0 < usable <= 30.0
    assert RedisTokenStore(redis_url, KEY, "another-secret").read() is None  # cannot be decrypted
    store.discard("TOKEN-OLD")
    assert store.read()[0] == "TOKEN-IN-REDIS"
    store.discard("TOKEN-IN-REDIS")
    assert store.read() is None


def _renew_through_redis(url: str, log: str, start_at: float, results: multiprocessing.Queue) -> None:
    store = GuardedStore(RedisTokenStore(url, KEY, SECRET), "redis")
    time.sleep(max(0.0, start_at - time.time()))
    results.put(TokenCache().get(KEY, counting_fetch(Path(log)), store))


def test_four_processes_without_a_token_fetch_one_through_redis(redis_url: str, tmp_path: Path) -> None:
    RedisTokenStore(redis_url, KEY, SECRET).clear()
    log = tmp_path / "fetches.log"
    values = _run_children(_renew_through_redis, (redis_url, str(log)), 4)
    assert fetches(log) == 1
    assert len(set(values)) == 1


def test_redis_down_falls_back_to_a_token_per_process(tmp_path: Path) -> None:
    from tests.integration.test_ratelimit_processes import _free_port

    store = GuardedStore(RedisTokenStore(f"redis://127.0.0.1:{_free_port()}/0", KEY, SECRET), "redis")
    log = tmp_path / "fetches.log"
    assert TokenCache().get(KEY, counting_fetch(log, 0), store).startswith("TOKEN-")
    assert fetches(log) == 1

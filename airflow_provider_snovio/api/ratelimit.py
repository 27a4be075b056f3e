"""Client-side rate limiting for the Snov.io API (60 requests per minute per account).

Snov.io publishes no rate-limit headers and does not even document the status code it answers when the
limit is exceeded, so the only way to never be throttled is to never exceed the limit: every request the
client sends first calls :meth:`RateLimiter.acquire` (or :meth:`RateLimiter.acquire_async`).

The limit belongs to the *account*, not to a process, so the admission log must be shared by everything
that talks to one account:

* threads of one process share one :class:`RateLimiter` (:func:`get_rate_limiter` caches it);
* processes on one host share, by default and without configuration, a SQLite log in a per-user directory,
  serialised by a file lock (``pyrate_limiter.SQLiteBucket`` with ``use_file_lock=True``);
* workers on several hosts share a Redis sorted set when ``rate_limit_backend`` is ``redis://host:port/db``
  (``pyrate_limiter.RedisBucket``).

The counting itself is pyrate-limiter's sliding-window log. This module only chooses and shares the bucket,
adds a safety margin, and drives the wait loop itself, for two reasons found by reading pyrate-limiter 4.5:

* its blocking retry advances the item's timestamp by the planned sleep (``item.timestamp += sleep_ms``)
  instead of re-reading the clock; a sleep that overshoots, or a lock that is waited for, then records the
  request *earlier* than it is really sent, which frees its slot early and lets a burst through;
* with filelock 4.x its non-blocking path calls ``FileLock.acquire(False)``, which filelock rejects
  (``timeout`` must not be a bool).

So each attempt here is a non-blocking ``Limiter.try_acquire`` that stamps the item with a fresh clock
reading while holding every lock of the bucket, and a refused attempt sleeps for the time
``bucket.waiting()`` reports, then tries again with a new clock reading.

This module is pure API layer: it never imports Airflow.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib.util
import logging
import math
import os
import stat
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pyrate_limiter import (
    AbstractBucket,
    InMemoryBucket,
    Limiter,
    Rate,
    RateItem,
    SingleBucketFactory,
    SQLiteBucket,
)

__all__ = [
    "RATE_LIMIT_DIR_ENV",
    "SAFETY_MARGIN_MAX_FRACTION",
    "SAFETY_MARGIN_SECONDS",
    "RateLimiter",
    "get_rate_limiter",
]

log = logging.getLogger(__name__)

#: Extra time added to the rate window: N requests are admitted per ``window + margin``, not per ``window``.
#: A request stamped at client time t reaches the server at t + d, with d (processing, network, sleep
#: overshoot) varying from request to request. If any N+1 admissions are spread over more than
#: ``window + margin`` on the client, a server counting arrivals in a strict sliding window sees at most N
#: as long as d varies by less than the margin. One second covers ordinary latency jitter and NTP-synced
#: clocks of several hosts sharing a Redis backend, and costs 1/61 of the throughput (60 per 61 s = 0.984
#: of the nominal limit, above the 0.95 target).
SAFETY_MARGIN_SECONDS = 1.0

#: The margin never exceeds this fraction of the window, so that the short windows used by tests and
#: demos (e.g. 6 requests per 2 s) keep their throughput; for the 60-s window the 1-s margin applies.
SAFETY_MARGIN_MAX_FRACTION = 0.05

#: Environment variable overriding the directory of the per-host SQLite logs.
RATE_LIMIT_DIR_ENV = "SNOVIO_RATE_LIMIT_DIR"

#: Prefix of the Redis sorted-set keys (one per account and window).
REDIS_KEY_PREFIX = "airflow-provider-snovio:ratelimit:"

_MEMORY = "memory"
_REDIS_SCHEMES = ("redis://", "rediss://")
_ITEM_NAME = "snovio"
#: Expired entries are deleted (inline, after an admission) at most this often.
_LEAK_INTERVAL_SECONDS = 10.0
#: Upper bound of one sleep: an unexpected state (a flushed Redis key, a clock stepped backwards) then only
#: costs a cheap re-check instead of a long stall.
_MAX_SLEEP_SECONDS = 5.0
#: Lower bound of one sleep, so that a race with another waiter never turns into a busy loop.
_MIN_SLEEP_SECONDS = 0.001
#: The stock script counts only ``[window_start, now]``: an item stamped earlier but stored later (two hosts
#: racing) would not see a newer item and could overfill the window. Counting up to +inf closes that gap;
#: SQLite and in-memory buckets already count everything from the window start on.
_REDIS_ZCOUNT_STOCK = "redis.call('ZCOUNT', bucket, window_start, now)"
_REDIS_ZCOUNT_STRICT = "redis.call('ZCOUNT', bucket, window_start, '+inf')"


def safety_margin_seconds(window_seconds: float) -> float:
    """Margin added to ``window_seconds``: :data:`SAFETY_MARGIN_SECONDS`, capped for short windows."""
    return min(SAFETY_MARGIN_SECONDS, window_seconds * SAFETY_MARGIN_MAX_FRACTION)


def _validate_requests_per_minute(value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"requests_per_minute must be a positive integer, got {value!r}")
    return value


def _validate_window_seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"window_seconds must be a positive number of seconds, got {value!r}")
    return float(value)


def _normalize_backend(backend: object) -> str:
    """Return ``""`` (per host), ``"memory"`` or a redis URL; reject anything else naming the field."""
    if backend is None:
        return ""
    if not isinstance(backend, str):
        raise ValueError(f"rate_limit_backend must be a string, got {type(backend).__name__}")
    text = backend.strip()
    if text == "" or text.lower() == _MEMORY:
        return text.lower()
    if text.lower().startswith(_REDIS_SCHEMES):
        return text
    raise ValueError(
        "rate_limit_backend must be empty (shared by the processes of this host), 'memory' "
        f"(this process only) or a redis://host:port/db or rediss:// URL, got {_redact_url(text)!r}"
    )


def _redact_url(url: str) -> str:
    """Drop the user-info part (it may hold a password) so a URL can appear in logs and errors."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparsable URL>"
    if "@" not in parts.netloc:
        return url
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit((parts.scheme, "***@" + host, parts.path, parts.query, parts.fragment))


def _account_digest(account_key: str) -> str:
    """Hash the account key: it is derived from a client id and must not appear in file names or keys."""
    return hashlib.sha256(account_key.encode("utf-8")).hexdigest()[:32]


def _current_user_tag() -> str:
    getuid = getattr(os, "getuid", None)
    if getuid is not None:
        return str(getuid())
    import getpass  # Windows: no uid; lazily imported, rarely needed

    return hashlib.sha256(getpass.getuser().encode("utf-8")).hexdigest()[:12]


def rate_limit_dir() -> Path:
    """Directory of the per-host SQLite logs, created if missing.

    ``$SNOVIO_RATE_LIMIT_DIR`` wins; otherwise ``<tempdir>/airflow-provider-snovio-<uid>``. The default
    lives in a world-writable directory, so it is created private (0700) and refused if another user owns
    it or it is a symlink: someone else must not be able to read, fill or replace our admission log.
    """
    configured = os.environ.get(RATE_LIMIT_DIR_ENV, "").strip()
    if configured:
        path = Path(configured).expanduser()
        path.mkdir(parents=True, exist_ok=True)
        return path
    path = Path(tempfile.gettempdir()) / f"airflow-provider-snovio-{_current_user_tag()}"
    path.mkdir(mode=0o700, exist_ok=True)
    info = os.lstat(path)
    getuid = getattr(os, "getuid", None)
    if stat.S_ISLNK(info.st_mode) or (getuid is not None and info.st_uid != getuid()):
        raise PermissionError(
            f"{path} is not a directory owned by the current user; set {RATE_LIMIT_DIR_ENV} to a private "
            "directory for the Snov.io rate-limit state"
        )
    return path


@dataclass
class _Backend:
    """A bucket, the Limiter that owns it, and what is needed to use them safely from many threads."""

    limiter: Limiter
    bucket: AbstractBucket
    #: Locks held around each attempt, outermost first (the Limiter's own thread lock, then the file lock
    #: of a SQLite bucket), so the clock reading, the admission check and the waiting() that
    #: follows are one atomic step across threads and processes.
    locks: tuple[Any, ...]
    #: How much older than the window an entry must be before it is deleted.
    leak_grace_ms: int
    last_leak: float = field(default_factory=time.monotonic)
    #: Redis only: the client library's base exception (re-raised as ConnectionError), the exception raised
    #: when the server lost our Lua script, and how to load the script again.
    backend_error: type[Exception] | None = None
    noscript_error: type[Exception] | None = None
    reload_script: Callable[[], None] | None = None

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        with contextlib.ExitStack() as stack:
            for lock in self.locks:
                stack.enter_context(lock)
            yield

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.limiter.close()
        redis_client = getattr(self.bucket, "redis", None)
        if redis_client is not None:
            with contextlib.suppress(Exception):
                redis_client.close()


class RateLimiter:
    """Admits at most ``requests_per_minute`` requests per ``window_seconds`` (+ margin) for one account.

    A thin wrapper owning a :class:`pyrate_limiter.Limiter` whose bucket is shared according to the
    backend (see the module docstring). Obtain instances with :func:`get_rate_limiter`, which returns one
    shared object per account and configuration in a process. The bucket is opened lazily on the first
    :meth:`acquire` (no I/O, let alone network I/O, when a hook is merely constructed) and re-opened in a
    forked child, since SQLite connections, file locks and Redis sockets must not cross a fork.
    """

    requests_per_minute: int
    window_seconds: float
    margin_seconds: float

    def __init__(
        self,
        account_key: str,
        requests_per_minute: int = 60,
        backend: str | None = None,
        *,
        window_seconds: float = 60.0,
    ) -> None:
        if not isinstance(account_key, str) or not account_key:
            raise ValueError("account_key must be a non-empty string")
        self.requests_per_minute = _validate_requests_per_minute(requests_per_minute)
        self.window_seconds = _validate_window_seconds(window_seconds)
        self._backend_spec = _normalize_backend(backend)
        if self._backend_spec.startswith(_REDIS_SCHEMES) and importlib.util.find_spec("redis") is None:
            raise ImportError(
                "rate_limit_backend is a redis URL but the 'redis' package is not installed: "
                "pip install 'airflow-provider-snovio[redis]'"
            )
        self.margin_seconds = safety_margin_seconds(self.window_seconds)
        self._interval_ms = max(1, round((self.window_seconds + self.margin_seconds) * 1000))
        self._digest = _account_digest(account_key)
        self._pid = os.getpid()
        self._init_lock = threading.Lock()
        self._state: _Backend | None = None

    # -- public API ---------------------------------------------------------------------------------

    @property
    def backend(self) -> str:
        """``"host"``, ``"memory"`` or the redis URL without its password (safe to log)."""
        if self._backend_spec in ("", _MEMORY):
            return self._backend_spec or "host"
        return _redact_url(self._backend_spec)

    @property
    def location(self) -> str:
        """Where the shared state lives: the SQLite file, the Redis key, or ``"memory"``."""
        if self._backend_spec == _MEMORY:
            return _MEMORY
        if self._backend_spec:
            return self._redis_key()
        return str(self._sqlite_path())

    def acquire(self) -> None:
        """Block until one request may be sent, then count it. Call it right before sending."""
        while True:
            wait = self._attempt()
            if wait is None:
                return
            time.sleep(wait)

    async def acquire_async(self) -> None:
        """Like :meth:`acquire`, for asyncio code such as triggers, without blocking the event loop.

        Each attempt (a file lock, a SQLite query or a Redis round trip) runs in a worker thread, and the
        waits between attempts are ``asyncio.sleep``, so a waiter cancelled while it sleeps (a trigger
        being stopped) leaves no thread behind that would later take a slot for nothing.
        """
        while True:
            wait = await asyncio.to_thread(self._attempt)
            if wait is None:
                return
            await asyncio.sleep(wait)

    def close(self) -> None:
        """Release the bucket's connections (reopened on the next acquire)."""
        with self._init_lock:
            state, self._state = self._state, None
        if state is not None and self._pid == os.getpid():
            state.close()

    def __repr__(self) -> str:
        return (
            f"RateLimiter(requests_per_minute={self.requests_per_minute}, "
            f"window_seconds={self.window_seconds}, backend={self.backend!r})"
        )

    # -- one attempt ----------------------------------------------------------------------------------

    def _attempt(self) -> float | None:
        """Try to admit one request now; return ``None`` if admitted, else the seconds to wait."""
        state = self._ready()
        if state.backend_error is None:
            return self._attempt_locked(state)
        try:
            try:
                return self._attempt_locked(state)
            except Exception as exc:
                if state.noscript_error is None or not isinstance(exc, state.noscript_error):
                    raise
                # Redis restarted or failed over and forgot our script: load it again and retry once.
                assert state.reload_script is not None
                state.reload_script()
                return self._attempt_locked(state)
        except state.backend_error as exc:
            # One builtin exception type for "the shared backend is unreachable", whatever the client library.
            raise ConnectionError(
                f"rate_limit_backend {_redact_url(self._backend_spec)} failed: {type(exc).__name__}: {exc}"
            ) from exc

    def _attempt_locked(self, state: _Backend) -> float | None:
        with state.locked():
            # try_acquire stamps the item with a fresh clock reading taken under the same locks, so
            # timestamps are never earlier than the admission and follow the admission order.
            if state.limiter.try_acquire(_ITEM_NAME, blocking=False):
                self._maybe_leak(state)
                return None
            probe = RateItem(_ITEM_NAME, state.bucket.now())
            wait_ms = state.bucket.waiting(probe)
        if not isinstance(wait_ms, int) or wait_ms < 0:  # -1: can never fit (impossible for weight 1)
            raise RuntimeError(f"rate limiter bucket reported an invalid wait: {wait_ms!r}")
        if wait_ms > 2 * self._interval_ms:  # entries stamped in the future: impossible with a sane clock
            log.warning(
                "Snov.io rate limiter: next slot in %.1f s, longer than the window; was the clock stepped backwards?",
                wait_ms / 1000,
            )
        return min(max(wait_ms / 1000, _MIN_SLEEP_SECONDS), _MAX_SLEEP_SECONDS)

    def _maybe_leak(self, state: _Backend) -> None:
        """Delete entries well outside the window, inline rather than in pyrate-limiter's leak thread
        (a background thread dies silently on a Redis error and does not survive a fork)."""
        now = time.monotonic()
        if now - state.last_leak < _LEAK_INTERVAL_SECONDS:
            return
        state.last_leak = now
        try:
            state.bucket.leak(state.bucket.now() - state.leak_grace_ms)
        except Exception:  # garbage collection only: never fail an admitted request for it
            log.debug("Snov.io rate limiter: deleting expired entries failed", exc_info=True)

    # -- backends ---------------------------------------------------------------------------------------

    def _ready(self) -> _Backend:
        pid = os.getpid()
        if self._pid != pid:  # forked child: the parent's connections and locks are not ours
            self._pid = pid
            self._init_lock = threading.Lock()
            self._state = None
        state = self._state
        if state is None:
            with self._init_lock:
                if self._state is None:
                    self._state = self._open()
                state = self._state
        return state

    def _rates(self) -> list[Rate]:
        return [Rate(self.requests_per_minute, self._interval_ms)]

    def _open(self) -> _Backend:
        # Keep entries for one extra window: with several hosts, a host whose clock runs slightly ahead
        # must not delete entries the others still count.
        grace_ms = self._interval_ms
        if self._backend_spec == _MEMORY:
            bucket: AbstractBucket = InMemoryBucket(self._rates())
            limiter = Limiter(SingleBucketFactory(bucket, schedule_leak=False))
            return _Backend(limiter, bucket, (limiter.lock,), grace_ms)
        if self._backend_spec:
            return self._open_redis(grace_ms)
        path = self._sqlite_path()
        bucket = SQLiteBucket.init_from_file(self._rates(), db_path=str(path), use_file_lock=True)
        limiter = Limiter(SingleBucketFactory(bucket, schedule_leak=False))
        file_lock = bucket.limiter_lock()
        assert file_lock is not None
        # The thread lock first, so the threads of one process queue on it instead of polling the file lock;
        # then the file lock (what SQLiteBucket.put and leak take again, re-entrantly) for the other processes.
        return _Backend(limiter, bucket, (limiter.lock, file_lock), grace_ms)

    def _sqlite_path(self) -> Path:
        # One log per account and window, shared by limiters configured with different rates: each checks
        # its own limit against every admission for the account, so together they never exceed the
        # highest configured rate.
        return rate_limit_dir() / f"snovio-ratelimit-{self._digest}-{self._interval_ms}ms.sqlite"

    def _redis_key(self) -> str:
        return f"{REDIS_KEY_PREFIX}{self._digest}:{self._interval_ms}ms"

    def _open_redis(self, grace_ms: int) -> _Backend:
        try:
            import redis
            from redis.exceptions import NoScriptError
        except ImportError as exc:  # pragma: no cover - checked in __init__ already
            raise ImportError(
                "rate_limit_backend is a redis URL but the 'redis' package is not installed: "
                "pip install 'airflow-provider-snovio[redis]'"
            ) from exc
        from pyrate_limiter import RedisBucket
        from pyrate_limiter.buckets.redis_bucket import LuaScript

        script = LuaScript.PUT_ITEM.replace(_REDIS_ZCOUNT_STOCK, _REDIS_ZCOUNT_STRICT)
        if script == LuaScript.PUT_ITEM:
            raise RuntimeError(
                "pyrate-limiter's Redis script changed; airflow_provider_snovio.api.ratelimit must be "
                "updated to count late-stored entries"
            )
        client = redis.Redis.from_url(
            self._backend_spec,
            socket_timeout=10,
            socket_connect_timeout=10,
            health_check_interval=30,
        )
        try:
            script_hash = client.script_load(script)
        except redis.RedisError as exc:
            client.close()
            raise ConnectionError(
                f"rate_limit_backend {_redact_url(self._backend_spec)} failed: {type(exc).__name__}: {exc}"
            ) from exc
        bucket = RedisBucket(self._rates(), client, self._redis_key(), script_hash)
        limiter = Limiter(SingleBucketFactory(bucket, schedule_leak=False))

        def reload_script() -> None:
            bucket.script_hash = client.script_load(script)

        return _Backend(
            limiter,
            bucket,
            (limiter.lock,),
            grace_ms,
            backend_error=redis.RedisError,
            noscript_error=NoScriptError,
            reload_script=reload_script,
        )


_cache: dict[tuple[str, int, str, float], RateLimiter] = {}
_cache_lock = threading.Lock()
_cache_pid = os.getpid()


def _reset_cache_after_fork() -> None:
    """A forked child starts with a fresh lock (the parent's may have been held by another thread)."""
    global _cache_lock, _cache_pid
    _cache_lock = threading.Lock()
    _cache_pid = os.getpid()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_reset_cache_after_fork)


def get_rate_limiter(
    account_key: str,
    requests_per_minute: int = 60,
    backend: str | None = None,
    *,
    window_seconds: float = 60.0,
) -> RateLimiter:
    """Return the process-wide :class:`RateLimiter` for this account and configuration.

    One object per ``(account_key, requests_per_minute, backend, window_seconds)`` per process, so every
    hook and client of a process shares it. ``account_key`` is an opaque string (the client derives it
    from the base URL and client id); it is hashed before it names a file or a Redis key.

    ``backend``: ``None``/``""`` shares the limit with every process of this host through a SQLite file
    under :func:`rate_limit_dir`; ``"memory"`` keeps it in this process (tests); ``redis://host:port/db``
    or ``rediss://...`` shares it with every host using that Redis (needs the ``redis`` extra, and clocks
    synchronised well within :data:`SAFETY_MARGIN_SECONDS`). Anything else raises ``ValueError``.
    """
    if not isinstance(account_key, str) or not account_key:
        raise ValueError("account_key must be a non-empty string")
    key = (
        account_key,
        _validate_requests_per_minute(requests_per_minute),
        _normalize_backend(backend),
        _validate_window_seconds(window_seconds),
    )
    if _cache_pid != os.getpid():  # forked without register_at_fork support
        _reset_cache_after_fork()
    with _cache_lock:
        limiter = _cache.get(key)
        if limiter is None:
            limiter = RateLimiter(key[0], key[1], key[2], window_seconds=key[3])
            _cache[key] = limiter
        return limiter

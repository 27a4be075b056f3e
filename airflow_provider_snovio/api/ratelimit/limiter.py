"""The rate limiter object every client calls, and the one instance per account a process shares.

:class:`RateLimiter` ties the pieces together: it validates its settings (:mod:`.policy`), opens the store
the ``rate_limit_backend`` names (:mod:`.backend`, :mod:`.memory`, :mod:`.sqlite`, :mod:`.redis`) lazily
and again after a fork, loops over attempts until one is admitted, and turns a failing store into a
:class:`~airflow_provider_snovio.api.ratelimit.backend.RateLimitBackendError`.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import logging
import os
import threading
import time
from collections.abc import Mapping
from typing import NamedTuple

from airflow_provider_snovio.api.ratelimit import aio
from airflow_provider_snovio.api.ratelimit.backend import (
    MEMORY,
    REDIS_EXTRA_HINT,
    RateLimitBackendError,
    describe,
    is_backend_failure,
    is_redis,
    normalize_backend,
    raise_backend_error,
    rate_limit_dir,
)
from airflow_provider_snovio.api.ratelimit.memory import MemoryStore
from airflow_provider_snovio.api.ratelimit.policy import (
    MAX_SLEEP_SECONDS,
    MIN_SLEEP_SECONDS,
    Admission,
    QuotaAsk,
    Store,
    new_admission,
    quota_ask,
    quota_margin_seconds,
    safety_margin_seconds,
    validate_account_key,
    validate_quotas,
    validate_requests_per_minute,
    validate_window_seconds,
)
from airflow_provider_snovio.api.ratelimit.redis import RedisStore, log_key
from airflow_provider_snovio.api.ratelimit.sqlite import SQLiteStore, log_path

log = logging.getLogger(__name__)


class _Settings(NamedTuple):
    """A limiter's validated settings; also its key in the per-process cache."""

    account_key: str
    requests_per_minute: int
    backend: str
    window_seconds: float
    quotas: tuple[tuple[str, int], ...]
    quota_window_seconds: float


def _settings(
    account_key: object,
    requests_per_minute: object,
    backend: object,
    window_seconds: object,
    quotas: Mapping[str, int | None] | None,
    quota_window_seconds: object,
) -> _Settings:
    """Validate every setting, raising a ``ValueError`` that names the first bad one."""
    return _Settings(
        validate_account_key(account_key),
        validate_requests_per_minute(requests_per_minute),
        normalize_backend(backend),
        validate_window_seconds(window_seconds),
        validate_quotas(quotas),
        validate_window_seconds(quota_window_seconds),
    )


def _account_digest(account_key: str) -> str:
    """Hash the account key: it is derived from a client id and must not appear in file names or keys."""
    return hashlib.sha256(account_key.encode("utf-8")).hexdigest()[:32]


class RateLimiter:
    """Admits at most ``requests_per_minute`` requests per ``window_seconds`` (+ margin) for one account.

    Owns one shared admission log chosen by the backend (see the package docstring). Obtain instances with
    :func:`get_rate_limiter`, which returns one shared object per account and configuration in a process.
    The log is opened lazily on the first :meth:`acquire` (no I/O, let alone network I/O, when a hook is
    merely constructed) and re-opened in a forked child, since SQLite connections and Redis sockets must
    not cross a fork.
    """

    requests_per_minute: int
    window_seconds: float
    margin_seconds: float
    quota_window_seconds: float

    def __init__(
        self,
        account_key: str,
        requests_per_minute: int = 60,
        backend: str | None = None,
        *,
        window_seconds: float = 60.0,
        quotas: Mapping[str, int | None] | None = None,
        quota_window_seconds: float = 3600.0,
    ) -> None:
        settings = _settings(account_key, requests_per_minute, backend, window_seconds, quotas, quota_window_seconds)
        self.requests_per_minute = settings.requests_per_minute
        self.window_seconds = settings.window_seconds
        #: Declared hourly quotas, ``{family: units per quota window}``; a family not in it is unknown.
        self.quotas: dict[str, int] = dict(settings.quotas)
        self.quota_window_seconds = settings.quota_window_seconds
        self.quota_interval = self.quota_window_seconds + quota_margin_seconds(self.quota_window_seconds)
        self._backend_spec = settings.backend
        if is_redis(self._backend_spec) and importlib.util.find_spec("redis") is None:
            raise ImportError(
                f"rate_limit_backend is a redis URL but the 'redis' package is not installed: {REDIS_EXTRA_HINT}"
            )
        self.margin_seconds = safety_margin_seconds(self.window_seconds)
        self._interval_ms = max(1, round((self.window_seconds + self.margin_seconds) * 1000))
        self._digest = _account_digest(settings.account_key)
        self._pid = os.getpid()
        self._init_lock = threading.Lock()
        self._state: Store | None = None

    # -- public API ---------------------------------------------------------------------------------

    @property
    def backend(self) -> str:
        """``"host"``, ``"memory"`` or the redis URL with its credentials redacted (safe to log)."""
        return describe(self._backend_spec)

    @property
    def location(self) -> str:
        """Where the shared state lives: the SQLite file, the Redis key, or ``"memory"``."""
        if self._backend_spec == MEMORY:
            return MEMORY
        if is_redis(self._backend_spec):
            return log_key(self._digest, self._interval_ms)
        return str(log_path(rate_limit_dir(), self._digest, self._interval_ms))

    def acquire(self, family: str | None = None, units: int = 1) -> Admission:
        """Block until one request may be sent, then count it. Call it right before sending.

        ``family`` (one of :data:`~.policy.QUOTA_FAMILIES`) makes the request also take ``units`` from that
        hourly quota, admitted together with its rate slot. Hand the returned :class:`~.policy.Admission` to
        :meth:`settle` once the answer (or the failure) has arrived.
        """
        quota = self.quota_ask(family, units)
        admission = new_admission(quota)
        while True:
            wait = self._attempt(quota, admission.ticket)
            if wait is None:
                return admission
            time.sleep(wait)

    async def acquire_async(self, family: str | None = None, units: int = 1) -> Admission:
        """Like :meth:`acquire`, for asyncio code such as triggers, without blocking the event loop (:mod:`.aio`)."""
        return await aio.acquire_async(self, family, units)

    def settle(self, admission: Admission | None) -> None:
        """Re-stamp a request's rate entry and quota units at the moment its answer arrived (see the
        package docstring).

        Never raises: the entries stay counted at their admission time if the log cannot be reached.
        """
        if admission is None:
            return
        try:
            self._ready().settle(admission)
        except Exception as exc:
            log.warning("Snov.io rate limiter: could not settle a request (%s)", type(exc).__name__)

    def quota_ask(self, family: str | None, units: int = 1) -> QuotaAsk | None:
        """The quota demand of a request of ``family`` (``None``: none); refuses one that can never fit."""
        return quota_ask(self.quotas, self.quota_interval, family, units)

    def quota_stamps(self, family: str) -> list[float]:
        """Stamps of the family's recorded units in the shared log, oldest first (tests, benchmarks)."""
        return self._ready().quota_stamps(family, self.quota_interval)

    def close(self) -> None:
        """Release the log's connections (reopened on the next acquire)."""
        with self._init_lock:
            state, self._state = self._state, None
        if state is not None and self._pid == os.getpid():
            with contextlib.suppress(Exception):
                state.close()

    def __repr__(self) -> str:
        return (
            f"RateLimiter(requests_per_minute={self.requests_per_minute}, "
            f"window_seconds={self.window_seconds}, backend={self.backend!r}, quotas={self.quotas!r})"
        )

    # -- one attempt ----------------------------------------------------------------------------------

    def _attempt(self, quota: QuotaAsk | None = None, ticket: str = "") -> float | None:
        """Try to admit one request now (its rate entry named ``ticket``); ``None`` if admitted, else the
        seconds to wait."""
        try:
            wait = self._ready().attempt(quota, ticket)
        except RateLimitBackendError:
            raise
        except Exception as exc:
            if not is_backend_failure(exc, self._backend_spec):
                raise
            raise_backend_error(exc, self._backend_spec)
        if wait is None:
            return None
        if wait > 2 * max(self._interval_ms / 1000, self.quota_interval if quota else 0):  # a clock misbehaves
            log.warning("Snov.io rate limiter: next slot in %.1f s, longer than the window", wait)
        return min(max(wait, MIN_SLEEP_SECONDS), MAX_SLEEP_SECONDS)

    def _ready(self) -> Store:
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

    def _open(self) -> Store:
        # One log per account and window, shared by limiters configured with different rates (see log_path).
        if self._backend_spec == MEMORY:
            return MemoryStore(self.requests_per_minute, self._interval_ms / 1000)
        if is_redis(self._backend_spec):
            return RedisStore(self._backend_spec, self._digest, self.requests_per_minute, self._interval_ms)
        path = log_path(rate_limit_dir(), self._digest, self._interval_ms)
        return SQLiteStore(path, self.requests_per_minute, self._interval_ms / 1000)


_cache: dict[_Settings, RateLimiter] = {}
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
    quotas: Mapping[str, int | None] | None = None,
    quota_window_seconds: float = 3600.0,
) -> RateLimiter:
    """Return the process-wide :class:`RateLimiter` for this account and configuration.

    One object per ``(account_key, requests_per_minute, backend, window_seconds, quotas,
    quota_window_seconds)`` per process, so every hook and client of a process shares it. ``account_key``
    is an opaque string (the client derives it from the base URL and client id); it is hashed before it
    names a file or a Redis key.

    ``backend``: ``None``/``""`` shares the limit with every process of this host through a SQLite file
    under :func:`~.backend.rate_limit_dir`; ``"memory"`` keeps it in this process (tests);
    ``redis://host:port/db`` or ``rediss://...`` shares it with every host using that Redis (needs the
    ``redis`` extra; the window follows the Redis server's clock, so the hosts' clocks need not agree).
    Anything else raises ``ValueError``.

    ``quotas``: the plan's hourly quotas, ``{"finder": 200, "verifier": 500}`` (a family left out or
    ``None`` is unknown: its units are recorded, never waited on); ``quota_window_seconds`` is their window,
    an hour (shorter only to compress time in tests and benchmarks).
    """
    key = _settings(account_key, requests_per_minute, backend, window_seconds, quotas, quota_window_seconds)
    if _cache_pid != os.getpid():  # forked without register_at_fork support
        _reset_cache_after_fork()
    with _cache_lock:
        limiter = _cache.get(key)
        if limiter is None:
            limiter = RateLimiter(
                key.account_key,
                key.requests_per_minute,
                key.backend,
                window_seconds=key.window_seconds,
                quotas=dict(key.quotas),
                quota_window_seconds=key.quota_window_seconds,
            )
            _cache[key] = limiter
        return limiter

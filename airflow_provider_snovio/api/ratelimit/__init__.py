"""Client-side rate limiting for the Snov.io API (60 requests per minute per account).

Snov.io publishes no rate-limit headers and does not even document the status code it answers when the
limit is exceeded, so the only way to never be throttled is to never exceed the limit: every request the
client sends first calls :meth:`RateLimiter.acquire` (or :meth:`RateLimiter.acquire_async`).

The counting is a sliding-window log: the time of every admitted request is recorded, and a request is
admitted only while fewer than N admissions lie in the last ``window + margin`` seconds. Otherwise the
caller sleeps until enough of the oldest ones leave the window, then tries again with a fresh clock
reading (a stamp is always taken at the moment of admission, never planned ahead, so an oversleeping
thread cannot record a request as older than it is).

The limit belongs to the *account*, not to a process, so the log must be shared by everything that talks
to one account:

* threads of one process share one :class:`RateLimiter` (:func:`get_rate_limiter` caches it);
* processes on one host share, by default and without configuration, a SQLite file in a per-user
  directory. Each attempt is one ``BEGIN IMMEDIATE`` transaction (delete old entries, count, insert if
  under the limit), stamped with the wall clock, which all processes of a host share;
* workers on several hosts share a Redis sorted set when ``rate_limit_backend`` is ``redis://host:port/db``
  or ``rediss://...``. Each attempt is one Lua script that reads the *server's* clock (``TIME``), so hosts
  whose clocks disagree still share one window, and sets an expiry on the key, so idle accounts leave
  nothing behind.

A backend that cannot be used raises :class:`RateLimitBackendError`, a builtin ``ConnectionError``, whose
text shows a Redis URL only in its redacted form (:func:`~airflow_provider_snovio.api.urls.redact_url`).

Hourly quotas (Snov.io's finder and verifier plans) ride on the same log: a request of a quota family
(:data:`QUOTA_FAMILIES`) also takes its *units* (one per finder request, one per verified e-mail) from the
family's log, in the same transaction, script or lock as its rate slot, so the two are admitted together or
not at all (a slot taken while the other waits would be stamped before the request is really sent). When
the answer arrives, :meth:`RateLimiter.settle` moves the request's units to that moment: Snov.io counted
them on arrival, no later than the answer, so a unit is never aged out of the client's log before it leaves
Snov.io's, however long the request took to get there (a compressed test "hour" of seconds has no margin for
such delays). Units are always recorded; a limiter whose quota is unknown (``None``) records them without
ever waiting, so a connection that declares its plan also counts the units of one that does not.

The rate slot is settled the same way: once the answer (or the failure) has arrived, the request's entry
in the rate log moves to that moment. The margin (:data:`SAFETY_MARGIN_SECONDS`) assumes that the time from
admission to Snov.io's count varies by less than a second; on a loaded host it does not always (a process
descheduled between admission and send, a busy event loop: a CeleryExecutor deployment test on a busy 2-core
machine measured 1.5 s), and an entry aged out of the client's log while Snov.io still counts it let a 61st
request through. Settled at the answer, an entry counts on the client at least as long as on the server,
whatever the delay; only a request still in flight a whole window after its admission is not covered.

The package, one module per concern (this ``__init__`` only re-exports their public names):

* :mod:`.policy`: the window, its margins, the rule of when the next request fits, settings validation;
* :mod:`.backend`: the ``rate_limit_backend`` setting, the per-host directory, the Redis connection and
  the backend's errors (shared with :mod:`~airflow_provider_snovio.api.token_store`);
* :mod:`.memory`, :mod:`.sqlite`, :mod:`.redis`: the three stores of the admission log;
* :mod:`.limiter`: :class:`RateLimiter` and the per-process :func:`get_rate_limiter`;
* :mod:`.aio`: the asyncio adapter behind :meth:`RateLimiter.acquire_async`.

This package is pure API layer: it never imports Airflow.
"""

from __future__ import annotations

from airflow_provider_snovio.api.ratelimit.aio import ASYNC_WAKE_JITTER, ASYNC_WAKE_JITTER_MAX_SECONDS, async_wake_delay
from airflow_provider_snovio.api.ratelimit.backend import (
    RATE_LIMIT_DIR_ENV,
    RateLimitBackendError,
    normalize_backend,
    rate_limit_dir,
    rate_limit_dir_default,
)
from airflow_provider_snovio.api.ratelimit.limiter import RateLimiter, get_rate_limiter
from airflow_provider_snovio.api.ratelimit.policy import (
    QUOTA_FAMILIES,
    QUOTA_MARGIN_MAX_FRACTION,
    SAFETY_MARGIN_MAX_FRACTION,
    SAFETY_MARGIN_SECONDS,
    Admission,
    QuotaAsk,
    quota_margin_seconds,
    safety_margin_seconds,
)
from airflow_provider_snovio.api.ratelimit.redis import REDIS_KEY_PREFIX

__all__ = [
    "ASYNC_WAKE_JITTER",
    "ASYNC_WAKE_JITTER_MAX_SECONDS",
    "QUOTA_FAMILIES",
    "QUOTA_MARGIN_MAX_FRACTION",
    "RATE_LIMIT_DIR_ENV",
    "REDIS_KEY_PREFIX",
    "SAFETY_MARGIN_MAX_FRACTION",
    "SAFETY_MARGIN_SECONDS",
    "Admission",
    "QuotaAsk",
    "RateLimitBackendError",
    "RateLimiter",
    "async_wake_delay",
    "get_rate_limiter",
    "normalize_backend",
    "quota_margin_seconds",
    "rate_limit_dir",
    "rate_limit_dir_default",
    "safety_margin_seconds",
]

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
import random
import sqlite3
import stat
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn, Protocol
from urllib.parse import urlsplit

from airflow_provider_snovio.api.urls import redact_url, scrub_url_secrets

__all__ = [
    "QUOTA_FAMILIES",
    "QUOTA_MARGIN_MAX_FRACTION",
    "RATE_LIMIT_DIR_ENV",
    "SAFETY_MARGIN_MAX_FRACTION",
    "SAFETY_MARGIN_SECONDS",
    "Admission",
    "RateLimitBackendError",
    "RateLimiter",
    "get_rate_limiter",
]

log = logging.getLogger(__name__)

#: Extra time added to the rate window: N requests are admitted per ``window + margin``, not per ``window``.
#: A request stamped at client time t reaches the server at t + d, with d (processing, network, sleep
#: overshoot) varying from request to request. If any N+1 admissions are spread over more than
#: ``window + margin`` on the client, a server counting arrivals in a strict sliding window sees at most N
#: as long as d varies by less than the margin. One second covers ordinary latency jitter and costs 1/61 of
#: the throughput (60 per 61 s = 0.984 of the nominal limit, above the 0.95 target).
SAFETY_MARGIN_SECONDS = 1.0

#: The margin never exceeds this fraction of the window, so that the short windows used by tests and
#: demos (e.g. 6 requests per 2 s) keep their throughput; for the 60-s window the 1-s margin applies.
SAFETY_MARGIN_MAX_FRACTION = 0.05

#: The hourly quota families Snov.io plans limit: the e-mail finder (requests) and the verifier (e-mails).
QUOTA_FAMILIES = ("finder", "verifier")

#: The quota window's margin (the same :data:`SAFETY_MARGIN_SECONDS` for the real hour, 1/3600 of it) is
#: capped at this share of a compressed window, so a test or benchmark hour of a few seconds still measures
#: the throughput the real hour gets, within 2 %.
QUOTA_MARGIN_MAX_FRACTION = 0.02

#: Environment variable overriding the directory of the per-host SQLite logs.
RATE_LIMIT_DIR_ENV = "SNOVIO_RATE_LIMIT_DIR"

#: Prefix of the Redis sorted-set keys (one per account and window).
REDIS_KEY_PREFIX = "airflow-provider-snovio:ratelimit:"

_MEMORY = "memory"
_REDIS_SCHEMES = ("redis://", "rediss://")
_REDIS_EXTRA_HINT = "pip install 'airflow-provider-snovio[redis]'"
#: Upper bound of one sleep: an unexpected state (a flushed Redis key, a clock step) then only costs a
#: cheap re-check instead of a long stall.
_MAX_SLEEP_SECONDS = 5.0
#: Lower bound of one sleep, so that a race with another waiter never turns into a busy loop.
_MIN_SLEEP_SECONDS = 0.001
#: How long a SQLite attempt waits for another process's transaction before the file counts as broken.
#: A transaction here is four tiny statements, so anything near this long means a hung process.
_SQLITE_BUSY_TIMEOUT_SECONDS = 30.0
#: Redis socket timeouts (connect and each round trip).
_REDIS_TIMEOUT_SECONDS = 10.0

#: One admission attempt on Redis, atomic on the server. KEYS[1]: the sorted set of admission times (score:
#: the server's clock in ms; member: unique per request); KEYS[2], for a request of a quota family: that
#: family's sorted set (one member per unit). ARGV: the limit N, the window + margin in ms, a unique member,
#: the key's expiry in ms, then for a quota: its limit (0 = unknown, never waited on), its window + margin in
#: ms, the request's units and that key's expiry in ms. Returns 0 when admitted (in both sets), else the ms
#: until both have room.
#:
#: * ``TIME`` is the server's clock: every host stamps and ages entries by the same clock, so a host whose
#:   own clock is 30 s off neither sees entries as expired early nor counts them too long.
#: * Entries more than a window in the *future* can only come from the server's clock stepping back; they
#:   are dropped instead of blocking the account until the clock catches up.
#: * The k-th oldest entry (k = count + units - N) is the one whose expiry frees enough room, so a limiter
#:   configured lower than another one sharing the key waits for the right entry.
#: * ``replicate_commands`` lets Redis < 5 replicate a script that writes after reading ``TIME``; newer
#:   servers do this always and ignore the call.
_REDIS_SCRIPT = """
if redis.replicate_commands then pcall(redis.replicate_commands) end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local function count(key, interval)
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - interval)
  redis.call('ZREMRANGEBYSCORE', key, now + interval + 1, '+inf')
  return redis.call('ZCARD', key)
end
local function wait(key, n, units, limit, interval)
  if limit <= 0 or n + units <= limit then return 0 end
  local entry = redis.call('ZRANGE', key, n + units - limit - 1, n + units - limit - 1, 'WITHSCORES')
  return math.max(1, tonumber(entry[2]) + interval - now)
end
local limit = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local waited = wait(KEYS[1], count(KEYS[1], interval), 1, limit, interval)
local qunits = 0
if KEYS[2] then
  local qinterval = tonumber(ARGV[6])
  qunits = tonumber(ARGV[7])
  waited = math.max(waited, wait(KEYS[2], count(KEYS[2], qinterval), qunits, tonumber(ARGV[5]), qinterval))
end
if waited > 0 then return waited end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[4]))
for i = 1, qunits do redis.call('ZADD', KEYS[2], now, ARGV[3] .. ':' .. i) end
if qunits > 0 then redis.call('PEXPIRE', KEYS[2], tonumber(ARGV[8])) end
return 0
"""


#: Settling a request on Redis: KEYS[1] the rate set, KEYS[2] (a quota request) the family's set; ARGV: the
#: ticket and the units. Moves the request's rate entry and each of its units still in their set to the
#: server's clock now (``XX``: an entry already aged out is not added back).
_REDIS_SETTLE_SCRIPT = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
if KEYS[2] then
  for i = 1, tonumber(ARGV[2]) do redis.call('ZADD', KEYS[2], 'XX', now, ARGV[1] .. ':' .. i) end
end
return 0
"""


@dataclass(frozen=True)
class QuotaAsk:
    """What one request takes from its family's hourly quota: ``units`` against ``limit`` (0 = unknown).

    ``ticket`` names the request's units in the log, so that :meth:`RateLimiter.settle` can find them.
    """

    family: str
    units: int
    limit: int
    interval: float
    ticket: str = field(default_factory=lambda: uuid.uuid4().hex)

    def wait(self, stamps: list[float], now: float) -> float | None:
        """Seconds until ``units`` fit among ``stamps`` (one per unit, oldest first), or ``None`` if they do."""
        count = len(stamps)
        if self.limit <= 0 or count + self.units <= self.limit:
            return None
        return stamps[count + self.units - self.limit - 1] + self.interval - now


@dataclass(frozen=True)
class Admission:
    """One admitted request: its entry in the rate log (named ``ticket``) and, for a quota family, its units.

    Hand it to :meth:`RateLimiter.settle` once the answer (or the failure) has arrived.
    """

    ticket: str
    quota: QuotaAsk | None = None


class RateLimitBackendError(ConnectionError):
    """The shared admission log (the per-host SQLite file or Redis) could not be used.

    A builtin ``ConnectionError`` so that code knowing only the standard library can catch it; the client
    turns it into a ``SnovioError``. Its text names ``rate_limit_backend`` and shows a URL only redacted.
    """


def safety_margin_seconds(window_seconds: float) -> float:
    """Margin added to ``window_seconds``: :data:`SAFETY_MARGIN_SECONDS`, capped for short windows."""
    return min(SAFETY_MARGIN_SECONDS, window_seconds * SAFETY_MARGIN_MAX_FRACTION)


def quota_margin_seconds(window_seconds: float) -> float:
    """Margin added to a quota window: :data:`SAFETY_MARGIN_SECONDS`, at most 2 % of a compressed window."""
    return min(SAFETY_MARGIN_SECONDS, window_seconds * QUOTA_MARGIN_MAX_FRACTION)


def _validate_quotas(quotas: Mapping[str, int | None] | None) -> tuple[tuple[str, int], ...]:
    """``{family: units per window or None}`` -> sorted ``(family, limit)`` pairs, 0 for unknown."""
    pairs = []
    for family, limit in (quotas or {}).items():
        if family not in QUOTA_FAMILIES:
            raise ValueError(f"quota family must be one of {QUOTA_FAMILIES}, got {family!r}")
        if limit is None:
            continue
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"{family}_hourly_limit must be a positive integer or empty, got {limit!r}")
        pairs.append((family, limit))
    return tuple(sorted(pairs))


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
        try:
            urlsplit(text).port  # noqa: B018 - parsing the port is the check
        except ValueError:
            raise ValueError(
                f"rate_limit_backend has an unusable host or port: {redact_url(text)!r}"
            ) from None
        return text
    raise ValueError(
        "rate_limit_backend must be empty (shared by the processes of this host), 'memory' "
        f"(this process only) or a redis://host:port/db or rediss:// URL, got {redact_url(text)!r}"
    )


def _account_digest(account_key: str) -> str:
    """Hash the account key: it is derived from a client id and must not appear in file names or keys."""
    return hashlib.sha256(account_key.encode("utf-8")).hexdigest()[:32]


def _current_user_tag() -> str:
    getuid = getattr(os, "getuid", None)
    if getuid is not None:
        return str(getuid())
    import getpass  # Windows: no uid; lazily imported, rarely needed

    return hashlib.sha256(getpass.getuser().encode("utf-8")).hexdigest()[:12]


def _rate_limit_dir_path() -> tuple[Path, bool]:
    """The directory of the per-host logs (no I/O), and whether it is the shared-tempdir default."""
    configured = os.environ.get(RATE_LIMIT_DIR_ENV, "").strip()
    if configured:
        return Path(configured).expanduser(), False
    return rate_limit_dir_default(), True


def rate_limit_dir_default() -> Path:
    """The per-host logs' directory when ``$SNOVIO_RATE_LIMIT_DIR`` is unset (no I/O)."""
    return Path(tempfile.gettempdir()) / f"airflow-provider-snovio-{_current_user_tag()}"


def rate_limit_dir() -> Path:
    """Directory of the per-host SQLite logs, created if missing.

    ``$SNOVIO_RATE_LIMIT_DIR`` wins; otherwise ``<tempdir>/airflow-provider-snovio-<uid>``. The default
    lives in a world-writable directory, so it is created private (0700) and refused if another user owns
    it or it is a symlink: someone else must not be able to read, fill or replace our admission log.
    """
    path, is_default = _rate_limit_dir_path()
    if not is_default:
        path.mkdir(parents=True, exist_ok=True)
        return path
    path.mkdir(mode=0o700, exist_ok=True)
    info = os.lstat(path)
    getuid = getattr(os, "getuid", None)
    if stat.S_ISLNK(info.st_mode) or (getuid is not None and info.st_uid != getuid()):
        raise PermissionError(
            f"{path} is not a directory owned by the current user; set {RATE_LIMIT_DIR_ENV} to a private "
            "directory for the Snov.io rate-limit state"
        )
    return path


class _Store(Protocol):
    """One shared admission log. ``attempt`` admits one request now (``None``), its entry named ``ticket``, or
    says how long to wait; ``settle`` moves an admitted request's entries to now."""

    def attempt(self, quota: QuotaAsk | None = None, ticket: str = "") -> float | None: ...

    def settle(self, admission: Admission) -> None: ...

    def stamps(self) -> list[float]: ...

    def close(self) -> None: ...


class _MemoryStore:
    """This process only (tests, or a deliberate per-process limit): a deque of monotonic stamps."""

    def __init__(self, limit: int, interval: float) -> None:
        self._limit = limit
        self._interval = interval
        #: ``(stamp, ticket)`` per admitted request, oldest first.
        self._stamps: deque[tuple[float, str]] = deque()
        #: Per family, ``(stamp, ticket)`` per unit, oldest first.
        self._quota_units: dict[str, deque[tuple[float, str]]] = {family: deque() for family in QUOTA_FAMILIES}
        self._lock = threading.Lock()

    @staticmethod
    def _prune(stamps: deque[Any], now: float, interval: float, key: Any = lambda entry: entry) -> None:
        while stamps and key(stamps[0]) <= now - interval:
            stamps.popleft()

    def attempt(self, quota: QuotaAsk | None = None, ticket: str = "") -> float | None:
        with self._lock:
            now = time.monotonic()
            self._prune(self._stamps, now, self._interval, key=lambda entry: entry[0])
            count = len(self._stamps)
            waits = [] if count < self._limit else [self._stamps[count - self._limit][0] + self._interval - now]
            if quota is not None:
                units = self._quota_units[quota.family]
                self._prune(units, now, quota.interval, key=lambda entry: entry[0])
                quota_wait = quota.wait([stamp for stamp, _ in units], now)
                if quota_wait is not None:
                    waits.append(quota_wait)
            if waits:
                return max(waits)
            self._stamps.append((now, ticket))
            if quota is not None:
                self._quota_units[quota.family].extend([(now, quota.ticket)] * quota.units)
            return None

    @staticmethod
    def _restamp(entries: deque[tuple[float, str]], ticket: str, now: float) -> None:
        """Move the entries named ``ticket`` to ``now`` (every stamp is <= now: appending keeps the order)."""
        kept = [entry for entry in entries if entry[1] != ticket]
        moved = len(entries) - len(kept)
        entries.clear()
        entries.extend(kept)
        entries.extend([(now, ticket)] * moved)

    def settle(self, admission: Admission) -> None:
        with self._lock:
            now = time.monotonic()
            self._restamp(self._stamps, admission.ticket, now)
            if admission.quota is not None:
                self._restamp(self._quota_units[admission.quota.family], admission.quota.ticket, now)

    def quota_stamps(self, family: str) -> list[float]:
        with self._lock:
            return [stamp for stamp, _ in self._quota_units[family]]

    def stamps(self) -> list[float]:
        with self._lock:
            return [stamp for stamp, _ in self._stamps]

    def close(self) -> None:
        pass


class _SQLiteStore:
    """Every process of this host: a table of wall-clock stamps, one ``BEGIN IMMEDIATE`` per attempt.

    ``BEGIN IMMEDIATE`` takes SQLite's write lock before anything is read, so the clock reading, the
    count and the insert of one attempt are atomic across processes; another process waiting for the
    lock is held by the busy timeout (not failed with "database is locked"). The threads of one process
    queue on a thread lock first, so they do not poll the file lock against each other.
    """

    def __init__(self, path: Path, limit: int, interval: float) -> None:
        self._limit = limit
        self._interval = interval
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            str(path), timeout=_SQLITE_BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
        try:
            # WAL: a commit is an append, not a journal file created and deleted per request. Durability
            # across an OS crash is worthless for a one-minute log, hence synchronous=NORMAL.
            self._conn.execute("PRAGMA journal_mode=WAL")
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("CREATE TABLE IF NOT EXISTS admissions (stamp REAL NOT NULL, ticket TEXT)")
            self._conn.execute("CREATE INDEX IF NOT EXISTS admissions_by_stamp ON admissions (stamp)")
            columns = {row[1] for row in self._conn.execute("PRAGMA table_info(admissions)")}
            if "ticket" not in columns:  # a log written by an older release: entries are settled from now on
                try:
                    self._conn.execute("ALTER TABLE admissions ADD COLUMN ticket TEXT")
                except sqlite3.OperationalError as error:  # another process added it first
                    if "duplicate column" not in str(error):
                        raise
            # Hourly quota units, one row per unit (a verification of 10 e-mails takes 10 rows).
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS quota_units (family TEXT NOT NULL, stamp REAL NOT NULL, ticket TEXT)"
            )
            self._conn.execute("CREATE INDEX IF NOT EXISTS quota_units_by_stamp ON quota_units (family, stamp)")
        except BaseException:
            self._conn.close()
            raise

    def attempt(self, quota: QuotaAsk | None = None, ticket: str = "") -> float | None:
        with self._lock, self._transaction() as conn:
            now = time.time()  # read under the write lock: stamps follow the admission order
            conn.execute("DELETE FROM admissions WHERE stamp <= ?", (now - self._interval,))
            future = conn.execute("DELETE FROM admissions WHERE stamp > ?", (now + self._interval,)).rowcount
            if future:
                log.warning("Snov.io rate limiter: dropped %d entries stamped in the future; was the clock "
                            "stepped backwards?", future)
            (count,) = conn.execute("SELECT COUNT(*) FROM admissions").fetchone()
            waits = []
            if count >= self._limit:
                (stamp,) = conn.execute(
                    "SELECT stamp FROM admissions ORDER BY stamp LIMIT 1 OFFSET ?", (count - self._limit,)
                ).fetchone()
                waits.append(stamp + self._interval - now)
            if quota is not None:
                quota_wait = self._quota_wait(conn, quota, now)
                if quota_wait is not None:
                    waits.append(quota_wait)
            if waits:
                return max(waits)
            conn.execute("INSERT INTO admissions (stamp, ticket) VALUES (?, ?)", (now, ticket))
            if quota is not None:
                conn.executemany("INSERT INTO quota_units (family, stamp, ticket) VALUES (?, ?, ?)",
                                 [(quota.family, now, quota.ticket)] * quota.units)
            return None

    def settle(self, admission: Admission) -> None:
        with self._lock, self._transaction() as conn:
            now = time.time()
            conn.execute("UPDATE admissions SET stamp = ? WHERE ticket = ?", (now, admission.ticket))
            if admission.quota is not None:
                conn.execute("UPDATE quota_units SET stamp = ? WHERE family = ? AND ticket = ?",
                             (now, admission.quota.family, admission.quota.ticket))

    @staticmethod
    def _quota_wait(conn: sqlite3.Connection, quota: QuotaAsk, now: float) -> float | None:
        """Prune the family's units and return the wait before ``quota.units`` more fit (``None``: they do)."""
        conn.execute("DELETE FROM quota_units WHERE family = ? AND (stamp <= ? OR stamp > ?)",
                     (quota.family, now - quota.interval, now + quota.interval))
        (count,) = conn.execute("SELECT COUNT(*) FROM quota_units WHERE family = ?", (quota.family,)).fetchone()
        if quota.limit <= 0 or count + quota.units <= quota.limit:
            return None
        (stamp,) = conn.execute(
            "SELECT stamp FROM quota_units WHERE family = ? ORDER BY stamp LIMIT 1 OFFSET ?",
            (quota.family, count + quota.units - quota.limit - 1),
        ).fetchone()
        return stamp + quota.interval - now

    def quota_stamps(self, family: str) -> list[float]:
        with self._lock:
            rows = self._conn.execute("SELECT stamp FROM quota_units WHERE family = ? ORDER BY stamp", (family,))
            return [row[0] for row in rows]

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; rolled back on any failure, so the connection never stays inside one."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise

    def insert(self, stamp: float) -> None:
        """Record an admission at ``stamp`` (tests: entries written by another process)."""
        with self._lock, self._transaction() as conn:
            conn.execute("INSERT INTO admissions (stamp) VALUES (?)", (stamp,))

    def stamps(self) -> list[float]:
        with self._lock:
            return [row[0] for row in self._conn.execute("SELECT stamp FROM admissions ORDER BY stamp")]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class _RedisStore:
    """Every host using one Redis: a sorted set per account and window, one Lua script per attempt.

    ``register_script`` sends the script by its SHA (``EVALSHA``) and loads it again when the server
    answers NOSCRIPT (after a restart, a failover or ``SCRIPT FLUSH``), through redis-py's public API.
    """

    def __init__(self, url: str, key: str, limit: int, interval_ms: int) -> None:
        import redis

        self._key = key
        self._quota_prefix = key.rsplit(":", 1)[0] + ":quota:"
        self._limit = limit
        self._interval_ms = interval_ms
        self._client = redis.Redis.from_url(
            url,
            socket_timeout=_REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=_REDIS_TIMEOUT_SECONDS,
            health_check_interval=30,
        )
        self._script = self._client.register_script(_REDIS_SCRIPT)
        self._settle_script = self._client.register_script(_REDIS_SETTLE_SCRIPT)

    def quota_key(self, quota: QuotaAsk) -> str:
        return f"{self._quota_prefix}{quota.family}:{round(quota.interval * 1000)}ms"

    def attempt(self, quota: QuotaAsk | None = None, ticket: str = "") -> float | None:
        # Expiry: two windows after the last admission, so an idle account's key disappears.
        keys = [self._key]
        args: list[object] = [self._limit, self._interval_ms, ticket or uuid.uuid4().hex, 2 * self._interval_ms]
        if quota is not None:
            interval_ms = round(quota.interval * 1000)
            keys.append(self.quota_key(quota))
            args += [quota.limit, interval_ms, quota.units, 2 * interval_ms]
        wait_ms = self._script(keys=keys, args=args)
        return None if int(wait_ms) == 0 else int(wait_ms) / 1000

    def settle(self, admission: Admission) -> None:
        quota = admission.quota
        keys = [self._key] if quota is None else [self._key, self.quota_key(quota)]
        self._settle_script(keys=keys, args=[admission.ticket, quota.units if quota else 0])

    def quota_stamps(self, key: str) -> list[float]:
        return [score / 1000 for _, score in self._client.zrange(key, 0, -1, withscores=True)]

    def stamps(self) -> list[float]:
        return [score / 1000 for _, score in self._client.zrange(self._key, 0, -1, withscores=True)]

    def close(self) -> None:
        self._client.close()


#: Async waiters sleep up to this share longer than the wait the log reported (at most
#: :data:`ASYNC_WAKE_JITTER_MAX_SECONDS` more). Hundreds of triggers waiting on one full window all learn the
#: same wait; waking them at one instant made the triggerer's event loop lag 0.4 s (``make bench`` item 9).
#: Jitter only ever delays an attempt, so it cannot let a request through early.
ASYNC_WAKE_JITTER = 0.2
ASYNC_WAKE_JITTER_MAX_SECONDS = 2.0


def async_wake_delay(wait: float) -> float:
    """``wait`` plus a random share of it (see :data:`ASYNC_WAKE_JITTER`)."""
    return wait + random.uniform(0.0, min(wait * ASYNC_WAKE_JITTER, ASYNC_WAKE_JITTER_MAX_SECONDS))


class RateLimiter:
    """Admits at most ``requests_per_minute`` requests per ``window_seconds`` (+ margin) for one account.

    Owns one shared admission log chosen by the backend (see the module docstring). Obtain instances with
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
        if not isinstance(account_key, str) or not account_key:
            raise ValueError("account_key must be a non-empty string")
        self.requests_per_minute = _validate_requests_per_minute(requests_per_minute)
        self.window_seconds = _validate_window_seconds(window_seconds)
        #: Declared hourly quotas, ``{family: units per quota window}``; a family not in it is unknown.
        self.quotas: dict[str, int] = dict(_validate_quotas(quotas))
        self.quota_window_seconds = _validate_window_seconds(quota_window_seconds)
        self.quota_interval = self.quota_window_seconds + quota_margin_seconds(self.quota_window_seconds)
        self._backend_spec = _normalize_backend(backend)
        if self._is_redis and importlib.util.find_spec("redis") is None:
            raise ImportError(f"rate_limit_backend is a redis URL but the 'redis' package is not installed: "
                              f"{_REDIS_EXTRA_HINT}")
        self.margin_seconds = safety_margin_seconds(self.window_seconds)
        self._interval_ms = max(1, round((self.window_seconds + self.margin_seconds) * 1000))
        self._digest = _account_digest(account_key)
        self._pid = os.getpid()
        self._init_lock = threading.Lock()
        self._state: _Store | None = None

    # -- public API ---------------------------------------------------------------------------------

    @property
    def backend(self) -> str:
        """``"host"``, ``"memory"`` or the redis URL with its credentials redacted (safe to log)."""
        if self._backend_spec in ("", _MEMORY):
            return self._backend_spec or "host"
        return redact_url(self._backend_spec)

    @property
    def location(self) -> str:
        """Where the shared state lives: the SQLite file, the Redis key, or ``"memory"``."""
        if self._backend_spec == _MEMORY:
            return _MEMORY
        if self._is_redis:
            return self._redis_key()
        return str(self._sqlite_path(rate_limit_dir()))

    def acquire(self, family: str | None = None, units: int = 1) -> Admission:
        """Block until one request may be sent, then count it. Call it right before sending.

        ``family`` (one of :data:`QUOTA_FAMILIES`) makes the request also take ``units`` from that hourly
        quota, admitted together with its rate slot. Hand the returned :class:`Admission` to :meth:`settle`
        once the answer (or the failure) has arrived.
        """
        quota = self.quota_ask(family, units)
        ticket = quota.ticket if quota is not None else uuid.uuid4().hex
        while True:
            wait = self._attempt(quota, ticket)
            if wait is None:
                return Admission(ticket, quota)
            time.sleep(wait)

    def settle(self, admission: Admission | None) -> None:
        """Re-stamp a request's rate entry and quota units at the moment its answer arrived (see the module
        docstring).

        Never raises: the entries stay counted at their admission time if the log cannot be reached.
        """
        if admission is None:
            return
        try:
            self._ready().settle(admission)
        except Exception as exc:
            log.warning("Snov.io rate limiter: could not settle a request (%s)", type(exc).__name__)

    async def acquire_async(self, family: str | None = None, units: int = 1) -> Admission:
        """Like :meth:`acquire`, for asyncio code such as triggers, without blocking the event loop.

        Each attempt (a SQLite transaction or a Redis round trip) runs in a worker thread, and the waits
        between attempts are ``asyncio.sleep``, so a waiter cancelled while it sleeps (a trigger being
        stopped) leaves no thread behind that would later take a slot for nothing.
        """
        quota = self.quota_ask(family, units)
        ticket = quota.ticket if quota is not None else uuid.uuid4().hex
        while True:
            wait = await asyncio.to_thread(self._attempt, quota, ticket)
            if wait is None:
                return Admission(ticket, quota)
            await asyncio.sleep(async_wake_delay(wait))

    def quota_ask(self, family: str | None, units: int = 1) -> QuotaAsk | None:
        """The quota demand of a request of ``family`` (``None``: none); refuses one that can never fit."""
        if family is None:
            return None
        if family not in QUOTA_FAMILIES:
            raise ValueError(f"quota family must be one of {QUOTA_FAMILIES}, got {family!r}")
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise ValueError(f"quota units must be a positive integer, got {units!r}")
        limit = self.quotas.get(family, 0)
        if limit and units > limit:
            raise ValueError(f"{family}_hourly_limit ({limit}) is smaller than one request's {units} units: "
                             "it could never be sent")
        return QuotaAsk(family, units, limit, self.quota_interval)

    def quota_stamps(self, family: str) -> list[float]:
        """Stamps of the family's recorded units in the shared log, oldest first (tests, benchmarks)."""
        store = self._ready()
        if isinstance(store, _RedisStore):
            return store.quota_stamps(store.quota_key(QuotaAsk(family, 1, 0, self.quota_interval)))
        return store.quota_stamps(family)  # type: ignore[attr-defined]

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

    @property
    def _is_redis(self) -> bool:
        return self._backend_spec.lower().startswith(_REDIS_SCHEMES)

    def _attempt(self, quota: QuotaAsk | None = None, ticket: str = "") -> float | None:
        """Try to admit one request now (its rate entry named ``ticket``); ``None`` if admitted, else the
        seconds to wait."""
        try:
            wait = self._ready().attempt(quota, ticket)
        except RateLimitBackendError:
            raise
        except Exception as exc:
            if not self._is_backend_failure(exc):
                raise
            self._raise_backend_error(exc)
        if wait is None:
            return None
        if wait > 2 * max(self._interval_ms / 1000, self.quota_interval if quota else 0):  # a clock misbehaves
            log.warning("Snov.io rate limiter: next slot in %.1f s, longer than the window", wait)
        return min(max(wait, _MIN_SLEEP_SECONDS), _MAX_SLEEP_SECONDS)

    def _is_backend_failure(self, exc: Exception) -> bool:
        if isinstance(exc, (sqlite3.Error, OSError)):
            return True
        if self._is_redis:
            import redis

            # ValueError, TypeError: redis-py refusing an option of the URL's query (an unknown value or
            # name, found only when it connects).
            return isinstance(exc, (redis.RedisError, ValueError, TypeError))
        return False

    def _raise_backend_error(self, exc: Exception) -> NoReturn:
        """One builtin exception type for "the shared log is unusable", whatever the library said.

        A Redis library text may echo the URL or parts of it, so it is scrubbed of the URL's credentials,
        and the original exception is not chained (a traceback would print its unscrubbed text).
        """
        if self._is_redis:
            detail = scrub_url_secrets(f"{type(exc).__name__}: {exc}", self._backend_spec)
            raise RateLimitBackendError(f"rate_limit_backend {self.backend} failed: {detail}") from None
        where = "memory" if self._backend_spec == _MEMORY else f"per-host log in {_rate_limit_dir_path()[0]}"
        raise RateLimitBackendError(
            f"rate_limit_backend ({where}) failed: {type(exc).__name__}: {exc}"
        ) from exc

    # -- backends ---------------------------------------------------------------------------------------

    def _ready(self) -> _Store:
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

    def _open(self) -> _Store:
        interval = self._interval_ms / 1000
        if self._backend_spec == _MEMORY:
            return _MemoryStore(self.requests_per_minute, interval)
        if self._is_redis:
            return _RedisStore(self._backend_spec, self._redis_key(), self.requests_per_minute, self._interval_ms)
        return _SQLiteStore(self._sqlite_path(rate_limit_dir()), self.requests_per_minute, interval)

    def _sqlite_path(self, directory: Path) -> Path:
        # One log per account and window, shared by limiters configured with different rates: each checks
        # its own limit against every admission for the account, so together they never exceed the
        # highest configured rate.
        return directory / f"snovio-ratelimit-{self._digest}-{self._interval_ms}ms.sqlite"

    def _redis_key(self) -> str:
        return f"{REDIS_KEY_PREFIX}{self._digest}:{self._interval_ms}ms"


_cache: dict[tuple[str, int, str, float, tuple[tuple[str, int], ...], float], RateLimiter] = {}
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
    quota_window_seconds)`` per process, so every
    hook and client of a process shares it. ``account_key`` is an opaque string (the client derives it
    from the base URL and client id); it is hashed before it names a file or a Redis key.

    ``backend``: ``None``/``""`` shares the limit with every process of this host through a SQLite file
    under :func:`rate_limit_dir`; ``"memory"`` keeps it in this process (tests); ``redis://host:port/db``
    or ``rediss://...`` shares it with every host using that Redis (needs the ``redis`` extra; the window
    follows the Redis server's clock, so the hosts' clocks need not agree). Anything else raises
    ``ValueError``.

    ``quotas``: the plan's hourly quotas, ``{"finder": 200, "verifier": 500}`` (a family left out or
    ``None`` is unknown: its units are recorded, never waited on); ``quota_window_seconds`` is their window,
    an hour (shorter only to compress time in tests and benchmarks).
    """
    if not isinstance(account_key, str) or not account_key:
        raise ValueError("account_key must be a non-empty string")
    key = (
        account_key,
        _validate_requests_per_minute(requests_per_minute),
        _normalize_backend(backend),
        _validate_window_seconds(window_seconds),
        _validate_quotas(quotas),
        _validate_window_seconds(quota_window_seconds),
    )
    if _cache_pid != os.getpid():  # forked without register_at_fork support
        _reset_cache_after_fork()
    with _cache_lock:
        limiter = _cache.get(key)
        if limiter is None:
            limiter = RateLimiter(key[0], key[1], key[2], window_seconds=key[3], quotas=dict(key[4]),
                                  quota_window_seconds=key[5])
            _cache[key] = limiter
        return limiter

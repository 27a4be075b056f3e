"""The admission log of ``rate_limit_backend: redis://...``: shared by every host using one Redis.

Workers on several hosts cannot share a file, and their clocks may disagree, so the log is a Redis sorted
set per account and window, and each attempt is one Lua script that stamps entries with the *server's*
clock (``TIME``). The script is the Lua twin of :func:`~airflow_provider_snovio.api.ratelimit.policy.
wait_for_room`: the rule must run on the server, atomically with the count and the insert. Keys expire
two windows after the last admission, so idle accounts leave nothing behind.

(Inside this package ``import redis`` still means the redis-py library: imports are absolute.)
"""

from __future__ import annotations

import uuid

from airflow_provider_snovio.api.ratelimit.backend import redis_client
from airflow_provider_snovio.api.ratelimit.policy import Admission, QuotaAsk

#: Prefix of the Redis sorted-set keys (one per account and window).
REDIS_KEY_PREFIX = "airflow-provider-snovio:ratelimit:"

#: The server's clock in ms, as ``now``: the start of every script, so that all hosts stamp and age entries
#: by one clock.
_NOW_MS = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
"""

#: One admission attempt on Redis, atomic on the server. KEYS[1]: the sorted set of admission times (score:
#: the server's clock in ms; member: unique per request); KEYS[2], for a request of a quota family: that
#: family's sorted set (one member per unit). ARGV: the limit N, the window + margin in ms, a unique member,
#: the key's expiry in ms, then for a quota: its limit (0 = unknown, never waited on), its window + margin in
#: ms, the request's units and that key's expiry in ms. Returns 0 when admitted (in both sets), else the ms
#: until both have room.
#:
#: * Entries more than a window in the *future* can only come from the server's clock stepping back; they
#:   are dropped instead of blocking the account until the clock catches up.
#: * ``wait`` is :func:`~airflow_provider_snovio.api.ratelimit.policy.wait_for_room`: the k-th oldest entry
#:   (k = count + units - N) is the one whose expiry frees enough room.
#: * ``replicate_commands`` lets Redis < 5 replicate a script that writes after reading ``TIME``; newer
#:   servers do this always and ignore the call.
_ATTEMPT_SCRIPT = (
    "if redis.replicate_commands then pcall(redis.replicate_commands) end"
    + _NOW_MS
    + """
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
)

#: Settling a request on Redis: KEYS[1] the rate set, KEYS[2] (a quota request) the family's set; ARGV: the
#: ticket and the units. Moves the request's rate entry and each of its units still in their set to the
#: server's clock now (``XX``: an entry already aged out is not added back).
_SETTLE_SCRIPT = (
    _NOW_MS
    + """
redis.call('ZADD', KEYS[1], 'XX', now, ARGV[1])
if KEYS[2] then
  for i = 1, tonumber(ARGV[2]) do redis.call('ZADD', KEYS[2], 'XX', now, ARGV[1] .. ':' .. i) end
end
return 0
"""
)


def log_key(account_digest: str, interval_ms: int) -> str:
    """The sorted set of one account's admissions in one window (window + margin, in ms)."""
    return f"{REDIS_KEY_PREFIX}{account_digest}:{interval_ms}ms"


def _quota_key(account_digest: str, family: str, interval: float) -> str:
    return f"{REDIS_KEY_PREFIX}{account_digest}:quota:{family}:{round(interval * 1000)}ms"


class RedisStore:
    """Every host using one Redis: a sorted set per account and window, one Lua script per attempt.

    ``register_script`` sends the script by its SHA (``EVALSHA``) and loads it again when the server
    answers NOSCRIPT (after a restart, a failover or ``SCRIPT FLUSH``), through redis-py's public API.
    """

    def __init__(self, url: str, account_digest: str, limit: int, interval_ms: int) -> None:
        self._digest = account_digest
        self._key = log_key(account_digest, interval_ms)
        self._limit = limit
        self._interval_ms = interval_ms
        self._client = redis_client(url)
        self._script = self._client.register_script(_ATTEMPT_SCRIPT)
        self._settle_script = self._client.register_script(_SETTLE_SCRIPT)

    def attempt(self, quota: QuotaAsk | None = None, ticket: str = "") -> float | None:
        # Expiry: two windows after the last admission, so an idle account's key disappears.
        keys = [self._key]
        member = ticket or (quota.ticket if quota is not None else uuid.uuid4().hex)
        args: list[int | float | str] = [self._limit, self._interval_ms, member, 2 * self._interval_ms]
        if quota is not None:
            interval_ms = round(quota.interval * 1000)
            keys.append(_quota_key(self._digest, quota.family, quota.interval))
            args += [quota.limit, interval_ms, quota.units, 2 * interval_ms]
        wait_ms = self._script(keys=keys, args=args)
        return None if int(wait_ms) == 0 else int(wait_ms) / 1000

    def settle(self, admission: Admission) -> None:
        quota = admission.quota
        keys = [self._key] if quota is None else [self._key, _quota_key(self._digest, quota.family, quota.interval)]
        self._settle_script(keys=keys, args=[admission.ticket, quota.units if quota is not None else 0])

    def quota_stamps(self, family: str, interval: float) -> list[float]:
        return self._scores(_quota_key(self._digest, family, interval))

    def stamps(self) -> list[float]:
        return self._scores(self._key)

    def _scores(self, key: str) -> list[float]:
        entries: list[tuple[bytes, float]] = self._client.zrange(key, 0, -1, withscores=True)  # type: ignore[assignment]
        return [score / 1000 for _, score in entries]

    def close(self) -> None:
        self._client.close()

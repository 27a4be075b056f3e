"""The sliding-window policy: how much a window admits, its margins, and when the next request fits.

Kept apart from the stores so that the one rule they apply (:func:`wait_for_room`) is written once, for the
per-process and per-host logs alike (Redis runs a Lua twin of it, which must execute on the server), and so
that a limiter's settings are validated by one set of functions whether it is built directly or through
:func:`~airflow_provider_snovio.api.ratelimit.get_rate_limiter`. No I/O here.
"""

from __future__ import annotations

import math
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

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

#: Upper bound of one sleep: an unexpected state (a flushed Redis key, a clock step) then only costs a
#: cheap re-check instead of a long stall.
MAX_SLEEP_SECONDS = 5.0
#: Lower bound of one sleep, so that a race with another waiter never turns into a busy loop.
MIN_SLEEP_SECONDS = 0.001


def safety_margin_seconds(window_seconds: float) -> float:
    """Margin added to ``window_seconds``: :data:`SAFETY_MARGIN_SECONDS`, capped for short windows."""
    return min(SAFETY_MARGIN_SECONDS, window_seconds * SAFETY_MARGIN_MAX_FRACTION)


def quota_margin_seconds(window_seconds: float) -> float:
    """Margin added to a quota window: :data:`SAFETY_MARGIN_SECONDS`, at most 2 % of a compressed window."""
    return min(SAFETY_MARGIN_SECONDS, window_seconds * QUOTA_MARGIN_MAX_FRACTION)


def wait_for_room(
    count: int, units: int, limit: int, interval: float, now: float, stamp_at: Callable[[int], float]
) -> float | None:
    """Seconds until ``units`` more entries fit in a log of ``count`` live ones, or ``None`` if they fit now.

    ``limit`` entries fit per ``interval`` (window + margin); ``limit`` 0 means unknown, never waited on.
    ``stamp_at(i)`` is the i-th oldest live entry's stamp. The entry whose expiry frees enough room is the
    (count + units - limit)-th oldest, not always the oldest: a limiter configured lower than another one
    sharing the log must wait for the right entry.
    """
    if limit <= 0 or count + units <= limit:
        return None
    return stamp_at(count + units - limit - 1) + interval - now


def longest_wait(*waits: float | None) -> float | None:
    """The longest of the waits of a request's logs (its rate slot, its quota units); ``None``: all fit now."""
    known = [wait for wait in waits if wait is not None]
    return max(known) if known else None


@dataclass(frozen=True)
class QuotaAsk:
    """What one request takes from its family's hourly quota: ``units`` against ``limit`` (0 = unknown).

    ``ticket`` names the request's units in the log, so that
    :meth:`~airflow_provider_snovio.api.ratelimit.RateLimiter.settle` can find them.
    """

    family: str
    units: int
    limit: int
    interval: float
    ticket: str = field(default_factory=lambda: uuid.uuid4().hex)


@dataclass(frozen=True)
class Admission:
    """One admitted request: its entry in the rate log (named ``ticket``) and, for a quota family, its units.

    Hand it to :meth:`~airflow_provider_snovio.api.ratelimit.RateLimiter.settle` once the answer (or the
    failure) has arrived: its entries then count from that moment (see the package docstring).
    """

    ticket: str
    quota: QuotaAsk | None = None


def new_admission(quota: QuotaAsk | None) -> Admission:
    """The admission a request asks for: its ticket names its rate entry and, for a quota, its units."""
    return Admission(quota.ticket if quota is not None else uuid.uuid4().hex, quota)


class Store(Protocol):
    """One shared admission log. ``attempt`` admits one request now (``None``) or says how long to wait.

    ``attempt`` counts the request's rate slot and, with a :class:`QuotaAsk`, its quota units in one atomic
    step: both are admitted together or neither is.
    """

    def attempt(self, quota: QuotaAsk | None = None, ticket: str = "") -> float | None: ...

    def settle(self, admission: Admission) -> None: ...

    def stamps(self) -> list[float]: ...

    def quota_stamps(self, family: str, interval: float) -> list[float]: ...

    def close(self) -> None: ...


# -- settings -----------------------------------------------------------------------------------------------


def _is_positive_int(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int) and value >= 1


def validate_account_key(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("account_key must be a non-empty string")
    return value


def validate_requests_per_minute(value: object) -> int:
    if not _is_positive_int(value):
        raise ValueError(f"requests_per_minute must be a positive integer, got {value!r}")
    return value  # type: ignore[return-value]


def validate_window_seconds(value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        raise ValueError(f"window_seconds must be a positive number of seconds, got {value!r}")
    return float(value)


def validate_quotas(quotas: Mapping[str, int | None] | None) -> tuple[tuple[str, int], ...]:
    """``{family: units per window or None}`` -> sorted ``(family, limit)`` pairs; a ``None`` is left out."""
    pairs = []
    for family, limit in (quotas or {}).items():
        _check_family(family)
        if limit is None:
            continue
        if not _is_positive_int(limit):
            raise ValueError(f"{family}_hourly_limit must be a positive integer or empty, got {limit!r}")
        pairs.append((family, limit))
    return tuple(sorted(pairs))


def quota_ask(quotas: Mapping[str, int], interval: float, family: str | None, units: int = 1) -> QuotaAsk | None:
    """The quota demand of a request of ``family`` (``None``: none); refuses one that can never fit."""
    if family is None:
        return None
    _check_family(family)
    if not _is_positive_int(units):
        raise ValueError(f"quota units must be a positive integer, got {units!r}")
    limit = quotas.get(family, 0)
    if limit and units > limit:
        raise ValueError(
            f"{family}_hourly_limit ({limit}) is smaller than one request's {units} units: it could never be sent"
        )
    return QuotaAsk(family, units, limit, interval)


def _check_family(family: object) -> None:
    if family not in QUOTA_FAMILIES:
        raise ValueError(f"quota family must be one of {QUOTA_FAMILIES}, got {family!r}")

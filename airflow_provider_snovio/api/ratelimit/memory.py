"""The admission log of ``rate_limit_backend: memory``: this process only, in deques of monotonic stamps.

For tests and for a deliberately per-process limit; the monotonic clock cannot step back, so unlike the
shared stores this one never meets entries stamped in the future.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from airflow_provider_snovio.api.ratelimit.policy import (
    QUOTA_FAMILIES,
    Admission,
    QuotaAsk,
    longest_wait,
    wait_for_room,
)


class MemoryStore:
    """This process only (tests, or a deliberate per-process limit): a deque of monotonic stamps."""

    def __init__(self, limit: int, interval: float) -> None:
        self._limit = limit
        self._interval = interval
        #: ``(stamp, ticket)`` per admitted request, oldest first.
        self._stamps: deque[tuple[float, str]] = deque()
        #: Per family, ``(stamp, ticket)`` per unit, oldest first.
        self._quota_units: dict[str, deque[tuple[float, str]]] = {family: deque() for family in QUOTA_FAMILIES}
        self._lock = threading.Lock()

    def attempt(self, quota: QuotaAsk | None = None, ticket: str = "") -> float | None:
        with self._lock:
            now = time.monotonic()
            stamps = self._stamps
            while stamps and stamps[0][0] <= now - self._interval:
                stamps.popleft()
            rate_wait = wait_for_room(len(stamps), 1, self._limit, self._interval, now, lambda i: stamps[i][0])
            quota_wait = None
            if quota is not None:
                units = self._quota_units[quota.family]
                while units and units[0][0] <= now - quota.interval:
                    units.popleft()
                quota_wait = wait_for_room(
                    len(units), quota.units, quota.limit, quota.interval, now, lambda i: units[i][0]
                )
            wait = longest_wait(rate_wait, quota_wait)
            if wait is not None:
                return wait
            self._stamps.append((now, ticket))
            if quota is not None:
                self._quota_units[quota.family].extend([(now, quota.ticket)] * quota.units)
            return None

    def settle(self, admission: Admission) -> None:
        with self._lock:
            now = time.monotonic()
            _restamp(self._stamps, admission.ticket, now)
            if admission.quota is not None:
                _restamp(self._quota_units[admission.quota.family], admission.quota.ticket, now)

    def quota_stamps(self, family: str, interval: float) -> list[float]:
        with self._lock:
            return [stamp for stamp, _ in self._quota_units[family]]

    def stamps(self) -> list[float]:
        with self._lock:
            return [stamp for stamp, _ in self._stamps]

    def close(self) -> None:
        pass


def _restamp(entries: deque[tuple[float, str]], ticket: str, now: float) -> None:
    """Move the entries named ``ticket`` to ``now`` (an entry already aged out is not added back)."""
    kept = [entry for entry in entries if entry[1] != ticket]
    moved = len(entries) - len(kept)
    entries.clear()
    entries.extend(kept)  # every stamp is <= now: appending keeps the order
    entries.extend([(now, ticket)] * moved)

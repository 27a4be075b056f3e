"""The admission log of ``rate_limit_backend: memory``: this process only, in deques of monotonic stamps.

For tests and for a deliberately per-process limit; the monotonic clock cannot step back, so unlike the
shared stores this one never meets entries stamped in the future.
"""

from __future__ import annotations

import threading
import time
from collections import deque

from airflow_provider_snovio.api.ratelimit.policy import QUOTA_FAMILIES, QuotaAsk, longest_wait, wait_for_room


class MemoryStore:
    """This process only (tests, or a deliberate per-process limit): a deque of monotonic stamps."""

    def __init__(self, limit: int, interval: float) -> None:
        self._limit = limit
        self._interval = interval
        self._stamps: deque[float] = deque()
        #: Per family, ``(stamp, ticket)`` per unit, oldest first.
        self._quota_units: dict[str, deque[tuple[float, str]]] = {family: deque() for family in QUOTA_FAMILIES}
        self._lock = threading.Lock()

    def attempt(self, quota: QuotaAsk | None = None) -> float | None:
        with self._lock:
            now = time.monotonic()
            while self._stamps and self._stamps[0] <= now - self._interval:
                self._stamps.popleft()
            rate_wait = wait_for_room(len(self._stamps), 1, self._limit, self._interval, now, self._stamps.__getitem__)
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
            self._stamps.append(now)
            if quota is not None:
                self._quota_units[quota.family].extend([(now, quota.ticket)] * quota.units)
            return None

    def settle(self, quota: QuotaAsk) -> None:
        with self._lock:
            units = self._quota_units[quota.family]
            kept = [entry for entry in units if entry[1] != quota.ticket]
            moved = len(units) - len(kept)
            units.clear()
            units.extend(kept)  # every stamp is <= now: appending keeps the order
            units.extend([(time.monotonic(), quota.ticket)] * moved)

    def quota_stamps(self, family: str, interval: float) -> list[float]:
        with self._lock:
            return [stamp for stamp, _ in self._quota_units[family]]

    def stamps(self) -> list[float]:
        with self._lock:
            return list(self._stamps)

    def close(self) -> None:
        pass

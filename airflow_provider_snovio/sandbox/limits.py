"""Snov.io's rate limits, enforced the way the account sees them.

Why a sliding log: the documented limit is "60 requests per minute"; a client that bunches 60 calls at the
end of one minute and 60 at the start of the next must be caught, which a fixed window would miss. The
limiter records arrival times of *accepted* requests; a rejected request does not take a slot (so a client
that honours ``Retry-After`` gets in when promised).

What counts: authenticated API calls and successful token requests (the real limit is per account, and the
token call is an API call of that account). ``/_sandbox/*`` and rejected (401) calls do not count. Faults
injected in the "before" phase replace the request before it reaches the limiter, so they do not count either.

Hourly finder/verifier limits are a second sliding log (one hour; ``hourly_window_seconds`` compresses it for
tests) counted in units (requests for the finder, emails for the verifier); exceeding them raises
``TooManyProcessing`` -> the documented message, as a 429 with ``Retry-After`` or, with ``quota_answer="200"``,
as a 200 ``{"success": false, "message": ...}`` without one (Snov.io documents the message, not the status).
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING, Literal

from airflow_provider_snovio.sandbox.errors import TooManyProcessing

if TYPE_CHECKING:
    from airflow_provider_snovio.sandbox.state import SandboxState

HOUR = 3600.0
HourlyKind = Literal["finder", "verifier"]


class SlidingWindowLimiter:
    """At most ``limit`` units in any ``window`` seconds; not thread-safe (callers hold the state lock)."""

    def __init__(self) -> None:
        self._log: deque[tuple[float, int]] = deque()
        self._units = 0
        self.peak = 0  # max units seen inside any window (measured at each acceptance)

    def _prune(self, now: float, window: float) -> None:
        while self._log and self._log[0][0] <= now - window:
            _, units = self._log.popleft()
            self._units -= units

    def in_window(self, now: float, window: float) -> int:
        self._prune(now, window)
        return self._units

    def try_acquire(self, now: float, limit: int, window: float, units: int = 1) -> float | None:
        """Take ``units`` slots: None when accepted, else seconds until enough slots free."""
        self._prune(now, window)
        if self._units + units > limit:
            if units > limit:
                return window
            # walk the log until enough units would have left the window
            freed = 0
            need = self._units + units - limit
            for ts, n in self._log:
                freed += n
                if freed >= need:
                    return max(0.001, ts + window - now)
            return window
        self._log.append((now, units))
        self._units += units
        self.peak = max(self.peak, self._units)
        return None

    def clear(self) -> None:
        self._log.clear()
        self._units = 0
        self.peak = 0


def consume_hourly(state: SandboxState, kind: HourlyKind, units: int = 1) -> None:
    """Count ``units`` against the hourly ``kind`` limit or raise ``TooManyProcessing`` (nothing counted).

    Finder: 1 unit per request. Verifier: 1 unit per email submitted.
    """
    limit = state.config.finder_hourly_limit if kind == "finder" else state.config.verifier_hourly_limit
    with state.lock:
        limiter = state.hourly_limiters[kind]
        retry_after = limiter.try_acquire(state.now(), limit, state.config.hourly_window_seconds, units)
        if retry_after is not None:
            state.stats.too_many_processing += 1
            raise TooManyProcessing(retry_after, state.config.quota_answer)

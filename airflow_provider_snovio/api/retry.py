"""When a failed Snov.io call may be sent again, and how long to wait first.

Three questions, answered once for the sync and the async client (:class:`Attempts`):

* *May we retry?* Rate limits (429), server errors, timeouts, dropped connections and unreadable
  bodies are transient. But a call that spends credits or is not idempotent (the catalogue marks every
  row: creating a list or a webhook is not) must not be repeated unless it certainly did not take
  effect: a refused connection, a 429 or the hourly "too many prospects processing" refusal. After a
  read timeout, a dropped connection or any 5xx (a 503 too: a proxy may send it after forwarding the
  request) it may have been processed, and a resend could pay twice or create a duplicate, so the error
  goes to the caller, whose own resume logic (free reads, re-listing before creating again) decides.
* *How long to wait?* ``Retry-After`` when Snov.io sends it (on a 429, a 503 or any other answer);
  otherwise exponential backoff with jitter, so that many workers hitting the same error do not
  retry in lockstep.
* *When to give up?* After ``max_retries`` retries - except that a 429 is never given up on before a
  full rate window (``rate_window_seconds``) has passed since the call's first 429: the limit is per
  minute, so giving up earlier gives up on a call that would have gone through. That costs at most one
  extra attempt. The hourly "too many prospects processing" quota is the opposite: it frees up over an
  hour, and waiting for it would hold a worker slot that long, so the client waits at most
  ``processing_wait_max`` seconds in all and then raises :class:`SnovioTooManyProcessingError` with
  ``retry_after`` set, for the operator to defer or reschedule.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass, fields

from airflow_provider_snovio import DEFAULT_MAX_RETRIES
from airflow_provider_snovio.api.errors import (
    SnovioError,
    SnovioRateLimitError,
    SnovioResponseError,
    SnovioServerError,
    SnovioTooManyProcessingError,
    SnovioTransportError,
)


@dataclass(frozen=True)
class RetryPolicy:
    """Knobs for retries; ``max_retries`` comes from the connection. All times are in seconds."""

    max_retries: int = DEFAULT_MAX_RETRIES
    backoff_base: float = 1.0  # the n-th retry waits up to base * 2**(n-1)
    backoff_max: float = 60.0
    retry_after_max: float = 300.0  # never trust a Retry-After longer than this
    #: Snov.io's rate window: a 429 is retried until this long after the call's first 429.
    rate_window_seconds: float = 60.0
    processing_backoff: float = 30.0  # first wait after "too many prospects processing"
    processing_backoff_max: float = 60.0  # longest single wait for it
    #: Total wait for "too many prospects processing" in one call before raising it.
    processing_wait_max: float = 120.0
    #: ``retry_after`` of a raised SnovioTooManyProcessingError when Snov.io sent no Retry-After.
    processing_retry_after: float = 900.0

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must not be negative")
        for knob in fields(self):
            value = getattr(self, knob.name)
            if knob.name != "max_retries" and not (math.isfinite(value) and value >= 0):
                raise ValueError(f"{knob.name} must be a finite number of seconds, not negative (got {value!r})")


def is_retryable(error: BaseException, *, spends_credits: bool, idempotent: bool = True) -> bool:
    """Whether ``error`` is transient and resending can neither spend credits twice nor do anything twice."""
    unsafe = spends_credits or not idempotent
    if isinstance(error, SnovioError) and error.retries_exhausted:
        return False  # already retried as often as the policy allows (the token request inside a call)
    if isinstance(error, SnovioRateLimitError | SnovioTooManyProcessingError):
        return True  # refused before processing
    if isinstance(error, SnovioTransportError):
        return not error.sent or not unsafe
    if isinstance(error, SnovioServerError):
        return not unsafe  # even a 503: a proxy may answer it after forwarding the request
    if isinstance(error, SnovioResponseError):
        return not unsafe
    return False


def may_have_taken_effect(error: BaseException) -> bool:
    """Whether the request that failed with ``error`` may still have been processed (and charged).

    True for a request that got no readable answer after it was sent: a read timeout or dropped
    connection, any 5xx (a 503 too: a proxy may send it after forwarding), an unreadable 2xx body. A
    refusal (4xx, 429, an error body) or a connection that was never made means it was not.
    """
    if isinstance(error, SnovioTransportError):
        return error.sent
    if isinstance(error, SnovioServerError):
        return True
    return isinstance(error, SnovioResponseError)


def wait_seconds(
    error: BaseException, retry_number: int, policy: RetryPolicy, rng: random.Random | None = None
) -> float:
    """Seconds to wait before retry number ``retry_number`` (1-based) after ``error``."""
    uniform = rng.uniform if rng is not None else random.uniform
    retry_after = getattr(error, "retry_after", None)
    if isinstance(error, SnovioError) and retry_after is not None:
        return float(min(retry_after, policy.retry_after_max))
    if isinstance(error, SnovioTooManyProcessingError):
        return float(min(policy.processing_backoff * 2 ** (retry_number - 1), policy.processing_backoff_max))
    ceiling = min(policy.backoff_max, policy.backoff_base * 2 ** (retry_number - 1))
    return uniform(ceiling / 2, ceiling)


class Attempts:
    """The retry decisions of ONE call, shared by the sync and async clients' retry loops::

        attempts = Attempts(policy, spends_credits=..., idempotent=..., clock=time.monotonic)
        while True:
            try:
                return send()
            except SnovioError as error:
                wait = attempts.next_wait(error)
                if wait is None:
                    raise
                sleep(wait)

    Bounded in attempts whatever the clock does: at most ``max_retries + 2`` (one extra for the rate
    window), and the "too many prospects processing" waits add up to at most ``processing_wait_max``.
    """

    def __init__(
        self, policy: RetryPolicy, *, spends_credits: bool, clock: Callable[[], float], idempotent: bool = True
    ) -> None:
        self.policy = policy
        self.spends_credits = spends_credits
        self.idempotent = idempotent
        self._clock = clock
        self.failures = 0
        self._first_429: float | None = None
        self._window_retry_used = False
        self._processing_waited = 0.0

    def next_wait(self, error: BaseException) -> float | None:
        """Seconds to wait before sending again after ``error``, or None to give up and raise it.

        Giving up on "too many prospects processing" fills in its ``retry_after`` when Snov.io sent none.
        """
        self.failures += 1
        policy = self.policy
        exhausted = self.failures > policy.max_retries
        if not is_retryable(error, spends_credits=self.spends_credits, idempotent=self.idempotent):
            self._give_up(error)
            return None
        wait = wait_seconds(error, self.failures, policy)
        if isinstance(error, SnovioTooManyProcessingError):
            left = policy.processing_wait_max - self._processing_waited
            if exhausted or left <= 0 or (error.retry_after is not None and error.retry_after > left):
                self._give_up(error)
                return None
            wait = min(wait, left)
            self._processing_waited += wait
            return wait
        if isinstance(error, SnovioRateLimitError):
            now = self._clock()
            if self._first_429 is None:
                self._first_429 = now
            if not exhausted:
                return wait
            elapsed = now - self._first_429
            if elapsed >= policy.rate_window_seconds or self._window_retry_used:
                return None
            self._window_retry_used = True  # one more attempt, once the window since the first 429 is over
            return max(wait, policy.rate_window_seconds - elapsed)
        return None if exhausted else wait

    def _give_up(self, error: BaseException) -> None:
        if isinstance(error, SnovioTooManyProcessingError) and error.retry_after is None:
            error.retry_after = self.policy.processing_retry_after


def describe(error: BaseException) -> str:
    """Short text for a retry log line (no secrets: SnovioError messages never hold any)."""
    if isinstance(error, SnovioError):
        return str(error)
    return type(error).__name__

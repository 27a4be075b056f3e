"""When a failed Snov.io call may be sent again, and how long to wait first.

Two questions, answered once for the sync and the async client:

* *May we retry?* Rate limits (429), server errors, timeouts, dropped connections and unreadable
  bodies are transient. But a call that spends credits must not be repeated unless it certainly
  did not take effect: a refused connection, a 429, a 503 or the hourly "too many prospects
  processing" refusal. After a read timeout or a 500 it may have been processed, and a retry could
  pay twice, so the error goes to the user instead.
* *How long to wait?* ``Retry-After`` when Snov.io sends it; a long exponential backoff for the hourly
  quota; otherwise exponential backoff with jitter, so that many workers hitting the same
  error do not retry in lockstep.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

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
    """Knobs for retries; ``max_retries`` comes from the connection."""

    max_retries: int = DEFAULT_MAX_RETRIES
    backoff_base: float = 1.0  # seconds; the n-th retry waits up to base * 2**(n-1)
    backoff_max: float = 60.0
    processing_backoff: float = 120.0  # first wait after "too many prospects processing"
    processing_backoff_max: float = 1800.0
    retry_after_max: float = 300.0  # never trust a Retry-After longer than this

    def __post_init__(self) -> None:
        if self.max_retries < 0:
            raise ValueError("max_retries must not be negative")


def is_retryable(error: BaseException, *, spends_credits: bool) -> bool:
    """Whether ``error`` is transient and resending cannot spend credits twice."""
    if isinstance(error, SnovioError) and error.retries_exhausted:
        return False  # already retried as often as the policy allows (the token request inside a call)
    if isinstance(error, SnovioRateLimitError | SnovioTooManyProcessingError):
        return True  # refused before processing
    if isinstance(error, SnovioTransportError):
        return not error.sent or not spends_credits
    if isinstance(error, SnovioServerError):
        return error.status == 503 or not spends_credits
    if isinstance(error, SnovioResponseError):
        return not spends_credits
    return False


def wait_seconds(error: BaseException, retry_number: int, policy: RetryPolicy,
                 rng: random.Random | None = None) -> float:
    """Seconds to wait before retry number ``retry_number`` (1-based) after ``error``."""
    rng = rng or random
    if isinstance(error, SnovioRateLimitError) and error.retry_after is not None:
        return min(error.retry_after, policy.retry_after_max)
    if isinstance(error, SnovioTooManyProcessingError):
        return min(policy.processing_backoff * 2 ** (retry_number - 1), policy.processing_backoff_max)
    ceiling = min(policy.backoff_max, policy.backoff_base * 2 ** (retry_number - 1))
    return rng.uniform(ceiling / 2, ceiling)


def describe(error: BaseException) -> str:
    """Short text for a retry log line (no secrets: SnovioError messages never hold any)."""
    if isinstance(error, SnovioError):
        return str(error)
    return type(error).__name__

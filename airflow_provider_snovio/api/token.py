"""Process-wide cache of Snov.io access tokens.

Snov.io hands out client-credentials tokens valid for an hour, with no refresh token. Asking for a
token on every call wastes a request of the 60/minute budget; keeping one forever breaks after the
hour. So a token is cached per account (base URL + client id) for the whole process, shared by every
hook and client, renewed shortly before it expires, and dropped when the API answers 401.
Concurrent callers wait for one fetch instead of each fetching their own.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

#: Renew this many seconds before expiry (Snov.io tokens live 3600 s).
RENEW_EARLY_SECONDS = 60.0


@dataclass(frozen=True)
class Token:
    value: str = ""
    expires_at: float = 0.0  # time.monotonic() deadline after which the token must not be used

    def fresh(self, now: float) -> bool:
        return bool(self.value) and now < self.expires_at


def renew_at(expires_in: float, now: float) -> float:
    """Monotonic time at which to stop using a token that lives ``expires_in`` seconds.

    Normally 60 s early; short-lived tokens (the sandbox can issue them) give up a quarter of their
    life instead, so they are still used at all.
    """
    early = min(RENEW_EARLY_SECONDS, max(0.0, expires_in) / 4)
    return now + max(0.0, expires_in - early)


class TokenCache:
    """Thread-safe ``account key -> Token`` map with single-flight fetching."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tokens: dict[str, Token] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self.fetches = 0  # how many tokens were requested: observable by tests and benchmarks

    def _lock_for(self, key: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(key, threading.Lock())

    def peek(self, key: str) -> str | None:
        """The cached token for ``key`` if it is still fresh, else None (no fetching)."""
        token = self._tokens.get(key)
        return token.value if token and token.fresh(self._clock()) else None

    def store(self, key: str, value: str, expires_in: float) -> None:
        """Remember a token that was just issued for ``expires_in`` seconds."""
        self.fetches += 1
        self._tokens[key] = Token(value, renew_at(expires_in, self._clock()))

    def get(self, key: str, fetch: Callable[[], tuple[str, float]]) -> str:
        """Return a fresh token for ``key``, calling ``fetch() -> (token, expires_in)`` if needed."""
        cached = self.peek(key)
        if cached:
            return cached
        with self._lock_for(key):
            cached = self.peek(key)  # another thread may have fetched while we waited
            if cached:
                return cached
            value, expires_in = fetch()
            self.store(key, value, expires_in)
            return value

    def invalidate(self, key: str, value: str) -> None:
        """Forget ``value`` after a 401, unless another caller already replaced it."""
        with self._lock_for(key):
            current = self._tokens.get(key)
            if current and current.value == value:
                del self._tokens[key]

    def clear(self) -> None:
        with self._guard:
            self._tokens.clear()


#: The cache every client in this process shares.
TOKENS = TokenCache()

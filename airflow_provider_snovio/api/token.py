"""Process-wide cache of Snov.io access tokens, shared by the sync and async clients.

Snov.io hands out client-credentials tokens valid for an hour, with no refresh token. Asking for a
token on every call wastes a request of the 60/minute budget; keeping one forever breaks after the
hour. So a token is cached per account (base URL + client id) for the whole process, shared by every
hook and client, sync or async, renewed shortly before it expires, and dropped when the API answers 401.

Fetching is single-flight per ACCOUNT: when the token is missing, the first caller (a thread or a
coroutine, whichever client it belongs to) fetches it, and every other caller of that account waits
for that one fetch - N triggers whose token expires together send one token request, not N.

The event loop is never blocked: the cache holds its guard lock only to read or update a few
dictionary entries, never while fetching. A coroutine waits for another caller's fetch on an
``asyncio`` future (resolved thread-safely when the fetch ends), a thread on a ``threading.Event``;
so a sync thread whose token request sits in a long rate-limiter wait stalls no trigger.

Across processes: the caller that would fetch first looks in the account's shared store (``shared``, a
:class:`~airflow_provider_snovio.api.token_store.GuardedStore` chosen like the rate limiter's backend), and
fetches only if it holds no usable token, under the store's renewal lock, re-reading the store once the
lock is taken (another process may just have renewed). So every process of a deployment - task tries,
resumes after a deferral, the triggerer - uses one token per lifetime per account. Blocking store calls
(a file lock, a Redis round trip) of a coroutine run in a worker thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_snovio.api.token_store import GuardedStore

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


def usable_seconds(expires_in: float) -> float:
    """How long a token issued for ``expires_in`` seconds is used (what the shared store records)."""
    return renew_at(expires_in, 0.0)


@dataclass
class _Flight:
    """One token fetch in progress for an account, and who waits for it."""

    done: threading.Event = field(default_factory=threading.Event)
    value: str | None = None
    error: BaseException | None = None  # the fetch failed: every waiter gets this error
    waiters: list[tuple[asyncio.AbstractEventLoop, asyncio.Future[None]]] = field(default_factory=list)


class TokenCache:
    """Thread- and task-safe ``account key -> Token`` map with single-flight fetching per account."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._tokens: dict[str, Token] = {}
        self._flights: dict[str, _Flight] = {}
        self._guard = threading.Lock()  # held for dictionary updates only, never across a fetch
        self.fetches = 0  # how many tokens were requested: observable by tests and benchmarks
        self.adopted = 0  # how many tokens were taken from the shared store instead

    def peek(self, key: str) -> str | None:
        """The cached token for ``key`` if it is still fresh, else None (no fetching)."""
        token = self._tokens.get(key)
        return token.value if token and token.fresh(self._clock()) else None

    def store(self, key: str, value: str, expires_in: float) -> None:
        """Remember a token that was just issued for ``expires_in`` seconds."""
        with self._guard:
            self.fetches += 1
            self._tokens[key] = Token(value, renew_at(expires_in, self._clock()))

    def _remember(self, key: str, value: str, usable: float, *, fetched: bool) -> None:
        """Remember a token usable for ``usable`` more seconds (fetched here, or adopted from the store)."""
        with self._guard:
            if fetched:
                self.fetches += 1
            else:
                self.adopted += 1
            self._tokens[key] = Token(value, self._clock() + usable)

    def get(self, key: str, fetch: Callable[[], tuple[str, float]], shared: GuardedStore | None = None) -> str:
        """Return a fresh token for ``key``, calling ``fetch() -> (token, expires_in)`` if needed (blocking).

        With ``shared``, a token another process published is used instead of fetching one.
        """
        while True:
            cached, flight, leader, _ = self._join(key, None)
            if cached:
                return cached
            if leader:
                return self._lead(key, flight, lambda: self._obtain(fetch, shared))
            flight.done.wait()
            if flight.value is not None or flight.error is not None:
                return self._outcome(flight)
            # the fetching coroutine was cancelled: fetch (or wait for another fetch) again

    async def aget(
        self, key: str, fetch: Callable[[], Awaitable[tuple[str, float]]], shared: GuardedStore | None = None
    ) -> str:
        """Async :meth:`get`: ``await fetch()`` if needed; waits for another caller's fetch without blocking."""
        loop = asyncio.get_running_loop()
        while True:
            cached, flight, leader, woken = self._join(key, loop)
            if cached:
                return cached
            if leader:
                try:
                    value, usable, fetched = await self._aobtain(fetch, shared)
                except Exception as error:
                    self._finish(key, flight, error=error)
                    raise
                except BaseException:  # cancelled: let a waiter fetch instead of failing it
                    self._finish(key, flight)
                    raise
                self._remember(key, value, usable, fetched=fetched)
                self._finish(key, flight, value=value)
                return value
            assert woken is not None
            await woken
            if flight.value is not None or flight.error is not None:
                return self._outcome(flight)
            # the fetching caller was cancelled: fetch (or wait for another fetch) again

    def invalidate(self, key: str, value: str, shared: GuardedStore | None = None) -> None:
        """Forget ``value`` after a 401, unless another caller already replaced it (here and in ``shared``)."""
        with self._guard:
            current = self._tokens.get(key)
            if current and current.value == value:
                del self._tokens[key]
        if shared is not None:
            shared.discard(value)

    async def ainvalidate(self, key: str, value: str, shared: GuardedStore | None = None) -> None:
        """Async :meth:`invalidate`: the shared store is updated from a worker thread."""
        self.invalidate(key, value)
        if shared is not None:
            await asyncio.to_thread(shared.discard, value)

    # Shared store -------------------------------------------------------------------------------
    @staticmethod
    def _obtain(fetch: Callable[[], tuple[str, float]], shared: GuardedStore | None) -> tuple[str, float, bool]:
        """``(token, usable seconds, fetched here)``: the shared store's token, else a fetched one (published)."""
        if shared is not None:
            found = shared.read()
            if found:
                return found[0], found[1], False
            release = shared.acquire()
            try:
                found = shared.read()  # renewed by another process while we waited for the lock?
                if found:
                    return found[0], found[1], False
                value, expires_in = fetch()
                usable = usable_seconds(expires_in)
                shared.write(value, usable)
                return value, usable, True
            finally:
                release()
        value, expires_in = fetch()
        return value, usable_seconds(expires_in), True

    @staticmethod
    async def _aobtain(
        fetch: Callable[[], Awaitable[tuple[str, float]]], shared: GuardedStore | None
    ) -> tuple[str, float, bool]:
        """Async :meth:`_obtain`; the lock is taken in a worker thread and released even if we are cancelled
        while it is being taken."""
        if shared is None:
            value, expires_in = await fetch()
            return value, usable_seconds(expires_in), True
        found = await asyncio.to_thread(shared.read)
        if found:
            return found[0], found[1], False
        taking = asyncio.ensure_future(asyncio.to_thread(shared.acquire))
        try:
            release = await asyncio.shield(taking)
        except asyncio.CancelledError:
            taking.add_done_callback(_release_when_taken)
            raise
        try:
            found = await asyncio.to_thread(shared.read)
            if found:
                return found[0], found[1], False
            value, expires_in = await fetch()
            usable = usable_seconds(expires_in)
            await asyncio.to_thread(shared.write, value, usable)
            return value, usable, True
        finally:
            release()  # closing a file or one Redis round trip: quick, and must happen even when cancelled

    def clear(self) -> None:
        with self._guard:
            self._tokens.clear()

    # Single flight ------------------------------------------------------------------------------
    def _join(
        self, key: str, loop: asyncio.AbstractEventLoop | None
    ) -> tuple[str | None, _Flight, bool, asyncio.Future[None] | None]:
        """``(token, flight, lead, woken)``: a fresh cached token, or the account's fetch in flight and
        whether the caller must make it. A coroutine (``loop`` given) that joins another caller's
        fetch gets a future (``woken``) that is resolved when that fetch ends."""
        with self._guard:
            cached = self.peek(key)
            if cached:
                return cached, _Flight(), False, None
            flight = self._flights.get(key)
            if flight is None:
                flight = self._flights[key] = _Flight()
                return None, flight, True, None
            woken = None
            if loop is not None:
                woken = loop.create_future()
                flight.waiters.append((loop, woken))
            return None, flight, False, woken

    def _lead(self, key: str, flight: _Flight, obtain: Callable[[], tuple[str, float, bool]]) -> str:
        try:
            value, usable, fetched = obtain()
        except Exception as error:
            self._finish(key, flight, error=error)
            raise
        except BaseException:
            self._finish(key, flight)
            raise
        self._remember(key, value, usable, fetched=fetched)
        self._finish(key, flight, value=value)
        return value

    def _finish(
        self, key: str, flight: _Flight, *, value: str | None = None, error: BaseException | None = None
    ) -> None:
        """End ``flight``: record its outcome, wake every waiting thread and coroutine."""
        with self._guard:
            flight.value, flight.error = value, error
            if self._flights.get(key) is flight:
                del self._flights[key]
            waiters, flight.waiters = flight.waiters, []
            flight.done.set()
        for loop, future in waiters:
            with contextlib.suppress(RuntimeError):  # a closed loop: nobody is waiting there any more
                loop.call_soon_threadsafe(_wake, future)

    @staticmethod
    def _outcome(flight: _Flight) -> str:
        if flight.error is not None:
            raise flight.error
        assert flight.value is not None
        return flight.value


def _release_when_taken(taking: asyncio.Future[Callable[[], None]]) -> None:
    if not taking.cancelled() and taking.exception() is None:
        taking.result()()


def _wake(future: asyncio.Future[Any]) -> None:
    if not future.done():  # a cancelled waiter needs no result
        future.set_result(None)


#: The cache every client in this process shares.
TOKENS = TokenCache()

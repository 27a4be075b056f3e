"""Access tokens: fetched once per lifetime and account, renewed early, renewed once on a 401, never leaked."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable

import httpx
import pytest

from airflow_provider_snovio.api.async_client import AsyncSnovioClient
from airflow_provider_snovio.api.catalogue import TOKEN_PATH
from airflow_provider_snovio.api.client import SnovioClient
from airflow_provider_snovio.api.errors import SnovioAuthError
from airflow_provider_snovio.api.token import RENEW_EARLY_SECONDS, Token, TokenCache, renew_at
from tests.unit.conftest import (
    CLIENT_SECRET,
    TOKEN_PREFIX,
    FakeLimiter,
    FakeResponse,
    FakeSession,
    Harness,
    RecordedCall,
    make_config,
    ok,
    status,
)

BALANCE = "/v1/get-balance"
TOKEN_1 = f"{TOKEN_PREFIX}0001"
TOKEN_2 = f"{TOKEN_PREFIX}0002"


def bearer(call: RecordedCall) -> str:
    return call.headers["Authorization"]


def test_token_is_fetched_once_and_reused_for_many_calls(harness: Harness) -> None:
    for _ in range(25):
        harness.client.get_balance()
    assert len(harness.session.token_calls) == 1
    assert harness.tokens.fetches == 1
    assert {bearer(c) for c in harness.session.api_calls} == {f"Bearer {TOKEN_1}"}


def test_two_clients_of_one_account_share_the_cached_token(harness: Harness) -> None:
    other = SnovioClient(
        make_config(),
        http=harness.session.client(),
        limiter=harness.limiter,  # type: ignore[arg-type]
        tokens=harness.tokens,
        sleep=harness.time.sleep,
        clock=harness.time.clock,
    )
    harness.client.get_balance()
    other.get_user_lists()
    harness.client.get_user_campaigns()
    assert len(harness.session.token_calls) == 1
    assert {bearer(c) for c in harness.session.api_calls} == {f"Bearer {TOKEN_1}"}


def test_a_different_account_gets_its_own_token(harness: Harness) -> None:
    other = SnovioClient(
        make_config(client_id="another-client"),
        http=harness.session.client(),
        limiter=harness.limiter,
        tokens=harness.tokens,
        sleep=harness.time.sleep,
        clock=harness.time.clock,
    )
    harness.client.get_balance()
    other.get_balance()
    assert len(harness.session.token_calls) == 2
    assert [bearer(c) for c in harness.session.api_calls] == [f"Bearer {TOKEN_1}", f"Bearer {TOKEN_2}"]


def test_token_is_renewed_about_60_seconds_before_it_expires(harness: Harness) -> None:
    harness.client.get_balance()
    harness.time.advance(3600 - RENEW_EARLY_SECONDS - 1)  # 59 s before the renewal point... still fresh
    harness.client.get_balance()
    assert len(harness.session.token_calls) == 1
    harness.time.advance(2)  # 59 s before expiry: renew
    harness.client.get_balance()
    assert len(harness.session.token_calls) == 2
    assert [bearer(c) for c in harness.session.api_calls] == [f"Bearer {TOKEN_1}"] * 2 + [f"Bearer {TOKEN_2}"]


def test_expired_token_is_never_sent(harness: Harness) -> None:
    harness.client.get_balance()
    harness.time.advance(7200)
    harness.client.get_balance()
    assert bearer(harness.session.api_calls[-1]) == f"Bearer {TOKEN_2}"


def test_short_lived_tokens_are_used_for_three_quarters_of_their_life(harness: Harness) -> None:
    harness.session.token_lifetime = 8
    harness.client.get_balance()
    harness.time.advance(5.9)
    harness.client.get_balance()
    assert len(harness.session.token_calls) == 1
    harness.time.advance(0.2)  # 6.1 s of 8: past 3/4
    harness.client.get_balance()
    assert len(harness.session.token_calls) == 2


def test_missing_expires_in_means_one_hour(harness: Harness) -> None:
    harness.session.queue(TOKEN_PATH, ok({"access_token": "TOKEN-no-expiry", "token_type": "Bearer"}))
    harness.client.get_balance()
    harness.time.advance(3500)
    harness.client.get_balance()
    assert len(harness.session.token_calls) == 1


@pytest.mark.parametrize(
    ("expires_in", "now", "expected"),
    [
        (3600, 100.0, 100.0 + 3540),
        (8, 0.0, 6.0),
        (240, 0.0, 180.0),
        (0, 5.0, 5.0),
        (-10, 5.0, 5.0),
    ],
)
def test_renew_at(expires_in: float, now: float, expected: float) -> None:
    assert renew_at(expires_in, now) == pytest.approx(expected)


def test_a_401_renews_the_token_once_and_retries_the_call_once(harness: Harness) -> None:
    harness.session.queue(
        BALANCE, status(401, {"message": "Unauthorized"}), ok({"success": True, "data": {"balance": "25000.00"}})
    )
    body = harness.client.get_balance()
    assert body["data"]["balance"] == "25000.00"
    assert len(harness.session.token_calls) == 2
    assert [bearer(c) for c in harness.session.api_calls] == [f"Bearer {TOKEN_1}", f"Bearer {TOKEN_2}"]
    harness.client.get_balance()  # the renewed token is the cached one now
    assert len(harness.session.token_calls) == 2


def test_a_second_401_raises_auth_error_without_further_attempts(harness: Harness) -> None:
    harness.session.default(BALANCE, status(401, {"message": "Unauthorized"}))
    with pytest.raises(SnovioAuthError) as caught:
        harness.client.get_balance()
    assert caught.value.status == 401
    assert len(harness.session.api_calls) == 2
    assert len(harness.session.token_calls) == 2
    assert harness.time.sleeps == [], "an auth failure is not retried with backoff"


def test_a_403_is_not_answered_with_a_new_token(harness: Harness) -> None:
    harness.session.default(BALANCE, status(403, {"message": "Forbidden"}))
    with pytest.raises(SnovioAuthError) as caught:
        harness.client.get_balance()
    assert caught.value.status == 403
    assert len(harness.session.api_calls) == 1
    assert len(harness.session.token_calls) == 1


def test_a_401_on_a_credit_spending_call_is_resent_once_with_the_new_token(harness: Harness) -> None:
    path = "/v2/domain-search/start"
    harness.session.queue(path, status(401, {}), ok({"data": [], "meta": {"task_hash": "ab" * 16}}))
    harness.client.start_domain_search("octagon.com")
    assert len(harness.session.calls_to(path)) == 2


def test_concurrent_first_calls_trigger_a_single_token_fetch(harness: Harness) -> None:
    release = threading.Event()
    inside_fetch = threading.Event()

    def slow_token(call: RecordedCall) -> FakeResponse:
        inside_fetch.set()
        release.wait(timeout=5)  # the first fetch holds the lock until the other threads queued up
        return FakeResponse(200, {"access_token": "TOKEN-shared-0001", "expires_in": 3600})

    harness.session.queue(TOKEN_PATH, slow_token)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            harness.client.get_balance()
        except BaseException as error:  # pragma: no cover - surfaced by the assertion below
            errors.append(error)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    threads[0].start()
    assert inside_fetch.wait(timeout=5)
    for t in threads[1:]:
        t.start()
    # give the other threads a chance to reach the token cache while the first fetch is in flight
    release.wait(timeout=0.1)
    release.set()
    for t in threads:
        t.join(timeout=5)
    assert errors == []
    assert len(harness.session.token_calls) == 1
    assert harness.tokens.fetches == 1
    assert {bearer(c) for c in harness.session.api_calls} == {"Bearer TOKEN-shared-0001"}
    assert len(harness.session.api_calls) == 8


@pytest.mark.parametrize("code", [400, 401, 403])
def test_refused_token_request_raises_auth_error_without_the_secret(code: int, harness: Harness) -> None:
    harness.session.default(
        TOKEN_PATH,
        status(
            code,
            {
                "error": "invalid_client",
                "error_description": f"Client authentication failed for secret {CLIENT_SECRET}",
            },
        ),
    )
    with pytest.raises(SnovioAuthError) as caught:
        harness.client.get_balance()
    text = str(caught.value)
    assert CLIENT_SECRET not in text and CLIENT_SECRET not in repr(caught.value)
    assert caught.value.status == code
    assert TOKEN_PATH in text and f"HTTP {code}" in text
    assert "token request refused" in text
    assert harness.session.api_calls == [], "no API call without a token"
    assert len(harness.session.token_calls) == 1, "refused credentials are not retried"


def test_token_answer_without_access_token_is_an_auth_error(harness: Harness) -> None:
    harness.session.default(TOKEN_PATH, ok({"token_type": "Bearer", "expires_in": 3600}))
    with pytest.raises(SnovioAuthError, match="no access_token"):
        harness.client.get_balance()


def test_token_request_survives_a_transient_server_error(harness: Harness) -> None:
    harness.session.queue(TOKEN_PATH, status(503, "Service Unavailable"))
    harness.client.get_balance()
    assert len(harness.session.token_calls) == 2
    assert len(harness.time.sleeps) == 1
    assert bearer(harness.session.api_calls[0]) == f"Bearer {TOKEN_1}"  # the first token actually issued


def test_secrets_are_handed_to_the_masker(session: FakeSession, make_harness: Callable[..., Harness]) -> None:
    masked: list[str] = []
    h = make_harness()
    client = SnovioClient(
        h.client.config,
        http=session.client(),
        limiter=h.limiter,  # type: ignore[arg-type]
        tokens=h.tokens,
        on_secret=masked.append,
        sleep=h.time.sleep,
        clock=h.time.clock,
    )
    assert masked == [CLIENT_SECRET]
    client.get_balance()
    assert masked == [CLIENT_SECRET, TOKEN_1]


# TokenCache on its own ------------------------------------------------------------------------------------


def test_invalidate_only_drops_the_token_that_failed() -> None:
    now = [0.0]
    cache = TokenCache(clock=lambda: now[0])
    tokens = iter(["old", "new"])
    assert cache.get("acct", lambda: (next(tokens), 3600)) == "old"
    cache.invalidate("acct", "old")
    assert cache.get("acct", lambda: (next(tokens), 3600)) == "new"
    cache.invalidate("acct", "old")  # a late 401 for the old token must not drop the new one
    assert cache.get("acct", lambda: pytest.fail("refetched")) == "new"
    assert cache.fetches == 2


def test_clear_forgets_every_token() -> None:
    cache = TokenCache(clock=lambda: 0.0)
    cache.get("a", lambda: ("t", 3600))
    cache.clear()
    assert cache.get("a", lambda: ("u", 3600)) == "u"


def test_empty_token_is_never_fresh() -> None:
    assert not Token("", 10**9).fresh(0.0)
    assert Token("x", 10.0).fresh(9.9) and not Token("x", 10.0).fresh(10.0)


@pytest.mark.parametrize("expires_in", ["3600", 3600.0, "soon", None, {"seconds": 10}])
def test_odd_expires_in_values_do_not_break_the_call(expires_in: object, harness: Harness) -> None:
    harness.session.queue(TOKEN_PATH, ok({"access_token": "TOKEN-odd", "expires_in": expires_in}))
    harness.client.get_balance()
    harness.time.advance(3000)
    harness.client.get_balance()
    assert len(harness.session.token_calls) == 1
    assert bearer(harness.session.api_calls[-1]) == "Bearer TOKEN-odd"


# One token fetch per ACCOUNT, sync and async together; the event loop never blocks (issue 6, item 11) ------


def _async_clients(
    n: int, tokens: TokenCache, counter: list[int], lifetime: float = 3600, delay: float = 0.05
) -> list[AsyncSnovioClient]:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            counter[0] += 1
            issued = counter[0]
            await asyncio.sleep(delay)  # the fetch is in flight while the other clients ask
            return httpx.Response(200, json={"access_token": f"TOKEN-async-{issued:04d}", "expires_in": lifetime})
        return httpx.Response(200, json={"success": True, "auth": request.headers["Authorization"]})

    return [
        AsyncSnovioClient(
            make_config(),
            http=httpx.AsyncClient(transport=httpx.MockTransport(handler)),
            limiter=FakeLimiter(),
            tokens=tokens,
        )
        for _ in range(n)
    ]


def test_twenty_async_clients_of_one_account_send_one_token_request() -> None:
    now = [0.0]
    tokens = TokenCache(clock=lambda: now[0])
    counter = [0]

    async def main() -> list[set[str]]:
        clients = _async_clients(20, tokens, counter, lifetime=100)
        rounds = []
        for _ in range(2):  # first tokens, then all expire together and are renewed together
            answers = await asyncio.gather(*(c.call("get_balance") for c in clients))
            rounds.append({a["auth"] for a in answers})
            now[0] += 100
        for client in clients:
            await client.aclose()
        return rounds

    first, second = asyncio.run(main())
    assert counter[0] == 2, "one token request per expiry, not one per client"
    assert first == {"Bearer TOKEN-async-0001"} and second == {"Bearer TOKEN-async-0002"}
    assert tokens.fetches == 2


def test_a_sync_fetch_in_flight_is_shared_by_async_callers_and_does_not_stall_the_loop() -> None:
    tokens = TokenCache()
    key = make_config().token_key
    inside, release = threading.Event(), threading.Event()
    sync_fetches = [0]

    def slow_sync_fetch() -> tuple[str, float]:  # a sync client stuck in a long limiter wait
        sync_fetches[0] += 1
        inside.set()
        release.wait(timeout=5)
        return "TOKEN-from-sync", 3600.0

    thread = threading.Thread(target=tokens.get, args=(key, slow_sync_fetch))
    thread.start()
    assert inside.wait(timeout=5)
    counter = [0]

    async def main() -> tuple[list[str], float]:
        lags: list[float] = []
        stop = asyncio.Event()

        async def heartbeat() -> None:
            loop = asyncio.get_running_loop()
            while not stop.is_set():
                before = loop.time()
                await asyncio.sleep(0.01)
                lags.append(loop.time() - before - 0.01)

        beat = asyncio.create_task(heartbeat())
        clients = _async_clients(5, tokens, counter)
        waiting = asyncio.gather(*(c.access_token() for c in clients))
        await asyncio.sleep(0.3)  # the sync thread holds the account's fetch all this time
        assert not waiting.done()
        release.set()
        got = await waiting
        stop.set()
        await beat
        for client in clients:
            await client.aclose()
        return got, max(lags)

    got, worst_lag = asyncio.run(main())
    thread.join(timeout=5)
    assert got == ["TOKEN-from-sync"] * 5
    assert counter[0] == 0 and sync_fetches[0] == 1 and tokens.fetches == 1
    assert worst_lag < 0.1, f"the event loop stalled for {worst_lag:.3f} s"


def test_a_sync_caller_waits_for_an_async_fetch_in_flight() -> None:
    tokens = TokenCache()
    key = make_config().token_key
    started = threading.Event()
    results: list[str] = []

    async def main() -> str:
        async def slow_fetch() -> tuple[str, float]:
            started.set()
            await asyncio.sleep(0.2)
            return "TOKEN-from-async", 3600.0

        thread = threading.Thread(target=lambda: results.append(tokens.get(key, lambda: ("TOKEN-sync", 3600.0))))
        leader = asyncio.create_task(tokens.aget(key, slow_fetch))
        await asyncio.sleep(0.05)
        assert started.is_set()
        thread.start()
        value = await leader
        await asyncio.to_thread(thread.join, 5)
        return value

    assert asyncio.run(main()) == "TOKEN-from-async"
    assert results == ["TOKEN-from-async"] and tokens.fetches == 1


def test_a_failed_fetch_fails_its_waiters_without_more_token_requests() -> None:
    tokens = TokenCache()
    calls = [0]

    async def failing() -> tuple[str, float]:
        calls[0] += 1
        await asyncio.sleep(0.05)
        raise SnovioAuthError("token request refused", status=401)

    async def main() -> list[BaseException | str]:
        return await asyncio.gather(*(tokens.aget("acct", failing) for _ in range(10)), return_exceptions=True)

    outcomes = asyncio.run(main())
    assert calls[0] == 1
    assert all(isinstance(o, SnovioAuthError) for o in outcomes)
    assert tokens.peek("acct") is None  # nothing cached: the next call tries again


def test_a_cancelled_fetch_hands_over_to_a_waiter() -> None:
    tokens = TokenCache()
    calls = [0]

    async def fetch() -> tuple[str, float]:
        calls[0] += 1
        await asyncio.sleep(0.1)
        return f"TOKEN-{calls[0]}", 3600.0

    async def main() -> str:
        leader = asyncio.create_task(tokens.aget("acct", fetch))
        await asyncio.sleep(0.01)
        follower = asyncio.create_task(tokens.aget("acct", fetch))
        await asyncio.sleep(0.01)
        leader.cancel()
        return await asyncio.wait_for(follower, timeout=2)

    assert asyncio.run(main()) == "TOKEN-2"
    assert calls[0] == 2


def test_sandbox_style_mixed_load_sends_one_token_request(harness: Harness) -> None:
    """Sync threads and async clients of one account starting together: one token request in all."""
    tokens = TokenCache()
    counter = [0]
    release = threading.Event()

    def slow_token(call: RecordedCall) -> FakeResponse:
        release.wait(timeout=5)
        return FakeResponse(200, {"access_token": "TOKEN-mixed-0001", "expires_in": 3600})

    harness.session.queue(TOKEN_PATH, slow_token)
    sync_client = SnovioClient(
        make_config(),
        http=harness.session.client(),
        limiter=harness.limiter,  # type: ignore[arg-type]
        tokens=tokens,
        sleep=harness.time.sleep,
        clock=harness.time.clock,
    )
    threads = [threading.Thread(target=sync_client.get_balance) for _ in range(3)]
    for t in threads:
        t.start()

    async def main() -> list[str]:
        clients = _async_clients(5, tokens, counter)
        waiting = asyncio.gather(*(c.access_token() for c in clients))
        await asyncio.sleep(0.1)
        release.set()
        got = await waiting
        for client in clients:
            await client.aclose()
        return got

    got = asyncio.run(main())
    for t in threads:
        t.join(timeout=5)
    assert got == ["TOKEN-mixed-0001"] * 5
    assert len(harness.session.token_calls) == 1 and counter[0] == 0 and tokens.fetches == 1
    assert {bearer(c) for c in harness.session.api_calls} == {"Bearer TOKEN-mixed-0001"}

"""Retry decisions: what is resent, what is never resent (credits), how long the client waits, how often."""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import httpx
import pytest

from airflow_provider_snovio.api.catalogue import TOKEN_PATH
from airflow_provider_snovio.api.client import SnovioClient
from airflow_provider_snovio.api.errors import (
    SnovioApiError,
    SnovioAuthError,
    SnovioNotFoundError,
    SnovioOutOfCreditsError,
    SnovioRateLimitError,
    SnovioResponseError,
    SnovioServerError,
    SnovioTooManyProcessingError,
    SnovioTransportError,
)
from airflow_provider_snovio.api.retry import RetryPolicy, is_retryable, wait_seconds
from tests.unit.conftest import FakeResponse, Harness, ok, status

BALANCE = "/v1/get-balance"
ADD_VERIFY = "/v1/add-emails-to-verification"
DOMAIN_START = "/v2/domain-search/start"
TOO_MANY = {"success": False, "message": "There are too many prospects processing. Please try later"}
TRUNCATED = b'{"success": true, "data": {"balance": "250'


# Real httpx exceptions, shaped as httpx raises them ------------------------------------------------------


def refused() -> httpx.ConnectError:
    """As httpx raises it for a closed port: the OS error at the end of the chain."""
    error = httpx.ConnectError("[Errno 111] Connection refused")
    error.__cause__ = ConnectionRefusedError(111, "Connection refused")
    return error


def refused_bare() -> httpx.ConnectError:
    """A refused connection said only in the text, with no OS error chained."""
    return httpx.ConnectError("All connection attempts failed: Connection refused")


def unresolvable() -> httpx.ConnectError:
    """A host name that does not resolve: no connection was made either."""
    error = httpx.ConnectError("[Errno -2] Name or service not known")
    error.__cause__ = OSError(-2, "Name or service not known")
    return error


def dropped() -> httpx.RemoteProtocolError:
    return httpx.RemoteProtocolError("Server disconnected without sending a response.")


def reset() -> httpx.ReadError:
    return httpx.ReadError("[Errno 104] Connection reset by peer")


def read_timeout() -> httpx.ReadTimeout:
    return httpx.ReadTimeout("The read operation timed out")


def connect_timeout() -> httpx.ConnectTimeout:
    return httpx.ConnectTimeout("timed out")


def chunked() -> httpx.RemoteProtocolError:
    return httpx.RemoteProtocolError(
        "peer closed connection without sending complete message body (incomplete chunked read)"
    )


EMAILS = ["a@octagon.com", "b@octagon.com"]
CREDIT_CALLS: dict[str, tuple[str, Callable[[SnovioClient], Any]]] = {
    "add_emails_to_verification": (ADD_VERIFY, lambda c: c.add_emails_to_verification(EMAILS)),
    "start_domain_search": (DOMAIN_START, lambda c: c.start_domain_search("octagon.com")),
}
CREDIT_OK = {
    ADD_VERIFY: ok({e: {"sent": True} for e in EMAILS}),
    DOMAIN_START: ok({"data": [], "meta": {"task_hash": "ab" * 16}}),
}


# Free calls ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", [500, 502, 503, 504])
def test_server_errors_on_free_calls_are_retried(code: int, harness: Harness) -> None:
    harness.session.queue(BALANCE, status(code, "<html>Bad Gateway</html>"), ok({"data": {"balance": "1"}}))
    assert harness.client.get_balance() == {"data": {"balance": "1"}}
    assert len(harness.session.calls_to(BALANCE)) == 2
    assert len(harness.time.sleeps) == 1
    assert harness.limiter.acquires == 1 + 2, "every attempt waits for the rate limiter"


@pytest.mark.parametrize(
    "failure",
    [refused, unresolvable, dropped, reset, read_timeout, connect_timeout, chunked],
    ids=["refused", "unresolvable", "dropped", "reset", "read_timeout", "connect_timeout", "chunked"],
)
def test_transport_failures_on_free_calls_are_retried(failure: Callable[[], Exception], harness: Harness) -> None:
    harness.session.queue(BALANCE, failure(), ok())
    harness.client.get_balance()
    assert len(harness.session.calls_to(BALANCE)) == 2


@pytest.mark.parametrize("body", [TRUNCATED, b"", b"<html>502 Bad Gateway</html>"], ids=["truncated", "empty", "html"])
def test_unreadable_bodies_on_free_gets_are_retried(body: bytes, harness: Harness) -> None:
    harness.session.queue(BALANCE, FakeResponse(200, body), ok({"data": {"balance": "2"}}))
    assert harness.client.get_balance()["data"]["balance"] == "2"
    assert len(harness.session.calls_to(BALANCE)) == 2


# Credit-spending POSTs ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(CREDIT_CALLS))
@pytest.mark.parametrize(
    "failure",
    [
        lambda: status(429, {"message": "Too Many Requests"}),
        refused,
        refused_bare,
        unresolvable,
        connect_timeout,
        lambda: status(200, TOO_MANY),
    ],
    ids=["429", "refused", "refused_bare", "unresolvable", "connect_timeout", "too_many_processing"],
)
def test_credit_spending_post_is_retried_when_it_certainly_did_not_take_effect(
    name: str, failure: Callable[[], Any], harness: Harness
) -> None:
    path, invoke = CREDIT_CALLS[name]
    harness.session.queue(path, failure(), CREDIT_OK[path])
    invoke(harness.client)
    assert len(harness.session.calls_to(path)) == 2


@pytest.mark.parametrize("name", sorted(CREDIT_CALLS))
@pytest.mark.parametrize(
    ("failure", "error"),
    [
        (lambda: status(500, "Internal Server Error"), SnovioServerError),
        (lambda: status(502, "Bad Gateway"), SnovioServerError),
        (lambda: status(503, "Service Unavailable"), SnovioServerError),
        (read_timeout, SnovioTransportError),
        (dropped, SnovioTransportError),
        (reset, SnovioTransportError),
        (chunked, SnovioTransportError),
        (lambda: FakeResponse(200, b'{"data": [], "meta": {"task_ha'), SnovioResponseError),
        (lambda: FakeResponse(200, b"not json at all"), SnovioResponseError),
    ],
    ids=["500", "502", "503", "read_timeout", "dropped", "reset", "chunked", "truncated_json", "invalid_json"],
)
def test_credit_spending_post_is_not_retried_when_it_may_have_been_processed(
    name: str, failure: Callable[[], Any], error: type[Exception], harness: Harness
) -> None:
    path, invoke = CREDIT_CALLS[name]
    harness.session.queue(path, failure(), CREDIT_OK[path])
    with pytest.raises(error):
        invoke(harness.client)
    assert len(harness.session.calls_to(path)) == 1, "resending could spend the credits twice"
    assert harness.time.sleeps == []


def test_transport_errors_say_whether_the_request_may_have_been_sent(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(max_retries=0)
    expectations = [
        (refused, False),
        (refused_bare, False),
        (unresolvable, False),
        (connect_timeout, False),
        (read_timeout, True),
        (dropped, True),
        (reset, True),
        (chunked, True),
    ]
    for failure, sent in expectations:
        h.session.queue(DOMAIN_START, failure())
        with pytest.raises(SnovioTransportError) as caught:
            h.client.start_domain_search("octagon.com")
        assert caught.value.sent is sent, failure.__name__
        assert caught.value.endpoint == DOMAIN_START
    assert len(h.session.calls_to(DOMAIN_START)) == len(expectations)


# Waits ----------------------------------------------------------------------------------------------------


def test_429_with_retry_after_waits_exactly_that_long(harness: Harness) -> None:
    harness.session.queue(BALANCE, status(429, {"message": "Too Many Requests"}, {"Retry-After": "7"}), ok())
    harness.client.get_balance()
    assert harness.time.sleeps == [7.0]


def test_429_retry_after_is_capped(harness: Harness) -> None:
    harness.session.queue(BALANCE, status(429, {}, {"retry-after": "86400"}), ok())
    harness.client.get_balance()
    assert harness.time.sleeps == [RetryPolicy().retry_after_max]


@pytest.mark.parametrize("headers", [{}, {"Retry-After": "after lunch"}], ids=["none", "unreadable"])
def test_429_without_usable_retry_after_uses_the_jittered_backoff(headers: dict[str, str], harness: Harness) -> None:
    harness.session.queue(BALANCE, status(429, {}, headers), ok())
    harness.client.get_balance()
    (wait,) = harness.time.sleeps
    policy = RetryPolicy()
    assert policy.backoff_base / 2 <= wait <= policy.backoff_base


@pytest.mark.parametrize("code", [200, 400, 429, 500, 503])
def test_too_many_prospects_processing_gets_the_long_backoff_whatever_the_status(code: int, harness: Harness) -> None:
    harness.session.queue(ADD_VERIFY, status(code, TOO_MANY), CREDIT_OK[ADD_VERIFY])
    harness.client.add_emails_to_verification(EMAILS)
    assert len(harness.session.calls_to(ADD_VERIFY)) == 2
    assert harness.time.sleeps == [RetryPolicy().processing_backoff]
    assert harness.time.sleeps[0] >= RetryPolicy().processing_backoff


def test_too_many_processing_backoff_doubles_and_is_capped(make_harness: Callable[..., Harness]) -> None:
    policy = RetryPolicy(max_retries=6, processing_backoff=100, processing_backoff_max=1000, processing_wait_max=10_000)
    h = make_harness(retry=policy)
    h.session.default(ADD_VERIFY, status(200, TOO_MANY))
    with pytest.raises(SnovioTooManyProcessingError):
        h.client.add_emails_to_verification(EMAILS)
    assert h.time.sleeps == [100, 200, 400, 800, 1000, 1000]


def test_backoff_grows_between_retries(make_harness: Callable[..., Harness]) -> None:
    policy = RetryPolicy(max_retries=6, backoff_base=1.0, backoff_max=60.0)
    h = make_harness(retry=policy)
    h.session.default(BALANCE, status(503, "unavailable"))
    with pytest.raises(SnovioServerError):
        h.client.get_balance()
    sleeps = h.time.sleeps
    assert len(sleeps) == 6
    assert sleeps == sorted(sleeps), f"backoff shrank: {sleeps}"
    assert sleeps[-1] >= 8 * sleeps[0]
    for n, wait in enumerate(sleeps, start=1):
        ceiling = min(policy.backoff_max, policy.backoff_base * 2 ** (n - 1))
        assert ceiling / 2 <= wait <= ceiling


def test_backoff_is_capped_by_backoff_max() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_max=10.0)
    rng = random.Random(7)
    error = SnovioServerError("x", status=503)
    assert all(5.0 <= wait_seconds(error, 12, policy, rng) <= 10.0 for _ in range(50))


def test_backoff_has_jitter() -> None:
    policy = RetryPolicy()
    rng = random.Random(1)
    error = SnovioServerError("x", status=503)
    assert len({wait_seconds(error, 3, policy, rng) for _ in range(20)}) > 1


# Bounds ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("max_retries", [0, 1, 3])
def test_attempts_are_bounded_by_max_retries_and_the_last_error_is_raised(
    max_retries: int, make_harness: Callable[..., Harness]
) -> None:
    h = make_harness(max_retries=max_retries)
    for attempt in range(max_retries + 1):
        h.session.queue(BALANCE, status(503, f"unavailable #{attempt}"))
    h.session.default(BALANCE, ok())  # would succeed if one more attempt were made
    with pytest.raises(SnovioServerError) as caught:
        h.client.get_balance()
    assert len(h.session.calls_to(BALANCE)) == max_retries + 1
    assert f"unavailable #{max_retries}" in str(caught.value)
    assert len(h.time.sleeps) == max_retries


def test_rate_limit_error_is_raised_a_full_rate_window_after_the_first_429(
    make_harness: Callable[..., Harness],
) -> None:
    h = make_harness(max_retries=2)
    h.session.default(BALANCE, status(429, {}, {"Retry-After": "3"}))
    with pytest.raises(SnovioRateLimitError) as caught:
        h.client.get_balance()
    assert caught.value.retry_after == 3.0
    assert len(h.session.calls_to(BALANCE)) == 4, "3 attempts in 6 s, then one more once the minute is over"
    assert h.time.sleeps == [3.0, 3.0, 54.0]


# 429s: never give up before a full rate window (issue 6, item 10) -----------------------------------------


def test_a_429_with_no_retries_left_is_tried_once_more_after_the_window(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(max_retries=0)
    h.session.queue(BALANCE, status(429, {}, {"Retry-After": "0"}), ok({"data": {"balance": "9"}}))
    assert h.client.get_balance()["data"]["balance"] == "9"
    assert h.time.sleeps == [60.0]


def test_a_persistent_429_is_given_up_on_once_the_window_is_over(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(max_retries=2)
    h.session.default(BALANCE, status(429, {}, {"Retry-After": "30"}))
    with pytest.raises(SnovioRateLimitError):
        h.client.get_balance()
    assert h.time.sleeps == [30.0, 30.0], "60 s passed since the first 429: no extra attempt"
    assert len(h.session.calls_to(BALANCE)) == 3


def test_the_429_window_is_bounded_even_when_the_clock_stands_still(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(max_retries=1)
    h.session.default(BALANCE, status(429, {}))
    h.client._sleep = h.time.sleeps.append  # sleeping does not move the clock
    with pytest.raises(SnovioRateLimitError):
        h.client.get_balance()
    assert len(h.session.calls_to(BALANCE)) == 3, "max_retries + 1, plus one attempt after the window"


def test_the_rate_window_is_a_policy_knob(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(retry=RetryPolicy(max_retries=0, rate_window_seconds=2.5))
    h.session.default(BALANCE, status(429, {}, {"Retry-After": "1"}))
    with pytest.raises(SnovioRateLimitError):
        h.client.get_balance()
    assert h.time.sleeps == [2.5]


def test_a_429_then_another_error_is_not_held_for_the_window(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(max_retries=1)
    h.session.queue(BALANCE, status(429, {}, {"Retry-After": "1"}), status(503, "down"))
    with pytest.raises(SnovioServerError):
        h.client.get_balance()
    assert len(h.session.calls_to(BALANCE)) == 2


# Retry-After on a 503, and as an HTTP date -------------------------------------------------------------------


def test_503_with_retry_after_waits_exactly_that_long(harness: Harness) -> None:
    harness.session.queue(BALANCE, status(503, "Service Unavailable", {"Retry-After": "7"}), ok())
    harness.client.get_balance()
    assert harness.time.sleeps == [7.0]


def test_503_on_a_credit_spending_call_is_raised_with_its_retry_after(harness: Harness) -> None:
    """A proxy may send a 503 after forwarding a paid request: not resent, but the caller learns when to."""
    harness.session.queue(ADD_VERIFY, status(503, "Service Unavailable", {"Retry-After": "11"}), CREDIT_OK[ADD_VERIFY])
    with pytest.raises(SnovioServerError) as raised:
        harness.client.add_emails_to_verification(EMAILS)
    assert raised.value.retry_after == 11.0
    assert len(harness.session.calls_to(ADD_VERIFY)) == 1 and harness.time.sleeps == []


def test_retry_after_as_an_http_date_is_honoured(harness: Harness) -> None:
    when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=40), usegmt=True)
    harness.session.queue(BALANCE, status(429, {}, {"Retry-After": when}), ok())
    harness.client.get_balance()
    (wait,) = harness.time.sleeps
    assert 35 <= wait <= 41


# The hourly quota: a short bounded wait, then an error that says when to come back ---------------------------


def test_too_many_processing_waits_at_most_processing_wait_max_then_says_when_to_retry(
    make_harness: Callable[..., Harness],
) -> None:
    h = make_harness(max_retries=50)
    h.session.default(ADD_VERIFY, status(200, TOO_MANY))
    with pytest.raises(SnovioTooManyProcessingError) as caught:
        h.client.add_emails_to_verification(EMAILS)
    policy = RetryPolicy()
    assert sum(h.time.sleeps) == pytest.approx(policy.processing_wait_max)
    assert h.time.sleeps == [30.0, 60.0, 30.0]
    assert caught.value.retry_after == policy.processing_retry_after == 900.0


def test_too_many_processing_with_a_long_retry_after_is_raised_at_once(harness: Harness) -> None:
    harness.session.default(ADD_VERIFY, status(429, TOO_MANY, {"Retry-After": "1800"}))
    with pytest.raises(SnovioTooManyProcessingError) as caught:
        harness.client.add_emails_to_verification(EMAILS)
    assert harness.time.sleeps == [], "no worker slot is held for half an hour"
    assert caught.value.retry_after == 1800.0
    assert len(harness.session.calls_to(ADD_VERIFY)) == 1


def test_too_many_processing_with_a_short_retry_after_waits_that_long(harness: Harness) -> None:
    harness.session.queue(ADD_VERIFY, status(200, TOO_MANY, {"Retry-After": "12"}), CREDIT_OK[ADD_VERIFY])
    harness.client.add_emails_to_verification(EMAILS)
    assert harness.time.sleeps == [12.0]


@pytest.mark.parametrize("knob", ["rate_window_seconds", "processing_wait_max", "backoff_base", "retry_after_max"])
@pytest.mark.parametrize("value", [-1.0, float("nan"), float("inf")])
def test_retry_policy_refuses_unusable_times(knob: str, value: float) -> None:
    with pytest.raises(ValueError, match=knob):
        RetryPolicy(**{knob: value})


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (status(400, {"success": False, "message": "Invalid parameters"}), SnovioApiError),
        (
            status(404, {"errors": {"code": 404, "title": "Sorry, but url or entity not found", "source": ""}}),
            SnovioNotFoundError,
        ),
        (
            status(400, {"success": False, "message": "Sorry, you ran out of credits, please order more credits"}),
            SnovioOutOfCreditsError,
        ),
        (ok({"success": False, "message": "List not found"}), SnovioApiError),
        (status(403, {"message": "Forbidden"}), SnovioAuthError),
    ],
    ids=["400", "404", "out_of_credits", "success_false", "403"],
)
def test_refusals_are_not_retried(response: FakeResponse, error: type[Exception], harness: Harness) -> None:
    harness.session.queue(BALANCE, response)
    with pytest.raises(error):
        harness.client.get_balance()
    assert len(harness.session.calls_to(BALANCE)) == 1
    assert harness.time.sleeps == []


# The decision table on its own ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "free", "credits"),
    [
        (SnovioRateLimitError("x", status=429), True, True),
        (SnovioTooManyProcessingError("x", status=200), True, True),
        (SnovioServerError("x", status=503), True, False),
        (SnovioServerError("x", status=500), True, False),
        (SnovioServerError("x", status=504), True, False),
        (SnovioTransportError("refused", sent=False), True, True),
        (SnovioTransportError("timeout", sent=True), True, False),
        (SnovioResponseError("truncated", status=200), True, False),
        (SnovioAuthError("x", status=401), False, False),
        (SnovioNotFoundError("x", status=404), False, False),
        (SnovioOutOfCreditsError("x", status=400), False, False),
        (SnovioApiError("x", status=400), False, False),
        (ValueError("not ours"), False, False),
    ],
)
def test_is_retryable(error: BaseException, free: bool, credits: bool) -> None:
    assert is_retryable(error, spends_credits=False) is free
    assert is_retryable(error, spends_credits=True) is credits


def test_negative_max_retries_is_refused() -> None:
    with pytest.raises(ValueError, match="max_retries"):
        RetryPolicy(max_retries=-1)


# The token request inside a call -------------------------------------------------------------------------


@pytest.mark.parametrize("max_retries", [0, 2, 5])
def test_a_failing_token_endpoint_is_tried_max_retries_plus_one_times_in_all(
    max_retries: int, make_harness: Callable[..., Harness]
) -> None:
    h = make_harness(max_retries=max_retries)
    h.session.default(TOKEN_PATH, status(503, "token service down"))
    with pytest.raises(SnovioServerError) as caught:
        h.client.get_balance()
    assert TOKEN_PATH in str(caught.value)
    assert len(h.session.token_calls) == max_retries + 1, "the call's retries must not repeat the token retries"
    assert len(h.time.sleeps) == max_retries
    assert h.session.api_calls == []


def test_a_token_hiccup_inside_a_retried_call_is_retried_once_per_policy(harness: Harness) -> None:
    harness.session.queue(TOKEN_PATH, status(502, "bad gateway"))
    harness.session.queue(BALANCE, status(503, "unavailable"), ok({"data": {"balance": "3"}}))
    assert harness.client.get_balance()["data"]["balance"] == "3"
    assert len(harness.session.token_calls) == 2
    assert len(harness.session.calls_to(BALANCE)) == 2


def test_exhausted_errors_are_not_retried_again() -> None:
    error = SnovioServerError("x", status=503)
    error.retries_exhausted = True  # type: ignore[attr-defined]
    assert not is_retryable(error, spends_credits=False)

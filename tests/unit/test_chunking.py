"""Lists longer than an endpoint allows are sent in batches of 10, de-duplicated, and the answers merged."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from airflow_provider_snovio.api import catalogue
from airflow_provider_snovio.api.async_client import AsyncSnovioClient
from airflow_provider_snovio.api.catalogue import TOKEN_PATH
from airflow_provider_snovio.api.encoding import merge_answers
from airflow_provider_snovio.api.errors import (
    SnovioApiError,
    SnovioOutOfCreditsError,
    SnovioPartialError,
    SnovioResponseError,
    SnovioTransportError,
)
from airflow_provider_snovio.api.token import TokenCache
from tests.unit.conftest import FakeLimiter, FakeResponse, Harness, RecordedCall, make_config, status

ADD_PATH = "/v1/add-emails-to-verification"
STATUS_PATH = "/v1/get-emails-verification-status"

UNIQUE = [f"person{i:02d}@octagon.com" for i in range(21)]
# 23 addresses: 21 distinct, one repeated verbatim and one repeated with a differently-cased host
WITH_DUPLICATES = [*UNIQUE[:12], "person03@octagon.com", *UNIQUE[12:], "person07@OCTAGON.com"]


def echo_sent(call: RecordedCall) -> FakeResponse:
    """#18 answers ``{"<email>": {"sent": true}}`` for every e-mail in the query string."""
    return FakeResponse(200, {email: {"sent": True} for key, email in call.params or [] if key == "emails[]"})


def emails_of(call: RecordedCall) -> list[str]:
    return [value for key, value in call.params or [] if key == "emails[]"]


def test_23_emails_with_duplicates_become_3_requests_of_at_most_10(harness: Harness) -> None:
    assert len(WITH_DUPLICATES) == 23
    harness.session.default(ADD_PATH, echo_sent)

    merged = harness.client.add_emails_to_verification(WITH_DUPLICATES)

    calls = harness.session.calls_to(ADD_PATH)
    assert [len(emails_of(c)) for c in calls] == [10, 10, 1]
    sent = [email for c in calls for email in emails_of(c)]
    assert sent == UNIQUE, "every distinct address exactly once, in the caller's order"
    assert len(set(sent)) == len(sent), "an address was paid for twice"
    assert merged == {email: {"sent": True} for email in UNIQUE}
    assert all(c.method == "POST" and c.data == [] for c in calls)


def test_each_batch_is_rate_limited_but_shares_one_token(harness: Harness) -> None:
    harness.session.default(ADD_PATH, echo_sent)
    harness.client.add_emails_to_verification(UNIQUE)
    assert len(harness.session.token_calls) == 1
    assert harness.limiter.acquires == 1 + 3
    assert len({c.headers["Authorization"] for c in harness.session.calls_to(ADD_PATH)}) == 1


def test_exactly_ten_distinct_emails_is_one_request(harness: Harness) -> None:
    harness.session.default(ADD_PATH, echo_sent)
    harness.client.add_emails_to_verification(UNIQUE[:10] + UNIQUE[:5])
    assert [len(emails_of(c)) for c in harness.session.calls_to(ADD_PATH)] == [10]


def test_duplicates_are_removed_even_when_they_fit_in_one_request(harness: Harness) -> None:
    harness.session.default(ADD_PATH, echo_sent)
    harness.client.add_emails_to_verification(["a@octagon.com", "a@octagon.com", "b@octagon.com"])
    assert emails_of(harness.session.calls_to(ADD_PATH)[0]) == ["a@octagon.com", "b@octagon.com"]


def test_verification_status_is_chunked_and_merged_by_email(harness: Harness) -> None:
    def statuses(call: RecordedCall) -> FakeResponse:
        return FakeResponse(
            200, {e: {"status": {"identifier": "complete"}, "data": {"email": e}} for e in emails_of(call)}
        )

    harness.session.default(STATUS_PATH, statuses)
    merged = harness.client.get_emails_verification_status(WITH_DUPLICATES)
    assert [len(emails_of(c)) for c in harness.session.calls_to(STATUS_PATH)] == [10, 10, 1]
    assert list(merged) == UNIQUE
    assert merged["person20@octagon.com"]["data"] == {"email": "person20@octagon.com"}


def test_a_transient_failure_retries_only_its_own_batch(harness: Harness) -> None:
    harness.session.queue(ADD_PATH, echo_sent, status(429, {"message": "Too Many Requests"}), echo_sent, echo_sent)
    merged = harness.client.add_emails_to_verification(UNIQUE)
    sent = [emails_of(c) for c in harness.session.calls_to(ADD_PATH)]
    assert sent == [UNIQUE[:10], UNIQUE[10:20], UNIQUE[10:20], UNIQUE[20:]]
    assert len(merged) == 21


def test_a_refused_batch_stops_the_remaining_batches(harness: Harness) -> None:
    harness.session.queue(
        ADD_PATH,
        echo_sent,
        status(400, {"success": False, "message": "Sorry, you ran out of credits, please order more credits"}),
    )
    with pytest.raises(SnovioPartialError) as caught:
        harness.client.add_emails_to_verification(UNIQUE)
    assert len(harness.session.calls_to(ADD_PATH)) == 2, "no batch is sent after the account ran dry"
    assert isinstance(caught.value.cause, SnovioOutOfCreditsError)
    assert caught.value.done == UNIQUE[:10] and caught.value.remaining == UNIQUE[10:]


def test_merge_joins_objects_and_lists_and_refuses_a_mixture() -> None:
    assert merge_answers([{"a": 1}, {"b": 2}]) == {"a": 1, "b": 2}
    assert merge_answers([[1, 2], [3]]) == [1, 2, 3]
    with pytest.raises(SnovioResponseError):
        merge_answers([{"a": 1}, [2]])


# A split call that fails part-way says what was done (issue 6, item 1) --------------------------------------

TWENTY_FIVE = [f"lead{i:02d}@octagon.com" for i in range(25)]
CHUNKED_ROWS = [row for row in catalogue.ENDPOINTS if row.chunk]


def test_every_chunked_endpoint_is_covered_below() -> None:
    assert {row.name for row in CHUNKED_ROWS} == set(CHUNKED_ARGS) | {"get_recipients_status"}


# The 2026 recipient check (#74): 100 e-mails a request, ``{"data": [...]}`` answers joined --------------------

RECIPIENT_PATH = "/v2/campaigns/55/recipient"
TWO_HUNDRED_FIFTY = [f"r{i:03d}@octagon.com" for i in range(250)]


def recipient_rows(call: RecordedCall) -> FakeResponse:
    return FakeResponse(200, {"data": [{"email": e, "exist": False, "status": None} for e in emails_of(call)]})


def test_recipient_check_is_chunked_by_100_and_its_data_joined(harness: Harness) -> None:
    harness.session.default(RECIPIENT_PATH, recipient_rows)
    answer = harness.client.get_recipients_status(55, [*TWO_HUNDRED_FIFTY, "R000@octagon.com"])
    calls = harness.session.calls_to(RECIPIENT_PATH)
    assert [len(emails_of(c)) for c in calls] == [100, 100, 50]
    assert [row["email"] for row in answer["data"]] == TWO_HUNDRED_FIFTY
    assert set(answer) == {"data"}


def test_a_failed_recipient_check_batch_says_what_was_read(make_harness: Any) -> None:
    h: Harness = make_harness(max_retries=0)
    h.session.queue(RECIPIENT_PATH, recipient_rows, status(422, {"errors": {"code": 422, "title": "x"}}))
    with pytest.raises(SnovioPartialError) as caught:
        h.client.get_recipients_status(55, TWO_HUNDRED_FIFTY)
    assert caught.value.done == TWO_HUNDRED_FIFTY[:100] and caught.value.remaining == TWO_HUNDRED_FIFTY[100:]
    assert [row["email"] for row in caught.value.answer["data"]] == TWO_HUNDRED_FIFTY[:100]


CHUNKED_ARGS = {"add_emails_to_verification": "emails", "get_emails_verification_status": "emails"}


@pytest.mark.parametrize("name", sorted(CHUNKED_ARGS))
def test_a_failure_in_the_third_request_raises_a_partial_error(name: str, make_harness: Any) -> None:
    h: Harness = make_harness(max_retries=0)
    path = catalogue.BY_NAME[name].path
    h.session.queue(path, echo_sent, echo_sent, status(400, {"success": False, "message": "Invalid request"}))
    with pytest.raises(SnovioPartialError) as caught:
        h.client.call(name, emails=TWENTY_FIVE)
    error = caught.value
    assert [len(emails_of(c)) for c in h.session.calls_to(path)] == [10, 10, 5]
    assert error.done == TWENTY_FIVE[:20]
    assert error.remaining == TWENTY_FIVE[20:]
    assert error.answer == {email: {"sent": True} for email in TWENTY_FIVE[:20]}
    assert isinstance(error.cause, SnovioApiError) and error.__cause__ is error.cause
    assert error.argument == "emails" and error.uncertain == []
    assert error.endpoint == path and error.status == 400
    assert "20 emails done" in str(error) and "5 remaining" in str(error) and "Invalid request" in str(error)


def test_a_failure_in_the_first_request_raises_the_original_error(make_harness: Any) -> None:
    h: Harness = make_harness(max_retries=0)
    refusal = status(400, {"success": False, "message": "Sorry, you ran out of credits, please order more credits"})
    h.session.queue(ADD_PATH, refusal)
    with pytest.raises(SnovioOutOfCreditsError) as caught:
        h.client.add_emails_to_verification(TWENTY_FIVE)
    assert not isinstance(caught.value, SnovioPartialError)
    assert len(h.session.calls_to(ADD_PATH)) == 1


def test_a_request_that_may_have_been_processed_is_marked_uncertain(make_harness: Any) -> None:
    h: Harness = make_harness()
    h.session.queue(ADD_PATH, echo_sent, httpx.ReadTimeout("read timed out"))
    with pytest.raises(SnovioPartialError) as caught:
        h.client.add_emails_to_verification(TWENTY_FIVE)
    assert len(h.session.calls_to(ADD_PATH)) == 2, "a paid request that may have been processed is not resent"
    assert isinstance(caught.value.cause, SnovioTransportError) and caught.value.cause.sent
    assert caught.value.done == TWENTY_FIVE[:10]
    assert caught.value.remaining == TWENTY_FIVE[10:]
    assert caught.value.uncertain == TWENTY_FIVE[10:20]


def test_resuming_with_remaining_pays_for_nothing_twice(make_harness: Any) -> None:
    h: Harness = make_harness(max_retries=0)
    h.session.queue(ADD_PATH, echo_sent, status(503, "Service Unavailable"))
    h.session.default(ADD_PATH, echo_sent)
    with pytest.raises(SnovioPartialError) as caught:
        h.client.add_emails_to_verification(TWENTY_FIVE)
    rest = h.client.add_emails_to_verification(caught.value.remaining)
    first, _refused, *resumed = h.session.calls_to(ADD_PATH)
    sent = [email for c in (first, *resumed) for email in emails_of(c)]
    assert sorted(sent) == sorted(TWENTY_FIVE), "every address sent successfully exactly once"
    assert {**caught.value.answer, **rest} == {email: {"sent": True} for email in TWENTY_FIVE}


def test_the_async_client_raises_the_same_partial_error() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            return httpx.Response(200, json={"access_token": "tok-async", "expires_in": 3600})
        seen.append(request)
        if len(seen) == 3:
            return httpx.Response(400, json={"success": False, "message": "Invalid request"})
        return httpx.Response(200, json={e: {"sent": True} for e in request.url.params.get_list("emails[]")})

    async def main() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with AsyncSnovioClient(
            make_config(max_retries=0), http=http, limiter=FakeLimiter(), tokens=TokenCache()
        ) as client:
            await client.call("add_emails_to_verification", emails=TWENTY_FIVE)

    with pytest.raises(SnovioPartialError) as caught:
        asyncio.run(main())
    assert caught.value.done == TWENTY_FIVE[:20] and caught.value.remaining == TWENTY_FIVE[20:]
    assert caught.value.answer == {email: {"sent": True} for email in TWENTY_FIVE[:20]}
    assert isinstance(caught.value.cause, SnovioApiError) and caught.value.__cause__ is caught.value.cause


def test_the_async_client_raises_a_first_request_failure_unchanged() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            return httpx.Response(200, json={"access_token": "tok-async", "expires_in": 3600})
        return httpx.Response(400, json={"success": False, "message": "Invalid request"})

    async def main() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with AsyncSnovioClient(
            make_config(max_retries=0), http=http, limiter=FakeLimiter(), tokens=TokenCache()
        ) as client:
            await client.call("add_emails_to_verification", emails=TWENTY_FIVE)

    with pytest.raises(SnovioApiError) as caught:
        asyncio.run(main())
    assert not isinstance(caught.value, SnovioPartialError)


def test_a_list_longer_than_the_per_request_cap_is_still_chunked(harness: Harness) -> None:
    """Every list parameter is capped per request; a chunked list is split before that cap applies."""
    from airflow_provider_snovio.api.validation import DEFAULT_MAX_ITEMS

    many = [f"bulk{i:04d}@octagon.com" for i in range(DEFAULT_MAX_ITEMS * 2 + 5)]
    harness.session.default(ADD_PATH, echo_sent)
    merged = harness.client.add_emails_to_verification(many)
    calls = harness.session.calls_to(ADD_PATH)
    assert len(calls) == 21 and all(len(emails_of(c)) <= 10 for c in calls)
    assert [e for c in calls for e in emails_of(c)] == many
    assert list(merged) == many


def test_a_bad_address_deep_in_a_chunked_list_is_refused_before_any_request(harness: Harness) -> None:
    from airflow_provider_snovio.api.errors import SnovioValidationError

    many = [f"bulk{i:04d}@octagon.com" for i in range(150)]
    many[140] = "bulk0140@octagon.com\n"
    with pytest.raises(SnovioValidationError) as caught:
        harness.client.add_emails_to_verification(many)
    assert caught.value.field == "emails[140]"
    assert harness.session.calls == [], "no batch may be paid for before the whole list is valid"

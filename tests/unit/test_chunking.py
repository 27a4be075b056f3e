"""Lists longer than an endpoint allows are sent in batches of 10, de-duplicated, and the answers merged."""

from __future__ import annotations

import pytest

from airflow_provider_snovio.api.encoding import merge_answers
from airflow_provider_snovio.api.errors import SnovioOutOfCreditsError, SnovioResponseError
from tests.unit.conftest import FakeResponse, Harness, RecordedCall, status

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
        return FakeResponse(200, {e: {"status": {"identifier": "complete"}, "data": {"email": e}}
                                  for e in emails_of(call)})

    harness.session.default(STATUS_PATH, statuses)
    merged = harness.client.get_emails_verification_status(WITH_DUPLICATES)
    assert [len(emails_of(c)) for c in harness.session.calls_to(STATUS_PATH)] == [10, 10, 1]
    assert list(merged) == UNIQUE
    assert merged["person20@octagon.com"]["data"] == {"email": "person20@octagon.com"}


def test_a_transient_failure_retries_only_its_own_batch(harness: Harness) -> None:
    harness.session.queue(ADD_PATH, echo_sent, status(503, "Service Unavailable"), echo_sent, echo_sent)
    merged = harness.client.add_emails_to_verification(UNIQUE)
    sent = [emails_of(c) for c in harness.session.calls_to(ADD_PATH)]
    assert sent == [UNIQUE[:10], UNIQUE[10:20], UNIQUE[10:20], UNIQUE[20:]]
    assert len(merged) == 21


def test_a_refused_batch_stops_the_remaining_batches(harness: Harness) -> None:
    harness.session.queue(ADD_PATH, echo_sent,
                          status(400, {"success": False,
                                       "message": "Sorry, you ran out of credits, please order more credits"}))
    with pytest.raises(SnovioOutOfCreditsError):
        harness.client.add_emails_to_verification(UNIQUE)
    assert len(harness.session.calls_to(ADD_PATH)) == 2, "no batch is sent after the account ran dry"


def test_merge_joins_objects_and_lists_and_refuses_a_mixture() -> None:
    assert merge_answers([{"a": 1}, {"b": 2}]) == {"a": 1, "b": 2}
    assert merge_answers([[1, 2], [3]]) == [1, 2, 3]
    with pytest.raises(SnovioResponseError):
        merge_answers([{"a": 1}, [2]])

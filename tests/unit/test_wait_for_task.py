"""Waiting for asynchronous tasks: bounded polls, honest timeouts, terminal errors; the status classifiers."""

from __future__ import annotations

import math
from typing import Any

import pytest

from airflow_provider_snovio.api import catalogue
from airflow_provider_snovio.api.errors import (
    SnovioOutOfCreditsError,
    SnovioResponseError,
    SnovioServerError,
    SnovioTaskTimeoutError,
    SnovioValidationError,
)
from airflow_provider_snovio.api.status import (
    TaskState,
    finder_state,
    task_hash_of,
    task_state,
    verification_state,
    verification_states,
)
from tests.unit.conftest import FakeResponse, Harness, RecordedCall, assert_nothing_sent, ok

TASK = "5f3c2a1b0e9d8c7b6a5f4e3d2c1b0a99"
RESULT_PATH = f"/v2/domain-search/result/{TASK}"


def result(status: str, **extra: Any) -> FakeResponse:
    return ok({"data": extra.get("data", []), "meta": {"task_hash": TASK}, "links": {}, "status": status})


def test_pending_statuses_are_polled_until_completed(harness: Harness) -> None:
    done = {"company_name": "Octagon", "size": "1001-5000"}
    harness.session.queue(
        RESULT_PATH, result("in_progress"), result("in progress"), result("In Progress"), result("completed", data=done)
    )
    body = harness.client.wait_for_task("get_domain_search_result", TASK, poll_interval=5, timeout=60)
    assert body["data"] == done
    assert len(harness.session.calls_to(RESULT_PATH)) == 4
    assert harness.time.sleeps == [5, 5, 5]


def test_completed_on_the_first_poll_does_not_sleep(harness: Harness) -> None:
    harness.session.queue(RESULT_PATH, result("completed"))
    harness.client.wait_for_task("get_domain_search_result", TASK)
    assert harness.time.sleeps == []
    assert len(harness.session.api_calls) == 1


def test_not_enough_credits_raises_out_of_credits_at_once(harness: Harness) -> None:
    harness.session.queue(RESULT_PATH, result("in_progress"), result("not_enough_credits"), result("completed"))
    with pytest.raises(SnovioOutOfCreditsError):
        harness.client.wait_for_task("get_domain_search_result", TASK, poll_interval=2, timeout=60)
    assert len(harness.session.calls_to(RESULT_PATH)) == 2


def test_unknown_status_is_an_error_not_an_endless_wait(harness: Harness) -> None:
    harness.session.queue(RESULT_PATH, result("exploded"))
    with pytest.raises(SnovioResponseError, match="exploded"):
        harness.client.wait_for_task("get_domain_search_result", TASK)


@pytest.mark.parametrize(("timeout", "poll_interval"), [(30, 5), (10, 3), (60, 7), (4, 5), (0, 5), (600, 5)])
def test_timeout_raises_and_polls_stay_within_budget(timeout: float, poll_interval: float, harness: Harness) -> None:
    polled = [0]

    def pending(call: RecordedCall) -> FakeResponse:
        polled[0] += 1
        assert polled[0] <= 1000, "endless polling"
        return result("in_progress")

    harness.session.default(RESULT_PATH, pending)
    started = harness.time.now
    with pytest.raises(SnovioTaskTimeoutError) as caught:
        harness.client.wait_for_task("get_domain_search_result", TASK, poll_interval=poll_interval, timeout=timeout)
    polls = len(harness.session.calls_to(RESULT_PATH))
    assert polls <= timeout / poll_interval + 2
    assert polls >= math.floor(timeout / poll_interval), "gave up before the timeout"
    assert harness.time.now - started == pytest.approx(timeout), "waited exactly up to the deadline"
    assert all(0 < s <= poll_interval for s in harness.time.sleeps)
    assert TASK in str(caught.value)
    assert caught.value.endpoint == "/v2/domain-search/result/{task_hash}"


def test_slow_answers_count_against_the_deadline(harness: Harness) -> None:
    def slow(call: RecordedCall) -> FakeResponse:
        harness.time.advance(4)  # every poll takes 4 s to answer
        return result("in_progress")

    harness.session.default(RESULT_PATH, slow)
    with pytest.raises(SnovioTaskTimeoutError):
        harness.client.wait_for_task("get_domain_search_result", TASK, poll_interval=5, timeout=45)
    assert len(harness.session.calls_to(RESULT_PATH)) <= 45 / 5 + 2


def test_wait_for_task_refuses_a_method_that_is_not_a_result(harness: Harness) -> None:
    with pytest.raises(SnovioValidationError) as caught:
        harness.client.wait_for_task("start_domain_search", TASK)
    assert caught.value.field == "result_method"
    with pytest.raises(SnovioValidationError) as caught:
        harness.client.wait_for_task("get_domain_search_result", TASK, poll_interval=0)
    assert caught.value.field == "poll_interval"
    with pytest.raises(SnovioValidationError) as caught:  # a name from a stored job or a DAG: checked, named
        harness.client.wait_for_task("get_nothing", TASK)
    assert caught.value.field == "result_method" and "'get_nothing' is not a Snov.io endpoint" in str(caught.value)
    assert_nothing_sent(harness)


def test_wait_for_task_validates_the_task_hash_before_polling(harness: Harness) -> None:
    with pytest.raises(SnovioValidationError) as caught:
        harness.client.wait_for_task("get_prospects_result", "../../v1/get-balance")
    assert caught.value.field == "task_hash"
    assert_nothing_sent(harness)


# run_task -----------------------------------------------------------------------------------------------

START_ROWS = [row for row in catalogue.ENDPOINTS if row.result]

START_ARGS: dict[str, dict[str, Any]] = {
    "start_domain_search": {"domain": "octagon.com"},
    "start_prospects_search": {"domain": "octagon.com", "page": 1},
    "start_prospect_email_search": {"prospect_hash": "abcdef0123456789abcdef"},
    "start_domain_emails_search": {"domain": "octagon.com"},
    "start_generic_contacts_search": {"domain": "octagon.com"},
    "start_email_verification": {"emails": ["a@octagon.com"]},
    "start_emails_by_name": {"rows": [{"first_name": "A", "last_name": "B", "domain": "octagon.com"}]},
    # 2026 §1a/§1b
    "start_company_domain_by_name": {"names": ["Octagon"]},
    "start_li_profiles_by_urls": {"urls": ["https://www.linkedin.com/in/gavin-vanrooyen/"]},
    "start_database_prospects_search": {"filters": {"company": {"name": {"include": ["octagon"]}}}},
    "start_database_prospect_email_search": {"reveal_hash": "abcdef0123456789abcdef"},
    "start_database_companies_search": {"filters": {"company": {"name": {"include": ["octagon"]}}}, "page": 2},
}


def test_start_args_cover_every_task_starting_row() -> None:
    assert set(START_ARGS) == {row.name for row in START_ROWS}


def _result_location(result_name: str) -> tuple[str, list[tuple[str, str]] | None]:
    row = catalogue.BY_NAME[result_name]
    if "{task_hash}" in row.path:
        return row.path.format(task_hash=TASK), None
    return row.path, [("task_hash", TASK)]


@pytest.mark.parametrize("start", sorted(START_ARGS))
def test_run_task_starts_once_then_polls_the_matching_result_method(start: str, harness: Harness) -> None:
    row = catalogue.BY_NAME[start]
    start_path = row.path.format(
        prospect_hash=START_ARGS[start].get("prospect_hash", ""), reveal_hash=START_ARGS[start].get("reveal_hash", "")
    )
    assert row.result is not None
    result_path, result_query = _result_location(row.result.name)
    harness.session.queue(
        start_path,
        ok({"data": [], "meta": {"task_hash": TASK}, "links": {"result": f"https://api.snov.io{result_path}"}}),
    )
    harness.session.queue(
        result_path,
        ok({"data": [], "status": "in_progress"}),
        ok({"data": [{"email": "a@octagon.com"}], "status": "completed"}),
    )

    body = harness.client.run_task(row, poll_interval=3, timeout=60, **START_ARGS[start])  # the row itself

    assert body["data"] == [{"email": "a@octagon.com"}]
    calls = harness.session.api_calls
    assert [(c.method, c.path) for c in calls] == [("POST", start_path), ("GET", result_path), ("GET", result_path)]
    assert all(c.params == result_query for c in calls[1:])
    assert harness.time.sleeps == [3]


@pytest.mark.parametrize(
    "start_body",
    [
        {"data": [], "meta": {"task_hash": TASK}},
        {"data": {"task_hash": TASK}, "meta": {}},
        {"task_hash": TASK},
    ],
    ids=["meta", "data", "top_level"],
)
def test_task_hash_is_read_from_meta_or_data(start_body: dict[str, Any], harness: Harness) -> None:
    harness.session.queue("/v2/domain-search/start", FakeResponse(202, start_body))
    harness.session.queue(RESULT_PATH, result("completed"))
    harness.client.run_task("start_domain_search", domain="octagon.com")
    assert len(harness.session.calls_to(RESULT_PATH)) == 1


def test_start_answer_without_task_hash_is_an_error_and_nothing_is_polled(harness: Harness) -> None:
    harness.session.queue("/v2/domain-search/start", ok({"data": [], "meta": {}}))
    with pytest.raises(SnovioResponseError, match="task_hash"):
        harness.client.run_task("start_domain_search", domain="octagon.com")
    assert len(harness.session.api_calls) == 1


def test_run_task_refuses_a_method_that_starts_nothing(harness: Harness) -> None:
    with pytest.raises(SnovioValidationError) as caught:
        harness.client.run_task("get_balance")
    assert caught.value.field == "start_method"
    assert_nothing_sent(harness)


def test_run_task_validates_start_arguments_before_sending(harness: Harness) -> None:
    with pytest.raises(SnovioValidationError) as caught:
        harness.client.run_task("start_domain_search", domain="not a domain")
    assert caught.value.field == "domain"
    assert_nothing_sent(harness)


# Status classifiers -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "state"),
    [
        ("completed", TaskState.DONE),
        ("Completed", TaskState.DONE),
        ("complete", TaskState.DONE),
        ("in_progress", TaskState.PENDING),
        ("in progress", TaskState.PENDING),
        ("IN PROGRESS", TaskState.PENDING),
        ("in-progress", TaskState.PENDING),
    ],
)
def test_task_state(status: str, state: TaskState) -> None:
    assert task_state({"status": status, "data": []}) is state


@pytest.mark.parametrize("body", [{"status": "not_enough_credits"}, {"status": "Not enough credits"}])
def test_task_state_not_enough_credits_raises(body: dict[str, str]) -> None:
    with pytest.raises(SnovioOutOfCreditsError):
        task_state(body)


@pytest.mark.parametrize("body", [{"data": []}, {"status": "weird"}, ["completed"], None])
def test_task_state_unknown_raises(body: Any) -> None:
    with pytest.raises(SnovioResponseError):
        task_state(body)


def test_task_hash_of_prefers_meta() -> None:
    assert task_hash_of({"meta": {"task_hash": "aa"}, "data": {"task_hash": "bb"}}) == "aa"
    with pytest.raises(SnovioResponseError):
        task_hash_of([{"meta": {"task_hash": "aa"}}])


@pytest.mark.parametrize(
    ("body", "state"),
    [
        ({"status": {"identifier": "complete", "description": "Emails found"}, "data": {"emails": []}}, TaskState.DONE),
        ({"status": {"identifier": "in_progress"}}, TaskState.PENDING),
        ({"status": {"identifier": "not_found", "description": "Not found"}}, TaskState.NOT_FOUND),
        ({"status": "complete"}, TaskState.DONE),
    ],
)
def test_finder_state(body: dict[str, Any], state: TaskState) -> None:
    assert finder_state(body) is state


def test_finder_state_unknown_raises() -> None:
    with pytest.raises(SnovioResponseError):
        finder_state({"status": {"identifier": "maybe"}})


def _entry(identifier: str, smtp: str | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"status": {"identifier": identifier, "description": "..."}}
    if smtp is not None:
        entry["data"] = {"email": "a@octagon.com", "isValidFormat": True, "smtpStatus": smtp}
    return entry


@pytest.mark.parametrize(
    ("entry", "state"),
    [
        (_entry("complete", "valid"), TaskState.DONE),
        (_entry("complete", "not_valid"), TaskState.DONE),
        (_entry("complete", "unknown"), TaskState.DONE),
        (_entry("complete", "greylisted"), TaskState.GREYLISTED),
        (_entry("complete", "Greylisted"), TaskState.GREYLISTED),
        (_entry("in_progress"), TaskState.PENDING),
        (_entry("not_verified"), TaskState.NOT_VERIFIED),
    ],
)
def test_verification_state(entry: dict[str, Any], state: TaskState) -> None:
    assert verification_state(entry) is state


@pytest.mark.parametrize("entry", [_entry("exploded"), "complete", None])
def test_verification_state_unknown_raises(entry: Any) -> None:
    with pytest.raises(SnovioResponseError):
        verification_state(entry)


def test_verification_states_of_a_whole_answer() -> None:
    body = {
        "a@octagon.com": _entry("complete", "valid"),
        "b@octagon.com": _entry("complete", "greylisted"),
        "c@octagon.com": _entry("not_verified"),
    }
    assert verification_states(body) == {
        "a@octagon.com": TaskState.DONE,
        "b@octagon.com": TaskState.GREYLISTED,
        "c@octagon.com": TaskState.NOT_VERIFIED,
    }
    with pytest.raises(SnovioResponseError):
        verification_states([body])


def test_classifiers_work_on_answers_read_through_the_client(harness: Harness) -> None:
    harness.session.queue("/v1/get-emails-verification-status", ok({"a@octagon.com": _entry("complete", "greylisted")}))
    states = verification_states(harness.client.get_emails_verification_status(["a@octagon.com"]))
    assert states == {"a@octagon.com": TaskState.GREYLISTED}


# A timed-out wait names the paid task, so the caller keeps waiting on it (issue 6, item 4) ------------------


def test_the_timeout_error_carries_the_task_hash_and_result_method(harness: Harness) -> None:
    harness.session.default(RESULT_PATH, result("in_progress"))
    with pytest.raises(SnovioTaskTimeoutError) as caught:
        harness.client.wait_for_task("get_domain_search_result", TASK, poll_interval=5, timeout=10)
    assert caught.value.task_hash == TASK
    assert caught.value.result_method == "get_domain_search_result"


def test_run_task_timeout_lets_the_caller_resume_the_same_task_without_starting_another(harness: Harness) -> None:
    start_path = "/v2/domain-search/start"
    harness.session.queue(start_path, ok({"data": [], "meta": {"task_hash": TASK}}))
    harness.session.queue(RESULT_PATH, result("in_progress"), result("in_progress"), result("in_progress"))
    with pytest.raises(SnovioTaskTimeoutError) as caught:
        harness.client.run_task("start_domain_search", domain="octagon.com", poll_interval=5, timeout=10)
    error = caught.value
    assert (error.task_hash, error.result_method) == (TASK, "get_domain_search_result")

    harness.session.queue(RESULT_PATH, result("completed", data={"company_name": "Octagon"}))
    body = harness.client.wait_for_task(error.result_method, error.task_hash)
    assert body["data"] == {"company_name": "Octagon"}
    assert len(harness.session.calls_to(start_path)) == 1, "the paid task was started once"


def test_other_errors_while_waiting_carry_the_task_hash_too(make_harness: Any) -> None:
    h: Harness = make_harness(max_retries=0)
    h.session.queue("/v2/domain-search/start", ok({"data": [], "meta": {"task_hash": TASK}}))
    h.session.queue(RESULT_PATH, FakeResponse(503, "Service Unavailable"))
    with pytest.raises(SnovioServerError) as caught:
        h.client.run_task("start_domain_search", domain="octagon.com")
    assert (caught.value.task_hash, caught.value.result_method) == (TASK, "get_domain_search_result")


def test_timeout_error_keywords_default_to_none() -> None:
    error = SnovioTaskTimeoutError("still running")
    assert error.task_hash is None and error.result_method is None
    assert SnovioTaskTimeoutError("x", task_hash="ab", result_method="get_prospects_result").task_hash == "ab"


# Wait times are checked before anything is sent (issue 6, item 8) --------------------------------------------

BAD_WAITS = [
    ({"poll_interval": float("nan")}, "poll_interval"),
    ({"poll_interval": float("inf")}, "poll_interval"),
    ({"poll_interval": 0}, "poll_interval"),
    ({"poll_interval": -1.0}, "poll_interval"),
    ({"poll_interval": "5"}, "poll_interval"),
    ({"timeout": float("nan")}, "timeout"),
    ({"timeout": float("inf")}, "timeout"),
    ({"timeout": -0.5}, "timeout"),
]


@pytest.mark.parametrize(("wait", "field"), BAD_WAITS)
def test_wait_for_task_refuses_unusable_wait_times(wait: dict[str, Any], field: str, harness: Harness) -> None:
    with pytest.raises(SnovioValidationError) as caught:
        harness.client.wait_for_task("get_domain_search_result", TASK, **wait)
    assert caught.value.field == field
    assert_nothing_sent(harness)


@pytest.mark.parametrize(("wait", "field"), BAD_WAITS)
def test_run_task_refuses_unusable_wait_times_before_starting_a_paid_task(
    wait: dict[str, Any], field: str, harness: Harness
) -> None:
    with pytest.raises(SnovioValidationError) as caught:
        harness.client.run_task("start_domain_search", domain="octagon.com", **wait)
    assert caught.value.field == field
    assert_nothing_sent(harness)

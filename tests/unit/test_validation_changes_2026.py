"""§3 of the 2026 edition at the unit level: what ``prepare`` sends or refuses, and the status helpers."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from airflow_provider_snovio.api import validation as v
from airflow_provider_snovio.api.catalogue import ENDPOINTS
from airflow_provider_snovio.api.encoding import prepare
from airflow_provider_snovio.api.errors import SnovioResponseError, SnovioValidationError
from airflow_provider_snovio.api.status import (
    TaskState,
    finder_credits,
    status_word,
    task_hash_of,
    verification_state,
    verification_summary,
)
from airflow_provider_snovio.operators.verification import summary_v2

LINK = "https://www.linkedin.com/in/someone"


def _refused(row: Any, arguments: dict[str, Any]) -> SnovioValidationError:
    with pytest.raises(SnovioValidationError) as caught:
        prepare(row, arguments)
    return caught.value


# --- #19 ----------------------------------------------------------------------------------------------


def test_analytics_always_carries_both_dates() -> None:
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    assert prepare(ENDPOINTS.get_campaign_analytics, {}).query == [("date_from", "2000-01-01"), ("date_to", today)]
    given = prepare(ENDPOINTS.get_campaign_analytics, {"date_from": "2025-01-01", "date_to": "2025-01-31"})
    assert given.query == [("date_from", "2025-01-01"), ("date_to", "2025-01-31")]
    assert v.ANALYTICS_ALL_TIME_FROM == "2000-01-01"
    assert _refused(ENDPOINTS.get_campaign_analytics, {"date_to": "2025-01-31"}).field == "date_from"


# --- #34 ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("per_page", "ok"), [(1, True), (100, True), (101, True), (5000, True), (5001, False), (0, False)]
)
def test_list_per_page_is_1_to_5000(per_page: int, ok: bool) -> None:
    arguments = {"list_id": 1, "per_page": per_page}
    if ok:
        assert ("perPage", str(per_page)) in prepare(ENDPOINTS.get_list_prospects, arguments).form
    else:
        assert _refused(ENDPOINTS.get_list_prospects, arguments).field == "per_page"


# --- #29 ----------------------------------------------------------------------------------------------


def test_a_prospect_needs_an_email_or_a_linkedin_link() -> None:
    row = ENDPOINTS.add_prospect_to_list
    only_link = prepare(row, {"list_id": 1, "social_links": {"linkedIn": LINK}})
    assert ("socialLinks[linkedIn]", LINK) in only_link.form and not any(k == "email" for k, _ in only_link.form)
    assert prepare(row, {"list_id": 1, "socialLinks": {"linkedin": LINK}}).form  # key case-insensitive
    for arguments in (
        {"list_id": 1},
        {"list_id": 1, "first_name": "A"},
        {"list_id": 1, "social_links": {"twitter": LINK}},
        {"list_id": 1, "social_links": {"linkedIn": "  "}},
    ):
        error = _refused(row, arguments)
        assert error.field == "email" and "linkedIn" in error.problem


def test_create_duplicates_is_a_boolean_and_not_with_update_contact() -> None:
    row = ENDPOINTS.add_prospect_to_list
    sent = prepare(row, {"list_id": 1, "email": "a@example.com", "create_duplicates": True})
    assert ("createDuplicates", "1") in sent.form
    assert _refused(row, {"list_id": 1, "email": "a@example.com", "create_duplicates": "maybe"}).field == (
        "create_duplicates"
    )
    both = {"list_id": 1, "email": "a@example.com", "update_contact": "true", "createDuplicates": "1"}
    assert _refused(row, both).field == "create_duplicates"
    assert prepare(row, {**both, "update_contact": False}).form


def test_only_a_create_duplicates_call_is_unsafe_to_resend() -> None:
    row = ENDPOINTS.add_prospect_to_list
    assert prepare(row, {"list_id": 1, "email": "a@example.com"}).resend_safe is True
    assert prepare(row, {"list_id": 1, "email": "a@example.com", "create_duplicates": False}).resend_safe is True
    assert prepare(row, {"list_id": 1, "email": "a@example.com", "create_duplicates": True}).resend_safe is False
    assert prepare(ENDPOINTS.create_prospect_list, {"name": "x"}).resend_safe is False  # the row's own rule


# --- #38 ----------------------------------------------------------------------------------------------


def test_the_webhook_enum_holds_exactly_the_23_documented_pairs() -> None:
    pairs = {(o, a) for o, actions in v.WEBHOOK_EVENTS.items() for a in actions}
    assert len(v.WEBHOOK_EVENTS) == 9 and len(pairs) == 23
    assert {
        ("campaign_li_reply", "received"),
        ("campaign_li", "connection_request_accepted"),
        ("prospect", "found_company_by_domain"),
        ("company", "found_company_by_domain"),
        ("database_search", "task_result"),
    } <= pairs
    for event_object, event_action in pairs:
        body = prepare(
            ENDPOINTS.add_webhook,
            {"event_object": event_object, "event_action": event_action, "endpoint_url": "https://h.example.com"},
        ).json
        assert body == {
            "event_object": event_object,
            "event_action": event_action,
            "endpoint_url": "https://h.example.com",
        }
    wrong = {
        "event_object": "email_verification",
        "event_action": "found_prospect_emails",
        "endpoint_url": "https://h.example.com",
    }
    assert _refused(ENDPOINTS.add_webhook, wrong).field == "event_action"


# --- v2 task_hash, credits, status words -------------------------------------------------------------


def test_task_hash_is_read_from_data_or_meta() -> None:
    assert task_hash_of({"data": {"task_hash": "a1"}, "meta": {"rows": []}}) == "a1"
    assert task_hash_of({"data": [], "meta": {"emails": [], "task_hash": "b2"}}) == "b2"
    with pytest.raises(SnovioResponseError):
        task_hash_of({"data": {}, "meta": {}})


def test_finder_credits_count_valid_and_unknown_whatever_the_case() -> None:
    items = [
        {
            "people": "A B",
            "result": [{"email": "a@x.com", "smtp_status": "valid"}, {"email": "b@x.com", "smtp_status": "Unknown"}],
        },
        {
            "people": "C D",
            "result": [{"email": "c@x.com", "smtp_status": "not_valid"}, {"email": "d@x.com", "smtp_status": "VALID"}],
        },
        {"people": "E F", "result": []},
    ]
    assert finder_credits(items) == 3
    assert finder_credits(None) == 0


@pytest.mark.parametrize(
    ("word", "expected"),
    [
        ("Valid", "valid"),
        ("Not valid", "not_valid"),
        ("Greylist", "greylist"),
        ("Hidden_by_owner", "hidden_by_owner"),
        (None, None),
    ],
)
def test_status_words_are_read_case_insensitively(word: Any, expected: Any) -> None:
    assert status_word(word) == expected


def test_capitalised_verdicts_read_as_lowercase_ones() -> None:
    v2 = {"smtp_status": "Unknown", "unknown_status_reason": "Greylist", "is_webmail": False}
    assert summary_v2(v2)["smtp_status"] == "unknown" and summary_v2(v2)["unknown_status_reason"] == "greylist"
    entry = {"status": {"identifier": "Complete"}, "data": {"smtpStatus": "Greylisted"}}
    assert verification_state(entry) is TaskState.GREYLISTED
    assert verification_summary(entry)["smtp_status"] == "greylisted"

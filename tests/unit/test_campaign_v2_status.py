"""The 2026 status readers the campaign state operator and the recipient check rely on.

Why: §1e says v2 statuses are spelt inconsistently (paused/pause, completed/complete, and v1's capitalised
Draft/Active), while the sandbox serves one spelling; these pin the other spellings down.
"""

from __future__ import annotations

import pytest

from airflow_provider_snovio.api.errors import SnovioResponseError
from airflow_provider_snovio.api.status import CAMPAIGN_ACTION_DONE, campaign_v2_status, recipient_statuses
from airflow_provider_snovio.api.validation import CAMPAIGN_ACTIONS


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("new", "new"),
        ("Draft", "new"),
        ("Active", "active"),
        ("pause", "paused"),
        ("Paused", "paused"),
        ("scheduled", "scheduled"),
        ("complete", "completed"),
        ("Completed", "completed"),
        ("archived", "archived"),
        ("Something New", "something_new"),  # unknown: lower-cased, never guessed
    ],
)
def test_campaign_status_spellings(raw: str, canonical: str) -> None:
    assert campaign_v2_status({"success": True, "data": {"id": 1, "status": raw}}) == canonical
    assert campaign_v2_status({"status": raw}) == canonical


def test_a_campaign_answer_without_status_is_a_response_error() -> None:
    with pytest.raises(SnovioResponseError):
        campaign_v2_status({"success": True, "data": {"id": 1}})


def test_every_action_has_its_done_statuses() -> None:
    assert set(CAMPAIGN_ACTION_DONE) == set(CAMPAIGN_ACTIONS)


def test_recipient_statuses_lower_cases_and_maps_non_recipients_to_none() -> None:
    body = {
        "data": [
            {"email": "A@Example.com", "exist": True, "status": "Finished"},
            {"email": "b@example.com", "exist": False, "status": None},
            {"email": "c@example.com", "exist": False, "status": "active"},  # exist false wins
        ]
    }
    assert recipient_statuses(body) == {"a@example.com": "Finished", "b@example.com": None, "c@example.com": None}
    with pytest.raises(SnovioResponseError):
        recipient_statuses({"data": {"email": "a@example.com"}})

"""Every catalogue row says whether it is idempotent, and only idempotent free calls are resent after an
unclear failure (issue 13 item 7: a timeout on POST /v1/lists or POST /v2/webhooks must not duplicate)."""

from __future__ import annotations

import pytest

from airflow_provider_snovio.api.catalogue import BY_NAME, ENDPOINTS, Endpoint
from airflow_provider_snovio.api.errors import (
    SnovioRateLimitError,
    SnovioResponseError,
    SnovioServerError,
    SnovioTransportError,
)
from airflow_provider_snovio.api.retry import Attempts, RetryPolicy, is_retryable

CREATING = ("create_prospect_list", "add_webhook", "create_email_account", "create_warm_up", "create_campaign")
UNCLEAR = (SnovioTransportError("read timeout", sent=True), SnovioServerError("502"), SnovioResponseError("cut"))
CLEAR = (SnovioTransportError("refused", sent=False), SnovioRateLimitError("429"))


def test_every_row_is_marked() -> None:
    assert all(isinstance(row.idempotent, bool) for row in ENDPOINTS)
    assert all(not row.idempotent for row in ENDPOINTS if row.spends_credits)
    assert {row.name for row in ENDPOINTS if not row.resend_safe} == (
        {row.name for row in ENDPOINTS if row.spends_credits} | set(CREATING)
    )


def test_a_post_row_must_say_whether_it_is_idempotent() -> None:
    with pytest.raises(ValueError, match="idempotent"):
        Endpoint("POST", "/v1/made-up", "A row without the mark.")
    with pytest.raises(ValueError, match="never idempotent"):
        Endpoint("POST", "/v1/made-up", "Paid and idempotent.", (), "1", True, idempotent=True)
    assert Endpoint("GET", "/v1/made-up", "A read.").idempotent is True


@pytest.mark.parametrize("name", CREATING)
@pytest.mark.parametrize("error", UNCLEAR, ids=lambda e: type(e).__name__)
def test_a_creating_call_is_not_resent_after_an_unclear_failure(name: str, error: Exception) -> None:
    row = BY_NAME[name]
    assert not row.resend_safe
    assert not is_retryable(error, spends_credits=row.spends_credits, idempotent=bool(row.idempotent))
    attempts = Attempts(RetryPolicy(max_retries=3), spends_credits=not row.resend_safe, clock=lambda: 0.0)
    assert attempts.next_wait(error) is None


@pytest.mark.parametrize("name", CREATING)
@pytest.mark.parametrize("error", CLEAR, ids=lambda e: type(e).__name__)
def test_a_creating_call_is_resent_when_it_certainly_did_not_take_effect(name: str, error: Exception) -> None:
    row = BY_NAME[name]
    assert is_retryable(error, spends_credits=row.spends_credits, idempotent=bool(row.idempotent))


@pytest.mark.parametrize("error", UNCLEAR, ids=lambda e: type(e).__name__)
def test_an_idempotent_free_call_is_resent_after_an_unclear_failure(error: Exception) -> None:
    for name in ("get_user_lists", "list_webhooks", "change_webhook_status", "get_emails_from_url"):
        row = BY_NAME[name]
        assert row.resend_safe
        assert is_retryable(error, spends_credits=row.spends_credits, idempotent=bool(row.idempotent))

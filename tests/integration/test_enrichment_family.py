"""Domain search, finder and verifier families (#1-#18, v2 pairs, legacy #41) through the client, over HTTP."""

from __future__ import annotations

import pytest

from airflow_provider_snovio.api.client import SnovioClient
from airflow_provider_snovio.api.errors import (
    SnovioNotFoundError,
    SnovioOutOfCreditsError,
    SnovioTooManyProcessingError,
    SnovioValidationError,
)
from airflow_provider_snovio.api.status import TaskState, finder_state, task_hash_of, verification_states
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.integration.conftest import FAST_POLL


def _credits(sandbox: SandboxServer) -> float:
    return sandbox.stats()["credits_spent"]


def test_company_info_task_runs_to_completion_and_costs_one_credit(
    client: SnovioClient, snovio_sandbox: SandboxServer
) -> None:
    snovio_sandbox.configure(task_polls_pending=2)
    started = client.start_domain_search("Octagon.com")
    result = client.wait_for_task("get_domain_search_result", task_hash_of(started), **FAST_POLL)
    assert result["status"] == "completed"
    assert result["data"]["company_name"] == "Octagon"
    assert result["meta"]["prospects_count"] >= 40
    polls = snovio_sandbox.stats()["requests"]["GET /v2/domain-search/result/{task_hash}"]
    assert polls == 3  # two answered in_progress, then completed
    assert _credits(snovio_sandbox) == 1


def test_prospects_are_paged_twenty_at_a_time_to_the_end(client: SnovioClient, snovio_sandbox: SandboxServer) -> None:
    prospects = list(client.iter_prospects("octagon.com", **FAST_POLL))
    assert len(prospects) >= 40
    assert len({p["search_emails_start"] for p in prospects}) == len(prospects)
    starts = snovio_sandbox.stats()["requests"]["POST /v2/domain-search/prospects/start"]
    assert starts == -(-len(prospects) // 20)  # one task per page of 20, no extra page


def test_one_prospects_emails_via_its_hash(client: SnovioClient) -> None:
    gavin = next(p for p in client.iter_prospects("octagon.com", **FAST_POLL) if p["last_name"] == "Vanrooyen")
    prospect_hash = gavin["search_emails_start"].rstrip("/").rsplit("/", 1)[-1]
    result = client.run_task("start_prospect_email_search", prospect_hash=prospect_hash, **FAST_POLL)
    emails = result["data"]["emails"]
    assert emails and all(e["smtp_status"] in ("valid", "unknown") for e in emails)


def test_domain_emails_follow_the_next_cursor_to_the_end(client: SnovioClient, snovio_sandbox: SandboxServer) -> None:
    emails = [row["email"] for row in client.iter_domain_emails("octagon.com", **FAST_POLL)]
    assert len(emails) >= 100 and len(set(emails)) == len(emails)
    assert all(e.endswith("@octagon.com") for e in emails)
    assert snovio_sandbox.stats()["requests"]["POST /v2/domain-search/domain-emails/start"] == -(-len(emails) // 50)
    generic = list(client.iter_generic_contacts("sendpulse.com", **FAST_POLL))
    assert len(generic) > 50  # two pages


def test_repeating_a_search_is_not_charged_twice(client: SnovioClient, snovio_sandbox: SandboxServer) -> None:
    client.run_task("start_domain_search", domain="octagon.com", **FAST_POLL)
    client.run_task("start_domain_search", domain="octagon.com", **FAST_POLL)
    assert _credits(snovio_sandbox) == 1


def test_unknown_task_hash_is_not_found(client: SnovioClient) -> None:
    with pytest.raises(SnovioNotFoundError, match="not found"):
        client.get_domain_search_result("0123456789abcdef0123456789abcdef")


def test_legacy_domain_emails_with_last_id(client: SnovioClient) -> None:
    rows = list(client.iter_domain_emails_with_info("octagon.com", limit=25))
    assert len(rows) >= 100
    assert len({r["email"] for r in rows}) == len(rows)


def test_email_count_and_finder_flow(client: SnovioClient, snovio_sandbox: SandboxServer) -> None:
    assert client.get_domain_emails_count("octagon.com")["result"] >= 100
    first = client.get_emails_from_names("Gavin", "Vanrooyen", "octagon.com")
    assert finder_state(first) is TaskState.NOT_FOUND
    assert client.add_names_to_find_emails("Gavin", "Vanrooyen", "octagon.com")["sent"] is True
    states = []
    for _ in range(5):
        body = client.get_emails_from_names("Gavin", "Vanrooyen", "octagon.com")
        states.append(finder_state(body))
        if states[-1] is TaskState.DONE:
            break
    assert states[0] is TaskState.PENDING and states[-1] is TaskState.DONE
    assert any(e["email"].startswith("gavin") for e in body["data"]["emails"])
    assert _credits(snovio_sandbox) == 1


def test_finder_hourly_limit_is_reported_at_once_with_its_retry_time(
    client: SnovioClient, snovio_sandbox: SandboxServer
) -> None:
    """The sandbox's Retry-After for the hourly quota (most of an hour) is past the client's short wait
    budget, so the client raises at once, carrying the suggested time, instead of holding a worker slot."""
    snovio_sandbox.configure(finder_hourly_limit=1)
    client.get_emails_from_names("Gavin", "Vanrooyen", "octagon.com")
    before = snovio_sandbox.stats()["total_requests"]
    with pytest.raises(SnovioTooManyProcessingError, match="too many prospects processing") as raised:
        client.get_emails_from_names("Lizi", "Hamer", "octagon.com")
    assert snovio_sandbox.stats()["total_requests"] - before == 1
    assert raised.value.retry_after is not None
    assert client.config.retry.processing_wait_max < raised.value.retry_after <= 3600


def test_url_and_profile_enrichment(client: SnovioClient, snovio_sandbox: SandboxServer) -> None:
    url = "https://www.linkedin.com/in/john-doe-123456"
    assert client.add_url_for_search(url)["success"] is True
    assert client.get_emails_from_url(url)["success"] is True
    profile = client.get_profile_by_email("gavin.vanrooyen@octagon.com")
    assert profile["success"] is True
    assert _credits(snovio_sandbox) == 2


def test_v1_verification_flow_and_chunking(client: SnovioClient, snovio_sandbox: SandboxServer) -> None:
    emails = [f"person{i}@octagon.com" for i in range(12)] + ["gavin.vanrooyen@octagon.com"]
    states = verification_states(client.get_emails_verification_status(emails))
    assert set(states) == set(emails) and set(states.values()) == {TaskState.NOT_VERIFIED}
    queued = client.add_emails_to_verification(emails + emails[:3])  # repeats must not be paid twice
    assert all(queued[e]["sent"] is True for e in emails)
    assert snovio_sandbox.stats()["requests"]["POST /v1/add-emails-to-verification"] == 2  # 13 = 10 + 3
    assert _credits(snovio_sandbox) == len(emails)
    for _ in range(6):
        states = verification_states(client.get_emails_verification_status(emails))
        if all(s in (TaskState.DONE,) for s in states.values()):
            break
    assert set(states.values()) == {TaskState.DONE}


def test_v2_verification_and_finder_tasks(client: SnovioClient, snovio_sandbox: SandboxServer) -> None:
    verified = client.run_task("start_email_verification", emails=["gavin.vanrooyen@octagon.com"], **FAST_POLL)
    assert verified["data"][0]["result"]["smtp_status"] in ("valid", "not_valid", "unknown")
    found = client.run_task(
        "start_emails_by_name",
        rows=[{"first_name": "Gavin", "last_name": "Vanrooyen", "domain": "octagon.com"}],
        **FAST_POLL,
    )
    assert found["status"] == "completed" and found["data"]
    with pytest.raises(SnovioValidationError, match="emails"):
        client.start_email_verification([f"p{i}@octagon.com" for i in range(11)])


def test_v2_finder_out_of_credits_is_an_error(client: SnovioClient, snovio_sandbox: SandboxServer) -> None:
    snovio_sandbox.configure(initial_balance=0)
    snovio_sandbox.reset()
    with pytest.raises(SnovioOutOfCreditsError):
        client.run_task(
            "start_emails_by_name",
            rows=[{"first_name": "Gavin", "last_name": "Vanrooyen", "domain": "octagon.com"}],
            **FAST_POLL,
        )
    with pytest.raises(SnovioOutOfCreditsError, match="ran out of credits"):
        client.add_emails_to_verification(["gavin.vanrooyen@octagon.com"])

"""Every trigger over real HTTP against the sandbox: serialisation, each terminal event, the loop's rules."""

from __future__ import annotations

import json
import time

import pytest

from airflow_provider_snovio.api.errors import SnovioValidationError
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.sandbox.testing import SandboxServer
from airflow_provider_snovio.triggers import (
    SnovioCampaignProgressTrigger,
    SnovioEmailFinderTrigger,
    SnovioEmailVerificationTrigger,
    SnovioTaskTrigger,
)
from airflow_provider_snovio.triggers.pollers import check_poll_method
from tests.airflow.conftest import run_trigger

HASH = "0123456789abcdef0123456789abcdef"
SOON = 30.0


def _campaigns(status: str) -> list[str]:
    return [str(c["id"]) for c in SnovioHook().get_user_campaigns() if c["status"] == status]


ALL_TRIGGERS = [
    SnovioTaskTrigger([HASH], "get_prospects_result", deadline=1e9, poll_interval=2.0),
    SnovioEmailVerificationTrigger(["a@example.com", "b@example.com"], deadline=1e9, greylisted_poll_interval=60),
    SnovioEmailFinderTrigger([{"first_name": "John", "last_name": "Doe", "domain": "yourdomain.com"}], deadline=1e9),
    SnovioCampaignProgressTrigger("237900", min_progress=90, target_status="Paused", deadline=1e9),
]


@pytest.mark.parametrize("trigger", ALL_TRIGGERS, ids=lambda t: type(t).__name__)
def test_serialize_round_trips_through_json(trigger) -> None:
    classpath, kwargs = trigger.serialize()
    assert json.loads(json.dumps(kwargs)) == kwargs  # JSON values only (Airflow 3.2+ is strict)
    assert classpath.startswith("airflow_provider_snovio.triggers.snovio.")
    rebuilt = type(trigger)(**json.loads(json.dumps(kwargs)))
    assert rebuilt.serialize() == (classpath, kwargs)
    assert kwargs["deadline"] == 1e9  # absolute: a re-created trigger keeps the original deadline


def test_triggers_refuse_anything_but_free_reads() -> None:
    for paid in ("start_domain_search", "add_emails_to_verification", "add_names_to_find_emails", "get_balance"):
        with pytest.raises(SnovioValidationError, match="result_method"):
            check_poll_method(paid)
    with pytest.raises(SnovioValidationError, match="result_method"):
        SnovioTaskTrigger([HASH], "start_prospects_search", deadline=1e9)
    with pytest.raises(SnovioValidationError, match="task_hash"):
        SnovioTaskTrigger(["../../v1/get-balance"], "get_prospects_result", deadline=1e9)
    with pytest.raises(SnovioValidationError, match="emails"):
        SnovioEmailVerificationTrigger(["not-an-email"], deadline=1e9)
    with pytest.raises(SnovioValidationError, match="min_progress"):
        SnovioCampaignProgressTrigger("237900", min_progress=150, deadline=1e9)


def test_task_trigger_succeeds_with_every_result(sandbox: SandboxServer) -> None:
    hook = SnovioHook()
    hashes = [_hash(hook.start_domain_search("octagon.com")), _hash(hook.start_domain_search("snov.io"))]
    before = sandbox.stats()
    (event,) = run_trigger(
        SnovioTaskTrigger(hashes, "get_domain_search_result", deadline=time.time() + SOON, poll_interval=0.01)
    )
    assert event["status"] == "success"
    # Hashes and counts only: the result bodies stay out of the event (the metadata DB stores it).
    assert event["completed"] == hashes and event["counts"] == {"completed": 2} and "results" not in event
    assert "Octagon" not in json.dumps(event)
    # The waiter reads each result back on the worker (free): the body the trigger saw.
    from airflow_provider_snovio.triggers.pollers import read_task_results

    bodies = read_task_results(hook.call, "get_domain_search_result", event["completed"])
    assert bodies[hashes[0]]["data"]["company_name"] == "Octagon"
    after = sandbox.stats()
    assert after["credits_spent"] == before["credits_spent"]  # polling is free
    new = {k: v - before["requests"].get(k, 0) for k, v in after["requests"].items()}
    # Only result reads of this search family: no start was sent again. (Requests elsewhere are not counted:
    # a full run once saw one stray free POST from another test's late thread here, never reproduced.)
    searched = {k: v for k, v in new.items() if v and "/domain-search/" in k}
    assert searched and all(k.startswith("GET /v2/domain-search/result/") for k in searched), new


def _hash(body) -> str:
    from airflow_provider_snovio.api.status import task_hash_of

    return task_hash_of(body)


def test_task_trigger_times_out_at_its_absolute_deadline(sandbox: SandboxServer) -> None:
    sandbox.configure(task_delay_seconds=30.0)
    task_hash = _hash(SnovioHook().start_prospects_search("octagon.com"))
    started = time.monotonic()
    (event,) = run_trigger(
        SnovioTaskTrigger([task_hash], "get_prospects_result", deadline=time.time() + 0.3, poll_interval=0.1)
    )
    assert time.monotonic() - started < 3
    assert event["status"] == "timeout"
    assert event["pending"] == [task_hash] and event["result_method"] == "get_prospects_result"
    polls = sandbox.stats()["requests"]["GET /v2/domain-search/prospects/result/{task_hash}"]
    assert 2 <= polls <= 0.3 / 0.1 + 2  # slept between polls: no busy loop


def test_task_trigger_with_a_past_deadline_polls_once_then_times_out(sandbox: SandboxServer) -> None:
    sandbox.configure(task_delay_seconds=30.0)
    task_hash = _hash(SnovioHook().start_prospects_search("octagon.com"))
    (event,) = run_trigger(SnovioTaskTrigger([task_hash], "get_prospects_result", deadline=time.time() - 5))
    assert event["status"] == "timeout"
    assert sandbox.stats()["requests"]["GET /v2/domain-search/prospects/result/{task_hash}"] == 1


def test_task_trigger_reports_an_unknown_task_as_an_error(sandbox: SandboxServer) -> None:
    (event,) = run_trigger(SnovioTaskTrigger([HASH], "get_domain_search_result", deadline=time.time() + SOON))
    assert event["status"] == "error"
    assert event["error_type"] == "SnovioNotFoundError"


def test_task_trigger_reports_not_enough_credits(sandbox: SandboxServer) -> None:
    sandbox.configure(initial_balance=0.0)
    sandbox.reset()
    task_hash = _hash(SnovioHook().start_email_verification(["john.doe@yourdomain.com"]))
    (event,) = run_trigger(
        SnovioTaskTrigger([task_hash], "get_email_verification_result", deadline=time.time() + SOON, poll_interval=0.01)
    )
    assert event["status"] == "error" and event["error_type"] == "SnovioOutOfCreditsError"
    assert event["failed"] == {task_hash: "not_enough_credits"} and event["pending"] == [task_hash]
    assert event["counts"] == {"completed": 0, "pending": 1, "failed": 1}


def test_task_trigger_serialize_after_polling_holds_no_result_body(sandbox: SandboxServer) -> None:
    """The poller keeps the bodies in memory while it runs, but ``serialize()`` (what the metadata DB
    stores) names the hashes only, before and after polling."""
    import asyncio

    hook = SnovioHook()
    hashes = [_hash(hook.start_domain_search("octagon.com"))]
    trigger = SnovioTaskTrigger(hashes, "get_domain_search_result", deadline=time.time() + SOON, poll_interval=0.01)
    before = trigger.serialize()

    async def collect() -> list:
        return [e.payload async for e in trigger.run()]

    (event,) = asyncio.run(collect())
    assert event["status"] == "success" and trigger.poller.results[hashes[0]]["data"]["company_name"] == "Octagon"
    assert trigger.serialize() == before and "Octagon" not in json.dumps(trigger.serialize())


def test_consecutive_failures_are_capped(sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = json.loads(sandbox.connection_json())
    conn["extra"] = {**(conn.get("extra") or {}), "max_retries": 0}
    monkeypatch.setenv("AIRFLOW_CONN_SNOVIO_DEFAULT", json.dumps(conn))
    task_hash = _hash(SnovioHook().start_prospects_search("octagon.com"))
    sandbox.configure(error_rate=1.0)
    (event,) = run_trigger(
        SnovioTaskTrigger(
            [task_hash],
            "get_prospects_result",
            deadline=time.time() + SOON,
            poll_interval=0.01,
            max_consecutive_failures=3,
        )
    )
    assert event["status"] == "error"
    assert "3 polls in a row failed" in event["message"]
    assert event["pending"] == [task_hash]


def test_trigger_without_a_connection_ends_with_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIRFLOW_CONN_SNOVIO_MISSING", raising=False)
    (event,) = run_trigger(
        SnovioTaskTrigger([HASH], "get_prospects_result", snovio_conn_id="snovio_missing", deadline=time.time() + SOON)
    )
    assert event["status"] == "error" and "snovio_missing" in event["message"]


def test_verification_trigger_waits_for_final_statuses(sandbox: SandboxServer) -> None:
    sandbox.configure(greylisted_share=0.5)
    emails = [f"{n}@octagon.com" for n in ("gavin.vanrooyen", "lizi.hamer", "ben.gillespie", "info", "sales")]
    SnovioHook().add_emails_to_verification(emails)
    (event,) = run_trigger(
        SnovioEmailVerificationTrigger(
            emails, deadline=time.time() + SOON, poll_interval=0.01, greylisted_poll_interval=0.01
        )
    )
    assert event["status"] == "success"
    assert list(event["results"]) == emails
    # compact verdicts, not whole answers (the event is stored in the metadata DB)
    assert all(
        set(verdict) == {"smtp_status", "is_valid_format", "is_disposable", "is_webmail", "is_gibberish", "is_catchall"}
        for verdict in event["results"].values()
    )
    assert all(verdict["smtp_status"] != "greylisted" for verdict in event["results"].values())


def test_verification_trigger_never_queues_an_unverified_address(sandbox: SandboxServer) -> None:
    (event,) = run_trigger(
        SnovioEmailVerificationTrigger(["nobody.queued@octagon.com"], deadline=time.time() + 0.2, poll_interval=0.05)
    )
    assert event["status"] == "timeout"
    assert event["states"] == {"nobody.queued@octagon.com": "not_verified"}
    stats = sandbox.stats()
    assert stats["credits_spent"] == 0
    assert "POST /v1/add-emails-to-verification" not in stats["requests"]


def test_finder_trigger_waits_for_queued_names(sandbox: SandboxServer) -> None:
    person = {"first_name": "John", "last_name": "Doe", "domain": "yourdomain.com"}
    SnovioHook().add_names_to_find_emails(**person)
    (event,) = run_trigger(SnovioEmailFinderTrigger([person], deadline=time.time() + SOON, poll_interval=0.01))
    assert event["status"] == "success"
    (result,) = event["results"]
    assert result["person"] == person
    assert result["emails"] == [{"email": "john.doe@yourdomain.com", "status": result["emails"][0]["status"]}]
    assert "answer" not in result  # the e-mails found, not the whole answer


def test_campaign_progress_trigger_success_and_timeout(sandbox: SandboxServer) -> None:
    active = _campaigns("Active")[0]
    (done,) = run_trigger(SnovioCampaignProgressTrigger(active, min_progress=50, deadline=time.time() + SOON))
    assert done["status"] == "success" and done["progress"]["status"] == "Active"
    (waiting,) = run_trigger(SnovioCampaignProgressTrigger(active, deadline=time.time() + 0.2, poll_interval=0.05))
    assert waiting["status"] == "timeout" and waiting["last"]["progress"] != "100%"
    completed = _campaigns("Completed")[0]
    (finished,) = run_trigger(SnovioCampaignProgressTrigger(completed, deadline=time.time() + SOON))
    assert finished["status"] == "success"
    (paused,) = run_trigger(
        SnovioCampaignProgressTrigger(_campaigns("Paused")[0], target_status="paused", deadline=time.time() + SOON)
    )
    assert paused["status"] == "success"

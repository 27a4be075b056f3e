"""SnovioProfileEnrichmentOperator(deferrable=True) and SnovioProfileUrlTrigger against the sandbox over HTTP.

The sandbox answers #15 for a URL as soon as it was queued with #14. A URL "still being searched" is
therefore one whose queueing the task recorded but the sandbox has not seen yet (the tests queue it
themselves, at the moment the search "finishes"), or a URL of nobody the sandbox knows (never found).
"""

from __future__ import annotations

import asyncio
import importlib
import json
import logging
import time
from datetime import timedelta
from typing import Any

import pytest
from airflow.sdk.exceptions import TaskDeferred

from airflow_provider_snovio.api.catalogue import ENDPOINTS
from airflow_provider_snovio.api.errors import SnovioError, SnovioOutOfCreditsError, SnovioValidationError
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.operators import SnovioProfileEnrichmentOperator
from airflow_provider_snovio.operators.state import TaskProgress
from airflow_provider_snovio.sandbox.testing import SandboxServer
from airflow_provider_snovio.triggers import SnovioProfileUrlTrigger
from airflow_provider_snovio.triggers.events import SnovioTriggerEventError
from airflow_provider_snovio.triggers.pollers import check_poll_method
from tests.airflow.conftest import MemoryTaskStateStore, run_trigger, run_with_triggers

GAVIN = "gavin.vanrooyen@octagon.com"
JOHN_URL = "https://www.linkedin.com/in/john-doe-123456"
UNKNOWN_URL = "https://www.linkedin.com/in/no-such-person-000000"
BY_EMAIL = "POST /v1/get-profile-by-email"
ADD_URL, GET_URL = "POST /v1/add-url-for-search", "POST /v1/get-emails-from-url"
FAST = {"poll_interval": 0.02, "timeout": 5.0}


def _op(**kwargs: Any) -> SnovioProfileEnrichmentOperator:
    return SnovioProfileEnrichmentOperator(task_id="enrich", **{**FAST, "deferrable": True, **kwargs})


def _requests(sandbox: SandboxServer, route: str) -> int:
    return sandbox.stats()["requests"].get(route, 0)


def _credits(sandbox: SandboxServer) -> float:
    return sandbox.stats()["credits_spent"]


def _deferred(op: SnovioProfileEnrichmentOperator, context: dict[str, Any]) -> TaskDeferred:
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    return deferred.value


def _still_searching(context: dict[str, Any], url: str) -> None:
    """An earlier try queued ``url`` (recorded in the task's store) and Snov.io has not found it yet."""
    TaskProgress(context, "enrichment", logging.getLogger(__name__)).set(f"url:{url}", {"queued": True})


# --- deferral ---------------------------------------------------------------------------------------


def test_defers_to_a_url_trigger_for_the_urls_still_pending(sandbox: SandboxServer, context) -> None:
    before = time.time()
    deferred = _deferred(_op(emails=[GAVIN], profile_urls=[JOHN_URL, UNKNOWN_URL]), context)
    trigger = deferred.trigger
    assert isinstance(trigger, SnovioProfileUrlTrigger)
    assert trigger.poller.urls == [UNKNOWN_URL]  # John was found by the check on the worker
    assert trigger.poll_interval == FAST["poll_interval"]
    assert before + FAST["timeout"] <= trigger.deadline <= time.time() + FAST["timeout"]
    assert deferred.method_name == "execute_complete"
    assert deferred.timeout is not None and deferred.timeout > timedelta(seconds=FAST["timeout"])
    kwargs = json.loads(json.dumps(deferred.kwargs))  # JSON only
    # No profile in the kwargs (the metadata DB stores them): the credits spent and the URLs found only.
    assert kwargs == {"paid_calls": 3, "found_urls": [JOHN_URL]}
    # Everything paid happened before deferring, once: Gavin's profile and both URLs queued.
    assert (_credits(sandbox), _requests(sandbox, ADD_URL), _requests(sandbox, BY_EMAIL)) == (3, 2, 1)
    assert _requests(sandbox, GET_URL) == 4  # each URL: the free look-up, then the check once


def test_no_deferral_when_the_check_on_the_worker_finds_every_url(sandbox: SandboxServer, context) -> None:
    result = _op(profile_urls=[JOHN_URL]).execute(context)  # the sandbox finds a queued URL at once
    assert result["profile_urls"][JOHN_URL]["name"] == "John Doe" and result["paid_calls"] == 1
    assert (_requests(sandbox, ADD_URL), _requests(sandbox, GET_URL)) == (1, 2)


def test_emails_only_never_defer(sandbox: SandboxServer, context) -> None:
    result = _op(emails=[GAVIN]).execute(context)
    assert result["emails"][GAVIN]["found"] is True and result["profile_urls"] == {}


def test_deferrable_defaults_to_airflow_config(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "True")
    assert SnovioProfileEnrichmentOperator(task_id="e", emails=[GAVIN]).deferrable is True
    monkeypatch.setenv("AIRFLOW__OPERATORS__DEFAULT_DEFERRABLE", "False")
    assert SnovioProfileEnrichmentOperator(task_id="e", emails=[GAVIN]).deferrable is False
    assert SnovioProfileEnrichmentOperator(task_id="e", emails=[GAVIN], deferrable=True).deferrable is True


# --- the trigger --------------------------------------------------------------------------------


def test_trigger_serialize_round_trips_through_json() -> None:
    trigger = SnovioProfileUrlTrigger(
        [JOHN_URL, UNKNOWN_URL], snovio_conn_id="snovio_x", deadline=1e9, poll_interval=2.5, max_consecutive_failures=4
    )
    classpath, kwargs = trigger.serialize()
    assert classpath == "airflow_provider_snovio.triggers.snovio.SnovioProfileUrlTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert kwargs == {
        "urls": [JOHN_URL, UNKNOWN_URL],
        "snovio_conn_id": "snovio_x",
        "deadline": 1e9,
        "poll_interval": 2.5,
        "max_consecutive_failures": 4,
    }
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module), name)(**json.loads(json.dumps(kwargs)))
    assert rebuilt.serialize() == (classpath, kwargs)


def test_trigger_polls_only_the_free_url_read_and_validates_urls() -> None:
    assert check_poll_method("get_emails_from_url") is ENDPOINTS.get_emails_from_url  # a stored name -> its row
    assert check_poll_method(ENDPOINTS.get_emails_from_url) is ENDPOINTS.get_emails_from_url
    with pytest.raises(SnovioValidationError, match="result_method"):
        check_poll_method("add_url_for_search")  # queueing costs a credit: never a waiter's call
    with pytest.raises(SnovioValidationError, match=r"urls\[1\]"):
        SnovioProfileUrlTrigger([JOHN_URL, "linkedin.com/in/john"], deadline=1e9)
    with pytest.raises(SnovioValidationError, match="urls"):
        SnovioProfileUrlTrigger([], deadline=1e9)


def test_trigger_succeeds_once_the_queued_url_is_found(sandbox: SandboxServer) -> None:
    classpath, kwargs = SnovioProfileUrlTrigger([JOHN_URL], deadline=time.time() + 30, poll_interval=0.02).serialize()
    module, _, name = classpath.rpartition(".")
    trigger = getattr(importlib.import_module(module), name)(**json.loads(json.dumps(kwargs)))

    async def scenario() -> list[dict[str, Any]]:
        async def search_finishes_later() -> None:
            # the search is queued only once the trigger has asked twice ("not found" both times), however
            # slowly the machine starts the trigger
            deadline = time.monotonic() + 20
            while await asyncio.to_thread(_requests, sandbox, GET_URL) < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            await asyncio.to_thread(SnovioHook().add_url_for_search, JOHN_URL)

        finishing = asyncio.create_task(search_finishes_later())
        events = [e.payload async for e in trigger.run()]
        await finishing
        return events

    (event,) = asyncio.run(scenario())
    assert event["status"] == "success"
    assert event["found"] == [JOHN_URL] and "results" not in event  # URLs only: no profile in the event
    assert "John Doe" not in json.dumps(event)
    assert _requests(sandbox, GET_URL) >= 3  # "not found" while searching, then the prospect
    assert _credits(sandbox) == 1 and _requests(sandbox, ADD_URL) == 1  # only the test's own queueing paid


def test_trigger_times_out_keeping_what_it_found(sandbox: SandboxServer) -> None:
    SnovioHook().add_url_for_search(JOHN_URL)
    started = time.monotonic()
    (event,) = run_trigger(
        SnovioProfileUrlTrigger([JOHN_URL, UNKNOWN_URL], deadline=time.time() + 0.3, poll_interval=0.05)
    )
    assert time.monotonic() - started < 3
    assert event["status"] == "timeout"
    assert event["pending"] == [UNKNOWN_URL] and event["found"] == [JOHN_URL] and "results" not in event
    # John is read once; the unknown URL again every poll, with sleeps between (no busy loop)
    assert 1 + 2 <= _requests(sandbox, GET_URL) <= 1 + 0.3 / 0.05 + 2
    assert _credits(sandbox) == 1


# --- execute_complete --------------------------------------------------------------------------


def test_execute_complete_with_a_success_event_from_the_trigger(sandbox: SandboxServer, context, store) -> None:
    _still_searching(context, JOHN_URL)
    deferred = _deferred(_op(emails=[GAVIN], profile_urls=[JOHN_URL]), context)
    assert deferred.trigger.poller.urls == [JOHN_URL] and _requests(sandbox, ADD_URL) == 0  # not queued again
    SnovioHook().add_url_for_search(JOHN_URL)  # Snov.io's search finishes
    (event,) = run_trigger(deferred.trigger)
    op = _op(emails=[GAVIN], profile_urls=[JOHN_URL])  # a fresh worker resumes
    result = op.execute_complete(context, event=event, **deferred.kwargs)
    assert (result["found"], result["not_found"], result["paid_calls"]) == (2, 0, 1)
    assert result["profile_urls"][JOHN_URL]["name"] == "John Doe"
    assert result["profile_urls"][JOHN_URL]["emails"] == ["johndoe@octagon.com"]
    assert result["emails"][GAVIN]["company"] == "Octagon"

    reads = _requests(sandbox, GET_URL)
    rerun = _op(emails=[GAVIN], profile_urls=[JOHN_URL]).execute(context)  # recorded: no read, no deferral
    assert rerun["profile_urls"] == result["profile_urls"] and rerun["paid_calls"] == 0
    assert _requests(sandbox, GET_URL) == reads and _requests(sandbox, BY_EMAIL) == 1


def test_execute_complete_after_a_timeout_returns_the_same_xcom_as_the_worker(sandbox: SandboxServer, tmp_path) -> None:
    inputs = {"emails": [GAVIN], "profile_urls": [JOHN_URL, UNKNOWN_URL], "timeout": 0.2}
    on_worker = _op(deferrable=False, output_path=f"file://{tmp_path / 'worker.jsonl'}", **inputs).execute({})
    sandbox.reset()
    deferring = _op(output_path=f"file://{tmp_path / 'deferred.jsonl'}", **inputs)
    deferred = run_with_triggers(deferring, {"task_state_store": MemoryTaskStateStore()})
    assert deferred["profile_urls"][UNKNOWN_URL] == {"found": False}  # a timeout is "not found", not a failure
    assert {k: v for k, v in deferred.items() if k != "output_path"} == {
        k: v for k, v in on_worker.items() if k != "output_path"
    }
    assert (tmp_path / "deferred.jsonl").read_text() == (tmp_path / "worker.jsonl").read_text()


def test_execute_complete_with_an_error_event_raises(sandbox: SandboxServer, context, store) -> None:
    deferred = _deferred(_op(profile_urls=[UNKNOWN_URL]), context)
    missing = SnovioProfileUrlTrigger([UNKNOWN_URL], snovio_conn_id="snovio_missing", deadline=time.time() + 30)
    (event,) = run_trigger(missing)
    assert event["status"] == "error"
    with pytest.raises(SnovioError, match="snovio_missing"):
        _op(profile_urls=[UNKNOWN_URL]).execute_complete(context, event=event, **deferred.kwargs)
    with pytest.raises(SnovioOutOfCreditsError, match="waiting for profile URLs failed"):
        _op(profile_urls=[UNKNOWN_URL]).execute_complete(
            context,
            event={"status": "error", "message": "no credits", "error_type": "SnovioOutOfCreditsError"},
            **deferred.kwargs,
        )
    # The queued URL stays recorded: the retry does not queue (pay for) it again.
    _deferred(_op(profile_urls=[UNKNOWN_URL]), context)
    assert (_requests(sandbox, ADD_URL), _credits(sandbox)) == (1, 1)


@pytest.mark.parametrize("event", [None, {"status": "done"}, "success"])
def test_execute_complete_with_a_missing_or_malformed_event_raises(event: Any) -> None:
    with pytest.raises(SnovioTriggerEventError):
        _op(profile_urls=[UNKNOWN_URL]).execute_complete(
            {}, event=event, emails={}, profile_urls={UNKNOWN_URL: None}, paid_calls=1
        )


# --- retries ---------------------------------------------------------------------------------------


def test_a_retried_deferrable_run_spends_no_extra_credits(sandbox: SandboxServer, context, store) -> None:
    inputs = {"emails": [GAVIN], "profile_urls": [JOHN_URL, UNKNOWN_URL], "timeout": 0.2}
    _deferred(_op(**inputs), context)  # the first try defers, then its trigger (or triggerer) is lost
    paid = (_credits(sandbox), _requests(sandbox, ADD_URL), _requests(sandbox, BY_EMAIL))
    assert paid == (3, 2, 1)

    retry = run_with_triggers(_op(**inputs), context)  # the retry defers again and resumes after a timeout
    assert retry["paid_calls"] == 0 and retry["found"] == 2 and retry["profile_urls"][UNKNOWN_URL]["found"] is False
    assert (_credits(sandbox), _requests(sandbox, ADD_URL), _requests(sandbox, BY_EMAIL)) == paid

    rerun = run_with_triggers(_op(**inputs), context)
    assert rerun["emails"] == retry["emails"] and rerun["profile_urls"] == retry["profile_urls"]
    assert (_credits(sandbox), _requests(sandbox, ADD_URL), _requests(sandbox, BY_EMAIL)) == paid

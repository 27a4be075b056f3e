"""Trigger events and deferral kwargs hold no result body and no personal data (issue 13, item 11).

Airflow stores both in its metadata DB (``trigger.kwargs``, ``task_instance.next_kwargs`` and the event).
The v2 task trigger's events carry task hashes and counts only, the profile-URL trigger's only URLs and
counts; the operators read the results back on the worker (free reads) and return the same XCom as a
run that never deferred. Real HTTP to the sandbox; triggers run after a JSON round trip, as the
triggerer runs them.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import re
from typing import Any

import pytest
from airflow.sdk.exceptions import TaskDeferred

from airflow_provider_snovio.operators import (
    SnovioDomainSearchOperator,
    SnovioEmailFinderOperator,
    SnovioEmailVerificationOperator,
    SnovioProfileEnrichmentOperator,
    SnovioProspectEmailsOperator,
)
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.airflow.conftest import FAST, MemoryTaskStateStore

EMAILS = ["gavin.vanrooyen@octagon.com", "john.doe@yourdomain.com", "nobody.known@yourdomain.com"]
PEOPLE = [
    {"first_name": "Gavin", "last_name": "Vanrooyen", "domain": "octagon.com"},
    {"first_name": "John", "last_name": "Doe", "domain": "yourdomain.com"},
]
GAVIN = "gavin.vanrooyen@octagon.com"
JOHN_URL = "https://www.linkedin.com/in/john-doe-123456"
UNKNOWN_URL = "https://www.linkedin.com/in/no-such-person-000000"
#: Tasks stay pending for a few polls, so every deferrable run below really defers.
PENDING_A_WHILE = {"task_polls_pending": 3}
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


class Recorded:
    """What a deferrable run put into the metadata DB: each trigger's serialized kwargs, each event and
    each deferral's kwargs."""

    def __init__(self) -> None:
        self.trigger_kwargs: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.next_kwargs: list[dict[str, Any]] = []

    def stored(self) -> str:
        return json.dumps([self.trigger_kwargs, self.events, self.next_kwargs])


def run_recording(operator: Any, context: dict[str, Any], recorded: Recorded) -> Any:
    """``run_with_triggers`` (tests.airflow.conftest) that keeps everything the metadata DB would store; the
    trigger keeps running after its event is taken, so its final ``serialize()`` is recorded too."""
    method, kwargs = operator.execute, {}
    for _ in range(20):
        try:
            return method(context, **kwargs)
        except TaskDeferred as deferred:
            classpath, trigger_kwargs = deferred.trigger.serialize()
            module, _, name = classpath.rpartition(".")
            rebuilt = getattr(importlib.import_module(module), name)(**json.loads(json.dumps(trigger_kwargs)))

            async def collect(trigger: Any = rebuilt) -> list[dict[str, Any]]:
                return [event.payload async for event in trigger.run()]

            events = asyncio.run(collect())
            assert len(events) == 1, events
            recorded.trigger_kwargs += [trigger_kwargs, rebuilt.serialize()[1]]  # before and after polling
            recorded.events.append(json.loads(json.dumps(events[0])))
            recorded.next_kwargs.append(json.loads(json.dumps(deferred.kwargs or {})))
            method = getattr(operator, deferred.method_name)
            kwargs = {"event": events[0], **(deferred.kwargs or {})}
    raise AssertionError("too many deferrals")


def _without_hashes(value: Any) -> Any:
    """``value`` without the task hashes (each run starts new tasks; everything else must be equal)."""
    if isinstance(value, dict):
        return {k: _without_hashes(v) for k, v in value.items() if k not in ("task_hashes", "task_hash")}
    if isinstance(value, list):
        return [_without_hashes(v) for v in value]
    return value


def _result_reads(sandbox: SandboxServer) -> int:
    return sum(
        n for route, n in sandbox.stats()["requests"].items() if route.startswith("GET /v2/") and "result" in route
    )


def _v2_cases(sandbox: SandboxServer) -> dict[str, Any]:
    search = SnovioDomainSearchOperator(
        task_id="ds", domain="octagon.com", include=["prospects"], max_pages=1, deferrable=False, **FAST
    ).execute({})
    hashes = search["prospect_hashes"][:2]
    return {
        "domain_search": lambda d: SnovioDomainSearchOperator(
            task_id="ds",
            domain="octagon.com",
            include=["company", "prospects", "emails"],
            max_pages=1,
            deferrable=d,
            **FAST,
        ),
        "prospect_emails": lambda d: SnovioProspectEmailsOperator(
            task_id="pe", prospect_hashes=hashes, deferrable=d, **FAST
        ),
        "v2_verification": lambda d: SnovioEmailVerificationOperator(
            task_id="v", emails=EMAILS, api_version="v2", deferrable=d, **FAST
        ),
        "v2_finder": lambda d: SnovioEmailFinderOperator(
            task_id="f", people=PEOPLE, api_version="v2", deferrable=d, **FAST
        ),
    }


@pytest.mark.parametrize("family", ["domain_search", "prospect_emails", "v2_verification", "v2_finder"])
def test_v2_events_and_kwargs_hold_no_result_body_and_the_xcom_is_unchanged(
    sandbox: SandboxServer, family: str
) -> None:
    make = _v2_cases(sandbox)[family]
    sandbox.configure(**PENDING_A_WHILE)
    sandbox.reset()
    on_worker = make(False).execute({"task_state_store": MemoryTaskStateStore()})
    found_on_worker = set(EMAIL_RE.findall(json.dumps(on_worker)))
    assert found_on_worker  # the XCom does hold personal data: the check below can fail

    sandbox.reset()
    recorded = Recorded()
    deferred_xcom = run_recording(make(True), {"task_state_store": MemoryTaskStateStore()}, recorded)
    assert _without_hashes(deferred_xcom) == _without_hashes(on_worker)  # results read back on the worker
    assert recorded.events and all(e["status"] == "success" for e in recorded.events)
    stored = recorded.stored()
    assert EMAIL_RE.findall(stored) == [] or set(EMAIL_RE.findall(stored)) <= set(EMAILS)  # inputs only
    assert not set(EMAIL_RE.findall(stored)) & (found_on_worker - set(EMAILS))  # nothing Snov.io found
    for event in recorded.events:
        assert "results" not in event
        assert set(event["completed"]) == set(event["task_hashes"])
        assert event["counts"] == {"completed": len(event["task_hashes"])}
    for kwargs in recorded.trigger_kwargs:
        assert set(kwargs) == {
            "task_hashes",
            "result_method",
            "max_requests_per_round",
            "snovio_conn_id",
            "deadline",
            "poll_interval",
            "max_consecutive_failures",
        }


def test_each_completed_hash_is_read_back_once_on_the_worker(sandbox: SandboxServer) -> None:
    """execute_complete reads every hash the event reports completed with one free GET, and no more."""
    sandbox.configure(**PENDING_A_WHILE)
    sandbox.reset()
    op = SnovioEmailVerificationOperator(task_id="v", emails=EMAILS, api_version="v2", deferrable=True, **FAST)
    context = {"task_state_store": MemoryTaskStateStore()}
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    classpath, kwargs = deferred.value.trigger.serialize()
    module, _, name = classpath.rpartition(".")
    trigger = getattr(importlib.import_module(module), name)(**kwargs)

    async def collect() -> list[dict[str, Any]]:
        return [e.payload async for e in trigger.run()]

    (event,) = asyncio.run(collect())
    credits = sandbox.stats()["credits_spent"]
    reads = _result_reads(sandbox)
    xcom = op.execute_complete(context, event=event, **deferred.value.kwargs)
    assert _result_reads(sandbox) - reads == len(event["completed"]) >= 1
    assert sandbox.stats()["credits_spent"] == credits  # reading back is free
    assert sorted(xcom["results"]) == sorted(EMAILS)


def test_enrichment_events_and_kwargs_hold_no_profile_and_the_xcom_is_unchanged(sandbox: SandboxServer) -> None:
    inputs = {"emails": [GAVIN], "profile_urls": [JOHN_URL, UNKNOWN_URL], "poll_interval": 0.02, "timeout": 0.3}
    on_worker = SnovioProfileEnrichmentOperator(task_id="e", deferrable=False, **inputs).execute({})
    assert on_worker["emails"][GAVIN]["name"] == "Gavin Vanrooyen"
    assert on_worker["profile_urls"][JOHN_URL]["name"] == "John Doe"

    sandbox.reset()
    recorded = Recorded()
    deferred_xcom = run_recording(
        SnovioProfileEnrichmentOperator(task_id="e", deferrable=True, **inputs),
        {"task_state_store": MemoryTaskStateStore()},
        recorded,
    )
    assert deferred_xcom == on_worker
    assert recorded.events and recorded.next_kwargs
    stored = recorded.stored()
    for personal in ("Gavin", "Vanrooyen", "John Doe", "johndoe@octagon.com", "Octagon", GAVIN):
        assert personal not in stored, personal
    (event,) = recorded.events
    assert event["status"] == "timeout" and event["pending"] == [UNKNOWN_URL] and "results" not in event
    assert recorded.next_kwargs == [{"paid_calls": 3, "found_urls": [JOHN_URL]}]


def test_enrichment_trigger_found_url_is_read_back_free(sandbox: SandboxServer) -> None:
    """A URL the trigger found is named in the event; the worker reads its prospect again (#15, free)."""
    import logging

    from airflow_provider_snovio.hooks.snovio import SnovioHook
    from airflow_provider_snovio.operators.state import TaskProgress

    context = {"task_state_store": MemoryTaskStateStore()}
    TaskProgress(context, "enrichment", logging.getLogger(__name__)).set(f"url:{JOHN_URL}", {"queued": True})
    op = SnovioProfileEnrichmentOperator(
        task_id="e", profile_urls=[JOHN_URL], deferrable=True, poll_interval=0.02, timeout=5.0
    )
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    SnovioHook().add_url_for_search(JOHN_URL)  # Snov.io's search finishes
    classpath, kwargs = deferred.value.trigger.serialize()
    module, _, name = classpath.rpartition(".")
    trigger = getattr(importlib.import_module(module), name)(**kwargs)

    async def collect() -> list[dict[str, Any]]:
        return [e.payload async for e in trigger.run()]

    (event,) = asyncio.run(collect())
    assert event["status"] == "success" and event["found"] == [JOHN_URL] and event["counts"] == {"found": 1}
    assert "John" not in json.dumps(event) and trigger.serialize()[1]["urls"] == [JOHN_URL]
    reads = sandbox.stats()["requests"]["POST /v1/get-emails-from-url"]
    credits = sandbox.stats()["credits_spent"]
    xcom = op.execute_complete(context, event=event, **deferred.value.kwargs)
    assert xcom["profile_urls"][JOHN_URL]["name"] == "John Doe"
    assert sandbox.stats()["requests"]["POST /v1/get-emails-from-url"] == reads + 1
    assert sandbox.stats()["credits_spent"] == credits


def test_a_hash_that_expires_between_the_event_and_the_read_back_is_restarted_once(sandbox: SandboxServer) -> None:
    """The event names a completed hash; by the time the worker reads it back Snov.io forgot it (404). The
    read-back leaves it out and the operator's own expiry handling starts it again once (paid once more),
    instead of failing with the 404."""
    import time

    sandbox.configure(task_polls_pending=1, task_hash_ttl_seconds=0.5)
    sandbox.reset()
    op = SnovioEmailVerificationOperator(
        task_id="v", emails=EMAILS[:1], api_version="v2", deferrable=True, poll_interval=0.01, timeout=10.0
    )
    context = {"task_state_store": MemoryTaskStateStore()}
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    classpath, kwargs = deferred.value.trigger.serialize()
    module, _, name = classpath.rpartition(".")
    trigger = getattr(importlib.import_module(module), name)(**kwargs)

    async def collect() -> list[dict[str, Any]]:
        return [e.payload async for e in trigger.run()]

    (event,) = asyncio.run(collect())
    assert event["status"] == "success"
    starts = sandbox.stats()["requests"]["POST /v2/email-verification/start"]
    time.sleep(0.7)  # the result expires before the worker resumes
    with pytest.raises(TaskDeferred):  # started again once, then waiting for it in the triggerer again
        op.execute_complete(context, event=event, **deferred.value.kwargs)
    assert sandbox.stats()["requests"]["POST /v2/email-verification/start"] == starts + 1

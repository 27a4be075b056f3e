"""The 2026 paid families' operators with deferrable=True (#42-#51): they wait in SnovioTaskTrigger, resume in a
fresh operator object (as Airflow runs ``execute_complete``), return the XCom a run on the worker returns,
keep no result in what the metadata DB stores, and never pay twice (a retry after success, an expired hash
while the trigger waited). Real HTTP to the sandbox; each trigger runs after a JSON round trip of its kwargs.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import re
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

import pytest
from airflow.sdk.exceptions import TaskDeferred

from airflow_provider_snovio.api.errors import SnovioTaskExpiredError
from airflow_provider_snovio.operators import (
    SnovioCompanyDomainOperator,
    SnovioDatabaseProspectEmailsOperator,
    SnovioDatabaseSearchOperator,
    SnovioLinkedInProfilesOperator,
)
from airflow_provider_snovio.sandbox.testing import SandboxServer
from airflow_provider_snovio.triggers import SnovioTaskTrigger
from tests.airflow.conftest import FAST, MemoryTaskStateStore

OCTAGON = {"company": {"name": {"include": ["octagon"]}}}
ENGINEERS = {"prospect": {"departments": {"include": ["engineering"]}}}
INTERNET = {"company": {"industries": {"include": ["internet"]}}}
EMILY = "https://www.linkedin.com/in/emily-nguyen-62cef2/"
UNKNOWN_URL = "https://www.linkedin.com/in/no-such-person-000000"
#: Tasks stay pending for a few polls, so the check on the worker finds them pending and the task defers.
PENDING_A_WHILE = {"task_polls_pending": 3}
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")
STARTS = (
    "POST /v2/company-domain-by-name/start",
    "POST /v2/li-profiles-by-urls/start",
    "POST /v2/database-search/prospects/start",
    "POST /v2/database-search/companies/start",
    "POST /v2/database-search/prospects/search-emails/start/{reveal_hash}",
)


def _reveal_hashes(sandbox: SandboxServer) -> list[str]:
    search = SnovioDatabaseSearchOperator(task_id="db", filters=OCTAGON, deferrable=False, **FAST).execute({})
    sandbox.reset()
    return search["reveal_hashes"][:3]


def _cases(sandbox: SandboxServer) -> dict[str, tuple[Callable[[bool], Any], str]]:
    """family -> (make(deferrable), the result row its trigger polls)."""
    hashes = _reveal_hashes(sandbox)
    return {
        "company_domain": (
            lambda d: SnovioCompanyDomainOperator(
                task_id="cd", names=["Octagon", "Bluelabs", "Nobody Inc"], deferrable=d, **FAST
            ),
            "get_company_domain_by_name_result",
        ),
        "li_profiles": (
            lambda d: SnovioLinkedInProfilesOperator(task_id="li", urls=[EMILY, UNKNOWN_URL], deferrable=d, **FAST),
            "get_li_profiles_by_urls_result",
        ),
        "prospects_revealed": (
            lambda d: SnovioDatabaseSearchOperator(
                task_id="db", filters=OCTAGON, reveal_emails=True, deferrable=d, **FAST
            ),
            "get_database_prospects_result",
        ),
        "prospects_paged": (
            lambda d: SnovioDatabaseSearchOperator(task_id="db", filters=ENGINEERS, deferrable=d, **FAST),
            "get_database_prospects_result",
        ),
        "companies": (
            lambda d: SnovioDatabaseSearchOperator(
                task_id="db", search="companies", filters=INTERNET, deferrable=d, **FAST
            ),
            "get_database_companies_result",
        ),
        "reveal": (
            lambda d: SnovioDatabaseProspectEmailsOperator(task_id="rv", reveal_hashes=hashes, deferrable=d, **FAST),
            "get_database_prospect_email_result",
        ),
    }


def run_resuming_fresh(make: Callable[[], Any], context: dict[str, Any], stored: list[Any]) -> tuple[Any, list[str]]:
    """Run like Airflow: every deferral's trigger runs (after a JSON round trip) to its one event, and the task
    resumes in a new operator object. Returns the XCom and the result rows the triggers polled; ``stored``
    gets everything the metadata DB would keep (trigger kwargs, events, deferral kwargs)."""
    method, kwargs, polled = make().execute, {}, []
    for _ in range(20):
        try:
            return method(context, **kwargs), polled
        except TaskDeferred as deferred:
            assert isinstance(deferred.trigger, SnovioTaskTrigger)
            classpath, trigger_kwargs = deferred.trigger.serialize()
            module, _, name = classpath.rpartition(".")
            rebuilt = getattr(importlib.import_module(module), name)(**json.loads(json.dumps(trigger_kwargs)))

            async def collect(trigger: Any = rebuilt) -> list[dict[str, Any]]:
                return [event.payload async for event in trigger.run()]

            (event,) = asyncio.run(collect())
            polled.append(trigger_kwargs["result_method"])
            stored += [trigger_kwargs, json.loads(json.dumps(event)), json.loads(json.dumps(deferred.kwargs or {}))]
            method = getattr(make(), deferred.method_name)  # the resume: a fresh object, as in Airflow
            kwargs = {"event": event, **(deferred.kwargs or {})}
    raise AssertionError("too many deferrals")


async def _events(trigger: Any) -> list[dict[str, Any]]:
    return [event.payload async for event in trigger.run()]


def _without_hashes(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_hashes(v) for k, v in value.items() if k != "task_hashes"}
    if isinstance(value, list):
        return [_without_hashes(v) for v in value]
    return value


def _starts(sandbox: SandboxServer) -> int:
    return sum(sandbox.stats()["requests"].get(route, 0) for route in STARTS)


@pytest.mark.parametrize(
    "family", ["company_domain", "li_profiles", "prospects_revealed", "prospects_paged", "companies", "reveal"]
)
def test_defers_resumes_fresh_returns_the_worker_xcom_and_a_retry_pays_nothing(
    sandbox: SandboxServer, family: str
) -> None:
    make, result_method = _cases(sandbox)[family]
    sandbox.configure(**PENDING_A_WHILE)
    on_worker = make(False).execute({"task_state_store": MemoryTaskStateStore()})
    worker_credits, worker_starts = sandbox.stats()["credits_spent"], _starts(sandbox)
    sandbox.reset()

    store = MemoryTaskStateStore()
    stored: list[Any] = []
    deferred_xcom, polled = run_resuming_fresh(lambda: make(True), {"task_state_store": store}, stored)
    assert result_method in polled  # it waited in the triggerer, on its family's result row
    assert _without_hashes(deferred_xcom) == _without_hashes(on_worker)
    assert (sandbox.stats()["credits_spent"], _starts(sandbox)) == (worker_credits, worker_starts)
    found = set(EMAIL_RE.findall(json.dumps(on_worker)))
    assert not found & set(EMAIL_RE.findall(json.dumps(stored)))  # no e-mail Snov.io found is in the DB
    for name in ("Emily Nguyen", "octagon.com", "bluelabs.io"):
        assert name not in json.dumps(stored), name

    retry, _ = run_resuming_fresh(lambda: make(True), {"task_state_store": store}, [])
    assert retry == deferred_xcom  # the same tasks read again: a retry (or cleared task) after success
    assert (sandbox.stats()["credits_spent"], _starts(sandbox)) == (worker_credits, worker_starts)


def test_a_free_account_deferred_search_returns_page_one(sandbox: SandboxServer) -> None:
    sandbox.configure(database_free_account=True, **PENDING_A_WHILE)
    xcom, polled = run_resuming_fresh(
        lambda: SnovioDatabaseSearchOperator(task_id="db", filters=ENGINEERS, deferrable=True, **FAST),
        {"task_state_store": MemoryTaskStateStore()},
        [],
    )
    assert polled and xcom["pages_read"] == 1 and xcom["page_refused"]["page"] == 2
    assert xcom["counts"]["rows"] == 50


@pytest.mark.parametrize(
    ("make", "start", "credits_per_start"),
    [
        (
            lambda: SnovioDatabaseSearchOperator(
                task_id="db", search="companies", filters=INTERNET, deferrable=True, poll_interval=0.4, timeout=10.0
            ),
            "POST /v2/database-search/companies/start",
            0,  # "1 per unique request": the restart is free
        ),
        (
            lambda: SnovioCompanyDomainOperator(
                task_id="cd", names=["Octagon"], deferrable=True, poll_interval=0.4, timeout=10.0
            ),
            "POST /v2/company-domain-by-name/start",
            1,  # "1 per domain found": the restart pays again, once
        ),
    ],
    ids=["companies", "company_domain"],
)
def test_a_hash_that_expires_while_the_trigger_waits_is_restarted_once_then_fails(
    sandbox: SandboxServer, make: Callable[[], Any], start: str, credits_per_start: int
) -> None:
    sandbox.configure(task_delay_seconds=0.2, task_polls_pending=0, task_hash_ttl_seconds=0.05)
    context = {"task_state_store": MemoryTaskStateStore(), "ti": SimpleNamespace(try_number=1)}
    with pytest.raises(SnovioTaskExpiredError):  # "once per try" holds by try_number across fresh objects
        run_resuming_fresh(make, context, [])
    assert sandbox.stats()["requests"][start] == 2  # started, then restarted once: no loop
    assert sandbox.stats()["credits_spent"] == 1 + credits_per_start


def test_the_hourly_quota_defers_until_it_frees_then_resumes_without_restarting_paid_work(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from airflow.providers.standard.triggers.temporal import DateTimeTrigger

    from tests.operators.test_enrichment_v2 import QuotaOnce

    hashes = _reveal_hashes(sandbox)
    QuotaOnce(monkeypatch, "start_database_prospect_email_search", 2, retry_after=120)

    def make() -> SnovioDatabaseProspectEmailsOperator:
        return SnovioDatabaseProspectEmailsOperator(task_id="rv", reveal_hashes=hashes, deferrable=True, **FAST)

    context = {"task_state_store": MemoryTaskStateStore(), "ti": SimpleNamespace(try_number=1)}
    with pytest.raises(TaskDeferred) as deferred:
        make().execute(context)
    assert isinstance(deferred.value.trigger, DateTimeTrigger) and deferred.value.method_name == "resume_after_quota"
    reveal_starts = "POST /v2/database-search/prospects/search-emails/start/{reveal_hash}"
    assert sandbox.stats()["requests"][reveal_starts] == 1  # the first reveal went through, the second was refused
    kwargs = json.loads(json.dumps(deferred.value.kwargs))
    try:  # the DateTimeTrigger fired: a fresh object resumes the job
        xcom = make().resume_after_quota(context, event=None, **kwargs)
    except TaskDeferred as waiting:  # then waits for the reveals in the triggerer
        assert isinstance(waiting.trigger, SnovioTaskTrigger)
        (event,) = asyncio.run(_events(waiting.trigger))
        xcom = make().execute_complete(context, event=event, **waiting.kwargs)
    assert list(xcom["emails"]) == hashes
    assert sandbox.stats()["requests"][reveal_starts] == 3  # the refused one and the third, the first not again
    assert sandbox.stats()["credits_spent"] == xcom["counts"]["with_email"]

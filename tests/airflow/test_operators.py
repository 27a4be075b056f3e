"""The async-family operators against the sandbox over real HTTP: results, deferral, resumption, credits."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.standard.triggers.temporal import DateTimeTrigger
from airflow.sdk.exceptions import TaskDeferred

from airflow_provider_snovio.api.errors import SnovioTaskTimeoutError, SnovioValidationError
from airflow_provider_snovio.operators import (
    SnovioDomainSearchOperator,
    SnovioEmailFinderOperator,
    SnovioEmailVerificationOperator,
    SnovioProspectEmailsOperator,
)
from airflow_provider_snovio.sandbox.testing import SandboxServer
from airflow_provider_snovio.triggers import SnovioEmailVerificationTrigger, SnovioTaskTrigger
from tests.airflow.conftest import FAST, MemoryTaskStateStore, run_trigger, run_with_triggers

OCTAGON_PEOPLE = [
    {"first_name": "Gavin", "last_name": "Vanrooyen", "domain": "octagon.com"},
    {"first_name": "John", "last_name": "Doe", "domain": "yourdomain.com"},
    {"first_name": "Nobody", "last_name": "Known", "domain": "yourdomain.com"},
]


def starts(stats: dict[str, Any]) -> dict[str, int]:
    """Requests that can cost credits (every POST but the token), by endpoint."""
    return {
        k: v
        for k, v in stats["requests"].items()
        if k.startswith("POST ") and "oauth" not in k and "status" not in k and "get-emails-from-names" not in k
    }


def emails_of(sandbox: SandboxServer, count: int) -> list[str]:
    op = SnovioDomainSearchOperator(task_id="ds", domain="octagon.com", include=["emails"], deferrable=False, **FAST)
    emails = op.execute({})["emails"][:count]
    sandbox.reset()
    return emails


# --- domain search ------------------------------------------------------------------------------


def test_domain_search_pages_every_tab(sandbox: SandboxServer, tmp_path: Path) -> None:
    out = tmp_path / "rows.jsonl"
    op = SnovioDomainSearchOperator(
        task_id="ds", domain="octagon.com", output_path=f"file://{out}", deferrable=False, **FAST
    )
    xcom = op.execute({})
    assert xcom["company"]["company_name"] == "Octagon"
    assert xcom["counts"] == {"prospects": 45, "emails": 108, "generic_contacts": 9}
    assert len(xcom["prospect_hashes"]) == 45 and len(set(xcom["emails"])) == 108
    assert len(xcom["task_hashes"]["prospects"]) == 3 and len(xcom["task_hashes"]["emails"]) == 3
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert xcom["output_path"].endswith("rows.jsonl") and len(lines) == 1 + 45 + 108 + 9
    assert {line["tab"] for line in lines} == {"company", "prospects", "emails", "generic_contacts"}
    assert sandbox.stats()["credits_spent"] == 1 + 3 + 3 + 1  # one per page


def test_domain_search_max_pages_and_positions(sandbox: SandboxServer) -> None:
    op = SnovioDomainSearchOperator(
        task_id="ds", domain="octagon.com", include=("prospects", "emails"), max_pages=1, deferrable=False, **FAST
    )
    xcom = op.execute({})
    assert xcom["counts"] == {"prospects": 20, "emails": 50} and xcom["company"] is None
    assert sandbox.stats()["credits_spent"] == 2


def test_domain_search_defers_and_resumes_through_triggers(sandbox: SandboxServer, context) -> None:
    op = SnovioDomainSearchOperator(task_id="ds", domain="octagon.com", deferrable=True, **FAST)
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    assert isinstance(deferred.value.trigger, SnovioTaskTrigger)
    assert deferred.value.method_name == "execute_complete"
    json.dumps(deferred.value.kwargs)  # the job travels as JSON
    sandbox.reset()
    fresh = SnovioDomainSearchOperator(task_id="ds", domain="octagon.com", deferrable=True, **FAST)
    xcom = run_with_triggers(fresh, {"task_state_store": MemoryTaskStateStore()})
    assert xcom["counts"] == {"prospects": 45, "emails": 108, "generic_contacts": 9}
    assert sandbox.stats()["credits_spent"] == 8


def test_retried_domain_search_starts_nothing_again(sandbox: SandboxServer, context, store) -> None:
    baseline = SnovioDomainSearchOperator(task_id="ds", domain="octagon.com", deferrable=False, **FAST).execute({})
    expected_starts, expected_credits = starts(sandbox.stats()), sandbox.stats()["credits_spent"]
    sandbox.reset()
    sandbox.configure(task_delay_seconds=0.5)
    first_try = SnovioDomainSearchOperator(
        task_id="ds", domain="octagon.com", deferrable=False, poll_interval=0.01, timeout=0.05
    )
    with pytest.raises(SnovioTaskTimeoutError) as timed_out:
        first_try.execute(context)
    assert timed_out.value.task_hash == store.values["snovio_job"]["tabs"]["company"]["pages"][0]["task_hash"]
    second_try = SnovioDomainSearchOperator(task_id="ds", domain="octagon.com", deferrable=False, **FAST)
    xcom = second_try.execute(context)  # the same task instance's store: resumes on the same task
    assert xcom["counts"] == baseline["counts"]
    assert starts(sandbox.stats()) == expected_starts
    assert sandbox.stats()["credits_spent"] == expected_credits
    third_try = SnovioDomainSearchOperator(task_id="ds", domain="octagon.com", deferrable=False, **FAST)
    assert third_try.execute(context)["counts"] == baseline["counts"]  # a rerun after success: still free
    assert starts(sandbox.stats()) == expected_starts


def test_changed_inputs_start_a_new_job(sandbox: SandboxServer, context) -> None:
    SnovioDomainSearchOperator(task_id="ds", domain="snov.io", include=["company"], deferrable=False, **FAST).execute(
        context
    )
    SnovioDomainSearchOperator(
        task_id="ds", domain="octagon.com", include=["company"], deferrable=False, **FAST
    ).execute(context)
    assert sandbox.stats()["requests"]["POST /v2/domain-search/start"] == 2


def test_prospect_emails(sandbox: SandboxServer, context) -> None:
    search = SnovioDomainSearchOperator(
        task_id="ds", domain="octagon.com", include=["prospects"], max_pages=1, deferrable=False, **FAST
    ).execute({})
    hashes = search["prospect_hashes"][:4]
    op = SnovioProspectEmailsOperator(task_id="pe", prospect_hashes=hashes, deferrable=True, **FAST)
    xcom = run_with_triggers(op, context)
    assert list(xcom["emails"]) == hashes
    assert xcom["counts"]["prospects"] == 4 and xcom["counts"]["emails"] >= 1
    assert "gavin.vanrooyen@octagon.com" in [e for found in xcom["emails"].values() for e in found]
    again = SnovioProspectEmailsOperator(task_id="pe", prospect_hashes=hashes, deferrable=False, **FAST)
    assert again.execute(context) == xcom
    assert sandbox.stats()["requests"]["POST /v2/domain-search/prospects/search-emails/start/{prospect_hash}"] == 4


# --- verification ---------------------------------------------------------------------------------


@pytest.mark.parametrize("deferrable", [False, True])
def test_v1_verification_of_more_than_ten_emails(sandbox: SandboxServer, context, deferrable: bool) -> None:
    emails = emails_of(sandbox, 23)
    sandbox.configure(greylisted_share=0.3)
    op = SnovioEmailVerificationOperator(
        task_id="v", emails=emails, deferrable=deferrable, greylisted_poll_interval=0.01, **FAST
    )
    xcom = run_with_triggers(op, context)
    assert list(xcom["results"]) == emails
    assert all(line["smtp_status"] in ("valid", "not_valid", "unknown") for line in xcom["results"].values())
    assert sum(xcom["counts"].values()) == 23 and xcom["queued"] == 23
    stats = sandbox.stats()
    assert stats["credits_spent"] == 23
    assert stats["requests"]["POST /v1/add-emails-to-verification"] == 3  # 10 + 10 + 3


def test_v1_verification_pays_only_for_unverified_emails(sandbox: SandboxServer) -> None:
    emails = emails_of(sandbox, 12)
    from airflow_provider_snovio.hooks.snovio import SnovioHook

    SnovioHook().add_emails_to_verification(emails[:5])  # verified (or in progress) elsewhere
    xcom = SnovioEmailVerificationOperator(
        task_id="v", emails=emails, deferrable=False, greylisted_poll_interval=0.01, **FAST
    ).execute({})
    assert xcom["queued"] == 7 and len(xcom["results"]) == 12
    assert sandbox.stats()["credits_spent"] == 5 + 7


def test_retried_verification_spends_no_extra_credits(sandbox: SandboxServer, context) -> None:
    emails = emails_of(sandbox, 14)
    sandbox.configure(task_delay_seconds=0.4, greylisted_share=0.0)
    first_try = SnovioEmailVerificationOperator(
        task_id="v", emails=emails, deferrable=False, poll_interval=0.01, timeout=0.05
    )
    with pytest.raises(SnovioTaskTimeoutError):
        first_try.execute(context)
    assert sandbox.stats()["credits_spent"] == 14
    retry = SnovioEmailVerificationOperator(task_id="v", emails=emails, deferrable=False, **FAST)
    assert len(retry.execute(context)["results"]) == 14
    rerun_without_store = SnovioEmailVerificationOperator(task_id="v", emails=emails, deferrable=False, **FAST)
    assert len(rerun_without_store.execute({})["results"]) == 14  # statuses read first: nothing to pay
    stats = sandbox.stats()
    assert stats["credits_spent"] == 14
    assert stats["requests"]["POST /v1/add-emails-to-verification"] == 2


def test_v1_verification_defers_on_the_hourly_quota_then_resumes(sandbox: SandboxServer, context) -> None:
    emails = emails_of(sandbox, 12)
    sandbox.configure(verifier_hourly_limit=5)
    op = SnovioEmailVerificationOperator(
        task_id="v",
        emails=emails,
        deferrable=True,  # False never defers
        greylisted_poll_interval=0.01,
        **FAST,
    )
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    assert isinstance(deferred.value.trigger, DateTimeTrigger)  # not sleeping in a worker slot
    assert deferred.value.method_name == "resume_after_quota"
    assert sandbox.stats()["credits_spent"] == 0
    sandbox.configure(verifier_hourly_limit=10_000)  # the hour has passed
    with pytest.raises(TaskDeferred) as waiting:  # resumed: queued, then waits in the triggerer
        op.resume_after_quota(context, event=None, **deferred.value.kwargs)
    [event] = run_trigger(waiting.value.trigger)
    xcom = op.execute_complete(context, event=event, **waiting.value.kwargs)
    assert len(xcom["results"]) == 12 and sandbox.stats()["credits_spent"] == 12


def test_v1_verification_defers_to_the_verification_trigger(sandbox: SandboxServer, context) -> None:
    emails = emails_of(sandbox, 3)
    op = SnovioEmailVerificationOperator(task_id="v", emails=emails, deferrable=True, **FAST)
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    assert isinstance(deferred.value.trigger, SnovioEmailVerificationTrigger)
    assert sandbox.stats()["credits_spent"] == 3


@pytest.mark.parametrize("deferrable", [False, True])
def test_v2_verification_in_chunks_of_ten(sandbox: SandboxServer, context, deferrable: bool) -> None:
    emails = emails_of(sandbox, 21)
    op = SnovioEmailVerificationOperator(task_id="v", emails=emails, api_version="v2", deferrable=deferrable, **FAST)
    xcom = run_with_triggers(op, context)
    assert list(xcom["results"]) == emails
    assert sandbox.stats()["requests"]["POST /v2/email-verification/start"] == 3
    again = SnovioEmailVerificationOperator(task_id="v", emails=emails, api_version="v2", deferrable=False, **FAST)
    assert again.execute(context)["results"] == xcom["results"]
    assert sandbox.stats()["credits_spent"] == 21  # the retry waited on the same three tasks


# --- finder -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("api_version", ["v1", "v2"])
@pytest.mark.parametrize("deferrable", [False, True])
def test_email_finder(sandbox: SandboxServer, context, api_version: str, deferrable: bool) -> None:
    op = SnovioEmailFinderOperator(
        task_id="f", people=OCTAGON_PEOPLE, api_version=api_version, deferrable=deferrable, **FAST
    )
    xcom = run_with_triggers(op, context)
    found = {p["last_name"]: [e["email"] for e in p["emails"]] for p in xcom["people"]}
    assert found == {"Vanrooyen": ["gavin.vanrooyen@octagon.com"], "Doe": ["john.doe@yourdomain.com"], "Known": []}
    spent = sandbox.stats()["credits_spent"]
    assert xcom["counts"] == {"people": 3, "found": 2, "emails": 2, "credits": spent}
    retry = SnovioEmailFinderOperator(
        task_id="f", people=OCTAGON_PEOPLE, api_version=api_version, deferrable=False, **FAST
    )
    assert retry.execute(context)["people"] == xcom["people"]
    assert sandbox.stats()["credits_spent"] == spent  # nothing queued or started twice


# --- bad input: refused before any request ----------------------------------------------------------

BAD = [
    (SnovioDomainSearchOperator, {"domain": "not a domain"}, "domain"),
    (SnovioDomainSearchOperator, {"domain": "octagon.com", "include": ["everything"]}, "include"),
    (SnovioDomainSearchOperator, {"domain": "octagon.com", "max_pages": 0}, "max_pages"),
    (SnovioDomainSearchOperator, {"domain": "octagon.com", "positions": ["x"] * 11}, "positions"),
    (SnovioProspectEmailsOperator, {"prospect_hashes": ["../admin"]}, "prospect_hashes[0]"),
    (SnovioProspectEmailsOperator, {"prospect_hashes": "abc"}, "prospect_hashes"),
    (SnovioEmailVerificationOperator, {"emails": ["ok@octagon.com", "broken"]}, "emails[1]"),
    (SnovioEmailVerificationOperator, {"emails": ["ok@octagon.com"], "api_version": "v3"}, "api_version"),
    (SnovioEmailVerificationOperator, {"emails": ["ok@octagon.com"], "poll_interval": 0}, "poll_interval"),
    (SnovioEmailFinderOperator, {"people": [{"first_name": "A", "last_name": "B"}]}, "people[0].domain"),
    (SnovioEmailFinderOperator, {"people": []}, "people"),
]


@pytest.mark.parametrize(("cls", "kwargs", "field"), BAD, ids=[f"{c.__name__}-{f}" for c, _, f in BAD])
def test_bad_input_is_refused_with_zero_requests(sandbox: SandboxServer, cls, kwargs, field) -> None:
    with pytest.raises(SnovioValidationError) as refused:
        cls(task_id="bad", **kwargs).execute({})
    assert refused.value.field == field
    assert sandbox.stats()["total_requests"] == 0


def test_templated_fields_cover_ids_lists_and_paths() -> None:
    assert {"snovio_conn_id", "output_path", "domain", "include", "positions"} <= set(
        SnovioDomainSearchOperator.template_fields
    )
    assert "prospect_hashes" in SnovioProspectEmailsOperator.template_fields
    assert {"emails", "snovio_conn_id", "output_path"} <= set(SnovioEmailVerificationOperator.template_fields)
    assert {"people", "snovio_conn_id", "output_path"} <= set(SnovioEmailFinderOperator.template_fields)

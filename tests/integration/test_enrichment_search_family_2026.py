"""Enrichment v2 (#42-#45) and database search v2 (#46-#51) through the hook and both clients, over real HTTP.

Start -> task_hash -> result polling with the sandbox answering "in progress" first; paging by ``page``;
the credits §1 documents, charged by the sandbox and counted here from its ledger; the documented errors;
and validation of every limit with zero requests sent (the sandbox's request counter does not move).
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from airflow_provider_snovio.api.async_client import AsyncSnovioClient
from airflow_provider_snovio.api.catalogue import DATABASE_PAGE_SIZE, ENDPOINTS
from airflow_provider_snovio.api.client import SnovioClient
from airflow_provider_snovio.api.errors import (
    SnovioApiError,
    SnovioNotFoundError,
    SnovioOutOfCreditsError,
    SnovioTransportError,
)
from airflow_provider_snovio.api.methods import reveal_hash_of
from airflow_provider_snovio.api.status import task_hash_of
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.sandbox.data.database import build_database
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.integration.conftest import FAST_POLL, FAST_RETRIES
from tests.integration.refusals import refusal

GAVIN = "https://www.linkedin.com/in/gavin-vanrooyen/"


def spent(sandbox: SandboxServer) -> float:
    return sandbox.stats()["credits_spent"]


def total_requests(sandbox: SandboxServer) -> int:
    return sum(sandbox.stats()["requests"].values())


def test_company_domain_by_name_polls_until_done_and_charges_per_domain_found(
    hook: SnovioHook, snovio_sandbox: SandboxServer
) -> None:
    snovio_sandbox.configure(task_polls_pending=2)
    started = hook.start_company_domain_by_name(["Octagon", "snov.io", "No Such Company Inc"])
    assert started["meta"]["names"] == ["Octagon", "snov.io", "No Such Company Inc"]
    task_hash = task_hash_of(started)
    assert hook.get_company_domain_by_name_result(task_hash)["status"] == "in_progress"
    done = hook.wait_for_task(ENDPOINTS.get_company_domain_by_name_result, task_hash, **FAST_POLL)
    assert done["status"] == "completed" and done["meta"] == {"names": started["meta"]["names"], "task_hash": task_hash}
    assert {item["name"]: item["result"] for item in done["data"]} == {
        "Octagon": {"domain": "octagon.com"},
        "snov.io": {"domain": "snov.io"},
        "No Such Company Inc": [],
    }
    assert spent(snovio_sandbox) == 2  # 1 per domain found; the result GETs are free
    assert snovio_sandbox.stats()["requests"]["GET /v2/company-domain-by-name/result"] >= 3


def test_enrichment_charges_per_start_unless_the_unique_reading_is_on(
    hook: SnovioHook, snovio_sandbox: SandboxServer
) -> None:
    hook.run_task(ENDPOINTS.start_company_domain_by_name, names=["Octagon"], **FAST_POLL)
    hook.run_task(ENDPOINTS.start_company_domain_by_name, names=["Octagon"], **FAST_POLL)
    assert spent(snovio_sandbox) == 2
    snovio_sandbox.configure(enrichment_charge_unique=True)
    hook.run_task(ENDPOINTS.start_li_profiles_by_urls, urls=[GAVIN], **FAST_POLL)
    hook.run_task(ENDPOINTS.start_li_profiles_by_urls, urls=[GAVIN], **FAST_POLL)
    assert spent(snovio_sandbox) == 3


def test_li_profiles_by_urls_returns_profiles_and_empty_results(
    hook: SnovioHook, snovio_sandbox: SandboxServer
) -> None:
    missing = "https://www.linkedin.com/in/nobody-at-all-12345"
    done = hook.run_task(ENDPOINTS.start_li_profiles_by_urls, urls=[GAVIN, missing], **FAST_POLL)
    by_url = {item["url"]: item["result"] for item in done["data"]}
    assert by_url[missing] == []
    profile = by_url[GAVIN]
    assert isinstance(profile, dict)
    assert profile["first_name"] == "Gavin" and profile["last_name"] == "Vanrooyen"
    assert profile["positions"][0]["name"] == "Octagon" and profile["positions"][0]["url"] == "https://www.octagon.com"
    assert spent(snovio_sandbox) == 1  # 1 per profile returned, none for the URL nobody was found for


def test_database_prospects_are_paged_and_free(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    filters = {"company": {"name": {"include": ["snov.io"]}}}
    first = hook.run_task(ENDPOINTS.start_database_prospects_search, filters=filters, **FAST_POLL)
    data = first["data"]
    expected = len(build_database(snovio_sandbox.state.config.seed).prospects_of("snov.io"))
    assert data["total"] == expected and data["page"] == 1
    assert data["total_pages"] == -(-expected // DATABASE_PAGE_SIZE) and data["total_pages"] >= 3
    seen = [p["email_and_hidden_info_reveal"] for p in data["prospects"]]
    for page in range(2, data["total_pages"] + 1):
        body = hook.run_task(ENDPOINTS.start_database_prospects_search, filters=filters, page=page, **FAST_POLL)
        assert body["data"]["page"] == page and body["meta"]["page"] == page
        seen += [p["email_and_hidden_info_reveal"] for p in body["data"]["prospects"]]
    assert len(seen) == len(set(seen)) == expected
    assert spent(snovio_sandbox) == 0
    prospect = data["prospects"][0]
    assert prospect["first_name"].endswith("***") and prospect["company"]["domain"] == "snov.io"


def test_database_prospect_filters_narrow_the_search(hook: SnovioHook) -> None:
    filters = {
        "prospect": {"job_titles": {"include": ["director"]}, "management_levels": {"include": ["director_level"]}},
        "company": {"name": {"include": ["octagon"]}, "size": {"include": ["1001-5000"]}},
    }
    prospects = hook.run_task(ENDPOINTS.start_database_prospects_search, filters=filters, **FAST_POLL)["data"]
    titles = [p["job_title"] for p in prospects["prospects"]]
    assert titles and all("director" in t.lower() for t in titles)
    assert "Senior Brand Director" in titles  # Gavin, whom domain search (#3) lists for octagon.com too
    excluded = {"company": {"name": {"include": ["octagon"]}}, "prospect": {"job_titles": {"exclude": ["director"]}}}
    rest = hook.run_task(ENDPOINTS.start_database_prospects_search, filters=excluded, **FAST_POLL)["data"]
    assert all("director" not in p["job_title"].lower() for p in rest["prospects"])
    assert rest["total"] + prospects["total"] <= 45


def test_reveal_finds_the_emails_domain_search_finds_and_charges_once(
    hook: SnovioHook, snovio_sandbox: SandboxServer
) -> None:
    filters = {"prospect": {"first_name": "Gavin", "last_name": "Vanrooyen"}}
    found = hook.run_task(ENDPOINTS.start_database_prospects_search, filters=filters, **FAST_POLL)["data"]
    [prospect] = found["prospects"]
    reveal = reveal_hash_of(prospect)
    started = hook.start_database_prospect_email_search(reveal)
    assert started["links"]["result"].endswith(task_hash_of(started))
    done = hook.wait_for_task(ENDPOINTS.get_database_prospect_email_result, task_hash_of(started), **FAST_POLL)
    assert done["data"]["first_name"] == "Gavin" and done["data"]["linkedin_url"] == GAVIN
    assert done["data"]["emails"] == [{"email": "gavin.vanrooyen@octagon.com", "smtp_status": "valid"}]
    hook.run_task(ENDPOINTS.start_database_prospect_email_search, reveal_hash=reveal, **FAST_POLL)
    assert spent(snovio_sandbox) == 1  # 1 per prospect with an email, charged once per prospect
    with pytest.raises(SnovioNotFoundError):
        hook.start_database_prospect_email_search("0" * 32)


def test_list_id_appears_once_the_prospect_is_in_a_list(hook: SnovioHook) -> None:
    filters = {"prospect": {"first_name": "Gavin", "last_name": "Vanrooyen"}}
    [before] = hook.run_task(ENDPOINTS.start_database_prospects_search, filters=filters, **FAST_POLL)["data"][
        "prospects"
    ]
    assert "list_id" not in before
    list_id = hook.get_user_lists()[0]["id"]
    hook.add_prospect_to_list(list_id, "gavin.vanrooyen@octagon.com", firstName="Gavin", lastName="Vanrooyen")
    [after] = hook.run_task(ENDPOINTS.start_database_prospects_search, filters=filters, **FAST_POLL)["data"][
        "prospects"
    ]
    assert after["list_id"] == list_id


def test_free_accounts_get_page_one_only(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    snovio_sandbox.configure(database_free_account=True)
    filters = {"company": {"name": {"include": ["snov.io"]}}}
    assert hook.run_task(ENDPOINTS.start_database_prospects_search, filters=filters, **FAST_POLL)["data"]["page"] == 1
    with pytest.raises(SnovioApiError) as raised:
        hook.start_database_prospects_search(filters, page=2)
    assert "first page" in str(raised.value)


def test_database_results_charged_reading_charges_each_page_once(
    hook: SnovioHook, snovio_sandbox: SandboxServer
) -> None:
    snovio_sandbox.configure(database_results_charged=True)
    started = hook.start_database_prospects_search({"company": {"name": {"include": ["octagon"]}}})
    task_hash = task_hash_of(started)
    hook.wait_for_task(ENDPOINTS.get_database_prospects_result, task_hash, **FAST_POLL)
    hook.get_database_prospects_result(task_hash)  # a re-read (a lost answer) is not charged again
    assert spent(snovio_sandbox) == 1


def test_database_companies_are_paged_and_charged_once_per_unique_request(
    hook: SnovioHook, snovio_sandbox: SandboxServer
) -> None:
    everything = {"company": {"size": {"include": ["1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000"]}}}
    body = hook.run_task(ENDPOINTS.start_database_companies_search, filters=everything, **FAST_POLL)
    companies = body["data"]["companies"]
    assert body["data"]["total"] == len(companies) == len(build_database(snovio_sandbox.state.config.seed).companies)
    assert {"octagon.com", "snov.io"} <= {c["domain"] for c in companies}
    octagon = next(c for c in companies if c["domain"] == "octagon.com")
    assert octagon["revenue"]["min"] <= octagon["revenue"]["reported"] <= octagon["revenue"]["max"]
    hook.run_task(ENDPOINTS.start_database_companies_search, filters=everything, **FAST_POLL)  # same request
    assert spent(snovio_sandbox) == 1
    empty = hook.run_task(ENDPOINTS.start_database_companies_search, filters=everything, page=2, **FAST_POLL)
    assert empty["data"]["companies"] == [] and spent(snovio_sandbox) == 1  # no result, no credit
    narrowed = {
        "company": {"industries": {"include": ["computer software"]}, "founded": {"from": 2010, "till": 2020}},
        "locations": {"include": [{"locality": "New York", "location_type": "city"}]},
    }
    found = hook.run_task(ENDPOINTS.start_database_companies_search, filters=narrowed, **FAST_POLL)["data"]
    assert [c["domain"] for c in found["companies"]] == ["snov.io"]
    assert spent(snovio_sandbox) == 2


def test_an_expired_task_hash_is_not_found(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    snovio_sandbox.configure(task_hash_ttl_seconds=60)
    started = hook.start_database_companies_search({"company": {"name": {"include": ["octagon"]}}})
    hook.wait_for_task(ENDPOINTS.get_database_companies_result, task_hash_of(started), **FAST_POLL)
    snovio_sandbox.state.advance_clock(61)
    with pytest.raises(SnovioNotFoundError):
        hook.get_database_companies_result(task_hash_of(started))
    with pytest.raises(SnovioNotFoundError):
        hook.get_company_domain_by_name_result("f" * 32)


def test_the_async_client_uses_the_same_rows(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    config = dataclasses.replace(hook.client_config(), retry=FAST_RETRIES)

    async def run() -> tuple[Any, Any]:
        async with AsyncSnovioClient(config) as client:
            started = await client.call(ENDPOINTS.start_li_profiles_by_urls, urls=[GAVIN])
            search = await client.call(
                ENDPOINTS.start_database_companies_search, filters={"company": {"name": {"include": ["snov.io"]}}}
            )
            for _ in range(5):
                result = await client.call(ENDPOINTS.get_li_profiles_by_urls_result, task_hash=task_hash_of(started))
                companies = await client.call(ENDPOINTS.get_database_companies_result, task_hash=task_hash_of(search))
                if result["status"] == companies["status"] == "completed":
                    return result, companies
            raise AssertionError("tasks did not complete")

    result, companies = asyncio.run(run())
    assert result["data"][0]["result"]["last_name"] == "Vanrooyen"
    assert [c["domain"] for c in companies["data"]["companies"]] == ["snov.io"]


def test_out_of_credits_stops_paid_starts_but_not_the_free_search(
    client: SnovioClient, snovio_sandbox: SandboxServer
) -> None:
    snovio_sandbox.configure(initial_balance=0)
    snovio_sandbox.reset()
    with pytest.raises(SnovioOutOfCreditsError):
        client.start_company_domain_by_name(["Octagon"])
    with pytest.raises(SnovioOutOfCreditsError):
        client.start_li_profiles_by_urls([GAVIN])
    with pytest.raises(SnovioOutOfCreditsError):
        client.start_database_companies_search({"company": {"name": {"include": ["octagon"]}}})
    free = client.run_task(
        ENDPOINTS.start_database_prospects_search, filters={"company": {"name": {"include": ["octagon"]}}}, **FAST_POLL
    )
    assert free["data"]["total"] == 45
    assert spent(snovio_sandbox) == 0


@pytest.mark.parametrize(
    ("method", "arguments"),
    [
        ("start_company_domain_by_name", {"names": ["Octagon"]}),
        ("start_li_profiles_by_urls", {"urls": [GAVIN]}),
        ("start_database_companies_search", {"filters": {"company": {"name": {"include": ["octagon"]}}}}),
    ],
)
def test_a_paid_start_whose_answer_is_lost_is_not_sent_again(
    client: SnovioClient, snovio_sandbox: SandboxServer, method: str, arguments: dict[str, Any]
) -> None:
    client.get_balance()  # token first: only the paid start meets the fault
    before = snovio_sandbox.stats()["total_requests"]
    snovio_sandbox.configure(drop_rate=1.0, fault_phase="after")
    with pytest.raises(SnovioTransportError) as raised:
        getattr(client, method)(**arguments)
    assert raised.value.sent is True
    assert snovio_sandbox.stats()["total_requests"] - before == 1
    assert spent(snovio_sandbox) == 1


def test_the_free_prospect_search_start_is_resent_after_a_lost_answer(
    client: SnovioClient, snovio_sandbox: SandboxServer
) -> None:
    client.get_balance()
    before = snovio_sandbox.stats()["total_requests"]
    snovio_sandbox.configure(drop_rate=1.0, fault_phase="after")
    with pytest.raises(SnovioTransportError):
        client.start_database_prospects_search({"company": {"name": {"include": ["octagon"]}}})
    assert snovio_sandbox.stats()["total_requests"] - before == client.config.retry.max_retries + 1
    assert spent(snovio_sandbox) == 0


BAD_CALLS: list[tuple[str, dict[str, Any], str]] = [
    ("start_company_domain_by_name", {"names": [f"Company {i}" for i in range(11)]}, "names"),
    ("start_company_domain_by_name", {"names": []}, "names"),
    ("start_company_domain_by_name", {"names": ["Octagon"], "webhook_url": "ftp://x"}, "webhook_url"),
    ("start_li_profiles_by_urls", {"urls": [f"https://www.linkedin.com/in/p{i}" for i in range(11)]}, "urls"),
    ("start_li_profiles_by_urls", {"urls": ["https://example.com/in/x"]}, "urls[0]"),
    ("get_company_domain_by_name_result", {"task_hash": "not a hash"}, "task_hash"),
    ("get_li_profiles_by_urls_result", {"task_hash": ""}, "task_hash"),
    ("start_database_prospects_search", {"filters": {}}, "filters"),
    ("start_database_prospects_search", {"filters": {"prospect": {"seniority": 1}}}, "filters.prospect.seniority"),
    (
        "start_database_prospects_search",
        {"filters": {"prospect": {"management_levels": {"include": ["boss"]}}}},
        "filters.prospect.management_levels.include[0]",
    ),
    (
        "start_database_prospects_search",
        {"filters": {"prospect": {"departments": {"exclude": ["legal"]}}}},
        "filters.prospect.departments.exclude[0]",
    ),
    (
        "start_database_prospects_search",
        {"filters": {"prospect": {"locations": {"include": [{"locality": "Kyiv", "location_type": "town"}]}}}},
        "filters.prospect.locations.include[0].location_type",
    ),
    (
        "start_database_prospects_search",
        {"filters": {"prospect": {"job_titles": ["CEO"]}}},
        "filters.prospect.job_titles",
    ),
    (
        "start_database_prospects_search",
        {"filters": {"company": {"size": {"include": ["2-9"]}}}},
        "filters.company.size.include[0]",
    ),
    ("start_database_prospects_search", {"filters": {"company": {"name": {"include": ["x"]}}}, "page": 0}, "page"),
    ("start_database_prospects_search", {"filters": {"locations": {}}}, "filters.locations"),
    ("start_database_prospect_email_search", {"reveal_hash": "{task_hash}"}, "reveal_hash"),
    ("get_database_prospects_result", {"task_hash": "xyz"}, "task_hash"),
    ("get_database_prospect_email_result", {"task_hash": "xyz"}, "task_hash"),
    ("get_database_companies_result", {"task_hash": "xyz"}, "task_hash"),
    (
        "start_database_companies_search",
        {"filters": {"company": {"revenue": {"min": 7}}}},
        "filters.company.revenue.min",
    ),
    (
        "start_database_companies_search",
        {"filters": {"company": {"revenue": {"min": 1_000_000, "max": 500_000}}}},
        "filters.company.revenue.max",
    ),
    (
        "start_database_companies_search",
        {"filters": {"company": {"revenue": {"max": 3}}}},
        "filters.company.revenue.max",
    ),
    (
        "start_database_companies_search",
        {"filters": {"company": {"founded": {"from": 2020, "till": 2010}}}},
        "filters.company.founded.till",
    ),
    ("start_database_companies_search", {"filters": {"prospect": {}}}, "filters.prospect"),
    ("start_database_companies_search", {"filters": {"company": {"name": {"include": ["x"]}}}, "page": -1}, "page"),
    (
        "start_database_companies_search",
        {"filters": {"company": {"name": {"include": ["x"]}}}, "webhook_url": "not a url"},
        "webhook_url",
    ),
]


@pytest.mark.parametrize(("method", "arguments", "field"), BAD_CALLS)
def test_every_limit_is_validated_with_zero_requests(
    hook: SnovioHook, snovio_sandbox: SandboxServer, method: str, arguments: dict[str, Any], field: str
) -> None:
    error = refusal(hook, snovio_sandbox, lambda h: getattr(h, method)(**arguments))
    assert error.field == field
    assert spent(snovio_sandbox) == 0

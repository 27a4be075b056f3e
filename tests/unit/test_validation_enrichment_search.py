"""The validators of the 2026 enrichment (#42-#45) and database-search (#46-#51) rows, at the unit level.

Every §4 limit and every documented enum is refused with the field named, before anything is sent; valid
input comes back in its canonical wire spelling (enums lower-case as documented, ``Self`` for the size).
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_snovio.api import validation as v
from airflow_provider_snovio.api.catalogue import ENDPOINTS
from airflow_provider_snovio.api.encoding import prepare
from airflow_provider_snovio.api.errors import SnovioResponseError, SnovioValidationError
from airflow_provider_snovio.api.methods import reveal_hash_of


def refused(check: Any, value: Any) -> SnovioValidationError:
    with pytest.raises(SnovioValidationError) as caught:
        check("filters", value)
    return caught.value


@pytest.mark.parametrize("row", [ENDPOINTS.start_company_domain_by_name, ENDPOINTS.start_li_profiles_by_urls])
def test_enrichment_starts_take_one_to_ten_items(row: Any) -> None:
    name = row.params[0].name
    item = "https://www.linkedin.com/in/p{}" if name == "urls" else "Company {}"
    assert len(prepare(row, {name: [item.format(i) for i in range(10)]}).query) == 10
    for bad in ([item.format(i) for i in range(11)], [], None):
        with pytest.raises(SnovioValidationError) as caught:
            prepare(row, {name: bad})
        assert caught.value.field == name


def test_li_urls_must_be_linkedin_profiles() -> None:
    assert v.linkedin_url("u", "https://www.linkedin.com/in/x") == "https://www.linkedin.com/in/x"
    for bad in ("https://example.com/in/x", "linkedin.com/in/x", ""):
        with pytest.raises(SnovioValidationError):
            v.linkedin_url("u", bad)


def test_prospect_filters_accept_every_documented_value_in_canonical_spelling() -> None:
    filters = {
        "prospect": {
            "job_titles": {"include": ["CEO"], "exclude": ["Intern"]},
            "skills": {"include": ["Python"]},
            "management_levels": {"include": [level.upper() for level in v.DATABASE_MANAGEMENT_LEVELS]},
            "departments": {"exclude": list(v.DATABASE_DEPARTMENTS)},
            "locations": {"include": [{"locality": "Kyiv", "location_type": t} for t in v.DATABASE_LOCATION_TYPES]},
            "first_name": "Gavin",
            "last_name": "Vanrooyen",
        },
        "company": {
            "size": {"include": [s.lower() for s in v.DATABASE_COMPANY_SIZES]},
            "revenue": {"min": 0, "max": 1_000_000_000_000},
            "founded": {"from": "1990", "till": 2020},
            "specialities": {"include": ["SaaS"]},
        },
    }
    checked = v.database_prospect_filters("filters", filters)
    assert checked["prospect"]["management_levels"]["include"] == list(v.DATABASE_MANAGEMENT_LEVELS)
    assert checked["company"]["size"]["include"] == list(v.DATABASE_COMPANY_SIZES)
    assert checked["company"]["founded"] == {"from": 1990, "till": 2020}


@pytest.mark.parametrize(
    ("filters", "field"),
    [
        ({}, "filters"),
        ([], "filters"),
        ({"locations": {}}, "filters.locations"),  # #46 puts company locations under company
        ({"prospect": {"title": {"include": ["x"]}}}, "filters.prospect.title"),
        ({"prospect": {"job_titles": ["x"]}}, "filters.prospect.job_titles"),
        ({"prospect": {"job_titles": {"only": ["x"]}}}, "filters.prospect.job_titles.only"),
        ({"prospect": {"job_titles": {"include": [""]}}}, "filters.prospect.job_titles.include[0]"),
        ({"prospect": {"management_levels": {"include": ["boss"]}}}, "filters.prospect.management_levels.include[0]"),
        ({"prospect": {"departments": {"include": ["legal"]}}}, "filters.prospect.departments.include[0]"),
        (
            {"prospect": {"locations": {"include": [{"locality": "Kyiv"}]}}},
            "filters.prospect.locations.include[0].location_type",
        ),
        (
            {"prospect": {"locations": {"include": [{"locality": "Kyiv", "location_type": "cidade"}]}}},
            "filters.prospect.locations.include[0].location_type",
        ),
        (
            {"prospect": {"locations": {"include": [{"location_type": "city"}]}}},
            "filters.prospect.locations.include[0].locality",
        ),
        ({"prospect": {"first_name": ""}}, "filters.prospect.first_name"),
        ({"company": {"size": {"include": ["10000+"]}}}, "filters.company.size.include[0]"),
        ({"company": {"revenue": {"min": 2}}}, "filters.company.revenue.min"),
        ({"company": {"revenue": {"min": 1_000_000_000_000}}}, "filters.company.revenue.min"),  # a max-only value
        ({"company": {"revenue": {"min": 500_000, "max": 1}}}, "filters.company.revenue.max"),
        ({"company": {"revenue": {"avg": 1}}}, "filters.company.revenue.avg"),
        ({"company": {"founded": {"from": "nineteen"}}}, "filters.company.founded.from"),
        ({"company": {"founded": {"from": 2021, "till": 2020}}}, "filters.company.founded.till"),
    ],
)
def test_prospect_filters_name_the_bad_field(filters: Any, field: str) -> None:
    assert refused(v.database_prospect_filters, filters).field == field


def test_company_filters_take_top_level_locations_and_no_prospect_section() -> None:
    checked = v.database_company_filters(
        "filters", {"locations": {"exclude": [{"locality": "Berlin", "location_type": "CITY"}]}}
    )
    assert checked == {"locations": {"exclude": [{"locality": "Berlin", "location_type": "city"}]}}
    assert refused(v.database_company_filters, {"prospect": {}}).field == "filters.prospect"


@pytest.mark.parametrize("row", [ENDPOINTS.start_database_prospects_search, ENDPOINTS.start_database_companies_search])
def test_database_starts_check_page_and_webhook_url(row: Any) -> None:
    filters = {"company": {"name": {"include": ["octagon"]}}}
    assert prepare(row, {"filters": filters, "page": 3}).json == {"filters": filters, "page": 3}
    for arguments, field in (
        ({"filters": filters, "page": 0}, "page"),
        ({"filters": filters, "page": "two"}, "page"),
        ({"filters": filters, "webhook_url": "hooks.example.com"}, "webhook_url"),
        ({}, "filters"),
    ):
        with pytest.raises(SnovioValidationError) as caught:
            prepare(row, arguments)
        assert caught.value.field == field


def test_paid_starts_are_marked_for_the_credit_safety_machinery() -> None:
    for row in (ENDPOINTS.start_company_domain_by_name, ENDPOINTS.start_li_profiles_by_urls):
        assert row.spends_credits and not row.idempotent and not row.charged_once and not row.resend_safe
    for row in (ENDPOINTS.start_database_prospect_email_search, ENDPOINTS.start_database_companies_search):
        assert row.spends_credits and row.charged_once and not row.resend_safe
    assert not ENDPOINTS.start_database_prospects_search.spends_credits  # #46 is free
    assert ENDPOINTS.start_database_prospects_search.resend_safe


def test_the_reveal_hash_is_read_from_the_url_as_returned() -> None:
    url = "https://api.snov.io/v2/database-search/prospects/search-emails/start/abc123def456"
    assert reveal_hash_of({"email_and_hidden_info_reveal": url}) == "abc123def456"
    assert reveal_hash_of({"email_and_hidden_info_reveal": url + "/?x=1"}) == "abc123def456"
    for prospect in ({}, {"email_and_hidden_info_reveal": url.rsplit("/", 1)[0] + "/{task_hash}"}):
        with pytest.raises(SnovioResponseError):
            reveal_hash_of(prospect)

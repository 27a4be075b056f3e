"""Contract tests of the sandbox's 2026 enrichment v2 (#42-#45) and database search v2 (#46-#51).

Real HTTP over loopback against an in-process ``SandboxServer``, from a reset account each time. The
sandbox is checked against §1a/§1b of ``snovio-api-2026.md``: the documented shapes, the task_hash in the
query (#43/#45) or in the path (#47/#49/#51), the documented credits, consistency with domain search
(the same companies and people), its own input errors, and the knobs of the ambiguous readings.
"""

from __future__ import annotations

import re
from typing import Any

import requests

from airflow_provider_snovio.sandbox.data.database import build_database
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.sandbox.helpers import spent

HASH = re.compile(r"^[0-9a-f]{32}$")
DB = "/v2/database-search"
OCTAGON = {"company": {"name": {"include": ["Octagon"]}}}


def poll(http: requests.Session, url: str, **params: Any) -> dict[str, Any]:
    first = http.get(url, params=params)
    assert first.status_code == 200, first.text
    assert first.json()["status"] == "in_progress"  # the default knobs: one pending poll
    done = http.get(url, params=params).json()
    assert done["status"] == "completed"
    return done


def db_run(http: requests.Session, sb: SandboxServer, path: str, body: dict[str, Any]) -> dict[str, Any]:
    response = http.post(f"{sb.base_url}{DB}/{path}/start", json=body)
    assert response.status_code == 200, response.text
    started = response.json()
    assert started["data"] == [] and HASH.match(started["meta"]["task_hash"])
    assert started["meta"]["page"] == body.get("page", 1)
    assert started["links"]["result"] == f"{sb.base_url}{DB}/{path}/result/{started['meta']['task_hash']}"
    return poll(http, started["links"]["result"])


def test_company_domain_by_name_shapes_and_credits(http, sb) -> None:
    response = http.post(
        f"{sb.base_url}/v2/company-domain-by-name/start", params=[("names[]", "octagon"), ("names[]", "Acme Nobody")]
    )
    started = response.json()
    assert set(started) == {"data", "meta"} and HASH.match(started["data"]["task_hash"])
    assert started["meta"] == {"names": ["octagon", "Acme Nobody"]}
    body = poll(http, f"{sb.base_url}/v2/company-domain-by-name/result", task_hash=started["data"]["task_hash"])
    assert body["data"] == [
        {"name": "octagon", "result": {"domain": "octagon.com"}},
        {"name": "Acme Nobody", "result": []},
    ]
    assert body["meta"] == {"names": ["octagon", "Acme Nobody"], "task_hash": started["data"]["task_hash"]}
    assert spent(sb) == 1


def test_li_profile_agrees_with_domain_search_and_enrichment(http, sb) -> None:
    url = "https://www.linkedin.com/in/gavin-vanrooyen/"
    started = http.post(f"{sb.base_url}/v2/li-profiles-by-urls/start", params=[("urls[]", url)]).json()
    assert started["meta"] == {"urls": [url]}
    body = poll(http, f"{sb.base_url}/v2/li-profiles-by-urls/result", task_hash=started["data"]["task_hash"])
    profile = body["data"][0]["result"]
    assert profile["name"] == "Gavin Vanrooyen" and profile["positions"][0]["title"] == "Senior Brand Director"
    assert set(profile) == {"name", "first_name", "last_name", "industry", "location", "country", "skills", "positions"}
    assert spent(sb) == 1


def test_enrichment_input_errors_and_wrong_family_hashes(http, sb) -> None:
    eleven = [("names[]", f"Company {i}") for i in range(11)]
    assert http.post(f"{sb.base_url}/v2/company-domain-by-name/start", params=eleven).status_code == 422
    assert http.post(f"{sb.base_url}/v2/company-domain-by-name/start").status_code == 422
    bad = http.post(f"{sb.base_url}/v2/li-profiles-by-urls/start", params=[("urls[]", "https://example.com/x")])
    assert bad.status_code == 422 and "urls.0" in bad.json()["errors"]
    started = http.post(f"{sb.base_url}/v2/company-domain-by-name/start", params=[("names[]", "Octagon")]).json()
    other = http.get(f"{sb.base_url}/v2/li-profiles-by-urls/result", params={"task_hash": started["data"]["task_hash"]})
    assert other.status_code == 404
    assert http.get(f"{sb.base_url}{DB}/companies/result/{started['data']['task_hash']}").status_code == 404


def test_out_of_credits_refuses_the_start_and_charges_nothing(http, sb) -> None:
    sb.configure(initial_balance=0)
    sb.reset()
    response = http.post(f"{sb.base_url}/v2/company-domain-by-name/start", params=[("names[]", "Octagon")])
    assert response.status_code == 400 and "ran out of credits" in response.json()["message"]
    nothing_found = http.post(f"{sb.base_url}/v2/company-domain-by-name/start", params=[("names[]", "Nobody Co")])
    assert nothing_found.status_code == 200  # nothing found, nothing to pay
    assert http.post(f"{sb.base_url}{DB}/prospects/start", json={"filters": OCTAGON}).status_code == 200  # free


def test_database_prospects_are_domain_search_people(http, sb) -> None:
    body = db_run(http, sb, "prospects", {"filters": OCTAGON})
    data = body["data"]
    assert (
        set(data) == {"total", "page", "total_pages", "prospects"} and data["total"] == 45 and data["total_pages"] == 1
    )
    assert body["links"] == [] and body["meta"]["page"] == 1
    started = http.post(f"{sb.base_url}/v2/domain-search/prospects/start", data={"domain": "octagon.com"}).json()
    domain_search = poll(http, started["links"]["result"])
    hashes = {p["search_emails_start"].rsplit("/", 1)[-1] for p in domain_search["data"]}
    reveals = {p["email_and_hidden_info_reveal"].rsplit("/", 1)[-1] for p in data["prospects"]}
    assert hashes <= reveals  # the 20 of #3's first page are among the 45 of #46
    gavin = next(p for p in data["prospects"] if p["job_title"] == "Senior Brand Director")
    assert gavin["first_name"] == "Ga***" and gavin["last_name"] == "Va***"
    assert gavin["linkedin_url"] == "https://www.linkedin.com/in/ga***"
    assert gavin["company"] == {
        "name": "Octagon",
        "domain": "octagon.com",
        "location": "Stamford, United States",
        "industry": "Marketing and Advertising",
        "size": "1001-5000",
    }
    assert spent(sb) == 1  # domain search's #3 page; #46 is free


def test_database_paging_fifty_a_page(http, sb) -> None:
    filters = {"company": {"name": {"include": ["snov.io"]}}}
    first = db_run(http, sb, "prospects", {"filters": filters})["data"]
    assert first["total"] == 196 and first["total_pages"] == 4 and len(first["prospects"]) == 50
    last = db_run(http, sb, "prospects", {"filters": filters, "page": 4})["data"]
    assert len(last["prospects"]) == 46 and last["page"] == 4
    beyond = db_run(http, sb, "prospects", {"filters": filters, "page": 5})["data"]
    assert beyond["prospects"] == [] and beyond["total"] == 196


def test_reveal_charges_once_per_prospect_with_an_email(http, sb) -> None:
    prospects = db_run(http, sb, "prospects", {"filters": OCTAGON})["data"]["prospects"]
    people = {p.reveal_hash: p.person for p in build_database(sb.state.config.seed).prospects}
    with_email = next(p for p in prospects if people[p["email_and_hidden_info_reveal"].rsplit("/", 1)[-1]].emails)
    without = next(p for p in prospects if not people[p["email_and_hidden_info_reveal"].rsplit("/", 1)[-1]].emails)
    for prospect in (with_email, with_email, without):
        started = http.post(prospect["email_and_hidden_info_reveal"]).json()
        assert started["data"] == [] and set(started["meta"]) == {"task_hash"}
        body = poll(http, started["links"]["result"])
        assert set(body["data"]) == {"searching_date", "first_name", "last_name", "linkedin_url", "emails"}
    assert spent(sb) == 1
    assert http.post(f"{sb.base_url}{DB}/prospects/search-emails/start/{'0' * 32}").status_code == 404


def test_database_companies_shape_filters_and_unique_request_credit(http, sb) -> None:
    body = {"filters": {"company": {"industries": {"include": ["internet"]}}}}
    data = db_run(http, sb, "companies", body)["data"]
    domains = {c["domain"] for c in data["companies"]}
    assert {"sendpulse.com"} <= domains and all(c["industry"] == "Internet" for c in data["companies"])
    company = data["companies"][0]
    assert set(company) == {"name", "domain", "location", "industry", "size", "revenue", "logo_url"}
    assert set(company["revenue"]) == {"min", "max", "reported"}
    db_run(
        http, sb, "companies", {"filters": {"company": {"industries": {"include": ["Internet"]}}}}
    )  # same, case aside
    assert spent(sb) == 1
    db_run(http, sb, "companies", {"filters": {"company": {"industries": {"include": ["no such industry"]}}}})
    assert spent(sb) == 1  # no result, no credit
    located = db_run(
        http, sb, "companies", {"filters": {"locations": {"include": [{"locality": "kyiv", "location_type": "city"}]}}}
    )
    assert [c["domain"] for c in located["data"]["companies"]] == ["quickmedia.com"]


def test_database_input_errors_name_the_field(http, sb) -> None:
    cases = [
        (
            {"filters": {"prospect": {"management_levels": {"include": ["boss"]}}}},
            "filters.prospect.management_levels.include.0",
        ),
        ({"filters": {"company": {"size": {"include": ["2-3"]}}}}, "filters.company.size.include.0"),
        ({"filters": {"company": {"revenue": {"min": 3}}}}, "filters.company.revenue.min"),
        ({"filters": {"company": {"revenue": {"min": 500000, "max": 1}}}}, "filters.company.revenue.max"),
        ({"filters": OCTAGON, "page": 0}, "page"),
        ({"page": 1}, "filters"),
        ({"filters": {"locations": {}}}, "filters.locations"),
    ]
    for body, field in cases:
        response = http.post(f"{sb.base_url}{DB}/prospects/start", json=body)
        assert response.status_code == 422 and field in response.json()["errors"], (body, response.text)
    form = http.post(f"{sb.base_url}{DB}/companies/start", data={"filters": "x"})
    assert form.status_code == 422 and "body" in form.json()["errors"]


def test_free_account_knob_refuses_pages_after_the_first(http, sb) -> None:
    sb.configure(database_free_account=True)
    assert http.post(f"{sb.base_url}{DB}/prospects/start", json={"filters": OCTAGON}).status_code == 200
    refused = http.post(f"{sb.base_url}{DB}/prospects/start", json={"filters": OCTAGON, "page": 2})
    assert refused.status_code == 400 and refused.json()["errors"]["source"] == "page"
    assert http.post(f"{sb.base_url}{DB}/companies/start", json={"filters": OCTAGON, "page": 2}).status_code == 200


def test_results_charged_knob_charges_each_completed_page_once(http, sb) -> None:
    sb.configure(database_results_charged=True)
    started = http.post(f"{sb.base_url}{DB}/prospects/start", json={"filters": OCTAGON}).json()
    poll(http, started["links"]["result"])
    http.get(started["links"]["result"])
    assert spent(sb) == 1
    empty = http.post(
        f"{sb.base_url}{DB}/prospects/start", json={"filters": {"prospect": {"first_name": "Nobody"}}}
    ).json()
    poll(http, empty["links"]["result"])
    assert spent(sb) == 1  # an empty page costs nothing

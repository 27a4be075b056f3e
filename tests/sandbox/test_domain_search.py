"""Contract tests of the sandbox's domain search: v2 start/result pairs #1-#10 and legacy #41.

Real HTTP over loopback against an in-process ``SandboxServer``. Each test starts from a reset account
(full balance, no tasks, no paid requests) with the default async knobs (0 s delay, 1 pending poll).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
import requests

from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.sandbox.helpers import spent

HASH = re.compile(r"^[0-9a-f]{32}$")
NOT_FOUND = {"errors": {"code": 404, "title": "Sorry, but url or entity not found", "source": ""}}
OUT_OF_CREDITS = {"success": False, "message": "Sorry, you ran out of credits, please order more credits"}


def start(http: requests.Session, sb: SandboxServer, path: str, **data: Any) -> dict[str, Any]:
    response = http.post(f"{sb.base_url}{path}", data=data)
    assert response.status_code == 200, response.text
    return response.json()


def result(http: requests.Session, url: str, max_polls: int = 10) -> tuple[dict[str, Any], int]:
    """Poll a result URL until it is no longer in progress; returns the body and the number of polls."""
    for polls in range(1, max_polls + 1):
        response = http.get(url)
        assert response.status_code == 200, response.text
        body = response.json()
        if body["status"] != "in_progress":
            return body, polls
    raise AssertionError(f"{url} still in progress after {max_polls} polls")


def run(http: requests.Session, sb: SandboxServer, path: str, **data: Any) -> dict[str, Any]:
    body, _ = result(http, start(http, sb, path, **data)["links"]["result"])
    assert body["status"] == "completed"
    return body


# --- #1/#2 company info ------------------------------------------------------------------------------


def test_company_info_start_and_result_have_the_documented_shape(http, sb) -> None:
    started = start(http, sb, "/v2/domain-search/start", domain="octagon.com")
    assert started["data"] == []
    assert started["meta"]["domain"] == "octagon.com"
    task_hash = started["meta"]["task_hash"]
    assert HASH.match(task_hash)
    assert started["links"]["result"] == f"{sb.base_url}/v2/domain-search/result/{task_hash}"

    first = http.get(started["links"]["result"]).json()
    assert first["status"] == "in_progress"  # default: one pending poll
    body, _ = result(http, started["links"]["result"])
    assert body["status"] == "completed"
    assert set(body["data"]) == {
        "company_name",
        "city",
        "founded",
        "website",
        "hq_phone",
        "industry",
        "size",
        "related_domains",
    }
    assert body["data"]["company_name"] == "Octagon"
    assert body["meta"] == {
        "domain": "octagon.com",
        "task_hash": task_hash,
        "prospects_count": 45,
        "emails_count": 108,
        "generic_contacts_count": 9,
    }
    assert body["links"]["prospects"] == f"{sb.base_url}/v2/domain-search/prospects/start?domain=octagon.com"
    assert body["links"]["domain_emails"].startswith(f"{sb.base_url}/v2/domain-search/domain-emails/start?")
    assert body["links"]["generic_contacts"].startswith(f"{sb.base_url}/v2/domain-search/generic-contacts/")


def test_company_info_charges_once_per_unique_request_and_never_for_no_results(http, sb) -> None:
    run(http, sb, "/v2/domain-search/start", domain="octagon.com")
    assert spent(sb) == 1
    run(http, sb, "/v2/domain-search/start", domain="https://www.Octagon.com/")  # same domain, normalized
    assert spent(sb) == 1
    run(http, sb, "/v2/domain-search/start", domain="snov.io")
    assert spent(sb) == 2
    unknown = run(http, sb, "/v2/domain-search/start", domain="no-one-here-please.com")
    assert unknown["data"] == []
    assert unknown["meta"]["prospects_count"] == unknown["meta"]["emails_count"] == 0
    assert spent(sb) == 2


def test_documented_snovio_company_info(http, sb) -> None:
    body = run(http, sb, "/v2/domain-search/start", domain="snov.io")
    assert body["data"]["city"] == "New York"
    assert body["data"]["hq_phone"] == "13477050819"
    assert len(body["data"]["related_domains"]) == 5
    assert body["meta"]["prospects_count"] == 196


def test_missing_or_malformed_domain_is_refused_without_charge(http, sb) -> None:
    for data in ({}, {"domain": "not a domain"}):
        response = http.post(f"{sb.base_url}/v2/domain-search/start", data=data)
        assert response.status_code == 422
        assert "domain" in response.json()["errors"]
    assert spent(sb) == 0


def test_out_of_credits_refuses_a_paid_start_but_not_an_empty_one(http, sb) -> None:
    sb.configure(initial_balance=0)
    sb.reset()
    response = http.post(f"{sb.base_url}/v2/domain-search/prospects/start", data={"domain": "octagon.com"})
    assert response.status_code == 400
    assert response.json() == OUT_OF_CREDITS
    run(http, sb, "/v2/domain-search/start", domain="unknown-domain-xyz.com")  # nothing to pay


# --- async progression and task hashes -----------------------------------------------------------------


def test_result_waits_for_the_configured_number_of_polls(http, sb) -> None:
    sb.configure(task_polls_pending=3)
    started = start(http, sb, "/v2/domain-search/start", domain="octagon.com")
    body, polls = result(http, started["links"]["result"])
    assert polls == 4
    assert body["status"] == "completed"
    again = http.get(started["links"]["result"]).json()  # completed stays completed
    assert again["status"] == "completed"


def test_result_waits_for_the_configured_delay(http, sb) -> None:
    sb.configure(task_delay_seconds=600, task_polls_pending=0)
    url = start(http, sb, "/v2/domain-search/domain-emails/start", domain="octagon.com")["links"]["result"]
    for _ in range(3):
        pending = http.get(url).json()
        assert pending["status"] == "in_progress"
        assert pending["data"] == []
        assert pending["meta"]["domain"] == "octagon.com"
    sb.state.advance_clock(601)
    assert http.get(url).json()["status"] == "completed"


@pytest.mark.parametrize(
    "path",
    [
        "/v2/domain-search/result/0123456789abcdef0123456789abcdef",
        "/v2/domain-search/result/not-a-hash",
        "/v2/domain-search/prospects/result/0123456789abcdef0123456789abcdef",
        "/v2/domain-search/prospects/search-emails/result/ZZZ",
        "/v2/domain-search/domain-emails/result/0123456789abcdef0123456789abcdef",
        "/v2/domain-search/generic-contacts/result/0123456789abcdef0123456789abcdef",
    ],
)
def test_unknown_or_malformed_task_hash_is_the_documented_404(http, sb, path) -> None:
    response = http.get(f"{sb.base_url}{path}")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_a_task_hash_of_another_family_is_404(http, sb) -> None:
    task_hash = start(http, sb, "/v2/domain-search/start", domain="octagon.com")["meta"]["task_hash"]
    response = http.get(f"{sb.base_url}/v2/domain-search/prospects/result/{task_hash}")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_reset_forgets_tasks(http, sb) -> None:
    url = start(http, sb, "/v2/domain-search/start", domain="octagon.com")["links"]["result"]
    sb.reset()
    assert http.get(url).status_code == 404


# --- #3/#4 prospects --------------------------------------------------------------------------------------


def test_prospects_page_through_links_next_to_the_end(http, sb) -> None:
    started = start(http, sb, "/v2/domain-search/prospects/start", domain="octagon.com")
    assert list(started["meta"]) == ["domain", "tab", "task_hash", "page", "positions"]  # the docs' order
    assert started["meta"]["tab"] == "prospects"
    assert started["meta"]["page"] == 1
    assert started["meta"]["positions"] == []
    sizes, names = [], []
    body, _ = result(http, started["links"]["result"])
    while True:
        assert body["meta"]["total_count"] == 45
        sizes.append(len(body["data"]))
        for prospect in body["data"]:
            assert set(prospect) == {"first_name", "last_name", "position", "source_page", "search_emails_start"}
            assert re.fullmatch(
                rf"{re.escape(sb.base_url)}/v2/domain-search/prospects/search-emails/start/[0-9a-f]{{32,}}",
                prospect["search_emails_start"],
            )
            names.append((prospect["first_name"], prospect["last_name"]))
        next_url = body["links"]["next"]
        if not next_url:
            break
        assert next_url.startswith(f"{sb.base_url}/v2/domain-search/prospects/start?")
        response = http.post(next_url)  # the next START url carries its parameters
        assert response.status_code == 200
        body, _ = result(http, response.json()["links"]["result"])
    assert sizes == [20, 20, 5]
    assert len(set(names)) == 45
    assert ("Gavin", "Vanrooyen") in names
    assert spent(sb) == 3  # one per unique page
    run(http, sb, "/v2/domain-search/prospects/start", domain="octagon.com", page=1)
    assert spent(sb) == 3  # a repeat of page 1 is not unique


def test_prospects_positions_filter_and_limit(http, sb) -> None:
    response = http.post(
        f"{sb.base_url}/v2/domain-search/prospects/start",
        data={"domain": "octagon.com", "positions[]": ["Director", "QA Engineer"]},
    )
    assert response.json()["meta"]["positions"] == ["Director", "QA Engineer"]
    body, _ = result(http, response.json()["links"]["result"])
    assert body["data"], "the filter must keep the documented directors"
    assert body["meta"]["total_count"] == len(body["data"]) or body["links"]["next"]
    for prospect in body["data"]:
        assert "director" in prospect["position"].lower() or "qa engineer" in prospect["position"].lower()
    too_many = {"domain": "octagon.com", "positions[]": [f"Position {i}" for i in range(11)]}
    refused = http.post(f"{sb.base_url}/v2/domain-search/prospects/start", data=too_many)
    assert refused.status_code == 422
    assert "positions" in refused.json()["errors"]


def test_prospects_page_past_the_end_is_empty_and_free(http, sb) -> None:
    body = run(http, sb, "/v2/domain-search/prospects/start", domain="octagon.com", page=9)
    assert body["data"] == []
    assert body["meta"]["total_count"] == 45
    assert body["links"]["next"] == ""
    assert spent(sb) == 0


# --- #5/#6 one prospect's emails --------------------------------------------------------------------------


def _prospect_url(http, sb, first_name: str) -> str:
    body = run(http, sb, "/v2/domain-search/prospects/start", domain="octagon.com")
    return next(p["search_emails_start"] for p in body["data"] if p["first_name"] == first_name)


def test_prospect_email_search_charges_one_credit_per_prospect_with_email(http, sb) -> None:
    url = _prospect_url(http, sb, "Gavin")
    before = spent(sb)
    response = http.post(url)
    assert response.status_code == 200
    started = response.json()
    assert started["data"] == []
    assert HASH.match(started["meta"]["task_hash"])
    assert started["links"]["result"].startswith(f"{sb.base_url}/v2/domain-search/prospects/search-emails/result/")
    body, polls = result(http, started["links"]["result"])
    assert polls == 2
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", body["data"]["searching_date"])
    assert body["data"]["emails"] == [{"email": "gavin.vanrooyen@octagon.com", "smtp_status": "valid"}]
    assert body["meta"] == {"task_hash": started["meta"]["task_hash"]}
    assert spent(sb) == before + 1
    http.post(url)
    assert spent(sb) == before + 1  # same prospect again: not a unique request


def test_prospect_without_email_is_free(http, sb) -> None:
    body = run(http, sb, "/v2/domain-search/prospects/start", domain="snov.io")  # 30% have an email
    before = spent(sb)
    for prospect in body["data"]:
        found = result(http, http.post(prospect["search_emails_start"]).json()["links"]["result"])[0]
        if not found["data"]["emails"]:
            assert spent(sb) == before
            return
        before = spent(sb)
    pytest.fail("expected a snov.io prospect without an email on page 1")


def test_unknown_prospect_hash_is_404(http, sb) -> None:
    response = http.post(f"{sb.base_url}/v2/domain-search/prospects/search-emails/start/{'ab' * 50}")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


# --- #7-#10 domain emails and generic contacts (next cursor) -----------------------------------------------


def _walk_cursor(http, sb, path: str, domain: str) -> tuple[list[int], list[str], set[int]]:
    sizes: list[int] = []
    emails: list[str] = []
    totals: set[int] = set()
    cursor = ""
    while True:
        data = {"domain": domain, **({"next": cursor} if cursor else {})}
        started = start(http, sb, f"{path}/start", **data)
        assert started["meta"]["next"] == cursor
        body, _ = result(http, started["links"]["result"])
        sizes.append(len(body["data"]))
        emails.extend(item["email"] for item in body["data"])
        totals.add(body["meta"]["total_count"])
        cursor = body["meta"]["next"]
        if not cursor:
            assert body["links"]["next"] == ""
            return sizes, emails, totals
        assert body["links"]["next"].startswith(f"{sb.base_url}{path}/start?")


def test_domain_emails_follow_the_next_cursor_to_the_empty_end(http, sb) -> None:
    sizes, emails, totals = _walk_cursor(http, sb, "/v2/domain-search/domain-emails", "octagon.com")
    assert sizes == [50, 50, 8]
    assert totals == {108}
    assert len(set(emails)) == 108
    assert all(email.endswith("@octagon.com") for email in emails)
    assert "gavin.vanrooyen@octagon.com" in emails
    assert spent(sb) == 3


def test_domain_emails_links_next_is_a_working_start_url(http, sb) -> None:
    first = run(http, sb, "/v2/domain-search/domain-emails/start", domain="octagon.com")
    assert first["meta"]["tab"] == "emails"
    second_start = http.post(first["links"]["next"])
    assert second_start.status_code == 200
    second, _ = result(http, second_start.json()["links"]["result"])
    assert not {e["email"] for e in first["data"]} & {e["email"] for e in second["data"]}
    assert len(second["data"]) == 50


def test_generic_contacts_two_pages(http, sb) -> None:
    sizes, emails, totals = _walk_cursor(http, sb, "/v2/domain-search/generic-contacts", "sendpulse.com")
    assert sizes == [50, 14]
    assert totals == {64}
    assert len(set(emails)) == 64
    octagon = run(http, sb, "/v2/domain-search/generic-contacts/start", domain="octagon.com")
    assert octagon["meta"]["tab"] == "service"
    assert len(octagon["data"]) == octagon["meta"]["total_count"] == 9
    assert octagon["meta"]["next"] == ""


def test_invalid_cursor_is_refused(http, sb) -> None:
    response = http.post(
        f"{sb.base_url}/v2/domain-search/domain-emails/start", data={"domain": "octagon.com", "next": "abc"}
    )
    assert response.status_code == 422
    assert "next" in response.json()["errors"]


def test_unknown_domain_emails_are_empty_and_free(http, sb) -> None:
    body = run(http, sb, "/v2/domain-search/domain-emails/start", domain="nothing-here-at-all.org")
    assert body["data"] == []
    assert body["meta"]["total_count"] == 0
    assert body["meta"]["next"] == ""
    assert spent(sb) == 0


# --- #41 legacy domain-emails-with-info ---------------------------------------------------------------------


def legacy(http, sb, **params: Any) -> dict[str, Any]:
    response = http.get(f"{sb.base_url}/v2/domain-emails-with-info", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def test_legacy_walks_last_id_to_the_end(http, sb) -> None:
    seen: list[str] = []
    last_id = 0
    sizes = []
    while True:
        body = legacy(http, sb, domain="octagon.com", type="all", limit=100, lastId=last_id)
        assert body["success"] is True
        assert body["domain"] == "octagon.com"
        assert body["webmail"] is False
        assert body["companyName"] == "Octagon"
        assert body["result"] == 117
        assert body["limit"] == 100
        sizes.append(len(body["emails"]))
        if not body["emails"]:
            assert body["lastId"] == last_id
            break
        assert body["lastId"] > last_id
        last_id = body["lastId"]
        seen.extend(item["email"] for item in body["emails"])
    assert sizes == [100, 17, 0]
    assert len(set(seen)) == 117
    assert spent(sb) == 10 + 2  # 1 per 10 emails returned (17 -> 2), the empty last page free


def test_legacy_types_positions_and_item_shapes(http, sb) -> None:
    personal = legacy(http, sb, domain="octagon.com", type="personal", limit=100)
    generic = legacy(http, sb, domain="octagon.com", type="generic", limit=100)
    assert personal["result"] == 108
    assert generic["result"] == 9
    assert {item["type"] for item in generic["emails"]} == {"email"}
    prospects = [item for item in personal["emails"] if item["type"] == "prospect"]
    assert prospects
    assert set(prospects[0]) == {
        "email",
        "firstName",
        "lastName",
        "position",
        "sourcePage",
        "companyName",
        "type",
        "status",
    }
    assert {item["status"] for item in personal["emails"]} <= {"verified", "notVerified"}
    filtered = legacy(http, sb, **{"domain": "octagon.com", "limit": 100, "positions[]": ["Account Executive"]})
    assert filtered["emails"]
    assert all("account executive" in item["position"].lower() for item in filtered["emails"])
    assert "ben.gillespie@octagon.com" in {item["email"] for item in filtered["emails"]}


def test_legacy_defaults_limits_errors_and_unknown_domain(http, sb) -> None:
    assert len(legacy(http, sb, domain="octagon.com")["emails"]) == 10  # default limit
    clamped = legacy(http, sb, domain="octagon.com", limit=500)
    assert clamped["limit"] == 100
    assert len(clamped["emails"]) == 100
    charged = spent(sb)
    unknown = legacy(http, sb, domain="no-one-here-please.com")
    assert unknown == {
        "success": True,
        "domain": "",
        "webmail": False,
        "result": 0,
        "lastId": 0,
        "limit": 10,
        "companyName": "",
        "emails": [],
    }
    assert spent(sb) == charged
    missing = http.get(f"{sb.base_url}/v2/domain-emails-with-info")
    assert missing.status_code == 400
    assert missing.json()["success"] is False
    bad_type = http.get(f"{sb.base_url}/v2/domain-emails-with-info", params={"domain": "octagon.com", "type": "x"})
    assert bad_type.status_code == 400


@pytest.mark.parametrize(("limit", "credits"), [(1, 1), (10, 1), (11, 2), (25, 3), (100, 10)])
def test_legacy_charges_one_credit_per_ten_emails_returned(http, sb, limit: int, credits: int) -> None:
    body = legacy(http, sb, domain="octagon.com", type="all", limit=limit, lastId=0)
    assert len(body["emails"]) == limit
    assert spent(sb) == credits


def test_legacy_charges_nothing_when_nothing_is_found(http, sb) -> None:
    past_the_end = legacy(http, sb, domain="octagon.com", type="generic", limit=100, lastId=10**12)
    unknown = legacy(http, sb, domain="no-one-here-please.com", limit=100, lastId=0)
    assert past_the_end["emails"] == [] and unknown["emails"] == []
    assert spent(sb) == 0


def test_requests_without_a_token_are_refused(sb) -> None:
    response = requests.post(f"{sb.base_url}/v2/domain-search/start", data={"domain": "octagon.com"})
    assert response.status_code == 401
    assert spent(sb) == 0

"""Contract tests of the sandbox's finder and enrichment: v1 #11-#16 and the v2 emails-by-domain-by-name pair.

Real HTTP over loopback against an in-process ``SandboxServer``; every test starts from a reset account.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.sandbox.helpers import post_json, spent

HASH = re.compile(r"^[0-9a-f]{32}$")
NOT_FOUND = {"errors": {"code": 404, "title": "Sorry, but url or entity not found", "source": ""}}
OUT_OF_CREDITS = {"success": False, "message": "Sorry, you ran out of credits, please order more credits"}
TOO_MANY = "There are too many prospects processing. Please try later"
GAVIN = {"firstName": "gavin", "lastName": "vanrooyen", "domain": "octagon.com"}  # the docs' example


post = post_json


# --- #11 email count ---------------------------------------------------------------------------------------


def test_email_count(http, sb) -> None:
    body = post(http, sb, "/v1/get-domain-emails-count", data={"domain": "octagon.com"})
    assert body == {"success": True, "domain": "octagon.com", "webmail": False, "result": 117}
    webmail = post(http, sb, "/v1/get-domain-emails-count", data={"domain": "gmail.com"})
    assert webmail["webmail"] is True
    assert webmail["result"] == 0
    missing = post(http, sb, "/v1/get-domain-emails-count", status=400, data={})
    assert missing["success"] is False
    assert spent(sb) == 0


# --- #12/#13 email finder ------------------------------------------------------------------------------------


def test_finder_not_found_until_queued_then_in_progress_then_complete(http, sb) -> None:
    first = post(http, sb, "/v1/get-emails-from-names", data=GAVIN)
    assert first["success"] is True
    assert first["params"] == GAVIN
    assert first["status"]["identifier"] == "not_found"
    assert first["data"] == {"firstName": "gavin", "lastName": "vanrooyen", "emails": []}

    queued = post(http, sb, "/v1/add-names-to-find-emails", data=GAVIN)
    assert queued["sent"] is True
    assert queued["success"] is True
    assert queued["firstName"] == "gavin"
    assert isinstance(queued["userId"], int)
    assert spent(sb) == 1

    pending = post(http, sb, "/v1/get-emails-from-names", params=GAVIN)  # query string works too
    assert pending["status"]["identifier"] == "in_progress"
    assert pending["data"]["emails"] == []
    done = post(http, sb, "/v1/get-emails-from-names", data=GAVIN)
    assert done["status"] == {"identifier": "complete", "description": "Emails search is completed"}
    assert done["data"]["emails"] == [{"email": "gavin.vanrooyen@octagon.com", "emailStatus": "valid"}]
    assert spent(sb) == 1  # the finder itself is free


def test_finder_honours_delay_and_poll_knobs(http, sb) -> None:
    sb.configure(task_delay_seconds=900, task_polls_pending=0)
    post(http, sb, "/v1/add-names-to-find-emails", data=GAVIN)
    for _ in range(3):
        assert post(http, sb, "/v1/get-emails-from-names", data=GAVIN)["status"]["identifier"] == "in_progress"
    sb.state.advance_clock(901)
    assert post(http, sb, "/v1/get-emails-from-names", data=GAVIN)["status"]["identifier"] == "complete"


def test_queued_unknown_person_completes_without_emails(http, sb) -> None:
    nobody = {"firstName": "Nobody", "lastName": "Atall", "domain": "octagon.com"}
    post(http, sb, "/v1/add-names-to-find-emails", data=nobody)
    post(http, sb, "/v1/get-emails-from-names", data=nobody)
    done = post(http, sb, "/v1/get-emails-from-names", data=nobody)
    assert done["status"]["identifier"] == "complete"
    assert done["data"]["emails"] == []


def test_add_names_costs_one_credit_per_request(http, sb) -> None:
    post(http, sb, "/v1/add-names-to-find-emails", data=GAVIN)
    post(http, sb, "/v1/add-names-to-find-emails", data=GAVIN)
    assert spent(sb) == 2
    assert sb.stats()["credits_by_endpoint"] == {"POST /v1/add-names-to-find-emails": 2}


def test_finder_validation(http, sb) -> None:
    body = post(http, sb, "/v1/get-emails-from-names", status=400, data={"firstName": "gavin"})
    assert body["success"] is False
    assert "lastName" in body["message"] and "domain" in body["message"]
    post(http, sb, "/v1/add-names-to-find-emails", status=400, data={**GAVIN, "domain": "not a domain"})
    assert spent(sb) == 0


def test_hourly_finder_limit_counts_both_calls(http, sb) -> None:
    sb.configure(finder_hourly_limit=3)
    post(http, sb, "/v1/get-emails-from-names", data=GAVIN)
    post(http, sb, "/v1/add-names-to-find-emails", data=GAVIN)
    post(http, sb, "/v1/get-emails-from-names", data=GAVIN)
    refused = http.post(f"{sb.base_url}/v1/get-emails-from-names", data=GAVIN)
    assert refused.status_code == 429
    assert refused.json() == {"success": False, "message": TOO_MANY}
    assert int(refused.headers["Retry-After"]) > 0
    again = http.post(f"{sb.base_url}/v1/add-names-to-find-emails", data=GAVIN)
    assert again.json()["message"] == TOO_MANY
    assert spent(sb) == 1  # the refused add-names was not charged
    sb.state.advance_clock(3601)  # the hour slides
    assert post(http, sb, "/v1/get-emails-from-names", data=GAVIN)["success"] is True


def test_add_names_out_of_credits(http, sb) -> None:
    sb.configure(initial_balance=0)
    sb.reset()
    assert post(http, sb, "/v1/add-names-to-find-emails", status=400, data=GAVIN) == OUT_OF_CREDITS
    assert post(http, sb, "/v1/get-emails-from-names", data=GAVIN)["status"]["identifier"] == "not_found"


# --- #14/#15 prospect by social URL ------------------------------------------------------------------------------


def test_url_search_flow_for_linkedin_and_x(http, sb) -> None:
    url = "https://www.linkedin.com/in/john-doe-123456/"  # the docs' example
    before = post(http, sb, "/v1/get-emails-from-url", data={"url": url})
    assert before == {"success": True, "message": "We couldn't find profile with this url"}
    assert post(http, sb, "/v1/add-url-for-search", data={"url": url}) == {"success": True}
    assert spent(sb) == 1
    found = post(http, sb, "/v1/get-emails-from-url", data={"url": url})
    assert found["success"] is True
    profile = found["data"][0]
    assert {
        "id",
        "name",
        "firstName",
        "lastName",
        "sourcePage",
        "source",
        "industry",
        "country",
        "locality",
        "lastUpdateDate",
        "currentJob",
        "previousJob",
        "social",
        "emails",
    } <= set(profile)
    assert profile["name"] == "John Doe"
    assert profile["currentJob"][0]["companyName"] == "Octagon"
    assert profile["previousJob"][0]["companyName"] == "UPS"
    assert profile["emails"] == [{"email": "johndoe@octagon.com", "status": "valid"}]
    assert set(profile["lastUpdateDate"]) == {"date", "timezone_type", "timezone"}

    post(http, sb, "/v1/add-url-for-search", data={"url": "https://twitter.com/LiziHamer"})
    lizi = post(http, sb, "/v1/get-emails-from-url", data={"url": "https://x.com/lizihamer"})
    assert lizi["data"][0]["name"] == "Lizi Hamer"
    assert spent(sb) == 2  # get-emails-from-url is free


def test_url_must_be_a_social_profile(http, sb) -> None:
    body = post(http, sb, "/v1/add-url-for-search", status=400, data={"url": "https://example.com/john"})
    assert body["success"] is False
    post(http, sb, "/v1/add-url-for-search", status=400, data={})
    assert spent(sb) == 0


# --- #16 profile by email ---------------------------------------------------------------------------------------


def test_profile_by_email_charges_only_when_found(http, sb) -> None:
    body = post(http, sb, "/v1/get-profile-by-email", data={"email": "lizi.hamer@octagon.com"})
    assert body["success"] is True
    assert body["id"] == 301592
    assert body["name"] == "Lizi Hamer"
    assert body["logo"] == "https://app.snov.io/img/peoples/010fcf23c70dfa68d880545ec89a9215.jpg"
    assert body["social"] == [
        {"link": "https://www.linkedin.com/in/lizihamer/", "type": "linkedIn"},
        {"link": "https://twitter.com/LiziHamer", "type": "twitter"},
    ]
    assert [job["companyName"] for job in body["currentJobs"]] == ["Octagon", "SisuGirls"]
    assert len(body["previousJobs"]) == 2
    assert body["lastUpdateDate"] == "2018-02-07 10:12:28"
    assert spent(sb) == 1
    missing = post(http, sb, "/v1/get-profile-by-email", data={"email": "some.one@octagon.com"})
    assert missing == {"success": True, "message": "We couldn't find profile with this email"}
    assert spent(sb) == 1
    post(http, sb, "/v1/get-profile-by-email", status=400, data={"email": "not-an-email"})
    assert spent(sb) == 1


# --- v2 finder ---------------------------------------------------------------------------------------------------

ROWS = [
    {"first_name": "Gavin", "last_name": "Vanrooyen", "domain": "octagon.com"},
    {"first_name": "Jane", "last_name": "Doe", "domain": "yourdomain.com"},
    {"first_name": "Nobody", "last_name": "Known", "domain": "octagon.com"},
]


def v2_result(http, sb, task_hash: str) -> dict[str, Any]:
    response = http.get(f"{sb.base_url}/v2/emails-by-domain-by-name/result", params={"task_hash": task_hash})
    assert response.status_code == 200, response.text
    return response.json()


def test_v2_finder_flow_and_credits_per_found_email(http, sb) -> None:
    started = post(http, sb, "/v2/emails-by-domain-by-name/start", json={"rows": ROWS})
    task_hash = started["data"]["task_hash"]
    assert HASH.match(task_hash)
    assert started["meta"] == {"rows": ROWS}
    assert spent(sb) == 2  # Gavin's and Jane's addresses; the unknown person costs nothing

    pending = v2_result(http, sb, task_hash)
    assert pending["status"] == "in_progress"
    assert pending["data"] == []
    done = v2_result(http, sb, task_hash)
    assert done["status"] == "completed"
    assert done["meta"] == {"rows": ROWS, "task_hash": task_hash}
    by_name = {item["people"]: item["result"] for item in done["data"]}
    assert by_name["Gavin Vanrooyen"] == [
        {
            "email": "gavin.vanrooyen@octagon.com",
            "smtp_status": "valid",
            "is_valid_format": True,
            "is_disposable": False,
            "is_webmail": False,
            "is_gibberish": False,
        }
    ]
    jane = by_name["Jane Doe"][0]
    assert jane["smtp_status"] == "unknown"
    assert jane["unknown_status_reason"] == "catchall"
    assert by_name["Nobody Known"] == []


def test_v2_finder_accepts_php_style_form_rows(http, sb) -> None:
    form = {"rows[0][first_name]": "Gavin", "rows[0][last_name]": "Vanrooyen", "rows[0][domain]": "octagon.com"}
    started = post(http, sb, "/v2/emails-by-domain-by-name/start", data=form)
    assert started["meta"]["rows"] == ROWS[:1]


def test_v2_finder_validation(http, sb) -> None:
    too_many = {"rows": [ROWS[0]] * 11}
    assert "rows" in post(http, sb, "/v2/emails-by-domain-by-name/start", status=422, json=too_many)["errors"]
    post(http, sb, "/v2/emails-by-domain-by-name/start", status=422, json={})
    post(http, sb, "/v2/emails-by-domain-by-name/start", status=422, json={"rows": [{"first_name": "Gavin"}]})
    assert spent(sb) == 0


def test_v2_finder_not_enough_credits_is_terminal_and_free(http, sb) -> None:
    sb.configure(initial_balance=1)
    sb.reset()
    task_hash = post(http, sb, "/v2/emails-by-domain-by-name/start", json={"rows": ROWS})["data"]["task_hash"]
    assert v2_result(http, sb, task_hash)["status"] == "not_enough_credits"
    assert v2_result(http, sb, task_hash)["data"] == []
    assert spent(sb) == 0
    # a search that finds nothing needs no credits
    cheap = post(http, sb, "/v2/emails-by-domain-by-name/start", json={"rows": ROWS[2:]})["data"]["task_hash"]
    v2_result(http, sb, cheap)
    assert v2_result(http, sb, cheap)["status"] == "completed"


@pytest.mark.parametrize("params", [{}, {"task_hash": "0123456789abcdef0123456789abcdef"}, {"task_hash": "x"}])
def test_v2_finder_unknown_task_is_404(http, sb, params) -> None:
    response = http.get(f"{sb.base_url}/v2/emails-by-domain-by-name/result", params=params)
    assert response.status_code == 404
    assert response.json() == NOT_FOUND

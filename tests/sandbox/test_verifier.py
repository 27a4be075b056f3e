"""Contract tests of the sandbox's email verifier: v1 #17/#18 and the v2 email-verification pair.

Real HTTP over loopback against an in-process ``SandboxServer``; every test starts from a reset account
with ``greylisted_share=0`` (the greylisting test turns it on).
"""

from __future__ import annotations

import re
import time
from typing import Any

import pytest

from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.sandbox.helpers import post_json, spent

HASH = re.compile(r"^[0-9a-f]{32}$")
NOT_FOUND = {"errors": {"code": 404, "title": "Sorry, but url or entity not found", "source": ""}}
OUT_OF_CREDITS = {"success": False, "message": "Sorry, you ran out of credits, please order more credits"}
TOO_MANY = "There are too many prospects processing. Please try later"
V1_DATA_KEYS = {
    "email",
    "isValidFormat",
    "isDisposable",
    "isWebmail",
    "isGibberish",
    "smtpStatus",
    "isCatchall",
    "isGreylist",
    "isBannedError",
    "isConnectionError",
}
DOC_EMAILS = ["gavin.vanrooyen@octagon.com", "lizi.hamer@octagon.com"]


@pytest.fixture()
def sb(snovio_sandbox: SandboxServer) -> SandboxServer:
    """The shared sandbox with greylisting off: these tests follow one verdict at a time."""
    snovio_sandbox.configure(greylisted_share=0.0)
    return snovio_sandbox


call = post_json


def status(http, sb, emails: list[str]) -> dict[str, Any]:
    """#17 the documented way: ``emails[]`` in the query string of a POST."""
    return call(http, sb, "/v1/get-emails-verification-status", params={"emails[]": emails})


def add(http, sb, emails: list[str], code: int = 200) -> dict[str, Any]:
    return call(http, sb, "/v1/add-emails-to-verification", status=code, params={"emails[]": emails})


# --- v1 #17/#18 -------------------------------------------------------------------------------------------------


def test_not_verified_until_added_then_in_progress_then_complete(http, sb) -> None:
    first = status(http, sb, DOC_EMAILS)
    assert first["success"] is True
    for email in DOC_EMAILS:
        assert first[email] == {
            "status": {
                "identifier": "not_verified",
                "description": "Email is not verified, try to send it for verification",
            },
            "data": [],
        }
    assert spent(sb) == 0

    assert add(http, sb, DOC_EMAILS) == {"success": True, **{email: {"sent": True} for email in DOC_EMAILS}}
    assert spent(sb) == 2  # 1 credit per email

    pending = status(http, sb, DOC_EMAILS)
    assert {pending[e]["status"]["identifier"] for e in DOC_EMAILS} == {"in_progress"}
    done = status(http, sb, DOC_EMAILS)
    lizi = done["lizi.hamer@octagon.com"]
    assert lizi["status"] == {"identifier": "complete", "description": "Email verification is completed"}
    assert set(lizi["data"]) == V1_DATA_KEYS
    assert lizi["data"]["email"] == "lizi.hamer@octagon.com"
    assert lizi["data"]["smtpStatus"] == "valid"
    assert lizi["data"]["isValidFormat"] is True
    assert lizi["data"]["isCatchall"] is False
    assert spent(sb) == 2  # reading results is free


def test_form_body_and_verdict_flags(http, sb) -> None:
    emails = ["jane.doe@yourdomain.com", "test@snov.io", "ivalid_format_snov.io", "someone@gmail.com"]
    call(http, sb, "/v1/add-emails-to-verification", data={"emails[]": emails})
    call(http, sb, "/v1/get-emails-verification-status", data={"emails[]": emails})
    done = call(http, sb, "/v1/get-emails-verification-status", data={"emails[]": emails})
    catchall = done["jane.doe@yourdomain.com"]["data"]
    assert (catchall["smtpStatus"], catchall["isCatchall"]) == ("unknown", True)
    banned = done["test@snov.io"]["data"]
    assert (banned["smtpStatus"], banned["isBannedError"], banned["isGibberish"]) == ("unknown", True, True)
    malformed = done["ivalid_format_snov.io"]["data"]
    assert (malformed["smtpStatus"], malformed["isValidFormat"]) == ("not_valid", False)
    assert done["someone@gmail.com"]["data"]["isWebmail"] is True
    for entry in (catchall, banned, malformed):
        assert entry["smtpStatus"] in {"valid", "not_valid", "greylisted", "unknown"}


def test_more_than_ten_emails_are_refused(http, sb) -> None:
    emails = [f"person{i}@octagon.com" for i in range(11)]
    body = add(http, sb, emails, code=400)
    assert body["success"] is False
    assert spent(sb) == 0
    assert status(http, sb, emails[:1])[emails[0]]["status"]["identifier"] == "not_verified"
    assert add(http, sb, emails[:10])["success"] is True
    assert spent(sb) == 10


def test_missing_emails_are_refused(http, sb) -> None:
    assert call(http, sb, "/v1/add-emails-to-verification", status=400)["success"] is False
    assert call(http, sb, "/v1/get-emails-verification-status", status=400)["success"] is False


def test_greylisted_share_answers_greylisted_first_then_the_verdict(http, sb) -> None:
    sb.configure(greylisted_share=1.0)
    email = "lizi.hamer@octagon.com"
    add(http, sb, [email])
    assert status(http, sb, [email])[email]["status"]["identifier"] == "in_progress"
    greylisted = status(http, sb, [email])[email]
    assert greylisted["status"]["identifier"] == "complete"
    assert greylisted["data"]["smtpStatus"] == "greylisted"
    assert greylisted["data"]["isGreylist"] is True
    assert status(http, sb, [email])[email]["status"]["identifier"] == "in_progress"  # Snov.io retries
    final = status(http, sb, [email])[email]
    assert final["data"]["smtpStatus"] == "valid"
    assert final["data"]["isGreylist"] is False
    assert spent(sb) == 1


def test_greylisted_share_is_a_share(http, sb) -> None:
    sb.configure(greylisted_share=0.5, task_polls_pending=0)
    emails = [f"user{i}@unknown-company-{i}.com" for i in range(40)]
    answers: list[str] = []
    for chunk in (emails[:10], emails[10:20], emails[20:30], emails[30:]):
        add(http, sb, chunk)
        body = status(http, sb, chunk)
        answers += [body[e]["data"]["smtpStatus"] for e in chunk]
    greylisted = answers.count("greylisted")
    assert 8 <= greylisted <= 32, answers


def test_hourly_verifier_limit_counts_emails(http, sb) -> None:
    sb.configure(verifier_hourly_limit=5)
    status(http, sb, [*DOC_EMAILS, "a@octagon.com"])  # 3 emails
    three_more = {"emails[]": [*DOC_EMAILS, "b@x.com"]}
    response = http.post(f"{sb.base_url}/v1/add-emails-to-verification", params=three_more)
    assert response.status_code == 429
    assert response.json() == {"success": False, "message": TOO_MANY}
    assert spent(sb) == 0  # refused: not charged
    add(http, sb, DOC_EMAILS)  # 2 more emails fit
    refused = http.post(f"{sb.base_url}/v1/get-emails-verification-status", params={"emails[]": ["c@x.com"]})
    assert refused.json()["message"] == TOO_MANY
    assert sb.stats()["too_many_processing"] == 2


def test_add_out_of_credits_charges_nothing(http, sb) -> None:
    sb.configure(initial_balance=1)
    sb.reset()
    assert add(http, sb, DOC_EMAILS, code=400) == OUT_OF_CREDITS
    assert spent(sb) == 0
    assert status(http, sb, DOC_EMAILS)[DOC_EMAILS[0]]["status"]["identifier"] == "not_verified"


def test_verification_honours_the_delay(http, sb) -> None:
    sb.configure(task_delay_seconds=1200, task_polls_pending=0)
    add(http, sb, DOC_EMAILS[:1])
    assert status(http, sb, DOC_EMAILS[:1])[DOC_EMAILS[0]]["status"]["identifier"] == "in_progress"
    sb.state.advance_clock(1201)
    assert status(http, sb, DOC_EMAILS[:1])[DOC_EMAILS[0]]["status"]["identifier"] == "complete"


# --- v2 email verification -----------------------------------------------------------------------------------

V2_EMAILS = ["gavin.vanrooyen@octagon.com", "admin@snov.io", "test@snov.io", "ivalid_format_snov.io"]


def v2_result(http, sb, task_hash: str) -> dict[str, Any]:
    response = http.get(f"{sb.base_url}/v2/email-verification/result", params={"task_hash": task_hash})
    assert response.status_code == 200, response.text
    return response.json()


def test_v2_verification_flow(http, sb) -> None:
    started = call(http, sb, "/v2/email-verification/start", params={"emails[]": V2_EMAILS})
    task_hash = started["data"]["task_hash"]
    assert HASH.match(task_hash)
    assert started["meta"] == {"emails": V2_EMAILS}
    assert spent(sb) == 4  # 1 credit per email

    pending = v2_result(http, sb, task_hash)
    assert (pending["status"], pending["data"]) == ("in_progress", [])
    done = v2_result(http, sb, task_hash)
    assert done["status"] == "completed"
    assert done["meta"] == {"emails": V2_EMAILS, "task_hash": task_hash}
    results = {item["email"]: item["result"] for item in done["data"]}
    assert set(results) == set(V2_EMAILS)
    assert results["admin@snov.io"] == {
        "smtp_status": "valid",
        "is_valid_format": True,
        "is_disposable": False,
        "is_webmail": False,
        "is_gibberish": False,
    }
    assert results["test@snov.io"]["smtp_status"] == "unknown"
    assert results["test@snov.io"]["unknown_status_reason"] == "banned"
    assert results["ivalid_format_snov.io"]["smtp_status"] == "not_valid"
    assert results["ivalid_format_snov.io"]["is_valid_format"] is False
    assert {r["smtp_status"] for r in results.values()} <= {"valid", "not_valid", "unknown"}


def test_v2_verification_accepts_a_json_body(http, sb) -> None:
    started = call(http, sb, "/v2/email-verification/start", json={"emails": DOC_EMAILS})
    assert started["meta"]["emails"] == DOC_EMAILS


def test_v2_verification_validation(http, sb) -> None:
    emails = [f"p{i}@octagon.com" for i in range(11)]
    assert "emails" in call(http, sb, "/v2/email-verification/start", status=422, json={"emails": emails})["errors"]
    call(http, sb, "/v2/email-verification/start", status=422, json={})
    assert spent(sb) == 0


def test_v2_verification_not_enough_credits(http, sb) -> None:
    sb.configure(initial_balance=3)
    sb.reset()
    task_hash = call(http, sb, "/v2/email-verification/start", json={"emails": V2_EMAILS})["data"]["task_hash"]
    body = v2_result(http, sb, task_hash)
    assert (body["status"], body["data"]) == ("not_enough_credits", [])
    assert spent(sb) == 0


def test_v2_result_takes_the_task_hash_in_the_query(http, sb) -> None:
    task_hash = call(http, sb, "/v2/email-verification/start", json={"emails": DOC_EMAILS})["data"]["task_hash"]
    in_path = http.get(f"{sb.base_url}/v2/email-verification/result/{task_hash}")
    assert in_path.status_code == 404
    assert in_path.json() == NOT_FOUND
    for params in ({}, {"task_hash": "0123456789abcdef0123456789abcdef"}):
        response = http.get(f"{sb.base_url}/v2/email-verification/result", params=params)
        assert response.status_code == 404
        assert response.json() == NOT_FOUND


def test_hourly_quota_answer_as_200_and_a_short_window(http, sb) -> None:
    """Both readings of the undocumented quota status, and a window compressed for tests."""
    sb.configure(verifier_hourly_limit=2, quota_answer="200", hourly_window_seconds=1.0)
    status(http, sb, DOC_EMAILS)  # 2 emails: the quota is full
    refused = http.post(f"{sb.base_url}/v1/get-emails-verification-status", params={"emails[]": ["c@x.com"]})
    assert refused.status_code == 200
    assert refused.json() == {"success": False, "message": TOO_MANY}
    assert "Retry-After" not in refused.headers
    time.sleep(1.1)  # the compressed "hour" has passed
    assert status(http, sb, ["c@x.com"])["c@x.com"]["status"]["identifier"] == "not_verified"


def test_quota_answer_is_validated(sb) -> None:
    with pytest.raises(Exception, match="quota_answer"):
        sb.configure(quota_answer="418")

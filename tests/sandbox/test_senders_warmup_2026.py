"""Contract tests of the 2026 sender-account (#52-#55) and warm-up (#56-#61) endpoints over real HTTP.

They pin what the sandbox serves to ``snovio-api-2026.md`` §1c/§1d: JSON bodies, PATCH partial updates, the
``{data}`` / ``{success, data}`` envelopes, the §4 limits answered with a 422 naming the field, the documented
404 for unknown ids, and seeds consistent with the campaigns (their senders 21 and 22 exist).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from airflow_provider_snovio.sandbox.data.campaigns import SENDER_EMAIL_IDS
from airflow_provider_snovio.sandbox.data.senders import CHECK_SECONDS, STATS_SECONDS

NOT_FOUND = {"errors": {"code": 404, "title": "Sorry, but url or entity not found", "source": ""}}
ACCOUNTS = "/v2/sender-accounts/emails"
NEW_ACCOUNT = {
    "sender_name": "New Sender",
    "email_from": "new.sender@example.com",
    "password": "s3cret",
    "smtp": {"host": "smtp.example.com", "port": 587, "encryption": "tls"},
}


def patch(api, path: str, **kwargs: Any):
    return api.session.patch(api.base_url + path, timeout=30, **kwargs)


def source_of(response) -> str:
    assert response.status_code == 422, response.text
    return response.json()["errors"]["source"]


# -- #52-#55 sender accounts ----------------------------------------------------------------------


def test_list_holds_the_campaigns_senders(api) -> None:
    response = api.get(ACCOUNTS)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"data"}
    by_id = {a["id"]: a for a in body["data"]}
    assert set(SENDER_EMAIL_IDS) <= set(by_id)
    for account in body["data"]:
        assert set(account) == {
            "id", "sender_name", "email_from", "valid", "suspended", "limitation", "provider", "tags", "imap"
        }  # fmt: skip
        assert set(account["imap"]) == {"username", "valid"}
    assert by_id[21]["valid"] is True and by_id[21]["imap"]["valid"] is True
    assert by_id[22]["imap"] == {"username": None, "valid": False}  # IMAP never configured
    assert by_id[23]["valid"] is False and by_id[23]["suspended"] is True


def test_campaign_analytics_filters_by_a_listed_sender(api) -> None:
    """#19's ``sender_email`` takes these account ids: each id selects the campaigns that send from it."""
    chosen = {}
    for account_id in SENDER_EMAIL_IDS:
        response = api.get("/v2/statistics/campaign-analytics", params={"sender_email": str(account_id)})
        assert response.status_code == 200
        chosen[account_id] = response.json()
    assert chosen[21] != chosen[22]


def test_create_is_pending_then_checked(api, sb) -> None:
    created = api.post(ACCOUNTS, json={**NEW_ACCOUNT, "timezoneId": 21, "tags": ["new", "new"]})
    assert created.status_code == 200, created.text
    data = created.json()["data"]
    assert data["smtp"] == {**NEW_ACCOUNT["smtp"], "status": "pending"}
    assert "imap" not in data and "password" not in data and "updated_at" not in data
    assert dt.datetime.fromisoformat(data["created_at"]).utcoffset() is not None
    assert data["delay_type"] == "random" and (data["delay_from"], data["delay_to"]) == (600, 900)
    assert data["limitation"] == 50 and data["tags"] == ["new"] and data["timezoneId"] == 21
    status = api.get("/v2/sender-accounts/check-sender-status", params={"sender_account_id": data["id"]})
    assert status.json() == {"data": {"smtp": {"status": "pending"}, "imap": None}}
    sb.state.advance_clock(CHECK_SECONDS + 1)
    status = api.get("/v2/sender-accounts/check-sender-status", params={"sender_account_id": data["id"]})
    assert status.json() == {"data": {"smtp": {"status": "valid"}, "imap": None}}
    assert any(a["id"] == data["id"] and a["valid"] for a in api.get(ACCOUNTS).json()["data"])


def test_a_failing_connection_lists_its_errors(api) -> None:
    status = api.get("/v2/sender-accounts/check-sender-status", params={"sender_account_id": 23})
    assert status.json() == {
        "data": {
            "smtp": {"status": "invalid", "errors": ["Connection refused"]},
            "imap": {"status": "invalid", "errors": ["Connection refused"]},
        }
    }


def test_patch_changes_only_the_keys_sent_and_clears_with_null(api, sb) -> None:
    before = api.get(ACCOUNTS).json()["data"]
    changed = patch(api, f"{ACCOUNTS}/22", json={"reply_to": None, "tags": ["a", "b"], "sender_name": "Renamed"})
    assert changed.status_code == 200, changed.text
    data = changed.json()["data"]
    assert data["sender_name"] == "Renamed" and data["reply_to"] is None and data["tags"] == ["a", "b"]
    assert data["bcc_email"] == "archive@sandbox.snov.io"  # not sent, not changed
    assert data["delay_type"] == "fixed" and data["delay_fixed"] == 300 and "delay_from" not in data
    assert data["smtp"]["status"] == "valid" and "updated_at" in data and "created_at" not in data
    replaced = patch(api, f"{ACCOUNTS}/22", json={"tags": ["c"]}).json()["data"]
    assert replaced["tags"] == ["c"]  # the array replaces, it does not add
    after = {a["id"]: a for a in api.get(ACCOUNTS).json()["data"]}
    assert after[22]["sender_name"] == "Renamed"
    assert {a["id"] for a in before} == set(after)
    moved = patch(
        api, f"{ACCOUNTS}/21", json={"smtp": {"host": "smtp2.hostinger.com", "port": 465, "encryption": "ssl"}}
    )
    assert moved.json()["data"]["smtp"]["status"] == "pending"  # an SMTP change starts a new check
    sb.state.advance_clock(CHECK_SECONDS + 1)
    status = api.get("/v2/sender-accounts/check-sender-status", params={"sender_account_id": 21})
    assert status.json()["data"]["smtp"] == {"status": "valid"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**NEW_ACCOUNT, "sender_name": "x" * 101}, "sender_name"),
        ({**NEW_ACCOUNT, "limitation": 1201}, "limitation"),
        ({**NEW_ACCOUNT, "limitation": 0}, "limitation"),
        ({**NEW_ACCOUNT, "delay_from": 4}, "delay_from"),
        ({**NEW_ACCOUNT, "delay_to": 3601}, "delay_to"),
        ({**NEW_ACCOUNT, "delay_from": 900, "delay_to": 900}, "delay_to"),
        ({**NEW_ACCOUNT, "timezoneId": 459}, "timezoneId"),
        ({**NEW_ACCOUNT, "limitation": 1200}, "limitation"),  # 1200 a day do not fit 600 s delays
        ({**NEW_ACCOUNT, "smtp": {"host": "smtp.example.com", "port": 465, "encryption": "tls"}}, "smtp.encryption"),
        ({**NEW_ACCOUNT, "imap": {"host": "imap.example.com", "port": 110, "encryption": "none"}}, "imap.port"),
        ({k: v for k, v in NEW_ACCOUNT.items() if k != "password"}, "password"),
    ],
)
def test_create_refuses_what_the_docs_refuse(api, body: dict[str, Any], field: str) -> None:
    assert source_of(api.post(ACCOUNTS, json=body)) == field


def test_sender_errors(api) -> None:
    assert source_of(api.post(ACCOUNTS, data={"sender_name": "Form"})) == "body"  # JSON bodies only
    assert source_of(patch(api, f"{ACCOUNTS}/21", json={})) == "body"
    assert source_of(patch(api, f"{ACCOUNTS}/21", json={"limitation": None})) == "limitation"
    unknown = patch(api, f"{ACCOUNTS}/999", json={"sender_name": "x"})
    assert unknown.status_code == 404 and unknown.json() == NOT_FOUND
    gone = api.get("/v2/sender-accounts/check-sender-status", params={"sender_account_id": 999})
    assert gone.status_code == 404 and gone.json() == NOT_FOUND
    missing = api.get("/v2/sender-accounts/check-sender-status")
    assert source_of(missing) == "sender_account_id"


# -- #56-#61 warm-up --------------------------------------------------------------------------------

WARM_UP_KEYS = {
    "id", "status", "reply_rate", "send_to_paid_domain", "start_date", "campaign_deadline", "strategy", "per_day",
    "from", "increase", "subject", "body", "template_name", "enable_ctd", "schedule", "enable_proxy", "sent_today",
    "daily_limit", "total_saved_from_spam", "deliverability", "warm_up_error", "email_account",
}  # fmt: skip


def test_list_pages_and_filters(api) -> None:
    first = api.get("/v2/warm-up").json()
    assert first["success"] is True
    assert first["meta"] == {"total_items": 3, "page": 1, "per_page": 20, "total_pages": 1}
    assert [w["id"] for w in first["data"]] == [301, 302, 303]
    for warm_up in first["data"]:
        assert set(warm_up) == WARM_UP_KEYS
        assert warm_up["email_account"]["id"] in (21, 22, 23)
    for _ in range(20):
        assert api.post("/v2/warm-up", json={"email_account_id": 21, "per_day": 10, "strategy": "steady"}).ok
    page2 = api.get("/v2/warm-up", params={"page": 2, "per_page": 20}).json()
    assert page2["meta"] == {"total_items": 23, "page": 2, "per_page": 20, "total_pages": 2}
    assert len(page2["data"]) == 3
    paused = api.get("/v2/warm-up", params={"status": "paused"}).json()
    assert [w["id"] for w in paused["data"]] == [302]
    assert source_of(api.get("/v2/warm-up", params={"per_page": 30})) == "per_page"
    assert source_of(api.get("/v2/warm-up", params={"page": 0})) == "page"
    assert source_of(api.get("/v2/warm-up", params={"status": "pending"})) == "status"


def test_create_get_update_delete(api) -> None:
    body = {"email_account_id": 22, "per_day": 30, "from": 3, "increase": 2, "campaign_deadline": "2099-01-01"}
    created = api.post("/v2/warm-up", json=body)
    assert created.status_code == 200, created.text
    warm_up_id = created.json()["data"]["id"]
    assert created.json() == {"data": {"id": warm_up_id}, "success": True}
    got = api.get(f"/v2/warm-up/{warm_up_id}").json()
    assert got["success"] is True and got["data"]["from"] == 3 and got["data"]["status"] == "active"
    assert got["data"]["campaign_deadline"] == "2099-01-01"
    updated = patch(api, f"{ACCOUNTS.replace('sender-accounts/emails', 'warm-up')}/{warm_up_id}", json={})
    assert source_of(updated) == "body"
    changed = patch(api, f"/v2/warm-up/{warm_up_id}", json={"from": 8, "per_day": 40, "make_endless": True})
    assert changed.json() == {"data": {"id": warm_up_id}, "success": True}
    data = api.get(f"/v2/warm-up/{warm_up_id}").json()["data"]
    assert (data["from"], data["per_day"], data["campaign_deadline"], data["increase"]) == (8, 40, None, 2)
    assert patch(api, f"/v2/warm-up/{warm_up_id}", json={"status": "paused"}).ok
    assert api.get(f"/v2/warm-up/{warm_up_id}").json()["data"]["status"] == "paused"
    deleted = api.delete(f"/v2/warm-up/{warm_up_id}")
    assert deleted.json() == {"data": {"id": warm_up_id}, "success": True}
    for response in (
        api.get(f"/v2/warm-up/{warm_up_id}"),
        api.get(f"/v2/warm-up/statistics/{warm_up_id}"),
        api.delete(f"/v2/warm-up/{warm_up_id}"),
    ):
        assert response.status_code == 404 and response.json() == NOT_FOUND
    assert warm_up_id not in [w["id"] for w in api.get("/v2/warm-up").json()["data"]]


def test_status_deleted_deletes(api) -> None:
    assert patch(api, "/v2/warm-up/302", json={"status": "deleted"}).json() == {"data": {"id": 302}, "success": True}
    assert api.get("/v2/warm-up/302").status_code == 404


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email_account_id": 21, "per_day": 1001, "from": 1, "increase": 1}, "per_day"),
        ({"email_account_id": 21, "per_day": 10, "from": 6, "increase": 1}, "from"),
        ({"email_account_id": 21, "per_day": 10, "from": 1, "increase": 6}, "increase"),
        ({"email_account_id": 21, "per_day": 10, "from": 1, "increase": 1, "reply_rate": 9}, "reply_rate"),
        ({"email_account_id": 21, "per_day": 10, "from": 1, "increase": 1, "reply_rate": 46}, "reply_rate"),
        ({"email_account_id": 21, "per_day": 10, "from": 1}, "increase"),  # progressive needs both
        ({"email_account_id": 21, "per_day": 2, "from": 3, "increase": 1}, "from"),  # from <= per_day
        ({"email_account_id": 21, "per_day": 10, "strategy": "steady", "email_content": "specific"}, "subject"),
        ({"email_account_id": 21, "per_day": 10, "strategy": "steady", "subject": "x" * 201}, "subject"),
        ({"email_account_id": 21, "per_day": 10, "strategy": "steady", "body": "x" * 10_001}, "body"),
        ({"email_account_id": 21, "per_day": 10, "strategy": "steady", "providers": ["yahoo"]}, "providers"),
        ({"email_account_id": 999, "per_day": 10, "strategy": "steady"}, "email_account_id"),
        ({"per_day": 10, "strategy": "steady"}, "email_account_id"),
    ],
)
def test_create_warm_up_refuses_what_the_docs_refuse(api, body: dict[str, Any], field: str) -> None:
    assert source_of(api.post("/v2/warm-up", json=body)) == field


def test_update_allows_from_up_to_10(api) -> None:
    assert patch(api, "/v2/warm-up/301", json={"from": 10}).ok
    assert source_of(patch(api, "/v2/warm-up/301", json={"from": 11})) == "from"
    assert source_of(patch(api, "/v2/warm-up/301", json={"email_account_id": 22})) == "email_account_id"


def test_statistics_per_day(api, sb) -> None:
    today = dt.datetime.fromtimestamp(sb.state.now(), dt.timezone.utc).date()
    two_weeks = api.get("/v2/warm-up/statistics/301", params={"period": "two_weeks"}).json()
    assert two_weeks["success"] is True
    data = two_weeks["data"]
    assert data["is_calculated"] is True
    days = sorted(data["daily_statistics"])
    assert days[0] == (today - dt.timedelta(days=13)).isoformat() and days[-1] == today.isoformat()
    assert len(days) == 14
    for day in data["daily_statistics"].values():
        assert day["inbox_emails"] + day["spam_emails"] + day["categories_emails"] == day["emails_sent"]
    sent = sum(d["emails_sent"] for d in data["daily_statistics"].values())
    shares = data["deliverability"]
    assert sum(shares[k]["count"] for k in ("inbox", "spam", "categories")) == sent
    assert set(data["provider_statistics"]) == {"google", "outlook", "hostinger", "other"}
    month = api.get("/v2/warm-up/statistics/301", params={"period": "month"}).json()["data"]
    assert len(month["daily_statistics"]) == 30
    # A day reads the same however it is asked for.
    window = {"date_from": days[0], "date_to": days[-1]}
    by_dates = api.get("/v2/warm-up/statistics/301", params=window).json()["data"]
    assert by_dates["daily_statistics"] == data["daily_statistics"]
    # Days before the start are not there; the ramp starts at ``from`` and grows by ``increase``.
    start = dt.date.fromisoformat(api.get("/v2/warm-up/301").json()["data"]["start_date"])
    early = {
        "date_from": (start - dt.timedelta(days=5)).isoformat(),
        "date_to": (start + dt.timedelta(days=1)).isoformat(),
    }
    ramp = api.get("/v2/warm-up/statistics/301", params=early).json()["data"]["daily_statistics"]
    assert [d["emails_sent"] for d in ramp.values()] == [2, 4]


def test_statistics_errors_and_calculation(api, sb) -> None:
    assert source_of(api.get("/v2/warm-up/statistics/301", params={"period": "year"})) == "period"
    assert source_of(api.get("/v2/warm-up/statistics/301", params={"date_from": "2026-01-01"})) == "date_to"
    backwards = {"date_from": "2026-02-01", "date_to": "2026-01-01"}
    assert source_of(api.get("/v2/warm-up/statistics/301", params=backwards)) == "date_to"
    before_start = {"date_from": "2020-01-01", "date_to": "2020-01-02"}
    assert source_of(api.get("/v2/warm-up/statistics/301", params=before_start)) == "date_to"
    new = api.post("/v2/warm-up", json={"email_account_id": 21, "per_day": 10, "strategy": "steady"}).json()
    fresh = api.get(f"/v2/warm-up/statistics/{new['data']['id']}").json()["data"]
    assert fresh["is_calculated"] is False and fresh["daily_statistics"] == {}
    sb.state.advance_clock(STATS_SECONDS + 1)
    ready = api.get(f"/v2/warm-up/statistics/{new['data']['id']}").json()["data"]
    assert ready["is_calculated"] is True and ready["daily_statistics"]


# -- knobs: readings of the ambiguous parts of the doc --------------------------------------------------


def test_connection_words_knob_serves_the_53_reading(api, sb) -> None:
    """#53 says pending|connected|error, #54/#55 say pending|valid|invalid: the knob serves the other reading."""
    sb.configure(sender_connection_words="connected")
    assert api.get("/v2/sender-accounts/check-sender-status", params={"sender_account_id": 23}).json() == {
        "data": {
            "smtp": {"status": "error", "errors": ["Connection refused"]},
            "imap": {"status": "error", "errors": ["Connection refused"]},
        }
    }
    by_id = {a["id"]: a for a in api.get(ACCOUNTS).json()["data"]}
    assert by_id[21]["valid"] is True and by_id[23]["suspended"] is True
    assert patch(api, f"{ACCOUNTS}/21", json={"limitation": 60}).json()["data"]["smtp"]["status"] == "connected"


def test_per_day_plan_cap_knob(api, sb) -> None:
    sb.configure(warm_up_per_day_max=50)
    body = {"email_account_id": 21, "per_day": 51, "strategy": "steady"}
    assert source_of(api.post("/v2/warm-up", json=body)) == "per_day"
    assert api.post("/v2/warm-up", json={**body, "per_day": 50}).ok
    assert source_of(patch(api, "/v2/warm-up/301", json={"per_day": 51})) == "per_day"

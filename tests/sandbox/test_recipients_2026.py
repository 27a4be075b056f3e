"""Contract tests of the 2026 recipients endpoints #72-#75 and CRM #76-#77 over real HTTP.

The sandbox derives them from the seeded campaigns, so these tests hold the endpoints to each other: the
activity feed (#72) against the v1 event lists (#23-#26) and analytics (#19), all-replies (#73) against #23,
the recipient check (#74) against #22/#21, the do-not-email lists (#75) against #28.
"""

from __future__ import annotations

import collections
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.sandbox.conftest import Api

NOT_FOUND = {"errors": {"code": 404, "title": "Sorry, but url or entity not found", "source": ""}}
ACTIVITY_KEYS = [
    "event_time",
    "event_type",
    "sender_email",
    "email_subject",
    "recipient_email",
    "recipient_name",
    "phone",
    "industry",
    "country",
    "location",
    "company",
    "job_position",
    "hq_phone",
    "website",
]
THREAD_KEYS = {
    "campaignId",
    "campaign",
    "prospectId",
    "prospectName",
    "prospectEmail",
    "linkedInProfile",
    "replyType",
    "receivedAt",
    "replies",
}


def _campaigns(api: Api) -> list[dict[str, Any]]:
    return api.get("/v1/get-user-campaigns").json()


def _small(api: Api) -> list[dict[str, Any]]:
    """The started small campaigns (the first two hold 10,000+ replies, the last is a Draft)."""
    return [c for c in _campaigns(api)[2:] if c["started_at"]]


def _v1(api: Api, path: str, campaign_id: int) -> list[dict[str, Any]]:
    response = api.get(path, params={"campaignId": campaign_id, "offset": 0})
    assert response.status_code == 200, response.text
    return response.json()


def _php_ts(value: dict[str, Any]) -> str:
    return value["date"][:19]  # "2025-09-08 00:52:56.000000" -> "2025-09-08 00:52:56"


def _window(campaign: dict[str, Any]) -> tuple[str, str]:
    start = datetime.fromtimestamp(campaign["started_at"], timezone.utc).date()
    return start.isoformat(), (start + timedelta(days=31)).isoformat()


def _activity(api: Api, campaign_id: int, date_from: str, date_to: str, **params: Any) -> Any:
    response = api.get(
        f"/v2/campaigns/{campaign_id}/recipients-activity", params={"dateFrom": date_from, "dateTo": date_to, **params}
    )
    assert response.status_code == 200, response.text
    return response.json()


# #72 recipients activity --------------------------------------------------------------------------------------


def test_activity_agrees_with_the_v1_event_lists_and_adds_bounces(api: Api) -> None:
    bounces_seen = 0
    for campaign in _small(api):
        cid = campaign["id"]
        date_from, date_to = _window(campaign)
        body = _activity(api, cid, date_from, date_to, limit=1000)
        assert body["pagination"] == {"total": len(body["data"]), "offset": 0, "limit": 1000, "has_more": False}
        assert all(list(row) == ACTIVITY_KEYS for row in body["data"])
        times = [row["event_time"] for row in body["data"]]
        assert times == sorted(times), "events oldest first"
        by_type: dict[str, list[tuple[str, str]]] = collections.defaultdict(list)
        for row in body["data"]:
            by_type[row["event_type"]].append((row["event_time"], row["recipient_email"]))
        assert set(by_type) <= {"sent", "open", "click", "reply", "bounce"}
        expected = {
            "sent": [(_php_ts(r["sentDate"]), r["userEmail"]) for r in _v1(api, "/v1/emails-sent", cid)],
            "open": [(_php_ts(r["visitedAt"]), r["prospectEmail"]) for r in _v1(api, "/v1/get-emails-opened", cid)],
            "click": [(_php_ts(r["visitedAt"]), r["prospectEmail"]) for r in _v1(api, "/v1/get-emails-clicked", cid)],
            "reply": [(_php_ts(r["visitedAt"]), r["prospectEmail"]) for r in _v1(api, "/v1/get-emails-replies", cid)],
        }
        for kind, rows in expected.items():
            assert rows, f"campaign {cid} has no {kind} events to compare"
            assert sorted(by_type[kind]) == sorted(rows), f"{kind} events of campaign {cid} disagree with v1"
        analytics = api.get(
            "/v2/statistics/campaign-analytics",
            params={"campaign_id": cid, "date_from": date_from, "date_to": date_to},
        ).json()
        assert len(by_type["bounce"]) == analytics["bounced"]
        assert len(by_type["sent"]) == analytics["emails_sent"]
        assert set(by_type["bounce"]) <= set(by_type["sent"]), "a bounce is a sent email's"
        bounces_seen += len(by_type["bounce"])
    assert bounces_seen > 0, "the seeded small campaigns have bounces"


def test_an_unsubscription_appears_in_the_feed_and_in_analytics(api: Api, sb: SandboxServer) -> None:
    campaign = _small(api)[0]
    cid = campaign["id"]
    unfinished = next(
        email
        for email in (r["userEmail"] for r in _v1(api, "/v1/emails-sent", cid))
        if email not in {p["userEmail"] for p in _v1(api, "/v1/prospect-finished", cid)}
    )
    done = api.post(
        "/v1/change-recipient-status", data={"campaign_id": cid, "email": unfinished, "status": "Unsubscribed"}
    )
    assert done.json() == {"success": True}
    today = datetime.fromtimestamp(sb.state.now(), timezone.utc).date().isoformat()
    rows = _activity(api, cid, today, today)["data"]
    assert [(r["event_type"], r["recipient_email"]) for r in rows] == [("unsubscribe", unfinished)]
    analytics = api.get(
        "/v2/statistics/campaign-analytics", params={"campaign_id": cid, "date_from": today, "date_to": today}
    ).json()
    assert analytics["unsubscribed"] == 1


def test_activity_pages_by_offset_and_limit_until_has_more_is_false(api: Api) -> None:
    campaign = _small(api)[1]
    date_from, date_to = _window(campaign)
    whole = _activity(api, campaign["id"], date_from, date_to, limit=1000)["data"]
    pages, offset = [], 0
    while True:
        body = _activity(api, campaign["id"], date_from, date_to, offset=offset, limit=7)
        assert body["pagination"]["total"] == len(whole)
        assert body["pagination"]["offset"] == offset and body["pagination"]["limit"] == 7
        pages.append(body["data"])
        offset += len(body["data"])
        if not body["pagination"]["has_more"]:
            break
    assert [row for page in pages for row in page] == whole
    assert all(len(page) == 7 for page in pages[:-1]) and 0 < len(pages[-1]) <= 7
    default = _activity(api, campaign["id"], date_from, date_to)
    assert default["pagination"]["limit"] == 100 and len(default["data"]) == min(100, len(whole))


def test_activity_windows_are_inclusive_utc_days(api: Api) -> None:
    campaign = _small(api)[0]
    date_from, date_to = _window(campaign)
    whole = _activity(api, campaign["id"], date_from, date_to, limit=1000)["data"]
    days = sorted({row["event_time"][:10] for row in whole})
    one_day = _activity(api, campaign["id"], days[1], days[1], limit=1000)["data"]
    assert one_day == [row for row in whole if row["event_time"][:10] == days[1]]


@pytest.mark.parametrize(
    "params, source",
    [
        ({"dateTo": "2025-09-10"}, "dateFrom"),
        ({"dateFrom": "2025-09-10"}, "dateTo"),
        ({"dateFrom": "10/09/2025", "dateTo": "2025-09-12"}, "dateFrom"),
        ({"dateFrom": "2025-09-10", "dateTo": "2025-09-09"}, "dateTo"),
        ({"dateFrom": "2025-09-01", "dateTo": "2025-10-03"}, "dateTo"),  # 32 days apart
        ({"dateFrom": "2025-09-01", "dateTo": "2025-09-02", "limit": 1001}, "limit"),
        ({"dateFrom": "2025-09-01", "dateTo": "2025-09-02", "limit": 0}, "limit"),
        ({"dateFrom": "2025-09-01", "dateTo": "2025-09-02", "offset": -1}, "offset"),
    ],
)
def test_activity_refuses_bad_input_with_422_naming_the_field(api: Api, params: dict[str, Any], source: str) -> None:
    cid = _small(api)[0]["id"]
    response = api.get(f"/v2/campaigns/{cid}/recipients-activity", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["errors"]["source"] == source


def test_the_31_day_window_under_both_readings(api: Api, sb: SandboxServer) -> None:
    cid = _small(api)[0]["id"]
    assert _activity(api, cid, "2025-09-01", "2025-10-02")["pagination"]["total"] > 0  # 31 days apart: allowed
    sb.configure(activity_window_inclusive=True)
    refused = api.get(
        f"/v2/campaigns/{cid}/recipients-activity", params={"dateFrom": "2025-09-01", "dateTo": "2025-10-02"}
    )
    assert refused.status_code == 422 and refused.json()["errors"]["source"] == "dateTo"
    assert _activity(api, cid, "2025-09-01", "2025-10-01")["pagination"]["total"] > 0  # 31 calendar days


def test_event_time_as_sampled_or_as_described(api: Api, sb: SandboxServer) -> None:
    campaign = _small(api)[0]
    date_from, date_to = _window(campaign)
    sampled = _activity(api, campaign["id"], date_from, date_to)["data"][0]["event_time"]
    assert datetime.strptime(sampled, "%Y-%m-%d %H:%M:%S")
    sb.configure(activity_iso_event_time=True)
    described = _activity(api, campaign["id"], date_from, date_to)["data"][0]["event_time"]
    assert datetime.strptime(described, "%Y-%m-%dT%H:%M:%SZ") == datetime.strptime(sampled, "%Y-%m-%d %H:%M:%S")


@pytest.mark.parametrize("path", ["recipients-activity", "all-replies", "recipient"])
@pytest.mark.parametrize("campaign_id", ["999999999", "abc"])
def test_unknown_campaigns_answer_the_documented_404(api: Api, path: str, campaign_id: str) -> None:
    params = {"dateFrom": "2025-09-01", "dateTo": "2025-09-02", "emails[]": "a@b.com"}
    response = api.get(f"/v2/campaigns/{campaign_id}/{path}", params=params)
    assert response.status_code == 404 and response.json() == NOT_FOUND


# #73 all replies ---------------------------------------------------------------------------------------------


def _all_replies(api: Api, campaign_id: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    while True:
        response = api.get(f"/v2/campaigns/{campaign_id}/all-replies", params={"offset": len(rows)})
        assert response.status_code == 200, response.text
        assert set(response.json()) == {"data"}
        page = response.json()["data"]
        if not page:
            return rows
        rows.extend(page)


def test_all_replies_hold_the_email_replies_of_v1_and_linkedin_replies(api: Api) -> None:
    linkedin = 0
    for campaign in _small(api):
        cid = campaign["id"]
        threads = _all_replies(api, cid)
        assert all(set(t) == THREAD_KEYS for t in threads)
        keys = [(t["prospectId"], t["replyType"]) for t in threads]
        assert len(keys) == len(set(keys)), "one record per contact and reply type"
        emails = sorted(
            (t["prospectEmail"], r["receivedAt"], r["subject"])
            for t in threads
            if t["replyType"] == "email"
            for r in t["replies"]
        )
        v1 = sorted(
            (r["prospectEmail"], _php_ts(r["visitedAt"]), r["emailSubject"].strip('"'))
            for r in _v1(api, "/v1/get-emails-replies", cid)
        )
        assert emails == v1, f"e-mail replies of campaign {cid} disagree with #23"
        for thread in threads:
            times = [r["receivedAt"] for r in thread["replies"]]
            assert times == sorted(times) and thread["receivedAt"] == times[0]
            assert thread["campaignId"] == cid and thread["campaign"] == campaign["campaign"]
            if thread["replyType"] != "email":
                assert thread["replyType"] in {"linkedinMessage", "linkedinInvite", "linkedinInMail"}
                assert all(r["subject"] == "" and r["message"] for r in thread["replies"])
                assert thread["linkedInProfile"].startswith("https://www.linkedin.com/in/")
                linkedin += 1
    assert linkedin > 0, "the seeded campaigns have LinkedIn replies"


def test_all_replies_page_size_is_a_knob_and_an_empty_page_ends(api: Api, sb: SandboxServer) -> None:
    cid = _small(api)[0]["id"]
    whole = api.get(f"/v2/campaigns/{cid}/all-replies").json()["data"]
    assert 3 < len(whole) <= 100
    sb.configure(all_replies_page_size=3)
    first = api.get(f"/v2/campaigns/{cid}/all-replies", params={"offset": 0}).json()["data"]
    assert first == whole[:3]
    assert _all_replies(api, cid) == whole
    assert api.get(f"/v2/campaigns/{cid}/all-replies", params={"offset": len(whole)}).json() == {"data": []}


def test_a_draft_campaign_has_no_replies(api: Api) -> None:
    draft = _campaigns(api)[-1]
    assert draft["status"] == "Draft"
    assert api.get(f"/v2/campaigns/{draft['id']}/all-replies").json() == {"data": []}


# #74 recipient status ----------------------------------------------------------------------------------------


def test_recipient_status_reads_the_campaigns_recipients(api: Api) -> None:
    cid = _small(api)[0]["id"]
    finished = {p["userEmail"] for p in _v1(api, "/v1/prospect-finished", cid)}
    recipients = sorted({r["userEmail"] for r in _v1(api, "/v1/emails-sent", cid)})
    active = [e for e in recipients if e not in finished]
    done = sorted(finished)[0]
    api.post("/v1/change-recipient-status", data={"campaign_id": cid, "email": active[0], "status": "Unsubscribed"})
    asked = [done, active[0], active[1], "stranger@example.com"]
    response = api.get(f"/v2/campaigns/{cid}/recipient", params={"emails[]": asked})
    assert response.status_code == 200, response.text
    assert response.json() == {
        "data": [
            {"email": done, "exist": True, "status": "finished"},
            {"email": active[0], "exist": True, "status": "unsubscribe"},
            {"email": active[1], "exist": True, "status": "active"},
            {"email": "stranger@example.com", "exist": False, "status": None},
        ]
    }


@pytest.mark.parametrize(
    "emails",
    [
        [],
        [f"r{i}@example.com" for i in range(101)],
        ["same@example.com", "SAME@example.com"],
        ["x" * 90 + "@example.com"],
    ],
    ids=["none", "101", "duplicate", "over-100-chars"],
)
def test_recipient_status_refuses_what_the_docs_forbid(api: Api, emails: list[str]) -> None:
    cid = _small(api)[0]["id"]
    response = api.get(f"/v2/campaigns/{cid}/recipient", params={"emails[]": emails})
    assert response.status_code == 422, response.text
    assert response.json()["errors"]["source"] == "emails"


def test_recipient_status_takes_exactly_100(api: Api) -> None:
    cid = _small(api)[0]["id"]
    response = api.get(f"/v2/campaigns/{cid}/recipient", params={"emails[]": [f"r{i}@example.com" for i in range(100)]})
    assert response.status_code == 200 and len(response.json()["data"]) == 100


# #75 do-not-email lists ---------------------------------------------------------------------------------------


def test_blacklists_are_the_lists_do_not_email_accepts(api: Api, sb: SandboxServer) -> None:
    lists = api.get("/v2/blacklists").json()
    assert set(lists) == {"data"}
    assert {row["id"] for row in lists["data"]} == set(sb.state.data.do_not_email)
    assert all(set(row) == {"id", "name", "owner", "total"} for row in lists["data"])
    first = lists["data"][0]
    added = api.post("/v1/do-not-email-list", data={"listId": first["id"], "items[]": ["new@x.com", "blocked.org"]})
    assert added.status_code == 200, added.text
    again = {row["id"]: row["total"] for row in api.get("/v2/blacklists").json()["data"]}
    assert again[first["id"]] == first["total"] + 2, "total counts e-mails plus domains"


# #76/#77 pipelines --------------------------------------------------------------------------------------------


def test_pipelines_and_their_stages_agree(api: Api) -> None:
    pipelines = api.get("/v2/pipelines").json()["data"]
    assert len(pipelines) >= 2
    for pipeline in pipelines:
        assert set(pipeline) == {"id", "name", "deals_count", "deals_value", "created_at"}
        assert datetime.fromisoformat(pipeline["created_at"]).tzinfo is not None
        stages = api.get(f"/v2/pipelines/{pipeline['id']}/stages").json()["data"]
        assert stages and [s["order"] for s in stages] == list(range(1, len(stages) + 1))
        assert all(s["pipeline_id"] == pipeline["id"] for s in stages)
        assert sum(s["deals_count"] for s in stages) == pipeline["deals_count"]
        assert sum(s["deals_value"] for s in stages) == pytest.approx(pipeline["deals_value"])


@pytest.mark.parametrize("pipeline_id", ["1", "abc"])
def test_unknown_pipeline_answers_404(api: Api, pipeline_id: str) -> None:
    response = api.get(f"/v2/pipelines/{pipeline_id}/stages")
    assert response.status_code == 404 and response.json() == NOT_FOUND


def test_new_routes_need_a_token(sb: SandboxServer) -> None:
    import requests

    paths = ["/v2/blacklists", "/v2/pipelines", "/v2/pipelines/4101/stages"]
    paths += [f"/v2/campaigns/237923/{tail}" for tail in ("recipients-activity", "all-replies", "recipient")]
    for path in paths:
        assert requests.get(sb.base_url + path, timeout=10).status_code == 401


def test_analytics_linkedin_reply_counts_agree_with_all_replies(api: Api) -> None:
    for campaign in _small(api):
        threads = _all_replies(api, campaign["id"])
        by_type: dict[str, set[str]] = collections.defaultdict(set)
        for thread in threads:
            by_type[thread["replyType"]].add(thread["prospectId"])
        stats = api.get("/v2/statistics/campaign-analytics", params={"campaign_id": campaign["id"]}).json()
        linkedin = by_type["linkedinMessage"] | by_type["linkedinInvite"] | by_type["linkedinInMail"]
        assert linkedin, f"campaign {campaign['id']} has no LinkedIn replies to compare"
        assert stats["linkedin_total_replies"] == stats["contacted_by_linkedin"] == len(linkedin)
        assert stats["message_replies"] == len(by_type["linkedinMessage"])
        assert stats["connection_request_replies"] == len(by_type["linkedinInvite"])
        assert stats["in_mail_replies"] == len(by_type["linkedinInMail"])
        # All time, every LinkedIn replier was also reached by e-mail: each person counts once.
        assert stats["total_contacted"] == stats["contacted_by_email"]

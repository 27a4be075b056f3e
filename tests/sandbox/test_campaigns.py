"""Contract tests of the campaign endpoints #19-#28 over real HTTP.

The seeded account (default knobs): campaign 0 has 25,500 replies, campaign 1 exactly 10,000, campaigns
2-4 are small, campaign 5 is a Draft without events.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any

import pytest

NOT_FOUND = {"errors": {"code": 404, "title": "Sorry, but url or entity not found", "source": ""}}
RATE = re.compile(r"^\d{1,3}%$")
CAMPAIGN_KEYS = {"id", "campaign", "list_id", "status", "created_at", "updated_at", "started_at", "hash"}
EVENT_KEYS = {
    "visitedAt",
    "campaignId",
    "campaign",
    "prospectId",
    "prospectFirstName",
    "prospectLastName",
    "prospectName",
    "sourcePage",
    "source",
    "locality",
    "industry",
    "country",
    "prospectEmail",
    "hash",
    "emailSubject",
    "emailBody",
    "skills",
    "links",
    "customFields",
    "id",
}


def campaigns(api) -> list[dict[str, Any]]:
    response = api.get("/v1/get-user-campaigns")
    assert response.status_code == 200
    return response.json()


def all_rows(api, path: str, campaign_id: int) -> list[dict[str, Any]]:
    """Page with offset until a short page, like a correct client."""
    rows: list[dict[str, Any]] = []
    while True:
        page = api.get(path, params={"campaignId": campaign_id, "offset": len(rows)}).json()
        rows.extend(page)
        if len(page) < 10_000:
            return rows


def day(ts_date: dict[str, Any]) -> str:
    return ts_date["date"][:10]


def test_user_campaigns_shape(api) -> None:
    rows = campaigns(api)
    assert len(rows) == 6
    for row in rows:
        assert set(row) == CAMPAIGN_KEYS
        assert isinstance(row["id"], int) and isinstance(row["list_id"], int)
        assert re.fullmatch(r"[0-9a-f]{32}", row["hash"])
    drafts = [r for r in rows if r["status"] == "Draft"]
    assert len(drafts) == 1 and drafts[0]["started_at"] is None
    assert all(isinstance(r["started_at"], int) for r in rows if r["status"] != "Draft")
    list_ids = {row["id"] for row in api.get("/v1/get-user-lists").json()}
    assert {row["list_id"] for row in rows} <= list_ids


def test_replies_offset_paging_to_the_end_of_25500(api) -> None:
    big = campaigns(api)[0]["id"]
    pages = [
        api.get("/v1/get-emails-replies", params={"campaignId": big, "offset": off}).json()
        for off in (0, 10_000, 20_000, 25_500)
    ]
    assert [len(p) for p in pages] == [10_000, 10_000, 5_500, 0]
    rows = [row for page in pages for row in page]
    assert len({row["id"] for row in rows}) == 25_500
    dates = [row["visitedAt"]["date"] for row in rows]
    assert dates == sorted(dates)  # oldest first
    first = rows[0]
    assert set(first) >= EVENT_KEYS
    assert first["campaignId"] == big
    assert first["visitedAt"]["timezone"] == "UTC" and first["visitedAt"]["timezone_type"] == 3
    assert any(key.startswith("customField_") for key in first)
    # the documented pitfall: no offset = the LAST 10,000 rows
    last = api.get("/v1/get-emails-replies", params={"campaignId": big}).json()
    assert [row["id"] for row in last] == [row["id"] for row in rows[-10_000:]]


def test_exactly_ten_thousand_replies(api) -> None:
    exact = campaigns(api)[1]["id"]
    first = api.get("/v1/get-emails-replies", params={"campaignId": exact, "offset": 0}).json()
    assert len(first) == 10_000
    assert api.get("/v1/get-emails-replies", params={"campaignId": exact, "offset": 10_000}).json() == []
    no_offset = api.get("/v1/get-emails-replies", params={"campaignId": exact}).json()
    assert [r["id"] for r in no_offset] == [r["id"] for r in first]


@pytest.mark.parametrize("path", ["/v1/get-emails-opened", "/v1/get-emails-clicked", "/v1/emails-sent"])
def test_other_event_lists_page_like_replies(api, path: str) -> None:
    big = campaigns(api)[0]["id"]
    rows = all_rows(api, path, big)
    assert len(rows) > 1_000
    assert len({row["id"] for row in rows}) == len(rows)
    key = "sentDate" if path == "/v1/emails-sent" else "visitedAt"
    dates = [row[key]["date"] for row in rows]
    assert dates == sorted(dates)
    if path == "/v1/emails-sent":
        assert set(rows[0]) == {"sentDate", "userName", "userEmail", "campaign", "hash", "id"}
    offset = max(0, len(rows) - 10_000)
    last = api.get(path, params={"campaignId": big}).json()
    assert [r["id"] for r in last] == [r["id"] for r in rows[offset:]]


def test_event_endpoints_validate_campaign(api) -> None:
    missing = api.get("/v1/get-emails-replies")
    assert missing.status_code == 400
    assert missing.json()["success"] is False and "campaignId" in missing.json()["message"]
    assert api.get("/v1/get-emails-replies", params={"campaignId": "12x"}).status_code == 400
    assert api.get("/v1/get-emails-replies", params={"campaignId": 1, "offset": 0}).json() == NOT_FOUND
    bad_offset = api.get("/v1/emails-sent", params={"campaignId": campaigns(api)[0]["id"], "offset": "-5"})
    assert bad_offset.status_code == 400 and "offset" in bad_offset.json()["message"]
    assert api.get("/v1/prospect-finished", params={"campaignId": 999}).status_code == 404


def test_analytics_all_time_match_the_event_lists(api) -> None:
    small = campaigns(api)[2]
    cid = small["id"]
    stats = api.get("/v2/statistics/campaign-analytics", params={"campaign_id": cid}).json()
    sent = all_rows(api, "/v1/emails-sent", cid)
    opens = all_rows(api, "/v1/get-emails-opened", cid)
    clicks = all_rows(api, "/v1/get-emails-clicked", cid)
    replies = all_rows(api, "/v1/get-emails-replies", cid)
    assert stats["emails_sent"] == len(sent)
    assert stats["first_emails"] + stats["follow_ups"] == stats["emails_sent"]
    assert stats["delivered"] + stats["bounced"] == stats["emails_sent"]
    assert stats["email_opens"] == len({r["prospectEmail"] for r in opens})
    assert stats["link_clicks"] == len({r["prospectEmail"] for r in clicks})
    assert 0 < stats["email_replies"] <= len({r["prospectEmail"] for r in replies})
    assert stats["total_contacted"] == stats["contacted_by_email"] >= stats["email_opens"]
    assert stats["first_emails_rate"] == f"{round(100 * stats['first_emails'] / stats['emails_sent'])}%"
    assert stats["email_opens_rate"] == f"{round(100 * stats['email_opens'] / stats['contacted_by_email'])}%"
    assert stats["interested"] + stats["maybe"] + stats["not_interested"] <= stats["email_replies"]
    for key, value in stats.items():
        if key.endswith("_rate"):
            assert RATE.match(value), key
        else:
            assert isinstance(value, int), key
    assert len(stats) == 45


def test_analytics_date_window_counts_only_events_inside(api) -> None:
    exact = campaigns(api)[1]["id"]
    sent = all_rows(api, "/v1/emails-sent", exact)
    days = sorted({day(r["sentDate"]) for r in sent})
    date_from, date_to = days[10], days[20]
    expected = sum(1 for r in sent if date_from <= day(r["sentDate"]) <= date_to)
    stats = api.get(
        "/v2/statistics/campaign-analytics",
        params={"campaign_id": exact, "date_from": date_from, "date_to": date_to},
    ).json()
    assert stats["emails_sent"] == expected
    assert 0 < expected < len(sent)
    empty = api.get(
        "/v2/statistics/campaign-analytics",
        params={"campaign_id": exact, "date_from": "2001-01-01", "date_to": "2001-01-31"},
    ).json()
    assert empty["emails_sent"] == 0 and empty["email_opens_rate"] == "0%"


def test_analytics_without_dates_is_all_time(api) -> None:
    """The newer docs: leave date_from and date_to empty for statistics over all time."""
    exact = campaigns(api)[1]["id"]
    sent = all_rows(api, "/v1/emails-sent", exact)
    days = sorted({day(r["sentDate"]) for r in sent})
    path = "/v2/statistics/campaign-analytics"
    all_time = api.get(path, params={"campaign_id": exact}).json()
    empty_dates = api.get(path, params={"campaign_id": exact, "date_from": "", "date_to": ""}).json()
    covering = api.get(path, params={"campaign_id": exact, "date_from": "2000-01-01", "date_to": "2100-12-31"}).json()
    window = api.get(path, params={"campaign_id": exact, "date_from": days[10], "date_to": days[20]}).json()
    assert all_time["emails_sent"] == len(sent) > window["emails_sent"]
    assert all_time == empty_dates == covering


def test_analytics_filters_and_validation(api) -> None:
    rows = campaigns(api)
    ids = ",".join(str(r["id"]) for r in rows[2:4])
    both = api.get("/v2/statistics/campaign-analytics", params={"campaign_id": ids}).json()
    one = api.get("/v2/statistics/campaign-analytics", params={"campaign_id": rows[2]["id"]}).json()
    other = api.get("/v2/statistics/campaign-analytics", params={"campaign_id": rows[3]["id"]}).json()
    assert both["emails_sent"] == one["emails_sent"] + other["emails_sent"]
    owner = api.get(
        "/v2/statistics/campaign-analytics", params={"campaign_id": ids, "campaign_owner": "owner@sandbox.snov.io"}
    ).json()
    assert owner["emails_sent"] in (one["emails_sent"], other["emails_sent"])
    for bad in (
        {"date_from": "2025/01/01"},
        {"date_from": "2025-02-01", "date_to": "2025-01-01"},
        {"campaign_id": "1,abc"},
    ):
        response = api.get("/v2/statistics/campaign-analytics", params=bad)
        assert response.status_code == 400, bad


def test_progress_and_finished_prospects_agree(api) -> None:
    big = campaigns(api)[0]
    progress = api.get(f"/v2/campaigns/{big['id']}/progress").json()
    assert set(progress) == {"status", "unfinished", "progress"}
    assert progress["status"] == "Active"
    finished = api.get("/v1/prospect-finished", params={"campaignId": big["id"]}).json()
    assert set(finished[0]) == {"id", "prospectId", "userName", "userEmail", "campaign", "hash"}
    total = len(finished) + progress["unfinished"]
    assert progress["progress"] == f"{round(100 * len(finished) / total)}%"
    assert progress["unfinished"] > 0
    assert api.get("/v2/campaigns/1/progress").json() == NOT_FOUND
    assert api.get("/v2/campaigns/abc/progress").status_code == 404


def test_change_recipient_status_is_visible(api) -> None:
    big = campaigns(api)[0]["id"]
    finished = {r["userEmail"] for r in api.get("/v1/prospect-finished", params={"campaignId": big}).json()}
    sent = api.get("/v1/emails-sent", params={"campaignId": big}).json()
    email = next(r["userEmail"] for r in reversed(sent) if r["userEmail"] not in finished)
    before = api.get(f"/v2/campaigns/{big}/progress").json()["unfinished"]
    today = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    window = {"campaign_id": big, "date_from": today, "date_to": today}
    assert api.get("/v2/statistics/campaign-analytics", params=window).json()["unsubscribed"] == 0
    paused = api.post("/v1/change-recipient-status", data={"email": email, "campaign_id": big, "status": "Paused"})
    assert paused.json() == {"success": True}
    assert api.get(f"/v2/campaigns/{big}/progress").json()["unfinished"] == before
    unsub = api.post("/v1/change-recipient-status", data={"email": email, "campaign_id": big, "status": "Unsubscribed"})
    assert unsub.json() == {"success": True}
    assert api.get(f"/v2/campaigns/{big}/progress").json()["unfinished"] == before - 1
    assert api.get("/v2/statistics/campaign-analytics", params=window).json()["unsubscribed"] == 1
    # finished recipients cannot change (documented)
    done = next(iter(finished))
    refused = api.post("/v1/change-recipient-status", data={"email": done, "campaign_id": big, "status": "Active"})
    assert refused.json()["success"] is False


@pytest.mark.parametrize(
    ("data", "status"),
    [
        ({"email": "x@y.io", "status": "Paused"}, 400),
        ({"campaign_id": "237900", "status": "Paused"}, 400),
        ({"email": "x@y.io", "campaign_id": "1", "status": "Paused"}, 404),
        ({"email": "x@y.io", "campaign_id": "{big}", "status": "Finished"}, 400),
        ({"email": "nobody@nowhere.io", "campaign_id": "{big}", "status": "Paused"}, 400),
    ],
)
def test_change_recipient_status_validation(api, data: dict[str, str], status: int) -> None:
    big = str(campaigns(api)[0]["id"])
    data = {k: v.replace("{big}", big) for k, v in data.items()}
    response = api.post("/v1/change-recipient-status", data=data)
    assert response.status_code == status
    if status == 400:
        assert response.json()["success"] is False


def test_do_not_email_list_duplicates_and_validation(api) -> None:
    list_id = next(iter(api.server.state.data.do_not_email))
    items = {"listId": list_id, "items[]": ["new@octagon.com", "spam.example"]}
    first = api.post("/v1/do-not-email-list", data=items)
    assert first.json() == [{"success": True, "data": {"duplicates": []}}]
    # PHP http_build_query spelling, with one new and one known item
    second = api.post(
        "/v1/do-not-email-list", data={"listId": list_id, "items[0]": "new@octagon.com", "items[1]": "fresh.example"}
    )
    assert second.json() == [{"success": True, "data": {"duplicates": ["new@octagon.com"]}}]
    assert "fresh.example" in api.server.state.data.do_not_email[list_id].items
    assert api.post("/v1/do-not-email-list", data={"items[]": "a@b.io"}).status_code == 400
    assert api.post("/v1/do-not-email-list", data={"listId": 1, "items[]": "a@b.io"}).json() == NOT_FOUND
    assert api.post("/v1/do-not-email-list", data={"listId": list_id, "items[]": "not an item"}).status_code == 400
    assert api.post("/v1/do-not-email-list", data={"listId": list_id}).status_code == 400


def test_analytics_without_campaign_id_cover_active_campaigns(api) -> None:
    rows = campaigns(api)
    active = [r["id"] for r in rows if r["status"] == "Active"]
    assert len(active) >= 2
    window = {"date_from": "2025-01-01", "date_to": "2026-12-31"}
    default = api.get("/v2/statistics/campaign-analytics", params=window).json()
    explicit = api.get(
        "/v2/statistics/campaign-analytics", params={**window, "campaign_id": ",".join(map(str, active))}
    ).json()
    everything = api.get(
        "/v2/statistics/campaign-analytics", params={**window, "campaign_id": ",".join(str(r["id"]) for r in rows)}
    ).json()
    assert default == explicit
    assert everything["emails_sent"] > default["emails_sent"]

"""The sandbox control routes that change upstream events (used by the incremental-sync tests)."""

from __future__ import annotations

import httpx


def test_appended_events_are_served_last_and_reset_removes_them(snovio_sandbox, client):
    camp = next(c for c in snovio_sandbox.state.data.campaigns.campaigns if 0 < len(c.replies) < 1000)
    before = client.get_campaign_replies(camp.id, offset=0)
    answer = snovio_sandbox.append_events(camp.id, "replies", 4)
    assert answer["added"] == 4 and answer["total"] == len(before) + 4
    after = client.get_campaign_replies(camp.id, offset=0)
    assert after[: len(before)] == before and [row["id"] for row in after[len(before) :]] == answer["ids"]
    for kind, method in (
        ("opens", client.get_campaign_opens),
        ("clicks", client.get_campaign_clicks),
        ("sent", client.get_emails_sent),
    ):
        ids = snovio_sandbox.append_events(camp.id, kind, 2)["ids"]
        assert [row["id"] for row in method(camp.id, offset=0)[-2:]] == ids
    snovio_sandbox.reset()
    assert client.get_campaign_replies(camp.id, offset=0) == before


def test_deleted_events_shift_later_offsets(snovio_sandbox, client):
    camp = next(c for c in snovio_sandbox.state.data.campaigns.campaigns if 0 < len(c.replies) < 1000)
    before = [row["id"] for row in client.get_campaign_replies(camp.id, offset=0)]
    answer = snovio_sandbox.delete_events(camp.id, "replies", offset=1, count=2)
    assert answer["ids"] == before[1:3] and answer["total"] == len(before) - 2
    assert [row["id"] for row in client.get_campaign_replies(camp.id, offset=0)] == before[:1] + before[3:]


def test_bad_control_requests_are_refused(snovio_sandbox):
    url = f"{snovio_sandbox.base_url}/_sandbox/campaigns"
    camp = snovio_sandbox.state.data.campaigns.campaigns[0].id
    draft = snovio_sandbox.state.data.campaigns.campaigns[-1].id
    assert httpx.post(f"{url}/{camp}/events", json={"kind": "bounces", "count": 1}).status_code == 422
    assert httpx.post(f"{url}/{camp}/events", json={"kind": "replies", "count": 0}).status_code == 422
    assert httpx.post(f"{url}/1/events", json={"kind": "replies"}).status_code == 404
    assert httpx.post(f"{url}/{draft}/events", json={"kind": "replies"}).status_code == 422  # no recipients
    assert httpx.delete(f"{url}/{camp}/events", params={"kind": "replies", "offset": -1}).status_code == 422
    assert snovio_sandbox.stats()["total_requests"] == 0  # control routes are not API traffic

"""Contract tests of the webhook endpoints #37-#40 (v2, JSON bodies) over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

NOT_FOUND = {"errors": {"code": 404, "title": "Sorry, but url or entity not found", "source": ""}}
HOOK = {
    "event_object": "campaign_reply",
    "event_action": "first_received",
    "endpoint_url": "https://hooks.example.com/catch/abc/",
}


def listed(api) -> dict[str, Any]:
    response = api.get("/v2/webhooks")
    assert response.status_code == 200
    return response.json()


def test_list_shape(api) -> None:
    body = listed(api)
    assert body["meta"] == {"webhooks_count": 3, "user_id": 1313777}
    assert len(body["data"]) == 3
    for item in body["data"]:
        assert set(item) == {"data"}
        assert set(item["data"]) == {"id", "end_point", "event_object", "event_action", "status", "created_at"}
        assert item["data"]["status"] in ("active", "deactivated")


def test_add_change_delete_are_visible(api) -> None:
    added = api.post("/v2/webhooks", json=HOOK)
    assert added.status_code == 200
    body = added.json()
    hook = body["data"]
    assert body["meta"] == {"user_id": 1313777}
    assert hook["end_point"] == HOOK["endpoint_url"] and hook["status"] == "active"
    assert isinstance(hook["id"], int) and isinstance(hook["created_at"], int)
    ids = [item["data"]["id"] for item in listed(api)["data"]]
    assert hook["id"] in ids and listed(api)["meta"]["webhooks_count"] == 4

    changed = api.put(f"/v2/webhooks/{hook['id']}", json={"status": "deactivated"})
    assert changed.json()["data"]["status"] == "deactivated"
    current = next(i["data"] for i in listed(api)["data"] if i["data"]["id"] == hook["id"])
    assert current["status"] == "deactivated"

    deleted = api.delete(f"/v2/webhooks/{hook['id']}")
    assert deleted.json() == {"data": {"success": True}}
    assert hook["id"] not in [item["data"]["id"] for item in listed(api)["data"]]
    assert api.delete(f"/v2/webhooks/{hook['id']}").json() == NOT_FOUND


def test_id_must_be_a_real_path_segment(api) -> None:
    # the literal placeholder a public PHP client used
    assert api.put("/v2/webhooks/webhook_id", json={"status": "active"}).json() == NOT_FOUND
    assert api.delete("/v2/webhooks/webhook_id").status_code == 404
    assert api.put("/v2/webhooks/999999", json={"status": "active"}).status_code == 404


@pytest.mark.parametrize(
    ("change", "source"),
    [
        ({"event_object": "campaign_open"}, "event_object"),
        ({"event_action": "sent"}, "event_action"),  # sent is a campaign_email action, not campaign_reply
        ({"endpoint_url": "ftp://hooks.example.com/x"}, "endpoint_url"),
        ({"endpoint_url": None}, "endpoint_url"),
    ],
)
def test_add_validation(api, change: dict[str, Any], source: str) -> None:
    payload = {k: v for k, v in {**HOOK, **change}.items() if v is not None}
    response = api.post("/v2/webhooks", json=payload)
    assert response.status_code == 422
    assert response.json()["errors"]["source"] == source
    assert listed(api)["meta"]["webhooks_count"] == 3


def test_2026_events_are_accepted(api) -> None:
    for obj, action in (
        ("campaign_email", "bounced"),
        ("campaign_email", "clicked"),
        ("campaign_reply", "autoreply_received"),
    ):
        response = api.post("/v2/webhooks", json={**HOOK, "event_object": obj, "event_action": action})
        assert response.status_code == 200, (obj, action)


def test_invalid_status_change(api) -> None:
    hook_id = listed(api)["data"][0]["data"]["id"]
    response = api.put(f"/v2/webhooks/{hook_id}", json={"status": "paused"})
    assert response.status_code == 422
    assert response.json()["errors"]["source"] == "status"


def test_at_most_fifty_webhooks(api) -> None:
    for i in range(47):
        assert api.post("/v2/webhooks", json={**HOOK, "endpoint_url": f"https://h.example.com/{i}"}).ok
    assert listed(api)["meta"]["webhooks_count"] == 50
    refused = api.post("/v2/webhooks", json=HOOK)
    assert refused.status_code == 400
    assert "50" in refused.json()["errors"]["title"]
    first = listed(api)["data"][0]["data"]["id"]
    api.delete(f"/v2/webhooks/{first}")
    assert api.post("/v2/webhooks", json=HOOK).status_code == 200

"""The sandbox knobs and control routes of issue 14: event order, shared ids, late inserts, armed deletions."""

from __future__ import annotations

import httpx
import pytest

from airflow_provider_snovio.sandbox.cli import build_parser


def small_campaign(sandbox):
    return next(c for c in sandbox.state.data.campaigns.campaigns if len(c.opens) > 0 and len(c.replies) < 1000)


def test_newest_first_serves_the_same_events_reversed(snovio_sandbox, client):
    camp = small_campaign(snovio_sandbox)
    oldest = client.get_campaign_replies(camp.id, offset=0)
    snovio_sandbox.configure(newest_first_events=True)
    newest = client.get_campaign_replies(camp.id, offset=0)
    assert newest == oldest[::-1] and len(oldest) > 2
    assert client.get_campaign_replies(camp.id, offset=2) == oldest[::-1][2:]
    added = snovio_sandbox.append_events(camp.id, "replies", 2)["ids"]
    assert [row["id"] for row in client.get_campaign_replies(camp.id, offset=0)[:2]] == added[::-1]


def test_shared_event_ids_give_repeated_opens_one_id(snovio_sandbox, client):
    camp = small_campaign(snovio_sandbox)
    plain = client.get_campaign_opens(camp.id, offset=0)
    assert len({row["id"] for row in plain}) == len(plain)
    snovio_sandbox.configure(shared_event_ids=True)
    shared = client.get_campaign_opens(camp.id, offset=0)
    by_prospect: dict[str, set[str]] = {}
    for row in shared:
        by_prospect.setdefault(row["prospectId"], set()).add(row["id"])
    assert all(len(ids) == 1 for ids in by_prospect.values())
    assert len({row["id"] for row in shared}) < len(shared)  # some recipient opened twice
    assert [row["visitedAt"] for row in shared] == [row["visitedAt"] for row in plain]  # times unchanged
    assert client.get_campaign_replies(camp.id, offset=0)[0]["id"] == camp.replies[0].id  # replies untouched


def test_late_events_are_inserted_by_event_time(snovio_sandbox, client):
    camp = small_campaign(snovio_sandbox)
    before = client.get_campaign_replies(camp.id, offset=0)
    answer = snovio_sandbox.insert_late_events(camp.id, "replies", 2, after_offset=3)
    after = client.get_campaign_replies(camp.id, offset=0)
    assert [row["id"] for row in after[4:6]] == answer["ids"] and after[:4] + after[6:] == before
    assert after[4]["visitedAt"] == before[3]["visitedAt"]  # the neighbour's time: sorted order kept


def test_an_armed_deletion_fires_after_the_next_page_only(snovio_sandbox, client):
    camp = small_campaign(snovio_sandbox)
    before = [row["id"] for row in client.get_campaign_replies(camp.id, offset=0)]
    snovio_sandbox.arm_deletion(camp.id, "replies", offset=1, count=2, after_pages=2)
    client.get_campaign_opens(camp.id, offset=0)  # another kind: does not count
    assert snovio_sandbox.armed()["fired"] == []
    assert [row["id"] for row in client.get_campaign_replies(camp.id, offset=0)] == before  # 1st page, not yet
    assert [row["id"] for row in client.get_campaign_replies(camp.id, offset=0)] == before  # 2nd: served whole
    fired = snovio_sandbox.armed()
    assert fired["pending"] == [] and fired["fired"][0]["ids"] == before[1:3]
    assert [row["id"] for row in client.get_campaign_replies(camp.id, offset=0)] == before[:1] + before[3:]
    snovio_sandbox.reset()
    assert snovio_sandbox.armed() == {"pending": [], "fired": []}


def test_bad_arm_requests_are_refused(snovio_sandbox):
    url = f"{snovio_sandbox.base_url}/_sandbox/campaigns"
    camp = snovio_sandbox.state.data.campaigns.campaigns[0].id
    assert httpx.post(f"{url}/{camp}/events/arm", json={"kind": "bounces"}).status_code == 422
    assert httpx.post(f"{url}/{camp}/events/arm", json={"kind": "replies", "after_pages": 0}).status_code == 422
    assert httpx.post(f"{url}/1/events/arm", json={"kind": "replies"}).status_code == 404
    assert httpx.post(f"{url}/{camp}/events", json={"kind": "replies", "after_offset": -1}).status_code == 422
    assert httpx.post(f"{url}/{camp}/events", json={"kind": "replies", "after_offset": 10**9}).status_code == 422
    assert snovio_sandbox.armed()["pending"] == []


@pytest.mark.parametrize(("value", "expected"), [("true", True), ("off", False), ("0", False)])
def test_boolean_knobs_on_the_command_line(value, expected):
    args = build_parser().parse_args(["--newest-first-events", value])
    assert args.newest_first_events is expected and args.shared_event_ids is False
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--shared-event-ids", "maybe"])

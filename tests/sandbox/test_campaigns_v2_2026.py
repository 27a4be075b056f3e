"""Contract tests of the 2026 campaigns v2 (#62-#67) and email step content (#68-#71) endpoints over real HTTP.

They pin what the sandbox serves to ``snovio-api-2026.md`` §1e/§1f: JSON bodies, PATCH merges, the
``{success, data}`` envelopes, the §4 limits answered with a 422 naming the field, #66's states and its
``{success: false, errors[]}``, #65 only in new/completed/archived, and a created campaign that #27, #19 and
#20 see at once (the v1 status spelling, zero events), while seeded campaigns are readable through #63.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from airflow_provider_snovio.sandbox.config import SandboxConfig
from airflow_provider_snovio.sandbox.data import build_data
from airflow_provider_snovio.sandbox.data.pipelines import PIPELINES

NOT_FOUND = {"errors": {"code": 404, "title": "Sorry, but url or entity not found", "source": ""}}
CREATE = "/v2/campaigns/create"
#: Seeded prospect lists, do-not-email list, pipeline and stage of the sandbox (#31, #75, #76/#77).
_SEEDS = build_data(SandboxConfig())
LIST_ID, OTHER_LIST_ID = sorted(_SEEDS.lists)[:2]
BLACK_LIST_ID = min(_SEEDS.do_not_email)
PIPELINE_ID, STAGE_ID = PIPELINES[0][0], PIPELINES[0][3][0][0]


def body(**changes: Any) -> dict[str, Any]:
    """A valid #62 body: an email, a 2-day wait, an open trigger, a follow-up or a goal."""
    out: dict[str, Any] = {
        "title": "Q3 outreach",
        "priority": "high",
        "email_accounts": [21, 22],
        "tracking": {"open": True, "link_click": False},
        "sending_settings": {"sending_priority": "follow_up", "daily_sending_all": 80, "skip_unverified": True},
        "provider_matching": True,
        "recipients": {"list_id": LIST_ID},
        "complete_campaign_after_last_step": True,
        "archive_in_months": 2,
        "sequence": {
            "entry": "a",
            "steps": [
                {"_ref": "a", "type": "email", "content_slots": 2, "next": "w"},
                {"_ref": "w", "type": "delay", "waiting_type": "days", "waiting_val": 2, "next": "t"},
                {"_ref": "t", "type": "trigger", "action": "open", "waiting_type": "hours", "waiting_val": 24,
                 "yes": "g", "no": "f"},
                {"_ref": "f", "type": "email", "next": "g"},
                {"_ref": "g", "type": "goal", "goal_name": "Replied"},
            ],
        },
    }  # fmt: skip
    out.update(changes)
    return out


def patch(api, path: str, **kwargs: Any):
    return api.session.patch(api.base_url + path, timeout=30, **kwargs)


def source_of(response, status: int = 422) -> str:
    assert response.status_code == status, response.text
    return response.json()["errors"]["source"]


def create(api, **changes: Any) -> dict[str, Any]:
    response = api.post(CREATE, json=body(**changes))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["success"] is True
    return answer["data"]


def action(api, campaign_id: int, name: str):
    return api.post(f"/v2/campaigns/{campaign_id}/action", json={"action": name})


def fill(api, campaign: dict[str, Any]) -> None:
    """Write every empty block of every email step (#68), as a campaign needs before it starts."""
    for step in campaign["sequence"]["steps"]:
        for slot in step.get("content", []):
            path = f"/v2/campaigns/{campaign['id']}/steps/{step['_ref']}/content/create"
            payload = {"content_id": slot["id"], "subject": "Hi {{first_name}}", "body": "<p>Hello</p>"}
            response = api.post(path, json={**payload, "plain_text": False, "usage": "active"})
            assert response.status_code == 200, response.text


def listed(api, campaign_id: int) -> dict[str, Any] | None:
    return next((c for c in api.get("/v1/get-user-campaigns").json() if c["id"] == campaign_id), None)


# -- #62/#63 create and read ----------------------------------------------------------------------


def test_create_answers_the_campaign_new_with_numeric_refs_and_empty_blocks(api) -> None:
    data = create(api)
    assert data["status"] == "new" and data["title"] == "Q3 outreach" and data["priority"] == "high"
    assert data["tracking"] == {"open": True, "link_click": False}
    assert data["sending_settings"]["sending_priority"] == "follow_up"
    assert data["sending_settings"]["daily_sending_all"] == 80 and data["sending_settings"]["skip_unverified"]
    assert data["recipients"] == {"list_id": LIST_ID, "black_list_id": None}
    assert data["archive_in_months"] == 2 and data["provider_matching"] is True and "deals" not in data
    steps = data["sequence"]["steps"]
    refs = [step["_ref"] for step in steps]
    assert all(isinstance(ref, int) for ref in refs) and len(set(refs)) == 5
    assert data["sequence"]["entry"] == refs[0] and steps[0]["next"] == refs[1]
    assert (steps[2]["yes"], steps[2]["no"]) == (refs[4], refs[3])
    first = steps[0]["content"]
    assert [slot["id"] for slot in first] == [int(f"{refs[0]}0"), int(f"{refs[0]}1")]
    assert all(slot == {"id": slot["id"], "plain_text": False, "usage": "active"} for slot in first)
    assert len(steps[3]["content"]) == 1 and "content" not in steps[1]
    assert api.get(f"/v2/campaigns/{data['id']}").json() == {"success": True, "data": data}


def test_a_created_campaign_is_listed_by_27_and_counted_by_19_and_20(api) -> None:
    before = api.get("/v1/get-user-campaigns").json()
    data = create(api, recipients={"list_id": OTHER_LIST_ID, "black_list_id": BLACK_LIST_ID})
    row = listed(api, data["id"])
    assert row is not None and len(api.get("/v1/get-user-campaigns").json()) == len(before) + 1
    assert (row["campaign"], row["list_id"], row["status"], row["started_at"]) == (
        "Q3 outreach",
        OTHER_LIST_ID,
        "Draft",
        None,
    )
    progress = api.get(f"/v2/campaigns/{data['id']}/progress").json()
    assert progress == {"status": "Draft", "unfinished": 0, "progress": "0%"}
    analytics = api.get("/v2/statistics/campaign-analytics", params={"campaign_id": str(data["id"])}).json()
    assert analytics["emails_sent"] == 0 and analytics["total_contacted"] == 0
    assert api.get("/v1/emails-sent", params={"campaignId": data["id"]}).json() == []


def test_seeded_campaigns_are_readable_with_their_v1_status(api) -> None:
    for row in api.get("/v1/get-user-campaigns").json()[:4]:
        data = api.get(f"/v2/campaigns/{row['id']}").json()["data"]
        assert data["id"] == row["id"] and data["title"] == row["campaign"]
        assert data["status"] == {"draft": "new"}.get(row["status"].lower(), row["status"].lower())
        assert data["recipients"]["list_id"] == row["list_id"]
        email = data["sequence"]["steps"][0]
        content = email["content"][0]
        got = api.get(f"/v2/campaigns/{row['id']}/steps/{email['_ref']}/content/{content['id']}").json()
        assert got["data"]["subject"] and got["data"]["body"].startswith("<p>")


def test_unknown_ids_answer_the_documented_404(api) -> None:
    assert api.get("/v2/campaigns/999").json() == NOT_FOUND
    assert api.get("/v2/campaigns/abc").status_code == 404
    assert action(api, 999, "start").json() == NOT_FOUND
    assert api.delete("/v2/campaigns/999").json() == NOT_FOUND
    assert patch(api, "/v2/campaigns/999", json={"title": "x"}).json() == NOT_FOUND


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "x" * 256}, "title"),
        ({"title": None}, "title"),
        ({"priority": "urgent"}, "priority"),
        ({"archive_in_months": 4}, "archive_in_months"),
        ({"recipients": {"list_id": 987654}}, "recipients.list_id"),
        ({"recipients": {"list_id": LIST_ID, "black_list_id": 987654}}, "recipients.black_list_id"),
        ({"email_accounts": [21, 999]}, "email_accounts"),
        ({"provider_matching": True, "email_accounts": [21]}, "provider_matching"),
        ({"tracking": None}, "tracking"),
        ({"schedule_id": 1}, "schedule_id"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"start_campaign_at": "2030-01-02"}, "start_campaign_at"),
        ({"start_campaign_at": "2030-01-02 10:00:00", "complete_campaign_at": "2030-01-01 10:00:00"},
         "complete_campaign_at"),
        ({"deals": {"event": ["open"], "pipeline_id": 999, "stage_id": 1}}, "deals.pipeline_id"),
        ({"colour": "red"}, "colour"),
    ],
)  # fmt: skip
def test_create_refuses_each_documented_limit_naming_the_field(api, changes: dict[str, Any], field: str) -> None:
    before = len(api.get("/v1/get-user-campaigns").json())
    assert source_of(api.post(CREATE, json=body(**changes))) == field
    assert len(api.get("/v1/get-user-campaigns").json()) == before


@pytest.mark.parametrize(
    ("index", "step", "field"),
    [
        (0, {"content_slots": 16}, "content_slots"),
        (0, {"content_slots": 0}, "content_slots"),
        (1, {"waiting_type": "minutes", "waiting_val": 43_201}, "waiting_val"),
        (1, {"waiting_type": "hours", "waiting_val": 721}, "waiting_val"),
        (1, {"waiting_type": "days", "waiting_val": 31}, "waiting_val"),
        (1, {"waiting_type": "weeks"}, "waiting_type"),
        (2, {"yes": "nowhere"}, "yes"),
        (4, {"next": "a"}, "goal_name"),
        (3, {"type": "fax"}, "type"),
        (2, {"action": "visit"}, "action"),
        (3, {"type": "linkedin", "action": "endorse_skills", "value": 6}, "value"),
    ],
)
def test_create_refuses_each_step_limit_naming_the_step(api, index: int, step: dict[str, Any], field: str) -> None:
    payload = body()
    payload["sequence"]["steps"][index].update(step)
    assert source_of(api.post(CREATE, json=payload)) == f"sequence.steps[{index}].{field}"


def test_the_wait_limits_themselves_are_accepted(api) -> None:
    for unit, most in (("minutes", 43_200), ("hours", 720), ("days", 30)):
        payload = body()
        payload["sequence"]["steps"][1].update(waiting_type=unit, waiting_val=most)
        payload["sequence"]["steps"][0]["content_slots"] = 15
        assert api.post(CREATE, json=payload).status_code == 200


# -- #64 update --------------------------------------------------------------------------------------


def test_update_merges_nested_objects_and_clears_deals(api) -> None:
    deals = {
        "event": ["reply"],
        "pipeline_id": PIPELINE_ID,
        "stage_id": STAGE_ID,
        "potential_value": 500,
        "currency": "EUR",
    }
    data = create(api, deals=deals)
    assert data["deals"] == deals
    path = f"/v2/campaigns/{data['id']}"
    changed = patch(api, path, json={"tracking": {"open": False}, "title": "Renamed"}).json()["data"]
    assert changed["tracking"] == {"open": False, "link_click": False} and changed["title"] == "Renamed"
    assert listed(api, data["id"])["campaign"] == "Renamed"
    assert "deals" not in patch(api, path, json={"deals": None}).json()["data"]
    assert source_of(patch(api, path, json={})) == "body"


def test_update_replaces_the_sequence_keeping_numeric_refs(api) -> None:
    data = create(api)
    steps = data["sequence"]["steps"]
    first = copy.deepcopy(steps[0])
    first["content"] = first["content"][:1]
    first.pop("next")
    sequence = {"entry": first["_ref"], "steps": [first, {"_ref": "new", "type": "goal", "goal_name": "Met"}]}
    first["next"] = "new"
    changed = patch(api, f"/v2/campaigns/{data['id']}", json={"sequence": sequence}).json()["data"]
    kept, added = changed["sequence"]["steps"]
    assert kept["_ref"] == first["_ref"] and kept["content"] == first["content"] and kept["content_slots"] == 1
    assert isinstance(added["_ref"], int) and kept["next"] == added["_ref"]
    no_content = {**first, "content": []}
    reply = patch(api, f"/v2/campaigns/{data['id']}", json={"sequence": {**sequence, "steps": [no_content]}})
    assert source_of(reply) == "sequence.steps[0].content"
    retyped = {**first, "type": "delay"}
    reply = patch(api, f"/v2/campaigns/{data['id']}", json={"sequence": {**sequence, "steps": [retyped]}})
    assert source_of(reply) == "sequence.steps[0].type"


def test_core_fields_change_only_while_new(api) -> None:
    data = create(api)
    fill(api, data)
    assert action(api, data["id"], "start").json() == {"success": True}
    path = f"/v2/campaigns/{data['id']}"
    assert source_of(patch(api, path, json={"recipients": {"list_id": OTHER_LIST_ID}}), 400) == "recipients"
    reply = patch(api, path, json={"sending_settings": {"skip_unverifiable": False}})
    assert source_of(reply, 400) == "sending_settings.skip_unverifiable"
    assert patch(api, path, json={"sending_settings": {"skip_who_replied": False}}).status_code == 200


def test_start_time_rules(api, sb) -> None:
    data = create(api)
    path = f"/v2/campaigns/{data['id']}"
    assert source_of(patch(api, path, json={"start_campaign_at": "2030-01-01 09:00:00"})) == "start_campaign_at"
    timed = create(api, start_campaign_at="2030-01-01 09:00:00", timezone="America/New_York")
    path = f"/v2/campaigns/{timed['id']}"
    assert patch(api, path, json={"start_campaign_at": None}).json()["data"]["start_campaign_at"] == (
        "2030-01-01 09:00:00"
    )
    reply = patch(api, path, json={"complete_campaign_at": "2029-12-31 09:00:00"})
    assert source_of(reply) == "complete_campaign_at"


@pytest.mark.parametrize("knob", [False, True])
def test_an_unknown_schedule_on_update_answers_422_or_404(api, sb, knob: bool) -> None:
    sb.configure(campaign_unknown_schedule_404=knob)
    data = create(api)
    reply = patch(api, f"/v2/campaigns/{data['id']}", json={"schedule_id": 1})
    if knob:
        assert reply.status_code == 404 and reply.json() == NOT_FOUND
    else:
        assert source_of(reply) == "schedule_id"


# -- #65/#66 states and delete ---------------------------------------------------------------------


def test_states_move_through_66_and_show_in_27_and_20(api) -> None:
    data = create(api)
    cid = data["id"]
    refused = action(api, cid, "start")
    assert refused.status_code == 200 and refused.json()["success"] is False
    assert len(refused.json()["errors"]) == 2  # both email steps are still empty
    fill(api, data)
    for name, v2, v1 in (
        ("start", "active", "Active"),
        ("pause", "paused", "Paused"),
        ("resume", "active", "Active"),
        ("complete", "completed", "Completed"),
        ("archived", "archived", "Archived"),
    ):
        assert action(api, cid, name).json() == {"success": True}, name
        assert api.get(f"/v2/campaigns/{cid}").json()["data"]["status"] == v2
        assert listed(api, cid)["status"] == v1
        assert api.get(f"/v2/campaigns/{cid}/progress").json()["status"] == v1
    assert listed(api, cid)["started_at"] is not None


def test_an_active_campaign_counts_in_analytics_of_all_active_campaigns(api) -> None:
    data = create(api)
    fill(api, data)
    before = api.get("/v2/statistics/campaign-analytics").json()
    action(api, data["id"], "start")
    after = api.get("/v2/statistics/campaign-analytics").json()
    assert after == before  # counted among the active campaigns, with no events yet


@pytest.mark.parametrize(
    ("steps", "name", "error"),
    [
        ((), "pause", "A campaign in status new cannot be paused"),
        ((), "resume", "A campaign in status new cannot be resumed"),
        (("start",), "start", "The campaign is already active"),
        (("start",), "archived", "A campaign in status active cannot be archived"),
        (("start", "complete"), "resume", "A campaign in status completed cannot be resumed"),
    ],
)
def test_refused_changes_answer_errors(api, steps: tuple[str, ...], name: str, error: str) -> None:
    data = create(api)
    fill(api, data)
    for step in steps:
        assert action(api, data["id"], step).json() == {"success": True}
    assert action(api, data["id"], name).json() == {"success": False, "errors": [error]}


def test_state_knobs(api, sb) -> None:
    sb.configure(campaign_state_refusal_status=400, campaign_start_with_empty_content=True)
    data = create(api)
    assert action(api, data["id"], "start").json() == {"success": True}  # empty blocks accepted
    refused = action(api, data["id"], "start")
    assert refused.status_code == 400 and refused.json()["success"] is False
    sb.configure(campaign_state_noop_succeeds=True, campaign_archive_any_state=True)
    assert action(api, data["id"], "start").json() == {"success": True}
    assert action(api, data["id"], "pause").json() == {"success": True}
    assert action(api, data["id"], "archived").json() == {"success": True}


def test_a_future_start_time_schedules_the_campaign(api) -> None:
    data = create(api, start_campaign_at="2099-01-01 09:00:00", timezone="Europe/Kyiv")
    fill(api, data)
    assert action(api, data["id"], "start").json() == {"success": True}
    assert api.get(f"/v2/campaigns/{data['id']}").json()["data"]["status"] == "scheduled"
    assert listed(api, data["id"])["status"] == "Scheduled"
    assert action(api, data["id"], "pause").json() == {"success": True}


def test_an_invalid_action_is_422(api) -> None:
    data = create(api)
    assert source_of(action(api, data["id"], "restart")) == "action"


def test_delete_only_new_completed_or_archived(api) -> None:
    data = create(api)
    fill(api, data)
    cid = data["id"]
    action(api, cid, "start")
    for name in ("", "pause"):
        if name:
            action(api, cid, name)
        assert source_of(api.delete(f"/v2/campaigns/{cid}"), 400) == "status"
        assert listed(api, cid) is not None
    action(api, cid, "complete")
    assert api.delete(f"/v2/campaigns/{cid}").json() == {"success": True}
    assert listed(api, cid) is None
    assert api.get(f"/v2/campaigns/{cid}").json() == NOT_FOUND
    assert api.get(f"/v2/campaigns/{cid}/progress").json() == NOT_FOUND
    fresh = create(api)
    assert api.delete(f"/v2/campaigns/{fresh['id']}").json() == {"success": True}


def test_a_reset_forgets_created_campaigns(api, sb) -> None:
    data = create(api)
    sb.reset()
    assert listed(api, data["id"]) is None


def test_schedules(api) -> None:
    answer = api.get("/v2/campaigns/schedules").json()
    assert set(answer) == {"data"} and len(answer["data"]) >= 2
    for schedule in answer["data"]:
        assert set(schedule) == {"id", "name", "timezone", "days"}
        assert schedule["days"][0]["day"] == "sunday" and len(schedule["days"]) == 7
        assert all(set(day) == {"day", "enabled", "start_time", "end_time"} for day in schedule["days"])
    assert create(api, schedule_id=answer["data"][0]["id"])["schedule_id"] == answer["data"][0]["id"]


# -- #68-#71 step content ---------------------------------------------------------------------------


def content_path(campaign: dict[str, Any], index: int = 0) -> tuple[str, list[dict[str, Any]]]:
    step = campaign["sequence"]["steps"][index]
    return f"/v2/campaigns/{campaign['id']}/steps/{step['_ref']}/content", step["content"]


def test_content_create_overwrite_get_update_delete(api) -> None:
    data = create(api)
    base, slots = content_path(data)
    payload = {"content_id": slots[0]["id"], "subject": "S", "body": "<p>B</p>", "plain_text": True, "usage": "pause"}
    written = api.post(f"{base}/create", json=payload).json()
    assert written == {"success": True, "data": {"id": slots[0]["id"], "subject": "S", "body": "<p>B</p>",
                                                  "plain_text": True, "usage": "pause"}}  # fmt: skip
    again = api.post(f"{base}/create", json={**payload, "subject": "S2"}).json()["data"]
    assert again["subject"] == "S2"
    assert api.get(f"{base}/{slots[0]['id']}").json() == {"data": again}
    updated = patch(api, f"{base}/{slots[0]['id']}", json={"usage": "active"}).json()
    assert updated == {"success": True, "data": {**again, "usage": "active"}}
    added = api.post(f"{base}/create", json={**payload, "content_id": 5}).json()["data"]
    assert added["id"] == 5
    steps = api.get(f"/v2/campaigns/{data['id']}").json()["data"]["sequence"]["steps"]
    assert steps[0]["content_slots"] == 3 and [c["id"] for c in steps[0]["content"]][-1] == 5
    assert api.delete(f"{base}/5").json() == {"data": {"success": True}}
    assert api.delete(f"{base}/{slots[1]['id']}").json() == {"data": {"success": True}}
    assert source_of(api.delete(f"{base}/{slots[0]['id']}"), 400) == "content_id"  # the last block stays
    assert api.get(f"{base}/5").json() == NOT_FOUND


def test_content_errors(api) -> None:
    data = create(api)
    base, slots = content_path(data)
    payload = {"content_id": slots[0]["id"], "subject": "S", "body": "<p>B</p>", "plain_text": False}
    assert source_of(api.post(f"{base}/create", json=payload)) == "usage"
    assert source_of(api.post(f"{base}/create", json={**payload, "usage": "paused"})) == "usage"
    assert source_of(patch(api, f"{base}/{slots[0]['id']}", json={})) == "body"
    delay = data["sequence"]["steps"][1]["_ref"]
    assert api.get(f"/v2/campaigns/{data['id']}/steps/{delay}/content/1").json() == NOT_FOUND
    fill(api, data)
    action(api, data["id"], "start")  # active: content is frozen
    reply = patch(api, f"{base}/{slots[0]['id']}", json={"subject": "Late"})
    assert source_of(reply, 400) == "status"
    action(api, data["id"], "pause")
    assert patch(api, f"{base}/{slots[0]['id']}", json={"subject": "Paused edit"}).status_code == 200


def test_content_ids_as_slot_numbers_knob(api, sb) -> None:
    sb.configure(step_content_id_index=True)
    data = create(api)
    base, slots = content_path(data)
    payload = {"subject": "S", "body": "<p>B</p>", "plain_text": False, "usage": "active"}
    assert api.post(f"{base}/create", json={**payload, "content_id": 2}).json()["data"]["id"] == slots[1]["id"]
    assert api.get(f"{base}/1").json()["data"]["id"] == slots[0]["id"]
    assert source_of(api.post(f"{base}/create", json={**payload, "content_id": 9})) == "content_id"
    assert api.post(f"{base}/create", json={**payload, "content_id": 3}).status_code == 200

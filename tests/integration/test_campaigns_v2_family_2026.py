"""Campaigns v2 (#62-#67) and email step content (#68-#71) through the hook and both clients, over real HTTP.

Request layout is proven by the sandbox, which takes these calls only as JSON objects (a form body is a
422) and routes updates only as PATCH; the answers echo what was sent. A created campaign is then seen by
the v1 listing (#27) and progress (#20) in the state #66 put it in. Bad input raises
:class:`SnovioValidationError` naming the field with zero requests sent (the sandbox's request counter does
not move), for every §4 limit.
"""

from __future__ import annotations

import asyncio
import copy
import dataclasses
from typing import Any

import pytest

from airflow_provider_snovio.api.async_client import AsyncSnovioClient
from airflow_provider_snovio.api.catalogue import ENDPOINTS
from airflow_provider_snovio.api.client import SnovioClient
from airflow_provider_snovio.api.encoding import prepare
from airflow_provider_snovio.api.errors import (
    SnovioApiError,
    SnovioNotFoundError,
    SnovioServerError,
)
from airflow_provider_snovio.api.validation import CLEAR
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.integration.conftest import FAST_RETRIES
from tests.integration.refusals import refusal


def requests_to(sandbox: SandboxServer, key: str) -> int:
    return sandbox.stats()["requests"].get(key, 0)


def campaign_body(list_id: int, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "Airflow campaign",
        "priority": "medium",
        "email_accounts": [21],
        "tracking": {"open": True, "link_click": True},
        "sending_settings": {"sending_priority": "first_email", "daily_sending_new_recipients": 40},
        "provider_matching": False,
        "recipients": {"list_id": list_id},
        "complete_campaign_after_last_step": True,
        "archive_in_months": 3,
        "sequence": {
            "entry": "first",
            "steps": [
                {"_ref": "first", "type": "email", "content_slots": 2, "next": "wait"},
                {"_ref": "wait", "type": "delay", "waiting_type": "hours", "waiting_val": 720, "next": "again"},
                {"_ref": "again", "type": "email"},
            ],
        },
    }
    body.update(changes)
    return body


@pytest.fixture
def list_id(hook: SnovioHook) -> int:
    return hook.get_user_lists()[0]["id"]


def fill(hook: SnovioHook, campaign: dict[str, Any]) -> None:
    for step in campaign["sequence"]["steps"]:
        for slot in step.get("content", []):
            hook.create_email_step_content(
                campaign["id"], step["_ref"], slot["id"], "Hello {{first_name}}", "<p>Hi</p>"
            )


def listed(hook: SnovioHook, campaign_id: int) -> dict[str, Any] | None:
    return next((c for c in hook.get_user_campaigns() if c["id"] == campaign_id), None)


def test_campaign_lifecycle(hook: SnovioHook, snovio_sandbox: SandboxServer, list_id: int) -> None:
    created = hook.create_campaign(campaign_body(list_id))["data"]
    assert created["status"] == "new" and created["title"] == "Airflow campaign"
    assert created["sending_settings"]["daily_sending_new_recipients"] == 40
    assert listed(hook, created["id"])["status"] == "Draft"
    assert hook.get_campaign(created["id"])["data"] == created

    with pytest.raises(SnovioApiError, match="has no message"):
        hook.change_campaign_state(created["id"], "start")  # the blocks are still empty
    fill(hook, created)
    assert hook.change_campaign_state(created["id"], "start") == {"success": True}
    assert listed(hook, created["id"])["status"] == "Active"
    assert hook.get_campaign_progress(created["id"])["status"] == "Active"
    with pytest.raises(SnovioApiError, match="cannot be deleted"):
        hook.delete_campaign(created["id"])
    with pytest.raises(SnovioApiError, match="already active"):
        hook.change_campaign_state(created["id"], "start")

    updated = hook.update_campaign(created["id"], title="Renamed", tracking={"link_click": False})["data"]
    assert updated["tracking"] == {"open": True, "link_click": False} and updated["title"] == "Renamed"
    assert listed(hook, created["id"])["campaign"] == "Renamed"
    assert hook.change_campaign_state(created["id"], "complete") == {"success": True}
    assert hook.change_campaign_state(created["id"], "archive") == {"success": True}
    assert hook.get_campaign(created["id"])["data"]["status"] == "archived"
    assert hook.delete_campaign(created["id"]) == {"success": True}
    assert listed(hook, created["id"]) is None
    with pytest.raises(SnovioNotFoundError):
        hook.get_campaign(created["id"])
    assert requests_to(snovio_sandbox, "POST /v2/campaigns/create") == 1
    assert requests_to(snovio_sandbox, "PATCH /v2/campaigns/{campaign_id}") == 1
    assert requests_to(snovio_sandbox, "DELETE /v2/campaigns/{campaign_id}") == 2


def test_step_content(hook: SnovioHook, snovio_sandbox: SandboxServer, list_id: int) -> None:
    created = hook.create_campaign(campaign_body(list_id))["data"]
    step = created["sequence"]["steps"][0]
    first, second = (slot["id"] for slot in step["content"])
    written = hook.create_email_step_content(created["id"], step["_ref"], first, "S", "<p>B</p>", plain_text=True)
    assert written == {
        "success": True,
        "data": {"id": first, "subject": "S", "body": "<p>B</p>", "plain_text": True, "usage": "active"},
    }
    assert hook.get_email_step_content(created["id"], step["_ref"], first)["data"] == written["data"]
    changed = hook.update_email_step_content(created["id"], step["_ref"], first, usage="pause", subject="S2")
    assert changed["data"]["usage"] == "pause" and changed["data"]["subject"] == "S2"
    assert hook.delete_email_step_content(created["id"], step["_ref"], second) == {"data": {"success": True}}
    with pytest.raises(SnovioApiError, match="last block"):
        hook.delete_email_step_content(created["id"], step["_ref"], first)
    with pytest.raises(SnovioNotFoundError):
        hook.get_email_step_content(created["id"], step["_ref"], second)
    assert requests_to(snovio_sandbox, "PATCH /v2/campaigns/{campaign_id}/steps/{step_id}/content/{content_id}") == 1


def test_seeded_campaigns_and_schedules(hook: SnovioHook) -> None:
    seeded = hook.get_user_campaigns()[0]
    data = hook.get_campaign(seeded["id"])["data"]
    assert data["title"] == seeded["campaign"] and data["status"] == seeded["status"].lower()
    schedules = hook.list_campaign_schedules()["data"]
    assert data["schedule_id"] in {s["id"] for s in schedules}


def test_the_request_layout_is_json_and_patch(list_id: int) -> None:
    created = prepare(ENDPOINTS.create_campaign, campaign_body(list_id, deals=None))
    assert (created.method, created.path, created.form, created.query) == ("POST", "/v2/campaigns/create", [], [])
    assert created.json is not None and created.json["sequence"]["steps"][1]["waiting_val"] == 720
    assert "deals" not in created.json  # None is "not sent"; CLEAR sends null (update only)
    update = prepare(ENDPOINTS.update_campaign, {"campaign_id": 9, "deals": CLEAR, "archive_in_months": "1"})
    assert (update.method, update.path, update.json) == (
        "PATCH",
        "/v2/campaigns/9",
        {"archive_in_months": 1, "deals": None},
    )
    state = prepare(ENDPOINTS.change_campaign_state, {"campaign_id": "9", "action": "Pause"})
    assert (state.method, state.path, state.json) == ("POST", "/v2/campaigns/9/action", {"action": "pause"})
    content = prepare(
        ENDPOINTS.create_email_step_content,
        {"campaign_id": 9, "step_id": 8, "content_id": "80", "subject": "S", "body": "B", "plain_text": False,
         "usage": "active"},
    )  # fmt: skip
    assert content.path == "/v2/campaigns/9/steps/8/content/create"
    assert content.json == {"content_id": 80, "subject": "S", "body": "B", "plain_text": False, "usage": "active"}


def _bad_step(index: int, **changes: Any) -> dict[str, Any]:
    body = campaign_body(1)
    body["sequence"] = copy.deepcopy(body["sequence"])
    body["sequence"]["steps"][index].update(changes)
    return body


_b, _C = campaign_body, "create_campaign"
_WAIT, _SLOTS = "sequence.steps[1].waiting_val", "sequence.steps[0].content_slots"
_BAD_ENTRY = {**campaign_body(1), "sequence": {"entry": "zz", "steps": [{"_ref": "a", "type": "email"}]}}
_BAD_DEALS = {"event": ["bounce"], "pipeline_id": 1, "stage_id": 1}
BAD_CALLS: list[tuple[str, str, tuple[Any, ...], dict[str, Any]]] = [
    ("title", _C, (_b(1, title="x" * 256),), {}),
    ("priority", _C, (_b(1, priority="urgent"),), {}),
    ("archive_in_months", _C, (_b(1, archive_in_months=4),), {}),
    ("archive_in_months", _C, (_b(1, archive_in_months=12),), {}),
    (_SLOTS, _C, (_bad_step(0, content_slots=16),), {}),
    (_SLOTS, _C, (_bad_step(0, content_slots=0),), {}),
    (_WAIT, _C, (_bad_step(1, waiting_type="minutes", waiting_val=43_201),), {}),
    (_WAIT, _C, (_bad_step(1, waiting_val=721),), {}),
    (_WAIT, _C, (_bad_step(1, waiting_type="days", waiting_val=31),), {}),
    (_WAIT, _C, (_bad_step(1, waiting_val=0),), {}),
    ("sequence.steps[0].next", _C, (_bad_step(0, next="nowhere"),), {}),
    ("sequence.entry", _C, (_BAD_ENTRY,), {}),
    ("provider_matching", _C, (_b(1, provider_matching=True),), {}),
    ("tracking", _C, ({k: v for k, v in _b(1).items() if k != "tracking"},), {}),
    ("recipients.list_id", _C, (_b(1, recipients={"black_list_id": 5}),), {}),
    ("start_campaign_at", _C, (_b(1, start_campaign_at="tomorrow"),), {}),
    ("complete_campaign_at", _C,
     (_b(1, start_campaign_at="2030-01-02 00:00:00", complete_campaign_at="2030-01-01 00:00:00"),), {}),
    ("deals.event[0]", _C, (_b(1, deals=_BAD_DEALS),), {}),
    ("colour", _C, (_b(1, colour="red"),), {}),
    ("body", _C, ("title=x",), {}),
    ("campaign_id", "get_campaign", ("../1",), {}),
    ("fields", "update_campaign", (5,), {}),
    ("title", "update_campaign", (5,), {"title": "x" * 256}),
    ("archive_in_months", "update_campaign", (5,), {"archive_in_months": 5}),
    (_SLOTS, "update_campaign", (5,), {"sequence": _bad_step(0, content_slots=16)["sequence"]}),
    ("action", "change_campaign_state", (5, "restart"), {}),
    ("campaign_id", "delete_campaign", ("5; drop",), {}),
    ("usage", "create_email_step_content", (5, 6, 7, "S", "B"), {"usage": "paused"}),
    ("content_id", "create_email_step_content", (5, 6, 0, "S", "B"), {}),
    ("subject", "create_email_step_content", (5, 6, 7, " ", "B"), {}),
    ("plain_text", "create_email_step_content", (5, 6, 7, "S", "B"), {"plain_text": "maybe"}),
    ("step_id", "get_email_step_content", (5, "x", 7), {}),
    ("fields", "update_email_step_content", (5, 6, 7), {}),
    ("colour", "update_email_step_content", (5, 6, 7), {"colour": "red"}),
    ("content_id", "delete_email_step_content", (5, 6, "-1"), {}),
]  # fmt: skip


@pytest.mark.parametrize(("field", "method", "args", "kwargs"), BAD_CALLS, ids=[f"{m}-{f}" for f, m, _, _ in BAD_CALLS])
def test_bad_input_names_the_field_and_sends_nothing(
    hook: SnovioHook,
    snovio_sandbox: SandboxServer,
    field: str,
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    error = refusal(hook, snovio_sandbox, lambda h: getattr(h, method)(*args, **kwargs))
    assert error.field == field


def test_rules_only_the_server_sees_are_api_errors(hook: SnovioHook, list_id: int) -> None:
    """The stored campaign decides these (its list, status, start time): 422/400 -> SnovioApiError."""
    with pytest.raises(SnovioApiError, match=r"recipients\.list_id"):
        hook.create_campaign(campaign_body(987_654_321))
    created = hook.create_campaign(campaign_body(list_id))["data"]
    with pytest.raises(SnovioApiError, match="start_campaign_at"):
        hook.update_campaign(created["id"], start_campaign_at="2030-01-01 10:00:00")
    with pytest.raises(SnovioApiError, match="schedule_id"):
        hook.update_campaign(created["id"], schedule_id=1)


def test_async_client_uses_the_same_rows(hook: SnovioHook, snovio_sandbox: SandboxServer, list_id: int) -> None:
    config = dataclasses.replace(hook.client_config(), retry=FAST_RETRIES)

    async def run() -> tuple[Any, Any, Any]:
        async with AsyncSnovioClient(config) as client:
            created = await client.call(ENDPOINTS.create_campaign, **campaign_body(list_id))
            paused = await client.call(
                ENDPOINTS.update_campaign, campaign_id=created["data"]["id"], priority="high", deals=CLEAR
            )
            schedules = await client.call(ENDPOINTS.list_campaign_schedules)
            return created, paused, schedules

    created, updated, schedules = asyncio.run(run())
    assert created["data"]["status"] == "new" and updated["data"]["priority"] == "high"
    assert schedules["data"] and SnovioClient(config).get_campaign(created["data"]["id"])["data"]["priority"] == "high"
    assert requests_to(snovio_sandbox, "POST /v2/campaigns/create") == 1


def test_creating_is_not_resent_after_a_server_error(
    hook: SnovioHook, snovio_sandbox: SandboxServer, list_id: int
) -> None:
    """#62 makes a new campaign each time: a create whose answer was lost is never sent twice."""
    config = dataclasses.replace(hook.client_config(), retry=FAST_RETRIES)
    before = len(hook.get_user_campaigns())
    snovio_sandbox.configure(error_rate=1.0, fault_phase="after", fault_routes="POST /v2/campaigns/create")
    with pytest.raises(SnovioServerError):
        SnovioClient(config).create_campaign(campaign_body(list_id))
    assert requests_to(snovio_sandbox, "POST /v2/campaigns/create") == 1
    snovio_sandbox.configure(error_rate=0.0)
    assert len(hook.get_user_campaigns()) == before + 1  # it was made once, and only once


def test_a_state_change_is_resent_after_a_server_error(
    hook: SnovioHook, snovio_sandbox: SandboxServer, list_id: int
) -> None:
    """#66 sets a state: a lost answer may be resent (the second try finds the state already set)."""
    created = hook.create_campaign(campaign_body(list_id))["data"]
    fill(hook, created)
    config = dataclasses.replace(hook.client_config(), retry=FAST_RETRIES)
    snovio_sandbox.configure(error_rate=1.0, fault_routes="POST /v2/campaigns")
    with pytest.raises(SnovioServerError):
        SnovioClient(config).change_campaign_state(created["id"], "start")
    assert requests_to(snovio_sandbox, "POST /v2/campaigns/{campaign_id}/action") > 1

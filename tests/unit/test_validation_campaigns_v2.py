"""The validators of the 2026 campaigns v2 and step content rows (#62-#71), at the unit level.

Each §4 limit is tried at its bound (accepted) and one past it (refused, naming the field); the rules across
fields go through the rows' constraints via :func:`~airflow_provider_snovio.api.encoding.prepare`, so nothing
is sent.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest

from airflow_provider_snovio.api import validation as v
from airflow_provider_snovio.api.catalogue import ENDPOINTS
from airflow_provider_snovio.api.encoding import prepare
from airflow_provider_snovio.api.errors import SnovioValidationError


def refused(check, value) -> SnovioValidationError:
    with pytest.raises(SnovioValidationError) as caught:
        check("f", value)
    return caught.value


def sequence(*steps: dict[str, Any], entry: Any = "a") -> dict[str, Any]:
    return {"entry": entry, "steps": list(steps)}


EMAIL = {"_ref": "a", "type": "email"}


def test_title_is_at_most_255_characters() -> None:
    assert v.campaign_title("title", "x" * 255) == "x" * 255
    assert refused(v.campaign_title, "x" * 256).problem == "must be at most 255 characters, got 256"
    assert refused(v.campaign_title, "  ").problem == "must not be empty"


@pytest.mark.parametrize("months", [1, 2, 3, 6, "6"])
def test_archive_in_months_accepts_the_documented_values(months: Any) -> None:
    assert v.archive_in_months("f", months) == int(months)


@pytest.mark.parametrize("months", [0, 4, 5, 12, True])
def test_archive_in_months_refuses_the_rest(months: Any) -> None:
    refused(v.archive_in_months, months)


@pytest.mark.parametrize("slots", [1, 15])
def test_content_slots_bounds_are_accepted(slots: int) -> None:
    step = v.campaign_sequence("sequence", sequence({**EMAIL, "content_slots": slots}))["steps"][0]
    assert step["content_slots"] == slots


@pytest.mark.parametrize("slots", [0, 16, "many"])
def test_content_slots_outside_1_to_15_are_refused(slots: Any) -> None:
    error = refused(v.campaign_sequence, sequence({**EMAIL, "content_slots": slots}, {"_ref": "b", "type": "email"}))
    assert error.field == "f.steps[0].content_slots"


@pytest.mark.parametrize(("unit", "most"), [("minutes", 43_200), ("hours", 720), ("days", 30)])
@pytest.mark.parametrize("kind", ["delay", "trigger"])
def test_waits_up_to_the_limit_of_their_unit(unit: str, most: int, kind: str) -> None:
    wait = {"_ref": "w", "type": kind, "waiting_type": unit, "waiting_val": most, "action": "open"}
    assert v.campaign_sequence("s", sequence({**EMAIL, "next": "w"}, wait))["steps"][1]["waiting_val"] == most
    error = refused(v.campaign_sequence, sequence({**EMAIL, "next": "w"}, {**wait, "waiting_val": most + 1}))
    assert error.field == "f.steps[1].waiting_val"
    assert refused(v.campaign_sequence, sequence(EMAIL, {**wait, "waiting_val": 0})).field == "f.steps[1].waiting_val"


def test_a_delay_needs_its_unit_and_a_wait_needs_its_value() -> None:
    assert refused(v.campaign_sequence, sequence(EMAIL, {"_ref": "w", "type": "delay"})).field == (
        "f.steps[1].waiting_type"
    )
    step = {"_ref": "w", "type": "delay", "waiting_type": "days"}
    assert refused(v.campaign_sequence, sequence(EMAIL, step)).field == "f.steps[1].waiting_val"
    step = {"_ref": "w", "type": "delay", "waiting_type": "weeks", "waiting_val": 1}
    assert refused(v.campaign_sequence, sequence(EMAIL, step)).field == "f.steps[1].waiting_type"


def test_sequence_structure() -> None:
    goal = {"_ref": "g", "type": "goal", "goal_name": "Won"}
    assert refused(v.campaign_sequence, sequence(EMAIL, entry="zz")).field == "f.entry"
    assert refused(v.campaign_sequence, sequence(goal, entry="g")).field == "f.entry"
    assert refused(v.campaign_sequence, sequence({**EMAIL, "next": "nowhere"})).field == "f.steps[0].next"
    assert refused(v.campaign_sequence, sequence(EMAIL, EMAIL)).field == "f.steps[1]._ref"
    assert refused(v.campaign_sequence, sequence(EMAIL, {**goal, "next": "a"})).field == "f.steps[1].next"
    assert refused(v.campaign_sequence, sequence(EMAIL, {"_ref": "g", "type": "goal"})).field == "f.steps[1].goal_name"
    assert refused(v.campaign_sequence, sequence(EMAIL, {"_ref": "l", "type": "linkedin"})).field == (
        "f.steps[1].action"
    )
    assert refused(v.campaign_sequence, sequence({**EMAIL, "type": "sms"})).field == "f.steps[0].type"
    assert refused(v.campaign_sequence, sequence({**EMAIL, "colour": 1})).field == "f.steps[0].colour"
    assert refused(v.campaign_sequence, {"entry": "a", "steps": []}).field == "f.steps"
    assert refused(v.campaign_sequence, {"steps": [EMAIL]}).field == "f.entry"
    numeric = v.campaign_sequence("s", sequence({"_ref": 1773996379996, "type": "email"}, entry=1773996379996))
    assert numeric["entry"] == 1773996379996


def test_nested_objects() -> None:
    assert v.campaign_tracking("t", {"open": True}) == {"open": True}
    assert refused(v.campaign_tracking, {"open": "yes please"}).field == "f.open"
    assert refused(v.campaign_tracking, {"opens": True}).field == "f.opens"
    settings = v.sending_settings("s", {"daily_sending_all": None, "sending_priority": "FIRST_EMAIL"})
    assert settings == {"daily_sending_all": None, "sending_priority": "first_email"}
    assert refused(v.sending_settings, {"daily_sending_all": 0}).field == "f.daily_sending_all"
    assert refused(v.sending_settings, {"skip_everything": True}).field == "f.skip_everything"
    assert refused(v.campaign_recipients, {"black_list_id": 3}).field == "f.list_id"
    assert v.campaign_recipients("r", {"list_id": "7", "black_list_id": None}) == {"list_id": 7}
    deals = {"event": ["open", "Click"], "pipeline_id": 1, "stage_id": 2, "potential_value": 10, "currency": "usd"}
    assert v.campaign_deals("d", deals) == {**deals, "event": ["open", "click"], "currency": "USD"}
    assert refused(v.campaign_deals, {**deals, "event": ["bounce"]}).field == "f.event[0]"
    assert refused(v.campaign_deals, {**deals, "currency": "dollars"}).field == "f.currency"
    assert refused(v.campaign_deals, {"event": ["open"], "pipeline_id": 1}).field == "f.stage_id"


def test_times_actions_and_usage() -> None:
    assert v.campaign_time("t", dt.datetime(2030, 1, 2, 3, 4, 5)) == "2030-01-02 03:04:05"
    assert v.campaign_time("t", "2030-01-02 03:04:05") == "2030-01-02 03:04:05"
    refused(v.campaign_time, "2030-01-02")
    refused(v.campaign_time, "2030-02-30 10:00:00")
    assert v.campaign_action("a", "Archive") == "archived" and v.campaign_action("a", "PAUSE") == "pause"
    refused(v.campaign_action, "restart")
    assert v.content_usage("u", "Pause") == "pause"
    refused(v.content_usage, "paused")


def _create_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "title": "T",
        "priority": "low",
        "email_accounts": [21],
        "tracking": {"open": True, "link_click": True},
        "sending_settings": {},
        "provider_matching": False,
        "recipients": {"list_id": 1},
        "complete_campaign_after_last_step": True,
        "archive_in_months": 1,
        "sequence": sequence(EMAIL),
    }
    body.update(changes)
    return {key: value for key, value in body.items() if value is not None}


def test_create_rules_across_fields() -> None:
    prepare(ENDPOINTS.create_campaign, _create_body())
    for missing in ("email_accounts", "tracking", "sending_settings", "provider_matching"):
        with pytest.raises(SnovioValidationError) as caught:
            prepare(ENDPOINTS.create_campaign, _create_body(**{missing: None}))
        assert caught.value.field == missing
    linkedin_only = sequence({"_ref": "l", "type": "linkedin", "action": "visit"}, entry="l")
    prepare(ENDPOINTS.create_campaign, _create_body(email_accounts=None, tracking=None, sequence=linkedin_only))
    with pytest.raises(SnovioValidationError) as caught:
        prepare(ENDPOINTS.create_campaign, _create_body(provider_matching=True))
    assert caught.value.field == "provider_matching"
    with pytest.raises(SnovioValidationError) as caught:
        times = {"start_campaign_at": "2030-01-02 10:00:00", "complete_campaign_at": "2030-01-02 10:00:00"}
        prepare(ENDPOINTS.create_campaign, _create_body(**times))
    assert caught.value.field == "complete_campaign_at"
    for required in ("title", "priority", "recipients", "sequence", "archive_in_months"):
        body = _create_body()
        del body[required]
        with pytest.raises(SnovioValidationError) as caught:
            prepare(ENDPOINTS.create_campaign, body)
        assert caught.value.field == required


def test_updates_must_change_something() -> None:
    for row, ids in (
        (ENDPOINTS.update_campaign, {"campaign_id": 5}),
        (ENDPOINTS.update_email_step_content, {"campaign_id": 5, "step_id": 6, "content_id": 7}),
    ):
        with pytest.raises(SnovioValidationError) as caught:
            prepare(row, copy.deepcopy(ids))
        assert caught.value.field == "fields"
    call = prepare(ENDPOINTS.update_campaign, {"campaign_id": 5, "deals": v.CLEAR})
    assert call.json == {"deals": None}


def test_linkedin_and_trigger_steps() -> None:
    def step(**keys: Any) -> dict[str, Any]:
        return sequence({"_ref": "l", "type": "linkedin", **keys}, entry="l")

    checked = v.campaign_sequence("s", step(action="Endorse_Skills", value=5))["steps"][0]
    assert (checked["action"], checked["value"]) == ("endorse_skills", 5)
    assert refused(v.campaign_sequence, step(action="endorse_skills", value=6)).field == "f.steps[0].value"
    assert refused(v.campaign_sequence, step(action="endorse_skills")).field == "f.steps[0].value"
    levels = v.campaign_sequence("s", step(action="check_connection_level", value=[1, 3]))["steps"][0]["value"]
    assert levels == [1, 3]
    repeated = v.campaign_sequence("s", step(action="check_connection_level", value=[2, 2]))["steps"][0]["value"]
    assert repeated == [2]  # sent distinct
    for bad in ([1, 2, 3], [4], []):
        assert refused(v.campaign_sequence, step(action="check_connection_level", value=bad)).field.startswith(
            "f.steps[0].value"
        )
    assert refused(v.campaign_sequence, step(action="message")).field == "f.steps[0].body"
    assert refused(v.campaign_sequence, step(action="in_mail", body="<p>x</p>")).field == "f.steps[0].subject"
    assert refused(v.campaign_sequence, step(action="poke")).field == "f.steps[0].action"
    trigger = {"_ref": "t", "type": "trigger", "action": "visit"}
    assert refused(v.campaign_sequence, sequence(EMAIL, trigger)).field == "f.steps[1].action"
    calendly = {**trigger, "action": "calendly", "waiting_type": "days", "waiting_val": 30}
    assert v.campaign_sequence("s", sequence(EMAIL, calendly))["steps"][1]["action"] == "calendly"

"""SnovioCampaignOperator, SnovioCampaignStateOperator, SnovioRecipientStatusOperator and the recipient sensor
(poke mode) against the sandbox over HTTP.

Every #66 knob of the sandbox (``campaign_state_refusal_status``, ``campaign_state_noop_succeeds``,
``campaign_archive_any_state``, ``campaign_start_with_empty_content``) and #64's ``campaign_unknown_schedule_404``
is exercised: the operators must be right under each reading of Snov.io's docs.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException

from airflow_provider_snovio.api.errors import SnovioApiError, SnovioTransportError, SnovioValidationError
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.operators import (
    SnovioCampaignOperator,
    SnovioCampaignStateOperator,
    SnovioRecipientStatusOperator,
)
from airflow_provider_snovio.sandbox.testing import SandboxServer
from airflow_provider_snovio.sensors import SnovioRecipientStatusSensor
from tests.operators.account_support import FailOnCall, MemoryTaskStateStore, context, requests

CREATE = "POST /v2/campaigns/create"
PATCH = "PATCH /v2/campaigns/{campaign_id}"
ACTION = "POST /v2/campaigns/{campaign_id}/action"
RECIPIENT = "GET /v2/campaigns/{campaign_id}/recipient"


def body(list_id: int, **changes: Any) -> dict[str, Any]:
    """A whole #62 body: two email steps around a wait."""
    wanted: dict[str, Any] = {
        "title": "Airflow outreach",
        "priority": "medium",
        "email_accounts": [21],
        "tracking": {"open": True, "link_click": True},
        "sending_settings": {"sending_priority": "first_email", "skip_unverified": True},
        "provider_matching": False,
        "recipients": {"list_id": list_id},
        "complete_campaign_after_last_step": True,
        "archive_in_months": 3,
        "sequence": {
            "entry": "first",
            "steps": [
                {"_ref": "first", "type": "email", "next": "wait"},
                {"_ref": "wait", "type": "delay", "waiting_type": "days", "waiting_val": 3, "next": "again"},
                {"_ref": "again", "type": "email"},
            ],
        },
    }
    wanted.update(changes)
    return wanted


@pytest.fixture
def sandbox(snovio_conn_env: SandboxServer) -> SandboxServer:
    return snovio_conn_env


@pytest.fixture
def hook(sandbox: SandboxServer) -> SnovioHook:
    return SnovioHook()


@pytest.fixture
def list_id(hook: SnovioHook) -> int:
    return int(hook.get_user_lists()[0]["id"])


def titled(hook: SnovioHook, title: str) -> list[int]:
    return [int(c["id"]) for c in hook.get_user_campaigns() if c["campaign"] == title]


def fill(hook: SnovioHook, campaign_id: int) -> None:
    """Write every message block of the campaign's email steps (#68), so it can start."""
    for step in hook.get_campaign(campaign_id)["data"]["sequence"]["steps"]:
        for slot in step.get("content", []):
            hook.create_email_step_content(campaign_id, step["_ref"], slot["id"], "Hi {{first_name}}", "<p>Hi</p>")


def create(list_id: int, store: MemoryTaskStateStore | None = None, **kwargs: Any) -> int:
    wanted = kwargs.pop("body", None) or body(list_id)
    return SnovioCampaignOperator(task_id="campaign", body=wanted, **kwargs).execute(context(store))


def state(campaign_id: int, action: str) -> dict[str, Any]:
    return SnovioCampaignStateOperator(task_id="state", campaign_id=campaign_id, action=action).execute(context())


# --- SnovioCampaignOperator: create, idempotent by title ----------------------------------------------


def test_create_returns_the_id_and_a_second_run_reuses_it(
    sandbox: SandboxServer, hook: SnovioHook, list_id: int
) -> None:
    first = create(list_id)
    second = create(list_id, body=json.dumps(body(list_id)))  # a rendered template: JSON text
    assert isinstance(first, int) and first == second
    assert titled(hook, "Airflow outreach") == [first]
    assert requests(sandbox, CREATE) == 1
    data = hook.get_campaign(first)["data"]
    assert data["status"] == "new" and data["sending_settings"]["skip_unverified"] is True


def test_exist_ok_false_refuses_an_existing_title(sandbox: SandboxServer, list_id: int) -> None:
    create(list_id)
    with pytest.raises(SnovioValidationError) as caught:
        create(list_id, exist_ok=False)
    assert caught.value.field == "body.title" and "already exists" in str(caught.value)
    assert requests(sandbox, CREATE) == 1


def test_update_existing_applies_only_the_changes_and_keeps_the_steps(
    sandbox: SandboxServer, hook: SnovioHook, list_id: int
) -> None:
    campaign_id = create(list_id)
    steps = [s["_ref"] for s in hook.get_campaign(campaign_id)["data"]["sequence"]["steps"]]
    changed = body(list_id, tracking={"open": False, "link_click": True}, priority="high")
    assert create(list_id, body=changed, update_existing=True) == campaign_id
    data = hook.get_campaign(campaign_id)["data"]
    assert data["tracking"] == {"open": False, "link_click": True} and data["priority"] == "high"
    assert [s["_ref"] for s in data["sequence"]["steps"]] == steps  # the create body's sequence was left out
    assert requests(sandbox, PATCH) == 1
    assert create(list_id, body=changed, update_existing=True) == campaign_id
    assert requests(sandbox, PATCH) == 1  # nothing differs any more: no PATCH


def test_a_lost_create_answer_leaves_exactly_one_campaign(
    sandbox: SandboxServer, hook: SnovioHook, list_id: int
) -> None:
    sandbox.configure(fault_routes=CREATE, drop_rate=1.0, fault_phase="after")
    campaign_id = create(list_id, exist_ok=False)
    assert sandbox.stats()["faults"]["drop"] == 1  # the create's answer really was lost
    sandbox.restore_config()
    assert titled(hook, "Airflow outreach") == [campaign_id]
    assert requests(sandbox, CREATE) == 1  # never resent blindly


def test_a_retry_after_a_lost_create_answer_reuses_the_campaign(
    sandbox: SandboxServer, hook: SnovioHook, list_id: int
) -> None:
    """The first try's answer is lost and it dies before it could look again; the retry (same task state)
    finds the campaign, even with exist_ok=False, and creates nothing."""
    store = MemoryTaskStateStore()
    sandbox.configure(fault_routes=CREATE, drop_rate=1.0, fault_phase="after")
    first_try = SnovioCampaignOperator(task_id="campaign", body=body(list_id), exist_ok=False)
    first_try.hook.get_user_campaigns = FailOnCall(  # type: ignore[method-assign]
        first_try.hook.get_user_campaigns, 2, SnovioTransportError("worker lost", sent=False)
    )
    with pytest.raises(SnovioTransportError):
        first_try.execute(context(store))
    sandbox.restore_config()
    (made,) = titled(hook, "Airflow outreach")
    assert create(list_id, store, exist_ok=False) == made
    assert titled(hook, "Airflow outreach") == [made] and requests(sandbox, CREATE) == 1


def test_a_retry_without_task_state_reuses_the_title(sandbox: SandboxServer, hook: SnovioHook, list_id: int) -> None:
    sandbox.configure(fault_routes=CREATE, drop_rate=1.0, fault_phase="after")
    first_try = SnovioCampaignOperator(task_id="campaign", body=body(list_id))
    first_try.hook.get_user_campaigns = FailOnCall(  # type: ignore[method-assign]
        first_try.hook.get_user_campaigns, 2, SnovioTransportError("worker lost", sent=False)
    )
    with pytest.raises(SnovioTransportError):
        first_try.execute(context())
    sandbox.restore_config()
    (made,) = titled(hook, "Airflow outreach")
    assert create(list_id) == made and requests(sandbox, CREATE) == 1


@pytest.mark.parametrize(
    ("wanted", "field"),
    [
        ({"priority": "urgent"}, "body.priority"),
        ({"archive_in_months": 5}, "body.archive_in_months"),
        ({"title": ""}, "body.title"),
        ({"provider_matching": True}, "body.provider_matching"),
        ({"recipients": None}, "body.recipients"),
    ],
)
def test_bad_bodies_are_refused_naming_the_field_before_any_request(
    sandbox: SandboxServer, list_id: int, wanted: dict[str, Any], field: str
) -> None:
    before = requests(sandbox)
    with pytest.raises(SnovioValidationError) as caught:
        SnovioCampaignOperator(task_id="campaign", body=body(list_id, **wanted)).execute(context())
    assert caught.value.field == field
    assert requests(sandbox) == before


def test_a_body_that_is_no_mapping_is_refused(sandbox: SandboxServer) -> None:
    for bad in ("{not json", "[1, 2]", 7):
        with pytest.raises(SnovioValidationError) as caught:
            SnovioCampaignOperator(task_id="campaign", body=bad).execute(context())  # type: ignore[arg-type]
        assert caught.value.field == "body"
    with pytest.raises(SnovioValidationError) as caught:
        SnovioCampaignOperator(task_id="c", campaign_id="12x", body={"priority": "low"}).execute(context())
    assert caught.value.field == "campaign_id"
    assert requests(sandbox) == 0


# --- SnovioCampaignOperator: update ------------------------------------------------------------------


def test_update_by_id_sends_only_what_differs(sandbox: SandboxServer, hook: SnovioHook, list_id: int) -> None:
    campaign_id = create(list_id)
    update = {"title": "Renamed outreach", "tracking": {"link_click": False}, "recipients": {"list_id": list_id}}
    assert SnovioCampaignOperator(task_id="u", campaign_id=campaign_id, body=update).execute(context()) == campaign_id
    data = hook.get_campaign(campaign_id)["data"]
    assert data["title"] == "Renamed outreach" and data["tracking"] == {"open": True, "link_click": False}
    assert requests(sandbox, PATCH) == 1
    SnovioCampaignOperator(task_id="u", campaign_id=campaign_id, body=update).execute(context())
    assert requests(sandbox, PATCH) == 1  # a re-run changes nothing


def test_update_of_a_running_campaign_does_not_resend_unchanged_core_fields(
    sandbox: SandboxServer, hook: SnovioHook, list_id: int
) -> None:
    """#64 refuses recipients once a campaign left ``new``, even unchanged: the operator does not send them."""
    campaign_id = create(list_id)
    fill(hook, campaign_id)
    state(campaign_id, "start")
    whole = {k: v for k, v in body(list_id, priority="low").items() if k != "sequence"}
    SnovioCampaignOperator(task_id="u", campaign_id=campaign_id, body=whole).execute(context())
    assert hook.get_campaign(campaign_id)["data"]["priority"] == "low"
    with pytest.raises(SnovioApiError, match="only while the campaign is new"):  # what a blind PATCH meets
        hook.update_campaign(campaign_id, recipients={"list_id": list_id})


@pytest.mark.parametrize("answer_404", [False, True])
def test_an_unknown_schedule_is_refused_naming_it_before_any_write(
    sandbox: SandboxServer, hook: SnovioHook, list_id: int, answer_404: bool
) -> None:
    sandbox.configure(campaign_unknown_schedule_404=answer_404)
    campaign_id = create(list_id)
    for kwargs in ({"body": body(list_id, title="Other", schedule_id=999_999)}, {"campaign_id": campaign_id}):
        wanted = kwargs.pop("body", None) or {"schedule_id": 999_999}
        with pytest.raises(SnovioValidationError) as caught:
            SnovioCampaignOperator(task_id="c", body=wanted, **kwargs).execute(context())
        assert caught.value.field == "body.schedule_id"
    assert requests(sandbox, CREATE) == 1 and requests(sandbox, PATCH) == 0
    known = hook.list_campaign_schedules()["data"][0]["id"]
    SnovioCampaignOperator(task_id="c", campaign_id=campaign_id, body={"schedule_id": known}).execute(context())
    assert hook.get_campaign(campaign_id)["data"]["schedule_id"] == known


# --- SnovioCampaignStateOperator ----------------------------------------------------------------------


@pytest.mark.parametrize("noop_succeeds", [False, True])
def test_state_changes_and_already_there_is_done_without_a_call(
    sandbox: SandboxServer, hook: SnovioHook, list_id: int, noop_succeeds: bool
) -> None:
    sandbox.configure(campaign_state_noop_succeeds=noop_succeeds)
    campaign_id = create(list_id)
    fill(hook, campaign_id)
    steps = [
        ("start", "active"),
        ("pause", "paused"),
        ("resume", "active"),
        ("complete", "completed"),
        ("archive", "archived"),
    ]
    for action, status in steps:
        calls = requests(sandbox, ACTION)
        assert state(campaign_id, action) == {
            "campaign_id": campaign_id,
            "action": "archived" if action == "archive" else action,
            "status": status,
            "changed": True,
        }
        again = state(campaign_id, action)
        assert again["changed"] is False and again["status"] == status
        assert requests(sandbox, ACTION) == calls + 1  # the second run read the campaign and sent nothing
    assert state(campaign_id, "complete")["changed"] is False  # archived: completing has nothing left to do


@pytest.mark.parametrize("refusal_status", [200, 400, 422])
def test_a_refused_start_fails_naming_the_action_and_the_state(
    sandbox: SandboxServer, list_id: int, refusal_status: int
) -> None:
    sandbox.configure(campaign_state_refusal_status=refusal_status)
    campaign_id = create(list_id)  # its message blocks are still empty
    with pytest.raises(AirflowFailException) as caught:
        state(campaign_id, "start")
    message = str(caught.value)
    assert f"refused to start campaign {campaign_id} (status new)" in message and "has no message" in message


def test_start_with_empty_content_when_snovio_allows_it(sandbox: SandboxServer, list_id: int) -> None:
    sandbox.configure(campaign_start_with_empty_content=True)
    campaign_id = create(list_id)
    assert state(campaign_id, "start")["status"] == "active"


@pytest.mark.parametrize("any_state", [False, True])
def test_archiving_a_paused_campaign_under_both_readings(
    sandbox: SandboxServer, hook: SnovioHook, list_id: int, any_state: bool
) -> None:
    sandbox.configure(campaign_archive_any_state=any_state)
    campaign_id = create(list_id)
    fill(hook, campaign_id)
    state(campaign_id, "start")
    state(campaign_id, "pause")
    if any_state:
        assert state(campaign_id, "archive")["status"] == "archived"
        return
    with pytest.raises(AirflowFailException, match=rf"refused to archive campaign {campaign_id} \(status paused\)"):
        state(campaign_id, "archive")
    assert hook.get_campaign(campaign_id)["data"]["status"] == "paused"


def test_a_resend_refused_as_already_there_after_a_lost_answer_is_done(
    sandbox: SandboxServer, hook: SnovioHook, list_id: int
) -> None:
    """The client resends #66 after a lost answer; Snov.io then refuses it ("already active") although the
    first call took effect. Here the first call really reaches the sandbox, then the resend is made."""
    campaign_id = create(list_id)
    fill(hook, campaign_id)
    operator = SnovioCampaignStateOperator(task_id="state", campaign_id=campaign_id, action="start")
    real = operator.hook.change_campaign_state

    def lost_then_resent(*args: Any) -> Any:
        real(*args)  # took effect; its answer "lost"
        return real(*args)  # the resend: refused, the campaign is already active

    operator.hook.change_campaign_state = lost_then_resent  # type: ignore[method-assign]
    assert operator.execute(context()) == {
        "campaign_id": campaign_id,
        "action": "start",
        "status": "active",
        "changed": True,
    }
    assert requests(sandbox, ACTION) == 2


def test_state_input_is_checked_before_any_request(sandbox: SandboxServer) -> None:
    for kwargs, field in (
        ({"campaign_id": "x1", "action": "start"}, "campaign_id"),
        ({"campaign_id": 5, "action": "stop"}, "action"),
    ):
        with pytest.raises(SnovioValidationError) as caught:
            SnovioCampaignStateOperator(task_id="s", **kwargs).execute(context())
        assert caught.value.field == field
    assert requests(sandbox) == 0


# --- recipients: the check operator and the sensor (poke) ----------------------------------------------


def seeded(sandbox: SandboxServer) -> tuple[int, list[str], list[str]]:
    """A seeded campaign with finished and unfinished recipients: (id, finished e-mails, other e-mails)."""
    for camp in sandbox.state.data.campaigns.campaigns:
        by_index = {ridx: email for email, ridx in camp.email_index.items()}
        done = [by_index[r] for r in camp.finished if r in by_index]
        others = [e for e, r in camp.email_index.items() if r not in camp.finished]
        if len(done) >= 2 and len(others) >= 2:
            return camp.id, done, others
    raise AssertionError("no seeded campaign with finished and unfinished recipients")


def test_recipient_status_operator_chunks_and_maps_missing_to_none(sandbox: SandboxServer) -> None:
    campaign_id, done, others = seeded(sandbox)
    strangers = [f"nobody{i}@example.com" for i in range(110)]
    emails = [done[0].upper(), others[0], *strangers]
    result = SnovioRecipientStatusOperator(task_id="r", campaign_id=campaign_id, emails=emails).execute(context())
    assert list(result)[:2] == [done[0].lower(), others[0].lower()]
    assert result[done[0].lower()] == "finished" and result[others[0].lower()] == "active"
    assert all(result[e] is None for e in strangers)
    assert requests(sandbox, RECIPIENT) == 2  # 112 e-mails: 100 + 12
    assert sandbox.stats()["credits_spent"] == 0
    with pytest.raises(AirflowException, match="110 of 112 e-mails are not recipients"):
        SnovioRecipientStatusOperator(
            task_id="r", campaign_id=campaign_id, emails=emails, fail_on_missing=True
        ).execute(context())


def test_recipient_status_operator_checks_input_before_any_request(sandbox: SandboxServer) -> None:
    for kwargs, field in (
        ({"campaign_id": "abc", "emails": ["a@example.com"]}, "campaign_id"),
        ({"campaign_id": 1, "emails": ["not-an-email"]}, "emails[0]"),
        ({"campaign_id": 1, "emails": []}, "emails"),
    ):
        with pytest.raises(SnovioValidationError) as caught:
            SnovioRecipientStatusOperator(task_id="r", **kwargs).execute(context())
        assert caught.value.field == field
    assert requests(sandbox) == 0


def test_recipient_sensor_poke_waits_for_the_target_status(sandbox: SandboxServer, hook: SnovioHook) -> None:
    campaign_id, done, others = seeded(sandbox)
    sensor = SnovioRecipientStatusSensor(
        task_id="s",
        campaign_id=campaign_id,
        emails=[done[0], others[0]],
        target_status=["FINISHED", "Unsubscribe"],  # case-insensitive
        mode="poke",
        deferrable=False,
        poke_interval=0.01,
        timeout=10,
    )
    assert sensor.poke(context()) is False  # others[0] is active
    hook.change_recipient_status(campaign_id, others[0], "Unsubscribed")
    assert sensor.poke(context()) is True
    assert sensor.xcom_of(sensor.last_payload or {}) == {done[0].lower(): "finished", others[0].lower(): "unsubscribe"}
    assert requests(sandbox, RECIPIENT) == 2  # the second poke asked only about the pending e-mail
    assert sensor.execute(context()) == {done[0].lower(): "finished", others[0].lower(): "unsubscribe"}


def test_recipient_sensor_fails_on_a_missing_recipient_when_asked(sandbox: SandboxServer) -> None:
    campaign_id, done, _ = seeded(sandbox)
    sensor = SnovioRecipientStatusSensor(
        task_id="s",
        campaign_id=campaign_id,
        emails=[done[0], "nobody@example.com"],
        target_status="finished",
        fail_on_missing=True,
        deferrable=False,
        poke_interval=0.01,
        timeout=10,
    )
    with pytest.raises(SnovioApiError, match=r"nobody@example\.com"):
        sensor.execute(context())
    waiting = SnovioRecipientStatusSensor(
        task_id="w",
        campaign_id=campaign_id,
        emails=["nobody@example.com"],
        target_status="finished",
        deferrable=False,
        poke_interval=0.01,
        timeout=10,
    )
    assert waiting.poke(context()) is False  # without fail_on_missing it keeps waiting


# --- the manual's examples ------------------------------------------------------------------------------

DOC_SECTIONS = (
    "## Campaigns v2: create or update (`SnovioCampaignOperator`)",
    "## Campaigns v2: start, pause, resume, complete, archive (`SnovioCampaignStateOperator`)",
    "## Recipient status check (`SnovioRecipientStatusOperator`)",
    "## Recipient status sensor (`SnovioRecipientStatusSensor`)",
    "## Warm-up (`SnovioWarmUpOperator`)",
)


@pytest.mark.parametrize("heading", DOC_SECTIONS)
def test_the_manuals_example_builds_inside_a_dag(heading: str) -> None:
    """docs/operators.md's example of each class (linked from the README's table) uses real names and parameters."""
    import re
    from pathlib import Path

    from airflow.sdk import DAG

    text = (Path(__file__).resolve().parents[2] / "docs" / "operators.md").read_text()
    section = text.split(heading + "\n", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    with DAG("docs_example", schedule=None) as dag:
        exec(compile(block, "docs/operators.md", "exec"), {})
    assert dag.task_ids

"""SnovioRecipientStatusSensor in deferrable mode: the first check on the worker, the trigger (run in-process
after a JSON round trip of its kwargs, as the triggerer would), and ``execute_complete`` with its events."""

from __future__ import annotations

import time
from typing import Any

import pytest
from airflow.sdk.exceptions import AirflowSensorTimeout, TaskDeferred

from airflow_provider_snovio.api.errors import SnovioValidationError
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.sandbox.testing import SandboxServer
from airflow_provider_snovio.sensors import SnovioRecipientStatusSensor
from airflow_provider_snovio.triggers import SnovioRecipientStatusTrigger
from tests.airflow.conftest import run_trigger

RECIPIENT = "GET /v2/campaigns/{campaign_id}/recipient"


def seeded(sandbox: SandboxServer) -> tuple[int, str, str]:
    """A seeded campaign, one finished recipient and one still active."""
    for camp in sandbox.state.data.campaigns.campaigns:
        by_index = {ridx: email for email, ridx in camp.email_index.items()}
        done = [by_index[r] for r in camp.finished if r in by_index]
        others = [e for e, r in camp.email_index.items() if r not in camp.finished]
        if done and others:
            return camp.id, done[0].lower(), others[0].lower()
    raise AssertionError("no seeded campaign with finished and unfinished recipients")


def sensor(campaign_id: int, emails: list[str], **kwargs: Any) -> SnovioRecipientStatusSensor:
    options = {"poke_interval": 0.01, "timeout": 10, **kwargs}
    return SnovioRecipientStatusSensor(
        task_id="s",
        campaign_id=campaign_id,
        emails=emails,
        target_status=["finished", "unsubscribe"],
        deferrable=True,
        **options,
    )


def test_deferred_wait_for_the_pending_recipient_only(sandbox: SandboxServer) -> None:
    campaign_id, finished, active = seeded(sandbox)
    waiting = sensor(campaign_id, [finished, active])
    with pytest.raises(TaskDeferred) as deferred:
        waiting.execute({})  # the first check, on the worker: finished is reached, active is not
    trigger = deferred.value.trigger
    assert isinstance(trigger, SnovioRecipientStatusTrigger)
    assert trigger.serialize()[1]["emails"] == [active]  # only the pending e-mail goes to the triggerer
    SnovioHook().change_recipient_status(campaign_id, active, "Unsubscribed")
    (event,) = run_trigger(trigger)
    assert event["status"] == "success" and event["statuses"] == {active: "unsubscribe"}
    resumed = sensor(campaign_id, [finished, active])  # execute_complete runs on a fresh instance
    result = resumed.execute_complete({}, event=event, **(deferred.value.kwargs or {}))
    assert result == {finished: "finished", active: "unsubscribe"}
    assert sandbox.stats()["requests"][RECIPIENT] == 2 and sandbox.stats()["credits_spent"] == 0


def test_done_at_the_first_check_does_not_defer(sandbox: SandboxServer) -> None:
    campaign_id, finished, _ = seeded(sandbox)
    assert sensor(campaign_id, [finished]).execute({}) == {finished: "finished"}


def test_the_trigger_times_out_with_what_is_pending(sandbox: SandboxServer) -> None:
    campaign_id, finished, active = seeded(sandbox)
    trigger = SnovioRecipientStatusTrigger(
        campaign_id, [finished, active], "finished", deadline=time.time() + 0.2, poll_interval=0.05
    )
    (event,) = run_trigger(trigger)
    assert event["status"] == "timeout"
    assert event["pending"] == [active] and event["last"] == {active: "active"}
    assert event["statuses"] == {finished: "finished"}
    with pytest.raises(AirflowSensorTimeout, match="still pending: " + active.replace(".", r"\.")):
        sensor(campaign_id, [finished, active]).execute_complete({}, event=event, reached={})


def test_the_trigger_ends_with_an_error_for_a_missing_recipient(sandbox: SandboxServer) -> None:
    campaign_id, finished, _ = seeded(sandbox)
    trigger = SnovioRecipientStatusTrigger(
        campaign_id,
        [finished, "nobody@example.com"],
        "finished",
        fail_on_missing=True,
        deadline=time.time() + 10,
        poll_interval=0.01,
    )
    (event,) = run_trigger(trigger)
    assert event["status"] == "error" and "nobody@example.com" in event["message"]
    assert event["pending"] == ["nobody@example.com"] and event["last"] == {"nobody@example.com": None}


def test_bad_input_fails_before_any_request_in_both_modes(sandbox: SandboxServer) -> None:
    cases = [
        ({"campaign_id": "x", "emails": ["a@example.com"]}, "campaign_id"),
        ({"campaign_id": 1, "emails": ["nope"]}, "emails[0]"),
        ({"campaign_id": 1, "emails": ["a@example.com"], "target_status": ""}, "target_status[0]"),
        ({"campaign_id": 1, "emails": ["a@example.com"], "target_status": []}, "target_status"),
    ]
    for kwargs, field in cases:
        for deferrable in (False, True):
            arguments = {"target_status": "finished", **kwargs}
            with pytest.raises(SnovioValidationError) as refused:
                SnovioRecipientStatusSensor(task_id="s", deferrable=deferrable, **arguments).execute({})
            assert refused.value.field == field
    assert sandbox.stats()["total_requests"] == 0

"""Sensors in poke, reschedule and deferrable modes; ``execute_complete`` with every kind of event."""

from __future__ import annotations

import json
import time

import pytest
from airflow.sdk.exceptions import AirflowRescheduleException, AirflowSensorTimeout, TaskDeferred

from airflow_provider_snovio.api.errors import (
    SnovioError,
    SnovioNotFoundError,
    SnovioOutOfCreditsError,
    SnovioTaskTimeoutError,
    SnovioValidationError,
)
from airflow_provider_snovio.api.status import task_hash_of
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.operators import SnovioDomainSearchOperator
from airflow_provider_snovio.sandbox.testing import SandboxServer
from airflow_provider_snovio.sensors import (
    SnovioCampaignProgressSensor,
    SnovioEmailVerificationSensor,
    SnovioTaskSensor,
)
from airflow_provider_snovio.triggers import SnovioCampaignProgressTrigger, SnovioTaskTrigger
from airflow_provider_snovio.triggers.events import SnovioTriggerEventError, success_payload
from tests.airflow.conftest import run_trigger, run_with_triggers

QUICK = {"poke_interval": 0.01, "timeout": 10}
EMAILS = ["gavin.vanrooyen@octagon.com", "john.doe@yourdomain.com", "jane.doe@yourdomain.com"]


def campaign(status: str) -> str:
    return next(str(c["id"]) for c in SnovioHook().get_user_campaigns() if c["status"] == status)


def started_task() -> str:
    return task_hash_of(SnovioHook().start_domain_search("octagon.com"))


# --- SnovioTaskSensor -------------------------------------------------------------------------------


def test_task_sensor_poke_mode(sandbox: SandboxServer) -> None:
    sensor = SnovioTaskSensor(
        task_id="s",
        task_hash=started_task(),
        result_method="get_domain_search_result",
        mode="poke",
        deferrable=False,
        **QUICK,
    )
    assert sensor.poke({}) is False  # the sandbox answers in_progress once
    assert sensor.execute({})["status"] == "completed"


def test_task_sensor_reschedule_mode(sandbox: SandboxServer) -> None:
    sensor = SnovioTaskSensor(
        task_id="s",
        task_hash=started_task(),
        result_method="get_domain_search_result",
        mode="reschedule",
        deferrable=False,
        poke_interval=30,
        timeout=600,
    )
    with pytest.raises(AirflowRescheduleException) as rescheduled:
        sensor.execute({"ti": FirstTry()})  # pending: the worker slot is given back until the next poke
    from airflow.sdk.timezone import utcnow

    assert 20 < (rescheduled.value.reschedule_date - utcnow()).total_seconds() <= 30
    assert sensor.poke({}) is True


class FirstTry:
    """The bit of a task instance a reschedule-mode sensor reads: no earlier reschedule."""

    def get_first_reschedule_date(self, context):
        return None


def test_task_sensor_deferrable_checks_once_then_defers(sandbox: SandboxServer) -> None:
    task_hash = started_task()
    sensor = SnovioTaskSensor(
        task_id="s", task_hash=task_hash, result_method="get_domain_search_result", deferrable=True, **QUICK
    )
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})
    assert isinstance(deferred.value.trigger, SnovioTaskTrigger)
    assert sandbox.stats()["requests"]["GET /v2/domain-search/result/{task_hash}"] == 1
    (event,) = run_trigger(deferred.value.trigger)
    assert event["completed"] == [task_hash] and "results" not in event  # no result body in the event
    assert "Octagon" not in json.dumps(event)
    assert sensor.execute_complete({}, event) == {"task_hash": task_hash, "status": "completed"}


def test_task_sensor_fails_on_not_enough_credits(sandbox: SandboxServer) -> None:
    sandbox.configure(initial_balance=0.0)
    sandbox.reset()
    task_hash = task_hash_of(SnovioHook().start_email_verification(["john.doe@yourdomain.com"]))
    sensor = SnovioTaskSensor(
        task_id="s", task_hash=task_hash, result_method="get_email_verification_result", deferrable=False, **QUICK
    )
    with pytest.raises(SnovioOutOfCreditsError):
        sensor.execute({})


def test_sensors_refuse_bad_input_with_zero_requests(sandbox: SandboxServer) -> None:
    cases = [
        (SnovioTaskSensor(task_id="a", task_hash="xyz/../..", result_method="get_prospects_result"), "task_hash"),
        (SnovioTaskSensor(task_id="b", task_hash="ab" * 16, result_method="start_domain_search"), "result_method"),
        (SnovioEmailVerificationSensor(task_id="c", emails=["nope"]), "emails[0]"),
        (SnovioCampaignProgressSensor(task_id="d", campaign_id="12a"), "campaign_id"),
        (SnovioCampaignProgressSensor(task_id="e", campaign_id="12", min_progress=101), "min_progress"),
    ]
    for sensor, field in cases:
        for deferrable in (False, True):
            sensor.deferrable = deferrable
            with pytest.raises(SnovioValidationError) as refused:
                sensor.execute({})
            assert refused.value.field == field
    assert sandbox.stats()["total_requests"] == 0


# --- SnovioEmailVerificationSensor --------------------------------------------------------------------


@pytest.mark.parametrize("deferrable", [False, True])
def test_verification_sensor_waits_for_final_statuses(sandbox: SandboxServer, deferrable: bool) -> None:
    SnovioHook().add_emails_to_verification(EMAILS)
    sensor = SnovioEmailVerificationSensor(
        task_id="s", emails=EMAILS, deferrable=deferrable, greylisted_poll_interval=0.01, **QUICK
    )
    result = run_with_triggers(sensor, {})
    assert set(result) == set(EMAILS) and result["john.doe@yourdomain.com"] == "valid"
    assert sandbox.stats()["credits_spent"] == 3  # the sensor itself never pays


def test_verification_sensor_reschedules_on_the_hourly_quota(sandbox: SandboxServer) -> None:
    sandbox.configure(verifier_hourly_limit=2)
    sensor = SnovioEmailVerificationSensor(
        task_id="s", emails=EMAILS, mode="reschedule", deferrable=False, poke_interval=5, timeout=60
    )
    with pytest.raises(AirflowRescheduleException) as rescheduled:
        sensor.poke({})
    from airflow.sdk.timezone import utcnow

    assert (rescheduled.value.reschedule_date - utcnow()).total_seconds() > 60  # Snov.io's hint, not 5 s
    poking = SnovioEmailVerificationSensor(task_id="p", emails=EMAILS, mode="poke", deferrable=False, **QUICK)
    assert poking.poke({}) is False


# --- SnovioCampaignProgressSensor ---------------------------------------------------------------------


def test_campaign_progress_sensor_modes(sandbox: SandboxServer) -> None:
    active = campaign("Active")
    assert (
        SnovioCampaignProgressSensor(
            task_id="a", campaign_id=active, min_progress=50, deferrable=False, **QUICK
        ).execute({})["status"]
        == "Active"
    )
    assert (
        SnovioCampaignProgressSensor(task_id="c", campaign_id=campaign("Completed"), deferrable=True, **QUICK).execute(
            {}
        )["progress"]
        == "100%"
    )  # done at the first check
    waiting = SnovioCampaignProgressSensor(
        task_id="w", campaign_id=active, deferrable=False, mode="poke", poke_interval=0.05, timeout=0.2
    )
    with pytest.raises(AirflowSensorTimeout):
        waiting.execute({})
    deferring = SnovioCampaignProgressSensor(
        task_id="d", campaign_id=active, deferrable=True, poke_interval=0.05, timeout=0.2
    )
    with pytest.raises(TaskDeferred) as deferred:
        deferring.execute({})
    assert isinstance(deferred.value.trigger, SnovioCampaignProgressTrigger)
    assert deferred.value.trigger.deadline <= time.time() + 0.2
    (event,) = run_trigger(deferred.value.trigger)
    with pytest.raises(AirflowSensorTimeout):
        deferring.execute_complete({}, event)


# --- events -------------------------------------------------------------------------------------------


def test_success_payload_with_every_event_kind() -> None:
    assert success_payload({"status": "success", "message": "done", "x": 1}, "w")["x"] == 1
    with pytest.raises(SnovioTaskTimeoutError) as timeout:
        success_payload(
            {"status": "timeout", "message": "late", "pending": ["ab" * 16], "result_method": "get_prospects_result"},
            "w",
        )
    assert timeout.value.task_hash == "ab" * 16 and timeout.value.result_method == "get_prospects_result"
    with pytest.raises(SnovioOutOfCreditsError, match="w failed: no credits"):
        success_payload({"status": "error", "message": "no credits", "error_type": "SnovioOutOfCreditsError"}, "w")
    with pytest.raises(SnovioError, match="boom"):
        success_payload({"status": "error", "message": "boom", "error_type": "KeyError"}, "w")
    with pytest.raises(SnovioError):  # a class that needs more than a message still raises cleanly
        success_payload({"status": "error", "message": "bad", "error_type": "SnovioValidationError"}, "w")
    with pytest.raises(SnovioTriggerEventError, match="without a trigger event"):
        success_payload(None, "w")
    for malformed in ({"status": "maybe"}, {"message": "no status"}, "success", ["success"]):
        with pytest.raises(SnovioTriggerEventError, match="unexpected trigger event"):
            success_payload(malformed, "w")


def test_operator_execute_complete_with_every_event_kind(sandbox: SandboxServer, context) -> None:
    op = SnovioDomainSearchOperator(
        task_id="ds", domain="octagon.com", include=["company"], deferrable=True, poll_interval=0.01, timeout=5
    )
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    job = deferred.value.kwargs["job"]
    with pytest.raises(SnovioTaskTimeoutError):
        op.execute_complete(
            context,
            {
                "status": "timeout",
                "message": "late",
                "pending": ["ab" * 16],
                "result_method": "get_domain_search_result",
            },
            job=job,
        )
    with pytest.raises(SnovioNotFoundError):
        op.execute_complete(
            context, {"status": "error", "message": "gone", "error_type": "SnovioNotFoundError"}, job=job
        )
    with pytest.raises(SnovioTriggerEventError):
        op.execute_complete(context, None, job=job)
    (event,) = run_trigger(deferred.value.trigger)
    assert "Octagon" not in json.dumps([event, deferred.value.kwargs])  # no result body in the metadata DB
    reads = sandbox.stats()["requests"]["GET /v2/domain-search/result/{task_hash}"]
    assert op.execute_complete(context, event, job=job)["company"]["company_name"] == "Octagon"
    # read back on the worker: one free GET for the one completed hash
    assert sandbox.stats()["requests"]["GET /v2/domain-search/result/{task_hash}"] == reads + 1


def test_sensor_execute_complete_with_every_event_kind() -> None:
    sensor = SnovioTaskSensor(task_id="s", task_hash="ab" * 16, result_method="get_prospects_result")
    assert sensor.execute_complete({}, {"status": "success", "message": "done", "results": {}})["status"] == "completed"
    with pytest.raises(AirflowSensorTimeout):
        sensor.execute_complete({}, {"status": "timeout", "message": "late", "pending": ["ab" * 16]})
    with pytest.raises(SnovioNotFoundError):
        sensor.execute_complete({}, {"status": "error", "message": "x", "error_type": "SnovioNotFoundError"})
    with pytest.raises(SnovioTriggerEventError):
        sensor.execute_complete({}, None)

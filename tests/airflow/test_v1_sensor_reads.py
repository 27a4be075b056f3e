"""The v1 verification sensor: pending-only reads across pokes and reschedules, the deferrable first check
under the hourly quota and ``silent_fail`` / ``never_fail`` (against the sandbox over HTTP)."""

from __future__ import annotations

import pytest
from airflow.sdk.exceptions import AirflowSkipException, TaskDeferred

from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.sandbox.testing import SandboxServer
from airflow_provider_snovio.sensors import SnovioEmailVerificationSensor
from airflow_provider_snovio.triggers import SnovioEmailVerificationTrigger
from tests.airflow.conftest import MemoryTaskStateStore, run_trigger

QUICK = {"poke_interval": 0.01, "timeout": 10}
FINAL = ("valid", "not_valid", "unknown")


def reads(sandbox: SandboxServer) -> dict[str, int]:
    return {k.split(":", 1)[1]: v for k, v in sandbox.stats()["item_reads"].items() if k.startswith("verifier:")}


def test_sensor_never_reads_a_final_address_again(sandbox: SandboxServer) -> None:
    sandbox.configure(greylisted_share=0.0)
    done = [f"done{i}@octagon.com" for i in range(5)]
    later = [f"later{i}@octagon.com" for i in range(5)]
    SnovioHook().add_emails_to_verification(done)
    store = MemoryTaskStateStore()
    sensor = SnovioEmailVerificationSensor(task_id="s", emails=done + later, mode="poke", deferrable=False, **QUICK)
    for _ in range(3):  # done: in_progress, then complete; later: not_verified (nobody queued them)
        assert sensor.poke({"task_state_store": store}) is False
    first = reads(sandbox)
    assert all(first[e] == 2 for e in done) and all(first[e] == 3 for e in later)
    # a reschedule: a new sensor object (new process) with the same task instance's store
    SnovioHook().add_emails_to_verification(later)
    again = SnovioEmailVerificationSensor(
        task_id="s", emails=done + later, mode="reschedule", deferrable=False, **QUICK
    )
    while not again.poke({"task_state_store": store}):
        pass
    result = again.xcom_of(again.last_payload)
    assert list(result) == done + later and all(v in FINAL for v in result.values())
    final = reads(sandbox)
    assert all(final[e] == 2 for e in done)  # never read after their final answer


def test_deferrable_first_check_defers_on_the_hourly_quota(sandbox: SandboxServer) -> None:
    sandbox.configure(greylisted_share=0.0)
    emails = [f"q{i}@octagon.com" for i in range(3)]
    SnovioHook().add_emails_to_verification(emails)
    sandbox.configure(verifier_hourly_limit=3, hourly_window_seconds=600)  # the add spent this "hour"
    sensor = SnovioEmailVerificationSensor(task_id="s", emails=emails, deferrable=True, **QUICK)
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})
    assert isinstance(deferred.value.trigger, SnovioEmailVerificationTrigger)
    sandbox.configure(verifier_hourly_limit=10_000)  # the hour has passed
    (event,) = run_trigger(deferred.value.trigger)
    result = sensor.execute_complete({}, event=event, **deferred.value.kwargs)
    assert list(result) == emails and all(v in FINAL for v in result.values())


def test_deferrable_first_check_honours_silent_fail_and_never_fail(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    conn = json.loads(sandbox.connection_json())
    conn["extra"] = {**(conn.get("extra") or {}), "max_retries": 0}
    monkeypatch.setenv("AIRFLOW_CONN_SNOVIO_DEFAULT", json.dumps(conn))
    sandbox.configure(status_error_every=1)  # every status read answers 503
    emails = ["a@octagon.com"]
    silent = SnovioEmailVerificationSensor(task_id="s", emails=emails, deferrable=True, silent_fail=True, **QUICK)
    with pytest.raises(TaskDeferred):
        silent.execute({})
    never = SnovioEmailVerificationSensor(task_id="n", emails=emails, deferrable=True, never_fail=True, **QUICK)
    with pytest.raises(AirflowSkipException):
        never.execute({})
    plain = SnovioEmailVerificationSensor(task_id="p", emails=emails, deferrable=True, **QUICK)
    from airflow_provider_snovio.api.errors import SnovioServerError

    with pytest.raises(SnovioServerError):
        plain.execute({})


def test_deferral_carries_only_pending_addresses(sandbox: SandboxServer) -> None:
    sandbox.configure(greylisted_share=0.0, task_polls_pending=0)
    done = [f"d{i}@octagon.com" for i in range(3)]
    SnovioHook().add_emails_to_verification(done)
    pending = ["nobody@octagon.com"]
    sensor = SnovioEmailVerificationSensor(task_id="s", emails=done + pending, deferrable=True, **QUICK)
    with pytest.raises(TaskDeferred) as deferred:
        sensor.execute({})
    assert deferred.value.trigger.poller.emails == pending
    event = {"status": "success", "message": "done", "results": {pending[0]: {"smtp_status": "unknown"}}}
    result = sensor.execute_complete({}, event=event, **deferred.value.kwargs)
    assert list(result) == done + pending and result[pending[0]] == "unknown"
    assert set(deferred.value.kwargs["final"]) == set(done)
    assert "is_valid_format" not in json_of(deferred.value.kwargs)  # only the status travels


def json_of(value: object) -> str:
    import json

    return json.dumps(value)


def test_poke_mode_survives_a_failing_chunk_and_keeps_the_others(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import json

    conn = json.loads(sandbox.connection_json())
    conn["extra"] = {**(conn.get("extra") or {}), "max_retries": 0}
    monkeypatch.setenv("AIRFLOW_CONN_SNOVIO_DEFAULT", json.dumps(conn))
    sandbox.configure(greylisted_share=0.0, task_polls_pending=0)
    emails = [f"c{i}@octagon.com" for i in range(30)]
    SnovioHook().add_emails_to_verification(emails)
    sandbox.configure(status_error_every=3)  # the third chunk of the first check answers 503
    sensor = SnovioEmailVerificationSensor(task_id="s", emails=emails, mode="poke", deferrable=False, **QUICK)
    result = sensor.execute({})
    assert list(result) == emails
    assert sandbox.stats()["status_counts"]["503"] >= 1
    assert all(n == 1 for n in reads(sandbox).values())  # the two chunks read before the 503 were kept

"""v1 verification and v1 finder at a real plan's scale, against the sandbox over HTTP, time-compressed.

A Starter plan allows 500 verifier e-mails and 200 finder requests an hour, the free status reads
included; here the hour lasts ``WINDOW`` seconds. Each scenario runs under both readings of a spent
quota (``quota_answer``: a 429 with Retry-After, or a 200 ``success: false`` without one).

Time compression of the provider's side: the client's own waits for the quota (``RetryPolicy``'s
``processing_*`` seconds, 30 s - 15 min of a 1-h quota in production) shrink by the same factor as the hour
(``COMPRESSION``), so the client gives up after the same share of the hour as in production and the
operators' own resumption after a quota answer (defer or wait, then resume the job: item 1's subject) does
the rest; every request still goes over HTTP to the sandbox.
"""

from __future__ import annotations

import asyncio
import functools
import json
import time
from pathlib import Path
from typing import Any

import pytest
from airflow.providers.standard.triggers.temporal import DateTimeTrigger
from airflow.sdk.exceptions import TaskDeferred

from airflow_provider_snovio.api.errors import SnovioError, SnovioTaskTimeoutError
from airflow_provider_snovio.api.retry import RetryPolicy
from airflow_provider_snovio.operators import SnovioEmailFinderOperator, SnovioEmailVerificationOperator
from airflow_provider_snovio.sandbox.testing import SandboxServer
from airflow_provider_snovio.triggers import SnovioEmailVerificationTrigger
from airflow_provider_snovio.triggers.pollers import (
    FINDER_POLL_INTERVAL,
    FINDER_REQUESTS_PER_ROUND,
    GREYLISTED_POLL_INTERVAL,
    TASK_REQUESTS_PER_ROUND,
    V1_TIMEOUT,
    VERIFICATION_POLL_INTERVAL,
    VERIFICATION_REQUESTS_PER_ROUND,
)
from tests.airflow.conftest import MemoryTaskStateStore, run_trigger

#: One compressed "hour" of the finder/verifier quota, in seconds.
WINDOW = 4.0
#: The compressed hour over the real one.
COMPRESSION = WINDOW / 3600
QUOTA_ANSWERS = ["429", "200"]
#: Status reads an item needs at least: not_verified/not_found, in_progress after the add, complete.
MINIMUM_READS = 3


@pytest.fixture
def compressed_quota_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client waits for the quota on the compressed hour's scale (see the module docstring)."""
    import airflow_provider_snovio.hooks.snovio as hooks

    real = RetryPolicy()
    policy = functools.partial(
        RetryPolicy,
        processing_backoff=real.processing_backoff * COMPRESSION,
        processing_backoff_max=real.processing_backoff_max * COMPRESSION,
        processing_wait_max=real.processing_wait_max * COMPRESSION,
        processing_retry_after=real.processing_retry_after * COMPRESSION,
    )
    monkeypatch.setattr(hooks, "RetryPolicy", policy)


def drive(operator: Any, context: dict[str, Any], max_deferrals: int = 500) -> Any:
    """Execute ``operator`` as Airflow would, running every trigger it defers to (verification trigger or
    the quota's ``DateTimeTrigger``) for real, until it returns. An operator with ``deferrable=False`` must
    never defer (item 6: it may run where no triggerer is), not even for the hourly quota."""
    method, kwargs = operator.execute, {}
    for _ in range(max_deferrals):
        try:
            return method(context, **kwargs)
        except TaskDeferred as deferred:
            if not operator.deferrable:
                raise AssertionError(f"deferrable=False deferred to {type(deferred.trigger).__name__}") from None
            if isinstance(deferred.trigger, DateTimeTrigger):  # Airflow's own: its kwargs hold a datetime
                (event,) = asyncio.run(_events(deferred.trigger))
            else:  # ours: after a JSON round trip of the kwargs, as the triggerer runs them
                (event,) = run_trigger(deferred.trigger)
            method = getattr(operator, deferred.method_name)
            kwargs = {"event": event, **(deferred.kwargs or {})}
    raise AssertionError("too many deferrals")


async def _events(trigger: Any) -> list[Any]:
    return [event.payload async for event in trigger.run()]


def addresses(count: int) -> list[str]:
    return [f"person{i:04d}@octagon.com" for i in range(count)]


def names(count: int) -> list[dict[str, str]]:
    return [{"first_name": f"First{i:04d}", "last_name": "Person", "domain": "octagon.com"} for i in range(count)]


def reads_of(stats: dict[str, Any], prefix: str) -> dict[str, int]:
    return {k.split(":", 1)[1]: v for k, v in stats["item_reads"].items() if k.startswith(prefix + ":")}


# --- item 1: batches larger than the hourly quota finish ----------------------------------------------


@pytest.mark.parametrize("deferrable", [False, True])
def test_minimum_reads_without_quota_pressure(sandbox: SandboxServer, deferrable: bool) -> None:
    """The baseline of the "at most twice beyond the minimum" bound below: with no quota in the way, every
    address and every name is read exactly ``MINIMUM_READS`` times."""
    sandbox.configure(greylisted_share=0.0)
    drive(
        SnovioEmailVerificationOperator(
            task_id="v", emails=addresses(20), deferrable=deferrable, poll_interval=0.05, timeout=60
        ),
        {"task_state_store": MemoryTaskStateStore()},
    )
    drive(
        SnovioEmailFinderOperator(task_id="f", people=names(20), deferrable=deferrable, poll_interval=0.05, timeout=60),
        {"task_state_store": MemoryTaskStateStore()},
    )
    stats = sandbox.stats()
    assert set(reads_of(stats, "verifier").values()) == {MINIMUM_READS}
    assert set(reads_of(stats, "finder").values()) == {MINIMUM_READS}
    assert len(reads_of(stats, "verifier")) == 20 and len(reads_of(stats, "finder")) == 20
    assert stats["too_many_processing"] == 0


@pytest.mark.parametrize("quota_answer", QUOTA_ANSWERS)
@pytest.mark.parametrize("deferrable", [False, True])
def test_600_addresses_finish_on_a_starter_verifier_quota(
    sandbox: SandboxServer, compressed_quota_waits: None, quota_answer: str, deferrable: bool, capsys
) -> None:
    sandbox.configure(
        verifier_hourly_limit=500, hourly_window_seconds=WINDOW, quota_answer=quota_answer, greylisted_share=0.0
    )
    emails = addresses(600)
    op = SnovioEmailVerificationOperator(
        task_id="v", emails=emails, deferrable=deferrable, poll_interval=0.05, timeout=120
    )
    xcom = drive(op, {"task_state_store": MemoryTaskStateStore()})
    assert list(xcom["results"]) == emails
    assert sum(xcom["counts"].values()) == 600 and xcom["queued"] == 600
    stats = sandbox.stats()
    assert stats["too_many_processing"] > 0  # the quota was really spent, several times over
    assert "hourly quota is spent" in capsys.readouterr().out  # and the operator resumed its job after it
    assert stats["credits_spent"] == 600
    # each address added once (the sandbox charges every add; adds the quota refused are neither done nor paid)
    assert stats["credits_by_endpoint"] == {"POST /v1/add-emails-to-verification": 600}
    reads = reads_of(stats, "verifier")
    assert set(reads) == set(emails)
    worst = max(reads.values())
    assert worst <= MINIMUM_READS + 2, f"an address was read {worst} times"


@pytest.mark.parametrize("quota_answer", QUOTA_ANSWERS)
@pytest.mark.parametrize("deferrable", [False, True])
def test_250_names_finish_on_a_starter_finder_quota(
    sandbox: SandboxServer, compressed_quota_waits: None, quota_answer: str, deferrable: bool, capsys
) -> None:
    sandbox.configure(finder_hourly_limit=200, hourly_window_seconds=WINDOW, quota_answer=quota_answer)
    people = names(250)
    op = SnovioEmailFinderOperator(task_id="f", people=people, deferrable=deferrable, poll_interval=0.05, timeout=120)
    xcom = drive(op, {"task_state_store": MemoryTaskStateStore()})
    assert [{k: p[k] for k in ("first_name", "last_name", "domain")} for p in xcom["people"]] == people
    assert xcom["counts"]["people"] == 250 and xcom["queued"] == 250
    stats = sandbox.stats()
    assert stats["too_many_processing"] > 0
    assert "hourly quota is spent" in capsys.readouterr().out  # the operator resumed its job after it
    assert stats["credits_spent"] == 250
    assert stats["credits_by_endpoint"] == {"POST /v1/add-names-to-find-emails": 250}  # each name added once
    reads = reads_of(stats, "finder")
    assert len(reads) == 250
    worst = max(reads.values())
    assert worst <= MINIMUM_READS + 2, f"a name was read {worst} times"


# --- item 2: a part-way failure of a chunked status read does not end a deferrable wait ---------------


@pytest.mark.parametrize("quota_answer", QUOTA_ANSWERS)
def test_deferrable_verification_survives_a_quota_answer_and_a_5xx_on_its_third_chunk(
    sandbox: SandboxServer, compressed_quota_waits: None, monkeypatch: pytest.MonkeyPatch, quota_answer: str
) -> None:
    conn = json.loads(sandbox.connection_json())
    conn["extra"] = {**(conn.get("extra") or {}), "max_retries": 0}  # every failure reaches the trigger
    monkeypatch.setenv("AIRFLOW_CONN_SNOVIO_DEFAULT", json.dumps(conn))
    window = 4.0
    sandbox.configure(hourly_window_seconds=window, quota_answer=quota_answer, greylisted_share=0.0)
    emails = addresses(40)
    context = {"task_state_store": MemoryTaskStateStore()}
    op = SnovioEmailVerificationOperator(task_id="v", emails=emails, deferrable=True, poll_interval=0.01, timeout=60)
    with pytest.raises(TaskDeferred) as deferred:
        op.execute(context)
    trigger = deferred.value.trigger
    assert isinstance(trigger, SnovioEmailVerificationTrigger)
    assert trigger.poller.emails == emails  # 4 chunks of 10 to read
    # The trigger's first round: chunks 1 and 2 answer, chunk 3 gets a 503, and the next read of chunk 3
    # finds the hourly quota spent (it allows 20 more e-mails in this window).
    state = sandbox.state
    used = state.hourly_limiters["verifier"].in_window(state.now(), window)
    sandbox.configure(status_error_every=3, verifier_hourly_limit=used + 20)
    before = sandbox.stats()
    (event,) = run_trigger(trigger)
    after = sandbox.stats()
    assert event["status"] == "success", event
    assert after["status_counts"].get("503", 0) - before["status_counts"].get("503", 0) >= 1
    assert after["too_many_processing"] - before["too_many_processing"] >= 1
    assert sorted(event["results"]) == sorted(emails)
    xcom = op.execute_complete(context, event=event, **deferred.value.kwargs)
    assert list(xcom["results"]) == emails and xcom["queued"] == 40
    assert after["credits_spent"] == 40
    assert max(reads_of(after, "verifier").values()) <= MINIMUM_READS + 2


def test_verification_trigger_keeps_the_chunks_read_before_a_failure(
    sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    conn = json.loads(sandbox.connection_json())
    conn["extra"] = {**(conn.get("extra") or {}), "max_retries": 0}
    monkeypatch.setenv("AIRFLOW_CONN_SNOVIO_DEFAULT", json.dumps(conn))
    from airflow_provider_snovio.hooks.snovio import SnovioHook

    emails = addresses(30)
    sandbox.configure(task_polls_pending=0, greylisted_share=0.0)
    SnovioHook().add_emails_to_verification(emails)
    sandbox.configure(status_error_every=3)  # every 3rd status read from now on answers 503
    (event,) = run_trigger(SnovioEmailVerificationTrigger(emails, deadline=time.time() + 30, poll_interval=0.01))
    assert event["status"] == "success"
    reads = reads_of(sandbox.stats(), "verifier")
    assert all(n == 1 for n in reads.values()), reads  # no final address read twice, none lost


# --- item 5: greylisted addresses ------------------------------------------------------------------

#: Scale of the greylist test: every provider default and Snov.io's advice, divided by 1,000.
SCALE = 1 / 1000


def _greylist_sandbox(sandbox: SandboxServer, greylist_seconds: float) -> None:
    sandbox.configure(greylisted_share=0.5, greylist_seconds=greylist_seconds)


@pytest.mark.parametrize("deferrable", [False, True])
def test_greylisted_batch_finishes_with_the_default_settings(sandbox: SandboxServer, deferrable: bool) -> None:
    # Snov.io: ask again after 15 min - 1 h. The longest (1 h) greylisting, with the defaults, all / 1000.
    _greylist_sandbox(sandbox, 3600 * SCALE)
    emails = addresses(20)
    op = SnovioEmailVerificationOperator(
        task_id="v",
        emails=emails,
        deferrable=deferrable,
        poll_interval=VERIFICATION_POLL_INTERVAL * SCALE,
        greylisted_poll_interval=GREYLISTED_POLL_INTERVAL * SCALE,
        timeout=V1_TIMEOUT * SCALE,
    )
    default = SnovioEmailVerificationOperator(task_id="d", emails=emails)  # what the test scales are the defaults
    assert (default.poll_interval, default.greylisted_poll_interval, default.timeout, default.wait_for_greylisted) == (
        VERIFICATION_POLL_INTERVAL,
        GREYLISTED_POLL_INTERVAL,
        V1_TIMEOUT,
        True,
    )
    xcom = drive(op, {"task_state_store": MemoryTaskStateStore()})
    assert list(xcom["results"]) == emails
    assert "greylisted" not in xcom["counts"]
    greylisted_reads = sandbox.stats()["item_reads"]
    assert max(greylisted_reads.values()) > MINIMUM_READS  # some addresses really were greylisted first


def test_the_old_default_timeout_was_shorter_than_a_greylisting(sandbox: SandboxServer, tmp_path: Path) -> None:
    """The control of the test above, and what a timeout returns: every final answer already obtained."""
    _greylist_sandbox(sandbox, 3600 * SCALE)
    emails = addresses(20)
    out = tmp_path / "verdicts.jsonl"
    op = SnovioEmailVerificationOperator(
        task_id="v",
        emails=emails,
        deferrable=False,
        poll_interval=VERIFICATION_POLL_INTERVAL * SCALE,
        greylisted_poll_interval=GREYLISTED_POLL_INTERVAL * SCALE,
        timeout=600 * SCALE,
        output_path=f"file://{out}",
    )
    with pytest.raises(SnovioTaskTimeoutError) as timed_out:
        op.execute({"task_state_store": MemoryTaskStateStore()})
    error = timed_out.value
    assert error.pending and error.results  # some greylisted still pending, the others final
    assert sorted([*error.pending, *error.results]) == sorted(emails)
    assert f"{len(error.results)} of 20 addresses have a final status" in str(error)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert {line["email"] for line in lines} == set(error.results)
    assert all(line["smtp_status"] in ("valid", "not_valid", "unknown") for line in lines)


def test_deferrable_timeout_keeps_the_final_answers(sandbox: SandboxServer, tmp_path: Path) -> None:
    _greylist_sandbox(sandbox, 3600.0)  # never ends within the test
    emails = addresses(20)
    out = tmp_path / "verdicts.jsonl"
    op = SnovioEmailVerificationOperator(
        task_id="v",
        emails=emails,
        deferrable=True,
        poll_interval=0.01,
        greylisted_poll_interval=0.05,
        timeout=1.0,
        output_path=f"file://{out}",
    )
    with pytest.raises(SnovioTaskTimeoutError) as timed_out:
        drive(op, {"task_state_store": MemoryTaskStateStore()})
    error = timed_out.value
    assert error.pending and error.results and len(error.pending) + len(error.results) == 20
    assert {json.loads(line)["email"] for line in out.read_text().splitlines()} == set(error.results)


@pytest.mark.parametrize("deferrable", [False, True])
def test_wait_for_greylisted_false_reports_greylisted_at_once(sandbox: SandboxServer, deferrable: bool) -> None:
    _greylist_sandbox(sandbox, 3600.0)  # a wait for them would outlast the test
    emails = addresses(20)
    started = time.monotonic()
    op = SnovioEmailVerificationOperator(
        task_id="v", emails=emails, deferrable=deferrable, wait_for_greylisted=False, poll_interval=0.01, timeout=30
    )
    xcom = drive(op, {"task_state_store": MemoryTaskStateStore()})
    assert time.monotonic() - started < 10
    assert list(xcom["results"]) == emails
    assert 0 < xcom["counts"]["greylisted"] < 20
    assert all(
        line["smtp_status"] == "greylisted"
        for line in xcom["results"].values()
        if line["smtp_status"] not in ("valid", "not_valid", "unknown")
    )


# --- item 4: a lost answer of a v1 add POST is never paid again ---------------------------------------


def test_lost_answer_of_add_emails_to_verification_is_never_paid_again(sandbox: SandboxServer) -> None:
    emails = addresses(12)
    sandbox.configure(
        fault_phase="after", error_rate=1.0, fault_routes="/v1/add-emails-to-verification", greylisted_share=0.0
    )
    store = MemoryTaskStateStore()
    tries = 0
    xcom = None
    while xcom is None and tries < 5:  # Airflow's retries, with the same task instance's store
        tries += 1
        op = SnovioEmailVerificationOperator(
            task_id="v", emails=emails, deferrable=False, poll_interval=0.01, timeout=10
        )
        try:
            xcom = op.execute({"task_state_store": store})
        except SnovioError as error:
            assert error.status is not None and error.status >= 500  # the add took effect, its answer was lost
    assert xcom is not None and tries == 3  # two lost answers (10 + 2 addresses), then done
    stats = sandbox.stats()
    assert stats["requests"]["POST /v1/add-emails-to-verification"] == 2
    assert stats["credits_spent"] == 12 and xcom["queued"] == 12
    rerun = SnovioEmailVerificationOperator(
        task_id="v", emails=emails, deferrable=False, poll_interval=0.01, timeout=10
    ).execute({})  # no store at all: statuses read first
    assert rerun["results"] == xcom["results"]
    assert sandbox.stats()["credits_spent"] == 12


def test_lost_answer_of_add_names_to_find_emails_is_never_paid_again(sandbox: SandboxServer) -> None:
    people = names(3)
    sandbox.configure(fault_phase="after", error_rate=1.0, fault_routes="/v1/add-names-to-find-emails")
    store = MemoryTaskStateStore()
    tries = 0
    xcom = None
    while xcom is None and tries < 6:
        tries += 1
        op = SnovioEmailFinderOperator(task_id="f", people=people, deferrable=False, poll_interval=0.01, timeout=10)
        try:
            xcom = op.execute({"task_state_store": store})
        except SnovioError as error:
            assert error.status is not None and error.status >= 500
    assert xcom is not None and tries == 4  # one lost answer per person, then done
    stats = sandbox.stats()
    assert stats["requests"]["POST /v1/add-names-to-find-emails"] == 3
    assert stats["credits_spent"] == 3 and xcom["queued"] == 3
    SnovioEmailFinderOperator(task_id="f", people=people, deferrable=False, poll_interval=0.01, timeout=10).execute({})
    assert sandbox.stats()["credits_spent"] == 3


# --- item 8: polling that leaves the account's 60/min to other tasks -----------------------------------


def test_polling_defaults_are_the_documented_ones() -> None:
    """docs/paid-work.md: v1 polls every 60 s, a round reads at most 5 requests of 10 addresses, 10 names
    or 20 v2 tasks."""
    assert (VERIFICATION_POLL_INTERVAL, FINDER_POLL_INTERVAL) == (60.0, 60.0)
    assert (VERIFICATION_REQUESTS_PER_ROUND, FINDER_REQUESTS_PER_ROUND, TASK_REQUESTS_PER_ROUND) == (5, 10, 20)
    assert SnovioEmailFinderOperator(task_id="f", people=names(1)).poll_interval == FINDER_POLL_INTERVAL


@pytest.mark.parametrize("family", ["v1_verification", "v1_finder", "v2_tasks"])
def test_one_trigger_round_sends_at_most_its_default_cap(sandbox: SandboxServer, family: str) -> None:
    """Many pending items, a deadline already past: the trigger makes exactly one round, whose requests to
    Snov.io are counted by the sandbox over HTTP - the default cap, not one per pending item."""
    from airflow_provider_snovio.api.catalogue import ENDPOINTS
    from airflow_provider_snovio.api.status import task_hash_of
    from airflow_provider_snovio.hooks.snovio import SnovioHook
    from airflow_provider_snovio.triggers import SnovioEmailFinderTrigger, SnovioTaskTrigger

    sandbox.configure(task_polls_pending=1000, greylisted_share=0.0)  # nothing finishes during the test
    trigger: Any
    if family == "v1_verification":  # nobody queued them: not_verified, pending
        trigger = SnovioEmailVerificationTrigger(addresses(200), deadline=time.time())
        route, cap = "POST /v1/get-emails-verification-status", VERIFICATION_REQUESTS_PER_ROUND
    elif family == "v1_finder":  # nobody queued them: not found, pending
        trigger = SnovioEmailFinderTrigger(names(50), deadline=time.time())
        route, cap = "POST /v1/get-emails-from-names", FINDER_REQUESTS_PER_ROUND
    else:
        hook = SnovioHook()
        hashes = [task_hash_of(hook.start_email_verification([email])) for email in addresses(50)]
        trigger = SnovioTaskTrigger(hashes, ENDPOINTS.get_email_verification_result, deadline=time.time())
        route, cap = "GET /v2/email-verification/result", TASK_REQUESTS_PER_ROUND
    before = sandbox.stats()["requests"].get(route, 0)
    (event,) = run_trigger(trigger)
    assert event["status"] == "timeout"  # one round, then the deadline
    assert sandbox.stats()["requests"].get(route, 0) - before == cap

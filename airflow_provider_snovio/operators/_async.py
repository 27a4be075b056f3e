"""What the operators over Snov.io's asynchronous work share: resumable job state, waiting, deferring.

**Never pay twice.** Everything an operator starts that costs credits (a v2 ``task_hash``, an e-mail
queued for verification, a name queued for the finder) is written to a small JSON record, the *job*,
before the operator waits on it. The job lives in the task instance's ``task_state_store`` (Airflow
3.3+; the same store ``ResumableJobMixin`` uses, read from the context so older Airflow still imports)
and travels in the ``defer`` kwargs between a deferral and its resumption. A task retry (or a rerun of
the same run) therefore finds the job and resumes waiting on what was already paid for. A job records a
fingerprint of the operator's inputs: if they change between tries, it is started afresh.

Why not ``ResumableJobMixin`` itself: it models one submit followed by one blocking poll. Snov.io jobs
are several paid steps (pages, chunks of 10, queue-then-ask) and must be able to defer between them;
the mixin's store is used directly instead, with the same guarantees and the same known gap (a worker
killed between a paid call and the store write loses that one id).

On Airflow older than 3.3 there is no ``task_state_store``: a retry starts the paid calls again (the
v1 verification operator still reads every status first and adds only the unverified ones, and
Snov.io's domain search charges once per unique request), so document-level advice is to keep
``retries`` low for the credit-spending operators there.

**Lost answers.** Before every paid start the slot gets a write-ahead marker (``paying``: how many items
the call may charge), saved before the request; the ``task_hash`` replaces it once the answer is read. A
marker left without a hash means the request may have been charged but its answer was lost (a read
timeout, a dropped connection, a 5xx). Snov.io offers no free read that finds a v2 task by its inputs,
so a later try refuses to start it again (:class:`SnovioAnswerLostError`, naming the items) unless the
operator has ``allow_repay=True`` - except for the starts Snov.io charges once per unique request
(``Endpoint.charged_once``: domain search, a prospect's e-mails), which a later try simply sends again:
the identical request is not charged twice. A start that certainly did not take effect (a refusal, a
429, a refused connection) drops its marker.

**Expired hashes.** Snov.io does not say how long a task's result is kept. A recorded ``task_hash`` that
answers 404 is forgotten and its step started again (paid again) - at most once per item per try: a
second 404 for the same item in the same try fails with :class:`SnovioTaskExpiredError` instead of
paying in a loop. Each restart is logged with what it costs.

**Waiting.** ``wait_for`` checks once on the worker; if not done it defers to a trigger (deferrable) or
polls with the hook until ``timeout`` (synchronous). Both use the same poller, see
:mod:`airflow_provider_snovio.triggers.pollers`. The hourly "too many prospects processing" quota
defers a deferrable task until the time Snov.io suggests (``DateTimeTrigger``), then resumes from the
job. A task with ``deferrable=False`` never defers (it may run where no triggerer is): it waits on the
worker when Snov.io's ``retry_after`` fits in its ``timeout``, else it raises the retryable
:class:`SnovioTooManyProcessingError` carrying ``retry_after`` (set the task's ``retry_delay`` to at
least that), keeping the job for the retry.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from airflow_provider_snovio._compat import DeferralStore, task_state_store
from airflow_provider_snovio.api.catalogue import ENDPOINTS, Endpoint, endpoint
from airflow_provider_snovio.api.errors import (
    SnovioAnswerLostError,
    SnovioError,
    SnovioNotFoundError,
    SnovioPartialError,
    SnovioTaskExpiredError,
    SnovioTaskTimeoutError,
    SnovioTooManyProcessingError,
)
from airflow_provider_snovio.api.methods import check_wait_times
from airflow_provider_snovio.api.retry import may_have_taken_effect
from airflow_provider_snovio.operators.base import SnovioBaseOperator, default_deferrable
from airflow_provider_snovio.triggers.events import success_payload
from airflow_provider_snovio.triggers.pollers import Poller, TaskPoller, poll_sync, read_task_results

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.triggers.base import BaseTrigger

#: Key of the job record in ``task_state_store``. Renaming it breaks resumption of in-flight retries.
JOB_KEY = "snovio_job"
#: Write-ahead marker of a slot: the number of items a paid start about to be sent may charge.
PAYING = "paying"
#: Set next to the marker when the start is charged once per unique request (resending it is free).
CHARGED_ONCE = "charged_once"
DEFAULT_POLL_INTERVAL = 5.0
DEFAULT_TIMEOUT = 600.0


def fingerprint(inputs: Any) -> str:
    """A short stable digest of an operator's inputs (a job is only resumed for the same inputs)."""
    text = json.dumps(inputs, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def slots_where(data: Any, wanted: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]]:
    """Every dict nested anywhere in a job record (its slots: a page, a chunk, an item) that ``wanted`` keeps."""
    found: list[dict[str, Any]] = []
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            if wanted(value):
                found.append(value)
            stack.extend(reversed(list(value.values())))
        elif isinstance(value, list):
            stack.extend(reversed(value))
    return found


class Job:
    """The resumable record of one operator's paid work: ``job.data`` is a JSON dict, ``job.save()``."""

    def __init__(
        self, context: Context | dict[str, Any], inputs_fingerprint: str, carried: dict[str, Any] | None = None
    ) -> None:
        self._store = task_state_store(context)  # 3.1/3.2: a stand-in kept across deferrals only
        data = carried if carried is not None else (self._store.get(JOB_KEY) if self._store is not None else None)
        if not isinstance(data, dict) or data.get("fingerprint") != inputs_fingerprint:
            data = {"fingerprint": inputs_fingerprint}
        self.data: dict[str, Any] = data
        self.resumed = len(data) > 1

    @property
    def durable(self) -> bool:
        """Whether this job survives a task retry (Airflow 3.3+ ``task_state_store``)."""
        return self._store is not None and not isinstance(self._store, DeferralStore)

    def save(self) -> None:
        if self._store is not None:
            self._store.set(JOB_KEY, self.data)

    def lost_slots(self) -> list[dict[str, Any]]:
        """Slots whose paid start was sent (marker) but whose answer was never recorded (no task_hash)."""
        return slots_where(self.data, lambda slot: PAYING in slot and not slot.get("task_hash"))


def repay_refusal(task_id: str, items: int, what: str) -> SnovioAnswerLostError:
    """The clear error of a paid call whose answer an earlier try lost (one wording for every operator)."""
    return SnovioAnswerLostError(
        f"{task_id}: an earlier try sent {what} whose answer was lost, so Snov.io may already have been "
        f"charged for {items} item(s) and no free read can tell; set allow_repay=True to pay again",
        items=items,
    )


class SnovioAsyncOperator(SnovioBaseOperator):
    """Base of the operators that start paid asynchronous work and wait for it.

    Subclasses implement :meth:`check_inputs` (validate, no I/O; return what identifies the job) and
    :meth:`advance` (do the next steps from ``job``, call :meth:`wait_for` / :meth:`await_tasks` to
    wait, return the XCom). ``advance`` runs again from the top after every deferral, so each step
    must be skipped when ``job`` says it was done.

    :param poll_interval: seconds between polls while waiting.
    :param timeout: seconds one wait (a batch of tasks, a page) may last before the task fails
        (the job is kept: a retry waits on the same paid work).
    :param deferrable: wait in the triggerer instead of a worker slot (default: Airflow's
        ``[operators] default_deferrable``). With False the task never defers, not even for the hourly
        quota (it waits within ``timeout`` or raises a retryable error carrying ``retry_after``).
    :param allow_repay: start again a paid call an earlier try sent but whose answer was lost (it may
        be charged twice). Without it such a task fails naming the items that may have been charged.
    """

    def __init__(
        self,
        *,
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        timeout: float = DEFAULT_TIMEOUT,
        deferrable: bool | None = None,
        allow_repay: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.deferrable = default_deferrable() if deferrable is None else bool(deferrable)
        self.allow_repay = allow_repay
        self._bodies: dict[str, Any] = {}  # task_hash -> completed result read in this process
        self._try_key = f"local-{id(self)}"  # which try restarted an expired hash (see forget_expired)

    # --- subclass API ---------------------------------------------------------------------------
    def check_inputs(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def advance(self, context: Context, job: Job) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def absorb_event(self, payload: dict[str, Any]) -> None:
        """Read back the results of the v2 tasks a success event reports completed (one free GET per hash,
        on the worker): the event itself carries only hashes and counts, never result bodies (the metadata
        DB stores it; bodies hold personal data)."""
        method, completed = payload.get("result_method"), payload.get("completed")
        if method and isinstance(completed, list):
            wanted = [str(h) for h in completed if str(h) not in self._bodies]
            self._bodies.update(read_task_results(self.hook.call, str(method), wanted))  # the name -> its row

    # --- entry points ----------------------------------------------------------------------------
    def execute(self, context: Context) -> Any:
        return self._drive(context, self._job(context))

    def execute_complete(
        self, context: Context, event: dict[str, Any] | None = None, job: dict[str, Any] | None = None
    ) -> Any:
        """Resume after a trigger: check the event, then carry on from the job."""
        resumed = self._job(context, job)
        try:
            payload = success_payload(event, f"{self.task_id}: waiting for Snov.io")
        except SnovioNotFoundError as error:
            if not self._some_hash_expired(resumed):
                raise
            self.log.warning("%s: a recorded task_hash expired while the trigger waited", error)
        else:
            self.absorb_event(payload)
        return self._drive(context, resumed)

    def resume_after_quota(self, context: Context, event: Any = None, job: dict[str, Any] | None = None) -> Any:
        """Resume after the hourly quota's wait (a ``DateTimeTrigger`` event carries only the time)."""
        return self._drive(context, self._job(context, job))

    # --- plumbing ----------------------------------------------------------------------------------
    def _job(self, context: Context, carried: dict[str, Any] | None = None) -> Job:
        check_wait_times(self.poll_interval, self.timeout)
        job = Job(context, fingerprint([type(self).__name__, self.check_inputs()]), carried)
        try_number = getattr(context.get("ti") if context else None, "try_number", None)
        if try_number is not None:
            self._try_key = f"try-{try_number}"
        if job.resumed and carried is None:
            self.log.info("Resuming Snov.io work started by an earlier try (nothing paid is started again)")
        elif not job.durable and carried is None:
            self.log.info(
                "No task_state_store (Airflow < 3.3 or outside a task run): a retry would start "
                "paid Snov.io calls again"
            )
        self._check_lost_answers(job)
        return job

    def _check_lost_answers(self, job: Job) -> None:
        """Refuse (or, with ``allow_repay``, clear) the paid starts an earlier try sent without an answer."""
        lost = job.lost_slots()
        for slot in [slot for slot in lost if slot.get(CHARGED_ONCE)]:
            self.log.warning(
                "An earlier try lost the answer of a paid start that Snov.io charges once per unique "
                "request: sending the identical request again, which is not charged again"
            )
            slot.pop(PAYING, None)
            lost.remove(slot)
        if not lost:
            job.save()
            return
        items = sum(int(slot.get(PAYING) or 1) for slot in lost)
        if not self.allow_repay:
            raise repay_refusal(self.task_id, items, f"{len(lost)} paid Snov.io start(s)")
        self.log.warning(
            "allow_repay=True: starting again %d paid Snov.io call(s) whose answer an earlier try "
            "lost; this may charge up to %d item(s) a second time",
            len(lost),
            items,
        )
        for slot in lost:
            slot.pop(PAYING, None)
        job.save()

    def _drive(self, context: Context, job: Job) -> Any:
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                return self.advance(context, job)
            except SnovioTooManyProcessingError as error:
                self._wait_for_quota(job, error.retry_after, deadline, error)
            except SnovioPartialError as error:
                if not isinstance(error.cause, SnovioTooManyProcessingError):
                    raise
                self._wait_for_quota(job, error.cause.retry_after, deadline, error)

    def _wait_for_quota(self, job: Job, retry_after: float | None, deadline: float, error: SnovioError) -> None:
        """Deferrable: defer until the quota frees. Otherwise wait here if that fits in ``timeout``, else raise
        the retryable :class:`SnovioTooManyProcessingError` with ``retry_after`` (never defer)."""
        seconds = max(float(retry_after or 0.0), 1.0)
        if self.deferrable:
            self._defer_for_quota(job, seconds)
        job.save()
        remaining = deadline - time.monotonic()
        if seconds > remaining:
            raise SnovioTooManyProcessingError(
                f"{self.task_id}: Snov.io's hourly quota is spent and frees in {seconds:.0f} s, more than the "
                f"{max(remaining, 0.0):.0f} s left of timeout; not deferrable, so failing this try (the job is "
                f"kept: a retry after retry_after resumes it; give the task retry_delay >= {seconds:.0f} s)",
                retry_after=seconds,
            ) from error
        self.log.warning(
            "Snov.io's hourly quota is spent; waiting %.0f s on the worker (deferrable=False), "
            "then resuming the same job",
            seconds,
        )
        time.sleep(seconds)

    def _defer_for_quota(self, job: Job, retry_after: float | None) -> NoReturn:
        from airflow.providers.common.compat.sdk import timezone
        from airflow.providers.standard.triggers.temporal import DateTimeTrigger

        seconds = max(float(retry_after or 0.0), 1.0)
        job.save()
        self.log.warning("Snov.io's hourly quota is spent; deferring %.0f s, then resuming the same job", seconds)
        self.defer(
            trigger=DateTimeTrigger(moment=timezone.utcnow() + timedelta(seconds=seconds)),
            method_name="resume_after_quota",
            kwargs={"job": job.data},
        )

    def wait_for(self, job: Job, poller: Poller, trigger: Callable[[float], BaseTrigger]) -> dict[str, Any]:
        """Wait until ``poller`` is done; return its payload. Checks once, then defers or polls until timeout."""
        payload = poll_sync(self.hook.call, poller)
        if payload is not None:
            return payload
        deadline = time.time() + self.timeout
        if self.deferrable:
            job.save()
            self.defer(
                trigger=trigger(deadline),
                method_name="execute_complete",
                kwargs={"job": job.data},
                timeout=timedelta(seconds=self.timeout + 2 * self.poll_interval + 60),
            )
        while True:
            remaining = deadline - time.time()
            if remaining <= 0:
                pending = poller.pending_payload()
                hashes = pending.get("pending") or [None]
                raise SnovioTaskTimeoutError(
                    f"{self.task_id}: Snov.io work still pending after {self.timeout:g} s: {pending.get('pending')}",
                    task_hash=hashes[0] if isinstance(hashes[0], str) and pending.get("result_method") else None,
                    result_method=pending.get("result_method"),
                )
            time.sleep(min(poller.wait_hint(self.poll_interval), remaining))
            payload = poll_sync(self.hook.call, poller)
            if payload is not None:
                return payload

    def await_tasks(self, job: Job, result_method: Endpoint, task_hashes: Sequence[str]) -> dict[str, Any]:
        """Completed result bodies of v2 tasks, ``{task_hash: body}``: known ones, else wait for them."""
        missing = [h for h in task_hashes if h not in self._bodies]
        if missing:
            from airflow_provider_snovio.triggers.snovio import SnovioTaskTrigger

            def trigger(deadline: float) -> BaseTrigger:
                return SnovioTaskTrigger(
                    missing,
                    result_method,
                    snovio_conn_id=self.snovio_conn_id,
                    deadline=deadline,
                    poll_interval=self.poll_interval,
                )

            poller = TaskPoller(missing, result_method)
            self.wait_for(job, poller, trigger)  # returns here only when waited on the worker
            self._bodies.update(poller.results)
        return {h: self._bodies[h] for h in task_hashes}

    def start_once(
        self, job: Job, slot: dict[str, Any], start: Callable[[], Any], items: int = 1, charged_once: bool = False
    ) -> str:
        """The ``task_hash`` in ``slot``, or start the task (paid) and record its hash before anything else.

        A write-ahead marker (``items``: what the call may charge) is saved before the request, so a try
        that loses the answer leaves a trace the next try refuses to pay for again (see the module doc).
        """
        from airflow_provider_snovio.api.status import task_hash_of

        if slot.get("task_hash"):
            return str(slot["task_hash"])
        slot[PAYING] = items
        if charged_once:
            slot[CHARGED_ONCE] = True
        job.save()
        try:
            answer = start()
        except SnovioError as error:
            if not may_have_taken_effect(error):  # certainly not charged: no trace to keep
                slot.pop(PAYING, None)
                job.save()
            raise
        slot["task_hash"] = task_hash_of(answer)
        slot.pop(PAYING, None)
        slot.pop(CHARGED_ONCE, None)
        job.save()
        return slot["task_hash"]

    def forget_expired(
        self,
        job: Job,
        slot: dict[str, Any],
        error: SnovioNotFoundError,
        items: int = 1,
        what: str = "task",
        charged_once: bool = False,
    ) -> None:
        """A stored task_hash Snov.io no longer knows (expired): drop it so the step starts again, once per try.

        The restart is paid again (up to ``items`` credits); a second expiry of the same slot in the same
        try raises :class:`SnovioTaskExpiredError` instead of paying in a loop.
        """
        old = slot.get("task_hash")
        if slot.get("restarted_in") == self._try_key:
            raise SnovioTaskExpiredError(
                f"{self.task_id}: Snov.io forgot {what} {old} again after it was started anew in this try; not "
                f"paying for it a third time (a retry starts it once more, up to {items} credit(s)): {error.detail}",
                status=error.status,
                endpoint=error.endpoint,
            ) from error
        cost = (
            "no credit: Snov.io charges the identical request once"
            if charged_once
            else f"up to {items} credit(s) again"
        )
        self.log.warning(
            "Snov.io no longer knows %s %s (expired: %s); starting it again once, which costs %s",
            what,
            old,
            error.detail,
            cost,
        )
        slot.pop("task_hash", None)
        slot["restarted_in"] = self._try_key
        self._bodies.pop(str(old), None)
        job.save()

    def _some_hash_expired(self, job: Job) -> bool:
        """Whether Snov.io answers 404 for a task_hash the job recorded (free reads), e.g. after a 404 event."""
        slots = slots_where(job.data, lambda slot: bool(slot.get("task_hash") and slot.get("result_method")))
        return any(
            self.expired_hashes(
                endpoint(str(slot["result_method"]), "result_method"),  # a stored name
                [str(slot["task_hash"])],
            )
            for slot in slots
        )

    def expired_hashes(self, result_method: Endpoint, task_hashes: Sequence[str]) -> list[str]:
        """Which of ``task_hashes`` Snov.io answers 404 for (free reads, one each)."""
        gone = []
        for task_hash in task_hashes:
            if task_hash in self._bodies:
                continue
            try:
                self.hook.call(result_method, task_hash=task_hash)
            except SnovioNotFoundError:
                gone.append(task_hash)
        return gone

    def run_tasks(
        self,
        job: Job,
        result_method: Endpoint,
        slots: Sequence[dict[str, Any]],
        start: Callable[[dict[str, Any]], Any],
        items: Callable[[dict[str, Any]], int] = lambda slot: 1,
        what: str = "task",
    ) -> list[Any]:
        """Start each slot's task once (paid, marker first), wait for all, and return their result bodies
        in slot order; an expired hash is started again at most once per slot per try."""
        charged_once = any(row.charged_once for row in ENDPOINTS if row.result is result_method)
        while True:
            for slot in slots:
                slot["result_method"] = result_method.name  # lets a 404 event be checked (_some_hash_expired)
                self.start_once(job, slot, functools.partial(start, slot), items(slot), charged_once)
            hashes = [str(slot["task_hash"]) for slot in slots]
            try:
                bodies = self.await_tasks(job, result_method, hashes)
            except SnovioNotFoundError as error:
                gone = set(self.expired_hashes(result_method, hashes))
                if not gone:
                    raise
                for slot in slots:
                    if slot["task_hash"] in gone:
                        self.forget_expired(job, slot, error, items(slot), what, charged_once)
                continue
            return [bodies[h] for h in hashes]

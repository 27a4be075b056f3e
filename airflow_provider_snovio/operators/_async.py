"""What the operators over Snov.io's asynchronous work share: resumable job state, waiting, deferring.

**Never pay twice.** Everything an operator starts that costs credits (a v2 ``task_hash``, an e-mail
queued for verification, a name queued for the finder) is written to a small JSON record, the *job*,
before the operator waits on it. The job (:class:`.state.Job`, a versioned record: see
:mod:`.state` for what happens to a job an older or newer release stored) lives in the task instance's
``task_state_store`` (Airflow 3.3+; the same store ``ResumableJobMixin`` uses, read from the context so
older Airflow still imports) and travels in the ``defer`` kwargs between a deferral and its resumption.
A task retry (or a rerun of the same run) therefore finds the job and resumes waiting on what was already
paid for. A job records a fingerprint of the operator's inputs: if they change between tries, it is
started afresh.

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

**Read, queue, ask again (v1).** The v1 finder (#12/#13) and v1 verification (#17/#18) wait the same way,
in :class:`SnovioQueueThenAskOperator`: read every item for free, queue (paid) only what Snov.io does not
know yet, then wait for the rest, keeping every final answer in the job as it comes. The families differ
only in their poller, their paid call and how many items a request takes.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from airflow_provider_snovio.api.catalogue import ENDPOINTS, Endpoint, endpoint, result_of
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
from airflow_provider_snovio.operators.state import (
    CHARGED_ONCE,
    PAYING,
    Job,
    fingerprint,
    slots_where,
)
from airflow_provider_snovio.triggers.events import success_payload
from airflow_provider_snovio.triggers.pollers import Poller, TaskPoller, poll_sync, read_task_results

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.triggers.base import BaseTrigger

DEFAULT_POLL_INTERVAL = 5.0
DEFAULT_TIMEOUT = 600.0


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
        inputs = fingerprint([type(self).__name__, self.check_inputs()])
        job = Job(context, inputs, carried, log=self.log, allow_restart=self.allow_repay)
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

    def run_chunked_tasks(
        self, job: Job, start_row: Endpoint, items: Sequence[Any], size: int, field: str, what: str
    ) -> list[tuple[list[Any], Any]]:
        """``[(chunk, result body)]``: ``items`` started ``size`` at a time with ``start_row`` (paid, one task a
        chunk, each chunk's items charged), the chunks recorded in the job (``chunks``) before the first start."""
        chunks = job.data.setdefault("chunks", [])
        if not chunks:
            chunks.extend({field: list(items[i : i + size])} for i in range(0, len(items), size))
        bodies = self.run_tasks(
            job,
            result_of(start_row),
            chunks,
            lambda chunk: self.hook.call(start_row, **{field: chunk[field]}),
            lambda chunk: len(chunk[field]),
            what,
        )
        return [(chunk[field], body) for chunk, body in zip(chunks, bodies, strict=True)]

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
        # A free start (#46) is as safe to resend as one charged once per unique request: nothing is paid twice.
        charged_once = any(
            row.charged_once or not row.spends_credits for row in ENDPOINTS if row.result is result_method
        )
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


class SnovioQueueThenAskOperator(SnovioAsyncOperator):
    """Base of the v1 families that read for free, queue (paid) what Snov.io does not know, and ask again.

    The job records, item by item (by a string key), every final answer (``final``), every item Snov.io
    knows (``known``), every item queued by this job (``queued``, paid), every item read as not queued and
    not queued yet (``to_add``) and every item whose queueing lost its answer (``uncertain``). So a
    resumption after the hourly quota (or a retry, a rerun) reads again only what is still pending, and an
    item Snov.io already knows is never queued: a queueing whose answer was lost is read again (free)
    before it is ever sent again. A timeout keeps (and reports, via :meth:`v1_timed_out`) every final answer.

    Subclasses say what differs: :meth:`v1_items`, :meth:`v1_poller`, :meth:`v1_finals`,
    :meth:`v1_states`, :meth:`v1_queue`, :meth:`v1_trigger`, :meth:`v1_timed_out`, and the class
    attributes below. Their own ``advance`` calls :meth:`advance_v1` when ``api_version`` is not ``"v2"``.
    """

    #: The poller state of an item nobody asked Snov.io to work on: it is queued (paid).
    v1_unqueued_state: str = ""
    #: Items per free first read, and per paid queueing request.
    v1_read_chunk: int = 1
    v1_queue_chunk: int = 1
    #: What the items are called in log lines.
    v1_noun: str = "items"
    api_version: str = "v1"
    _v1_event_finals: dict[str, Any] = {}

    # --- what a family says -------------------------------------------------------------------------
    def v1_items(self) -> dict[str, Any]:  # pragma: no cover - abstract
        """``{key: item}`` of this job's items, in input order (after :meth:`check_inputs`)."""
        raise NotImplementedError

    def v1_poller(self, items: list[Any]) -> Poller:  # pragma: no cover - abstract
        raise NotImplementedError

    def v1_finals(self, results: Any) -> dict[str, Any]:  # pragma: no cover - abstract
        """``{key: final answer}`` of this job's items found in a poller's or an event's ``results``."""
        raise NotImplementedError

    def v1_states(self, poller: Any) -> dict[str, str]:  # pragma: no cover - abstract
        """``{key: state}`` of the items ``poller`` read."""
        raise NotImplementedError

    def v1_queue(self, items: list[Any]) -> None:  # pragma: no cover - abstract
        """Queue ``items`` (at most :attr:`v1_queue_chunk`) with Snov.io: the paid call."""
        raise NotImplementedError

    def v1_trigger(self, items: list[Any], deadline: float) -> BaseTrigger:  # pragma: no cover - abstract
        raise NotImplementedError

    def v1_timed_out(self, job: Job, message: str) -> SnovioTaskTimeoutError:  # pragma: no cover - abstract
        """The timeout error, carrying (and writing to ``output_path``) every final answer already obtained."""
        raise NotImplementedError

    # --- the shared loop ------------------------------------------------------------------------------
    def absorb_event(self, payload: dict[str, Any]) -> None:
        super().absorb_event(payload)
        if not payload.get("result_method"):  # a v1 trigger's final answers
            self._v1_event_finals = self.v1_finals(payload.get("results"))

    def advance_v1(self, job: Job) -> dict[str, Any]:
        """Read, queue what Snov.io does not know, wait; ``{key: final answer}`` of every item, in order."""
        data = job.data
        final: dict[str, Any] = data.setdefault("final", {})  # key -> final answer (never read again)
        queued: list[str] = data.setdefault("queued", [])  # paid by this job
        known: list[str] = data.setdefault("known", [])  # Snov.io knows them: await, never queue
        to_add: list[str] = data.setdefault("to_add", [])  # read as not queued, not queued yet
        uncertain: list[str] = data.setdefault("uncertain", [])  # a queueing whose answer was lost
        final.update(self._v1_event_finals)
        job.save()
        items = self.v1_items()
        # 1. items read as not queued by an earlier try (e.g. before the quota stopped it): queue them.
        ready = [k for k in to_add if k not in final and k not in known]
        for i in range(0, len(ready), self.v1_queue_chunk):
            self._v1_queue(job, items, ready[i : i + self.v1_queue_chunk])
        # 2. every other item Snov.io may not know: read it (free), a chunk at a time, and queue at once the
        #    ones not queued yet. A lost queueing is among these: read before it is ever sent again.
        unknown = [k for k in items if k not in final and k not in known and k not in to_add]
        for i in range(0, len(unknown), self.v1_read_chunk):
            chunk = unknown[i : i + self.v1_read_chunk]
            first = self.v1_poller([items[k] for k in chunk])
            try:
                poll_sync(self.hook.call, first)
            finally:
                final.update(self.v1_finals(first.pending_payload().get("results")))
                job.save()
            states = self.v1_states(first)
            for key in chunk:
                state = states.get(key)
                if key in final:
                    pass
                elif state == self.v1_unqueued_state:
                    to_add.append(key)
                elif state is not None:  # in progress (or greylisted): Snov.io has it
                    known.append(key)
                    if key in uncertain:
                        queued.append(key)  # the queueing whose answer was lost did take effect (and was paid)
            job.save()
            fresh = [k for k in chunk if k in to_add]
            for j in range(0, len(fresh), self.v1_queue_chunk):
                self._v1_queue(job, items, fresh[j : j + self.v1_queue_chunk])
        # 3. wait for the rest.
        pending = [k for k in items if k not in final]
        if pending:
            poller = self.v1_poller([items[k] for k in pending])

            def trigger(deadline: float) -> BaseTrigger:  # only what the check on the worker left pending
                done = self.v1_finals(poller.pending_payload().get("results"))
                return self.v1_trigger([items[k] for k in pending if k not in done], deadline)

            try:
                payload = self.wait_for(job, poller, trigger)
            except SnovioTaskTimeoutError as error:
                final.update(self.v1_finals(poller.pending_payload().get("results")))
                job.save()
                raise self.v1_timed_out(job, str(error)) from error
            except BaseException:  # the quota, a deferral, a failure: keep every final answer read so far
                final.update(self.v1_finals(poller.pending_payload().get("results")))
                job.save()
                raise
            final.update(self.v1_finals(payload.get("results")))
            job.save()
        return {k: final[k] for k in items}

    def _v1_queue(self, job: Job, items: Mapping[str, Any], keys: list[str]) -> None:
        """Queue ``keys`` (paid) and record them; a lost answer marks them uncertain (read before resending)."""
        data = job.data
        try:
            self.v1_queue([items[k] for k in keys])
        except SnovioError as error:
            if may_have_taken_effect(error):  # read (free) before anything is queued again
                data["to_add"] = [k for k in data["to_add"] if k not in keys]
                data["uncertain"].extend(k for k in keys if k not in data["uncertain"])
                job.save()
            raise
        data["to_add"] = [k for k in data["to_add"] if k not in keys]
        data["queued"].extend(keys)
        data["known"].extend(keys)
        job.save()
        self.log.info(
            "Queued %d %s with Snov.io (%d credits); %d queued by this job in all",
            len(keys),
            self.v1_noun,
            len(keys),
            len(data["queued"]),
        )

    def execute_complete(
        self, context: Context, event: dict[str, Any] | None = None, job: dict[str, Any] | None = None
    ) -> Any:
        """v1: a trigger that ended without success still brought final answers: keep them first."""
        if (
            isinstance(event, Mapping)
            and event.get("status") in ("timeout", "error")
            and not event.get("result_method")
            and self.api_version != "v2"
        ):
            self.check_inputs()
            carried = self._job(context, job)
            carried.data.setdefault("final", {}).update(self.v1_finals(event.get("results")))
            carried.save()
            job = carried.data
            if event["status"] == "timeout":
                raise self.v1_timed_out(carried, str(event.get("message") or "the wait timed out"))
        return super().execute_complete(context, event=event, job=job)

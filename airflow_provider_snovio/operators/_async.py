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

**Waiting.** ``wait_for`` checks once on the worker; if not done it defers to a trigger (deferrable) or
polls with the hook until ``timeout`` (synchronous). Both use the same poller, see
:mod:`airflow_provider_snovio.triggers.pollers`. The hourly "too many prospects processing" quota
defers the task until the time Snov.io suggests (``DateTimeTrigger``), in either mode, instead of
holding a worker slot; it then resumes from the job.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from airflow_provider_snovio._compat import DeferralStore, task_state_store
from airflow_provider_snovio.api.errors import (
    SnovioNotFoundError,
    SnovioPartialError,
    SnovioTaskTimeoutError,
    SnovioTooManyProcessingError,
)
from airflow_provider_snovio.api.methods import check_wait_times
from airflow_provider_snovio.operators.base import SnovioBaseOperator, default_deferrable
from airflow_provider_snovio.triggers.events import success_payload
from airflow_provider_snovio.triggers.pollers import Poller, TaskPoller, poll_sync

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.triggers.base import BaseTrigger

#: Key of the job record in ``task_state_store``. Renaming it breaks resumption of in-flight retries.
JOB_KEY = "snovio_job"
DEFAULT_POLL_INTERVAL = 5.0
DEFAULT_TIMEOUT = 600.0


def fingerprint(inputs: Any) -> str:
    """A short stable digest of an operator's inputs (a job is only resumed for the same inputs)."""
    text = json.dumps(inputs, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


class Job:
    """The resumable record of one operator's paid work: ``job.data`` is a JSON dict, ``job.save()``."""

    def __init__(self, context: Context | dict[str, Any], inputs_fingerprint: str,
                 carried: dict[str, Any] | None = None) -> None:
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
        ``[operators] default_deferrable``).
    """

    def __init__(self, *, poll_interval: float = DEFAULT_POLL_INTERVAL, timeout: float = DEFAULT_TIMEOUT,
                 deferrable: bool | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.deferrable = default_deferrable() if deferrable is None else bool(deferrable)
        self._bodies: dict[str, Any] = {}  # task_hash -> completed result read in this process

    # --- subclass API ---------------------------------------------------------------------------
    def check_inputs(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def advance(self, context: Context, job: Job) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def absorb_event(self, payload: dict[str, Any]) -> None:
        """Keep what a success event brought (task results), so ``advance`` need not read it again."""
        results = payload.get("results")
        if payload.get("result_method") and isinstance(results, dict):
            self._bodies.update(results)

    # --- entry points ----------------------------------------------------------------------------
    def execute(self, context: Context) -> Any:
        return self._drive(context, self._job(context))

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None,
                         job: dict[str, Any] | None = None) -> Any:
        """Resume after a trigger: check the event, then carry on from the job."""
        payload = success_payload(event, f"{self.task_id}: waiting for Snov.io")
        self.absorb_event(payload)
        return self._drive(context, self._job(context, job))

    def resume_after_quota(self, context: Context, event: Any = None, job: dict[str, Any] | None = None) -> Any:
        """Resume after the hourly quota's wait (a ``DateTimeTrigger`` event carries only the time)."""
        return self._drive(context, self._job(context, job))

    # --- plumbing ----------------------------------------------------------------------------------
    def _job(self, context: Context, carried: dict[str, Any] | None = None) -> Job:
        check_wait_times(self.poll_interval, self.timeout)
        job = Job(context, fingerprint([type(self).__name__, self.check_inputs()]), carried)
        if job.resumed and carried is None:
            self.log.info("Resuming Snov.io work started by an earlier try (nothing paid is started again)")
        elif not job.durable and carried is None:
            self.log.info("No task_state_store (Airflow < 3.3 or outside a task run): a retry would start "
                          "paid Snov.io calls again")
        return job

    def _drive(self, context: Context, job: Job) -> Any:
        try:
            return self.advance(context, job)
        except SnovioTooManyProcessingError as error:
            self._defer_for_quota(job, error.retry_after)
        except SnovioPartialError as error:
            if isinstance(error.cause, SnovioTooManyProcessingError):
                self._defer_for_quota(job, error.cause.retry_after)
            raise

    def _defer_for_quota(self, job: Job, retry_after: float | None) -> NoReturn:
        from airflow.providers.common.compat.sdk import timezone
        from airflow.providers.standard.triggers.temporal import DateTimeTrigger

        seconds = max(float(retry_after or 0.0), 1.0)
        job.save()
        self.log.warning("Snov.io's hourly quota is spent; deferring %.0f s, then resuming the same job", seconds)
        self.defer(trigger=DateTimeTrigger(moment=timezone.utcnow() + timedelta(seconds=seconds)),
                   method_name="resume_after_quota", kwargs={"job": job.data})

    def wait_for(self, job: Job, poller: Poller, trigger: Callable[[float], BaseTrigger]) -> dict[str, Any]:
        """Wait until ``poller`` is done; return its payload. Checks once, then defers or polls until timeout."""
        payload = poll_sync(self.hook.call, poller)
        if payload is not None:
            return payload
        deadline = time.time() + self.timeout
        if self.deferrable:
            job.save()
            self.defer(trigger=trigger(deadline), method_name="execute_complete", kwargs={"job": job.data},
                       timeout=timedelta(seconds=self.timeout + 2 * self.poll_interval + 60))
        while True:
            remaining = deadline - time.time()
            if remaining <= 0:
                pending = poller.pending_payload()
                hashes = pending.get("pending") or [None]
                raise SnovioTaskTimeoutError(
                    f"{self.task_id}: Snov.io work still pending after {self.timeout:g} s: {pending.get('pending')}",
                    task_hash=hashes[0] if isinstance(hashes[0], str) and pending.get("result_method") else None,
                    result_method=pending.get("result_method"))
            time.sleep(min(poller.wait_hint(self.poll_interval), remaining))
            payload = poll_sync(self.hook.call, poller)
            if payload is not None:
                return payload

    def await_tasks(self, job: Job, result_method: str, task_hashes: Sequence[str]) -> dict[str, Any]:
        """Completed result bodies of v2 tasks, ``{task_hash: body}``: known ones, else wait for them."""
        missing = [h for h in task_hashes if h not in self._bodies]
        if missing:
            from airflow_provider_snovio.triggers.snovio import SnovioTaskTrigger

            def trigger(deadline: float) -> BaseTrigger:
                return SnovioTaskTrigger(missing, result_method, snovio_conn_id=self.snovio_conn_id,
                                         deadline=deadline, poll_interval=self.poll_interval)

            payload = self.wait_for(job, TaskPoller(missing, result_method), trigger)
            self._bodies.update(payload["results"])
        return {h: self._bodies[h] for h in task_hashes}

    def start_once(self, job: Job, slot: dict[str, Any], start: Callable[[], Any]) -> str:
        """The ``task_hash`` in ``slot``, or start the task (paid) and record its hash before anything else."""
        from airflow_provider_snovio.api.status import task_hash_of

        if slot.get("task_hash"):
            return str(slot["task_hash"])
        slot["task_hash"] = task_hash_of(start())
        job.save()
        return slot["task_hash"]

    def forget_expired(self, job: Job, slot: dict[str, Any], error: SnovioNotFoundError) -> None:
        """A stored task_hash Snov.io no longer knows (expired): drop it so the step starts again."""
        self.log.warning("Snov.io no longer knows task %s (%s); starting that step again", slot.get("task_hash"),
                         error)
        slot.pop("task_hash", None)
        job.save()

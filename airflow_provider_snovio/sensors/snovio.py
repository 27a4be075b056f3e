"""Sensors for Snov.io's asynchronous work: v2 tasks, e-mail verification, campaign progress.

All three modes: ``poke`` and ``reschedule`` (Airflow's ``mode``), and ``deferrable=True``, which checks
once on the worker and then waits in the triggerer. Each sensor is a poller (see
:mod:`airflow_provider_snovio.triggers.pollers`) bound to a trigger: ``poke`` runs one poller round with
the hook, the trigger runs the same poller with the async client, so they can never disagree.

The hourly "too many prospects processing" quota (verification status reads count against it): in
``reschedule`` mode the sensor reschedules itself for when Snov.io suggests, in ``poke`` mode it pokes
again later, in deferrable mode the trigger waits for it (also when the first check, on the worker, meets
it). That first check honours ``silent_fail`` and ``never_fail`` like a poke.

The verification sensor never reads a finished address again: its poller lives across pokes, its final
verdicts are kept in ``task_state_store`` (Airflow 3.3+) across reschedules, and only the pending
addresses go to the trigger.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator

from airflow_provider_snovio import DEFAULT_CONN_ID
from airflow_provider_snovio.api.catalogue import Endpoint
from airflow_provider_snovio.api.errors import SnovioTaskTimeoutError, SnovioTooManyProcessingError
from airflow_provider_snovio.operators.base import default_deferrable
from airflow_provider_snovio.triggers.events import success_payload
from airflow_provider_snovio.triggers.pollers import (
    GREYLISTED_POLL_INTERVAL,
    VERIFICATION_REQUESTS_PER_ROUND,
    CampaignProgressPoller,
    Poller,
    TaskPoller,
    VerificationPoller,
    check_emails,
    poll_sync,
)

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.triggers.base import BaseTrigger

    from airflow_provider_snovio.hooks.snovio import SnovioHook


class SnovioBaseSensor(BaseSensorOperator):
    """Base of the Snov.io sensors: subclasses build their poller and trigger from their (rendered) fields.

    :param snovio_conn_id: the ``snovio`` connection (templated).
    :param deferrable: wait in the triggerer (default: ``[operators] default_deferrable``).
    ``poke_interval``, ``timeout``, ``mode``, ``soft_fail`` are the usual sensor parameters.
    """

    template_fields: Sequence[str] = ("snovio_conn_id",)
    ui_color = "#e8f1ff"

    def __init__(self, *, snovio_conn_id: str = DEFAULT_CONN_ID, deferrable: bool | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.snovio_conn_id = snovio_conn_id
        self.deferrable = default_deferrable() if deferrable is None else bool(deferrable)
        self.last_payload: dict[str, Any] | None = None

    @cached_property
    def hook(self) -> SnovioHook:
        from airflow_provider_snovio.hooks.snovio import SnovioHook

        return SnovioHook(self.snovio_conn_id)

    def make_poller(self) -> Poller:  # pragma: no cover - abstract
        raise NotImplementedError

    def make_trigger(self, deadline: float) -> BaseTrigger:  # pragma: no cover - abstract
        raise NotImplementedError

    def xcom_of(self, payload: dict[str, Any]) -> Any:
        """What the sensor returns when done (small); None by default."""
        return None

    def carried(self) -> dict[str, Any]:
        """Keyword arguments ``execute_complete`` gets back after a deferral (small JSON); none by default."""
        return {}

    def execute(self, context: Context) -> Any:
        self.make_poller()  # validate the rendered inputs before any request
        if not self.deferrable:
            super().execute(context)
            return self.xcom_of(self.last_payload or {})
        if self._first_check(context):
            return self.xcom_of(self.last_payload or {})
        deadline = time.time() + float(self.timeout)
        self.defer(
            trigger=self.make_trigger(deadline),
            method_name="execute_complete",
            kwargs=self.carried(),
            timeout=timedelta(seconds=float(self.timeout) + 2 * float(self.poke_interval) + 60),
        )

    def _first_check(self, context: Context) -> bool:
        """The deferrable mode's check on the worker: a spent quota defers (the trigger waits for it);
        other failures follow ``silent_fail`` / ``never_fail`` as a poke's would."""
        from airflow_provider_snovio._compat import AirflowSkipException

        try:
            return self._check(context)
        except SnovioTooManyProcessingError:
            self.log.warning("Snov.io hourly quota reached; the trigger waits for it")
            return False
        except AirflowSkipException:
            raise
        except Exception as error:
            if getattr(self, "silent_fail", False):
                self.log.error("Sensor check failed (silent_fail): %s", error)
                return False
            if getattr(self, "never_fail", False):
                raise AirflowSkipException("Skipping due to never_fail is set to True.") from error
            raise

    _failures = 0

    def poke(self, context: Context) -> bool:
        """One check. The hourly quota waits (reschedule or poke later); a transient failure (5xx, timeout,
        429 after the client's retries) pokes again, up to ``max_consecutive_failures`` in a row; answers
        read before a failure are kept by the poller either way."""
        from airflow_provider_snovio.api.errors import SnovioPartialError
        from airflow_provider_snovio.triggers.base import DEFAULT_MAX_CONSECUTIVE_FAILURES, TRANSIENT_ERRORS

        try:
            try:
                done = self._check(context)
            except SnovioPartialError as partial:
                raise partial.cause from partial
            self._failures = 0
            return done
        except TRANSIENT_ERRORS as error:
            self._failures += 1
            if self._failures >= DEFAULT_MAX_CONSECUTIVE_FAILURES:
                raise
            self.log.warning(
                "Snov.io check failed (%s); %d of %d in a row", error, self._failures, DEFAULT_MAX_CONSECUTIVE_FAILURES
            )
            return False
        except SnovioTooManyProcessingError as error:
            wait = float(error.retry_after or self.poke_interval)
            if self.reschedule:
                from airflow.sdk.timezone import utcnow

                from airflow_provider_snovio._compat import AirflowRescheduleException

                self.log.warning("Snov.io hourly quota reached; rescheduling in %.0f s", wait)
                raise AirflowRescheduleException(utcnow() + timedelta(seconds=wait)) from error
            self.log.warning("Snov.io hourly quota reached; poking again later")
            return False

    def _check(self, context: Context) -> bool:
        payload = poll_sync(self.hook.call, self.make_poller())
        self.last_payload = payload
        return payload is not None

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None, **carried: Any) -> Any:
        """Check the trigger's event: success returns; timeout raises ``AirflowSensorTimeout``; else raises."""
        try:
            payload = success_payload(event, f"{self.task_id}")
        except SnovioTaskTimeoutError as error:
            from airflow_provider_snovio._compat import AirflowSensorTimeout

            raise AirflowSensorTimeout(str(error)) from error
        return self.xcom_of(self.merge_carried(payload, carried))

    def merge_carried(self, payload: dict[str, Any], carried: dict[str, Any]) -> dict[str, Any]:
        """The event's payload completed with what :meth:`carried` kept before the deferral."""
        return payload


class SnovioTaskSensor(SnovioBaseSensor):
    """Wait for a v2 task (any start/result family) to complete; ``not_enough_credits`` fails it.

    :param task_hash: the task's hash (templated).
    :param result_method: the catalogue row reading its result, e.g. ``ENDPOINTS.get_domain_search_result``,
        or its name (templated); kept as the name, so the DAG serialises it as a string.
    """

    template_fields: Sequence[str] = (*SnovioBaseSensor.template_fields, "task_hash", "result_method")

    def __init__(self, *, task_hash: str, result_method: Endpoint | str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.task_hash = task_hash
        self.result_method = result_method.name if isinstance(result_method, Endpoint) else result_method

    def make_poller(self) -> Poller:
        return TaskPoller([self.task_hash], self.result_method)

    def make_trigger(self, deadline: float) -> BaseTrigger:
        from airflow_provider_snovio.triggers.snovio import SnovioTaskTrigger

        return SnovioTaskTrigger(
            [self.task_hash],
            self.result_method,
            snovio_conn_id=self.snovio_conn_id,
            deadline=deadline,
            poll_interval=float(self.poke_interval),
        )

    def xcom_of(self, payload: dict[str, Any]) -> Any:
        return {"task_hash": self.task_hash, "status": "completed"} if payload else None


class SnovioEmailVerificationSensor(SnovioBaseSensor):
    """Wait until every address has a final v1 verification status (it never queues or pays for any).

    Returns ``{email: smtp_status}``. A finished address is never read again (see the module docstring);
    each check reads at most ``max_requests_per_round`` requests of 10 pending addresses, round-robin.

    :param emails: the addresses (templated).
    :param greylisted_poll_interval: seconds before asking again about a greylisted address.
    :param wait_for_greylisted: wait until Snov.io's retries of a greylisted address end (default); False:
        greylisted is final.
    """

    template_fields: Sequence[str] = (*SnovioBaseSensor.template_fields, "emails")
    #: Key of the final verdicts in ``task_state_store`` (kept across reschedules).
    STATE_KEY = "snovio_verification_sensor"

    def __init__(
        self,
        *,
        emails: Sequence[str],
        greylisted_poll_interval: float = GREYLISTED_POLL_INTERVAL,
        wait_for_greylisted: bool = True,
        max_requests_per_round: int = VERIFICATION_REQUESTS_PER_ROUND,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.emails = emails
        self.greylisted_poll_interval = greylisted_poll_interval
        self.wait_for_greylisted = bool(wait_for_greylisted)
        self.max_requests_per_round = max_requests_per_round
        self._poller: VerificationPoller | None = None
        self._final: dict[str, Any] = {}

    def make_poller(self) -> VerificationPoller:
        return VerificationPoller(
            self.emails,
            greylisted_poll_interval=self.greylisted_poll_interval,
            wait_for_greylisted=self.wait_for_greylisted,
            max_requests_per_round=self.max_requests_per_round,
        )

    def _check(self, context: Context) -> bool:
        store = context.get("task_state_store") if context else None
        poller = self._poller
        if poller is None:
            poller = self._poller = self.make_poller()
            kept = store.get(self.STATE_KEY) if store is not None else None
            if isinstance(kept, dict):
                poller.results.update({e: r for e, r in kept.items() if e in poller.emails and isinstance(r, dict)})
        try:
            payload = poll_sync(self.hook.call, poller)
        finally:
            self._final = dict(poller.results)
            if store is not None and self._final:
                store.set(self.STATE_KEY, self._final)
        self.last_payload = payload
        return payload is not None

    def _pending(self) -> list[str]:
        emails = self._poller.emails if self._poller is not None else list(self.emails)
        return [e for e in emails if e not in self._final]

    def make_trigger(self, deadline: float) -> BaseTrigger:
        from airflow_provider_snovio.triggers.snovio import SnovioEmailVerificationTrigger

        return SnovioEmailVerificationTrigger(
            self._pending() or list(self.emails),
            greylisted_poll_interval=self.greylisted_poll_interval,
            wait_for_greylisted=self.wait_for_greylisted,
            snovio_conn_id=self.snovio_conn_id,
            deadline=deadline,
            poll_interval=float(self.poke_interval),
            max_requests_per_round=self.max_requests_per_round,
        )

    def carried(self) -> dict[str, Any]:
        return {"final": {e: {"smtp_status": r.get("smtp_status")} for e, r in self._final.items()}}

    def merge_carried(self, payload: dict[str, Any], carried: dict[str, Any]) -> dict[str, Any]:
        results = dict(carried.get("final") or {})
        results.update(payload.get("results") or {})
        return {**payload, "results": results}

    def xcom_of(self, payload: dict[str, Any]) -> Any:
        results = payload.get("results") if payload else None
        if not isinstance(results, Mapping):
            return None
        emails = self._poller.emails if self._poller is not None else check_emails("emails", self.emails)
        return {
            email: results[email].get("smtp_status") if isinstance(results.get(email), Mapping) else None
            for email in emails
            if email in results
        }


class SnovioCampaignProgressSensor(SnovioBaseSensor):
    """Wait until a campaign's progress reaches ``min_progress`` %, its status is a finished one
    (``Completed``), or its status is ``target_status`` when given. Returns the last progress answer.

    :param campaign_id: the campaign (templated).
    :param target_status: a status to wait for, e.g. ``"Paused"`` (templated).
    :param min_progress: progress percentage that ends the wait (default 100).
    """

    template_fields: Sequence[str] = (*SnovioBaseSensor.template_fields, "campaign_id", "target_status")

    def __init__(
        self, *, campaign_id: int | str, target_status: str | None = None, min_progress: float = 100, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.campaign_id = campaign_id
        self.target_status = target_status
        self.min_progress = min_progress

    def make_poller(self) -> Poller:
        return CampaignProgressPoller(self.campaign_id, self.min_progress, self.target_status)

    def make_trigger(self, deadline: float) -> BaseTrigger:
        from airflow_provider_snovio.triggers.snovio import SnovioCampaignProgressTrigger

        return SnovioCampaignProgressTrigger(
            self.campaign_id,
            min_progress=self.min_progress,
            target_status=self.target_status,
            snovio_conn_id=self.snovio_conn_id,
            deadline=deadline,
            poll_interval=float(self.poke_interval),
        )

    def xcom_of(self, payload: dict[str, Any]) -> Any:
        return payload.get("progress") if payload else None

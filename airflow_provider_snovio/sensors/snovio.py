"""Sensors for Snov.io's asynchronous work: v2 tasks, e-mail verification, campaign progress.

All three modes: ``poke`` and ``reschedule`` (Airflow's ``mode``), and ``deferrable=True``, which checks
once on the worker and then waits in the triggerer. Each sensor is a poller (see
:mod:`airflow_provider_snovio.triggers.pollers`) bound to a trigger: ``poke`` runs one poller round with
the hook, the trigger runs the same poller with the async client, so they can never disagree.

The hourly "too many prospects processing" quota (verification status reads count against it): in
``reschedule`` mode the sensor reschedules itself for when Snov.io suggests, in ``poke`` mode it pokes
again later, in deferrable mode the trigger waits for it.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator

from airflow_provider_snovio import DEFAULT_CONN_ID
from airflow_provider_snovio.api.errors import SnovioTaskTimeoutError, SnovioTooManyProcessingError
from airflow_provider_snovio.operators.base import default_deferrable
from airflow_provider_snovio.triggers.events import success_payload
from airflow_provider_snovio.triggers.pollers import (
    GREYLISTED_POLL_INTERVAL,
    CampaignProgressPoller,
    Poller,
    TaskPoller,
    VerificationPoller,
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

    def __init__(self, *, snovio_conn_id: str = DEFAULT_CONN_ID, deferrable: bool | None = None,
                 **kwargs: Any) -> None:
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

    def execute(self, context: Context) -> Any:
        self.make_poller()  # validate the rendered inputs before any request
        if not self.deferrable:
            super().execute(context)
            return self.xcom_of(self.last_payload or {})
        if self._check(context):
            return self.xcom_of(self.last_payload or {})
        deadline = time.time() + float(self.timeout)
        self.defer(trigger=self.make_trigger(deadline), method_name="execute_complete",
                   timeout=timedelta(seconds=float(self.timeout) + 2 * float(self.poke_interval) + 60))

    def poke(self, context: Context) -> bool:
        try:
            return self._check(context)
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

    def execute_complete(self, context: Context, event: dict[str, Any] | None = None) -> Any:
        """Check the trigger's event: success returns; timeout raises ``AirflowSensorTimeout``; else raises."""
        try:
            payload = success_payload(event, f"{self.task_id}")
        except SnovioTaskTimeoutError as error:
            from airflow_provider_snovio._compat import AirflowSensorTimeout

            raise AirflowSensorTimeout(str(error)) from error
        return self.xcom_of(payload)


class SnovioTaskSensor(SnovioBaseSensor):
    """Wait for a v2 task (any start/result family) to complete; ``not_enough_credits`` fails it.

    :param task_hash: the task's hash (templated).
    :param result_method: the hook method reading its result, e.g. ``"get_domain_search_result"`` (templated).
    """

    template_fields: Sequence[str] = (*SnovioBaseSensor.template_fields, "task_hash", "result_method")

    def __init__(self, *, task_hash: str, result_method: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.task_hash = task_hash
        self.result_method = result_method

    def make_poller(self) -> Poller:
        return TaskPoller([self.task_hash], self.result_method)

    def make_trigger(self, deadline: float) -> BaseTrigger:
        from airflow_provider_snovio.triggers.snovio import SnovioTaskTrigger

        return SnovioTaskTrigger([self.task_hash], self.result_method, snovio_conn_id=self.snovio_conn_id,
                                 deadline=deadline, poll_interval=float(self.poke_interval))

    def xcom_of(self, payload: dict[str, Any]) -> Any:
        return {"task_hash": self.task_hash, "status": "completed"} if payload else None


class SnovioEmailVerificationSensor(SnovioBaseSensor):
    """Wait until every address has a final v1 verification status (it never queues or pays for any).

    Returns ``{email: smtp_status}``.

    :param emails: the addresses (templated).
    :param greylisted_poll_interval: deferrable mode: seconds before asking again about greylisted ones.
    """

    template_fields: Sequence[str] = (*SnovioBaseSensor.template_fields, "emails")

    def __init__(self, *, emails: Sequence[str], greylisted_poll_interval: float = GREYLISTED_POLL_INTERVAL,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.emails = emails
        self.greylisted_poll_interval = greylisted_poll_interval

    def make_poller(self) -> Poller:
        return VerificationPoller(self.emails, greylisted_poll_interval=self.greylisted_poll_interval)

    def make_trigger(self, deadline: float) -> BaseTrigger:
        from airflow_provider_snovio.triggers.snovio import SnovioEmailVerificationTrigger

        return SnovioEmailVerificationTrigger(self.emails, greylisted_poll_interval=self.greylisted_poll_interval,
                                              snovio_conn_id=self.snovio_conn_id, deadline=deadline,
                                              poll_interval=float(self.poke_interval))

    def xcom_of(self, payload: dict[str, Any]) -> Any:
        results = payload.get("results") if payload else None
        if not isinstance(results, Mapping):
            return None
        return {email: (entry.get("data") or {}).get("smtpStatus") if isinstance(entry, Mapping) else None
                for email, entry in results.items()}


class SnovioCampaignProgressSensor(SnovioBaseSensor):
    """Wait until a campaign's progress reaches ``min_progress`` %, its status is a finished one
    (``Completed``), or its status is ``target_status`` when given. Returns the last progress answer.

    :param campaign_id: the campaign (templated).
    :param target_status: a status to wait for, e.g. ``"Paused"`` (templated).
    :param min_progress: progress percentage that ends the wait (default 100).
    """

    template_fields: Sequence[str] = (*SnovioBaseSensor.template_fields, "campaign_id", "target_status")

    def __init__(self, *, campaign_id: int | str, target_status: str | None = None, min_progress: float = 100,
                 **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.campaign_id = campaign_id
        self.target_status = target_status
        self.min_progress = min_progress

    def make_poller(self) -> Poller:
        return CampaignProgressPoller(self.campaign_id, self.min_progress, self.target_status)

    def make_trigger(self, deadline: float) -> BaseTrigger:
        from airflow_provider_snovio.triggers.snovio import SnovioCampaignProgressTrigger

        return SnovioCampaignProgressTrigger(self.campaign_id, min_progress=self.min_progress,
                                             target_status=self.target_status, snovio_conn_id=self.snovio_conn_id,
                                             deadline=deadline, poll_interval=float(self.poke_interval))

    def xcom_of(self, payload: dict[str, Any]) -> Any:
        return payload.get("progress") if payload else None

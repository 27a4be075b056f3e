"""A sensor for campaign recipients (Snov.io 2026, #74): wait until given e-mails reach a status.

Poke, reschedule and deferrable modes, as the sensors of :mod:`.snovio`: ``poke`` runs one round of
:class:`~airflow_provider_snovio.triggers.recipients.RecipientStatusPoller` with the hook, the trigger runs the
same poller with the async client. Only the free recipient check (#74) is ever called.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.sensors.snovio import SnovioBaseSensor
from airflow_provider_snovio.triggers.recipients import RECIPIENT_POLL_INTERVAL, RecipientStatusPoller

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.triggers.base import BaseTrigger


class SnovioRecipientStatusSensor(SnovioBaseSensor):
    """Wait until every e-mail's status in a campaign is one of ``target_status`` (case-insensitive).

    Returns ``{email: status}`` (Snov.io's word, e.g. ``finished``). An e-mail that is not a recipient keeps
    the sensor waiting (it may be added later) unless ``fail_on_missing=True``, which fails at once naming
    it. An e-mail that reached its status is not read again within one poke loop or trigger; after a
    reschedule every e-mail is read again (one free request per 100 e-mails).

    :param campaign_id: the campaign (templated).
    :param emails: one e-mail or a list (templated).
    :param target_status: a status, e.g. ``"finished"``, or a list of them (templated).
    :param fail_on_missing: fail if an e-mail is not a recipient of the campaign.
    ``poke_interval`` defaults to 60 s: recipients move on the campaign's sending schedule.
    """

    template_fields: Sequence[str] = (*SnovioBaseSensor.template_fields, "campaign_id", "emails", "target_status")

    def __init__(
        self,
        *,
        campaign_id: int | str,
        emails: str | Sequence[str],
        target_status: str | Sequence[str],
        fail_on_missing: bool = False,
        poke_interval: float = RECIPIENT_POLL_INTERVAL,
        **kwargs: Any,
    ) -> None:
        super().__init__(poke_interval=poke_interval, **kwargs)
        self.campaign_id = campaign_id
        self.emails = emails
        self.target_status = target_status
        self.fail_on_missing = bool(fail_on_missing)
        self._poller: RecipientStatusPoller | None = None

    def make_poller(self) -> RecipientStatusPoller:
        return RecipientStatusPoller(self.campaign_id, self.emails, self.target_status, self.fail_on_missing)

    def _check(self, context: Context) -> bool:
        from airflow_provider_snovio.triggers.pollers import poll_sync

        if self._poller is None:  # one poller across the pokes of one try: reached e-mails are not read again
            self._poller = self.make_poller()
        payload = poll_sync(self.hook.call, self._poller)
        self.last_payload = payload
        return payload is not None

    def make_trigger(self, deadline: float) -> BaseTrigger:
        from airflow_provider_snovio.triggers.recipients import SnovioRecipientStatusTrigger

        poller = self._poller or self.make_poller()
        pending = [e for e in poller.emails if e not in poller.reached]
        return SnovioRecipientStatusTrigger(
            poller.campaign_id,
            pending or poller.emails,
            poller.target_status,
            fail_on_missing=self.fail_on_missing,
            snovio_conn_id=self.snovio_conn_id,
            deadline=deadline,
            poll_interval=float(self.poke_interval),
        )

    def carried(self) -> dict[str, Any]:
        return {"reached": dict(self._poller.reached) if self._poller is not None else {}}

    def merge_carried(self, payload: dict[str, Any], carried: dict[str, Any]) -> dict[str, Any]:
        statuses = dict(carried.get("reached") or {})
        statuses.update(payload.get("statuses") or {})
        return {**payload, "statuses": statuses}

    def xcom_of(self, payload: dict[str, Any]) -> Any:
        statuses = payload.get("statuses") if payload else None
        if not isinstance(statuses, Mapping):
            return None
        emails = self._poller.emails if self._poller is not None else self.make_poller().emails
        return {email: statuses[email] for email in emails if email in statuses}

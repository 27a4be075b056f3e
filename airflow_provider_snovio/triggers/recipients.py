"""Waiting for campaign recipients (#74, Snov.io 2026) to reach a status: the poller and its trigger.

Kept beside, not inside, :mod:`.pollers` and :mod:`.snovio`: the same poller drives
:class:`~airflow_provider_snovio.sensors.recipients.SnovioRecipientStatusSensor`'s ``poke`` (hook) and this
trigger (async client), so both decide alike (see :mod:`.pollers` for why).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from airflow_provider_snovio import DEFAULT_CONN_ID
from airflow_provider_snovio.api.catalogue import ENDPOINTS, Endpoint
from airflow_provider_snovio.api.errors import SnovioApiError, SnovioValidationError
from airflow_provider_snovio.api.status import recipient_statuses
from airflow_provider_snovio.triggers.base import DEFAULT_MAX_CONSECUTIVE_FAILURES, SnovioPollingTrigger
from airflow_provider_snovio.triggers.pollers import Poller

#: Seconds between recipient checks of the sensor and trigger: recipients move on the campaign's sending
#: schedule (minutes to days), and every check counts against the account's 60 requests a minute.
RECIPIENT_POLL_INTERVAL = 60.0


def check_recipient_emails(field: str, emails: Any) -> list[str]:
    """Any number of e-mails for #74, each checked by its catalogue rule (lower-cased, at most 100 characters)
    and de-duplicated; the client splits them into requests of 100."""
    check = ENDPOINTS.get_recipients_status.params_by_name["emails"].check
    return list(check.uncapped(field, emails))  # type: ignore[attr-defined]


def check_target_statuses(field: str, value: Any) -> list[str]:
    """One status word or a list of them, lower-cased (Snov.io's spellings vary in case; the list of #74
    statuses is not exhaustive, so any word is accepted)."""
    words = [value] if isinstance(value, str) else value
    if not isinstance(words, list | tuple) or not words:
        raise SnovioValidationError(field, "expected a status such as 'finished', or a non-empty list of them")
    checked = []
    for i, word in enumerate(words):
        if not isinstance(word, str) or not word.strip():
            raise SnovioValidationError(f"{field}[{i}]", f"expected a status word, got {word!r}")
        checked.append(word.strip().lower())
    return list(dict.fromkeys(checked))


class RecipientStatusPoller(Poller):
    """#74 for the pending e-mails until each one's status (case-insensitive) is one of ``target_status``.

    An e-mail that is not a recipient (``exist`` false) keeps waiting (it may be added to the campaign
    later), unless ``fail_on_missing``: then the wait ends with an error naming it. An e-mail that reached
    a target status is never read again. One round is one call; the client splits it into requests of 100.
    """

    def __init__(
        self,
        campaign_id: int | str,
        emails: Sequence[str],
        target_status: str | Sequence[str],
        fail_on_missing: bool = False,
    ) -> None:
        row = ENDPOINTS.get_recipients_status
        self.campaign_id = row.params_by_name["campaign_id"].check("campaign_id", campaign_id)
        self.emails = check_recipient_emails("emails", emails)
        self.target_status = check_target_statuses("target_status", target_status)
        self.fail_on_missing = bool(fail_on_missing)
        self.statuses: dict[str, str | None] = {}
        self.reached: dict[str, str] = {}
        self._issued: list[str] = []

    def kwargs(self) -> dict[str, Any]:
        return {
            "campaign_id": self.campaign_id,
            "emails": list(self.emails),
            "target_status": list(self.target_status),
            "fail_on_missing": self.fail_on_missing,
        }

    def _pending(self) -> list[str]:
        return [e for e in self.emails if e not in self.reached]

    def calls(self) -> list[tuple[Endpoint, dict[str, Any]]]:
        self._issued = self._pending()
        if not self._issued:
            return []
        return [(ENDPOINTS.get_recipients_status, {"campaign_id": self.campaign_id, "emails": self._issued})]

    def absorb(self, answers: Sequence[Any]) -> None:
        for body in answers:
            if body is None:
                continue
            for email, status in recipient_statuses(body).items():
                if email not in self._issued:
                    continue
                self.statuses[email] = status
                if status is not None and status.lower() in self.target_status:
                    self.reached[email] = status

    def done_payload(self) -> dict[str, Any] | None:
        missing = [e for e in self._pending() if e in self.statuses and self.statuses[e] is None]
        if missing and self.fail_on_missing:
            raise SnovioApiError(
                f"{len(missing)} e-mails are not recipients of campaign {self.campaign_id}: {missing[:10]}"
            )
        if self._pending():
            return None
        return {
            "campaign_id": self.campaign_id,
            "statuses": {e: self.reached[e] for e in self.emails},
            "counts": {"reached": len(self.emails)},
        }

    def pending_payload(self) -> dict[str, Any]:
        pending = self._pending()
        return {
            "campaign_id": self.campaign_id,
            "pending": pending,
            "last": {e: self.statuses.get(e) for e in pending},
            "statuses": dict(self.reached),
            "counts": {"reached": len(self.reached), "pending": len(pending)},
        }


class SnovioRecipientStatusTrigger(SnovioPollingTrigger):
    """Wait until every e-mail's status in a campaign (#74, a free read) is one of ``target_status``.

    Events carry e-mails and status words only: success ``{"status": "success", "campaign_id", "statuses":
    {email: status}, "counts"}``; timeout and error events carry the ``pending`` e-mails, their ``last`` status
    (``{email: status or None}``) and the ``statuses`` already reached.
    """

    poller_class = RecipientStatusPoller

    def __init__(
        self,
        campaign_id: int | str,
        emails: Sequence[str],
        target_status: str | Sequence[str],
        *,
        fail_on_missing: bool = False,
        snovio_conn_id: str = DEFAULT_CONN_ID,
        deadline: float,
        poll_interval: float = RECIPIENT_POLL_INTERVAL,
        max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
    ) -> None:
        super().__init__(
            snovio_conn_id=snovio_conn_id,
            deadline=deadline,
            poll_interval=poll_interval,
            max_consecutive_failures=max_consecutive_failures,
            campaign_id=campaign_id,
            emails=emails,
            target_status=target_status,
            fail_on_missing=fail_on_missing,
        )


__all__ = ["RecipientStatusPoller", "SnovioRecipientStatusTrigger"]

"""Campaign analytics for a run's data interval, and recipient status changes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api import validation as v
from airflow_provider_snovio.api.catalogue import ENDPOINTS
from airflow_provider_snovio.api.encoding import prepare
from airflow_provider_snovio.api.errors import SnovioApiError, SnovioValidationError
from airflow_provider_snovio.operators.base import SnovioBaseOperator, run_days

if TYPE_CHECKING:
    from airflow.sdk import Context

_FILTERS = ("campaign_ids", "sender_emails", "sender_linkedin", "campaign_owners")


def run_date_range(context: Mapping[str, Any], default_days: int = 1) -> tuple[str, str]:
    """The days (UTC, both inclusive) a run reports on, as ``(date_from, date_to)`` yyyy-mm-dd strings.

    * A run with a data interval: Airflow's interval is end-exclusive, Snov.io's dates are inclusive
      days, so a daily run [2024-05-01, 2024-05-02) reports 2024-05-01 only; an hourly run reports the
      day its hour falls in; a weekly run its seven days.
    * A run without one (manual or asset-triggered runs, or a zero-length interval): the
      ``default_days`` full UTC days before the run's day (``logical_date``, else ``run_after``, else
      now). Never an empty range. The same rule as the warehouse transfers (:func:`run_days`).
    """
    first, last = run_days(context, default_days)
    return first.isoformat(), last.isoformat()


class SnovioCampaignAnalyticsOperator(SnovioBaseOperator):
    """Campaign statistics (sent, opens, replies, rates...) for the run's data interval.

    Dates: an explicit ``date_from`` / ``date_to`` wins; a missing one comes from the run's data
    interval (see :func:`run_date_range`: end-exclusive interval -> inclusive days, so a daily run
    reports exactly its day), or, for a run without an interval (manual, asset-triggered), from the
    the ``default_days`` full UTC days before the run's date. Dates are UTC days.

    :param campaign_ids: campaigns to count (templated); none = all active campaigns (Snov.io's rule).
    :param date_from: first day, yyyy-mm-dd or a date (templated).
    :param date_to: last day, inclusive (templated).
    :param sender_emails: sender e-mail account ids to filter on (templated).
    :param sender_linkedin: sender LinkedIn account ids to filter on (templated).
    :param campaign_owners: owner e-mails to filter on (templated).
    :param per_campaign: one call per campaign id (needs ``campaign_ids``), analytics keyed by id.
    :param default_days: full days before the run's date covered by a run without a data interval (default 1).

    XCom: ``{"date_from", "date_to", "campaign_ids", "analytics"}``; ``analytics`` is Snov.io's flat
    object of counts and rates, or ``{campaign_id: that object}`` with ``per_campaign``.
    """

    template_fields: Sequence[str] = (*SnovioBaseOperator.template_fields, "date_from", "date_to", *_FILTERS)

    def __init__(
        self,
        *,
        campaign_ids: Sequence[int | str] | None = None,
        date_from: Any = None,
        date_to: Any = None,
        sender_emails: Sequence[int | str] | None = None,
        sender_linkedin: Sequence[int | str] | None = None,
        campaign_owners: Sequence[str] | None = None,
        per_campaign: bool = False,
        default_days: int = 1,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.campaign_ids = campaign_ids
        self.date_from = date_from
        self.date_to = date_to
        self.sender_emails = sender_emails
        self.sender_linkedin = sender_linkedin
        self.campaign_owners = campaign_owners
        self.per_campaign = per_campaign
        self.default_days = default_days

    def _arguments(self, context: Context) -> dict[str, Any]:
        """Every argument of the call, checked (a dry ``prepare``) before anything is sent."""
        v.positive_int("default_days", self.default_days)
        interval_from, interval_to = run_date_range(context, int(self.default_days))
        arguments: dict[str, Any] = {
            "date_from": self.date_from if self.date_from not in (None, "") else interval_from,
            "date_to": self.date_to if self.date_to not in (None, "") else interval_to,
            **{name: getattr(self, name) for name in _FILTERS if getattr(self, name) not in (None, "", [], ())},
        }
        row = ENDPOINTS.get_campaign_analytics
        prepare(row, arguments)
        checked = {name: row.params_by_name[name].check(name, value) for name, value in arguments.items()}
        if self.per_campaign and not checked.get("campaign_ids"):
            raise SnovioValidationError("campaign_ids", "per_campaign=True needs the campaign ids")
        return checked

    def execute(self, context: Context) -> dict[str, Any]:
        arguments = self._arguments(context)
        self.log.info("Campaign analytics from %s to %s", arguments["date_from"], arguments["date_to"])
        if self.per_campaign:
            analytics: Any = {
                campaign_id: self.hook.get_campaign_analytics(**{**arguments, "campaign_ids": [campaign_id]})
                for campaign_id in arguments["campaign_ids"]
            }
        else:
            analytics = self.hook.get_campaign_analytics(**arguments)
        return {
            "date_from": arguments["date_from"],
            "date_to": arguments["date_to"],
            "campaign_ids": arguments.get("campaign_ids"),
            "analytics": analytics,
        }


class SnovioChangeRecipientStatusOperator(SnovioBaseOperator):
    """Set recipients of a campaign Active, Paused or Unsubscribed (one call per e-mail).

    Every e-mail is checked before the first request. A recipient Snov.io refuses (not in the
    campaign, already finished) is reported per e-mail and the others go on; ``fail_on_refused=True``
    fails the task at the end instead. Setting a status is idempotent, so a retry is harmless.

    :param campaign_id: the campaign (templated).
    :param emails: one e-mail or a list (templated).
    :param status: ``Active``, ``Paused`` or ``Unsubscribed`` (templated).
    :param fail_on_refused: fail the task if Snov.io refused any recipient.

    XCom: ``{"campaign_id", "status", "changed", "refused", "results": {email: "changed" | "refused: <why>"}}``.
    """

    template_fields: Sequence[str] = (*SnovioBaseOperator.template_fields, "campaign_id", "emails", "status")

    def __init__(
        self,
        *,
        campaign_id: int | str,
        emails: str | Sequence[str],
        status: str,
        fail_on_refused: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.campaign_id = campaign_id
        self.emails = emails
        self.status = status
        self.fail_on_refused = fail_on_refused

    def execute(self, context: Context) -> dict[str, Any]:
        row = ENDPOINTS.change_recipient_status
        emails = v.list_of(row.params_by_name["email"].check, unique=True).uncapped("emails", self.emails)
        campaign_id = row.params_by_name["campaign_id"].check("campaign_id", self.campaign_id)
        status = row.params_by_name["status"].check("status", self.status)
        for email in emails:
            prepare(row, {"campaign_id": campaign_id, "email": email, "status": status})

        results: dict[str, str] = {}
        for email in emails:
            try:
                self.hook.change_recipient_status(campaign_id, email, status)
                results[email] = "changed"
            except SnovioApiError as error:  # this recipient refused; the others go on
                self.log.warning("Recipient %s refused: %s", email, error.detail)
                results[email] = f"refused: {error.detail}"
        refused = sum(1 for value in results.values() if value != "changed")
        self.log.info("Campaign %s: %d set %s, %d refused", campaign_id, len(emails) - refused, status, refused)
        if refused and self.fail_on_refused:
            from airflow.providers.common.compat.sdk import AirflowException

            raise AirflowException(f"Snov.io refused {refused} of {len(emails)} recipients")
        return {
            "campaign_id": int(campaign_id),
            "status": status,
            "changed": len(emails) - refused,
            "refused": refused,
            "results": results,
        }

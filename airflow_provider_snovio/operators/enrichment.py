"""Profile enrichment: who owns an e-mail (#16), and which prospect a LinkedIn/X profile URL is (#14, #15).

Both spend credits: a found e-mail profile costs 1, queueing a URL costs 1. Every paid answer is
recorded in the task's ``task_state_store`` (Airflow 3.3+) before the task moves on, so a retry (or a
rerun of the same run) reuses it and pays nothing again. Before each paid call a write-ahead marker is
recorded too: a later try that finds a marker without an answer (the answer was lost: a read timeout, a
dropped connection, a 5xx) first looks for the paid work with the free read Snov.io offers (a queued URL's
prospect, #15); what it cannot find (an e-mail profile has no free read) fails the task naming how many
items may already have been charged, unless ``allow_repay=True``.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any, NoReturn

from airflow_provider_snovio.api import validation as v
from airflow_provider_snovio.api.catalogue import ENDPOINTS, Endpoint
from airflow_provider_snovio.api.errors import SnovioError, SnovioTaskTimeoutError, SnovioValidationError
from airflow_provider_snovio.api.methods import check_wait_times
from airflow_provider_snovio.api.retry import may_have_taken_effect
from airflow_provider_snovio.api.status import profile_found, url_prospect
from airflow_provider_snovio.operators._async import repay_refusal
from airflow_provider_snovio.operators.base import SnovioBaseOperator, default_deferrable
from airflow_provider_snovio.operators.state import TaskProgress
from airflow_provider_snovio.triggers.events import success_payload
from airflow_provider_snovio.triggers.pollers import UrlProspectPoller, poll_sync

if TYPE_CHECKING:
    from airflow.sdk import Context


def _summary(profile: dict[str, Any]) -> dict[str, Any]:
    """The few fields that fit an XCom: who, where, current job; the rest goes to ``output_path``."""
    jobs = profile.get("currentJobs") or profile.get("currentJob") or []
    job = jobs[0] if isinstance(jobs, list) and jobs and isinstance(jobs[0], dict) else {}
    summary = {
        "found": True,
        "id": profile.get("id"),
        "name": profile.get("name"),
        "country": profile.get("country"),
        "locality": profile.get("locality"),
        "company": job.get("companyName"),
        "position": job.get("position"),
    }
    if isinstance(profile.get("emails"), list):
        summary["emails"] = [e.get("email") for e in profile["emails"] if isinstance(e, dict)]
    return summary


class SnovioProfileEnrichmentOperator(SnovioBaseOperator):
    """Enrich e-mails with their owner's profile and profile URLs with the prospect (and e-mails) behind them.

    * ``emails``: one profile lookup each (1 credit when a profile is found, none otherwise).
    * ``profile_urls`` (LinkedIn or X): first a free look-up, in case the URL was queued before (by an
      earlier run, or a try on Airflow < 3.3); otherwise the URL is queued (1 credit) and asked for again
      every ``poll_interval`` seconds until found or ``timeout`` seconds have passed. A URL still not
      found then is reported ``found: False``; a later rerun asks again without queueing it again.

    Credits are never spent twice on Airflow 3.3+: each paid answer (and each queued URL) is recorded
    in the task's ``task_state_store``, and a retry reuses it. On older Airflow there is no such store:
    a retry pays again for every profile found by the failed try (the URLs it queued are found by the
    free look-up and not queued again).

    :param emails: e-mail addresses (templated).
    :param profile_urls: LinkedIn/X profile URLs (templated).
    :param poll_interval: seconds between look-ups of queued URLs.
    :param timeout: seconds to wait for queued URLs.
    :param deferrable: wait for queued URLs in the triggerer (:class:`SnovioProfileUrlTrigger`) instead of a
        worker slot (default: Airflow's ``[operators] default_deferrable``). E-mails, the free look-ups
        and the queueing still run on the worker first, recorded as above; the URLs are then asked for
        once more and, if some are still not found, the task defers. The XCom is the same either way.
        Neither the deferral kwargs nor the trigger's event hold a profile (both are stored in the
        metadata DB): the resumed task takes what was paid for from ``task_state_store`` and reads each URL
        found back with the free read. Without a ``task_state_store`` (Airflow < 3.3) a task that enriched
        e-mails waits for its URLs on the worker instead of deferring.
    :param allow_repay: send again a paid call whose answer an earlier try lost and no free read finds
        (it may be charged twice). Without it such a task fails naming the items that may have been charged.

    XCom: ``{"found", "not_found", "paid_calls", "emails": {email: summary}, "profile_urls": {url: summary},
    "output_path"}``; a summary is ``{"found": False}`` or ``{"found": True, id, name, country, locality,
    company, position[, emails]}``. With ``output_path`` the full profiles go there as JSON Lines
    (``{"input", "kind", "found", "profile"}``).
    """

    template_fields: Sequence[str] = (*SnovioBaseOperator.template_fields, "emails", "profile_urls")

    def __init__(
        self,
        *,
        emails: Sequence[str] | None = None,
        profile_urls: Sequence[str] | None = None,
        poll_interval: float = 30.0,
        timeout: float = 600.0,
        deferrable: bool | None = None,
        allow_repay: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.allow_repay = allow_repay
        self.emails = emails
        self.profile_urls = profile_urls
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.deferrable = default_deferrable() if deferrable is None else bool(deferrable)

    def _validated(self) -> tuple[list[str], list[str]]:
        def checked(field: str, values: Any, row: Endpoint, param: str) -> list[str]:
            if values in (None, "", [], ()):
                return []
            return v.list_of(row.params_by_name[param].check, unique=True).uncapped(field, values)

        # One address in two spellings is one owner: asking twice would pay twice. The first spelling is kept.
        first_spelling: dict[str, str] = {}
        for email in checked("emails", self.emails, ENDPOINTS.get_profile_by_email, "email"):
            first_spelling.setdefault(email.lower(), email)
        emails = list(first_spelling.values())
        urls = checked("profile_urls", self.profile_urls, ENDPOINTS.add_url_for_search, "url")
        if not emails and not urls:
            raise SnovioValidationError("emails", "give emails and/or profile_urls to enrich")
        check_wait_times(self.poll_interval, self.timeout)
        return emails, urls

    def execute(self, context: Context) -> dict[str, Any]:
        emails, urls = self._validated()
        progress = TaskProgress(context, "enrichment", self.log, allow_restart=self.allow_repay)
        self._check_lost_answers(progress, emails, urls)
        by_email: dict[str, dict[str, Any] | None] = {}
        paid_calls = 0
        for email in emails:
            by_email[email], paid = self._email_profile(progress, email)
            paid_calls += paid
        by_url, paid, waiting = self._start_url_searches(progress, urls)
        paid_calls += paid
        if waiting and self.deferrable and not progress.enabled and by_email:
            # The profiles paid for above could only travel to the resumed task through the metadata DB
            # (the deferral kwargs): without a task_state_store to keep them, wait here instead.
            self.log.warning(
                "No task_state_store (Airflow < 3.3): waiting for %d profile URLs on the worker, so "
                "the e-mail profiles paid for need not be kept in the metadata DB",
                len(waiting),
            )
            self._wait_on_worker(progress, by_url, waiting)
        elif waiting and self.deferrable:
            waiting = self._check_once(progress, by_url, waiting)
            if waiting:
                self._defer(by_url, paid_calls, waiting)
        elif waiting:
            self._wait_on_worker(progress, by_url, waiting)
        return self._result(by_email, by_url, paid_calls)

    def execute_complete(
        self,
        context: Context,
        event: dict[str, Any] | None = None,
        paid_calls: int = 0,
        found_urls: Sequence[str] | None = None,
        emails: dict[str, Any] | None = None,
        profile_urls: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Resume after the trigger (:class:`~airflow_provider_snovio.triggers.SnovioProfileUrlTrigger`): read
        back what it found and return the usual XCom.

        Neither the event nor the deferral kwargs hold a profile (both are stored in the metadata DB): the
        e-mail profiles and the prospects found before deferring come from the task's ``task_state_store``
        (or, without one, the URLs in ``found_urls`` are read again: free), and each URL the trigger
        reports found is read back with the same free read (#15). ``emails``/``profile_urls`` are only
        read from a deferral made by an earlier provider version.

        A timeout is not a failure, as on the worker: the URLs still not found are reported
        ``found: False`` (and what the trigger found before the deadline is kept). An error or a missing
        event raises (the queued URLs are recorded: a retry does not queue them again).
        """
        try:
            payload = success_payload(event, f"{self.task_id}: waiting for profile URLs")
        except SnovioTaskTimeoutError:
            payload = dict(event or {})  # success_payload raises this only for a well-formed timeout event
        email_list, urls = self._validated()
        progress = TaskProgress(context, "enrichment", self.log, allow_restart=self.allow_repay)
        legacy_emails, legacy_urls = dict(emails or {}), dict(profile_urls or {})
        by_email: dict[str, dict[str, Any] | None] = {}
        for email in email_list:
            record = progress.get(f"email:{email.lower()}")
            by_email[email] = record.get("profile") if isinstance(record, dict) else legacy_emails.get(email)
        reported = payload.get("found")
        read_back = {str(u) for u in (reported if isinstance(reported, list) else [])} | set(found_urls or [])
        by_url: dict[str, dict[str, Any] | None] = {}
        for url in urls:
            record = progress.get(f"url:{url}")
            by_url[url] = record.get("prospect") if isinstance(record, dict) else legacy_urls.get(url)
            if by_url[url] is None and url in read_back:
                self._record_found(progress, by_url, {url: url_prospect(self.hook.get_emails_from_url(url))})  # free
        waiting = [url for url, prospect in by_url.items() if prospect is None]
        if waiting:
            self.log.warning("%d profile URLs not found within %s s", len(waiting), self.timeout)
        return self._result(by_email, by_url, int(paid_calls))

    def _result(
        self, by_email: dict[str, dict[str, Any] | None], by_url: dict[str, dict[str, Any] | None], paid_calls: int
    ) -> dict[str, Any]:
        rows = [
            {"input": key, "kind": kind, "found": profile is not None, "profile": profile}
            for kind, found in (("email", by_email), ("profile_url", by_url))
            for key, profile in found.items()
        ]
        found = sum(1 for row in rows if row["found"])
        result = {
            "found": found,
            "not_found": len(rows) - found,
            "paid_calls": paid_calls,
            "emails": {key: _summary(p) if p else {"found": False} for key, p in by_email.items()},
            "profile_urls": {key: _summary(p) if p else {"found": False} for key, p in by_url.items()},
            "output_path": self.write_output(rows),
        }
        self.log.info("Enrichment: %d found, %d not found, %d paid calls", found, len(rows) - found, paid_calls)
        return result

    def _check_lost_answers(self, progress: TaskProgress, emails: list[str], urls: list[str]) -> None:
        """Settle every paid call an earlier try sent without recording its answer (a write-ahead marker).

        A URL is looked up with the free read first: found, it is recorded and costs nothing. What is left
        (e-mail profiles: no free read; URLs Snov.io does not show) fails the task unless ``allow_repay``.
        """
        lost: list[str] = []
        for email in emails:
            record = progress.get(f"email:{email.lower()}")
            if isinstance(record, dict) and record.get("paying") and "profile" not in record:
                lost.append(f"email:{email.lower()}")
        for url in urls:
            record = progress.get(f"url:{url}")
            if isinstance(record, dict) and record.get("paying") and not record.get("queued"):
                prospect = url_prospect(self.hook.get_emails_from_url(url))  # free
                if prospect is not None:
                    self.log.info("A URL queued by an earlier try whose answer was lost was found by the free read")
                    progress.set(f"url:{url}", {"queued": True, "prospect": prospect})
                else:
                    lost.append(f"url:{url}")
        if not lost:
            return
        if not self.allow_repay:
            raise repay_refusal(self.task_id, len(lost), f"{len(lost)} paid Snov.io call(s)")
        self.log.warning(
            "allow_repay=True: sending again %d paid call(s) whose answer an earlier try lost; up to "
            "%d credit(s) may be charged a second time",
            len(lost),
            len(lost),
        )
        for key in lost:
            progress.set(key, {"repaying": True})

    def _paid(self, progress: TaskProgress, key: str, call: Any) -> Any:
        """``call()`` (paid) with a write-ahead marker recorded first; the marker is dropped if the call
        certainly did not take effect, and replaced by the answer's record by the caller otherwise."""
        progress.set(key, {"paying": True})
        try:
            return call()
        except SnovioError as error:
            if not may_have_taken_effect(error):
                progress.set(key, {"paying": False})
            raise

    def _email_profile(self, progress: TaskProgress, email: str) -> tuple[dict[str, Any] | None, int]:
        """``(profile or None, credits spent now)``; a profile recorded by an earlier try costs nothing."""
        record = progress.get(f"email:{email.lower()}")
        if isinstance(record, dict) and "profile" in record:
            return record["profile"], 0
        answer = self._paid(progress, f"email:{email.lower()}", lambda: self.hook.get_profile_by_email(email))
        profile = answer if profile_found(answer) else None
        progress.set(f"email:{email.lower()}", {"profile": profile})
        return profile, int(profile is not None)

    def _start_url_searches(
        self, progress: TaskProgress, urls: list[str]
    ) -> tuple[dict[str, dict[str, Any] | None], int, list[str]]:
        """``({url: prospect or None}, credits spent now, URLs still awaited)``: the free look-up of each
        URL, and the URLs not found queued (once: a URL recorded as queued is not queued again)."""
        found: dict[str, dict[str, Any] | None] = {}
        paid = 0
        waiting: list[str] = []
        for url in urls:
            record = progress.get(f"url:{url}") or {}
            if record.get("prospect") is None:
                prospect = url_prospect(self.hook.get_emails_from_url(url))  # free
                if prospect is None and not record.get("queued"):
                    self._paid(progress, f"url:{url}", lambda u=url: self.hook.add_url_for_search(u))  # 1 credit
                    paid += 1
                    record = {"queued": True}
                    progress.set(f"url:{url}", record)
                elif prospect is not None:
                    record = {**record, "prospect": prospect}
                    progress.set(f"url:{url}", record)
            found[url] = record.get("prospect")
            if found[url] is None:
                waiting.append(url)
        return found, paid, waiting

    @staticmethod
    def _record_found(
        progress: TaskProgress, by_url: dict[str, dict[str, Any] | None], prospects: Mapping[str, Any]
    ) -> None:
        """Keep (and record for a retry) each prospect found for one of ``by_url``'s URLs."""
        for url, prospect in prospects.items():
            if url in by_url and isinstance(prospect, dict):
                by_url[url] = prospect
                progress.set(f"url:{url}", {"queued": True, "prospect": prospect})

    def _check_once(
        self, progress: TaskProgress, by_url: dict[str, dict[str, Any] | None], waiting: list[str]
    ) -> list[str]:
        """One free round of the trigger's own poller on the worker; the URLs still awaited."""
        poller = UrlProspectPoller(waiting)
        poll_sync(self.hook.call, poller)
        self._record_found(progress, by_url, poller.results)
        return [url for url in waiting if by_url[url] is None]

    def _defer(self, by_url: dict[str, Any], paid_calls: int, waiting: list[str]) -> NoReturn:
        """Free the worker slot. The kwargs hold no profile (they are stored in the metadata DB): only the
        credits spent so far and which URLs were found already; everything found is in the task's
        ``task_state_store``, and a found URL can be read again for free."""
        from airflow_provider_snovio.triggers.snovio import SnovioProfileUrlTrigger

        trigger = SnovioProfileUrlTrigger(
            waiting,
            snovio_conn_id=self.snovio_conn_id,
            deadline=time.time() + float(self.timeout),
            poll_interval=float(self.poll_interval),
        )
        self.log.info("Deferring: %d queued profile URLs not found yet", len(waiting))
        # Airflow's own deferral timeout is a backstop only: the trigger ends at its deadline first.
        self.defer(
            trigger=trigger,
            method_name="execute_complete",
            kwargs={"paid_calls": paid_calls, "found_urls": [u for u, p in by_url.items() if p is not None]},
            timeout=timedelta(seconds=float(self.timeout) + 2 * float(self.poll_interval) + 60),
        )

    def _wait_on_worker(
        self, progress: TaskProgress, by_url: dict[str, dict[str, Any] | None], waiting: list[str]
    ) -> None:
        """Ask for each queued URL again every ``poll_interval`` until found or ``timeout`` (holds the slot)."""
        deadline = time.monotonic() + float(self.timeout)
        while waiting and time.monotonic() < deadline:
            time.sleep(min(float(self.poll_interval), max(0.0, deadline - time.monotonic())))
            for url in list(waiting):
                prospect = url_prospect(self.hook.get_emails_from_url(url))
                if prospect is not None:
                    by_url[url] = prospect
                    progress.set(f"url:{url}", {"queued": True, "prospect": prospect})
                    waiting.remove(url)
        if waiting:
            self.log.warning("%d profile URLs not found within %s s", len(waiting), self.timeout)

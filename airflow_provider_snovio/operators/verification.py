"""E-mail verification of any number of addresses (v1 #17/#18, or the v2 start/result pair).

v1 (default) never pays twice by construction: it first reads every address's status (free) and queues
(1 credit each) only the addresses Snov.io reports ``not_verified`` and that this job has not queued
before; the rest are awaited. A retry, a rerun or a resumption after the hourly quota reads the statuses
again, so what is already verified or in progress is never paid for again. Greylisted answers are asked
again later (``greylisted_poll_interval``), as Snov.io advises.

v2 starts one task per 10 addresses and records each ``task_hash`` in the job before waiting.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api.catalogue import VERIFICATION_BATCH, endpoint
from airflow_provider_snovio.api.errors import SnovioPartialError, SnovioValidationError
from airflow_provider_snovio.operators._async import Job, SnovioAsyncOperator
from airflow_provider_snovio.triggers.pollers import (
    GREYLISTED_POLL_INTERVAL,
    VerificationPoller,
    check_emails,
    poll_sync,
)

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.triggers.base import BaseTrigger

API_VERSIONS = ("v1", "v2")


def summary_v1(entry: Any) -> dict[str, Any]:
    """The XCom line of one address from a v1 status entry (#17)."""
    data = entry.get("data") if isinstance(entry, dict) else None
    data = data if isinstance(data, dict) else {}
    return {
        "smtp_status": data.get("smtpStatus"),
        "is_valid_format": data.get("isValidFormat"),
        "is_disposable": data.get("isDisposable"),
        "is_webmail": data.get("isWebmail"),
        "is_gibberish": data.get("isGibberish"),
        "is_catchall": data.get("isCatchall"),
    }


def summary_v2(result: Any) -> dict[str, Any]:
    """The XCom line of one address from a v2 result item."""
    result = result if isinstance(result, dict) else {}
    line = {key: result.get(key) for key in ("smtp_status", "is_valid_format", "is_disposable", "is_webmail",
                                             "is_gibberish")}
    if result.get("unknown_status_reason") is not None:
        line["unknown_status_reason"] = result["unknown_status_reason"]
    return line


class SnovioEmailVerificationOperator(SnovioAsyncOperator):
    """Verify e-mails and wait for their final status.

    XCom: ``{"results": {email: {"smtp_status", "is_valid_format", ...}}, "counts": {smtp_status: n},
    "queued": n, "output_path"}`` - one result per address. With ``output_path`` the full answers go
    there as JSON Lines (``{"email", ...}``).

    :param emails: any number of addresses (templated); duplicates are verified once.
    :param api_version: ``"v1"`` (status first, then queue only the unverified) or ``"v2"``.
    :param greylisted_poll_interval: v1: seconds before asking again about greylisted addresses.
    """

    template_fields: Sequence[str] = (*SnovioAsyncOperator.template_fields, "emails", "api_version")

    def __init__(self, *, emails: Sequence[str], api_version: str = "v1",
                 greylisted_poll_interval: float = GREYLISTED_POLL_INTERVAL, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.emails = emails
        self.api_version = api_version
        self.greylisted_poll_interval = greylisted_poll_interval

    def check_inputs(self) -> Any:
        if self.api_version not in API_VERSIONS:
            raise SnovioValidationError("api_version", f"expected 'v1' or 'v2', got {self.api_version!r}")
        self._emails = check_emails("emails", self.emails)
        return [self.api_version, self._emails]

    def advance(self, context: Context, job: Job) -> Any:
        if self.api_version == "v2":
            return self._advance_v2(job)
        return self._advance_v1(job)

    # --- v1 -----------------------------------------------------------------------------------------
    def _poller(self, emails: list[str]) -> VerificationPoller:
        return VerificationPoller(emails, greylisted_poll_interval=self.greylisted_poll_interval)

    def _advance_v1(self, job: Job) -> Any:
        queued: list[str] = job.data.setdefault("queued", [])
        # Final answers a trigger already brought are kept; every other status is read first (free).
        results: dict[str, Any] = {e: r for e, r in self._event_results.items() if e in self._emails}
        to_read = [e for e in self._emails if e not in results]
        unverified: list[str] = []
        if to_read:
            first = self._poller(to_read)
            poll_sync(self.hook.call, first)
            results.update(first.results)
            unverified = [e for e in to_read if first.states.get(e) == "not_verified" and e not in queued]
        if unverified:
            try:
                self.hook.add_emails_to_verification(unverified)
            except SnovioPartialError as error:
                queued.extend(e for e in error.done if e not in queued)  # charged: never queue them again
                job.save()
                raise
            queued.extend(unverified)
            job.save()
            self.log.info("Queued %d of %d addresses for verification (%d credits)", len(unverified),
                          len(self._emails), len(unverified))
        pending = [e for e in self._emails if e not in results]
        if pending:
            from airflow_provider_snovio.triggers.snovio import SnovioEmailVerificationTrigger

            def trigger(deadline: float) -> BaseTrigger:
                return SnovioEmailVerificationTrigger(
                    pending, greylisted_poll_interval=self.greylisted_poll_interval,
                    snovio_conn_id=self.snovio_conn_id, deadline=deadline, poll_interval=self.poll_interval)

            results.update(self.wait_for(job, self._poller(pending), trigger)["results"])
        return self._finish({e: results[e] for e in self._emails}, summary_v1, len(queued))

    _event_results: dict[str, Any] = {}

    def absorb_event(self, payload: dict[str, Any]) -> None:
        super().absorb_event(payload)
        if not payload.get("result_method"):  # the v1 verification trigger's {email: entry}
            self._event_results = dict(payload.get("results") or {})

    # --- v2 -----------------------------------------------------------------------------------------
    def _advance_v2(self, job: Job) -> Any:
        chunks = job.data.setdefault("chunks", [])
        if not chunks:
            chunks.extend({"emails": self._emails[i:i + VERIFICATION_BATCH]}
                          for i in range(0, len(self._emails), VERIFICATION_BATCH))
        result_method = endpoint("start_email_verification").result
        bodies = self.run_tasks(job, result_method, chunks, lambda c: self.hook.start_email_verification(c["emails"]),
                                lambda c: len(c["emails"]), "verification task")  # marker, expired hash: _async
        results: dict[str, Any] = {}
        for body in bodies:
            for item in body.get("data") or []:
                if isinstance(item, dict) and item.get("email"):
                    results[str(item["email"])] = item.get("result")
        missing = [e for e in self._emails if e not in results]
        if missing:
            from airflow_provider_snovio.api.errors import SnovioResponseError

            raise SnovioResponseError(f"v2 verification results lack {len(missing)} address(es): {missing[:5]}")
        return self._finish({e: results[e] for e in self._emails}, summary_v2, len(self._emails))

    # --- both ---------------------------------------------------------------------------------------
    def _finish(self, results: dict[str, Any], summarise: Any, queued: int) -> dict[str, Any]:
        lines = {email: summarise(entry) for email, entry in results.items()}
        counts: dict[str, int] = {}
        for line in lines.values():
            counts[str(line.get("smtp_status"))] = counts.get(str(line.get("smtp_status")), 0) + 1
        output = self.write_output({"email": email, "answer": entry} for email, entry in results.items())
        return {"results": lines, "counts": counts, "queued": queued, "output_path": output}

"""E-mail verification of any number of addresses (v1 #17/#18, or the v2 start/result pair).

v1 (default) never pays twice by construction: it first reads every address's status (free) and queues
(1 credit each) only the addresses Snov.io reports ``not_verified``; the rest are awaited. It works 10
addresses at a time (one status read, then at once the add of the unverified ones), and records in the
job every final verdict, every address Snov.io knows and every address queued, as it goes. So a
resumption after the hourly quota (or a retry, a rerun) reads again only what is still pending, and never
adds an address Snov.io already knows: an add whose answer was lost is read again (free) before anything
is added. Greylisted answers are asked again later (``greylisted_poll_interval``), as Snov.io advises,
unless ``wait_for_greylisted=False`` (then greylisted is a final answer). A timeout keeps and reports every
final verdict already obtained.

v2 starts one task per 10 addresses and records each ``task_hash`` in the job before waiting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api.catalogue import ENDPOINTS, VERIFICATION_BATCH
from airflow_provider_snovio.api.errors import SnovioTaskTimeoutError, SnovioValidationError
from airflow_provider_snovio.api.status import TaskState, status_word, verification_summary
from airflow_provider_snovio.operators._async import (
    DEFAULT_POLL_INTERVAL,
    DEFAULT_TIMEOUT,
    SnovioQueueThenAskOperator,
)
from airflow_provider_snovio.operators.state import Job
from airflow_provider_snovio.triggers.pollers import (
    GREYLISTED_POLL_INTERVAL,
    STATUS_CHUNK,
    V1_TIMEOUT,
    VERIFICATION_POLL_INTERVAL,
    VerificationPoller,
    check_emails,
)

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.triggers.base import BaseTrigger

API_VERSIONS = ("v1", "v2")


def summary_v1(entry: Any) -> dict[str, Any]:
    """The XCom line of one address from a v1 status entry (#17)."""
    return verification_summary(entry)


def summary_v2(result: Any) -> dict[str, Any]:
    """The XCom line of one address from a v2 result item."""
    result = result if isinstance(result, dict) else {}
    line = {
        key: result.get(key)
        for key in ("smtp_status", "is_valid_format", "is_disposable", "is_webmail", "is_gibberish")
    }
    line["smtp_status"] = status_word(line["smtp_status"])  # "Valid" (2026 prose) reads as "valid"
    if result.get("unknown_status_reason") is not None:
        line["unknown_status_reason"] = status_word(result["unknown_status_reason"])
    return line


class SnovioEmailVerificationOperator(SnovioQueueThenAskOperator):
    """Verify e-mails and wait for their final status.

    XCom: ``{"results": {email: {"smtp_status", "is_valid_format", ...}}, "counts": {smtp_status: n},
    "queued": n, "output_path"}`` - one result per address. With ``output_path`` the results go there as
    JSON Lines (``{"email", "smtp_status", ...}``), also when the wait times out (the final ones).

    :param emails: any number of addresses (templated); duplicates are verified once.
    :param api_version: ``"v1"`` (status first, then queue only the unverified) or ``"v2"``.
    :param greylisted_poll_interval: v1: seconds before asking again about a greylisted address.
    :param wait_for_greylisted: v1: wait until Snov.io's retries of a greylisted address end (default);
        False: greylisted is a final answer (``smtp_status: "greylisted"``).
    :param poll_interval: seconds between polls (v1 default 60: status reads count against the hourly quota).
    :param timeout: seconds the wait may last (v1 default 2 h, see :data:`V1_TIMEOUT`); on timeout the
        error (``results``) and ``output_path`` hold every final answer already obtained.
    """

    template_fields: Sequence[str] = (*SnovioQueueThenAskOperator.template_fields, "emails", "api_version")

    def __init__(
        self,
        *,
        emails: Sequence[str],
        api_version: str = "v1",
        greylisted_poll_interval: float = GREYLISTED_POLL_INTERVAL,
        wait_for_greylisted: bool = True,
        poll_interval: float | None = None,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> None:
        v1 = api_version != "v2"
        super().__init__(
            poll_interval=poll_interval
            if poll_interval is not None
            else (VERIFICATION_POLL_INTERVAL if v1 else DEFAULT_POLL_INTERVAL),
            timeout=timeout if timeout is not None else (V1_TIMEOUT if v1 else DEFAULT_TIMEOUT),
            **kwargs,
        )
        self.emails = emails
        self.api_version = api_version
        self.greylisted_poll_interval = greylisted_poll_interval
        self.wait_for_greylisted = bool(wait_for_greylisted)

    def check_inputs(self) -> Any:
        if self.api_version not in API_VERSIONS:
            raise SnovioValidationError("api_version", f"expected 'v1' or 'v2', got {self.api_version!r}")
        self._emails = check_emails("emails", self.emails)
        return [self.api_version, self._emails]

    def advance(self, context: Context, job: Job) -> Any:
        if self.api_version == "v2":
            return self._advance_v2(job)
        return self._advance_v1(job)

    # --- v1: read, queue the unverified, ask again (the loop is SnovioQueueThenAskOperator's) ---------------
    v1_unqueued_state = TaskState.NOT_VERIFIED.value
    v1_read_chunk = STATUS_CHUNK
    v1_queue_chunk = VERIFICATION_BATCH
    v1_noun = "addresses for verification"

    def v1_items(self) -> dict[str, Any]:
        return {email: email for email in self._emails}

    def v1_poller(self, items: list[Any]) -> VerificationPoller:
        return VerificationPoller(
            items, greylisted_poll_interval=self.greylisted_poll_interval, wait_for_greylisted=self.wait_for_greylisted
        )

    def v1_finals(self, results: Any) -> dict[str, Any]:
        """The verdicts (``{email: verdict}``) of this job's addresses in a poller's or event's results."""
        if not isinstance(results, Mapping):
            return {}
        emails = set(self._emails)
        return {e: r for e, r in results.items() if e in emails and isinstance(r, dict)}

    def v1_states(self, poller: Any) -> dict[str, str]:
        return dict(poller.states)

    def v1_queue(self, items: list[Any]) -> None:
        self.hook.add_emails_to_verification(items)  # <= 10, 1 credit each

    def v1_trigger(self, items: list[Any], deadline: float) -> BaseTrigger:
        from airflow_provider_snovio.triggers.snovio import SnovioEmailVerificationTrigger

        return SnovioEmailVerificationTrigger(
            items,
            greylisted_poll_interval=self.greylisted_poll_interval,
            wait_for_greylisted=self.wait_for_greylisted,
            snovio_conn_id=self.snovio_conn_id,
            deadline=deadline,
            poll_interval=self.poll_interval,
        )

    def _advance_v1(self, job: Job) -> Any:
        final = self.advance_v1(job)
        return self._finish(final, len(job.data["queued"]))

    def v1_timed_out(self, job: Job, message: str) -> SnovioTaskTimeoutError:
        """The timeout error, carrying (and writing to ``output_path``) every final answer already obtained."""
        final = job.data.get("final") or {}
        results = {e: final[e] for e in self._emails if e in final}
        pending = [e for e in self._emails if e not in final]
        output = self.write_output({"email": email, **line} for email, line in results.items())
        shown = ", ".join(pending[:5]) + (f" and {len(pending) - 5} more" if len(pending) > 5 else "")
        error = SnovioTaskTimeoutError(
            f"{self.task_id}: {len(results)} of {len(self._emails)} addresses have a final status, "
            f"{len(pending)} still pending ({shown}); {message}"
        )
        error.results = results  # type: ignore[attr-defined]
        error.pending = pending  # type: ignore[attr-defined]
        error.output_path = output  # type: ignore[attr-defined]
        return error

    # --- v2 -----------------------------------------------------------------------------------------
    def _advance_v2(self, job: Job) -> Any:
        answers = self.run_chunked_tasks(
            job, ENDPOINTS.start_email_verification, self._emails, VERIFICATION_BATCH, "emails", "verification task"
        )  # marker, expired hash: _async
        results: dict[str, Any] = {}
        for _, body in answers:
            for item in body.get("data") or []:
                if isinstance(item, dict) and item.get("email"):
                    results[str(item["email"])] = item.get("result")
        missing = [e for e in self._emails if e not in results]
        if missing:
            from airflow_provider_snovio.api.errors import SnovioResponseError

            raise SnovioResponseError(f"v2 verification results lack {len(missing)} address(es): {missing[:5]}")
        return self._finish({e: summary_v2(results[e]) for e in self._emails}, len(self._emails))

    # --- both ---------------------------------------------------------------------------------------
    def _finish(self, lines: dict[str, dict[str, Any]], queued: int) -> dict[str, Any]:
        counts: dict[str, int] = {}
        for line in lines.values():
            counts[str(line.get("smtp_status"))] = counts.get(str(line.get("smtp_status")), 0) + 1
        output = self.write_output({"email": email, **line} for email, line in lines.items())
        return {"results": lines, "counts": counts, "queued": queued, "output_path": output}

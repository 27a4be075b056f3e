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

from airflow_provider_snovio.api.catalogue import ENDPOINTS, VERIFICATION_BATCH, result_of
from airflow_provider_snovio.api.errors import SnovioError, SnovioTaskTimeoutError, SnovioValidationError
from airflow_provider_snovio.api.retry import may_have_taken_effect
from airflow_provider_snovio.api.status import TaskState, verification_summary
from airflow_provider_snovio.operators._async import DEFAULT_POLL_INTERVAL, DEFAULT_TIMEOUT, Job, SnovioAsyncOperator
from airflow_provider_snovio.triggers.pollers import (
    GREYLISTED_POLL_INTERVAL,
    STATUS_CHUNK,
    V1_TIMEOUT,
    VERIFICATION_POLL_INTERVAL,
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
    return verification_summary(entry)


def summary_v2(result: Any) -> dict[str, Any]:
    """The XCom line of one address from a v2 result item."""
    result = result if isinstance(result, dict) else {}
    line = {
        key: result.get(key)
        for key in ("smtp_status", "is_valid_format", "is_disposable", "is_webmail", "is_gibberish")
    }
    if result.get("unknown_status_reason") is not None:
        line["unknown_status_reason"] = result["unknown_status_reason"]
    return line


class SnovioEmailVerificationOperator(SnovioAsyncOperator):
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

    template_fields: Sequence[str] = (*SnovioAsyncOperator.template_fields, "emails", "api_version")

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

    # --- v1 -----------------------------------------------------------------------------------------
    def _poller(self, emails: list[str]) -> VerificationPoller:
        return VerificationPoller(
            emails, greylisted_poll_interval=self.greylisted_poll_interval, wait_for_greylisted=self.wait_for_greylisted
        )

    def _advance_v1(self, job: Job) -> Any:
        data = job.data
        final: dict[str, Any] = data.setdefault("final", {})  # email -> verdict (never read again)
        queued: list[str] = data.setdefault("queued", [])  # paid by this job
        known: list[str] = data.setdefault("known", [])  # Snov.io knows them: await, never add
        to_add: list[str] = data.setdefault("to_add", [])  # read not_verified, not added yet
        uncertain: list[str] = data.setdefault("uncertain", [])  # an add whose answer was lost
        final.update({e: r for e, r in self._event_results.items() if e in self._emails and isinstance(r, dict)})
        job.save()
        # 1. addresses read not_verified by an earlier try (e.g. before the quota stopped it): add them.
        ready = [e for e in to_add if e not in final and e not in known]
        for i in range(0, len(ready), VERIFICATION_BATCH):
            self._add(job, ready[i : i + VERIFICATION_BATCH])
        # 2. every other address Snov.io may not know: read its status (free), 10 at a time, and add at
        #    once the ones not verified yet. A lost add is among these: read before it is ever added again.
        unknown = [e for e in self._emails if e not in final and e not in known and e not in to_add]
        for i in range(0, len(unknown), STATUS_CHUNK):
            chunk = unknown[i : i + STATUS_CHUNK]
            first = self._poller(chunk)
            try:
                poll_sync(self.hook.call, first)
            finally:
                final.update(first.results)
                job.save()
            for email in chunk:
                state = first.states.get(email)
                if email in first.results:
                    pass
                elif state == TaskState.NOT_VERIFIED.value:
                    to_add.append(email)
                elif state is not None:  # in progress or greylisted: Snov.io has it
                    known.append(email)
                    if email in uncertain:
                        queued.append(email)  # the add whose answer was lost did take effect (and was paid)
            job.save()
            fresh = [e for e in chunk if e in to_add]
            if fresh:
                self._add(job, fresh)
        # 3. wait for the rest.
        pending = [e for e in self._emails if e not in final]
        if pending:
            from airflow_provider_snovio.triggers.snovio import SnovioEmailVerificationTrigger

            poller = self._poller(pending)

            def trigger(deadline: float) -> BaseTrigger:  # only what the check on the worker left pending
                return SnovioEmailVerificationTrigger(
                    [e for e in pending if e not in poller.results],
                    greylisted_poll_interval=self.greylisted_poll_interval,
                    wait_for_greylisted=self.wait_for_greylisted,
                    snovio_conn_id=self.snovio_conn_id,
                    deadline=deadline,
                    poll_interval=self.poll_interval,
                )

            try:
                payload = self.wait_for(job, poller, trigger)
            except SnovioTaskTimeoutError as error:
                final.update(poller.results)
                job.save()
                raise self._timed_out(job, str(error)) from error
            except BaseException:  # the quota, a deferral, a failure: keep every final answer read so far
                final.update(poller.results)
                job.save()
                raise
            final.update(payload["results"])
            job.save()
        return self._finish({e: final[e] for e in self._emails}, len(queued))

    def _add(self, job: Job, emails: list[str]) -> None:
        """Queue ``emails`` (<= 10, 1 credit each) and record them; a lost answer marks them uncertain."""
        data = job.data
        try:
            self.hook.add_emails_to_verification(emails)
        except SnovioError as error:
            if may_have_taken_effect(error):  # read (free) before anything is added again
                data["to_add"] = [e for e in data["to_add"] if e not in emails]
                data["uncertain"].extend(e for e in emails if e not in data["uncertain"])
                job.save()
            raise
        data["to_add"] = [e for e in data["to_add"] if e not in emails]
        data["queued"].extend(emails)
        data["known"].extend(emails)
        job.save()
        self.log.info(
            "Queued %d addresses for verification (%d credits); %d queued by this job in all",
            len(emails),
            len(emails),
            len(data["queued"]),
        )

    def _timed_out(self, job: Job, message: str) -> SnovioTaskTimeoutError:
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

    _event_results: dict[str, Any] = {}

    def absorb_event(self, payload: dict[str, Any]) -> None:
        super().absorb_event(payload)
        if not payload.get("result_method"):  # the v1 verification trigger's {email: verdict}
            self._event_results = dict(payload.get("results") or {})

    def execute_complete(
        self, context: Context, event: dict[str, Any] | None = None, job: dict[str, Any] | None = None
    ) -> Any:
        """v1: a trigger that ended without success still brought final verdicts: keep them first."""
        if (
            isinstance(event, Mapping)
            and event.get("status") in ("timeout", "error")
            and not event.get("result_method")
            and self.api_version != "v2"
        ):
            self.check_inputs()
            carried = self._job(context, job)
            results = event.get("results")
            if isinstance(results, Mapping):
                final = carried.data.setdefault("final", {})
                final.update({e: r for e, r in results.items() if e in self._emails and isinstance(r, dict)})
                carried.save()
            job = carried.data
            if event["status"] == "timeout":
                raise self._timed_out(carried, str(event.get("message") or "the wait timed out"))
        return super().execute_complete(context, event=event, job=job)

    # --- v2 -----------------------------------------------------------------------------------------
    def _advance_v2(self, job: Job) -> Any:
        chunks = job.data.setdefault("chunks", [])
        if not chunks:
            chunks.extend(
                {"emails": self._emails[i : i + VERIFICATION_BATCH]}
                for i in range(0, len(self._emails), VERIFICATION_BATCH)
            )
        result_method = result_of(ENDPOINTS.start_email_verification)
        bodies = self.run_tasks(
            job,
            result_method,
            chunks,
            lambda c: self.hook.start_email_verification(c["emails"]),
            lambda c: len(c["emails"]),
            "verification task",
        )  # marker, expired hash: _async
        results: dict[str, Any] = {}
        for body in bodies:
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

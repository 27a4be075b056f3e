"""Email finder by name and domain: v1 (#12/#13, "queue, then ask again") or v2 (start/result, 10 rows a task).

v1: the finder read (#12) is free; a ``not_found`` person is queued at once with add-names (#13, 1
credit), and then asked again until ``complete`` or the timeout. The job records, person by person, every
complete answer (its e-mails), every person Snov.io knows and every person queued, so a resumption after
the hourly quota (or a retry) reads only the people still pending and never queues a person Snov.io
already knows: an add whose answer was lost is read again (free) before it is ever sent again. v2: one
task per 10 people, each ``task_hash`` recorded before waiting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api.catalogue import ENDPOINTS, result_of
from airflow_provider_snovio.api.errors import (
    SnovioError,
    SnovioResponseError,
    SnovioTaskTimeoutError,
    SnovioValidationError,
)
from airflow_provider_snovio.api.retry import may_have_taken_effect
from airflow_provider_snovio.api.status import TaskState
from airflow_provider_snovio.operators._async import DEFAULT_TIMEOUT, Job, SnovioAsyncOperator
from airflow_provider_snovio.triggers.pollers import (
    FINDER_POLL_INTERVAL,
    V1_TIMEOUT,
    FinderPoller,
    check_people,
    poll_sync,
)

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.triggers.base import BaseTrigger

API_VERSIONS = ("v1", "v2")
#: Rows per v2 start request (the documented maximum).
V2_ROWS_PER_TASK = 10
#: The v1 finder's reads count against an hourly quota (200/h on Starter): poll gently by default.
DEFAULT_FINDER_POLL_INTERVAL = FINDER_POLL_INTERVAL


def person_key(person: Mapping[str, str]) -> str:
    return "|".join(str(person[f]).strip().lower() for f in ("first_name", "last_name", "domain"))


class SnovioEmailFinderOperator(SnovioAsyncOperator):
    """Find people's e-mails from first name, last name and company domain.

    XCom: ``{"people": [{"first_name", "last_name", "domain", "emails": [{"email", "status"}]}],
    "counts": {"people", "found", "emails"}, "queued": n, "output_path"}``.

    :param people: ``[{"first_name": ..., "last_name": ..., "domain": ...}, ...]`` (templated).
    :param api_version: ``"v1"`` (find, queue the not-found, ask again) or ``"v2"`` (start/result).
    """

    template_fields: Sequence[str] = (*SnovioAsyncOperator.template_fields, "people", "api_version")

    def __init__(
        self,
        *,
        people: Sequence[Mapping[str, str]],
        api_version: str = "v1",
        poll_interval: float = DEFAULT_FINDER_POLL_INTERVAL,
        timeout: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            poll_interval=poll_interval,
            timeout=timeout if timeout is not None else (V1_TIMEOUT if api_version != "v2" else DEFAULT_TIMEOUT),
            **kwargs,
        )
        self.people = people
        self.api_version = api_version

    def check_inputs(self) -> Any:
        if self.api_version not in API_VERSIONS:
            raise SnovioValidationError("api_version", f"expected 'v1' or 'v2', got {self.api_version!r}")
        people = check_people("people", self.people)
        self._people = list({person_key(p): p for p in people}.values())  # each person searched once
        return [self.api_version, self._people]

    def advance(self, context: Context, job: Job) -> Any:
        found = self._advance_v2(job) if self.api_version == "v2" else self._advance_v1(job)
        output = self.write_output({**person, "emails": emails} for person, emails in found)
        return {
            "people": [{**person, "emails": emails} for person, emails in found],
            "counts": {
                "people": len(found),
                "found": sum(1 for _, e in found if e),
                "emails": sum(len(e) for _, e in found),
            },
            "queued": len(job.data.get("queued", [])),  # v1: names queued with add-names (1 credit each)
            "task_hashes": [c["task_hash"] for c in job.data.get("chunks", [])],  # v2: one task per 10 people
            "output_path": output,
        }

    # --- v1 -----------------------------------------------------------------------------------------
    _event_results: list[Any] = []

    def absorb_event(self, payload: dict[str, Any]) -> None:
        super().absorb_event(payload)
        if not payload.get("result_method"):  # the v1 finder trigger's [{"person", "emails"}]
            self._event_results = list(payload.get("results") or [])

    def _keep(self, job: Job, results: Any) -> None:
        """Record complete answers (``[{"person", "emails"}]``) of people of this job in ``job``."""
        final = job.data.setdefault("final", {})
        keys = {person_key(p) for p in self._people}
        for result in results or []:
            if isinstance(result, Mapping) and isinstance(result.get("person"), Mapping):
                key = person_key(result["person"])
                if key in keys and isinstance(result.get("emails"), list):
                    final[key] = result["emails"]

    def _advance_v1(self, job: Job) -> list[tuple[dict[str, str], list[dict[str, Any]]]]:
        data = job.data
        final: dict[str, Any] = data.setdefault("final", {})  # key -> e-mails found (never read again)
        queued: list[str] = data.setdefault("queued", [])  # paid by this job
        known: list[str] = data.setdefault("known", [])  # Snov.io knows them: await, never add
        to_add: list[str] = data.setdefault("to_add", [])  # read not_found, not added yet
        uncertain: list[str] = data.setdefault("uncertain", [])  # an add whose answer was lost
        self._keep(job, self._event_results)
        job.save()
        by_key = {person_key(p): p for p in self._people}
        # 1. people read not_found by an earlier try: queue them.
        for key in [k for k in to_add if k not in final and k not in known]:
            self._add(job, key, by_key[key])
        # 2. every other person Snov.io may not know: read (free), and queue at once if not found.
        for key, person in by_key.items():
            if key in final or key in known or key in to_add:
                continue
            first = FinderPoller([person])
            poll_sync(self.hook.call, first)
            state = first.states.get(0)
            if 0 in first.results:
                final[key] = first.results[0]
            elif state == TaskState.NOT_FOUND.value:
                to_add.append(key)
                job.save()
                self._add(job, key, person)
                continue
            else:  # in progress: Snov.io has it
                known.append(key)
                if key in uncertain:
                    queued.append(key)  # the add whose answer was lost did take effect (and was paid)
            job.save()
        # 3. wait for the rest.
        pending = [p for k, p in by_key.items() if k not in final]
        if pending:
            from airflow_provider_snovio.triggers.snovio import SnovioEmailFinderTrigger

            poller = FinderPoller(pending)

            def trigger(deadline: float) -> BaseTrigger:  # only what the check on the worker left pending
                left = [p for i, p in enumerate(pending) if i not in poller.results]
                return SnovioEmailFinderTrigger(
                    left, snovio_conn_id=self.snovio_conn_id, deadline=deadline, poll_interval=self.poll_interval
                )

            try:
                payload = self.wait_for(job, poller, trigger)
            except SnovioTaskTimeoutError as error:
                self._keep(job, poller.pending_payload()["results"])
                job.save()
                raise self._timed_out(job, str(error)) from error
            except BaseException:  # the quota, a deferral, a failure: keep every complete answer so far
                self._keep(job, poller.pending_payload()["results"])
                job.save()
                raise
            self._keep(job, payload["results"])
            job.save()
        return [(p, final[k]) for k, p in by_key.items()]

    def _add(self, job: Job, key: str, person: dict[str, str]) -> None:
        """Queue one person (1 credit) and record it; a lost answer marks it uncertain (read before resending)."""
        data = job.data
        try:
            self.hook.add_names_to_find_emails(**person)
        except SnovioError as error:
            if may_have_taken_effect(error):
                data["to_add"] = [k for k in data["to_add"] if k != key]
                if key not in data["uncertain"]:
                    data["uncertain"].append(key)
                job.save()
            raise
        data["to_add"] = [k for k in data["to_add"] if k != key]
        data["queued"].append(key)
        data["known"].append(key)
        job.save()

    def _timed_out(self, job: Job, message: str) -> SnovioTaskTimeoutError:
        """The timeout error, carrying (and writing to ``output_path``) every complete answer already obtained."""
        final = job.data.get("final") or {}
        found = [(p, final[person_key(p)]) for p in self._people if person_key(p) in final]
        pending = [p for p in self._people if person_key(p) not in final]
        output = self.write_output({**person, "emails": emails} for person, emails in found)
        error = SnovioTaskTimeoutError(
            f"{self.task_id}: {len(found)} of {len(self._people)} people complete, {len(pending)} still "
            f"pending; {message}"
        )
        error.results = [{**p, "emails": e} for p, e in found]  # type: ignore[attr-defined]
        error.pending = pending  # type: ignore[attr-defined]
        error.output_path = output  # type: ignore[attr-defined]
        return error

    def execute_complete(
        self, context: Context, event: dict[str, Any] | None = None, job: dict[str, Any] | None = None
    ) -> Any:
        """v1: a trigger that ended without success still brought complete answers: keep them first."""
        if (
            isinstance(event, Mapping)
            and event.get("status") in ("timeout", "error")
            and not event.get("result_method")
            and self.api_version != "v2"
        ):
            self.check_inputs()
            carried = self._job(context, job)
            self._keep(carried, event.get("results"))
            carried.save()
            job = carried.data
            if event["status"] == "timeout":
                raise self._timed_out(carried, str(event.get("message") or "the wait timed out"))
        return super().execute_complete(context, event=event, job=job)

    # --- v2 -----------------------------------------------------------------------------------------
    def _advance_v2(self, job: Job) -> list[tuple[dict[str, str], list[dict[str, Any]]]]:
        chunks = job.data.setdefault("chunks", [])
        if not chunks:
            chunks.extend(
                {"rows": self._people[i : i + V2_ROWS_PER_TASK]} for i in range(0, len(self._people), V2_ROWS_PER_TASK)
            )
        result_method = result_of(ENDPOINTS.start_emails_by_name)
        bodies = self.run_tasks(
            job,
            result_method,
            chunks,
            lambda c: self.hook.start_emails_by_name(c["rows"]),
            lambda c: len(c["rows"]),
            "finder task",
        )  # marker, expired hash: _async
        found = []
        for chunk, body in zip(chunks, bodies, strict=True):
            items = body.get("data") or []
            if len(items) != len(chunk["rows"]):
                raise SnovioResponseError(f"v2 finder answered {len(items)} rows for {len(chunk['rows'])} people")
            for person, item in zip(chunk["rows"], items, strict=True):  # answers come in the order sent
                emails = item.get("result") if isinstance(item, dict) else None
                found.append(
                    (
                        person,
                        [
                            {"email": e.get("email"), "status": e.get("smtp_status")}
                            for e in emails or []
                            if isinstance(e, dict) and e.get("email")
                        ],
                    )
                )
        return found

"""Email finder by name and domain: v1 (#12/#13, "queue, then ask again") or v2 (start/result, 10 rows a task).

v1: the finder read (#12) is free; a ``not_found`` person is queued once with add-names (#13, 1 credit),
recorded in the job before waiting, and then asked again until ``complete`` or the timeout. A retry reads
first and never queues a person this job already queued. v2: one task per 10 people, each ``task_hash``
recorded before waiting.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api.catalogue import endpoint
from airflow_provider_snovio.api.errors import SnovioResponseError, SnovioValidationError
from airflow_provider_snovio.operators._async import Job, SnovioAsyncOperator
from airflow_provider_snovio.triggers.pollers import FinderPoller, check_people, poll_sync

if TYPE_CHECKING:
    from airflow.sdk import Context
    from airflow.triggers.base import BaseTrigger

API_VERSIONS = ("v1", "v2")
#: Rows per v2 start request (the documented maximum).
V2_ROWS_PER_TASK = 10
#: The v1 finder's reads count against an hourly quota (200/h on Starter): poll gently by default.
DEFAULT_FINDER_POLL_INTERVAL = 30.0


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

    def __init__(self, *, people: Sequence[Mapping[str, str]], api_version: str = "v1",
                 poll_interval: float = DEFAULT_FINDER_POLL_INTERVAL, **kwargs: Any) -> None:
        super().__init__(poll_interval=poll_interval, **kwargs)
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
            "counts": {"people": len(found), "found": sum(1 for _, e in found if e),
                       "emails": sum(len(e) for _, e in found)},
            "queued": len(job.data.get("queued", [])),  # v1: names queued with add-names (1 credit each)
            "task_hashes": [c["task_hash"] for c in job.data.get("chunks", [])],  # v2: one task per 10 people
            "output_path": output,
        }

    # --- v1 -----------------------------------------------------------------------------------------
    _event_results: list[Any] = []

    def absorb_event(self, payload: dict[str, Any]) -> None:
        super().absorb_event(payload)
        if not payload.get("result_method"):  # the v1 finder trigger's [{"person", "answer"}]
            self._event_results = list(payload.get("results") or [])

    def _advance_v1(self, job: Job) -> list[tuple[dict[str, str], list[dict[str, Any]]]]:
        queued: list[str] = job.data.setdefault("queued", [])
        answers: dict[str, Any] = {person_key(r["person"]): r["answer"] for r in self._event_results
                                   if isinstance(r, dict) and isinstance(r.get("person"), dict)}
        to_read = [p for p in self._people if person_key(p) not in answers]
        if to_read:
            first = FinderPoller(to_read)
            poll_sync(self.hook.call, first)
            answers.update({person_key(to_read[i]): body for i, body in first.results.items()})
            for i, person in enumerate(to_read):
                key = person_key(person)
                if first.states.get(i) == "not_found" and key not in queued:
                    self.hook.add_names_to_find_emails(**person)  # 1 credit
                    queued.append(key)
                    job.save()
        pending = [p for p in self._people if person_key(p) not in answers]
        if pending:
            from airflow_provider_snovio.triggers.snovio import SnovioEmailFinderTrigger

            def trigger(deadline: float) -> BaseTrigger:
                return SnovioEmailFinderTrigger(pending, snovio_conn_id=self.snovio_conn_id, deadline=deadline,
                                                poll_interval=self.poll_interval)

            for result in self.wait_for(job, FinderPoller(pending), trigger)["results"]:
                answers[person_key(result["person"])] = result["answer"]
        found = []
        for person in self._people:
            data = answers[person_key(person)].get("data")
            emails = data.get("emails") if isinstance(data, dict) else None
            found.append((person, [{"email": e.get("email"), "status": e.get("emailStatus")}
                                   for e in emails or [] if isinstance(e, dict) and e.get("email")]))
        return found

    # --- v2 -----------------------------------------------------------------------------------------
    def _advance_v2(self, job: Job) -> list[tuple[dict[str, str], list[dict[str, Any]]]]:
        chunks = job.data.setdefault("chunks", [])
        if not chunks:
            chunks.extend({"rows": self._people[i:i + V2_ROWS_PER_TASK]}
                          for i in range(0, len(self._people), V2_ROWS_PER_TASK))
        result_method = endpoint("start_emails_by_name").result
        bodies = self.run_tasks(job, result_method, chunks, lambda c: self.hook.start_emails_by_name(c["rows"]),
                                lambda c: len(c["rows"]), "finder task")  # marker, expired hash: _async
        found = []
        for chunk, body in zip(chunks, bodies, strict=True):
            items = body.get("data") or []
            if len(items) != len(chunk["rows"]):
                raise SnovioResponseError(f"v2 finder answered {len(items)} rows for {len(chunk['rows'])} people")
            for person, item in zip(chunk["rows"], items, strict=True):  # answers come in the order sent
                emails = item.get("result") if isinstance(item, dict) else None
                found.append((person, [{"email": e.get("email"), "status": e.get("smtp_status")}
                                       for e in emails or [] if isinstance(e, dict) and e.get("email")]))
        return found

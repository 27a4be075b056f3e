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

from airflow_provider_snovio.api.catalogue import ENDPOINTS
from airflow_provider_snovio.api.errors import SnovioResponseError, SnovioTaskTimeoutError, SnovioValidationError
from airflow_provider_snovio.api.status import TaskState, finder_credits, status_word
from airflow_provider_snovio.operators._async import DEFAULT_TIMEOUT, SnovioQueueThenAskOperator
from airflow_provider_snovio.operators.state import Job
from airflow_provider_snovio.triggers.pollers import FINDER_POLL_INTERVAL, V1_TIMEOUT, FinderPoller, check_people

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


class SnovioEmailFinderOperator(SnovioQueueThenAskOperator):
    """Find people's e-mails from first name, last name and company domain.

    XCom: ``{"people": [{"first_name", "last_name", "domain", "emails": [{"email", "status"}]}],
    "counts": {"people", "found", "emails", "credits"}, "queued": n, "output_path"}``. ``status`` is
    lowercase whatever case Snov.io answers in; ``credits`` is what the answers cost: v2, 1 per e-mail whose
    status is valid or unknown (the 2026 text: unknown results are charged too); v1, 1 per name queued.

    :param people: ``[{"first_name": ..., "last_name": ..., "domain": ...}, ...]`` (templated).
    :param api_version: ``"v1"`` (find, queue the not-found, ask again) or ``"v2"`` (start/result).
    """

    template_fields: Sequence[str] = (*SnovioQueueThenAskOperator.template_fields, "people", "api_version")

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
        self._credits = 0
        found = self._advance_v2(job) if self.api_version == "v2" else self._advance_v1(job)
        output = self.write_output({**person, "emails": emails} for person, emails in found)
        queued = len(job.data.get("queued", []))
        return {
            "people": [{**person, "emails": emails} for person, emails in found],
            "counts": {
                "people": len(found),
                "found": sum(1 for _, e in found if e),
                "emails": sum(len(e) for _, e in found),
                # v2: 1 per e-mail valid OR unknown (2026); v1: 1 per name queued with add-names
                "credits": self._credits if self.api_version == "v2" else queued,
            },
            "queued": queued,  # v1: names queued with add-names (1 credit each)
            "task_hashes": [c["task_hash"] for c in job.data.get("chunks", [])],  # v2: one task per 10 people
            "output_path": output,
        }

    # --- v1: read, queue the not-found, ask again (the loop is SnovioQueueThenAskOperator's) --------------
    v1_unqueued_state = TaskState.NOT_FOUND.value
    v1_noun = "names to find e-mails"

    def v1_items(self) -> dict[str, Any]:
        return {person_key(p): p for p in self._people}

    def v1_poller(self, items: list[Any]) -> FinderPoller:
        return FinderPoller(items)

    def v1_finals(self, results: Any) -> dict[str, Any]:
        """The e-mails of this job's people in a finder poller's or event's ``[{"person", "emails"}]``."""
        keys = {person_key(p) for p in self._people}
        finals: dict[str, Any] = {}
        for result in results if isinstance(results, list) else []:
            if isinstance(result, Mapping) and isinstance(result.get("person"), Mapping):
                key = person_key(result["person"])
                if key in keys and isinstance(result.get("emails"), list):
                    finals[key] = result["emails"]
        return finals

    def v1_states(self, poller: Any) -> dict[str, str]:
        return {person_key(poller.people[i]): state for i, state in poller.states.items()}

    def v1_queue(self, items: list[Any]) -> None:
        for person in items:  # one name per request, 1 credit
            self.hook.add_names_to_find_emails(**person)

    def v1_trigger(self, items: list[Any], deadline: float) -> BaseTrigger:
        from airflow_provider_snovio.triggers.snovio import SnovioEmailFinderTrigger

        return SnovioEmailFinderTrigger(
            items, snovio_conn_id=self.snovio_conn_id, deadline=deadline, poll_interval=self.poll_interval
        )

    def _advance_v1(self, job: Job) -> list[tuple[dict[str, str], list[dict[str, Any]]]]:
        final = self.advance_v1(job)
        return [(p, final[person_key(p)]) for p in self._people]

    def v1_timed_out(self, job: Job, message: str) -> SnovioTaskTimeoutError:
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

    # --- v2 -----------------------------------------------------------------------------------------
    def _advance_v2(self, job: Job) -> list[tuple[dict[str, str], list[dict[str, Any]]]]:
        answers = self.run_chunked_tasks(
            job, ENDPOINTS.start_emails_by_name, self._people, V2_ROWS_PER_TASK, "rows", "finder task"
        )  # marker, expired hash: _async
        found = []
        for rows, body in answers:
            items = body.get("data") or []
            self._credits += finder_credits(items)
            if len(items) != len(rows):
                raise SnovioResponseError(f"v2 finder answered {len(items)} rows for {len(rows)} people")
            for person, item in zip(rows, items, strict=True):  # answers come in the order sent
                emails = item.get("result") if isinstance(item, dict) else None
                found.append(
                    (
                        person,
                        [
                            {"email": e.get("email"), "status": status_word(e.get("smtp_status"))}
                            for e in emails or []
                            if isinstance(e, dict) and e.get("email")
                        ],
                    )
                )
        return found

"""Pollers: what to read and when a wait is over, for every asynchronous Snov.io family, without any I/O.

Why sans-I/O: a sensor's ``poke`` and an operator's synchronous wait (worker, sync client) and a trigger
(triggerer, async client) must decide *exactly* the same way. A poller says which free read calls to
make (:meth:`Poller.calls`), takes their answers (:meth:`Poller.absorb`, classified by
:mod:`airflow_provider_snovio.api.status`) and says when the wait is over (:meth:`Poller.done_payload`).
The worker drives it with the hook, the trigger with the async client; neither holds family logic.

Pollers only ever name free read endpoints (:func:`check_poll_method`, checked when a poller is built and
again before every call): waiting can never start, queue or pay for anything.

A poller's calls name catalogue rows (``ENDPOINTS.get_campaign_progress``). Its constructor arguments are
plain JSON (``kwargs()``), so a trigger can serialise it: a result method travels as its name and is turned
back into its row once, when the poller is built.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

from airflow_provider_snovio.api.catalogue import ENDPOINTS, Endpoint, Task, endpoint
from airflow_provider_snovio.api.errors import SnovioError, SnovioValidationError
from airflow_provider_snovio.api.status import (
    TaskState,
    campaign_progress_state,
    finder_emails,
    finder_state,
    task_state,
    url_prospect,
    verification_state,
    verification_summary,
)

#: Free reads that are POSTs on the wire (v1) or plain GETs without a task: named one by one, so a new
#: catalogue row never becomes pollable by accident. Every v2 ``get_*_result`` (task RESULT rows) is allowed.
FREE_V1_READS: frozenset[Endpoint] = frozenset(
    {
        ENDPOINTS.get_emails_verification_status,  # #17, free (the hourly verifier quota counts it)
        ENDPOINTS.get_emails_from_names,  # #12, free (the hourly finder quota counts it)
        ENDPOINTS.get_campaign_progress,  # #20, GET
        ENDPOINTS.get_emails_from_url,  # #15, a POST on the wire but a free read (queueing the URL, #14, is what costs)
        ENDPOINTS.get_recipients_status,  # #74, GET, free (2026): SnovioRecipientStatusSensor
    }
)

#: Snov.io suggests asking again about a greylisted address after 15 min - 1 h.
GREYLISTED_POLL_INTERVAL = 900.0

# Per-family polling defaults. Every v1 status read counts against an hourly quota (verifier: e-mails read,
# 500/h on Starter; finder: requests, 200/h on Starter) and every read against the account's 60/min, so the
# v1 families poll once a minute and one round sends at most a few requests (round-robin across the pending
# items): a wait of 1,000 items never holds the account's whole budget, other tasks still get through.
#: Seconds between rounds of v1 verification status reads (#17).
VERIFICATION_POLL_INTERVAL = 60.0
#: Seconds between rounds of v1 finder reads (#12).
FINDER_POLL_INTERVAL = 60.0
#: v1 verification: status requests (10 e-mails each) per round.
VERIFICATION_REQUESTS_PER_ROUND = 5
#: v1 finder: requests (1 person each) per round.
FINDER_REQUESTS_PER_ROUND = 10
#: v2 tasks: result reads per round.
TASK_REQUESTS_PER_ROUND = 20
#: Default wait of the v1 operators: two hours. Snov.io asks to re-check a greylisted address after 15 min -
#: 1 h, and a spent hourly quota frees up within the hour; in deferrable mode the wait holds no worker slot.
V1_TIMEOUT = 7200.0
#: E-mails per v1 status request (#17 takes at most 10).
STATUS_CHUNK = 10


def check_poll_method(method: Endpoint | str) -> Endpoint:
    """The row of ``method`` (a row, or a name from a trigger's kwargs) if it is a free read a waiter may call;
    else :class:`SnovioValidationError` naming ``result_method``."""
    row = endpoint(method, "result_method")
    allowed = row.task is Task.RESULT or row in FREE_V1_READS
    if not allowed or row.spends_credits:
        raise SnovioValidationError("result_method", f"{row.name!r} is not a free result/status read")
    return row


class Poller:
    """Base: ``calls()`` -> answers -> ``absorb(answers)`` -> ``done_payload()`` (None while waiting).

    ``absorb`` takes the answers of the last ``calls()`` in order, and may take only the first ones: a
    round stopped part-way (the hourly quota, a 5xx) keeps what its earlier requests brought.
    """

    def kwargs(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def calls(self) -> list[tuple[Endpoint, dict[str, Any]]]:  # pragma: no cover - abstract
        raise NotImplementedError

    def absorb(self, answers: Sequence[Any]) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def done_payload(self) -> dict[str, Any] | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def pending_payload(self) -> dict[str, Any]:
        """What is still awaited (for a timeout event or message)."""
        return {}

    def failed_call(self, index: int, error: BaseException) -> None:
        """The ``index``-th call of the last ``calls()`` raised ``error`` (after the earlier answers were
        absorbed); pollers that name failed items in their payloads record it."""

    def wait_hint(self, poll_interval: float) -> float:
        """Seconds until the next poll is worth making (greylisted addresses ask for longer)."""
        return poll_interval


def _strings(field: str, values: Any) -> list[str]:
    if isinstance(values, str) or not isinstance(values, Sequence) or not values:
        raise SnovioValidationError(field, "expected a non-empty list")
    return [str(v) for v in values]


def round_robin(items: Sequence[Any], offset: int, limit: int) -> list[Any]:
    """At most ``limit`` of ``items``, starting at ``offset`` (modulo) and wrapping around: successive rounds
    that each read a few pending items reach every one of them in turn."""
    if not items:
        return []
    start = offset % len(items)
    return (list(items[start:]) + list(items[:start]))[: max(1, limit)]


def _per_round(field: str, value: Any) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise SnovioValidationError(field, f"expected a whole number, got {value!r}") from None
    if number < 1:
        raise SnovioValidationError(field, "must be at least 1")
    return number


class TaskPoller(Poller):
    """v2 tasks of one family: every ``task_hash`` read with ``result_method`` until ``completed``.

    A round reads at most ``max_requests_per_round`` pending tasks (round-robin); completed ones are
    never read again. The completed bodies stay in :attr:`results` (in memory, for a waiter on the
    worker); the payloads carry only hashes, counts and the status of a failed task: a trigger's event is
    stored in the metadata DB, and result bodies (prospects, e-mails) are personal data. A waiter that
    deferred reads the results back on the worker (:func:`read_task_results`, free GETs).
    """

    def __init__(
        self,
        task_hashes: Sequence[str],
        result_method: Endpoint | str,
        max_requests_per_round: int = TASK_REQUESTS_PER_ROUND,
    ) -> None:
        self.result_method = check_poll_method(result_method)
        if self.result_method.task is not Task.RESULT:
            raise SnovioValidationError("result_method", f"{self.result_method.name!r} is not a v2 task result method")
        check = self.result_method.params_by_name["task_hash"].check
        self.task_hashes = [check("task_hash", h) for h in _strings("task_hashes", task_hashes)]
        self.max_requests_per_round = _per_round("max_requests_per_round", max_requests_per_round)
        self.results: dict[str, Any] = {}
        self.failed: dict[str, str] = {}  # task_hash -> the status that ended it (e.g. not_enough_credits)
        self._issued: list[str] = []
        self._offset = 0

    def kwargs(self) -> dict[str, Any]:
        return {
            "task_hashes": list(self.task_hashes),
            "result_method": self.result_method.name,
            "max_requests_per_round": self.max_requests_per_round,
        }

    def _pending(self) -> list[str]:
        return [h for h in self.task_hashes if h not in self.results]

    def calls(self) -> list[tuple[Endpoint, dict[str, Any]]]:
        self._issued = round_robin(self._pending(), self._offset, self.max_requests_per_round)
        self._offset += len(self._issued)
        return [(self.result_method, {"task_hash": h}) for h in self._issued]

    def absorb(self, answers: Sequence[Any]) -> None:
        for task_hash, body in zip(self._issued, answers, strict=False):
            self.failed.pop(task_hash, None)
            try:
                state = task_state(body)  # not_enough_credits raises: terminal
            except SnovioError:
                status = body.get("status") if isinstance(body, Mapping) else None
                self.failed[task_hash] = str(status)[:40]
                raise
            if state is TaskState.DONE:
                self.results[task_hash] = body

    def failed_call(self, index: int, error: BaseException) -> None:
        if 0 <= index < len(self._issued):
            self.failed[self._issued[index]] = failure_status(error)

    def _completed(self) -> list[str]:
        return [h for h in self.task_hashes if h in self.results]

    def done_payload(self) -> dict[str, Any] | None:
        if self._pending():
            return None
        return {**self.kwargs(), "completed": self._completed(), "counts": {"completed": len(self.task_hashes)}}

    def pending_payload(self) -> dict[str, Any]:
        pending = self._pending()
        return {
            **self.kwargs(),
            "pending": pending,
            "completed": self._completed(),
            "failed": dict(self.failed),
            "counts": {"completed": len(self.results), "pending": len(pending), "failed": len(self.failed)},
        }


def failure_status(error: BaseException) -> str:
    """A short status for the task a read failed on: Snov.io's own word where the error class is its
    (``not_enough_credits``, an unknown or expired hash), else the error class."""
    from airflow_provider_snovio.api.errors import SnovioNotFoundError, SnovioOutOfCreditsError

    if isinstance(error, SnovioOutOfCreditsError):
        return "not_enough_credits"
    if isinstance(error, SnovioNotFoundError):
        return "not_found"
    return type(error).__name__


def read_task_results(call: Any, result_method: Endpoint | str, task_hashes: Sequence[str]) -> dict[str, Any]:
    """``{task_hash: body}`` of the ``task_hashes`` a trigger reported completed, read again on the worker
    with ``call(row, **arguments)`` (the hook's): one free GET each (v2 results are not quota-counted).

    A body that is not ``completed`` (an unknown status, a task Snov.io changed since) and a hash Snov.io
    no longer knows (expired since the event: 404) are left out, so the caller waits for them again and
    its own wait handles the expiry; ``not_enough_credits`` raises as in a poll.
    """
    from airflow_provider_snovio.api.errors import SnovioNotFoundError

    row = check_poll_method(result_method)
    bodies: dict[str, Any] = {}
    for task_hash in task_hashes:
        try:
            body = call(row, task_hash=task_hash)
        except SnovioNotFoundError:
            continue
        if task_state(body) is TaskState.DONE:
            bodies[task_hash] = body
    return bodies


def check_emails(field: str, emails: Any) -> list[str]:
    """Any number of e-mails, each validated and de-duplicated by the verifier's catalogue validator."""
    check = ENDPOINTS.get_emails_verification_status.params_by_name["emails"].check
    validate = getattr(check, "uncapped", check)  # the client splits long lists into requests of 10
    return list(validate(field, _strings(field, emails)))


class VerificationPoller(Poller):
    """v1 verification status (#17) of every e-mail until each is final.

    ``in_progress`` waits; ``not_verified`` waits too: a waiter never queues anything (that costs
    credits), so an address nobody queued is awaited until the deadline. ``greylisted``: with
    ``wait_for_greylisted`` (default) Snov.io is still retrying the address, so it is read again only
    ``greylisted_poll_interval`` seconds later (Snov.io advises 15 min - 1 h); without, greylisted is a
    final answer. Final answers are kept as compact verdicts (:func:`verification_summary`) and never
    read again; a round reads at most ``max_requests_per_round`` requests of 10 pending addresses,
    round-robin, so every pending address is reached in turn.
    """

    def __init__(
        self,
        emails: Sequence[str],
        greylisted_poll_interval: float = GREYLISTED_POLL_INTERVAL,
        wait_for_greylisted: bool = True,
        max_requests_per_round: int = VERIFICATION_REQUESTS_PER_ROUND,
    ) -> None:
        self.emails = check_emails("emails", emails)
        self.greylisted_poll_interval = float(greylisted_poll_interval)
        self.wait_for_greylisted = bool(wait_for_greylisted)
        self.max_requests_per_round = _per_round("max_requests_per_round", max_requests_per_round)
        self.results: dict[str, dict[str, Any]] = {}
        self.states: dict[str, str] = {}
        self.not_before: dict[str, float] = {}  # greylisted: not read again before this epoch time
        self._issued: list[list[str]] = []
        self._offset = 0

    def kwargs(self) -> dict[str, Any]:
        return {
            "emails": list(self.emails),
            "greylisted_poll_interval": self.greylisted_poll_interval,
            "wait_for_greylisted": self.wait_for_greylisted,
            "max_requests_per_round": self.max_requests_per_round,
        }

    def _pending(self) -> list[str]:
        return [e for e in self.emails if e not in self.results]

    def calls(self) -> list[tuple[Endpoint, dict[str, Any]]]:
        now = time.time()
        due = [e for e in self._pending() if self.not_before.get(e, 0.0) <= now]
        chosen = round_robin(due, self._offset, self.max_requests_per_round * STATUS_CHUNK)
        self._offset += len(chosen)
        self._issued = [chosen[i : i + STATUS_CHUNK] for i in range(0, len(chosen), STATUS_CHUNK)]
        return [(ENDPOINTS.get_emails_verification_status, {"emails": chunk}) for chunk in self._issued]

    def absorb(self, answers: Sequence[Any]) -> None:
        now = time.time()
        for chunk, body in zip(self._issued, answers, strict=False):
            entries = _entries_by_email(body)
            for email in chunk:
                entry = entries.get(email.lower())
                state = verification_state(entry) if entry is not None else TaskState.PENDING
                self.states[email] = state.value
                if state is TaskState.DONE or (state is TaskState.GREYLISTED and not self.wait_for_greylisted):
                    self.results[email] = verification_summary(entry)
                elif state is TaskState.GREYLISTED:
                    self.not_before[email] = now + self.greylisted_poll_interval

    def done_payload(self) -> dict[str, Any] | None:
        if self._pending():
            return None
        return {"results": {e: self.results[e] for e in self.emails}, "counts": {"final": len(self.emails)}}

    def pending_payload(self) -> dict[str, Any]:
        pending = self._pending()
        return {
            "pending": pending,
            "states": {e: self.states.get(e, "pending") for e in pending},
            "results": dict(self.results),
            "counts": {"final": len(self.results), "pending": len(pending)},
        }

    def wait_hint(self, poll_interval: float) -> float:
        pending = self._pending()
        if not pending:
            return poll_interval
        now = time.time()
        earliest = min(self.not_before.get(e, 0.0) for e in pending)
        return max(poll_interval, earliest - now)


def _entries_by_email(body: Any) -> dict[str, Any]:
    if not isinstance(body, Mapping):
        return {}
    return {str(k).lower(): v for k, v in body.items() if isinstance(v, Mapping)}


PERSON_FIELDS = ("first_name", "last_name", "domain")


def check_people(field: str, people: Any) -> list[dict[str, str]]:
    """``[{first_name, last_name, domain}]`` validated with the finder's own catalogue validators."""
    if isinstance(people, Mapping | str) or not isinstance(people, Sequence) or not people:
        raise SnovioValidationError(field, "expected a non-empty list of {first_name, last_name, domain}")
    params = ENDPOINTS.get_emails_from_names.params_by_name
    checked = []
    for i, person in enumerate(people):
        if not isinstance(person, Mapping):
            raise SnovioValidationError(f"{field}[{i}]", "expected a mapping with first_name, last_name, domain")
        checked.append({name: params[name].check(f"{field}[{i}].{name}", person.get(name)) for name in PERSON_FIELDS})
    return checked


class FinderPoller(Poller):
    """v1 email finder (#12) for every person until ``complete``.

    ``not_found`` waits like ``in_progress``: queueing the name (add-names, 1 credit) is the operator's
    job, done once before waiting; a waiter never pays. A finished person is kept (its e-mails as
    ``[{"email", "status"}]``) and never read again; a round reads at most ``max_requests_per_round``
    pending people, round-robin.
    """

    def __init__(
        self, people: Sequence[Mapping[str, str]], max_requests_per_round: int = FINDER_REQUESTS_PER_ROUND
    ) -> None:
        self.people = check_people("people", people)
        self.max_requests_per_round = _per_round("max_requests_per_round", max_requests_per_round)
        self.results: dict[int, list[dict[str, Any]]] = {}
        self.states: dict[int, str] = {}
        self._issued: list[int] = []
        self._offset = 0

    def kwargs(self) -> dict[str, Any]:
        return {"people": [dict(p) for p in self.people], "max_requests_per_round": self.max_requests_per_round}

    def _pending(self) -> list[int]:
        return [i for i in range(len(self.people)) if i not in self.results]

    def calls(self) -> list[tuple[Endpoint, dict[str, Any]]]:
        self._issued = round_robin(self._pending(), self._offset, self.max_requests_per_round)
        self._offset += len(self._issued)
        return [(ENDPOINTS.get_emails_from_names, dict(self.people[i])) for i in self._issued]

    def absorb(self, answers: Sequence[Any]) -> None:
        for index, body in zip(self._issued, answers, strict=False):
            state = finder_state(body)
            self.states[index] = state.value
            if state is TaskState.DONE:
                self.results[index] = finder_emails(body)

    def done_payload(self) -> dict[str, Any] | None:
        if self._pending():
            return None
        return {
            "results": [{"person": self.people[i], "emails": self.results[i]} for i in range(len(self.people))],
            "counts": {"final": len(self.people)},
        }

    def pending_payload(self) -> dict[str, Any]:
        pending = self._pending()
        return {
            "pending": [self.people[i] for i in pending],
            "results": [{"person": self.people[i], "emails": e} for i, e in sorted(self.results.items())],
            "counts": {"final": len(self.results), "pending": len(pending)},
        }


class CampaignProgressPoller(Poller):
    """Campaign progress (#20) until :func:`campaign_progress_state` says done."""

    def __init__(self, campaign_id: int | str, min_progress: float = 100.0, target_status: str | None = None) -> None:
        check = ENDPOINTS.get_campaign_progress.params_by_name["campaign_id"].check
        self.campaign_id = check("campaign_id", campaign_id)
        try:
            self.min_progress = float(min_progress)
        except (TypeError, ValueError):
            raise SnovioValidationError("min_progress", f"expected a number, got {min_progress!r}") from None
        if not 0 <= self.min_progress <= 100:
            raise SnovioValidationError("min_progress", f"must be within 0..100, got {min_progress!r}")
        if target_status is not None and (not isinstance(target_status, str) or not target_status.strip()):
            raise SnovioValidationError("target_status", "expected a campaign status such as 'Completed'")
        self.target_status = target_status
        self.last: Any = None
        self.done = False

    def kwargs(self) -> dict[str, Any]:
        return {"campaign_id": self.campaign_id, "min_progress": self.min_progress, "target_status": self.target_status}

    def calls(self) -> list[tuple[Endpoint, dict[str, Any]]]:
        return [(ENDPOINTS.get_campaign_progress, {"campaign_id": self.campaign_id})]

    def absorb(self, answers: Sequence[Any]) -> None:
        if not answers:
            return
        (body,) = answers
        self.last = body
        state = campaign_progress_state(body, min_progress=self.min_progress, target_status=self.target_status)
        self.done = state is TaskState.DONE

    def done_payload(self) -> dict[str, Any] | None:
        return {**self.kwargs(), "progress": self.last} if self.done else None

    def pending_payload(self) -> dict[str, Any]:
        return {**self.kwargs(), "last": self.last}


def check_urls(field: str, urls: Any) -> list[str]:
    """Profile URLs, each validated by the catalogue's own ``url`` rule of #15, each once."""
    from airflow_provider_snovio.api.validation import list_of

    check = ENDPOINTS.get_emails_from_url.params_by_name["url"].check
    return list(list_of(check, unique=True).uncapped(field, _strings(field, urls)))


class UrlProspectPoller(Poller):
    """Prospect by profile URL (#15) for every URL until each is found.

    "Couldn't find" waits: queueing the URL (#14, 1 credit) is the operator's job, done once before
    waiting; a waiter never pays. Only the URLs still pending are read again. The prospects found stay in
    :attr:`results` (in memory, for a waiter on the worker); the payloads name only the URLs ``found``
    and ``pending`` and their counts, never a profile (a trigger's event is stored in the metadata DB): a
    waiter that deferred reads each found URL's prospect back on the worker with the same free read.
    """

    def __init__(self, urls: Sequence[str]) -> None:
        self.urls = check_urls("urls", urls)
        self.results: dict[str, dict[str, Any]] = {}

    def kwargs(self) -> dict[str, Any]:
        return {"urls": list(self.urls)}

    def _pending(self) -> list[str]:
        return [u for u in self.urls if u not in self.results]

    def _found(self) -> list[str]:
        return [u for u in self.urls if u in self.results]

    def calls(self) -> list[tuple[Endpoint, dict[str, Any]]]:
        return [(ENDPOINTS.get_emails_from_url, {"url": u}) for u in self._pending()]

    def absorb(self, answers: Sequence[Any]) -> None:
        for url, body in zip(self._pending(), answers, strict=False):
            prospect = url_prospect(body)
            if prospect is not None:
                self.results[url] = prospect

    def done_payload(self) -> dict[str, Any] | None:
        if self._pending():
            return None
        return {"found": self._found(), "counts": {"found": len(self.urls)}}

    def pending_payload(self) -> dict[str, Any]:
        pending = self._pending()
        return {
            "pending": pending,
            "found": self._found(),
            "counts": {"found": len(self.results), "pending": len(pending)},
        }


def poll_sync(call: Any, poller: Poller) -> dict[str, Any] | None:
    """One round of ``poller`` with a synchronous ``call(row, **arguments)`` (the hook's): the worker's
    twin of the trigger loop's round. Returns the done payload, or None while work is pending.

    A request that fails part-way through the round (the hourly quota, a 5xx) raises, but only after the
    answers of the requests before it were absorbed: nothing already read is lost."""
    answers: list[Any] = []
    try:
        for row, arguments in poller.calls():
            answers.append(call(check_poll_method(row), **arguments))
    except BaseException as error:
        absorb_failed_round(poller, answers, error)
        raise
    poller.absorb(answers)
    return poller.done_payload()


def absorb_failed_round(poller: Poller, answers: list[Any], error: BaseException) -> None:
    """Keep what a round that stopped at ``error`` read: the answers before it, plus those a split request
    brought before stopping (:class:`SnovioPartialError`); else tell the poller which call failed. Shared
    by :func:`poll_sync` and the trigger loop, so both lose nothing already read."""
    from airflow_provider_snovio.api.errors import SnovioPartialError

    if isinstance(error, SnovioPartialError):
        poller.absorb([*answers, error.answer])
        return
    poller.absorb(answers)
    poller.failed_call(len(answers), error)

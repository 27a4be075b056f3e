"""The Snov.io triggers, one per asynchronous family (see :mod:`.base` for the loop they share).

Each is a thin binding of a poller (:mod:`.pollers`) to the polling loop: the same poller a sensor's
``poke`` and an operator's synchronous wait use, so all three decide alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from airflow_provider_snovio import DEFAULT_CONN_ID
from airflow_provider_snovio.api.catalogue import Endpoint
from airflow_provider_snovio.triggers.base import DEFAULT_MAX_CONSECUTIVE_FAILURES, SnovioPollingTrigger
from airflow_provider_snovio.triggers.pollers import (
    FINDER_POLL_INTERVAL,
    FINDER_REQUESTS_PER_ROUND,
    GREYLISTED_POLL_INTERVAL,
    TASK_REQUESTS_PER_ROUND,
    VERIFICATION_POLL_INTERVAL,
    VERIFICATION_REQUESTS_PER_ROUND,
    CampaignProgressPoller,
    FinderPoller,
    TaskPoller,
    UrlProspectPoller,
    VerificationPoller,
)


class SnovioTaskTrigger(SnovioPollingTrigger):
    """Wait for one or more v2 tasks of one family (domain search, v2 finder, v2 verification...).

    Events carry hashes and counts, never result bodies (the metadata DB stores events; bodies hold
    personal data): success ``{"status": "success", "result_method", "task_hashes", "completed": [task_hash],
    "counts"}``, and the waiter reads each completed result back on the worker (a free GET per hash).
    Timeout/error events carry ``result_method``, ``task_hashes``, the ``pending`` and ``completed`` hashes,
    ``failed`` (``{task_hash: status}``, e.g. ``not_enough_credits``) and ``counts``.

    :param task_hashes: the ``task_hash`` of every started task.
    :param result_method: the catalogue row reading their result, e.g. ``ENDPOINTS.get_domain_search_result``,
        or its name; the serialised kwargs keep the name, turned back into the row (and checked) when built.
    :param max_requests_per_round: result reads per round (round-robin across the pending tasks).
    """

    poller_class = TaskPoller

    def __init__(
        self,
        task_hashes: Sequence[str],
        result_method: Endpoint | str,
        *,
        snovio_conn_id: str = DEFAULT_CONN_ID,
        deadline: float,
        poll_interval: float = 5.0,
        max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
        max_requests_per_round: int = TASK_REQUESTS_PER_ROUND,
    ) -> None:
        super().__init__(
            snovio_conn_id=snovio_conn_id,
            deadline=deadline,
            poll_interval=poll_interval,
            max_consecutive_failures=max_consecutive_failures,
            task_hashes=task_hashes,
            result_method=result_method,
            max_requests_per_round=max_requests_per_round,
        )


class SnovioEmailVerificationTrigger(SnovioPollingTrigger):
    """Wait until every e-mail has a final v1 verification status (greylisted ones are asked again later,
    unless ``wait_for_greylisted=False``: then greylisted is final).

    Events carry compact verdicts, never whole answers: success ``{"status": "success", "results": {email:
    {"smtp_status", "is_valid_format", ...}}, "counts"}``; timeout and error events carry ``pending``,
    ``states`` and the ``results`` already final, so the waiter loses none of them.
    """

    poller_class = VerificationPoller

    def __init__(
        self,
        emails: Sequence[str],
        *,
        greylisted_poll_interval: float = GREYLISTED_POLL_INTERVAL,
        wait_for_greylisted: bool = True,
        snovio_conn_id: str = DEFAULT_CONN_ID,
        deadline: float,
        poll_interval: float = VERIFICATION_POLL_INTERVAL,
        max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
        max_requests_per_round: int = VERIFICATION_REQUESTS_PER_ROUND,
    ) -> None:
        super().__init__(
            snovio_conn_id=snovio_conn_id,
            deadline=deadline,
            poll_interval=poll_interval,
            max_consecutive_failures=max_consecutive_failures,
            emails=emails,
            greylisted_poll_interval=greylisted_poll_interval,
            wait_for_greylisted=wait_for_greylisted,
            max_requests_per_round=max_requests_per_round,
        )


class SnovioEmailFinderTrigger(SnovioPollingTrigger):
    """Wait until the v1 email finder answers ``complete`` for every queued person.

    Success event: ``{"status": "success", "results": [{"person": {...}, "emails": [{"email", "status"}]}],
    "counts"}`` (the e-mails found, not the whole answers); timeout and error events carry ``pending`` and
    the ``results`` already complete.
    """

    poller_class = FinderPoller

    def __init__(
        self,
        people: Sequence[Mapping[str, str]],
        *,
        snovio_conn_id: str = DEFAULT_CONN_ID,
        deadline: float,
        poll_interval: float = FINDER_POLL_INTERVAL,
        max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
        max_requests_per_round: int = FINDER_REQUESTS_PER_ROUND,
    ) -> None:
        super().__init__(
            snovio_conn_id=snovio_conn_id,
            deadline=deadline,
            poll_interval=poll_interval,
            max_consecutive_failures=max_consecutive_failures,
            people=people,
            max_requests_per_round=max_requests_per_round,
        )


class SnovioCampaignProgressTrigger(SnovioPollingTrigger):
    """Wait until a campaign's progress reaches ``min_progress`` %, its status is a finished one, or it is
    ``target_status``. Success event: ``{"status": "success", "campaign_id", ..., "progress": body of #20}``.
    """

    poller_class = CampaignProgressPoller

    def __init__(
        self,
        campaign_id: int | str,
        *,
        min_progress: float = 100.0,
        target_status: str | None = None,
        snovio_conn_id: str = DEFAULT_CONN_ID,
        deadline: float,
        poll_interval: float = 60.0,
        max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
    ) -> None:
        super().__init__(
            snovio_conn_id=snovio_conn_id,
            deadline=deadline,
            poll_interval=poll_interval,
            max_consecutive_failures=max_consecutive_failures,
            campaign_id=campaign_id,
            min_progress=min_progress,
            target_status=target_status,
        )


class SnovioProfileUrlTrigger(SnovioPollingTrigger):
    """Wait until the prospect behind every queued LinkedIn/X profile URL is found (#15, a free read).

    Events name URLs and counts, never a profile: success ``{"status": "success", "found": [url], "counts"}``;
    timeout/error events carry the ``pending`` URLs and those ``found`` so far. The operator reads each
    found URL's prospect back on the worker (the same free read, #15).

    :param urls: profile URLs already queued for search (#14) by the operator.
    """

    poller_class = UrlProspectPoller

    def __init__(
        self,
        urls: Sequence[str],
        *,
        snovio_conn_id: str = DEFAULT_CONN_ID,
        deadline: float,
        poll_interval: float = 30.0,
        max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES,
    ) -> None:
        super().__init__(
            snovio_conn_id=snovio_conn_id,
            deadline=deadline,
            poll_interval=poll_interval,
            max_consecutive_failures=max_consecutive_failures,
            urls=urls,
        )


__all__ = [
    "SnovioCampaignProgressTrigger",
    "SnovioEmailFinderTrigger",
    "SnovioEmailVerificationTrigger",
    "SnovioProfileUrlTrigger",
    "SnovioTaskTrigger",
]

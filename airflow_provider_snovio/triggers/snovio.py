"""The Snov.io triggers, one per asynchronous family (see :mod:`.base` for the loop they share).

Each is a thin binding of a poller (:mod:`.pollers`) to the polling loop: the same poller a sensor's
``poke`` and an operator's synchronous wait use, so all three decide alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from airflow_provider_snovio import DEFAULT_CONN_ID
from airflow_provider_snovio.triggers.base import DEFAULT_MAX_CONSECUTIVE_FAILURES, SnovioPollingTrigger
from airflow_provider_snovio.triggers.pollers import (
    GREYLISTED_POLL_INTERVAL,
    CampaignProgressPoller,
    FinderPoller,
    TaskPoller,
    UrlProspectPoller,
    VerificationPoller,
)


class SnovioTaskTrigger(SnovioPollingTrigger):
    """Wait for one or more v2 tasks of one family (domain search, v2 finder, v2 verification...).

    Success event: ``{"status": "success", "result_method", "task_hashes", "results": {task_hash: body}}``.
    Timeout/error events carry ``result_method``, ``task_hashes`` and the ``pending`` hashes.

    :param task_hashes: the ``task_hash`` of every started task.
    :param result_method: the hook method reading their result, e.g. ``"get_domain_search_result"``.
    """

    poller_class = TaskPoller

    def __init__(self, task_hashes: Sequence[str], result_method: str, *, snovio_conn_id: str = DEFAULT_CONN_ID,
                 deadline: float, poll_interval: float = 5.0,
                 max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES) -> None:
        super().__init__(snovio_conn_id=snovio_conn_id, deadline=deadline, poll_interval=poll_interval,
                         max_consecutive_failures=max_consecutive_failures, task_hashes=task_hashes,
                         result_method=result_method)


class SnovioEmailVerificationTrigger(SnovioPollingTrigger):
    """Wait until every e-mail has a final v1 verification status (greylisted ones are asked again later).

    Success event: ``{"status": "success", "results": {email: entry of #17}}``; timeout: ``pending``, ``states``.
    """

    poller_class = VerificationPoller

    def __init__(self, emails: Sequence[str], *, greylisted_poll_interval: float = GREYLISTED_POLL_INTERVAL,
                 snovio_conn_id: str = DEFAULT_CONN_ID, deadline: float, poll_interval: float = 5.0,
                 max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES) -> None:
        super().__init__(snovio_conn_id=snovio_conn_id, deadline=deadline, poll_interval=poll_interval,
                         max_consecutive_failures=max_consecutive_failures, emails=emails,
                         greylisted_poll_interval=greylisted_poll_interval)


class SnovioEmailFinderTrigger(SnovioPollingTrigger):
    """Wait until the v1 email finder answers ``complete`` for every queued person.

    Success event: ``{"status": "success", "results": [{"person": {...}, "answer": body of #12}]}``.
    """

    poller_class = FinderPoller

    def __init__(self, people: Sequence[Mapping[str, str]], *, snovio_conn_id: str = DEFAULT_CONN_ID,
                 deadline: float, poll_interval: float = 30.0,
                 max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES) -> None:
        super().__init__(snovio_conn_id=snovio_conn_id, deadline=deadline, poll_interval=poll_interval,
                         max_consecutive_failures=max_consecutive_failures, people=people)


class SnovioCampaignProgressTrigger(SnovioPollingTrigger):
    """Wait until a campaign's progress reaches ``min_progress`` %, its status is a finished one, or it is
    ``target_status``. Success event: ``{"status": "success", "campaign_id", ..., "progress": body of #20}``.
    """

    poller_class = CampaignProgressPoller

    def __init__(self, campaign_id: int | str, *, min_progress: float = 100.0, target_status: str | None = None,
                 snovio_conn_id: str = DEFAULT_CONN_ID, deadline: float, poll_interval: float = 60.0,
                 max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES) -> None:
        super().__init__(snovio_conn_id=snovio_conn_id, deadline=deadline, poll_interval=poll_interval,
                         max_consecutive_failures=max_consecutive_failures, campaign_id=campaign_id,
                         min_progress=min_progress, target_status=target_status)


class SnovioProfileUrlTrigger(SnovioPollingTrigger):
    """Wait until the prospect behind every queued LinkedIn/X profile URL is found (#15, a free read).

    Success event: ``{"status": "success", "results": {url: prospect}}``; timeout/error events carry the
    ``pending`` URLs and the ``results`` found so far.

    :param urls: profile URLs already queued for search (#14) by the operator.
    """

    poller_class = UrlProspectPoller

    def __init__(self, urls: Sequence[str], *, snovio_conn_id: str = DEFAULT_CONN_ID, deadline: float,
                 poll_interval: float = 30.0,
                 max_consecutive_failures: int = DEFAULT_MAX_CONSECUTIVE_FAILURES) -> None:
        super().__init__(snovio_conn_id=snovio_conn_id, deadline=deadline, poll_interval=poll_interval,
                         max_consecutive_failures=max_consecutive_failures, urls=urls)


__all__ = [
    "SnovioCampaignProgressTrigger",
    "SnovioEmailFinderTrigger",
    "SnovioEmailVerificationTrigger",
    "SnovioProfileUrlTrigger",
    "SnovioTaskTrigger",
]



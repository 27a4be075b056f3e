"""Readers of the snapshot resources whose rows take more than one call or come nested in the answer.

Why here: :class:`~airflow_provider_snovio.api.resources.Resource` reads a ``SINGLE`` resource with one call
and one list of records; the 2026 resources below need a listing followed by one call per item (warm-up
statistics, pipeline stages) or one row per element of a nested list (all replies). Each reader turns a whole
scope into the records of its rows, so the transfers treat them as any snapshot: every run reads the whole
scope and rows it no longer returns are marked deleted.

Records keep what Snov.io sent untouched (the nested object under its own key), plus the context the row
needs (``warm_up_id``, ``date``, ``occurrence``...), so ``_snovio_raw`` loses nothing a later field adds.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime, timezone
from typing import Any

from airflow_provider_snovio.api import records as r
from airflow_provider_snovio.api.catalogue import ENDPOINTS
from airflow_provider_snovio.api.errors import SnovioNotFoundError, SnovioResponseError


def _data(body: Any, what: str) -> Any:
    if not isinstance(body, dict):
        raise SnovioResponseError(f"{what}: expected an object, got {type(body).__name__}")
    return body.get("data")


def _listed(body: Any, what: str) -> list[dict[str, Any]]:
    rows = _data(body, what)
    if rows is None:
        return []
    if not isinstance(rows, list):
        raise SnovioResponseError(f"{what}: expected a list under data, got {type(rows).__name__}")
    return [row for row in rows if isinstance(row, dict)]


#: What identifies a #73 record: the contact and the reply type.
_THREAD = ("prospectId", "prospectEmail", "linkedInProfile", "replyType")


def all_reply_rows(client: Any, scope_values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One record per reply of a campaign (#73, every page): the thread's fields (``campaignId``,
    ``prospectId``, ``replyType``, ``receivedAt`` = its oldest reply...) without ``replies``, the reply itself
    under ``reply``, and ``occurrence``: how many earlier replies of the same thread share its
    ``receivedAt`` (0 for nearly all; the key needs it because times have whole seconds).

    Snov.io documents one record per contact and reply type, so a thread seen again (a page that shifted
    while it was read) is skipped rather than counted twice.
    """
    threads: Iterable[Any] = client.iter_campaign_all_replies(scope_values["campaign_id"])
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str | None, ...]] = set()
    for thread in threads:
        if not isinstance(thread, dict):
            continue
        ident = tuple(r.text(thread.get(name)) for name in _THREAD)
        if ident in seen:
            continue
        seen.add(ident)
        replies = thread.get("replies")
        base = {name: value for name, value in thread.items() if name != "replies"}
        counts: dict[datetime | None, int] = {}
        for reply in replies if isinstance(replies, list) else ():
            if not isinstance(reply, dict):
                continue
            moment = r.timestamp(reply.get("receivedAt"))
            occurrence = counts.get(moment, 0)
            counts[moment] = occurrence + 1
            rows.append({**base, "reply": reply, "occurrence": occurrence})
    return rows


def warm_up_statistics_rows(
    client: Any, scope_values: Mapping[str, Any], *, today: date | None = None
) -> list[dict[str, Any]]:
    """One record per warm-up and day (#61 ``daily_statistics``) for every warm-up of the account (#57).

    The period asked is the warm-up's whole life, ``date_from`` = its ``start_date`` to ``date_to`` = today
    (UTC; not before the start date, which #61 refuses): a fixed window such as ``period=month`` would let
    days fall out of it, and a snapshot would then mark them deleted. A warm-up without a readable
    ``start_date`` is asked ``period=month``. A warm-up deleted between the listing and its statistics (404)
    has no rows. Each record: ``warm_up_id``, ``email_account_id``, ``date``, ``is_calculated`` (false: the
    figures are still being computed, the row is provisional) and the day's figures under ``statistics``.
    """
    day = today or datetime.now(timezone.utc).date()
    rows: list[dict[str, Any]] = []
    for warm_up in client.iter_warm_ups():
        if not isinstance(warm_up, dict):
            continue
        warm_up_id = r.integer(warm_up.get("id"))
        if warm_up_id is None:
            continue
        start = r.iso_date(warm_up.get("start_date"))
        try:
            if start is None:
                body = client.get_warm_up_statistics(warm_up_id, period="month")
            else:
                end = max(day, start)
                body = client.get_warm_up_statistics(warm_up_id, date_from=start.isoformat(), date_to=end.isoformat())
        except SnovioNotFoundError:
            continue
        data = _data(body, ENDPOINTS.get_warm_up_statistics.name)
        if not isinstance(data, dict):
            raise SnovioResponseError(f"get_warm_up_statistics: expected an object under data for {warm_up_id}")
        days = data.get("daily_statistics") or {}
        if not isinstance(days, dict):
            raise SnovioResponseError(f"get_warm_up_statistics: daily_statistics of {warm_up_id} is not an object")
        account = warm_up.get("email_account")
        account_id = account.get("id") if isinstance(account, dict) else warm_up.get("email_account_id")
        for when in sorted(days):
            rows.append(
                {
                    "warm_up_id": warm_up_id,
                    "email_account_id": account_id,
                    "date": when,
                    "is_calculated": data.get("is_calculated"),
                    "statistics": days[when],
                }
            )
    return rows


def pipeline_stage_rows(client: Any, scope_values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The stages (#77) of every pipeline (#76), pipelines in listed order; ``pipeline_id`` is filled from the
    pipeline read when a stage lacks it. A pipeline gone between the two calls (404) has no stages."""
    rows: list[dict[str, Any]] = []
    for pipeline in _listed(client.list_pipelines(), ENDPOINTS.list_pipelines.name):
        pipeline_id = r.integer(pipeline.get("id"))
        if pipeline_id is None:
            continue
        try:
            stages = _listed(client.list_pipeline_stages(pipeline_id), ENDPOINTS.list_pipeline_stages.name)
        except SnovioNotFoundError:
            continue
        rows.extend(stage if "pipeline_id" in stage else {**stage, "pipeline_id": pipeline_id} for stage in stages)
    return rows

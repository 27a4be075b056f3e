"""Campaign endpoints #19-#27 and do-not-email #28.

Why faithful paging matters here: #23-#26 return at most 10,000 rows; with ``offset`` they return
rows[offset:offset+10000] (oldest first; newest first with the knob ``newest_first_events``), WITHOUT
``offset`` they return the LAST 10,000 rows of that order. With ``shared_event_ids`` a recipient's repeated
opens/clicks carry the id of its first one (Snov.io's own examples share one id). A client that
forgets ``offset`` silently loses data; one that never advances it loops forever. The sandbox reproduces both.

Decisions where the docs are silent: an unknown campaign id answers the documented 404 body; a missing or
non-numeric ``campaignId`` answers ``v1_error`` (400) naming the field; a campaign deleted through the
control route answers as the knob ``deleted_campaign_answer`` says (404, ``[]`` or ``{"success": false}``).
"""

from __future__ import annotations

import re
from datetime import date, datetime, timezone
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from airflow_provider_snovio.sandbox.auth import require_token
from airflow_provider_snovio.sandbox.control import page_served
from airflow_provider_snovio.sandbox.data.campaigns import (
    DAY,
    Campaign,
    analytics,
    engagement_row,
    finished_row,
    first_ids,
    rate,
    sent_row,
)
from airflow_provider_snovio.sandbox.errors import BadParam, EntityNotFound, not_found, v1_error
from airflow_provider_snovio.sandbox.params import get_list, request_params
from airflow_provider_snovio.sandbox.routes.common import fast_json, parse_int
from airflow_provider_snovio.sandbox.state import SandboxState, StateDep

router = APIRouter(dependencies=[Depends(require_token)], tags=["campaigns"])

PAGE_SIZE = 10_000
RECIPIENT_STATUSES = ("Active", "Paused", "Unsubscribed")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DOMAIN = re.compile(r"^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$", re.IGNORECASE)


class _DeletedCampaign(Exception):
    """A campaign deleted upstream, answered with 200 per the ``deleted_campaign_answer`` knob."""


def _campaign(state: SandboxState, raw: Any, name: str = "campaignId") -> Campaign:
    from airflow_provider_snovio.sandbox.control import deleted_campaigns

    campaign_id = parse_int(raw, name)
    assert campaign_id is not None
    camp = state.data.campaigns.by_id(campaign_id)
    if camp is None:
        if state.config.deleted_campaign_answer != "404" and campaign_id in deleted_campaigns(state):
            raise _DeletedCampaign()
        raise EntityNotFound(campaign_id)
    return camp


def _deleted_answer(state: SandboxState) -> Response:
    if state.config.deleted_campaign_answer == "200-empty":
        return fast_json([])
    return JSONResponse({"success": False, "message": "Campaign not found"})


def _page(rows: list[Any], offset: int | None) -> list[Any]:
    if offset is None:
        return rows[-PAGE_SIZE:]
    return rows[offset : offset + PAGE_SIZE]


async def _events(request: Request, state: SandboxState, kind: str) -> Response:
    params = await request_params(request)
    try:
        camp = _campaign(state, params.get("campaignId"))
    except _DeletedCampaign:
        return _deleted_answer(state)
    offset = parse_int(params.get("offset"), "offset", required=False, minimum=0)
    events = getattr(camp, kind)
    config = state.config
    page = _page(events[::-1] if config.newest_first_events else events, offset)
    if kind == "sent":
        rows = [sent_row(camp, e) for e in page]
    else:
        rows = [engagement_row(camp, e) for e in page]
        if config.shared_event_ids and kind in ("opens", "clicks"):
            shared = first_ids(events)
            for row, event in zip(rows, page, strict=True):
                row["id"] = shared[event.ridx]
    page_served(state, camp.id, kind)  # armed deletions (control routes) fire after this page
    return fast_json(rows)


@router.get("/v1/get-emails-replies")
async def get_emails_replies(request: Request, state: StateDep) -> Response:
    """#23 replies, oldest first; paging by ``offset`` (10,000 per call)."""
    return await _events(request, state, "replies")


@router.get("/v1/get-emails-opened")
async def get_emails_opened(request: Request, state: StateDep) -> Response:
    """#24 opens."""
    return await _events(request, state, "opens")


@router.get("/v1/get-emails-clicked")
async def get_emails_clicked(request: Request, state: StateDep) -> Response:
    """#25 link clicks."""
    return await _events(request, state, "clicks")


@router.get("/v1/emails-sent")
async def emails_sent(request: Request, state: StateDep) -> Response:
    """#26 sent emails."""
    return await _events(request, state, "sent")


@router.get("/v1/prospect-finished")
async def prospect_finished(request: Request, state: StateDep) -> Response:
    """#22 prospects for whom the campaign finished."""
    params = await request_params(request)
    try:
        camp = _campaign(state, params.get("campaignId"))
    except _DeletedCampaign:
        return _deleted_answer(state)
    return fast_json([finished_row(camp, ridx) for ridx in sorted(camp.finished)])


@router.get("/v1/get-user-campaigns")
async def get_user_campaigns(state: StateDep) -> Response:
    """#27 all campaigns."""
    return fast_json([camp.summary() for camp in state.data.campaigns.campaigns])


@router.post("/v1/change-recipient-status")
async def change_recipient_status(request: Request, state: StateDep) -> JSONResponse:
    """#21 Active / Paused / Unsubscribed; finished recipients cannot change (documented)."""
    params = await request_params(request)
    email = params.get_str("email")
    status = params.get_str("status")
    if email is None:
        return v1_error("email is required")
    if status is None:
        return v1_error("status is required")
    camp = _campaign(state, params.get("campaign_id"), "campaign_id")
    if status not in RECIPIENT_STATUSES:
        return v1_error(f"status must be one of {', '.join(RECIPIENT_STATUSES)}")
    ridx = camp.email_index.get(email.lower())
    if ridx is None:
        return v1_error("Recipient not found in this campaign")
    with state.lock:
        key = (camp.id, ridx)
        current = state.data.recipient_status.get(key)
        if ridx in camp.finished:
            return v1_error("You can't change the status of a recipient that is Finished or Moved")
        state.data.recipient_status[key] = status
        if status == "Unsubscribed" and current != "Unsubscribed":
            state.data.unsubscribed_at[key] = state.now()
        elif status != "Unsubscribed":
            state.data.unsubscribed_at.pop(key, None)
    return JSONResponse({"success": True})


@router.get("/v2/campaigns/{campaign_id}/progress")
async def campaign_progress(campaign_id: str, state: StateDep) -> JSONResponse:
    """#20 ``{"status", "unfinished", "progress": "90%"}``; unsubscribed recipients count as stopped."""
    if not campaign_id.isdigit():
        return not_found()
    camp = state.data.campaigns.by_id(int(campaign_id))
    if camp is None:
        return not_found()
    with state.lock:
        total = len(camp.recipients)
        stopped = set(camp.finished) | {
            ridx
            for (cid, ridx), status in state.data.recipient_status.items()
            if cid == camp.id and status == "Unsubscribed"
        }
    return JSONResponse(
        {"status": camp.status, "unfinished": total - len(stopped), "progress": rate(len(stopped), total)}
    )


def _date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return datetime.strptime(value, "%Y-%m-%d").date()
    except ValueError:
        raise BadParam(f"{name} must be a date in the format yyyy-mm-dd") from None


def _csv(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


@router.get("/v2/statistics/campaign-analytics")
async def campaign_analytics(request: Request, state: StateDep) -> JSONResponse:
    """#19 counts over events inside [date_from, date_to] (both inclusive days, UTC); no dates = all time
    (the older text), or with the knob ``analytics_dates_required`` a 400 naming the missing date (2026).

    Empty ``campaign_id`` = all Active campaigns (documented). Filters ``sender_email`` (ids),
    ``sender_linkedin`` (ids: the sandbox has no LinkedIn accounts, so any value matches nothing) and
    ``campaign_owner`` (emails) narrow the campaign set.
    """
    params = await request_params(request)
    if state.config.analytics_dates_required:  # 2026: both dates are required (knob; off = all time)
        for name in ("date_from", "date_to"):
            if not params.get_str(name):
                raise BadParam(f"{name} is required")
    d_from = _date(params.get_str("date_from"), "date_from")
    d_to = _date(params.get_str("date_to"), "date_to")
    if d_from and d_to and d_from > d_to:
        raise BadParam("date_from must not be after date_to")
    ids = _csv(params.get_str("campaign_id"))
    if any(not part.isdigit() for part in ids):
        raise BadParam("campaign_id must be comma-separated integers")
    camps = list(state.data.campaigns.campaigns)
    if ids:
        wanted = {int(part) for part in ids}
        camps = [c for c in camps if c.id in wanted]
    else:
        camps = [c for c in camps if c.status == "Active"]
    senders = _csv(params.get_str("sender_email"))
    if senders:
        camps = [c for c in camps if str(c.sender_email_id) in senders]
    if _csv(params.get_str("sender_linkedin")):
        camps = []
    owners = {o.lower() for o in _csv(params.get_str("campaign_owner"))}
    if owners:
        camps = [c for c in camps if c.owner in owners]
    ts_from = datetime.combine(d_from, datetime.min.time(), timezone.utc).timestamp() if d_from else float("-inf")
    ts_to = datetime.combine(d_to, datetime.min.time(), timezone.utc).timestamp() + DAY if d_to else float("inf")
    with state.lock:
        unsubscribed = dict(state.data.unsubscribed_at)
    return JSONResponse(analytics(camps, ts_from, ts_to, unsubscribed))


@router.post("/v1/do-not-email-list")
async def do_not_email_list(request: Request, state: StateDep) -> Response:
    """#28 add emails/domains; answers ``[{"success": true, "data": {"duplicates": [...]}}]``."""
    params = await request_params(request)
    list_id = parse_int(params.get("listId"), "listId")
    items = [str(item).strip() for item in get_list(params, "items")]
    if not items:
        return v1_error("items is required")
    bad = [item for item in items if not (_EMAIL.match(item) or _DOMAIN.match(item))]
    if bad:
        return v1_error(f"Invalid email or domain: {', '.join(bad)}")
    with state.lock:
        dne = state.data.do_not_email.get(list_id)  # type: ignore[arg-type]
        if dne is None:
            return not_found()
        known = {item.lower() for item in dne.items}
        duplicates = []
        for item in items:
            if item.lower() in known:
                duplicates.append(item)
            else:
                dne.items.append(item)
                known.add(item.lower())
    return fast_json([{"success": True, "data": {"duplicates": duplicates}}])

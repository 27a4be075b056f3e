"""2026 recipients endpoints: activity feed #72, all replies #73, recipient status #74, do-not-email lists #75.

Every answer is derived from the seeded campaigns and do-not-email lists (see ``data/recipients.py``), so the
activity feed agrees with #19 and #23-#26, all-replies holds #23's e-mail replies, #74 reads the recipients
of #22/#21 and #75 lists exactly the ids #28 accepts.

Decisions where the docs are silent: an unknown or non-numeric campaign id answers the documented 404 body
(as #20 does); invalid input answers 422 ``{"errors": {"code": 422, "title", "source": <field>}}`` (the v2
shape of the webhook routes): a missing or malformed ``dateFrom``/``dateTo``, a window over 31 days (knob
``activity_window_inclusive``: over 30; knob ``activity_date_to_exclusive``: dateTo's own events left out),
``limit`` outside 1-1000, a negative ``offset``, no e-mails, more
than 100, a duplicate or one over 100 characters. Ambiguities served by knobs: ``activity_iso_event_time``
(``event_time`` as described, ISO 8601, instead of the sample's "YYYY-MM-DD HH:MM:SS") and
``all_replies_page_size`` (#73's page size is not documented; its end is an empty page).
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from airflow_provider_snovio.sandbox.auth import require_token
from airflow_provider_snovio.sandbox.data.campaigns import DAY, OWNERS, Campaign
from airflow_provider_snovio.sandbox.data.recipients import (
    activity_events,
    activity_row,
    recipient_status,
    reply_threads,
)
from airflow_provider_snovio.sandbox.errors import EntityNotFound, v2_error
from airflow_provider_snovio.sandbox.params import get_list, request_params
from airflow_provider_snovio.sandbox.routes.common import fast_json
from airflow_provider_snovio.sandbox.state import SandboxState, StateDep

router = APIRouter(dependencies=[Depends(require_token)], tags=["recipients"])

ACTIVITY_LIMIT_DEFAULT = 100
ACTIVITY_LIMIT_MAX = 1000
ACTIVITY_WINDOW_DAYS = 31
RECIPIENT_CHECK_MAX = 100
EMAIL_MAX_CHARS = 100


class _Invalid(Exception):
    def __init__(self, source: str, title: str) -> None:
        super().__init__(title)
        self.source, self.title = source, title


def _campaign(state: SandboxState, raw: str) -> Campaign:
    camp = state.data.campaigns.by_id(int(raw)) if raw.isdigit() else None
    if camp is None:
        raise EntityNotFound(raw)
    return camp


def _day(raw: str | None, name: str) -> date:
    if raw is None:
        raise _Invalid(name, f"{name} is required")
    try:
        return datetime.strptime(raw, "%Y-%m-%d").date()
    except ValueError:
        raise _Invalid(name, f"{name} must be a date in the format Y-m-d") from None


def _int(raw: str | None, name: str, default: int, low: int, high: int | None = None) -> int:
    if raw is None:
        return default
    try:
        number = int(raw)
    except ValueError:
        raise _Invalid(name, f"{name} must be an integer") from None
    if number < low or (high is not None and number > high):
        raise _Invalid(name, f"{name} must be between {low} and {high}" if high else f"{name} must be >= {low}")
    return number


@router.get("/v2/campaigns/{campaign_id}/recipients-activity")
async def recipients_activity(campaign_id: str, request: Request, state: StateDep) -> Response:
    """#72 events of UTC days ``dateFrom``..``dateTo`` (inclusive), oldest first, ``limit`` from ``offset``."""
    camp = _campaign(state, campaign_id)
    params = await request_params(request)
    try:
        d_from = _day(params.get_str("dateFrom"), "dateFrom")
        d_to = _day(params.get_str("dateTo"), "dateTo")
        if d_from > d_to:
            raise _Invalid("dateTo", "dateTo must not be before dateFrom")
        most = ACTIVITY_WINDOW_DAYS - 1 if state.config.activity_window_inclusive else ACTIVITY_WINDOW_DAYS
        if (d_to - d_from).days > most:
            raise _Invalid("dateTo", f"The date range must not exceed {ACTIVITY_WINDOW_DAYS} days")
        offset = _int(params.get_str("offset"), "offset", 0, 0)
        limit = _int(params.get_str("limit"), "limit", ACTIVITY_LIMIT_DEFAULT, 1, ACTIVITY_LIMIT_MAX)
    except _Invalid as error:
        return v2_error(error.title, 422, error.source)
    ts_from = datetime.combine(d_from, datetime.min.time(), timezone.utc).timestamp()
    ts_to = datetime.combine(d_to, datetime.min.time(), timezone.utc).timestamp()
    if not state.config.activity_date_to_exclusive:
        ts_to += DAY  # dateTo's events included (the default reading)
    with state.lock:
        unsubscribed = dict(state.data.unsubscribed_at)
    events = activity_events(camp, ts_from, ts_to, unsubscribed)
    page = events[offset : offset + limit]
    iso = state.config.activity_iso_event_time
    return fast_json(
        {
            "data": [activity_row(camp, event, iso) for event in page],
            "pagination": {
                "total": len(events),
                "offset": offset,
                "limit": limit,
                "has_more": offset + len(page) < len(events),
            },
        }
    )


@router.get("/v2/campaigns/{campaign_id}/all-replies")
async def all_replies(campaign_id: str, request: Request, state: StateDep) -> Response:
    """#73 ``{"data": [...]}``: ``all_replies_page_size`` records from ``offset``; an empty page ends."""
    camp = _campaign(state, campaign_id)
    params = await request_params(request)
    try:
        offset = _int(params.get_str("offset"), "offset", 0, 0)
    except _Invalid as error:
        return v2_error(error.title, 422, error.source)
    threads = reply_threads(camp)
    return fast_json({"data": threads[offset : offset + state.config.all_replies_page_size]})


@router.get("/v2/campaigns/{campaign_id}/recipient")
async def recipient_check(campaign_id: str, request: Request, state: StateDep) -> Response:
    """#74 ``{"data": [{email, exist, status|null}]}`` in the order asked; 1-100 unique e-mails."""
    camp = _campaign(state, campaign_id)
    params = await request_params(request)
    emails = [str(e).strip() for e in get_list(params, "emails")]
    if not emails:
        return v2_error("emails is required", 422, "emails")
    if len(emails) > RECIPIENT_CHECK_MAX:
        return v2_error(f"At most {RECIPIENT_CHECK_MAX} emails per request", 422, "emails")
    if len({e.lower() for e in emails}) != len(emails):
        return v2_error("emails must be unique", 422, "emails")
    too_long = [e for e in emails if len(e) > EMAIL_MAX_CHARS]
    if too_long:
        return v2_error(f"Each email must be at most {EMAIL_MAX_CHARS} characters", 422, "emails")
    with state.lock:
        changed = dict(state.data.recipient_status)
    rows = []
    for email in emails:
        ridx = camp.email_index.get(email.lower())
        status = None if ridx is None else recipient_status(camp, ridx, changed)
        rows.append({"email": email, "exist": ridx is not None, "status": status})
    return fast_json({"data": rows})


@router.get("/v2/blacklists")
async def blacklists(state: StateDep) -> JSONResponse:
    """#75 every do-not-email list: ``id`` is #28's ``listId``; ``total`` counts its e-mails and domains."""
    with state.lock:
        rows = [
            {"id": dne.id, "name": dne.name, "owner": OWNERS[0], "total": len(dne.items)}
            for dne in state.data.do_not_email.values()
        ]
    return JSONResponse({"data": rows})

"""Control routes that change the upstream data: append or delete a campaign's engagement events.

Why: a warehouse sync is only proven incremental if new events that appear upstream arrive on the next run,
and only proven exact if rows deleted upstream (which shift every later offset) make it re-read the
campaign. These routes do to the sandbox what real campaigns do to Snov.io between two nightly runs.

- ``POST /_sandbox/campaigns/{campaign_id}/events`` with ``{"kind": "replies", "count": 7}`` appends 7 new
  events (kinds: replies, opens, clicks, sent), newer than every existing one, to the end of the list the
  offset-paged endpoints serve. Answers ``{"success": true, "kind", "added", "total", "ids": [...]}``.
  With ``"after_offset": 5`` they are *late* events instead: inserted by event time in the middle of the
  history, right after the event at position 5 (with its event time), as a late-arriving event would be
  if Snov.io sorts by event time.
- ``DELETE /_sandbox/campaigns/{campaign_id}/events?kind=replies&offset=5&count=2`` removes 2 events from
  position 5. Answers ``{"success": true, "kind", "deleted", "total", "ids"}``.
- ``POST /_sandbox/campaigns/{campaign_id}/events/arm`` with ``{"kind", "offset", "count", "after_pages": 1}``
  arms a one-shot deletion: once ``after_pages`` more pages of that campaign's ``kind`` have been served, the
  deletion happens (before the next page is asked for) - rows deleted *during* a multi-page read.
  ``GET /_sandbox/events/armed`` answers ``{"pending": [...], "fired": [{..., "ids": [...]}]}``.

Positions count oldest first whatever the serving order (knob ``newest_first_events``), so a position
names the same event under both orders.

- ``POST /_sandbox/campaigns/{campaign_id}/activity`` with ``{"kind": "opens", "at": 1757000000, "count": 2,
  "recipient": 3, "subject": 0}`` adds ``count`` events of one recipient at one event time (unix seconds),
  placed by time among the campaign's events: late events as the recipients-activity feed (#72) shows them,
  and with ``count`` > 1 identical events in one second. ``recipient`` (position in the campaign, default 0)
  and ``subject`` (0 first e-mail, 1 reply subject, 2 follow-up; default 0) are optional. Answers
  ``{"success": true, "kind", "added", "total", "ids"}``.
- ``DELETE /_sandbox/campaigns/{campaign_id}`` deletes the campaign: it leaves the listing (#27) and its
  endpoints answer as the knob ``deleted_campaign_answer`` says (404, an empty 200, ``success: false``).
  Answers ``{"success": true, "deleted": <id>, "campaigns": <left>}``.

The seeded campaign set is cached and shared (it is immutable); a change replaces the campaign in this
state's data only (copy on write), and ``reset()`` brings the seeded events back.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from airflow_provider_snovio.sandbox.data.campaigns import SENTIMENTS, Campaign, CampaignSet, Engagement, Sent
from airflow_provider_snovio.sandbox.state import SandboxState, StateDep

router = APIRouter(prefix="/_sandbox", tags=["sandbox control"])

#: Route kind -> Campaign attribute holding those events (oldest first).
EVENT_KINDS = {"replies": "replies", "opens": "opens", "clicks": "clicks", "sent": "sent"}
MAX_APPEND = 100_000


def _fail(message: str, status: int = 422) -> JSONResponse:
    return JSONResponse({"success": False, "message": message}, status_code=status)


def _kind(value: Any) -> str | None:
    return EVENT_KINDS.get(value) if isinstance(value, str) else None


def _replace_campaign(state: SandboxState, new: Campaign) -> None:
    state.data.campaigns = CampaignSet(
        tuple(new if camp.id == new.id else camp for camp in state.data.campaigns.campaigns)
    )


def append_events(
    state: SandboxState, campaign_id: int, kind: str, count: int, after_offset: int | None = None
) -> dict[str, Any]:
    """Append ``count`` new ``kind`` events to a campaign, or insert them late after position ``after_offset``
    (see the module docstring); returns the answer body."""
    attr = EVENT_KINDS[kind]
    with state.lock:
        camp = state.data.campaigns.by_id(campaign_id)
        if camp is None:
            raise LookupError(f"no campaign {campaign_id}")
        if not camp.recipients:
            raise ValueError(f"campaign {campaign_id} has no recipients (a Draft): nothing can happen in it")
        events = list(getattr(camp, attr))
        rng = state.data.rng
        if after_offset is not None and not 0 <= after_offset < len(events):
            raise ValueError(f"after_offset must be a position of the {len(events)} {kind} events")
        newest = max([int(state.now()), *(e.ts + 1 for e in events)])
        added: list[str] = []
        new: list[Any] = []
        for k in range(count):
            ridx = (len(events) + k) % len(camp.recipients)
            event_id, event_hash = format(rng.getrandbits(128), "032x"), format(rng.getrandbits(128), "032x")
            ts = newest + k if after_offset is None else events[after_offset].ts  # late: its neighbour's time
            if attr == "sent":
                new.append(Sent(ts, ridx, False, False, event_id, event_hash))
            else:
                new.append(Engagement(ts, ridx, event_id, event_hash, 0, sentiment=SENTIMENTS[k % len(SENTIMENTS)]))
            added.append(event_id)
        at = len(events) if after_offset is None else after_offset + 1
        events[at:at] = new
        _replace_campaign(state, _with_events(camp, attr, events))
        return {"success": True, "kind": kind, "added": count, "total": len(events), "ids": added}


def add_activity(
    state: SandboxState, campaign_id: int, kind: str, at: int, count: int, recipient: int, subject: int
) -> dict[str, Any]:
    """Add ``count`` identical ``kind`` events of recipient ``recipient`` at ``at`` (see the module docstring)."""
    attr = EVENT_KINDS[kind]
    with state.lock:
        camp = state.data.campaigns.by_id(campaign_id)
        if camp is None:
            raise LookupError(f"no campaign {campaign_id}")
        if not 0 <= recipient < len(camp.recipients):
            raise ValueError(f"recipient must be a position of the {len(camp.recipients)} recipients")
        events = list(getattr(camp, attr))
        rng = state.data.rng
        added: list[str] = []
        for _ in range(count):
            event_id, event_hash = format(rng.getrandbits(128), "032x"), format(rng.getrandbits(128), "032x")
            if attr == "sent":
                new: Any = Sent(at, recipient, subject == 0, False, event_id, event_hash)
            else:
                new = Engagement(at, recipient, event_id, event_hash, subject)
            where = next((i for i, e in enumerate(events) if e.ts > at), len(events))
            events.insert(where, new)
            added.append(event_id)
        _replace_campaign(state, _with_events(camp, attr, events))
        return {"success": True, "kind": kind, "added": count, "total": len(events), "ids": added}


def _with_events(camp: Any, attr: str, events: list[Any]) -> Any:
    """``camp`` with its event list ``attr`` replaced (the attribute is named at run time)."""
    changes: dict[str, Any] = {attr: events}
    return dataclasses.replace(camp, **changes)


def delete_events(state: SandboxState, campaign_id: int, kind: str, offset: int, count: int) -> dict[str, Any]:
    """Delete ``count`` events of ``kind`` from position ``offset`` (oldest first); returns the answer body."""
    attr = EVENT_KINDS[kind]
    with state.lock:
        camp = state.data.campaigns.by_id(campaign_id)
        if camp is None:
            raise LookupError(f"no campaign {campaign_id}")
        events = list(getattr(camp, attr))
        removed = events[offset : offset + count]
        del events[offset : offset + count]
        _replace_campaign(state, _with_events(camp, attr, events))
        return {
            "success": True,
            "kind": kind,
            "deleted": len(removed),
            "total": len(events),
            "ids": [event.id for event in removed],
        }


def _int(value: Any, name: str, minimum: int) -> int:
    if isinstance(value, bool):
        raise ValueError(f"{name} must be an integer")
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an integer") from None
    if number < minimum:
        raise ValueError(f"{name} must be >= {minimum}")
    return number


@router.post("/campaigns/{campaign_id}/events")
async def post_events(campaign_id: int, request: Request, state: StateDep) -> JSONResponse:
    """Append new events: ``{"kind": "replies"|"opens"|"clicks"|"sent", "count": N}``."""
    try:
        body: Any = await request.json()
    except ValueError:
        return _fail('body must be {"kind": "replies", "count": <n>}')
    if not isinstance(body, dict) or _kind(body.get("kind")) is None:
        return _fail(f"kind must be one of {', '.join(EVENT_KINDS)}")
    try:
        count = _int(body.get("count", 1), "count", 1)
        if count > MAX_APPEND:
            raise ValueError(f"count must be <= {MAX_APPEND}")
        late = body.get("after_offset")
        return JSONResponse(
            append_events(
                state, campaign_id, body["kind"], count, None if late is None else _int(late, "after_offset", 0)
            )
        )
    except LookupError as exc:
        return _fail(str(exc), 404)
    except ValueError as exc:
        return _fail(str(exc))


@router.post("/campaigns/{campaign_id}/activity")
async def post_activity(campaign_id: int, request: Request, state: StateDep) -> JSONResponse:
    """Add events at a given time: ``{"kind", "at", "count"?, "recipient"?, "subject"?}``."""
    try:
        body: Any = await request.json()
    except ValueError:
        return _fail('body must be {"kind": "opens", "at": <unix seconds>}')
    if not isinstance(body, dict) or _kind(body.get("kind")) is None:
        return _fail(f"kind must be one of {', '.join(EVENT_KINDS)}")
    try:
        count = _int(body.get("count", 1), "count", 1)
        if count > MAX_APPEND:
            raise ValueError(f"count must be <= {MAX_APPEND}")
        subject = _int(body.get("subject", 0), "subject", 0)
        if subject > 2:
            raise ValueError("subject must be 0, 1 or 2")
        return JSONResponse(
            add_activity(
                state,
                campaign_id,
                body["kind"],
                _int(body.get("at"), "at", 0),
                count,
                _int(body.get("recipient", 0), "recipient", 0),
                subject,
            )
        )
    except LookupError as exc:
        return _fail(str(exc), 404)
    except ValueError as exc:
        return _fail(str(exc))


@router.delete("/campaigns/{campaign_id}/events")
async def delete_events_route(
    campaign_id: int, state: StateDep, kind: str = "", offset: str = "0", count: str = "1"
) -> JSONResponse:
    """Delete events: query ``kind``, ``offset`` (position, oldest first) and ``count``."""
    if _kind(kind) is None:
        return _fail(f"kind must be one of {', '.join(EVENT_KINDS)}")
    try:
        return JSONResponse(delete_events(state, campaign_id, kind, _int(offset, "offset", 0), _int(count, "count", 1)))
    except LookupError as exc:
        return _fail(str(exc), 404)
    except ValueError as exc:
        return _fail(str(exc))


#: ``state.extensions`` key of the ids of campaigns deleted through the control route (cleared by reset).
DELETED_CAMPAIGNS = "deleted_campaigns"


def deleted_campaigns(state: SandboxState) -> set[int]:
    """Ids of the campaigns deleted through ``DELETE /_sandbox/campaigns/{id}`` since the last reset."""
    with state.lock:
        return state.extensions.setdefault(DELETED_CAMPAIGNS, set())


def delete_campaign(state: SandboxState, campaign_id: int) -> dict[str, Any]:
    """Delete a campaign upstream (see the module docstring); returns the answer body."""
    with state.lock:
        if state.data.campaigns.by_id(campaign_id) is None:
            raise LookupError(f"no campaign {campaign_id}")
        state.data.campaigns = CampaignSet(
            tuple(camp for camp in state.data.campaigns.campaigns if camp.id != campaign_id)
        )
        deleted_campaigns(state).add(campaign_id)
        return {"success": True, "deleted": campaign_id, "campaigns": len(state.data.campaigns.campaigns)}


@router.delete("/campaigns/{campaign_id}")
async def delete_campaign_route(campaign_id: int, state: StateDep) -> JSONResponse:
    """Delete a campaign: it leaves the listing; its endpoints answer per ``deleted_campaign_answer``."""
    try:
        return JSONResponse(delete_campaign(state, campaign_id))
    except LookupError as exc:
        return _fail(str(exc), 404)


# --- deletions during a read (one-shot, armed) ---

ARMED = "armed_deletions"  # state.extensions keys (cleared by reset)
FIRED = "fired_deletions"


def arm_deletion(
    state: SandboxState, campaign_id: int, kind: str, offset: int, count: int, after_pages: int
) -> dict[str, Any]:
    """Arm a one-shot deletion of ``count`` events at ``offset`` after ``after_pages`` more served pages."""
    with state.lock:
        if state.data.campaigns.by_id(campaign_id) is None:
            raise LookupError(f"no campaign {campaign_id}")
        armed = {"campaign_id": campaign_id, "kind": kind, "offset": offset, "count": count, "after_pages": after_pages}
        state.extensions.setdefault(ARMED, []).append(armed)
        return {"success": True, "armed": dict(armed)}


def page_served(state: SandboxState, campaign_id: int, kind: str) -> None:
    """Called by the event routes after building a page: fires the armed deletions that are due."""
    with state.lock:
        pending = state.extensions.get(ARMED)
        if not pending:
            return
        for armed in list(pending):
            if armed["campaign_id"] != campaign_id or armed["kind"] != kind:
                continue
            armed["after_pages"] -= 1
            if armed["after_pages"] <= 0:
                pending.remove(armed)
                done = delete_events(state, campaign_id, kind, armed["offset"], armed["count"])
                state.extensions.setdefault(FIRED, []).append({**armed, "ids": done["ids"]})


def armed_status(state: SandboxState) -> dict[str, Any]:
    with state.lock:
        return {
            "pending": [dict(a) for a in state.extensions.get(ARMED, [])],
            "fired": [dict(f) for f in state.extensions.get(FIRED, [])],
        }


@router.post("/campaigns/{campaign_id}/events/arm")
async def arm_events(campaign_id: int, request: Request, state: StateDep) -> JSONResponse:
    """Arm a deletion during a read: ``{"kind", "offset", "count", "after_pages": 1}``."""
    try:
        body: Any = await request.json()
    except ValueError:
        return _fail('body must be {"kind": "replies", "offset": <n>, "count": <n>, "after_pages": <n>}')
    if not isinstance(body, dict) or _kind(body.get("kind")) is None:
        return _fail(f"kind must be one of {', '.join(EVENT_KINDS)}")
    try:
        return JSONResponse(
            arm_deletion(
                state,
                campaign_id,
                body["kind"],
                _int(body.get("offset", 0), "offset", 0),
                _int(body.get("count", 1), "count", 1),
                _int(body.get("after_pages", 1), "after_pages", 1),
            )
        )
    except LookupError as exc:
        return _fail(str(exc), 404)
    except ValueError as exc:
        return _fail(str(exc))


@router.get("/events/armed")
async def get_armed(state: StateDep) -> JSONResponse:
    """Armed deletions not fired yet, and those fired (with the deleted ids)."""
    return JSONResponse(armed_status(state))

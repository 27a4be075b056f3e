"""Campaigns v2 endpoints #62-#67 and email step content #68-#71 (JSON bodies, ``{"success", "data"}``).

A campaign's status lives in its v1 row (``state.data.campaigns``, spelt Draft/Active/Paused/Scheduled/
Completed/Archived), so a campaign created through #62 is listed by #27 at once, counts in #19 analytics and
#20 progress (no recipients or events yet: zeros), moves through #66's states there too, and once deleted
through #65 is gone from all of them (answered as a campaign deleted upstream, see ``deleted_campaign_answer``).
Seeded campaigns are readable through #63 (an email, a 3-day wait, a follow-up and a goal, content filled).

Errors: invalid input -> 422 ``{"errors": {"code", "title", "source": <field>}}``; an unknown campaign, step
or block -> the documented 404 body; a refused action (delete while running, a core field or content
changed in the wrong status, the last block deleted) -> 400 in the same shape naming the field. #66 refuses
with ``{"success": false, "errors": [...]}`` (HTTP status: ``campaign_state_refusal_status``).

Decisions where the docs are silent (each other reading is a knob of ``SandboxConfig``): start moves a new
campaign to ``active``, or to ``scheduled`` when ``start_campaign_at`` is in the future (it stays scheduled:
the sandbox does not start it by itself); start refuses while an email step has no active block with a
subject and body; archive needs a completed campaign; an action into the current state is refused; created
step ``_ref``s are millisecond timestamps; LinkedIn account ids are not checked (the sandbox has none).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from airflow_provider_snovio.sandbox.auth import require_token
from airflow_provider_snovio.sandbox.data import campaigns_v2 as seeds
from airflow_provider_snovio.sandbox.data.campaigns import OWNERS, Campaign, CampaignSet
from airflow_provider_snovio.sandbox.data.campaigns_v2 import CampaignModel, block
from airflow_provider_snovio.sandbox.data.names import SUBJECTS
from airflow_provider_snovio.sandbox.data.pipelines import stage_rows
from airflow_provider_snovio.sandbox.errors import not_found, v2_error
from airflow_provider_snovio.sandbox.routes.senders import Invalid, invalid, json_object, senders_of
from airflow_provider_snovio.sandbox.state import SandboxState, StateDep
from airflow_provider_snovio.sandbox.tasks import extension

router = APIRouter(dependencies=[Depends(require_token)], tags=["campaigns v2"])
EXTENSION = "campaigns_v2"

PRIORITIES = ("low", "medium", "high")
ARCHIVE_MONTHS = (1, 2, 3, 6)
WAIT_MAX = {"minutes": 43_200, "hours": 720, "days": 30}
STEP_TYPES = ("email", "delay", "trigger", "goal", "linkedin")
ACTIONS = ("start", "pause", "resume", "complete", "archived")
LINKEDIN_ACTIONS: tuple[str, ...] = ("visit", "like", "follow", "invite", "message", "in_mail", "connected_on_linkedin")
LINKEDIN_ACTIONS += ("check_connection_level", "endorse_skills")
TRIGGER_ACTIONS: tuple[str, ...] = ("open", "click", "calendly", "connected_on_linkedin", "check_connection_level")
TRIGGER_ACTIONS += ("linkedin_in_mail_sent",)
_PAST = {"start": "started", "pause": "paused", "resume": "resumed", "complete": "completed", "archived": "archived"}
#: #64: editable only while the campaign is new.
CORE_SENDING = (
    "skip_unverifiable",
    "skip_unverified",
    "skip_other_recipients_email_addresses",
    "skip_recipients_added_to_my_another_campaign",
    "skip_recipients_added_to_team_another_campaign",
)
_FIELDS: tuple[str, ...] = ("title", "priority", "email_accounts", "linkedin_accounts", "tracking", "sending_settings")
_FIELDS += ("provider_matching", "recipients", "schedule_id", "start_campaign_at", "complete_campaign_at")
_FIELDS += ("timezone", "complete_campaign_after_last_step", "archive_in_months", "deals", "sequence")
_REQUIRED: tuple[str, ...] = (
    "title",
    "priority",
    "recipients",
    "complete_campaign_after_last_step",
    "archive_in_months",
)
_REQUIRED += ("sequence",)
_STEP_KEYS = {"_ref", "type", "next", "yes", "no", "waiting_type", "waiting_val", "action", "goal_name"}
_STEP_KEYS |= {"content_slots", "subject", "body", "value", "content"}
_TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


class Refused(Exception):
    """An action the campaign's state does not allow: 400 naming ``source``."""

    def __init__(self, source: str, title: str) -> None:
        super().__init__(title)
        self.source, self.title = source, title


class UnknownSchedule(Exception):
    """#64 with an unknown ``schedule_id`` (404 or 422, documented both ways)."""


@dataclasses.dataclass
class V2State:
    models: dict[int, CampaignModel] = dataclasses.field(default_factory=dict)
    next_ref: int = 0

    def new_ref(self, now: float) -> int:
        self.next_ref = max(self.next_ref + 1, int(now * 1000))
        return self.next_ref


def init_state(state: SandboxState) -> None:
    state.extensions[EXTENSION] = V2State()


def _v2(state: SandboxState) -> V2State:
    return extension(state, EXTENSION, V2State)


def _status(camp: Campaign) -> str:
    return seeds.V2_STATUS[camp.status.lower()]


def _find(state: SandboxState, raw: str) -> tuple[Campaign, CampaignModel] | None:
    """The campaign and its v2 model (built on first use for a seeded one); None when unknown."""
    if not raw.isdigit():
        return None
    camp = state.data.campaigns.by_id(int(raw))
    if camp is None:
        return None
    models = _v2(state).models
    if camp.id not in models:
        models[camp.id] = seeds.seeded_model(camp, SUBJECTS[camp.id % len(SUBJECTS)].format(company="{{company}}"))
    return camp, models[camp.id]


def _replace(state: SandboxState, new: Campaign) -> None:
    state.data.campaigns = CampaignSet(tuple(new if c.id == new.id else c for c in state.data.campaigns.campaigns))


# --- input checks ---------------------------------------------------------------------------------


def _bool(body: dict[str, Any], key: str, source: str | None = None) -> bool:
    value = body[key]
    if not isinstance(value, bool):
        raise Invalid(source or key, f"{source or key} must be true or false")
    return value


def _choice(value: Any, source: str, choices: tuple[Any, ...]) -> Any:
    if value not in choices or isinstance(value, bool):
        raise Invalid(source, f"{source} must be one of {', '.join(map(str, choices))}")
    return value


def _int(value: Any, source: str, lower: int, upper: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not lower <= value <= upper:
        raise Invalid(source, f"{source} must be an integer from {lower} to {upper}")
    return value


def _mapping(value: Any, source: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Invalid(source, f"{source} must be an object")
    return value


def _ids(value: Any, source: str) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(i, int) and not isinstance(i, bool) for i in value):
        raise Invalid(source, f"{source} must be a list of ids")
    return list(dict.fromkeys(value))


def _time(value: Any, source: str) -> str:
    try:
        dt.datetime.strptime(value, _TIME_FORMAT)
    except (TypeError, ValueError):
        raise Invalid(source, f"{source} must be 'YYYY-MM-DD HH:MM:SS'") from None
    return str(value)


def _recipients(state: SandboxState, value: Any, current: dict[str, Any] | None) -> dict[str, Any]:
    given = _mapping(value, "recipients")
    merged = {**(current or {"black_list_id": None}), **given}
    if unknown := sorted(set(given) - {"list_id", "black_list_id"}):
        raise Invalid(f"recipients.{unknown[0]}", f"recipients.{unknown[0]} is not a recipients key")
    list_id = merged.get("list_id")
    if list_id is None:
        raise Invalid("recipients.list_id", "recipients.list_id is required")
    prospects = state.data.lists.get(list_id) if isinstance(list_id, int) else None
    if prospects is None or prospects.deleted is not None:
        raise Invalid("recipients.list_id", "recipients.list_id is not one of your prospect lists")
    black = merged.get("black_list_id")
    if black is not None and (not isinstance(black, int) or black not in state.data.do_not_email):
        raise Invalid("recipients.black_list_id", "recipients.black_list_id is not one of your do-not-email lists")
    return {"list_id": list_id, "black_list_id": black}


def _sending(value: Any, current: dict[str, Any]) -> dict[str, Any]:
    given = _mapping(value, "sending_settings")
    out = dict(current)
    for key, item in given.items():
        source = f"sending_settings.{key}"
        if key == "sending_priority":
            out[key] = _choice(item, source, ("first_email", "follow_up"))
        elif key in ("daily_sending_all", "daily_sending_new_recipients"):
            out[key] = None if item is None else _int(item, source, 1, 10**6)
        elif key == "delay_type":
            out[key] = _choice(item, source, ("fixed", "random"))
        elif key in ("delay_from", "delay_to"):
            out[key] = _int(item, source, 1, 86_400)
        elif key in seeds.DEFAULT_SENDING_SETTINGS:
            out[key] = _bool(given, key, source)
        else:
            raise Invalid(source, f"{source} is not a sending setting")
    return out


def _deals(value: Any, current: dict[str, Any] | None) -> dict[str, Any]:
    merged = {**(current or {}), **_mapping(value, "deals")}
    for key in ("event", "pipeline_id", "stage_id"):
        if merged.get(key) is None:
            raise Invalid(f"deals.{key}", f"deals.{key} is required")
    events = merged["event"]
    if not isinstance(events, list) or not events or any(e not in ("open", "click", "reply") for e in events):
        raise Invalid("deals.event", "deals.event must be a list of open, click, reply")
    stages = stage_rows(merged["pipeline_id"]) if isinstance(merged["pipeline_id"], int) else None
    if stages is None:
        raise Invalid("deals.pipeline_id", "deals.pipeline_id is not one of your pipelines")
    if merged["stage_id"] not in {stage["id"] for stage in stages}:
        raise Invalid("deals.stage_id", "deals.stage_id is not a stage of that pipeline")
    if merged.get("potential_value") is not None:
        _int(merged["potential_value"], "deals.potential_value", 1, 10**12)
    return merged


def _is_numeric(ref: Any) -> bool:
    return (isinstance(ref, int) and not isinstance(ref, bool)) or (isinstance(ref, str) and ref.isdigit())


def _sequence(
    v2: V2State, now: float, value: Any, current: CampaignModel | None
) -> tuple[int, list[dict[str, Any]], dict[int, list[dict[str, Any]]]]:
    """Entry, steps and blocks of a #62 sequence, or of a #64 one replacing ``current``'s flow."""
    given = _mapping(value, "sequence")
    raw_steps = given.get("steps")
    if not isinstance(raw_steps, list) or not raw_steps:
        raise Invalid("sequence.steps", "sequence.steps must be a non-empty list")
    existing = {step["_ref"]: step for step in current.steps} if current else {}
    refs: dict[str, int] = {}
    steps: list[dict[str, Any]] = []
    blocks: dict[int, list[dict[str, Any]]] = {}
    for i, raw in enumerate(raw_steps):
        at = f"sequence.steps[{i}]"
        step = _mapping(raw, at)
        if unknown := sorted(set(step) - _STEP_KEYS):
            raise Invalid(f"{at}.{unknown[0]}", f"{at}.{unknown[0]} is not a step key")
        label, kind = step.get("_ref"), step.get("type")
        if label is None or str(label) in refs:
            raise Invalid(f"{at}._ref", f"{at}._ref is required and must be unique")
        _choice(kind, f"{at}.type", STEP_TYPES)
        old = existing.get(int(label)) if current and _is_numeric(label) else None
        if current and _is_numeric(label) and old is None:
            raise Invalid(f"{at}._ref", f"{at}._ref {label} is no step of this campaign")
        if old is not None and old["type"] != kind:
            raise Invalid(f"{at}.type", f"{at}.type of an existing step cannot change")
        ref = old["_ref"] if old is not None else v2.new_ref(now)
        refs[str(label)] = ref
        out = {k: item for k, item in step.items() if k != "content"}
        out["_ref"] = ref
        if kind in ("delay", "trigger") and "waiting_type" in step:
            unit = _choice(step["waiting_type"], f"{at}.waiting_type", tuple(WAIT_MAX))
            _int(step.get("waiting_val"), f"{at}.waiting_val", 1, WAIT_MAX[unit])
        elif kind == "delay":
            raise Invalid(f"{at}.waiting_type", f"{at}.waiting_type is required")
        if kind == "goal" and ("next" in step or not step.get("goal_name")):
            raise Invalid(f"{at}.goal_name", "a goal step needs goal_name and ends its branch (no next)")
        if kind in ("linkedin", "trigger"):
            _choice(step.get("action"), f"{at}.action", LINKEDIN_ACTIONS if kind == "linkedin" else TRIGGER_ACTIONS)
        if step.get("action") == "endorse_skills" and kind == "linkedin":
            _int(step.get("value"), f"{at}.value", 1, 5)
        if kind == "email":
            slots = _int(step["content_slots"], f"{at}.content_slots", 1, 15) if "content_slots" in step else None
            if old is not None:
                content = step.get("content")
                if not isinstance(content, list) or not content:
                    raise Invalid(f"{at}.content", f"{at}.content is required for an existing email step (from #63)")
                kept = {c.get("id") for c in content if isinstance(c, dict)}
                blocks[ref] = [b for b in current.blocks[ref] if b["id"] in kept] if current else []
                if not blocks[ref]:
                    raise Invalid(f"{at}.content", f"{at}.content names no block of this step")
            else:
                blocks[ref] = [block(ref, index) for index in range(slots or 1)]
            out["content_slots"] = len(blocks[ref])
        steps.append(out)
    for i, step in enumerate(steps):
        for key in ("next", "yes", "no"):
            if key in step:
                if str(step[key]) not in refs:
                    raise Invalid(f"sequence.steps[{i}].{key}", f"sequence.steps[{i}].{key} names no step")
                step[key] = refs[str(step[key])]
    entry = given.get("entry")
    if str(entry) not in refs:
        raise Invalid("sequence.entry", "sequence.entry must be the _ref of a step")
    first = refs[str(entry)]
    if next(s for s in steps if s["_ref"] == first)["type"] == "goal":
        raise Invalid("sequence.entry", "a goal step cannot be the entry")
    return first, steps, blocks


def _settings(
    state: SandboxState, body: dict[str, Any], camp: Campaign | None, model: CampaignModel | None
) -> tuple[dict[str, Any], Any]:
    """The validated changes of a #62 (``camp`` None) or #64 body, and the new sequence (or None)."""
    creating = camp is None
    if unknown := sorted(set(body) - set(_FIELDS)):
        raise Invalid(unknown[0], f"{unknown[0]} is not a campaign field")
    if not creating and not body:
        raise Invalid("body", "Send at least one field to update")
    current = model.settings if model else {}
    status = _status(camp) if camp else "new"
    if creating:
        for key in _REQUIRED:
            if body.get(key) is None:
                raise Invalid(key, f"{key} is required")
    changes: dict[str, Any] = {}
    for key, item in body.items():
        if item is None and key in ("start_campaign_at", "complete_campaign_at") and not creating:
            continue  # #64: null changes nothing
        if key == "title":
            if not isinstance(item, str) or not item.strip() or len(item) > 255:
                raise Invalid("title", "title must be a string of 1 to 255 characters")
            changes[key] = item
        elif key == "priority":
            changes[key] = _choice(item, key, PRIORITIES)
        elif key in ("email_accounts", "linkedin_accounts"):
            changes[key] = _ids(item, key)
        elif key == "tracking":
            merged = {**current.get("tracking", {"open": True, "link_click": True}), **_mapping(item, key)}
            if set(merged) != {"open", "link_click"} or not all(isinstance(b, bool) for b in merged.values()):
                raise Invalid("tracking", "tracking takes the booleans open and link_click")
            changes[key] = merged
        elif key == "sending_settings":
            changes[key] = _sending(item, current.get(key, seeds.DEFAULT_SENDING_SETTINGS))
        elif key in ("provider_matching", "complete_campaign_after_last_step"):
            changes[key] = _bool(body, key)
        elif key == "recipients":
            changes[key] = _recipients(state, item, current.get(key))
        elif key == "schedule_id":
            if item is not None and item not in seeds.schedule_ids():
                if not creating and state.config.campaign_unknown_schedule_404:
                    raise UnknownSchedule()
                raise Invalid("schedule_id", "schedule_id is not one of your schedules")
            changes[key] = item
        elif key in ("start_campaign_at", "complete_campaign_at"):
            changes[key] = None if item is None else _time(item, key)
        elif key == "timezone":
            try:
                zoneinfo.ZoneInfo(item)
            except (TypeError, ValueError, zoneinfo.ZoneInfoNotFoundError):
                raise Invalid("timezone", "timezone must be an IANA time zone name") from None
            changes[key] = item
        elif key == "archive_in_months":
            changes[key] = _choice(item, key, ARCHIVE_MONTHS)
        elif key == "deals":
            changes[key] = None if item is None else _deals(item, None if creating else current.get("deals"))
    sequence = None
    if "sequence" in body:
        sequence = _sequence(_v2(state), state.now(), body["sequence"], model)
    merged = {**current, **changes}
    accounts = merged.get("email_accounts") or []
    if unknown_ids := [i for i in accounts if i not in senders_of(state).accounts]:
        raise Invalid("email_accounts", f"email_accounts: {unknown_ids[0]} is not one of your sender accounts")
    steps = sequence[1] if sequence else (model.steps if model else [])
    has_email = any(step["type"] == "email" for step in steps)
    if creating and has_email:
        for key in ("email_accounts", "tracking", "sending_settings", "provider_matching"):
            if merged.get(key) in (None, []):
                raise Invalid(key, f"{key} is required for a campaign with email steps")
    if merged.get("provider_matching") and len(accounts) < 2:
        raise Invalid("provider_matching", "provider_matching needs at least 2 email_accounts")
    start, end = merged.get("start_campaign_at"), merged.get("complete_campaign_at")
    if start and end and end <= start:
        raise Invalid("complete_campaign_at", "complete_campaign_at must be later than start_campaign_at")
    if not creating:
        _update_rules(body, changes, current, status, has_email)
    return changes, sequence


def _update_rules(
    body: dict[str, Any], changes: dict[str, Any], current: dict[str, Any], status: str, has_email: bool
) -> None:
    """#64's rules that depend on the stored campaign."""
    if status != "new":
        if "recipients" in body:
            raise Refused("recipients", "recipients can be changed only while the campaign is new")
        for key in CORE_SENDING:
            if key in (body.get("sending_settings") or {}):
                raise Refused(f"sending_settings.{key}", f"{key} can be changed only while the campaign is new")
    if changes.get("start_campaign_at") and current.get("start_campaign_at") is None:
        raise Invalid("start_campaign_at", "start_campaign_at cannot be added when the campaign was created without")
    added = set(changes.get("email_accounts") or []) - set(current.get("email_accounts") or [])
    if added and status == "active" and not has_email:
        raise Refused("email_accounts", "email accounts cannot be added to an active campaign without email steps")


# --- #62-#67 ----------------------------------------------------------------------------------------


def _answer(camp: Campaign, model: CampaignModel) -> JSONResponse:
    return JSONResponse({"success": True, "data": model.answer(camp)})


def _refused(error: Refused) -> JSONResponse:
    return v2_error(error.title, 400, error.source)


@router.get("/v2/campaigns/schedules")
async def list_schedules() -> JSONResponse:
    """#67 every sending schedule."""
    return JSONResponse({"data": seeds.schedule_rows()})


@router.post("/v2/campaigns/create")
async def create_campaign(request: Request, state: StateDep) -> JSONResponse:
    """#62: a new campaign in status ``new`` with empty message blocks, listed by #27 as a Draft."""
    try:
        body = await json_object(request)
        with state.lock:
            changes, sequence = _settings(state, body, None, None)
            now = state.now()
            ids = [c.id for c in state.data.campaigns.campaigns]
            camp = Campaign(
                id=max([*ids, 237_000]) + 1 + state.data.rng.randrange(5),
                name=changes.pop("title"),
                list_id=changes["recipients"]["list_id"],
                status=seeds.V1_STATUS["new"],
                created_at=int(now),
                updated_at=int(now),
                started_at=None,
                hash=format(state.data.rng.getrandbits(128), "032x"),
                owner=OWNERS[0],
                sender_email_id=(changes.get("email_accounts") or [0])[0],
            )
            settings: dict[str, Any] = {
                "email_accounts": [],
                "linkedin_accounts": [],
                "tracking": {"open": True, "link_click": True},
                "sending_settings": dict(seeds.DEFAULT_SENDING_SETTINGS),
                "schedule_id": None,
                "start_campaign_at": None,
                "complete_campaign_at": None,
                "timezone": None,
                "provider_matching": False,
            }
            settings.update(changes)
            if settings.get("deals") is None:
                settings.pop("deals", None)
            entry, steps, blocks = sequence
            model = CampaignModel(settings, entry, steps, blocks)
            state.data.campaigns = CampaignSet((*state.data.campaigns.campaigns, camp))
            _v2(state).models[camp.id] = model
            return _answer(camp, model)
    except Invalid as error:
        return invalid(error)


@router.get("/v2/campaigns/{campaign_id}")
async def get_campaign(campaign_id: str, state: StateDep) -> JSONResponse:
    """#63 settings and sequence; email steps list their blocks in ``content``."""
    with state.lock:
        found = _find(state, campaign_id)
        return not_found() if found is None else _answer(*found)


@router.patch("/v2/campaigns/{campaign_id}")
async def update_campaign(campaign_id: str, request: Request, state: StateDep) -> JSONResponse:
    """#64: only the keys sent change; nested objects merge; ``sequence`` replaces the flow."""
    try:
        body = await json_object(request)
        with state.lock:
            found = _find(state, campaign_id)
            if found is None:
                return not_found()
            camp, model = found
            changes, sequence = _settings(state, body, camp, model)
            title = changes.pop("title", None)
            for key, value in changes.items():
                if key == "deals" and value is None:
                    model.settings.pop("deals", None)
                else:
                    model.settings[key] = value
            if sequence is not None:
                model.entry, model.steps, model.blocks = sequence
            camp = dataclasses.replace(camp, name=title or camp.name, updated_at=int(state.now()))
            if "recipients" in changes:
                camp = dataclasses.replace(camp, list_id=changes["recipients"]["list_id"])
            _replace(state, camp)
            return _answer(camp, model)
    except Invalid as error:
        return invalid(error)
    except Refused as error:
        return _refused(error)
    except UnknownSchedule:
        return not_found()


@router.delete("/v2/campaigns/{campaign_id}")
async def delete_campaign(campaign_id: str, state: StateDep) -> JSONResponse:
    """#65: only a new, completed or archived campaign; then gone from #27, #19, #20 and #63."""
    from airflow_provider_snovio.sandbox.control import delete_campaign as delete_upstream

    with state.lock:
        found = _find(state, campaign_id)
        if found is None:
            return not_found()
        camp, _ = found
        status = _status(camp)
        if status not in seeds.DELETABLE:
            return v2_error(f"A campaign in status {status} cannot be deleted: stop it first", 400, "status")
        delete_upstream(state, camp.id)
        _v2(state).models.pop(camp.id, None)
    return JSONResponse({"success": True})


def _transition(state: SandboxState, camp: Campaign, model: CampaignModel, action: str) -> str | list[str]:
    """The status ``action`` moves ``camp`` to, or the errors that refuse it."""
    status = _status(camp)
    targets = {"start": "active", "pause": "paused", "resume": "active", "complete": "completed"}
    targets["archived"] = "archived"
    archivable = ("new", "paused", "completed") if state.config.campaign_archive_any_state else ("completed",)
    sources = {
        "start": ("new",),
        "pause": ("active", "scheduled"),
        "resume": ("paused",),
        "complete": ("active", "paused", "scheduled"),
        "archived": archivable,
    }
    target = targets[action]
    if action == "start" and model.settings.get("start_campaign_at"):
        zone = zoneinfo.ZoneInfo(model.settings.get("timezone") or "UTC")
        begins = dt.datetime.strptime(model.settings["start_campaign_at"], _TIME_FORMAT).replace(tzinfo=zone)
        if begins.timestamp() > state.now():
            target = "scheduled"
    if status == target or (action == "start" and status == "scheduled"):
        return target if state.config.campaign_state_noop_succeeds else [f"The campaign is already {status}"]
    if status not in sources[action]:
        return [f"A campaign in status {status} cannot be {_PAST[action]}"]
    if action == "start" and not state.config.campaign_start_with_empty_content:
        empty = [
            f"Email step {ref} has no message: fill its blocks with #68"
            for ref, blocks in model.blocks.items()
            if not any(b["usage"] == "active" and b["subject"].strip() and b["body"].strip() for b in blocks)
        ]
        if empty:
            return empty
    return target


@router.post("/v2/campaigns/{campaign_id}/action")
async def change_state(campaign_id: str, request: Request, state: StateDep) -> JSONResponse:
    """#66 start, pause, resume, complete, archived: ``{success}`` or ``{success: false, errors[]}``."""
    try:
        body = await json_object(request)
        action = _choice(body.get("action"), "action", ACTIONS)
    except Invalid as error:
        return invalid(error)
    with state.lock:
        found = _find(state, campaign_id)
        if found is None:
            return not_found()
        camp, model = found
        outcome = _transition(state, camp, model, action)
        if isinstance(outcome, list):
            return JSONResponse({"success": False, "errors": outcome}, state.config.campaign_state_refusal_status)
        now = int(state.now())
        started = camp.started_at if camp.started_at is not None or outcome != "active" else now
        _replace(state, dataclasses.replace(camp, status=seeds.V1_STATUS[outcome], updated_at=now, started_at=started))
    return JSONResponse({"success": True})


# --- #68-#71 email step content -------------------------------------------------------------------


def _blocks(state: SandboxState, campaign_id: str, step_id: str) -> tuple[Campaign, CampaignModel, int] | None:
    found = _find(state, campaign_id)
    if found is None or not step_id.isdigit() or int(step_id) not in found[1].blocks:
        return None
    return found[0], found[1], int(step_id)


def _block_index(state: SandboxState, blocks: list[dict[str, Any]], content_id: int) -> int | None:
    """Where block ``content_id`` is: a slot id, or a 1-based slot number (``step_content_id_index``)."""
    if state.config.step_content_id_index:
        return content_id - 1 if 1 <= content_id <= len(blocks) else None
    return next((i for i, b in enumerate(blocks) if b["id"] == content_id), None)


def _content_fields(body: dict[str, Any], *, creating: bool) -> dict[str, Any]:
    allowed = {"subject", "body", "plain_text", "usage"} | ({"content_id"} if creating else set())
    if unknown := sorted(set(body) - allowed):
        raise Invalid(unknown[0], f"{unknown[0]} is not a content field")
    if creating:
        for key in sorted(allowed):
            if body.get(key) is None:
                raise Invalid(key, f"{key} is required")
    elif not body:
        raise Invalid("body", "Send at least one field to update")
    out: dict[str, Any] = {}
    for key in ("subject", "body"):
        if key in body:
            if not isinstance(body[key], str) or not body[key].strip():
                raise Invalid(key, f"{key} must be a non-empty string")
            out[key] = body[key]
    if "plain_text" in body:
        out["plain_text"] = _bool(body, "plain_text")
    if "usage" in body:
        out["usage"] = _choice(body["usage"], "usage", ("active", "pause"))
    return out


def _editable(camp: Campaign) -> None:
    status = _status(camp)
    if status not in seeds.CONTENT_EDITABLE:
        raise Refused(
            "status", f"content can be changed only while the campaign is new, paused or scheduled, not {status}"
        )


@router.post("/v2/campaigns/{campaign_id}/steps/{step_id}/content/create")
async def create_content(campaign_id: str, step_id: str, request: Request, state: StateDep) -> JSONResponse:
    """#68: write block ``content_id`` (a new id adds an A/B variant, up to 15; an existing one is overwritten)."""
    try:
        body = await json_object(request)
        with state.lock:
            found = _blocks(state, campaign_id, step_id)
            if found is None:
                return not_found()
            camp, model, ref = found
            fields = _content_fields(body, creating=True)
            content_id = _int(body["content_id"], "content_id", 1, 10**20)
            _editable(camp)
            blocks = model.blocks[ref]
            index = _block_index(state, blocks, content_id)
            if index is None:
                if len(blocks) >= 15:
                    raise Invalid("content_id", "an email step holds at most 15 blocks")
                if state.config.step_content_id_index and content_id != len(blocks) + 1:
                    raise Invalid("content_id", f"content_id must be 1 to {len(blocks) + 1}")
                new_id = block(ref, len(blocks))["id"] if state.config.step_content_id_index else content_id
                blocks.append({"id": new_id, "subject": "", "body": "", "plain_text": False, "usage": "active"})
                index = len(blocks) - 1
                for step in model.steps:
                    if step["_ref"] == ref:
                        step["content_slots"] = len(blocks)
            blocks[index].update(fields)
            return JSONResponse({"success": True, "data": dict(blocks[index])})
    except Invalid as error:
        return invalid(error)
    except Refused as error:
        return _refused(error)


@router.get("/v2/campaigns/{campaign_id}/steps/{step_id}/content/{content_id}")
async def get_content(campaign_id: str, step_id: str, content_id: str, state: StateDep) -> JSONResponse:
    """#69 one block (no ``success``)."""
    with state.lock:
        found = _blocks(state, campaign_id, step_id)
        if found is None or not content_id.isdigit():
            return not_found()
        blocks = found[1].blocks[found[2]]
        index = _block_index(state, blocks, int(content_id))
        return not_found() if index is None else JSONResponse({"data": dict(blocks[index])})


@router.patch("/v2/campaigns/{campaign_id}/steps/{step_id}/content/{content_id}")
async def update_content(
    campaign_id: str, step_id: str, content_id: str, request: Request, state: StateDep
) -> JSONResponse:
    """#70 change some of subject, body, plain_text, usage."""
    try:
        body = await json_object(request)
        with state.lock:
            found = _blocks(state, campaign_id, step_id)
            if found is None or not content_id.isdigit():
                return not_found()
            camp, model, ref = found
            index = _block_index(state, model.blocks[ref], int(content_id))
            if index is None:
                return not_found()
            fields = _content_fields(body, creating=False)
            _editable(camp)
            model.blocks[ref][index].update(fields)
            return JSONResponse({"success": True, "data": dict(model.blocks[ref][index])})
    except Invalid as error:
        return invalid(error)
    except Refused as error:
        return _refused(error)


@router.delete("/v2/campaigns/{campaign_id}/steps/{step_id}/content/{content_id}")
async def delete_content(campaign_id: str, step_id: str, content_id: str, state: StateDep) -> JSONResponse:
    """#71 ``{"data": {"success": true}}``; a step's last block stays."""
    with state.lock:
        found = _blocks(state, campaign_id, step_id)
        if found is None or not content_id.isdigit():
            return not_found()
        camp, model, ref = found
        blocks = model.blocks[ref]
        index = _block_index(state, blocks, int(content_id))
        if index is None:
            return not_found()
        try:
            _editable(camp)
        except Refused as error:
            return _refused(error)
        if len(blocks) == 1:
            return v2_error("The last block of a step cannot be deleted", 400, "content_id")
        del blocks[index]
        for step in model.steps:
            if step["_ref"] == ref:
                step["content_slots"] = len(blocks)
    return JSONResponse({"data": {"success": True}})

"""Prospect and list endpoints #29-#35.

Why writes matter: the enrichment ETL pushes good leads into a list (which starts a drip campaign) and must
see them afterwards; so an added prospect appears in ``prospect-list`` (newest first), in
``get-prospects-by-email`` and ``get-prospect-by-id``, and a created list appears in ``get-user-lists``.

Decisions where the docs are silent: unknown or deleted ``listId`` -> the documented 404 body;
``get-prospect-by-id`` with an unknown id -> ``{"success": false, "message": "Prospect not found"}`` (the docs
say success is true *if the prospect was found*); ``get-prospects-by-email`` with no match ->
``{"success": true, "data": []}``; ``perPage`` outside 1..5000 -> v1 error (2026 docs: max 5000); default
``perPage`` 100. Unknown ``customFields[...]`` names are ignored (the docs only allow existing fields).
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from airflow_provider_snovio.sandbox.auth import require_token
from airflow_provider_snovio.sandbox.data import names
from airflow_provider_snovio.sandbox.data.campaigns import php_date
from airflow_provider_snovio.sandbox.data.lists import (
    ProspectList,
    custom_field_definitions,
    full_prospect,
    list_prospect_row,
    make_prospect,
    new_prospect_id,
    user_list_row,
)
from airflow_provider_snovio.sandbox.errors import EntityNotFound, v1_error
from airflow_provider_snovio.sandbox.params import get_bracketed, get_list, request_params
from airflow_provider_snovio.sandbox.routes.common import fast_json, parse_int
from airflow_provider_snovio.sandbox.state import SandboxState, StateDep

router = APIRouter(dependencies=[Depends(require_token)], tags=["prospects and lists"])

MAX_PER_PAGE = 5000
DEFAULT_PER_PAGE = 100
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_TRUE = {"1", "true", "yes", "on"}
_SIMPLE_FIELDS = ("country", "locality", "position", "companyName", "companySite")


def _live_list(state: SandboxState, raw: Any) -> ProspectList:
    list_id = parse_int(raw, "listId")
    plist = state.data.lists.get(list_id)  # type: ignore[arg-type]
    if plist is None or plist.deleted is not None:
        raise EntityNotFound(list_id)
    return plist


def _campaigns_of(state: SandboxState, record: dict[str, Any]) -> list[dict[str, Any]]:
    """Campaigns that send to one of the prospect's lists (**inferred** short shape: id, campaign, status)."""
    lists = set(record["lists"])
    return [
        {"id": c.id, "campaign": c.name, "status": c.status}
        for c in state.data.campaigns.campaigns
        if c.list_id in lists
    ]


@router.post("/v1/add-prospect-to-list")
async def add_prospect_to_list(request: Request, state: StateDep) -> JSONResponse:
    """#29 ``{success, id, added, updated}``; an existing email is updated only with ``updateContact``.

    2026: ``email`` or ``socialLinks[linkedIn]`` (required when the email is null); ``createDuplicates``
    adds a new prospect even when one with this email exists; ``updateContact`` and ``createDuplicates``
    both true is refused (v1 error naming both). Decision where the docs are silent: a prospect without
    e-mail is the existing one with the same LinkedIn link, if any (so a resend does not add it twice).
    """
    params = await request_params(request)
    email = params.get_str("email")
    social = {k: str(v) for k, v in get_bracketed(params, "socialLinks").items()}
    linkedin = next((link.strip() for key, link in social.items() if key == "linkedIn" and link.strip()), None)
    if email is None and linkedin is None:
        return v1_error("email is required when socialLinks[linkedIn] is empty")
    if email is not None and not _EMAIL.match(email):
        return v1_error("email is not a valid email address")
    update_contact = str(params.get_str("updateContact", "")).lower() in _TRUE
    create_duplicates = str(params.get_str("createDuplicates", "")).lower() in _TRUE
    if update_contact and create_duplicates:
        return v1_error("Only one of updateContact and createDuplicates may be true")
    plist = _live_list(state, params.get("listId"))
    known_fields = set(names.CUSTOM_FIELD_LABELS)
    custom = {k: v for k, v in get_bracketed(params, "customFields").items() if k in known_fields}
    fields: dict[str, Any] = {name: params.get_str(name) for name in _SIMPLE_FIELDS}
    first, last, full = params.get_str("firstName"), params.get_str("lastName"), params.get_str("fullName")
    phones = [str(p) for p in get_list(params, "phones")]
    with state.lock:
        if email is not None:
            existing = state.data.prospects_by_email(email)
        else:
            existing = [
                p
                for p in state.data.prospects.values()
                if not p["email"] and (p["social"].get("linkedIn") or "").strip().lower() == (linkedin or "").lower()
            ]
        if create_duplicates:
            existing = []
        updated = False
        if existing:
            record = existing[0]
            if update_contact:
                for key, value in {**fields, "firstName": first, "lastName": last}.items():
                    if value is not None:
                        record[key] = value
                if full or first or last:
                    record["name"] = full or " ".join(p for p in (record["firstName"], record["lastName"]) if p)
                if phones:
                    record["phones"] = phones
                record["social"].update(social)
                record["customFields"].update(custom)
                record["updated"] = state.now()
                updated = True
        else:
            record = make_prospect(
                new_prospect_id(state.data.rng),
                email,
                first=first,
                last=last,
                full=full,
                updated=state.now(),
                phones=phones,
                social=social,
                customFields=custom,
                **fields,
            )
            state.data.prospects[record["id"]] = record
        added = plist.id not in record["lists"]
        if added:
            record["lists"].append(plist.id)
            plist.prospect_ids.append(record["id"])
    return JSONResponse({"success": True, "id": record["id"], "added": added, "updated": updated})


@router.post("/v1/get-prospect-by-id")
async def get_prospect_by_id(request: Request, state: StateDep) -> JSONResponse:
    """#30."""
    params = await request_params(request)
    prospect_id = params.get_str("id")
    if prospect_id is None:
        return v1_error("id is required")
    with state.lock:
        record = state.data.prospects.get(prospect_id)
        if record is None:
            return JSONResponse({"success": False, "message": "Prospect not found"})
        data = full_prospect(record, state.data.lists, _campaigns_of(state, record))
    return JSONResponse({"success": True, "data": data})


@router.post("/v1/get-prospects-by-email")
async def get_prospects_by_email(request: Request, state: StateDep) -> JSONResponse:
    """#31 every prospect record with this email."""
    params = await request_params(request)
    email = params.get_str("email")
    if email is None:
        return v1_error("email is required")
    with state.lock:
        data = [
            full_prospect(r, state.data.lists, _campaigns_of(state, r)) for r in state.data.prospects_by_email(email)
        ]
    return JSONResponse({"success": True, "data": data})


@router.get("/v1/prospect-custom-fields")
async def prospect_custom_fields() -> JSONResponse:
    """#32."""
    return JSONResponse(custom_field_definitions())


@router.get("/v1/get-user-lists")
async def get_user_lists(state: StateDep) -> JSONResponse:
    """#33 all lists, deleted ones included (``isDeleted``)."""
    with state.lock:
        return JSONResponse([user_list_row(plist) for plist in state.data.lists.values()])


@router.post("/v1/prospect-list")
async def prospect_list(request: Request, state: StateDep) -> Response:
    """#34 one page of a list, newest prospect first."""
    params = await request_params(request)
    plist = _live_list(state, params.get("listId"))
    page = parse_int(params.get("page"), "page", required=False, minimum=1) or 1
    per_page = parse_int(params.get("perPage"), "perPage", required=False, minimum=1) or DEFAULT_PER_PAGE
    if per_page > MAX_PER_PAGE:
        return v1_error(f"perPage must not exceed {MAX_PER_PAGE}")
    with state.lock:
        newest_first = plist.prospect_ids[::-1]
        chunk = newest_first[(page - 1) * per_page : page * per_page]
        rows = [list_prospect_row(state.data.prospects[pid]) for pid in chunk]
        meta = {
            "name": plist.name,
            "contacts": len(plist.prospect_ids),
            "creationDate": php_date(plist.created),
            "emailsCount": [],
        }
    return fast_json({"success": True, "list": meta, "prospects": rows})


@router.post("/v1/lists")
async def create_list(request: Request, state: StateDep) -> JSONResponse:
    """#35 ``[{"success": true, "data": {"id": ...}}]`` (array-wrapped, as documented)."""
    params = await request_params(request)
    name = params.get_str("name")
    if name is None:
        return v1_error("name is required")
    with state.lock:
        list_id = state.data.next_list_id()
        state.data.lists[list_id] = ProspectList(id=list_id, name=name, created=state.now())
    return JSONResponse([{"success": True, "data": {"id": list_id}}])

"""Domain search: the v2 start/result pairs (#1-#10) and the legacy ``GET /v2/domain-emails-with-info`` (#41).

Why a faithful copy matters: this is where a DAG spends credits in bulk, so the sandbox charges exactly as
the docs say - 1 credit per UNIQUE request (same tab, domain, page/cursor and positions: charged once),
nothing when a request has no results, 1 credit per prospect with an email for the prospect-email search,
1 credit per 10 emails returned by the legacy search (none when it finds nothing) - and makes paging real:
20 prospects per ``page`` with ``links.next``, 50 emails per page with the opaque ``meta.next`` cursor
(empty on the last page), ``lastId`` for the legacy endpoint. Every result is computed
when the task starts (a snapshot); the result route only waits (see ``sandbox.tasks``) and then renders it.

Decisions where the docs are silent (also in the report): validation failures of v2 starts answer the
sandbox's v2 422 ``{"errors": {...}}``; a start that cannot be paid answers the documented out-of-credits
400 and creates no task; an in-progress result carries ``"data": []``, the start's ``meta`` and
``"links": []``; the last page's ``links.next`` is ``""``; the legacy ``limit`` defaults to 10 (a recorded
real answer) and is clamped to 1..100; a legacy answer's last partial ten costs a whole credit (3 credits for
25 emails; the docs say only "1 per 10"); positions match case-insensitively as substrings.
"""

from __future__ import annotations

import hashlib
import math
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from airflow_provider_snovio.sandbox.auth import require_token
from airflow_provider_snovio.sandbox.data.domains import (
    DOMAIN_RE,
    VALID,
    DomainData,
    EmailRecord,
    Person,
    dataset_of,
    normalize_domain,
)
from airflow_provider_snovio.sandbox.errors import EntityNotFound, v1_error, validation_error
from airflow_provider_snovio.sandbox.params import Params, get_list, request_params
from airflow_provider_snovio.sandbox.state import SandboxState, StateDep
from airflow_provider_snovio.sandbox.tasks import COMPLETED, Task, extension, registry

router = APIRouter(dependencies=[Depends(require_token)])

PREFIX = "/v2/domain-search"
PROSPECTS_PER_PAGE = 20
EMAILS_PER_PAGE = 50
MAX_POSITIONS = 10
LEGACY_DEFAULT_LIMIT = 10
LEGACY_MAX_LIMIT = 100
#: #41 charges 1 credit per this many emails returned (a partial group counts whole; nothing found is free).
LEGACY_EMAILS_PER_CREDIT = 10
LEGACY_TYPES = ("all", "personal", "generic")
EXTENSION = "domain_search"

# Task kinds; also the ``tab`` values Snov.io reports.
COMPANY, PROSPECTS, PROSPECT_EMAILS, EMAILS, SERVICE = "company", "prospects", "prospect-emails", "emails", "service"
_TAB_PATHS = {EMAILS: "domain-emails", SERVICE: "generic-contacts"}


@dataclass
class DomainSearchState:
    """Which unique requests were already paid for (a repeat is free)."""

    charged: set[tuple[Any, ...]] = field(default_factory=set)


def init_state(state: SandboxState) -> None:
    state.extensions[EXTENSION] = DomainSearchState()


def _own_state(state: SandboxState) -> DomainSearchState:
    return extension(state, EXTENSION, DomainSearchState)


def charge_unique(state: SandboxState, key: tuple[Any, ...], has_results: bool, endpoint: str) -> bool:
    """Charge 1 credit for ``key`` unless it has no results or was paid before; True when charged.

    Raises ``OutOfCredits`` (nothing charged, nothing remembered) when the balance is empty.
    """
    if not has_results:
        return False
    ledger = _own_state(state)
    with state.lock:
        if key in ledger.charged:
            return False
        state.charge(1, endpoint)
        ledger.charged.add(key)
        return True


# --------------------------------------------------------------------------------------------------
# helpers


def _base(request: Request) -> str:
    return str(request.base_url).rstrip("/")


def _url(request: Request, path: str, query: list[tuple[str, Any]] | None = None) -> str:
    url = f"{_base(request)}{path}"
    return f"{url}?{urlencode(query)}" if query else url


def _domain_param(params: Params) -> str | JSONResponse:
    """The normalized ``domain`` or the validation error to answer."""
    raw = params.get_str("domain")
    if raw is None:
        return validation_error({"domain": "The domain field is required."})
    domain = normalize_domain(raw)
    if not DOMAIN_RE.match(domain):
        return validation_error({"domain": "The domain format is invalid."})
    return domain


def _int_param(params: Params, name: str, default: int, minimum: int | None = None) -> int | None:
    """An integer parameter (``default`` when absent); None when malformed or below ``minimum``."""
    raw = params.get_str(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        return None
    return value if minimum is None or value >= minimum else None


def with_hash(meta: dict[str, Any], task_hash: str) -> dict[str, Any]:
    """``meta`` with ``task_hash`` where the docs put it: after ``tab``, else after ``domain``, else first."""
    anchor = "tab" if "tab" in meta else "domain" if "domain" in meta else None
    out: dict[str, Any] = {} if anchor else {"task_hash": task_hash}
    for key, value in meta.items():
        out[key] = value
        if key == anchor:
            out["task_hash"] = task_hash
    return out


def _started(request: Request, task: Task, meta: dict[str, Any], result_path: str) -> JSONResponse:
    meta = with_hash(meta, task.task_hash)
    task.payload["start_meta"] = meta
    return JSONResponse(
        {"data": [], "meta": meta, "links": {"result": _url(request, f"{result_path}/{task.task_hash}")}}
    )


def _result(state: SandboxState, task_hash: str, kind: str) -> JSONResponse:
    tasks = registry(state)
    task = tasks.get(task_hash, kind)
    status = tasks.status(state, task)
    if status != COMPLETED:
        return JSONResponse({"data": [], "meta": task.payload["start_meta"], "links": [], "status": status})
    body = dict(task.payload["result"])
    body["status"] = COMPLETED
    return JSONResponse(body)


def _position_filter(positions: list[str]) -> Any:
    wanted = [p.strip().lower() for p in positions if p.strip()]

    def matches(position: str | None) -> bool:
        if not wanted:
            return True
        text = (position or "").lower()
        return any(w in text for w in wanted)

    return matches


def _positions(params: Params) -> list[str] | JSONResponse:
    positions = [str(p).strip() for p in get_list(params, "positions")]
    if len(positions) > MAX_POSITIONS:
        return validation_error({"positions": f"You can filter by up to {MAX_POSITIONS} positions."})
    return positions


# cursor of the 50-per-page tabs: 8 hex digits of offset + a 48-hex signature binding it to domain and tab
def make_cursor(domain: str, tab: str, offset: int) -> str:
    return f"{offset:08x}" + hashlib.sha256(f"cursor:{domain}:{tab}:{offset}".encode()).hexdigest()[:48]


def read_cursor(cursor: str, domain: str, tab: str) -> int | None:
    text = cursor.strip().lower()
    if len(text) != 56:
        return None
    try:
        offset = int(text[:8], 16)
    except ValueError:
        return None
    return offset if make_cursor(domain, tab, offset) == text else None


# --------------------------------------------------------------------------------------------------
# #1/#2 company info


def _company_data(domain: DomainData | None) -> Any:
    if domain is None or domain.company is None:
        return []
    company = domain.company
    return {
        "company_name": company.name,
        "city": company.city,
        "founded": company.founded,
        "website": company.website,
        "hq_phone": company.hq_phone,
        "industry": company.industry,
        "size": company.size,
        "related_domains": list(company.related_domains),
    }


@router.post(f"{PREFIX}/start")
async def company_info_start(request: Request, state: StateDep) -> JSONResponse:
    params = await request_params(request)
    domain_name = _domain_param(params)
    if isinstance(domain_name, JSONResponse):
        return domain_name
    domain = dataset_of(state).domain(domain_name)
    data = _company_data(domain)
    charge_unique(state, (COMPANY, domain_name), bool(data), f"POST {PREFIX}/start")
    task = registry(state).create(state, COMPANY, {})
    task.payload["result"] = {
        "data": data,
        "meta": {
            "domain": domain_name,
            "task_hash": task.task_hash,
            "prospects_count": len(domain.people) if domain else 0,
            "emails_count": len(domain.personal) if domain else 0,
            "generic_contacts_count": len(domain.generic) if domain else 0,
        },
        "links": {
            "prospects": _url(request, f"{PREFIX}/prospects/start", [("domain", domain_name)]),
            "domain_emails": _url(request, f"{PREFIX}/domain-emails/start", [("domain", domain_name)]),
            "generic_contacts": _url(request, f"{PREFIX}/generic-contacts/start", [("domain", domain_name)]),
        },
    }
    return _started(request, task, {"domain": domain_name}, f"{PREFIX}/result")


@router.get(f"{PREFIX}/result/{{task_hash}}")
async def company_info_result(task_hash: str, state: StateDep) -> JSONResponse:
    return _result(state, task_hash, COMPANY)


# --------------------------------------------------------------------------------------------------
# #3/#4 prospects


def _prospect_item(request: Request, person: Person) -> dict[str, Any]:
    return {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "position": person.position,
        "source_page": person.source_page,
        "search_emails_start": _url(request, f"{PREFIX}/prospects/search-emails/start/{person.prospect_hash}"),
    }


@router.post(f"{PREFIX}/prospects/start")
async def prospects_start(request: Request, state: StateDep) -> JSONResponse:
    params = await request_params(request)
    domain_name = _domain_param(params)
    if isinstance(domain_name, JSONResponse):
        return domain_name
    positions = _positions(params)
    if isinstance(positions, JSONResponse):
        return positions
    page = _int_param(params, "page", 1, 1)
    if page is None:
        return validation_error({"page": "The page must be a positive integer."})
    domain = dataset_of(state).domain(domain_name)
    matches = _position_filter(positions)
    found = [p for p in (domain.people if domain else ()) if matches(p.position)]
    chunk = found[(page - 1) * PROSPECTS_PER_PAGE : page * PROSPECTS_PER_PAGE]
    key = (PROSPECTS, domain_name, page, tuple(sorted(p.lower() for p in positions)))
    charge_unique(state, key, bool(chunk), f"POST {PREFIX}/prospects/start")
    next_url = ""
    if page * PROSPECTS_PER_PAGE < len(found):
        query: list[tuple[str, Any]] = [("domain", domain_name), ("page", page + 1)]
        query += [("positions[]", p) for p in positions]
        next_url = _url(request, f"{PREFIX}/prospects/start", query)
    task = registry(state).create(state, PROSPECTS, {})
    meta = {"domain": domain_name, "tab": "prospects", "page": page, "positions": positions}
    task.payload["result"] = {
        "data": [_prospect_item(request, p) for p in chunk],
        "meta": {**with_hash(meta, task.task_hash), "total_count": len(found)},
        "links": {"next": next_url},
    }
    return _started(request, task, meta, f"{PREFIX}/prospects/result")


@router.get(f"{PREFIX}/prospects/result/{{task_hash}}")
async def prospects_result(task_hash: str, state: StateDep) -> JSONResponse:
    return _result(state, task_hash, PROSPECTS)


# --------------------------------------------------------------------------------------------------
# #5/#6 one prospect's emails


@router.post(f"{PREFIX}/prospects/search-emails/start/{{prospect_hash}}")
async def prospect_emails_start(prospect_hash: str, request: Request, state: StateDep) -> JSONResponse:
    person = dataset_of(state).person_by_hash(prospect_hash)
    if person is None:
        raise EntityNotFound(prospect_hash)
    charge_unique(
        state,
        (PROSPECT_EMAILS, person.prospect_hash),
        bool(person.emails),
        f"POST {PREFIX}/prospects/search-emails/start",
    )
    task = registry(state).create(state, PROSPECT_EMAILS, {})
    task.payload["result"] = {
        "data": {
            "searching_date": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(state.now())),
            "emails": [{"email": email, "smtp_status": status} for email, status in person.emails],
        },
        "meta": {"task_hash": task.task_hash},
        "links": [],
    }
    return _started(request, task, {}, f"{PREFIX}/prospects/search-emails/result")


@router.get(f"{PREFIX}/prospects/search-emails/result/{{task_hash}}")
async def prospect_emails_result(task_hash: str, state: StateDep) -> JSONResponse:
    return _result(state, task_hash, PROSPECT_EMAILS)


# --------------------------------------------------------------------------------------------------
# #7-#10 domain emails and generic contacts (50 per page, ``next`` cursor)


async def _emails_start(request: Request, state: SandboxState, tab: str) -> JSONResponse:
    params = await request_params(request)
    domain_name = _domain_param(params)
    if isinstance(domain_name, JSONResponse):
        return domain_name
    cursor = params.get_str("next") or ""
    offset = 0
    if cursor:
        decoded = read_cursor(cursor, domain_name, tab)
        if decoded is None:
            return validation_error({"next": "The next cursor is invalid for this domain."})
        offset = decoded
    domain = dataset_of(state).domain(domain_name)
    records: tuple[EmailRecord, ...] = ()
    if domain is not None:
        records = domain.personal if tab == EMAILS else domain.generic
    chunk = records[offset : offset + EMAILS_PER_PAGE]
    path = f"{PREFIX}/{_TAB_PATHS[tab]}"
    charge_unique(state, (tab, domain_name, offset), bool(chunk), f"POST {path}/start")
    next_cursor = next_url = ""
    if offset + EMAILS_PER_PAGE < len(records):
        next_cursor = make_cursor(domain_name, tab, offset + EMAILS_PER_PAGE)
        next_url = _url(request, f"{path}/start", [("domain", domain_name), ("next", next_cursor)])
    task = registry(state).create(state, tab, {})
    task.payload["result"] = {
        "data": [{"email": record.email} for record in chunk],
        "meta": {
            "domain": domain_name,
            "tab": tab,
            "task_hash": task.task_hash,
            "next": next_cursor,
            "total_count": len(records),
        },
        "links": {"next": next_url},
    }
    return _started(request, task, {"domain": domain_name, "tab": tab, "next": cursor}, f"{path}/result")


@router.post(f"{PREFIX}/domain-emails/start")
async def domain_emails_start(request: Request, state: StateDep) -> JSONResponse:
    return await _emails_start(request, state, EMAILS)


@router.get(f"{PREFIX}/domain-emails/result/{{task_hash}}")
async def domain_emails_result(task_hash: str, state: StateDep) -> JSONResponse:
    return _result(state, task_hash, EMAILS)


@router.post(f"{PREFIX}/generic-contacts/start")
async def generic_contacts_start(request: Request, state: StateDep) -> JSONResponse:
    return await _emails_start(request, state, SERVICE)


@router.get(f"{PREFIX}/generic-contacts/result/{{task_hash}}")
async def generic_contacts_result(task_hash: str, state: StateDep) -> JSONResponse:
    return _result(state, task_hash, SERVICE)


# --------------------------------------------------------------------------------------------------
# #41 legacy domain search (older edition): synchronous, ``lastId`` cursor, 1 credit per 10 emails returned


def _legacy_item(record: EmailRecord, company_name: str) -> dict[str, Any]:
    status = "verified" if record.smtp_status == VALID else "notVerified"
    person = record.person
    if person is None:
        return {"email": record.email, "companyName": company_name, "type": "email", "status": status}
    return {
        "email": record.email,
        "firstName": person.first_name,
        "lastName": person.last_name,
        "position": person.position,
        "sourcePage": person.source_page,
        "companyName": company_name,
        "type": "prospect",
        "status": status,
    }


@router.get("/v2/domain-emails-with-info")
async def domain_emails_with_info(request: Request, state: StateDep) -> JSONResponse:
    params = await request_params(request)
    raw = params.get_str("domain")
    if raw is None:
        return v1_error("The domain field is required.")
    domain_name = normalize_domain(raw)
    if not DOMAIN_RE.match(domain_name):
        return v1_error("The domain format is invalid.")
    kind = (params.get_str("type") or "all").lower()
    if kind not in LEGACY_TYPES:
        return v1_error(f"The type must be one of: {', '.join(LEGACY_TYPES)}.")
    limit = _int_param(params, "limit", LEGACY_DEFAULT_LIMIT)
    last_id = _int_param(params, "lastId", 0, minimum=0)
    if limit is None or last_id is None:
        return v1_error("limit must be an integer and lastId a non-negative integer.")
    limit = max(1, min(LEGACY_MAX_LIMIT, limit))
    matches = _position_filter([str(p) for p in get_list(params, "positions")])
    has_positions = bool(get_list(params, "positions"))

    domain = dataset_of(state).domain(domain_name)
    if domain is None:
        return JSONResponse(
            {
                "success": True,
                "domain": "",
                "webmail": False,
                "result": 0,
                "lastId": 0,
                "limit": limit,
                "companyName": "",
                "emails": [],
            }
        )
    records = {"all": domain.all_emails, "personal": domain.personal, "generic": domain.generic}[kind]
    if has_positions:
        records = tuple(r for r in records if r.person is not None and matches(r.person.position))
    records = tuple(sorted(records, key=lambda r: r.id))
    chunk = [r for r in records if r.id > last_id][:limit]
    state.charge(math.ceil(len(chunk) / LEGACY_EMAILS_PER_CREDIT), "GET /v2/domain-emails-with-info")
    company_name = domain.company.name if domain.company else ""
    return JSONResponse(
        {
            "success": True,
            "domain": domain.name,
            "webmail": domain.webmail,
            "result": len(records),
            "lastId": chunk[-1].id if chunk else last_id,
            "limit": limit,
            "companyName": company_name,
            "emails": [_legacy_item(r, company_name) for r in chunk],
        }
    )

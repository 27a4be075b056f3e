"""2026 §1a enrichment v2 (#42-#45: company domain by name, LinkedIn profiles by URL; task_hash in the query)
and §1b database search v2 (#46-#51: prospects, a prospect's email reveal, companies; task_hash in the path).

Why a faithful copy matters: these are paid, asynchronous calls a DAG runs in bulk. The sandbox charges as
§1 documents: #42 1 credit per domain found, #44 1 per profile returned, #46 nothing, #48 1 per prospect with
an email (once per prospect, as #5), #50 1 per unique request with at least one result; nothing for the
result GETs. Everything is computed from the domain-search data set (``sandbox.data.database``), so the
database search finds the companies and people domain search finds.

Readings where the docs are silent, each behind a knob (off = the default reading):
``enrichment_charge_unique`` (a name or URL already paid for is free again), ``database_free_account``
(#46 page > 1 refused, "free accounts get page 1 only"), ``database_results_charged`` (the first completed
read of a #47 page costs 1 credit: #47's credits are "not stated"). Decisions: ~50 rows per page (inferred
from the docs' totals); unknown filter keys and enum values answer 422 naming the field; list filters match
case-insensitively (titles, skills, names, industries, specialities as substrings; sizes, levels and
departments exactly); a location matches by locality substring (``location_type`` is checked, not used);
the "up to 15 similar values" suggestion for an unmatched locality or industry is not modelled (its shape
is undocumented). #43 reports a name without a domain as ``result: []``, as #45 does for a URL.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from airflow_provider_snovio.sandbox.auth import require_token
from airflow_provider_snovio.sandbox.data.database import (
    Database,
    DbCompany,
    DbProspect,
    build_database,
    li_profile,
    prospect_by_linkedin,
)
from airflow_provider_snovio.sandbox.errors import EntityNotFound, v2_error, validation_error
from airflow_provider_snovio.sandbox.params import Params, get_list, request_params
from airflow_provider_snovio.sandbox.state import SandboxState, StateDep
from airflow_provider_snovio.sandbox.tasks import COMPLETED, Task, extension, registry, v2_result

router = APIRouter(dependencies=[Depends(require_token)])

EXTENSION = "enrichment_search"
MAX_BATCH = 10
PAGE_SIZE = 50
DB = "/v2/database-search"
# task kinds
COMPANY_DOMAIN, LI_PROFILES = "company-domain-by-name", "li-profiles-by-urls"
DB_PROSPECTS, DB_EMAILS, DB_COMPANIES = "db-prospects", "db-prospect-emails", "db-companies"

LEVELS = ("c_level", "vp_level", "director_level", "manager_level", "staff")
DEPARTMENTS = (
    "engineering",
    "human_resources",
    "it_is",
    "finance_administration",
    "marketing",
    "operations",
    "sales",
    "support",
    "other",
)
LOCATION_TYPES = ("city", "state", "country", "region", "subregion")
SIZES = ("self", "1-10", "11-50", "51-200", "201-500", "501-1000", "1001-5000", "5001-10000", "10001+")
REVENUE_MIN = (0, 1, 500000, 1000000, 2500000, 5000000, 10000000, 20000000, 50000000, 100000000, 500000000, 10**9)
REVENUE_MAX = (*REVENUE_MIN, 10**12)


@dataclass
class Ledger:
    """What was already paid for (charged-once calls) and which result pages were read (knob)."""

    charged: set[tuple[Any, ...]] = field(default_factory=set)


def init_state(state: SandboxState) -> None:
    state.extensions[EXTENSION] = Ledger()


def _ledger(state: SandboxState) -> Ledger:
    return extension(state, EXTENSION, Ledger)


def database_of(state: SandboxState) -> Database:
    return build_database(state.config.seed)


class Invalid(Exception):
    def __init__(self, source: str, message: str) -> None:
        super().__init__(message)
        self.source, self.message = source, message


def _url(request: Request, path: str, query: list[tuple[str, Any]] | None = None) -> str:
    url = f"{str(request.base_url).rstrip('/')}{path}"
    return f"{url}?{urlencode(query)}" if query else url


def _charge_once(state: SandboxState, key: tuple[Any, ...], amount: int, endpoint: str) -> None:
    """Charge ``amount`` for ``key`` unless it was paid before (all or nothing: ``OutOfCredits`` charges none)."""
    ledger = _ledger(state)
    with state.lock:
        if amount <= 0 or key in ledger.charged:
            return
        state.charge(amount, endpoint)
        ledger.charged.add(key)


def _batch(params: Params, name: str) -> list[str]:
    items = list(dict.fromkeys(str(item).strip() for item in get_list(params, name) if str(item).strip()))
    if not items:
        raise Invalid(name, f"The {name} field is required.")
    if len(items) > MAX_BATCH:
        raise Invalid(name, f"You can send up to {MAX_BATCH} {name} per request.")
    return items


def _webhook(params: Params) -> None:
    url = params.get_str("webhook_url")
    if url is not None and not url.lower().startswith(("http://", "https://")):
        raise Invalid("webhook_url", "The webhook url format is invalid.")


# --------------------------------------------------------------------------------------------------
# #42/#43 company domain by name


@router.post("/v2/company-domain-by-name/start")
async def company_domain_start(request: Request, state: StateDep) -> JSONResponse:
    params = await request_params(request)
    try:
        names = _batch(params, "names")
        _webhook(params)
    except Invalid as error:
        return validation_error({error.source: error.message})
    by_name: dict[str, str] = {}
    for company in database_of(state).companies:  # domain order: the first domain of a shared name wins
        by_name.setdefault(company.name.lower(), company.domain)
    data: list[dict[str, Any]] = []
    found: list[str] = []
    for name in names:
        domain = by_name.get(name.lower())
        data.append({"name": name, "result": {"domain": domain} if domain else []})
        if domain:
            found.append(name.lower())
    _charge_found(state, COMPANY_DOMAIN, found, "POST /v2/company-domain-by-name/start")
    task = registry(state).create(state, COMPANY_DOMAIN, {"data": data, "names": names})
    return JSONResponse({"data": {"task_hash": task.task_hash}, "meta": {"names": names}})


def _charge_found(state: SandboxState, kind: str, found: list[str], endpoint: str) -> None:
    """1 credit per item found; with ``enrichment_charge_unique`` an item paid for before is free."""
    if not state.config.enrichment_charge_unique:
        if found:
            state.charge(len(found), endpoint)
        return
    ledger = _ledger(state)
    with state.lock:
        new = [item for item in dict.fromkeys(found) if (kind, item) not in ledger.charged]
        if new:
            state.charge(len(new), endpoint)
            ledger.charged.update((kind, item) for item in new)


@router.get("/v2/company-domain-by-name/result")
async def company_domain_result(request: Request, state: StateDep) -> JSONResponse:
    return JSONResponse(v2_result(state, request.query_params.get("task_hash"), COMPANY_DOMAIN, "names"))


# --------------------------------------------------------------------------------------------------
# #44/#45 LinkedIn profiles by URL


@router.post("/v2/li-profiles-by-urls/start")
async def li_profiles_start(request: Request, state: StateDep) -> JSONResponse:
    params = await request_params(request)
    try:
        urls = _batch(params, "urls")
        for i, url in enumerate(urls):
            if not url.lower().startswith(("http://", "https://")) or "linkedin.com/" not in url.lower():
                raise Invalid(f"urls.{i}", "The url must be a LinkedIn profile URL.")
        _webhook(params)
    except Invalid as error:
        return validation_error({error.source: error.message})
    database = database_of(state)
    data, found = [], []
    for url in urls:
        prospect = prospect_by_linkedin(database, url)
        data.append({"url": url, "result": li_profile(prospect) if prospect else []})
        if prospect is not None:
            found.append(prospect.linkedin_url.lower())
    _charge_found(state, LI_PROFILES, found, "POST /v2/li-profiles-by-urls/start")
    task = registry(state).create(state, LI_PROFILES, {"data": data, "urls": urls})
    return JSONResponse({"data": {"task_hash": task.task_hash}, "meta": {"urls": urls}})


@router.get("/v2/li-profiles-by-urls/result")
async def li_profiles_result(request: Request, state: StateDep) -> JSONResponse:
    return JSONResponse(v2_result(state, request.query_params.get("task_hash"), LI_PROFILES, "urls"))


# --------------------------------------------------------------------------------------------------
# #46-#51 database search: filters


def _section(source: str, value: Any, allowed: tuple[str, ...]) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise Invalid(source, f"The {source} field must be an object.")
    for key in value:
        if key not in allowed:
            raise Invalid(f"{source}.{key}", f"The {source}.{key} filter is not supported.")
    return value


def _sides(source: str, value: Any, item: Callable[[str, Any], Any]) -> tuple[list[Any], list[Any]]:
    given = _section(source, value, ("include", "exclude"))
    out: dict[str, list[Any]] = {"include": [], "exclude": []}
    for side, items in given.items():
        if not isinstance(items, list):
            raise Invalid(f"{source}.{side}", f"The {source}.{side} field must be an array.")
        out[side] = [item(f"{source}.{side}.{i}", x) for i, x in enumerate(items)]
    return out["include"], out["exclude"]


def _word(source: str, value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise Invalid(source, f"The {source} field must be a non-empty string.")
    return value.strip().lower()


def _enum(choices: tuple[Any, ...]) -> Callable[[str, Any], Any]:
    def check(source: str, value: Any) -> Any:
        key = value.lower() if isinstance(value, str) else value
        if isinstance(value, bool) or key not in choices:
            raise Invalid(source, f"The selected {source} is invalid.")
        return key

    return check


def _location(source: str, value: Any) -> str:
    given = _section(source, value, ("locality", "location_type"))
    _enum(LOCATION_TYPES)(f"{source}.location_type", given.get("location_type"))
    return _word(f"{source}.locality", given.get("locality"))


def _text_filter(source: str, value: Any, exact: bool = False) -> Callable[[Any], bool]:
    include, exclude = _sides(source, value, _word)

    def hit(text: str, words: list[str]) -> bool:
        return any((w == text) if exact else (w in text) for w in words)

    return lambda text: (not include or hit(str(text).lower(), include)) and not hit(str(text).lower(), exclude)


def _enum_filter(source: str, value: Any, choices: tuple[str, ...]) -> Callable[[Any], bool]:
    include, exclude = _sides(source, value, _enum(choices))
    return lambda got: (not include or str(got).lower() in include) and str(got).lower() not in exclude


def _locations_filter(source: str, value: Any) -> Callable[[Any], bool]:
    include, exclude = _sides(source, value, _location)

    def hit(text: str, words: list[str]) -> bool:
        return any(w in text for w in words)

    return lambda text: (not include or hit(str(text).lower(), include)) and not hit(str(text).lower(), exclude)


def _company_filter(source: str, value: Any) -> Callable[[DbCompany], bool]:
    given = _section(source, value, ("name", "industries", "locations", "size", "revenue", "specialities", "founded"))
    checks: list[Callable[[DbCompany], bool]] = []
    if "name" in given:
        name = _text_filter(f"{source}.name", given["name"])
        checks.append(lambda c: name(c.name))
    if "industries" in given:
        industry = _text_filter(f"{source}.industries", given["industries"])
        checks.append(lambda c: industry(c.industry))
    if "locations" in given:
        where = _locations_filter(f"{source}.locations", given["locations"])
        checks.append(lambda c: where(c.location))
    if "size" in given:
        size = _enum_filter(f"{source}.size", given["size"], SIZES)
        checks.append(lambda c: size(c.size))
    if "specialities" in given:
        spec = _text_filter(f"{source}.specialities", given["specialities"])
        checks.append(lambda c: any(spec(s) for s in c.specialities))
    if "revenue" in given:
        revenue = _section(f"{source}.revenue", given["revenue"], ("min", "max"))
        low = _enum(REVENUE_MIN)(f"{source}.revenue.min", revenue["min"]) if "min" in revenue else None
        high = _enum(REVENUE_MAX)(f"{source}.revenue.max", revenue["max"]) if "max" in revenue else None
        if low is not None and high is not None and low > high:
            raise Invalid(f"{source}.revenue.max", "The revenue max must not be below min.")
        checks.append(
            lambda c: (low is None or c.revenue_reported >= low) and (high is None or c.revenue_reported <= high)
        )
    if "founded" in given:
        founded = _section(f"{source}.founded", given["founded"], ("from", "till"))
        years = {}
        for key in founded:
            year = founded[key]
            if isinstance(year, bool) or not isinstance(year, int | str) or not str(year).isdigit():
                raise Invalid(f"{source}.founded.{key}", "The year must be an integer.")
            years[key] = int(year)
        checks.append(lambda c: years.get("from", 0) <= c.founded <= years.get("till", 10**6))
    return lambda company: all(check(company) for check in checks)


def _prospect_filter(source: str, value: Any) -> Callable[[DbProspect], bool]:
    given = _section(
        source,
        value,
        ("job_titles", "skills", "management_levels", "departments", "locations", "first_name", "last_name"),
    )
    checks: list[Callable[[DbProspect], bool]] = []
    if "job_titles" in given:
        title = _text_filter(f"{source}.job_titles", given["job_titles"])
        checks.append(lambda p: title(p.person.position))
    if "skills" in given:
        skill = _text_filter(f"{source}.skills", given["skills"])
        checks.append(lambda p: any(skill(s) for s in p.skills))
    if "management_levels" in given:
        level = _enum_filter(f"{source}.management_levels", given["management_levels"], LEVELS)
        checks.append(lambda p: level(p.management_level))
    if "departments" in given:
        dept = _enum_filter(f"{source}.departments", given["departments"], DEPARTMENTS)
        checks.append(lambda p: dept(p.department))
    if "locations" in given:
        where = _locations_filter(f"{source}.locations", given["locations"])
        checks.append(lambda p: where(p.location))
    for key in ("first_name", "last_name"):
        if key in given:
            checks.append(_name_check(key, _word(f"{source}.{key}", given[key])))
    return lambda prospect: all(check(prospect) for check in checks)


def _name_check(key: str, wanted: str) -> Callable[[DbProspect], bool]:
    return lambda prospect: str(getattr(prospect.person, key)).lower() == wanted


async def _search_body(request: Request) -> tuple[Mapping[str, Any], int]:
    body = (await request_params(request)).json
    if not isinstance(body, dict):
        raise Invalid("body", "The request body must be a JSON object.")
    for key in body:
        if key not in ("filters", "page", "webhook_url"):
            raise Invalid(key, f"The {key} field is not supported.")
    page = body.get("page", 1)
    if isinstance(page, bool) or not isinstance(page, int) or page < 1:
        raise Invalid("page", "The page must be a positive integer.")
    url = body.get("webhook_url")
    if url is not None and (not isinstance(url, str) or not url.lower().startswith(("http://", "https://"))):
        raise Invalid("webhook_url", "The webhook url format is invalid.")
    if "filters" not in body:
        raise Invalid("filters", "The filters field is required.")
    return body["filters"], page


def _page_of(items: list[Any], page: int) -> tuple[list[Any], int]:
    return items[(page - 1) * PAGE_SIZE : page * PAGE_SIZE], math.ceil(len(items) / PAGE_SIZE)


def _mask(text: str) -> str:
    return f"{text[:2]}***" if text else ""


def _started(request: Request, task: Task, result_path: str, meta: dict[str, Any]) -> JSONResponse:
    task.payload["start_meta"] = meta
    return JSONResponse(
        {"data": [], "meta": meta, "links": {"result": _url(request, f"{result_path}/{task.task_hash}")}}
    )


def _result(state: SandboxState, task_hash: str, kind: str, charge_read: bool = False) -> JSONResponse:
    tasks = registry(state)
    task = tasks.get(task_hash, kind)
    status = tasks.status(state, task)
    if status != COMPLETED:
        return JSONResponse({"data": [], "meta": task.payload["start_meta"], "links": [], "status": status})
    if charge_read and state.config.database_results_charged and task.payload["data"].get("prospects"):
        _charge_once(state, ("read", task.task_hash), 1, f"GET {DB}/prospects/result")
    return JSONResponse(
        {"data": task.payload["data"], "meta": task.payload["start_meta"], "links": [], "status": COMPLETED}
    )


def _list_id(state: SandboxState, prospect: DbProspect) -> int | None:
    """The first live list holding one of the person's addresses (``list_id`` "only if already in a list")."""
    with state.lock:
        for address, _status in prospect.person.emails:
            for record in state.data.prospects_by_email(address):
                for list_id in record.get("lists") or []:
                    plist = state.data.lists.get(list_id)
                    if plist is not None and plist.deleted is None:
                        return int(list_id)
    return None


def _prospect_item(request: Request, state: SandboxState, prospect: DbProspect) -> dict[str, Any]:
    person, company = prospect.person, prospect.company
    item: dict[str, Any] = {
        "first_name": _mask(person.first_name),
        "last_name": _mask(person.last_name),
        "job_title": person.position,
        "location": prospect.location,
        "linkedin_url": prospect.linkedin_url.rstrip("/").rsplit("/", 1)[0]
        + "/"
        + _mask(prospect.linkedin_url.rstrip("/").rsplit("/", 1)[-1])
        if prospect.linkedin_url
        else "",
        "industry": person.industry or company.industry,
    }
    list_id = _list_id(state, prospect)
    if list_id is not None:
        item["list_id"] = list_id
    item["email_and_hidden_info_reveal"] = _url(request, f"{DB}/prospects/search-emails/start/{prospect.reveal_hash}")
    item["company"] = {
        "name": company.name,
        "domain": company.domain,
        "location": company.location,
        "industry": company.industry,
        "size": company.size,
    }
    return item


@router.post(f"{DB}/prospects/start")
async def db_prospects_start(request: Request, state: StateDep) -> JSONResponse:
    try:
        filters, page = await _search_body(request)
        given = _section("filters", filters, ("prospect", "company"))
        person_ok = _prospect_filter("filters.prospect", given["prospect"]) if "prospect" in given else None
        company_ok = _company_filter("filters.company", given["company"]) if "company" in given else None
    except Invalid as error:
        return validation_error({error.source: error.message})
    if page > 1 and state.config.database_free_account:
        return v2_error("Free accounts can view only the first page of the search results.", 400, "page")
    found = [
        p
        for p in database_of(state).prospects
        if (person_ok is None or person_ok(p)) and (company_ok is None or company_ok(p.company))
    ]
    chunk, total_pages = _page_of(found, page)
    task = registry(state).create(state, DB_PROSPECTS, {})
    task.payload["data"] = {
        "total": len(found),
        "page": page,
        "total_pages": total_pages,
        "prospects": [_prospect_item(request, state, p) for p in chunk],
    }
    return _started(request, task, f"{DB}/prospects/result", {"task_hash": task.task_hash, "page": page})


@router.get(f"{DB}/prospects/result/{{task_hash}}")
async def db_prospects_result(task_hash: str, state: StateDep) -> JSONResponse:
    return _result(state, task_hash, DB_PROSPECTS, charge_read=True)


@router.post(f"{DB}/prospects/search-emails/start/{{reveal_hash}}")
async def db_prospect_emails_start(reveal_hash: str, request: Request, state: StateDep) -> JSONResponse:
    prospect = database_of(state).by_reveal_hash.get(reveal_hash.lower())
    if prospect is None:
        raise EntityNotFound(reveal_hash)
    person = prospect.person
    # 1 credit per prospect with an email, once per prospect (as #5 charges for its prospects)
    _charge_once(
        state, ("reveal", person.prospect_hash), 1 if person.emails else 0, f"POST {DB}/prospects/search-emails/start"
    )
    task = registry(state).create(state, DB_EMAILS, {})
    task.payload["data"] = {
        "searching_date": time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(state.now())),
        "first_name": person.first_name,
        "last_name": person.last_name,
        "linkedin_url": prospect.linkedin_url,
        "emails": [{"email": email, "smtp_status": status} for email, status in person.emails],
    }
    return _started(request, task, f"{DB}/prospects/search-emails/result", {"task_hash": task.task_hash})


@router.get(f"{DB}/prospects/search-emails/result/{{task_hash}}")
async def db_prospect_emails_result(task_hash: str, state: StateDep) -> JSONResponse:
    return _result(state, task_hash, DB_EMAILS)


def _company_item(company: DbCompany) -> dict[str, Any]:
    return {
        "name": company.name,
        "domain": company.domain,
        "location": company.location,
        "industry": company.industry,
        "size": company.size,
        "revenue": {"min": company.revenue_min, "max": company.revenue_max, "reported": company.revenue_reported},
        "logo_url": company.logo_url,
    }


@router.post(f"{DB}/companies/start")
async def db_companies_start(request: Request, state: StateDep) -> JSONResponse:
    try:
        filters, page = await _search_body(request)
        given = _section("filters", filters, ("company", "locations"))
        company_ok = _company_filter("filters.company", given["company"]) if "company" in given else None
        where = _locations_filter("filters.locations", given["locations"]) if "locations" in given else None
    except Invalid as error:
        return validation_error({error.source: error.message})
    found = [
        c
        for c in database_of(state).companies
        if (company_ok is None or company_ok(c)) and (where is None or where(c.location))
    ]
    chunk, total_pages = _page_of(found, page)
    key = ("companies", _canonical(filters), page)
    _charge_once(state, key, 1 if chunk else 0, f"POST {DB}/companies/start")
    task = registry(state).create(state, DB_COMPANIES, {})
    task.payload["data"] = {
        "total": len(found),
        "page": page,
        "total_pages": total_pages,
        "companies": [_company_item(c) for c in chunk],
    }
    return _started(request, task, f"{DB}/companies/result", {"task_hash": task.task_hash, "page": page})


def _canonical(value: Any) -> Any:
    """A hashable, order-insensitive form of a filters object: "a unique request" is the same filters."""
    if isinstance(value, Mapping):
        return tuple(sorted((str(k), _canonical(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(sorted((_canonical(v) for v in value), key=repr))
    return str(value).lower() if isinstance(value, str) else value


@router.get(f"{DB}/companies/result/{{task_hash}}")
async def db_companies_result(task_hash: str, state: StateDep) -> JSONResponse:
    return _result(state, task_hash, DB_COMPANIES)

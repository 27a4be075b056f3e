"""Email finder and enrichment: v1 #11-#16 and the v2 finder ``/v2/emails-by-domain-by-name``.

Why this shape: the v1 finder is "soft async" - ``get-emails-from-names`` answers ``not_found`` until the
name is queued with ``add-names-to-find-emails`` (1 credit), then ``in_progress`` until the queued search
is done (``sandbox.tasks.Progress``: delay AND polls), then ``complete``. Both count against the hourly
finder limit (per request) and answer the documented "too many prospects processing" when it is spent.
A DAG that skips the queue step, polls without waiting or ignores the hourly limit fails here, as it would
against Snov.io. The v2 finder charges 1 credit per email found whose smtp_status is valid or unknown
(2026); when the balance cannot cover them the task's status is the terminal ``not_enough_credits``
(and nothing is charged).

Decisions where the docs are silent: a queued search for a person Snov.io does not know completes with
``identifier: complete`` and no emails (not ``not_found`` again, which would make clients re-queue and pay
twice); repeated ``add-names`` for a queued name costs again (the docs: 1 credit per request) but does not
restart the search; ``get-emails-from-url`` answers as soon as the URL was added; "not found" answers of
#15/#16 are the recorded ``{"success": true, "message": "We couldn't find profile with this ..."}``.
Missing or malformed inputs answer the v1 error body (400); v2 body errors answer the sandbox's v2 422.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from airflow_provider_snovio.sandbox.auth import require_token
from airflow_provider_snovio.sandbox.data.domains import (
    DOMAIN_RE,
    Person,
    Verdict,
    dataset_of,
    is_valid_email,
    normalize_domain,
    normalize_profile_url,
)
from airflow_provider_snovio.sandbox.errors import OutOfCredits, v1_error, validation_error
from airflow_provider_snovio.sandbox.limits import consume_hourly
from airflow_provider_snovio.sandbox.params import Params, request_params
from airflow_provider_snovio.sandbox.state import SandboxState, StateDep
from airflow_provider_snovio.sandbox.tasks import (
    NOT_ENOUGH_CREDITS,
    Progress,
    extension,
    poll,
    registry,
    v2_result,
)

router = APIRouter(dependencies=[Depends(require_token)])

EXTENSION = "finder"
MAX_ROWS = 10
#: v2 finder (2026): 1 credit per e-mail whose smtp_status is valid OR unknown (not only the valid ones).
CHARGED_STATUSES = ("valid", "unknown")
V2_FINDER = "/v2/emails-by-domain-by-name"
#: Account id the sandbox reports in ``add-names-to-find-emails`` answers (the docs' example value).
USER_ID = 666871
PROFILE_URL_RE = re.compile(r"^(linkedin\.com/(in|pub)/.+|x\.com/[A-Za-z0-9_]+)$")
_ROW_KEY = re.compile(r"^rows\[(\d+)\]\[(first_name|last_name|domain)\]$")

FINDER_DESCRIPTIONS = {
    "complete": "Emails search is completed",
    "in_progress": "Emails search is in progress",
    "not_found": "Emails not found, send the name to search with add-names-to-find-emails",
}


@dataclass(eq=False)
class NameSearch:
    """A name queued with ``add-names-to-find-emails``; ``emails`` are what the search will find."""

    progress: Progress
    emails: list[dict[str, str]]


@dataclass
class FinderState:
    names: dict[tuple[str, str, str], NameSearch] = field(default_factory=dict)
    urls: set[str] = field(default_factory=set)
    status_errors: StatusErrors = field(default_factory=lambda: StatusErrors())


@dataclass
class StatusErrors:
    """``status_error_every``: counts one route's v1 status reads from when the knob was (re)set."""

    every: int = 0
    reads: int = 0

    def fail_now(self, state: SandboxState) -> bool:
        """Count this read; True when it must answer 503 (before it counts or changes anything)."""
        every = state.config.status_error_every
        with state.lock:
            if every != self.every:
                self.every, self.reads = every, 0
            if every <= 0:
                return False
            self.reads += 1
            return self.reads % every == 0


def status_error() -> JSONResponse:
    """The 503 a ``status_error_every`` read gets (as a proxy would send it, but JSON: easier to read)."""
    body = {"errors": {"code": 503, "title": "Service Temporarily Unavailable", "source": ""}}
    return JSONResponse(body, status_code=503)


def init_state(state: SandboxState) -> None:
    state.extensions[EXTENSION] = FinderState()


def _own_state(state: SandboxState) -> FinderState:
    return extension(state, EXTENSION, FinderState)


def _require(params: Params, *names: str) -> dict[str, str] | JSONResponse:
    values: dict[str, str] = {}
    missing = []
    for name in names:
        value = params.get_str(name)
        if value is None:
            missing.append(name)
        else:
            values[name] = value
    if missing:
        return v1_error(f"Missing required parameter(s): {', '.join(missing)}")
    return values


def _name_params(params: Params) -> dict[str, str] | JSONResponse:
    values = _require(params, "firstName", "lastName", "domain")
    if isinstance(values, JSONResponse):
        return values
    values["domain"] = normalize_domain(values["domain"])
    if not DOMAIN_RE.match(values["domain"]):
        return v1_error("The domain format is invalid.")
    return values


def _name_key(values: dict[str, str]) -> tuple[str, str, str]:
    return (values["firstName"].lower(), values["lastName"].lower(), values["domain"])


def ensure_balance(state: SandboxState, amount: float) -> None:
    """Refuse before any hourly slot is taken when the balance cannot pay (``charge`` re-checks)."""
    if state.balance + 1e-9 < amount:
        raise OutOfCredits(amount, state.balance)


# --------------------------------------------------------------------------------------------------
# #11 email count (free)


@router.post("/v1/get-domain-emails-count")
async def domain_emails_count(request: Request, state: StateDep) -> JSONResponse:
    params = await request_params(request)
    raw = params.get_str("domain")
    if raw is None:
        return v1_error("Missing required parameter(s): domain")
    name = normalize_domain(raw)
    if not DOMAIN_RE.match(name):
        return v1_error("The domain format is invalid.")
    domain = dataset_of(state).domain(name)
    webmail = bool(domain and domain.webmail)
    count = 0 if domain is None or webmail else len(domain.personal) + len(domain.generic)
    return JSONResponse({"success": True, "domain": name, "webmail": webmail, "result": count})


# --------------------------------------------------------------------------------------------------
# #12/#13 email finder (soft async, hourly limit)


@router.post("/v1/get-emails-from-names")
async def get_emails_from_names(request: Request, state: StateDep) -> JSONResponse:
    params = await request_params(request)
    values = _name_params(params)
    if isinstance(values, JSONResponse):
        return values
    if _own_state(state).status_errors.fail_now(state):
        return status_error()
    consume_hourly(state, "finder", 1)
    with state.lock:
        state.stats.item_reads["finder:" + "|".join(_name_key(values))] += 1
    search = _own_state(state).names.get(_name_key(values))
    if search is None:
        identifier, emails = "not_found", []
    elif poll(state, search.progress):
        identifier, emails = "complete", search.emails
    else:
        identifier, emails = "in_progress", []
    return JSONResponse(
        {
            "success": True,
            "params": values,
            "data": {"firstName": values["firstName"], "lastName": values["lastName"], "emails": emails},
            "status": {"identifier": identifier, "description": FINDER_DESCRIPTIONS[identifier]},
        }
    )


@router.post("/v1/add-names-to-find-emails")
async def add_names_to_find_emails(request: Request, state: StateDep) -> JSONResponse:
    params = await request_params(request)
    values = _name_params(params)
    if isinstance(values, JSONResponse):
        return values
    key = _name_key(values)
    person = dataset_of(state).person_by_name(values["firstName"], values["lastName"], values["domain"])
    finder = _own_state(state)
    with state.lock:
        ensure_balance(state, 1)
        consume_hourly(state, "finder", 1)
        state.charge(1, "POST /v1/add-names-to-find-emails")
        if key not in finder.names:
            emails = [{"email": e, "emailStatus": styled(state, s)} for e, s in person.emails] if person else []
            finder.names[key] = NameSearch(Progress(state.now()), emails)
    return JSONResponse({"success": True, **values, "userId": USER_ID, "sent": True})


# --------------------------------------------------------------------------------------------------
# #14/#15 prospect by social profile URL


def _url_param(params: Params) -> str | JSONResponse:
    raw = params.get_str("url")
    if raw is None:
        return v1_error("Missing required parameter(s): url")
    url = normalize_profile_url(raw)
    if not PROFILE_URL_RE.match(url):
        return v1_error("The url must be a LinkedIn or X (Twitter) profile URL.")
    return url


def _url_profile(person: Person) -> dict[str, Any]:
    date = person.last_update_date
    return {
        "id": person.url_id,
        "name": person.full_name,
        "firstName": person.first_name,
        "lastName": person.last_name,
        "sourcePage": person.source_page,
        "source": "linkedIn",
        "industry": person.industry,
        "country": person.country,
        "locality": person.locality,
        "lastUpdateDate": {"date": f"{date}.000000", "timezone_type": 3, "timezone": "UTC"},
        "currentJob": list(person.current_jobs),
        "previousJob": list(person.previous_jobs),
        "social": [],
        "emails": [{"email": email, "status": status} for email, status in person.emails],
    }


@router.post("/v1/add-url-for-search")
async def add_url_for_search(request: Request, state: StateDep) -> JSONResponse:
    params = await request_params(request)
    url = _url_param(params)
    if isinstance(url, JSONResponse):
        return url
    with state.lock:
        state.charge(1, "POST /v1/add-url-for-search")
        _own_state(state).urls.add(url)
    return JSONResponse({"success": True})


@router.post("/v1/get-emails-from-url")
async def get_emails_from_url(request: Request, state: StateDep) -> JSONResponse:
    params = await request_params(request)
    url = _url_param(params)
    if isinstance(url, JSONResponse):
        return url
    person = dataset_of(state).person_by_url(url)
    if url not in _own_state(state).urls or person is None:
        return JSONResponse({"success": True, "message": "We couldn't find profile with this url"})
    return JSONResponse({"success": True, "data": [_url_profile(person)]})


# --------------------------------------------------------------------------------------------------
# #16 profile by email (1 credit; none when not found)


def _email_profile(person: Person) -> dict[str, Any]:
    return {
        "success": True,
        "id": person.profile_id,
        "source": "linkedIn",
        "name": person.full_name,
        "firstName": person.first_name,
        "lastName": person.last_name,
        "logo": person.logo,
        "industry": person.industry,
        "country": person.country,
        "locality": person.locality,
        "social": [{"link": link, "type": kind} for kind, link in person.social],
        "currentJobs": list(person.current_jobs),
        "previousJobs": list(person.previous_jobs),
        "lastUpdateDate": person.last_update_date,
    }


@router.post("/v1/get-profile-by-email")
async def get_profile_by_email(request: Request, state: StateDep) -> JSONResponse:
    params = await request_params(request)
    email = params.get_str("email")
    if email is None:
        return v1_error("Missing required parameter(s): email")
    if not is_valid_email(email):
        return v1_error("The email format is invalid.")
    person = dataset_of(state).person_by_email(email)
    if person is None:
        return JSONResponse({"success": True, "message": "We couldn't find profile with this email"})
    state.charge(1, "POST /v1/get-profile-by-email")
    return JSONResponse(_email_profile(person))


# --------------------------------------------------------------------------------------------------
# v2 finder: rows of names -> task_hash -> emails (1 credit per email valid or unknown)


def styled(state: SandboxState, word: str) -> str:
    """A status word as served: lowercase (the samples), or with the knob ``capitalised_statuses`` capitalised
    as the 2026 prose writes them ("Valid", "Greylist")."""
    return word[:1].upper() + word[1:] if state.config.capitalised_statuses else word


def v2_start_answer(state: SandboxState, task_hash: str, meta: dict[str, Any]) -> dict[str, Any]:
    """A v2 finder/verifier start answer: ``{data{task_hash}, meta{...}}`` (2026), or with the knob
    ``v2_task_hash_in_meta`` ``{data: [], meta{..., task_hash}}`` (where the older text puts it)."""
    if state.config.v2_task_hash_in_meta:
        return {"data": [], "meta": {**meta, "task_hash": task_hash}}
    return {"data": {"task_hash": task_hash}, "meta": meta}


def v2_email_result(state: SandboxState, verdict: Verdict) -> dict[str, Any]:
    """One address as the 2026 v2 finder/verifier report it."""
    result: dict[str, Any] = {
        "email": verdict.email,
        "smtp_status": styled(state, verdict.smtp_status),
        "is_valid_format": verdict.is_valid_format,
        "is_disposable": verdict.is_disposable,
        "is_webmail": verdict.is_webmail,
        "is_gibberish": verdict.is_gibberish,
    }
    if verdict.unknown_reason is not None:
        result["unknown_status_reason"] = styled(state, verdict.unknown_reason)
    return result


def _rows(params: Params) -> list[dict[str, str]] | JSONResponse:
    raw: Any = params.json.get("rows") if isinstance(params.json, dict) else None
    if raw is None:  # form / query spelling: rows[0][first_name]=...
        indexed: dict[int, dict[str, str]] = {}
        for key, value in params.multi_items():
            match = _ROW_KEY.match(key)
            if match:
                indexed.setdefault(int(match.group(1)), {})[match.group(2)] = str(value)
        raw = [indexed[i] for i in sorted(indexed)] if indexed else None
    if not isinstance(raw, list) or not raw:
        return validation_error({"rows": "The rows field is required and must be a non-empty array."})
    if len(raw) > MAX_ROWS:
        return validation_error({"rows": f"The rows may not have more than {MAX_ROWS} items."})
    rows: list[dict[str, str]] = []
    for index, row in enumerate(raw):
        if not isinstance(row, dict):
            return validation_error({f"rows.{index}": "Each row must be an object."})
        clean = {k: str(row.get(k) or "").strip() for k in ("first_name", "last_name", "domain")}
        for key, value in clean.items():
            if not value:
                return validation_error({f"rows.{index}.{key}": f"The rows.{index}.{key} field is required."})
        clean["domain"] = normalize_domain(clean["domain"])
        if not DOMAIN_RE.match(clean["domain"]):
            return validation_error({f"rows.{index}.domain": "The domain format is invalid."})
        rows.append(clean)
    return rows


@router.post(f"{V2_FINDER}/start")
async def emails_by_name_start(request: Request, state: StateDep) -> JSONResponse:
    params = await request_params(request)
    rows = _rows(params)
    if isinstance(rows, JSONResponse):
        return rows
    data = dataset_of(state)
    results = []
    found = 0
    for row in rows:
        person = data.person_by_name(row["first_name"], row["last_name"], row["domain"])
        verdicts = [data.verdict(e) for e, _ in person.emails] if person else []
        emails = [v2_email_result(state, verdict) for verdict in verdicts]
        found += sum(1 for verdict in verdicts if verdict.smtp_status in CHARGED_STATUSES)
        results.append({"people": f"{row['first_name']} {row['last_name']}", "result": emails})
    terminal = None
    try:
        state.charge(found, f"POST {V2_FINDER}/start")
    except OutOfCredits:
        terminal = NOT_ENOUGH_CREDITS
    task = registry(state).create(state, "emails-by-name", {"rows": rows, "data": results}, terminal)
    return JSONResponse(v2_start_answer(state, task.task_hash, {"rows": rows}))


@router.get(f"{V2_FINDER}/result")
async def emails_by_name_result(request: Request, state: StateDep) -> JSONResponse:
    params = await request_params(request)
    return JSONResponse(v2_result(state, params.get_str("task_hash"), "emails-by-name", "rows"))

"""Email verifier: v1 #17/#18 (soft async, keyed by email) and the v2 ``/v2/email-verification`` pair.

Why this shape: the v1 verifier answers ``not_verified`` for an address nobody queued, ``in_progress``
after ``add-emails-to-verification`` until the verification is done (``sandbox.tasks.Progress``: delay
AND polls), then ``complete`` with the documented flags. A configurable share of addresses
(``greylisted_share``, chosen deterministically per address) first completes with ``smtpStatus:
greylisted``; Snov.io then retries, so the next polls are ``in_progress`` again and finally give the real
verdict - a client must treat greylisted as "ask again later", not as final. With ``greylist_seconds`` the
address instead answers greylisted for that long (Snov.io advises asking again after 15 min - 1 h), then
its real verdict. ``status_error_every`` makes every Nth status read answer 503 (a chosen chunk fails).
Both v1 calls count emails against the hourly verifier limit; #18 takes at most 10 emails and costs 1 credit per email.

The v2 pair (2026 docs) takes ``emails[]`` (query, form or JSON), at most 10, charges 1 credit per email at
start (``not_enough_credits`` as the task's terminal status when the balance cannot cover them, nothing
charged), and reports ``smtp_status`` valid|not_valid|unknown with ``unknown_status_reason``. Its result
takes the ``task_hash`` in the QUERY string.

Decisions where the docs are silent: an ``in_progress`` v1 entry carries ``"data": []`` like
``not_verified``; re-adding an address starts a fresh verification (and costs again); the v2 pair does not
count against the v1 hourly limit (the docs list the limit for the v1 calls only).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from airflow_provider_snovio.sandbox.auth import require_token
from airflow_provider_snovio.sandbox.data.domains import Verdict, dataset_of, fraction, is_valid_email
from airflow_provider_snovio.sandbox.errors import OutOfCredits, v1_error, validation_error
from airflow_provider_snovio.sandbox.limits import consume_hourly
from airflow_provider_snovio.sandbox.params import Params, get_list, request_params
from airflow_provider_snovio.sandbox.routes.finder import (
    StatusErrors,
    ensure_balance,
    status_error,
    styled,
    v2_email_result,
    v2_start_answer,
)
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

EXTENSION = "verifier"
MAX_EMAILS = 10
V2_VERIFY = "/v2/email-verification"

DESCRIPTIONS = {
    "complete": "Email verification is completed",
    "in_progress": "Email verification is in progress",
    "not_verified": "Email is not verified, try to send it for verification",
}


@dataclass(eq=False)
class Verification:
    """One address queued with ``add-emails-to-verification``."""

    progress: Progress
    greylisted_first: bool
    #: ``greylist_seconds``: until when the address answers greylisted (set by its first complete answer).
    greylisted_until: float | None = None


@dataclass
class VerifierState:
    emails: dict[str, Verification] = field(default_factory=dict)
    status_errors: StatusErrors = field(default_factory=StatusErrors)


def init_state(state: SandboxState) -> None:
    state.extensions[EXTENSION] = VerifierState()


def _own_state(state: SandboxState) -> VerifierState:
    return extension(state, EXTENSION, VerifierState)


def emails_param(params: Params) -> list[str]:
    """``emails[]`` (or ``emails[0]``, repeated ``emails``, JSON ``emails``) stripped, duplicates dropped."""
    return list(dict.fromkeys(str(e).strip() for e in get_list(params, "emails") if str(e).strip()))


def greylisted_first(state: SandboxState, email: str) -> bool:
    """Whether ``email`` is in the configured greylisted share (deterministic per seed and address).
    A malformed address never reaches an SMTP server, so it is never greylisted."""
    share = state.config.greylisted_share
    return is_valid_email(email) and fraction(state.config.seed, "greylist", email.lower()) < share


def v1_data(state: SandboxState, verdict: Verdict, *, greylisted: bool = False) -> dict[str, Any]:
    """The documented v1 ``data`` object; ``greylisted`` renders the temporary first answer."""
    reason = verdict.unknown_reason
    return {
        "email": verdict.email,
        "isValidFormat": verdict.is_valid_format,
        "isDisposable": verdict.is_disposable,
        "isWebmail": verdict.is_webmail,
        "isGibberish": verdict.is_gibberish,
        "smtpStatus": styled(state, "greylisted" if greylisted else verdict.smtp_status),
        "isCatchall": reason == "catchall" and not greylisted,
        "isGreylist": greylisted or reason == "greylist",
        "isBannedError": reason == "banned" and not greylisted,
        "isConnectionError": reason == "connection_error" and not greylisted,
    }


def _entry(identifier: str, data: Any) -> dict[str, Any]:
    return {"status": {"identifier": identifier, "description": DESCRIPTIONS[identifier]}, "data": data}


# --------------------------------------------------------------------------------------------------
# #17 status (free; hourly limit in emails)


@router.post("/v1/get-emails-verification-status")
async def get_emails_verification_status(request: Request, state: StateDep) -> JSONResponse:
    params = await request_params(request)
    emails = emails_param(params)
    if not emails:
        return v1_error("Missing required parameter(s): emails")
    if _own_state(state).status_errors.fail_now(state):
        return status_error()
    consume_hourly(state, "verifier", len(emails))
    with state.lock:
        state.stats.item_reads.update(f"verifier:{email.lower()}" for email in emails)
    queued = _own_state(state).emails
    data = dataset_of(state)
    body: dict[str, Any] = {"success": True}
    greylist_seconds = state.config.greylist_seconds
    for email in emails:
        job = queued.get(email.lower())
        if job is None:
            body[email] = _entry("not_verified", [])
            continue
        if job.greylisted_until is not None:  # greylist_seconds: greylisted until then, then the verdict
            greylisted = state.now() < job.greylisted_until
            body[email] = _entry("complete", v1_data(state, data.verdict(email), greylisted=greylisted))
            continue
        if not poll(state, job.progress):
            body[email] = _entry("in_progress", [])
            continue
        verdict = data.verdict(email)
        if job.greylisted_first and greylist_seconds > 0:
            with state.lock:
                job.greylisted_first = False
                job.greylisted_until = state.now() + greylist_seconds
            body[email] = _entry("complete", v1_data(state, verdict, greylisted=True))
            continue
        if job.greylisted_first:
            # Snov.io keeps trying a greylisted address: the client must come back later.
            with state.lock:
                job.greylisted_first = False
                job.progress.restart(state.now())
            body[email] = _entry("complete", v1_data(state, verdict, greylisted=True))
            continue
        body[email] = _entry("complete", v1_data(state, verdict))
    return JSONResponse(body)


# --------------------------------------------------------------------------------------------------
# #18 add for verification (<= 10 emails, 1 credit per email; hourly limit in emails)


@router.post("/v1/add-emails-to-verification")
async def add_emails_to_verification(request: Request, state: StateDep) -> JSONResponse:
    params = await request_params(request)
    emails = emails_param(params)
    if not emails:
        return v1_error("Missing required parameter(s): emails")
    if len(emails) > MAX_EMAILS:
        return v1_error(f"You can send up to {MAX_EMAILS} emails per request, got {len(emails)}")
    queued = _own_state(state).emails
    with state.lock:
        ensure_balance(state, len(emails))
        consume_hourly(state, "verifier", len(emails))
        state.charge(len(emails), "POST /v1/add-emails-to-verification")
        for email in emails:
            queued[email.lower()] = Verification(Progress(state.now()), greylisted_first(state, email))
    body: dict[str, Any] = {"success": True}
    body.update({email: {"sent": True} for email in emails})
    return JSONResponse(body)


# --------------------------------------------------------------------------------------------------
# v2 verification (2026 docs)


@router.post(f"{V2_VERIFY}/start")
async def email_verification_start(request: Request, state: StateDep) -> JSONResponse:
    params = await request_params(request)
    emails = emails_param(params)
    if not emails:
        return validation_error({"emails": "The emails field is required."})
    if len(emails) > MAX_EMAILS:
        return validation_error({"emails": f"The emails may not have more than {MAX_EMAILS} items."})
    data = dataset_of(state)
    results = [{"email": email, "result": _v2_result(state, data.verdict(email))} for email in emails]
    terminal = None
    try:
        state.charge(len(emails), f"POST {V2_VERIFY}/start")
    except OutOfCredits:
        terminal = NOT_ENOUGH_CREDITS
    task = registry(state).create(state, "email-verification", {"emails": emails, "data": results}, terminal)
    return JSONResponse(v2_start_answer(state, task.task_hash, {"emails": emails}))


def _v2_result(state: SandboxState, verdict: Verdict) -> dict[str, Any]:
    result = v2_email_result(state, verdict)
    del result["email"]
    return result


@router.get(f"{V2_VERIFY}/result")
async def email_verification_result(request: Request, state: StateDep) -> JSONResponse:
    params = await request_params(request)
    return JSONResponse(v2_result(state, params.get_str("task_hash"), "email-verification", "emails"))

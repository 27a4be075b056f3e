"""Sender (email) account endpoints #52-#55 (v2, JSON bodies, PATCH updates are partial).

The seeded accounts are in ``sandbox/data/senders.py`` (21 and 22 are the campaigns' senders). Answers are
``{"data": ...}`` with no ``success`` (documented). Decisions where the docs are silent: invalid input -> 422
``{"errors": {"code": 422, "title", "source": <field>}}`` (the webhook family's shape); a body that is not a
JSON object -> 422 with ``source`` "body"; an unknown account id -> the documented 404 body. Connection
checks take ``CHECK_SECONDS`` of sandbox clock and fail for hosts ending in ``.invalid``.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from airflow_provider_snovio.sandbox.auth import require_token
from airflow_provider_snovio.sandbox.data.senders import (
    CHECK_SECONDS,
    CONNECTION_WORDS,
    SendersState,
    connection,
    iso,
    new_account,
    seed_senders,
)
from airflow_provider_snovio.sandbox.errors import not_found, v2_error
from airflow_provider_snovio.sandbox.params import request_params
from airflow_provider_snovio.sandbox.state import SandboxState, StateDep
from airflow_provider_snovio.sandbox.tasks import extension

router = APIRouter(dependencies=[Depends(require_token)], tags=["senders"])
EXTENSION = "senders"

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[A-Za-z]{2,}")
_HOST = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9.-]{0,99}")
_PORTS: dict[str, dict[int, tuple[str, ...]]] = {
    "smtp": {25: ("none",), 465: ("ssl",), 587: ("tls",)},
    "imap": {143: ("none",), 993: ("ssl", "tls")},
}
#: Keys #54 may set to null to clear them.
CLEARABLE = ("reply_to", "signature", "bcc_email", "tags")
_INT_RANGES = {"limitation": (1, 1200), "delay_fixed": (5, 3600), "delay_from": (5, 3600), "delay_to": (5, 3600)}
_INT_RANGES["timezoneId"] = (1, 458)


class Invalid(ValueError):
    """An input the docs refuse; ``source`` names the field."""

    def __init__(self, source: str, title: str) -> None:
        super().__init__(title)
        self.source, self.title = source, title


def init_state(state: SandboxState) -> None:
    state.extensions[EXTENSION] = seed_senders(state.now())


def senders_of(state: SandboxState) -> SendersState:
    """The family's state (shared with the warm-up routes, whose warm-ups belong to these accounts)."""
    return extension(state, EXTENSION, lambda: seed_senders(state.now()))


async def json_object(request: Request) -> dict[str, Any]:
    body = (await request_params(request)).json
    if not isinstance(body, dict):
        raise Invalid("body", "The request body must be a JSON object")
    return body


def invalid(error: Invalid) -> JSONResponse:
    return v2_error(error.title, source=error.source)


def integer(body: dict[str, Any], key: str, lower: int, upper: int) -> int | None:
    """``body[key]`` as an integer from ``lower`` to ``upper`` (None when absent)."""
    value = body.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not lower <= value <= upper:
        raise Invalid(key, f"{key} must be an integer from {lower} to {upper}")
    return value


def _server(kind: str, value: Any) -> dict[str, Any]:
    if not isinstance(value, dict) or any(value.get(k) in (None, "") for k in ("host", "port", "encryption")):
        raise Invalid(kind, f"{kind} needs host, port and encryption")
    if not isinstance(value["host"], str) or not _HOST.fullmatch(value["host"]):
        raise Invalid(f"{kind}.host", f"{kind}.host must be a host name of at most 100 characters")
    ports = _PORTS[kind]
    if value["port"] not in ports:
        raise Invalid(f"{kind}.port", f"{kind}.port must be one of {', '.join(map(str, ports))}")
    if value["encryption"] not in ports[value["port"]]:
        raise Invalid(f"{kind}.encryption", f"{kind}.encryption must be {' or '.join(ports[value['port']])}")
    return {"host": value["host"], "port": value["port"], "encryption": value["encryption"]}


def _text(body: dict[str, Any], key: str, upper: int) -> str | None:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > upper:
        raise Invalid(key, f"{key} must be a string of 1 to {upper} characters")
    return value


def _email(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is not None and (not isinstance(value, str) or not _EMAIL.fullmatch(value)):
        raise Invalid(key, f"{key} must be an e-mail address")
    return value


def settings(body: dict[str, Any], current: dict[str, Any] | None) -> dict[str, Any]:
    """The validated keys of a #53 (``current`` None) or #54 body, merged over ``current``."""
    known = {"sender_name", "email_from", "password", "smtp", "imap", "delay_type", *CLEARABLE, *_INT_RANGES}
    if unknown := sorted(set(body) - known):
        raise Invalid(unknown[0], f"{unknown[0]} is not a sender account field")
    if current is not None and not body:
        raise Invalid("body", "Send at least one field to update")
    changes: dict[str, Any] = {}
    # Only sender_name has a documented cap; the others take any sane length.
    for key, upper in (("sender_name", 100), ("password", 100_000), ("signature", 10_000)):
        if key in body:
            changes[key] = _text(body, key, upper)  # None for a null (refused below unless clearable)
    for key in ("email_from", "reply_to", "bcc_email"):
        if key in body:
            changes[key] = _email(body, key)
    for key in ("smtp", "imap"):
        if key in body:
            changes[key] = _server(key, body[key])
    for key, (lower, upper) in _INT_RANGES.items():
        if key in body:
            changes[key] = integer(body, key, lower, upper)
    if "delay_type" in body:
        if body["delay_type"] not in ("fixed", "random"):
            raise Invalid("delay_type", "delay_type must be fixed or random")
        changes["delay_type"] = body["delay_type"]
    if "tags" in body:
        tags = body["tags"]
        if tags is not None and (not isinstance(tags, list) or not all(isinstance(t, str) and t for t in tags)):
            raise Invalid("tags", "tags must be a list of names")
        changes["tags"] = list(dict.fromkeys(tags or []))
    for key, value in changes.items():
        if value is None and key not in CLEARABLE:
            raise Invalid(key, f"{key} must not be null")
    if current is None:
        for key in ("sender_name", "email_from", "password", "smtp"):
            if changes.get(key) is None:
                raise Invalid(key, f"{key} is required")
    merged = {**(current or {}), **changes}
    _check_delays(merged)
    return changes


def _check_delays(account: dict[str, Any]) -> None:
    if account.get("delay_to", 900) <= account.get("delay_from", 600):
        raise Invalid("delay_to", "delay_to must be greater than delay_from")
    fixed = account.get("delay_type", "random") == "fixed"
    shortest = account.get("delay_fixed", 600) if fixed else account.get("delay_from", 600)
    if account.get("limitation", 50) * shortest > 86_400:
        raise Invalid("limitation", "limitation is more than the delay allows in 24 hours")


def account_model(account: dict[str, Any], stamp: str) -> dict[str, Any]:
    """#53/#54 ``data``; ``stamp`` is created_at (#53) or updated_at (#54)."""
    status = "pending" if stamp == "created_at" else None
    model: dict[str, Any] = {"id": account["id"], "sender_name": account["sender_name"]}
    model["email_from"] = account["email_from"]
    for kind in ("smtp", "imap"):
        server = account[kind]
        if server is not None:
            check = account["check"][kind] if status is None else {"status": status}
            model[kind] = {**server, "status": check["status"]}
    model.update(limitation=account["limitation"], delay_type=account["delay_type"])
    if account["delay_type"] == "fixed":
        model["delay_fixed"] = account["delay_fixed"]
    else:
        model.update(delay_from=account["delay_from"], delay_to=account["delay_to"])
    model["reply_to"] = account["reply_to"]
    if account["signature"] is not None:
        model["signature"] = account["signature"]
    model.update(bcc_email=account["bcc_email"], tags=list(account["tags"]))
    if account["timezoneId"] is not None:
        model["timezoneId"] = account["timezoneId"]
    model[stamp] = iso(account["created"] if stamp == "created_at" else account["updated"])
    return model


def checks(account: dict[str, Any], now: float, words: str) -> dict[str, Any]:
    """#55 ``data``: each configured server's verdict at ``now`` (``words``: ``sender_connection_words``)."""
    smtp = connection(account["smtp"], account["checked_at"], now, words)
    return {"smtp": smtp, "imap": connection(account["imap"], account["checked_at"], now, words)}


def summary(account: dict[str, Any], now: float, words: str) -> dict[str, Any]:
    """A #52 item."""
    verdict = checks(account, now, words)
    good, bad = CONNECTION_WORDS[words]
    smtp_ok = verdict["smtp"]["status"] == good
    imap = verdict["imap"]
    return {
        "id": account["id"],
        "sender_name": account["sender_name"],
        "email_from": account["email_from"],
        "valid": smtp_ok,
        "suspended": verdict["smtp"]["status"] == bad,
        "limitation": account["limitation"],
        "provider": account["provider"],
        "tags": list(account["tags"]),
        "imap": {
            "username": account["email_from"] if imap is not None else None,
            "valid": imap is not None and imap["status"] == good,
        },
    }


@router.get("/v2/sender-accounts/emails")
async def list_email_accounts(state: StateDep) -> JSONResponse:
    """#52 every account, no paging."""
    own = senders_of(state)
    with state.lock:
        return JSONResponse(
            {"data": [summary(a, state.now(), state.config.sender_connection_words) for a in own.accounts.values()]}
        )


@router.post("/v2/sender-accounts/emails")
async def create_email_account(request: Request, state: StateDep) -> JSONResponse:
    """#53 the account exists at once; its connection check is ``pending`` for ``CHECK_SECONDS``."""
    try:
        changes = settings(await json_object(request), None)
    except Invalid as error:
        return invalid(error)
    own, now = senders_of(state), state.now()
    with state.lock:
        account_id = own.new_account_id()
        account = new_account(account_id, **changes, created=now, updated=now, checked_at=now + CHECK_SECONDS)
        own.accounts[account_id] = account
        return JSONResponse({"data": account_model(account, "created_at")})


@router.patch("/v2/sender-accounts/emails/{account_id}")
async def update_email_account(account_id: str, request: Request, state: StateDep) -> JSONResponse:
    """#54 partial: only the keys sent change; an SMTP/IMAP change starts a new check; ``tags`` replaces."""
    own, now = senders_of(state), state.now()
    with state.lock:
        account = own.accounts.get(int(account_id)) if account_id.isdigit() else None
        if account is None:
            return not_found()
        try:
            changes = settings(await json_object(request), account)
        except Invalid as error:
            return invalid(error)
        changes.pop("password", None)  # kept by Snov.io, never echoed
        account.update(changes, updated=now)
        if "smtp" in changes or "imap" in changes:
            account["checked_at"] = now + CHECK_SECONDS
        model = account_model(
            {**account, "check": checks(account, now, state.config.sender_connection_words)}, "updated_at"
        )
        return JSONResponse({"data": model})


@router.get("/v2/sender-accounts/check-sender-status")
async def get_sender_status(request: Request, state: StateDep) -> JSONResponse:
    """#55 ``sender_account_id`` (query, integer >= 1)."""
    raw = (await request_params(request)).get_str("sender_account_id")
    if raw is None or not raw.isdigit() or int(raw) < 1:
        return v2_error("sender_account_id must be an integer of at least 1", source="sender_account_id")
    own = senders_of(state)
    with state.lock:
        account = own.accounts.get(int(raw))
        if account is None:
            return not_found()
        return JSONResponse({"data": checks(account, state.now(), state.config.sender_connection_words)})

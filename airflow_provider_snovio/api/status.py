"""Status classifiers: one per asynchronous family, shared by the client, operators, sensors, triggers.

Snov.io has three ways of saying "not ready yet":

* v2 tasks (domain search, v2 verification, v2 finder): ``status`` is ``completed``, or
  ``in_progress`` (the docs' prose says "in progress": both are accepted), or ``not_enough_credits``.
* v1 email finder (#12): ``status.identifier`` is ``complete``, ``in_progress`` or ``not_found``.
* v1 verification (#17): per e-mail ``status.identifier`` ``complete``, ``in_progress`` or
  ``not_verified``; a complete result may still be ``greylisted`` (ask again later).
* campaign progress (#20): ``{"status": "Active", "unfinished": 1, "progress": "90%"}``; done once the
  progress reaches a threshold or the status is a finished one (or the one awaited).

Keeping these rules in one module means a sensor and a trigger can never disagree about whether a
task is done.

Every status word is compared case-insensitively (:func:`status_word`): the 2026 prose capitalises
``smtp_status`` and ``unknown_status_reason`` values ("Valid", "Greylist") where its samples use lowercase,
so the provider reads either, and reports the lowercase word of the samples.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any

from airflow_provider_snovio.api.errors import SnovioOutOfCreditsError, SnovioResponseError


class TaskState(str, Enum):
    PENDING = "pending"
    DONE = "done"
    NOT_FOUND = "not_found"  # v1 finder: the name must be queued with add_names_to_find_emails
    NOT_VERIFIED = "not_verified"  # v1 verifier: the e-mail must be queued for verification
    GREYLISTED = "greylisted"  # v1 verifier: done, but ask again in 15 min - 1 h


def _norm(value: Any) -> str:
    return str(value or "").strip().lower().replace(" ", "_").replace("-", "_")


#: ``unknown_status_reason`` values (2026): the finder's four, plus the verifier's ``hidden_by_owner``.
UNKNOWN_STATUS_REASONS = ("banned", "catchall", "connection_error", "greylist", "hidden_by_owner")
#: v2 finder (#12v2/#13v2, 2026): an e-mail costs 1 credit when its ``smtp_status`` is one of these
#: ("valid OR unknown", not only the ones found valid).
FINDER_CHARGED_STATUSES = ("valid", "unknown")


def status_word(value: Any) -> str | None:
    """A status word as the provider compares and reports it: lowercase, ``_`` for spaces and dashes
    ("Not valid" -> ``not_valid``, "Greylist" -> ``greylist``); ``None`` stays ``None``."""
    return None if value is None else _norm(value)


def finder_credits(items: Any) -> int:
    """Credits a completed v2 finder result (#13v2) cost: 1 per e-mail whose ``smtp_status`` is valid or
    unknown (2026), whatever its case."""
    return sum(
        1
        for item in (items if isinstance(items, list) else [])
        if isinstance(item, Mapping)
        for email in item.get("result") or []
        if isinstance(email, Mapping) and status_word(email.get("smtp_status")) in FINDER_CHARGED_STATUSES
    )


_DONE = {"completed", "complete", "done", "finished"}
_PENDING = {"in_progress", "progress", "pending", "processing", "queued", "started"}


def task_hash_of(body: Any) -> str:
    """The task_hash of a v2 start answer: ``data.task_hash`` (the 2026 v2 finder and verifier) or
    ``meta.task_hash`` (the older text, and the domain-search starts), whichever is present."""
    if isinstance(body, Mapping):
        for part in ("meta", "data"):
            section = body.get(part)
            if isinstance(section, Mapping) and section.get("task_hash"):
                return str(section["task_hash"])
        if body.get("task_hash"):
            return str(body["task_hash"])
    raise SnovioResponseError("start answer carries no task_hash")


def task_state(body: Any) -> TaskState:
    """State of a v2 result body. ``not_enough_credits`` raises: it is terminal."""
    status = _norm(body.get("status")) if isinstance(body, Mapping) else ""
    if status in _DONE:
        return TaskState.DONE
    if status in _PENDING:
        return TaskState.PENDING
    if status == "not_enough_credits":
        raise SnovioOutOfCreditsError("task stopped: not_enough_credits")
    raise SnovioResponseError(f"unknown task status {body.get('status') if isinstance(body, Mapping) else body!r}")


def finder_state(body: Any) -> TaskState:
    """State of a v1 email-finder answer (#12)."""
    status = body.get("status") if isinstance(body, Mapping) else None
    identifier = _norm(status.get("identifier") if isinstance(status, Mapping) else status)
    if identifier in _DONE:
        return TaskState.DONE
    if identifier in _PENDING:
        return TaskState.PENDING
    if identifier == "not_found":
        return TaskState.NOT_FOUND
    raise SnovioResponseError(f"unknown finder status {identifier!r}")


def verification_state(entry: Any) -> TaskState:
    """State of one e-mail in a v1 verification answer (#17): ``body[email]``."""
    if not isinstance(entry, Mapping):
        raise SnovioResponseError("verification entry is not an object")
    status = entry.get("status")
    identifier = _norm(status.get("identifier") if isinstance(status, Mapping) else status)
    if identifier in _PENDING:
        return TaskState.PENDING
    if identifier == "not_verified":
        return TaskState.NOT_VERIFIED
    if identifier in _DONE:
        data = entry.get("data")
        smtp = _norm(data.get("smtpStatus")) if isinstance(data, Mapping) else ""
        return TaskState.GREYLISTED if smtp == "greylisted" else TaskState.DONE
    raise SnovioResponseError(f"unknown verification status {identifier!r}")


def verification_states(body: Any) -> dict[str, TaskState]:
    """``{email: state}`` for a whole v1 verification answer.

    The answer is keyed by e-mail beside a top-level ``"success": true``; only object values are
    e-mail entries.
    """
    if not isinstance(body, Mapping):
        raise SnovioResponseError("verification answer is not an object keyed by e-mail")
    return {email: verification_state(entry) for email, entry in body.items() if isinstance(entry, Mapping)}


def progress_percent(body: Any) -> float:
    """The ``progress`` of a campaign-progress answer (#20) as a number: ``"90%"`` -> 90.0."""
    raw = body.get("progress") if isinstance(body, Mapping) else None
    text = str(raw if raw is not None else "").strip().rstrip("%").strip()
    try:
        return float(text)
    except ValueError:
        raise SnovioResponseError(f"unreadable campaign progress {raw!r}") from None


def campaign_progress_state(body: Any, *, min_progress: float = 100.0, target_status: str | None = None) -> TaskState:
    """State of a campaign-progress answer (#20).

    DONE when ANY of: the progress reached ``min_progress`` percent; the status is a finished one
    (``Completed``/``Finished``: nothing more will be sent); the status equals ``target_status``
    (case-insensitive), when one is given. PENDING otherwise.
    """
    if not isinstance(body, Mapping):
        raise SnovioResponseError("campaign progress answer is not an object")
    status = _norm(body.get("status"))
    if status in _DONE or (target_status is not None and status == _norm(target_status)):
        return TaskState.DONE
    return TaskState.DONE if progress_percent(body) >= min_progress else TaskState.PENDING


def profile_found(answer: Any) -> bool:
    """Profile by e-mail (#16): the profile itself (with an ``id``), or ``{"success": true, "message":
    "...couldn't find..."}`` when nobody was found (and no credit was spent)."""
    return isinstance(answer, Mapping) and answer.get("id") not in (None, "")


def url_prospect(answer: Any) -> dict[str, Any] | None:
    """Prospect by profile URL (#15): ``{"success": true, "data": [prospect]}``, or a "couldn't find"
    message while the URL queued with #14 is still being searched. The prospect, or None."""
    data = answer.get("data") if isinstance(answer, Mapping) else None
    return data[0] if isinstance(data, list) and data and isinstance(data[0], dict) else None


#: The fields of a v1 verification entry (#17) worth keeping, by the provider's name for each.
VERIFICATION_FIELDS = {
    "smtp_status": "smtpStatus",
    "is_valid_format": "isValidFormat",
    "is_disposable": "isDisposable",
    "is_webmail": "isWebmail",
    "is_gibberish": "isGibberish",
    "is_catchall": "isCatchall",
}


def verification_summary(entry: Any) -> dict[str, Any]:
    """The compact verdict of one v1 verification entry (#17): what the XCom, the job and a trigger event
    keep instead of the whole entry (smaller, and no more about the person than the verdict)."""
    data = entry.get("data") if isinstance(entry, Mapping) else None
    data = data if isinstance(data, Mapping) else {}
    summary = {name: data.get(key) for name, key in VERIFICATION_FIELDS.items()}
    summary["smtp_status"] = status_word(summary["smtp_status"])
    return summary


def finder_emails(body: Any) -> list[dict[str, Any]]:
    """The e-mails of a ``complete`` v1 finder answer (#12) as ``[{"email", "status"}]``."""
    data = body.get("data") if isinstance(body, Mapping) else None
    emails = data.get("emails") if isinstance(data, Mapping) else None
    return [
        {"email": e.get("email"), "status": status_word(e.get("emailStatus"))}
        for e in emails or []
        if isinstance(e, Mapping) and e.get("email")
    ]


# --- 2026 campaigns v2 (#63/#66) and recipient check (#74) -------------------------------------------
#: v2 campaign status spellings (§1e: "paused/pause", "completed/complete"; v1 #27/#20 capitalise, and call a
#: new campaign "Draft") -> one canonical word each.
_CAMPAIGN_STATUS_WORDS = {
    "new": "new",
    "draft": "new",
    "active": "active",
    "started": "active",
    "paused": "paused",
    "pause": "paused",
    "scheduled": "scheduled",
    "completed": "completed",
    "complete": "completed",
    "finished": "completed",
    "archived": "archived",
    "archive": "archived",
}
#: #66 action -> the statuses that mean it is already done. ``start`` of a campaign with a future
#: ``start_campaign_at`` ends in ``scheduled``; an archived campaign is stopped for good, so ``complete``
#: has nothing left to do there.
CAMPAIGN_ACTION_DONE: Mapping[str, tuple[str, ...]] = {
    "start": ("active", "scheduled"),
    "pause": ("paused",),
    "resume": ("active", "scheduled"),
    "complete": ("completed", "archived"),
    "archived": ("archived",),
}


def campaign_v2_status(body: Any) -> str:
    """The canonical status (new, active, paused, scheduled, completed, archived) of a #63 answer (or of its
    ``data``, or a bare status word); an unknown word comes back lower-cased, never guessed."""
    data = body.get("data", body) if isinstance(body, Mapping) else body
    raw = data.get("status") if isinstance(data, Mapping) else data
    if raw is None or isinstance(raw, Mapping | list):
        raise SnovioResponseError("campaign answer carries no status")
    word = _norm(raw)
    return _CAMPAIGN_STATUS_WORDS.get(word, word)


def recipient_statuses(body: Any) -> dict[str, str | None]:
    """``{email (lower-cased): status or None}`` of a #74 answer: None where ``exist`` is false (or no status)."""
    rows = body.get("data") if isinstance(body, Mapping) else None
    if not isinstance(rows, list):
        raise SnovioResponseError("recipient check answer carries no data list")
    found: dict[str, str | None] = {}
    for row in rows:
        if not isinstance(row, Mapping) or not row.get("email"):
            continue
        status = row.get("status")
        found[str(row["email"]).strip().lower()] = str(status) if row.get("exist") and status is not None else None
    return found

"""Input validators: bad input is refused with the field's name before any request is sent.

Each validator takes ``(field, value)`` and returns the value as it goes on the wire (normalised:
stripped, lower-cased domain, canonical enum case, digits as a string). They are referenced by the
endpoint catalogue, so a rule is written once and every endpoint taking that kind of value uses it.
Path parameters are checked against strict patterns so that nothing a caller passes can change
which URL is requested.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from typing import Any

from airflow_provider_snovio.api.errors import SnovioValidationError

_DOMAIN_RE = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$")
_EMAIL_LOCAL_RE = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}$")
_DIGITS_RE = re.compile(r"^[0-9]{1,20}$")
_HEX_RE = re.compile(r"^[0-9a-fA-F]{8,256}$")
_TOKEN_ID_RE = re.compile(r"^[A-Za-z0-9_\-+/=]{1,128}$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_URL_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)

RECIPIENT_STATUSES = ("Active", "Paused", "Unsubscribed")
WEBHOOK_STATUSES = ("active", "deactivated")
WEBHOOK_EVENTS: Mapping[str, tuple[str, ...]] = {
    "campaign_email": ("sent", "first_sent", "opened", "bounced", "clicked"),
    "campaign_reply": ("received", "first_received", "autoreply_received"),
}
DOMAIN_EMAIL_TYPES = ("all", "personal", "generic")


def _fail(field: str, problem: str) -> SnovioValidationError:
    return SnovioValidationError(field, problem)


def _text(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(field, f"expected a string, got {type(value).__name__}")
    text = value.strip()
    if not text:
        raise _fail(field, "must not be empty")
    return text


def domain(field: str, value: Any) -> str:
    """A bare domain name such as ``octagon.com`` (no scheme, path or e-mail)."""
    text = _text(field, value).lower().rstrip(".")
    if text.startswith("www."):
        text = text[4:]
    if not _DOMAIN_RE.match(text):
        raise _fail(field, f"{value!r} is not a domain name like 'example.com'")
    return text


def email(field: str, value: Any) -> str:
    """An e-mail address; the domain part follows the same rule as :func:`domain`."""
    text = _text(field, value)
    local, sep, host = text.rpartition("@")
    if not sep or not _EMAIL_LOCAL_RE.match(local) or not _DOMAIN_RE.match(host.lower()):
        raise _fail(field, f"{value!r} is not an e-mail address")
    return f"{local}@{host.lower()}"


def email_or_domain(field: str, value: Any) -> str:
    """Do-not-email items are e-mail addresses or whole domains."""
    text = _text(field, value)
    return email(field, text) if "@" in text else domain(field, text)


def numeric_id(field: str, value: Any) -> str:
    """Campaign, list and webhook ids: digits only (they go into paths and filters)."""
    if isinstance(value, bool):
        raise _fail(field, "expected a numeric id, got a boolean")
    if isinstance(value, int):
        if value < 0:
            raise _fail(field, "must not be negative")
        return str(value)
    text = _text(field, value)
    if not _DIGITS_RE.match(text):
        raise _fail(field, f"{value!r} is not a numeric id")
    return text


def hex_hash(field: str, value: Any) -> str:
    """task_hash and prospect_hash: hexadecimal strings, so they can safely go into a URL path."""
    text = _text(field, value)
    if not _HEX_RE.match(text):
        raise _fail(field, f"{value!r} is not a hexadecimal hash")
    return text


def opaque_id(field: str, value: Any) -> str:
    """Prospect ids such as ``xusD3-T_K5IktGoaa8Jc8A==`` (base64-like)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    text = _text(field, value)
    if not _TOKEN_ID_RE.match(text):
        raise _fail(field, f"{value!r} is not a Snov.io id")
    return text


def text(field: str, value: Any) -> str:
    """Any non-empty string (names, positions, list names)."""
    return _text(field, value)


def url(field: str, value: Any) -> str:
    """An absolute http(s) URL (profile URLs, webhook endpoints)."""
    text_value = _text(field, value)
    if not _URL_RE.match(text_value):
        raise _fail(field, f"{value!r} is not an http(s) URL")
    return text_value


def positive_int(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _fail(field, "expected a positive integer")
    try:
        number = int(value)
    except ValueError:
        raise _fail(field, f"{value!r} is not an integer") from None
    if number < 1:
        raise _fail(field, "must be at least 1")
    return number


def bounded_int(upper: int):
    """A positive integer no larger than ``upper`` (page sizes with a documented maximum)."""

    def check(field: str, value: Any) -> int:
        number = positive_int(field, value)
        if number > upper:
            raise _fail(field, f"must be at most {upper}, got {number}")
        return number

    return check


def non_negative_int(field: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _fail(field, "expected a non-negative integer")
    try:
        number = int(value)
    except ValueError:
        raise _fail(field, f"{value!r} is not an integer") from None
    if number < 0:
        raise _fail(field, "must not be negative")
    return number


def boolean(field: str, value: Any) -> int:
    """v1 endpoints take booleans as 1/0 form values."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, str) and value.lower() in {"true", "false", "1", "0"}:
        return int(value.lower() in {"true", "1"})
    raise _fail(field, "expected a boolean")


def iso_date(field: str, value: Any) -> str:
    """yyyy-mm-dd; date/datetime objects (pendulum included) are accepted and formatted."""
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text_value = _text(field, value)
    if not _DATE_RE.match(text_value):
        raise _fail(field, f"{value!r} is not a date like 2024-01-31")
    try:
        dt.date.fromisoformat(text_value)
    except ValueError:
        raise _fail(field, f"{value!r} is not a valid calendar date") from None
    return text_value


def one_of(choices: Iterable[str], *, case_sensitive: bool = False):
    """Build an enum validator; the wire value uses the canonical spelling from ``choices``."""
    canonical = {c if case_sensitive else c.lower(): c for c in choices}

    def check(field: str, value: Any) -> str:
        key = _text(field, value)
        key = key if case_sensitive else key.lower()
        if key not in canonical:
            raise _fail(field, f"{value!r} is not one of {', '.join(canonical.values())}")
        return canonical[key]

    check.__doc__ = f"One of: {', '.join(canonical.values())}."
    return check


recipient_status = one_of(RECIPIENT_STATUSES)
webhook_status = one_of(WEBHOOK_STATUSES)
webhook_event_object = one_of(WEBHOOK_EVENTS)
webhook_event_action = one_of({a for actions in WEBHOOK_EVENTS.values() for a in actions})
domain_email_type = one_of(DOMAIN_EMAIL_TYPES)


def list_of(item_validator, *, max_items: int | None = None, min_items: int = 1, unique: bool = False):
    """Validate every element of a list (a lone string counts as a one-element list).

    ``unique`` drops repeated values (first one kept): a list of e-mails sent for verification
    must never pay twice for the same address.
    """

    def check(field: str, value: Any) -> list[Any]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple | set | frozenset):
            raise _fail(field, f"expected a list, got {type(value).__name__}")
        items = list(items)
        if len(items) < min_items:
            raise _fail(field, f"needs at least {min_items} item(s)")
        if max_items is not None and len(items) > max_items:
            raise _fail(field, f"at most {max_items} items per request, got {len(items)}")
        checked = [item_validator(f"{field}[{i}]", item) for i, item in enumerate(items)]
        if unique:
            checked = list(dict.fromkeys(checked))
        return checked

    return check


def finder_rows(field: str, value: Any) -> list[dict[str, str]]:
    """v2 email finder rows: ``[{first_name, last_name, domain}, ...]``, at most 10."""
    if not isinstance(value, list | tuple) or not value:
        raise _fail(field, "expected a non-empty list of {first_name, last_name, domain}")
    if len(value) > 10:
        raise _fail(field, f"at most 10 rows per request, got {len(value)}")
    rows = []
    for i, row in enumerate(value):
        if not isinstance(row, Mapping):
            raise _fail(f"{field}[{i}]", "expected a mapping with first_name, last_name, domain")
        rows.append(
            {
                "first_name": _text(f"{field}[{i}].first_name", row.get("first_name")),
                "last_name": _text(f"{field}[{i}].last_name", row.get("last_name")),
                "domain": domain(f"{field}[{i}].domain", row.get("domain")),
            }
        )
    return rows


def string_mapping(field: str, value: Any) -> dict[str, str]:
    """``customFields`` / ``socialLinks``: names become bracketed keys, so they must be plain words."""
    if not isinstance(value, Mapping):
        raise _fail(field, "expected a mapping of name -> value")
    out = {}
    for key, item in value.items():
        if not isinstance(key, str) or not re.match(r"^[A-Za-z0-9 _-]{1,64}$", key):
            raise _fail(field, f"key {key!r} must be letters, digits, space, _ or -")
        out[key] = "" if item is None else str(item)
    return out

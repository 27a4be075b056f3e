"""Input validators: bad input is refused with the field's name before any request is sent.

Each validator takes ``(field, value)`` and returns the value as it goes on the wire (normalised:
stripped, lower-cased domain, canonical enum case, digits as a string). They are referenced by the
endpoint catalogue, so a rule is written once and every endpoint taking that kind of value uses it.
Path parameters are checked against strict patterns so that nothing a caller passes can change
which URL is requested.

Patterns are applied with ``fullmatch`` (never ``^...$``: ``$`` also matches before a trailing
newline), and no string value may carry a control character (NUL, newline, tab...): such a value is
a copy-paste accident at best and a header/log injection at worst, and it would travel into a form,
a query string or a JSON body. Every list parameter has a bounded size (:data:`DEFAULT_MAX_ITEMS`
unless its row says otherwise); the encoder adds a size budget for the request as a whole.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from airflow_provider_snovio.api.errors import SnovioValidationError

# Every pattern is used with fullmatch(); none is anchored with ^/$ (``$`` accepts a trailing "\\n").
_DOMAIN_RE = re.compile(r"(?=.{1,253}\Z)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]")
_EMAIL_LOCAL_RE = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}")
_DIGITS_RE = re.compile(r"[0-9]{1,20}")
_INTEGER_RE = re.compile(r"-?[0-9]{1,20}")
_HEX_RE = re.compile(r"[0-9a-fA-F]{8,256}")
_TOKEN_ID_RE = re.compile(r"[A-Za-z0-9_\-+/=]{1,128}")
_DATE_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_URL_RE = re.compile(r"https?://[^\s/$.?#][^\s]*", re.IGNORECASE)
_MAPPING_KEY_RE = re.compile(r"[A-Za-z0-9 _-]{1,64}")
#: C0 controls (NUL, tab, CR, LF...), DEL and the C1 controls.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
#: Numeric ids and integers: at most 20 digits (the largest unsigned 64-bit number has 20).
_MAX_DIGITS = 20

#: Items a list parameter may carry in one request unless its catalogue row sets ``max_items``:
#: generous for any documented use (Snov.io documents 10 for verification, finder rows and positions),
#: small enough that a request stays a sane size. Chunked endpoints split longer lists first.
DEFAULT_MAX_ITEMS = 100

RECIPIENT_STATUSES = ("Active", "Paused", "Unsubscribed")
WEBHOOK_STATUSES = ("active", "deactivated")
#: The ``event_object`` x ``event_action`` pairs #38 accepts: the complete 2026 list (9 objects, 23 pairs;
#: ``snovio-api-2026.md`` §2). The mirror's table lost its row grouping; the objects were rebuilt from row
#: order, which Snov.io's English knowledge-base article agrees with.
WEBHOOK_EVENTS: Mapping[str, tuple[str, ...]] = {
    "campaign_email": ("sent", "first_sent", "opened", "bounced", "clicked"),
    "campaign_reply": ("received", "first_received", "autoreply_received"),
    "campaign_li_reply": ("received", "first_received"),
    "campaign_li": ("connection_request_accepted",),
    "company": ("found_domains_by_names", "found_company_by_domain"),
    "prospect": (
        "found_by_li_url",
        "found_emails_by_name_by_domain",
        "campaign_finished",
        "unsubscribed",
        "found_company_by_domain",
    ),
    "email_verification": ("verified",),
    "email": ("found_emails_by_domain", "found_generic_contacts_by_domain", "found_prospect_emails"),
    "database_search": ("task_result",),
}
DOMAIN_EMAIL_TYPES = ("all", "personal", "generic")


def _fail(field: str, problem: str) -> SnovioValidationError:
    return SnovioValidationError(field, problem)


def _no_controls(field: str, value: str) -> str:
    """Refuse NUL and every other control character (newline and tab included), wherever they are."""
    found = _CONTROL_RE.search(value)
    if found:
        raise _fail(field, f"contains the control character {found.group()!r} at position {found.start()}")
    return value


def _text(field: str, value: Any) -> str:
    if not isinstance(value, str):
        raise _fail(field, f"expected a string, got {type(value).__name__}")
    text = _no_controls(field, value).strip()
    if not text:
        raise _fail(field, "must not be empty")
    return text


def domain(field: str, value: Any) -> str:
    """A bare domain name such as ``octagon.com`` (no scheme, path or e-mail)."""
    text = _text(field, value).lower().rstrip(".")
    if text.startswith("www."):
        text = text[4:]
    if not _DOMAIN_RE.fullmatch(text):
        raise _fail(field, f"{value!r} is not a domain name like 'example.com'")
    return text


def email(field: str, value: Any) -> str:
    """An e-mail address; the domain part follows the same rule as :func:`domain`."""
    text = _text(field, value)
    local, sep, host = text.rpartition("@")
    if not sep or not _EMAIL_LOCAL_RE.fullmatch(local) or not _DOMAIN_RE.fullmatch(host.lower()):
        raise _fail(field, f"{value!r} is not an e-mail address")
    return f"{local}@{host.lower()}"


#: The longest e-mail address a recipient-status check (#74) takes.
RECIPIENT_EMAIL_MAX_CHARS = 100


def recipient_email(field: str, value: Any) -> str:
    """An e-mail address of at most 100 characters (#74's documented limit), lower-cased: the addresses of one
    check must be unique, and a server comparing them case-insensitively would refuse "A@x.com" beside "a@x.com"."""
    text = email(field, value).lower()
    if len(text) > RECIPIENT_EMAIL_MAX_CHARS:
        raise _fail(field, f"is {len(text)} characters long; at most {RECIPIENT_EMAIL_MAX_CHARS} allowed")
    return text


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
        if value >= 10**_MAX_DIGITS:
            raise _fail(field, f"has more than {_MAX_DIGITS} digits")
        return str(value)
    text = _text(field, value)
    if not _DIGITS_RE.fullmatch(text):
        raise _fail(field, f"{value!r} is not a numeric id")
    return text


def hex_hash(field: str, value: Any) -> str:
    """task_hash and prospect_hash: hexadecimal strings, so they can safely go into a URL path."""
    text = _text(field, value)
    if not _HEX_RE.fullmatch(text):
        raise _fail(field, f"{value!r} is not a hexadecimal hash")
    return text


def opaque_id(field: str, value: Any) -> str:
    """Prospect ids such as ``xusD3-T_K5IktGoaa8Jc8A==`` (base64-like)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return numeric_id(field, value)
    text = _text(field, value)
    if not _TOKEN_ID_RE.fullmatch(text):
        raise _fail(field, f"{value!r} is not a Snov.io id")
    return text


def text(field: str, value: Any) -> str:
    """Any non-empty string (names, positions, list names)."""
    return _text(field, value)


def url(field: str, value: Any) -> str:
    """An absolute http(s) URL (profile URLs, webhook endpoints)."""
    text_value = _text(field, value)
    if not _URL_RE.fullmatch(text_value):
        raise _fail(field, f"{value!r} is not an http(s) URL")
    return text_value


def _integer(field: str, value: Any, expected: str) -> int:
    """An int, or a string of plain ASCII digits (``int()`` would also take "1_0", " 7\\n" or "\u0661")."""
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _fail(field, f"expected {expected}")
    if isinstance(value, str):
        text_value = _text(field, value)
        if not _INTEGER_RE.fullmatch(text_value):
            raise _fail(field, f"{value!r} is not an integer")
        value = int(text_value)
    if abs(value) >= 10**_MAX_DIGITS:
        raise _fail(field, f"has more than {_MAX_DIGITS} digits")
    return int(value)


def positive_int(field: str, value: Any) -> int:
    number = _integer(field, value, "a positive integer")
    if number < 1:
        raise _fail(field, "must be at least 1")
    return number


def bounded_int(upper: int) -> Callable[[str, Any], int]:
    """A positive integer no larger than ``upper`` (page sizes with a documented maximum)."""

    def check(field: str, value: Any) -> int:
        number = positive_int(field, value)
        if number > upper:
            raise _fail(field, f"must be at most {upper}, got {number}")
        return number

    return check


def non_negative_int(field: str, value: Any) -> int:
    number = _integer(field, value, "a non-negative integer")
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
    if not _DATE_RE.fullmatch(text_value):
        raise _fail(field, f"{value!r} is not a date like 2024-01-31")
    try:
        dt.date.fromisoformat(text_value)
    except ValueError:
        raise _fail(field, f"{value!r} is not a valid calendar date") from None
    return text_value


def one_of(choices: Iterable[str], *, case_sensitive: bool = False) -> Callable[[str, Any], str]:
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


def webhook_event_pair(values: Mapping[str, Any]) -> None:
    """A webhook's ``event_action`` must belong to its ``event_object`` (only the documented pairs).

    A catalogue ``constraint`` of ``add_webhook``: "campaign_reply" + "opened" passes both enum checks
    on its own, yet names no event Snov.io could ever deliver.
    """
    event_object, event_action = values.get("event_object"), values.get("event_action")
    if not isinstance(event_object, str) or event_object not in WEBHOOK_EVENTS or event_action is None:
        return
    if event_action not in WEBHOOK_EVENTS[event_object]:
        raise _fail(
            "event_action",
            f"{event_action!r} is not an action of {event_object!r} "
            f"(one of: {', '.join(WEBHOOK_EVENTS[event_object])})",
        )


class ListOf:
    """Validator of a list parameter: every element checked, at most ``max_items`` per request.

    A lone string counts as a one-element list. ``unique`` drops repeated values (first one kept): a
    list of e-mails sent for verification must never pay twice for the same address. Chunked endpoints
    validate the whole list with :meth:`uncapped` and split it into requests that each pass the cap.
    """

    def __init__(
        self,
        item_validator: Callable[[str, Any], Any],
        *,
        max_items: int = DEFAULT_MAX_ITEMS,
        min_items: int = 1,
        unique: bool = False,
    ) -> None:
        if max_items < min_items:
            raise ValueError("max_items must not be below min_items")
        self.item_validator = item_validator
        self.max_items = max_items
        self.min_items = min_items
        self.unique = unique

    def _materialise(self, field: str, value: Any) -> list[Any]:
        items = [value] if isinstance(value, str) else value
        if not isinstance(items, list | tuple | set | frozenset):
            raise _fail(field, f"expected a list, got {type(value).__name__}")
        items = list(items)
        if len(items) < self.min_items:
            raise _fail(field, f"needs at least {self.min_items} item(s)")
        return items

    def _check_items(self, field: str, items: list[Any]) -> list[Any]:
        checked = [self.item_validator(f"{field}[{i}]", item) for i, item in enumerate(items)]
        return list(dict.fromkeys(checked)) if self.unique else checked

    def __call__(self, field: str, value: Any) -> list[Any]:
        items = self._materialise(field, value)
        if len(items) > self.max_items:  # before the items: a huge list is refused without validating it
            raise _fail(field, f"at most {self.max_items} items per request, got {len(items)}")
        return self._check_items(field, items)

    def uncapped(self, field: str, value: Any) -> list[Any]:
        """Every element checked (and de-duplicated), any length: for a list that will be chunked."""
        return self._check_items(field, self._materialise(field, value))


def list_of(
    item_validator: Callable[[str, Any], Any],
    *,
    max_items: int = DEFAULT_MAX_ITEMS,
    min_items: int = 1,
    unique: bool = False,
) -> ListOf:
    """A :class:`ListOf` validator (kept as a function: the catalogue reads like a table of rules)."""
    return ListOf(item_validator, max_items=max_items, min_items=min_items, unique=unique)


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
    if len(value) > DEFAULT_MAX_ITEMS:
        raise _fail(field, f"at most {DEFAULT_MAX_ITEMS} entries per request, got {len(value)}")
    out = {}
    for key, item in value.items():
        if not isinstance(key, str) or not _MAPPING_KEY_RE.fullmatch(key):
            raise _fail(field, f"key {key!r} must be letters, digits, space, _ or -")
        out[key] = "" if item is None else _no_controls(f"{field}[{key}]", str(item))
    return out


def prospect_identity(values: Mapping[str, Any]) -> None:
    """#29 (2026): ``email`` OR ``socialLinks[linkedIn]``, and at most one of ``updateContact`` /
    ``createDuplicates`` true.

    A catalogue ``constraint`` of ``add_prospect_to_list``: the 2026 text no longer marks ``email``
    required, but requires the LinkedIn link when the email is null, and allows only one of the two
    flags (booleans are validated to 1/0 before this runs). The link's key is matched case-insensitively
    (``linkedIn`` is Snov.io's spelling; ``linkedin`` is an easy slip that would otherwise be refused).
    """
    if values.get("email") is None:
        links = values.get("social_links") or {}
        if not any(key.lower() == "linkedin" and str(link).strip() for key, link in links.items()):
            raise _fail("email", "is required unless social_links has a 'linkedIn' profile URL (2026 #29)")
    if values.get("update_contact") and values.get("create_duplicates"):
        raise _fail("create_duplicates", "cannot be true together with update_contact (Snov.io allows only one)")


#: "All time" for campaign analytics (#19): the 2026 text makes ``date_from`` and ``date_to`` required and
#: drops "leave both empty for all time", so all time is sent as this explicit first day. Snov.io was
#: founded in 2017; 2000-01-01 predates any campaign an account can hold.
ANALYTICS_ALL_TIME_FROM = "2000-01-01"


# 2026 §1a/§1b. Enrichment v2 (#42-#45) and database search v2 (#46-#51) --------------------------------
#: Names (#42) and LinkedIn URLs (#44) per start request (§4: "≤10 items per request").
ENRICHMENT_BATCH = 10
DATABASE_MANAGEMENT_LEVELS = ("c_level", "vp_level", "director_level", "manager_level", "staff")
DATABASE_DEPARTMENTS = (
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
DATABASE_LOCATION_TYPES = ("city", "state", "country", "region", "subregion")
DATABASE_COMPANY_SIZES = (
    "Self",
    "1-10",
    "11-50",
    "51-200",
    "201-500",
    "501-1000",
    "1001-5000",
    "5001-10000",
    "10001+",
)
DATABASE_REVENUE_MIN = (
    0,
    1,
    500_000,
    1_000_000,
    2_500_000,
    5_000_000,
    10_000_000,
    20_000_000,
    50_000_000,
    100_000_000,
    500_000_000,
    1_000_000_000,
)
DATABASE_REVENUE_MAX = (*DATABASE_REVENUE_MIN, 1_000_000_000_000)
#: Founding years a company filter may name (a sanity range: the docs give none).
_YEAR_RANGE = (1000, 9999)


def linkedin_url(field: str, value: Any) -> str:
    """An http(s) URL of a LinkedIn profile (#44 ``urls[]``)."""
    checked = url(field, value)
    if "linkedin.com/" not in checked.lower():
        raise _fail(field, f"{value!r} is not a LinkedIn profile URL")
    return checked


def _mapping(field: str, value: Any, keys: Iterable[str], *, non_empty: bool = False) -> Mapping[str, Any]:
    """A mapping whose keys are all in ``keys`` (an unknown key is named, never dropped); ``non_empty``
    refuses ``{}`` too (a filter group that says nothing is a mistake, not "no filter")."""
    allowed = tuple(keys)
    if not isinstance(value, Mapping) or (non_empty and not value):
        empty = "non-empty " if non_empty else ""
        raise _fail(field, f"expected a {empty}mapping with keys among {', '.join(allowed)}")
    if extra := sorted(str(k) for k in set(value) - set(allowed)):
        raise _fail(f"{field}.{extra[0]}", f"is not a key here (known: {', '.join(allowed)})")
    return value


def _include_exclude(field: str, value: Any, item: Callable[[str, Any], Any]) -> dict[str, list[Any]]:
    """``{"include": [...], "exclude": [...]}`` (either or both): every list filter of #46/#50 has both sides."""
    given = _mapping(field, value, ("include", "exclude"), non_empty=True)
    return {side: list_of(item, min_items=0).uncapped(f"{field}.{side}", given[side]) for side in given}


def _location(field: str, value: Any) -> dict[str, str]:
    if not isinstance(value, Mapping):
        raise _fail(field, "expected {locality, location_type}")
    _mapping(field, value, ("locality", "location_type"), non_empty=True)
    return {
        "locality": _text(f"{field}.locality", value.get("locality")),
        "location_type": one_of(DATABASE_LOCATION_TYPES)(f"{field}.location_type", value.get("location_type")),
    }


def _locations(field: str, value: Any) -> dict[str, list[Any]]:
    return _include_exclude(field, value, _location)


def _revenue(field: str, value: Any) -> dict[str, int]:
    given = _mapping(field, value, ("min", "max"), non_empty=True)
    out = {}
    if "min" in given:
        out["min"] = int_choice(DATABASE_REVENUE_MIN)(f"{field}.min", given["min"])
    if "max" in given:
        out["max"] = int_choice(DATABASE_REVENUE_MAX)(f"{field}.max", given["max"])
    if "min" in out and "max" in out and out["min"] > out["max"]:
        raise _fail(f"{field}.max", f"{out['max']} is below min {out['min']}")
    return out


def _founded(field: str, value: Any) -> dict[str, int]:
    given = _mapping(field, value, ("from", "till"), non_empty=True)
    out = {key: int_range(*_YEAR_RANGE)(f"{field}.{key}", given[key]) for key in given}
    if "from" in out and "till" in out and out["from"] > out["till"]:
        raise _fail(f"{field}.till", f"{out['till']} is before from {out['from']}")
    return out


def _section(field: str, value: Any, checks: Mapping[str, Callable[[str, Any], Any]]) -> dict[str, Any]:
    given = _mapping(field, value, tuple(checks), non_empty=True)
    return {key: checks[key](f"{field}.{key}", given[key]) for key in given}


def _words(field: str, value: Any) -> dict[str, list[Any]]:
    return _include_exclude(field, value, text)


_PROSPECT_FILTERS: Mapping[str, Callable[[str, Any], Any]] = {
    "job_titles": _words,
    "skills": _words,
    "management_levels": lambda f, x: _include_exclude(f, x, one_of(DATABASE_MANAGEMENT_LEVELS)),
    "departments": lambda f, x: _include_exclude(f, x, one_of(DATABASE_DEPARTMENTS)),
    "locations": _locations,
    "first_name": text,
    "last_name": text,
}
_COMPANY_FILTERS: Mapping[str, Callable[[str, Any], Any]] = {
    "name": _words,
    "industries": _words,
    "locations": _locations,
    "size": lambda f, x: _include_exclude(f, x, one_of(DATABASE_COMPANY_SIZES, case_sensitive=False)),
    "revenue": _revenue,
    "specialities": _words,
    "founded": _founded,
}


def database_prospect_filters(field: str, value: Any) -> dict[str, Any]:
    """#46 ``filters{prospect{...}, company{...}}``: every enum, revenue and founding range checked; company
    locations go under ``company.locations`` (as #46 documents them)."""
    checks = {
        "prospect": lambda f, x: _section(f, x, _PROSPECT_FILTERS),
        "company": lambda f, x: _section(f, x, _COMPANY_FILTERS),
    }
    return _section(field, value, checks)


def database_company_filters(field: str, value: Any) -> dict[str, Any]:
    """#50 ``filters{company{...}, locations{...}}`` (#50 documents locations at the top level; the company's
    own ``company.locations`` is accepted too)."""
    checks = {"company": lambda f, x: _section(f, x, _COMPANY_FILTERS), "locations": _locations}
    return _section(field, value, checks)


# --------------------------------------------------------------------------------------------------
# 2026 §1c sender accounts and §1d warm-up (#52-#61): JSON bodies, so values keep their JSON types.

#: Characters of a multi-line text (warm-up body, signature) may hold: line breaks and tabs, no other control.
_MULTILINE_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: SMTP/IMAP host names (#53): "≤100 chars matching ^[a-zA-Z0-9][a-zA-Z0-9-.]*" (used with fullmatch).
_MAIL_HOST_RE = re.compile(r"[a-zA-Z0-9][a-zA-Z0-9.-]{0,99}")
#: SMTP port -> the one encryption Snov.io allows with it (#53: 465 -> ssl, 587 -> tls, 25 -> none).
SMTP_ENCRYPTION_BY_PORT: Mapping[int, tuple[str, ...]] = {25: ("none",), 465: ("ssl",), 587: ("tls",)}
#: IMAP port -> the encryptions allowed with it (#53: 993 -> ssl or tls, 143 -> none).
IMAP_ENCRYPTION_BY_PORT: Mapping[int, tuple[str, ...]] = {143: ("none",), 993: ("ssl", "tls")}
SENDER_DELAY_TYPES = ("fixed", "random")
WARM_UP_STRATEGIES = ("progressive", "steady")
WARM_UP_CONTENT = ("autogenerated", "specific")
WARM_UP_PROVIDERS = ("gmail", "microsoft", "other")
#: The #57 list filter (the doc's list omits ``pending``, which #58 reports).
WARM_UP_LIST_STATUSES = ("active", "paused", "completed", "error")
#: What #59 may set a warm-up to (``deleted`` deletes it, as #60 does).
WARM_UP_UPDATE_STATUSES = ("active", "paused", "completed", "deleted")
WARM_UP_PAGE_SIZES = (20, 50, 100)
WARM_UP_PERIODS = ("two_weeks", "month")


class _Clear:
    """The value that sends JSON ``null``: #54 clears ``reply_to``, ``signature``, ``bcc_email`` and ``tags``
    with it. ``None`` cannot say so: an argument left as ``None`` is an argument not sent."""

    _instance: _Clear | None = None

    def __new__(cls) -> _Clear:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "CLEAR"


#: Pass as a #54 field (``update_email_account(21, signature=CLEAR)``) to send ``null`` and clear it.
CLEAR: Any = _Clear()


def clearable(check: Callable[[str, Any], Any]) -> Callable[[str, Any], Any]:
    """``check``, or :data:`CLEAR` sent as JSON ``null``."""

    def checked(field: str, value: Any) -> Any:
        return None if value is CLEAR else check(field, value)

    checked.__doc__ = f"{check.__doc__ or check.__name__} Or CLEAR (sent as null)."
    return checked


def int_range(lower: int, upper: int) -> Callable[[str, Any], int]:
    """An integer from ``lower`` to ``upper`` inclusive (the documented limits of §4)."""

    def check(field: str, value: Any) -> int:
        number = _integer(field, value, f"an integer from {lower} to {upper}")
        if not lower <= number <= upper:
            raise _fail(field, f"must be from {lower} to {upper}, got {number}")
        return number

    check.__doc__ = f"An integer from {lower} to {upper}."
    return check


def int_choice(choices: Iterable[int]) -> Callable[[str, Any], int]:
    """One of a few integers (the warm-up list's ``per_page`` ∈ 20, 50, 100)."""
    allowed = tuple(choices)

    def check(field: str, value: Any) -> int:
        number = _integer(field, value, f"one of {', '.join(map(str, allowed))}")
        if number not in allowed:
            raise _fail(field, f"must be one of {', '.join(map(str, allowed))}, got {number}")
        return number

    return check


def sized_text(upper: int, *, multiline: bool = False) -> Callable[[str, Any], str]:
    """A non-empty string of at most ``upper`` characters; ``multiline`` allows line breaks and tabs
    (an e-mail body or signature), never another control character. Not stripped when multiline: the
    text is content, sent as written."""

    def check(field: str, value: Any) -> str:
        if not multiline:
            text_value = _text(field, value)
        else:
            if not isinstance(value, str):
                raise _fail(field, f"expected a string, got {type(value).__name__}")
            found = _MULTILINE_CONTROL_RE.search(value)
            if found:
                raise _fail(field, f"contains the control character {found.group()!r} at position {found.start()}")
            if not value.strip():
                raise _fail(field, "must not be empty")
            text_value = value
        if len(text_value) > upper:
            raise _fail(field, f"must be at most {upper} characters, got {len(text_value)}")
        return text_value

    return check


def secret(field: str, value: Any) -> str:
    """A password: a non-empty string without control characters, sent as given and never echoed."""
    if not isinstance(value, str):
        raise _fail(field, f"expected a string, got {type(value).__name__}")
    if _CONTROL_RE.search(value):
        raise _fail(field, "contains a control character")
    if not value:
        raise _fail(field, "must not be empty")
    return value


def json_boolean(field: str, value: Any) -> bool:
    """JSON bodies take real booleans (v1 forms take 1/0, see :func:`boolean`)."""
    return bool(boolean(field, value))


def positive_id(field: str, value: Any) -> int:
    """An id sent as a JSON integer (``email_account_id``, ``schedule_id``, ``sender_account_id``)."""
    return positive_int(field, value)


def _mail_server(ports: Mapping[int, tuple[str, ...]]) -> Callable[[str, Any], dict[str, Any]]:
    def check(field: str, value: Any) -> dict[str, Any]:
        if not isinstance(value, Mapping):
            raise _fail(field, "expected a mapping with host, port and encryption")
        if extra := sorted(set(value) - {"host", "port", "encryption"}):
            raise _fail(f"{field}.{extra[0]}", "is not a key of the server settings (host, port, encryption)")
        for key in ("host", "port", "encryption"):
            if value.get(key) is None:
                raise _fail(f"{field}.{key}", "is required")
        host = _text(f"{field}.host", value["host"])
        if not _MAIL_HOST_RE.fullmatch(host):
            raise _fail(f"{field}.host", f"{host!r} is not a host name of at most 100 characters")
        port = _integer(f"{field}.port", value["port"], "a port number")
        if port not in ports:
            raise _fail(f"{field}.port", f"must be one of {', '.join(map(str, ports))}, got {port}")
        encryption = _text(f"{field}.encryption", value["encryption"]).lower()
        if encryption not in ports[port]:
            raise _fail(f"{field}.encryption", f"port {port} takes {' or '.join(ports[port])}, got {encryption!r}")
        return {"host": host, "port": port, "encryption": encryption}

    return check


smtp_server = _mail_server(SMTP_ENCRYPTION_BY_PORT)
imap_server = _mail_server(IMAP_ENCRYPTION_BY_PORT)
sender_delay_type = one_of(SENDER_DELAY_TYPES)
warm_up_strategy = one_of(WARM_UP_STRATEGIES)
warm_up_content = one_of(WARM_UP_CONTENT)
warm_up_list_status = one_of(WARM_UP_LIST_STATUSES)
warm_up_update_status = one_of(WARM_UP_UPDATE_STATUSES)
warm_up_period = one_of(WARM_UP_PERIODS)

#: Seconds in the day the daily ``limitation`` of a sender must fit into (#53).
_DAY_SECONDS = 86_400


def sender_settings(values: Mapping[str, Any]) -> None:
    """#53/#54 rules across fields: ``delay_to`` > ``delay_from``, and ``limitation`` no more than the delay
    allows in 24 h. Checked only between values sent together (a partial update cannot see the stored
    ones), against the shortest delay given (the generous reading: never refuses what Snov.io accepts)."""
    low, high = values.get("delay_from"), values.get("delay_to")
    if low is not None and high is not None and high <= low:
        raise _fail("delay_to", f"must be greater than delay_from ({low}), got {high}")
    limitation = values.get("limitation")
    shortest = values.get("delay_fixed") if values.get("delay_type") == "fixed" else low
    if limitation is not None and shortest is not None and limitation * shortest > _DAY_SECONDS:
        raise _fail(
            "limitation",
            f"{limitation} emails a day do not fit into 24 h with a {shortest} s delay "
            f"(at most {_DAY_SECONDS // shortest})",
        )


def some_field(values: Mapping[str, Any], ids: tuple[str, ...]) -> None:
    """A partial update (PATCH) must change something: at least one field besides the ``ids``."""
    if not any(key not in ids for key in values):
        raise _fail("fields", "name at least one field to change")


def warm_up_settings(values: Mapping[str, Any], *, creating: bool) -> None:
    """#56/#59 rules across fields: ``from`` ≤ ``per_day``; on create, a progressive warm-up (the default)
    needs ``from`` and ``increase``, and ``email_content="specific"`` needs ``subject`` and ``body``."""
    start, per_day = values.get("from_"), values.get("per_day")
    if start is not None and per_day is not None and start > per_day:
        raise _fail("from_", f"must not exceed per_day ({per_day}), got {start}")
    if not creating:
        return
    if values.get("strategy", "progressive") == "progressive":
        for key in ("from_", "increase"):
            if values.get(key) is None:
                raise _fail(key, "is required for a progressive warm-up (the default strategy)")
    if values.get("email_content") == "specific":
        for key in ("subject", "body"):
            if values.get(key) is None:
                raise _fail(key, "is required when email_content is 'specific'")


def warm_up_window(values: Mapping[str, Any]) -> None:
    """#61: ``period`` OR both dates, and ``date_to`` not before ``date_from``."""
    period, low, high = values.get("period"), values.get("date_from"), values.get("date_to")
    if period is not None and (low is not None or high is not None):
        raise _fail("period", "give period or date_from + date_to, not both")
    for given, missing in (("date_from", "date_to"), ("date_to", "date_from")):
        if values.get(given) is not None and values.get(missing) is None:
            raise _fail(missing, f"is required with {given}")
    if low is not None and high is not None and high < low:
        raise _fail("date_to", f"{high} is before date_from {low}")


# --------------------------------------------------------------------------------------------------
# 2026 §1e campaigns v2 (#62-#67) and §1f email step content (#68-#71): JSON bodies, §4 limits.

CAMPAIGN_PRIORITIES = ("low", "medium", "high")
#: #66 ``action`` (the doc spells the last one ``archived``; ``archive`` is accepted and sent so).
CAMPAIGN_ACTIONS = ("start", "pause", "resume", "complete", "archived")
#: #62 ``archive_in_months`` ∈ 1, 2, 3, 6 (§4).
ARCHIVE_MONTHS = (1, 2, 3, 6)
#: #62 ``content_slots``: 1-15 A/B variants of an email step (§4).
CONTENT_SLOTS_MAX = 15
#: §4 waits of delay and trigger steps: at most 43200 minutes, 720 hours or 30 days.
WAIT_MAX: Mapping[str, int] = {"minutes": 43_200, "hours": 720, "days": 30}
STEP_TYPES = ("email", "delay", "trigger", "goal", "linkedin")
DEAL_EVENTS = ("open", "click", "reply")
SENDING_PRIORITIES = ("first_email", "follow_up")
#: The boolean switches of ``sending_settings`` (#62).
SENDING_SWITCHES = (
    "skip_unverifiable",
    "skip_unverified",
    "skip_who_replied",
    "skip_company_domain_who_replied",
    "skip_recipients_without_variables_data",
    "skip_other_recipients_email_addresses",
    "skip_recipients_added_to_my_another_campaign",
    "skip_recipients_added_to_team_another_campaign",
    "one_click_unsubscribe",
)
CONTENT_USAGES = ("active", "pause")
#: #62 ``action`` of a LinkedIn step and of a trigger step.
LINKEDIN_ACTIONS = (
    "visit",
    "like",
    "follow",
    "invite",
    "message",
    "in_mail",
    "connected_on_linkedin",
    "check_connection_level",
    "endorse_skills",
)
TRIGGER_ACTIONS = (
    "open",
    "click",
    "calendly",
    "connected_on_linkedin",
    "check_connection_level",
    "linkedin_in_mail_sent",
)
_CAMPAIGN_TIME_RE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2} [0-9]{2}:[0-9]{2}:[0-9]{2}")

campaign_priority = one_of(CAMPAIGN_PRIORITIES)
campaign_title = sized_text(255)
content_usage = one_of(CONTENT_USAGES)


def campaign_action(field: str, value: Any) -> str:
    """One of start, pause, resume, complete, archived (``archive`` is sent as ``archived``)."""
    text_value = _text(field, value).lower()
    return one_of(CAMPAIGN_ACTIONS)(field, "archived" if text_value == "archive" else text_value)


def archive_in_months(field: str, value: Any) -> int:
    """1, 2, 3 or 6 (§4)."""
    return int_choice(ARCHIVE_MONTHS)(field, value)


def campaign_time(field: str, value: Any) -> str:
    """``YYYY-MM-DD HH:MM:SS`` (#62 ``start_campaign_at`` / ``complete_campaign_at``); a datetime is formatted."""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    text_value = _text(field, value)
    if not _CAMPAIGN_TIME_RE.fullmatch(text_value):
        raise _fail(field, f"must be 'YYYY-MM-DD HH:MM:SS', got {text_value!r}")
    try:
        dt.datetime.strptime(text_value, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise _fail(field, f"{text_value!r} is not a real date and time") from None
    return text_value


def campaign_tracking(field: str, value: Any) -> dict[str, bool]:
    """``{open, link_click}`` booleans."""
    given = _mapping(field, value, ("open", "link_click"))
    return {key: json_boolean(f"{field}.{key}", item) for key, item in given.items()}


def _limit_or_none(field: str, value: Any) -> int | None:
    return None if value is None else positive_int(field, value)


def sending_settings(field: str, value: Any) -> dict[str, Any]:
    """#62 ``sending_settings``: ``sending_priority``, daily limits (int or None = no limit), the switches,
    and the delay keys the create sample sends (``delay_type``, ``delay_from``, ``delay_to``)."""
    keys = ("sending_priority", "daily_sending_all", "daily_sending_new_recipients", *SENDING_SWITCHES)
    given = _mapping(field, value, (*keys, "delay_type", "delay_from", "delay_to"))
    out: dict[str, Any] = {}
    for key, item in given.items():
        name = f"{field}.{key}"
        if key == "sending_priority":
            out[key] = one_of(SENDING_PRIORITIES)(name, item)
        elif key in ("daily_sending_all", "daily_sending_new_recipients"):
            out[key] = _limit_or_none(name, item)
        elif key == "delay_type":
            out[key] = sender_delay_type(name, item)
        elif key in ("delay_from", "delay_to"):
            out[key] = positive_int(name, item)
        else:
            out[key] = json_boolean(name, item)
    return out


def campaign_recipients(field: str, value: Any) -> dict[str, int]:
    """``{list_id, black_list_id?}`` (ids of #31 and #75); ``list_id`` required."""
    given = _mapping(field, value, ("list_id", "black_list_id"))
    if given.get("list_id") is None:
        raise _fail(f"{field}.list_id", "is required")
    return {key: positive_int(f"{field}.{key}", item) for key, item in given.items() if item is not None}


def campaign_deals(field: str, value: Any) -> dict[str, Any]:
    """``{event, pipeline_id, stage_id, potential_value?, currency?}``; ``event`` ⊆ open, click, reply."""
    given = _mapping(field, value, ("event", "pipeline_id", "stage_id", "potential_value", "currency"))
    for key in ("event", "pipeline_id", "stage_id"):
        if given.get(key) is None:
            raise _fail(f"{field}.{key}", "is required")
    out: dict[str, Any] = {
        "event": list_of(one_of(DEAL_EVENTS), max_items=3, unique=True)(f"{field}.event", given["event"]),
        "pipeline_id": positive_int(f"{field}.pipeline_id", given["pipeline_id"]),
        "stage_id": positive_int(f"{field}.stage_id", given["stage_id"]),
    }
    if given.get("potential_value") is not None:
        out["potential_value"] = positive_int(f"{field}.potential_value", given["potential_value"])
    if given.get("currency") is not None:
        code = _text(f"{field}.currency", given["currency"]).upper()
        if not re.fullmatch(r"[A-Z]{3}", code):
            raise _fail(f"{field}.currency", f"must be a three-letter currency code, got {code!r}")
        out["currency"] = code
    return out


_STEP_KEYS: tuple[str, ...] = (
    "_ref",
    "type",
    "next",
    "yes",
    "no",
    "waiting_type",
    "waiting_val",
    "action",
    "goal_name",
)
_STEP_KEYS += ("content_slots", "subject", "body", "value", "content")


def _ref(field: str, value: Any) -> str | int:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise _fail(field, "must be a string or an integer id")
    return value if isinstance(value, int) else _text(field, value)


def _step(field: str, value: Any) -> dict[str, Any]:
    given = _mapping(field, value, _STEP_KEYS)
    for key in ("_ref", "type"):
        if given.get(key) is None:
            raise _fail(f"{field}.{key}", "is required")
    step: dict[str, Any] = dict(given)
    step["_ref"] = _ref(f"{field}._ref", given["_ref"])
    kind = step["type"] = one_of(STEP_TYPES)(f"{field}.type", given["type"])
    for key in ("next", "yes", "no"):
        if given.get(key) is not None:
            step[key] = _ref(f"{field}.{key}", given[key])
    if kind in ("delay", "trigger") and given.get("waiting_type") is not None:
        unit = step["waiting_type"] = one_of(WAIT_MAX)(f"{field}.waiting_type", given["waiting_type"])
        if given.get("waiting_val") is None:
            raise _fail(f"{field}.waiting_val", "is required with waiting_type")
        step["waiting_val"] = int_range(1, WAIT_MAX[unit])(f"{field}.waiting_val", given["waiting_val"])
    elif kind == "delay":
        raise _fail(f"{field}.waiting_type", "is required for a delay step (minutes, hours or days)")
    if kind == "email":
        slots = given.get("content_slots")
        if slots is not None:
            step["content_slots"] = int_range(1, CONTENT_SLOTS_MAX)(f"{field}.content_slots", slots)
        if given.get("subject") is not None:
            step["subject"] = sized_text(10_000)(f"{field}.subject", given["subject"])
    if kind == "goal":
        if given.get("next") is not None:
            raise _fail(f"{field}.next", "a goal step ends its branch (no next)")
        if given.get("goal_name") is None:
            raise _fail(f"{field}.goal_name", "is required for a goal step")
    if kind in ("linkedin", "trigger"):
        if given.get("action") is None:
            raise _fail(f"{field}.action", f"is required for a {kind} step")
        actions = LINKEDIN_ACTIONS if kind == "linkedin" else TRIGGER_ACTIONS
        step["action"] = one_of(actions)(f"{field}.action", given["action"])
        _linkedin_step(field, step, given)
    return step


def _linkedin_step(field: str, step: dict[str, Any], given: Mapping[str, Any]) -> None:
    """#62: ``value`` of endorse_skills (1-5) and check_connection_level (1-2 distinct of 1, 2, 3); ``body``
    required for invite, message and in_mail, ``subject`` for in_mail."""
    action = step["action"]
    if action == "endorse_skills" and step["type"] == "linkedin":
        if given.get("value") is None:
            raise _fail(f"{field}.value", "is required for endorse_skills (1-5)")
        step["value"] = int_range(1, 5)(f"{field}.value", given["value"])
    if action == "check_connection_level":
        levels = given.get("value")
        if levels is None:
            raise _fail(f"{field}.value", "is required for check_connection_level (1-2 of 1, 2, 3)")
        step["value"] = list_of(int_range(1, 3), max_items=2, unique=True)(f"{field}.value", levels)
    if step["type"] == "linkedin" and action in ("invite", "message", "in_mail") and given.get("body") is None:
        raise _fail(f"{field}.body", f"is required for a LinkedIn {action}")
    if step["type"] == "linkedin" and action == "in_mail" and given.get("subject") is None:
        raise _fail(f"{field}.subject", "is required for a LinkedIn in_mail")


def campaign_sequence(field: str, value: Any) -> dict[str, Any]:
    """``{entry, steps[]}``: every step's type and §4 limits (``content_slots`` 1-15, waits ≤43200 min /
    ≤720 h / ≤30 d), unique ``_ref``s, ``entry``/``next``/``yes``/``no`` naming steps of the sequence, a goal
    never the entry."""
    given = _mapping(field, value, ("entry", "steps"))
    for key in ("entry", "steps"):
        if given.get(key) is None:
            raise _fail(f"{field}.{key}", "is required")
    raw_steps = given["steps"]
    if not isinstance(raw_steps, list | tuple) or not raw_steps:
        raise _fail(f"{field}.steps", "expected a non-empty list of steps")
    if len(raw_steps) > DEFAULT_MAX_ITEMS:
        raise _fail(f"{field}.steps", f"at most {DEFAULT_MAX_ITEMS} steps, got {len(raw_steps)}")
    steps = [_step(f"{field}.steps[{i}]", item) for i, item in enumerate(raw_steps)]
    refs = [str(step["_ref"]) for step in steps]
    for i, ref in enumerate(refs):
        if ref in refs[:i]:
            raise _fail(f"{field}.steps[{i}]._ref", f"{ref!r} is used by an earlier step")
    entry = _ref(f"{field}.entry", given["entry"])
    if str(entry) not in refs:
        raise _fail(f"{field}.entry", f"{entry!r} is the _ref of no step")
    if steps[refs.index(str(entry))]["type"] == "goal":
        raise _fail(f"{field}.entry", "a goal step cannot be the entry")
    for i, step in enumerate(steps):
        for key in ("next", "yes", "no"):
            if key in step and str(step[key]) not in refs:
                raise _fail(f"{field}.steps[{i}].{key}", f"{step[key]!r} is the _ref of no step")
    return {"entry": entry, "steps": steps}


def campaign_rules(values: Mapping[str, Any]) -> None:
    """#62/#64 across fields: ``provider_matching`` only with ≥2 email accounts; ``complete_campaign_at``
    after ``start_campaign_at`` (both strings of one format, so they compare as text)."""
    accounts = values.get("email_accounts")
    if values.get("provider_matching") and accounts is not None and len(accounts) < 2:
        raise _fail("provider_matching", "can be true only with at least 2 email_accounts")
    start, end = values.get("start_campaign_at"), values.get("complete_campaign_at")
    if start is not None and end is not None and end <= start:
        raise _fail("complete_campaign_at", f"must be later than start_campaign_at ({start}), got {end}")

"""The endpoint catalogue: one declarative row per Snov.io endpoint, the single source of truth.

A row says the HTTP method and path, where each parameter goes (query, form, JSON, path) and in
which shape (scalar, PHP-style ``name[]`` array, comma-joined, ``name[key]`` brackets), how the
endpoint pages, whether it spends credits, whether it is idempotent (both decide whether a call whose
answer was lost may be sent again: only an idempotent, free call is) and whether it starts or reads an
asynchronous task. The sync client, the async client, the docs and
the tests all read these rows; no endpoint has request code of its own.

Rows are attributes of one object, :data:`ENDPOINTS` (``ENDPOINTS.get_balance``), and code passes the row
itself, never its name: a misspelt endpoint is an ``AttributeError`` at import or a type checker's error,
never a failed lookup at run time. A name is turned into a row in one place, :func:`endpoint`, and only
where a name is all there is (a trigger's JSON kwargs, a stored job, a DAG author's string).

Numbers in comments refer to the endpoint tables of ``docs/api-reference.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Final

from airflow_provider_snovio.api import validation as v
from airflow_provider_snovio.api.errors import SnovioValidationError


class Loc(str, Enum):
    """Where a parameter travels."""

    QUERY = "query"
    FORM = "form"
    JSON = "json"
    PATH = "path"


class Shape(str, Enum):
    """How a value is spelled on the wire."""

    SCALAR = "scalar"  # name=value
    ARRAY = "array"  # name[]=a&name[]=b (PHP style)
    CSV = "csv"  # name=a,b (campaign analytics filters)
    BRACKETS = "brackets"  # name[key]=value (customFields, socialLinks)
    RAW = "raw"  # the validated value as is (JSON bodies)


class Paging(str, Enum):
    """The paging styles Snov.io uses; each has one iterator in :mod:`paging`."""

    OFFSET = "offset"  # replies/opens/clicks/sent: <=10,000 rows a call, advance offset
    PAGE = "page"  # prospects in list (page/perPage), v2 prospects (page)
    CURSOR = "cursor"  # v2 domain emails / generic contacts: meta.next
    LAST_ID = "last_id"  # legacy domain-emails-with-info: lastId
    HAS_MORE = "has_more"  # 2026 recipients activity (#72): offset/limit until pagination.has_more is false
    OFFSET_TO_EMPTY = "offset_to_empty"  # 2026 all replies (#73): offset by rows received until an empty page


class Task(str, Enum):
    """Asynchronous endpoints: a start call returns a task_hash that a result call is polled with."""

    START = "start"
    RESULT = "result"


Validator = Callable[[str, Any], Any]


@dataclass(frozen=True)
class Param:
    """One input of an endpoint: Python keyword ``name``, wire name ``wire``."""

    name: str
    wire: str
    loc: Loc
    check: Validator
    required: bool = False
    shape: Shape = Shape.SCALAR


@dataclass(frozen=True, eq=False, repr=False)
class Endpoint:
    """One Snov.io endpoint: a row of :class:`Endpoints`, where its attribute name is its ``name``.

    Rows compare by identity (there is one row per endpoint) and are hashable, so sets of rows work.
    """

    method: str
    path: str
    summary: str
    params: tuple[Param, ...] = ()
    credits: str = "free"
    spends_credits: bool = False
    paging: Paging | None = None
    task: Task | None = None
    #: (parameter, size): a longer list is sent in several requests whose answers are merged.
    chunk: tuple[str, int] | None = None
    #: For a task-starting endpoint: the row that reads its result.
    result: Endpoint | None = None
    #: A rule across several validated parameters, e.g. a date range: ``check(values)`` raises.
    constraint: Callable[[Mapping[str, Any]], None] | None = None
    #: Values sent when the caller leaves them out, decided from the other arguments:
    #: ``fill(arguments)`` returns the arguments to add (checked like any other). #19's "all time".
    fill: Callable[[Mapping[str, Any]], Mapping[str, Any]] | None = None
    #: For an idempotent row: ``creates_when(values)`` is true for the (validated) arguments that make a
    #: call create something anew, so such a call is not resent when its answer is lost (#29's
    #: ``createDuplicates``: a resend would add a second duplicate prospect).
    creates_when: Callable[[Mapping[str, Any]], bool] | None = None
    #: Paged endpoints: the most rows one page holds, as documented (the fixed page size, or the cap of
    #: the page-size parameter). Paging iterators compare with it, never with a number a server may clamp.
    page_size: int | None = None
    #: Whether sending the call twice has the effect of sending it once. GET, PUT and DELETE are by
    #: HTTP's definition unless they spend credits (a repeated DELETE answers 404, which the caller treats
    #: as done; the paid legacy GET pays again); every POST
    #: row says so explicitly: reads and "set to" calls are, creating and paid calls are not (a second
    #: POST /v1/lists makes a second list, a second paid start pays again).
    idempotent: bool | None = None
    #: A paid call Snov.io charges once however often the identical request is sent ("1 per unique
    #: request": the domain-search starts; "1 per prospect with an email": a prospect's e-mail search).
    #: Resending one whose answer was lost finds the same paid work without paying for it again.
    charged_once: bool = False
    #: The hook method that calls it, which is its attribute of :class:`Endpoints` (set from there, so it
    #: is written once); what a trigger's kwargs or a stored job keep in place of the row.
    name: str = field(init=False, default="")
    params_by_name: Mapping[str, Param] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "params_by_name", {p.name: p for p in self.params})
        where = f"catalogue row {self.method} {self.path}"
        if self.idempotent is None:
            if self.method == "POST":
                raise ValueError(f"{where}: a POST must say whether it is idempotent")
            object.__setattr__(self, "idempotent", not self.spends_credits)  # a paid GET pays again
        if self.charged_once and not self.spends_credits:
            raise ValueError(f"{where}: charged_once is for paid calls")
        if self.spends_credits and self.idempotent:
            raise ValueError(f"{where}: a paid call is never idempotent (a resend pays again)")
        if self.result is not None and self.result.task is not Task.RESULT:
            raise ValueError(f"{where}: result= must be a task result row")

    def __set_name__(self, owner: type, name: str) -> None:
        """Take the attribute name the row is first given: its name in :class:`Endpoints` (a class elsewhere
        that keeps a row as an attribute does not rename it)."""
        if not self.name:
            object.__setattr__(self, "name", name)

    def __repr__(self) -> str:
        return f"<Endpoint {self.name or '?'}: {self.method} {self.path}>"

    @property
    def resend_safe(self) -> bool:
        """Whether a call whose answer was lost (it may have taken effect) may simply be sent again."""
        return bool(self.idempotent) and not self.spends_credits


def _p(
    name: str, wire: str | None, loc: Loc, check: Validator, *, req: bool = False, shape: Shape = Shape.SCALAR
) -> Param:
    return Param(name=name, wire=wire or name, loc=loc, check=check, required=req, shape=shape)


#: Rows returned per call by the offset-paged campaign endpoints (#23-#26).
OFFSET_PAGE_SIZE = 10_000
#: The most prospects one ``perPage`` may ask for in a list (#34): 5000 in the 2026 text (the older English
#: text said 100).
LIST_PAGE_MAX = 5000
#: Prospects per page of the v2 prospects search (#3/#4).
PROSPECTS_PAGE_SIZE = 20
#: Emails per page of the v2 domain-emails and generic-contacts searches (#7-#10).
DOMAIN_EMAILS_PAGE_SIZE = 50
#: The most emails one ``limit`` may ask for in the legacy domain search (#41).
LEGACY_LIMIT_MAX = 100
#: Emails per verification request (#18, v2 start); longer lists are chunked.
VERIFICATION_BATCH = 10
#: The most events one ``limit`` may ask for in the recipients-activity report (#72; default 100).
ACTIVITY_LIMIT_MAX = 1000
#: The longest date window of one recipients-activity call (#72): ``dateTo`` - ``dateFrom`` <= 31 days.
ACTIVITY_WINDOW_DAYS = 31
#: Emails per recipient-status check (#74: 1-100 unique addresses); longer lists are chunked.
RECIPIENT_CHECK_BATCH = 100

Q, F, J, P = Loc.QUERY, Loc.FORM, Loc.JSON, Loc.PATH
ARR, CSV, BRK = Shape.ARRAY, Shape.CSV, Shape.BRACKETS

_DOMAIN = _p("domain", None, F, v.domain, req=True)
_TASK_HASH_PATH = _p("task_hash", None, P, v.hex_hash, req=True)
_TASK_HASH_QUERY = _p("task_hash", None, Q, v.hex_hash, req=True)
_NEXT = _p("next_cursor", "next", F, v.text)
_CAMPAIGN_QUERY = _p("campaign_id", "campaignId", Q, v.numeric_id, req=True)
_OFFSET = _p("offset", None, Q, v.non_negative_int)
_NAME_FORM = (
    _p("first_name", "firstName", F, v.text, req=True),
    _p("last_name", "lastName", F, v.text, req=True),
    _p("domain", None, F, v.domain, req=True),
)
_EMAILS_QUERY = _p("emails", "emails", Q, v.list_of(v.email, unique=True), req=True, shape=ARR)
_batch_of_emails = v.list_of(v.email, max_items=VERIFICATION_BATCH, unique=True)
_POSITIONS = _p("positions", "positions", F, v.list_of(v.text, max_items=10), shape=ARR)


def _all_time(values: Mapping[str, Any]) -> Mapping[str, Any]:
    """#19 with neither date: all time, sent as an explicit range (2026 makes both dates required).

    ``date_from`` is :data:`validation.ANALYTICS_ALL_TIME_FROM`, ``date_to`` today (UTC). One date without
    the other is left alone, for :func:`_date_range` to refuse.
    """
    if values.get("date_from") is None and values.get("date_to") is None:
        return {"date_from": v.ANALYTICS_ALL_TIME_FROM, "date_to": dt.datetime.now(dt.timezone.utc).date().isoformat()}
    return {}


def _date_range(values: Mapping[str, Any]) -> None:
    """Both dates or neither (neither = all time, filled in by :func:`_all_time`), and ``date_from`` not after
    ``date_to`` (yyyy-mm-dd strings)."""
    for given, missing in (("date_from", "date_to"), ("date_to", "date_from")):
        if values.get(given) and not values.get(missing):
            raise SnovioValidationError(missing, f"is required with {given} (leave both out for all time)")
    if values.get("date_from") and values.get("date_to") and values["date_from"] > values["date_to"]:
        raise SnovioValidationError("date_to", f"{values['date_to']} is before date_from {values['date_from']}")


def _activity_window(values: Mapping[str, Any]) -> None:
    """#72: ``date_from`` not after ``date_to`` and at most :data:`ACTIVITY_WINDOW_DAYS` days apart.

    The text says "window <= 31 days": read as ``dateTo - dateFrom <= 31``. A server counting the 31 days
    inclusively would refuse a difference of exactly 31; the iterator therefore asks for windows of 31
    calendar days (a difference of 30), which both readings accept.
    """
    date_from, date_to = values.get("date_from"), values.get("date_to")
    if not date_from or not date_to:
        return
    if date_from > date_to:
        raise SnovioValidationError("date_to", f"{date_to} is before date_from {date_from}")
    span = (dt.date.fromisoformat(date_to) - dt.date.fromisoformat(date_from)).days
    if span > ACTIVITY_WINDOW_DAYS:
        raise SnovioValidationError(
            "date_to",
            f"is {span} days after date_from; one call covers at most {ACTIVITY_WINDOW_DAYS} "
            "(iter_campaign_recipients_activity splits longer ranges)",
        )


def _events(path: str, what: str) -> Endpoint:
    return Endpoint(
        "GET",
        path,
        f"Campaign {what}, up to 10,000 per call (offset paging).",
        (_CAMPAIGN_QUERY, _OFFSET),
        paging=Paging.OFFSET,
        page_size=OFFSET_PAGE_SIZE,
    )


# 2026 §1a/§1b helpers (#42-#51) ----------------------------------------------------------------------
#: Prospects or companies per page of the database searches (#46/#50): ~50, inferred from the docs'
#: examples (162 prospects -> 4 pages; 4,328,524 companies -> 86,571 pages).
DATABASE_PAGE_SIZE = 50
_WEBHOOK_URL_QUERY = _p("webhook_url", None, Q, v.url)
_WEBHOOK_URL_JSON = _p("webhook_url", None, J, v.url)


def _enrichment_batch(item: Validator) -> v.ListOf:
    """#42 ``names[]`` / #44 ``urls[]``: 1-10 unique items per start (§4)."""
    return v.list_of(item, max_items=v.ENRICHMENT_BATCH, unique=True)


# 2026 §1c/§1d helpers (#52-#61) ----------------------------------------------------------------------
#: The most e-mails a day a warm-up may send (#56 "per_day 1-1000 depending on plan").
WARM_UP_PER_DAY_MAX = 1000
_WARM_UP_ID = _p("warm_up_id", None, P, v.numeric_id, req=True)
_email_or_clear = v.clearable(v.email)


def _sender_fields(*, required: bool) -> tuple[Param, ...]:
    """The JSON keys of #53 (``required``) and #54 (all optional; reply_to, signature, bcc_email, tags clearable)."""
    clear = v.clearable if not required else (lambda check: check)
    return (
        _p("sender_name", None, J, v.sized_text(100), req=required),
        _p("email_from", None, J, v.email, req=required),
        _p("password", None, J, v.secret, req=required),
        _p("smtp", None, J, v.smtp_server, req=required, shape=Shape.RAW),
        _p("imap", None, J, v.imap_server, shape=Shape.RAW),
        _p("reply_to", None, J, clear(v.email)),
        _p("limitation", None, J, v.int_range(1, 1200)),
        _p("delay_type", None, J, v.sender_delay_type),
        _p("delay_fixed", None, J, v.int_range(5, 3600)),
        _p("delay_from", None, J, v.int_range(5, 3600)),
        _p("delay_to", None, J, v.int_range(5, 3600)),
        _p("signature", None, J, clear(v.sized_text(10_000, multiline=True))),
        _p("bcc_email", None, J, clear(v.email)),
        _p("tags", None, J, clear(v.list_of(v.sized_text(100), min_items=0, unique=True)), shape=Shape.RAW),
        _p("timezone_id", "timezoneId", J, v.int_range(1, 458)),
    )


def _sender_update(values: Mapping[str, Any]) -> None:
    v.some_field(values, ("account_id",))
    v.sender_settings(values)


def _warm_up_fields(*, from_max: int) -> tuple[Param, ...]:
    """The optional JSON keys #56 and #59 share; ``from`` (a Python keyword, so ``from_``) is 1-5 on create,
    1-10 on update."""
    return (
        _p("strategy", None, J, v.warm_up_strategy),
        _p("from_", "from", J, v.int_range(1, from_max)),
        _p("increase", None, J, v.int_range(1, 5)),
        _p("email_content", None, J, v.warm_up_content),
        _p("subject", None, J, v.sized_text(200)),
        _p("body", None, J, v.sized_text(10_000, multiline=True)),
        _p("reply_rate", None, J, v.int_range(10, 45)),
        _p("campaign_deadline", None, J, v.iso_date),
        _p("providers", None, J, v.list_of(v.one_of(v.WARM_UP_PROVIDERS), max_items=3, unique=True), shape=Shape.RAW),
        _p("send_to_paid_domain", None, J, v.json_boolean),
        _p("enable_ctd", None, J, v.json_boolean),
        _p("enable_proxy", None, J, v.json_boolean),
        _p("schedule_id", None, J, v.positive_id),
        _p("template_name", None, J, v.text),
    )


def _warm_up_create(values: Mapping[str, Any]) -> None:
    v.warm_up_settings(values, creating=True)


def _warm_up_update(values: Mapping[str, Any]) -> None:
    v.some_field(values, ("warm_up_id",))
    v.warm_up_settings(values, creating=False)


# 2026 §1e/§1f helpers (#62-#71) ----------------------------------------------------------------------
_CAMPAIGN_ID = _p("campaign_id", None, P, v.numeric_id, req=True)
_STEP_ID = _p("step_id", None, P, v.numeric_id, req=True)
_CONTENT_ID = _p("content_id", None, P, v.numeric_id, req=True)
_ids = v.list_of(v.positive_id, min_items=0, unique=True)
#: Characters of an email body (#68/#70): no documented cap; the request size budget bounds it anyway.
MAX_CONTENT_BODY = 100_000


def _campaign_fields(*, creating: bool) -> tuple[Param, ...]:
    """The JSON keys of #62 (``creating``: the documented required ones) and #64 (all optional; ``deals``
    cleared with CLEAR, sent as null)."""
    req = creating
    return (
        _p("title", None, J, v.campaign_title, req=req),
        _p("priority", None, J, v.campaign_priority, req=req),
        _p("email_accounts", None, J, _ids, shape=Shape.RAW),
        _p("linkedin_accounts", None, J, _ids, shape=Shape.RAW),
        _p("tracking", None, J, v.campaign_tracking, shape=Shape.RAW),
        _p("sending_settings", None, J, v.sending_settings, shape=Shape.RAW),
        _p("provider_matching", None, J, v.json_boolean),
        _p("recipients", None, J, v.campaign_recipients, req=req, shape=Shape.RAW),
        _p("schedule_id", None, J, v.positive_id),
        _p("start_campaign_at", None, J, v.campaign_time),
        _p("complete_campaign_at", None, J, v.campaign_time),
        _p("timezone", None, J, v.text),
        _p("complete_campaign_after_last_step", None, J, v.json_boolean, req=req),
        _p("archive_in_months", None, J, v.archive_in_months, req=req),
        _p("deals", None, J, v.campaign_deals if creating else v.clearable(v.campaign_deals), shape=Shape.RAW),
        _p("sequence", None, J, v.campaign_sequence, req=req, shape=Shape.RAW),
    )


def _campaign_create(values: Mapping[str, Any]) -> None:
    """#62: a campaign with email steps needs ``email_accounts``, ``tracking``, ``sending_settings`` and
    ``provider_matching``; then the rules #62 and #64 share."""
    steps = values["sequence"]["steps"]
    if any(step["type"] == "email" for step in steps):
        for key in ("email_accounts", "tracking", "sending_settings", "provider_matching"):
            if values.get(key) is None:
                raise SnovioValidationError(key, "is required for a campaign with email steps")
        if not values["email_accounts"]:
            raise SnovioValidationError("email_accounts", "name at least one sender account for the email steps")
    v.campaign_rules(values)


def _campaign_update(values: Mapping[str, Any]) -> None:
    v.some_field(values, ("campaign_id",))
    v.campaign_rules(values)


def _content_update(values: Mapping[str, Any]) -> None:
    v.some_field(values, ("campaign_id", "step_id", "content_id"))


class Endpoints:
    """The catalogue itself: one attribute per Snov.io endpoint, named for the hook method that calls it.

    ``ENDPOINTS.get_balance`` *is* the row: code that calls an endpoint names it as an attribute, so "go to
    definition" lands here and a misspelt name is an ``AttributeError`` a type checker reports before it
    runs. A row learns its name from its attribute (:meth:`Endpoint.__set_name__`), so every name is
    written once. Iterating gives every row in catalogue order. A task's result row comes just before the
    start row that names it (``result=``).
    """

    __slots__ = ()

    # 1a. Domain search (v2, asynchronous)
    get_domain_search_result = Endpoint(
        "GET",
        "/v2/domain-search/result/{task_hash}",
        "Company info for a task_hash.",
        (_TASK_HASH_PATH,),
        task=Task.RESULT,
    )
    start_domain_search = Endpoint(
        "POST",
        "/v2/domain-search/start",
        "Start a company-info search.",
        (_DOMAIN,),
        "1 per unique request; none if no results",
        True,
        task=Task.START,
        result=get_domain_search_result,
        idempotent=False,
        charged_once=True,
    )
    get_prospects_result = Endpoint(
        "GET",
        "/v2/domain-search/prospects/result/{task_hash}",
        "Prospects for a task_hash.",
        (_TASK_HASH_PATH,),
        task=Task.RESULT,
    )
    start_prospects_search = Endpoint(
        "POST",
        "/v2/domain-search/prospects/start",
        "Start a prospects search (20 per page).",
        (_DOMAIN, _POSITIONS, _p("page", None, F, v.positive_int)),
        "1 per unique request",
        True,
        Paging.PAGE,
        Task.START,
        result=get_prospects_result,
        page_size=PROSPECTS_PAGE_SIZE,
        idempotent=False,
        charged_once=True,
    )
    get_prospect_email_search_result = Endpoint(
        "GET",
        "/v2/domain-search/prospects/search-emails/result/{task_hash}",
        "A prospect's emails for a task_hash.",
        (_TASK_HASH_PATH,),
        task=Task.RESULT,
    )
    start_prospect_email_search = Endpoint(
        "POST",
        "/v2/domain-search/prospects/search-emails/start/{prospect_hash}",
        "Start finding one prospect's emails.",
        (_p("prospect_hash", None, P, v.hex_hash, req=True),),
        "1 per prospect with an email",
        True,
        task=Task.START,
        result=get_prospect_email_search_result,
        idempotent=False,
        charged_once=True,
    )
    get_domain_emails_result = Endpoint(
        "GET",
        "/v2/domain-search/domain-emails/result/{task_hash}",
        "Domain emails for a task_hash.",
        (_TASK_HASH_PATH,),
        task=Task.RESULT,
    )
    start_domain_emails_search = Endpoint(
        "POST",
        "/v2/domain-search/domain-emails/start",
        "Start a domain-emails search (50 per page, `next` cursor).",
        (_DOMAIN, _NEXT),
        "1 per unique request",
        True,
        Paging.CURSOR,
        Task.START,
        result=get_domain_emails_result,
        page_size=DOMAIN_EMAILS_PAGE_SIZE,
        idempotent=False,
        charged_once=True,
    )
    get_generic_contacts_result = Endpoint(
        "GET",
        "/v2/domain-search/generic-contacts/result/{task_hash}",
        "Generic contacts for a task_hash.",
        (_TASK_HASH_PATH,),
        task=Task.RESULT,
    )
    start_generic_contacts_search = Endpoint(
        "POST",
        "/v2/domain-search/generic-contacts/start",
        "Start a generic-contacts search (50 per page, `next` cursor).",
        (_DOMAIN, _NEXT),
        "1 per unique request",
        True,
        Paging.CURSOR,
        Task.START,
        result=get_generic_contacts_result,
        page_size=DOMAIN_EMAILS_PAGE_SIZE,
        idempotent=False,
        charged_once=True,
    )
    # 1b. Finder and enrichment (v1)
    get_domain_emails_count = Endpoint(
        "POST",
        "/v1/get-domain-emails-count",
        "How many emails Snov.io knows for a domain.",
        (_DOMAIN,),
        idempotent=True,
    )
    get_emails_from_names = Endpoint(
        "POST",
        "/v1/get-emails-from-names",
        "Email finder by first name, last name and domain (hourly limit).",
        _NAME_FORM,
        idempotent=True,
    )
    add_names_to_find_emails = Endpoint(
        "POST",
        "/v1/add-names-to-find-emails",
        "Queue a name for the email finder (hourly limit).",
        _NAME_FORM,
        "1 per request",
        True,
        idempotent=False,
    )
    add_url_for_search = Endpoint(
        "POST",
        "/v1/add-url-for-search",
        "Queue a LinkedIn/X profile URL for search.",
        (_p("url", None, F, v.url, req=True),),
        "1 per request",
        True,
        idempotent=False,
    )
    get_emails_from_url = Endpoint(
        "POST",
        "/v1/get-emails-from-url",
        "Prospect found from a profile URL.",
        (_p("url", None, F, v.url, req=True),),
        idempotent=True,
    )
    get_profile_by_email = Endpoint(
        "POST",
        "/v1/get-profile-by-email",
        "Profile of the owner of an email.",
        (_p("email", None, F, v.email, req=True),),
        "1; none if not found",
        True,
        idempotent=False,
    )
    # 1c. Email verifier
    get_emails_verification_status = Endpoint(
        "POST",
        "/v1/get-emails-verification-status",
        "Verification status of emails (keyed by email).",
        (_EMAILS_QUERY,),
        "free; not charged for not_verified or greylisted",
        chunk=("emails", VERIFICATION_BATCH),
        idempotent=True,
    )
    add_emails_to_verification = Endpoint(
        "POST",
        "/v1/add-emails-to-verification",
        "Queue emails for verification (10 per request).",
        (_EMAILS_QUERY,),
        "1 per email",
        True,
        chunk=("emails", VERIFICATION_BATCH),
        idempotent=False,
    )
    get_email_verification_result = Endpoint(
        "GET",
        "/v2/email-verification/result",
        "v2 verification result (task_hash in the query).",
        (_TASK_HASH_QUERY,),
        task=Task.RESULT,
    )
    start_email_verification = Endpoint(
        "POST",
        "/v2/email-verification/start",
        "Start a v2 verification of up to 10 emails.",
        (_p("emails", None, F, _batch_of_emails, req=True, shape=ARR),),
        "1 per email",
        True,
        task=Task.START,
        result=get_email_verification_result,
        idempotent=False,
    )
    get_emails_by_name_result = Endpoint(
        "GET",
        "/v2/emails-by-domain-by-name/result",
        "v2 email finder result (task_hash in the query).",
        (_TASK_HASH_QUERY,),
        task=Task.RESULT,
    )
    start_emails_by_name = Endpoint(
        "POST",
        "/v2/emails-by-domain-by-name/start",
        "Start a v2 email finder for up to 10 {first_name, last_name, domain} rows.",
        (_p("rows", None, J, v.finder_rows, req=True, shape=Shape.RAW),),
        "1 per email whose smtp_status is valid or unknown (2026)",
        True,
        task=Task.START,
        result=get_emails_by_name_result,
        idempotent=False,
    )
    # 1d. Campaigns
    get_campaign_analytics = Endpoint(
        "GET",
        "/v2/statistics/campaign-analytics",
        "Campaign statistics for a date range; both dates are always sent (2026: required), all time "
        "(both left out) as 2000-01-01 to today.",
        (
            _p("campaign_ids", "campaign_id", Q, v.list_of(v.numeric_id), shape=CSV),
            _p("date_from", None, Q, v.iso_date),
            _p("date_to", None, Q, v.iso_date),
            _p("sender_emails", "sender_email", Q, v.list_of(v.numeric_id), shape=CSV),
            _p("sender_linkedin", None, Q, v.list_of(v.numeric_id), shape=CSV),
            _p("campaign_owners", "campaign_owner", Q, v.list_of(v.email), shape=CSV),
        ),
        constraint=_date_range,
        fill=_all_time,
    )
    get_campaign_progress = Endpoint(
        "GET",
        "/v2/campaigns/{campaign_id}/progress",
        "Campaign status, unfinished recipients and progress.",
        (_p("campaign_id", None, P, v.numeric_id, req=True),),
    )
    change_recipient_status = Endpoint(
        "POST",
        "/v1/change-recipient-status",
        "Set a recipient Active, Paused or Unsubscribed in a campaign.",
        (
            _p("campaign_id", None, F, v.numeric_id, req=True),
            _p("email", None, F, v.email, req=True),
            _p("status", None, F, v.recipient_status, req=True),
        ),
        idempotent=True,
    )
    get_finished_prospects = Endpoint(
        "GET", "/v1/prospect-finished", "Prospects who finished the campaign.", (_CAMPAIGN_QUERY,)
    )
    get_campaign_replies = _events("/v1/get-emails-replies", "replies")
    get_campaign_opens = _events("/v1/get-emails-opened", "opens")
    get_campaign_clicks = _events("/v1/get-emails-clicked", "link clicks")
    get_emails_sent = _events("/v1/emails-sent", "sent emails")
    get_user_campaigns = Endpoint("GET", "/v1/get-user-campaigns", "All campaigns of the account.")
    add_to_do_not_email_list = Endpoint(
        "POST",
        "/v1/do-not-email-list",
        "Add emails or domains to a do-not-email list.",
        (
            _p("list_id", "listId", F, v.numeric_id, req=True),
            _p("items", "items", F, v.list_of(v.email_or_domain), req=True, shape=ARR),
        ),
        idempotent=True,
    )
    # 1e. Prospects and lists
    add_prospect_to_list = Endpoint(
        "POST",
        "/v1/add-prospect-to-list",
        "Add (or update) a prospect in a list; starts the list's drip campaign.",
        (
            _p("list_id", "listId", F, v.numeric_id, req=True),
            _p("email", None, F, v.email),
            _p("full_name", "fullName", F, v.text),
            _p("first_name", "firstName", F, v.text),
            _p("last_name", "lastName", F, v.text),
            _p("phones", "phones", F, v.list_of(v.text), shape=ARR),
            _p("country", None, F, v.text),
            _p("locality", None, F, v.text),
            _p("position", None, F, v.text),
            _p("company_name", "companyName", F, v.text),
            _p("company_site", "companySite", F, v.url),
            _p("update_contact", "updateContact", F, v.boolean),
            _p("create_duplicates", "createDuplicates", F, v.boolean),
            _p("custom_fields", "customFields", F, v.string_mapping, shape=BRK),
            _p("social_links", "socialLinks", F, v.string_mapping, shape=BRK),
        ),
        constraint=v.prospect_identity,
        creates_when=lambda values: bool(values.get("create_duplicates")),
        idempotent=True,
    )
    get_prospect_by_id = Endpoint(
        "POST",
        "/v1/get-prospect-by-id",
        "A prospect by id.",
        (_p("prospect_id", "id", F, v.opaque_id, req=True),),
        idempotent=True,
    )
    get_prospects_by_email = Endpoint(
        "POST",
        "/v1/get-prospects-by-email",
        "Prospects with this email.",
        (_p("email", None, F, v.email, req=True),),
        idempotent=True,
    )
    get_prospect_custom_fields = Endpoint("GET", "/v1/prospect-custom-fields", "Custom fields.")
    get_user_lists = Endpoint("GET", "/v1/get-user-lists", "Prospect lists of the account.")
    get_list_prospects = Endpoint(
        "POST",
        "/v1/prospect-list",
        "Prospects in a list, newest first.",
        (
            _p("list_id", "listId", F, v.numeric_id, req=True),
            _p("page", None, F, v.positive_int),
            _p("per_page", "perPage", F, v.bounded_int(LIST_PAGE_MAX)),
        ),
        paging=Paging.PAGE,
        page_size=LIST_PAGE_MAX,
        idempotent=True,
    )
    create_prospect_list = Endpoint(
        "POST", "/v1/lists", "Create a prospect list.", (_p("name", None, F, v.text, req=True),), idempotent=False
    )
    get_balance = Endpoint("GET", "/v1/get-balance", "Credit balance.")
    # 1f. Webhooks (v2, JSON)
    list_webhooks = Endpoint("GET", "/v2/webhooks", "Registered webhooks.")
    add_webhook = Endpoint(
        "POST",
        "/v2/webhooks",
        "Register a webhook.",
        (
            _p("event_object", None, J, v.webhook_event_object, req=True),
            _p("event_action", None, J, v.webhook_event_action, req=True),
            _p("endpoint_url", None, J, v.url, req=True),
        ),
        constraint=v.webhook_event_pair,
        idempotent=False,
    )
    change_webhook_status = Endpoint(
        "PUT",
        "/v2/webhooks/{webhook_id}",
        "Activate or deactivate.",
        (
            _p("webhook_id", None, P, v.numeric_id, req=True),
            _p("status", None, J, v.webhook_status, req=True),
        ),
    )
    delete_webhook = Endpoint(
        "DELETE", "/v2/webhooks/{webhook_id}", "Delete a webhook.", (_p("webhook_id", None, P, v.numeric_id, req=True),)
    )
    # 1g. Only in the older edition
    get_domain_emails_with_info = Endpoint(
        "GET",
        "/v2/domain-emails-with-info",
        "Legacy domain search with the `lastId` cursor (required: 0 for the first page).",
        (
            _p("domain", None, Q, v.domain, req=True),
            _p("type", None, Q, v.domain_email_type),
            _p("limit", None, Q, v.bounded_int(LEGACY_LIMIT_MAX)),
            _p("last_id", "lastId", Q, v.non_negative_int, req=True),
            _p("positions", "positions", Q, v.list_of(v.text, max_items=10), shape=ARR),
        ),
        "1 per 10 emails returned (up to 100 a request); none when nothing is found",
        True,
        Paging.LAST_ID,
        page_size=LEGACY_LIMIT_MAX,
    )
    # 2026 §1a. Enrichment (#42-#45, v2, asynchronous, task_hash in the query) ------------------------
    get_company_domain_by_name_result = Endpoint(
        "GET",
        "/v2/company-domain-by-name/result",
        "Company domains found by name (task_hash in the query).",
        (_TASK_HASH_QUERY,),
        task=Task.RESULT,
    )
    start_company_domain_by_name = Endpoint(
        "POST",
        "/v2/company-domain-by-name/start",
        "Start finding the domains of up to 10 company names.",
        (_p("names", "names", Q, _enrichment_batch(v.text), req=True, shape=ARR), _WEBHOOK_URL_QUERY),
        "1 per domain found",
        True,
        task=Task.START,
        result=get_company_domain_by_name_result,
        idempotent=False,
    )
    get_li_profiles_by_urls_result = Endpoint(
        "GET",
        "/v2/li-profiles-by-urls/result",
        "LinkedIn profiles by URL (task_hash in the query).",
        (_TASK_HASH_QUERY,),
        task=Task.RESULT,
    )
    start_li_profiles_by_urls = Endpoint(
        "POST",
        "/v2/li-profiles-by-urls/start",
        "Start reading up to 10 LinkedIn profiles by URL.",
        (_p("urls", "urls", Q, _enrichment_batch(v.linkedin_url), req=True, shape=ARR), _WEBHOOK_URL_QUERY),
        "1 per profile returned",
        True,
        task=Task.START,
        result=get_li_profiles_by_urls_result,
        idempotent=False,
    )
    # 2026 §1b. Database search (#46-#51, v2, asynchronous, task_hash in the path, JSON bodies) -----------
    get_database_prospects_result = Endpoint(
        "GET",
        "/v2/database-search/prospects/result/{task_hash}",
        "A page of the prospect database search (~50 per page, data.total_pages).",
        (_TASK_HASH_PATH,),
        task=Task.RESULT,
    )
    start_database_prospects_search = Endpoint(
        "POST",
        "/v2/database-search/prospects/start",
        "Start a prospect database search (one page; free accounts get page 1 only).",
        (
            _p("filters", None, J, v.database_prospect_filters, req=True, shape=Shape.RAW),
            _p("page", None, J, v.positive_int),
            _WEBHOOK_URL_JSON,
        ),
        paging=Paging.PAGE,
        task=Task.START,
        result=get_database_prospects_result,
        page_size=DATABASE_PAGE_SIZE,
        idempotent=True,  # free: a second start is a second look at the same page
    )
    get_database_prospect_email_result = Endpoint(
        "GET",
        "/v2/database-search/prospects/search-emails/result/{task_hash}",
        "A database prospect's revealed name, LinkedIn URL and emails.",
        (_TASK_HASH_PATH,),
        task=Task.RESULT,
    )
    start_database_prospect_email_search = Endpoint(
        "POST",
        "/v2/database-search/prospects/search-emails/start/{reveal_hash}",
        "Start revealing a database prospect (the end of its email_and_hidden_info_reveal URL).",
        (_p("reveal_hash", None, P, v.hex_hash, req=True),),
        "1 per prospect with an email",
        True,
        task=Task.START,
        result=get_database_prospect_email_result,
        idempotent=False,
        charged_once=True,
    )
    get_database_companies_result = Endpoint(
        "GET",
        "/v2/database-search/companies/result/{task_hash}",
        "A page of the company database search (~50 per page, data.total_pages).",
        (_TASK_HASH_PATH,),
        task=Task.RESULT,
    )
    start_database_companies_search = Endpoint(
        "POST",
        "/v2/database-search/companies/start",
        "Start a company database search (one page).",
        (
            _p("filters", None, J, v.database_company_filters, req=True, shape=Shape.RAW),
            _p("page", None, J, v.positive_int),
            _WEBHOOK_URL_JSON,
        ),
        "1 per unique request with at least one result",
        True,
        Paging.PAGE,
        Task.START,
        result=get_database_companies_result,
        page_size=DATABASE_PAGE_SIZE,
        idempotent=False,
        charged_once=True,
    )
    # 2026 §1c. Sender (email) accounts (#52-#55, v2, JSON bodies; PATCH updates are partial) -------------
    list_email_accounts = Endpoint("GET", "/v2/sender-accounts/emails", "Sender (email) accounts, all at once.")
    create_email_account = Endpoint(
        "POST",
        "/v2/sender-accounts/emails",
        "Add an SMTP/IMAP sender account (the connection check runs afterwards).",
        _sender_fields(required=True),
        constraint=v.sender_settings,
        idempotent=False,
    )
    update_email_account = Endpoint(
        "PATCH",
        "/v2/sender-accounts/emails/{account_id}",
        "Change some settings of a sender account; any SMTP/IMAP change starts a new connection check.",
        (_p("account_id", None, P, v.numeric_id, req=True), *_sender_fields(required=False)),
        constraint=_sender_update,
    )
    get_sender_status = Endpoint(
        "GET",
        "/v2/sender-accounts/check-sender-status",
        "SMTP/IMAP connection status of a sender account.",
        (_p("sender_account_id", None, Q, v.positive_id, req=True),),
    )
    # 2026 §1d. Warm-up (#56-#61, v2, JSON bodies, {success, data} envelopes) ----------------------------
    create_warm_up = Endpoint(
        "POST",
        "/v2/warm-up",
        "Start warming up a sender account.",
        (
            _p("email_account_id", None, J, v.positive_id, req=True),
            _p("per_day", None, J, v.int_range(1, WARM_UP_PER_DAY_MAX), req=True),
            *_warm_up_fields(from_max=5),
        ),
        constraint=_warm_up_create,
        idempotent=False,
    )
    list_warm_ups = Endpoint(
        "GET",
        "/v2/warm-up",
        "Warm-ups, a page at a time (per_page 20, 50 or 100; meta.total_pages).",
        (
            _p("page", None, Q, v.positive_int),
            _p("per_page", None, Q, v.int_choice(v.WARM_UP_PAGE_SIZES)),
            _p("status", None, Q, v.warm_up_list_status),
        ),
        paging=Paging.PAGE,
        page_size=max(v.WARM_UP_PAGE_SIZES),
    )
    get_warm_up = Endpoint("GET", "/v2/warm-up/{warm_up_id}", "One warm-up.", (_WARM_UP_ID,))
    update_warm_up = Endpoint(
        "PATCH",
        "/v2/warm-up/{warm_up_id}",
        "Change some settings or the status of a warm-up (status deleted deletes it).",
        (
            _WARM_UP_ID,
            _p("per_day", None, J, v.int_range(1, WARM_UP_PER_DAY_MAX)),
            *_warm_up_fields(from_max=10),
            _p("status", None, J, v.warm_up_update_status),
            _p("make_endless", None, J, v.json_boolean),
        ),
        constraint=_warm_up_update,
    )
    delete_warm_up = Endpoint(
        "DELETE", "/v2/warm-up/{warm_up_id}", "Delete a warm-up and its statistics.", (_WARM_UP_ID,)
    )
    get_warm_up_statistics = Endpoint(
        "GET",
        "/v2/warm-up/statistics/{warm_up_id}",
        "Daily, per-provider and overall deliverability of a warm-up (period or date_from + date_to).",
        (
            _WARM_UP_ID,
            _p("period", None, Q, v.warm_up_period),
            _p("date_from", None, Q, v.iso_date),
            _p("date_to", None, Q, v.iso_date),
        ),
        constraint=v.warm_up_window,
    )

    # 2026 §1e. Campaigns v2 (#62-#67, JSON bodies, {success, data} envelopes; PATCH merges) -------------
    create_campaign = Endpoint(
        "POST",
        "/v2/campaigns/create",
        "Create a campaign (status new, empty message blocks: fill them with #68).",
        _campaign_fields(creating=True),
        constraint=_campaign_create,
        idempotent=False,
    )
    get_campaign = Endpoint(
        "GET", "/v2/campaigns/{campaign_id}", "A campaign's settings and sequence.", (_CAMPAIGN_ID,)
    )
    update_campaign = Endpoint(
        "PATCH",
        "/v2/campaigns/{campaign_id}",
        "Change some settings of a campaign (nested objects merged; sequence replaces the flow).",
        (_CAMPAIGN_ID, *_campaign_fields(creating=False)),
        constraint=_campaign_update,
    )
    delete_campaign = Endpoint(
        "DELETE",
        "/v2/campaigns/{campaign_id}",
        "Delete a campaign in status new, completed or archived.",
        (_CAMPAIGN_ID,),
    )
    change_campaign_state = Endpoint(
        "POST",
        "/v2/campaigns/{campaign_id}/action",
        "Start, pause, resume, complete or archive a campaign ({success, errors[]}).",
        (_CAMPAIGN_ID, _p("action", None, J, v.campaign_action, req=True)),
        idempotent=True,
    )
    list_campaign_schedules = Endpoint("GET", "/v2/campaigns/schedules", "Sending schedules, all at once.")
    # 2026 §1f. Email step content (#68-#71, JSON bodies; only while the campaign is new, paused or scheduled)
    create_email_step_content = Endpoint(
        "POST",
        "/v2/campaigns/{campaign_id}/steps/{step_id}/content/create",
        "Create a message block of an email step, or overwrite the block with that content_id.",
        (
            _CAMPAIGN_ID,
            _STEP_ID,
            _p("content_id", None, J, v.positive_id, req=True),
            _p("subject", None, J, v.sized_text(10_000), req=True),
            _p("body", None, J, v.sized_text(MAX_CONTENT_BODY, multiline=True), req=True),
            _p("plain_text", None, J, v.json_boolean, req=True),
            _p("usage", None, J, v.content_usage, req=True),
        ),
        idempotent=True,
    )
    get_email_step_content = Endpoint(
        "GET",
        "/v2/campaigns/{campaign_id}/steps/{step_id}/content/{content_id}",
        "One message block of an email step.",
        (_CAMPAIGN_ID, _STEP_ID, _CONTENT_ID),
    )
    update_email_step_content = Endpoint(
        "PATCH",
        "/v2/campaigns/{campaign_id}/steps/{step_id}/content/{content_id}",
        "Change the subject, body, plain_text or usage of a message block.",
        (
            _CAMPAIGN_ID,
            _STEP_ID,
            _CONTENT_ID,
            _p("subject", None, J, v.sized_text(10_000)),
            _p("body", None, J, v.sized_text(MAX_CONTENT_BODY, multiline=True)),
            _p("plain_text", None, J, v.json_boolean),
            _p("usage", None, J, v.content_usage),
        ),
        constraint=_content_update,
    )
    delete_email_step_content = Endpoint(
        "DELETE",
        "/v2/campaigns/{campaign_id}/steps/{step_id}/content/{content_id}",
        "Delete a message block (never a step's last one).",
        (_CAMPAIGN_ID, _STEP_ID, _CONTENT_ID),
    )
    # 2026 §1g. Recipients, replies, do-not-email lists (#72-#75) ----------------------------------
    get_campaign_recipients_activity = Endpoint(
        "GET",
        "/v2/campaigns/{campaign_id}/recipients-activity",
        "Sent, open, click, reply, bounce and unsubscribe events in a <=31-day window (offset/limit).",
        (
            _p("campaign_id", None, P, v.numeric_id, req=True),
            _p("date_from", "dateFrom", Q, v.iso_date, req=True),
            _p("date_to", "dateTo", Q, v.iso_date, req=True),
            _OFFSET,
            _p("limit", None, Q, v.bounded_int(ACTIVITY_LIMIT_MAX)),
        ),
        paging=Paging.HAS_MORE,
        page_size=ACTIVITY_LIMIT_MAX,
        constraint=_activity_window,
    )
    get_campaign_all_replies = Endpoint(
        "GET",
        "/v2/campaigns/{campaign_id}/all-replies",
        "E-mail and LinkedIn replies, one record per contact and reply type (offset until an empty page).",
        (_p("campaign_id", None, P, v.numeric_id, req=True), _OFFSET),
        paging=Paging.OFFSET_TO_EMPTY,
    )
    get_recipients_status = Endpoint(
        "GET",
        "/v2/campaigns/{campaign_id}/recipient",
        "Whether each e-mail is a recipient of the campaign, and its status (100 per request).",
        (
            _p("campaign_id", None, P, v.numeric_id, req=True),
            _p(
                "emails",
                "emails",
                Q,
                v.list_of(v.recipient_email, max_items=RECIPIENT_CHECK_BATCH, unique=True),
                req=True,
                shape=ARR,
            ),
        ),
        chunk=("emails", RECIPIENT_CHECK_BATCH),
    )
    list_do_not_email_lists = Endpoint("GET", "/v2/blacklists", "Do-not-email lists (ids for #28).")
    # 2026 §1h. CRM (#76-#77) ------------------------------------------------------------------------
    list_pipelines = Endpoint("GET", "/v2/pipelines", "CRM pipelines.")
    list_pipeline_stages = Endpoint(
        "GET",
        "/v2/pipelines/{pipeline_id}/stages",
        "Stages of a CRM pipeline.",
        (_p("pipeline_id", None, P, v.numeric_id, req=True),),
    )

    def __iter__(self) -> Iterator[Endpoint]:
        return iter(ROWS)

    def __len__(self) -> int:
        return len(ROWS)


def _rows() -> tuple[Endpoint, ...]:
    """Every row of :class:`Endpoints` in order; one attribute per row (an alias would be a second name)."""
    rows = tuple((attribute, row) for attribute, row in vars(Endpoints).items() if isinstance(row, Endpoint))
    for attribute, row in rows:
        if row.name != attribute:
            raise ValueError(f"catalogue row {row.name} is also named {attribute}: one row per endpoint")
    return tuple(row for _, row in rows)


#: Every row, in catalogue order.
ROWS: tuple[Endpoint, ...] = _rows()
#: The catalogue: ``ENDPOINTS.get_balance`` is the row of ``hook.get_balance()``; ``for row in ENDPOINTS``.
ENDPOINTS: Final = Endpoints()

#: The token endpoint is not an API method of the hook; the client calls it itself.
TOKEN_PATH = "/v1/oauth/access_token"

#: Rows by name, for :func:`endpoint` (and tests that enumerate the catalogue).
BY_NAME: Mapping[str, Endpoint] = {row.name: row for row in ROWS}


def endpoint(ref: Endpoint | str, field: str = "endpoint") -> Endpoint:
    """The row ``ref`` stands for: a row is returned as it is; a name is looked up, once.

    The one place a name becomes a row. Names come only from where a row cannot travel: a trigger's JSON
    kwargs, a job stored across retries, a DAG author's string (``SnovioApiOperator(endpoint=...)``,
    ``hook.call("get_balance")``). An unknown name is a :class:`SnovioValidationError` naming ``field``,
    raised before any request.
    """
    if isinstance(ref, Endpoint):
        return ref
    row = BY_NAME.get(ref) if isinstance(ref, str) else None
    if row is None:
        raise SnovioValidationError(field, f"{ref!r} is not a Snov.io endpoint (known: {', '.join(sorted(BY_NAME))})")
    return row


def result_of(start: Endpoint) -> Endpoint:
    """The row that reads the result of the task ``start`` starts (``ENDPOINTS.start_domain_search`` ->
    ``ENDPOINTS.get_domain_search_result``); a row that starts no task is a programming error."""
    if start.result is None:
        raise TypeError(f"catalogue row {start.name} does not start a task")
    return start.result

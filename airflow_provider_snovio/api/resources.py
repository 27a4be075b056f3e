"""The syncable Snov.io resources: what each one reads, how it pages, its natural key and typed columns.

Why declarative: the SQL transfer, the object-storage transfer and the README's table reference all read
these rows, so a resource's wire names, parsers and key are stated once. Nothing here knows SQL or
Airflow: a :class:`Field` has an abstract :class:`Kind` that the warehouse layer maps to a column type.

Every table also gets ``raw`` (the record as received, so a field Snov.io adds later is never lost) and
``synced_at``; those two are added by the writers, not listed here.

Reading styles (:class:`Reading`):

- ``OFFSET``: replies, opens, clicks, sent emails (#23-#26): resumable per campaign, see :mod:`incremental`.
- ``SINGLE``: one call answers the whole scope (campaigns, lists, custom fields, finished prospects), or,
  for the 2026 resources that take several calls or flatten a nested list (all replies, warm-up statistics,
  pipeline stages), a reader of :mod:`snapshots` (``Resource.read``) returns the whole scope. Either way a
  snapshot: every run reads the whole scope and rows it no longer returns are marked deleted.
- ``PAGES``: prospects in a list (#34), ``page``/``perPage``, newest first: there is no stable position to
  resume from, so each run re-reads the list (upserts keep the table exact).
- ``INTERVAL``: campaign analytics (#19), one call per campaign and date interval. The row stores the
  interval's length (``grain_days``): figures of different grains overlap and are not additive (a two-day
  row is not the sum of two one-day rows' rates, and a non-UTC daily schedule asks for overlapping two-day
  ranges). Each run also re-asks the ``lookback_days`` days before its interval, in intervals of the same
  grain, so figures Snov.io completes late are corrected.
- ``WINDOW``: recipients activity (#72), by event time in windows of at most 31 days, from a stored
  high-water mark minus ``lookback_days``: see :mod:`windows`.

Natural keys: Snov.io never says what an event's ``id`` identifies (its opens and clicks examples share one
id), so opens and clicks are keyed by id *and* event time (``time_in_key``); collisions still seen are
counted by :mod:`incremental` (``Page.collisions``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from enum import Enum
from typing import Any

from airflow_provider_snovio.api import records as r
from airflow_provider_snovio.api import snapshots as snap
from airflow_provider_snovio.api import validation as v
from airflow_provider_snovio.api.catalogue import ENDPOINTS, Endpoint
from airflow_provider_snovio.api.errors import SnovioResponseError, SnovioValidationError
from airflow_provider_snovio.api.incremental import DEFAULT_OVERLAP, Page, Position, resume_offset
from airflow_provider_snovio.api.methods import LIST_PAGE_SIZE
from airflow_provider_snovio.api.paging import iter_pages
from airflow_provider_snovio.api.windows import Span, read_windows

#: Days before a run's analytics interval that are asked again (late figures corrected).
DEFAULT_LOOKBACK_DAYS = 2

_ABSENT = object()  # a field missing from a record (not the same as present with null)


class Kind(str, Enum):
    """A column's value kind; the warehouse maps it to a SQL type."""

    TEXT = "text"
    INTEGER = "integer"  # 64-bit
    NUMBER = "number"  # double precision (rates in percent)
    TIMESTAMP = "timestamp"  # UTC
    BOOLEAN = "boolean"
    DATE = "date"


class Scope(str, Enum):
    """What one read covers: the whole account, one campaign, one prospect list."""

    ACCOUNT = "account"
    CAMPAIGN = "campaign"
    LIST = "list"


class Reading(str, Enum):
    SINGLE = "single"
    OFFSET = "offset"
    PAGES = "pages"
    INTERVAL = "interval"
    WINDOW = "window"


@dataclass(frozen=True)
class Field:
    """A typed column: ``parse(record[source])``; ``source=None`` hands ``parse`` the whole record.

    ``source`` may be a tuple of wire names: the first present one is used (spellings differ between
    documentation editions).
    """

    column: str
    kind: Kind
    source: str | tuple[str, ...] | None
    parse: Callable[[Any], Any]
    doc: str = ""

    def __post_init__(self) -> None:  # resolved once: value() runs for every field of every record
        object.__setattr__(self, "_sources", (self.source,) if isinstance(self.source, str) else self.source)

    def value(self, record: Mapping[str, Any]) -> Any:
        sources = self._sources  # type: ignore[attr-defined]
        if sources is None:
            return self.parse(record)
        for name in sources:
            if name in record:
                return self.parse(record[name])
        return None


@dataclass(frozen=True)
class Resource:
    """One syncable resource (see the module docstring)."""

    name: str
    endpoint: Endpoint  # the catalogue row that reads it
    scope: Scope
    reading: Reading
    fields: tuple[Field, ...]
    key: tuple[str, ...]  # natural primary key (columns)
    doc: str
    records_key: str | None = None  # the list inside the answer, when it is not the answer itself
    time_column: str | None = None  # the column holding when an event happened (event resources)
    time_in_key: bool = False  # the event time is part of the natural key (its column is in ``key``)
    # 2026 snapshot resources (see :mod:`snapshots`): ``read(client, scope_values)`` returns a whole scope's
    # records when it takes more than one call or flattens a nested list; ``one_record``: the answer holds
    # one object (``{"data": {...}}``), which is the scope's one record.
    read: Callable[[Any, Mapping[str, Any]], list[dict[str, Any]]] | None = None
    one_record: bool = False

    @property
    def method(self) -> str:
        """The hook method that reads it: its row's name (``hook.get_campaign_replies``)."""
        return self.endpoint.name

    @property
    def default_table(self) -> str:
        return f"snovio_{self.name}"

    @property
    def scope_columns(self) -> tuple[tuple[str, Kind, str], ...]:
        """Columns filled from the read's scope rather than from the record: (name, kind, doc)."""
        if self.reading is Reading.INTERVAL:
            return (
                ("campaign_id", Kind.INTEGER, "the campaign the figures are for"),
                ("date_from", Kind.DATE, "first day of the interval (UTC, inclusive)"),
                ("date_to", Kind.DATE, "last day of the interval (UTC, inclusive)"),
                ("grain_days", Kind.INTEGER, "days in the interval: rows of different grains are not additive"),
            )
        if self.scope is Scope.CAMPAIGN:
            return (("campaign_id", Kind.INTEGER, "the campaign read"),)
        if self.scope is Scope.LIST:
            return (("list_id", Kind.INTEGER, "the prospect list read"),)
        return ()

    @property
    def columns(self) -> tuple[tuple[str, Kind], ...]:
        """Every typed column in table order (``raw`` and ``synced_at`` come after them)."""
        return tuple((name, kind) for name, kind, _ in self.scope_columns) + tuple(
            (f.column, f.kind) for f in self.fields
        )

    @property
    def scope_key(self) -> tuple[str, ...]:
        """Key columns identifying a scope's rows (what a re-read of one scope replaces)."""
        if self.reading is Reading.INTERVAL:
            return ("campaign_id", "date_from", "date_to")
        return tuple(name for name, _, _ in self.scope_columns)

    def key_of(self, record: Mapping[str, Any]) -> str:
        """The record's own key within its scope (used to verify the overlap of offset reads): its id, and
        for ``time_in_key`` resources its event time too (``id@2025-09-01T09:00:00+00:00``)."""
        if not self.time_in_key:
            return r.record_id(record)
        moment = self.time_of(record)
        return f"{r.record_id(record)}@{moment.isoformat() if moment is not None else 'none'}"

    def natural_key(self, record: Mapping[str, Any]) -> tuple[Any, ...]:
        """The record's key columns within its scope, typed (scope columns left out)."""
        return tuple(f.value(record) for f in self.fields if f.column in self.key)

    def time_of(self, record: Mapping[str, Any]) -> datetime | None:
        """When the event happened (UTC), or None (no time column, or unreadable)."""
        field_ = self._time_field  # type: ignore[attr-defined]
        return field_.value(record) if field_ is not None and isinstance(record, Mapping) else None

    def records(self, body: Any) -> list[dict[str, Any]]:
        """The records of one answer."""
        if self.reading is Reading.INTERVAL:
            if not isinstance(body, dict):
                raise SnovioResponseError(f"{self.method}: expected an object, got {type(body).__name__}")
            return [body]
        rows = body.get(self.records_key) if self.records_key and isinstance(body, dict) else body
        if rows is None:
            return []
        if self.one_record:  # {"data": {...}}: one object answers the scope
            if not isinstance(rows, dict):
                raise SnovioResponseError(f"{self.method}: expected one object, got {type(rows).__name__}")
            return [rows]
        if not isinstance(rows, list):
            raise SnovioResponseError(f"{self.method}: expected a list of records, got {type(rows).__name__}")
        return rows

    def __post_init__(self) -> None:  # resolved once: values() runs for every record of a sync
        object.__setattr__(self, "_column_names", tuple(name for name, _ in self.columns))
        object.__setattr__(self, "_scope_names", tuple(name for name, _, _ in self.scope_columns))
        object.__setattr__(
            self,
            "_plan",
            tuple(
                (
                    f.source if isinstance(f.source, str) else None,
                    f._sources,  # type: ignore[attr-defined]
                    f.parse,
                    f.parse is r.text,
                )
                for f in self.fields
            ),
        )
        object.__setattr__(self, "_time_field", next((f for f in self.fields if f.column == self.time_column), None))
        if self.time_in_key and (self.time_column is None or self.time_column not in self.key):
            raise ValueError(f"{self.name}: time_in_key needs its time column in the key")
        if (self.read is not None or self.one_record) and self.reading is not Reading.SINGLE:
            raise ValueError(f"{self.name}: a reader or a one-record answer is for SINGLE (snapshot) resources")

    def row(self, record: Mapping[str, Any], scope_values: Mapping[str, Any]) -> dict[str, Any]:
        """Typed columns of one record (scope columns first), without ``raw``/``synced_at``."""
        names = self._column_names  # type: ignore[attr-defined]
        return dict(zip(names, self.values(record, scope_values), strict=True))

    def values(self, record: Mapping[str, Any], scope_values: Mapping[str, Any]) -> list[Any]:
        """:meth:`row`'s values in :attr:`columns` order, as a list (the warehouse appends ``raw`` and
        ``synced_at`` and sends it as is)."""
        return self.append_values([scope_values[name] for name in self._scope_names], record)  # type: ignore[attr-defined]

    def append_values(self, out: list[Any], record: Mapping[str, Any]) -> list[Any]:
        """Append the typed values of ``record``'s fields to ``out`` (which holds the scope columns' values:
        a page's rows share them) and return it.

        The rule of :meth:`Field.value`, inlined, because it runs for every field of every record and a
        call per field cost as much as the parsing: the first present source, parsed; absent -> None.
        A text field whose value is a non-empty string is that string (what :func:`records.text` returns)
        without the call; absent and null are the same for it (``text(None)`` is None)."""
        append = out.append
        get = record.get
        for single, sources, parse, is_text in self._plan:  # type: ignore[attr-defined]
            if single is not None:
                if is_text:
                    value = get(single)
                    append(value if value.__class__ is str and value else parse(value))
                    continue
                value = get(single, _ABSENT)
                append(None if value is _ABSENT else parse(value))
            elif sources is None:
                append(parse(record))
            else:
                for name in sources:
                    if name in record:
                        append(parse(record[name]))
                        break
                else:
                    append(None)
        return out

    def pages(
        self,
        client: Any,
        scope_values: Mapping[str, Any],
        position: Position | None = None,
        *,
        full_refresh: bool = False,
        overlap: int = DEFAULT_OVERLAP,
        span: Span | None = None,
    ) -> Iterator[Page]:
        """Read one scope, one :class:`Page` (one transaction's worth) at a time.

        ``client`` is anything with the Snov.io methods (the hook or a client). ``position`` is the stored
        position of an ``OFFSET`` or ``WINDOW`` resource (ignored by the others, which always read
        everything). ``full_refresh`` re-reads from the start and marks the first page ``restarted``.
        ``span``: what a ``WINDOW`` resource reads this run (see :func:`activity_span`).
        """
        if self.read is not None:  # a snapshot read by its own reader (several calls, or flattened)
            rows = self.read(client, scope_values)
            yield Page(rows, len(rows), restarted=full_refresh)
            return
        method = getattr(client, self.endpoint.name)  # the row's own hook method (every row has one)
        # --- WINDOW (recipients activity) ---
        if self.reading is Reading.WINDOW:
            if span is None:
                raise SnovioValidationError("span", f"{self.name} is read by event time: it needs a span")
            campaign_id = scope_values["campaign_id"]
            yield from read_windows(
                lambda date_from, date_to, offset: method(campaign_id, date_from, date_to, offset=offset),
                self.natural_key,
                self.time_of,
                span,
                span.first_day(scope_values),
                position,
                full_refresh=full_refresh,
                what=f"{self.method} campaign {campaign_id}",
            )
            return
        # --- end WINDOW ---
        if self.reading is Reading.OFFSET:
            campaign_id = scope_values["campaign_id"]
            fetch = lambda offset: method(campaign_id, offset=offset)  # noqa: E731 - offset always sent
            time_of = self.time_of if self.time_column else None
            if full_refresh:  # from offset 0 whatever is stored; the first page replaces the campaign's rows
                pages = resume_offset(fetch, self.key_of, None, overlap=overlap, what=self.method, time_of=time_of)
                for index, page in enumerate(pages):
                    yield Page(page.records, page.read, page.position, page.restarted or index == 0, page.collisions)
                return
            yield from resume_offset(fetch, self.key_of, position, overlap=overlap, what=self.method, time_of=time_of)
            return
        if self.reading is Reading.PAGES:
            list_id = scope_values["list_id"]
            chunk: list[dict[str, Any]] = []
            first = True
            for record in iter_pages(
                lambda page: method(list_id, page=page, per_page=LIST_PAGE_SIZE),
                LIST_PAGE_SIZE,
                self.method,
                key=self.records_key,
            ):
                chunk.append(record)
                if len(chunk) >= LIST_PAGE_SIZE:
                    yield Page(chunk, len(chunk), restarted=full_refresh and first)
                    chunk, first = [], False
            if chunk or first:
                yield Page(chunk, len(chunk), restarted=full_refresh and first)
            return
        if self.reading is Reading.INTERVAL:
            body = method(
                campaign_ids=[scope_values["campaign_id"]],
                date_from=scope_values["date_from"].isoformat(),
                date_to=scope_values["date_to"].isoformat(),
            )
        elif self.scope is Scope.CAMPAIGN:
            body = method(scope_values["campaign_id"])
        else:
            body = method()
        rows = self.records(body)
        yield Page(rows, len(rows), restarted=full_refresh)

    def scopes(
        self,
        client: Any,
        campaign_ids: list[int] | None = None,
        list_ids: list[int] | None = None,
        dates: tuple[date, date] | None = None,
        lookback_days: int = 0,
    ) -> list[dict[str, Any]]:
        """The scope values of every read a sync of this resource makes, e.g. ``[{"campaign_id": 7}, ...]``.

        ``campaign_ids``/``list_ids`` None means every campaign/list of the account (one listing request);
        ``dates`` is the analytics interval (see :func:`analytics_dates`), preceded by the intervals of
        :func:`lookback_intervals` (``lookback_days``).
        """
        if self.reading is Reading.INTERVAL:
            if dates is None:
                raise SnovioValidationError("dates", "campaign analytics needs a (date_from, date_to) interval")
            intervals = lookback_intervals(dates, lookback_days)
            return [
                {"campaign_id": cid, "date_from": first, "date_to": last, "grain_days": (last - first).days + 1}
                for cid in campaign_scopes(client, campaign_ids)
                for first, last in intervals
            ]
        if self.scope is Scope.CAMPAIGN:
            return [{"campaign_id": cid} for cid in campaign_scopes(client, campaign_ids)]
        if self.scope is Scope.LIST:
            return [{"list_id": lid} for lid in list_scopes(client, list_ids)]
        return [{}]


# --- the resources ---------------------------------------------------------------------------------


def _f(column: str, kind: Kind, source: str | tuple[str, ...] | None, doc: str = "") -> Field:
    parse = {
        Kind.TEXT: r.text,
        Kind.INTEGER: r.integer,
        Kind.NUMBER: r.rate,
        Kind.TIMESTAMP: r.timestamp,
        Kind.BOOLEAN: r.boolean,
        Kind.DATE: r.iso_date,
    }[kind]
    return Field(column, kind, source, parse, doc)


_ID = Field("id", Kind.TEXT, None, r.record_id, "Snov.io's id; a content hash (sha256:...) if a record has none")
T, INT, N, TS, B = Kind.TEXT, Kind.INTEGER, Kind.NUMBER, Kind.TIMESTAMP, Kind.BOOLEAN

_ENGAGEMENT = (
    _ID,
    _f("visited_at", TS, "visitedAt", "when it happened (UTC)"),
    _f("campaign", T, "campaign", "campaign name"),
    _f("prospect_id", T, "prospectId"),
    _f("prospect_first_name", T, "prospectFirstName"),
    _f("prospect_last_name", T, "prospectLastName"),
    _f("prospect_name", T, "prospectName"),
    _f("prospect_email", T, "prospectEmail"),
    _f("source_page", T, "sourcePage"),
    _f("source", T, "source"),
    _f("locality", T, "locality"),
    _f("industry", T, "industry"),
    _f("country", T, "country"),
    _f("hash", T, "hash"),
    _f("email_subject", T, "emailSubject"),
    _f("email_body", T, "emailBody"),
)

#: The metrics of campaign analytics (#19), in the documented order; ``*_rate`` are percentages.
ANALYTICS_METRICS = (
    "total_contacted",
    "emails_sent",
    "first_emails",
    "first_emails_rate",
    "follow_ups",
    "follow_ups_rate",
    "delivered",
    "delivered_rate",
    "bounced",
    "bounced_rate",
    "contacted_by_email",
    "email_opens",
    "email_opens_rate",
    "link_clicks",
    "link_clicks_rate",
    "email_replies",
    "email_replies_rate",
    "unsubscribed",
    "unsubscribed_rate",
    "auto_replied",
    "auto_replied_rate",
    "contacted_by_linkedin",
    "linkedin_total_replies",
    "linkedin_total_replies_rate",
    "connection_request_replies",
    "connection_request_replies_rate",
    "message_replies",
    "message_replies_rate",
    "in_mail_replies",
    "in_mail_replies_rate",
    "connection_requests",
    "accepted_requests",
    "accepted_requests_rate",
    "failed_connection_requests",
    "messages_sent",
    "linkedin_views",
    "linkedin_likes",
    "linkedin_follows",
    "in_mail_sent",
    "interested",
    "interested_rate",
    "maybe",
    "maybe_rate",
    "not_interested",
    "not_interested_rate",
)


def _in(column: str, kind: Kind, outer: str, inner: str, doc: str = "") -> Field:
    """A column read from ``record[outer][inner]`` (a nested object of the answer); absent -> None."""
    parse = _f(column, kind, inner).parse

    def value(record: Mapping[str, Any]) -> Any:
        nested = record.get(outer) if isinstance(record, Mapping) else None
        return parse(nested.get(inner)) if isinstance(nested, Mapping) and inner in nested else None

    return Field(column, kind, None, value, doc or f"{outer}.{inner}")


def _first_email(record: Mapping[str, Any]) -> str | None:
    emails = record.get("emails")
    if isinstance(emails, list) and emails and isinstance(emails[0], dict):
        return r.text(emails[0].get("email"))
    return None


def _subject(record: Mapping[str, Any]) -> str:
    """#72's ``email_subject``, part of the natural key: '' when absent (a key column is never null)."""
    return r.text(record.get("email_subject")) or ""


RESOURCES: Mapping[str, Resource] = {
    res.name: res
    for res in (
        Resource(
            "campaigns",
            ENDPOINTS.get_user_campaigns,
            Scope.ACCOUNT,
            Reading.SINGLE,
            (
                _f("id", INT, "id"),
                _f("name", T, "campaign"),
                _f("list_id", INT, "list_id"),
                _f("status", T, "status"),
                _f("created_at", TS, "created_at"),
                _f("updated_at", TS, "updated_at"),
                _f("started_at", TS, "started_at", "null until the campaign starts"),
                _f("hash", T, "hash"),
            ),
            ("id",),
            "All campaigns of the account (#27).",
        ),
        Resource(
            "campaign_analytics",
            ENDPOINTS.get_campaign_analytics,
            Scope.CAMPAIGN,
            Reading.INTERVAL,
            tuple(_f(metric, N if metric.endswith("_rate") else INT, metric) for metric in ANALYTICS_METRICS),
            ("campaign_id", "date_from", "date_to"),
            "Campaign statistics (#19), one row per campaign per interval; rates in percent.",
        ),
        # --- recipient_activity (#72, Reading.WINDOW) ---
        Resource(
            "recipient_activity",
            ENDPOINTS.get_campaign_recipients_activity,
            Scope.CAMPAIGN,
            Reading.WINDOW,
            (
                _f("event_time", TS, "event_time", "when it happened (UTC; either spelling Snov.io uses)"),
                _f("event_type", T, "event_type", "sent, open, click, reply, bounce or unsubscribe"),
                _f("recipient_email", T, "recipient_email"),
                Field(
                    "email_subject",
                    T,
                    None,
                    _subject,
                    "the e-mail's subject; '' when an event has none (it is part of the key)",
                ),
                _f("sender_email", T, "sender_email"),
                _f("recipient_name", T, "recipient_name"),
                _f("phone", T, "phone"),
                _f("industry", T, "industry"),
                _f("country", T, "country"),
                _f("location", T, "location"),
                _f("company", T, "company"),
                _f("job_position", T, "job_position"),
                _f("hq_phone", T, "hq_phone"),
                _f("website", T, "website"),
            ),
            ("campaign_id", "event_time", "event_type", "recipient_email", "email_subject"),
            "Every campaign event (#72): sent, open, click, reply, bounce, unsubscribe; identical events in "
            "one second are one row (counted as key collisions). Recommended for new DAGs.",
            time_column="event_time",
            time_in_key=True,
        ),
        # --- end recipient_activity ---
        Resource(
            "campaign_replies",
            ENDPOINTS.get_campaign_replies,
            Scope.CAMPAIGN,
            Reading.OFFSET,
            _ENGAGEMENT,
            ("campaign_id", "id"),
            "Replies (#23).",
            time_column="visited_at",
        ),
        Resource(
            "campaign_opens",
            ENDPOINTS.get_campaign_opens,
            Scope.CAMPAIGN,
            Reading.OFFSET,
            _ENGAGEMENT,
            ("campaign_id", "id", "visited_at"),
            "Email opens (#24); repeated opens may share an id.",
            time_column="visited_at",
            time_in_key=True,
        ),
        Resource(
            "campaign_clicks",
            ENDPOINTS.get_campaign_clicks,
            Scope.CAMPAIGN,
            Reading.OFFSET,
            _ENGAGEMENT,
            ("campaign_id", "id", "visited_at"),
            "Link clicks (#25); repeated clicks may share an id.",
            time_column="visited_at",
            time_in_key=True,
        ),
        Resource(
            "emails_sent",
            ENDPOINTS.get_emails_sent,
            Scope.CAMPAIGN,
            Reading.OFFSET,
            (
                _ID,
                _f("sent_at", TS, "sentDate", "when it was sent (UTC)"),
                _f("user_name", T, "userName"),
                _f("user_email", T, "userEmail"),
                _f("campaign", T, "campaign"),
                _f("hash", T, "hash"),
            ),
            ("campaign_id", "id"),
            "Sent emails (#26).",
            time_column="sent_at",
        ),
        Resource(
            "finished_prospects",
            ENDPOINTS.get_finished_prospects,
            Scope.CAMPAIGN,
            Reading.SINGLE,
            (
                _ID,
                _f("prospect_id", T, "prospectId"),
                _f("user_name", T, "userName"),
                _f("user_email", T, "userEmail"),
                _f("campaign", T, "campaign"),
                _f("hash", T, "hash"),
            ),
            ("campaign_id", "id"),
            "Prospects who finished a campaign (#22).",
        ),
        Resource(
            "user_lists",
            ENDPOINTS.get_user_lists,
            Scope.ACCOUNT,
            Reading.SINGLE,
            (
                _f("id", INT, "id"),
                _f("name", T, "name"),
                _f("contacts", INT, "contacts"),
                _f("is_deleted", B, "isDeleted"),
                _f("created_at", TS, "creationDate"),
                _f("deleted_at", TS, ("deletionDate", "deleteDate")),
            ),
            ("id",),
            "Prospect lists (#33), deleted ones included.",
        ),
        Resource(
            "list_prospects",
            ENDPOINTS.get_list_prospects,
            Scope.LIST,
            Reading.PAGES,
            (
                _ID,
                _f("name", T, "name"),
                _f("first_name", T, "firstName"),
                _f("last_name", T, "lastName"),
                Field("email", T, None, _first_email, "the first of the prospect's emails (all are in raw)"),
            ),
            ("list_id", "id"),
            "Prospects in lists (#34).",
            records_key="prospects",
        ),
        Resource(
            "custom_fields",
            ENDPOINTS.get_prospect_custom_fields,
            Scope.ACCOUNT,
            Reading.SINGLE,
            (
                _f("key", T, "key"),
                _f("label", T, "label"),
                _f("required", B, "required"),
                _f("type", T, "type"),
            ),
            ("key",),
            "Custom prospect fields (#32).",
        ),
        # --- 2026 snapshot resources (#52, #61, #63, #73, #75-#77): every run reads the whole scope ---
        Resource(
            "campaign_all_replies",
            ENDPOINTS.get_campaign_all_replies,
            Scope.CAMPAIGN,
            Reading.SINGLE,
            (
                _f("prospect_id", T, "prospectId"),
                _f("reply_type", T, "replyType", "email, linkedinMessage, linkedinInvite or linkedinInMail"),
                _in("received_at", TS, "reply", "receivedAt", "when the reply arrived (read as UTC: zone not stated)"),
                _f("occurrence", INT, "occurrence", "earlier replies of the thread with the same received_at"),
                _f("campaign", T, "campaign", "campaign name"),
                _f("prospect_name", T, "prospectName"),
                _f("prospect_email", T, "prospectEmail"),
                _f("linkedin_profile", T, "linkedInProfile"),
                _in("subject", T, "reply", "subject", "empty for LinkedIn replies"),
                _in("message", T, "reply", "message"),
                _f("thread_received_at", TS, "receivedAt", "the thread's oldest reply (record receivedAt)"),
            ),
            ("campaign_id", "prospect_id", "reply_type", "received_at", "occurrence"),
            "E-mail and LinkedIn replies (#73), one row per reply; every page re-read each run.",
            read=snap.all_reply_rows,
        ),
        Resource(
            "campaign_details",
            ENDPOINTS.get_campaign,
            Scope.CAMPAIGN,
            Reading.SINGLE,
            (
                _f("id", INT, "id"),
                _f("title", T, "title"),
                _f("status", T, "status", "v2 spelling: new, active, paused, scheduled, completed, archived"),
                _f("priority", T, "priority"),
                _in("list_id", INT, "recipients", "list_id", "recipients.list_id"),
                _in("black_list_id", INT, "recipients", "black_list_id", "recipients.black_list_id"),
                _f("schedule_id", INT, "schedule_id"),
                _f("start_campaign_at", T, "start_campaign_at", "local time in `timezone`, as sent"),
                _f("complete_campaign_at", T, "complete_campaign_at", "local time in `timezone`, as sent"),
                _f("timezone", T, "timezone"),
                _f("complete_campaign_after_last_step", B, "complete_campaign_after_last_step"),
                _f("archive_in_months", INT, "archive_in_months"),
                _f("provider_matching", B, "provider_matching"),
                _in("track_opens", B, "tracking", "open", "tracking.open"),
                _in("track_link_clicks", B, "tracking", "link_click", "tracking.link_click"),
            ),
            ("campaign_id",),
            "Campaign settings (#63), one row per campaign; accounts, sequence and deals are in raw.",
            records_key="data",
            one_record=True,
        ),
        Resource(
            "sender_accounts",
            ENDPOINTS.list_email_accounts,
            Scope.ACCOUNT,
            Reading.SINGLE,
            (
                _f("id", INT, "id"),
                _f("sender_name", T, "sender_name"),
                _f("email_from", T, "email_from"),
                _f("valid", B, "valid"),
                _f("suspended", B, "suspended", "true: sending is suspended"),
                _f("limitation", INT, "limitation", "e-mails per day"),
                _f("provider", T, "provider"),
                _in("imap_username", T, "imap", "username", "the mailbox that collects replies"),
                _in("imap_valid", B, "imap", "valid", "false: IMAP off"),
            ),
            ("id",),
            "Sender (e-mail) accounts (#52); tags are in raw.",
            records_key="data",
        ),
        Resource(
            "warm_up_statistics",
            ENDPOINTS.get_warm_up_statistics,
            Scope.ACCOUNT,
            Reading.SINGLE,
            (
                _f("warm_up_id", INT, "warm_up_id"),
                _f("date", Kind.DATE, "date"),
                _f("email_account_id", INT, "email_account_id"),
                _f("is_calculated", B, "is_calculated", "false: still being computed, the figures are provisional"),
                *(
                    _in(name, INT, "statistics", name)
                    for name in (
                        "emails_sent",
                        "replies",
                        "bounces",
                        "spam_emails",
                        "inbox_emails",
                        "categories_emails",
                        "scheduled",
                    )
                ),
            ),
            ("warm_up_id", "date"),
            "Warm-up statistics (#61), one row per warm-up and day, each warm-up's whole life (#57 lists them).",
            read=snap.warm_up_statistics_rows,
        ),
        Resource(
            "do_not_email_lists",
            ENDPOINTS.list_do_not_email_lists,
            Scope.ACCOUNT,
            Reading.SINGLE,
            (
                _f("id", INT, "id"),
                _f("name", T, "name"),
                _f("owner", T, "owner"),
                _f("total", INT, "total", "e-mails plus domains"),
            ),
            ("id",),
            "Do-not-email lists (#75).",
            records_key="data",
        ),
        Resource(
            "pipelines",
            ENDPOINTS.list_pipelines,
            Scope.ACCOUNT,
            Reading.SINGLE,
            (
                _f("id", INT, "id"),
                _f("name", T, "name"),
                _f("deals_count", INT, "deals_count"),
                _f("deals_value", N, "deals_value"),
                _f("created_at", TS, "created_at"),
            ),
            ("id",),
            "CRM pipelines (#76).",
            records_key="data",
        ),
        Resource(
            "pipeline_stages",
            ENDPOINTS.list_pipeline_stages,
            Scope.ACCOUNT,
            Reading.SINGLE,
            (
                _f("pipeline_id", INT, "pipeline_id"),
                _f("id", INT, "id"),
                _f("name", T, "name"),
                _f("stage_order", INT, "order", "the stage's position in its pipeline (wire name order)"),
                _f("deals_count", INT, "deals_count"),
                _f("deals_value", N, "deals_value"),
            ),
            ("pipeline_id", "id"),
            "Stages of every CRM pipeline (#77).",
            read=snap.pipeline_stage_rows,
        ),
    )
}


def resource(name: Any) -> Resource:
    """Look a resource up by name; an unknown name is a validation error naming ``resource``."""
    if isinstance(name, str) and name in RESOURCES:
        return RESOURCES[name]
    raise SnovioValidationError("resource", f"{name!r} is not one of {', '.join(RESOURCES)}")


def numeric_ids(field: str, values: Iterable[Any] | None) -> list[int] | None:
    """``campaign_ids``/``list_ids``: None (= all of the account) or numeric ids, refused before any request."""
    if values is None:
        return None
    if isinstance(values, str | bytes | int) or not isinstance(values, Iterable):
        raise SnovioValidationError(field, "expected a list of numeric ids")
    checked = v.list_of(v.numeric_id)(field, list(values))
    return list(dict.fromkeys(int(value) for value in checked))


def campaign_scopes(client: Any, campaign_ids: list[int] | None) -> list[int]:
    """The campaigns to read: the given ids, or every campaign of the account (one request)."""
    if campaign_ids is not None:
        return campaign_ids
    return [
        cid
        for cid in (
            r.integer(c.get("id"))
            for c in RESOURCES["campaigns"].records(client.get_user_campaigns())
            if isinstance(c, dict)
        )
        if cid is not None
    ]


def list_scopes(client: Any, list_ids: list[int] | None) -> list[int]:
    """The lists to read: the given ids, or every list of the account not marked deleted (one request)."""
    if list_ids is not None:
        return list_ids
    lists = RESOURCES["user_lists"].records(client.get_user_lists())
    return [
        lid
        for lid in (r.integer(x.get("id")) for x in lists if isinstance(x, dict) and not x.get("isDeleted"))
        if lid is not None
    ]


# --- analytics intervals -----------------------------------------------------------------------------


def data_interval(
    start: datetime | None, end: datetime | None, *, now: datetime | None = None, default_days: int = 1
) -> tuple[datetime, datetime]:
    """A run's ``[start, end)`` in UTC; never empty.

    A run without a data interval, or with a zero-length one (a manual or asset-triggered run), gets the
    default: the ``default_days`` full UTC days before ``start`` (or before ``now`` when there is no
    ``start``). Full days, because today's figures are still moving.
    """
    if start is not None and end is not None and _utc(end) > _utc(start):
        return _utc(start), _utc(end)
    anchor = _utc(start) if start is not None else _utc(now or datetime.now(timezone.utc))
    midnight = datetime.combine(anchor.date(), datetime.min.time(), timezone.utc)
    return midnight - timedelta(days=max(1, default_days)), midnight


def analytics_dates(
    start: datetime | None, end: datetime | None, *, now: datetime | None = None, default_days: int = 1
) -> tuple[date, date]:
    """The inclusive UTC days ``(date_from, date_to)`` campaign analytics is asked for.

    Snov.io's ``date_from``/``date_to`` are whole days, both inclusive. The run's :func:`data_interval`
    ``[start, end)`` becomes ``start``'s day to the day of the last instant before ``end``: a daily run
    covers exactly its day, an hourly run the day it falls in, the default the previous full UTC day(s).
    This is the one rule for the analytics operator and both transfers.
    """
    first, last = data_interval(start, end, now=now, default_days=default_days)
    return first.date(), (last - timedelta(microseconds=1)).date()


def lookback_intervals(dates: tuple[date, date], lookback_days: int) -> list[tuple[date, date]]:
    """``dates`` and, before it, as many intervals of the same length as cover ``lookback_days`` days
    (oldest first): a daily run with 2 asks for its day and the 2 days before, a weekly run the week before.
    Same grain, so a re-asked interval replaces the row an earlier run stored for it."""
    if isinstance(lookback_days, bool) or not isinstance(lookback_days, int) or lookback_days < 0:
        raise SnovioValidationError("lookback_days", f"must be a non-negative integer, got {lookback_days!r}")
    first, last = dates
    grain = (last - first).days + 1
    if grain < 1:
        raise SnovioValidationError("dates", f"date_from {first} is after date_to {last}")
    back = -(-lookback_days // grain)  # ceil
    return [(first - timedelta(days=k * grain), last - timedelta(days=k * grain)) for k in range(back, 0, -1)] + [
        (first, last)
    ]


def _utc(moment: datetime) -> datetime:
    return (moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).astimezone(timezone.utc)


# --- recipient_activity's span (Reading.WINDOW) --------------------------------------------------------------


def activity_span(
    client: Any, end: datetime | None, lookback_days: int, history_start: date | None, *, now: datetime | None = None
) -> Span:
    """What a sync of ``recipient_activity`` reads this run: up to ``end`` (the run's data interval end;
    None = now), from ``lookback_days`` before each campaign's stored high-water mark. Without a stored mark
    (first run, full refresh): from ``history_start``, else from the day before the campaign's ``created_at``
    in the campaigns listing (#27; no event predates its campaign; listed once, only when needed), else
    :data:`~airflow_provider_snovio.api.windows.DEFAULT_HISTORY_DAYS` days before ``end``."""
    from airflow_provider_snovio.api.windows import DEFAULT_HISTORY_DAYS, check_lookback, utc

    moment = utc(now or datetime.now(timezone.utc))
    stop = min(utc(end), moment) if end is not None else moment
    lookback = check_lookback(lookback_days)
    created: dict[int, date] = {}
    listed = False

    def first_day(scope_values: Any) -> date:
        nonlocal listed
        if history_start is not None:
            return history_start
        if not listed:
            listed = True
            for camp in RESOURCES["campaigns"].records(client.get_user_campaigns()):
                cid = r.integer(camp.get("id")) if isinstance(camp, dict) else None
                born = r.timestamp(camp.get("created_at")) if isinstance(camp, dict) else None
                if cid is not None and born is not None:
                    created[cid] = born.date() - timedelta(days=1)
        found = created.get(scope_values["campaign_id"])
        return found if found is not None else (stop - timedelta(days=DEFAULT_HISTORY_DAYS)).date()

    return Span(stop, lookback, first_day)

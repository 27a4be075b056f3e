"""Reply-driven DAGs: new Snov.io campaign events (replies, bounces, unsubscribes...) as Airflow asset events.

:class:`SnovioNewEventsTrigger` is a ``BaseEventTrigger``: put it in an ``AssetWatcher`` of an ``Asset`` and
every event it yields becomes an asset event, which starts the DAGs scheduled on that asset::

    replies = Asset("snovio://replies", watchers=[AssetWatcher(name="snovio_replies",
                    trigger=SnovioNewEventsTrigger(campaign_ids=[1234], event_types=["reply"]))])

What it reads (free reads only, through the account's shared rate limiter - :meth:`SnovioHook.async_client`):

* ``source="activity"`` (default): the 2026 recipients-activity feed (#72), ONE request per campaign per
  poll whatever the event types (the feed carries sent, open, click, reply, bounce and unsubscribe events);
* ``source="v1"``: for accounts without the 2026 API, the v1 replies/opens/clicks endpoints (#23-#25), one
  request per campaign and event type per poll (bounces and unsubscribes are not in v1).

It yields one event per poll that found NEW events (their ids, types, times and counts; never a body,
never an e-mail address), and nothing for a poll that found none: a state that merely stays true (a
campaign that "has replies") never fires again. Its first poll takes a baseline (what exists is not new).

Why one batch per poll and not one asset event per Snov.io event: a burst of 50 replies starts one DAG
run that handles 50, not 50 runs competing for the account's 60 requests a minute.

The cursor (where each campaign's feed was read up to) survives triggerer restarts: on Airflow 3.3+ in
the watched asset's state store (``self.asset_state_store``, the metadata DB), before 3.3 in a JSON file of
the per-host state directory (:func:`cursor_dir`; see :class:`FileCursor` for what that does not cover).
It is saved right after the event is handed to the triggerer: a triggerer killed in between re-sends that
batch once (at least once; the example DAG's warehouse upsert makes a repeat harmless).

Its kwargs are its identity (Airflow hashes them to find the trigger of an asset): JSON only, sorted,
without a secret or a time, so a re-parsed DAG file keeps the same trigger and cursor.

The cost is checked when the trigger is built (at DAG parse time): ``requests_per_poll * 60 / poll_interval``
must stay within ``budget_share`` of the account's 60 requests a minute (:func:`requests_per_poll`).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hashlib
import json
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from airflow_provider_snovio import DEFAULT_CONN_ID, DEFAULT_REQUESTS_PER_MINUTE
from airflow_provider_snovio.api.catalogue import (
    ACTIVITY_LIMIT_MAX,
    ACTIVITY_WINDOW_DAYS,
    ENDPOINTS,
    OFFSET_PAGE_SIZE,
    Endpoint,
)
from airflow_provider_snovio.api.errors import (
    SnovioNotFoundError,
    SnovioTooManyProcessingError,
    SnovioValidationError,
)
from airflow_provider_snovio.api.records import timestamp
from airflow_provider_snovio.triggers.base import TRANSIENT_ERRORS

try:  # common-compat maps it for every Airflow it supports (Airflow 3.0+ has it in airflow.triggers.base)
    from airflow.providers.common.compat.triggers import BaseEventTrigger
except ImportError:  # pragma: no cover - an older common-compat
    from airflow.triggers.base import BaseEventTrigger
from airflow.triggers.base import TriggerEvent

#: Activity event types (#72) a trigger may watch; v1 has only the first three (#23-#25).
ACTIVITY_TYPES = ("reply", "open", "click", "bounce", "unsubscribe", "sent")
#: v1 event type -> the endpoint that lists it.
V1_ENDPOINTS: dict[str, Endpoint] = {
    "reply": ENDPOINTS.get_campaign_replies,
    "open": ENDPOINTS.get_campaign_opens,
    "click": ENDPOINTS.get_campaign_clicks,
}
SOURCES = ("activity", "v1")
#: Default seconds between polls: one request a minute per watched campaign (activity feed).
DEFAULT_POLL_INTERVAL = 60.0
#: Default share of the account's 60 requests a minute the watchers of one trigger may take; the rest is
#: for the workers (syncs, searches, verifications) and other triggers.
DEFAULT_BUDGET_SHARE = 0.25
#: Campaigns watched at most when ``campaign_ids`` is None (every active campaign): the budget is checked
#: against this bound, since the account's campaigns are not known at parse time.
DEFAULT_MAX_CAMPAIGNS = 10
#: Events named one by one in an asset event (the counts cover every event); keeps the metadata DB row small.
MAX_EVENT_IDS = 100
#: Keys remembered at the newest event time (events sharing that second), per stream.
MAX_TAIL = 200
#: Days behind "today" (UTC) an activity window starts at most before it is re-based (see ``_activity``).
ACTIVITY_LOOKBACK_DAYS = 1
#: Environment variable of the fallback cursor directory (Airflow < 3.3).
CURSOR_DIR_ENV = "SNOVIO_TRIGGER_STATE_DIR"
#: Key of the cursor in the asset state store (suffixed with the trigger's identity digest).
STATE_KEY = "snovio_new_events_cursor"


# --- Budget ---------------------------------------------------------------------------------------------
def requests_per_poll(source: str, campaigns: int, event_types: Sequence[str], list_campaigns: bool) -> int:
    """Requests one quiet poll sends: one per campaign (activity), or one per campaign and type (v1), plus the
    campaign listing when watching every active campaign. A poll finding > 1,000 (activity) or > 10,000 (v1)
    new events, or re-reading a feed whose history shifted, pages further: the budget counts the quiet case."""
    per_campaign = 1 if source == "activity" else len(event_types)
    return campaigns * per_campaign + (1 if list_campaigns else 0)


def check_budget(per_poll: int, poll_interval: float, budget_share: float) -> None:
    """Refuse a configuration whose polls would take more than ``budget_share`` of the 60 requests a minute."""
    per_minute = per_poll * 60.0 / poll_interval
    allowed = budget_share * DEFAULT_REQUESTS_PER_MINUTE
    if per_minute > allowed + 1e-9:
        slowest = per_poll * 60.0 / allowed
        raise SnovioValidationError(
            "poll_interval",
            f"{per_poll} requests every {poll_interval:g} s is {per_minute:.1f} requests/min, more than "
            f"budget_share={budget_share:g} of the account's {DEFAULT_REQUESTS_PER_MINUTE}/min ({allowed:g}); "
            f"poll every {slowest:g} s or more, watch fewer campaigns, or raise budget_share",
        )


# --- Cursor storage ---------------------------------------------------------------------------------------
def cursor_dir() -> Path:
    """Fallback cursor directory: ``$SNOVIO_TRIGGER_STATE_DIR``, else ``<rate-limit dir>/event-cursors``."""
    configured = os.environ.get(CURSOR_DIR_ENV, "").strip()
    if configured:
        return Path(configured).expanduser()
    from airflow_provider_snovio.api.ratelimit.backend import rate_limit_dir_path

    return rate_limit_dir_path()[0] / "event-cursors"


class FileCursor:
    """The fallback before Airflow 3.3 (no asset state store): one JSON file per trigger identity.

    It survives a triggerer restart on the same machine (or a shared volume). A triggerer that starts on
    another machine without that directory finds no cursor and takes a new baseline: events that arrived
    while no triggerer ran are then not reported (on 3.3 the cursor is in the metadata DB and they are).
    """

    def __init__(self, digest: str) -> None:
        self.path = cursor_dir() / f"{digest}.json"

    async def load(self) -> dict[str, Any] | None:
        return await asyncio.to_thread(self._load)

    def _load(self) -> dict[str, Any] | None:
        try:
            value = json.loads(self.path.read_text())
        except FileNotFoundError:
            return None
        return value if isinstance(value, dict) else None

    async def save(self, cursor: dict[str, Any]) -> None:
        await asyncio.to_thread(self._save, cursor)

    def _save(self, cursor: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_suffix(f".{os.getpid()}.tmp")
        temporary.write_text(json.dumps(cursor, sort_keys=True))
        os.replace(temporary, self.path)  # atomic: a killed triggerer leaves the old cursor or the new one


class AssetStateCursor:
    """Airflow 3.3+: the cursor in the state store of the asset(s) the trigger watches (metadata DB).

    One trigger may watch several assets (identical watchers share one trigger): the cursor is written to
    each and read from the first that has it."""

    def __init__(self, store: Any, digest: str) -> None:
        self.key = f"{STATE_KEY}:{digest}"
        accessors = [*getattr(store, "_by_name", {}).values(), *getattr(store, "_by_uri", {}).values()]
        self.accessors: list[Any] = accessors or [store]

    async def load(self) -> dict[str, Any] | None:
        for accessor in self.accessors:
            value = await accessor.aget(self.key)
            if isinstance(value, dict):
                return value
        return None

    async def save(self, cursor: dict[str, Any]) -> None:
        for accessor in self.accessors:
            await accessor.aset(self.key, cursor)


# --- Reading one feed from its cursor -----------------------------------------------------------------------
@dataclass
class Found:
    """A new event, as an asset event names it: no body, no address."""

    campaign_id: int
    type: str
    id: str
    time: str | None

    def as_dict(self) -> dict[str, Any]:
        return {"campaign_id": self.campaign_id, "type": self.type, "id": self.id, "time": self.time}


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(dt.timezone.utc).isoformat()


def activity_key(row: dict[str, Any]) -> str:
    """#72 events carry no id: one is derived from what identifies an event (type, time, recipient)."""
    text = "|".join(str(row.get(k) or "") for k in ("event_type", "event_time", "recipient_email"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:20]


def v1_key(kind: str, row: dict[str, Any]) -> str:
    """#23 replies are keyed by id; opens and clicks repeat an id, so their time is part of the key
    (the warehouse resources key them the same way)."""
    ident = str(row.get("id") or "")
    return ident if kind == "reply" else f"{ident}@{row.get('visitedAt') or ''}"


async def read_stream(
    fetch: Callable[[int], Awaitable[tuple[list[dict[str, Any]], bool]]],
    stream: dict[str, Any],
    key_of: Callable[[dict[str, Any]], str],
    time_of: Callable[[dict[str, Any]], dt.datetime | None],
    *,
    full: bool,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The rows of one offset-paged feed that are new since ``stream`` (a cursor), and the next cursor.

    Normal poll: read from ``offset - 1``; the first row must be the last row seen (``last``), which proves
    nothing before it moved, and every row after it is new. If it is not (rows deleted or inserted late, a
    newest-first order) - or with ``full`` - the feed is read from 0 and a row is new when it is newer than
    ``since`` or at ``since`` but not among the keys seen at that time (``tail``).
    """
    offset = int(stream.get("offset") or 0)
    verify = not full and offset > 0 and stream.get("last") is not None
    start = offset - 1 if verify else 0
    rows: list[dict[str, Any]] = []
    position = start
    while True:
        page, more = await fetch(position)
        rows.extend(page)
        position += len(page)
        if not more or not page:
            break
    if verify:
        if rows and key_of(rows[0]) == stream["last"]:
            new = rows[1:]
        else:  # the history moved under the cursor: judge every row by time
            return await read_stream(fetch, stream, key_of, time_of, full=True)
    else:
        since = timestamp(stream["since"]) if stream.get("since") else None
        tail = set(stream.get("tail") or ())
        new = [row for row in rows if _is_new(time_of(row), key_of(row), since, tail)]
    return new, _advance(stream, rows, new, position, key_of, time_of)


def _is_new(moment: dt.datetime | None, key: str, since: dt.datetime | None, tail: set[str]) -> bool:
    if since is None:
        return key not in tail
    if moment is None:
        return False  # no time to judge by: not reported rather than reported again on every re-read
    return moment > since or (moment == since and key not in tail)


def _advance(
    stream: dict[str, Any],
    rows: list[dict[str, Any]],
    new: list[dict[str, Any]],
    position: int,
    key_of: Callable[[dict[str, Any]], str],
    time_of: Callable[[dict[str, Any]], dt.datetime | None],
) -> dict[str, Any]:
    since = timestamp(stream["since"]) if stream.get("since") else None
    tail = list(stream.get("tail") or ())
    for row in new:
        moment = time_of(row)
        if moment is None:
            continue
        if since is None or moment > since:
            since, tail = moment, [key_of(row)]
        elif moment == since:
            tail.append(key_of(row))
    return {
        **stream,
        "offset": position,
        "last": key_of(rows[-1]) if rows else stream.get("last") if position else None,
        "since": _iso(since),
        "tail": tail[-MAX_TAIL:],
    }


# --- The trigger ------------------------------------------------------------------------------------------
def _campaign_ids(value: Any) -> list[int] | None:
    if value is None:
        return None
    if isinstance(value, int | str):
        value = [value]
    if not isinstance(value, list | tuple) or not value:
        raise SnovioValidationError("campaign_ids", "expected a non-empty list of campaign ids, or None for all")
    ids = []
    for i, item in enumerate(value):
        try:
            number = int(item)
        except (TypeError, ValueError):
            raise SnovioValidationError(f"campaign_ids[{i}]", f"expected a campaign id, got {item!r}") from None
        if isinstance(item, bool) or number <= 0:
            raise SnovioValidationError(f"campaign_ids[{i}]", f"expected a campaign id, got {item!r}")
        ids.append(number)
    return sorted(set(ids))


def _event_types(value: Any, source: str) -> list[str]:
    words = [value] if isinstance(value, str) else value
    if not isinstance(words, list | tuple) or not words:
        raise SnovioValidationError("event_types", f"expected a non-empty list of {', '.join(ACTIVITY_TYPES)}")
    allowed = ACTIVITY_TYPES if source == "activity" else tuple(V1_ENDPOINTS)
    for word in words:
        if word not in allowed:
            raise SnovioValidationError(
                "event_types", f"{word!r} is not one of {', '.join(allowed)} (source={source!r})"
            )
    return sorted(set(words))


class SnovioNewEventsTrigger(BaseEventTrigger):
    """Yields one asset event per poll that found new events in the watched campaigns (see the module doc).

    :param snovio_conn_id: the ``snovio`` connection.
    :param campaign_ids: campaigns to watch; None: every Active campaign (listed each poll, at most
        ``max_campaigns`` of them, the newest ids first).
    :param event_types: which events fire: ``reply`` (default), ``bounce``, ``unsubscribe``, ``open``,
        ``click``, ``sent`` (v1: ``reply``, ``open``, ``click``).
    :param source: ``"activity"`` (2026 feed, #72) or ``"v1"`` (#23-#25).
    :param poll_interval: seconds between polls.
    :param max_campaigns: bound of the every-active-campaign mode (its budget is checked against it).
    :param budget_share: the most of the account's 60 requests/min this trigger's polls may take.

    Payload of an event: ``{"source", "count", "counts": {type: n}, "campaigns": {id: {type: n}},
    "events": [{"campaign_id", "type", "id", "time"}, ...] (at most 100), "truncated": n, "first_time",
    "last_time", "polled_at"}``.
    """

    def __init__(
        self,
        *,
        snovio_conn_id: str = DEFAULT_CONN_ID,
        campaign_ids: Sequence[int] | None = None,
        event_types: Sequence[str] = ("reply",),
        source: str = "activity",
        poll_interval: float = DEFAULT_POLL_INTERVAL,
        max_campaigns: int = DEFAULT_MAX_CAMPAIGNS,
        budget_share: float = DEFAULT_BUDGET_SHARE,
    ) -> None:
        super().__init__()
        if source not in SOURCES:
            raise SnovioValidationError("source", f"expected one of {', '.join(SOURCES)}, got {source!r}")
        self.source = source
        self.snovio_conn_id = str(snovio_conn_id)
        self.campaign_ids = _campaign_ids(campaign_ids)
        self.event_types = _event_types(event_types, source)
        try:
            self.poll_interval = float(poll_interval)
            self.max_campaigns = int(max_campaigns)
            self.budget_share = float(budget_share)
        except (TypeError, ValueError) as error:
            raise SnovioValidationError("poll_interval/max_campaigns/budget_share", str(error)) from None
        if not self.poll_interval > 0:
            raise SnovioValidationError("poll_interval", "must be > 0 seconds")
        if self.max_campaigns < 1:
            raise SnovioValidationError("max_campaigns", "must be at least 1")
        if not 0 < self.budget_share <= 1:
            raise SnovioValidationError("budget_share", "must be > 0 and <= 1 (a share of 60 requests/min)")
        watched = len(self.campaign_ids) if self.campaign_ids is not None else self.max_campaigns
        self.requests_per_poll = requests_per_poll(source, watched, self.event_types, self.campaign_ids is None)
        check_budget(self.requests_per_poll, self.poll_interval, self.budget_share)

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "snovio_conn_id": self.snovio_conn_id,
                "campaign_ids": self.campaign_ids,
                "event_types": self.event_types,
                "source": self.source,
                "poll_interval": self.poll_interval,
                "max_campaigns": self.max_campaigns,
                "budget_share": self.budget_share,
            },
        )

    @property
    def identity(self) -> str:
        """Digest of the kwargs: names this trigger's cursor (another configuration has another cursor)."""
        return hashlib.sha256(json.dumps(self.serialize(), sort_keys=True).encode()).hexdigest()[:16]

    def shared_stream_key(self) -> Hashable | None:
        """No shared stream (Airflow 3.3's ``shared_stream_key``/``open_shared_stream``), on purpose.

        ``open_shared_stream`` is a classmethod fed one sibling's kwargs: it cannot read the union of
        siblings' campaigns, and it has no asset state store, so its cursor would be lost on restart and a
        late subscriber misses what was fanned out before it joined. Siblings with identical kwargs already
        share one trigger (Airflow identifies an event trigger by its kwargs), hence one poll; siblings with
        different campaigns need different requests anyway. And every poll goes through the account's
        shared limiter, which is what bounds the account's cost.
        """
        return None

    def _cursor_store(self) -> AssetStateCursor | FileCursor:
        store = getattr(self, "asset_state_store", None)  # injected by an Airflow 3.3+ triggerer
        return AssetStateCursor(store, self.identity) if store is not None else FileCursor(self.identity)

    async def run(self) -> AsyncIterator[TriggerEvent]:
        from airflow_provider_snovio.hooks.snovio import SnovioHook

        store = self._cursor_store()
        self.log.info(
            "Watching %s for new %s events (%s, every %g s, %d requests/poll; cursor in %s)",
            self.campaign_ids or f"up to {self.max_campaigns} active campaigns",
            "/".join(self.event_types),
            self.source,
            self.poll_interval,
            self.requests_per_poll,
            type(store).__name__,
        )
        cursor: dict[str, Any] | None = None
        client: Any = None
        try:
            while True:
                wait = self.poll_interval
                try:
                    if client is None:
                        client = await SnovioHook(self.snovio_conn_id).async_client()
                    if cursor is None:
                        cursor = await store.load() or {"campaigns": {}}
                    saved = json.dumps(cursor, sort_keys=True)
                    found, cursor = await self.poll(client, cursor)
                    if found:
                        yield TriggerEvent(self.payload(found))
                    if json.dumps(cursor, sort_keys=True) != saved:
                        await store.save(cursor)
                except SnovioTooManyProcessingError as error:  # the hourly quota: wait for it, not a failure
                    wait = max(wait, float(error.retry_after or 0.0))
                    self.log.warning("Snov.io hourly quota reached; next poll in %.0f s", wait)
                except TRANSIENT_ERRORS as error:
                    wait = max(wait, float(getattr(error, "retry_after", None) or 0.0))
                    self.log.warning("Snov.io poll failed (%s); next poll in %.0f s", error, wait)
                except Exception as error:  # an asset watcher must not end: log, wait longer, try again
                    wait = max(wait, 300.0)
                    self.log.error("Snov.io new-events poll failed: %s: %s", type(error).__name__, error)
                    cursor = None  # re-read the stored cursor: what this poll did may not have been saved
                await asyncio.sleep(wait)
        finally:
            if client is not None:
                await client.aclose()

    async def poll(self, client: Any, cursor: dict[str, Any]) -> tuple[list[Found], dict[str, Any]]:
        """One poll of every watched campaign: the new events and the next cursor (not saved here)."""
        campaigns = self.campaign_ids if self.campaign_ids is not None else await self._active_campaigns(client)
        streams = dict(cursor.get("campaigns") or {})
        found: list[Found] = []
        for campaign_id in campaigns:
            try:
                if self.source == "activity":
                    news, streams[str(campaign_id)] = await self._activity(
                        client, campaign_id, streams.get(str(campaign_id))
                    )
                else:
                    news, streams[str(campaign_id)] = await self._v1(client, campaign_id, streams.get(str(campaign_id)))
            except SnovioNotFoundError as error:  # deleted upstream: the other campaigns are still watched
                self.log.warning("Campaign %s not found (%s); skipped this poll", campaign_id, error)
                continue
            found.extend(news)
        return found, {**cursor, "campaigns": streams}

    async def _active_campaigns(self, client: Any) -> list[int]:
        listed = await client.call(ENDPOINTS.get_user_campaigns)
        active = sorted(
            (int(c["id"]) for c in listed or [] if isinstance(c, dict) and c.get("status") == "Active"), reverse=True
        )
        if len(active) > self.max_campaigns:
            self.log.warning(
                "%d active campaigns, watching the %d newest (max_campaigns)", len(active), self.max_campaigns
            )
        return sorted(active[: self.max_campaigns])

    async def _activity(
        self, client: Any, campaign_id: int, stream: dict[str, Any] | None
    ) -> tuple[list[Found], dict[str, Any]]:
        """#72 from the stream's first day to today (UTC). A first read takes the baseline (nothing is new).

        The window starts at ``day``; once that is more than :data:`ACTIVITY_LOOKBACK_DAYS` behind today the
        stream is re-based on yesterday (after a triggerer outage: on the day of the newest event seen, at
        most 29 days back), read in full and judged by time (``since``/``tail``): in steady state a window
        spans two days and is re-read in full once a day. ``dateTo`` is tomorrow: #72 does not say whether
        ``dateTo`` is included (sandbox knob ``activity_date_to_exclusive``), and today's events must be in
        the window under both readings; the window stays within 31 days counted either way.
        """
        today = dt.datetime.now(dt.timezone.utc).date()
        baseline = stream is None
        stream = dict(stream or {})
        full = baseline
        day = dt.date.fromisoformat(stream["day"]) if stream.get("day") else None
        if day is None or (today - day).days > ACTIVITY_LOOKBACK_DAYS:
            # yesterday; or, after an outage, the day of the newest event seen (at most 30 days back: #72)
            since = timestamp(stream["since"]) if stream.get("since") else None
            day = today - dt.timedelta(days=ACTIVITY_LOOKBACK_DAYS)
            if since is not None and since.date() < day:
                day = max(since.date(), today - dt.timedelta(days=ACTIVITY_WINDOW_DAYS - 2))
            stream = {**stream, "day": day.isoformat(), "offset": 0, "last": None}
            full = True

        async def fetch(offset: int) -> tuple[list[dict[str, Any]], bool]:
            body = await client.call(
                ENDPOINTS.get_campaign_recipients_activity,
                campaign_id=campaign_id,
                date_from=day.isoformat(),
                date_to=(today + dt.timedelta(days=1)).isoformat(),  # dateTo may be exclusive
                offset=offset,
                limit=ACTIVITY_LIMIT_MAX,
            )
            rows = [row for row in (body or {}).get("data") or [] if isinstance(row, dict)]
            return rows, bool(((body or {}).get("pagination") or {}).get("has_more"))

        rows, stream = await read_stream(
            fetch, stream, activity_key, lambda row: timestamp(row.get("event_time")), full=full
        )
        if baseline:
            return [], stream
        return [
            Found(campaign_id, str(row.get("event_type")), activity_key(row), _iso(timestamp(row.get("event_time"))))
            for row in rows
            if row.get("event_type") in self.event_types
        ], stream

    async def _v1(
        self, client: Any, campaign_id: int, streams: dict[str, Any] | None
    ) -> tuple[list[Found], dict[str, Any]]:
        """#23-#25, one offset-paged feed per event type; a type read for the first time takes its baseline."""
        streams = dict(streams or {})
        found: list[Found] = []
        for kind in self.event_types:
            row_of = V1_ENDPOINTS[kind]
            baseline = kind not in streams

            async def fetch(offset: int, row_of: Endpoint = row_of) -> tuple[list[dict[str, Any]], bool]:
                body = await client.call(row_of, campaign_id=campaign_id, offset=offset)
                rows = [row for row in body or [] if isinstance(row, dict)] if isinstance(body, list) else []
                return rows, len(rows) >= (row_of.page_size or OFFSET_PAGE_SIZE)

            rows, streams[kind] = await read_stream(
                fetch,
                streams.get(kind) or {},
                functools.partial(v1_key, kind),
                lambda row: timestamp(row.get("visitedAt")),
                full=baseline,
            )
            if not baseline:
                found.extend(
                    Found(campaign_id, kind, v1_key(kind, row), _iso(timestamp(row.get("visitedAt")))) for row in rows
                )
        return found, streams

    def payload(self, found: list[Found]) -> dict[str, Any]:
        """What an asset event carries: ids, types, times and counts; never a body or an address."""
        counts: dict[str, int] = {}
        campaigns: dict[str, dict[str, int]] = {}
        for item in found:
            counts[item.type] = counts.get(item.type, 0) + 1
            per = campaigns.setdefault(str(item.campaign_id), {})
            per[item.type] = per.get(item.type, 0) + 1
        times = sorted(item.time for item in found if item.time)
        return {
            "source": self.source,
            "count": len(found),
            "counts": counts,
            "campaigns": campaigns,
            "events": [item.as_dict() for item in found[:MAX_EVENT_IDS]],
            "truncated": max(0, len(found) - MAX_EVENT_IDS),
            "first_time": times[0] if times else None,
            "last_time": times[-1] if times else None,
            "polled_at": _iso(dt.datetime.fromtimestamp(time.time(), dt.timezone.utc)),
        }

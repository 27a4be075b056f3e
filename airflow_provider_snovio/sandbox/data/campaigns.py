"""Seeded campaigns and their engagement events (sent, opens, clicks, replies, finished prospects).

Why this shape: the provider's hardest job is paging tens of thousands of events correctly, so campaign 0
has ``big_campaign_replies`` (> 25,000) replies, campaign 1 exactly ``exact_campaign_replies`` (one full
page: the classic off-by-one trap) and the rest are small; the last campaign is a Draft with no events.
Events are compact tuples ordered oldest first; rows are built per response page. The whole set is
immutable and cached per data-knob combination, so ``reset()`` between tests costs nothing; what requests
can change (recipient statuses) lives in ``SandboxData``.

Every count in campaign analytics (#19) is computed from these same events inside the requested dates, so
analytics, event lists and progress always agree.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, NamedTuple

from airflow_provider_snovio.sandbox.data import names

DAY = 86400
#: First campaign starts here (UTC); later ones a few days apart.
EPOCH = int(datetime(2025, 9, 1, 9, 0, tzinfo=timezone.utc).timestamp())
#: Owners and email-sender ids used by the analytics filters (campaign_owner / sender_email).
OWNERS = ("owner@sandbox.snov.io", "teammate@sandbox.snov.io")
SENDER_EMAIL_IDS = (21, 22)
CUSTOM_FIELD_NAMES = ("company", "Phone")
SENTIMENTS = ("interested", "maybe", "not_interested", None)


class Recipient(NamedTuple):
    prospect_id: str
    first: str
    last: str
    email: str
    industry: str | None
    country: str | None
    locality: str | None
    source: str
    company: str


class Sent(NamedTuple):
    ts: int
    ridx: int
    first: bool
    bounced: bool
    id: str
    hash: str


class Engagement(NamedTuple):
    """An open, a click or a reply."""

    ts: int
    ridx: int
    id: str
    hash: str
    subject: int
    auto: bool = False  # replies: auto-reply
    sentiment: str | None = None  # replies: interested | maybe | not_interested | None


@dataclass
class Campaign:
    id: int
    name: str
    list_id: int
    status: str
    created_at: int
    updated_at: int
    started_at: int | None
    hash: str
    owner: str
    sender_email_id: int
    recipients: list[Recipient] = field(default_factory=list)
    sent: list[Sent] = field(default_factory=list)
    opens: list[Engagement] = field(default_factory=list)
    clicks: list[Engagement] = field(default_factory=list)
    replies: list[Engagement] = field(default_factory=list)
    finished: dict[int, tuple[str, str]] = field(default_factory=dict)  # ridx -> (row id, hash)
    email_index: dict[str, int] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """The GET /v1/get-user-campaigns row."""
        return {
            "id": self.id,
            "campaign": self.name,
            "list_id": self.list_id,
            "status": self.status,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "started_at": self.started_at,
            "hash": self.hash,
        }


def _hex(rng: random.Random, chars: int) -> str:
    return format(rng.getrandbits(chars * 4), f"0{chars}x")


def _pick(rng: random.Random, pool: tuple[Any, ...]) -> Any:
    return pool[rng.randrange(len(pool))]


def _campaign(
    rng: random.Random, index: int, count: int, replies: int, small_events: int, list_ids: list[int]
) -> Campaign:
    is_draft = index == count - 1
    if index == 0:
        status = "Active"
    elif index == 1:
        status = "Paused"
    elif is_draft:
        status = "Draft"
    else:
        status = ("Active", "Completed", "Paused")[(index - 2) % 3]
    created = EPOCH + index * 3 * DAY - 2 * DAY
    started = None if is_draft else EPOCH + index * 3 * DAY
    name = names.CAMPAIGN_NAMES[index % len(names.CAMPAIGN_NAMES)]
    if index >= len(names.CAMPAIGN_NAMES):
        name = f"{name} #{index}"
    camp = Campaign(
        id=237900 + index * 11 + rng.randrange(10),
        name=name,
        list_id=list_ids[index % len(list_ids)],
        status=status,
        created_at=created,
        updated_at=created + DAY if is_draft else (started or created) + 3600,
        started_at=started,
        hash=_hex(rng, 32),
        owner=OWNERS[index % 2],
        sender_email_id=SENDER_EMAIL_IDS[index % 2],
    )
    if is_draft:
        return camp
    n_recipients = max(10, (replies + 1) // 2) if replies else max(10, small_events // 2)
    n_replies = replies if replies else max(3, small_events // 4)
    span = (120 if replies >= 1000 else 20) * DAY
    spacing = max(1, span // n_recipients)
    start = started or created
    for r in range(n_recipients):
        first = _pick(rng, names.FIRST_NAMES)
        last = _pick(rng, names.LAST_NAMES)
        company, domain = _pick(rng, names.COMPANIES)
        email = f"{first}.{last}{r}@{domain}".lower()
        camp.recipients.append(
            Recipient(
                prospect_id=_hex(rng, 76),
                first=first,
                last=last,
                email=email,
                industry=_pick(rng, names.INDUSTRIES),
                country=_pick(rng, names.COUNTRIES),
                locality=_pick(rng, names.LOCALITIES),
                source=_pick(rng, names.SOURCES),
                company=company,
            )
        )
        camp.email_index[email] = r
    delivered_first: list[int] = []  # ts of the first delivered email per delivered recipient
    delivered: list[int] = []
    opens: list[Engagement] = []
    clicks: list[Engagement] = []
    sent: list[Sent] = []
    last_ts: dict[int, int] = {}
    for r in range(n_recipients):
        t0 = start + r * spacing + rng.randrange(max(1, spacing))
        bounced = rng.random() < 0.03
        sent.append(Sent(t0, r, True, bounced, _hex(rng, 32), _hex(rng, 32)))
        last_ts[r] = t0
        if bounced:
            continue
        delivered.append(r)
        delivered_first.append(t0)
        for k in range(rng.randrange(3)):
            t = t0 + (k + 1) * 2 * DAY + rng.randrange(3600)
            sent.append(Sent(t, r, False, False, _hex(rng, 32), _hex(rng, 32)))
            last_ts[r] = t
        if rng.random() < 0.6:
            for _ in range(1 + rng.randrange(2)):
                opens.append(Engagement(t0 + rng.randrange(60, 3 * DAY), r, _hex(rng, 32), _hex(rng, 32), 0))
            if rng.random() < 0.25:
                clicks.append(Engagement(t0 + rng.randrange(120, 3 * DAY), r, _hex(rng, 32), _hex(rng, 32), 0))
    replies_list: list[Engagement] = []
    for k in range(n_replies):
        slot = k % len(delivered)
        r = delivered[slot]
        t = delivered_first[slot] + 3600 + rng.randrange(5 * DAY)
        replies_list.append(
            Engagement(
                t,
                r,
                _hex(rng, 32),
                _hex(rng, 32),
                rng.randrange(len(names.SUBJECTS)),
                auto=rng.random() < 0.05,
                sentiment=_pick(rng, SENTIMENTS),
            )
        )
    camp.sent = sorted(sent)
    camp.opens = sorted(opens)
    camp.clicks = sorted(clicks)
    camp.replies = sorted(replies_list)
    # Finished: everyone except the most recent 10% of recipients of a still-running campaign.
    running = status in ("Active", "Paused")
    cutoff = int(n_recipients * 0.9) if running else n_recipients
    for r in range(cutoff):
        camp.finished[r] = (_hex(rng, 32), _hex(rng, 32))
    return camp


@dataclass(frozen=True)
class CampaignSet:
    campaigns: tuple[Campaign, ...]

    def by_id(self, campaign_id: int) -> Campaign | None:
        for camp in self.campaigns:
            if camp.id == campaign_id:
                return camp
        return None


@lru_cache(maxsize=4)
def build_campaigns(
    seed: int, count: int, big_replies: int, exact_replies: int, small_events: int, list_ids: tuple[int, ...]
) -> CampaignSet:
    """The immutable campaign set for these knobs (cached: resets and fixtures reuse it)."""
    rng = random.Random(f"campaigns:{seed}")
    camps = []
    for i in range(count):
        replies = big_replies if i == 0 else exact_replies if i == 1 else 0
        camps.append(_campaign(rng, i, count, replies, small_events, list(list_ids)))
    return CampaignSet(tuple(camps))


# --- row builders (the documented response shapes) ---


def php_date(ts: float) -> dict[str, Any]:
    """PHP DateTime as JSON: ``{"date": "2020-07-14 13:10:46.000000", "timezone_type": 3, "timezone": "UTC"}``."""
    text = datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S.000000")
    return {"date": text, "timezone_type": 3, "timezone": "UTC"}


def engagement_row(camp: Campaign, event: Engagement) -> dict[str, Any]:
    """A row of #23 replies / #24 opens / #25 clicks, keys in the docs' order."""
    rec = camp.recipients[event.ridx]
    subject = names.SUBJECTS[event.subject].format(company=rec.company)
    row: dict[str, Any] = {
        "visitedAt": php_date(event.ts),
        "campaignId": camp.id,
        "campaign": camp.name,
        "prospectId": rec.prospect_id,
        "prospectFirstName": rec.first,
        "prospectLastName": rec.last,
        "prospectName": f"{rec.first} {rec.last}",
        "sourcePage": None,
        "source": rec.source,
        "locality": rec.locality,
        "industry": rec.industry,
        "country": rec.country,
        "prospectEmail": rec.email,
        "hash": event.hash,
        "emailSubject": f'"{subject}"',
        "emailBody": f'"<p>Hi {rec.first}, {subject.lower()}.</p>"',
        "skills": "",
        "links": None,
        "customFields": None,
        "id": event.id,
    }
    for name in CUSTOM_FIELD_NAMES:
        row[f"customField_{name}"] = rec.company if name == "company" else ""
    return row


def first_ids(events: list[Engagement]) -> dict[int, str]:
    """Recipient index -> id of its first event (oldest first): the ids served with ``shared_event_ids``."""
    out: dict[int, str] = {}
    for event in events:
        out.setdefault(event.ridx, event.id)
    return out


def sent_row(camp: Campaign, event: Sent) -> dict[str, Any]:
    """A row of #26 emails-sent."""
    rec = camp.recipients[event.ridx]
    return {
        "sentDate": php_date(event.ts),
        "userName": f"{rec.first} {rec.last}",
        "userEmail": rec.email,
        "campaign": camp.name,
        "hash": event.hash,
        "id": event.id,
    }


def finished_row(camp: Campaign, ridx: int) -> dict[str, Any]:
    """A row of #22 prospect-finished."""
    rec = camp.recipients[ridx]
    row_id, row_hash = camp.finished[ridx]
    return {
        "id": row_id,
        "prospectId": rec.prospect_id,
        "userName": f"{rec.first} {rec.last}",
        "userEmail": rec.email,
        "campaign": camp.name,
        "hash": row_hash,
    }


# --- analytics (#19) ---

ANALYTICS_KEYS = (
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


def rate(part: int, whole: int) -> str:
    """Snov.io's rate strings: whole percents, "0%" when there is nothing to divide by."""
    return f"{round(100 * part / whole) if whole else 0}%"


def analytics(
    camps: list[Campaign], ts_from: float, ts_to: float, unsubscribed: dict[tuple[int, int], float]
) -> dict[str, Any]:
    """Counts of #19 over events with ``ts_from <= ts < ts_to`` (recipients counted once per campaign).

    LinkedIn: the only LinkedIn activity the sandbox models is the seeded LinkedIn replies that #73 serves
    (``data/recipients.py``), so the reply metrics count those recipients (per reply type), a recipient who
    replied on LinkedIn counts as contacted by LinkedIn, and total_contacted counts each person once across
    both channels; every other LinkedIn metric (requests sent, views...) is 0.
    """
    from airflow_provider_snovio.sandbox.data.recipients import LINKEDIN_REPLY_TYPES, linkedin_replies  # no cycle

    linkedin: dict[str, set[tuple[int, int]]] = {kind: set() for kind in LINKEDIN_REPLY_TYPES}
    sent = first = bounced = 0
    contacted: set[tuple[int, int]] = set()
    opened: set[tuple[int, int]] = set()
    clicked: set[tuple[int, int]] = set()
    replied: set[tuple[int, int]] = set()
    auto: set[tuple[int, int]] = set()
    last_sentiment: dict[tuple[int, int], str | None] = {}  # a recipient's latest reply decides
    unsub = 0
    for camp in camps:
        cid = camp.id
        for s in camp.sent:
            if ts_from <= s.ts < ts_to:
                sent += 1
                first += s.first
                if s.bounced:
                    bounced += 1
                else:
                    contacted.add((cid, s.ridx))
        opened.update((cid, e.ridx) for e in camp.opens if ts_from <= e.ts < ts_to)
        clicked.update((cid, e.ridx) for e in camp.clicks if ts_from <= e.ts < ts_to)
        for e in camp.replies:
            if ts_from <= e.ts < ts_to:
                if e.auto:
                    auto.add((cid, e.ridx))
                    continue
                replied.add((cid, e.ridx))
                last_sentiment[(cid, e.ridx)] = e.sentiment
        unsub += sum(1 for (c, _), t in unsubscribed.items() if c == cid and ts_from <= t < ts_to)
        for reply in linkedin_replies(camp):
            if ts_from <= reply.ts < ts_to:
                linkedin[reply.kind].add((cid, reply.ridx))
    linkedin_replied = set().union(*linkedin.values())
    n_linkedin = len(linkedin_replied)
    n_contacted = len(contacted)
    out: dict[str, Any] = {
        "emails_sent": sent,
        "first_emails": first,
        "first_emails_rate": rate(first, sent),
        "follow_ups": sent - first,
        "follow_ups_rate": rate(sent - first, sent),
        "delivered": sent - bounced,
        "delivered_rate": rate(sent - bounced, sent),
        "bounced": bounced,
        "bounced_rate": rate(bounced, sent),
        "contacted_by_email": n_contacted,
        "email_opens": len(opened),
        "email_opens_rate": rate(len(opened), n_contacted),
        "link_clicks": len(clicked),
        "link_clicks_rate": rate(len(clicked), n_contacted),
        "email_replies": len(replied),
        "email_replies_rate": rate(len(replied), n_contacted),
        "unsubscribed": unsub,
        "unsubscribed_rate": rate(unsub, n_contacted),
        "auto_replied": len(auto),
        "auto_replied_rate": rate(len(auto), n_contacted),
        "total_contacted": len(contacted | linkedin_replied),
        "contacted_by_linkedin": n_linkedin,
        "linkedin_total_replies": n_linkedin,
        "linkedin_total_replies_rate": rate(n_linkedin, n_linkedin),
    }
    for key, kind in (
        ("connection_request_replies", "linkedinInvite"),
        ("message_replies", "linkedinMessage"),
        ("in_mail_replies", "linkedinInMail"),
    ):
        out[key] = len(linkedin[kind])
        out[f"{key}_rate"] = rate(len(linkedin[kind]), n_linkedin)
    for key in ANALYTICS_KEYS:
        if key not in out and not key.startswith(("interested", "maybe", "not_interested")):
            out[key] = "0%" if key.endswith("_rate") else 0
    all_replies = len(replied | linkedin_replied)  # e-mail and LinkedIn repliers (sentiments: e-mail only)
    for key in ("interested", "maybe", "not_interested"):
        count = sum(1 for value in last_sentiment.values() if value == key)
        out[key] = count
        out[f"{key}_rate"] = rate(count, all_replies)
    return {key: out[key] for key in ANALYTICS_KEYS}

"""The 2026 recipients views of the seeded campaigns: activity feed (#72), all replies (#73), status (#74).

Why derived, not seeded apart: each view is computed from the same immutable campaign events that #19
(analytics) and #23-#26 (event lists) serve, plus the recipient statuses requests change (#21), so every
endpoint tells the same story. The activity feed adds what the v1 lists lack: a ``bounce`` for every
bounced send (at the send's time, as #19 counts it) and an ``unsubscribe`` for every recipient #21 set to
Unsubscribed (at that time, as #19 counts it). The only new seeded facts are LinkedIn replies, which exist
nowhere else: about one delivered recipient in seven of a campaign answers on LinkedIn, derived from the
campaign's own seeded hash so they are the same on every build.
"""

from __future__ import annotations

import random
from datetime import datetime, timezone
from typing import Any, NamedTuple

from airflow_provider_snovio.sandbox.data import names
from airflow_provider_snovio.sandbox.data.campaigns import DAY, Campaign

#: Order of events that share a second: a send before its bounce, opens before clicks before replies.
EVENT_ORDER = {"sent": 0, "bounce": 1, "open": 2, "click": 3, "reply": 4, "unsubscribe": 5}
LINKEDIN_REPLY_TYPES = ("linkedinMessage", "linkedinInvite", "linkedinInMail")
LINKEDIN_MESSAGES = ("Thanks for reaching out!", "Happy to connect.", "Let's talk next week.", "Not right now.")


class ActivityEvent(NamedTuple):
    ts: int
    order: int
    kind: str
    ridx: int
    subject: int


def sender_address(camp: Campaign) -> str:
    """The sending address of a campaign's sender account (``sender_email_id`` of #19's filter)."""
    return f"outreach{camp.sender_email_id}@sandbox.snov.io"


def _time(ts: float, iso: bool = False) -> str:
    moment = datetime.fromtimestamp(ts, timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ" if iso else "%Y-%m-%d %H:%M:%S")


def activity_events(
    camp: Campaign, ts_from: float, ts_to: float, unsubscribed: dict[tuple[int, int], float]
) -> list[ActivityEvent]:
    """Events with ``ts_from <= ts < ts_to``, oldest first: the #26 sends, #24 opens, #25 clicks and #23
    replies of the campaign, a bounce per bounced send and an unsubscribe per #21 unsubscription."""
    out: list[ActivityEvent] = []
    for s in camp.sent:
        if ts_from <= s.ts < ts_to:
            subject = 0 if s.first else 2  # "Following up"
            out.append(ActivityEvent(s.ts, EVENT_ORDER["sent"], "sent", s.ridx, subject))
            if s.bounced:
                out.append(ActivityEvent(s.ts, EVENT_ORDER["bounce"], "bounce", s.ridx, subject))
    for kind, events in (("open", camp.opens), ("click", camp.clicks), ("reply", camp.replies)):
        out.extend(
            ActivityEvent(e.ts, EVENT_ORDER[kind], kind, e.ridx, e.subject) for e in events if ts_from <= e.ts < ts_to
        )
    for (cid, ridx), ts in unsubscribed.items():
        if cid == camp.id and ts_from <= ts < ts_to:
            out.append(ActivityEvent(int(ts), EVENT_ORDER["unsubscribe"], "unsubscribe", ridx, 0))
    out.sort()
    return out


def _phone(ridx: int, base: int) -> str:
    return f"+1 555 {base + ridx % 900:03d} {ridx % 10_000:04d}"


def activity_row(camp: Campaign, event: ActivityEvent, iso_time: bool) -> dict[str, Any]:
    """A row of #72 in the documented key order; phone numbers are strings."""
    rec = camp.recipients[event.ridx]
    domain = rec.email.rpartition("@")[2]
    return {
        "event_time": _time(event.ts, iso_time),
        "event_type": event.kind,
        "sender_email": sender_address(camp),
        "email_subject": names.SUBJECTS[event.subject].format(company=rec.company),
        "recipient_email": rec.email,
        "recipient_name": f"{rec.first} {rec.last}",
        "phone": _phone(event.ridx, 100),
        "industry": rec.industry,
        "country": rec.country,
        "location": rec.locality,
        "company": rec.company,
        "job_position": names.POSITIONS[event.ridx % len(names.POSITIONS)],
        "hq_phone": _phone(0, 200 + len(domain)),
        "website": f"https://{domain}",
    }


class LinkedInReply(NamedTuple):
    ts: int
    ridx: int
    kind: str
    message: int


def linkedin_replies(camp: Campaign) -> list[LinkedInReply]:
    """The seeded LinkedIn replies of a campaign, oldest first (none for a campaign never started)."""
    rng = random.Random(f"linkedin:{camp.hash}")
    first_send: dict[int, int] = {}
    for s in camp.sent:
        if not s.bounced:
            first_send.setdefault(s.ridx, s.ts)
    out = []
    for ridx in sorted(first_send):
        if rng.random() >= 1 / 7:
            continue
        kind = LINKEDIN_REPLY_TYPES[rng.randrange(len(LINKEDIN_REPLY_TYPES))]
        t = first_send[ridx] + DAY
        for _ in range(1 + rng.randrange(2)):
            t += 600 + rng.randrange(2 * DAY)
            out.append(LinkedInReply(t, ridx, kind, rng.randrange(len(LINKEDIN_MESSAGES))))
    out.sort()
    return out


def linkedin_profile(camp: Campaign, ridx: int) -> str:
    rec = camp.recipients[ridx]
    return f"https://www.linkedin.com/in/{rec.first}-{rec.last}-{ridx}".lower()


def reply_threads(camp: Campaign) -> list[dict[str, Any]]:
    """Records of #73: one per (contact, reply type), replies oldest first, ``receivedAt`` = the oldest's;
    records ordered by ``receivedAt``. E-mail replies are exactly those of #23 (auto-replies included)."""
    grouped: dict[tuple[int, str], list[tuple[int, str, str]]] = {}
    for e in camp.replies:
        rec = camp.recipients[e.ridx]
        subject = names.SUBJECTS[e.subject].format(company=rec.company)
        grouped.setdefault((e.ridx, "email"), []).append((e.ts, subject, f"<p>Hi {rec.first}, {subject.lower()}.</p>"))
    for r in linkedin_replies(camp):
        grouped.setdefault((r.ridx, r.kind), []).append((r.ts, "", LINKEDIN_MESSAGES[r.message]))
    threads = []
    for (ridx, kind), messages in grouped.items():
        rec = camp.recipients[ridx]
        messages.sort()
        threads.append(
            (
                messages[0][0],
                ridx,
                kind,
                {
                    "campaignId": camp.id,
                    "campaign": camp.name,
                    "prospectId": rec.prospect_id,
                    "prospectName": f"{rec.first} {rec.last}",
                    "prospectEmail": rec.email,
                    "linkedInProfile": linkedin_profile(camp, ridx),
                    "replyType": kind,
                    "receivedAt": _time(messages[0][0]),
                    "replies": [{"subject": s, "message": m, "receivedAt": _time(t)} for t, s, m in messages],
                },
            )
        )
    threads.sort(key=lambda item: item[:3])
    return [thread for *_, thread in threads]


def recipient_status(camp: Campaign, ridx: int, changed: dict[tuple[int, int], str]) -> str:
    """#74's status of a recipient: finished (#22), else what #21 set (Unsubscribed -> "unsubscribe",
    Paused -> "paused"), else "active"."""
    if ridx in camp.finished:
        return "finished"
    status = changed.get((camp.id, ridx))
    if status == "Unsubscribed":
        return "unsubscribe"
    if status == "Paused":
        return "paused"
    return "active"

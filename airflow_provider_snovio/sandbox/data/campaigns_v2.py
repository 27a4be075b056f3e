"""Seeds and models of the 2026 campaigns v2 family (#62-#71): schedules, settings, sequences, message blocks.

Why a model next to the v1 :class:`~airflow_provider_snovio.sandbox.data.campaigns.Campaign`: the v1 row (#27,
#19, #20, the event endpoints) holds a campaign's status and events; v2 adds settings, a step sequence and
message blocks. The status lives only in the v1 row (spelt the v1 way: Draft, Active, Paused...), so #27,
analytics and progress always agree with #63 and #66. A seeded campaign gets its v2 model on first use.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from airflow_provider_snovio.sandbox.data.campaigns import Campaign

#: v2 status -> the v1 spelling #27 and #20 use (capitalised; a new campaign is a Draft there).
V1_STATUS = {
    "new": "Draft",
    "active": "Active",
    "paused": "Paused",
    "scheduled": "Scheduled",
    "completed": "Completed",
    "archived": "Archived",
}
V2_STATUS = {v1.lower(): v2 for v2, v1 in V1_STATUS.items()}
#: #65: only these may be deleted (active, paused and scheduled ones must be stopped first).
DELETABLE = ("new", "completed", "archived")
#: #68-#71: message blocks change only in these states.
CONTENT_EDITABLE = ("new", "paused", "scheduled")
DAYS = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")

#: #67 seeds: (id, name, IANA timezone, enabled days, start, end).
SCHEDULES: tuple[tuple[int, str, str, tuple[str, ...], str, str], ...] = (
    (6101, "Business hours (New York)", "America/New_York", DAYS[1:6], "09:00", "17:00"),
    (6102, "Kyiv mornings", "Europe/Kyiv", DAYS[1:6], "08:00", "12:00"),
    (6103, "Every day (UTC)", "UTC", DAYS, "00:00", "23:59"),
)

DEFAULT_SENDING_SETTINGS: dict[str, Any] = {
    "sending_priority": "first_email",
    "daily_sending_all": None,
    "daily_sending_new_recipients": None,
    "skip_unverifiable": True,
    "skip_unverified": False,
    "skip_who_replied": True,
    "skip_company_domain_who_replied": False,
    "skip_recipients_without_variables_data": False,
    "skip_other_recipients_email_addresses": True,
    "skip_recipients_added_to_my_another_campaign": False,
    "skip_recipients_added_to_team_another_campaign": False,
    "one_click_unsubscribe": True,
}


def schedule_rows() -> list[dict[str, Any]]:
    """#67 ``data``."""
    return [
        {
            "id": sid,
            "name": name,
            "timezone": zone,
            "days": [{"day": day, "enabled": day in enabled, "start_time": start, "end_time": end} for day in DAYS],
        }
        for sid, name, zone, enabled, start, end in SCHEDULES
    ]


def schedule_ids() -> set[int]:
    return {row[0] for row in SCHEDULES}


def block(ref: int, index: int, subject: str = "", body: str = "") -> dict[str, Any]:
    """A message block of email step ``ref``: its id is the step's ``_ref`` followed by the slot index
    (the #63 sample's ``17739963799960`` for ``_ref`` ``1773996379996``, **inferred**)."""
    return {"id": int(f"{ref}{index}"), "subject": subject, "body": body, "plain_text": False, "usage": "active"}


@dataclass
class CampaignModel:
    """The v2 side of one campaign: everything #63 answers but ``id`` and ``status``."""

    settings: dict[str, Any]
    entry: int
    steps: list[dict[str, Any]]
    #: email step ``_ref`` -> its message blocks (id, subject, body, plain_text, usage), in slot order.
    blocks: dict[int, list[dict[str, Any]]] = field(default_factory=dict)

    def answer(self, camp: Campaign) -> dict[str, Any]:
        """#62/#63/#64 ``data``; ``deals`` only when configured."""
        out: dict[str, Any] = {"id": camp.id, "status": V2_STATUS[camp.status.lower()], "title": camp.name}
        settings = dict(self.settings)
        deals = settings.pop("deals", None)
        out.update(settings)
        steps = []
        for step in self.steps:
            shown = dict(step)
            if step["type"] == "email":
                shown["content"] = [
                    {"id": b["id"], "plain_text": b["plain_text"], "usage": b["usage"]}
                    for b in self.blocks[step["_ref"]]
                ]
            steps.append(shown)
        out["sequence"] = {"entry": self.entry, "steps": steps}
        if deals is not None:
            out["deals"] = deals
        return out


def seeded_model(camp: Campaign, subject: str) -> CampaignModel:
    """The v2 model of a seeded campaign: an email, a 3-day wait, a follow-up, then a goal."""
    first, wait, follow, goal = (camp.id * 10 + i for i in range(1, 5))
    settings: dict[str, Any] = {
        "email_accounts": [camp.sender_email_id],
        "linkedin_accounts": [],
        "priority": "medium",
        "tracking": {"open": True, "link_click": True},
        "sending_settings": dict(DEFAULT_SENDING_SETTINGS),
        "recipients": {"list_id": camp.list_id, "black_list_id": None},
        "schedule_id": SCHEDULES[0][0],
        "start_campaign_at": None,
        "complete_campaign_at": None,
        "timezone": None,
        "complete_campaign_after_last_step": True,
        "archive_in_months": 3,
        "provider_matching": False,
    }
    steps = [
        {"_ref": first, "type": "email", "next": wait, "content_slots": 1},
        {"_ref": wait, "type": "delay", "waiting_type": "days", "waiting_val": 3, "next": follow},
        {"_ref": follow, "type": "email", "next": goal, "content_slots": 1},
        {"_ref": goal, "type": "goal", "goal_name": "Replied"},
    ]
    blocks = {
        first: [block(first, 0, subject, "<p>Hi {{first_name}}, a quick question about {{company_name}}.</p>")],
        follow: [block(follow, 0, f"Re: {subject}", "<p>Following up on my last e-mail.</p>")],
    }
    return CampaignModel(settings, first, steps, blocks)

"""Seeded webhooks and the event catalogue they may subscribe to.

Why: webhook registration is validated against the documented objects/actions (including the 2026
additions), so a typo in a DAG fails in the sandbox exactly where it would fail against Snov.io.
"""

from __future__ import annotations

import random
from typing import Any

from airflow_provider_snovio.sandbox.data.campaigns import EPOCH

#: event_object -> allowed event_action values: the complete 2026 list (9 objects, 23 pairs).
WEBHOOK_EVENTS: dict[str, tuple[str, ...]] = {
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
WEBHOOK_STATUSES = ("active", "deactivated")


def seed_webhooks(rng: random.Random, count: int) -> dict[int, dict[str, Any]]:
    """``count`` webhooks, ids increasing with gaps (like the docs' 8, 14, 17)."""
    hooks: dict[int, dict[str, Any]] = {}
    webhook_id = 5
    pairs = [(obj, action) for obj, actions in WEBHOOK_EVENTS.items() for action in actions[:3]]
    for i in range(count):
        webhook_id += 1 + rng.randrange(6)
        obj, action = pairs[i % len(pairs)]
        hooks[webhook_id] = {
            "id": webhook_id,
            "end_point": f"https://hooks.example.com/hooks/catch/1237321/{rng.getrandbits(32):08x}/",
            "event_object": obj,
            "event_action": action,
            "status": "deactivated" if i % 3 == 1 else "active",
            "created_at": EPOCH + i * 3600 + rng.randrange(3600),
        }
    return hooks

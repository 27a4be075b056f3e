"""The sandbox's seeded data set: ``build_data(config)`` -> ``SandboxData``.

Why a single entry point: ``SandboxState.reset()`` calls it to get back to the seeded start. Everything is
derived from ``config.seed`` with private ``random.Random`` instances (never the global RNG), so two
sandboxes with the same knobs serve identical data. Immutable bulk (campaign events) is cached across
builds; the mutable rest (lists, prospects, do-not-email, webhooks, recipient statuses) is fresh each time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.sandbox.data.campaigns import CampaignSet, build_campaigns
from airflow_provider_snovio.sandbox.data.lists import (
    DoNotEmailList,
    ProspectList,
    seed_do_not_email,
    seed_lists,
)
from airflow_provider_snovio.sandbox.data.webhooks import seed_webhooks

if TYPE_CHECKING:
    from airflow_provider_snovio.sandbox.config import SandboxConfig

#: The account's user id (v2 ``meta.user_id``).
USER_ID = 1313777


@dataclass
class SandboxData:
    campaigns: CampaignSet
    lists: dict[int, ProspectList]
    prospects: dict[str, dict[str, Any]]
    do_not_email: dict[int, DoNotEmailList]
    webhooks: dict[int, dict[str, Any]]
    rng: random.Random  # for ids of records created by requests
    #: (campaign_id, recipient index) -> status set by change-recipient-status
    recipient_status: dict[tuple[int, int], str] = field(default_factory=dict)
    #: (campaign_id, recipient index) -> time the recipient was unsubscribed (feeds analytics)
    unsubscribed_at: dict[tuple[int, int], float] = field(default_factory=dict)
    user_id: int = USER_ID

    def next_list_id(self) -> int:
        return max([*self.lists, *self.do_not_email, 0]) + 1 + self.rng.randrange(20)

    def next_webhook_id(self) -> int:
        return max([*self.webhooks, 0]) + 1 + self.rng.randrange(3)

    def prospects_by_email(self, email: str) -> list[dict[str, Any]]:
        wanted = email.strip().lower()
        return [p for p in self.prospects.values() if (p["email"] or "").lower() == wanted]


def build_data(config: SandboxConfig) -> SandboxData:
    rng = random.Random(f"mutable:{config.seed}")
    lists, prospects = seed_lists(rng, config.lists, config.list_prospects)
    campaigns = build_campaigns(
        config.seed,
        config.campaigns,
        config.big_campaign_replies,
        config.exact_campaign_replies,
        config.small_campaign_events,
        tuple(lists),
    )
    return SandboxData(
        campaigns=campaigns,
        lists=lists,
        prospects=prospects,
        do_not_email=seed_do_not_email(rng, config.do_not_email_lists),
        webhooks=seed_webhooks(rng, config.webhooks),
        rng=rng,
    )

"""Deferrable triggers for Snov.io's asynchronous work (they only poll free reads; see :mod:`.base`).

``from airflow_provider_snovio.triggers import SnovioTaskTrigger`` works for every class below.
"""

from __future__ import annotations

# Reply-driven DAGs (issue 19): an event trigger for AssetWatcher, not a deferral trigger.
from airflow_provider_snovio.triggers.new_events import SnovioNewEventsTrigger
from airflow_provider_snovio.triggers.recipients import SnovioRecipientStatusTrigger
from airflow_provider_snovio.triggers.snovio import (
    SnovioCampaignProgressTrigger,
    SnovioEmailFinderTrigger,
    SnovioEmailVerificationTrigger,
    SnovioProfileUrlTrigger,
    SnovioTaskTrigger,
)

__all__ = [
    "SnovioCampaignProgressTrigger",
    "SnovioEmailFinderTrigger",
    "SnovioEmailVerificationTrigger",
    "SnovioNewEventsTrigger",
    "SnovioProfileUrlTrigger",
    "SnovioRecipientStatusTrigger",
    "SnovioTaskTrigger",
]

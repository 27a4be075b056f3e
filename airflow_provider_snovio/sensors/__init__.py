"""Sensors for Snov.io's asynchronous work (poke, reschedule and deferrable modes).

``from airflow_provider_snovio.sensors import SnovioTaskSensor`` works for every class below; the module
holding them is imported on first access, so a DAG file stays quick to parse.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_snovio._lazy import lazy_exports

if TYPE_CHECKING:  # the lazy names, visible to type checkers and IDEs (tests/unit/test_lazy_exports.py)
    from airflow_provider_snovio.sensors.recipients import SnovioRecipientStatusSensor
    from airflow_provider_snovio.sensors.snovio import (
        SnovioBaseSensor,
        SnovioCampaignProgressSensor,
        SnovioEmailVerificationSensor,
        SnovioTaskSensor,
    )

_EXPORTS: dict[str, str] = {
    "SnovioBaseSensor": "snovio",
    "SnovioTaskSensor": "snovio",
    "SnovioEmailVerificationSensor": "snovio",
    "SnovioCampaignProgressSensor": "snovio",
    # 2026 recipient check (issue 17 item 4, first part)
    "SnovioRecipientStatusSensor": "recipients",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

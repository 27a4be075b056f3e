"""Sensors for Snov.io's asynchronous work (poke, reschedule and deferrable modes).

``from airflow_provider_snovio.sensors import SnovioTaskSensor`` works for every class below; the module
holding them is imported on first access, so a DAG file stays quick to parse.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS: dict[str, str] = {
    "SnovioBaseSensor": "snovio",
    "SnovioTaskSensor": "snovio",
    "SnovioEmailVerificationSensor": "snovio",
    "SnovioCampaignProgressSensor": "snovio",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])

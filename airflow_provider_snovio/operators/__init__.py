"""Operators for every Snov.io capability.

``from airflow_provider_snovio.operators import SnovioDomainSearchOperator`` works for every class below.
The classes are imported on first access, so a DAG file that uses one operator does not import the
modules of all the others (DAG parsing stays fast).
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public class -> module (under this package) that defines it.
_EXPORTS: dict[str, str] = {
    "SnovioBaseOperator": "base",
    "SnovioDomainSearchOperator": "domain_search",
    "SnovioProspectEmailsOperator": "domain_search",
    "SnovioEmailFinderOperator": "email_finder",
    "SnovioEmailVerificationOperator": "verification",
    "SnovioProfileEnrichmentOperator": "enrichment",
    "SnovioCampaignAnalyticsOperator": "campaigns",
    "SnovioChangeRecipientStatusOperator": "campaigns",
    "SnovioCreateListOperator": "lists",
    "SnovioAddProspectsToListOperator": "lists",
    "SnovioDoNotEmailOperator": "do_not_email",
    "SnovioWebhookOperator": "webhooks",
    "SnovioBalanceCheckOperator": "balance",
    "SnovioApiOperator": "api",
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

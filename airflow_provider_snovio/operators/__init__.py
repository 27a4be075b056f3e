"""Operators for every Snov.io capability.

``from airflow_provider_snovio.operators import SnovioDomainSearchOperator`` works for every class below.
The classes are imported on first access, so a DAG file that uses one operator does not import the
modules of all the others (DAG parsing stays fast).
"""

from __future__ import annotations

from airflow_provider_snovio._lazy import lazy_exports

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


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

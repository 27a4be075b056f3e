"""Operators for every Snov.io capability.

``from airflow_provider_snovio.operators import SnovioDomainSearchOperator`` works for every class below.
The classes are imported on first access, so a DAG file that uses one operator does not import the
modules of all the others (DAG parsing stays fast).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_snovio._lazy import lazy_exports

if TYPE_CHECKING:  # the lazy names, visible to type checkers and IDEs (tests/unit/test_lazy_exports.py)
    from airflow_provider_snovio.operators.api import SnovioApiOperator
    from airflow_provider_snovio.operators.balance import SnovioBalanceCheckOperator
    from airflow_provider_snovio.operators.base import SnovioBaseOperator
    from airflow_provider_snovio.operators.campaigns import (
        SnovioCampaignAnalyticsOperator,
        SnovioChangeRecipientStatusOperator,
    )
    from airflow_provider_snovio.operators.campaigns_v2 import (
        SnovioCampaignOperator,
        SnovioCampaignStateOperator,
        SnovioRecipientStatusOperator,
    )
    from airflow_provider_snovio.operators.database_search import (
        SnovioDatabaseProspectEmailsOperator,
        SnovioDatabaseSearchOperator,
    )
    from airflow_provider_snovio.operators.do_not_email import SnovioDoNotEmailOperator
    from airflow_provider_snovio.operators.domain_search import SnovioDomainSearchOperator, SnovioProspectEmailsOperator
    from airflow_provider_snovio.operators.email_finder import SnovioEmailFinderOperator
    from airflow_provider_snovio.operators.enrichment import SnovioProfileEnrichmentOperator
    from airflow_provider_snovio.operators.enrichment_v2 import (
        SnovioCompanyDomainOperator,
        SnovioLinkedInProfilesOperator,
    )
    from airflow_provider_snovio.operators.lists import SnovioAddProspectsToListOperator, SnovioCreateListOperator
    from airflow_provider_snovio.operators.verification import SnovioEmailVerificationOperator
    from airflow_provider_snovio.operators.warm_up import SnovioWarmUpOperator
    from airflow_provider_snovio.operators.webhooks import SnovioWebhookOperator

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
    # 2026 campaigns v2 and warm-up (issue 17 item 4, first part)
    "SnovioCampaignOperator": "campaigns_v2",
    "SnovioCampaignStateOperator": "campaigns_v2",
    "SnovioRecipientStatusOperator": "campaigns_v2",
    "SnovioWarmUpOperator": "warm_up",
    # 2026 enrichment v2 and database search (#42-#51)
    "SnovioCompanyDomainOperator": "enrichment_v2",
    "SnovioLinkedInProfilesOperator": "enrichment_v2",
    "SnovioDatabaseSearchOperator": "database_search",
    "SnovioDatabaseProspectEmailsOperator": "database_search",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

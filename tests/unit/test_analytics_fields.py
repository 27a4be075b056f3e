"""The campaign-analytics fields the provider declares are exactly those the sandbox serves.

The sandbox models Snov.io independently of ``api/`` and keeps its own copy of the field list
(``sandbox/data/campaigns.py``), so a field added to or dropped from either side must fail here rather than
silently become a NULL column or an unread figure.
"""

from __future__ import annotations

from airflow_provider_snovio.api.resources import ANALYTICS_METRICS, RESOURCES
from airflow_provider_snovio.sandbox.data import campaigns as sandbox_campaigns


def declared_sources() -> list[str]:
    """The wire names the ``campaign_analytics`` resource reads, in its column order."""
    fields = RESOURCES["campaign_analytics"].fields
    sources: list[str] = []
    for field in fields:
        assert isinstance(field.source, str), f"{field.column}: one wire name expected, got {field.source!r}"
        sources.append(field.source)
    return sources


def served_fields() -> list[str]:
    """The keys of an analytics answer the sandbox computes (its own list, through its own function)."""
    camps = sandbox_campaigns.build_campaigns(7, 3, 40, 20, 10, (1, 2)).campaigns
    answer = sandbox_campaigns.analytics(list(camps), 0.0, 4_102_444_800.0, {})  # every event up to 2100
    assert answer["emails_sent"] > 0  # a real answer, computed from the sandbox's events
    return list(answer)


def test_the_resource_reads_every_field_the_sandbox_serves_and_no_other():
    declared, served = declared_sources(), served_fields()
    assert len(declared) == len(set(declared)), "a field declared twice in api/resources.py"
    assert set(declared) == set(served), (
        f"only in api/resources.py: {sorted(set(declared) - set(served))}; "
        f"only in the sandbox: {sorted(set(served) - set(declared))}"
    )
    assert declared == served  # same order too (both follow the documented order)


def test_the_two_declared_lists_match():
    assert list(ANALYTICS_METRICS) == list(sandbox_campaigns.ANALYTICS_KEYS)
    assert [field.column for field in RESOURCES["campaign_analytics"].fields] == list(ANALYTICS_METRICS)

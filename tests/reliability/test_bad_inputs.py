"""A table of bad inputs across every operator and transfer: each a clear error naming the field, with
zero requests and zero credits.

Each row builds the operator (transfers check what is not templated already then, at DAG-parse time) and,
if that passed, runs ``execute`` with a minimal task context, as the task runner would. Either way the error
must be a ``SnovioValidationError`` whose ``field`` (and message) names the offending argument, and the
sandbox must have seen no request at all - not even a token request - and charged nothing.

The transfer rows already in ``tests/warehouse/test_operators.py`` (unknown resource, ``snovio; DROP TABLE
x``, ``1table``, ``12a`` ids, negative list ids, dotted schema, a path without scheme) are not repeated.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_snovio.api.errors import SnovioValidationError
from airflow_provider_snovio.operators import (
    SnovioAddProspectsToListOperator,
    SnovioApiOperator,
    SnovioBalanceCheckOperator,
    SnovioCampaignAnalyticsOperator,
    SnovioChangeRecipientStatusOperator,
    SnovioCreateListOperator,
    SnovioDomainSearchOperator,
    SnovioDoNotEmailOperator,
    SnovioEmailFinderOperator,
    SnovioEmailVerificationOperator,
    SnovioProfileEnrichmentOperator,
    SnovioProspectEmailsOperator,
    SnovioWebhookOperator,
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
from airflow_provider_snovio.operators.enrichment_v2 import SnovioCompanyDomainOperator, SnovioLinkedInProfilesOperator
from airflow_provider_snovio.operators.warm_up import SnovioWarmUpOperator
from airflow_provider_snovio.sandbox.testing import SandboxServer
from airflow_provider_snovio.transfers import SnovioToObjectStorageOperator, SnovioToSqlOperator
from tests.operators.account_support import MemoryTaskStateStore, context

PERSON = {"first_name": "Gavin", "last_name": "Vanrooyen", "domain": "octagon.com"}
HOOK = {"event_object": "campaign_reply", "event_action": "received", "endpoint_url": "https://hooks.example.com/s"}
ELEVEN_POSITIONS = [f"Position {i}" for i in range(11)]

#: (case id, operator class, arguments, the field the error must name - a prefix for list items).
BAD_INPUTS: list[tuple[str, type, dict[str, Any], str]] = [
    # bad domains
    ("domain-with-space", SnovioDomainSearchOperator, {"domain": "octagon com"}, "domain"),
    ("domain-as-url", SnovioDomainSearchOperator, {"domain": "https://octagon.com/about"}, "domain"),
    ("domain-trailing-newline", SnovioDomainSearchOperator, {"domain": "octagon.com\n"}, "domain"),
    ("domain-as-email", SnovioDomainSearchOperator, {"domain": "gavin@octagon.com"}, "domain"),
    (
        "finder-bad-domain",
        SnovioEmailFinderOperator,
        {"people": [{**PERSON, "domain": "octagon_com"}]},
        "people[0].domain",
    ),
    # bad e-mails
    ("verify-email-without-tld", SnovioEmailVerificationOperator, {"emails": ["gavin@octagon"]}, "emails[0]"),
    (
        "verify-email-nul",
        SnovioEmailVerificationOperator,
        {"emails": ["ok@octagon.com", "a\x00b@octagon.com"]},
        "emails[1]",
    ),
    ("enrich-not-an-email", SnovioProfileEnrichmentOperator, {"emails": ["gavin.octagon.com"]}, "emails[0]"),
    (
        "recipient-bad-email",
        SnovioChangeRecipientStatusOperator,
        {"campaign_id": 237900, "emails": ["two@@octagon.com"], "status": "Paused"},
        "emails[0]",
    ),
    (
        "add-prospect-bad-email",
        SnovioAddProspectsToListOperator,
        {"list_id": 1, "prospects": [{"email": "no-at-sign"}]},
        "prospects[0].email",
    ),
    ("do-not-email-bad-item", SnovioDoNotEmailOperator, {"list_id": 52033, "items": ["not an item!"]}, "items[0]"),
    # unknown statuses, events, actions, tabs, versions
    (
        "unknown-recipient-status",
        SnovioChangeRecipientStatusOperator,
        {"campaign_id": 237900, "emails": ["a@octagon.com"], "status": "Stopped"},
        "status",
    ),
    ("unknown-webhook-object", SnovioWebhookOperator, {**HOOK, "event_object": "campaign_open"}, "event_object"),
    ("unknown-webhook-event", SnovioWebhookOperator, {**HOOK, "event_action": "exploded"}, "event_action"),
    ("event-of-another-object", SnovioWebhookOperator, {**HOOK, "event_action": "opened"}, "event_action"),
    ("unknown-webhook-action", SnovioWebhookOperator, {**HOOK, "action": "purge"}, "action"),
    ("unknown-search-tab", SnovioDomainSearchOperator, {"domain": "octagon.com", "include": ["people"]}, "include"),
    (
        "unknown-api-version",
        SnovioEmailVerificationOperator,
        {"emails": ["a@octagon.com"], "api_version": "v3"},
        "api_version",
    ),
    ("unknown-on-low", SnovioBalanceCheckOperator, {"min_balance": 10, "on_low": "explode"}, "on_low"),
    ("unknown-endpoint", SnovioApiOperator, {"endpoint": "get_everything"}, "endpoint"),
    # non-numeric ids
    (
        "campaign-id-path",
        SnovioChangeRecipientStatusOperator,
        {"campaign_id": "237900/../1", "emails": ["a@octagon.com"], "status": "Active"},
        "campaign_id",
    ),
    ("analytics-campaign-id", SnovioCampaignAnalyticsOperator, {"campaign_ids": [237900, "x1"]}, "campaign_ids[1]"),
    (
        "list-id-letters",
        SnovioAddProspectsToListOperator,
        {"list_id": "abc", "prospects": [{"email": "a@octagon.com"}]},
        "list_id",
    ),
    ("do-not-email-negative-list", SnovioDoNotEmailOperator, {"list_id": -1, "items": ["a@octagon.com"]}, "list_id"),
    (
        "sql-float-campaign-id",
        SnovioToSqlOperator,
        {"resource": "campaign_replies", "sql_conn_id": "warehouse", "campaign_ids": [1.5]},
        "campaign_ids[0]",
    ),
    (
        "storage-campaign-id",
        SnovioToObjectStorageOperator,
        {"resource": "campaign_opens", "path": "file:///tmp/x", "campaign_ids": ["237900 OR 1=1"]},
        "campaign_ids[0]",
    ),
    # path injection in hashes
    ("hash-dot-dot", SnovioProspectEmailsOperator, {"prospect_hashes": ["../../v1/get-balance"]}, "prospect_hashes[0]"),
    (
        "hash-encoded-slash",
        SnovioProspectEmailsOperator,
        {"prospect_hashes": ["deadbeef%2F..%2Fdeadbeef"]},
        "prospect_hashes[0]",
    ),
    (
        "hash-query",
        SnovioProspectEmailsOperator,
        {"prospect_hashes": ["deadbeefdeadbeef?page=2"]},
        "prospect_hashes[0]",
    ),
    (
        "api-task-hash-dot-dot",
        SnovioApiOperator,
        {"endpoint": "get_domain_search_result", "arguments": {"task_hash": "../domain-search/start"}},
        "task_hash",
    ),
    (
        "api-webhook-id-slash",
        SnovioApiOperator,
        {"endpoint": "delete_webhook", "arguments": {"webhook_id": "12/../../v1"}},
        "webhook_id",
    ),
    # too many positions, too large pages, empty lists
    (
        "too-many-positions",
        SnovioDomainSearchOperator,
        {"domain": "octagon.com", "include": ["prospects"], "positions": ELEVEN_POSITIONS},
        "positions",
    ),
    (
        "per-page-above-cap",
        SnovioApiOperator,
        {"endpoint": "get_list_prospects", "arguments": {"list_id": 1, "per_page": 5001}},
        "per_page",
    ),
    ("no-hashes", SnovioProspectEmailsOperator, {"prospect_hashes": []}, "prospect_hashes"),
    ("no-emails-to-verify", SnovioEmailVerificationOperator, {"emails": []}, "emails"),
    ("no-people", SnovioEmailFinderOperator, {"people": []}, "people"),
    ("no-prospects", SnovioAddProspectsToListOperator, {"list_id": 1, "prospects": []}, "prospects"),
    ("no-do-not-email-items", SnovioDoNotEmailOperator, {"list_id": 52033, "items": []}, "items"),
    ("nothing-to-enrich", SnovioProfileEnrichmentOperator, {"emails": [], "profile_urls": []}, "emails"),
    # wrong types
    ("hashes-as-one-string", SnovioProspectEmailsOperator, {"prospect_hashes": "deadbeefdeadbeef"}, "prospect_hashes"),
    ("email-as-number", SnovioEmailVerificationOperator, {"emails": [42]}, "emails[0]"),
    ("person-as-string", SnovioEmailFinderOperator, {"people": ["Gavin Vanrooyen"]}, "people[0]"),
    (
        "prospect-as-list",
        SnovioAddProspectsToListOperator,
        {"list_id": 1, "prospects": [["a@octagon.com"]]},
        "prospects[0]",
    ),
    ("arguments-as-list", SnovioApiOperator, {"endpoint": "get_balance", "arguments": ["x"]}, "arguments"),
    ("min-balance-text", SnovioBalanceCheckOperator, {"min_balance": "lots"}, "min_balance"),
    ("max-pages-zero", SnovioDomainSearchOperator, {"domain": "octagon.com", "max_pages": 0}, "max_pages"),
    (
        "poll-interval-negative",
        SnovioProfileEnrichmentOperator,
        {"emails": ["a@octagon.com"], "poll_interval": -1},
        "poll_interval",
    ),
    (
        "empty-first-name",
        SnovioEmailFinderOperator,
        {"people": [{**PERSON, "first_name": " "}]},
        "people[0].first_name",
    ),
    ("list-name-nul", SnovioCreateListOperator, {"name": "Leads\x00 2025"}, "name"),
    (
        "custom-field-key",
        SnovioAddProspectsToListOperator,
        {"list_id": 1, "prospects": [{"email": "a@octagon.com", "custom_fields": {"a]b[c": "x"}}]},
        "prospects[0].custom_fields",
    ),
    (
        "profile-url-scheme",
        SnovioProfileEnrichmentOperator,
        {"profile_urls": ["javascript:alert(1)"]},
        "profile_urls[0]",
    ),
    (
        "webhook-url-scheme",
        SnovioWebhookOperator,
        {**HOOK, "endpoint_url": "ftp://hooks.example.com/s"},
        "endpoint_url",
    ),
    (
        "analytics-bad-date",
        SnovioCampaignAnalyticsOperator,
        {"date_from": "2025-02-30", "date_to": "2025-03-01"},
        "date_from",
    ),
    # table names that are not identifiers, and other transfer inputs
    (
        "table-with-quote",
        SnovioToSqlOperator,
        {"resource": "campaigns", "sql_conn_id": "warehouse", "table": 'replies"; --'},
        "table",
    ),
    (
        "table-with-newline",
        SnovioToSqlOperator,
        {"resource": "campaigns", "sql_conn_id": "warehouse", "table": "replies\n"},
        "table",
    ),
    (
        "table-with-dot",
        SnovioToSqlOperator,
        {"resource": "campaigns", "sql_conn_id": "warehouse", "table": "other_db.replies"},
        "table",
    ),
    (
        "overlap-zero",
        SnovioToSqlOperator,
        {"resource": "campaign_replies", "sql_conn_id": "warehouse", "overlap": 0},
        "overlap",
    ),
    (
        "storage-unknown-resource",
        SnovioToObjectStorageOperator,
        {"resource": "replies", "path": "file:///tmp/x"},
        "resource",
    ),
    # 2026 campaigns v2 and warm-up (issue 17 item 4, first part)
    ("campaign-body-not-json", SnovioCampaignOperator, {"body": "{title: x}"}, "body"),
    ("campaign-title-nul", SnovioCampaignOperator, {"campaign_id": 7, "body": {"title": "Q3\x00"}}, "body.title"),
    ("campaign-state-unknown-action", SnovioCampaignStateOperator, {"campaign_id": 7, "action": "stop"}, "action"),
    (
        "recipient-email-too-long",
        SnovioRecipientStatusOperator,
        {"campaign_id": 7, "emails": ["a" * 95 + "@example.com"]},
        "emails[0]",
    ),
    (
        "warm-up-per-day-over-1000",
        SnovioWarmUpOperator,
        {"email_account_id": 21, "settings": {"per_day": 1001}},
        "settings.per_day",
    ),
    # 2026 enrichment v2 and database search (#42-#51)
    ("company-name-blank", SnovioCompanyDomainOperator, {"names": ["Octagon", "  "]}, "names[1]"),
    ("profile-url-not-linkedin", SnovioLinkedInProfilesOperator, {"urls": ["https://example.com/in/x"]}, "urls[0]"),
    (
        "database-unknown-department",
        SnovioDatabaseSearchOperator,
        {"filters": {"prospect": {"departments": {"include": ["plumbing"]}}}},
        "filters.prospect.departments",
    ),
    (
        "reveal-hash-dot-dot",
        SnovioDatabaseProspectEmailsOperator,
        {"reveal_hashes": ["../v1/get-balance"]},
        "reveal_hashes[0]",
    ),
]


def test_the_table_covers_at_least_thirty_inputs_and_every_operator() -> None:
    assert len(BAD_INPUTS) >= 30
    assert len({case for case, *_ in BAD_INPUTS}) == len(BAD_INPUTS)
    covered = {cls for _, cls, _, _ in BAD_INPUTS}
    from airflow_provider_snovio import operators

    public = {getattr(operators, name) for name in operators._EXPORTS if name != "SnovioBaseOperator"}
    assert public | {SnovioToSqlOperator, SnovioToObjectStorageOperator} == covered


@pytest.mark.parametrize(
    ("operator", "arguments", "field"), [row[1:] for row in BAD_INPUTS], ids=[row[0] for row in BAD_INPUTS]
)
def test_bad_input_is_refused_naming_the_field_before_any_request(
    operator: type, arguments: dict[str, Any], field: str, snovio_conn_env: SandboxServer
) -> None:
    before = snovio_conn_env.stats()
    with pytest.raises(SnovioValidationError) as refused:
        built = operator(task_id="bad_input", **arguments)
        built.execute(context(MemoryTaskStateStore()))
    error = refused.value
    assert error.field.startswith(field), (error.field, str(error))
    assert field in str(error)  # the message a user reads names it too
    after = snovio_conn_env.stats()
    assert after["total_requests"] == before["total_requests"] == 0, after["requests"]
    assert after["tokens_issued"] == before["tokens_issued"]
    assert after["credits_spent"] == before["credits_spent"] == 0

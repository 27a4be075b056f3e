"""Every catalogue row, called through the public client method, sends the request docs/api-reference.md gives."""

from __future__ import annotations

import datetime as dt
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from airflow_provider_snovio.api import catalogue
from airflow_provider_snovio.api.catalogue import TOKEN_PATH
from airflow_provider_snovio.api.client import SnovioClient
from airflow_provider_snovio.api.methods import SnovioMethods
from airflow_provider_snovio.api.validation import CLEAR
from airflow_provider_snovio.hooks.snovio import SnovioHook
from tests.unit.conftest import BASE_URL, CLIENT_ID, CLIENT_SECRET, TOKEN_PREFIX, Harness, pairs_dict

TASK = "3a1f9c0e7b2d4e6f8a9b0c1d2e3f4a5b"
PROSPECT_HASH = "d2a9c4b1e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3"

Pairs = list[tuple[str, str]]


@dataclass
class Case:
    invoke: Callable[[SnovioClient], Any]
    method: str
    path: str
    query: Pairs = field(default_factory=list)
    form: Pairs = field(default_factory=list)
    json: Any = None


CASES: dict[str, Case] = {
    # 1a. Domain search (v2)
    "start_domain_search": Case(
        lambda c: c.start_domain_search("Octagon.com"),
        "POST",
        "/v2/domain-search/start",
        form=[("domain", "octagon.com")],
    ),
    "get_domain_search_result": Case(
        lambda c: c.get_domain_search_result(TASK), "GET", f"/v2/domain-search/result/{TASK}"
    ),
    "start_prospects_search": Case(
        lambda c: c.start_prospects_search("octagon.com", positions=["CEO", "Software Developer"], page=2),
        "POST",
        "/v2/domain-search/prospects/start",
        form=[("domain", "octagon.com"), ("positions[]", "CEO"), ("positions[]", "Software Developer"), ("page", "2")],
    ),
    "get_prospects_result": Case(
        lambda c: c.get_prospects_result(TASK), "GET", f"/v2/domain-search/prospects/result/{TASK}"
    ),
    "start_prospect_email_search": Case(
        lambda c: c.start_prospect_email_search(PROSPECT_HASH),
        "POST",
        f"/v2/domain-search/prospects/search-emails/start/{PROSPECT_HASH}",
    ),
    "get_prospect_email_search_result": Case(
        lambda c: c.get_prospect_email_search_result(TASK),
        "GET",
        f"/v2/domain-search/prospects/search-emails/result/{TASK}",
    ),
    "start_domain_emails_search": Case(
        lambda c: c.start_domain_emails_search("octagon.com", next_cursor="eyJpZCI6NTB9"),
        "POST",
        "/v2/domain-search/domain-emails/start",
        form=[("domain", "octagon.com"), ("next", "eyJpZCI6NTB9")],
    ),
    "get_domain_emails_result": Case(
        lambda c: c.get_domain_emails_result(TASK), "GET", f"/v2/domain-search/domain-emails/result/{TASK}"
    ),
    "start_generic_contacts_search": Case(
        lambda c: c.start_generic_contacts_search("octagon.com"),
        "POST",
        "/v2/domain-search/generic-contacts/start",
        form=[("domain", "octagon.com")],
    ),
    "get_generic_contacts_result": Case(
        lambda c: c.get_generic_contacts_result(TASK), "GET", f"/v2/domain-search/generic-contacts/result/{TASK}"
    ),
    # 1b. Finder and enrichment (v1)
    "get_domain_emails_count": Case(
        lambda c: c.get_domain_emails_count("octagon.com"),
        "POST",
        "/v1/get-domain-emails-count",
        form=[("domain", "octagon.com")],
    ),
    "get_emails_from_names": Case(
        lambda c: c.get_emails_from_names("Gavin", "Vanrooyen", "octagon.com"),
        "POST",
        "/v1/get-emails-from-names",
        form=[("firstName", "Gavin"), ("lastName", "Vanrooyen"), ("domain", "octagon.com")],
    ),
    "add_names_to_find_emails": Case(
        lambda c: c.add_names_to_find_emails("Gavin", "Vanrooyen", "octagon.com"),
        "POST",
        "/v1/add-names-to-find-emails",
        form=[("firstName", "Gavin"), ("lastName", "Vanrooyen"), ("domain", "octagon.com")],
    ),
    "add_url_for_search": Case(
        lambda c: c.add_url_for_search("https://www.linkedin.com/in/john-doe/"),
        "POST",
        "/v1/add-url-for-search",
        form=[("url", "https://www.linkedin.com/in/john-doe/")],
    ),
    "get_emails_from_url": Case(
        lambda c: c.get_emails_from_url("https://www.linkedin.com/in/john-doe/"),
        "POST",
        "/v1/get-emails-from-url",
        form=[("url", "https://www.linkedin.com/in/john-doe/")],
    ),
    "get_profile_by_email": Case(
        lambda c: c.get_profile_by_email("gavin.vanrooyen@octagon.com"),
        "POST",
        "/v1/get-profile-by-email",
        form=[("email", "gavin.vanrooyen@octagon.com")],
    ),
    # 1c. Email verifier
    "get_emails_verification_status": Case(
        lambda c: c.get_emails_verification_status(["gavin@octagon.com", "lizi@octagon.com"]),
        "POST",
        "/v1/get-emails-verification-status",
        query=[("emails[]", "gavin@octagon.com"), ("emails[]", "lizi@octagon.com")],
    ),
    "add_emails_to_verification": Case(
        lambda c: c.add_emails_to_verification(["gavin@octagon.com", "lizi@octagon.com"]),
        "POST",
        "/v1/add-emails-to-verification",
        query=[("emails[]", "gavin@octagon.com"), ("emails[]", "lizi@octagon.com")],
    ),
    "start_email_verification": Case(
        lambda c: c.start_email_verification(["gavin@octagon.com", "lizi@octagon.com"]),
        "POST",
        "/v2/email-verification/start",
        form=[("emails[]", "gavin@octagon.com"), ("emails[]", "lizi@octagon.com")],
    ),
    "get_email_verification_result": Case(
        lambda c: c.get_email_verification_result(TASK),
        "GET",
        "/v2/email-verification/result",
        query=[("task_hash", TASK)],
    ),
    "start_emails_by_name": Case(
        lambda c: c.start_emails_by_name([{"first_name": "Gavin", "last_name": "Vanrooyen", "domain": "Octagon.com"}]),
        "POST",
        "/v2/emails-by-domain-by-name/start",
        json={"rows": [{"first_name": "Gavin", "last_name": "Vanrooyen", "domain": "octagon.com"}]},
    ),
    "get_emails_by_name_result": Case(
        lambda c: c.get_emails_by_name_result(TASK),
        "GET",
        "/v2/emails-by-domain-by-name/result",
        query=[("task_hash", TASK)],
    ),
    # 1d. Campaigns
    "get_campaign_analytics": Case(
        lambda c: c.get_campaign_analytics(
            campaign_ids=[1, 2],
            date_from=dt.date(2024, 6, 15),
            date_to="2024-09-15",
            sender_emails=[21, 22],
            sender_linkedin=[31, 32, 33],
            campaign_owners=["owner1@email.loc", "owner2@email.loc"],
        ),
        "GET",
        "/v2/statistics/campaign-analytics",
        query=[
            ("campaign_id", "1,2"),
            ("date_from", "2024-06-15"),
            ("date_to", "2024-09-15"),
            ("sender_email", "21,22"),
            ("sender_linkedin", "31,32,33"),
            ("campaign_owner", "owner1@email.loc,owner2@email.loc"),
        ],
    ),
    "get_campaign_progress": Case(lambda c: c.get_campaign_progress(1234567), "GET", "/v2/campaigns/1234567/progress"),
    "change_recipient_status": Case(
        lambda c: c.change_recipient_status(1234567, "john@octagon.com", "paused"),
        "POST",
        "/v1/change-recipient-status",
        form=[("campaign_id", "1234567"), ("email", "john@octagon.com"), ("status", "Paused")],
    ),
    "get_finished_prospects": Case(
        lambda c: c.get_finished_prospects("1234567"), "GET", "/v1/prospect-finished", query=[("campaignId", "1234567")]
    ),
    "get_campaign_replies": Case(
        lambda c: c.get_campaign_replies(1234567, offset=0),
        "GET",
        "/v1/get-emails-replies",
        query=[("campaignId", "1234567"), ("offset", "0")],
    ),
    "get_campaign_opens": Case(
        lambda c: c.get_campaign_opens(1234567, offset=10000),
        "GET",
        "/v1/get-emails-opened",
        query=[("campaignId", "1234567"), ("offset", "10000")],
    ),
    "get_campaign_clicks": Case(
        lambda c: c.get_campaign_clicks(1234567), "GET", "/v1/get-emails-clicked", query=[("campaignId", "1234567")]
    ),
    "get_emails_sent": Case(
        lambda c: c.get_emails_sent(1234567, offset=20000),
        "GET",
        "/v1/emails-sent",
        query=[("campaignId", "1234567"), ("offset", "20000")],
    ),
    "get_user_campaigns": Case(lambda c: c.get_user_campaigns(), "GET", "/v1/get-user-campaigns"),
    "add_to_do_not_email_list": Case(
        lambda c: c.add_to_do_not_email_list(998877, ["spam@octagon.com", "competitor.com"]),
        "POST",
        "/v1/do-not-email-list",
        form=[("listId", "998877"), ("items[]", "spam@octagon.com"), ("items[]", "competitor.com")],
    ),
    # 1e. Prospects and lists
    "add_prospect_to_list": Case(
        lambda c: c.add_prospect_to_list(
            1234567,
            "john.doe@octagon.com",
            full_name="John Doe",
            first_name="John",
            last_name="Doe",
            phones=["+18882073333", "+18882074444"],
            country="United States",
            locality="Woodland Hills",
            position="Vice President",
            company_name="Octagon",
            company_site="https://octagon.com",
            update_contact=True,
            custom_fields={"Special Occasion": "Birthday", "tier": 2},
            social_links={"linkedIn": "https://www.linkedin.com/in/john-doe/"},
        ),
        "POST",
        "/v1/add-prospect-to-list",
        form=[
            ("listId", "1234567"),
            ("email", "john.doe@octagon.com"),
            ("fullName", "John Doe"),
            ("firstName", "John"),
            ("lastName", "Doe"),
            ("phones[]", "+18882073333"),
            ("phones[]", "+18882074444"),
            ("country", "United States"),
            ("locality", "Woodland Hills"),
            ("position", "Vice President"),
            ("companyName", "Octagon"),
            ("companySite", "https://octagon.com"),
            ("updateContact", "1"),
            ("customFields[Special Occasion]", "Birthday"),
            ("customFields[tier]", "2"),
            ("socialLinks[linkedIn]", "https://www.linkedin.com/in/john-doe/"),
        ],
    ),
    "get_prospect_by_id": Case(
        lambda c: c.get_prospect_by_id("xusD3-T_K5IktGoaa8Jc8A=="),
        "POST",
        "/v1/get-prospect-by-id",
        form=[("id", "xusD3-T_K5IktGoaa8Jc8A==")],
    ),
    "get_prospects_by_email": Case(
        lambda c: c.get_prospects_by_email("john.doe@octagon.com"),
        "POST",
        "/v1/get-prospects-by-email",
        form=[("email", "john.doe@octagon.com")],
    ),
    "get_prospect_custom_fields": Case(lambda c: c.get_prospect_custom_fields(), "GET", "/v1/prospect-custom-fields"),
    "get_user_lists": Case(lambda c: c.get_user_lists(), "GET", "/v1/get-user-lists"),
    "get_list_prospects": Case(
        lambda c: c.get_list_prospects(1234567, page=3, per_page=100),
        "POST",
        "/v1/prospect-list",
        form=[("listId", "1234567"), ("page", "3"), ("perPage", "100")],
    ),
    "create_prospect_list": Case(
        lambda c: c.create_prospect_list("Q3 leads"), "POST", "/v1/lists", form=[("name", "Q3 leads")]
    ),
    "get_balance": Case(lambda c: c.get_balance(), "GET", "/v1/get-balance"),
    # 1f. Webhooks (v2, JSON)
    "list_webhooks": Case(lambda c: c.list_webhooks(), "GET", "/v2/webhooks"),
    "add_webhook": Case(
        lambda c: c.add_webhook("Campaign_Email", "Sent", "https://hooks.example.com/snovio"),
        "POST",
        "/v2/webhooks",
        json={
            "event_object": "campaign_email",
            "event_action": "sent",
            "endpoint_url": "https://hooks.example.com/snovio",
        },
    ),
    "change_webhook_status": Case(
        lambda c: c.change_webhook_status(42, "Deactivated"), "PUT", "/v2/webhooks/42", json={"status": "deactivated"}
    ),
    "delete_webhook": Case(lambda c: c.delete_webhook("42"), "DELETE", "/v2/webhooks/42"),
    # 1g. Legacy
    "get_domain_emails_with_info": Case(
        lambda c: c.get_domain_emails_with_info(
            "octagon.com", type="personal", limit=50, last_id=7, positions=["CEO", "CTO"]
        ),
        "GET",
        "/v2/domain-emails-with-info",
        query=[
            ("domain", "octagon.com"),
            ("type", "personal"),
            ("limit", "50"),
            ("lastId", "7"),
            ("positions[]", "CEO"),
            ("positions[]", "CTO"),
        ],
    ),
    # 2026 §1a. Enrichment (v2; task_hash in the query; names[]/urls[] in the query string as the samples send)
    "start_company_domain_by_name": Case(
        lambda c: c.start_company_domain_by_name(
            ["Octagon", "Snov.io", "Octagon"], webhook_url="https://hooks.example.com/x"
        ),
        "POST",
        "/v2/company-domain-by-name/start",
        query=[("names[]", "Octagon"), ("names[]", "Snov.io"), ("webhook_url", "https://hooks.example.com/x")],
    ),
    "get_company_domain_by_name_result": Case(
        lambda c: c.get_company_domain_by_name_result(TASK),
        "GET",
        "/v2/company-domain-by-name/result",
        query=[("task_hash", TASK)],
    ),
    "start_li_profiles_by_urls": Case(
        lambda c: c.start_li_profiles_by_urls(["https://www.linkedin.com/in/gavin-vanrooyen/"]),
        "POST",
        "/v2/li-profiles-by-urls/start",
        query=[("urls[]", "https://www.linkedin.com/in/gavin-vanrooyen/")],
    ),
    "get_li_profiles_by_urls_result": Case(
        lambda c: c.get_li_profiles_by_urls_result(TASK),
        "GET",
        "/v2/li-profiles-by-urls/result",
        query=[("task_hash", TASK)],
    ),
    # 2026 §1b. Database search (v2; JSON bodies; task_hash in the path)
    "start_database_prospects_search": Case(
        lambda c: c.start_database_prospects_search(
            {
                "prospect": {"job_titles": {"include": ["CEO"]}, "management_levels": {"exclude": ["STAFF"]}},
                "company": {"locations": {"include": [{"locality": "Kyiv", "location_type": "City"}]}},
            },
            page=2,
        ),
        "POST",
        "/v2/database-search/prospects/start",
        json={
            "filters": {
                "prospect": {"job_titles": {"include": ["CEO"]}, "management_levels": {"exclude": ["staff"]}},
                "company": {"locations": {"include": [{"locality": "Kyiv", "location_type": "city"}]}},
            },
            "page": 2,
        },
    ),
    "get_database_prospects_result": Case(
        lambda c: c.get_database_prospects_result(TASK), "GET", f"/v2/database-search/prospects/result/{TASK}"
    ),
    "start_database_prospect_email_search": Case(
        lambda c: c.start_database_prospect_email_search(PROSPECT_HASH),
        "POST",
        f"/v2/database-search/prospects/search-emails/start/{PROSPECT_HASH}",
    ),
    "get_database_prospect_email_result": Case(
        lambda c: c.get_database_prospect_email_result(TASK),
        "GET",
        f"/v2/database-search/prospects/search-emails/result/{TASK}",
    ),
    "start_database_companies_search": Case(
        lambda c: c.start_database_companies_search(
            {"company": {"size": {"include": ["self", "10001+"]}, "revenue": {"min": "0", "max": 1_000_000_000_000}}},
            webhook_url="https://hooks.example.com/db",
        ),
        "POST",
        "/v2/database-search/companies/start",
        json={
            "filters": {
                "company": {"size": {"include": ["Self", "10001+"]}, "revenue": {"min": 0, "max": 1_000_000_000_000}}
            },
            "page": 1,
            "webhook_url": "https://hooks.example.com/db",
        },
    ),
    "get_database_companies_result": Case(
        lambda c: c.get_database_companies_result(TASK), "GET", f"/v2/database-search/companies/result/{TASK}"
    ),
    # 2026 §1c. Sender accounts (v2, JSON; PATCH)
    "list_email_accounts": Case(lambda c: c.list_email_accounts(), "GET", "/v2/sender-accounts/emails"),
    "create_email_account": Case(
        lambda c: c.create_email_account(
            " Sales ",
            "Sales@Example.com",
            "pw",
            {"host": "smtp.example.com", "port": "465", "encryption": "SSL"},
            timezoneId=36,
            delay_type="Fixed",
            delay_fixed=60,
        ),
        "POST",
        "/v2/sender-accounts/emails",
        json={
            "sender_name": "Sales",
            "email_from": "Sales@example.com",
            "password": "pw",
            "smtp": {"host": "smtp.example.com", "port": 465, "encryption": "ssl"},
            "delay_type": "fixed",
            "delay_fixed": 60,
            "timezoneId": 36,
        },
    ),
    "update_email_account": Case(
        lambda c: c.update_email_account(21, tags=[], reply_to=CLEAR, limitation="80"),
        "PATCH",
        "/v2/sender-accounts/emails/21",
        json={"reply_to": None, "limitation": 80, "tags": []},
    ),
    "get_sender_status": Case(
        lambda c: c.get_sender_status(21),
        "GET",
        "/v2/sender-accounts/check-sender-status",
        query=[("sender_account_id", "21")],
    ),
    # 2026 §1d. Warm-up (v2, JSON; PATCH)
    "create_warm_up": Case(
        lambda c: c.create_warm_up(21, 40, from_=2, increase=3, providers=["Gmail", "gmail"], enable_ctd=True),
        "POST",
        "/v2/warm-up",
        json={
            "email_account_id": 21,
            "per_day": 40,
            "from": 2,
            "increase": 3,
            "providers": ["gmail"],
            "enable_ctd": True,
        },
    ),
    "list_warm_ups": Case(
        lambda c: c.list_warm_ups(page=2, per_page=50, status="Active"),
        "GET",
        "/v2/warm-up",
        query=[("page", "2"), ("per_page", "50"), ("status", "active")],
    ),
    "get_warm_up": Case(lambda c: c.get_warm_up(301), "GET", "/v2/warm-up/301"),
    "update_warm_up": Case(
        lambda c: c.update_warm_up(301, status="Paused", make_endless=True),
        "PATCH",
        "/v2/warm-up/301",
        json={"status": "paused", "make_endless": True},
    ),
    "delete_warm_up": Case(lambda c: c.delete_warm_up("301"), "DELETE", "/v2/warm-up/301"),
    "get_warm_up_statistics": Case(
        lambda c: c.get_warm_up_statistics(301, date_from=dt.date(2026, 1, 1), date_to="2026-01-31"),
        "GET",
        "/v2/warm-up/statistics/301",
        query=[("date_from", "2026-01-01"), ("date_to", "2026-01-31")],
    ),
    # 2026 §1e. Campaigns v2 (#62-#67, JSON; PATCH)
    "create_campaign": Case(
        lambda c: c.create_campaign(
            {
                "title": " Q3 ",
                "priority": "High",
                "email_accounts": [21, "22", 21],
                "tracking": {"open": True, "link_click": False},
                "sending_settings": {"sending_priority": "Follow_Up", "daily_sending_all": None},
                "provider_matching": True,
                "recipients": {"list_id": "7", "black_list_id": None},
                "start_campaign_at": dt.datetime(2030, 1, 2, 9, 30),
                "complete_campaign_after_last_step": False,
                "archive_in_months": "6",
                "deals": {"event": ["Reply"], "pipeline_id": 4101, "stage_id": 51001, "currency": "eur"},
                "sequence": {
                    "entry": "a",
                    "steps": [
                        {"_ref": "a", "type": "Email", "content_slots": 15, "next": "w"},
                        {"_ref": "w", "type": "delay", "waiting_type": "Days", "waiting_val": "30"},
                    ],
                },
            }
        ),
        "POST",
        "/v2/campaigns/create",
        json={
            "title": "Q3",
            "priority": "high",
            "email_accounts": [21, 22],
            "tracking": {"open": True, "link_click": False},
            "sending_settings": {"sending_priority": "follow_up", "daily_sending_all": None},
            "provider_matching": True,
            "recipients": {"list_id": 7},
            "start_campaign_at": "2030-01-02 09:30:00",
            "complete_campaign_after_last_step": False,
            "archive_in_months": 6,
            "deals": {"event": ["reply"], "pipeline_id": 4101, "stage_id": 51001, "currency": "EUR"},
            "sequence": {
                "entry": "a",
                "steps": [
                    {"_ref": "a", "type": "email", "content_slots": 15, "next": "w"},
                    {"_ref": "w", "type": "delay", "waiting_type": "days", "waiting_val": 30},
                ],
            },
        },
    ),
    "get_campaign": Case(lambda c: c.get_campaign("1234567"), "GET", "/v2/campaigns/1234567"),
    "update_campaign": Case(
        lambda c: c.update_campaign(1234567, tracking={"open": False}, deals=CLEAR, title="Renamed"),
        "PATCH",
        "/v2/campaigns/1234567",
        json={"title": "Renamed", "tracking": {"open": False}, "deals": None},
    ),
    "delete_campaign": Case(lambda c: c.delete_campaign(1234567), "DELETE", "/v2/campaigns/1234567"),
    "change_campaign_state": Case(
        lambda c: c.change_campaign_state(1234567, "Archive"),
        "POST",
        "/v2/campaigns/1234567/action",
        json={"action": "archived"},
    ),
    "list_campaign_schedules": Case(lambda c: c.list_campaign_schedules(), "GET", "/v2/campaigns/schedules"),
    # 2026 §1f. Email step content (#68-#71, JSON; PATCH)
    "create_email_step_content": Case(
        lambda c: c.create_email_step_content(1234567, 1773996379996, "17739963799960", " Hi ", "<p>B</p>"),
        "POST",
        "/v2/campaigns/1234567/steps/1773996379996/content/create",
        json={
            "content_id": 17739963799960,
            "subject": "Hi",
            "body": "<p>B</p>",
            "plain_text": False,
            "usage": "active",
        },
    ),
    "get_email_step_content": Case(
        lambda c: c.get_email_step_content(1234567, 1773996379996, 17739963799960),
        "GET",
        "/v2/campaigns/1234567/steps/1773996379996/content/17739963799960",
    ),
    "update_email_step_content": Case(
        lambda c: c.update_email_step_content(1234567, 1773996379996, 1, usage="Pause", plain_text=True),
        "PATCH",
        "/v2/campaigns/1234567/steps/1773996379996/content/1",
        json={"plain_text": True, "usage": "pause"},
    ),
    "delete_email_step_content": Case(
        lambda c: c.delete_email_step_content(1234567, 1773996379996, 1),
        "DELETE",
        "/v2/campaigns/1234567/steps/1773996379996/content/1",
    ),
    # 2026 §1g. Recipients, replies, do-not-email lists (#72-#75)
    "get_campaign_recipients_activity": Case(
        lambda c: c.get_campaign_recipients_activity(
            1234567, dt.date(2025, 12, 1), "2026-01-01", offset=2000, limit=1000
        ),
        "GET",
        "/v2/campaigns/1234567/recipients-activity",
        query=[("dateFrom", "2025-12-01"), ("dateTo", "2026-01-01"), ("offset", "2000"), ("limit", "1000")],
    ),
    "get_campaign_all_replies": Case(
        lambda c: c.get_campaign_all_replies("1234567", offset=40),
        "GET",
        "/v2/campaigns/1234567/all-replies",
        query=[("offset", "40")],
    ),
    "get_recipients_status": Case(
        lambda c: c.get_recipients_status(1234567, ["John.Doe@Octagon.com", "jane@octagon.com"]),
        "GET",
        "/v2/campaigns/1234567/recipient",
        query=[("emails[]", "john.doe@octagon.com"), ("emails[]", "jane@octagon.com")],
    ),
    "list_do_not_email_lists": Case(lambda c: c.list_do_not_email_lists(), "GET", "/v2/blacklists"),
    # 2026 §1h. CRM (#76-#77)
    "list_pipelines": Case(lambda c: c.list_pipelines(), "GET", "/v2/pipelines"),
    "list_pipeline_stages": Case(lambda c: c.list_pipeline_stages(77), "GET", "/v2/pipelines/77/stages"),
}


def test_the_table_covers_exactly_the_catalogue() -> None:
    assert set(CASES) == set(catalogue.BY_NAME)


@pytest.mark.parametrize("name", sorted(CASES))
def test_request_matches_the_catalogue_row(name: str, harness: Harness) -> None:
    case = CASES[name]
    row = catalogue.BY_NAME[name]
    case.invoke(harness.client)

    calls = harness.session.api_calls
    assert len(calls) == 1, calls
    call = calls[0]
    assert call.method == case.method == row.method
    assert call.url == BASE_URL + case.path  # nothing but the path in the URL: parameters travel apart
    assert "?" not in call.url and "{" not in call.url

    assert pairs_dict(call.params or []) == pairs_dict(case.query)
    assert pairs_dict(call.form) == pairs_dict(case.form)
    assert call.json == case.json
    if case.json is not None:
        assert not call.form, "a JSON endpoint must not also send a form body"
    if case.method == "GET":
        assert call.data is None and call.json is None, "GET parameters belong in the query string"

    token = harness.tokens.get(harness.client.config.token_key, lambda: ("unused", 1))
    assert token.startswith(TOKEN_PREFIX)
    assert call.headers.get("Authorization") == f"Bearer {token}"
    for value in call.values():
        assert token not in value, f"token leaked into {value!r}"
        assert CLIENT_SECRET not in value
    assert harness.limiter.acquires == 2  # the token request and the call both wait for the limiter


@pytest.mark.parametrize("name", ["get_balance", "start_domain_search", "add_webhook", "delete_webhook"])
def test_bearer_header_on_every_call_and_token_fetched_once(name: str, harness: Harness) -> None:
    for _ in range(3):
        CASES[name].invoke(harness.client)
    calls = harness.session.api_calls
    assert len(calls) == 3
    assert len(harness.session.token_calls) == 1
    assert {c.headers["Authorization"] for c in calls} == {f"Bearer {TOKEN_PREFIX}0001"}


def test_token_request_is_a_form_post_without_secrets_in_the_url(harness: Harness) -> None:
    harness.client.get_balance()
    (token_call,) = harness.session.token_calls
    assert token_call.method == "POST"
    assert token_call.url == BASE_URL + TOKEN_PATH
    assert dict(token_call.form) == {
        "grant_type": "client_credentials",
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
    }
    assert CLIENT_SECRET not in token_call.url
    assert not token_call.params
    assert "Authorization" not in token_call.headers


def test_camel_case_wire_names_are_accepted_as_keywords(harness: Harness) -> None:
    harness.client.add_prospect_to_list(
        5, "a@octagon.com", firstName="Ann", companyName="Octagon", customFields={"tier": "gold"}
    )
    form = pairs_dict(harness.session.api_calls[0].form)
    assert form == {
        "listId": ["5"],
        "email": ["a@octagon.com"],
        "firstName": ["Ann"],
        "companyName": ["Octagon"],
        "customFields[tier]": ["gold"],
    }


def test_generator_arguments_are_materialised_once(harness: Harness) -> None:
    harness.client.add_to_do_not_email_list(7, (e for e in ["a@octagon.com", "b@octagon.com"]))
    assert pairs_dict(harness.session.api_calls[0].form)["items[]"] == ["a@octagon.com", "b@octagon.com"]


def test_a_lone_string_counts_as_a_one_item_list(harness: Harness) -> None:
    harness.client.get_emails_verification_status("gavin@octagon.com")
    assert harness.session.api_calls[0].params == [("emails[]", "gavin@octagon.com")]


def test_post_without_parameters_sends_an_empty_form_body(harness: Harness) -> None:
    harness.client.start_prospect_email_search(PROSPECT_HASH)
    call = harness.session.api_calls[0]
    assert call.data == [] and call.json is None and call.params is None


def test_request_timeout_is_connect_and_read(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(timeout=25.0)
    h.client.get_balance()
    assert h.session.api_calls[0].timeout == (10.0, 25.0)


# Method surface -------------------------------------------------------------------------------------------


def _signature_names(func: Callable[..., Any]) -> tuple[list[str], bool]:
    params = list(inspect.signature(func).parameters.values())[1:]  # drop self
    named = [p.name for p in params if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    return named, any(p.kind is p.VAR_KEYWORD for p in params)


#: Methods that take a whole JSON body as one mapping, as the docs name them (#62 ``create_campaign(body)``):
#: the body's keys are the row's parameters.
BODY_METHODS = {"create_campaign": "body"}


@pytest.mark.parametrize("name", sorted(catalogue.BY_NAME))
def test_every_row_has_a_method_named_like_the_docs_with_the_rows_parameters(name: str) -> None:
    row = catalogue.BY_NAME[name]
    method = getattr(SnovioMethods, name, None)
    assert callable(method), f"SnovioMethods has no {name}()"
    assert method.__doc__, f"{name}() has no docstring"
    named, has_kwargs = _signature_names(method)
    row_names = [p.name for p in row.params]
    if name in BODY_METHODS:
        assert named == [BODY_METHODS[name]] and not has_kwargs
    elif has_kwargs:  # add_prospect_to_list(list_id, email, **fields)
        assert set(named) <= set(row_names)
        assert {p.name for p in row.params if p.required} <= set(named)
    else:
        assert set(named) == set(row_names), f"{name}{named} vs catalogue {row_names}"
    assert getattr(SnovioHook, name) is method, "the hook must expose the same method"


class _Recorder(SnovioMethods):
    def __init__(self) -> None:
        self.calls: list[tuple[catalogue.Endpoint | str, dict[str, Any]]] = []

    def call(self, endpoint: catalogue.Endpoint | str, /, **arguments: Any) -> Any:
        self.calls.append((endpoint, arguments))
        return {"ok": True}


@pytest.mark.parametrize("name", sorted(catalogue.BY_NAME))
def test_each_method_calls_its_own_row_with_every_argument(name: str) -> None:
    recorder = _Recorder()
    named, _ = _signature_names(getattr(SnovioMethods, name))
    sentinels = {arg: [f"<{arg}>"] for arg in named}
    if name in BODY_METHODS:  # the body's keys are the arguments
        named = [p.name for p in catalogue.BY_NAME[name].params]
        body = {arg: [f"<{arg}>"] for arg in named}
        sentinels = {BODY_METHODS[name]: body}  # type: ignore[dict-item]
        assert getattr(recorder, name)(**sentinels) == {"ok": True}
        ((called, arguments),) = recorder.calls
        assert called is getattr(catalogue.ENDPOINTS, name) and arguments == body
        return
    assert getattr(recorder, name)(**sentinels) == {"ok": True}
    ((called, arguments),) = recorder.calls
    assert called is getattr(catalogue.ENDPOINTS, name), "each method hands its own row, not a name, to call()"
    assert set(arguments) == set(named)
    for arg in named:
        assert arguments[arg] == sentinels[arg], f"{name} altered {arg}"


# Rows checked against the corrected docs (issue 6, items 2, 5 and 14) -----------------------------------------


def test_legacy_domain_search_row_matches_the_docs() -> None:
    row = catalogue.endpoint("get_domain_emails_with_info")
    assert row.credits == "1 per 10 emails returned (up to 100 a request); none when nothing is found"
    assert row.spends_credits
    assert row.params_by_name["last_id"].required, "the docs call lastId required: send 0 first"
    assert row.page_size == catalogue.LEGACY_LIMIT_MAX == 100
    assert inspect.signature(SnovioMethods.get_domain_emails_with_info).parameters["last_id"].default == 0


def test_legacy_domain_search_sends_last_id_zero_by_default(harness: Harness) -> None:
    harness.client.get_domain_emails_with_info("octagon.com")
    assert ("lastId", "0") in (harness.session.api_calls[0].params or [])


def test_analytics_without_dates_sends_all_time_as_an_explicit_range(harness: Harness) -> None:
    """2026 #19 makes both dates required: "all time" is 2000-01-01 to today (UTC), both sent."""
    harness.client.get_campaign_analytics(campaign_ids=[7])
    today = dt.datetime.now(dt.UTC).date().isoformat()
    assert harness.session.api_calls[0].params == [
        ("campaign_id", "7"),
        ("date_from", "2000-01-01"),
        ("date_to", today),
    ]


def test_list_prospects_page_size_is_capped_at_the_2026_5000_and_defaults_to_100() -> None:
    row = catalogue.endpoint("get_list_prospects")
    assert row.page_size == 5000
    assert inspect.signature(SnovioMethods.get_list_prospects).parameters["per_page"].default == 100

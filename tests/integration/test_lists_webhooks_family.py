"""Prospects, lists, balance (#29-#36) and webhooks (#37-#40) through the hook and client, over HTTP."""

from __future__ import annotations

import pytest

from airflow_provider_snovio.api.client import SnovioClient
from airflow_provider_snovio.api.errors import SnovioNotFoundError, SnovioValidationError
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.sandbox.testing import SandboxServer


def test_hook_test_connection_and_balance(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    ok, message = hook.test_connection()
    assert ok, message
    assert "25000.00" in message
    assert hook.get_balance()["data"]["balance"] == "25000.00"


def test_big_list_is_paged_newest_first_to_the_end(client: SnovioClient, snovio_sandbox: SandboxServer) -> None:
    lists = client.get_user_lists()
    big = max(lists, key=lambda row: row["contacts"])
    assert big["contacts"] == snovio_sandbox.state.config.list_prospects
    prospects = list(client.iter_list_prospects(big["id"], per_page=100))
    assert len(prospects) == big["contacts"]
    assert len({p["id"] for p in prospects}) == len(prospects)
    assert snovio_sandbox.stats()["requests"]["POST /v1/prospect-list"] == 3  # 100 + 100 + 30
    first_page = client.get_list_prospects(big["id"], page=1, per_page=5)["prospects"]
    assert [p["id"] for p in first_page] == [p["id"] for p in prospects[:5]]


def test_created_list_and_added_prospect_are_visible_in_later_reads(client: SnovioClient) -> None:
    created = client.create_prospect_list("Airflow leads")
    list_id = created[0]["data"]["id"]
    assert any(row["id"] == list_id for row in client.get_user_lists())
    added = client.add_prospect_to_list(
        list_id,
        "new.lead@example.com",
        first_name="New",
        last_name="Lead",
        full_name="New Lead",
        phones=["+18882073333"],
        position="CTO",
        company_name="Example",
        update_contact=True,
        custom_fields={"company": "Example"},
        social_links={"linkedIn": "https://www.linkedin.com/in/new-lead"},
    )
    assert added["success"] is True and added["added"] is True
    in_list = list(client.iter_list_prospects(list_id))
    assert [p["firstName"] for p in in_list] == ["New"]
    by_email = client.get_prospects_by_email("new.lead@example.com")
    assert by_email["success"] is True and by_email["data"]
    by_id = client.get_prospect_by_id(added["id"])
    assert by_id["data"]["lastName"] == "Lead"


def test_custom_fields_are_listed(client: SnovioClient) -> None:
    fields = client.get_prospect_custom_fields()
    assert fields and {"key", "label", "required", "type"} <= set(fields[0])


def test_webhook_lifecycle(client: SnovioClient) -> None:
    before = client.list_webhooks()["meta"]["webhooks_count"]
    created = client.add_webhook("campaign_reply", "received", "https://hooks.example.com/snovio")["data"]
    webhook_id = created["id"]
    listed = {item["data"]["id"]: item["data"] for item in client.list_webhooks()["data"]}
    assert listed[webhook_id]["status"] == "active"
    changed = client.change_webhook_status(webhook_id, "Deactivated")["data"]
    assert changed["status"] == "deactivated"
    assert client.delete_webhook(webhook_id)["data"]["success"] is True
    assert client.list_webhooks()["meta"]["webhooks_count"] == before
    with pytest.raises(SnovioNotFoundError):
        client.delete_webhook(webhook_id)


def test_webhook_input_is_checked_before_sending(client: SnovioClient, snovio_sandbox: SandboxServer) -> None:
    before = snovio_sandbox.stats()["total_requests"]
    with pytest.raises(SnovioValidationError, match="event_object"):
        client.add_webhook("campaign_click", "received", "https://hooks.example.com")
    with pytest.raises(SnovioValidationError, match="webhook_id"):
        client.change_webhook_status("webhook_id", "active")
    assert snovio_sandbox.stats()["total_requests"] == before

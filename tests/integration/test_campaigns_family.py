"""Campaign endpoints (#19-#28) through the client, against the sandbox over HTTP."""

from __future__ import annotations

import datetime as dt

import pytest

from airflow_provider_snovio.api.client import SnovioClient
from airflow_provider_snovio.api.errors import SnovioApiError, SnovioNotFoundError, SnovioValidationError
from airflow_provider_snovio.sandbox.testing import SandboxServer


def _campaigns(client: SnovioClient) -> list[dict]:
    campaigns = client.get_user_campaigns()
    assert isinstance(campaigns, list) and len(campaigns) >= 3
    return campaigns


def test_user_campaigns_have_documented_fields(client: SnovioClient) -> None:
    for campaign in _campaigns(client):
        assert {"id", "campaign", "list_id", "status", "created_at", "updated_at", "started_at", "hash"} <= set(
            campaign
        )
        assert isinstance(campaign["id"], int)


def test_big_campaign_replies_are_all_read_once_with_offset_paging(
    client: SnovioClient, snovio_sandbox: SandboxServer
) -> None:
    counts = {c["id"]: sum(1 for _ in client.iter_campaign_replies(c["id"])) for c in _campaigns(client)}
    big = snovio_sandbox.state.config.big_campaign_replies
    exact = snovio_sandbox.state.config.exact_campaign_replies
    assert big in counts.values() and big > 25_000
    assert exact in counts.values() and exact == 10_000
    # The exactly-10,000 campaign costs 2 calls (10,000 then an empty page); 25,500 costs 3.
    big_id = next(cid for cid, n in counts.items() if n == big)
    before = snovio_sandbox.stats()["requests"].get("GET /v1/get-emails-replies", 0)
    ids = [row["id"] for row in client.iter_campaign_replies(big_id)]
    after = snovio_sandbox.stats()["requests"]["GET /v1/get-emails-replies"]
    assert after - before == 3
    assert len(ids) == len(set(ids)) == big, "offset paging lost or repeated rows"


def test_exact_multiple_of_page_size_ends_after_one_empty_page(
    client: SnovioClient, snovio_sandbox: SandboxServer
) -> None:
    exact = snovio_sandbox.state.config.exact_campaign_replies
    exact_id = next(
        c["id"]
        for c in _campaigns(client)
        if len(client.get_campaign_replies(c["id"], offset=0)) == exact
        and client.get_campaign_replies(c["id"], offset=exact) == []
    )
    before = snovio_sandbox.stats()["requests"]["GET /v1/get-emails-replies"]
    assert sum(1 for _ in client.iter_campaign_replies(exact_id)) == exact
    assert snovio_sandbox.stats()["requests"]["GET /v1/get-emails-replies"] - before == 2


@pytest.mark.parametrize(
    "iterate, single",
    [
        ("iter_campaign_opens", "get_campaign_opens"),
        ("iter_campaign_clicks", "get_campaign_clicks"),
        ("iter_emails_sent", "get_emails_sent"),
    ],
)
def test_other_event_streams_page_to_the_end(client: SnovioClient, iterate: str, single: str) -> None:
    campaign_id = _campaigns(client)[0]["id"]
    rows = list(getattr(client, iterate)(campaign_id))
    assert rows, f"{iterate} returned nothing for the seeded campaign"
    assert len({r["id"] for r in rows}) == len(rows)
    first_page = getattr(client, single)(campaign_id, offset=0)
    assert first_page[: len(rows)] == rows[: len(first_page)]


def test_analytics_counts_match_events_in_range(client: SnovioClient) -> None:
    campaign = next(c for c in _campaigns(client) if c["started_at"])
    everything = client.get_campaign_analytics(
        campaign_ids=[campaign["id"]], date_from="2000-01-01", date_to=dt.date(2100, 1, 1)
    )
    replies = sum(1 for _ in client.iter_campaign_replies(campaign["id"]))
    # Analytics count recipients (each once), split into human replies and auto-replies.
    repliers = {r["prospectId"] for r in client.iter_campaign_replies(campaign["id"])}
    human, auto = int(everything["email_replies"]), int(everything["auto_replied"])
    assert 0 < human <= len(repliers) <= replies
    assert human + auto >= len(repliers)
    assert str(everything["email_replies_rate"]).endswith("%")
    nothing = client.get_campaign_analytics(campaign_ids=[campaign["id"]], date_from="2001-01-01", date_to="2001-01-02")
    assert int(nothing["email_replies"]) == 0


def test_analytics_requires_both_dates_before_sending(client: SnovioClient, snovio_sandbox: SandboxServer) -> None:
    before = snovio_sandbox.stats()["total_requests"]
    with pytest.raises(SnovioValidationError, match="date_to"):
        client.get_campaign_analytics(campaign_ids=[1], date_from="2024-01-01")
    assert snovio_sandbox.stats()["total_requests"] == before


def test_progress_finished_and_recipient_status(client: SnovioClient) -> None:
    campaign = _campaigns(client)[0]
    progress = client.get_campaign_progress(campaign["id"])
    assert {"status", "unfinished", "progress"} <= set(progress)
    finished = client.get_finished_prospects(campaign["id"])
    assert isinstance(finished, list)
    finished_emails = {row["userEmail"] for row in finished}
    reply = next(r for r in client.iter_campaign_replies(campaign["id"]) if r["prospectEmail"] not in finished_emails)
    answer = client.change_recipient_status(campaign["id"], reply["prospectEmail"], "paused")
    assert answer["success"] is True
    if finished_emails:  # Snov.io refuses to change a Finished recipient
        with pytest.raises(SnovioApiError, match="Finished"):
            client.change_recipient_status(campaign["id"], next(iter(finished_emails)), "Active")


def test_unknown_campaign_is_an_error(client: SnovioClient) -> None:
    with pytest.raises((SnovioNotFoundError, SnovioApiError)):
        client.get_campaign_progress(987654321)


def test_do_not_email_list_reports_duplicates(client: SnovioClient, snovio_sandbox: SandboxServer) -> None:
    list_id = min(snovio_sandbox.state.data.do_not_email)
    first = client.add_to_do_not_email_list(list_id, ["spam@example.com", "example.org"])
    again = client.add_to_do_not_email_list(list_id, ["spam@example.com"])
    assert first[0]["success"] is True
    assert "spam@example.com" in again[0]["data"]["duplicates"]

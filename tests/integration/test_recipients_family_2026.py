"""The 2026 recipients family (#72-#75) and CRM (#76-#77) through the hook, against the sandbox over HTTP.

Request layout (path, camelCase query names), paging (#72 until ``has_more`` is false, in windows of at most
31 days; #73 until an empty page), the chunked recipient check (#74), errors, and validation that refuses
bad input with ZERO requests sent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import math
from typing import Any

import pytest

from airflow_provider_snovio.api.async_client import AsyncSnovioClient
from airflow_provider_snovio.api.catalogue import ENDPOINTS
from airflow_provider_snovio.api.errors import SnovioApiError, SnovioNotFoundError, SnovioValidationError
from airflow_provider_snovio.api.methods import activity_windows
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.integration.conftest import FAST_RETRIES
from tests.integration.refusals import refusal

ACTIVITY = "GET /v2/campaigns/{campaign_id}/recipients-activity"
ALL_REPLIES = "GET /v2/campaigns/{campaign_id}/all-replies"
RECIPIENT = "GET /v2/campaigns/{campaign_id}/recipient"


@pytest.fixture
def sb(snovio_sandbox: SandboxServer) -> SandboxServer:
    return snovio_sandbox


def _requests(sb: SandboxServer, key: str | None = None) -> int:
    counts = sb.stats()["requests"]
    return sum(counts.values()) if key is None else counts.get(key, 0)


def _small(hook: SnovioHook) -> list[dict[str, Any]]:
    return [c for c in hook.get_user_campaigns()[2:] if c["started_at"]]


def _start(campaign: dict[str, Any]) -> dt.date:
    return dt.datetime.fromtimestamp(campaign["started_at"], dt.timezone.utc).date()


def test_activity_request_uses_camelcase_dates_and_answers_one_page(hook: SnovioHook, sb: SandboxServer) -> None:
    campaign = _small(hook)[0]
    start = _start(campaign)
    body = hook.get_campaign_recipients_activity(campaign["id"], start, start + dt.timedelta(days=31), limit=5)
    assert len(body["data"]) == 5 and body["pagination"]["limit"] == 5 and body["pagination"]["has_more"]
    assert _requests(sb, ACTIVITY) == 1
    # The sandbox refuses snake_case names (dateFrom is required): a 200 proves the camelCase layout.
    assert body["pagination"]["total"] > 5


def test_iterating_a_long_range_splits_it_into_31_day_windows_and_reads_every_event(
    hook: SnovioHook, sb: SandboxServer
) -> None:
    campaign = _small(hook)[0]
    start = _start(campaign) - dt.timedelta(days=20)
    end = start + dt.timedelta(days=70)
    windows = activity_windows(start, end)
    assert len(windows) == 3 and all(
        (dt.date.fromisoformat(b) - dt.date.fromisoformat(a)).days <= 30 for a, b in windows
    )
    expected = [
        row
        for a, b in windows
        for row in hook.get_campaign_recipients_activity(campaign["id"], a, b, limit=1000)["data"]
    ]
    assert expected, "the range holds the campaign's events"
    before = _requests(sb, ACTIVITY)
    rows = list(hook.iter_campaign_recipients_activity(campaign["id"], start, end))
    assert rows == expected
    assert _requests(sb, ACTIVITY) - before == 3, "one page of 1000 per window"
    sb.configure(activity_window_inclusive=True)  # the stricter reading of "<= 31 days" accepts the windows too
    assert list(hook.iter_campaign_recipients_activity(campaign["id"], start, end)) == expected


def test_activity_pages_past_1000_events_until_has_more_is_false(hook: SnovioHook, sb: SandboxServer) -> None:
    exact = hook.get_user_campaigns()[1]  # 10,000 replies over ~120 days
    start = _start(exact)
    end = start + dt.timedelta(days=30)
    total = hook.get_campaign_recipients_activity(exact["id"], start, end, limit=1)["pagination"]["total"]
    assert total > 2000
    before = _requests(sb, ACTIVITY)
    rows = list(hook.iter_campaign_recipients_activity(exact["id"], start, end))
    assert len(rows) == total
    assert _requests(sb, ACTIVITY) - before == math.ceil(total / 1000)
    assert {"sent", "open", "reply", "bounce"} <= {row["event_type"] for row in rows}


def test_all_replies_iterate_until_an_empty_page(hook: SnovioHook, sb: SandboxServer) -> None:
    campaign = _small(hook)[0]
    whole = hook.get_campaign_all_replies(campaign["id"])["data"]
    sb.configure(all_replies_page_size=4)
    before = _requests(sb, ALL_REPLIES)
    rows = list(hook.iter_campaign_all_replies(campaign["id"]))
    assert rows == whole and len(rows) > 4
    assert _requests(sb, ALL_REPLIES) - before == math.ceil(len(whole) / 4) + 1, "every page, then one empty page"


def test_recipient_status_is_chunked_by_100_over_http(hook: SnovioHook, sb: SandboxServer) -> None:
    campaign = _small(hook)[0]
    recipients = sorted({r["userEmail"] for r in hook.get_emails_sent(campaign["id"], 0)})
    strangers = [f"stranger{i}@example.com" for i in range(150)]
    asked = [*recipients, *strangers, recipients[0].upper()]  # the last one repeats the first
    before = _requests(sb, RECIPIENT)
    answer = hook.get_recipients_status(campaign["id"], asked)
    assert _requests(sb, RECIPIENT) - before == math.ceil((len(recipients) + 150) / 100)
    assert [row["email"] for row in answer["data"]] == [*recipients, *strangers]
    assert all(row["exist"] and row["status"] in {"active", "finished"} for row in answer["data"][: len(recipients)])
    assert all(not row["exist"] and row["status"] is None for row in answer["data"][len(recipients) :])


def test_do_not_email_lists_give_the_ids_add_to_do_not_email_list_takes(hook: SnovioHook) -> None:
    lists = hook.list_do_not_email_lists()["data"]
    assert lists
    for row in lists:
        assert hook.add_to_do_not_email_list(row["id"], ["someone@blocked.example"])[0]["success"] is True
    assert all(row["total"] >= 1 for row in hook.list_do_not_email_lists()["data"])


def test_pipelines_and_stages(hook: SnovioHook) -> None:
    pipelines = hook.list_pipelines()["data"]
    for pipeline in pipelines:
        stages = hook.list_pipeline_stages(pipeline["id"])["data"]
        assert sum(s["deals_count"] for s in stages) == pipeline["deals_count"]
    with pytest.raises(SnovioNotFoundError):
        hook.list_pipeline_stages(1)


def test_unknown_campaign_is_not_found(hook: SnovioHook) -> None:
    with pytest.raises(SnovioNotFoundError):
        hook.get_campaign_recipients_activity(1, "2025-09-01", "2025-09-02")
    with pytest.raises(SnovioNotFoundError):
        list(hook.iter_campaign_all_replies(1))
    with pytest.raises(SnovioNotFoundError):
        hook.get_recipients_status(1, ["a@example.com"])


def test_a_window_the_server_refuses_is_an_api_error(hook: SnovioHook, sb: SandboxServer) -> None:
    """Under the stricter reading (knob), a 31-day difference passes validation but the server refuses it."""
    sb.configure(activity_window_inclusive=True)
    campaign = _small(hook)[0]
    with pytest.raises(SnovioApiError) as caught:
        hook.get_campaign_recipients_activity(campaign["id"], "2025-09-01", "2025-10-02")
    assert caught.value.status == 422


@pytest.mark.parametrize(
    "call, field",
    [
        (lambda h: h.get_campaign_recipients_activity(5, "2025-09-01", "2025-10-03"), "date_to"),  # 32 days
        (lambda h: h.get_campaign_recipients_activity(5, "2025-09-10", "2025-09-01"), "date_to"),
        (lambda h: h.get_campaign_recipients_activity(5, "2025-09-01", None), "date_to"),
        (lambda h: h.get_campaign_recipients_activity(5, "01/09/2025", "2025-09-02"), "date_from"),
        (lambda h: h.get_campaign_recipients_activity(5, "2025-09-01", "2025-09-02", limit=1001), "limit"),
        (lambda h: h.get_campaign_recipients_activity(5, "2025-09-01", "2025-09-02", offset=-1), "offset"),
        (lambda h: h.get_campaign_recipients_activity("5/../x", "2025-09-01", "2025-09-02"), "campaign_id"),
        (lambda h: h.iter_campaign_recipients_activity(5, "2025-09-10", "2025-09-01"), "date_to"),
        (lambda h: h.iter_campaign_recipients_activity(5, None, "2025-09-01"), "date_from"),
        (lambda h: h.iter_campaign_recipients_activity("x", "2025-01-01", "2025-06-01"), "campaign_id"),
        (lambda h: h.get_campaign_all_replies(5, offset=-1), "offset"),
        (lambda h: h.iter_campaign_all_replies("abc"), "campaign_id"),
        (lambda h: h.get_recipients_status(5, []), "emails"),
        (lambda h: h.get_recipients_status(5, ["not-an-email"]), "emails[0]"),
        (lambda h: h.get_recipients_status(5, ["ok@example.com", "x" * 90 + "@example.com"]), "emails[1]"),
        (lambda h: h.list_pipeline_stages("1 OR 1"), "pipeline_id"),
    ],
)
def test_bad_input_is_refused_naming_the_field_with_zero_requests(
    hook: SnovioHook, sb: SandboxServer, call: Any, field: str
) -> None:
    assert refusal(hook, sb, call).field == field


def test_the_async_client_sends_the_same_rows(hook: SnovioHook) -> None:
    campaign = _small(hook)[0]
    start = _start(campaign).isoformat()
    end = (_start(campaign) + dt.timedelta(days=31)).isoformat()
    config = dataclasses.replace(hook.client_config(), retry=FAST_RETRIES)

    async def run() -> list[Any]:
        async with AsyncSnovioClient(config) as client:
            return [
                await client.call(
                    ENDPOINTS.get_campaign_recipients_activity,
                    campaign_id=campaign["id"],
                    date_from=start,
                    date_to=end,
                    limit=1000,
                ),
                await client.call(ENDPOINTS.get_campaign_all_replies, campaign_id=campaign["id"], offset=0),
                await client.call(ENDPOINTS.get_recipients_status, campaign_id=campaign["id"], emails=["a@b.com"]),
                await client.call(ENDPOINTS.list_do_not_email_lists),
                await client.call(ENDPOINTS.list_pipelines),
                await client.call(ENDPOINTS.list_pipeline_stages, pipeline_id=4101),
            ]

    answers = asyncio.run(run())
    assert answers == [
        hook.get_campaign_recipients_activity(campaign["id"], start, end, limit=1000),
        hook.get_campaign_all_replies(campaign["id"]),
        hook.get_recipients_status(campaign["id"], ["a@b.com"]),
        hook.list_do_not_email_lists(),
        hook.list_pipelines(),
        hook.list_pipeline_stages(4101),
    ]
    assert answers[0]["data"], "the campaign's first 31 days have events"

    async def refused() -> None:
        async with AsyncSnovioClient(config) as client:
            await client.call(
                ENDPOINTS.get_campaign_recipients_activity,
                campaign_id=campaign["id"],
                date_from="2025-01-01",
                date_to="2025-03-01",
            )

    with pytest.raises(SnovioValidationError) as caught:
        asyncio.run(refused())
    assert caught.value.field == "date_to"

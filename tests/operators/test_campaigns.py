"""SnovioCampaignAnalyticsOperator and SnovioChangeRecipientStatusOperator against the sandbox over HTTP."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pendulum
import pytest

from airflow_provider_snovio.api.errors import SnovioValidationError
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.operators import SnovioCampaignAnalyticsOperator, SnovioChangeRecipientStatusOperator
from airflow_provider_snovio.operators.campaigns import run_date_range
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.operators.account_support import context, requests

ANALYTICS = "GET /v2/statistics/campaign-analytics"
UTC = pendulum.UTC


def _daily(day: str) -> dict[str, Any]:
    start = pendulum.parse(day, tz=UTC)
    return context(data_interval_start=start, data_interval_end=start.add(days=1), logical_date=start)


# --- the date rule (pure) ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        ("2025-09-02T00:00:00", "2025-09-03T00:00:00", ("2025-09-02", "2025-09-02")),  # daily: its own day only
        ("2025-09-02T23:00:00", "2025-09-03T00:00:00", ("2025-09-02", "2025-09-02")),  # last hour of a day
        ("2025-09-02T10:00:00", "2025-09-02T11:00:00", ("2025-09-02", "2025-09-02")),  # hourly
        ("2025-09-01T00:00:00", "2025-09-08T00:00:00", ("2025-09-01", "2025-09-07")),  # weekly
        ("2025-09-02T06:00:00", "2025-09-03T06:00:00", ("2025-09-02", "2025-09-03")),  # a day not aligned to UTC
    ],
)
def test_end_exclusive_interval_becomes_inclusive_days(start: str, end: str, expected: tuple[str, str]) -> None:
    ctx = context(data_interval_start=pendulum.parse(start, tz=UTC), data_interval_end=pendulum.parse(end, tz=UTC))
    assert run_date_range(ctx) == expected


def test_interval_in_another_timezone_is_read_in_utc() -> None:
    kyiv = pendulum.timezone("Europe/Kyiv")
    start = pendulum.datetime(2025, 9, 2, tz=kyiv)  # 2025-09-01T21:00Z
    ctx = context(data_interval_start=start, data_interval_end=start.add(days=1))
    assert run_date_range(ctx) == ("2025-09-01", "2025-09-02")


def test_a_run_without_interval_covers_the_full_days_before_its_day() -> None:
    logical = pendulum.datetime(2025, 9, 10, 15, tz=UTC)
    assert run_date_range(context(logical_date=logical)) == ("2025-09-09", "2025-09-09")
    assert run_date_range(context(logical_date=logical), default_days=7) == ("2025-09-03", "2025-09-09")
    zero_length = context(data_interval_start=logical, data_interval_end=logical, logical_date=logical)
    assert run_date_range(zero_length) == ("2025-09-09", "2025-09-09")


def test_a_run_without_interval_or_logical_date_uses_run_after_then_today() -> None:
    class DagRun:
        run_after = pendulum.datetime(2025, 9, 20, 1, tz=UTC)

    assert run_date_range({**context(), "dag_run": DagRun()}) == ("2025-09-19", "2025-09-19")
    yesterday = (dt.datetime.now(dt.timezone.utc).date() - dt.timedelta(days=1)).isoformat()
    assert run_date_range(context()) == (yesterday, yesterday)


# --- analytics over HTTP ------------------------------------------------------------------------------


def test_daily_run_reports_exactly_its_day(snovio_conn_env: SandboxServer) -> None:
    hook = SnovioHook()
    result = SnovioCampaignAnalyticsOperator(task_id="analytics").execute(_daily("2025-09-02"))
    assert (result["date_from"], result["date_to"]) == ("2025-09-02", "2025-09-02")
    assert result["analytics"] == hook.get_campaign_analytics(date_from="2025-09-02", date_to="2025-09-02")
    assert result["analytics"]["emails_sent"] > 0
    two_days = hook.get_campaign_analytics(date_from="2025-09-02", date_to="2025-09-03")
    assert two_days["emails_sent"] > result["analytics"]["emails_sent"]  # the interval's end day is not included


def test_manual_run_without_interval_gets_the_default_range(snovio_conn_env: SandboxServer) -> None:
    logical = pendulum.datetime(2025, 9, 9, 12, tz=UTC)
    result = SnovioCampaignAnalyticsOperator(task_id="analytics", default_days=7).execute(context(logical_date=logical))
    assert (result["date_from"], result["date_to"]) == ("2025-09-02", "2025-09-08")
    assert result["analytics"]["emails_sent"] > 0
    assert requests(snovio_conn_env, ANALYTICS) == 1


def test_explicit_dates_and_filters_win(snovio_conn_env: SandboxServer) -> None:
    campaigns = snovio_conn_env.state.data.campaigns.campaigns
    ids = [campaigns[0].id, campaigns[2].id]
    result = SnovioCampaignAnalyticsOperator(
        task_id="analytics",
        campaign_ids=ids,
        date_from=dt.date(2025, 9, 1),
        date_to="2025-09-30",
    ).execute(_daily("2025-12-01"))
    assert (result["date_from"], result["date_to"]) == ("2025-09-01", "2025-09-30")
    assert result["campaign_ids"] == [str(i) for i in ids]
    assert result["analytics"] == SnovioHook().get_campaign_analytics(ids, "2025-09-01", "2025-09-30")


def test_per_campaign_returns_one_object_per_campaign(snovio_conn_env: SandboxServer) -> None:
    campaigns = snovio_conn_env.state.data.campaigns.campaigns
    ids = [campaigns[0].id, campaigns[1].id]
    result = SnovioCampaignAnalyticsOperator(
        task_id="analytics", campaign_ids=ids, per_campaign=True, date_from="2025-09-01", date_to="2025-09-30"
    ).execute(context())
    assert set(result["analytics"]) == {str(i) for i in ids}
    hook = SnovioHook()
    for campaign_id in ids:
        assert result["analytics"][str(campaign_id)] == hook.get_campaign_analytics(
            [campaign_id], "2025-09-01", "2025-09-30"
        )
    assert requests(snovio_conn_env, ANALYTICS) == 2 + 2


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"date_from": "2025-13-01"}, "date_from"),
        ({"date_to": "yesterday"}, "date_to"),
        ({"date_from": "2025-09-10", "date_to": "2025-09-01"}, "date_to"),
        ({"date_from": "2025-09-05"}, "date_to"),  # after the interval's end day
        ({"campaign_ids": ["12a"]}, "campaign_ids[0]"),
        ({"campaign_owners": ["nobody"]}, "campaign_owners[0]"),
        ({"per_campaign": True}, "campaign_ids"),
        ({"default_days": 0}, "default_days"),
        ({"unexpected": 1}, None),
    ],
)
def test_bad_input_is_refused_before_any_request(
    snovio_conn_env: SandboxServer, kwargs: dict, field: str | None
) -> None:
    if field is None:
        with pytest.raises(TypeError):
            SnovioCampaignAnalyticsOperator(task_id="analytics", **kwargs)
        return
    with pytest.raises(SnovioValidationError) as caught:
        SnovioCampaignAnalyticsOperator(task_id="analytics", **kwargs).execute(_daily("2025-09-02"))
    assert caught.value.field == field
    assert requests(snovio_conn_env) == 0


# --- recipient status ---------------------------------------------------------------------------------


def _recipients(sandbox: SandboxServer) -> tuple[Any, list[str], str]:
    """A campaign, two of its recipients whose status can change, and a finished one."""
    camp = sandbox.state.data.campaigns.campaigns[0]
    changeable = [email for email, ridx in camp.email_index.items() if ridx not in camp.finished][:2]
    finished = next(email for email, ridx in camp.email_index.items() if ridx in camp.finished)
    return camp, changeable, finished


def test_change_status_per_email(snovio_conn_env: SandboxServer) -> None:
    camp, changeable, finished = _recipients(snovio_conn_env)
    result = SnovioChangeRecipientStatusOperator(
        task_id="pause", campaign_id=str(camp.id), emails=[*changeable, finished, "nobody@example.com"], status="paused"
    ).execute(context())
    assert result["status"] == "Paused" and (result["changed"], result["refused"]) == (2, 2)
    assert [result["results"][e] for e in changeable] == ["changed", "changed"]
    assert result["results"][finished].startswith("refused: ") and "Finished" in result["results"][finished]
    assert "not found" in result["results"]["nobody@example.com"]
    for email in changeable:
        assert snovio_conn_env.state.data.recipient_status[(camp.id, camp.email_index[email])] == "Paused"
    assert requests(snovio_conn_env, "POST /v1/change-recipient-status") == 4


def test_change_status_of_one_email_and_fail_on_refused(snovio_conn_env: SandboxServer) -> None:
    from airflow.providers.common.compat.sdk import AirflowException

    camp, changeable, finished = _recipients(snovio_conn_env)
    single = SnovioChangeRecipientStatusOperator(
        task_id="unsub", campaign_id=camp.id, emails=changeable[0], status="Unsubscribed"
    ).execute(context())
    assert single["results"] == {changeable[0]: "changed"}
    with pytest.raises(AirflowException, match="refused 1 of 2"):
        SnovioChangeRecipientStatusOperator(
            task_id="unsub",
            campaign_id=camp.id,
            emails=[changeable[1], finished],
            status="Unsubscribed",
            fail_on_refused=True,
        ).execute(context())


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"status": "Stopped"}, "status"),
        ({"campaign_id": "camp-1"}, "campaign_id"),
        ({"emails": ["a@example.com", "not-an-email"]}, "emails[1]"),
        ({"emails": []}, "emails"),
    ],
)
def test_change_status_refuses_bad_input_before_any_request(
    snovio_conn_env: SandboxServer, kwargs: dict, field: str
) -> None:
    arguments = {"campaign_id": 1, "emails": ["a@example.com"], "status": "Paused", **kwargs}
    with pytest.raises(SnovioValidationError) as caught:
        SnovioChangeRecipientStatusOperator(task_id="status", **arguments).execute(context())
    assert caught.value.field == field
    assert requests(snovio_conn_env) == 0


def test_templated_fields() -> None:
    assert {"snovio_conn_id", "campaign_ids", "date_from", "date_to", "sender_emails", "campaign_owners"} <= set(
        SnovioCampaignAnalyticsOperator.template_fields
    )
    assert {"snovio_conn_id", "campaign_id", "emails", "status"} <= set(
        SnovioChangeRecipientStatusOperator.template_fields
    )

"""Sender accounts (#52-#55) and warm-up (#56-#61) through the hook and both clients, over real HTTP.

Request layout is proven by the sandbox, which takes these calls only as JSON objects (a form body is a
422) and routes updates only as PATCH; the answers echo what was sent (``timezoneId`` under its camelCase
wire name, ``null`` for a cleared field). Bad input raises :class:`SnovioValidationError` naming the field
with zero requests sent (the sandbox's request counter does not move).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from typing import Any

import pytest

from airflow_provider_snovio.api.async_client import AsyncSnovioClient
from airflow_provider_snovio.api.catalogue import ENDPOINTS
from airflow_provider_snovio.api.client import SnovioClient
from airflow_provider_snovio.api.encoding import prepare
from airflow_provider_snovio.api.errors import (
    SnovioApiError,
    SnovioNotFoundError,
    SnovioServerError,
    SnovioValidationError,
)
from airflow_provider_snovio.api.validation import CLEAR
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.sandbox.data.senders import CHECK_SECONDS, STATS_SECONDS
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.integration.conftest import FAST_RETRIES
from tests.integration.refusals import refusal

SMTP = {"host": "smtp.example.com", "port": 587, "encryption": "tls"}
IMAP = {"host": "imap.example.com", "port": 993, "encryption": "ssl"}


def requests_to(sandbox: SandboxServer, key: str) -> int:
    return sandbox.stats()["requests"].get(key, 0)


def test_sender_account_lifecycle(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    listed = hook.list_email_accounts()["data"]
    assert {21, 22} <= {a["id"] for a in listed}
    created = hook.create_email_account(
        "Airflow Sender",
        "airflow.sender@example.com",
        "pa55word",
        SMTP,
        imap=IMAP,
        timezone_id=66,
        limitation=100,
        delay_type="fixed",
        delay_fixed=60,
        signature="Best,\nAirflow",
        tags=["airflow"],
    )["data"]
    assert created["smtp"]["status"] == "pending" and created["imap"]["status"] == "pending"
    assert created["timezoneId"] == 66 and created["delay_fixed"] == 60 and created["signature"] == "Best,\nAirflow"
    account_id = created["id"]
    assert hook.get_sender_status(account_id)["data"]["smtp"]["status"] == "pending"
    snovio_sandbox.state.advance_clock(CHECK_SECONDS + 1)
    assert hook.get_sender_status(account_id)["data"] == {"smtp": {"status": "valid"}, "imap": {"status": "valid"}}

    updated = hook.update_email_account(account_id, signature=CLEAR, tags=["x", "y"], reply_to="r@example.com")["data"]
    assert "signature" not in updated and updated["tags"] == ["x", "y"] and updated["reply_to"] == "r@example.com"
    assert updated["sender_name"] == "Airflow Sender" and updated["smtp"]["status"] == "valid"
    assert requests_to(snovio_sandbox, "PATCH /v2/sender-accounts/emails/{account_id}") == 1
    assert requests_to(snovio_sandbox, "POST /v2/sender-accounts/emails") == 1
    assert any(a["id"] == account_id for a in hook.list_email_accounts()["data"])


def test_the_request_layout_is_json_and_patch() -> None:
    created = prepare(
        ENDPOINTS.create_email_account,
        {"sender_name": "S", "email_from": "s@example.com", "password": "p", "smtp": SMTP, "timezone_id": 36},
    )
    assert created.method == "POST" and created.form == [] and created.query == []
    assert created.json == {
        "sender_name": "S",
        "email_from": "s@example.com",
        "password": "p",
        "smtp": SMTP,
        "timezoneId": 36,
    }
    cleared = prepare(ENDPOINTS.update_email_account, {"account_id": 21, "bcc_email": CLEAR, "tags": []})
    assert (cleared.method, cleared.path, cleared.json) == (
        "PATCH",
        "/v2/sender-accounts/emails/21",
        {"bcc_email": None, "tags": []},
    )
    warm = prepare(ENDPOINTS.update_warm_up, {"warm_up_id": 301, "from_": 7, "make_endless": "true"})
    assert (warm.method, warm.json) == ("PATCH", {"from": 7, "make_endless": True})
    listed = prepare(ENDPOINTS.list_warm_ups, {"page": 2, "per_page": 50, "status": "Paused"})
    assert listed.query == [("page", "2"), ("per_page", "50"), ("status", "paused")] and listed.json is None
    status = prepare(ENDPOINTS.get_sender_status, {"sender_account_id": "21"})
    assert status.query == [("sender_account_id", "21")]


def test_errors_map_to_exceptions(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    with pytest.raises(SnovioNotFoundError):
        hook.update_email_account(999, sender_name="Nobody")
    with pytest.raises(SnovioNotFoundError):
        hook.get_warm_up(999)
    with pytest.raises(SnovioNotFoundError):
        hook.get_sender_status(999)
    # A rule only the server can see (the stored delay) answers 422 -> an API error, not a crash.
    with pytest.raises(SnovioApiError):
        hook.update_email_account(21, limitation=1200)  # 21 waits at least 600 s: 1200 a day do not fit
    with pytest.raises(SnovioApiError):
        hook.create_warm_up(999, 10, strategy="steady")  # an unknown account


BAD_CALLS: list[tuple[str, str, tuple[Any, ...], dict[str, Any]]] = [
    ("sender_name", "create_email_account", ("x" * 101, "a@example.com", "p", SMTP), {}),
    ("email_from", "create_email_account", ("S", "not-an-email", "p", SMTP), {}),
    ("smtp.encryption", "create_email_account", ("S", "a@example.com", "p", {**SMTP, "encryption": "ssl"}), {}),
    ("smtp.port", "create_email_account", ("S", "a@example.com", "p", {**SMTP, "port": 2525}), {}),
    (
        "imap.encryption",
        "create_email_account",
        ("S", "a@example.com", "p", SMTP),
        {"imap": {**IMAP, "encryption": "none"}},
    ),
    ("smtp.host", "create_email_account", ("S", "a@example.com", "p", {**SMTP, "host": "-bad"}), {}),
    ("limitation", "create_email_account", ("S", "a@example.com", "p", SMTP), {"limitation": 1201}),
    ("limitation", "update_email_account", (21,), {"limitation": 0}),
    ("delay_fixed", "update_email_account", (21,), {"delay_fixed": 4}),
    ("delay_from", "update_email_account", (21,), {"delay_from": 3601}),
    ("delay_to", "update_email_account", (21,), {"delay_from": 900, "delay_to": 600}),
    ("limitation", "update_email_account", (21,), {"limitation": 1000, "delay_type": "fixed", "delay_fixed": 600}),
    ("timezone_id", "update_email_account", (21,), {"timezoneId": 459}),
    ("timezone_id", "update_email_account", (21,), {"timezone_id": 0}),
    ("fields", "update_email_account", (21,), {}),
    ("signature", "update_email_account", (21,), {"signature": "a\x00b"}),
    ("sender_account_id", "get_sender_status", (0,), {}),
    ("per_day", "create_warm_up", (21, 1001), {"from_": 1, "increase": 1}),
    ("per_day", "create_warm_up", (21, 0), {"from_": 1, "increase": 1}),
    ("from_", "create_warm_up", (21, 10), {"from_": 6, "increase": 1}),
    ("increase", "create_warm_up", (21, 10), {"from_": 1, "increase": 6}),
    ("increase", "create_warm_up", (21, 10), {"from_": 1}),
    ("from_", "create_warm_up", (21, 2), {"from": 3, "increase": 1}),
    ("reply_rate", "create_warm_up", (21, 10), {"strategy": "steady", "reply_rate": 9}),
    ("reply_rate", "create_warm_up", (21, 10), {"strategy": "steady", "reply_rate": 46}),
    ("subject", "create_warm_up", (21, 10), {"strategy": "steady", "subject": "x" * 201}),
    ("body", "create_warm_up", (21, 10), {"strategy": "steady", "body": "x" * 10_001}),
    ("subject", "create_warm_up", (21, 10), {"strategy": "steady", "email_content": "specific"}),
    ("providers[0]", "create_warm_up", (21, 10), {"strategy": "steady", "providers": ["yahoo"]}),
    ("email_account_id", "update_warm_up", (301,), {"email_account_id": 22}),
    ("from_", "update_warm_up", (301,), {"from_": 11}),
    ("status", "update_warm_up", (301,), {"status": "error"}),
    ("fields", "update_warm_up", (301,), {}),
    ("per_page", "list_warm_ups", (), {"per_page": 30}),
    ("page", "list_warm_ups", (), {"page": 0}),
    ("status", "list_warm_ups", (), {"status": "pending"}),
    ("warm_up_id", "get_warm_up", ("../301",), {}),
    ("period", "get_warm_up_statistics", (301,), {"period": "year"}),
    (
        "period",
        "get_warm_up_statistics",
        (301,),
        {"period": "month", "date_from": "2026-01-01", "date_to": "2026-01-02"},
    ),
    ("date_to", "get_warm_up_statistics", (301,), {"date_from": "2026-01-01"}),
    ("date_to", "get_warm_up_statistics", (301,), {"date_from": "2026-02-01", "date_to": "2026-01-01"}),
]


@pytest.mark.parametrize(("field", "method", "args", "kwargs"), BAD_CALLS, ids=[f"{m}-{f}" for f, m, _, _ in BAD_CALLS])
def test_bad_input_names_the_field_and_sends_nothing(
    hook: SnovioHook,
    snovio_sandbox: SandboxServer,
    field: str,
    method: str,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    error = refusal(hook, snovio_sandbox, lambda h: getattr(h, method)(*args, **kwargs))
    assert error.field == field


def test_iter_warm_ups_before_any_request(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    hook.get_balance()
    before = snovio_sandbox.stats()["total_requests"]
    with pytest.raises(SnovioValidationError) as caught:
        hook.iter_warm_ups(status="deleted")
    assert caught.value.field == "status" and snovio_sandbox.stats()["total_requests"] == before


def test_warm_up_lifecycle_and_paging(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    created = [hook.create_warm_up(21, 20, from_=2, increase=3, reply_rate=40)["data"]["id"] for _ in range(99)]
    everything = list(hook.iter_warm_ups())
    assert [w["id"] for w in everything] == [301, 302, 303, *created]  # 102 rows: two pages of 100
    assert requests_to(snovio_sandbox, "GET /v2/warm-up") == 2
    page = hook.list_warm_ups(page=3, per_page=50)
    assert page["meta"] == {"total_items": 102, "page": 3, "per_page": 50, "total_pages": 3}
    assert [w["id"] for w in page["data"]] == created[-2:]
    assert [w["id"] for w in hook.iter_warm_ups(status="paused")] == [302]

    one = hook.get_warm_up(created[0])["data"]
    assert (one["from"], one["increase"], one["reply_rate"], one["status"]) == (2, 3, 40, "active")
    assert hook.update_warm_up(created[0], from_=9, per_day=30, status="paused") == {
        "data": {"id": created[0]},
        "success": True,
    }
    one = hook.get_warm_up(created[0])["data"]
    assert (one["from"], one["per_day"], one["status"]) == (9, 30, "paused")
    assert requests_to(snovio_sandbox, "PATCH /v2/warm-up/{warm_up_id}") == 1
    assert hook.delete_warm_up(created[0])["data"]["id"] == created[0]
    with pytest.raises(SnovioNotFoundError):
        hook.get_warm_up_statistics(created[0])
    assert created[0] not in [w["id"] for w in hook.iter_warm_ups()]


def test_warm_up_statistics(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    today = dt.datetime.fromtimestamp(snovio_sandbox.state.now(), dt.timezone.utc).date()
    stats = hook.get_warm_up_statistics(301, period="two_weeks")["data"]
    assert stats["is_calculated"] is True and len(stats["daily_statistics"]) == 14
    window = hook.get_warm_up_statistics(301, date_from=today - dt.timedelta(days=13), date_to=today)["data"]
    assert window["daily_statistics"] == stats["daily_statistics"]  # date objects are sent as yyyy-mm-dd
    new = hook.create_warm_up(22, 10, strategy="steady")["data"]["id"]
    assert hook.get_warm_up_statistics(new)["data"]["is_calculated"] is False
    snovio_sandbox.state.advance_clock(STATS_SECONDS + 1)
    ready = hook.get_warm_up_statistics(new, period="month")["data"]
    assert ready["is_calculated"] is True
    assert (
        ready["daily_statistics"][today.isoformat()]["emails_sent"]
        + ready["daily_statistics"][today.isoformat()]["scheduled"]
        == 10
    )


def test_async_client_uses_the_same_rows(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    config = dataclasses.replace(hook.client_config(), retry=FAST_RETRIES)

    async def run() -> tuple[Any, Any, Any]:
        async with AsyncSnovioClient(config) as client:
            accounts = await client.call(ENDPOINTS.list_email_accounts)
            changed = await client.call(ENDPOINTS.update_warm_up, warm_up_id=301, per_day=50)
            stats = await client.call(ENDPOINTS.get_warm_up_statistics, warm_up_id=301, period="month")
            return accounts, changed, stats

    accounts, changed, stats = asyncio.run(run())
    assert {21, 22} <= {a["id"] for a in accounts["data"]}
    assert changed == {"data": {"id": 301}, "success": True}
    assert SnovioClient(config).get_warm_up(301)["data"]["per_day"] == 50
    assert len(stats["data"]["daily_statistics"]) == 30
    assert requests_to(snovio_sandbox, "PATCH /v2/warm-up/{warm_up_id}") == 1


def test_creating_is_not_resent_after_a_server_error(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    """#53/#56 make a new account/warm-up each time: a failed create is never sent twice."""
    config = dataclasses.replace(hook.client_config(), retry=FAST_RETRIES)
    snovio_sandbox.configure(error_rate=1.0)
    with pytest.raises(SnovioServerError):
        SnovioClient(config).create_warm_up(21, 10, strategy="steady")
    assert requests_to(snovio_sandbox, "POST /v2/warm-up") == 1
    with pytest.raises(SnovioServerError):
        SnovioClient(config).get_warm_up(301)  # a read is retried
    assert requests_to(snovio_sandbox, "GET /v2/warm-up/{warm_up_id}") == 1 + FAST_RETRIES.max_retries


@pytest.mark.parametrize("words", ["valid", "connected"])
def test_both_connection_vocabularies_read_the_same(
    hook: SnovioHook, snovio_sandbox: SandboxServer, words: str
) -> None:
    """Under either reading of the doc the hook returns the status as served; a failed check carries errors."""
    snovio_sandbox.configure(sender_connection_words=words)
    good, bad = {"valid": ("valid", "invalid"), "connected": ("connected", "error")}[words]
    assert hook.get_sender_status(21)["data"]["smtp"] == {"status": good}
    broken = hook.get_sender_status(23)["data"]
    assert broken["smtp"]["status"] == bad and broken["smtp"].get("errors") == ["Connection refused"]


def test_a_plan_below_the_documented_cap_is_an_api_error(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    """per_day is "1-1000 depending on plan": the hook lets 1000 through; a smaller plan answers 422."""
    snovio_sandbox.configure(warm_up_per_day_max=100)
    with pytest.raises(SnovioApiError, match="per_day"):
        hook.create_warm_up(21, 500, strategy="steady")
    assert hook.create_warm_up(21, 100, strategy="steady")["success"] is True


def test_the_sender_password_is_never_logged_or_echoed(
    hook: SnovioHook, snovio_sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    """The mailbox password travels only in the JSON body: not in a log line, an answer or an error."""
    password = "Secret-Mailbox-Pa55"
    with caplog.at_level("DEBUG"):
        created = hook.create_email_account("Secret", "secret@example.com", password, SMTP)
        with pytest.raises(SnovioApiError) as refused:  # the server refuses: 1200 a day at 600 s delays
            hook.create_email_account("Secret", "secret@example.com", password, SMTP, limitation=1200)
        with pytest.raises(SnovioValidationError) as invalid:
            hook.create_email_account("Secret", "secret@example.com", password + "\n", SMTP)
    assert invalid.value.field == "password"
    for text in (repr(created), str(refused.value), repr(refused.value), str(invalid.value), caplog.text):
        assert password not in text

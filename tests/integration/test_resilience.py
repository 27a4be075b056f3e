"""Rate limit, retries, faults, tokens and secrets, end to end against the sandbox over real HTTP."""

from __future__ import annotations

import dataclasses
import logging
import time

import pytest

from airflow_provider_snovio.api.client import SnovioClient
from airflow_provider_snovio.api.errors import (
    SnovioLimiterError,
    SnovioPartialError,
    SnovioResponseError,
    SnovioServerError,
    SnovioTooManyProcessingError,
    SnovioTransportError,
)
from airflow_provider_snovio.api.token import TokenCache
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.integration.conftest import FAST_RETRIES


def _client(hook: SnovioHook, **changes: object) -> SnovioClient:
    config = dataclasses.replace(hook.client_config(), retry=FAST_RETRIES, **changes)
    return SnovioClient(config, tokens=TokenCache())


def test_client_limiter_keeps_the_server_free_of_429s(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    snovio_sandbox.configure(requests_per_minute=5, rate_window_seconds=2)
    client = _client(hook, requests_per_minute=5, rate_window_seconds=2.0)
    started = time.monotonic()
    for _ in range(11):  # plus one token request: 12 requests, at most 5 per 2 s
        client.get_balance()
    elapsed = time.monotonic() - started
    stats = snovio_sandbox.stats()
    assert stats["rate_limited"] == 0
    assert stats["peak_requests_in_window"] <= 5
    assert elapsed >= 4.0  # 12 requests at 5 per ~2.1 s need at least two full windows of waiting


def test_without_a_client_limit_429s_are_absorbed_by_retry_after(
    hook: SnovioHook, snovio_sandbox: SandboxServer
) -> None:
    snovio_sandbox.configure(requests_per_minute=3, rate_window_seconds=0.5)
    client = _client(hook, requests_per_minute=100_000, rate_limit_backend="memory")
    for _ in range(8):
        assert client.get_balance()["success"] is True
    assert snovio_sandbox.stats()["rate_limited"] > 0


def test_injected_429_bursts_are_retried(client: SnovioClient, snovio_sandbox: SandboxServer) -> None:
    client.get_balance()  # token first
    snovio_sandbox.configure(burst_429_every=2, burst_429_length=1)
    campaigns = [client.get_user_campaigns() for _ in range(5)]
    assert all(c == campaigns[0] for c in campaigns)
    assert snovio_sandbox.stats()["injected_429"] > 0


def test_persistent_server_errors_give_up_after_max_retries(
    client: SnovioClient, snovio_sandbox: SandboxServer
) -> None:
    client.get_balance()
    snovio_sandbox.configure(error_rate=1.0)
    before = _stat_in(snovio_sandbox, "GET /v1/get-balance", 1)
    with pytest.raises(SnovioServerError, match="/v1/get-balance"):
        client.get_balance()
    expected = before + client.config.retry.max_retries + 1
    assert _stat_in(snovio_sandbox, "GET /v1/get-balance", expected) == expected


def _stat_in(sandbox: SandboxServer, key: str, expected: int) -> int:
    deadline = time.monotonic() + 2.0
    value = sandbox.stats()["requests"].get(key, 0)
    while value != expected and time.monotonic() < deadline:
        time.sleep(0.02)
        value = sandbox.stats()["requests"].get(key, 0)
    return value


def test_truncated_answer_to_a_paid_call_is_not_paid_twice(client: SnovioClient, snovio_sandbox: SandboxServer) -> None:
    client.get_balance()
    snovio_sandbox.configure(truncate_rate=1.0, fault_phase="after")
    with pytest.raises(SnovioResponseError, match="not valid JSON"):
        client.add_emails_to_verification(["gavin.vanrooyen@octagon.com"])
    assert _stat_in(snovio_sandbox, "POST /v1/add-emails-to-verification", 1) == 1
    assert snovio_sandbox.stats()["credits_spent"] == 1


def test_truncated_answer_to_a_free_call_is_retried(client: SnovioClient, snovio_sandbox: SandboxServer) -> None:
    client.get_balance()
    snovio_sandbox.configure(truncate_rate=1.0)
    with pytest.raises(SnovioResponseError):
        client.get_user_lists()
    expected = client.config.retry.max_retries + 1
    assert _stat_in(snovio_sandbox, "GET /v1/get-user-lists", expected) == expected


def test_stray_nul_characters_are_ignored(client: SnovioClient, snovio_sandbox: SandboxServer) -> None:
    clean = client.get_user_campaigns()
    snovio_sandbox.configure(nul_rate=1.0)
    assert client.get_user_campaigns() == clean


def test_read_timeout_on_a_paid_call_is_not_retried(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    client = _client(hook, timeout=0.3)
    client.get_balance()
    snovio_sandbox.configure(latency_ms=800)
    with pytest.raises(SnovioTransportError):
        client.start_domain_search("octagon.com")
    assert _stat_in(snovio_sandbox, "POST /v2/domain-search/start", 1) == 1
    with pytest.raises(SnovioTransportError):
        client.get_user_lists()
    expected = client.config.retry.max_retries + 1
    assert _stat_in(snovio_sandbox, "GET /v1/get-user-lists", expected) == expected


def test_token_is_reused_then_renewed_before_expiry_and_after_a_401(
    hook: SnovioHook, snovio_sandbox: SandboxServer
) -> None:
    snovio_sandbox.configure(token_ttl=1.0)
    client = _client(hook)
    issued = snovio_sandbox.stats()["tokens_issued"]
    for _ in range(3):
        client.get_balance()
    assert snovio_sandbox.stats()["tokens_issued"] == issued + 1
    time.sleep(0.8)  # past 3/4 of the lifetime: renewed before Snov.io would refuse it
    client.get_balance()
    assert snovio_sandbox.stats()["tokens_issued"] == issued + 2
    assert snovio_sandbox.stats()["unauthorized"] == 0
    snovio_sandbox.configure(token_ttl=3600.0)
    snovio_sandbox.state.tokens.clear()  # the server forgets every token: the next call gets a 401
    assert client.get_balance()["success"] is True
    assert snovio_sandbox.stats()["unauthorized"] == 1
    assert snovio_sandbox.stats()["tokens_issued"] == issued + 3


def test_secrets_never_reach_logs_or_errors(
    hook: SnovioHook, snovio_sandbox: SandboxServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    client = _client(hook)
    token = client.access_token()
    snovio_sandbox.configure(error_rate=1.0)
    with pytest.raises(SnovioServerError) as failure:
        client.get_user_lists()
    snovio_sandbox.configure(error_rate=0.0)
    client.get_balance()
    text = caplog.text + str(failure.value) + repr(failure.value) + repr(client.config)
    assert "retry" in caplog.text  # the retries were logged...
    for secret in (snovio_sandbox.client_secret, token):
        assert secret not in text  # ...without a secret


def test_a_split_call_stopped_by_the_hourly_quota_says_what_was_paid_and_resumes(
    client: SnovioClient, snovio_sandbox: SandboxServer
) -> None:
    emails = [f"lead{i:02d}@octagon.com" for i in range(25)]
    snovio_sandbox.configure(verifier_hourly_limit=20)
    with pytest.raises(SnovioPartialError) as caught:
        client.add_emails_to_verification(emails)
    error = caught.value
    assert error.done == emails[:20] and error.remaining == emails[20:]
    assert set(error.answer) >= set(emails[:20])
    assert isinstance(error.cause, SnovioTooManyProcessingError)
    assert error.cause.retry_after is not None and error.cause.retry_after > 60, "the sandbox's Retry-After"
    assert snovio_sandbox.stats()["credits_spent"] == 20

    snovio_sandbox.configure(verifier_hourly_limit=500)
    client.add_emails_to_verification(error.remaining)
    assert snovio_sandbox.stats()["credits_spent"] == 25, "every address paid for exactly once"


def test_retry_after_on_a_429_from_the_sandbox_is_waited_for(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    snovio_sandbox.configure(requests_per_minute=2, rate_window_seconds=1.0)
    policy = dataclasses.replace(FAST_RETRIES, max_retries=0, retry_after_max=5.0, rate_window_seconds=1.0)
    client = SnovioClient(
        dataclasses.replace(
            hook.client_config(), retry=policy, requests_per_minute=100_000, rate_limit_backend="memory"
        ),
        tokens=TokenCache(),
    )
    started = time.monotonic()
    for _ in range(3):  # token + 3 calls at 2 per second: a 429 with no retries left is tried once more
        assert client.get_balance()["success"] is True
    assert snovio_sandbox.stats()["rate_limited"] > 0
    assert time.monotonic() - started < 5.0


def test_an_unreachable_limiter_backend_is_a_snovio_error_without_the_password(hook: SnovioHook) -> None:
    password = "redis-pa55word-never-shown"
    config = dataclasses.replace(
        hook.client_config(),
        retry=dataclasses.replace(FAST_RETRIES, max_retries=1),
        rate_limit_backend=f"redis://:{password}@127.0.0.1:1/0?socket_connect_timeout=0.2",
    )
    client = SnovioClient(config, tokens=TokenCache())
    with pytest.raises(SnovioLimiterError) as caught:
        client.get_balance()
    assert caught.value.sent is False and caught.value.endpoint is not None
    assert password not in str(caught.value) and password not in repr(caught.value)


def test_dropped_connections_on_reads_are_retried_to_the_exact_answer(
    client: SnovioClient, snovio_sandbox: SandboxServer
) -> None:
    expected = client.get_user_campaigns()
    snovio_sandbox.configure(drop_rate=0.3, fault_phase="after")
    assert [client.get_user_campaigns() for _ in range(10)] == [expected] * 10
    assert snovio_sandbox.stats()["faults"]["drop"] > 0


def test_a_paid_call_dropped_after_it_took_effect_is_not_sent_again(
    client: SnovioClient, snovio_sandbox: SandboxServer
) -> None:
    client.get_balance()  # token first: only the paid call meets the fault
    spent = snovio_sandbox.stats()["credits_spent"]
    before = snovio_sandbox.stats()["total_requests"]
    snovio_sandbox.configure(drop_rate=1.0, fault_phase="after")
    with pytest.raises(SnovioTransportError) as raised:
        client.add_emails_to_verification(["gavin.vanrooyen@octagon.com"])
    assert raised.value.sent is True  # it may have run: the client cannot know, so it does not resend
    assert snovio_sandbox.stats()["total_requests"] - before == 1
    assert snovio_sandbox.stats()["credits_spent"] - spent == 1

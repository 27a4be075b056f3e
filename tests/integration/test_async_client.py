"""AsyncSnovioClient (for triggers) against the sandbox over real HTTP."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from airflow_provider_snovio.api.async_client import AsyncSnovioClient
from airflow_provider_snovio.api.client import ClientConfig, SnovioClient
from airflow_provider_snovio.api.errors import SnovioAuthError, SnovioNotFoundError, SnovioValidationError
from airflow_provider_snovio.api.status import TaskState, task_hash_of, task_state
from airflow_provider_snovio.api.token import TokenCache
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.integration.conftest import FAST_RETRIES


def test_async_client_from_the_hook_reads_the_connection(hook: SnovioHook) -> None:
    async def run() -> dict:
        async with await hook.async_client() as client:
            return await client.call("get_balance")

    assert asyncio.run(run())["data"]["balance"] == "25000.00"


def test_async_and_sync_clients_share_one_token(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    tokens = TokenCache()
    config = dataclasses.replace(hook.client_config(), retry=FAST_RETRIES)
    issued = snovio_sandbox.stats()["tokens_issued"]
    SnovioClient(config, tokens=tokens).get_balance()

    async def run() -> list:
        async with AsyncSnovioClient(config, tokens=tokens) as client:
            return await asyncio.gather(*(client.call("get_user_campaigns") for _ in range(3)))

    answers = asyncio.run(run())
    assert all(a == answers[0] for a in answers)
    assert snovio_sandbox.stats()["tokens_issued"] == issued + 1


def test_async_polling_of_a_task_and_errors(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    snovio_sandbox.configure(task_polls_pending=2, burst_429_every=3, burst_429_length=1)
    config = dataclasses.replace(hook.client_config(), retry=FAST_RETRIES)
    started = SnovioClient(config).start_domain_search("octagon.com")  # triggers never POST: the operator does

    async def run() -> list[TaskState]:
        states = []
        async with AsyncSnovioClient(config) as client:
            for _ in range(5):
                body = await client.call("get_domain_search_result", task_hash=task_hash_of(started))
                states.append(task_state(body))
                if states[-1] is TaskState.DONE:
                    break
                await asyncio.sleep(0.01)
            with pytest.raises(SnovioNotFoundError):
                await client.call("get_domain_search_result", task_hash="ab" * 16)
            with pytest.raises(SnovioValidationError, match="task_hash"):
                await client.call("get_domain_search_result", task_hash="../secrets")
        return states

    assert asyncio.run(run()) == [TaskState.PENDING, TaskState.PENDING, TaskState.DONE]
    assert snovio_sandbox.stats()["injected_429"] > 0


def test_twenty_async_clients_whose_token_expires_together_send_one_token_request(
    hook: SnovioHook, snovio_sandbox: SandboxServer
) -> None:
    """Twenty triggers of one account (one client each): one token request per expiry, not twenty."""
    snovio_sandbox.configure(token_ttl=1.0, latency_ms=50)  # the token request is in flight while all ask
    tokens = TokenCache()
    config = dataclasses.replace(hook.client_config(), retry=FAST_RETRIES)

    async def run() -> None:
        clients = [AsyncSnovioClient(config, tokens=tokens) for _ in range(20)]
        try:
            for _ in range(2):
                answers = await asyncio.gather(*(c.call("get_balance") for c in clients))
                assert all(a["success"] is True for a in answers)
                await asyncio.sleep(1.0)  # past the lifetime: every client needs a new token at once
        finally:
            for client in clients:
                await client.aclose()

    issued = snovio_sandbox.stats()["tokens_issued"]
    asyncio.run(run())
    assert snovio_sandbox.stats()["tokens_issued"] == issued + 2
    assert snovio_sandbox.stats()["unauthorized"] == 0


def test_a_wrong_secret_never_borrows_the_token_of_the_right_one(snovio_sandbox: SandboxServer) -> None:
    """Token cache entries are keyed by the secret too: testing a connection edited to a wrong secret fails,
    even in a process that already holds a token issued for the right secret (e.g. the API server)."""
    right = ClientConfig(
        client_id=snovio_sandbox.client_id,
        client_secret=snovio_sandbox.client_secret,
        base_url=snovio_sandbox.base_url,
        requests_per_minute=100_000,
    )
    wrong = dataclasses.replace(right, client_secret="not-the-secret")
    assert right.account_key == wrong.account_key  # one account, one rate limit
    with SnovioClient(right) as client:
        assert client.get_balance()["success"] is True
    with SnovioClient(wrong) as client, pytest.raises(SnovioAuthError):
        client.get_balance()

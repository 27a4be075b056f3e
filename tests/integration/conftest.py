"""Fixtures: a SnovioHook and a SnovioClient wired to the in-process sandbox over real HTTP.

The hook reads ``AIRFLOW_CONN_SNOVIO_DEFAULT`` exactly as in production. The ``client`` fixture is built
from that same connection but with short retry backoffs, so fault-injection tests finish in seconds.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import pytest

from airflow_provider_snovio.api.client import SnovioClient
from airflow_provider_snovio.api.retry import RetryPolicy
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.sandbox.testing import SandboxServer

FAST_RETRIES = RetryPolicy(
    max_retries=3,
    backoff_base=0.01,
    backoff_max=0.05,
    processing_backoff=0.05,
    processing_backoff_max=0.1,
    retry_after_max=0.2,
)
#: Poll quickly: the sandbox finishes tasks after one pending poll by default.
FAST_POLL: dict[str, float] = {"poll_interval": 0.02, "timeout": 10.0}


def conn_json(sandbox: SandboxServer, **extra: Any) -> str:
    return json.dumps(
        {
            "conn_type": "snovio",
            "login": sandbox.client_id,
            "password": sandbox.client_secret,
            "host": sandbox.base_url,
            "extra": {"requests_per_minute": 100_000, "max_retries": 3, "timeout": 10, **extra},
        }
    )


@pytest.fixture
def hook(snovio_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> SnovioHook:
    monkeypatch.setenv("AIRFLOW_CONN_SNOVIO_DEFAULT", conn_json(snovio_sandbox))
    return SnovioHook()


@pytest.fixture
def client(hook: SnovioHook) -> SnovioClient:
    config = dataclasses.replace(hook.client_config(), retry=FAST_RETRIES)
    with SnovioClient(config) as built:
        yield built

"""The worker process of ``test_limiter_processes``: a real client sending requests as fast as its limiter allows.

A module of its own, with nothing heavy imported at the top: ``spawn`` imports the module that defines the
target in every child, and the test module imports the sandbox (FastAPI, uvicorn) and pytest.
"""

from __future__ import annotations

import time
from typing import Any


def send_until(
    base_url: str,
    client_id: str,
    secret: str,
    backend: str | None,
    limit: int,
    window: float,
    duration: float,
    barrier: Any,
    results: Any,
) -> None:
    """From the common start, call ``get_balance`` for ``duration`` seconds; put the number sent then in ``results``."""
    from airflow_provider_snovio.api.client import ClientConfig, SnovioClient
    from airflow_provider_snovio.api.retry import RetryPolicy

    config = ClientConfig(
        client_id=client_id,
        client_secret=secret,
        base_url=base_url,
        requests_per_minute=limit,
        rate_window_seconds=window,
        rate_limit_backend=backend,
        retry=RetryPolicy(max_retries=0, rate_window_seconds=0.0),
    )  # a 429 fails the worker
    with SnovioClient(config) as client:
        client.get_balance()  # warm up (token, lazy imports) before the common start: a slow start eats no window
        barrier.wait(timeout=120)
        start, sent = time.monotonic(), 0
        while time.monotonic() - start < duration:
            client.get_balance()
            sent += 1
    results.put(sent)

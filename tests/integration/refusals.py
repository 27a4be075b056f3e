"""One check for "bad input is refused naming the field, before any request", shared by the family tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_snovio.api.errors import SnovioValidationError
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.sandbox.testing import SandboxServer


def refusal(hook: SnovioHook, sandbox: SandboxServer, call: Callable[[SnovioHook], Any]) -> SnovioValidationError:
    """Run ``call(hook)``; return the ``SnovioValidationError`` it raises, failing if a request or a credit
    reached the sandbox on the way."""
    hook.get_balance()  # the token exists: any request after this would be the bad call itself
    before = sandbox.stats()
    with pytest.raises(SnovioValidationError) as caught:
        call(hook)
    after = sandbox.stats()
    assert after["total_requests"] == before["total_requests"], "a request was sent for invalid input"
    assert after["credits_spent"] == before["credits_spent"]
    return caught.value

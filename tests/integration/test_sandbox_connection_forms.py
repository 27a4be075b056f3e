"""The connection strings the sandbox hands out (JSON and URI) work with SnovioHook as they are."""

from __future__ import annotations

import pytest

from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.sandbox.testing import SandboxServer


@pytest.mark.parametrize("form", ["connection_json", "connection_uri"])
def test_hook_connects_with_the_sandbox_connection(
    form: str, snovio_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SNOVIO_DEFAULT", getattr(snovio_sandbox, form)())
    hook = SnovioHook()
    config = hook.client_config()
    assert config.base_url == snovio_sandbox.base_url
    assert config.requests_per_minute == snovio_sandbox.state.config.requests_per_minute
    ok, message = hook.test_connection()
    assert ok, message

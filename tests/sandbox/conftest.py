"""Shared fixtures of the sandbox contract tests.

The ``snovio_sandbox`` fixture comes from the provider's pytest plugin (entry point ``pytest11``); it is
registered here too when the package was installed before the entry point existed, so these tests also
exercise the plugin users get. ``api`` is an authenticated ``requests`` session against it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests

from airflow_provider_snovio.sandbox import pytest_plugin
from airflow_provider_snovio.sandbox.testing import SandboxServer


def pytest_configure(config: pytest.Config) -> None:
    if not config.pluginmanager.has_plugin("snovio_sandbox") and not config.pluginmanager.is_registered(pytest_plugin):
        config.pluginmanager.register(pytest_plugin, "snovio_sandbox")


class Api:
    """A thin authenticated client: ``api.get("/v1/get-balance", params=...)``, ``api.post(..., data=...)``."""

    def __init__(self, server: SandboxServer, session: requests.Session) -> None:
        self.server = server
        self.session = session
        self.base_url = server.base_url

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.get(self.base_url + path, timeout=30, **kwargs)

    def post(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.post(self.base_url + path, timeout=30, **kwargs)

    def put(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.put(self.base_url + path, timeout=30, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> requests.Response:
        return self.session.delete(self.base_url + path, timeout=30, **kwargs)


@pytest.fixture(scope="session")
def _api_session(snovio_sandbox_session: SandboxServer) -> Iterator[requests.Session]:
    session = requests.Session()
    # A token that outlives the tests' clock jumps (they advance the sandbox clock by hours).
    snovio_sandbox_session.configure(token_ttl=10_000_000)
    session.headers["Authorization"] = f"Bearer {snovio_sandbox_session.token()}"
    snovio_sandbox_session.restore_config()
    yield session
    session.close()


@pytest.fixture
def api(snovio_sandbox: SandboxServer, _api_session: requests.Session) -> Api:
    """Authenticated session (one token for the whole session: tokens survive resets)."""
    return Api(snovio_sandbox, _api_session)


@pytest.fixture
def sb(snovio_sandbox: SandboxServer) -> SandboxServer:
    """Short name of ``snovio_sandbox`` for the contract tests."""
    return snovio_sandbox


@pytest.fixture
def http(api: Api) -> requests.Session:
    """The authenticated ``requests`` session behind ``api``."""
    return api.session

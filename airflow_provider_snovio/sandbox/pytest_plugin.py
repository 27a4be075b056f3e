"""pytest plugin (entry point ``pytest11``): the ``snovio_sandbox`` fixture for any project using the provider.

Why it is harmless where nobody asks for it: pytest loads every installed ``pytest11`` plugin, so this
module imports nothing heavy at load time (no FastAPI, uvicorn or Airflow; proven by
``tests/sandbox/test_pytest_plugin_load.py``); the server is imported only when a test uses a fixture.

Why session reuse: starting uvicorn costs ~0.1 s and building the seeded data ~0.7 s the first time; one server
per session, reset (data, credits, stats, limiter windows) and restored to its start knobs before every test,
keeps suites fast while each test still sees a fresh account. Issued tokens survive the reset, like a
client's cached token would against the real API.

Defaults for tests: ``requests_per_minute=100000`` so suites are not throttled; a test that checks the limit
sets it lower (``snovio_sandbox.configure(requests_per_minute=5, rate_window_seconds=2)``). Override the
session knobs by redefining the ``snovio_sandbox_config`` fixture in your conftest.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from airflow_provider_snovio.sandbox.testing import SandboxServer

TEST_DEFAULTS: dict[str, Any] = {"requests_per_minute": 100_000}


@pytest.fixture(scope="session")
def snovio_sandbox_config() -> dict[str, Any]:
    """Knobs of the session's sandbox (override in a conftest to change them)."""
    return dict(TEST_DEFAULTS)


@pytest.fixture(scope="session")
def snovio_sandbox_session(snovio_sandbox_config: dict[str, Any]) -> Iterator[SandboxServer]:
    """One running sandbox for the whole session; prefer ``snovio_sandbox``, which resets it per test."""
    from airflow_provider_snovio.sandbox.testing import SandboxServer

    with SandboxServer(**snovio_sandbox_config) as server:
        yield server


@pytest.fixture
def snovio_sandbox(snovio_sandbox_session: SandboxServer) -> SandboxServer:
    """A running sandbox with the session's start knobs and freshly seeded state."""
    snovio_sandbox_session.restore_config()
    snovio_sandbox_session.reset()
    return snovio_sandbox_session


@pytest.fixture
def snovio_conn_env(snovio_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch) -> SandboxServer:
    """``snovio_sandbox`` plus ``AIRFLOW_CONN_SNOVIO_DEFAULT`` pointing at it."""
    monkeypatch.setenv("AIRFLOW_CONN_SNOVIO_DEFAULT", snovio_sandbox.connection_json())
    return snovio_sandbox

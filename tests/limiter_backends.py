"""Fixtures shared by the rate-limiter, quota and token-store tests (registered in ``tests/conftest.py``).

* ``redis_url``: a private redis-server for the test module (one per module, so a module's keys never meet
  another's);
* ``backend``: the limiter's three backends in turn - ``"memory"``, the per-host SQLite log (``None``) and
  that Redis;
* ``private_rate_limit_dir``: a per-test ``SNOVIO_RATE_LIMIT_DIR`` (use it with ``pytest.mark.usefixtures``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from airflow_provider_snovio.api.ratelimit import RATE_LIMIT_DIR_ENV


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    from tests.integration.test_ratelimit_processes import private_redis_server

    with private_redis_server() as url:
        yield url


@pytest.fixture(params=["memory", "per-host", "redis"])
def backend(request: pytest.FixtureRequest) -> str | None:
    if request.param == "redis":
        return str(request.getfixturevalue("redis_url"))
    return "memory" if request.param == "memory" else None


@pytest.fixture
def private_rate_limit_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    directory = tmp_path / "ratelimit"
    monkeypatch.setenv(RATE_LIMIT_DIR_ENV, str(directory))
    return directory

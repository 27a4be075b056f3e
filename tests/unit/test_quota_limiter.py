"""Hourly quotas in the shared limiter (issue 13 items 9-11): units, declarations, extras, warnings, the form.

The limiter is exercised on every backend (this process's memory, the per-host SQLite log, a private
redis-server); the pacing of real traffic against the sandbox is in ``tests/reliability/test_quota_pacing.py``.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import time
import uuid
from pathlib import Path

import pytest

from airflow_provider_snovio import get_provider_info
from airflow_provider_snovio.api.catalogue import ENDPOINTS
from airflow_provider_snovio.api.client import ClientConfig, prepare_batches
from airflow_provider_snovio.api.errors import SnovioConfigError
from airflow_provider_snovio.api.quotas import QUOTA_FAMILY_OF, quota_use
from airflow_provider_snovio.api.ratelimit import (
    QUOTA_FAMILIES,
    RATE_LIMIT_DIR_ENV,
    RateLimiter,
    get_rate_limiter,
    quota_margin_seconds,
)
from airflow_provider_snovio.hooks import snovio as hook_module
from airflow_provider_snovio.hooks.snovio import SnovioHook, airflow_server_role, read_extras

LOGGER = hook_module.__name__
WINDOW = 0.6


pytestmark = pytest.mark.usefixtures("private_rate_limit_dir")  # tests/limiter_backends.py


def key() -> str:
    return f"https://api.snov.io|quota-{uuid.uuid4().hex}"


# -- which requests count, and how much -------------------------------------------------------------------


def test_the_quota_families_are_the_documented_v1_finder_and_verifier_calls() -> None:
    assert set(QUOTA_FAMILY_OF) == {
        ENDPOINTS.get_emails_from_names,
        ENDPOINTS.add_names_to_find_emails,
        ENDPOINTS.get_emails_verification_status,
        ENDPOINTS.add_emails_to_verification,
    }
    assert {family for family, _ in QUOTA_FAMILY_OF.values()} == set(QUOTA_FAMILIES)


def test_units_are_finder_requests_and_verified_emails_per_request() -> None:
    _, (finder,) = prepare_batches(
        ENDPOINTS.add_names_to_find_emails, {"first_name": "A", "last_name": "B", "domain": "example.com"}
    )
    assert quota_use(finder) == ("finder", 1)
    emails = [f"person{n}@example.com" for n in range(23)]
    _, requests = prepare_batches(ENDPOINTS.add_emails_to_verification, {"emails": emails})
    assert [quota_use(r) for r in requests] == [("verifier", 10), ("verifier", 10), ("verifier", 3)]
    _, (status,) = prepare_batches(ENDPOINTS.get_emails_verification_status, {"emails": emails[:7]})
    assert quota_use(status) == ("verifier", 7)
    _, (balance,) = prepare_batches(ENDPOINTS.get_balance, {})
    assert quota_use(balance) is None
    _, (v2,) = prepare_batches(ENDPOINTS.start_email_verification, {"emails": emails[:2]})
    assert quota_use(v2) is None  # the docs list the hourly limits for the v1 calls only


# -- the limiter ------------------------------------------------------------------------------------------


def test_a_declared_quota_admits_units_until_full_then_waits_for_the_window(backend: str | None) -> None:
    limiter = get_rate_limiter(key(), 1000, backend, quotas={"verifier": 10}, quota_window_seconds=WINDOW)
    start = time.monotonic()
    limiter.acquire("verifier", 7)
    limiter.acquire("verifier", 3)
    assert time.monotonic() - start < 0.3
    assert limiter._attempt(limiter.quota_ask("verifier", 1)) is not None  # the 11th unit must wait
    assert limiter._attempt(limiter.quota_ask("finder", 1)) is None  # another family: its own quota
    assert limiter._attempt() is None  # and a request of no family is not held by the quota
    limiter.acquire("verifier", 1)
    assert WINDOW <= time.monotonic() - start < WINDOW + quota_margin_seconds(WINDOW) + 0.4
    # Admitted once the first request's 7 units left; the next 3, stamped a moment later, may still be in it.
    assert 1 <= len(limiter.quota_stamps("verifier")) <= 4


def test_rate_slot_and_units_are_admitted_together_or_not_at_all(backend: str | None) -> None:
    limiter = get_rate_limiter(key(), 2, backend, window_seconds=WINDOW, quotas={"finder": 5})
    limiter.acquire()
    limiter.acquire()
    assert limiter._attempt(limiter.quota_ask("finder", 1)) is not None  # the rate is full...
    assert limiter.quota_stamps("finder") == []  # ... so no unit was taken while it waits
    limiter.acquire("finder", 1)
    assert len(limiter.quota_stamps("finder")) == 1


def test_settle_moves_the_units_to_the_answer(backend: str | None) -> None:
    window = 1.0
    limiter = get_rate_limiter(key(), 1000, backend, quotas={"finder": 2}, quota_window_seconds=window)
    first = limiter.acquire("finder")
    limiter.acquire("finder")
    (admitted, _) = limiter.quota_stamps("finder")
    time.sleep(0.5)
    limiter.settle(first)  # its answer came 0.5 s after admission: it counts from then on
    later = limiter.quota_stamps("finder")
    assert len(later) == 2 and later[-1] - admitted >= 0.49
    time.sleep(0.65)  # the second unit (out at ~1.02 s) has left the window, the settled one (~1.52 s) has not
    assert limiter._attempt(limiter.quota_ask("finder", 1)) is None
    assert limiter._attempt(limiter.quota_ask("finder", 1)) is not None


def test_an_unknown_quota_records_units_that_a_declared_one_counts(backend: str | None) -> None:
    account = key()
    undeclared = get_rate_limiter(account, 1000, backend, quota_window_seconds=WINDOW)
    declared = get_rate_limiter(account, 1000, backend, quotas={"verifier": 12}, quota_window_seconds=WINDOW)
    for _ in range(3):
        undeclared.acquire("verifier", 10)  # today's behaviour: never held back
    assert len(undeclared.quota_stamps("verifier")) == 30
    if backend != "memory":  # processes share the units through the per-host log or Redis
        assert declared._attempt(declared.quota_ask("verifier", 1)) is not None


def test_a_request_larger_than_the_quota_is_a_clear_error() -> None:
    limiter = RateLimiter(key(), 60, "memory", quotas={"verifier": 5})
    with pytest.raises(ValueError, match=r"verifier_hourly_limit \(5\).*10 units"):
        limiter.acquire("verifier", 10)
    with pytest.raises(ValueError, match="quota family"):
        limiter.acquire("enrichment", 1)
    with pytest.raises(ValueError, match="finder_hourly_limit"):
        RateLimiter(key(), 60, "memory", quotas={"finder": 0})


def test_async_acquire_takes_units_without_blocking_the_loop() -> None:
    limiter = RateLimiter(key(), 1000, "memory", quotas={"finder": 1}, quota_window_seconds=0.4)

    async def run() -> tuple[float, int]:
        ticks = 0
        first = await limiter.acquire_async("finder")
        await asyncio.to_thread(limiter.settle, first)
        waiter = asyncio.create_task(limiter.acquire_async("finder"))
        start = time.monotonic()
        while not waiter.done():
            ticks += 1
            await asyncio.sleep(0.01)
        return time.monotonic() - start, ticks

    waited, ticks = asyncio.run(run())
    assert 0.3 <= waited < 1.2 and ticks > 10


def test_the_real_hour_keeps_one_second_of_margin() -> None:
    limiter = RateLimiter(key(), 60, "memory", quotas={"finder": 200, "verifier": 500})
    assert limiter.quota_window_seconds == 3600.0
    assert limiter.quota_interval == 3601.0
    assert quota_margin_seconds(5.0) == pytest.approx(0.1)  # a compressed hour: 2 % of it


# -- the connection -------------------------------------------------------------------------------------------


def conn_json(**extra: object) -> str:
    return json.dumps(
        {
            "conn_type": "snovio",
            "login": "id",
            "password": "secret",
            "host": "http://127.0.0.1:9",
            "extra": {"rate_limit_backend": "memory", **extra},
        }
    )


def test_the_extras_reach_the_client_and_its_limiter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_SNOVIO_DEFAULT",
        conn_json(finder_hourly_limit="200", verifier_hourly_limit=500, quota_window_seconds=30),
    )
    hook = SnovioHook()
    config = hook.client_config()
    assert (config.finder_hourly_limit, config.verifier_hourly_limit, config.quota_window_seconds) == (200, 500, 30)
    limiter = hook.get_conn()._limiter
    assert limiter.quotas == {"finder": 200, "verifier": 500}
    assert limiter.quota_window_seconds == 30.0


def test_empty_extras_mean_unknown_quotas() -> None:
    values = read_extras({"finder_hourly_limit": "", "verifier_hourly_limit": None})
    assert values["finder_hourly_limit"] is None and values["verifier_hourly_limit"] is None
    assert values["quota_window_seconds"] == 3600.0
    assert ClientConfig(client_id="id", client_secret="s").quotas == {"finder": None, "verifier": None}


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"finder_hourly_limit": 0}, "finder_hourly_limit"),
        ({"finder_hourly_limit": "lots"}, "finder_hourly_limit"),
        ({"verifier_hourly_limit": 9}, "verifier_hourly_limit"),
        ({"quota_window_seconds": 0}, "quota_window_seconds"),
        ({"quota_window_seconds": "nan"}, "quota_window_seconds"),
    ],
)
def test_bad_quota_extras_are_refused_naming_the_field(extra: dict[str, object], field: str) -> None:
    with pytest.raises(SnovioConfigError, match=field):
        read_extras(extra)


def test_the_form_declares_the_quota_extras_and_hides_the_backend_url() -> None:
    (conn_type,) = get_provider_info()["connection-types"]
    fields = conn_type["conn-fields"]
    # Airflow renders a conn-field whose schema format is "password" as a password input (is_sensitive).
    assert fields["rate_limit_backend"]["schema"]["format"] == "password"
    for name in ("finder_hourly_limit", "verifier_hourly_limit", "quota_window_seconds"):
        assert name in fields and fields[name]["label"]
    assert fields["quota_window_seconds"]["schema"]["default"] == 3600.0


def test_airflow_reads_the_backend_field_as_sensitive() -> None:
    from airflow.providers_manager import ProvidersManager

    widgets = ProvidersManager().connection_form_widgets
    assert widgets["extra__snovio__rate_limit_backend"].is_sensitive
    assert not widgets["extra__snovio__finder_hourly_limit"].is_sensitive


# -- item 10: a triggerer or API server on the per-host default -------------------------------------------


@pytest.fixture
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(hook_module, "_warned_server_pid", None)
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "LocalExecutor")  # the other warning stays silent


def server_warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.name == LOGGER and r.levelno == logging.WARNING and "container" in r.getMessage()
    ]


@pytest.mark.parametrize(
    ("argv", "role"),
    [
        (["/opt/airflow/bin/airflow", "triggerer"], "triggerer"),
        (["/usr/lib/python3/site-packages/airflow/__main__.py", "triggerer", "--capacity", "100"], "triggerer"),
        (["airflow", "api-server", "--port", "8080"], "API server"),
        (["airflow", "tasks", "run"], None),
        (["airflow", "scheduler"], None),
        (["/usr/bin/pytest", "triggerer"], None),
        (["python"], None),
    ],
)
def test_airflow_server_role_reads_the_command(argv: list[str], role: str | None) -> None:
    assert airflow_server_role(argv) == role


@pytest.mark.parametrize("command", ["triggerer", "api-server"])
def test_a_triggerer_or_api_server_on_the_per_host_default_warns_once(
    command: str, fresh_process: None, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv(RATE_LIMIT_DIR_ENV)
    monkeypatch.setattr(sys, "argv", ["/opt/airflow/bin/airflow", command])
    monkeypatch.setenv("AIRFLOW_CONN_SNOVIO_DEFAULT", conn_json(rate_limit_backend=""))
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        SnovioHook().client_config()
        SnovioHook().client_config()
    (message,) = server_warnings(caplog)
    assert ("triggerer" if command == "triggerer" else "API server") in message
    assert RATE_LIMIT_DIR_ENV in message and "'rate_limit_backend'" in message


@pytest.mark.parametrize("setting", ["shared volume", "redis", "worker"])
def test_no_warning_with_a_shared_log_or_outside_those_processes(
    setting: str,
    fresh_process: None,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.delenv(RATE_LIMIT_DIR_ENV)
    monkeypatch.setattr(sys, "argv", ["airflow", "tasks" if setting == "worker" else "triggerer"])
    backend = "redis://:hunter2@cache:6379/0" if setting == "redis" else ""
    if setting == "shared volume":
        monkeypatch.setenv(RATE_LIMIT_DIR_ENV, str(tmp_path / "shared"))
    monkeypatch.setenv("AIRFLOW_CONN_SNOVIO_DEFAULT", conn_json(rate_limit_backend=backend))
    with caplog.at_level(logging.DEBUG):
        SnovioHook().client_config()
    assert server_warnings(caplog) == []
    assert all("hunter2" not in record.getMessage() for record in caplog.records)


def test_airflow_redacts_the_backend_url_when_named_sensitive(tmp_path: Path) -> None:
    """What the README advises: Airflow's API redacts connection extras by key name, and ``rate_limit_backend``
    is not such a name, so ``[core] sensitive_var_conn_names = rate_limit_backend`` is what hides the URL in the
    API's answer (and the UI's Extra Fields JSON, which shows that answer)."""
    import os
    import subprocess

    script = (
        "import json\n"
        "from airflow.api_fastapi.core_api.datamodels.connections import ConnectionResponse\n"
        "r = ConnectionResponse(connection_id='c', conn_type='snovio', description=None, host=None, login='id',\n"
        "    schema=None, port=None, password='s', team_name=None,\n"
        "    extra=json.dumps({'rate_limit_backend': 'redis://:hunter2@cache:6379/0', 'timeout': 5}))\n"
        "print(r.extra)\n"
    )
    env = {**os.environ, "AIRFLOW__CORE__SENSITIVE_VAR_CONN_NAMES": "rate_limit_backend", "AIRFLOW_HOME": str(tmp_path)}
    done = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout.strip().splitlines()[-1]) == {"rate_limit_backend": "***", "timeout": 5}
    assert "hunter2" not in done.stdout + done.stderr

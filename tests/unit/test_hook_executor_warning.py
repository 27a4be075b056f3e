"""The hook warns, once per process, when tasks may run on several hosts but the rate limit is per host."""

from __future__ import annotations

import json
import logging
import os

import pytest

from airflow_provider_snovio.hooks import snovio as hook_module
from airflow_provider_snovio.hooks.snovio import SnovioHook, configured_executors

LOGGER = hook_module.__name__


@pytest.fixture(autouse=True)
def fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test starts as a process that has not warned yet."""
    monkeypatch.setattr(hook_module, "_warned_not_shared_pid", None)


def use_connection(monkeypatch: pytest.MonkeyPatch, backend: str | None = None) -> None:
    extra = {"rate_limit_backend": backend} if backend is not None else {}
    monkeypatch.setenv(
        "AIRFLOW_CONN_SNOVIO_DEFAULT",
        json.dumps(
            {
                "conn_type": "snovio",
                "login": "id",
                "password": "secret",
                "host": "http://127.0.0.1:9",
                "extra": extra,
            }
        ),
    )


def warnings_in(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == LOGGER and r.levelno == logging.WARNING]


@pytest.mark.parametrize(
    "executor",
    [
        "CeleryExecutor",
        "KubernetesExecutor",
        "LocalExecutor,CeleryExecutor",
        "airflow.providers.edge3.executors.EdgeExecutor",
        "team_a:my_company.executors.BatchExecutor",
    ],
)
def test_a_multi_host_executor_without_a_shared_backend_warns_once(
    executor: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", executor)
    use_connection(monkeypatch)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        SnovioHook().client_config()
        SnovioHook().client_config()  # a second hook in the same process: no second warning
    messages = warnings_in(caplog)
    assert len(messages) == 1
    message = messages[0]
    assert "only by the processes on this host" in message
    assert "'rate_limit_backend'" in message
    assert "pip install 'airflow-provider-snovio[redis]'" in message
    assert executor.rsplit(":", 1)[-1].rsplit(".", 1)[-1].split(",")[-1] in message


@pytest.mark.parametrize(
    "executor",
    [
        "LocalExecutor",
        "SequentialExecutor",
        "airflow.executors.local_executor.LocalExecutor",
        " LocalExecutor , DebugExecutor ",
    ],
)
def test_a_single_host_executor_does_not_warn(
    executor: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", executor)
    use_connection(monkeypatch)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        SnovioHook().client_config()
    assert warnings_in(caplog) == []


@pytest.mark.parametrize("backend", ["redis://cache:6379/0", "memory"])
def test_a_configured_backend_does_not_warn(
    backend: str, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    use_connection(monkeypatch, backend)
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        SnovioHook().client_config()
    assert warnings_in(caplog) == []


def test_another_process_warns_again(monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture) -> None:
    """One warning per *process*: a forked worker child, which inherits the flag, still warns once."""
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "CeleryExecutor")
    use_connection(monkeypatch)
    monkeypatch.setattr(hook_module, "_warned_not_shared_pid", os.getpid() + 1)  # the parent warned
    with caplog.at_level(logging.WARNING, logger=LOGGER):
        SnovioHook().client_config()
    assert len(warnings_in(caplog)) == 1


def test_configured_executors_parses_names_paths_and_aliases(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW__CORE__EXECUTOR", "LocalExecutor, team:pkg.mod.CeleryExecutor,a.b.EdgeExecutor")
    assert configured_executors() == ["LocalExecutor", "CeleryExecutor", "EdgeExecutor"]

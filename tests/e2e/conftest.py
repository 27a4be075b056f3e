"""Harness for running DAGs through ``airflow dags test`` against the sandbox (reusable by any e2e test).

Why a subprocess: ``airflow dags test`` is what a DAG author runs, and it runs the whole path for real -
DAG parsing, the task runner, XComs in a migrated metadata DB, ``task_state_store``, and deferrable
tasks whose triggers run in line - without a scheduler, a triggerer or a webserver.

Usage in a test module::

    from tests.e2e.conftest import run_dag_test

    def test_my_dag(airflow_dags_env, snovio_sandbox):
        env = airflow_dags_env(snovio_sandbox, dags_folder=MY_DAGS)   # or extra={"MY_VAR": "1"}
        result = run_dag_test("my_dag_id", MY_DAGS, env)               # asserts the run succeeded
        assert "something" in result.stdout

* ``airflow_home`` (session): a private ``AIRFLOW_HOME`` in a temporary directory with a SQLite metadata
  DB, ``airflow db migrate``-d once per session (~10 s); nothing touches ``~/airflow``.
* ``airflow_dags_env`` (function): ``make(sandbox, dags_folder, extra=None) -> env`` - the environment
  for one ``airflow dags test``: that home, ``AIRFLOW__CORE__DAGS_FOLDER`` = ``dags_folder`` and
  ``AIRFLOW_CONN_SNOVIO_DEFAULT`` pointing at the (already running) sandbox.
* :func:`run_dag_test` runs one DAG and asserts it succeeded; it returns the ``CompletedProcess``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_snovio.sandbox.testing import SandboxServer

#: Settings every ``airflow dags test`` of the suite runs with (beside the home and the DAG folder).
BASE_SETTINGS = {
    "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
    "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
    "AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT": "120",
    "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
}


def airflow_bin() -> str:
    return str(Path(sys.executable).with_name("airflow"))


def home_env(home: Path) -> dict[str, str]:
    """The process environment with every Airflow setting of the caller replaced by ``home``'s."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(BASE_SETTINGS)
    env["AIRFLOW_HOME"] = str(home)
    env["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{home / 'airflow.db'}"
    return env


@pytest.fixture(scope="session")
def airflow_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private AIRFLOW_HOME with a migrated SQLite metadata DB (migrated once per session)."""
    home = tmp_path_factory.mktemp("airflow-dags-test-home")
    migrate = subprocess.run(
        [airflow_bin(), "db", "migrate"], env=home_env(home), capture_output=True, text=True, timeout=300, check=False
    )
    assert migrate.returncode == 0, f"airflow db migrate failed:\n{migrate.stdout[-3000:]}\n{migrate.stderr[-3000:]}"
    return home


@pytest.fixture
def airflow_dags_env(airflow_home: Path) -> Callable[..., dict[str, str]]:
    """``make(sandbox, dags_folder, extra=None)``: the environment of one ``airflow dags test`` run."""

    def make(sandbox: SandboxServer, dags_folder: Path | str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = home_env(airflow_home)
        env["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags_folder)
        env["AIRFLOW_CONN_SNOVIO_DEFAULT"] = sandbox.connection_json()
        env.update(extra or {})
        return env

    return make


def run_dag_test(
    dag_id: str,
    dags_folder: Path | str,
    env: Mapping[str, str],
    *,
    timeout: float = 180,
    expect_success: bool = True,
    max_seconds: float | None = None,
    extra_args: tuple[str, ...] = (),
) -> subprocess.CompletedProcess[str]:
    """Run ``airflow dags test <dag_id>`` on ``dags_folder`` and assert on the outcome.

    Only the DAG's own file is parsed when it is ``<dags_folder>/<dag_id>.py`` (``--dagfile-path``);
    otherwise the whole folder is. With ``expect_success`` (default) it asserts exit code 0 and that
    Airflow reported the run ``success``; otherwise that it failed. ``max_seconds`` also bounds the run time.
    The output (stdout + stderr tail) is in every assertion message.
    """
    folder = Path(dags_folder)
    command = [airflow_bin(), "dags", "test", dag_id, *extra_args]
    own_file = folder / f"{dag_id}.py"
    if own_file.exists():
        command += ["--dagfile-path", str(own_file)]
    env = {**env, "AIRFLOW__CORE__DAGS_FOLDER": str(folder)}
    started = time.monotonic()
    result = subprocess.run(command, env=dict(env), capture_output=True, text=True, timeout=timeout, check=False)
    elapsed = time.monotonic() - started
    output = f"--- stdout ---\n{result.stdout[-6000:]}\n--- stderr ---\n{result.stderr[-6000:]}"
    if expect_success:
        assert result.returncode == 0, f"airflow dags test {dag_id} failed ({result.returncode}):\n{output}"
        assert dag_run_state(result) == "success", f"dag run of {dag_id} did not succeed:\n{output}"
    else:
        assert result.returncode != 0, f"airflow dags test {dag_id} unexpectedly succeeded:\n{output}"
    if max_seconds is not None:
        assert elapsed <= max_seconds, f"airflow dags test {dag_id} took {elapsed:.1f} s (> {max_seconds} s)"
    return result


def dag_run_state(result: subprocess.CompletedProcess[str]) -> str | None:
    """The final dag run state ``airflow dags test`` logged (``success``/``failed``), if any."""
    text = result.stdout + result.stderr
    for state in ("success", "failed"):
        if f"state={state}" in text or f"state: {state}" in text.lower() or f"finished with state {state}" in text:
            return state
    return None


def task_states(result: subprocess.CompletedProcess[str]) -> dict[str, Any]:
    """``{task_id: final state}`` from the task lines ``airflow dags test`` logs (best effort, for messages)."""
    import re

    states: dict[str, Any] = {}
    for match in re.finditer(r"task_id=(\w+).*?state=(\w+)", result.stdout + result.stderr):
        states[match.group(1)] = match.group(2)
    return states

"""Every provider module imports on the Airflow this interpreter has (each declared minor in
``make test-matrix``), and the names of ``_compat`` are the ones that Airflow's task runner uses."""

from __future__ import annotations

import json
import os
import pkgutil
import subprocess
import sys

import airflow_provider_snovio


def provider_modules() -> list[str]:
    prefix = f"{airflow_provider_snovio.__name__}."
    return [
        airflow_provider_snovio.__name__,
        *sorted(info.name for info in pkgutil.walk_packages(airflow_provider_snovio.__path__, prefix)),
    ]


def test_every_module_imports_in_a_fresh_interpreter() -> None:
    """A fresh process, so a module imported earlier by another test cannot hide a failing import."""
    code = (
        "import importlib, json, sys\n"
        "failed = {}\n"
        "for name in sys.argv[1:]:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except Exception as error:\n"
        "        failed[name] = repr(error)\n"
        "print(json.dumps(failed))\n"
    )
    modules = provider_modules()
    assert {
        "airflow_provider_snovio.operators.base",
        "airflow_provider_snovio.sensors.snovio",
        "airflow_provider_snovio.transfers.sql",
        "airflow_provider_snovio.hooks.connection_form",
    } <= set(modules)
    result = subprocess.run(
        [sys.executable, "-c", code, *modules],
        capture_output=True,
        text=True,
        timeout=240,
        env=os.environ.copy(),
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert json.loads(result.stdout.strip().splitlines()[-1]) == {}


def test_compat_exceptions_are_the_ones_the_task_runner_handles() -> None:
    """A sensor's reschedule is only a reschedule if it raises the class the running Airflow catches."""
    from airflow.sdk.execution_time import task_runner

    from airflow_provider_snovio import _compat

    assert _compat.AirflowRescheduleException is task_runner.AirflowRescheduleException
    assert _compat.conf.getboolean("operators", "default_deferrable", fallback=False) in (True, False)


def test_sensor_timeout_is_the_one_airflow_fails_a_sensor_with() -> None:
    """On every minor the task runner maps ``AirflowSensorTimeout`` (without retries) by this class."""
    import airflow.exceptions

    from airflow_provider_snovio import _compat

    try:
        from airflow.sdk.exceptions import AirflowSensorTimeout as sdk_timeout
    except ImportError:  # Airflow 3.1: only airflow.exceptions has it
        sdk_timeout = airflow.exceptions.AirflowSensorTimeout
    assert _compat.AirflowSensorTimeout is sdk_timeout

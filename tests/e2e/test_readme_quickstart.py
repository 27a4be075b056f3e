"""The README's quickstart, done as a DAG author does it: its DAG file, its connection, ``airflow dags test``.

Why: the quickstart is the first thing a user runs. Its DAG is written to a DAG folder exactly as the README
prints it and run by ``airflow dags test`` against the sandbox; the connection it tells the user to export is
the one ``snovio-sandbox`` prints with its defaults; the log line it promises appears; and its
``airflow connections add`` command creates a ``snovio`` connection in a real metadata DB.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from pathlib import Path

from airflow_provider_snovio.sandbox.cli import connection_json
from airflow_provider_snovio.sandbox.config import SandboxConfig
from tests.e2e.conftest import airflow_bin, home_env, run_dag_test

README = Path(__file__).resolve().parents[2] / "README.md"


def _quickstart() -> str:
    return README.read_text().split("## Quickstart for DAG authors", 1)[1].split("\n## ", 1)[0]


def _step(number: int) -> str:
    return _quickstart().split(f"### {number}. ", 1)[1].split("\n### ", 1)[0]


def _block(step: str, language: str) -> str:
    (block,) = re.findall(rf"```{language}\n(.*?)```", step, flags=re.S)
    return block


def _commands(block: str) -> list[str]:
    return [line.split("  #", 1)[0].strip() for line in block.splitlines() if line.strip()]


def test_the_exported_connection_is_what_the_sandbox_prints() -> None:
    start, export, _run = _commands(_block(_step(4), "bash"))
    assert start == "snovio-sandbox &"
    defaults = SandboxConfig()
    printed = connection_json(defaults, f"http://{defaults.host}:{defaults.port}")
    assert export == f"export AIRFLOW_CONN_SNOVIO_DEFAULT='{printed}'"


def test_the_quickstart_dag_runs_against_the_sandbox(airflow_dags_env, snovio_sandbox, tmp_path: Path) -> None:
    step3, step4 = _step(3), _step(4)
    (file_name,) = re.findall(r"Save this as `(\w+\.py)`", step3)
    (dag_id,) = re.findall(r'DAG\("(\w+)"', _block(step3, "python"))
    *_, run = _commands(_block(step4, "bash"))
    assert run == f"airflow dags test {dag_id}" and file_name == f"{dag_id}.py"
    (tmp_path / file_name).write_text(_block(step3, "python"))

    result = run_dag_test(dag_id, tmp_path, airflow_dags_env(snovio_sandbox, tmp_path), timeout=300)

    (promised,) = re.findall(r"The `balance` task logs `([^`]+)`", step4)
    assert promised in result.stdout + result.stderr
    requests = snovio_sandbox.stats()["requests"]
    assert requests["GET /v1/get-balance"] == 1
    assert requests["GET /v2/statistics/campaign-analytics"] == 1


def test_the_connections_add_command_creates_a_snovio_connection(airflow_home: Path) -> None:
    (add,) = _commands(_block(_step(2), "bash"))
    command = shlex.split(add.replace("<client id>", "my-client-id").replace("<client secret>", "my-secret"))
    assert command[:4] == ["airflow", "connections", "add", "snovio_default"]
    env = home_env(airflow_home)
    airflow = airflow_bin()
    try:
        subprocess.run([airflow, *command[1:]], env=env, check=True, capture_output=True, text=True, timeout=120)
        shown = subprocess.run(
            [airflow, "connections", "get", "snovio_default", "-o", "json"],
            env=env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        (conn,) = json.loads(shown.stdout[shown.stdout.index("[") :])
        assert (conn["conn_type"], conn["login"], conn["password"]) == ("snovio", "my-client-id", "my-secret")
    finally:
        subprocess.run(
            [airflow, "connections", "delete", "snovio_default"], env=env, capture_output=True, timeout=120, check=False
        )

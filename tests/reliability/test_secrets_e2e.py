"""No secret appears anywhere in an end-to-end ``airflow dags test`` run: logs, output, XComs, error texts.

The secrets: the client secret (a distinctive one, set on the sandbox for this run), every token the
sandbox issued during the run (tokens live 2 s here, so there are several), the password of the Redis
rate-limit backend in the connection's URL, and the wrong secret and wrong Redis password of the two
connections whose errors the DAG collects. Searched: stdout and stderr of the run (where ``airflow dags
test`` prints the task logs), EVERY file of its ``AIRFLOW_HOME`` (``logs/`` if any, the config, the SQLite
metadata DB byte for byte), and the XComs read back from the metadata DB. The run itself must succeed
with no failed task although tokens expired during it (issue 10: token expiry is invisible).
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from pathlib import Path

import pytest

from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.e2e.conftest import run_dag_test
from tests.integration.test_ratelimit_processes import private_redis_server
from tests.reliability.conftest import ENGAGEMENT_DATA

pytestmark = pytest.mark.slow

DAGS = Path(__file__).parent / "dags"
DAG_ID = "snovio_reliability_secrets"


def test_no_secret_in_logs_output_xcoms_or_errors(
    airflow_dags_env, airflow_home: Path, snovio_sandbox: SandboxServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client_secret = f"cs-{secrets.token_hex(12)}"
    wrong_secret = f"ws-{secrets.token_hex(12)}"
    redis_password = f"rp{secrets.token_hex(12)}"
    wrong_redis_password = f"wp{secrets.token_hex(12)}"
    snovio_sandbox.configure(**ENGAGEMENT_DATA, client_secret=client_secret, token_ttl=2.0)
    issued: list[str] = []
    issue = snovio_sandbox.state.issue_token

    def recording(token: str) -> float:  # every token the sandbox hands out, in the order issued
        issued.append(token)
        return issue(token)

    monkeypatch.setattr(snovio_sandbox.state, "issue_token", recording)

    with private_redis_server("--requirepass", redis_password) as plain_url:
        redis_url = plain_url.replace("redis://", f"redis://:{redis_password}@")
        wrong_redis_url = plain_url.replace("redis://", f"redis://:{wrong_redis_password}@")

        def snovio(secret: str, backend: str) -> str:
            conn = json.loads(snovio_sandbox.connection_json())
            conn["password"] = secret
            conn["extra"] = {**conn["extra"], "rate_limit_backend": backend, "max_retries": 3}
            return json.dumps(conn)

        env = airflow_dags_env(
            snovio_sandbox,
            DAGS,
            extra={
                "AIRFLOW_CONN_SNOVIO_DEFAULT": snovio(client_secret, redis_url),
                "AIRFLOW_CONN_SNOVIO_WRONG_SECRET": snovio(wrong_secret, redis_url),
                "AIRFLOW_CONN_SNOVIO_BAD_REDIS": snovio(client_secret, wrong_redis_url),
                "AIRFLOW_CONN_RELIABILITY_WAREHOUSE": json.dumps(
                    {"conn_type": "sqlite", "host": str(tmp_path / "warehouse.db")}
                ),
            },
        )
        result = run_dag_test(DAG_ID, DAGS, env, timeout=240)

        import redis

        used = redis.Redis.from_url(redis_url)
        assert used.keys("*"), "the run did not use the password-protected Redis limiter"
        used.close()

    stats = snovio_sandbox.stats()
    assert stats["tokens_issued"] == len(issued) > 1, stats  # tokens expired during the run, invisibly
    states = task_states(airflow_home)
    assert states and set(states.values()) == {"success"}, states
    xcoms = xcom_values(airflow_home)
    errors = json.loads(xcoms["error_texts"])
    assert errors["unknown_task"][0] == "SnovioNotFoundError", errors
    assert errors["wrong_secret"][0] == "SnovioAuthError", errors
    assert "rate_limit_backend" in errors["bad_redis"][1], errors  # the error says where, not the password
    assert errors["test_connection:snovio_wrong_secret"][0] == "False", errors
    assert errors["test_connection:snovio_bad_redis"][0] == "False", errors

    sought = {
        "client secret": client_secret,
        "wrong client secret": wrong_secret,
        "Redis password": redis_password,
        "wrong Redis password": wrong_redis_password,
        **{f"token #{i}": t for i, t in enumerate(issued)},
    }
    places = {
        "stdout": result.stdout.encode(),
        "stderr": result.stderr.encode(),
        **{f"xcom {task}": value.encode() for task, value in xcoms.items()},
    }
    # `airflow dags test` runs the tasks in its own process and prints their logs (Airflow 3.3.2 writes no file
    # under logs/ then): the task logs are in its output - the logged traceback of an expected failure included.
    output = result.stdout + result.stderr
    assert "expected failure (bad_redis)" in output and "Traceback" in output, "the task logs are not in the output"
    files = [path for path in airflow_home.rglob("*") if path.is_file()]  # logs/ too, should a version write it
    places.update({str(path.relative_to(airflow_home)): path.read_bytes() for path in files})
    assert any(DAG_ID.encode() in data for place, data in places.items() if place.startswith("airflow.db"))
    leaks = [
        f"{name} in {place}"
        for place, data in places.items()
        for name, secret in sought.items()
        if secret.encode() in data
    ]
    assert not leaks, leaks


def task_states(home: Path) -> dict[str, str]:
    with sqlite3.connect(home / "airflow.db") as db:
        rows = db.execute(
            "SELECT task_id, state FROM task_instance WHERE dag_id = ? AND run_id = "
            "(SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1)",
            (DAG_ID, DAG_ID),
        ).fetchall()
    return dict(rows)


def xcom_values(home: Path) -> dict[str, str]:
    """The return values of the last run's tasks, as stored in the metadata DB."""
    with sqlite3.connect(home / "airflow.db") as db:
        rows = db.execute(
            "SELECT task_id, value FROM xcom WHERE dag_id = ? AND key = 'return_value' AND run_id = "
            "(SELECT run_id FROM dag_run WHERE dag_id = ? ORDER BY id DESC LIMIT 1)",
            (DAG_ID, DAG_ID),
        ).fetchall()
    return {task: value if isinstance(value, str) else bytes(value).decode() for task, value in rows}

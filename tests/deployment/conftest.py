"""A real Airflow deployment on this machine, started and stopped by the test, bounded in time.

* metadata DB: a database of its own on the suite's private PostgreSQL (``tests/warehouse/conftest.py``,
  ``scripts/pg-test-cluster.sh``), ``airflow db migrate``-d;
* ``airflow api-server`` (REST + the execution API the task processes talk to), ``airflow scheduler`` with
  the LocalExecutor, ``airflow dag-processor`` and ``airflow triggerer``: four processes, each in a process
  group of its own (killed as a whole on teardown), each logging to a file of the home;
* a private ``AIRFLOW_HOME`` and ``SNOVIO_RATE_LIMIT_DIR``: nothing of the test process's Airflow settings,
  connections or rate-limit state leaks in. The Snov.io connection points at the test's sandbox.

DAG runs are triggered through the REST API (a JWT from the simple auth manager's ``/auth/token``) and
waited for by polling it. Every wait has a deadline; a failure message carries the processes' log tails.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.warehouse.conftest import _postgres_database, free_port, postgres_server  # noqa: F401 (a fixture)

LOOPBACK = "127.0.0.1"
REPO = Path(__file__).resolve().parents[2]
DAG_FILES = (
    REPO / "dags_examples" / "snovio_campaign_reporting.py",
    Path(__file__).parent / "dags" / "snovio_deploy_deferrable.py",
)
COMPONENTS = ("api-server", "scheduler", "dag-processor", "triggerer")


def airflow_bin() -> str:
    return str(Path(sys.executable).with_name("airflow"))


class Deployment:
    """``Deployment(home, db_url, sandbox).start()``: migrated, the four components running, DAGs parsed."""

    def __init__(self, home: Path, db_url: str, sandbox: SandboxServer) -> None:
        self.home = home
        self.db_url = db_url
        self.sandbox = sandbox
        self.port = free_port()
        self.dags = home / "dags"
        self.logs = home / "logs"
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.restarts: dict[str, int] = {}
        self._token: str | None = None
        self._jwt_secret = secrets.token_urlsafe(48)  # one for every component: they verify each other's tokens

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SNOVIO"))}
        env.update(
            AIRFLOW_HOME=str(self.home),
            SNOVIO_RATE_LIMIT_DIR=str(self.home / "rate-limits"),
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")])),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=self.db_url,
            AIRFLOW__CORE__EXECUTOR="LocalExecutor",
            AIRFLOW__CORE__PARALLELISM="4",
            AIRFLOW__CORE__DAGS_FOLDER=str(self.dags),
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__UNIT_TEST_MODE="False",
            AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION="False",
            AIRFLOW__CORE__DAGBAG_IMPORT_TIMEOUT="120",
            AIRFLOW__CORE__EXECUTION_API_SERVER_URL=f"{self.base_url}/execution/",
            AIRFLOW__CORE__AUTH_MANAGER="airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager",
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
            AIRFLOW__API__HOST=LOOPBACK,
            AIRFLOW__API__PORT=str(self.port),
            AIRFLOW__API__BASE_URL=self.base_url,
            AIRFLOW__API__WORKERS="1",
            AIRFLOW__API_AUTH__JWT_SECRET=self._jwt_secret,
            AIRFLOW__LOGGING__BASE_LOG_FOLDER=str(self.logs),
            AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
            AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="1",
            AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",  # only the runs the test triggers
            AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
            AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC="1",
            AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD="6",
            AIRFLOW_CONN_SNOVIO_DEFAULT=self.sandbox.connection_json(),
            AIRFLOW_CONN_SNOVIO_WAREHOUSE=('{"conn_type": "sqlite", "host": "%s"}' % (self.home / "warehouse.sqlite")),
        )
        return env

    # Lifecycle ------------------------------------------------------------------------------------
    def start(self, deadline: float) -> Deployment:
        self.dags.mkdir(parents=True, exist_ok=True)
        for source in DAG_FILES:
            shutil.copy(source, self.dags / source.name)
        migrate = subprocess.run(
            [airflow_bin(), "db", "migrate"],
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=max(30.0, deadline - time.monotonic()),
            check=False,
        )
        assert migrate.returncode == 0, (
            f"airflow db migrate failed:\n{migrate.stdout[-3000:]}\n{migrate.stderr[-3000:]}"
        )
        for component in COMPONENTS:
            self.launch(component)
        self.wait_for(lambda: self._healthy(), deadline, "the api-server to answer")
        for dag_id in ("snovio_campaign_reporting", "snovio_deploy_deferrable"):
            self.wait_for(lambda dag_id=dag_id: self._dag_ready(dag_id), deadline, f"the DAG {dag_id} to be parsed")
        return self

    def launch(self, component: str) -> None:
        count = self.restarts.get(component, -1) + 1
        self.restarts[component] = count
        log_path = self.log_path(component, count)
        args = [airflow_bin(), *component.split()]
        if component == "api-server":
            args += ["--host", LOOPBACK, "--port", str(self.port)]
        with log_path.open("wb") as log:
            self.processes[component] = subprocess.Popen(
                args,
                env=self.env(),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def log_path(self, component: str, count: int = 0) -> Path:
        return self.home / f"{component}{'' if count == 0 else f'.{count}'}.log"

    def kill(self, component: str, sig: int = signal.SIGKILL) -> None:
        """Signal the component's whole process group and reap its leader."""
        process = self.processes.pop(component, None)
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(15.0)

    def stop(self) -> None:
        for component in list(self.processes):
            process = self.processes[component]
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in self.processes.values():
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(max(0.1, deadline - time.monotonic()))
        for component in list(self.processes):
            self.kill(component, signal.SIGKILL)

    # Watching -------------------------------------------------------------------------------------
    def wait_for(self, condition, deadline: float, what: str, pause: float = 1.0) -> Any:
        while True:
            for component, process in self.processes.items():
                if process.poll() is not None:
                    pytest.fail(
                        f"{component} exited with {process.returncode} while waiting for {what}\n{self.tails()}",
                        pytrace=False,
                    )
            with contextlib.suppress(httpx.HTTPError):
                result = condition()
                if result:
                    return result
            if time.monotonic() > deadline:
                pytest.fail(f"timed out waiting for {what}\n{self.tails()}", pytrace=False)
            time.sleep(pause)

    def tails(self, chars: int = 2500) -> str:
        parts = []
        for path in sorted(self.home.glob("*.log")):
            text = path.read_text(errors="replace")
            parts.append(f"--- {path.name} ---\n{text[-chars:]}")
        return "\n".join(parts)

    def all_logs(self) -> dict[Path, str]:
        """Every log any process wrote: the components' output and every task and trigger log file."""
        paths = list(self.home.glob("*.log")) + [p for p in self.logs.rglob("*") if p.is_file()]
        return {path: path.read_text(errors="replace") for path in paths}

    # REST API -------------------------------------------------------------------------------------
    def _healthy(self) -> bool:
        return httpx.get(f"{self.base_url}/api/v2/monitor/health", timeout=5).status_code == 200

    def _headers(self) -> dict[str, str]:
        if self._token is None:
            response = httpx.get(f"{self.base_url}/auth/token", timeout=10)
            response.raise_for_status()
            self._token = response.json()["access_token"]
        return {"Authorization": f"Bearer {self._token}"}

    def api(self, method: str, path: str, **kwargs: Any) -> Any:
        response = httpx.request(method, f"{self.base_url}/api/v2{path}", headers=self._headers(), timeout=30, **kwargs)
        response.raise_for_status()
        return response.json()

    def _dag_ready(self, dag_id: str) -> bool:
        response = httpx.get(f"{self.base_url}/api/v2/dags/{dag_id}", headers=self._headers(), timeout=10)
        return response.status_code == 200 and not response.json().get("is_paused", True)

    def trigger(self, dag_id: str, logical_date: str | None = None, conf: dict | None = None) -> str:
        body: dict[str, Any] = {"logical_date": logical_date, "conf": conf or {}}
        return self.api("POST", f"/dags/{dag_id}/dagRuns", json=body)["dag_run_id"]

    def run_state(self, dag_id: str, run_id: str) -> str:
        return self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}")["state"]

    def task_instances(self, dag_id: str, run_id: str) -> dict[str, dict[str, Any]]:
        answer = self.api("GET", f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances", params={"limit": 100})
        return {ti["task_id"]: ti for ti in answer["task_instances"]}

    def wait_run(self, dag_id: str, run_id: str, deadline: float) -> str:
        state = self.wait_for(
            lambda: (s := self.run_state(dag_id, run_id)) in ("success", "failed") and s,
            deadline,
            f"{dag_id} run {run_id} to finish",
        )
        if state != "success":
            states = {t: ti["state"] for t, ti in self.task_instances(dag_id, run_id).items()}
            pytest.fail(
                f"{dag_id} run {run_id} ended {state}: {states}\n{self.tails()}\n{self.task_log_tails(dag_id, run_id)}",
                pytrace=False,
            )
        return state

    def task_log_tails(self, dag_id: str, run_id: str, chars: int = 1500) -> str:
        parts = []
        for path in sorted(self.logs.rglob("*")):
            if path.is_file() and f"dag_id={dag_id}" in str(path) and run_id in str(path):
                parts.append(f"--- {path.relative_to(self.logs)} ---\n{path.read_text(errors='replace')[-chars:]}")
        return "\n".join(parts)

    def trigger_logs(self, dag_id: str, run_id: str, *, fired: bool = True) -> dict[str, set[str]]:
        """``{task_id: {triggerer job id, ...}}``: the tasks of a run whose trigger a triggerer ran and logged
        (``<task log>.trigger.<job id>.log``; with ``fired``, only those holding the event the trigger fired)."""
        found: dict[str, set[str]] = {}
        folder = self.logs / f"dag_id={dag_id}" / f"run_id={run_id}"
        for path in folder.glob("task_id=*/attempt=*.log.trigger.*.log"):
            if not fired or "Trigger fired event" in path.read_text(errors="replace"):
                task_id = path.parent.name.removeprefix("task_id=")
                found.setdefault(task_id, set()).add(path.name.rsplit(".", 2)[-2])
        return found

    def xcom(self, dag_id: str, run_id: str, task_id: str) -> Any:
        return self.api(
            "GET",
            f"/dags/{dag_id}/dagRuns/{run_id}/taskInstances/{task_id}/xcomEntries/return_value",
            params={"deserialize": True},
        )["value"]


@pytest.fixture
def deployment(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: str,  # noqa: F811
    snovio_sandbox: SandboxServer,
) -> Iterator[Deployment]:
    """A running deployment (not yet started: the test calls ``start(deadline)``), stopped on teardown."""
    home = tmp_path_factory.mktemp("airflow-deployment")
    _, url = _postgres_database(postgres_server)
    deployment = Deployment(home, url, snovio_sandbox)
    try:
        yield deployment
    finally:
        deployment.stop()

"""A real Airflow deployment on this machine, started and stopped by the test, bounded in time.

* metadata DB: a database of its own on the suite's private PostgreSQL (``tests/warehouse/conftest.py``,
  ``scripts/pg-test-cluster.sh``), ``airflow db migrate``-d;
* ``airflow api-server`` (REST + the execution API the task processes talk to), ``airflow scheduler`` with
  the LocalExecutor, ``airflow dag-processor`` and ``airflow triggerer``: four processes, each in a process
  group of its own (killed as a whole on teardown), each logging to a file of the home;
* a private ``AIRFLOW_HOME`` and ``SNOVIO_RATE_LIMIT_DIR``: nothing of the test process's Airflow settings,
  connections or rate-limit state leaks in. The Snov.io connection points at the test's sandbox.

Generalised for other executors (``tests/distributed``): ``executor`` and ``settings`` (more ``AIRFLOW__*``
variables, e.g. a Celery broker), ``connection_extra`` (e.g. ``rate_limit_backend``), and more processes
(:meth:`Deployment.add_component`, e.g. Celery workers), each on a :class:`Host` of its own: another
``AIRFLOW_HOME`` with its own DAGs folder, task logs and per-host rate-limit directory, as on another machine.

DAG runs are triggered through the REST API (a JWT from the simple auth manager's ``/auth/token``) and
waited for by polling it. Every wait has a deadline; a failure message carries the processes' log tails.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
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
DEFERRABLE = "snovio_deploy_deferrable"
REPORTING = "snovio_campaign_reporting"
#: Tasks of the deferrable DAG that defer on a fresh account (the sandbox keeps their work pending). The other
#: deferrable ones find their answer at their first check, on the worker (no trigger log in any run here): the
#: verification sensor runs after the verification, the campaign is past 50 %, the queued URL is found at once.
DEFERRING = {"domain_search", "prospect_emails", "email_finder", "verification", "task_sensor"}


def paid(sandbox: SandboxServer) -> dict[str, float]:
    """Credits spent so far on the sandbox's account, per paid endpoint."""
    return {k: v for k, v in sandbox.stats()["credits_by_endpoint"].items() if v}


def deferrable_dag_credits(summary: dict[str, Any]) -> dict[str, float]:
    """What one run of ``snovio_deploy_deferrable`` pays on a fresh account, given its ``check`` task's summary.

    Each paid thing once: 4 e-mails queued for verification, the 2 names queued to the finder, 1 profile URL
    queued, each of the domain search's 4 starts (the domain, then one per tab: it has results on each), and
    each searched prospect that has e-mails (the sandbox charges a search that finds none 0).
    """
    assert summary["verification_queued"] == 4 and summary["finder_queued"] == 2, summary
    return {
        "POST /v1/add-emails-to-verification": 4,
        "POST /v1/add-names-to-find-emails": 2,
        "POST /v1/add-url-for-search": 1,
        "POST /v2/domain-search/start": 1,
        "POST /v2/domain-search/prospects/start": 1,
        "POST /v2/domain-search/domain-emails/start": 1,
        "POST /v2/domain-search/generic-contacts/start": 1,
        "POST /v2/domain-search/prospects/search-emails/start": summary["prospects_with_emails"],
    }


def airflow_bin() -> str:
    return str(Path(sys.executable).with_name("airflow"))


@dataclass(frozen=True)
class Host:
    """One machine of the deployment: a private ``AIRFLOW_HOME`` holding its DAGs folder, its task logs and its
    per-host rate-limit directory, and the environment every process on it gets on top of the deployment's.
    Two hosts share only what the deployment shares on purpose (metadata DB, api-server, broker, Redis)."""

    name: str
    home: Path
    env: Mapping[str, str] = field(default_factory=dict)

    @property
    def dags(self) -> Path:
        return self.home / "dags"

    @property
    def logs(self) -> Path:
        return self.home / "logs"


@dataclass(frozen=True)
class Component:
    """A long-running ``airflow <args>`` process on ``host``; ``ready`` is a line its log shows once it serves."""

    args: tuple[str, ...]
    host: Host
    ready: str | None = None


class Deployment:
    """``Deployment(home, db_url, sandbox).start()``: migrated, the components running, DAGs parsed.

    By default the four components of a LocalExecutor deployment on one host; ``executor``, ``settings``
    (``AIRFLOW__*`` variables), ``connection_extra`` and :meth:`add_component` make other deployments.
    """

    def __init__(
        self,
        home: Path,
        db_url: str,
        sandbox: SandboxServer,
        *,
        executor: str = "LocalExecutor",
        settings: Mapping[str, str] | None = None,
        connection_extra: Mapping[str, Any] | None = None,
        dag_files: tuple[Path, ...] = DAG_FILES,
        dag_ids: tuple[str, ...] = (REPORTING, DEFERRABLE),
    ) -> None:
        self.dag_files, self.dag_ids = dag_files, dag_ids  # the DAGs it deploys, and waits for
        self.host = Host("main", home)
        self.hosts: list[Host] = [self.host]
        self.home = home
        self.db_url = db_url
        self.sandbox = sandbox
        self.executor = executor
        self.settings = dict(settings or {})
        self.connection_extra = dict(connection_extra or {})
        self.port = free_port()
        self.dags = self.host.dags
        self.logs = self.host.logs
        self.components: dict[str, Component] = {name: Component(tuple(name.split()), self.host) for name in COMPONENTS}
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.restarts: dict[str, int] = {}
        self._token: str | None = None
        self._jwt_secret = secrets.token_urlsafe(48)  # one for every component: they verify each other's tokens

    def add_component(self, name: str, args: list[str], host: Host, ready: str | None = None) -> None:
        """Run ``airflow <args>`` as ``name`` on ``host`` too (started by :meth:`start`, ready when its log
        shows ``ready``)."""
        if host not in self.hosts:
            self.hosts.append(host)
        self.components[name] = Component(tuple(args), host, ready)

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def connection_json(self) -> str:
        """The Snov.io connection: the sandbox's, plus :attr:`connection_extra`."""
        conn = json.loads(self.sandbox.connection_json())
        conn["extra"] = {**conn.get("extra", {}), **self.connection_extra}
        return json.dumps(conn)

    def env(self, host: Host | None = None) -> dict[str, str]:
        host = host or self.host
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "SNOVIO"))}
        env.update(
            AIRFLOW_HOME=str(host.home),
            SNOVIO_RATE_LIMIT_DIR=str(host.home / "rate-limits"),
            PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH", "")])),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=self.db_url,
            AIRFLOW__CORE__EXECUTOR=self.executor,
            AIRFLOW__CORE__PARALLELISM="4",
            AIRFLOW__CORE__DAGS_FOLDER=str(host.dags),
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
            AIRFLOW__LOGGING__BASE_LOG_FOLDER=str(host.logs),
            AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
            AIRFLOW__SCHEDULER__SCHEDULER_HEARTBEAT_SEC="1",
            AIRFLOW__SCHEDULER__USE_JOB_SCHEDULE="False",  # only the runs the test triggers
            AIRFLOW__DAG_PROCESSOR__REFRESH_INTERVAL="5",
            AIRFLOW__TRIGGERER__JOB_HEARTBEAT_SEC="1",
            AIRFLOW__TRIGGERER__TRIGGERER_HEALTH_CHECK_THRESHOLD="6",
            AIRFLOW_CONN_SNOVIO_DEFAULT=self.connection_json(),
            AIRFLOW_CONN_SNOVIO_WAREHOUSE=('{"conn_type": "sqlite", "host": "%s"}' % (self.home / "warehouse.sqlite")),
        )
        env.update(self.settings)
        env.update(host.env)
        return env

    # Lifecycle ------------------------------------------------------------------------------------
    def start(self, deadline: float) -> Deployment:
        for host in self.hosts:  # every host has the DAG files, as each machine of a deployment must
            host.dags.mkdir(parents=True, exist_ok=True)
            for source in self.dag_files:
                shutil.copy(source, host.dags / source.name)
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
        for component in self.components:
            self.launch(component)
        self.wait_for(lambda: self._healthy(), deadline, "the api-server to answer")
        for name, component in self.components.items():
            if component.ready:
                self.wait_for(
                    lambda name=name, line=component.ready: line in self.log_path(name).read_text(errors="replace"),
                    deadline,
                    f"{name} to be ready",
                )
        for dag_id in self.dag_ids:
            self.wait_for(lambda dag_id=dag_id: self._dag_ready(dag_id), deadline, f"the DAG {dag_id} to be parsed")
        return self

    def launch(self, component: str) -> None:
        count = self.restarts.get(component, -1) + 1
        self.restarts[component] = count
        log_path = self.log_path(component, count)
        spec = self.components[component]
        args = [airflow_bin(), *spec.args]
        if component == "api-server":
            args += ["--host", LOOPBACK, "--port", str(self.port)]
        spec.host.home.mkdir(parents=True, exist_ok=True)
        with log_path.open("wb") as log:
            self.processes[component] = subprocess.Popen(
                args,
                env=self.env(spec.host),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )

    def log_path(self, component: str, count: int = 0) -> Path:
        """The component's output (its ``count``-th restart's), in the home of its host."""
        return self.components[component].host.home / f"{component}{'' if count == 0 else f'.{count}'}.log"

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
        for host in self.hosts:
            for path in sorted(host.home.glob("*.log")):
                text = path.read_text(errors="replace")
                parts.append(f"--- {host.name}: {path.name} ---\n{text[-chars:]}")
        return "\n".join(parts)

    def all_logs(self) -> dict[Path, str]:
        """Every log any process wrote, on every host: the components' output and every task and trigger log."""
        paths = [
            path
            for host in self.hosts
            for path in [*host.home.glob("*.log"), *(p for p in host.logs.rglob("*") if p.is_file())]
        ]
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
        for host in self.hosts:
            for path in sorted(host.logs.rglob("*")):
                if path.is_file() and f"dag_id={dag_id}" in str(path) and run_id in str(path):
                    text = path.read_text(errors="replace")[-chars:]
                    parts.append(f"--- {host.name}: {path.relative_to(host.logs)} ---\n{text}")
        return "\n".join(parts)

    def task_hosts(self, dag_id: str, run_id: str) -> dict[str, set[str]]:
        """``{task_id: {host name, ...}}``: the hosts whose task logs hold a try of the task (the process that
        runs a try writes ``attempt=<n>.log`` under its own host's log folder; a trigger's log is not a try)."""
        found: dict[str, set[str]] = {}
        for host in self.hosts:
            for path in (host.logs / f"dag_id={dag_id}" / f"run_id={run_id}").glob("task_id=*/attempt=*.log"):
                if not re.fullmatch(r"attempt=\d+\.log", path.name):
                    continue  # <task log>.trigger.<job id>.log: written by a triggerer
                found.setdefault(path.parent.name.removeprefix("task_id="), set()).add(host.name)
        return found

    def trigger_logs(self, dag_id: str, run_id: str, *, fired: bool = True) -> dict[str, set[str]]:
        """``{task_id: {triggerer job id, ...}}``: the tasks of a run whose trigger a triggerer ran and logged
        (``<task log>.trigger.<job id>.log``; with ``fired``, only those holding the event the trigger fired)."""
        found: dict[str, set[str]] = {}
        folder = self.components["triggerer"].host.logs / f"dag_id={dag_id}" / f"run_id={run_id}"
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

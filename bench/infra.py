"""What every measurement stands on: a private environment, worker processes, Redis and PostgreSQL servers.

Everything binds 127.0.0.1, lives under one temporary directory per run and is stopped on exit, so a
benchmark run leaves no process, file or rate-limit state behind and never touches ``~/airflow``.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.child import READY

REPO = Path(__file__).resolve().parents[1]
MARIADB_SCRIPT = REPO / "scripts" / "mariadb-test-server.sh"
PG_CLUSTER_SCRIPT = REPO / "scripts" / "pg-test-cluster.sh"
#: Names the run's directory; worker processes inherit it and so create no directory of their own.
RUN_DIR_ENV = "SNOVIO_BENCH_RUN_DIR"


def run_dir() -> Path:
    """One directory per run (Airflow home, per-host rate-limit logs, SQLite files), made on first use."""
    path = os.environ.get(RUN_DIR_ENV)
    if not path:
        path = tempfile.mkdtemp(prefix="snovio-bench-")
        os.environ[RUN_DIR_ENV] = path
    return Path(path)


def isolate_environment() -> None:
    """Point Airflow and the per-host limiter at this run's directory (before Airflow is imported).

    Children inherit ``os.environ``, so every worker process shares the same per-host limiter directory.
    """
    os.environ["AIRFLOW_HOME"] = str(run_dir() / "airflow-home")
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ["AIRFLOW__CORE__UNIT_TEST_MODE"] = "True"
    os.environ["AIRFLOW__LOGGING__LOGGING_LEVEL"] = "WARNING"  # the operators' info lines would drown the table
    os.environ["SNOVIO_RATE_LIMIT_DIR"] = str(run_dir() / "rate-limits")


def cleanup() -> None:
    shutil.rmtree(run_dir(), ignore_errors=True)


@contextlib.contextmanager
def environment(**variables: str) -> Iterator[None]:
    """Set environment variables (e.g. ``AIRFLOW_CONN_*``) for the duration of a measurement."""
    saved = {name: os.environ.get(name) for name in variables}
    os.environ.update(variables)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


#: Workers read the sandbox's client secret from here, so it never shows in a process list.
SECRET_ENV = "SNOVIO_BENCH_CLIENT_SECRET"


def client_config(base_url: str, client_id: str, **settings: Any) -> Any:
    """A :class:`ClientConfig` for a sandbox, the secret taken from :data:`SECRET_ENV` (workers)."""
    from airflow_provider_snovio.api.client import ClientConfig

    return ClientConfig(client_id=client_id, client_secret=os.environ[SECRET_ENV], base_url=base_url, **settings)


def fresh_path(name: str) -> Path:
    """A new, unused file path inside the run directory."""
    return run_dir() / f"{uuid.uuid4().hex[:8]}-{name}"


# --- worker processes ------------------------------------------------------------------------------------


class Worker:
    """``python -m bench.child target kwargs`` in a fresh interpreter; see :mod:`bench.child`."""

    def __init__(self, target: str, env: dict[str, str] | None = None, **kwargs: Any) -> None:
        self.target = target
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.child", target, json.dumps(kwargs)],
            cwd=REPO,
            env={**os.environ, **(env or {})},
            text=True,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )

    def wait_ready(self, timeout: float = 180.0) -> None:
        """Block until the worker printed READY (it has imported and warmed up)."""
        deadline = time.monotonic() + timeout
        assert self.process.stdout is not None
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if line.strip() == READY:
                return
            if not line and self.process.poll() is not None:
                break
        self.kill()
        raise RuntimeError(f"worker {self.target} never became ready: {self._stderr_tail()}")

    def go(self, start_at: float) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{start_at}\n")
        self.process.stdin.flush()

    def result(self, timeout: float = 600.0) -> Any:
        """The worker's JSON result (its last stdout line); raises with its stderr if it failed."""
        try:
            out, err = self.process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise RuntimeError(f"worker {self.target} did not finish within {timeout:.0f} s") from None
        lines = [line for line in out.splitlines() if line.strip()]
        if self.process.returncode != 0 or not lines:
            raise RuntimeError(f"worker {self.target} failed ({self.process.returncode}): {err[-2000:]}")
        return json.loads(lines[-1])

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)

    def _stderr_tail(self) -> str:
        with contextlib.suppress(Exception):
            return (self.process.stderr.read() if self.process.stderr else "")[-2000:]
        return ""


def run_worker(target: str, env: dict[str, str] | None = None, timeout: float = 600.0, **kwargs: Any) -> Any:
    """Run one worker to its end and return its result."""
    worker = Worker(target, env, **kwargs)
    try:
        return worker.result(timeout)
    finally:
        worker.kill()


def run_together(
    target: str, count: int, lead: float = 0.5, env: dict[str, str] | None = None, **kwargs: Any
) -> list[Any]:
    """Start ``count`` workers, wait until all are READY, give them one common start time, collect results."""
    workers = [Worker(target, env, **kwargs) for _ in range(count)]
    try:
        for worker in workers:
            worker.wait_ready()
        start_at = time.time() + lead
        for worker in workers:
            worker.go(start_at)
        return [worker.result() for worker in workers]
    finally:
        for worker in workers:
            worker.kill()


# --- servers -----------------------------------------------------------------------------------------------


@contextlib.contextmanager
def private_redis() -> Iterator[str]:
    """A non-persistent redis-server on a free loopback port; yields its URL, killed on exit."""
    import redis

    binary = shutil.which("redis-server")
    if binary is None:
        raise RuntimeError("redis-server is not on PATH (make bench runs scripts/system-deps.sh)")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=1)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start on 127.0.0.1:{port}") from None
                time.sleep(0.05)
        client.close()
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        try:
            server.wait(timeout=5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=5)


@contextlib.contextmanager
def private_postgres() -> Iterator[str]:
    """A throw-away PostgreSQL cluster (``scripts/pg-test-cluster.sh``); yields the server's SQLAlchemy URL."""
    directory = tempfile.mkdtemp(prefix="snovio-bench-pg-")
    try:
        started = subprocess.run(
            ["bash", str(PG_CLUSTER_SCRIPT), "start", directory, str(free_port())],
            capture_output=True,
            text=True,
            timeout=180,
        )
        if started.returncode != 0:
            raise RuntimeError(f"could not start PostgreSQL: {started.stderr[-2000:]}")
        yield started.stdout.strip().splitlines()[-1]
    finally:
        subprocess.run(["bash", str(PG_CLUSTER_SCRIPT), "stop", directory], capture_output=True, timeout=120)
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def private_mariadb() -> Iterator[str]:
    """A throw-away MariaDB server (``scripts/mariadb-test-server.sh``); yields a SQLAlchemy URL of a fresh
    database on it."""
    from sqlalchemy import create_engine, text

    directory = tempfile.mkdtemp(prefix="snovio-bench-mariadb-")
    try:
        started = subprocess.run(
            ["bash", str(MARIADB_SCRIPT), "start", directory, str(free_port())],
            capture_output=True,
            text=True,
            timeout=180,
        )
        if started.returncode != 0:
            raise RuntimeError(f"could not start MariaDB: {started.stderr[-2000:]}")
        server = started.stdout.strip().splitlines()[-1]
        admin = create_engine(server)
        with admin.connect() as connection:
            connection.execute(text("CREATE DATABASE bench"))
        admin.dispose()
        yield server.rsplit("/", 1)[0] + "/bench"
    finally:
        subprocess.run(["bash", str(MARIADB_SCRIPT), "stop", directory], capture_output=True, timeout=120)
        shutil.rmtree(directory, ignore_errors=True)


def sqlite_conn_json(path: Path) -> str:
    """An Airflow ``sqlite`` connection (JSON form) for a database file."""
    return json.dumps({"conn_type": "sqlite", "host": str(path)})

"""Fixtures for the warehouse-sync tests: a real PostgreSQL 15 server, SQLite files, a fast Snov.io client.

PostgreSQL: one private cluster per test session, started by ``scripts/pg-test-cluster.sh`` (as the
``postgres`` user when running as root) in a temporary data directory on a free 127.0.0.1 port, stopped
by a finalizer and, should the session die first, by ``atexit``. Each test gets a database of its own.
PostgreSQL missing is a failure, not a skip: ``scripts/system-deps.sh`` (run by ``make test``) installs it.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_snovio.api.client import ClientConfig, SnovioClient
from airflow_provider_snovio.api.retry import RetryPolicy
from airflow_provider_snovio.sandbox.testing import SandboxServer

REPO = Path(__file__).resolve().parents[2]
CLUSTER_SCRIPT = REPO / "scripts" / "pg-test-cluster.sh"
PG_BIN = Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
FAST_RETRIES = RetryPolicy(
    max_retries=8,
    backoff_base=0.01,
    backoff_max=0.05,
    processing_backoff=0.05,
    processing_backoff_max=0.1,
    retry_after_max=0.05,
)
SQL_CONN_ID = "warehouse"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def private_server(script: Path, what: str, prefix: str) -> Iterator[str]:
    """Run ``script start <dir> <port>`` (a private server in a temporary data directory on a free 127.0.0.1
    port; it prints the URL last), yield the URL, and ``script stop <dir>`` by a finalizer and, should the
    session die first, by ``atexit``. A server that does not start is a failure, not a skip."""
    directory = tempfile.mkdtemp(prefix=prefix)
    stopped = False

    def stop() -> None:
        nonlocal stopped
        if stopped:
            return
        stopped = True
        subprocess.run(["bash", str(script), "stop", directory], check=False, capture_output=True)
        shutil.rmtree(directory, ignore_errors=True)

    atexit.register(stop)
    started = subprocess.run(
        ["bash", str(script), "start", directory, str(free_port())], capture_output=True, text=True
    )
    if started.returncode != 0:
        stop()
        pytest.fail(f"could not start {what}: {started.stderr}")
    try:
        yield started.stdout.strip().splitlines()[-1]
    finally:
        stop()


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """URL of the session's PostgreSQL server (database ``postgres``)."""
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL 15 is not installed in {PG_BIN}: run `bash scripts/system-deps.sh`")
    yield from private_server(CLUSTER_SCRIPT, "PostgreSQL", "snovio-pg-")


@dataclass
class Target:
    """A warehouse under test: its Airflow connection id, SQLAlchemy URL and engine."""

    dialect: str
    url: str
    engine: Any
    conn_json: str


def _postgres_database(server_url: str) -> tuple[str, Any]:
    from sqlalchemy import create_engine, text

    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f"CREATE DATABASE {name}"))
    admin.dispose()
    return name, server_url.rsplit("/", 1)[0] + f"/{name}"


@pytest.fixture(params=["sqlite", "postgresql"])
def warehouse(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Target]:
    """A fresh, empty warehouse reachable as Airflow connection ``warehouse`` (SQLite file or PostgreSQL DB)."""
    from sqlalchemy import create_engine

    if request.param == "sqlite":
        path = tmp_path / "warehouse.db"
        url = f"sqlite:///{path}"
        conn = {"conn_type": "sqlite", "host": str(path)}
        database = None
    else:
        server = request.getfixturevalue("postgres_server")
        database, url = _postgres_database(server)
        port = int(server.rsplit(":", 1)[1].split("/")[0])
        conn = {"conn_type": "postgres", "host": "127.0.0.1", "port": port, "login": "postgres", "schema": database}
    conn_json = json.dumps(conn)
    monkeypatch.setenv(f"AIRFLOW_CONN_{SQL_CONN_ID.upper()}", conn_json)
    engine = create_engine(url)
    try:
        yield Target(request.param, url, engine, conn_json)
    finally:
        engine.dispose()
        if database is not None:
            from sqlalchemy import text

            admin = create_engine(request.getfixturevalue("postgres_server"), isolation_level="AUTOCOMMIT")
            with admin.connect() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
            admin.dispose()


@pytest.fixture
def client(snovio_sandbox: SandboxServer) -> Iterator[SnovioClient]:
    """A Snov.io client on the sandbox with short retry backoffs (fault tests finish in seconds)."""
    config = ClientConfig(
        client_id=snovio_sandbox.client_id,
        client_secret=snovio_sandbox.client_secret,
        base_url=snovio_sandbox.base_url,
        requests_per_minute=100_000,
        timeout=10.0,
        retry=FAST_RETRIES,
    )
    with SnovioClient(config) as built:
        yield built


def requests_of(sandbox: SandboxServer, endpoint: str) -> int:
    """How many requests the sandbox has served for ``endpoint`` (e.g. "GET /v1/get-emails-replies")."""
    return sandbox.stats()["requests"].get(endpoint, 0)


def upstream_ids(sandbox: SandboxServer, kind: str) -> dict[int, list[str]]:
    """Every campaign's event ids of ``kind`` (replies, opens, clicks, sent) as the sandbox serves them."""
    with sandbox.state.lock:
        return {camp.id: [event.id for event in getattr(camp, kind)] for camp in sandbox.state.data.campaigns.campaigns}


# --- DuckDB and MySQL / MariaDB (tests/warehouse/test_engines_duckdb_mysql.py) ------------------------------

MARIADB_SCRIPT = REPO / "scripts" / "mariadb-test-server.sh"


@pytest.fixture(scope="session")
def mariadb_server() -> Iterator[str]:
    """URL of the session's private MariaDB server (``scripts/mariadb-test-server.sh``; user root, 127.0.0.1),
    stopped by a finalizer and, should the session die first, by ``atexit``. Missing is a failure."""
    if shutil.which("mariadbd") is None and not Path("/usr/sbin/mariadbd").exists():
        pytest.fail("MariaDB is not installed: run `bash scripts/system-deps.sh`")
    yield from private_server(MARIADB_SCRIPT, "MariaDB", "snovio-mariadb-")


@pytest.fixture(params=["duckdb", "mysql"])
def engine_warehouse(
    request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Target]:
    """A fresh, empty DuckDB file or MariaDB database, reachable as Airflow connection ``warehouse`` (of type
    ``duckdb`` with the file as host; of type ``mysql``)."""
    from sqlalchemy import create_engine, text

    database = None
    if request.param == "duckdb":
        path = tmp_path / "warehouse.duckdb"
        url = f"duckdb:///{path}"
        conn: dict[str, Any] = {"conn_type": "duckdb", "host": str(path)}
    else:
        server = request.getfixturevalue("mariadb_server")
        database = f"t_{uuid.uuid4().hex[:12]}"
        admin = create_engine(server)
        with admin.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {database}"))
        admin.dispose()
        url = server.rsplit("/", 1)[0] + f"/{database}"
        port = int(server.rsplit(":", 1)[1].split("/")[0])
        conn = {"conn_type": "mysql", "host": "127.0.0.1", "port": port, "login": "root", "schema": database}
    conn_json = json.dumps(conn)
    monkeypatch.setenv(f"AIRFLOW_CONN_{SQL_CONN_ID.upper()}", conn_json)
    engine = create_engine(url)
    try:
        yield Target(request.param, url, engine, conn_json)
    finally:
        engine.dispose()
        if database is not None:
            admin = create_engine(request.getfixturevalue("mariadb_server"))
            with admin.connect() as connection:
                connection.execute(text(f"DROP DATABASE IF EXISTS {database}"))
            admin.dispose()

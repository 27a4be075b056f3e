"""The real Airflow API server (UI + REST) as a subprocess on loopback, for browser tests.

Why a subprocess and a private ``AIRFLOW_HOME``: the connection form must be met as a person meets it - the
packaged React UI served by ``airflow api-server``, a migrated metadata DB, connection testing switched on -
without touching the developer's ``~/airflow`` or the test process's own Airflow configuration.

The simple auth manager with ``all_admins`` lets the browser in without a user or a password file; the server
binds 127.0.0.1 only and runs in its own process group, which ``stop()`` ends as a whole (uvicorn may fork).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import TracebackType

import httpx

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port free on loopback right now (the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return sock.getsockname()[1]


def _airflow_bin() -> str:
    return str(Path(sys.executable).with_name("airflow"))


class AirflowApiServer:
    """``with AirflowApiServer(home) as server: server.base_url ...`` - migrated, started, answering."""

    def __init__(self, home: Path, *, start_timeout: float = 120.0) -> None:
        self.home = home
        self.port = free_port()
        self.start_timeout = start_timeout
        self.log_path = home / "api-server.log"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    def env(self) -> dict[str, str]:
        """A deployment's environment: none of the test process's Airflow settings or connections leak in.

        Its own rate-limit directory too: the per-host limiter log is shared by every process using one
        account, and the test session's sandbox account has just served thousands of requests, so a
        connection limited to 60/minute would (rightly) wait half a minute for its slot.
        """
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
        env.update(
            SNOVIO_RATE_LIMIT_DIR=str(self.home / "rate-limits"),
            AIRFLOW_HOME=str(self.home),
            AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{self.home / 'airflow.db'}",
            AIRFLOW__CORE__LOAD_EXAMPLES="False",
            AIRFLOW__CORE__UNIT_TEST_MODE="False",
            AIRFLOW__CORE__TEST_CONNECTION="Enabled",
            AIRFLOW__CORE__AUTH_MANAGER=(
                "airflow.api_fastapi.auth.managers.simple.simple_auth_manager.SimpleAuthManager"
            ),
            AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_ALL_ADMINS="True",
            AIRFLOW__API__HOST=LOOPBACK,
            AIRFLOW__API__PORT=str(self.port),
            AIRFLOW__API__BASE_URL=self.base_url,
            AIRFLOW__API_AUTH__JWT_SECRET=secrets.token_urlsafe(64),
        )
        return env

    def start(self) -> AirflowApiServer:
        self.home.mkdir(parents=True, exist_ok=True)
        env = self.env()
        migrate = subprocess.run(
            [_airflow_bin(), "db", "migrate"], env=env, capture_output=True, text=True, timeout=180, check=False
        )
        if migrate.returncode != 0:
            raise RuntimeError(f"airflow db migrate failed:\n{migrate.stdout[-2000:]}\n{migrate.stderr[-2000:]}")
        with self.log_path.open("wb") as log:
            self._process = subprocess.Popen(
                [_airflow_bin(), "api-server", "--host", LOOPBACK, "--port", str(self.port), "--apps", "core"],
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.start_timeout
        last_error: object = None
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise RuntimeError(f"api-server exited with {self._process.returncode}:\n{self.log_tail()}")
            try:
                response = httpx.get(f"{self.base_url}/api/v2/monitor/health", timeout=2.0)
                if response.status_code == 200:
                    return
                last_error = response.status_code
            except httpx.HTTPError as error:
                last_error = error
            time.sleep(0.5)
        raise RuntimeError(
            f"api-server did not answer within {self.start_timeout}s ({last_error!r}):\n{self.log_tail()}"
        )

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM the server's whole process group, SIGKILL it if it lingers."""
        process, self._process = self._process, None
        if process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)  # the group start_new_session made: its id is our child's pid
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout)
        # Whatever is left in the group (a lingering leader or its workers) is killed outright.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(5.0)

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def __enter__(self) -> AirflowApiServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

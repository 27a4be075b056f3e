"""``SandboxServer``: the sandbox running in-process on a free loopback port, for tests and notebooks.

Why a real server rather than ``TestClient``: the provider's clients (requests, httpx, Airflow connections)
must be exercised over real HTTP - timeouts, retries, connection reuse, the rate limit measured in wall time.
uvicorn runs in a background thread; ``start()`` returns only once the server answers, ``stop()`` joins it.
``state`` gives tests direct access (credits, clock, data) without going through HTTP.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from typing import Any
from urllib.parse import quote

import httpx
import uvicorn

from airflow_provider_snovio import CONN_TYPE
from airflow_provider_snovio.sandbox.app import create_app
from airflow_provider_snovio.sandbox.cli import connection_json
from airflow_provider_snovio.sandbox.config import SandboxConfig
from airflow_provider_snovio.sandbox.state import SandboxState

LOOPBACK = "127.0.0.1"


class SandboxServer:
    """Context manager: ``with SandboxServer(requests_per_minute=600) as sb: ... sb.base_url ...``."""

    def __init__(self, config: SandboxConfig | None = None, **knobs: Any) -> None:
        base = config or SandboxConfig()
        base = base.with_changes({"host": LOOPBACK, "port": 0, **knobs})
        self._initial_config = base
        self.state = SandboxState(base)
        self.app = create_app(state=self.state)
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._socket: socket.socket | None = None
        self.port: int | None = None

    # --- lifecycle ---

    def start(self, timeout: float = 15.0) -> SandboxServer:
        if self._thread is not None:
            return self
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        # Accepted connections inherit this: without it Nagle + delayed ACK add ~40 ms to every keep-alive request.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock.bind((LOOPBACK, 0))
        self._socket = sock
        self.port = sock.getsockname()[1]
        self.state.config = self.state.config.with_changes({"port": self.port})  # GET /_sandbox/config tells it
        uv_config = uvicorn.Config(
            self.app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=5
        )
        self._server = uvicorn.Server(uv_config)
        server = self._server

        def run() -> None:
            asyncio.run(server.serve(sockets=[sock]))

        self._thread = threading.Thread(target=run, name=f"snovio-sandbox-{self.port}", daemon=True)
        self._thread.start()
        self._wait_ready(timeout)
        return self

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while time.monotonic() < deadline:
            if self._thread is not None and not self._thread.is_alive():
                raise RuntimeError("sandbox server thread died during startup")
            try:
                if httpx.get(f"{self.base_url}/_sandbox/config", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError as exc:
                last_error = exc
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"sandbox did not answer within {timeout}s: {last_error!r}")

    def stop(self, timeout: float = 10.0) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive() and self._server is not None:
                self._server.force_exit = True
                self._thread.join(timeout)
        if self._socket is not None:
            self._socket.close()
        self._server = self._thread = self._socket = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- connection details ---

    @property
    def base_url(self) -> str:
        if self.port is None:
            raise RuntimeError("sandbox server is not started")
        return f"http://{LOOPBACK}:{self.port}"

    @property
    def client_id(self) -> str:
        return self.state.config.client_id

    @property
    def client_secret(self) -> str:
        return self.state.config.client_secret

    def connection_json(self) -> str:
        """Value for ``AIRFLOW_CONN_SNOVIO_DEFAULT`` (JSON form)."""
        return connection_json(self.state.config, self.base_url)

    def connection_uri(self) -> str:
        """Value for ``AIRFLOW_CONN_SNOVIO_DEFAULT`` (URI form). The whole base URL is percent-encoded as the
        host, which Airflow decodes to ``host="http://127.0.0.1:PORT"`` (no separate port)."""
        return (
            f"{CONN_TYPE}://{quote(self.client_id, safe='')}:{quote(self.client_secret, safe='')}@"
            f"{quote(self.base_url, safe='')}?requests_per_minute={self.state.config.requests_per_minute}"
        )

    # --- control (direct, no HTTP) ---

    def stats(self) -> dict[str, Any]:
        out = self.state.stats_dict()
        out["routers_missing"] = list(self.app.state.routers_missing)
        return out

    def reset(self) -> None:
        self.state.reset()

    def configure(self, **knobs: Any) -> SandboxConfig:
        """Change knobs at runtime (validated); host/port cannot change while running."""
        if {"host", "port"} & set(knobs):
            raise ValueError("host and port cannot change on a running SandboxServer")
        return self.state.update_config(knobs)

    def restore_config(self) -> None:
        """Back to the knobs the server was created with."""
        self.state.update_config({k: v for k, v in self._initial_config.to_dict().items() if k not in ("host", "port")})

    def append_events(self, campaign_id: int, kind: str = "replies", count: int = 1) -> dict[str, Any]:
        """Append ``count`` new events of ``kind`` (replies, opens, clicks, sent) to a campaign, via
        ``POST /_sandbox/campaigns/{id}/events``; returns the answer (``added``, ``total``, ``ids``)."""
        response = httpx.post(
            f"{self.base_url}/_sandbox/campaigns/{campaign_id}/events",
            json={"kind": kind, "count": count},
            timeout=30.0,
        )
        response.raise_for_status()
        return response.json()

    def delete_events(self, campaign_id: int, kind: str = "replies", offset: int = 0, count: int = 1) -> dict[str, Any]:
        """Delete ``count`` events of ``kind`` from position ``offset`` (oldest first), via
        ``DELETE /_sandbox/campaigns/{id}/events``; returns the answer (``deleted``, ``total``, ``ids``)."""
        response = httpx.delete(
            f"{self.base_url}/_sandbox/campaigns/{campaign_id}/events",
            params={"kind": kind, "offset": offset, "count": count},
            timeout=30.0,
        )
        response.raise_for_status()
        return response.json()

    def delete_campaign(self, campaign_id: int) -> dict[str, Any]:
        """Delete a campaign upstream via ``DELETE /_sandbox/campaigns/{id}``: it leaves the listing and its
        endpoints answer as the knob ``deleted_campaign_answer`` says."""
        response = httpx.delete(f"{self.base_url}/_sandbox/campaigns/{campaign_id}", timeout=30.0)
        response.raise_for_status()
        return response.json()

    def insert_late_events(
        self, campaign_id: int, kind: str = "replies", count: int = 1, *, after_offset: int = 0
    ) -> dict[str, Any]:
        """Insert ``count`` late events of ``kind`` by event time, right after position ``after_offset`` (oldest
        first), via ``POST /_sandbox/campaigns/{id}/events``; returns the answer (``added``, ``total``, ``ids``)."""
        response = httpx.post(
            f"{self.base_url}/_sandbox/campaigns/{campaign_id}/events",
            json={"kind": kind, "count": count, "after_offset": after_offset},
            timeout=30.0,
        )
        response.raise_for_status()
        return response.json()

    def add_activity(
        self, campaign_id: int, kind: str, at: int, *, count: int = 1, recipient: int = 0, subject: int = 0
    ) -> dict[str, Any]:
        """Add ``count`` identical ``kind`` events of one recipient at unix time ``at``, placed by time (late
        events; identical events in one second when ``count`` > 1), via ``POST /_sandbox/campaigns/{id}/activity``."""
        response = httpx.post(
            f"{self.base_url}/_sandbox/campaigns/{campaign_id}/activity",
            json={"kind": kind, "at": at, "count": count, "recipient": recipient, "subject": subject},
            timeout=30.0,
        )
        response.raise_for_status()
        return response.json()

    def arm_deletion(
        self, campaign_id: int, kind: str = "replies", *, offset: int = 0, count: int = 1, after_pages: int = 1
    ) -> dict[str, Any]:
        """Once ``after_pages`` more pages of ``kind`` of the campaign are served, delete ``count`` events at
        ``offset`` (oldest first): a deletion during a multi-page read (``POST .../events/arm``)."""
        response = httpx.post(
            f"{self.base_url}/_sandbox/campaigns/{campaign_id}/events/arm",
            json={"kind": kind, "offset": offset, "count": count, "after_pages": after_pages},
            timeout=30.0,
        )
        response.raise_for_status()
        return response.json()

    def armed(self) -> dict[str, Any]:
        """The armed deletions: ``{"pending": [...], "fired": [{..., "ids": [...]}]}`` (``GET .../events/armed``)."""
        response = httpx.get(f"{self.base_url}/_sandbox/events/armed", timeout=30.0)
        response.raise_for_status()
        return response.json()

    def token(self) -> str:
        """A fresh access token (counts as one API request and one token issued)."""
        response = httpx.post(
            f"{self.base_url}/v1/oauth/access_token",
            data={"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self.client_secret},
            timeout=10.0,
        )
        response.raise_for_status()
        return response.json()["access_token"]

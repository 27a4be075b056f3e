"""A local, seeded, credential-free copy of the Snov.io REST API (FastAPI + uvicorn).

Why it exists: the provider's tests, ``make demo`` and DAG authors need the whole API - tokens, the
60/min limit, async tasks, credits, paging of tens of thousands of events, faults - without spending
credits or touching the network. Entry points: ``snovio-sandbox`` (CLI), ``SandboxServer`` (in-process),
the ``snovio_sandbox`` pytest fixture, ``create_app`` (ASGI app). Names are imported lazily so that
importing this package costs nothing at DAG-parse time.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from airflow_provider_snovio.sandbox.app import create_app
    from airflow_provider_snovio.sandbox.config import SandboxConfig
    from airflow_provider_snovio.sandbox.state import SandboxState
    from airflow_provider_snovio.sandbox.testing import SandboxServer

__all__ = ["SandboxConfig", "SandboxServer", "SandboxState", "create_app"]

_LAZY = {
    "SandboxConfig": "airflow_provider_snovio.sandbox.config",
    "SandboxServer": "airflow_provider_snovio.sandbox.testing",
    "SandboxState": "airflow_provider_snovio.sandbox.state",
    "create_app": "airflow_provider_snovio.sandbox.app",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(import_module(_LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

"""A local, seeded, credential-free copy of the Snov.io REST API (FastAPI + uvicorn).

Why it exists: the provider's tests, ``make demo`` and DAG authors need the whole API - tokens, the
60/min limit, async tasks, credits, paging of tens of thousands of events, faults - without spending
credits or touching the network. Entry points: ``snovio-sandbox`` (CLI), ``SandboxServer`` (in-process),
the ``snovio_sandbox`` pytest fixture, ``create_app`` (ASGI app). Names are imported lazily so that
importing this package costs nothing at DAG-parse time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_snovio._lazy import lazy_exports

if TYPE_CHECKING:  # the lazy names, visible to type checkers and IDEs (tests/unit/test_lazy_exports.py)
    from airflow_provider_snovio.sandbox.app import create_app
    from airflow_provider_snovio.sandbox.config import SandboxConfig
    from airflow_provider_snovio.sandbox.state import SandboxState
    from airflow_provider_snovio.sandbox.testing import SandboxServer

#: Public name -> module (under this package) that defines it.
_EXPORTS: dict[str, str] = {
    "SandboxConfig": "config",
    "SandboxServer": "testing",
    "SandboxState": "state",
    "create_app": "app",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

"""The sandbox serves every endpoint the client knows: one catalogue, checked against the app's routes.

Why: the endpoint catalogue (``api.catalogue``) is the client's single source of truth for paths and
methods; if it gains an endpoint the sandbox does not serve, DAG authors developing against the sandbox
would hit 404s that Snov.io would not send.
"""

from __future__ import annotations

import re

from airflow_provider_snovio.api.catalogue import ENDPOINTS, TOKEN_PATH
from airflow_provider_snovio.sandbox.testing import SandboxServer


def _norm(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "{}", path)


def test_every_catalogue_endpoint_is_served(snovio_sandbox: SandboxServer) -> None:
    served = {
        (method, _norm(route.path))
        for route in snovio_sandbox.app.routes
        for method in (getattr(route, "methods", None) or ())
    }
    assert ("POST", TOKEN_PATH) in served
    missing = [(e.name, e.method, e.path) for e in ENDPOINTS if (e.method.upper(), _norm(e.path)) not in served]
    assert missing == []
    assert len(ENDPOINTS) >= 41

"""Small helpers shared by the sandbox contract tests."""

from __future__ import annotations

from typing import Any

import requests

from airflow_provider_snovio.sandbox.testing import SandboxServer


def spent(sb: SandboxServer) -> float:
    """Credits the sandbox has charged since the last reset."""
    return sb.stats()["credits_spent"]


def post_json(http: requests.Session, sb: SandboxServer, path: str, status: int = 200, **kwargs: Any) -> Any:
    """POST to ``path``, assert the status, return the parsed body."""
    response = http.post(f"{sb.base_url}{path}", **kwargs)
    assert response.status_code == status, response.text
    return response.json()

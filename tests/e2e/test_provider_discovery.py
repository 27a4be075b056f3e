"""Airflow itself discovers the installed package as a provider with the ``snovio`` connection type."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path


def _airflow(*args: str) -> subprocess.CompletedProcess[str]:
    airflow = Path(sys.executable).with_name("airflow")
    return subprocess.run(
        [str(airflow), *args], capture_output=True, text=True, timeout=180, env=os.environ.copy(), check=False
    )


def _json_out(stdout: str) -> list[dict[str, str]]:
    """The JSON array Airflow prints, skipping any log lines before it."""
    start = next(i for i, line in enumerate(stdout.splitlines()) if line.startswith("[{"))
    return json.loads("\n".join(stdout.splitlines()[start:]))


def test_airflow_providers_list_shows_snovio() -> None:
    result = _airflow("providers", "list", "--output", "json")
    assert result.returncode == 0, result.stderr[-2000:]
    providers = {p["package_name"]: p for p in _json_out(result.stdout)}
    assert "airflow-provider-snovio" in providers
    from airflow_provider_snovio import __version__

    assert providers["airflow-provider-snovio"]["version"] == __version__


def test_airflow_knows_the_snovio_connection_type() -> None:
    result = _airflow("providers", "hooks", "--output", "json")
    assert result.returncode == 0, result.stderr[-2000:]
    hooks = _json_out(result.stdout)
    snovio = [h for h in hooks if h.get("connection_type") == "snovio"]
    assert snovio, "connection type 'snovio' not registered"
    assert snovio[0]["class"] == "airflow_provider_snovio.hooks.snovio.SnovioHook"
    assert snovio[0]["package_name"] == "airflow-provider-snovio"
    assert snovio[0]["hook_name"] == "Snov.io"

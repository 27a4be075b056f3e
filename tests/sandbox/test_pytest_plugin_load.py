"""The ``pytest11`` plugin is loaded by every pytest run of every project that installs the provider:
loading it must cost nothing heavy. Its fixtures import the sandbox server only when a test asks for one."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = ("fastapi", "uvicorn", "airflow", "starlette", "airflow_provider_snovio.sandbox.testing")


def test_loading_the_plugin_imports_no_server_and_no_airflow() -> None:
    code = (
        "import json, sys; import airflow_provider_snovio.sandbox.pytest_plugin; "
        f"print(json.dumps(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r} or m in {HEAVY!r})))"
    )
    loaded = json.loads(subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout)
    assert loaded == []


def test_the_fixture_still_serves(snovio_sandbox) -> None:
    # The lazily imported server is the one the fixture yields: a real HTTP sandbox.
    import requests

    answer = requests.get(snovio_sandbox.base_url + "/_sandbox/stats", timeout=10)
    assert answer.status_code == 200 and "requests" in answer.json()

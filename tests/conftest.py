"""Session-wide test environment: a private AIRFLOW_HOME and rate-limit directory.

Set before Airflow is imported anywhere, so no test reads or writes the developer's ~/airflow, and
no test shares rate-limit state with a real DAG running on the same machine.
"""

from __future__ import annotations

import os
import tempfile

#: Fixtures of the limiter, quota and token-store tests (redis_url, backend, private_rate_limit_dir).
pytest_plugins = ["tests.limiter_backends"]

_ROOT = tempfile.mkdtemp(prefix="snovio-tests-")
os.environ.setdefault("AIRFLOW_HOME", os.path.join(_ROOT, "airflow-home"))
os.environ.setdefault("AIRFLOW__CORE__LOAD_EXAMPLES", "False")
os.environ.setdefault("AIRFLOW__CORE__UNIT_TEST_MODE", "True")
os.environ.setdefault("SNOVIO_RATE_LIMIT_DIR", os.path.join(_ROOT, "rate-limits"))

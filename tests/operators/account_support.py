"""Helpers shared by the tests of the account, campaign and list operators.

``MemoryTaskStateStore`` stands in for Airflow 3.3's ``context["task_state_store"]`` (the real accessor
talks to the task supervisor, which only exists inside a running task). It keeps the accessor's
contract: JSON values only (a value that would not survive the real store fails here too), ``None`` is
refused. Running ``execute`` twice with one store is what a task retry looks like to an operator.
"""

from __future__ import annotations

import json
from typing import Any

from airflow_provider_snovio.sandbox.testing import SandboxServer


class MemoryTaskStateStore:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get(self, key: str, default: Any = None) -> Any:
        return json.loads(self.values[key]) if key in self.values else default

    def set(self, key: str, value: Any) -> None:
        if value is None:
            raise ValueError("Cannot set value as None")
        assert len(key) <= 512, key
        self.values[key] = json.dumps(value)  # raises on anything the real store could not keep

    def delete(self, key: str) -> None:
        self.values.pop(key, None)

    def clear(self) -> None:
        self.values.clear()


def context(
    store: MemoryTaskStateStore | None = None,
    *,
    data_interval_start: Any = None,
    data_interval_end: Any = None,
    logical_date: Any = None,
) -> dict[str, Any]:
    """The part of an Airflow task context these operators read."""
    ctx: dict[str, Any] = {
        "ti": None,
        "data_interval_start": data_interval_start,
        "data_interval_end": data_interval_end,
        "logical_date": logical_date,
    }
    if store is not None:
        ctx["task_state_store"] = store
    return ctx


def requests(sandbox: SandboxServer, route: str | None = None) -> int:
    """Requests the sandbox served: all API requests, or those of one ``"METHOD /path"`` route."""
    stats = sandbox.stats()
    return stats["total_requests"] if route is None else stats["requests"].get(route, 0)


def credits(sandbox: SandboxServer) -> float:
    return sandbox.stats()["credits_spent"]


class FailOnCall:
    """Wrap a hook method so its ``n``-th call raises ``error`` instead of reaching Snov.io (a worker crash)."""

    def __init__(self, method: Any, n: int, error: Exception) -> None:
        self.method, self.n, self.error, self.calls = method, n, error, 0

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == self.n:
            raise self.error
        return self.method(*args, **kwargs)

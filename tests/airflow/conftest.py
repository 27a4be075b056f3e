"""Fixtures for the operator, sensor and trigger tests: a sandbox with fast tasks, a task_state_store.

The sandbox finishes a task after ``task_polls_pending`` (1) in-progress polls; the operators poll every
10 ms here, so each test runs in well under a second of waiting.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from airflow.sdk.exceptions import TaskDeferred

from airflow_provider_snovio.sandbox.testing import SandboxServer

#: Operator/sensor timing for tests: poll fast, never wait long.
FAST: dict[str, Any] = {"poll_interval": 0.01, "timeout": 10.0}


class MemoryTaskStateStore:
    """Stands in for ``context["task_state_store"]`` (Airflow 3.3): JSON values per key, kept across
    "tries" of one task instance as long as the test passes the same object."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.writes = 0

    def get(self, key: str, default: Any = None) -> Any:
        return json.loads(json.dumps(self.values[key])) if key in self.values else default

    def set(self, key: str, value: Any) -> None:
        self.values[key] = json.loads(json.dumps(value))  # refuses what the real store would refuse
        self.writes += 1


def run_trigger(trigger: Any) -> list[dict[str, Any]]:
    """Run a trigger to its end, after a JSON round trip of its kwargs (as the triggerer would)."""
    import importlib

    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    rebuilt = getattr(importlib.import_module(module), name)(**json.loads(json.dumps(kwargs)))

    async def collect() -> list[dict[str, Any]]:
        return [event.payload async for event in rebuilt.run()]

    return asyncio.run(collect())


def run_with_triggers(operator: Any, context: dict[str, Any], max_deferrals: int = 20) -> Any:
    """Execute ``operator`` like ``airflow dags test``: every deferral runs its trigger in line."""
    method, kwargs = operator.execute, {}
    for _ in range(max_deferrals):
        try:
            return method(context, **kwargs)
        except TaskDeferred as deferred:
            events = run_trigger(deferred.trigger)
            assert len(events) == 1, events
            method = getattr(operator, deferred.method_name)
            kwargs = {"event": events[0], **(deferred.kwargs or {})}
    raise AssertionError("too many deferrals")


@pytest.fixture
def sandbox(snovio_conn_env: SandboxServer) -> SandboxServer:
    """The sandbox with ``AIRFLOW_CONN_SNOVIO_DEFAULT`` pointing at it."""
    return snovio_conn_env


@pytest.fixture
def store() -> MemoryTaskStateStore:
    return MemoryTaskStateStore()


@pytest.fixture
def context(store: MemoryTaskStateStore) -> dict[str, Any]:
    return {"task_state_store": store}

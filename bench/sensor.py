"""Item 7: API calls of a deferrable sensor waiting ``T`` seconds at poke interval ``p``, and worker slots
it holds while deferred.

A domain search is started on a sandbox whose tasks stay ``in_progress`` for ``T`` seconds; a
:class:`SnovioTaskSensor` (``deferrable=True``, ``poke_interval=p``) waits for it the way Airflow runs it:
``execute`` in a one-thread pool standing for the worker slot, its trigger in an event loop of its own
(re-created from its serialised kwargs, as the triggerer does), then ``execute_complete`` with the event.
The sandbox counts every request made from the sensor's first check to its end. While the trigger runs,
a sampler reads every 10 ms how many sensor executions still occupy the worker pool.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bench.results import Result

T = 8.0
P = 1.0
TOKEN_ENDPOINT = "POST /v1/oauth/access_token"


def rebuilt(trigger: Any) -> Any:
    """The trigger as a triggerer re-creates it: from its classpath and JSON kwargs."""
    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    return getattr(importlib.import_module(module), name)(**json.loads(json.dumps(kwargs)))


async def run_sampling(trigger: Any, busy: list[int]) -> tuple[list[dict[str, Any]], int]:
    """Run ``trigger`` to its end; sample ``busy[0]`` (sensor executions in the worker pool) every 10 ms."""
    samples: list[int] = []
    done = asyncio.Event()

    async def sample() -> None:
        while not done.is_set():
            samples.append(busy[0])
            await asyncio.sleep(0.01)

    sampler = asyncio.create_task(sample())
    try:
        events = [event.payload async for event in trigger.run()]
    finally:
        done.set()
        await sampler
    return events, max(samples, default=0)


def measure() -> list[Result]:
    from airflow.sdk.exceptions import TaskDeferred

    from airflow_provider_snovio.api.status import task_hash_of
    from airflow_provider_snovio.hooks.snovio import SnovioHook
    from airflow_provider_snovio.sandbox.testing import SandboxServer
    from airflow_provider_snovio.sensors import SnovioTaskSensor
    from bench.infra import environment

    bound = T / P + 2
    with (
        SandboxServer(requests_per_minute=1_000_000, task_delay_seconds=T) as sandbox,
        environment(AIRFLOW_CONN_SNOVIO_DEFAULT=sandbox.connection_json()),
    ):
        task_hash = task_hash_of(SnovioHook().start_domain_search("octagon.com"))
        started = time.monotonic()  # the task stays in progress T seconds from here
        before = sandbox.stats()["requests"]
        sensor = SnovioTaskSensor(
            task_id="wait_for_domain_search",
            task_hash=task_hash,
            result_method="get_domain_search_result",
            poke_interval=P,
            timeout=10 * T,
            deferrable=True,
        )
        busy = [0]
        lock = threading.Lock()

        def work() -> Any:
            with lock:
                busy[0] += 1
            try:
                return sensor.execute({})
            finally:
                with lock:
                    busy[0] -= 1

        with ThreadPoolExecutor(1, thread_name_prefix="worker-slot") as worker:
            try:
                worker.submit(work).result()
                deferred = None
            except TaskDeferred as error:
                deferred = error
            held_for = time.monotonic() - started
            if deferred is None:
                raise RuntimeError("the deferrable sensor finished without deferring: nothing to measure")
            events, slots_held = asyncio.run(run_sampling(rebuilt(deferred.trigger), busy))
        if len(events) != 1 or events[0].get("status") != "success":
            raise RuntimeError(f"the sensor's trigger ended with {events!r}")
        xcom = sensor.execute_complete({}, event=events[0])
        waited = time.monotonic() - started
        after = sandbox.stats()["requests"]
    delta = {name: count - before.get(name, 0) for name, count in after.items() if count != before.get(name, 0)}
    tokens = delta.pop(TOKEN_ENDPOINT, 0)
    calls = sum(delta.values())
    detail = (
        f"T = {T:g} s (sandbox task_delay_seconds), p = {P:g} s: {calls} status reads "
        f"({', '.join(f'{k}: {v}' for k, v in sorted(delta.items()))}) and {tokens} token requests "
        f"(the worker's token was cached; see item 6); waited {waited:.1f} s; XCom {xcom}"
    )
    slots_detail = (
        f"execute() checked once and deferred after {held_for * 1000:.0f} ms; for the "
        f"{waited - held_for:.1f} s the trigger ran, the worker pool held {slots_held} sensor "
        f"executions (sampled every 10 ms)"
    )
    return [
        Result(
            f"7. API calls of a sensor waiting T={T:g} s at poke interval p={P:g} s",
            calls,
            f"<= T/p + 2 = {bound:g}",
            "calls",
            calls <= bound,
            detail,
        ),
        Result("7. worker slots held while deferred", slots_held, "0", "slots", slots_held == 0, slots_detail),
    ]

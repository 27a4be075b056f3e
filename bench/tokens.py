"""Item 6: token requests per process per token lifetime, during 1,000 calls.

``PROCESSES`` worker processes each make 1,000 free calls from ``THREADS`` threads at once, starting
without a token (the token cache is per process and single-flight). The sandbox counts the tokens it
issues. Phase 1 uses Snov.io's one-hour lifetime: the 1,000 calls fit in one lifetime, so the figure is
tokens issued / processes. Phase 2 (same processes, cache emptied) uses a 2-s lifetime (the sandbox's
``token_ttl``) to show renewals are not duplicated either: its count is compared, in the detail, with the
usable lifetimes the calls spanned (the client renews a short-lived token early, see ``api/token.py``).
"""

from __future__ import annotations

import math
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise
from typing import Any

from bench.results import Result

CALLS = 1000
THREADS = 4
PROCESSES = 2
TTLS = (3600.0, 2.0)


def token_worker(base_url: str, client_id: str, calls: int, threads: int, phases: int) -> list[dict[str, Any]]:
    """Worker process: per phase, ``calls`` free reads from ``threads`` threads sharing one client, starting
    without a token (as a fresh process does); its token fetches and the time the calls took."""
    from airflow_provider_snovio.api.client import SnovioClient
    from airflow_provider_snovio.api.token import TOKENS
    from bench.child import wait_for_go
    from bench.infra import client_config

    out = []
    with SnovioClient(client_config(base_url, client_id, requests_per_minute=1_000_000)) as client:
        for _ in range(phases):
            start_at = wait_for_go()
            TOKENS.clear()
            fetched = TOKENS.fetches
            time.sleep(max(0.0, start_at - time.time()))
            started = time.monotonic()
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(lambda _: client.get_balance(), range(calls)))
            out.append({"fetches": TOKENS.fetches - fetched, "elapsed": time.monotonic() - started})
    return out


def measure() -> list[Result]:
    from airflow_provider_snovio.api.token import renew_at
    from airflow_provider_snovio.sandbox.testing import SandboxServer
    from bench.infra import SECRET_ENV, Worker

    with SandboxServer(requests_per_minute=1_000_000) as sandbox:
        workers = [Worker("bench.tokens:token_worker", {SECRET_ENV: sandbox.client_secret}, base_url=sandbox.base_url,
                          client_id=sandbox.client_id, calls=CALLS, threads=THREADS, phases=len(TTLS))
                   for _ in range(PROCESSES)]
        try:
            issued_before = []
            for token_ttl in TTLS:
                for worker in workers:
                    worker.wait_ready()  # READY again also means the previous phase is over
                issued_before.append(sandbox.stats()["tokens_issued"])
                sandbox.configure(token_ttl=token_ttl)
                start_at = time.time() + 0.5
                for worker in workers:
                    worker.go(start_at)
            phases = [worker.result() for worker in workers]
            issued_before.append(sandbox.stats()["tokens_issued"])
        finally:
            for worker in workers:
                worker.kill()
    issued = [after - before for before, after in pairwise(issued_before)]
    per_process = issued[0] / PROCESSES
    usable = renew_at(TTLS[1], 0.0)  # how long the client uses a token of the short lifetime
    short = [worker_phases[1] for worker_phases in phases]
    spanned = sum(math.ceil(phase["elapsed"] / usable) for phase in short)
    durations = ", ".join(f"{phase['elapsed']:.1f}" for phase in short)
    detail = (f"{PROCESSES} processes x {CALLS} calls from {THREADS} threads each, 1-h lifetime: the sandbox issued "
              f"{issued[0]} tokens (clients counted {sum(p[0]['fetches'] for p in phases)}); with a {TTLS[1]:g}-s "
              f"lifetime ({durations} s of calls, {spanned} usable lifetimes of {usable:g} s in all): "
              f"{issued[1]} tokens issued")
    return [Result("6. token requests per process per token lifetime (1,000 calls)", per_process, "1", "tokens",
                   per_process == 1, detail)]

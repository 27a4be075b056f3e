"""Item 6: token requests per account per token lifetime, across processes, during 1,000 calls each.

``PROCESSES`` worker processes (as a deployment's task tries, resumes and triggerer are) each make 1,000
free calls from ``THREADS`` threads at once, each starting without a token of its own (its process cache
emptied). They share the account's token through the per-host token store (``api/token_store.py``, in the
rate limiter's directory), so the sandbox should issue ONE token for all of them per lifetime. Phase 1
uses Snov.io's one-hour lifetime: the figure is the tokens issued to all processes together. Phase 2 (the
shared entry dropped first) uses a 2-s lifetime (the sandbox's ``token_ttl``) to show renewals are not
duplicated either: its count is compared, in the detail, with the usable lifetimes the phase spanned (the
client renews a short-lived token early, see ``api/token.py``).
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
PROCESSES = 4
TTLS = (3600.0, 2.0)


def token_worker(base_url: str, client_id: str, calls: int, threads: int, phases: int) -> list[dict[str, Any]]:
    """Worker process: per phase, ``calls`` free reads from ``threads`` threads sharing one client, starting
    without a token of its own (as a fresh process does); its token fetches and when its calls ran."""
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
            started = time.time()
            with ThreadPoolExecutor(threads) as pool:
                list(pool.map(lambda _: client.get_balance(), range(calls)))
            out.append({"fetches": TOKENS.fetches - fetched, "started": started, "ended": time.time()})
    return out


def measure() -> list[Result]:
    from airflow_provider_snovio.api.client import ClientConfig
    from airflow_provider_snovio.api.token import renew_at
    from airflow_provider_snovio.api.token_store import shared_token_store
    from airflow_provider_snovio.sandbox.testing import SandboxServer
    from bench.infra import SECRET_ENV, Worker

    with SandboxServer(requests_per_minute=1_000_000) as sandbox:
        config = ClientConfig(
            client_id=sandbox.client_id, client_secret=sandbox.client_secret, base_url=sandbox.base_url
        )
        store = shared_token_store(None, config.token_key, config.client_secret)
        workers = [
            Worker(
                "bench.tokens:token_worker",
                {SECRET_ENV: sandbox.client_secret},
                base_url=sandbox.base_url,
                client_id=sandbox.client_id,
                calls=CALLS,
                threads=THREADS,
                phases=len(TTLS),
            )
            for _ in range(PROCESSES)
        ]
        try:
            issued_before = []
            for token_ttl in TTLS:
                for worker in workers:
                    worker.wait_ready()  # READY again also means the previous phase is over
                issued_before.append(sandbox.stats()["tokens_issued"])
                sandbox.configure(token_ttl=token_ttl)
                if store is not None:
                    store.clear()  # the phase starts with no token anywhere
                start_at = time.time() + 0.5
                for worker in workers:
                    worker.go(start_at)
            phases = [worker.result() for worker in workers]
            issued_before.append(sandbox.stats()["tokens_issued"])
        finally:
            for worker in workers:
                worker.kill()
    issued = [after - before for before, after in pairwise(issued_before)]
    usable = renew_at(TTLS[1], 0.0)  # how long the client uses a token of the short lifetime
    short = [worker_phases[1] for worker_phases in phases]
    span = max(p["ended"] for p in short) - min(p["started"] for p in short)
    spanned = math.ceil(span / usable)
    detail = (
        f"{PROCESSES} processes x {CALLS} calls from {THREADS} threads each, each process starting without a "
        f"token; 1-h lifetime: the sandbox issued {issued[0]} tokens (processes fetched "
        f"{sum(p[0]['fetches'] for p in phases)}, the others took the shared one); with a {TTLS[1]:g}-s "
        f"lifetime ({span:.1f} s of calls, {spanned} usable lifetimes of {usable:g} s): {issued[1]} tokens "
        f"issued"
    )
    return [
        Result(
            "6. token requests per account per token lifetime (4 processes x 1,000 calls)",
            issued[0],
            "1",
            "tokens",
            issued[0] == 1,
            detail,
        )
    ]

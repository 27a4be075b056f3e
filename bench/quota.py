"""Item 10 (issue 13 item 9): hourly quota pacing, units per hour achieved / the declared quota.

Time is compressed: the sandbox's finder and verifier quotas (``FINDER`` requests, ``VERIFIER`` e-mails)
hold per ``WINDOW``-second "hour", and the clients declare the same (connection extras
``finder_hourly_limit``, ``verifier_hourly_limit``, ``quota_window_seconds``). ``PROCESSES`` worker processes
share the per-host limiter log, each with one finder and one verifier thread calling as fast as the limiter
lets them for ``DURATION`` seconds (free reads and paid adds alternately; verifications of 10, 7 and 3
e-mails), with no retries, so a refusal would fail the run. A batch larger than the quota: about
``DURATION / WINDOW`` quotas' worth of each family is asked for.

Achieved share (``tests/reliability/quota_worker.unit_share``): every unit is a completion stamp; the mean time
``quota`` consecutive units took is one "hour" as the account spent it, and ``WINDOW`` over it is the share
of the quota used. The line's value is the lower of the two families'. Zero refusals: the sandbox's own count
of "too many prospects processing" answers.

The compressed hour costs a little that the real hour does not: a unit counts from its answer on, so each
quota cycle is one request latency longer than ``WINDOW`` (plus a 2 % margin, one second of a real hour).
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from bench.results import Result

FINDER = 40
VERIFIER = 100
WINDOW = 5.0
DURATION = 12.0  # bursts at 0, ~5.1 and ~10.2 s
PROCESSES = 2
RPM = 3000  # the per-minute rate is not what binds here
NAME = "10. quota pacing: units achieved / declared quota per hour (finder and verifier, lower of the two)"
TARGET = ">= 0.95, zero refusals"


def quota_worker(base_url: str, client_id: str, duration: float, tag: str) -> dict[str, Any]:
    """Worker process: a finder and a verifier thread from the common start; their unit records."""
    import os

    from bench.child import wait_for_go
    from bench.infra import SECRET_ENV
    from tests.reliability.quota_worker import client_for, drive

    client = client_for(base_url, client_id, os.environ[SECRET_ENV], None, FINDER, VERIFIER, WINDOW, RPM)
    client.access_token()  # the token and the limiter's log, before the clock
    client._limiter._ready()
    start_at = wait_for_go()
    return {"records": drive(client, ["finder", "verifier"], start_at, duration, tag)}


def measure() -> list[Result]:
    from airflow_provider_snovio.sandbox.testing import SandboxServer
    from bench.infra import SECRET_ENV, run_together
    from tests.reliability.quota_worker import unit_share

    with SandboxServer(
        requests_per_minute=RPM,
        finder_hourly_limit=FINDER,
        verifier_hourly_limit=VERIFIER,
        hourly_window_seconds=WINDOW,
        client_id=f"bench-quota-{uuid.uuid4().hex[:12]}",
    ) as sandbox:
        begun = time.monotonic()
        results = run_together(
            "bench.quota:quota_worker",
            PROCESSES,
            env={SECRET_ENV: sandbox.client_secret},
            base_url=sandbox.base_url,
            client_id=sandbox.client_id,
            duration=DURATION,
            tag=uuid.uuid4().hex[:6],
        )
        took = time.monotonic() - begun
        stats = sandbox.stats()
    records = [tuple(record) for result in results for record in result["records"]]
    shares = {
        family: unit_share(records, family, quota, WINDOW)  # type: ignore[arg-type]
        for family, quota in (("finder", FINDER), ("verifier", VERIFIER))
    }
    refusals = stats["too_many_processing"]
    units = {family: sum(r[2] for r in records if r[1] == family) for family in shares}
    detail = (
        f"{PROCESSES} processes sharing the per-host log, {took:.0f} s; quotas {FINDER} finder requests and "
        f"{VERIFIER} verifier e-mails per {WINDOW:g}-s hour; achieved finder {shares['finder']:.3f} "
        f"({units['finder']} units), verifier {shares['verifier']:.3f} ({units['verifier']} units); sandbox: "
        f"{refusals} quota refusals, busiest window {stats['peak_finder_units_in_window']} finder / "
        f"{stats['peak_verifier_units_in_window']} verifier units"
    )
    value = min(shares.values())
    return [Result(NAME, round(value, 4), TARGET, "ratio", value >= 0.95 and refusals == 0, detail)]

"""Quota-bound work for ``test_quota_pacing`` and ``bench/quota.py``: real clients spending finder and verifier
units as fast as their shared limiter lets them.

A module of its own, with nothing heavy imported at the top: ``spawn`` imports the module that defines the
target in every child, and the test module imports the sandbox (FastAPI, uvicorn) and pytest.

What one call spends (``api/quotas.py``): a finder call 1 unit, a verifier call one unit per e-mail. The
verifier calls cycle through 10, 7 and 3 e-mails so that requests of several sizes share the quota.
"""

from __future__ import annotations

import threading
import time
from statistics import fmean
from typing import Any

#: Units recorded by one call: (completion time, epoch seconds; family; units).
Record = tuple[float, str, int]

VERIFIER_SIZES = (10, 7, 3)


def one_call(client: Any, family: str, index: int, tag: str) -> int:
    """Send the ``index``-th call of ``family`` (alternately the free read and the paid add); return its units.

    With ``max_retries=0`` on the client, a refusal (429 or a 200 ``success: false`` the client maps to an
    error) raises, so a worker that met the quota fails.
    """
    paid = index % 2 == 1
    if family == "finder":
        name = {"first_name": "Quota", "last_name": f"Pacer{tag}{index}", "domain": "example.com"}
        (client.add_names_to_find_emails if paid else client.get_emails_from_names)(**name)
        return 1
    size = VERIFIER_SIZES[index % len(VERIFIER_SIZES)]
    emails = [f"pace.{tag}.{index}.{n}@example.com" for n in range(size)]
    answer = (client.add_emails_to_verification if paid else client.get_emails_verification_status)(emails=emails)
    if not (isinstance(answer, dict) and answer.get("success") is True):
        raise AssertionError(f"verifier call refused: {answer!r}")
    return size


#: How long ``drive`` waits for a call still in the limiter at the end of its period (a window and more).
LATE_CALL_BOUND = 60.0


def drive(client: Any, families: list[str], start_at: float, duration: float, tag: str) -> list[Record]:
    """One daemon thread per entry of ``families`` calling from ``start_at`` for ``duration`` seconds.

    Returns the records completed within the period. A thread still waiting in the limiter at the end is
    waited for (at most ``LATE_CALL_BOUND`` seconds): its call is not part of the measurement, but left
    running it would reach the sandbox during the next test and spend that test's quota (the sandbox's
    hourly log is one per server). A thread that fails re-raises here.
    """
    records: list[Record] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def loop(family: str, thread_tag: str) -> None:
        time.sleep(max(0.0, start_at - time.time()))
        index = 0
        try:
            while time.time() < start_at + duration:
                units = one_call(client, family, index, thread_tag)
                with lock:
                    records.append((time.time(), family, units))
                index += 1
        except BaseException as error:
            errors.append(error)

    threads = [
        threading.Thread(target=loop, args=(family, f"{tag}t{n}"), daemon=True) for n, family in enumerate(families)
    ]
    for thread in threads:
        thread.start()
    time.sleep(max(0.0, start_at + duration - time.time()))
    deadline = time.time() + LATE_CALL_BOUND
    for thread in threads:
        thread.join(timeout=max(0.0, deadline - time.time()))
    if errors:
        raise errors[0]
    with lock:
        return [record for record in records if record[0] <= start_at + duration]


def unit_share(records: list[Record], family: str, quota: int, window: float) -> float:
    """``window`` / mean time ``quota`` consecutive units took: the share of the quota used (1.0 = all of it).

    A sliding-window quota is spent in a burst, then one unit per freed slot, so counting units in a fixed
    interval is off by up to a whole burst. Every unit is one stamp (a call of 10 e-mails, 10 stamps); the
    span from unit i to unit i + quota is how long the account took to spend one quota, there.
    """
    stamps = sorted(t for t, kind, units in records if kind == family for _ in range(units))
    spans = [stamps[i + quota] - stamps[i] for i in range(len(stamps) - quota)]
    if not spans:
        raise ValueError(f"only {len(stamps)} {family} units: too few to measure a rate over {quota}")
    return window / fmean(spans)


def client_for(
    base_url: str,
    client_id: str,
    secret: str,
    backend: str | None,
    finder: int | None,
    verifier: int | None,
    window: float,
    requests_per_minute: int,
) -> Any:
    """A client declaring the plan's quotas over a compressed hour of ``window`` seconds; no retries."""
    from airflow_provider_snovio.api.client import ClientConfig, SnovioClient
    from airflow_provider_snovio.api.retry import RetryPolicy

    config = ClientConfig(
        client_id=client_id,
        client_secret=secret,
        base_url=base_url,
        requests_per_minute=requests_per_minute,
        rate_limit_backend=backend,
        finder_hourly_limit=finder,
        verifier_hourly_limit=verifier,
        quota_window_seconds=window,
        retry=RetryPolicy(max_retries=0),
    )
    return SnovioClient(config)


def process_main(
    base_url: str,
    client_id: str,
    secret: str,
    backend: str | None,
    finder: int | None,
    verifier: int | None,
    window: float,
    requests_per_minute: int,
    families: list[str],
    duration: float,
    tag: str,
    barrier: Any,
    results: Any,
) -> None:
    """A spawned process: warm up, meet the others at ``barrier``, drive, put the records in ``results``."""
    client = client_for(base_url, client_id, secret, backend, finder, verifier, window, requests_per_minute)
    client.access_token()  # token and limiter backend before the common start
    client._limiter._ready()
    barrier.wait(timeout=120)
    try:
        results.put((tag, drive(client, families, time.time() + 0.2, duration, tag)))
    except BaseException as error:
        results.put((tag, f"{type(error).__name__}: {error}"))
        raise

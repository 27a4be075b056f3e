"""Item 4: peak RSS of a process syncing 100,000 replies over one syncing 10,000.

Each sync is a fresh interpreter running :class:`SnovioToSqlOperator` (``campaign_replies`` of one
campaign into an empty SQLite file) exactly as a task would; it reports its own peak RSS, ``VmHWM`` (see
:func:`peak_rss_kib` for why not ``ru_maxrss``). A sync that holds one page at a time has about the same
peak for both; one that accumulates rows grows with the total.
"""

from __future__ import annotations

import resource
from typing import Any

from bench.results import Result

WAREHOUSE_CONN_ID = "bench_warehouse"


def sync_worker(campaign_id: int) -> dict[str, Any]:
    """Worker process: one operator run; its result XCom and its peak RSS."""
    from airflow_provider_snovio.transfers import SnovioToSqlOperator

    operator = SnovioToSqlOperator(
        task_id="sync_replies", resource="campaign_replies", sql_conn_id=WAREHOUSE_CONN_ID, campaign_ids=[campaign_id]
    )
    xcom = operator.execute({})
    return {"xcom": xcom, "maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, "vmhwm_kib": peak_rss_kib()}


def peak_rss_kib() -> int:
    """This process's own peak RSS since it started (``VmHWM``, KiB).

    Not ``ru_maxrss``: Linux keeps the larger of the parent's peak and the child's across fork and exec,
    and the parent here holds the sandbox's 100,000-reply data set, so every child would report that.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def measure(sandbox: Any, big_campaign: int, small_campaign: int) -> list[Result]:
    from bench.infra import fresh_path, run_worker, sqlite_conn_json

    peaks: dict[int, dict[str, Any]] = {}
    for campaign_id in (small_campaign, big_campaign):
        env = {
            "AIRFLOW_CONN_SNOVIO_DEFAULT": sandbox.connection_json(),
            f"AIRFLOW_CONN_{WAREHOUSE_CONN_ID.upper()}": sqlite_conn_json(fresh_path("rss.db")),
        }
        peaks[campaign_id] = run_worker("bench.memory:sync_worker", env=env, campaign_id=campaign_id)
    big, small = peaks[big_campaign], peaks[small_campaign]
    share = big["vmhwm_kib"] / small["vmhwm_kib"]
    detail = (
        f"peak RSS (VmHWM) {big['vmhwm_kib'] / 1024:.0f} MiB syncing {big['xcom']['rows_written']:,} rows "
        f"({big['xcom']['pages']} pages) vs {small['vmhwm_kib'] / 1024:.0f} MiB syncing "
        f"{small['xcom']['rows_written']:,} ({small['xcom']['pages']} pages); fresh processes running "
        f"SnovioToSqlOperator into SQLite; their ru_maxrss ({big['maxrss_kib'] / 1024:.0f} and "
        f"{small['maxrss_kib'] / 1024:.0f} MiB) is the parent's peak inherited at fork (the parent hosts "
        f"the sandbox's data), so it is not used"
    )
    return [
        Result(
            "4. peak RSS syncing 100,000 replies / syncing 10,000",
            round(share, 4),
            "<= 1.5",
            "ratio",
            share <= 1.5,
            detail,
        )
    ]

"""`make demo`: the daily campaign-reporting DAG, run by Airflow against the local Snov.io sandbox.

What it does, every step for real:

1. prepares a private ``AIRFLOW_HOME`` in ``demo-output/airflow-home`` (git-ignored) and migrates its SQLite
   metadata DB (``airflow db migrate``; a second run finds it migrated). ``SNOVIO_DEMO_OUTPUT`` names
   another folder than ``demo-output`` for everything the demo writes;
2. starts the sandbox (``python -m airflow_provider_snovio.sandbox``) as a subprocess on a free loopback
   port with Snov.io's real limit, 60 requests per 60-second window, and its seeded data (same seed: the same
   campaigns on every run);
3. runs ``dags_examples/snovio_campaign_reporting.py`` with ``airflow dags test`` (real operators, real task
   logs, saved in ``demo-output/logs``) into the SQLite warehouse ``demo-output/warehouse.sqlite``, for the
   logical date 2025-10-16, i.e. the UTC day 2025-10-15 of the seeded campaigns;
4. stops the sandbox and prints a summary read back from the warehouse (rows per table, campaigns by reply
   rate) and from the sandbox's counters (requests, 429s), the wall time and where everything is.

A second ``make demo`` reuses the virtualenv, the metadata DB and the warehouse: the sync is incremental
(one request per campaign and resource when nothing is new), and the summary compares it with the previous
run (``demo-output/last-run.json``).

With ``SNOVIO_CLIENT_ID`` and ``SNOVIO_CLIENT_SECRET`` set, the same DAG runs against the real Snov.io API
for yesterday (UTC) into ``demo-output/warehouse-snovio.sqlite`` instead: no sandbox. The reporting DAG
only reads (no credits are spent), but its requests count against the account's 60 per minute.
``SNOVIO_API_URL`` overrides the API's base URL in that mode.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
#: Everything the demo writes (git-ignored); ``SNOVIO_DEMO_OUTPUT`` moves it (the test of the demo does).
OUT = Path(os.environ.get("SNOVIO_DEMO_OUTPUT") or ROOT / "demo-output").resolve()
HOME = OUT / "airflow-home"
LOGS = OUT / "logs"
DAGS = ROOT / "dags_examples"
DAG_ID = "snovio_campaign_reporting"
#: The run of 2025-10-16 reports on 2025-10-15, a busy day of the sandbox's seeded campaigns.
SANDBOX_LOGICAL_DATE = "2025-10-16T00:00:00+00:00"
SANDBOX_KNOBS = ["--requests-per-minute", "60", "--rate-window-seconds", "60", "--seed", "42"]
TABLES = (
    "snovio_campaigns",
    "snovio_campaign_analytics",
    "snovio_recipient_activity",
    "snovio_campaign_replies",
    "snovio_campaign_opens",
    "snovio_campaign_clicks",
    "snovio_emails_sent",
    "snovio_finished_prospects",
)
BIN = Path(sys.executable).parent


def say(text: str = "") -> None:
    print(text, flush=True)


def shown(path: Path) -> str:
    """A path as the user typed ``make demo`` from: relative to the project when inside it."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def airflow_env(warehouse: Path) -> dict[str, str]:
    """The environment of every Airflow command: this demo's home, nothing from the caller's Airflow set-up."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AIRFLOW")}
    env.update(
        {
            "AIRFLOW_HOME": str(HOME),
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": f"sqlite:///{HOME / 'airflow.db'}",
            "AIRFLOW__CORE__DAGS_FOLDER": str(DAGS),
            "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
            "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
            "AIRFLOW_CONN_SNOVIO_WAREHOUSE": json.dumps({"conn_type": "sqlite", "host": str(warehouse)}),
            "SNOVIO_RATE_LIMIT_DIR": str(OUT / "rate-limits"),
        }
    )
    return env


def migrate(env: dict[str, str]) -> str:
    existed = (HOME / "airflow.db").exists()
    started = time.monotonic()
    result = subprocess.run(
        [str(BIN / "airflow"), "db", "migrate"], env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise SystemExit(f"airflow db migrate failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    return f"{'reused' if existed else 'created and migrated'} ({time.monotonic() - started:.0f} s)"


class Sandbox:
    """The sandbox CLI as a subprocess; its first two lines give the URL and the connection."""

    def __init__(self) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "airflow_provider_snovio.sandbox",
                "--port",
                "0",
                "--log-level",
                "warning",
                *SANDBOX_KNOBS,
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.base_url = ""
        self.connection = ""
        assert self.process.stdout is not None
        for _ in range(2):
            line = self.process.stdout.readline()
            if line.startswith("Snov.io sandbox listening on "):
                self.base_url = line.split(" on ", 1)[1].strip()
            elif line.startswith("AIRFLOW_CONN_SNOVIO_DEFAULT="):
                self.connection = line.split("=", 1)[1].strip().strip("'")
        if not (self.base_url and self.connection):
            self.stop()
            raise SystemExit("the sandbox did not start")

    def stats(self) -> dict[str, Any]:
        return httpx.get(f"{self.base_url}/_sandbox/stats", timeout=10).json()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def run_dag(env: dict[str, str], logical_date: str | None, log_path: Path) -> tuple[bool, float]:
    """``airflow dags test``, its whole output saved in ``log_path``; task starts and ends shown live."""
    command = [
        str(BIN / "airflow"),
        "dags",
        "test",
        DAG_ID,
        *([logical_date] if logical_date else []),
        "--dagfile-path",
        str(DAGS / f"{DAG_ID}.py"),
    ]
    started = time.monotonic()
    task_started: dict[str, float] = {}
    state = None
    with (
        log_path.open("w") as log,
        subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True) as process,
    ):
        assert process.stdout is not None
        for line in process.stdout:
            log.write(line)
            if match := re.search(r"\[DAG TEST\] starting task_id=(\w+)", line):
                task_started[match.group(1)] = time.monotonic()
            elif match := re.search(r"\[DAG TEST\] end task task_id=(\w+)", line):
                task = match.group(1)
                say(f"    {task:<22} done in {time.monotonic() - task_started.get(task, started):5.1f} s")
            elif match := re.search(r"(snovio_\w+): read (\d+) rows, wrote (\d+)", line):
                say(f"      {match.group(1)}: read {match.group(2)} rows, wrote {match.group(3)}")
            elif "DagRun Finished" in line:
                state = re.search(r"state=(\w+)", line.split("DagRun Finished", 1)[1])
        process.wait()
    ok = process.returncode == 0 and state is not None and state.group(1) == "success"
    return ok, time.monotonic() - started


def read_warehouse(warehouse: Path, date_from: str) -> dict[str, Any]:
    with sqlite3.connect(warehouse) as db:
        tables = {table: db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] for table in TABLES}
        top = db.execute(
            "SELECT c.name, a.emails_sent, a.email_replies, a.email_replies_rate, "
            "(SELECT COUNT(*) FROM snovio_campaign_replies r WHERE r.campaign_id = c.id) "
            "FROM snovio_campaign_analytics a JOIN snovio_campaigns c ON c.id = a.campaign_id "
            "WHERE a.date_from = ? AND a.date_to = ? AND (a.emails_sent > 0 OR a.email_replies > 0) "
            "ORDER BY a.email_replies_rate DESC, a.email_replies DESC, c.id LIMIT 5",
            (date_from, date_from),
        ).fetchall()
    return {"tables": tables, "top": top}


def main() -> int:
    wall = time.monotonic()
    client_id, client_secret = os.environ.get("SNOVIO_CLIENT_ID"), os.environ.get("SNOVIO_CLIENT_SECRET")
    real = bool(client_id and client_secret)
    for folder in (HOME, LOGS):
        folder.mkdir(parents=True, exist_ok=True)
    warehouse = OUT / ("warehouse-snovio.sqlite" if real else "warehouse.sqlite")
    last_path = OUT / ("last-run-snovio.json" if real else "last-run.json")
    previous = json.loads(last_path.read_text()) if last_path.exists() else None
    run_number = (previous or {}).get("run", 0) + 1
    env = airflow_env(warehouse)

    say(f"Snov.io provider demo, run {run_number}: the {DAG_ID} DAG through `airflow dags test`")
    say(f"  AIRFLOW_HOME  {shown(HOME)}")
    say(f"  metadata DB   {migrate(env)}")

    sandbox = None
    if real:
        connection = {
            "conn_type": "snovio",
            "login": client_id,
            "password": client_secret,
            "extra": {"requests_per_minute": 60},
        }
        if os.environ.get("SNOVIO_API_URL"):  # another base URL (a proxy; or a sandbox, to try this path)
            connection["host"] = os.environ["SNOVIO_API_URL"]
        env["AIRFLOW_CONN_SNOVIO_DEFAULT"] = json.dumps(connection)
        logical_date = None  # now: the run reports on yesterday (UTC)
        say("  Snov.io       the REAL API (SNOVIO_CLIENT_ID is set). This DAG only reads: it spends no credits,")
        say("                but its requests count against your account's 60 per minute.")
    else:
        sandbox = Sandbox()
        env["AIRFLOW_CONN_SNOVIO_DEFAULT"] = sandbox.connection
        logical_date = SANDBOX_LOGICAL_DATE
        say(f"  Snov.io       sandbox at {sandbox.base_url} (60 requests/minute, 60-s window, seed 42)")
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    log_path = LOGS / f"run-{run_number}-{stamp}.log"
    say(f"  warehouse     {shown(warehouse)} ({'reused: the sync is incremental' if warehouse.exists() else 'new'})")
    say()
    say("  tasks:")
    try:
        ok, dag_seconds = run_dag(env, logical_date, log_path)
        stats = sandbox.stats() if sandbox else None
    finally:
        if sandbox:
            sandbox.stop()
    if not ok:
        say(f"\nThe DAG run failed: see {log_path}")
        return 1

    # a daily run reports on the whole UTC day before its logical date
    run_day = datetime.fromisoformat(logical_date).date() if logical_date else datetime.now(timezone.utc).date()
    date_from = (run_day - timedelta(days=1)).isoformat()
    found = read_warehouse(warehouse, date_from)
    elapsed = time.monotonic() - wall
    requests = stats["total_requests"] if stats else None
    first_requests = (previous or {}).get("first_requests", requests)  # the first run: the full sync
    this = {
        "run": run_number,
        "tables": found["tables"],
        "dag_seconds": round(dag_seconds, 1),
        "requests": requests,
        "first_requests": first_requests,
        "at": stamp,
    }

    say()
    say(f"Summary (read back from {shown(warehouse)})")
    say("  rows per table:")
    before = (previous or {}).get("tables", {})
    for table, count in found["tables"].items():
        change = (
            ""
            if table not in before
            else ("  (unchanged)" if count == before[table] else f"  ({count - before[table]:+d} since the last run)")
        )
        say(f"    {table:<28}{count:>8}{change}")
    say(f"  campaigns by reply rate on {date_from}:")
    for name, sent, replies, rate, all_replies in found["top"]:
        say(
            f"    {rate or 0:5.1f}%  {replies or 0:>4} replies to {sent or 0:>4} e-mails   {name}"
            f"  ({all_replies} replies in all)"
        )
    if not found["top"]:
        say("    (no e-mails sent or replies that day)")
    if stats:
        calls = [f"{route.split()[1]} {count}" for route, count in sorted(stats["requests"].items())]
        say(f"  API requests:   {stats['total_requests']}: " + ", ".join(calls[:4]))
        say("                  " + ", ".join(calls[4:]))
        say(
            f"  429 responses:  {stats['rate_limited']}   tokens issued: {stats['tokens_issued']}   "
            f"credits spent: {stats['credits_spent']:g}   busiest window: {stats['peak_requests_in_window']}/60"
        )
        if previous and first_requests:
            say(
                f"  incremental:    the first run (a full sync) made {first_requests} requests, this one "
                f"{requests}: each campaign's events were read from the last 20 stored rows on"
            )
    else:
        say("  API requests:   counted by the sandbox only (see the task logs for each call)")
    say(f"  wall time:      {elapsed:.0f} s (the DAG run {dag_seconds:.0f} s)")
    say(f"  warehouse:      {warehouse}")
    say(f"  task logs:      {log_path}")
    say("  run it again:   make demo   (incremental: reuses the metadata DB and the warehouse)")
    last_path.write_text(json.dumps(this, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

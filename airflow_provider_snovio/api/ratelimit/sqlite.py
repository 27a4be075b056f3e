"""The default admission log: a SQLite file per account and window, shared by every process of the host.

No configuration and no server: the processes of one host (Airflow's workers, the triggerer) find the same
file in the per-host directory (:func:`~airflow_provider_snovio.api.ratelimit.backend.rate_limit_dir`) and
stamp entries with the wall clock, which they share. The file's name and schema are read by every release
of the provider running on the host at once, so they stay as they are.
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from airflow_provider_snovio.api.ratelimit.policy import Admission, QuotaAsk, longest_wait, wait_for_room

log = logging.getLogger(__name__)

#: How long a SQLite attempt waits for another process's transaction before the file counts as broken.
#: A transaction here is four tiny statements, so anything near this long means a hung process.
_SQLITE_BUSY_TIMEOUT_SECONDS = 30.0


def log_path(directory: Path, account_digest: str, interval_ms: int) -> Path:
    """The file of one account and window (window + margin, in ms) in the per-host ``directory``.

    Shared by limiters configured with different rates: each checks its own limit against every admission
    for the account, so together they never exceed the highest configured rate.
    """
    return directory / f"snovio-ratelimit-{account_digest}-{interval_ms}ms.sqlite"


def _enable_wal(conn: sqlite3.Connection) -> None:
    """``PRAGMA journal_mode=WAL``, retried while another process holds the file.

    Why not just the busy timeout: changing the journal mode needs the file to itself, and SQLite answers
    "database is locked" at once (without its busy handler) while another process is doing the same or
    creating the tables, so two workers opening a new log together could fail (seen with two processes
    starting at once). Retried for as long as the busy timeout would have waited.
    """
    deadline = time.monotonic() + _SQLITE_BUSY_TIMEOUT_SECONDS
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.02)


class SQLiteStore:
    """Every process of this host: a table of wall-clock stamps, one ``BEGIN IMMEDIATE`` per attempt.

    ``BEGIN IMMEDIATE`` takes SQLite's write lock before anything is read, so the clock reading, the
    count and the insert of one attempt are atomic across processes; another process waiting for the
    lock is held by the busy timeout (not failed with "database is locked"). The threads of one process
    queue on a thread lock first, so they do not poll the file lock against each other.
    """

    def __init__(self, path: Path, limit: int, interval: float) -> None:
        self._limit = limit
        self._interval = interval
        self._lock = threading.Lock()
        self._conn = sqlite3.connect(
            str(path), timeout=_SQLITE_BUSY_TIMEOUT_SECONDS, isolation_level=None, check_same_thread=False
        )
        try:
            # WAL: a commit is an append, not a journal file created and deleted per request. Durability
            # across an OS crash is worthless for a one-minute log, hence synchronous=NORMAL.
            _enable_wal(self._conn)
            self._conn.execute("PRAGMA synchronous=NORMAL")
            self._conn.execute("CREATE TABLE IF NOT EXISTS admissions (stamp REAL NOT NULL, ticket TEXT)")
            self._conn.execute("CREATE INDEX IF NOT EXISTS admissions_by_stamp ON admissions (stamp)")
            columns = {row[1] for row in self._conn.execute("PRAGMA table_info(admissions)")}
            if "ticket" not in columns:  # a log written by an older release: entries are settled from now on
                try:
                    self._conn.execute("ALTER TABLE admissions ADD COLUMN ticket TEXT")
                except sqlite3.OperationalError as error:  # another process added it first
                    if "duplicate column" not in str(error):
                        raise
            # Hourly quota units, one row per unit (a verification of 10 e-mails takes 10 rows).
            self._conn.execute(
                "CREATE TABLE IF NOT EXISTS quota_units (family TEXT NOT NULL, stamp REAL NOT NULL, ticket TEXT)"
            )
            self._conn.execute("CREATE INDEX IF NOT EXISTS quota_units_by_stamp ON quota_units (family, stamp)")
        except BaseException:
            self._conn.close()
            raise

    def attempt(self, quota: QuotaAsk | None = None, ticket: str = "") -> float | None:
        with self._lock, self._transaction() as conn:
            now = time.time()  # read under the write lock: stamps follow the admission order
            future, rate_wait = _Log(conn, "admissions", None).wait(1, self._limit, self._interval, now)
            if future:
                log.warning(
                    "Snov.io rate limiter: dropped %d entries stamped in the future; was the clock stepped backwards?",
                    future,
                )
            quota_wait = None
            if quota is not None:
                _, quota_wait = _Log(conn, "quota_units", quota.family).wait(
                    quota.units, quota.limit, quota.interval, now
                )
            wait = longest_wait(rate_wait, quota_wait)
            if wait is not None:
                return wait
            conn.execute("INSERT INTO admissions (stamp, ticket) VALUES (?, ?)", (now, ticket))
            if quota is not None:
                conn.executemany(
                    "INSERT INTO quota_units (family, stamp, ticket) VALUES (?, ?, ?)",
                    [(quota.family, now, quota.ticket)] * quota.units,
                )
            return None

    def settle(self, admission: Admission) -> None:
        with self._lock, self._transaction() as conn:
            now = time.time()
            conn.execute("UPDATE admissions SET stamp = ? WHERE ticket = ?", (now, admission.ticket))
            if admission.quota is not None:
                conn.execute(
                    "UPDATE quota_units SET stamp = ? WHERE family = ? AND ticket = ?",
                    (now, admission.quota.family, admission.quota.ticket),
                )

    def quota_stamps(self, family: str, interval: float) -> list[float]:
        with self._lock:
            rows = self._conn.execute("SELECT stamp FROM quota_units WHERE family = ? ORDER BY stamp", (family,))
            return [row[0] for row in rows]

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; rolled back on any failure, so the connection never stays inside one."""
        conn = self._conn
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
            raise

    def insert(self, stamp: float) -> None:
        """Record an admission at ``stamp`` (tests: entries written by another process)."""
        with self._lock, self._transaction() as conn:
            conn.execute("INSERT INTO admissions (stamp) VALUES (?)", (stamp,))

    def stamps(self) -> list[float]:
        with self._lock:
            return [row[0] for row in self._conn.execute("SELECT stamp FROM admissions ORDER BY stamp")]

    def close(self) -> None:
        with self._lock:
            self._conn.close()


class _Log:
    """One window's entries in a table: the admissions, or one quota family's units (``family``)."""

    def __init__(self, conn: sqlite3.Connection, table: str, family: str | None) -> None:
        self._conn = conn
        self._table = table
        # The admissions table holds one log (every row); the quota table one log per family.
        self._where = "family = ?" if family is not None else "1"
        self._args: tuple[str, ...] = (family,) if family is not None else ()

    def wait(self, units: int, limit: int, interval: float, now: float) -> tuple[int, float | None]:
        """Drop the entries out of the window, then apply :func:`wait_for_room`.

        Returns the number of entries dropped for being more than a window in the *future* (only the wall
        clock stepping back makes those; they would block the account until it catches up) and the wait.
        """
        table, where, args = self._table, self._where, self._args
        self._conn.execute(f"DELETE FROM {table} WHERE {where} AND stamp <= ?", (*args, now - interval))
        future = self._conn.execute(f"DELETE FROM {table} WHERE {where} AND stamp > ?", (*args, now + interval))
        (count,) = self._conn.execute(f"SELECT COUNT(*) FROM {table} WHERE {where}", args).fetchone()

        def stamp_at(index: int) -> float:
            query = f"SELECT stamp FROM {table} WHERE {where} ORDER BY stamp LIMIT 1 OFFSET ?"
            return float(self._conn.execute(query, (*args, index)).fetchone()[0])

        return future.rowcount, wait_for_room(count, units, limit, interval, now, stamp_at)

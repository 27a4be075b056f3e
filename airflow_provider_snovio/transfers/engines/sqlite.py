"""SQLite: ``INSERT ... ON CONFLICT``, one writer per database (``BEGIN IMMEDIATE``), JSON as text.

Why each difference: SQLite has a single write lock per database, so a scope's lock is that lock, taken
when the transaction begins (``BEGIN IMMEDIATE``) rather than at its first write - two writers never both
read a position and then both write - and waited for up to :data:`BUSY_TIMEOUT_MS`. Timestamps are
SQLAlchemy's naive-UTC text; the asset URI is the OpenLineage SQLite namespace plus the table (the sqlite
provider registers no asset URI of its own).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.transfers.engines.upsert import Upsert, UpsertEngine

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection, Engine

#: How long a SQLite writer waits for the database's write lock (milliseconds).
BUSY_TIMEOUT_MS = 120_000


class SqliteUpsert(Upsert):
    """SQLite (pysqlite): its ``executemany`` runs in-process, where binding a tuple costs less than looking
    up names in a dictionary: rows are tuples when the named rendering shows the placeholders in column
    order (then the engine's own ``qmark`` text is sent)."""

    positional = True

    def insert(self) -> Any:
        from sqlalchemy.dialects.sqlite import insert

        return insert


class SqliteDialect(UpsertEngine):
    names = ("sqlite",)

    def upsert(self, dialect: Any) -> Upsert:
        return SqliteUpsert()

    @contextmanager
    def locked(self, engine: Engine, state: Table, table_name: str, scope: str) -> Iterator[Connection]:
        with engine.connect() as connection:
            connection.exec_driver_sql(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            connection.commit()  # the pragma's (empty) transaction, so BEGIN IMMEDIATE starts a fresh one
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            try:
                yield connection
            except BaseException:
                connection.rollback()
                raise
            connection.commit()


DIALECT = SqliteDialect()

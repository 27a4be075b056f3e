"""The sync-state table, the owner of each synced table, and the per-scope write lock.

Why a module of its own: what a warehouse sync may trust about its own past lives here. Each synced table
and scope (a campaign) has one state row: the stored :class:`Position` (how far the offset reading got) and
how many live rows the scope had when it was stored (so a truncated table is noticed). Each table also has
an owner row (scope :data:`OWNER_SCOPE`) naming the resource synced into it, so two resources never share
one table (each would evict the other's rows on every run).

One writer per table and scope: every write transaction of a scope first takes the scope's lock
(:func:`locked`: a PostgreSQL transaction-level advisory lock; SQLite has one writer per database and
``BEGIN IMMEDIATE`` takes it up front) and then compares the stored position with the one the writer read
from (:func:`check_and_store`). If another writer moved it meanwhile, the page is rolled back and
:class:`PositionConflict` tells the sync to re-read the scope from the new position - never to overwrite it.

The position's storage form is in :func:`encode_position` / :func:`decode_position` only.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api.errors import SnovioConfigError
from airflow_provider_snovio.api.incremental import Position

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

#: The state table, in the same database (and schema) as the synced tables.
STATE_TABLE = "snovio_sync_state"
#: The scope of a table's owner row (no real scope label starts with "#").
OWNER_SCOPE = "#table"
#: How long a SQLite writer waits for the database's write lock (milliseconds).
SQLITE_BUSY_TIMEOUT_MS = 120_000


class PositionConflict(Exception):
    """Another writer changed a scope's stored position since this writer read it: re-read the scope."""


@dataclass(frozen=True)
class StoredState:
    """A scope's state row: its position and the live rows the scope had when the position was stored
    (None in state rows written before that was recorded)."""

    position: Position
    rows: int | None


def build_state_table(metadata: Any) -> Table:
    """``snovio_sync_state``: per synced table and scope (``campaign_id=123``) the stored position of an
    offset-paged resource (``position`` upstream rows stored, ``tail`` = keys of the last of them, the
    overlap to verify) and ``row_count`` (the scope's live rows then); plus one owner row per table."""
    from sqlalchemy import BigInteger, Column, Table, Text

    from airflow_provider_snovio.transfers.warehouse import TABLE_OPTIONS, json_type, key_type, timestamp_type

    return Table(
        STATE_TABLE,
        metadata,
        Column("table_name", key_type(Text(), 2), primary_key=True),
        Column("scope", key_type(Text(), 2), primary_key=True),
        Column("resource", Text(), nullable=False),
        Column("position", BigInteger(), nullable=False),
        Column("tail", json_type(), nullable=False),
        Column("updated_at", timestamp_type(), nullable=False),
        Column("row_count", BigInteger(), nullable=True),
        **TABLE_OPTIONS,
    )


# --- the position's storage form (one place) --------------------------------------------------------------


def encode_position(position: Position) -> dict[str, Any]:
    """The state-row columns that hold ``position``."""
    return {"position": position.offset, "tail": position.to_json()}


def decode_position(row: Any) -> Position | None:
    """The :class:`Position` of a state row (None if unreadable: the scope is then re-read)."""
    try:  # ``tail`` holds Position.to_json() (a bare list of tail keys in rows of older versions)
        return Position.from_json(int(row.position), row.tail)
    except (TypeError, ValueError):
        return None


# --- reading and writing state rows ------------------------------------------------------------------------


def load(connection: Connection, state: Table, table_name: str, scope: str) -> StoredState | None:
    """The state row of ``scope`` in ``table_name`` (None = nothing stored or unreadable)."""
    from sqlalchemy import select

    found = connection.execute(
        select(state.c.position, state.c.tail, state.c.row_count).where(
            state.c.table_name == table_name, state.c.scope == scope
        )
    ).first()
    if found is None:
        return None
    position = decode_position(found)
    if position is None:
        log.warning("unreadable stored position for %s %s: re-reading it", table_name, scope)
        return None
    return StoredState(position, None if found.row_count is None else int(found.row_count))


def verify(connection: Connection, state: Table, table_name: str, scope: str, expected: Position | None) -> None:
    """The compare of compare-and-set: raise :class:`PositionConflict` unless the stored position is still
    ``expected`` (None = none stored). Call it under :func:`locked` for the scope, before writing."""
    current = load(connection, state, table_name, scope)
    if (current.position if current else None) != expected:
        raise PositionConflict(
            f"{table_name} {scope}: another writer moved the stored position from "
            f"{expected} to {current.position if current else None}"
        )


def store(
    connection: Connection,
    state: Table,
    table_name: str,
    scope: str,
    resource: str,
    position: Position,
    rows: int | None,
    updated_at: datetime,
) -> None:
    """Write a state row unconditionally (delete and insert, in the caller's locked transaction)."""
    from sqlalchemy import delete, insert

    values = {
        "table_name": table_name,
        "scope": scope,
        "resource": resource,
        **encode_position(position),
        "updated_at": updated_at,
        "row_count": rows,
    }
    connection.execute(delete(state).where(state.c.table_name == table_name, state.c.scope == scope))
    connection.execute(insert(state).values(**values))


def forget_scope(connection: Connection, state: Table, table_name: str, scope: str) -> None:
    """Drop ``scope``'s state row (and those of its sub-scopes, ``scope,...``)."""
    from sqlalchemy import delete, or_

    connection.execute(
        delete(state).where(
            state.c.table_name == table_name,
            or_(state.c.scope == scope, state.c.scope.startswith(f"{scope},", autoescape=True)),
        )
    )


def claim_table(
    connection: Connection, state: Table, table_name: str, resource: str, updated_at: datetime, *, reset: bool
) -> None:
    """Make ``resource`` the owner of ``table_name``, refusing a table whose state belongs to another
    resource. ``reset``: the table was just created, so its old state rows (of a dropped table) go."""
    from sqlalchemy import delete, select

    if reset:
        connection.execute(delete(state).where(state.c.table_name == table_name))
    owners = sorted(
        {
            row[0]
            for row in connection.execute(select(state.c.resource).where(state.c.table_name == table_name).distinct())
        }
    )
    others = [owner for owner in owners if owner != resource]
    if others:
        raise SnovioConfigError(
            f"table {table_name!r} holds the sync state of resource {others[0]!r}, so resource {resource!r} "
            f"cannot be synced into it (each would evict the other's rows on every run): give {resource} a "
            f"table of its own (parameter table)"
        )
    if not owners:
        store(connection, state, table_name, OWNER_SCOPE, resource, Position(), None, updated_at)


# --- the lock ------------------------------------------------------------------------------------------


def lock_key(schema: str | None, table_name: str, scope: str) -> int:
    """A signed 64-bit advisory-lock key for (schema, table, scope)."""
    digest = hashlib.sha256(f"snovio-sync\0{schema or ''}\0{table_name}\0{scope}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


@contextmanager
def locked(engine: Engine, schema: str | None, table_name: str, scope: str) -> Iterator[Connection]:
    """One transaction holding the write lock of (table, scope); committed on exit, rolled back on error.

    PostgreSQL: ``pg_advisory_xact_lock`` (released at commit or rollback). SQLite: ``BEGIN IMMEDIATE``
    (the database's one write lock, waited for up to :data:`SQLITE_BUSY_TIMEOUT_MS`). Snowflake, DuckDB, MySQL:
    see :mod:`airflow_provider_snovio.transfers.engines`."""
    if engine.dialect.name == "snowflake":  # no advisory lock: an UPDATE's table lock (engines.snowflake)
        from sqlalchemy import MetaData

        from airflow_provider_snovio.transfers.engines import snowflake

        with engine.begin() as connection:
            if scope != OWNER_SCOPE:  # table creation is DDL, which Snowflake commits at once: not locked
                snowflake.lock(connection, build_state_table(MetaData(schema=schema)), table_name, OWNER_SCOPE)
            yield connection
        return
    if engine.dialect.name == "duckdb":
        from airflow_provider_snovio.transfers.engines import duckdb

        with duckdb.locked(engine) as connection:
            yield connection
        return
    if engine.dialect.name in ("mysql", "mariadb"):
        from airflow_provider_snovio.transfers.engines import mysql

        with mysql.locked(engine, lock_key(schema, table_name, scope)) as connection:
            yield connection
        return
    if engine.dialect.name == "postgresql":
        from sqlalchemy import text

        with engine.begin() as connection:
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(schema, table_name, scope)})
            yield connection
        return
    with engine.connect() as connection:
        connection.exec_driver_sql(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
        connection.commit()  # the pragma's (empty) transaction, so BEGIN IMMEDIATE starts a fresh one
        connection.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield connection
        except BaseException:
            connection.rollback()
            raise
        connection.commit()

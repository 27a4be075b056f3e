"""The sync-state table, the owner of each synced table, and the per-scope write lock.

Why a module of its own: what a warehouse sync may trust about its own past lives here. Each synced table
and scope (a campaign) has one state row: the stored :class:`Position` (how far the offset reading got) and
how many live rows the scope had when it was stored (so a truncated table is noticed). Each table also has
an owner row (scope :data:`OWNER_SCOPE`) naming the resource synced into it, so two resources never share
one table (each would evict the other's rows on every run).

One writer per table and scope: every write transaction of a scope first takes the scope's lock (the
engine's own, ``WarehouseDialect.locked`` in :mod:`.engines`: a PostgreSQL transaction-level advisory lock,
SQLite's ``BEGIN IMMEDIATE``, MySQL's ``GET_LOCK``, ...) and then compares the stored position with the one
the writer read from (:func:`verify`). If another writer moved it meanwhile, the page is rolled back and
:class:`PositionConflict` tells the sync to re-read the scope from the new position - never to overwrite it.

The position's storage form is in :func:`encode_position` / :func:`decode_position` only.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api.errors import SnovioConfigError
from airflow_provider_snovio.api.incremental import Position

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection

log = logging.getLogger(__name__)

#: The state table, in the same database (and schema) as the synced tables.
STATE_TABLE = "snovio_sync_state"
#: The scope of a table's owner row (no real scope label starts with "#").
OWNER_SCOPE = "#table"


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

    from airflow_provider_snovio.transfers.warehouse import json_type, key_type, table_options, timestamp_type

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
        **table_options(),
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

"""Tables, upserts and the sync-state table in a SQL warehouse (SQLAlchemy Core), and the sync loop.

Why SQLAlchemy Core rather than ``DbApiHook.insert_rows``: ``insert_rows(replace=True)`` is ``REPLACE INTO``
on SQLite (a delete plus an insert) and commits every ``commit_every`` rows on its own. An exact,
crash-safe load needs a real upsert (``INSERT ... ON CONFLICT (key) DO UPDATE``, from the dialect's own
``insert`` construct) and ONE transaction per page holding the page's rows AND the stored position.
A sync killed between two pages therefore resumes from the last committed page and ends with the
complete table, without duplicates.

Types: SQLite and PostgreSQL are supported and tested; ``raw`` is JSONB on PostgreSQL and JSON (text) on
SQLite; timestamps are UTC (``timestamptz`` on PostgreSQL, naive UTC text on SQLite). Nothing here knows
Snov.io: resources, parsers and the resumable reading come from ``airflow_provider_snovio.api``.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api.errors import SnovioConfigError, SnovioValidationError
from airflow_provider_snovio.api.incremental import DEFAULT_OVERLAP, Page, Position
from airflow_provider_snovio.api.resources import Kind, Reading, Resource

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection, Engine

log = logging.getLogger(__name__)

#: The state table, in the same database (and schema) as the synced tables.
STATE_TABLE = "snovio_sync_state"
SUPPORTED_DIALECTS = ("sqlite", "postgresql")
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")


def sql_identifier(field_name: str, value: Any) -> str:
    """A table or schema name: letters, digits and underscores, not starting with a digit, at most 63 chars
    (PostgreSQL's limit). Anything else is refused before any request or statement."""
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise SnovioValidationError(field_name, f"{value!r} is not a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*)")
    return value


def _sql_type(kind: Kind) -> Any:
    from sqlalchemy import BigInteger, Boolean, Date, DateTime, Double, Text

    return {Kind.TEXT: Text(), Kind.INTEGER: BigInteger(), Kind.NUMBER: Double(),
            Kind.TIMESTAMP: DateTime(timezone=True), Kind.BOOLEAN: Boolean(), Kind.DATE: Date()}[kind]


def _json_type() -> Any:
    from sqlalchemy import JSON
    from sqlalchemy.dialects.postgresql import JSONB

    return JSON().with_variant(JSONB(), "postgresql")


def build_table(resource: Resource, name: str, metadata: Any) -> Table:
    """The table of ``resource``: typed columns, ``raw`` JSON, ``synced_at``, primary key = natural key."""
    from sqlalchemy import Column, DateTime, Table

    columns = [Column(col, _sql_type(kind), primary_key=col in resource.key, nullable=col not in resource.key)
               for col, kind in resource.columns]
    columns.append(Column("raw", _json_type(), nullable=False))
    columns.append(Column("synced_at", DateTime(timezone=True), nullable=False))
    return Table(name, metadata, *columns)


def build_state_table(metadata: Any) -> Table:
    """``snovio_sync_state``: per synced table and scope (a campaign id), the stored position of an offset-paged
    resource: ``position`` upstream rows stored, ``tail`` = keys of the last of them (the overlap to verify)."""
    from sqlalchemy import BigInteger, Column, DateTime, Table, Text

    return Table(
        STATE_TABLE, metadata,
        Column("table_name", Text(), primary_key=True),
        Column("scope", Text(), primary_key=True),
        Column("resource", Text(), nullable=False),
        Column("position", BigInteger(), nullable=False),
        Column("tail", _json_type(), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    )


def upsert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """``INSERT ... ON CONFLICT (primary key) DO UPDATE SET <every other column>`` for ``rows``."""
    if not rows:
        return
    dialect = connection.dialect.name
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:  # pragma: no cover - refused earlier by Warehouse
        raise SnovioConfigError(f"no upsert for SQL dialect {dialect!r}")
    statement = insert(table)
    key = [column.name for column in table.primary_key.columns]
    statement = statement.on_conflict_do_update(
        index_elements=key,
        set_={column.name: statement.excluded[column.name] for column in table.columns if column.name not in key},
    )
    connection.execute(statement, rows)


def scope_label(resource: Resource, scope_values: Mapping[str, Any]) -> str:
    """The state table's ``scope`` of one read: ``"campaign_id=123"``; "" for the whole account."""
    return ",".join(f"{name}={_plain(scope_values[name])}" for name in resource.scope_key)


def _plain(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


@dataclass
class SyncResult:
    """What one sync did, per table (small: it becomes the task's XCom)."""

    resource: str
    table: str
    rows_read: int = 0
    rows_written: int = 0
    pages: int = 0
    scopes: int = 0
    rows_skipped: int = 0  # records without a usable natural key (logged)
    reread_scopes: list[str] = field(default_factory=list)  # scopes re-read from scratch (overlap mismatch)

    def as_xcom(self) -> dict[str, Any]:
        return {"resource": self.resource, "table": self.table, "rows_read": self.rows_read,
                "rows_written": self.rows_written, "pages": self.pages, "scopes": self.scopes,
                "rows_skipped": self.rows_skipped, "reread_scopes": self.reread_scopes[:50]}


class Warehouse:
    """One SQL database reached through a SQLAlchemy engine (from the connection's ``DbApiHook``)."""

    def __init__(self, engine: Engine, schema: str | None = None) -> None:
        from sqlalchemy import MetaData

        if engine.dialect.name not in SUPPORTED_DIALECTS:
            raise SnovioConfigError(
                f"SQL dialect {engine.dialect.name!r} is not supported for the warehouse sync "
                f"(supported: {', '.join(SUPPORTED_DIALECTS)}): an exact sync needs a real upsert")
        self.engine = engine
        self.schema = sql_identifier("schema", schema) if schema is not None else None
        self.metadata = MetaData(schema=self.schema)
        self.state = build_state_table(self.metadata)

    def table(self, resource: Resource, name: str) -> Table:
        """The table for ``resource``, created with the state table when missing; columns a newer provider
        version added are added to an existing table (nullable), so upgrades need no migration."""
        from sqlalchemy import inspect

        sql_identifier("table", name)
        table = self.metadata.tables.get(f"{self.schema}.{name}" if self.schema else name)
        if table is None:
            table = build_table(resource, name, self.metadata)
        self.metadata.create_all(self.engine, tables=[self.state, table], checkfirst=True)
        existing = {column["name"] for column in inspect(self.engine).get_columns(name, schema=self.schema)}
        missing = [column for column in table.columns if column.name not in existing]
        if missing:
            self._add_columns(table, missing)
        return table

    def _add_columns(self, table: Table, columns: list[Any]) -> None:
        from sqlalchemy import text

        preparer = self.engine.dialect.identifier_preparer
        with self.engine.begin() as connection:
            for column in columns:
                if column.primary_key:
                    raise SnovioConfigError(f"table {table.name} exists without key column {column.name!r}: "
                                            "it was not created by this resource's sync")
                kind = column.type.compile(dialect=self.engine.dialect)
                log.info("adding column %s %s to %s", column.name, kind, table.name)
                connection.execute(text(f"ALTER TABLE {preparer.format_table(table)} "
                                        f"ADD COLUMN {preparer.format_column(column)} {kind}"))

    def position(self, table: Table, scope: str) -> Position | None:
        """The stored position of ``scope`` in ``table`` (None = nothing stored)."""
        from sqlalchemy import select

        state = self.state
        query = select(state.c.position, state.c.tail).where(state.c.table_name == table.name,
                                                            state.c.scope == scope)
        with self.engine.connect() as connection:
            found = connection.execute(query).first()
        if found is None:
            return None
        tail = tuple(str(key) for key in (found.tail or ()))
        try:
            return Position(int(found.position), tail)
        except ValueError:
            log.warning("unreadable stored position for %s %s: re-reading it", table.name, scope)
            return None

    def write_page(self, table: Table, resource: Resource, scope_values: Mapping[str, Any], page: Page,
                   synced_at: datetime) -> tuple[int, int]:
        """Store one page in ONE transaction: (on a restart) drop the scope's old rows, upsert the page's rows
        and store the new position. Returns (rows written, records skipped)."""
        from sqlalchemy import and_, delete

        rows, skipped = self._rows(resource, scope_values, page.records, synced_at)
        with self.engine.begin() as connection:
            if page.restarted:
                conditions = [table.c[name] == scope_values[name] for name in resource.scope_key]
                connection.execute(delete(table).where(and_(*conditions)) if conditions else delete(table))
            upsert(connection, table, rows)
            if page.position is not None:
                upsert(connection, self.state, [{
                    "table_name": table.name, "scope": scope_label(resource, scope_values),
                    "resource": resource.name, "position": page.position.offset,
                    "tail": list(page.position.tail), "updated_at": synced_at,
                }])
        return len(rows), skipped

    @staticmethod
    def _rows(resource: Resource, scope_values: Mapping[str, Any], records: Iterable[dict[str, Any]],
              synced_at: datetime) -> tuple[list[dict[str, Any]], int]:
        """Typed rows, one per natural key (the last record of a key wins: one statement may not touch a row
        twice), without records that lack a key value."""
        by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
        skipped = 0
        for record in records:
            if not isinstance(record, dict):
                skipped += 1
                continue
            row = resource.row(record, scope_values)
            key = tuple(row[name] for name in resource.key)
            if any(part is None for part in key):
                skipped += 1
                continue
            row["raw"] = record
            row["synced_at"] = synced_at
            by_key[key] = row
        if skipped:
            log.warning("%s: %d record(s) without a natural key were skipped", resource.name, skipped)
        return list(by_key.values()), skipped


def sync(client: Any, warehouse: Warehouse, resource: Resource, table_name: str, *,
         campaign_ids: list[int] | None = None, list_ids: list[int] | None = None,
         dates: tuple[date, date] | None = None, full_refresh: bool = False,
         overlap: int = DEFAULT_OVERLAP) -> SyncResult:
    """Sync ``resource`` into ``table_name``: every scope, page by page, one transaction per page.

    ``client`` is a :class:`~airflow_provider_snovio.api.client.SnovioClient` or the hook. Offset-paged
    resources resume from the stored position (see :mod:`airflow_provider_snovio.api.incremental`);
    ``full_refresh`` re-reads everything and replaces each scope's rows.
    """
    table = warehouse.table(resource, table_name)
    result = SyncResult(resource.name, table.name)
    synced_at = datetime.now(timezone.utc)
    for scope_values in resource.scopes(client, campaign_ids, list_ids, dates):
        result.scopes += 1
        scope = scope_label(resource, scope_values)
        resumable = resource.reading is Reading.OFFSET and not full_refresh
        position = warehouse.position(table, scope) if resumable else None
        for page in resource.pages(client, scope_values, position, full_refresh=full_refresh, overlap=overlap):
            written, skipped = warehouse.write_page(table, resource, scope_values, page, synced_at)
            result.rows_read += page.read
            result.rows_written += written
            result.rows_skipped += skipped
            result.pages += 1
            if page.restarted and position is not None and not full_refresh:
                result.reread_scopes.append(scope)
                log.warning("%s %s: the stored overlap no longer matches upstream; re-reading it from the start",
                            table.name, scope)
    return result

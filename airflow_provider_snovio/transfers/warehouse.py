"""Tables, upserts, soft deletes and the sync loop of a SQL warehouse (SQLAlchemy Core).

Why SQLAlchemy Core rather than ``DbApiHook.insert_rows``: ``insert_rows(replace=True)`` is ``REPLACE INTO``
on SQLite (a delete plus an insert) and commits every ``commit_every`` rows on its own. An exact,
crash-safe load needs a real upsert (``INSERT ... ON CONFLICT (key) DO UPDATE``, from the dialect's own
``insert`` construct) and ONE transaction per page holding the page's rows AND the stored position.
A sync killed between two pages therefore resumes from the last committed page and ends with the
complete table, without duplicates. State, owner rows and the per-scope lock: :mod:`.sync_state`.

System columns (prefixed, so they never clash with a Snov.io field): ``_snovio_raw`` (the record as
received: JSONB on PostgreSQL, JSON text on SQLite), ``_snovio_synced_at`` (when a run last wrote the row;
indexed) and ``_snovio_deleted_at`` (NULL while the record exists upstream; set - the row is kept - when a
read shows it gone). Tables of an earlier version (``raw``, ``synced_at``) are migrated in place.

Timestamps are UTC (``timestamptz`` on PostgreSQL, naive UTC text on SQLite). Nothing here knows Snov.io:
resources, parsers and the resumable reading come from ``airflow_provider_snovio.api``.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api.errors import (
    SnovioAuthError,
    SnovioConfigError,
    SnovioError,
    SnovioOutOfCreditsError,
    SnovioValidationError,
)
from airflow_provider_snovio.api.incremental import DEFAULT_OVERLAP, Page, Position
from airflow_provider_snovio.api.resources import (
    DEFAULT_LOOKBACK_DAYS,
    Kind,
    Reading,
    Resource,
    Scope,
    campaign_scopes,
    list_scopes,
)
from airflow_provider_snovio.api.windows import Span
from airflow_provider_snovio.transfers import sync_state
from airflow_provider_snovio.transfers.sync_state import STATE_TABLE, PositionConflict, build_state_table

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection, Engine

    from airflow_provider_snovio.transfers.engines import PageUpsert

log = logging.getLogger(__name__)

__all__ = ["STATE_TABLE", "SnovioSyncError", "Warehouse", "sync"]

SUPPORTED_DIALECTS: tuple[str, ...] = ("sqlite", "postgresql")
#: The engines of :mod:`.engines` (one module each).
SUPPORTED_DIALECTS += ("duckdb", "mysql", "mariadb", "snowflake")
#: Engines without secondary indexes (no index on ``_snovio_synced_at``).
NO_INDEXES = ("snowflake",)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,62}$")

#: The system columns every synced table has after its typed columns.
RAW = "_snovio_raw"
SYNCED_AT = "_snovio_synced_at"
DELETED_AT = "_snovio_deleted_at"
SYSTEM_COLUMNS = (RAW, SYNCED_AT, DELETED_AT)
#: Column names of tables created before the prefix: migrated (renamed) on the first sync.
LEGACY_COLUMNS = {"raw": RAW, "synced_at": SYNCED_AT}
#: Times a scope is re-read after another writer moved its position (see :class:`PositionConflict`).
MAX_CONFLICTS = 20
#: Errors that concern the account or the call, not one scope: they end the sync at once.
_ACCOUNT_ERRORS = (SnovioAuthError, SnovioConfigError, SnovioValidationError, SnovioOutOfCreditsError)


class SnovioSyncError(SnovioError):
    """Some scopes of a sync failed; the others were synced (the message names the failed ones)."""


def sql_identifier(field_name: str, value: Any) -> str:
    """A table or schema name: letters, digits and underscores, not starting with a digit, at most 63 chars
    (PostgreSQL's limit). Anything else is refused before any request or statement."""
    if not isinstance(value, str) or not _IDENTIFIER.fullmatch(value):
        raise SnovioValidationError(field_name, f"{value!r} is not a plain SQL identifier ([A-Za-z_][A-Za-z0-9_]*)")
    return value


def _sql_type(kind: Kind) -> Any:
    from sqlalchemy import BigInteger, Boolean, Date, Double, Text

    return {
        Kind.TEXT: Text(),
        Kind.INTEGER: BigInteger(),
        Kind.NUMBER: Double(),
        Kind.TIMESTAMP: timestamp_type(),
        Kind.BOOLEAN: Boolean(),
        Kind.DATE: Date(),
    }[kind]


def timestamp_type() -> Any:
    """A UTC timestamp: ``timestamptz`` on PostgreSQL, TIMESTAMPTZ on DuckDB, ``DATETIME(6)`` UTC on MySQL."""
    from sqlalchemy import DateTime

    from airflow_provider_snovio.transfers.engines import mysql

    return mysql.timestamp(DateTime(timezone=True))


def key_type(base: Any, text_keys: int = 1) -> Any:
    """``base`` as it can be in a primary key of ``text_keys`` text columns (text: ``VARCHAR`` on MySQL,
    where TEXT cannot be a key)."""
    from sqlalchemy import Text

    from airflow_provider_snovio.transfers.engines import mysql

    return mysql.key_text(base, text_keys) if isinstance(base, Text) else base


#: Table options of every synced and state table (other dialects ignore them): MySQL compares keys
#: byte for byte, as the other engines do (a case-insensitive default collation would merge keys).
TABLE_OPTIONS: dict[str, Any] = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}


def json_type() -> Any:
    """JSON on SQLite (text), JSONB on PostgreSQL, JSON text on Snowflake."""
    from sqlalchemy import JSON
    from sqlalchemy.dialects.postgresql import JSONB

    from airflow_provider_snovio.transfers.engines import snowflake

    return JSON().with_variant(JSONB(), "postgresql").with_variant(snowflake.json_text_type(), snowflake.NAME)


def raw_type() -> Any:
    """The ``_snovio_raw`` column: :func:`json_type`, but ``VARIANT`` on Snowflake."""
    from sqlalchemy import JSON
    from sqlalchemy.dialects.postgresql import JSONB

    from airflow_provider_snovio.transfers.engines import snowflake

    return JSON().with_variant(JSONB(), "postgresql").with_variant(snowflake.raw_type(), snowflake.NAME)


def synced_at_index_name(table_name: str) -> str:
    """``ix_<table>_snovio_synced_at``, shortened with a hash when it would pass PostgreSQL's 63 characters."""
    name = f"ix_{table_name}_snovio_synced_at"
    if len(name) <= 63:
        return name
    return f"ix_{table_name[:40]}_{hashlib.sha256(table_name.encode()).hexdigest()[:8]}_synced_at"


def build_table(resource: Resource, name: str, metadata: Any) -> Table:
    """The table of ``resource``: typed columns, then :data:`SYSTEM_COLUMNS`; primary key = natural key;
    an index on ``_snovio_synced_at``."""
    from sqlalchemy import Column, Index, Table

    clash = sorted({col for col, _ in resource.columns} & {*SYSTEM_COLUMNS, *LEGACY_COLUMNS})
    if clash:  # pragma: no cover - a resource definition error, not user input
        raise SnovioConfigError(f"resource {resource.name} has columns named like system columns: {clash}")
    text_keys = sum(1 for col, kind in resource.columns if col in resource.key and kind is Kind.TEXT)
    columns = [
        Column(
            col,
            key_type(_sql_type(kind), text_keys) if col in resource.key else _sql_type(kind),
            primary_key=col in resource.key,
            nullable=col not in resource.key,
            autoincrement=False,  # keys come from Snov.io: no BIGSERIAL / AUTO_INCREMENT / DuckDB serial
        )
        for col, kind in resource.columns
    ]
    columns.append(Column(RAW, raw_type(), nullable=False))
    columns.append(Column(SYNCED_AT, timestamp_type(), nullable=False))
    columns.append(Column(DELETED_AT, timestamp_type(), nullable=True))
    table = Table(name, metadata, *columns, **TABLE_OPTIONS)
    Index(synced_at_index_name(name), table.c[SYNCED_AT])
    return table


class UpsertDialect:
    """What differs between the warehouse's databases when an upsert is built and its rows are sent - kept in
    one place, as common-sql's ``Dialect`` keeps a database's SQL differences (one subclass per database).

    Only public APIs: the dialect's own ``insert`` construct, ``statement.compile(dialect=...)`` rendered in a
    *named* DB-API parameter style (so that rows are dictionaries keyed by bind name: no placeholder order to
    look up), the column types' ``dialect_impl(dialect).bind_processor(dialect)``, and SQLAlchemy's
    ``Connection.exec_driver_sql`` (in the caller's transaction, with SQLAlchemy's events and exception
    wrapping)."""

    #: The DB-API ``paramstyle`` the SQL text is rendered in (named: rows are dictionaries).
    paramstyle = "named"
    #: Whether rows may be sent as tuples in the engine's own positional style (see :class:`SqliteUpsert`).
    positional = False

    def insert(self) -> Any:  # pragma: no cover - every database has its own
        raise NotImplementedError

    def upsert_of(self, statement: Any, table: Table) -> Any:
        """``statement`` (an :meth:`insert` of ``table``) made an upsert on the primary key."""
        return _upsert_of(statement, table)

    def placeholder(self, name: str) -> str:
        """How a bind parameter ``name`` is written in the SQL text of :attr:`paramstyle`."""
        return f":{name}" if self.paramstyle == "named" else f"%({name})s"

    def render(self, statement: Any, dialect: Any) -> str:
        """``statement``'s SQL text as ``dialect``'s driver runs it, in :attr:`paramstyle`."""
        if dialect.paramstyle != self.paramstyle:  # another instance of the same dialect class, named style
            dialect = type(dialect)(paramstyle=self.paramstyle)
        return statement.compile(dialect=dialect).string

    def prepare(self, table: Table, dialect: Any, sql: str) -> None:
        """Anything the driver needs besides ``sql`` (the upsert's SQL text), worked out once per table."""

    def send(self, connection: Connection, sql: str, parameters: list[Any]) -> None:
        """Run ``sql`` once per row of ``parameters`` (one ``executemany``)."""
        connection.exec_driver_sql(sql, parameters)


class SqliteUpsert(UpsertDialect):
    """SQLite (pysqlite): its ``executemany`` runs in-process, where binding a tuple costs less than looking
    up names in a dictionary: rows are tuples when the named rendering shows the placeholders in column
    order (then the engine's own ``qmark`` text is sent)."""

    positional = True

    def insert(self) -> Any:
        from sqlalchemy.dialects.sqlite import insert

        return insert


class PostgresUpsert(UpsertDialect):
    """PostgreSQL (psycopg 3, and any driver of the ``pyformat`` style): ``executemany`` is pipelined by psycopg."""

    paramstyle = "pyformat"

    def insert(self) -> Any:
        from sqlalchemy.dialects.postgresql import insert

        return insert


class Psycopg2Upsert(PostgresUpsert):
    """PostgreSQL through psycopg2, whose ``executemany`` is one round trip per row: the rows go as multi-row
    ``VALUES`` of :data:`PSYCOPG2_PAGE_SIZE` rows with psycopg2's public ``execute_values``, on the DB-API
    connection of the caller's SQLAlchemy ``Connection`` (so in its transaction).

    ``execute_values`` wants ``INSERT ... VALUES %s ON CONFLICT ...`` and a one-row template: the statement
    is built by SQLAlchemy from the same upsert with a textual ``VALUES %s`` as its source (rendered in the
    named style, where ``%`` needs no escaping), and the template is what SQLAlchemy's one-row rendering has
    in that place. Should the two renderings differ anywhere else, the rows go with ``execute_batch`` (one
    statement per row, 1000 per round trip) - the same SQL text, somewhat slower."""

    values_sql: str | None = None
    template: str | None = None

    def prepare(self, table: Table, dialect: Any, sql: str) -> None:
        from sqlalchemy import text

        names = [column.name for column in table.columns]
        source = text("VALUES %s").columns(*(table.c[name] for name in names))
        statement = _upsert_of(self.insert()(table).from_select(names, source), table)
        values_sql = statement.compile(dialect=type(dialect)(paramstyle="named")).string
        # The one-row template is what SQLAlchemy rendered in place of "%s" (the placeholders and any cast
        # such as ``::JSONB``): the two renderings differ there and nowhere else, or execute_values is not used.
        head, marker, tail = values_sql.partition(" VALUES %s ")
        if (
            not marker
            or values_sql.count("%") != 1
            or not sql.startswith(f"{head} VALUES (")
            or not sql.endswith(f") {tail}")
        ):
            return
        template = sql[len(head) + len(" VALUES ") : len(sql) - len(tail) - 1]
        if all(template.count(self.placeholder(name)) == 1 for name in names):
            self.values_sql, self.template = values_sql, template

    def send(self, connection: Connection, sql: str, parameters: list[Any]) -> None:
        from psycopg2.extras import execute_batch, execute_values

        cursor = connection.connection.cursor()
        try:
            if self.values_sql is not None:
                execute_values(
                    cursor, self.values_sql, parameters, template=self.template, page_size=PSYCOPG2_PAGE_SIZE
                )
            else:
                execute_batch(cursor, sql, parameters, page_size=PSYCOPG2_PAGE_SIZE)
        finally:
            cursor.close()


#: Rows per statement of psycopg2's ``execute_values`` (statements per round trip of ``execute_batch``).
PSYCOPG2_PAGE_SIZE = 1000


def upsert_dialect(dialect: Any) -> UpsertDialect:
    """The :class:`UpsertDialect` of a SQLAlchemy dialect (refused earlier by :class:`Warehouse` if unsupported)."""
    if dialect.name == "sqlite":
        return SqliteUpsert()
    if dialect.name == "postgresql":
        return Psycopg2Upsert() if dialect.driver == "psycopg2" else PostgresUpsert()
    found = _engine_upsert(dialect.name)
    if found is not None:
        return found
    raise SnovioConfigError(f"no upsert for SQL dialect {dialect.name!r}")  # pragma: no cover


def _engine_upsert(name: str) -> UpsertDialect | None:
    """The :class:`UpsertDialect` of an engine module of :mod:`.engines`, by SQLAlchemy dialect name."""
    if name == "duckdb":
        from airflow_provider_snovio.transfers.engines.duckdb import DuckdbUpsert

        return DuckdbUpsert()
    if name in ("mysql", "mariadb"):
        from airflow_provider_snovio.transfers.engines.mysql import MysqlUpsert

        return MysqlUpsert()
    return None


def _insert_construct(dialect: str) -> Any:
    if dialect == "sqlite":
        return SqliteUpsert().insert()
    if dialect == "postgresql":
        return PostgresUpsert().insert()
    raise SnovioConfigError(f"no upsert for SQL dialect {dialect!r}")  # pragma: no cover - refused by Warehouse


def upsert_statement(table: Table, dialect: str) -> Any:
    """``INSERT ... ON CONFLICT (primary key) DO UPDATE SET <every other column> = excluded.<column>``
    (or the engine's own form: ``ON DUPLICATE KEY UPDATE`` on MySQL)."""
    found = _engine_upsert(dialect)
    if found is not None:
        return found.upsert_of(found.insert()(table), table)
    return _upsert_of(_insert_construct(dialect)(table), table)


def _upsert_of(statement: Any, table: Table) -> Any:
    """``statement`` (an ``insert`` of ``table``) with ``ON CONFLICT (primary key) DO UPDATE SET ...``."""
    key = [column.name for column in table.primary_key.columns]
    return statement.on_conflict_do_update(
        index_elements=key,
        set_={column.name: statement.excluded[column.name] for column in table.columns if column.name not in key},
    )


class CompiledUpsert:
    """The :func:`upsert_statement` of one table, compiled once for one engine's dialect, and how to send rows.

    Why: ``Connection.execute(statement, rows)`` re-does per row what never changes within a page - the
    parameter dictionaries, the column types' bind processing through generic machinery - and that cost
    more than the database's own work on a 10,000-row page. Here the statement's SQL text and each column's
    bind processor (the column type's own, for this engine's dialect: ``JSON`` serialises with the engine's
    JSON serialiser, ``DateTime`` on SQLite formats the text SQLAlchemy stores and reads back, ...) are
    looked up once; :meth:`parameters` converts rows with them and :meth:`execute` hands the SQL text to the
    driver through the table's :class:`UpsertDialect`. The database receives the rows exactly as
    ``execute(statement, rows)`` would give them (``tests/warehouse/test_fast_paths.py`` compares the stored
    bytes). When the bind names cannot be used as they are (a column name SQLAlchemy would escape in the SQL
    text), the rows go through ``Connection.execute(statement, rows)`` instead: slower, same result.
    """

    def __init__(self, table: Table, dialect: Any) -> None:
        self.table = table
        self.columns: tuple[str, ...] = tuple(column.key for column in table.columns)
        self.dialect = upsert_dialect(dialect)
        self.statement = upsert_statement(table, dialect.name)
        binds = self.statement.compile(dialect=dialect).binds
        if set(binds) != set(self.columns):  # pragma: no cover - a SQLAlchemy change, caught by the tests
            raise SnovioConfigError(f"unexpected parameters of the upsert into {table.name}: {sorted(binds)}")
        self.sql: str = self.dialect.render(self.statement, dialect)
        #: Whether every bind is written in the SQL text under its own name (else: SQLAlchemy's general path).
        self.direct: bool = all(
            len(re.findall(re.escape(self.dialect.placeholder(name)) + r"(?!\w)", self.sql)) == 1
            for name in self.columns
        )
        #: Whether rows are tuples in column order (the engine's positional SQL text), not dictionaries.
        self.positional = False
        if self.direct and self.dialect.positional and dialect.positional:
            at = [re.search(re.escape(self.dialect.placeholder(name)) + r"(?!\w)", self.sql) for name in self.columns]
            starts = [found.start() for found in at if found is not None]
            own = self.statement.compile(dialect=dialect)
            if (
                starts == sorted(starts)
                and len(starts) == len(self.columns) == len(own.binds)
                and own.string.count("?") == len(self.columns)
            ):
                self.sql, self.positional = own.string, True
        if self.direct:
            self.dialect.prepare(table, dialect, self.sql)
        processors = [
            binds[name].type.dialect_impl(dialect).bind_processor(dialect) if self.direct else None
            for name in self.columns
        ]
        #: (column position, bind processor) of the columns whose values the driver cannot take as they are.
        self.processors: tuple[tuple[int, Callable[[Any], Any]], ...] = tuple(
            (index, processor) for index, processor in enumerate(processors) if processor is not None
        )

    def convert(self, column: str, value: Any) -> Any:
        """``value`` as the driver gets it for ``column`` (through the column type's bind processor)."""
        for index, processor in self.processors:
            if self.columns[index] == column:
                return processor(value)
        return value

    def converter(self, converted: Collection[str] = ()) -> Callable[[list[Any]], Any]:
        """A function turning one row - its values in table column order, those of the ``converted`` columns
        already through :meth:`convert` (a value every row shares is converted once) - into its parameters
        (a dictionary keyed by column; a tuple in column order if :attr:`positional`). It converts the list
        in place."""
        processors = tuple(
            (index, processor) for index, processor in self.processors if self.columns[index] not in converted
        )
        names = self.columns
        if self.positional:

            def positional(row: list[Any]) -> tuple[Any, ...]:
                for index, processor in processors:
                    row[index] = processor(row[index])
                return tuple(row)

            return positional

        def named(row: list[Any]) -> dict[str, Any]:
            for index, processor in processors:
                row[index] = processor(row[index])
            return dict(zip(names, row, strict=True))

        return named

    def parameters(self, rows: Iterable[list[Any]]) -> list[Any]:
        """Parameters of ``rows`` (values in table column order; converted in place)."""
        return list(map(self.converter(), rows))

    def execute(self, connection: Connection, parameters: list[Any]) -> None:
        """Send :meth:`parameters` (one statement's worth: one row per key) in ``connection``'s transaction."""
        if not parameters:
            return
        if self.direct:
            self.dialect.send(connection, self.sql, parameters)
        else:  # pragma: no cover - no resource has such a column today
            connection.execute(self.statement, parameters)


def upsert(
    connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]], compiled: CompiledUpsert | None = None
) -> None:
    """``INSERT ... ON CONFLICT (primary key) DO UPDATE SET <every other column>`` for ``rows`` (each with a
    value for every column; one row per key). ``compiled``: the table's :class:`CompiledUpsert`, if kept."""
    if not rows:
        return
    compiled = compiled or CompiledUpsert(table, connection.dialect)
    compiled.execute(connection, compiled.parameters([row[name] for name in compiled.columns] for row in rows))


def scope_label(resource: Resource, scope_values: Mapping[str, Any]) -> str:
    """The state table's ``scope`` of one read: ``"campaign_id=123"``; "" for the whole account."""
    return ",".join(f"{name}={_plain(scope_values[name])}" for name in resource.scope_key)


def _plain(value: Any) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


#: ``write_page(expected=UNCHECKED)``: store the page's position without comparing (a single writer).
UNCHECKED: Any = object()


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
    reread_scopes: list[str] = field(default_factory=list)  # scopes re-read from scratch (overlap, truncation)
    rows_deleted: int = 0  # rows marked deleted by snapshot reads and by scopes gone upstream
    deleted_scopes: list[str] = field(default_factory=list)  # campaigns / lists Snov.io no longer has
    key_collisions: int = 0  # records whose natural key an earlier record of the same read had (logged)

    def add_deleted(self, count: int) -> None:
        self.rows_deleted += count

    def as_xcom(self) -> dict[str, Any]:
        return {
            "resource": self.resource,
            "table": self.table,
            "rows_read": self.rows_read,
            "rows_written": self.rows_written,
            "pages": self.pages,
            "scopes": self.scopes,
            "rows_skipped": self.rows_skipped,
            "reread_scopes": self.reread_scopes[:50],
            "rows_deleted": self.rows_deleted,
            "deleted_scopes": self.deleted_scopes[:50],
            "key_collisions": self.key_collisions,
        }


def _refuse_untested_engines(engine: Engine) -> None:
    """Redshift (behind a ``postgres`` connection too: its ``version()`` names it) and BigQuery are refused
    with what is missing: their SQL is generated (``engines.redshift``, ``engines.bigquery``) but untested."""
    from airflow_provider_snovio.transfers.engines import bigquery, redshift

    if engine.dialect.name == bigquery.NAME:
        raise SnovioConfigError(bigquery.REFUSAL)
    if engine.dialect.name == redshift.NAME:
        raise SnovioConfigError(redshift.REFUSAL)
    if engine.dialect.name == "postgresql":
        with engine.connect() as connection:
            version = str(connection.exec_driver_sql("SELECT version()").scalar() or "")
        if redshift.is_redshift(version):
            raise SnovioConfigError(redshift.REFUSAL)


class Warehouse:
    """One SQL database reached through a SQLAlchemy engine (from the connection's ``DbApiHook``)."""

    def __init__(self, engine: Engine, schema: str | None = None) -> None:
        from sqlalchemy import MetaData

        _refuse_untested_engines(engine)
        if engine.dialect.name not in SUPPORTED_DIALECTS:
            raise SnovioConfigError(
                f"SQL dialect {engine.dialect.name!r} is not supported for the warehouse sync "
                f"(supported: {', '.join(SUPPORTED_DIALECTS)}): an exact sync needs a real upsert"
            )
        self.engine = engine
        self.schema = sql_identifier("schema", schema) if schema is not None else None
        self.metadata = MetaData(schema=self.schema)
        self.state = build_state_table(self.metadata)
        self._upserts: dict[Table, PageUpsert] = {}

    def compiled_upsert(self, table: Table) -> PageUpsert:
        """``table``'s upsert, compiled once for this engine."""
        found = self._upserts.get(table)
        if found is None:
            if self.engine.dialect.name == "snowflake":
                from airflow_provider_snovio.transfers.engines.snowflake import SnowflakeStagedUpsert

                found = self._upserts[table] = SnowflakeStagedUpsert(table, self.engine.dialect, RAW)
            else:
                found = self._upserts[table] = CompiledUpsert(table, self.engine.dialect)
        return found

    def transaction(self, table_name: str, scope: str) -> Any:
        """A transaction holding the write lock of (table, scope): see :func:`sync_state.locked`."""
        return sync_state.locked(self.engine, self.schema, table_name, scope)

    def table(self, resource: Resource, name: str) -> Table:
        """The table for ``resource``, ready to write, in one transaction under the table's lock:

        - missing (never created, or dropped): created, and its old state rows go with it, so every scope
          is read again from the start (data and state are reset together);
        - of an earlier version: ``raw``/``synced_at`` renamed to the prefixed names, missing columns added
          (nullable), the ``_snovio_synced_at`` index created;
        - owned by another resource (its state rows say so): refused with :class:`SnovioConfigError`.
        """

        sql_identifier("table", name)
        table = self.metadata.tables.get(f"{self.schema}.{name}" if self.schema else name)
        if table is None:
            table = build_table(resource, name, self.metadata)
            if self.engine.dialect.name in NO_INDEXES:
                table.indexes.clear()
        with self.transaction(name, sync_state.OWNER_SCOPE) as connection:
            inspector = self._inspect(connection)
            if inspector.has_table(STATE_TABLE, schema=self.schema):
                self._upgrade(connection, self.state, inspector)
            else:
                self.state.create(connection)
            created = not inspector.has_table(name, schema=self.schema)
            if not created and self._key_changed(inspector, table):
                # only a table of this resource is set aside: another resource's table is refused first
                sync_state.claim_table(
                    connection, self.state, name, resource.name, datetime.now(timezone.utc), reset=False
                )
                self._set_aside(connection, table)
                created = True
            if created:
                table.create(connection)
            else:
                self._upgrade(connection, table, inspector)
            if self.engine.dialect.name == "snowflake":
                # The page stage (DDL: never inside a page's transaction), before the owner row: DuckDB, under
                # fakesnow, aborts a transaction at a failed statement (has_table of a missing table is one).
                from airflow_provider_snovio.transfers.engines.snowflake import build_stage

                stage = build_stage(table, RAW)
                stage_inspector = self._inspect(connection)
                if stage_inspector.has_table(stage.name, schema=self.schema):
                    self._upgrade(connection, stage, stage_inspector)
                else:
                    stage.create(connection)
            sync_state.claim_table(
                connection, self.state, name, resource.name, datetime.now(timezone.utc), reset=created
            )
        if created:
            log.info("created table %s (any state of an earlier table of that name was reset)", name)
        return table

    def _inspect(self, connection: Connection) -> Any:
        """SQLAlchemy's inspector of ``connection`` (DuckDB: its own catalog, see :mod:`.engines.duckdb`)."""
        from sqlalchemy import inspect

        if self.engine.dialect.name == "duckdb":
            from airflow_provider_snovio.transfers.engines.duckdb import Inspector

            return Inspector(connection)
        return inspect(connection)

    def _key_changed(self, inspector: Any, table: Table) -> bool:
        """Whether the existing table's primary key is not this version's natural key (opens and clicks
        were keyed by ``(campaign_id, id)`` before their event time joined the key)."""
        found = inspector.get_pk_constraint(table.name, schema=self.schema).get("constrained_columns") or []
        return bool(found) and set(found) != {column.name for column in table.primary_key.columns}

    def _set_aside(self, connection: Connection, table: Table) -> None:
        """Rename a table whose primary key changed to ``<name>_prior_key`` (kept, never dropped: its rows
        may include some Snov.io no longer serves), so that a table with the new key is created in its place
        and every scope is read again (its state rows are reset with the new table)."""
        from sqlalchemy import text

        preparer = self.engine.dialect.identifier_preparer
        aside = f"{table.name}_prior_key"
        taken = set(self._inspect(connection).get_table_names(schema=self.schema))
        suffix = 1
        while aside in taken:
            suffix += 1
            aside = f"{table.name}_prior_key{suffix}"
        sql_identifier("table", aside)
        index = synced_at_index_name(table.name)
        qualified_index = (
            f"{preparer.quote_schema(self.schema)}.{preparer.quote(index)}" if self.schema else preparer.quote(index)
        )
        if self.engine.dialect.name not in NO_INDEXES:
            connection.execute(text(f"DROP INDEX IF EXISTS {qualified_index}"))  # its name is the new table's
        connection.execute(text(f"ALTER TABLE {preparer.format_table(table)} RENAME TO {preparer.quote(aside)}"))
        log.warning(
            "%s: its primary key is not this version's %s (opens and clicks are now keyed by event "
            "time too): the old table is kept as %s and a new one is read from the start",
            table.name,
            [column.name for column in table.primary_key.columns],
            aside,
        )

    def _upgrade(self, connection: Connection, table: Table, inspector: Any) -> None:
        """Bring an existing ``table`` to this version: legacy column names, new columns, the index."""
        from sqlalchemy import text

        preparer = self.engine.dialect.identifier_preparer
        qualified = preparer.format_table(table)
        existing = {column["name"] for column in inspector.get_columns(table.name, schema=self.schema)}
        if table.name != STATE_TABLE:
            for old, new in LEGACY_COLUMNS.items():
                if old in existing and new not in existing:
                    log.warning("migrating %s: column %s renamed to %s", table.name, old, new)
                    connection.execute(
                        text(f"ALTER TABLE {qualified} RENAME COLUMN {preparer.quote(old)} TO {preparer.quote(new)}")
                    )
                    existing = (existing - {old}) | {new}
        for column in table.columns:
            if column.name in existing:
                continue
            if column.primary_key:
                raise SnovioConfigError(
                    f"table {table.name} exists without key column {column.name!r}: "
                    "it was not created by this resource's sync"
                )
            kind = column.type.compile(dialect=self.engine.dialect)
            log.info("adding column %s %s to %s", column.name, kind, table.name)
            connection.execute(text(f"ALTER TABLE {qualified} ADD COLUMN {preparer.format_column(column)} {kind}"))
        if self.engine.dialect.name in NO_INDEXES:
            return
        indexes = {index["name"] for index in inspector.get_indexes(table.name, schema=self.schema)}
        for index in table.indexes:
            if index.name not in indexes:
                index.create(connection)

    def position(self, table: Table, scope: str) -> Position | None:
        """The stored position of ``scope`` in ``table`` (None = nothing stored)."""
        stored = self.stored(table, scope)
        return stored.position if stored else None

    def stored(self, table: Table, scope: str) -> sync_state.StoredState | None:
        """``scope``'s state row in ``table`` (position and the live rows it had then)."""
        with self.engine.connect() as connection:
            return sync_state.load(connection, self.state, table.name, scope)

    @staticmethod
    def _scope_filter(table: Table, resource: Resource, scope_values: Mapping[str, Any]) -> list[Any]:
        return [table.c[name] == scope_values[name] for name in resource.scope_key]

    @classmethod
    def _window_filter(
        cls, table: Table, resource: Resource, scope_values: Mapping[str, Any], bounds: tuple[datetime, datetime]
    ) -> list[Any]:
        """The scope's rows whose time column is in ``[from, to)`` (``Page.replaces`` / ``Page.sweeps``)."""
        if resource.time_column is None:  # pragma: no cover - a resource definition error
            raise SnovioConfigError(f"resource {resource.name} has no time column to window by")
        column = table.c[resource.time_column]
        return [*cls._scope_filter(table, resource, scope_values), column >= bounds[0], column < bounds[1]]

    def live_rows(
        self, table: Table, resource: Resource, scope_values: Mapping[str, Any], connection: Connection | None = None
    ) -> int:
        """Rows of the scope not marked deleted."""
        from sqlalchemy import func, select

        query = (
            select(func.count())
            .select_from(table)
            .where(*self._scope_filter(table, resource, scope_values), table.c[DELETED_AT].is_(None))
        )
        if connection is not None:
            return int(connection.execute(query).scalar_one())
        with self.engine.connect() as fresh:
            return int(fresh.execute(query).scalar_one())

    def _mark_deleted(
        self, connection: Connection, table: Table, conditions: list[Any], moment: datetime, *, unseen_only: bool
    ) -> int:
        """Set ``_snovio_deleted_at`` on the live rows matching ``conditions`` (``unseen_only``: only those
        this run has not written, i.e. with an older ``_snovio_synced_at``). Returns how many."""
        from sqlalchemy import update

        where = [*conditions, table.c[DELETED_AT].is_(None)]
        if unseen_only:
            where.append(table.c[SYNCED_AT] < moment)
        return int(connection.execute(update(table).where(*where).values({DELETED_AT: moment})).rowcount or 0)

    def write_page(
        self,
        table: Table,
        resource: Resource,
        scope_values: Mapping[str, Any],
        page: Page,
        synced_at: datetime,
        *,
        expected: Any = UNCHECKED,
        on_deleted: Callable[[int], None] | None = None,
    ) -> tuple[int, int]:
        """Store one page in ONE transaction under the scope's lock: (on a restart) mark the scope's rows
        deleted, upsert the page's rows (which clears the mark of every row seen again) and store the new
        position - compared first with ``expected``, the position this writer read from (None: none stored);
        another writer having moved it raises :class:`PositionConflict` and nothing is written.
        Returns (rows written, records skipped)."""
        compiled = self.compiled_upsert(table)
        wanted = (*(name for name, _ in resource.columns), *SYSTEM_COLUMNS)
        if compiled.columns != wanted:
            raise SnovioConfigError(
                f"table {table.name} has the columns {list(compiled.columns)}, "
                f"not those of resource {resource.name}: {list(wanted)}"
            )
        parameters, skipped = self._rows(resource, scope_values, page.records, synced_at, compiled)
        scope = scope_label(resource, scope_values)
        with self.transaction(table.name, scope) as connection:
            if page.position is not None and expected is not UNCHECKED:
                sync_state.verify(connection, self.state, table.name, scope, expected)
            if page.restarted:
                self._mark_deleted(
                    connection, table, self._scope_filter(table, resource, scope_values), synced_at, unseen_only=False
                )
            if page.replaces is not None:  # a time window read again: its rows are replaced by this read's
                self._mark_deleted(
                    connection,
                    table,
                    self._window_filter(table, resource, scope_values, page.replaces),
                    synced_at,
                    unseen_only=False,
                )
            compiled.execute(connection, parameters)
            if page.sweeps is not None:  # a time window read whole: what this sync did not write is gone
                swept = self._mark_deleted(
                    connection,
                    table,
                    self._window_filter(table, resource, scope_values, page.sweeps),
                    synced_at,
                    unseen_only=True,
                )
                if on_deleted is not None:
                    on_deleted(swept)
            if page.position is not None:
                rows = self.live_rows(table, resource, scope_values, connection)
                sync_state.store(
                    connection, self.state, table.name, scope, resource.name, page.position, rows, synced_at
                )
        return len(parameters), skipped

    def sweep(self, table: Table, resource: Resource, scope_values: Mapping[str, Any], synced_at: datetime) -> int:
        """After a whole read of a scope that had no position: mark deleted the rows it did not return."""
        with self.transaction(table.name, scope_label(resource, scope_values)) as connection:
            return self._mark_deleted(
                connection, table, self._scope_filter(table, resource, scope_values), synced_at, unseen_only=True
            )

    def retire(self, table: Table, column: str, value: int, moment: datetime) -> int:
        """A campaign or list gone upstream: mark all its rows deleted and forget its positions."""
        scope = f"{column}={value}"
        with self.transaction(table.name, scope) as connection:
            count = self._mark_deleted(connection, table, [table.c[column] == value], moment, unseen_only=False)
            sync_state.forget_scope(connection, self.state, table.name, scope)
        return count

    def live_scope_ids(self, table: Table, column: str) -> list[int]:
        """The campaign / list ids the table has live rows of."""
        from sqlalchemy import select

        with self.engine.connect() as connection:
            found = connection.execute(select(table.c[column]).where(table.c[DELETED_AT].is_(None)).distinct())
            return sorted(int(row[0]) for row in found if row[0] is not None)

    @staticmethod
    def _rows(
        resource: Resource,
        scope_values: Mapping[str, Any],
        records: Iterable[dict[str, Any]],
        synced_at: datetime,
        compiled: PageUpsert,
    ) -> tuple[list[Any], int]:
        """The driver parameters of the typed rows - :meth:`Resource.values`, then ``_snovio_raw`` (the
        record), ``_snovio_synced_at`` and ``_snovio_deleted_at`` (NULL: seen now), as ``compiled`` converts
        them - one per natural key (the last record of a key wins: one statement may not touch a row twice),
        without records that lack a key value."""
        columns = [name for name, _ in resource.columns]
        key_at = [columns.index(name) for name in resource.key]
        key_of = itemgetter(*key_at) if len(key_at) > 1 else lambda row: (row[key_at[0]],)
        synced = compiled.convert(SYNCED_AT, synced_at)  # once, not per row
        finish = compiled.converter(converted=(SYNCED_AT, DELETED_AT))
        scope_part = [scope_values[name] for name, _, _ in resource.scope_columns]  # the same in every row
        append_values = resource.append_values
        by_key: dict[tuple[Any, ...], Any] = {}
        skipped = 0
        for record in records:
            if not isinstance(record, dict):
                skipped += 1
                continue
            row = append_values(scope_part.copy(), record)
            key = key_of(row)
            if None in key:
                skipped += 1
                continue
            row.append(record)
            row.append(synced)
            row.append(None)
            by_key[key] = finish(row)
        if skipped:
            log.warning("%s: %d record(s) without a natural key were skipped", resource.name, skipped)
        return list(by_key.values()), skipped


# --- the sync loop ---------------------------------------------------------------------------------------


class _Upstream:
    """Which campaigns / lists exist upstream, for a resource read per campaign or per list.

    Why: a campaign deleted in Snov.io must not fail every later run (its id still in a DAG's list or the
    warehouse) and its rows must not stay as if it existed. Snov.io does not document what a deleted
    campaign's endpoints answer (404, an empty 200, ``success: false``...), so the judge is the listing,
    which is documented: a campaign is gone when ``get_user_campaigns`` no longer lists it; a list when
    ``get_user_lists`` no longer lists it or marks it deleted (one request per sync)."""

    def __init__(self, client: Any, resource: Resource) -> None:
        self.client = client
        self.column = {Scope.CAMPAIGN: "campaign_id", Scope.LIST: "list_id"}.get(resource.scope)
        self._ids: list[int] | None = None
        self._refreshed = False

    def ids(self) -> list[int]:
        """The ids listed upstream (listed once per sync)."""
        if self._ids is None:
            lister = campaign_scopes if self.column == "campaign_id" else list_scopes
            self._ids = lister(self.client, None)
        return self._ids

    def gone(self, scope_values: Mapping[str, Any]) -> bool:
        """Whether the scope's campaign / list is no longer listed, asked again (at most once per sync) after
        a read of it failed or came back empty: it may have been deleted since the first listing."""
        value = scope_values.get(self.column or "")
        if value is None:
            return False
        if not self._refreshed:
            self._refreshed, self._ids = True, None
        return value not in self.ids()


def _plan(
    client: Any,
    warehouse: Warehouse,
    table: Table,
    resource: Resource,
    upstream: _Upstream,
    campaign_ids: list[int] | None,
    list_ids: list[int] | None,
    dates: tuple[date, date] | None,
    lookback_days: int,
) -> tuple[list[dict[str, Any]], list[int]]:
    """(scope values to read, ids gone upstream: skipped, their rows to be marked deleted)."""
    if upstream.column is None:
        return resource.scopes(client, None, None, dates, lookback_days), []
    wanted = campaign_ids if upstream.column == "campaign_id" else list_ids
    live = upstream.ids()
    present = set(live)
    ids = live if wanted is None else [i for i in wanted if i in present]
    # Gone: asked for but not listed, and any campaign / list the table still has live rows of that is no
    # longer listed (whichever ids this sync was asked for: those rows describe nothing that exists).
    stored = warehouse.live_scope_ids(table, upstream.column)
    gone = list(dict.fromkeys(i for i in [*(wanted or ()), *stored] if i not in present))
    if upstream.column == "campaign_id":
        return resource.scopes(client, ids, None, dates, lookback_days), gone
    return resource.scopes(client, None, ids, dates, lookback_days), gone


def sync(
    client: Any,
    warehouse: Warehouse,
    resource: Resource,
    table_name: str,
    *,
    campaign_ids: list[int] | None = None,
    list_ids: list[int] | None = None,
    dates: tuple[date, date] | None = None,
    full_refresh: bool = False,
    overlap: int = DEFAULT_OVERLAP,
    lookback_days: int = DEFAULT_LOOKBACK_DAYS,
    span: Span | None = None,
) -> SyncResult:
    """Sync ``resource`` into ``table_name``: every scope, page by page, one transaction per page.

    ``client`` is a :class:`~airflow_provider_snovio.api.client.SnovioClient` or the hook. Offset-paged
    resources resume from the stored position (see :mod:`airflow_provider_snovio.api.incremental`);
    ``full_refresh`` re-reads everything. Rows a read shows gone are marked deleted (``_snovio_deleted_at``);
    a campaign or list Snov.io no longer lists is skipped with a warning and its rows marked deleted. A
    scope that fails does not stop the others: they are synced, then :class:`SnovioSyncError` names the
    failed ones. One writer per table and scope: concurrent writers are serialised per page and a writer
    whose stored position was moved under it re-reads from the new one. ``lookback_days``: analytics days
    before ``dates`` asked again (see :func:`~airflow_provider_snovio.api.resources.lookback_intervals`).
    ``span``: what a time-windowed resource (``Reading.WINDOW``) reads this run (its own lookback included).
    """
    table = warehouse.table(resource, table_name)
    result = SyncResult(resource.name, table.name)
    synced_at = datetime.now(timezone.utc)
    upstream = _Upstream(client, resource)
    scopes, gone = _plan(client, warehouse, table, resource, upstream, campaign_ids, list_ids, dates, lookback_days)
    for value in gone:
        _retire(warehouse, table, upstream.column or "", value, synced_at, result)
    failures: dict[str, SnovioError] = {}
    for scope_values in scopes:
        result.scopes += 1
        label = scope_label(resource, scope_values)
        try:
            read = _sync_scope(
                client,
                warehouse,
                table,
                resource,
                scope_values,
                synced_at,
                result,
                full_refresh=full_refresh,
                overlap=overlap,
                span=span,
            )
        except _ACCOUNT_ERRORS:
            raise
        except SnovioError as exc:
            if upstream.gone(scope_values):  # deleted while this run read it: the answer said so its own way
                _retire(warehouse, table, upstream.column or "", scope_values[upstream.column or ""], synced_at, result)
                continue
            log.error("%s %s failed (the other scopes go on): %s", table.name, label, exc)
            failures[label] = exc
            continue
        if read == 0 and upstream.gone(scope_values):  # an empty answer for a campaign deleted meanwhile
            _retire(warehouse, table, upstream.column or "", scope_values[upstream.column or ""], synced_at, result)
    if failures:
        named = "; ".join(f"{label}: {exc}" for label, exc in list(failures.items())[:20])
        raise SnovioSyncError(
            f"{resource.name} into {table.name}: {len(failures)} of {result.scopes} scope(s) "
            f"failed, the others were synced - {named}"
        )
    return result


def _retire(warehouse: Warehouse, table: Table, column: str, value: int, moment: datetime, result: SyncResult) -> None:
    count = warehouse.retire(table, column, value, moment)
    label = f"{column}={value}"
    result.deleted_scopes.append(label)
    result.rows_deleted += count
    log.warning(
        "%s %s: Snov.io no longer lists it (deleted upstream): skipped, %d row(s) marked deleted "
        "(%s) and its stored position forgotten",
        table.name,
        label,
        count,
        DELETED_AT,
    )


def _sync_scope(
    client: Any,
    warehouse: Warehouse,
    table: Table,
    resource: Resource,
    scope_values: Mapping[str, Any],
    synced_at: datetime,
    result: SyncResult,
    *,
    full_refresh: bool,
    overlap: int,
    span: Span | None = None,
) -> int:
    """Read one scope into the table; re-read from the stored position when another writer moved it.
    Returns the records read by the attempt that completed."""
    label = scope_label(resource, scope_values)
    # offset-paged and time-windowed resources resume from a stored position; the others are snapshots
    offset_paged = resource.reading in (Reading.OFFSET, Reading.WINDOW)
    restart = full_refresh
    for attempt in range(1, MAX_CONFLICTS + 1):
        stored = warehouse.stored(table, label) if offset_paged else None
        expected = stored.position if stored else None
        if stored is not None and not restart:
            live = warehouse.live_rows(table, resource, scope_values)
            floor = stored.rows if stored.rows is not None else stored.position.offset
            if live < floor:
                log.warning(
                    "%s %s: the table holds %d live row(s), fewer than the %d it held with the stored "
                    "position (truncated, or rows deleted in the warehouse): re-reading it from the "
                    "start",
                    table.name,
                    label,
                    live,
                    floor,
                )
                restart = True
                result.reread_scopes.append(label)
        position = None if restart else expected
        read = 0
        try:
            pages = resource.pages(client, scope_values, position, full_refresh=restart, overlap=overlap, span=span)
            for page in pages:
                written, skipped = warehouse.write_page(
                    table,
                    resource,
                    scope_values,
                    page,
                    synced_at,
                    expected=expected if offset_paged else UNCHECKED,
                    on_deleted=result.add_deleted,
                )
                if page.position is not None:  # None: a head search not finished leaves the position as is
                    expected = page.position
                if page.collisions:
                    result.key_collisions += page.collisions
                    log.warning(
                        "%s %s: %d record(s) repeat a key an earlier record of this read had (the last wins)",
                        table.name,
                        label,
                        page.collisions,
                    )
                if page.restarted:
                    restart = False  # committed: after a conflict, resume rather than restart again
                    if position is not None:
                        result.reread_scopes.append(label)
                        log.warning(
                            "%s %s: the stored overlap no longer matches upstream; re-reading it from the start",
                            table.name,
                            label,
                        )
                read += page.read
                result.rows_read += page.read
                result.rows_written += written
                result.rows_skipped += skipped
                result.pages += 1
            if not offset_paged:
                result.rows_deleted += warehouse.sweep(table, resource, scope_values, synced_at)
            return read
        except PositionConflict as exc:
            log.warning("%s (attempt %d): re-reading from the position the other writer stored", exc, attempt)
    raise SnovioSyncError(
        f"{table.name} {label}: other writers kept moving the stored position "
        f"({MAX_CONFLICTS} times); keep one writer per table and scope"
    )

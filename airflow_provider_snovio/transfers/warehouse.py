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
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from operator import itemgetter
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api.errors import SnovioConfigError, SnovioValidationError
from airflow_provider_snovio.api.incremental import DEFAULT_OVERLAP, Page, Position
from airflow_provider_snovio.api.resources import DEFAULT_LOOKBACK_DAYS, Kind, Reading, Resource

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


def _insert_construct(dialect: str) -> Any:
    if dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert
    elif dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:  # pragma: no cover - refused earlier by Warehouse
        raise SnovioConfigError(f"no upsert for SQL dialect {dialect!r}")
    return insert


def upsert_statement(table: Table, dialect: str) -> Any:
    """``INSERT ... ON CONFLICT (primary key) DO UPDATE SET <every other column> = excluded.<column>``."""
    statement = _insert_construct(dialect)(table)
    key = [column.name for column in table.primary_key.columns]
    return statement.on_conflict_do_update(
        index_elements=key,
        set_={column.name: statement.excluded[column.name] for column in table.columns if column.name not in key},
    )


#: What ``json.dumps`` must agree with for :func:`_same_json` to stand in for a JSON column's bind processor.
_JSON_PROBE = {"text": "caf\u00e9 \U0001f680 \"q\" \\ \n", "int": 10**20, "float": [1.5, -0.0, 1e-7, 2e300],
               "bools": [True, False, None], "nested": {"b": {}, "a": []}, "": "\u0000"}


def _same_json(processor: Callable[[Any], Any] | None, dialect: Any) -> Callable[[Any], Any] | None:
    """A JSON column's bind processor is ``json.dumps`` (SQLAlchemy's default serialiser) on SQLite and psycopg:
    for those, the same ``json.dumps`` with the C encoder built once, not on every call as ``json.dumps``
    does (a fifth of its cost for a record). Any other processor - a custom ``json_serializer`` of the engine,
    a dialect that post-processes the text - is kept as it is; so is this one if the probe disagrees."""
    import json
    from json.encoder import JSONEncoder, c_make_encoder, encode_basestring_ascii

    if processor is None or getattr(dialect, "_json_serializer", None) is not None or c_make_encoder is None:
        return processor
    try:
        if processor(_JSON_PROBE) != json.dumps(_JSON_PROBE):
            return processor
    except Exception:  # not a JSON processor
        return processor
    defaults = JSONEncoder()  # json.dumps's settings; no circular check (records parsed from JSON have none)
    encode = c_make_encoder(None, defaults.default, encode_basestring_ascii, None, defaults.key_separator,
                            defaults.item_separator, False, False, True)
    join = "".join

    def dumps(value: Any) -> Any:
        if value is None or value.__class__ is not dict:  # null and anything unusual: SQLAlchemy's own rule
            return processor(value)
        return join(encode(value, 0))

    return dumps if dumps(_JSON_PROBE) == json.dumps(_JSON_PROBE) else processor


#: Rows per statement of psycopg2's ``execute_values`` (its ``executemany`` is one round trip per row).
PSYCOPG2_PAGE_SIZE = 1000


class CompiledUpsert:
    """The :func:`upsert_statement` of one table, compiled once for one engine's dialect, and how to send rows.

    Why: ``Connection.execute(statement, rows)`` re-does per row what never changes within a page - the
    parameter dictionaries, the column types' bind processing through generic machinery - and that cost
    more than the database's own work on a 10,000-row page. Here the statement's SQL text, its bind
    names and each column's bind processor (the column type's own, for this dialect: ``JSON`` serialises
    with the engine's JSON serialiser, ``DateTime`` on SQLite formats the text SQLAlchemy stores and reads
    back, ...) are looked up once; :meth:`parameters` converts rows with them and :meth:`execute` hands the
    same SQL text SQLAlchemy would send to the driver (``exec_driver_sql``: in the caller's transaction,
    with SQLAlchemy's events and exception wrapping). The database receives exactly what
    ``execute(statement, rows)`` sends it, in one ``executemany`` - or, with psycopg2, whose
    ``executemany`` is a round trip per row, batched multi-row ``VALUES`` (``execute_values``).
    """

    def __init__(self, table: Table, dialect: Any) -> None:
        self.table = table
        self.columns: tuple[str, ...] = tuple(column.key for column in table.columns)
        compiled = upsert_statement(table, dialect.name).compile(dialect=dialect)
        binds = compiled.binds
        if set(binds) != set(self.columns):  # pragma: no cover - a SQLAlchemy change, caught by the tests
            raise SnovioConfigError(f"unexpected parameters of the upsert into {table.name}: {sorted(binds)}")
        self.sql: str = compiled.string
        processors = [_same_json(binds[name].type.dialect_impl(dialect).bind_processor(dialect), dialect)
                      for name in self.columns]
        #: (column position, bind processor) of the columns whose values the driver cannot take as they are.
        self.processors: tuple[tuple[int, Callable[[Any], Any]], ...] = tuple(
            (index, processor) for index, processor in enumerate(processors) if processor is not None)
        self.positional: bool = bool(compiled.positional)
        if self.positional:  # the placeholders' order, as column positions
            self.order: tuple[int, ...] | None = tuple(self.columns.index(name) for name in compiled.positiontup)
            if self.order == tuple(range(len(self.columns))):
                self.order = None
        else:
            self.order = None
            escaped = compiled.escaped_bind_names
            self.names: tuple[str, ...] = tuple(escaped.get(name, name) for name in self.columns)
        self.execute_values = dialect.driver == "psycopg2"
        if self.execute_values:  # "INSERT ... VALUES %s ON CONFLICT ..." and the "(%(a)s, ...)" of one row
            head, _, rest = self.sql.partition(" VALUES (")
            values, _, tail = rest.partition(") ON CONFLICT ")
            self.values_sql, self.values_template = f"{head} VALUES %s ON CONFLICT {tail}", f"({values})"

    def convert(self, column: str, value: Any) -> Any:
        """``value`` as the driver gets it for ``column`` (through the column type's bind processor)."""
        for index, processor in self.processors:
            if self.columns[index] == column:
                return processor(value)
        return value

    def converter(self, converted: Collection[str] = ()) -> Callable[[list[Any]], Any]:
        """A function turning one row - its values in table column order, those of the ``converted`` columns
        already through :meth:`convert` (a value every row shares is converted once) - into its driver
        parameters. It converts the list in place."""
        processors = tuple((index, processor) for index, processor in self.processors
                           if self.columns[index] not in converted)
        order = self.order
        if not self.positional:
            names = self.names

            def named(row: list[Any]) -> dict[str, Any]:
                for index, processor in processors:
                    row[index] = processor(row[index])
                return dict(zip(names, row, strict=True))
            return named

        def positional(row: list[Any]) -> tuple[Any, ...]:
            for index, processor in processors:
                row[index] = processor(row[index])
            return tuple(row) if order is None else tuple([row[index] for index in order])
        return positional

    def parameters(self, rows: Iterable[list[Any]]) -> list[Any]:
        """Driver parameters of ``rows`` (values in table column order; converted in place)."""
        return list(map(self.converter(), rows))

    def execute(self, connection: Connection, parameters: list[Any]) -> None:
        """Send :meth:`parameters` (one statement's worth: one row per key) in ``connection``'s transaction."""
        if not parameters:
            return
        if self.execute_values:
            self._execute_values(connection, parameters)
        else:
            connection.exec_driver_sql(self.sql, parameters)

    def _execute_values(self, connection: Connection, parameters: list[Any]) -> None:
        from psycopg2.extras import execute_values

        cursor = connection.connection.cursor()
        try:
            execute_values(cursor, self.values_sql, parameters, template=self.values_template,
                           page_size=PSYCOPG2_PAGE_SIZE)
        finally:
            cursor.close()


def upsert(connection: Connection, table: Table, rows: Sequence[Mapping[str, Any]],
           compiled: CompiledUpsert | None = None) -> None:
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
    key_collisions: int = 0  # records whose natural key an earlier record of the same read had (logged)

    def as_xcom(self) -> dict[str, Any]:
        return {"resource": self.resource, "table": self.table, "rows_read": self.rows_read,
                "rows_written": self.rows_written, "pages": self.pages, "scopes": self.scopes,
                "rows_skipped": self.rows_skipped, "reread_scopes": self.reread_scopes[:50],
                "key_collisions": self.key_collisions}


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
        self._upserts: dict[Table, CompiledUpsert] = {}

    def compiled_upsert(self, table: Table) -> CompiledUpsert:
        """``table``'s upsert, compiled once for this engine."""
        found = self._upserts.get(table)
        if found is None:
            found = self._upserts[table] = CompiledUpsert(table, self.engine.dialect)
        return found

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
        try:  # the ``tail`` column holds Position.to_json() (a bare list of tail keys before order detection)
            return Position.from_json(int(found.position), found.tail)
        except (ValueError, TypeError):
            log.warning("unreadable stored position for %s %s: re-reading it", table.name, scope)
            return None

    def write_page(self, table: Table, resource: Resource, scope_values: Mapping[str, Any], page: Page,
                   synced_at: datetime) -> tuple[int, int]:
        """Store one page in ONE transaction: (on a restart) drop the scope's old rows, upsert the page's rows
        and store the new position. Returns (rows written, records skipped)."""
        from sqlalchemy import and_, delete

        compiled = self.compiled_upsert(table)
        expected = (*(name for name, _ in resource.columns), "raw", "synced_at")
        if compiled.columns != expected:
            raise SnovioConfigError(f"table {table.name} has the columns {list(compiled.columns)}, "
                                    f"not those of resource {resource.name}: {list(expected)}")
        parameters, skipped = self._rows(resource, scope_values, page.records, synced_at, compiled)
        with self.engine.begin() as connection:
            if page.restarted:
                conditions = [table.c[name] == scope_values[name] for name in resource.scope_key]
                connection.execute(delete(table).where(and_(*conditions)) if conditions else delete(table))
            compiled.execute(connection, parameters)
            if page.position is not None:
                upsert(connection, self.state, [{
                    "table_name": table.name, "scope": scope_label(resource, scope_values),
                    "resource": resource.name, "position": page.position.offset,
                    "tail": page.position.to_json(), "updated_at": synced_at,
                }], self.compiled_upsert(self.state))
        return len(parameters), skipped

    @staticmethod
    def _rows(resource: Resource, scope_values: Mapping[str, Any], records: Iterable[dict[str, Any]],
              synced_at: datetime, compiled: CompiledUpsert) -> tuple[list[Any], int]:
        """The driver parameters of the typed rows - :meth:`Resource.values`, then ``raw`` (the record) and
        ``synced_at``, as ``compiled`` converts them - one per natural key (the last record of a key wins:
        one statement may not touch a row twice), without records that lack a key value."""
        columns = [name for name, _ in resource.columns]
        key_at = [columns.index(name) for name in resource.key]
        key_of = itemgetter(*key_at) if len(key_at) > 1 else lambda row: (row[key_at[0]],)
        synced = compiled.convert("synced_at", synced_at)  # once, not per row
        finish = compiled.converter(converted=("synced_at",))
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
            by_key[key] = finish(row)
        if skipped:
            log.warning("%s: %d record(s) without a natural key were skipped", resource.name, skipped)
        return list(by_key.values()), skipped


def sync(client: Any, warehouse: Warehouse, resource: Resource, table_name: str, *,
         campaign_ids: list[int] | None = None, list_ids: list[int] | None = None,
         dates: tuple[date, date] | None = None, full_refresh: bool = False,
         overlap: int = DEFAULT_OVERLAP, lookback_days: int = DEFAULT_LOOKBACK_DAYS) -> SyncResult:
    """Sync ``resource`` into ``table_name``: every scope, page by page, one transaction per page.

    ``client`` is a :class:`~airflow_provider_snovio.api.client.SnovioClient` or the hook. Offset-paged
    resources resume from the stored position (see :mod:`airflow_provider_snovio.api.incremental`);
    ``full_refresh`` re-reads everything and replaces each scope's rows. ``lookback_days``: analytics days
    before ``dates`` asked again (see :func:`~airflow_provider_snovio.api.resources.lookback_intervals`).
    """
    table = warehouse.table(resource, table_name)
    result = SyncResult(resource.name, table.name)
    synced_at = datetime.now(timezone.utc)
    for scope_values in resource.scopes(client, campaign_ids, list_ids, dates, lookback_days):
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
            if page.collisions:
                result.key_collisions += page.collisions
                log.warning("%s %s: %d record(s) repeat a key an earlier record of this read had (the last wins)",
                            table.name, scope, page.collisions)
            if page.restarted and position is not None and not full_refresh:
                result.reread_scopes.append(scope)
                log.warning("%s %s: the stored overlap no longer matches upstream; re-reading it from the start",
                            table.name, scope)
    return result

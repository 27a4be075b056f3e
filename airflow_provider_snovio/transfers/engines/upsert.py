"""The ``INSERT ... ON CONFLICT`` family of engines (SQLite, PostgreSQL, DuckDB, MySQL / MariaDB): their
upsert statement compiled once per table (:class:`CompiledUpsert`) and sent the engine's fastest way
(:class:`Upsert`, one subclass per engine module).

Why compiled by hand rather than ``DbApiHook.insert_rows``: ``insert_rows(replace=True)`` is ``REPLACE INTO``
on SQLite (a delete plus an insert) and commits every ``commit_every`` rows on its own. An exact,
crash-safe load needs a real upsert (from the dialect's own ``insert`` construct) inside the page's one
transaction, and ``Connection.execute(statement, rows)`` was slower than the database's own work.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api.errors import SnovioConfigError
from airflow_provider_snovio.transfers.engines.base import PageUpsert, WarehouseDialect

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection


class Upsert:
    """How one engine's upsert is built and its rows are sent (one subclass per engine module, returned by
    its :meth:`UpsertEngine.upsert`).

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
        return on_conflict_upsert(statement, table)

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


def on_conflict_upsert(statement: Any, table: Table) -> Any:
    """``statement`` (an ``insert`` of ``table``) with ``ON CONFLICT (primary key) DO UPDATE SET ...``."""
    key = [column.name for column in table.primary_key.columns]
    return statement.on_conflict_do_update(
        index_elements=key,
        set_={column.name: statement.excluded[column.name] for column in table.columns if column.name not in key},
    )


class UpsertEngine(WarehouseDialect):
    """An engine with a real upsert: a page is ONE upsert statement sent by :meth:`upsert`'s way."""

    def upsert(self, dialect: Any) -> Upsert:  # pragma: no cover - every engine has its own
        """How this engine's upsert is built and sent, for its SQLAlchemy ``dialect`` (driver)."""
        raise NotImplementedError

    def page_upsert(self, table: Table, dialect: Any, raw: str) -> PageUpsert:
        return CompiledUpsert(table, dialect, self.upsert(dialect))


def upsert_statement(table: Table, dialect: Any) -> Any:
    """``table``'s upsert on its primary key for the SQLAlchemy ``dialect``: ``INSERT ... ON CONFLICT (key)
    DO UPDATE SET <every other column> = excluded.<column>``, or the engine's own form (``ON DUPLICATE KEY
    UPDATE`` on MySQL)."""
    from airflow_provider_snovio.transfers.engines import dialect_of

    engine = dialect_of(dialect.name)
    if not isinstance(engine, UpsertEngine):  # pragma: no cover - a staged engine has no one-statement upsert
        raise SnovioConfigError(f"{dialect.name} has no one-statement upsert")
    upsert = engine.upsert(dialect)
    return upsert.upsert_of(upsert.insert()(table), table)


class CompiledUpsert:
    """The :func:`upsert_statement` of one table, compiled once for one engine's dialect, and how to send rows.

    Why: ``Connection.execute(statement, rows)`` re-does per row what never changes within a page - the
    parameter dictionaries, the column types' bind processing through generic machinery - and that cost
    more than the database's own work on a 10,000-row page. Here the statement's SQL text and each column's
    bind processor (the column type's own, for this engine's dialect: ``JSON`` serialises with the engine's
    JSON serialiser, ``DateTime`` on SQLite formats the text SQLAlchemy stores and reads back, ...) are
    looked up once; :meth:`parameters` converts rows with them and :meth:`execute` hands the SQL text to the
    driver through the engine's :class:`Upsert`. The database receives the rows exactly as
    ``execute(statement, rows)`` would give them (``tests/warehouse/test_fast_paths.py`` compares the stored
    bytes). When the bind names cannot be used as they are (a column name SQLAlchemy would escape in the SQL
    text), the rows go through ``Connection.execute(statement, rows)`` instead: slower, same result.
    """

    def __init__(self, table: Table, dialect: Any, upsert: Upsert) -> None:
        self.table = table
        self.columns: tuple[str, ...] = tuple(column.key for column in table.columns)
        self.dialect = upsert
        self.statement = upsert.upsert_of(upsert.insert()(table), table)
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

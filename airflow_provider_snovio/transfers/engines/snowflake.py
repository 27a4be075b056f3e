"""Snowflake: a page is staged into ``<table>_snovio_stage`` and replaced by key, in one transaction.

Why not the ``INSERT ... ON CONFLICT`` of SQLite/PostgreSQL: Snowflake has none (and does not enforce
primary keys), so a page goes in statements of the page's transaction - ``DELETE`` the stage, ``INSERT``
the page's rows into it (multi-row ``VALUES``, :data:`ROWS_PER_INSERT` a statement), replace the table's
rows of the staged keys with the staged rows (a page holds one row per key), empty the stage - followed,
in the same transaction, by the state row. The raw record is a ``VARIANT``: it is staged as JSON text and
turned into a ``VARIANT`` by ``PARSE_JSON`` (Snowflake does not bind a ``VARIANT`` directly).

The replacement is ``DELETE ... USING <stage>`` on the natural key then ``INSERT ... SELECT`` from the
stage, not the equivalent ``MERGE`` (``SnowflakeStagedUpsert.merge_sql``, kept for reference): every column is
overwritten either way, and fakesnow - the Snowflake emulator the tests run on - executes ``MERGE`` through
a ``CREATE`` of its own, which commits the open transaction; with ``MERGE`` the one-transaction-per-page
guarantee could not be tested.

The stage is a permanent table created (outside any transaction: Snowflake's DDL commits) when the table
is, because a ``CREATE`` inside the page's transaction would commit the page half-written. Writers share
it safely because each page's transaction first takes :func:`lock`.

The lock: Snowflake has no advisory lock and no ``SELECT ... FOR UPDATE``; its ``UPDATE``/``DELETE``/
``MERGE`` statements lock the table they change until commit. :func:`lock` therefore updates (to itself)
the owner row of the synced table in the state table: every write transaction of the schema waits for the
previous one - coarser than PostgreSQL's per-scope lock, same guarantee (one writer at a time, then the
stored position is compared).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.transfers.engines.base import PageUpsert, WarehouseDialect

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection, Engine

#: The SQLAlchemy dialect name of Snowflake (snowflake-sqlalchemy).
NAME = "snowflake"
#: Rows per multi-row ``INSERT`` into the stage (statement text stays well under Snowflake's 1 MB limit
#: for Snov.io records; the connector's own ``executemany`` rewrites to the same form).
ROWS_PER_INSERT = 500
#: Suffix of the stage table of a synced table.
STAGE_SUFFIX = "_snovio_stage"


def raw_type() -> Any:
    """The ``_snovio_raw`` column's type: ``VARIANT`` (declared here, so that this module and the tables'
    definitions import without snowflake-sqlalchemy; it is read back as JSON text)."""
    from sqlalchemy.types import UserDefinedType

    class Variant(UserDefinedType[Any]):
        cache_ok = True

        def get_col_spec(self, **kw: Any) -> str:
            return "VARIANT"

    return Variant()


def json_text_type() -> Any:
    """The state table's JSON column on Snowflake: JSON text in a ``TEXT`` column (bound as it is)."""
    from sqlalchemy import Text
    from sqlalchemy.types import TypeDecorator

    class JsonText(TypeDecorator[Any]):
        impl = Text
        cache_ok = True

        def process_bind_param(self, value: Any, dialect: Any) -> Any:
            return None if value is None else json.dumps(value, separators=(",", ":"))

        def process_result_value(self, value: Any, dialect: Any) -> Any:
            return None if value is None else json.loads(value)

    return JsonText()


def stage_name(table_name: str) -> str:
    return f"{table_name}{STAGE_SUFFIX}"


def build_stage(table: Table, raw: str) -> Table:
    """The stage of ``table``: the same columns, ``raw`` as text (JSON), no key (a page is deleted first)."""
    from sqlalchemy import Column, Table, Text

    columns = [
        Column(column.name, Text() if column.name == raw else column.type.copy(), nullable=True)
        for column in table.columns
    ]
    name = stage_name(table.name)
    existing = table.metadata.tables.get(f"{table.schema}.{name}" if table.schema else name)
    if existing is not None:
        return existing
    return Table(name, table.metadata, *columns)


def lock(connection: Connection, state: Table, table_name: str, owner_scope: str) -> None:
    """Take the write lock of ``table_name``'s schema for this transaction (see the module docstring)."""
    from sqlalchemy import update

    connection.execute(
        update(state)
        .where(state.c.table_name == table_name, state.c.scope == owner_scope)
        .values(updated_at=state.c.updated_at)
    )


class SnowflakeStagedUpsert:
    """The page upsert of one table on Snowflake (a ``base.PageUpsert``, like ``upsert.CompiledUpsert``)."""

    def __init__(self, table: Table, dialect: Any, raw: str) -> None:
        self.table = table
        self.raw = raw
        self.columns: tuple[str, ...] = tuple(column.key for column in table.columns)
        self.stage = build_stage(table, raw)
        preparer = dialect.identifier_preparer
        self.target = preparer.format_table(table)
        self.staged = preparer.format_table(self.stage)
        names = [preparer.quote(name) for name in self.columns]
        self.column_list = ", ".join(names)
        key = [column.name for column in table.primary_key.columns]
        on = " AND ".join(f"t.{preparer.quote(name)} = s.{preparer.quote(name)}" for name in key)
        sets = ", ".join(f"{preparer.quote(n)} = s.{preparer.quote(n)}" for n in self.columns if n not in key)
        source = ", ".join(
            f"PARSE_JSON({preparer.quote(n)}) AS {preparer.quote(n)}" if n == raw else preparer.quote(n)
            for n in self.columns
        )
        values = ", ".join(f"s.{name}" for name in names)
        self.merge_sql = (
            f"MERGE INTO {self.target} AS t USING (SELECT {source} FROM {self.staged}) AS s ON {on} "
            f"WHEN MATCHED THEN UPDATE SET {sets} "
            f"WHEN NOT MATCHED THEN INSERT ({self.column_list}) VALUES ({values})"
        )
        #: What runs: the same replacement as ``merge_sql`` as a delete of the staged keys and an insert of the
        #: staged rows (see the module docstring: fakesnow's MERGE commits the open transaction).
        self.replace_sql = (
            f"DELETE FROM {self.target} AS t USING {self.staged} AS s WHERE {on}",
            f"INSERT INTO {self.target} ({self.column_list}) SELECT {source} FROM {self.staged}",
        )
        self.clear_sql = f"DELETE FROM {self.staged}"
        if any(not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) for name in self.columns):  # pragma: no cover
            raise ValueError(f"unexpected column names in {table.name}")

    def insert_sql(self, rows: int) -> str:
        """A multi-row ``INSERT`` into the stage, pyformat binds ``%(r<row>_<column>)s``."""
        width = len(self.columns)
        tuples = ", ".join("(" + ", ".join(f"%(r{row}_{col})s" for col in range(width)) + ")" for row in range(rows))
        return f"INSERT INTO {self.staged} ({self.column_list}) VALUES {tuples}"

    def convert(self, column: str, value: Any) -> Any:
        """``value`` as the stage gets it: the raw record as JSON text, anything else as it is."""
        if column == self.raw and value is not None:
            return json.dumps(value, separators=(",", ":"))
        return value

    def converter(self, converted: Collection[str] = ()) -> Callable[[list[Any]], Any]:
        at = self.columns.index(self.raw)
        done = self.raw in converted

        def convert(row: list[Any]) -> tuple[Any, ...]:
            if not done and row[at] is not None:
                row[at] = json.dumps(row[at], separators=(",", ":"))
            return tuple(row)

        return convert

    def parameters(self, rows: Iterable[list[Any]]) -> list[Any]:
        return list(map(self.converter(), rows))

    def execute(self, connection: Connection, parameters: list[Any]) -> None:
        """Stage ``parameters`` (tuples in column order, one per key) and merge them, in the caller's
        transaction."""
        if not parameters:
            return
        connection.exec_driver_sql(self.clear_sql)
        for start in range(0, len(parameters), ROWS_PER_INSERT):
            chunk = parameters[start : start + ROWS_PER_INSERT]
            binds = {f"r{row}_{col}": value for row, values in enumerate(chunk) for col, value in enumerate(values)}
            connection.exec_driver_sql(self.insert_sql(len(chunk)), binds)
        for statement in self.replace_sql:
            connection.exec_driver_sql(statement)
        connection.exec_driver_sql(self.clear_sql)


def engine_from_connection(conn: Any) -> Any:
    """A SQLAlchemy engine for an Airflow connection of type ``snowflake``, built here when the Snowflake
    provider's hook is not installed (it pins SQLAlchemy below 2.1, which this provider's Airflow has).

    The fields are the provider's: login, password, schema, and the extras ``account``, ``database``,
    ``warehouse``, ``role`` (``extra__snowflake__`` prefixes accepted). The extras ``host`` and ``port``
    (the provider's hook passes both to the connector: a custom endpoint such as a private link or an
    emulator) and ``protocol`` (the connector's own argument, which the provider's hook does not pass:
    ``http`` for an emulator without TLS) reach the connector through ``connect_args``, since
    snowflake-sqlalchemy refuses ``host`` and ``protocol`` in the URL. Key-pair, OAuth and SSO
    authentication are not built here: install the provider for them, or use a password."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import URL

    from airflow_provider_snovio.api.errors import SnovioValidationError

    extra = conn.extra_dejson or {}

    def field(name: str) -> Any:
        return extra.get(name) or extra.get(f"extra__snowflake__{name}")

    account, database = field("account"), field("database")
    if not account:
        raise SnovioValidationError("sql_conn_id", "the snowflake connection has no extra 'account'")
    if not database:
        raise SnovioValidationError("sql_conn_id", "the snowflake connection has no extra 'database'")
    query = {name: str(field(name)) for name in ("warehouse", "role") if field(name)}
    url = URL.create(
        "snowflake",
        username=conn.login,
        password=conn.password,
        host=str(account),
        database=f"{database}/{conn.schema}" if conn.schema else str(database),
        query=query,
    )
    return create_engine(url, connect_args=endpoint_args(extra))


def endpoint_args(extra: dict[str, Any]) -> dict[str, str | int]:
    """The connector's ``host``, ``port`` (an integer) and ``protocol`` from a connection's extras, those set."""
    args: dict[str, str | int] = {}
    for name in ("host", "protocol"):
        if text := extra.get(name):
            args[name] = str(text)
    port = extra.get("port")
    if port is not None and port != "":
        try:
            args["port"] = int(port)
        except (TypeError, ValueError):
            from airflow_provider_snovio.api.errors import SnovioValidationError

            problem = "the snowflake connection's extra 'port' is not a number"
            raise SnovioValidationError("sql_conn_id", problem) from None
    return args


class SnowflakeDialect(WarehouseDialect):
    names = (NAME,)
    indexes = False  # Snowflake has no secondary indexes
    conn_types = ("snowflake",)

    def engine_of_connection(self, connection: Any) -> Engine | None:
        """Built here only when the Snowflake provider's hook is not installed (see :func:`engine_from_connection`)."""
        import importlib.util

        try:
            installed = importlib.util.find_spec("airflow.providers.snowflake.hooks.snowflake") is not None
        except ModuleNotFoundError:
            installed = False
        return None if installed else engine_from_connection(connection)

    def json_type(self) -> Any:
        return json_text_type()

    def raw_type(self) -> Any:
        return raw_type()

    def side_tables(self, table: Table, raw: str) -> list[Table]:
        """The page stage: DDL, which Snowflake commits at once, so never created inside a page's transaction."""
        return [build_stage(table, raw)]

    def page_upsert(self, table: Table, dialect: Any, raw: str) -> PageUpsert:
        return SnowflakeStagedUpsert(table, dialect, raw)

    @contextmanager
    def locked(self, engine: Engine, state: Table, table_name: str, scope: str) -> Iterator[Connection]:
        """The schema's write lock (:func:`lock`), except for table creation: DDL, committed at once anyway."""
        from airflow_provider_snovio.transfers.sync_state import OWNER_SCOPE

        with engine.begin() as connection:
            if scope != OWNER_SCOPE:
                lock(connection, state, table_name, OWNER_SCOPE)
            yield connection

    def asset_uri(self, url: Any, schema: str | None, table: str) -> str:
        """The Snowflake provider's form: ``snowflake://account/database/schema/table``."""
        database, _, default_schema = (url.database or "").partition("/")
        return f"snowflake://{url.host}/{database}/{schema or default_schema or 'PUBLIC'}/{table}"

    def lineage_dataset(self, url: Any, schema: str | None, table: str) -> tuple[str, str]:
        database, _, default_schema = (url.database or "").partition("/")
        return f"snowflake://{url.host}", f"{database}.{schema or default_schema or 'PUBLIC'}.{table}"


DIALECT = SnowflakeDialect()

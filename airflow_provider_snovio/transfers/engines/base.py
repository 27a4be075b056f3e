"""The small interface every warehouse engine implements (:class:`WarehouseDialect`), and the page writer
(:class:`PageUpsert`) it hands to the sync.

Why this shape: the sync loop and the resources (:mod:`..warehouse`, :mod:`..sync_state`) are the same on
every database; what differs is a short list - how the Airflow connection becomes a SQLAlchemy engine, the
column types that need the engine's own form, what a table needs besides itself, how a page's rows are
upserted, how a scope's write lock is taken, how the table is named as an asset and in OpenLineage. As in
common-sql's ``Dialect`` (one class per database holding its SQL differences, picked from the connection),
each engine module holds one subclass with exactly those answers, and :func:`..engines.dialect_of` picks
it from the SQLAlchemy dialect name. SQLAlchemy's own dialects (sqlite, postgresql, duckdb_engine, mysql,
snowflake-sqlalchemy) still compile every statement; the subclasses only say what SQLAlchemy cannot know.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection, Engine, Inspector


class PageUpsert(Protocol):
    """What writes a page's rows into one table, in the caller's transaction: ``upsert.CompiledUpsert``
    (an ``INSERT ... ON CONFLICT`` / ``ON DUPLICATE KEY`` engine) or an engine's own
    (``snowflake.SnowflakeStagedUpsert``)."""

    columns: tuple[str, ...]

    def convert(self, column: str, value: Any) -> Any: ...

    def converter(self, converted: Collection[str] = ()) -> Callable[[list[Any]], Any]: ...

    def parameters(self, rows: Iterable[list[Any]]) -> list[Any]: ...

    def execute(self, connection: Connection, parameters: list[Any]) -> None: ...


def lock_key(schema: str | None, table_name: str, scope: str) -> int:
    """A signed 64-bit key naming the write lock of (schema, table, scope), for the engines whose locks are
    named by a number (PostgreSQL's advisory locks) or a string derived from it (MySQL's ``GET_LOCK``)."""
    digest = hashlib.sha256(f"snovio-sync\0{schema or ''}\0{table_name}\0{scope}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class WarehouseDialect:
    """One warehouse engine's answers to what the engine-agnostic sync asks. Defaults are the plain
    SQLAlchemy answers; each engine module overrides what differs on it, and nothing else.

    - connection: :meth:`engine_of_connection` (None: the connection's common-sql hook builds the engine),
      :meth:`check` (refuse an engine the sync cannot keep exact, before anything is written);
    - types: :meth:`timestamp_type`, :meth:`key_text_type`, :meth:`json_type`, :meth:`raw_type` (None: the
      generic type; they become SQLAlchemy ``with_variant`` of one table definition), :attr:`table_options`,
      :attr:`indexes`;
    - tables: :meth:`inspector`, :meth:`side_tables` (created and migrated with each synced table);
    - writing: :meth:`page_upsert`, and :meth:`locked` (the state is read and stored in that transaction);
    - naming: :meth:`asset_uri`, :meth:`lineage_dataset`.
    """

    #: SQLAlchemy's dialect names of this engine.
    names: ClassVar[tuple[str, ...]] = ()
    #: Whether tables get the index on ``_snovio_synced_at`` (engines without secondary indexes: False).
    indexes: ClassVar[bool] = True
    #: Keyword options of every synced and state table (SQLAlchemy's ``<dialect>_<option>`` form).
    table_options: ClassVar[dict[str, Any]] = {}
    #: Airflow connection types whose engine this module builds (see :meth:`engine_of_connection`).
    conn_types: ClassVar[tuple[str, ...]] = ()

    # --- connection --------------------------------------------------------------------------------

    def engine_of_connection(self, connection: Any) -> Engine | None:
        """The SQLAlchemy engine of an Airflow connection of one of :attr:`conn_types`, when no installed
        common-sql hook builds it; None leaves it to the connection's hook."""
        return None

    def check(self, engine: Engine) -> None:
        """Raise ``SnovioConfigError`` if the sync cannot be exact on ``engine`` (nothing is written)."""

    # --- types ---------------------------------------------------------------------------------------

    def timestamp_type(self) -> Any:
        """A UTC timestamp column (None: ``DateTime(timezone=True)``)."""
        return None

    def key_text_type(self, text_keys: int) -> Any:
        """A text column of a primary key of ``text_keys`` text columns (None: ``Text``)."""
        return None

    def json_type(self) -> Any:
        """A JSON column (the state table's ``tail``; None: SQLAlchemy's ``JSON``)."""
        return None

    def raw_type(self) -> Any:
        """The ``_snovio_raw`` column (None: :meth:`json_type`)."""
        return self.json_type()

    # --- tables --------------------------------------------------------------------------------------

    def inspector(self, connection: Connection) -> Inspector | Any:
        """What answers ``has_table``, ``get_table_names``, ``get_columns``, ``get_indexes`` and
        ``get_pk_constraint`` here (SQLAlchemy's inspector unless the engine's reflection falls short)."""
        from sqlalchemy import inspect

        return inspect(connection)

    def side_tables(self, table: Table, raw: str) -> list[Table]:
        """Tables the writes of ``table`` need besides it (created or migrated with it, outside a page's
        transaction)."""
        return []

    # --- writing -------------------------------------------------------------------------------------

    def page_upsert(self, table: Table, dialect: Any, raw: str) -> PageUpsert:  # pragma: no cover
        """How a page's rows go into ``table`` (``dialect``: the engine's SQLAlchemy dialect)."""
        raise NotImplementedError

    def locked(self, engine: Engine, state: Table, table_name: str, scope: str) -> AbstractContextManager[Connection]:
        """One transaction holding the write lock of (``table_name``, ``scope``) - committed on exit,
        rolled back on error. ``state``: the state table (an engine may lock through it)."""
        return _begin(engine)

    # --- naming --------------------------------------------------------------------------------------

    def asset_uri(self, url: Any, schema: str | None, table: str) -> str:
        """The Airflow asset URI of ``table``, as the engine's SQL provider names it."""
        return f"{self.names[0]}://{_file_path(url)}/{f'{schema}.' if schema else ''}{table}"

    def lineage_dataset(self, url: Any, schema: str | None, table: str) -> tuple[str, str]:
        """The OpenLineage ``(namespace, name)`` of ``table``."""
        return f"{self.names[0]}://{_file_path(url)}", f"{schema}.{table}" if schema else table


@contextmanager
def _begin(engine: Engine) -> Iterator[Connection]:
    with engine.begin() as connection:
        yield connection


def _file_path(url: Any) -> str:
    """The absolute path of a file database's URL (``:memory:`` as it is)."""
    database = url.database or ":memory:"
    return database if database == ":memory:" else os.path.abspath(database)

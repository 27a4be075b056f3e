"""One module per warehouse engine beyond SQLite and PostgreSQL (which live in :mod:`..warehouse`).

Each module holds what differs on its engine: the upsert construct and how a batch is sent, the column types
that need the engine's own form, the per-scope write lock, and (where no Airflow hook builds it) the
SQLAlchemy engine of the Airflow connection. DuckDB and MySQL / MariaDB have a real upsert and fit
:class:`~..warehouse.UpsertDialect`; an engine without ``INSERT ... ON CONFLICT`` and advisory locks
(Snowflake, Redshift, BigQuery) writes a page through a staging table instead, behind :class:`PageUpsert`.
The sync loop and the resources know none of it; :mod:`..warehouse` and :mod:`..sync_state` pick the module
from the engine's dialect name.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from sqlalchemy.engine import Connection


class PageUpsert(Protocol):
    """What writes a page's rows into one table: ``warehouse.CompiledUpsert`` (SQLite, PostgreSQL) or an
    engine's own (``snowflake.SnowflakeStagedUpsert``)."""

    columns: tuple[str, ...]

    def convert(self, column: str, value: Any) -> Any: ...

    def converter(self, converted: Collection[str] = ()) -> Callable[[list[Any]], Any]: ...

    def parameters(self, rows: Iterable[list[Any]]) -> list[Any]: ...

    def execute(self, connection: Connection, parameters: list[Any]) -> None: ...

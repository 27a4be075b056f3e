"""One module per warehouse engine beyond SQLite and PostgreSQL (whose SQL is in :mod:`..warehouse`).

Why modules of their own: an engine without ``INSERT ... ON CONFLICT`` and advisory locks (Snowflake,
Redshift, BigQuery) writes a page differently - a staging table and ``MERGE`` - and locks differently, and
that knowledge stays in its module. Each module offers the same small interface, used by
:class:`~airflow_provider_snovio.transfers.warehouse.Warehouse` and :mod:`..sync_state` where the engine's
SQLAlchemy dialect name selects it: the raw column's type (``raw_type``), the page upsert (an object with
the ``CompiledUpsert`` methods ``columns``, ``convert``, ``converter``, ``parameters``, ``execute``) and the
scope lock (``lock``). The sync loop and the resources know nothing of engines.
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

"""One module per warehouse engine, each holding one :class:`~.base.WarehouseDialect` (``DIALECT``) with what
differs on it: the upsert and how a batch is sent (:mod:`.upsert` for the ``ON CONFLICT`` family, a staging
table on Snowflake), the column types that need the engine's own form, the per-scope write lock, how the
Airflow connection becomes an engine where no Airflow hook builds it, and how the table is named as an
asset. The sync loop and the resources (:mod:`..warehouse`, :mod:`..sync_state`) know none of it: they ask
:func:`dialect_of` for the engine's answers.

Modules are imported when their engine is first used (a DAG file importing the operator loads none of them).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from airflow_provider_snovio.api.errors import SnovioConfigError

if TYPE_CHECKING:
    from airflow_provider_snovio.transfers.engines.base import WarehouseDialect

#: SQLAlchemy dialect name -> the engine module answering for it.
MODULES: dict[str, str] = {
    "sqlite": "sqlite",
    "postgresql": "postgres",
    "duckdb": "duckdb",
    "mysql": "mysql",
    "mariadb": "mysql",
    "snowflake": "snowflake",
    "redshift": "redshift",
    "bigquery": "bigquery",
}
#: Engines recognised and refused (their SQL is generated, not yet run): not listed as supported.
REFUSED = ("redshift", "bigquery")
#: Airflow connection type -> the engine module that may build its engine (others: the connection's hook).
CONN_TYPES: dict[str, str] = {"duckdb": "duckdb", "snowflake": "snowflake"}


def _load(module: str) -> WarehouseDialect:
    found: WarehouseDialect = importlib.import_module(f"{__name__}.{module}").DIALECT
    return found


def dialect_of(name: str) -> WarehouseDialect:
    """The engine of a SQLAlchemy dialect name; an unknown one is refused naming those supported."""
    module = MODULES.get(name)
    if module is None:
        supported = ", ".join(known for known in MODULES if known not in REFUSED)
        raise SnovioConfigError(
            f"SQL dialect {name!r} is not supported for the warehouse sync (supported: {supported}): "
            "an exact sync needs a real upsert"
        )
    return _load(module)


def all_dialects() -> list[WarehouseDialect]:
    """Every engine, once each (for the column types, which carry each engine's variant)."""
    return [_load(module) for module in dict.fromkeys(MODULES.values())]


def of_conn_type(conn_type: str) -> WarehouseDialect | None:
    """The engine that may build the SQLAlchemy engine of an Airflow connection of ``conn_type``."""
    module = CONN_TYPES.get(conn_type)
    return _load(module) if module is not None else None

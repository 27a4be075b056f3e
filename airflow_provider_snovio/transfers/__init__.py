"""Transfers: Snov.io campaign data into SQL warehouses and object storage.

``from airflow_provider_snovio.transfers import SnovioToSqlOperator, SnovioToObjectStorageOperator``.
Imported on first access, so a DAG file importing this package loads neither SQLAlchemy nor the other
operator at parse time.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from airflow_provider_snovio._lazy import lazy_exports

if TYPE_CHECKING:  # the lazy names, visible to type checkers and IDEs (tests/unit/test_lazy_exports.py)
    from airflow_provider_snovio.transfers.object_storage import SnovioToObjectStorageOperator
    from airflow_provider_snovio.transfers.sql import SnovioToSqlOperator, sql_table_asset

#: Public name -> module (under this package) that defines it.
_EXPORTS: dict[str, str] = {
    "SnovioToSqlOperator": "sql",
    "sql_table_asset": "sql",
    "SnovioToObjectStorageOperator": "object_storage",
}

__all__ = sorted(_EXPORTS)


__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS, globals())

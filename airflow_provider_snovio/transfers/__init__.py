"""Transfers: Snov.io campaign data into SQL warehouses and object storage.

``from airflow_provider_snovio.transfers import SnovioToSqlOperator, SnovioToObjectStorageOperator``.
Imported on first access, so a DAG file importing this package loads neither SQLAlchemy nor the other
operator at parse time.
"""

from __future__ import annotations

import importlib
from typing import Any

#: Public name -> module (under this package) that defines it.
_EXPORTS: dict[str, str] = {
    "SnovioToSqlOperator": "sql",
    "sql_table_asset": "sql",
    "SnovioToObjectStorageOperator": "object_storage",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_EXPORTS])

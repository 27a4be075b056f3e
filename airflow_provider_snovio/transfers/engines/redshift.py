"""Redshift: the SQL a Redshift warehouse needs - generated and unit-tested, NOT yet run by the sync.

Why a module of its own: Redshift speaks PostgreSQL's protocol (a ``postgres`` connection reaches it) but
has no ``JSONB``, no ``INSERT ... ON CONFLICT``, no advisory locks and no secondary indexes, and its
``TEXT`` is ``VARCHAR(256)``. This module writes the statements a page needs there: the table with typed
columns and a ``SUPER`` raw column, a stage, ``MERGE`` of the stage on the natural key (the raw record
parsed by ``JSON_PARSE``), the state table's lock (``LOCK``). No Redshift (and no emulator) is available to
test them, so :class:`~airflow_provider_snovio.transfers.warehouse.Warehouse` detects Redshift
(:func:`is_redshift`) and refuses it with :data:`REFUSAL` rather than run untested SQL.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api.errors import SnovioConfigError
from airflow_provider_snovio.transfers.engines.base import WarehouseDialect

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Engine

#: The SQLAlchemy dialect name of sqlalchemy-redshift / the Amazon provider's Redshift connections.
NAME = "redshift"
#: Redshift's largest VARCHAR (bytes): the stage's raw column, and every text column.
MAX_VARCHAR = 65535
REFUSAL = (
    "Amazon Redshift is not supported by the warehouse sync yet: it has no JSONB, no INSERT ... ON CONFLICT "
    "and no advisory lock; the SUPER/MERGE SQL it needs is generated (airflow_provider_snovio.transfers."
    "engines.redshift) but has not been run against Redshift"
)


def is_redshift(version: str) -> bool:
    """Whether ``SELECT version()`` answered by a server is Redshift's (it names itself there)."""
    return "redshift" in version.lower()


def column_type(column: Any, raw: str) -> str:
    """The Redshift type of one column of a warehouse table."""
    from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Double, Text

    if column.name == raw:
        return "SUPER"
    kind = column.type
    if isinstance(kind, BigInteger):
        return "BIGINT"
    if isinstance(kind, Double):
        return "DOUBLE PRECISION"
    if isinstance(kind, DateTime):
        return "TIMESTAMPTZ" if kind.timezone else "TIMESTAMP"
    if isinstance(kind, Boolean):
        return "BOOLEAN"
    if isinstance(kind, Date):
        return "DATE"
    if isinstance(kind, (Text, JSON)):
        return f"VARCHAR({MAX_VARCHAR})"
    raise SnovioConfigError(f"column {column.name} of {column.table.name}: no Redshift type for {kind!r}")


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _qualified(schema: str | None, name: str) -> str:
    return f"{_quote(schema)}.{_quote(name)}" if schema else _quote(name)


def create_table_sql(table: Table, raw: str) -> str:
    """``CREATE TABLE IF NOT EXISTS`` with Redshift types; the primary key is declared (Redshift does not
    enforce it: the ``MERGE`` keeps one row per key)."""
    columns = [f"{_quote(c.name)} {column_type(c, raw)}{' NOT NULL' if not c.nullable else ''}" for c in table.columns]
    key = ", ".join(_quote(c.name) for c in table.primary_key.columns)
    body = ",\n  ".join([*columns, f"PRIMARY KEY ({key})"])
    return f"CREATE TABLE IF NOT EXISTS {_qualified(table.schema, table.name)} (\n  {body}\n)"


def create_stage_sql(table: Table, raw: str) -> str:
    """The stage: the same columns, the raw record as JSON text (``VARCHAR``), no key."""
    columns = [
        f"{_quote(c.name)} {f'VARCHAR({MAX_VARCHAR})' if c.name == raw else column_type(c, raw)}" for c in table.columns
    ]
    name = _qualified(table.schema, f"{table.name}_snovio_stage")
    return f"CREATE TABLE IF NOT EXISTS {name} ({', '.join(columns)})"


def merge_sql(table: Table, raw: str) -> str:
    """``MERGE`` of the stage into the table on the natural key (Redshift's ``MERGE`` takes a table as its
    source, so ``JSON_PARSE`` is applied in the ``SET`` and ``VALUES`` expressions)."""
    target = _qualified(table.schema, table.name)
    stage = _qualified(table.schema, f"{table.name}_snovio_stage")
    key = [c.name for c in table.primary_key.columns]
    names = [c.name for c in table.columns]

    def value(name: str) -> str:
        return f"JSON_PARSE(s.{_quote(name)})" if name == raw else f"s.{_quote(name)}"

    on = " AND ".join(f"{target}.{_quote(name)} = s.{_quote(name)}" for name in key)
    sets = ", ".join(f"{_quote(name)} = {value(name)}" for name in names if name not in key)
    return (
        f"MERGE INTO {target} USING {stage} AS s ON {on} "
        f"WHEN MATCHED THEN UPDATE SET {sets} "
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(map(_quote, names))}) VALUES ({', '.join(map(value, names))})"
    )


def lock_sql(schema: str | None, state_table: str) -> str:
    """The write lock of a page's transaction: ``LOCK`` of the state table (no advisory locks on Redshift)."""
    return f"LOCK {_qualified(schema, state_table)}"


def check_raw(table: Table, key: tuple[Any, ...], raw_json: str) -> None:
    """A record too large for the stage's ``VARCHAR`` is refused naming its key (not truncated)."""
    size = len(raw_json.encode())
    if size > MAX_VARCHAR:
        raise SnovioConfigError(
            f"{table.name} {key}: the record is {size} bytes of JSON, more than Redshift's VARCHAR({MAX_VARCHAR}) "
            "stage column holds"
        )


class RedshiftDialect(WarehouseDialect):
    """Recognised, and refused before anything is written: the SQL above is generated but not yet run."""

    names = (NAME,)

    def check(self, engine: Engine) -> None:
        raise SnovioConfigError(REFUSAL)


DIALECT = RedshiftDialect()

"""BigQuery: the load job and SQL a BigQuery warehouse needs - generated and unit-tested, NOT yet run.

Why a module of its own: BigQuery has no row-by-row upsert worth the name (DML quotas, no ``ON CONFLICT``)
and no locks. A page goes as a load job (newline-delimited JSON, ``WRITE_TRUNCATE``) into a staging table
of the same dataset, then one multi-statement transaction ``MERGE``s the stage into the table (the raw
record a ``JSON`` column, ``PARSE_JSON``) and replaces the scope's state row in the dataset's
``snovio_sync_state``. The one emulator on PyPI (bqemulator 1.4.0) conflicts with this environment
(FastAPI, sqlglot), so nothing here is run: :class:`~airflow_provider_snovio.transfers.warehouse.Warehouse`
refuses the ``bigquery`` dialect with :data:`REFUSAL`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api.errors import SnovioConfigError
from airflow_provider_snovio.transfers.engines.base import WarehouseDialect

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Engine

#: The SQLAlchemy dialect name of sqlalchemy-bigquery.
NAME = "bigquery"
REFUSAL = (
    "Google BigQuery is not supported by the warehouse sync yet: the load job and MERGE it needs are "
    "generated (airflow_provider_snovio.transfers.engines.bigquery) but have not been run against BigQuery"
)


def column_type(column: Any, raw: str, *, staged: bool = False) -> str:
    """The BigQuery (standard SQL) type of a column; ``staged``: the raw record as ``STRING`` JSON text."""
    from sqlalchemy import JSON, BigInteger, Boolean, Date, DateTime, Double, Text

    if column.name == raw:
        return "STRING" if staged else "JSON"
    kind = column.type
    for sql_type, name in (
        (BigInteger, "INT64"),
        (Double, "FLOAT64"),
        (DateTime, "TIMESTAMP"),
        (Boolean, "BOOL"),
        (Date, "DATE"),
        ((Text, JSON), "STRING"),
    ):
        if isinstance(kind, sql_type):
            return name
    raise SnovioConfigError(f"column {column.name} of {column.table.name}: no BigQuery type for {kind!r}")


def _table_id(project: str, dataset: str, name: str) -> str:
    return f"`{project}.{dataset}.{name}`"


def stage_name(table_name: str) -> str:
    return f"{table_name}_snovio_stage"


def create_table_sql(table: Table, raw: str, project: str, dataset: str) -> str:
    """``CREATE TABLE IF NOT EXISTS`` with a ``JSON`` raw column and an unenforced primary key."""
    columns = [f"{c.name} {column_type(c, raw)}{' NOT NULL' if not c.nullable else ''}" for c in table.columns]
    key = ", ".join(c.name for c in table.primary_key.columns)
    body = ",\n  ".join([*columns, f"PRIMARY KEY ({key}) NOT ENFORCED"])
    return f"CREATE TABLE IF NOT EXISTS {_table_id(project, dataset, table.name)} (\n  {body}\n)"


def load_job_config(table: Table, raw: str, project: str, dataset: str) -> dict[str, Any]:
    """The ``configuration`` of the load job that stages one page (BigQuery REST ``jobs.insert`` form):
    newline-delimited JSON, the stage replaced by each page (``WRITE_TRUNCATE``), an explicit schema."""
    fields = [
        {
            "name": c.name,
            "type": column_type(c, raw, staged=True)
            .replace("INT64", "INTEGER")
            .replace("FLOAT64", "FLOAT")
            .replace("BOOL", "BOOLEAN"),
            "mode": "NULLABLE",
        }
        for c in table.columns
    ]
    return {
        "load": {
            "destinationTable": {"projectId": project, "datasetId": dataset, "tableId": stage_name(table.name)},
            "sourceFormat": "NEWLINE_DELIMITED_JSON",
            "writeDisposition": "WRITE_TRUNCATE",
            "createDisposition": "CREATE_IF_NEEDED",
            "schema": {"fields": fields},
        }
    }


def page_script(table: Table, raw: str, project: str, dataset: str, state_table: str) -> str:
    """One multi-statement transaction: ``MERGE`` the stage into the table on the natural key, then replace
    the scope's state row (``@scope``, ``@resource``, ``@position``, ``@tail``, ``@updated_at``, ``@row_count``
    are query parameters). Committed together or not at all."""
    target = _table_id(project, dataset, table.name)
    stage = _table_id(project, dataset, stage_name(table.name))
    state = _table_id(project, dataset, state_table)
    key = [c.name for c in table.primary_key.columns]
    names = [c.name for c in table.columns]
    source = ", ".join(f"PARSE_JSON({n}) AS {n}" if n == raw else n for n in names)
    on = " AND ".join(f"t.{n} = s.{n}" for n in key)
    sets = ", ".join(f"{n} = s.{n}" for n in names if n not in key)
    merge = (
        f"MERGE {target} AS t USING (SELECT {source} FROM {stage}) AS s ON {on} "
        f"WHEN MATCHED THEN UPDATE SET {sets} "
        f"WHEN NOT MATCHED THEN INSERT ({', '.join(names)}) VALUES ({', '.join(f's.{n}' for n in names)})"
    )
    return (
        ";\n".join(
            [
                "BEGIN TRANSACTION",
                merge,
                f"DELETE FROM {state} WHERE table_name = '{table.name}' AND scope = @scope",
                f"INSERT INTO {state} (table_name, scope, resource, position, tail, updated_at, row_count) "
                f"VALUES ('{table.name}', @scope, @resource, @position, PARSE_JSON(@tail), @updated_at, @row_count)",
                "COMMIT TRANSACTION",
            ]
        )
        + ";"
    )


class BigqueryDialect(WarehouseDialect):
    """Recognised, and refused before anything is written: the SQL above is generated but not yet run."""

    names = (NAME,)

    def check(self, engine: Engine) -> None:
        raise SnovioConfigError(REFUSAL)


DIALECT = BigqueryDialect()

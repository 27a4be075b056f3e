"""Item 3: rows/s loading 100,000 replies through the transfer's load path, over a plain bulk load.

The 100,000 replies of the sandbox's big campaign are read once (ten offset pages) and cut into the
pages a sync writes. Then, into the same database (each of :data:`DATABASES`: a SQLite file, private
PostgreSQL 15 and MariaDB servers, a DuckDB file, fakesnow in-process):

* transfer: :meth:`Warehouse.write_page` per page of 10,000, as :func:`transfers.warehouse.sync` calls it
  - record parsing into typed columns, the ``raw`` JSON, the upsert and the stored position, one
  transaction per page;
* plain: DB-API ``cursor.executemany`` of a plain ``INSERT`` of the very same rows (typed and serialised
  before the clock starts), into an identical table (same columns and primary key), one commit per page
  (DuckDB, whose ``executemany`` runs row by row: ``INSERT ... SELECT`` from an Arrow table per page).

Both start from an empty table; the figure is transfer rows/s / plain rows/s. Each load runs
:data:`REPEATS` times, alternating plain and transfer, each time into new tables, and the fastest run of
each counts: the two cores are shared, and one load slowed by another process would move the ratio by
itself. The detail also gives the ratio had the plain load been timed with the preparation of its rows
(parsing, JSON).

Snowflake runs on fakesnow (Snowflake SQL translated by sqlglot and run by DuckDB, in-process), whose
translation of every statement costs far more than the database's work: a bounded
:data:`SNOWFLAKE_ROWS` rows in pages of :data:`SNOWFLAKE_PAGE`. Its plain load is the multi-row
``INSERT ... VALUES`` the Snowflake connector rewrites an ``executemany`` of an ``INSERT`` to, in statements
of :data:`ROWS_PER_INSERT` rows like the transfer's stage inserts (fakesnow's own ``executemany`` runs one
statement per row, about 3x slower here; ``write_pandas`` needs pandas, which is not installed). The
figure compares the transfer's staging (stage, ``DELETE ... USING``, ``INSERT ... SELECT``, state) with that
load on the emulator: it says nothing of a real Snowflake's speed.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

from bench.results import Result

ROWS = 100_000
PAGE = 10_000
#: Runs of each load per database (the fastest counts).
REPEATS = 2
#: The rows, rows per page, and rows per multi-row INSERT of the Snowflake (fakesnow) line.
SNOWFLAKE_ROWS = 2_000
SNOWFLAKE_PAGE = 1_000
ROWS_PER_INSERT = 500


def fetch_replies(client: Any, campaign_id: int) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for offset in range(0, ROWS, PAGE):
        records.extend(client.get_campaign_replies(campaign_id, offset=offset))
    if len(records) != ROWS:
        raise RuntimeError(f"the sandbox served {len(records)} replies, expected {ROWS}")
    return records


def transfer_rows_per_second(
    engine: Any, records: list[dict[str, Any]], campaign_id: int, name: str = "bench_transfer", page: int = PAGE
) -> float:
    from airflow_provider_snovio.api.incremental import Page, Position
    from airflow_provider_snovio.api.resources import RESOURCES
    from airflow_provider_snovio.transfers.warehouse import Warehouse

    resource = RESOURCES["campaign_replies"]
    warehouse = Warehouse(engine)
    table = warehouse.table(resource, name)
    scope = {"campaign_id": campaign_id}
    pages = []
    for start in range(0, len(records), page):
        chunk = records[start : start + page]
        tail = tuple(resource.key_of(record) for record in chunk[-20:])
        pages.append(Page(chunk, len(chunk), Position(start + len(chunk), tail)))
    synced_at = datetime.now(timezone.utc)
    started = time.perf_counter()
    written = sum(warehouse.write_page(table, resource, scope, page, synced_at)[0] for page in pages)
    elapsed = time.perf_counter() - started
    if written != len(records):
        raise RuntimeError(f"the transfer wrote {written} rows, expected {len(records)}")
    return written / elapsed


def plain_rows_per_second(
    engine: Any, records: list[dict[str, Any]], campaign_id: int, name: str = "bench_plain", page: int = PAGE
) -> tuple[float, float]:
    """Rows/s of the plain load, and rows/s had the preparation of the rows (typing, JSON) been timed too."""
    from sqlalchemy import MetaData

    from airflow_provider_snovio.api.resources import RESOURCES
    from airflow_provider_snovio.transfers.warehouse import build_table

    resource = RESOURCES["campaign_replies"]
    table = build_table(resource, name, MetaData())
    if engine.dialect.name == "snowflake":
        table.indexes.clear()  # Snowflake has no indexes (the transfer's tables have none there either)
    table.create(engine)
    sqlite = engine.dialect.name == "sqlite"
    synced_at = datetime.now(timezone.utc)

    def plain(value: Any) -> Any:
        return value.isoformat(" ") if sqlite and isinstance(value, datetime) else value

    scope = {"campaign_id": campaign_id}
    prepared = time.perf_counter()
    rows = [
        (*(plain(v) for v in resource.row(record, scope).values()), json.dumps(record), plain(synced_at), None)
        for record in records
    ]
    preparing = time.perf_counter() - prepared
    quote = engine.dialect.identifier_preparer.quote
    marker = "?" if engine.dialect.paramstyle == "qmark" else "%s"
    statement = (
        f"INSERT INTO {quote(table.name)} ({', '.join(quote(c.name) for c in table.columns)}) "
        f"VALUES ({', '.join([marker] * len(table.columns))})"
    )
    if engine.dialect.name == "duckdb":  # DuckDB's plain bulk load: an Arrow table per page (executemany is per row)
        return _duckdb_plain(engine, table, rows, preparing)
    if engine.dialect.name == "snowflake":
        return _snowflake_plain(engine, table, rows, preparing, page)
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        started = time.perf_counter()
        for start in range(0, len(rows), page):
            cursor.executemany(statement, rows[start : start + page])
            connection.commit()
        elapsed = time.perf_counter() - started
        cursor.close()
    finally:
        connection.close()
    return len(rows) / elapsed, len(rows) / (elapsed + preparing)


def _duckdb_plain(engine: Any, table: Any, rows: list[tuple[Any, ...]], preparing: float) -> tuple[float, float]:
    """``INSERT INTO <table> SELECT * FROM <arrow page>`` per page, committed per page."""
    import pyarrow

    names = [column.name for column in table.columns]
    connection = engine.raw_connection()
    try:
        raw = connection.driver_connection
        started = time.perf_counter()
        for start in range(0, len(rows), PAGE):
            page = rows[start : start + PAGE]
            batch = pyarrow.table({name: [row[i] for row in page] for i, name in enumerate(names)})
            raw.register("bench_page", batch)
            raw.execute(f"INSERT INTO {table.name} SELECT * FROM bench_page").fetchall()
            raw.unregister("bench_page")
            connection.commit()
        elapsed = time.perf_counter() - started
    finally:
        connection.close()
    return len(rows) / elapsed, len(rows) / (elapsed + preparing)


def _snowflake_plain(
    engine: Any, table: Any, rows: list[tuple[Any, ...]], preparing: float, page: int
) -> tuple[float, float]:
    """Multi-row ``INSERT ... VALUES`` of :data:`ROWS_PER_INSERT` rows (``pyformat`` binds, as the connector's
    ``executemany`` rewrites an ``INSERT``), committed per page. The raw record goes as JSON text into the
    ``VARIANT`` column (fakesnow parses it, as the transfer's ``PARSE_JSON`` does)."""
    columns = ", ".join(column.name for column in table.columns)
    row = "(" + ", ".join(["%s"] * len(table.columns)) + ")"

    def insert(count: int) -> str:
        return f"INSERT INTO {table.name} ({columns}) VALUES " + ", ".join([row] * count)

    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        started = time.perf_counter()
        for start in range(0, len(rows), page):
            for at in range(start, min(start + page, len(rows)), ROWS_PER_INSERT):
                chunk = rows[at : min(at + ROWS_PER_INSERT, start + page, len(rows))]
                cursor.execute(insert(len(chunk)), [value for row in chunk for value in row])
            connection.commit()
        elapsed = time.perf_counter() - started
        cursor.execute(f"SELECT COUNT(*) FROM {table.name}")
        stored = cursor.fetchone()[0]
        cursor.close()
    finally:
        connection.close()
    if stored != len(rows):
        raise RuntimeError(f"the plain load stored {stored} rows, expected {len(rows)}")
    return len(rows) / elapsed, len(rows) / (elapsed + preparing)


def plain_kind(dialect: str) -> str:
    if dialect == "duckdb":
        return "Arrow insert"
    if dialect == "snowflake":
        return f"multi-row INSERT of {ROWS_PER_INSERT}"
    return "executemany"


#: The databases of item 3, in the order measured: label -> SQLAlchemy dialect name.
DATABASES = {
    "SQLite": "sqlite",
    "PostgreSQL": "postgresql",
    "DuckDB": "duckdb",
    "MariaDB": "mysql",
    "Snowflake": "snowflake",
}


def line_name(label: str, dialect: str) -> str:
    """The line of ``label`` (also the line reported as not measured when the family fails)."""
    if dialect == "snowflake":
        return (
            f"3. rows/s loading {SNOWFLAKE_ROWS:,} replies, transfer / plain {plain_kind(dialect)}, {label} "
            "(fakesnow: fewer rows, its SQL translation is slow)"
        )
    return f"3. rows/s loading {ROWS:,} replies, transfer / plain {plain_kind(dialect)}, {label}"


def measure(records: list[dict[str, Any]], campaign_id: int, engines: dict[str, Any]) -> list[Result]:
    """One line per database: ``engines`` maps a label ("SQLite", "PostgreSQL") to an empty database's engine."""
    out = []
    for label, engine in engines.items():
        snowflake = engine.dialect.name == "snowflake"
        rows, page = (SNOWFLAKE_ROWS, SNOWFLAKE_PAGE) if snowflake else (ROWS, PAGE)
        loaded = records[:rows]
        plains, transfers = [], []
        for run in range(REPEATS):
            plains.append(plain_rows_per_second(engine, loaded, campaign_id, f"bench_plain_{run}", page))
            transfers.append(transfer_rows_per_second(engine, loaded, campaign_id, f"bench_transfer_{run}", page))
        plain, plain_with_preparing = max(plains)
        transfer = max(transfers)
        share = transfer / plain
        where = "fakesnow, " if snowflake else ""
        out.append(
            Result(
                line_name(label, engine.dialect.name),
                round(share, 4),
                ">= 0.5",
                "ratio",
                share >= 0.5,
                f"transfer {transfer:,.0f} rows/s, plain {plain_kind(engine.dialect.name)} {plain:,.0f} rows/s "
                f"({where}{engine.dialect.name}+{engine.dialect.driver}, pages of {page:,}, fastest of {REPEATS}: "
                f"transfer {', '.join(f'{t:,.0f}' for t in transfers)}, plain "
                f"{', '.join(f'{p:,.0f}' for p, _ in plains)}); counting the typing and JSON of the rows in the "
                f"plain load too: {plain_with_preparing:,.0f} rows/s, ratio {transfer / plain_with_preparing:.2f}",
            )
        )
    return out

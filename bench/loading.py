"""Item 3: rows/s loading 100,000 replies through the transfer's load path, over plain ``executemany``.

The 100,000 replies of the sandbox's big campaign are read once (ten offset pages) and cut into the
pages a sync writes. Then, into the same database (a SQLite file; a private PostgreSQL 15 server):

* transfer: :meth:`Warehouse.write_page` per page of 10,000, as :func:`transfers.warehouse.sync` calls it
  - record parsing into typed columns, the ``raw`` JSON, the upsert and the stored position, one
  transaction per page;
* plain: DB-API ``cursor.executemany`` of a plain ``INSERT`` of the very same rows (typed and serialised
  before the clock starts), into an identical table (same columns and primary key), one commit per page.

Both start from an empty table; the figure is transfer rows/s / plain rows/s. The detail also gives the
ratio had the plain load been timed with the preparation of its rows (parsing, JSON).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Any

from bench.results import Result

ROWS = 100_000
PAGE = 10_000


def fetch_replies(client: Any, campaign_id: int) -> list[dict[str, Any]]:
    records: list[dict[str, Any]] = []
    for offset in range(0, ROWS, PAGE):
        records.extend(client.get_campaign_replies(campaign_id, offset=offset))
    if len(records) != ROWS:
        raise RuntimeError(f"the sandbox served {len(records)} replies, expected {ROWS}")
    return records


def transfer_rows_per_second(engine: Any, records: list[dict[str, Any]], campaign_id: int) -> float:
    from airflow_provider_snovio.api.incremental import Page, Position
    from airflow_provider_snovio.api.resources import RESOURCES
    from airflow_provider_snovio.transfers.warehouse import Warehouse

    resource = RESOURCES["campaign_replies"]
    warehouse = Warehouse(engine)
    table = warehouse.table(resource, "bench_transfer")
    scope = {"campaign_id": campaign_id}
    pages = []
    for start in range(0, len(records), PAGE):
        chunk = records[start : start + PAGE]
        tail = tuple(resource.key_of(record) for record in chunk[-20:])
        pages.append(Page(chunk, len(chunk), Position(start + len(chunk), tail)))
    synced_at = datetime.now(timezone.utc)
    started = time.perf_counter()
    written = sum(warehouse.write_page(table, resource, scope, page, synced_at)[0] for page in pages)
    elapsed = time.perf_counter() - started
    if written != len(records):
        raise RuntimeError(f"the transfer wrote {written} rows, expected {len(records)}")
    return written / elapsed


def plain_rows_per_second(engine: Any, records: list[dict[str, Any]], campaign_id: int) -> tuple[float, float]:
    """Rows/s of the plain load, and rows/s had the preparation of the rows (typing, JSON) been timed too."""
    from sqlalchemy import MetaData

    from airflow_provider_snovio.api.resources import RESOURCES
    from airflow_provider_snovio.transfers.warehouse import build_table

    resource = RESOURCES["campaign_replies"]
    table = build_table(resource, "bench_plain", MetaData())
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
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        started = time.perf_counter()
        for start in range(0, len(rows), PAGE):
            cursor.executemany(statement, rows[start : start + PAGE])
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


def plain_kind(engine: Any) -> str:
    return "Arrow insert" if engine.dialect.name == "duckdb" else "executemany"


def measure(records: list[dict[str, Any]], campaign_id: int, engines: dict[str, Any]) -> list[Result]:
    """One line per database: ``engines`` maps a label ("SQLite", "PostgreSQL") to an empty database's engine."""
    out = []
    for label, engine in engines.items():
        plain, plain_with_preparing = plain_rows_per_second(engine, records, campaign_id)
        transfer = transfer_rows_per_second(engine, records, campaign_id)
        share = transfer / plain
        out.append(
            Result(
                f"3. rows/s loading 100,000 replies, transfer / plain {plain_kind(engine)}, {label}",
                round(share, 4),
                ">= 0.5",
                "ratio",
                share >= 0.5,
                f"transfer {transfer:,.0f} rows/s, plain {plain_kind(engine)} {plain:,.0f} rows/s "
                f"({engine.dialect.name}+{engine.dialect.driver}, pages of {PAGE:,}); counting the "
                f"typing and JSON of the rows in the plain load too: {plain_with_preparing:,.0f} "
                f"rows/s, ratio {transfer / plain_with_preparing:.2f}",
            )
        )
    return out

"""PostgreSQL: ``INSERT ... ON CONFLICT``, ``JSONB``, ``timestamptz``, a transaction-level advisory lock per
scope; Redshift behind a ``postgres`` connection is recognised and refused (see :mod:`.redshift`).

Why each difference: a scope's lock is ``pg_advisory_xact_lock`` on :func:`~.base.lock_key` (released by
commit or rollback, so a killed writer never leaves it held); psycopg 3 pipelines ``executemany`` while
psycopg2 sends one row per round trip, so psycopg2 gets multi-row ``VALUES`` (:class:`Psycopg2Upsert`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api.errors import SnovioConfigError
from airflow_provider_snovio.transfers.engines.base import lock_key
from airflow_provider_snovio.transfers.engines.upsert import Upsert, UpsertEngine, on_conflict_upsert

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection, Engine


class PostgresUpsert(Upsert):
    """PostgreSQL (psycopg 3, and any driver of the ``pyformat`` style): ``executemany`` is pipelined by psycopg."""

    paramstyle = "pyformat"

    def insert(self) -> Any:
        from sqlalchemy.dialects.postgresql import insert

        return insert


class Psycopg2Upsert(PostgresUpsert):
    """PostgreSQL through psycopg2, whose ``executemany`` is one round trip per row: the rows go as multi-row
    ``VALUES`` of :data:`PSYCOPG2_PAGE_SIZE` rows with psycopg2's public ``execute_values``, on the DB-API
    connection of the caller's SQLAlchemy ``Connection`` (so in its transaction).

    ``execute_values`` wants ``INSERT ... VALUES %s ON CONFLICT ...`` and a one-row template: the statement
    is built by SQLAlchemy from the same upsert with a textual ``VALUES %s`` as its source (rendered in the
    named style, where ``%`` needs no escaping), and the template is what SQLAlchemy's one-row rendering has
    in that place. Should the two renderings differ anywhere else, the rows go with ``execute_batch`` (one
    statement per row, 1000 per round trip) - the same SQL text, somewhat slower."""

    values_sql: str | None = None
    template: str | None = None

    def prepare(self, table: Table, dialect: Any, sql: str) -> None:
        from sqlalchemy import text

        names = [column.name for column in table.columns]
        source = text("VALUES %s").columns(*(table.c[name] for name in names))
        statement = on_conflict_upsert(self.insert()(table).from_select(names, source), table)
        values_sql = statement.compile(dialect=type(dialect)(paramstyle="named")).string
        # The one-row template is what SQLAlchemy rendered in place of "%s" (the placeholders and any cast
        # such as ``::JSONB``): the two renderings differ there and nowhere else, or execute_values is not used.
        head, marker, tail = values_sql.partition(" VALUES %s ")
        if (
            not marker
            or values_sql.count("%") != 1
            or not sql.startswith(f"{head} VALUES (")
            or not sql.endswith(f") {tail}")
        ):
            return
        template = sql[len(head) + len(" VALUES ") : len(sql) - len(tail) - 1]
        if all(template.count(self.placeholder(name)) == 1 for name in names):
            self.values_sql, self.template = values_sql, template

    def send(self, connection: Connection, sql: str, parameters: list[Any]) -> None:
        from psycopg2.extras import execute_batch, execute_values

        cursor = connection.connection.cursor()
        try:
            if self.values_sql is not None:
                execute_values(
                    cursor, self.values_sql, parameters, template=self.template, page_size=PSYCOPG2_PAGE_SIZE
                )
            else:
                execute_batch(cursor, sql, parameters, page_size=PSYCOPG2_PAGE_SIZE)
        finally:
            cursor.close()


#: Rows per statement of psycopg2's ``execute_values`` (statements per round trip of ``execute_batch``).
PSYCOPG2_PAGE_SIZE = 1000


class PostgresDialect(UpsertEngine):
    names = ("postgresql",)

    def upsert(self, dialect: Any) -> Upsert:
        return Psycopg2Upsert() if dialect.driver == "psycopg2" else PostgresUpsert()

    def check(self, engine: Engine) -> None:
        """Redshift answers a ``postgres`` connection too; its ``version()`` names it."""
        from airflow_provider_snovio.transfers.engines import redshift

        with engine.connect() as connection:
            version = str(connection.exec_driver_sql("SELECT version()").scalar() or "")
        if redshift.is_redshift(version):
            raise SnovioConfigError(redshift.REFUSAL)

    def json_type(self) -> Any:
        from sqlalchemy.dialects.postgresql import JSONB

        return JSONB()

    @contextmanager
    def locked(self, engine: Engine, state: Table, table_name: str, scope: str) -> Iterator[Connection]:
        from sqlalchemy import text

        with engine.begin() as connection:
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(state.schema, table_name, scope)}
            )
            yield connection

    def asset_uri(self, url: Any, schema: str | None, table: str) -> str:
        """The postgres provider's AIP-60 form; schema ``public`` unless given."""
        return f"postgres://{url.host}:{url.port or 5432}/{url.database}/{schema or 'public'}/{table}"

    def lineage_dataset(self, url: Any, schema: str | None, table: str) -> tuple[str, str]:
        return f"postgres://{url.host}:{url.port or 5432}", f"{url.database}.{schema or 'public'}.{table}"


DIALECT = PostgresDialect()

"""MySQL and MariaDB: ``INSERT ... ON DUPLICATE KEY UPDATE``, ``VARCHAR`` keys, UTC ``DATETIME(6)``, JSON.

Why each difference:

- ``TEXT`` cannot be (part of) a primary key: text key columns - and the state table's key - are
  ``VARCHAR(255)``, shorter when a key has three text columns (recipient_activity: ``VARCHAR(250)``) so
  that the key fits InnoDB's 3,072 bytes in utf8mb4.
- ``DATETIME`` has no time zone and drops fractions unless told: timestamps are ``DATETIME(6)`` holding
  UTC, converted on the way in and marked UTC on the way out (:class:`UtcDateTime`), whatever the
  session's ``time_zone`` is.
- the upsert is SQLAlchemy's own MySQL ``insert(...).on_duplicate_key_update`` (``VALUES(col)`` on MariaDB,
  the row alias on MySQL 8.0.20+); mysqlclient's ``executemany`` sends it as multi-row ``INSERT``
  statements (one round trip per batch, not per row).
- there is no transaction-level advisory lock: the scope's lock is the session's ``GET_LOCK`` (named by
  the same 64-bit key as PostgreSQL's advisory lock), released after the transaction ends.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from sqlalchemy import types

from airflow_provider_snovio.api.errors import SnovioConfigError
from airflow_provider_snovio.transfers.engines.base import lock_key
from airflow_provider_snovio.transfers.engines.upsert import Upsert, UpsertEngine

if TYPE_CHECKING:
    from sqlalchemy import Table
    from sqlalchemy.engine import Connection, Engine

#: SQLAlchemy's dialect names of this engine (``mysql`` for both unless the URL says ``mariadb``).
NAMES = ("mysql", "mariadb")
#: Longest text column of a primary key (characters).
KEY_LENGTH = 255
#: InnoDB's limit on a key's bytes, less room for its non-text columns (BIGINT, DATETIME(6): 8 bytes each).
KEY_BYTES = 3072 - 64
#: Seconds a writer waits for a scope's lock (another writer of the same table and scope holds it).
LOCK_TIMEOUT_S = 120


class UtcDateTime(types.TypeDecorator[datetime]):
    """``DATETIME(6)`` holding UTC: aware values are converted to UTC and stored naive; read back as UTC."""

    impl = types.DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Any) -> Any:
        from sqlalchemy.dialects.mysql import DATETIME

        return dialect.type_descriptor(DATETIME(fsp=6))

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is not None and value.tzinfo is not None:
            return value.astimezone(timezone.utc).replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return value.replace(tzinfo=timezone.utc) if value is not None else None


class MysqlUpsert(Upsert):
    """``INSERT ... ON DUPLICATE KEY UPDATE <every non-key column>`` in the ``pyformat`` style (mysqlclient
    and PyMySQL take dictionaries and rewrite an ``executemany`` of one ``INSERT ... VALUES`` into
    multi-row statements)."""

    paramstyle = "pyformat"

    def insert(self) -> Any:
        from sqlalchemy.dialects.mysql import insert

        return insert

    def upsert_of(self, statement: Any, table: Any) -> Any:
        key = {column.name for column in table.primary_key.columns}
        return statement.on_duplicate_key_update(
            {column.name: statement.inserted[column.name] for column in table.columns if column.name not in key}
        )

    def render(self, statement: Any, dialect: Any) -> str:
        """Rendered by a copy of the engine's own dialect (it knows the server: MariaDB's ``VALUES()`` or
        MySQL's row alias) switched to the named ``pyformat`` style; the engine's dialect is left as is."""
        if dialect.paramstyle != self.paramstyle:
            dialect = copy.copy(dialect)
            dialect.paramstyle, dialect.positional = self.paramstyle, False
        return str(statement.compile(dialect=dialect).string)


class MysqlDialect(UpsertEngine):
    names = NAMES
    #: Keys compared byte for byte, as the other engines do (a case-insensitive default collation would merge keys).
    table_options = {"mysql_charset": "utf8mb4", "mysql_collate": "utf8mb4_bin"}

    def upsert(self, dialect: Any) -> Upsert:
        return MysqlUpsert()

    def timestamp_type(self) -> Any:
        return UtcDateTime()

    def key_text_type(self, text_keys: int) -> Any:
        """``VARCHAR``: 255 characters, less when the key's columns would pass InnoDB's 3,072 bytes (utf8mb4:
        4 bytes each). A longer value is refused by the server (strict mode), never truncated into another
        row's key."""
        return types.String(min(KEY_LENGTH, KEY_BYTES // (4 * max(text_keys, 1))))

    @contextmanager
    def locked(self, engine: Engine, state: Table, table_name: str, scope: str) -> Iterator[Connection]:
        """One transaction holding the scope's named lock (``GET_LOCK``, waited for up to
        :data:`LOCK_TIMEOUT_S`); the lock is released after commit or rollback."""
        from sqlalchemy import text

        key = lock_key(state.schema, table_name, scope)
        name = f"snovio-sync:{key & 0xFFFFFFFFFFFFFFFF:016x}"
        with engine.connect() as connection:
            got = connection.execute(
                text("SELECT GET_LOCK(:name, :timeout)"), {"name": name, "timeout": LOCK_TIMEOUT_S}
            )
            if got.scalar() != 1:
                connection.rollback()
                raise SnovioConfigError(
                    f"another writer held the sync lock {name} for {LOCK_TIMEOUT_S}s: "
                    "keep one writer per table and scope"
                )
            connection.commit()
            try:
                with connection.begin():
                    yield connection
            finally:
                connection.execute(text("SELECT RELEASE_LOCK(:name)"), {"name": name})
                connection.commit()

    def asset_uri(self, url: Any, schema: str | None, table: str) -> str:
        """The mysql provider's form: ``mysql://host:port/database/table``."""
        return f"mysql://{url.host}:{url.port or 3306}/{schema or url.database}/{table}"

    def lineage_dataset(self, url: Any, schema: str | None, table: str) -> tuple[str, str]:
        return f"mysql://{url.host}:{url.port or 3306}", f"{schema or url.database}.{table}"


DIALECT = MysqlDialect()

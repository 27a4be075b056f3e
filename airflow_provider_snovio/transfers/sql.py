"""SnovioToSqlOperator: a Snov.io resource into a SQL warehouse table, exactly and incrementally.

The operator is thin: it checks its inputs, builds the Snov.io hook and the SQLAlchemy engine of the
``sql_conn_id`` connection (through that connection's common-sql ``DbApiHook``), and runs
:func:`~airflow_provider_snovio.transfers.warehouse.sync`. See the README section "Warehouse sync" for
every table's columns and key.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset, AssetAlias, BaseHook, BaseOperator

from airflow_provider_snovio import DEFAULT_CONN_ID
from airflow_provider_snovio.api.incremental import DEFAULT_OVERLAP
from airflow_provider_snovio.transfers.common import (
    check_spec,
    interval_dates,
    is_templated,
    lineage_input,
    window_span,
)
from airflow_provider_snovio.transfers.warehouse import Warehouse, sql_identifier, sync

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from airflow_provider_snovio.hooks.snovio import SnovioHook


def table_asset_uri(url: Any, schema: str | None, table: str) -> str:
    """The asset URI of a table, as the SQL providers name it, from the SQLAlchemy URL of its database:
    ``postgres://host:port/database/schema/table`` (the postgres provider's AIP-60 form),
    ``snowflake://account/database/schema/table``, ``mysql://host:port/database/table``,
    ``sqlite:///<absolute file>/<table>`` (the OpenLineage SQLite namespace plus the table: the sqlite
    provider registers no asset URI of its own), ``duckdb:///<absolute file>/<table>``: each engine's
    ``WarehouseDialect.asset_uri``."""
    from airflow_provider_snovio.transfers.engines import dialect_of

    return dialect_of(url.get_backend_name()).asset_uri(url, schema, table)


def engine_of(sql_conn_id: str) -> Engine:
    """The SQLAlchemy engine of the Airflow connection ``sql_conn_id``: from its common-sql ``DbApiHook``,
    or built by the engine module of its type where no installed hook builds it (``duckdb``: no maintained
    Airflow 3 DuckDB provider; ``snowflake`` without the Snowflake provider)."""
    from airflow.providers.common.sql.hooks.sql import DbApiHook

    from airflow_provider_snovio.api.errors import SnovioConfigError
    from airflow_provider_snovio.transfers.engines import of_conn_type

    connection = BaseHook.get_connection(sql_conn_id)
    engine_module = of_conn_type(connection.conn_type or "")
    built = engine_module.engine_of_connection(connection) if engine_module is not None else None
    if built is not None:
        return built
    db_hook = connection.get_hook()
    if not isinstance(db_hook, DbApiHook):
        raise SnovioConfigError(f"connection {sql_conn_id!r} is not a SQL (common-sql DbApiHook) connection")
    return db_hook.get_sqlalchemy_engine()


def sql_table_asset(sql_conn_id: str, table: str, schema: str | None = None) -> Asset:
    """The :class:`Asset` a :class:`SnovioToSqlOperator` emits for its table (see :func:`table_asset_uri`).
    It reads the connection ``sql_conn_id`` (host, port, database): call it where connections are
    available, e.g. to ``schedule`` a downstream DAG on the table."""
    engine = engine_of(sql_conn_id)
    try:
        return Asset(table_asset_uri(engine.url, schema, table))
    finally:
        engine.dispose()


def sql_table_alias_name(
    sql_conn_id: str, table: str, schema: str | None = None, *, dag_id: str = "", task_id: str = ""
) -> str:
    """The name of the :class:`AssetAlias` a :class:`SnovioToSqlOperator` declares: ``snovio-sql:<conn>/<schema
    or default>/<table>``, or ``snovio-sql-task:<dag_id>.<task_id>`` when any of those is templated."""
    if is_templated(sql_conn_id, table, schema):
        return f"snovio-sql-task:{dag_id}.{task_id}"
    return f"snovio-sql:{sql_conn_id}/{schema or 'default'}/{table}"


class SnovioToSqlOperator(BaseOperator):
    """Sync a Snov.io resource into a table of a SQLite, PostgreSQL, DuckDB, MySQL / MariaDB or Snowflake
    connection.

    :param resource: campaigns, campaign_analytics, recipient_activity, campaign_replies, campaign_opens,
        campaign_clicks, emails_sent, finished_prospects, user_lists, list_prospects or custom_fields
        (templated). ``recipient_activity`` is the recommended source of campaign events for new DAGs.
    :param sql_conn_id: a common-sql connection (sqlite, postgres, mysql), a ``duckdb`` connection whose host is
        the database file, or a snowflake connection (templated).
    :param table: target table; default ``snovio_<resource>`` (templated).
    :param campaign_ids: campaigns to read (campaign resources); None = every campaign (templated).
    :param list_ids: prospect lists to read (``list_prospects``); None = every list not deleted (templated).
    :param full_refresh: re-read everything and replace each campaign's / list's rows.
    :param snovio_conn_id: the Snov.io connection (templated).
    :param schema: database schema of the table and the state table (PostgreSQL; templated).
    :param overlap: rows re-read before the stored position of an engagement resource to verify it.
    :param lookback_days: days re-read before the stored position: recipient_activity's high-water mark
        (default 3) so late events land, campaign_analytics' interval (default 2). 0 to 366.
    :param history_start: recipient_activity only: the first day read when nothing is stored (first run,
        ``full_refresh``); default: the day before the campaign's creation (templated).

    Returns an XCom such as ``{"resource", "table", "rows_read", "rows_written", "pages", "scopes",
    "rows_skipped", "reread_scopes", "rows_deleted", "deleted_scopes", "key_collisions"}``. A scope that fails
    does not stop the others; the task then fails naming it
    (:class:`~airflow_provider_snovio.transfers.warehouse.SnovioSyncError`).

    Outlet: an :class:`AssetAlias` (:func:`sql_table_alias_name`), resolved at run time - when the connection
    is known, even if its id is templated - to the table's asset (:func:`sql_table_asset`, the URI the SQL
    providers use for the same table).
    """

    template_fields: Sequence[str] = (
        "resource",
        "sql_conn_id",
        "table",
        "campaign_ids",
        "list_ids",
        "snovio_conn_id",
        "schema",
        "history_start",
    )
    ui_color = "#dbeafe"

    def __init__(
        self,
        *,
        resource: str,
        sql_conn_id: str,
        table: str | None = None,
        campaign_ids: Sequence[int | str] | None = None,
        list_ids: Sequence[int | str] | None = None,
        full_refresh: bool = False,
        snovio_conn_id: str = DEFAULT_CONN_ID,
        schema: str | None = None,
        overlap: int = DEFAULT_OVERLAP,
        lookback_days: int | None = None,
        history_start: Any = None,
        **kwargs: Any,
    ) -> None:
        table_name = table if table is not None else f"snovio_{resource}"
        declare = "outlets" not in kwargs
        super().__init__(**kwargs)
        self._alias: AssetAlias | None = None
        self.resource = resource
        self.sql_conn_id = sql_conn_id
        self.table = table_name
        self.campaign_ids = campaign_ids
        self.list_ids = list_ids
        self.full_refresh = full_refresh
        self.snovio_conn_id = snovio_conn_id
        self.schema = schema
        self.overlap = overlap
        self.lookback_days = lookback_days
        self.history_start = history_start
        self._lineage: dict[str, Any] | None = None
        if not is_templated(resource, table_name, schema, campaign_ids, list_ids, history_start):
            self._check()  # fail at DAG-parse time when nothing is left to render
        if declare:  # after the check: a bad table name is refused as such, not as a bad alias name
            self._alias = AssetAlias(
                sql_table_alias_name(sql_conn_id, table_name, schema, dag_id=self.dag_id, task_id=self.task_id)
            )
            self.outlets = [self._alias]

    def _check(self) -> Any:
        spec = check_spec(
            self.resource, self.campaign_ids, self.list_ids, self.overlap, self.lookback_days, self.history_start
        )
        sql_identifier("table", self.table)
        if self.schema is not None:
            sql_identifier("schema", self.schema)
        return spec

    @cached_property
    def hook(self) -> SnovioHook:
        from airflow_provider_snovio.hooks.snovio import SnovioHook

        return SnovioHook(self.snovio_conn_id)

    def get_engine(self) -> Engine:
        """The SQLAlchemy engine of ``sql_conn_id`` (:func:`engine_of`)."""
        return engine_of(self.sql_conn_id)

    def execute(self, context: Any) -> dict[str, Any]:
        spec = self._check()
        dates = interval_dates(spec, context)
        engine = self.get_engine()
        try:
            warehouse = Warehouse(engine, self.schema)
            self.log.info(
                "Syncing Snov.io %s into %s%s",
                spec.resource.name,
                self.table,
                f" for {dates[0]}..{dates[1]}" if dates else "",
            )
            result = sync(
                self.hook,
                warehouse,
                spec.resource,
                self.table,
                campaign_ids=spec.campaign_ids,
                list_ids=spec.list_ids,
                dates=dates,
                full_refresh=self.full_refresh,
                overlap=spec.overlap,
                lookback_days=spec.lookback_days,
                span=window_span(spec, self.hook, context),
            )
            self._lineage = {
                "account": self.hook.client.config.account_key,
                "resource": spec.resource.name,
                "output": _output_dataset(engine, self.schema, self.table),
                "columns": [
                    *((name, kind.value) for name, kind in spec.resource.columns),
                    ("_snovio_raw", "json"),
                    ("_snovio_synced_at", "timestamp"),
                    ("_snovio_deleted_at", "timestamp"),
                ],
                "rows_written": result.rows_written,
            }
            asset_uri = table_asset_uri(engine.url, self.schema, self.table)
        finally:
            engine.dispose()
        events = context.get("outlet_events") if hasattr(context, "get") else None
        if self._alias is not None and events is not None:
            events[self._alias].add(Asset(asset_uri), extra={"rows_written": result.rows_written})
        self.log.info(
            "%s: read %d rows, wrote %d in %d pages over %d scopes%s",
            self.table,
            result.rows_read,
            result.rows_written,
            result.pages,
            result.scopes,
            f"; re-read {result.reread_scopes}" if result.reread_scopes else "",
        )
        return result.as_xcom()

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """Input ``snovio://<account>/<resource>``, output the table (with its schema and row count).
        Needs the ``openlineage`` extra; imported only here."""
        from airflow.providers.common.compat.openlineage.facet import (
            Dataset,
            OutputDataset,
            OutputStatisticsOutputDatasetFacet,
            SchemaDatasetFacet,
            SchemaDatasetFacetFields,
        )
        from airflow.providers.openlineage.extractors import OperatorLineage

        if self._lineage is None:
            return OperatorLineage()
        namespace, name = lineage_input(self._lineage["account"], self._lineage["resource"])
        out_namespace, out_name = self._lineage["output"]
        schema = SchemaDatasetFacet(
            fields=[SchemaDatasetFacetFields(name=column, type=kind) for column, kind in self._lineage["columns"]]
        )
        return OperatorLineage(
            inputs=[Dataset(namespace=namespace, name=name)],
            outputs=[
                OutputDataset(
                    namespace=out_namespace,
                    name=out_name,
                    facets={"schema": schema},
                    outputFacets={
                        "outputStatistics": OutputStatisticsOutputDatasetFacet(rowCount=self._lineage["rows_written"])
                    },
                )
            ],
        )


def _output_dataset(engine: Engine, schema: str | None, table: str) -> tuple[str, str]:
    """OpenLineage ``(namespace, name)`` of a table: ``postgres://host:port`` + ``db.schema.table``
    (``snowflake://account`` + ``db.schema.table`` on Snowflake); for SQLite and DuckDB
    ``<scheme>://<absolute file path>`` + ``table`` (the OpenLineage naming spec has no SQLite entry)."""
    from airflow_provider_snovio.transfers.engines import dialect_of

    return dialect_of(engine.dialect.name).lineage_dataset(engine.url, schema, table)

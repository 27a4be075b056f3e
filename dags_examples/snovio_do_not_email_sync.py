"""Do-not-email sync: unsubscribes and bounces collected in a warehouse table are added to a Snov.io
do-not-email list, so no campaign writes to them again.

What it does (daily):

1. ``pending``: reads the addresses (or whole domains) of ``table`` not yet synced (``synced_column`` NULL);
2. ``do_not_email``: adds them to the do-not-email list ``list_id`` (any number, sent in chunks; items
   Snov.io already had are reported as duplicates; a retry resumes after the chunks already sent);
3. ``mark_synced``: stamps ``synced_column`` of those rows, so the next run sends only new ones.

The table is yours (e.g. fed by your e-mail provider's bounce and unsubscribe events)::

    CREATE TABLE email_suppressions (item VARCHAR(320) PRIMARY KEY, reason VARCHAR(32), synced_at VARCHAR(32));

``item`` holds an e-mail address or a domain. The list id is in Snov.io's UI (Prospects -> Do-not-email
list); pass it as the ``list_id`` param (``airflow dags trigger ... --conf '{"list_id": 52033}'``) or change
the default below.

Connections:

- ``snovio_default`` (type ``snovio``; param ``snovio_conn_id``): the Snov.io account.
- ``snovio_warehouse`` (param ``sql_conn_id``): the SQLite or PostgreSQL connection holding ``table``.
"""

from __future__ import annotations

from datetime import datetime, timezone

import pendulum
from airflow.sdk import DAG, BaseHook, Param, task

from airflow_provider_snovio.operators import SnovioDoNotEmailOperator


def _names(params: dict) -> tuple[str, str, str]:
    """Table and column names from the params, refused unless plain SQL identifiers (they are inlined)."""
    from airflow_provider_snovio.transfers.warehouse import sql_identifier

    return tuple(
        sql_identifier(key, params[key])  # type: ignore[return-value]
        for key in ("table", "item_column", "synced_column")
    )


with DAG(
    dag_id="snovio_do_not_email_sync",
    description="Unsubscribes and bounces from a warehouse table into a Snov.io do-not-email list",
    schedule="@daily",
    start_date=pendulum.datetime(2025, 9, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    render_template_as_native_obj=True,  # items arrive as a list
    params={
        "list_id": Param(52033, type="integer", minimum=1, description="the Snov.io do-not-email list"),
        "table": Param("email_suppressions", type="string", description="table of addresses/domains to block"),
        "item_column": Param("item", type="string", description="column with the e-mail address or domain"),
        "synced_column": Param("synced_at", type="string", description="NULL until synced; then the UTC time"),
        "sql_conn_id": Param("snovio_warehouse", type="string", description="warehouse connection"),
        "snovio_conn_id": Param("snovio_default", type="string", description="Snov.io connection"),
    },
    tags=["snovio", "example", "account"],
    doc_md=__doc__,
) as dag:

    @task.short_circuit
    def pending(params: dict | None = None) -> list[str]:
        """Items not synced yet; none: the run ends here (skipped)."""
        table, item, synced = _names(params)
        db = BaseHook.get_connection(params["sql_conn_id"]).get_hook()
        rows = db.get_records(f"SELECT {item} FROM {table} WHERE {synced} IS NULL AND {item} IS NOT NULL")
        return sorted({str(row[0]).strip().lower() for row in rows if str(row[0]).strip()})

    items = pending()
    block = SnovioDoNotEmailOperator(
        task_id="do_not_email",
        list_id="{{ params.list_id }}",
        items=items,
        snovio_conn_id="{{ params.snovio_conn_id }}",
    )

    @task
    def mark_synced(sent_items: list[str], sent: dict, params: dict | None = None) -> dict:
        """Stamp the rows just sent (duplicates included: Snov.io has them), in one transaction."""
        table, item, synced = _names(params)
        now = datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0).isoformat(sep=" ")
        db = BaseHook.get_connection(params["sql_conn_id"]).get_hook()
        placeholder = db.placeholder
        conn = db.get_conn()
        try:
            cursor = conn.cursor()
            cursor.executemany(
                f"UPDATE {table} SET {synced} = {placeholder} WHERE LOWER({item}) = {placeholder}",
                [(now, value) for value in sent_items],
            )
            conn.commit()
        finally:
            conn.close()
        print(f"Do-not-email list {sent['list_id']}: {sent['added']} added, {sent['duplicates']} already there")
        return {"list_id": sent["list_id"], "added": sent["added"], "duplicates": sent["duplicates"]}

    mark_synced(items, block.output)

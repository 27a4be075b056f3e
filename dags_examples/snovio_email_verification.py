"""E-mail verification: addresses waiting in a warehouse table are verified by Snov.io and their statuses
written back.

What it does (daily):

1. ``unverified``: reads up to ``batch_size`` addresses of ``table`` whose ``status_column`` is empty
   (NULL) or older than ``reverify_days``;
2. ``verify`` (deferrable): Snov.io verifies them; addresses already verified in the account are read for
   free, only the others cost a credit each, and a retry never pays again;
3. ``write_back``: each address's SMTP status (``valid``, ``not_valid``, ``unknown``...) and the time it
   was verified go into ``status_column`` and ``verified_at_column``.

The table is yours (a CRM export, a sign-up table); it needs an e-mail column and the two status columns
(``status_column`` text, ``verified_at_column`` text or timestamp), e.g.::

    CREATE TABLE crm_contacts (email VARCHAR(320) PRIMARY KEY, smtp_status VARCHAR(32), verified_at VARCHAR(32));

Connections:

- ``snovio_default`` (type ``snovio``; param ``snovio_conn_id``): the Snov.io account.
- ``snovio_warehouse`` (param ``sql_conn_id``): the SQLite or PostgreSQL connection holding ``table``.

Environment (read when the file is parsed): ``SNOVIO_EXAMPLE_POLL_INTERVAL`` (seconds between status polls,
default 10) and ``SNOVIO_EXAMPLE_GREYLISTED_POLL_INTERVAL`` (default 900).
"""

from __future__ import annotations

import os
from datetime import datetime, timedelta, timezone

import pendulum
from airflow.sdk import DAG, BaseHook, Param, task

from airflow_provider_snovio.operators import SnovioEmailVerificationOperator

WAIT = {
    "poll_interval": float(os.environ.get("SNOVIO_EXAMPLE_POLL_INTERVAL", "10")),
    "timeout": 3600,
    "deferrable": True,
}
GREYLISTED_POLL_INTERVAL = float(os.environ.get("SNOVIO_EXAMPLE_GREYLISTED_POLL_INTERVAL", "900"))


def _names(params: dict) -> tuple[str, str, str, str]:
    """Table and column names from the params, refused unless plain SQL identifiers (they are inlined)."""
    from airflow_provider_snovio.transfers.warehouse import sql_identifier

    return tuple(
        sql_identifier(key, params[key])  # type: ignore[return-value]
        for key in ("table", "email_column", "status_column", "verified_at_column")
    )


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None, microsecond=0)


with DAG(
    dag_id="snovio_email_verification",
    description="Verify the e-mails of a warehouse table with Snov.io and write the statuses back",
    schedule="@daily",
    start_date=pendulum.datetime(2025, 9, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    params={
        "table": Param("crm_contacts", type="string", description="table holding the addresses"),
        "email_column": Param("email", type="string"),
        "status_column": Param("smtp_status", type="string", description="gets valid / not_valid / unknown ..."),
        "verified_at_column": Param("verified_at", type="string", description="gets the UTC time of the check"),
        "batch_size": Param(
            500,
            type="integer",
            minimum=1,
            maximum=10000,
            description="addresses per run (each unverified one costs a credit)",
        ),
        "reverify_days": Param(90, type="integer", minimum=1, description="verify again after this many days"),
        "sql_conn_id": Param("snovio_warehouse", type="string", description="warehouse connection"),
        "snovio_conn_id": Param("snovio_default", type="string", description="Snov.io connection"),
    },
    tags=["snovio", "example", "verification"],
    doc_md=__doc__,
) as dag:

    @task.short_circuit
    def unverified(params: dict | None = None) -> list[str]:
        """Addresses never verified or verified too long ago; none: the run ends here (skipped)."""
        table, email, status, verified_at = _names(params)
        stale = (_now() - timedelta(days=int(params["reverify_days"]))).isoformat(sep=" ")
        db = BaseHook.get_connection(params["sql_conn_id"]).get_hook()
        rows = db.get_records(  # stale is an ISO time computed here and batch_size an int: safe to inline
            f"SELECT {email} FROM {table} WHERE {email} IS NOT NULL AND ({status} IS NULL OR {verified_at} IS NULL "
            f"OR {verified_at} < '{stale}') ORDER BY {email} LIMIT {int(params['batch_size'])}"
        )
        return sorted({str(row[0]).strip() for row in rows if str(row[0]).strip()})

    emails = unverified()
    verify = SnovioEmailVerificationOperator(
        task_id="verify",
        emails=emails,
        snovio_conn_id="{{ params.snovio_conn_id }}",
        greylisted_poll_interval=GREYLISTED_POLL_INTERVAL,
        **WAIT,
    )

    @task
    def write_back(verified: dict, params: dict | None = None) -> dict:
        """One UPDATE per address, in one transaction."""
        table, email, status, verified_at = _names(params)
        now = _now().isoformat(sep=" ")
        statuses = {address: result.get("smtp_status") for address, result in verified["results"].items()}
        db = BaseHook.get_connection(params["sql_conn_id"]).get_hook()
        placeholder = db.placeholder
        sql = (
            f"UPDATE {table} SET {status} = {placeholder}, {verified_at} = {placeholder} WHERE {email} = {placeholder}"
        )
        conn = db.get_conn()
        try:  # one transaction: every status or none
            cursor = conn.cursor()
            cursor.executemany(sql, [(smtp_status, now, address) for address, smtp_status in statuses.items()])
            conn.commit()
        finally:
            conn.close()
        counts: dict[str, int] = {}
        for smtp_status in statuses.values():
            counts[str(smtp_status)] = counts.get(str(smtp_status), 0) + 1
        print(f"Verified {len(statuses)} addresses of {table}: {counts}")
        return {"table": table, "updated": len(statuses), "counts": counts}

    write_back(verify.output)

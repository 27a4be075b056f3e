"""Daily campaign reporting: Snov.io campaigns, analytics and engagement events into a SQL warehouse.

What it does, once a day (each run covers its data interval, one UTC day):

1. ``campaigns``: every campaign of the account into ``snovio_campaigns`` (one request);
2. ``campaign_analytics``: each campaign's statistics for the run's day into ``snovio_campaign_analytics``
   (one request per campaign);
3. ``recipient_activity`` (the recommended source of campaign events for new DAGs): every sent, open, click,
   reply, bounce and unsubscribe event into ``snovio_recipient_activity``, by event time: the first run
   reads each campaign from its creation, every later run from 3 days (``lookback_days``) before where the
   previous one stopped to the run's end, so events Snov.io records late still land;
4. ``campaign_replies``, ``campaign_opens``, ``campaign_clicks``, ``emails_sent``, ``finished_prospects``:
   the v1 event lists into their ``snovio_*`` tables, incrementally (a run with nothing new costs one request
   per campaign and resource) and idempotently (upserts on natural keys), for DAGs and reports built on them;
5. ``report``: rows per table and the campaigns ranked by the day's reply rate, printed in the task log and
   returned as the XCom.

Every step is a :class:`~airflow_provider_snovio.transfers.SnovioToSqlOperator`; the only hand-written tasks
are the campaign ids (asked of Snov.io: an id read back from the warehouse may belong to a campaign deleted
upstream since) and the report (read from the warehouse, live rows only: ``_snovio_deleted_at IS NULL``).
The reads are free: this DAG spends no credits.

Connections:

- ``snovio_default`` (type ``snovio``; param ``snovio_conn_id``): the Snov.io account.
- ``snovio_warehouse`` (param ``sql_conn_id``): a SQLite, PostgreSQL or DuckDB connection. ``make demo`` uses a
  SQLite file: ``AIRFLOW_CONN_SNOVIO_WAREHOUSE='{"conn_type": "sqlite", "host": "/abs/path/warehouse.sqlite"}'``.
  A DuckDB file (``{"conn_type": "duckdb", "host": "/abs/path/warehouse.duckdb"}``) has one writer at a time:
  the sync tasks take turns on it, each waiting for the file up to the connection's ``lock_timeout`` extra
  (600 s by default; see docs/warehouse.md, "DuckDB").
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param, get_current_context, task

try:
    from airflow.sdk import CronDataIntervalTimetable
except ImportError:  # Airflow 3.1: the timetable is not in the task SDK yet
    from airflow.timetables.interval import CronDataIntervalTimetable

from airflow_provider_snovio.transfers import SnovioToSqlOperator
from airflow_provider_snovio.transfers.sql import engine_of

#: Event resources synced after the analytics, each into ``snovio_<resource>``: ``recipient_activity`` first
#: (all event types of #72, by event time: the recommended one), then the v1 event lists.
EVENT_RESOURCES = (
    "recipient_activity",
    "campaign_replies",
    "campaign_opens",
    "campaign_clicks",
    "emails_sent",
    "finished_prospects",
)
#: Rows that exist upstream (a row Snov.io no longer has is kept, with the time it was seen gone).
LIVE = "_snovio_deleted_at IS NULL"
CONNECTIONS = {"sql_conn_id": "{{ params.sql_conn_id }}", "snovio_conn_id": "{{ params.snovio_conn_id }}"}


def _warehouse(conn_id: str):
    """The SQLAlchemy engine of the warehouse connection, exactly as the sync tasks get it (its common-sql
    hook's; for a ``duckdb`` connection, which has no hook, the provider's own)."""
    return engine_of(conn_id)


with DAG(
    dag_id="snovio_campaign_reporting",
    description="Snov.io campaigns, analytics, recipient activity and the v1 event lists into a SQL warehouse",
    schedule=CronDataIntervalTimetable("@daily", timezone="UTC"),  # each run reports on its own UTC day
    start_date=pendulum.datetime(2025, 9, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,  # runs of one account share its 60 requests/minute: one at a time
    params={
        "sql_conn_id": Param(
            "snovio_warehouse", type="string", description="warehouse connection (SQLite, PostgreSQL or DuckDB)"
        ),
        "snovio_conn_id": Param("snovio_default", type="string", description="Snov.io connection"),
        "top": Param(5, type="integer", minimum=1, description="campaigns shown in the report"),
    },
    default_args={"retries": 2, "retry_delay": pendulum.duration(minutes=2)},
    tags=["snovio", "example", "warehouse"],
    doc_md=__doc__,
) as dag:
    campaigns = SnovioToSqlOperator(task_id="campaigns", resource="campaigns", **CONNECTIONS)

    @task
    def campaign_ids(params: dict | None = None) -> list[int]:
        """Campaigns that can have events (Drafts have none), as Snov.io lists them now. A campaign deleted
        between this task and the syncs is skipped by them with a warning and its rows marked deleted."""
        from airflow_provider_snovio.hooks.snovio import SnovioHook

        listed = SnovioHook(params["snovio_conn_id"]).get_user_campaigns()
        return sorted(int(c["id"]) for c in listed if isinstance(c, dict) and c.get("status") != "Draft")

    ids = campaign_ids()
    analytics = SnovioToSqlOperator(
        task_id="campaign_analytics", resource="campaign_analytics", campaign_ids=ids, **CONNECTIONS
    )
    events = [
        SnovioToSqlOperator(task_id=resource, resource=resource, campaign_ids=ids, **CONNECTIONS)
        for resource in EVENT_RESOURCES
    ]

    @task
    def report(results: list[dict], params: dict | None = None) -> dict:
        """Rows per table and the campaigns ranked by the interval's reply rate, read from the warehouse."""
        from airflow_provider_snovio.operators.base import run_days

        date_from, date_to = run_days(get_current_context())  # the days the analytics task synced
        engine = _warehouse(params["sql_conn_id"])
        try:
            with engine.connect() as db:
                tables = {
                    r["table"]: int(db.exec_driver_sql(f"SELECT COUNT(*) FROM {r['table']} WHERE {LIVE}").scalar_one())
                    for r in results
                }
                # dates are ISO days computed here and top an int: safe to inline, and portable across engines
                ranked = db.exec_driver_sql(
                    "SELECT c.id, c.name, a.emails_sent, a.email_replies, a.email_replies_rate "
                    "FROM snovio_campaign_analytics a JOIN snovio_campaigns c ON c.id = a.campaign_id "
                    f"WHERE a.date_from = '{date_from.isoformat()}' AND a.date_to = '{date_to.isoformat()}' "
                    "AND a._snovio_deleted_at IS NULL AND c._snovio_deleted_at IS NULL "
                    "AND (a.emails_sent > 0 OR a.email_replies > 0) "
                    f"ORDER BY a.email_replies_rate DESC, a.email_replies DESC, c.id LIMIT {int(params['top'])}"
                ).all()
        finally:
            engine.dispose()  # closes the file: DuckDB keeps it locked while a connection is open
        top = [
            {
                "campaign_id": int(cid),
                "name": name,
                "emails_sent": sent or 0,
                "replies": replies or 0,
                "reply_rate": float(rate or 0),
            }
            for cid, name, sent, replies, rate in ranked
        ]
        lines = [f"Snov.io report for {date_from}{'' if date_from == date_to else f'..{date_to}'}", "Rows per table:"]
        lines += [f"  {table:<28} {count:>8}" for table, count in tables.items()]
        lines.append("Campaigns by reply rate:")
        lines += [
            f"  {c['reply_rate']:6.1f}%  {c['replies']:>5} replies / {c['emails_sent']:>5} sent  {c['name']}"
            for c in top
        ] or ["  (no e-mails sent or replies in this interval)"]
        print("\n".join(lines))
        return {
            "date_from": date_from.isoformat(),
            "date_to": date_to.isoformat(),
            "tables": tables,
            "top_campaigns": top,
        }

    campaigns >> analytics >> events
    report([campaigns.output, analytics.output, *(e.output for e in events)])

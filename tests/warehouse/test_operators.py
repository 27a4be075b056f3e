"""SnovioToSqlOperator and SnovioToObjectStorageOperator through their Airflow entry points.

Both read the Snov.io connection ``snovio_default`` and the SQL connection ``warehouse`` from the
environment, as in a deployment, and run against the sandbox over real HTTP.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from airflow_provider_snovio.api.errors import SnovioValidationError
from airflow_provider_snovio.transfers import SnovioToObjectStorageOperator, SnovioToSqlOperator, sql_table_asset
from airflow_provider_snovio.transfers.sql import sql_table_alias_name
from tests.warehouse.conftest import SQL_CONN_ID

UTC = timezone.utc


def interval(day: date) -> dict[str, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    return {"data_interval_start": start, "data_interval_end": start + timedelta(days=1)}


def test_analytics_one_row_per_campaign_per_interval(warehouse, snovio_conn_env, client):
    campaigns = [c.id for c in snovio_conn_env.state.data.campaigns.campaigns]
    op = SnovioToSqlOperator(task_id="analytics", resource="campaign_analytics", sql_conn_id=SQL_CONN_ID)
    assert [alias.name for alias in op.outlets] == [sql_table_alias_name(SQL_CONN_ID, "snovio_campaign_analytics")]

    first = op.execute(interval(date(2025, 9, 10)))
    reads = 3 * len(campaigns)  # the run's day and, lookback_days=2, the 2 days before it
    assert first == {
        "resource": "campaign_analytics",
        "table": "snovio_campaign_analytics",
        "rows_read": reads,
        "rows_written": reads,
        "pages": reads,
        "scopes": reads,
        "rows_skipped": 0,
        "reread_scopes": [],
        "rows_deleted": 0,
        "deleted_scopes": [],
        "key_collisions": 0,
    }
    op.execute(interval(date(2025, 9, 10)))  # a rerun of the same run: no duplicate
    op.execute(interval(date(2025, 9, 11)))
    with warehouse.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT campaign_id, date_from, date_to, emails_sent FROM snovio_campaign_analytics")
        ).all()
    assert len(rows) == 4 * len(campaigns)  # 9-08 .. 9-11: re-asked days replace their rows
    assert {(str(r.date_from), str(r.date_to)) for r in rows} == {(f"2025-09-{d:02d}",) * 2 for d in range(8, 12)}
    big = campaigns[0]
    upstream = client.get_campaign_analytics(campaign_ids=[big], date_from="2025-09-10", date_to="2025-09-10")
    assert [r.emails_sent for r in rows if r.campaign_id == big and str(r.date_from) == "2025-09-10"] == [
        upstream["emails_sent"]
    ]
    assert upstream["emails_sent"] > 0

    facets = op.get_openlineage_facets_on_complete(None)
    assert facets.inputs[0].namespace == f"snovio://{op.hook.client.config.account_key}"
    assert facets.inputs[0].name == "campaign_analytics"
    assert snovio_conn_env.client_secret not in json.dumps(facets.inputs[0].namespace)
    output = facets.outputs[0]
    if warehouse.dialect == "postgresql":
        assert output.namespace.startswith("postgres://127.0.0.1:") and output.name.endswith(
            ".public.snovio_campaign_analytics"
        )
    else:
        assert output.namespace.startswith("sqlite:///") and output.name == "snovio_campaign_analytics"
    assert "email_opens_rate" in {field.name for field in output.facets["schema"].fields}


def test_the_asset_is_the_sql_providers_uri_even_with_a_templated_connection_id(warehouse, snovio_conn_env):
    """The outlet is an AssetAlias; the run resolves it - through Airflow's own outlet-event accessors - to
    the asset the postgres provider names for the same table (for SQLite: sqlite://<file>/<table>)."""
    from airflow.sdk import Asset
    from airflow.sdk.execution_time.context import OutletEventAccessors
    from sqlalchemy.engine import make_url

    op = SnovioToSqlOperator(task_id="campaigns", resource="campaigns", sql_conn_id="{{ params.sql_conn_id }}")
    alias = op.outlets[0]
    assert alias.name == "snovio-sql-task:adhoc_airflow.campaigns"
    context: dict = {"params": {"sql_conn_id": SQL_CONN_ID}, **interval(date(2025, 9, 10))}
    op.render_template_fields(context)
    assert op.sql_conn_id == SQL_CONN_ID
    events = OutletEventAccessors()
    op.execute({**context, "outlet_events": events})
    [event] = events[alias].asset_alias_events
    url = make_url(warehouse.url)
    if warehouse.dialect == "postgresql":
        from airflow.providers.postgres.assets.postgres import create_asset

        expected = create_asset(
            host=url.host, port=url.port, database=url.database, schema="public", table="snovio_campaigns"
        )
    else:
        expected = Asset(f"sqlite://{url.database}/snovio_campaigns")
    assert event.dest_asset_key.uri == expected.uri
    assert sql_table_asset(SQL_CONN_ID, "snovio_campaigns").uri == expected.uri  # the helper for schedules
    assert event.extra == {"rows_written": len(snovio_conn_env.state.data.campaigns.campaigns)}


def test_runs_without_a_data_interval_read_the_previous_utc_day(tmp_path, warehouse, snovio_conn_env):
    op = SnovioToSqlOperator(
        task_id="analytics",
        resource="campaign_analytics",
        sql_conn_id=SQL_CONN_ID,
        campaign_ids=["237900"],
        table="daily",
    )
    op.execute({})
    days = [(datetime.now(UTC) - timedelta(days=back)).date().isoformat() for back in (3, 2, 1)]  # + lookback
    with warehouse.engine.connect() as connection:
        assert sorted(tuple(map(str, r)) for r in connection.execute(text("SELECT date_from, date_to FROM daily"))) == [
            (day, day) for day in days
        ]


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"resource": "campaign_repliez"}, "resource"),
        ({"resource": "campaigns", "table": "snovio; DROP TABLE x"}, "table"),
        ({"resource": "campaigns", "table": "1table"}, "table"),
        ({"resource": "campaign_replies", "campaign_ids": ["12a"]}, "campaign_ids"),
        ({"resource": "campaign_replies", "campaign_ids": "237900"}, "campaign_ids"),
        ({"resource": "list_prospects", "list_ids": [-3]}, "list_ids"),
        ({"resource": "campaigns", "schema": "public.x"}, "schema"),
    ],
)
def test_bad_inputs_are_refused_before_any_request(kwargs, field, snovio_conn_env):
    with pytest.raises(SnovioValidationError) as refused:
        SnovioToSqlOperator(task_id="bad", sql_conn_id=SQL_CONN_ID, **kwargs)
    assert refused.value.field.startswith(field)  # e.g. campaign_ids[0]
    # Templated values are checked after rendering, still before the first request.
    op = SnovioToSqlOperator(task_id="templated", sql_conn_id=SQL_CONN_ID, resource="{{ params.resource }}")
    rendered = {"resource": "campaigns", "table": f"snovio_{kwargs['resource']}", **kwargs}  # as Jinja would
    for name, value in rendered.items():
        setattr(op, name, value)
    with pytest.raises(SnovioValidationError) as refused:
        op.execute({})
    assert refused.value.field.startswith(field)  # e.g. campaign_ids[0]
    assert snovio_conn_env.stats()["total_requests"] == 0


def test_object_storage_refuses_a_path_without_scheme(snovio_conn_env):
    with pytest.raises(SnovioValidationError) as refused:
        SnovioToObjectStorageOperator(task_id="stage", resource="campaigns", path="/tmp/no-scheme")
    assert refused.value.field == "path"
    assert snovio_conn_env.stats()["total_requests"] == 0


def test_an_upstream_output_as_campaign_ids_is_accepted_at_parse_time_and_checked_at_run_time(
    warehouse, snovio_conn_env
):
    """``campaign_ids=some_task.output`` (an XComArg) cannot be checked while the DAG is parsed; Airflow
    resolves it before ``execute``, where the check runs, still before any request."""
    from airflow.sdk import DAG
    from airflow.sdk.bases.operator import BaseOperator

    with DAG("xcomarg_ids", schedule=None):
        upstream = BaseOperator(task_id="pick_campaigns")
        op = SnovioToSqlOperator(
            task_id="sync", sql_conn_id=SQL_CONN_ID, resource="campaign_replies", campaign_ids=upstream.output
        )
    assert op.campaign_ids is not None  # parsed without trying to iterate the XComArg
    op.campaign_ids = ["not-a-number"]  # as resolved from a bad upstream value
    with pytest.raises(SnovioValidationError) as refused:
        op.execute({})
    assert refused.value.field.startswith("campaign_ids")
    assert snovio_conn_env.stats()["total_requests"] == 0

"""The SQL generated for Redshift and BigQuery (no emulator of either was run: assertions on the statements),
and the refusal of both by the warehouse sync until that SQL has run against them."""

from __future__ import annotations

from typing import Any
from unittest import mock

import pytest
from sqlalchemy import MetaData

from airflow_provider_snovio.api.errors import SnovioConfigError
from airflow_provider_snovio.api.resources import resource
from airflow_provider_snovio.transfers.engines import bigquery, redshift
from airflow_provider_snovio.transfers.warehouse import RAW, STATE_TABLE, Warehouse, build_table


def replies(schema: str | None = None) -> Any:
    return build_table(resource("campaign_replies"), "snovio_campaign_replies", MetaData(schema=schema))


def test_redshift_table_has_super_raw_wide_text_and_no_jsonb() -> None:
    table = replies("analytics")
    sql = redshift.create_table_sql(table, RAW)
    assert sql.startswith('CREATE TABLE IF NOT EXISTS "analytics"."snovio_campaign_replies" (')
    assert '"_snovio_raw" SUPER NOT NULL' in sql
    assert '"_snovio_synced_at" TIMESTAMPTZ NOT NULL' in sql and '"_snovio_deleted_at" TIMESTAMPTZ,' in sql
    assert '"campaign_id" BIGINT NOT NULL' in sql and '"id" VARCHAR(65535) NOT NULL' in sql
    assert 'PRIMARY KEY ("campaign_id", "id")' in sql
    assert "JSONB" not in sql and "TEXT" not in sql.replace("TIMESTAMPTZ", "")  # TEXT is VARCHAR(256) there
    stage = redshift.create_stage_sql(table, RAW)
    assert '"analytics"."snovio_campaign_replies_snovio_stage"' in stage
    assert '"_snovio_raw" VARCHAR(65535)' in stage and "SUPER" not in stage and "PRIMARY KEY" not in stage


def test_redshift_merge_on_the_natural_key_parses_the_raw_record() -> None:
    table = replies()
    sql = redshift.merge_sql(table, RAW)
    assert sql.startswith('MERGE INTO "snovio_campaign_replies" USING "snovio_campaign_replies_snovio_stage" AS s')
    assert (
        'ON "snovio_campaign_replies"."campaign_id" = s."campaign_id" AND "snovio_campaign_replies"."id" = s."id"'
    ) in sql
    assert '"_snovio_raw" = JSON_PARSE(s."_snovio_raw")' in sql
    matched = sql.split("WHEN MATCHED THEN UPDATE SET ")[1].split(" WHEN NOT MATCHED")[0]
    assert '"campaign_id" =' not in matched and '"id" =' not in matched  # the key is not updated
    inserted = sql.split("WHEN NOT MATCHED THEN INSERT ")[1]
    assert inserted.count("JSON_PARSE(") == 1 and "ON CONFLICT" not in sql
    assert redshift.lock_sql("analytics", STATE_TABLE) == 'LOCK "analytics"."snovio_sync_state"'


def test_redshift_refuses_a_record_its_stage_cannot_hold_naming_the_key() -> None:
    table = replies()
    redshift.check_raw(table, (1, "a"), "x" * redshift.MAX_VARCHAR)
    with pytest.raises(SnovioConfigError, match=r"snovio_campaign_replies \(1, 'b'\).*65536 bytes"):
        redshift.check_raw(table, (1, "b"), "x" * (redshift.MAX_VARCHAR + 1))


def test_bigquery_table_load_job_and_page_transaction() -> None:
    table = replies()
    ddl = bigquery.create_table_sql(table, RAW, "proj", "snovio")
    assert "`proj.snovio.snovio_campaign_replies`" in ddl
    assert "_snovio_raw JSON NOT NULL" in ddl and "campaign_id INT64 NOT NULL" in ddl
    assert "_snovio_synced_at TIMESTAMP NOT NULL" in ddl
    assert "PRIMARY KEY (campaign_id, id) NOT ENFORCED" in ddl
    load = bigquery.load_job_config(table, RAW, "proj", "snovio")["load"]
    assert load["destinationTable"] == {
        "projectId": "proj",
        "datasetId": "snovio",
        "tableId": "snovio_campaign_replies_snovio_stage",
    }
    assert load["sourceFormat"] == "NEWLINE_DELIMITED_JSON" and load["writeDisposition"] == "WRITE_TRUNCATE"
    fields = {field["name"]: field["type"] for field in load["schema"]["fields"]}
    assert fields["_snovio_raw"] == "STRING" and fields["campaign_id"] == "INTEGER"
    assert list(fields) == [column.name for column in table.columns]
    script = bigquery.page_script(table, RAW, "proj", "snovio", STATE_TABLE)
    statements = [part.strip() for part in script.split(";\n")]
    assert statements[0] == "BEGIN TRANSACTION" and statements[-1] == "COMMIT TRANSACTION;"
    merge = statements[1]
    assert merge.startswith("MERGE `proj.snovio.snovio_campaign_replies` AS t USING (SELECT ")
    assert (
        "PARSE_JSON(_snovio_raw) AS _snovio_raw" in merge
        and "ON t.campaign_id = s.campaign_id AND t.id = s.id" in merge
    )
    assert "`proj.snovio.snovio_sync_state`" in statements[2] and statements[3].startswith(
        "INSERT INTO `proj.snovio.snovio_sync_state`"
    )


@pytest.mark.parametrize(
    ("dialect", "version", "message"),
    [
        ("postgresql", "PostgreSQL 8.0.2 on i686-pc-linux-gnu, Redshift 1.0.77467", "Amazon Redshift is not supported"),
        ("redshift", None, "Amazon Redshift is not supported"),
        ("bigquery", None, "Google BigQuery is not supported"),
    ],
)
def test_redshift_and_bigquery_are_refused_with_what_is_missing(dialect: str, version: Any, message: str) -> None:
    engine = mock.MagicMock()
    engine.dialect.name = dialect
    engine.connect.return_value.__enter__.return_value.exec_driver_sql.return_value.scalar.return_value = version
    with pytest.raises(SnovioConfigError, match=message):
        Warehouse(engine)


def test_plain_postgresql_is_not_taken_for_redshift() -> None:
    assert not redshift.is_redshift("PostgreSQL 15.8 (Debian 15.8-0+deb12u1) on x86_64-pc-linux-gnu")
    assert redshift.is_redshift("PostgreSQL 8.0.2 on i686-pc-linux-gnu, compiled by GCC, Redshift 1.0.77467")

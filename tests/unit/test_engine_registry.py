"""The engine registry of ``transfers.engines``: every SQLAlchemy dialect name maps to the module answering for
it, an unknown one is refused naming those supported, and the refused engines say why."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine

from airflow_provider_snovio.api.errors import SnovioConfigError
from airflow_provider_snovio.transfers import engines
from airflow_provider_snovio.transfers.engines import bigquery, redshift


@pytest.mark.parametrize("name", sorted(engines.MODULES))
def test_each_dialect_name_maps_to_the_module_that_claims_it(name):
    assert name in engines.dialect_of(name).names


def test_every_module_is_listed_once_in_all_dialects():
    found = engines.all_dialects()
    assert len(found) == len(set(engines.MODULES.values())) == len({type(d) for d in found})


def test_an_unknown_dialect_is_refused_naming_the_supported_ones():
    with pytest.raises(SnovioConfigError) as refused:
        engines.dialect_of("oracle")
    assert "'oracle'" in str(refused.value)
    assert "supported: sqlite, postgresql, duckdb, mysql, mariadb, snowflake)" in str(refused.value)


def test_connection_types_built_here_are_only_duckdb_and_snowflake():
    assert engines.of_conn_type("postgres") is None
    assert engines.of_conn_type("mysql") is None
    duckdb = engines.of_conn_type("duckdb")
    assert duckdb is not None and "duckdb" in duckdb.names


@pytest.mark.parametrize("module", [redshift, bigquery])
def test_redshift_and_bigquery_are_refused_with_their_reason(module):
    with pytest.raises(SnovioConfigError, match="not supported by the warehouse sync yet"):
        module.DIALECT.check(create_engine("sqlite://"))


def test_sqlite_and_duckdb_name_their_file_as_the_asset():
    url = create_engine("sqlite:////tmp/w.db").url
    assert engines.dialect_of("sqlite").asset_uri(url, None, "t") == "sqlite:///tmp/w.db/t"
    assert engines.dialect_of("duckdb").lineage_dataset(url, "s", "t") == ("duckdb:///tmp/w.db", "s.t")

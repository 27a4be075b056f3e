"""Items 3 and 4 share one sandbox whose big campaign has 100,000 replies (its exact campaign: 10,000), and
item 3 private PostgreSQL and MariaDB servers (and DuckDB, SQLite files and an in-process fakesnow for
Snowflake): all expensive to start, so they are started once."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from bench import loading, memory
from bench.results import Result

BIG_REPLIES = 100_000


@contextlib.contextmanager
def fakesnow_engine() -> Iterator[Any]:
    """A SQLAlchemy engine of a fresh in-process fakesnow database ``bench`` (schema ``public``), as
    tests/warehouse/test_engines_snowflake.py builds one; the patch of the connector lasts the block."""
    import fakesnow
    from sqlalchemy import create_engine

    with fakesnow.patch():
        engine = create_engine("snowflake://bench@fakesnow/bench/public")
        with engine.begin() as connection:
            connection.exec_driver_sql("CREATE DATABASE IF NOT EXISTS bench")
            connection.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS bench.public")
        try:
            yield engine
        finally:
            engine.dispose()


def measure(postgres: Any) -> list[Result]:
    """``postgres()`` is a context manager yielding a PostgreSQL server URL (:func:`bench.infra.private_postgres`)."""
    from sqlalchemy import create_engine

    from airflow_provider_snovio.api.client import ClientConfig, SnovioClient
    from airflow_provider_snovio.sandbox.testing import SandboxServer
    from bench.infra import fresh_path, private_mariadb

    with SandboxServer(requests_per_minute=1_000_000, big_campaign_replies=BIG_REPLIES) as sandbox:
        campaigns = sandbox.state.data.campaigns.campaigns
        big, small = campaigns[0], campaigns[1]
        if (len(big.replies), len(small.replies)) != (BIG_REPLIES, 10_000):
            raise RuntimeError(f"unexpected sandbox campaigns: {len(big.replies)} and {len(small.replies)} replies")
        config = ClientConfig(
            client_id=sandbox.client_id,
            client_secret=sandbox.client_secret,
            base_url=sandbox.base_url,
            requests_per_minute=1_000_000,
        )
        with SnovioClient(config) as client:
            records = loading.fetch_replies(client, big.id)
        with postgres() as server_url, private_mariadb() as mariadb_url, fakesnow_engine() as snowflake:
            engines = {
                "SQLite": create_engine(f"sqlite:///{fresh_path('load.db')}"),
                "PostgreSQL": create_engine(server_url),
                "DuckDB": create_engine(f"duckdb:///{fresh_path('load.duckdb')}"),
                "MariaDB": create_engine(mariadb_url),
                "Snowflake": snowflake,
            }
            if list(engines) != list(loading.DATABASES):  # pragma: no cover - the two lists are kept together
                raise RuntimeError(f"item 3 measures {list(engines)}, its lines name {list(loading.DATABASES)}")
            try:
                results = loading.measure(records, big.id, engines)
            finally:
                for engine in engines.values():
                    engine.dispose()
        del records
        results += memory.measure(sandbox, big.id, small.id)
    return results

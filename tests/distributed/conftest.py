"""A CeleryExecutor deployment: the one of ``tests/deployment`` plus a broker and two workers on two "hosts".

* Redis (a private ``redis-server`` on a free loopback port, ``tests/integration``'s fixture): database 1 is
  the Celery broker, database 0 the provider's shared rate-limit backend (the connection extra
  ``rate_limit_backend``), where the account's admission log and its encrypted token live;
* the Celery result backend is the metadata DB (``db+postgresql://``), as Airflow's docs recommend;
* the api-server, scheduler (``CeleryExecutor``), dag-processor and triggerer on the main host, and two
  ``airflow celery worker`` processes, each on a :class:`~tests.deployment.conftest.Host` of its own (another
  ``AIRFLOW_HOME``: its own DAGs folder, task logs and per-host rate-limit directory), serving the
  ``default`` queue with a concurrency of 2 (a 2-core machine runs all of it).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.deployment.conftest import Deployment, Host
from tests.distributed.hostname import HOST_NAME_ENV
from tests.integration.test_ratelimit_processes import private_redis_server
from tests.warehouse.conftest import _postgres_database, postgres_server  # noqa: F401 (a fixture)

WORKERS = ("worker1", "worker2")
#: Task processes per worker (``--concurrency``).
CONCURRENCY = 2
QUEUE = "default"


@pytest.fixture
def redis_server() -> Iterator[str]:
    """``redis://127.0.0.1:<port>`` of a private, non-persistent redis-server (no database number)."""
    with private_redis_server() as url:
        yield url.rsplit("/", 1)[0]


@pytest.fixture
def celery_deployment(
    tmp_path_factory: pytest.TempPathFactory,
    postgres_server: str,  # noqa: F811
    snovio_sandbox: SandboxServer,
    redis_server: str,
) -> Iterator[Deployment]:
    """A CeleryExecutor deployment with two workers (not yet started: the test calls ``start(deadline)``),
    stopped on teardown (every component's process group)."""
    _, db_url = _postgres_database(postgres_server)
    deployment = Deployment(
        tmp_path_factory.mktemp("airflow-celery"),
        db_url,
        snovio_sandbox,
        executor="CeleryExecutor",
        settings={
            "AIRFLOW__CELERY__BROKER_URL": f"{redis_server}/1",
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{db_url}",
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": str(CONCURRENCY),
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": QUEUE,
        },
        connection_extra={"rate_limit_backend": f"{redis_server}/0"},
    )
    for name in WORKERS:
        host = Host(
            name,
            tmp_path_factory.mktemp(f"airflow-{name}"),
            env={
                HOST_NAME_ENV: name,
                "AIRFLOW__CORE__HOSTNAME_CALLABLE": "tests.distributed.hostname.host_name",
            },
        )
        deployment.add_component(
            name,
            [
                "celery",
                "worker",
                "--concurrency",
                str(CONCURRENCY),
                "--celery-hostname",
                f"{name}@%h",
                "--queues",
                QUEUE,
                "--skip-serve-logs",
                "--without-gossip",
                "--without-mingle",
            ],
            host,
            ready=" ready.",
        )
    try:
        yield deployment
    finally:
        deployment.stop()

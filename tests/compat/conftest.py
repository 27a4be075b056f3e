"""The ``airflow dags test`` harness of ``tests/e2e`` (a migrated metadata DB, the run's environment)."""

from tests.e2e.conftest import airflow_dags_env, airflow_home  # noqa: F401 (fixtures)

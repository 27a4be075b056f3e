"""``python -m airflow_provider_snovio.sandbox``: same as the ``snovio-sandbox`` console script."""

from airflow_provider_snovio.sandbox.cli import main

if __name__ == "__main__":
    raise SystemExit(main())

"""Apache Airflow provider for the Snov.io sales-outreach API.

Airflow discovers this package through the ``apache_airflow_provider`` entry point, which calls
:func:`get_provider_info`. That function must stay import-light: Airflow calls it while building
its provider registry, long before any task runs.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

#: Connection type and default connection id, shared by the hook and the provider info.
CONN_TYPE = "snovio"
DEFAULT_CONN_ID = "snovio_default"
DEFAULT_BASE_URL = "https://api.snov.io"
DEFAULT_REQUESTS_PER_MINUTE = 60
DEFAULT_TIMEOUT_SECONDS = 30.0
DEFAULT_MAX_RETRIES = 5
#: Snov.io's hourly quotas are per hour; the extra ``quota_window_seconds`` only compresses it for tests.
DEFAULT_QUOTA_WINDOW_SECONDS = 3600.0


def get_provider_info() -> dict[str, Any]:
    """Describe the provider to Airflow's ProvidersManager (name, hooks, connection form)."""
    return {
        "package-name": "airflow-provider-snovio",
        "name": "Snov.io",
        "description": "Snov.io sales-outreach API: https://snov.io/api",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": "Snov.io",
                "external-doc-url": "https://snov.io/api",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {
                "integration-name": "Snov.io",
                "python-modules": ["airflow_provider_snovio.hooks.snovio"],
            }
        ],
        "operators": [
            {
                "integration-name": "Snov.io",
                "python-modules": [
                    "airflow_provider_snovio.operators.enrichment",
                    "airflow_provider_snovio.operators.campaigns",
                    "airflow_provider_snovio.operators.lists",
                    "airflow_provider_snovio.operators.do_not_email",
                    "airflow_provider_snovio.operators.webhooks",
                    "airflow_provider_snovio.operators.balance",
                    "airflow_provider_snovio.operators.api",
                    "airflow_provider_snovio.operators.domain_search",
                    "airflow_provider_snovio.operators.email_finder",
                    "airflow_provider_snovio.operators.verification",
                    # 2026 campaigns v2 and warm-up (issue 17 item 4, first part)
                    "airflow_provider_snovio.operators.campaigns_v2",
                    "airflow_provider_snovio.operators.warm_up",
                    # 2026 enrichment v2 and database search (#42-#51)
                    "airflow_provider_snovio.operators.enrichment_v2",
                    "airflow_provider_snovio.operators.database_search",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": "Snov.io",
                "python-modules": [
                    "airflow_provider_snovio.sensors.snovio",
                    # 2026 recipient check (issue 17 item 4, first part)
                    "airflow_provider_snovio.sensors.recipients",
                ],
            }
        ],
        "triggers": [
            {
                "integration-name": "Snov.io",
                "python-modules": [
                    "airflow_provider_snovio.triggers.snovio",
                    # 2026 recipient check (issue 17 item 4, first part)
                    "airflow_provider_snovio.triggers.recipients",
                    # Reply-driven DAGs: the AssetWatcher event trigger (issue 19)
                    "airflow_provider_snovio.triggers.new_events",
                ],
            }
        ],
        "transfers": [
            {
                "source-integration-name": "Snov.io",
                "target-integration-name": "Common SQL",
                "python-module": "airflow_provider_snovio.transfers.sql",
            },
            {
                "source-integration-name": "Snov.io",
                "target-integration-name": "Common IO",
                "python-module": "airflow_provider_snovio.transfers.object_storage",
            },
        ],
        "connection-types": [
            {
                "connection-type": CONN_TYPE,
                "hook-class-name": "airflow_provider_snovio.hooks.snovio.SnovioHook",
                "hook-name": "Snov.io",
                "ui-field-behaviour": {
                    "hidden-fields": ["schema", "port", "extra"],
                    "relabeling": {
                        "login": "Client ID",
                        "password": "Client Secret",
                        "host": "API base URL",
                    },
                    "placeholders": {
                        "login": "Client ID from Snov.io account settings",
                        "password": "Client Secret from Snov.io account settings",
                        "host": DEFAULT_BASE_URL,
                    },
                },
                "conn-fields": {
                    "requests_per_minute": {
                        "label": "Requests per minute",
                        "description": "Rate limit shared by every task using this account (Snov.io: 60).",
                        "schema": {
                            "type": ["integer", "null"],
                            "default": DEFAULT_REQUESTS_PER_MINUTE,
                            "minimum": 1,
                        },
                    },
                    "timeout": {
                        "label": "Timeout (s)",
                        "description": "Per-request timeout in seconds.",
                        "schema": {"type": ["number", "null"], "default": DEFAULT_TIMEOUT_SECONDS, "minimum": 1},
                    },
                    "max_retries": {
                        "label": "Max retries",
                        "description": "Retries on 429, 5xx, timeouts and connection errors.",
                        "schema": {"type": ["integer", "null"], "default": DEFAULT_MAX_RETRIES, "minimum": 0},
                    },
                    "rate_limit_backend": {
                        "label": "Rate limit backend",
                        "description": (
                            "Empty: shared by all processes on this host. "
                            "redis://host:port/db: shared by every worker of the deployment."
                        ),
                        # A password field: the URL may carry the Redis password (redis://:password@host).
                        "schema": {"type": ["string", "null"], "format": "password"},
                    },
                    "finder_hourly_limit": {
                        "label": "Finder quota per hour",
                        "description": (
                            "Your plan's e-mail finder requests per hour (Starter: 200). Empty: unknown, "
                            "requests are not paced to it."
                        ),
                        "schema": {"type": ["integer", "null"], "minimum": 1},
                    },
                    "verifier_hourly_limit": {
                        "label": "Verifier quota per hour",
                        "description": (
                            "Your plan's verified e-mails per hour (Starter: 500). Empty: unknown, "
                            "requests are not paced to it."
                        ),
                        "schema": {"type": ["integer", "null"], "minimum": 10},
                    },
                    "quota_window_seconds": {
                        "label": "Quota window (s)",
                        "description": "Length of the quota hour: keep 3600 (shorter only for tests).",
                        "schema": {
                            "type": ["number", "null"],
                            "default": DEFAULT_QUOTA_WINDOW_SECONDS,
                            "exclusiveMinimum": 0,
                        },
                    },
                },
            }
        ],
    }

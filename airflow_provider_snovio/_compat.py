"""Airflow names whose home differs between the minors the provider supports (3.1, 3.2, 3.3).

Why this module: ``airflow.sdk`` grew between minors. Airflow 3.1 has no ``airflow.sdk.conf`` and no
``AirflowRescheduleException``/``AirflowSensorTimeout`` in ``airflow.sdk.exceptions`` (both arrived in
3.2); importing them from there made every operator, sensor and transfer module fail on 3.1. Each name is
imported here once, from the SDK where it exists and from its 3.1 home otherwise, and the rest of the
provider imports it from here. ``make test-matrix`` imports every module on each declared minor.

The exceptions must be the very classes the running task runner catches: on 3.1 that is
``airflow.exceptions``' (3.2+ keeps it as an alias of the SDK's), so the SDK is tried first.
"""

from __future__ import annotations

from airflow.providers.common.compat.sdk import AirflowSensorTimeout, conf

try:
    from airflow.sdk.exceptions import AirflowRescheduleException
except ImportError:  # Airflow 3.1
    from airflow.exceptions import AirflowRescheduleException  # type: ignore[no-redef]

__all__ = ["AirflowRescheduleException", "AirflowSensorTimeout", "conf"]

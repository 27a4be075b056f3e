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

from collections.abc import Mapping
from typing import Any

from airflow.providers.common.compat.sdk import AirflowSensorTimeout, AirflowSkipException, conf

try:
    from airflow.sdk.exceptions import AirflowRescheduleException
except ImportError:  # Airflow 3.1
    from airflow.exceptions import AirflowRescheduleException


class DeferralStore:
    """Stand-in of Airflow 3.3's ``task_state_store`` on 3.1/3.2: the task instance's own XCom.

    Why: an operator that defers carries its job in the ``defer`` kwargs, but ``airflow dags test`` (3.1 to
    3.3) replaces those kwargs with the trigger's event when it runs the trigger in line, so on 3.1/3.2 a
    resumed domain search or verification started its paid work again (and a domain search never ended).
    Airflow keeps a task instance's XComs across a deferral and clears them when a new try starts, so this
    store survives every deferral but not a retry: exactly the documented degradation (a retry starts the
    paid calls again), no worse. It holds only what the job records (inputs' fingerprint, task hashes,
    addresses queued), never a secret.
    """

    def __init__(self, ti: Any) -> None:
        self._ti = ti

    def get(self, key: str) -> Any:
        return self._ti.xcom_pull(task_ids=self._ti.task_id, key=key, map_indexes=self._ti.map_index)

    def set(self, key: str, value: Any) -> None:
        self._ti.xcom_push(key=key, value=value)


def task_state_store(context: Mapping[str, Any] | None) -> Any | None:
    """The context's ``task_state_store`` (3.3+), else a :class:`DeferralStore` on the running task
    instance (3.1/3.2), else None (outside a task run)."""
    if not context:
        return None
    store = context.get("task_state_store")
    if store is not None:
        return store
    ti = context.get("ti")
    if ti is None or not hasattr(ti, "xcom_push"):
        return None
    return DeferralStore(ti)


__all__ = [
    "AirflowRescheduleException",
    "AirflowSensorTimeout",
    "AirflowSkipException",
    "DeferralStore",
    "conf",
    "task_state_store",
]

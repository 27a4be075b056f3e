"""What every Snov.io operator shares: the connection, the hook, the deferrable default, JSON Lines output.

Operators stay thin (validate, call the hook, return a small XCom); this base holds the little that is
Airflow plumbing rather than Snov.io knowledge, so each operator module only says what it does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from airflow_provider_snovio import DEFAULT_CONN_ID
from airflow_provider_snovio._compat import conf

if TYPE_CHECKING:
    from airflow_provider_snovio.hooks.snovio import SnovioHook


def default_deferrable() -> bool:
    """Airflow's ``[operators] default_deferrable`` (False unless the deployment turns it on)."""
    return conf.getboolean("operators", "default_deferrable", fallback=False)


def run_anchor(context: Mapping[str, Any]) -> datetime | None:
    """The moment a run without a data interval is dated by: its logical date, else its ``run_after``."""
    return context.get("logical_date") or getattr(context.get("dag_run"), "run_after", None)


def run_interval(context: Mapping[str, Any], default_days: int = 1) -> tuple[datetime, datetime]:
    """The run's data interval in UTC, or the default of :func:`.api.resources.data_interval`."""
    from airflow_provider_snovio.api.resources import data_interval

    return data_interval(
        context.get("data_interval_start"),
        context.get("data_interval_end"),
        now=run_anchor(context),
        default_days=default_days,
    )


def run_days(context: Mapping[str, Any], default_days: int = 1) -> tuple[date, date]:
    """The inclusive UTC days a run reports on (:func:`.api.resources.analytics_dates`)."""
    from airflow_provider_snovio.api.resources import analytics_dates

    return analytics_dates(
        context.get("data_interval_start"),
        context.get("data_interval_end"),
        now=run_anchor(context),
        default_days=default_days,
    )


def write_jsonl(uri: str, rows: Iterable[Any]) -> tuple[str, int]:
    """Write ``rows`` as JSON Lines to an ``ObjectStoragePath`` URI (``file://``, ``s3://``, ...).

    Returns ``(uri, rows written)``. Rows are streamed, so a large result never sits in memory twice. The
    file is written under a temporary name and moved to ``uri`` only once every row is written: a failure
    while producing the rows leaves no file (fsspec would otherwise complete a partial upload on close).
    """
    from airflow_provider_snovio.transfers.storage import atomic_open, open_store

    store, path = open_store(uri)
    count = 0
    with atomic_open(store, path) as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, default=str).encode())
            handle.write(b"\n")
            count += 1
    return store.uri(path), count


class SnovioBaseOperator(BaseOperator):
    """Base of the Snov.io operators.

    :param snovio_conn_id: Airflow connection of type ``snovio`` (templated).
    :param output_path: optional ``ObjectStoragePath`` URI (templated); operators with bulk results write
        them there as JSON Lines and return the path in their XCom instead of the rows.
    """

    template_fields: Sequence[str] = ("snovio_conn_id", "output_path")
    ui_color = "#e8f1ff"

    def __init__(self, *, snovio_conn_id: str = DEFAULT_CONN_ID, output_path: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.snovio_conn_id = snovio_conn_id
        self.output_path = output_path

    @cached_property
    def hook(self) -> SnovioHook:
        from airflow_provider_snovio.hooks.snovio import SnovioHook

        return SnovioHook(self.snovio_conn_id)

    def write_output(self, rows: Iterable[Any]) -> str | None:
        """Write ``rows`` to ``output_path`` if one is set; return the path written (None otherwise)."""
        if not self.output_path:
            return None
        uri, count = write_jsonl(self.output_path, rows)
        self.log.info("Wrote %d rows to %s", count, uri)
        return uri

"""SnovioToObjectStorageOperator: a Snov.io resource as a JSON Lines file, for warehouses that load from a stage.

One file per resource and interval: ``<path>/<resource>/<start>_<end>.jsonl`` with the run's data interval
in UTC (``20250901T000000Z_20250902T000000Z.jsonl``; runs without an interval use the previous full UTC
day). Each line is the same row the SQL transfer writes: the typed columns (timestamps as
``YYYY-MM-DD HH:MM:SS+00:00`` text), ``raw`` (the record as received) and ``synced_at``.

What a file holds: for the engagement resources (replies, opens, clicks, sent emails) the events whose
time falls inside the interval, so consecutive files partition the events without duplicates; for
``campaign_analytics`` each campaign's figures for the interval's days; for the other resources a
snapshot taken at run time. Rows stream page by page to the file: memory stays bounded by one page.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime, timezone
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import Asset, BaseOperator

from airflow_provider_snovio import DEFAULT_CONN_ID
from airflow_provider_snovio.api.errors import SnovioValidationError
from airflow_provider_snovio.api.resources import Reading
from airflow_provider_snovio.operators.base import run_interval
from airflow_provider_snovio.transfers.common import (
    SyncSpec,
    check_spec,
    interval_dates,
    is_templated,
    lineage_input,
)

if TYPE_CHECKING:
    from airflow_provider_snovio.hooks.snovio import SnovioHook


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")


def _check_path(path: Any) -> str:
    if not isinstance(path, str) or "://" not in path:
        raise SnovioValidationError("path", f"{path!r} is not an object storage URI such as file:///data or s3://bucket/dir")
    return path.rstrip("/")


class SnovioToObjectStorageOperator(BaseOperator):
    """Write a Snov.io resource as JSON Lines under an ``ObjectStoragePath`` (``file://``, ``s3://``, ``gs://``).

    :param resource: a resource name, as for :class:`~airflow_provider_snovio.transfers.sql.SnovioToSqlOperator`
        (templated).
    :param path: the base URI; the file is ``<path>/<resource>/<start>_<end>.jsonl`` (templated).
    :param campaign_ids: campaigns to read; None = every campaign (templated).
    :param list_ids: prospect lists to read (``list_prospects``); None = every list (templated).
    :param snovio_conn_id: the Snov.io connection (templated).

    Returns ``{"resource", "uri", "rows_read", "rows_written", "interval_start", "interval_end"}`` and declares
    ``Asset("<path>/<resource>")`` as outlet.
    """

    template_fields: Sequence[str] = ("resource", "path", "campaign_ids", "list_ids", "snovio_conn_id")
    ui_color = "#dbeafe"

    def __init__(self, *, resource: str, path: str, campaign_ids: Sequence[int | str] | None = None,
                 list_ids: Sequence[int | str] | None = None, snovio_conn_id: str = DEFAULT_CONN_ID,
                 **kwargs: Any) -> None:
        if "outlets" not in kwargs and not is_templated(resource, path) and isinstance(path, str) and "://" in path:
            kwargs["outlets"] = [Asset(f"{path.rstrip('/')}/{resource}")]
        super().__init__(**kwargs)
        self.resource = resource
        self.path = path
        self.campaign_ids = campaign_ids
        self.list_ids = list_ids
        self.snovio_conn_id = snovio_conn_id
        self._lineage: dict[str, Any] | None = None
        if not is_templated(resource, path, campaign_ids, list_ids):
            self._check()

    def _check(self) -> SyncSpec:
        spec = check_spec(self.resource, self.campaign_ids, self.list_ids)
        _check_path(self.path)
        return spec

    @cached_property
    def hook(self) -> SnovioHook:
        from airflow_provider_snovio.hooks.snovio import SnovioHook

        return SnovioHook(self.snovio_conn_id)

    def execute(self, context: Any) -> dict[str, Any]:
        from airflow_provider_snovio.operators.base import write_jsonl

        spec = self._check()
        start, end = run_interval(context)
        uri = f"{_check_path(self.path)}/{spec.resource.name}/{_stamp(start)}_{_stamp(end)}.jsonl"
        counts = {"read": 0}
        written_uri, written = write_jsonl(uri, self._rows(spec, context, start, end, counts))
        self.log.info("Wrote %d %s rows (of %d read) to %s", written, spec.resource.name, counts["read"], written_uri)
        self._lineage = {"account": self.hook.client.config.account_key, "resource": spec.resource.name,
                         "uri": written_uri, "rows": written}
        return {"resource": spec.resource.name, "uri": written_uri, "rows_read": counts["read"],
                "rows_written": written, "interval_start": start.isoformat(), "interval_end": end.isoformat()}

    def _rows(self, spec: SyncSpec, context: Any, start: datetime, end: datetime,
              counts: dict[str, int]) -> Iterator[dict[str, Any]]:
        res = spec.resource
        synced_at = datetime.now(timezone.utc)
        for scope_values in res.scopes(self.hook, spec.campaign_ids, spec.list_ids, interval_dates(spec, context)):
            # Engagement resources are read whole (no stored position here) and filtered to the interval.
            for page in res.pages(self.hook, scope_values, None, overlap=spec.overlap):
                counts["read"] += page.read
                for record in page.records:
                    if not isinstance(record, dict):
                        continue
                    row = res.row(record, scope_values)
                    if res.reading is Reading.OFFSET and res.time_column:
                        moment = row.get(res.time_column)
                        if moment is None or not start <= moment < end:
                            continue
                    row["raw"] = record
                    row["synced_at"] = synced_at
                    yield row

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> Any:
        """Input ``snovio://<account>/<resource>``, output the written file. Needs the ``openlineage`` extra."""
        from urllib.parse import urlsplit

        from airflow.providers.common.compat.openlineage.facet import Dataset
        from airflow.providers.openlineage.extractors import OperatorLineage

        if self._lineage is None:
            return OperatorLineage()
        namespace, name = lineage_input(self._lineage["account"], self._lineage["resource"])
        parts = urlsplit(self._lineage["uri"])
        return OperatorLineage(inputs=[Dataset(namespace=namespace, name=name)],
                               outputs=[Dataset(namespace=f"{parts.scheme}://{parts.netloc}", name=parts.path)])

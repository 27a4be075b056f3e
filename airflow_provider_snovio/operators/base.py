"""What every Snov.io operator shares: the connection, the hook, the deferrable default, JSON Lines output.

Operators stay thin (validate, call the hook, return a small XCom); this base holds the little that is
Airflow plumbing rather than Snov.io knowledge, so each operator module only says what it does.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator, conf

from airflow_provider_snovio import DEFAULT_CONN_ID

if TYPE_CHECKING:
    from airflow_provider_snovio.hooks.snovio import SnovioHook


def default_deferrable() -> bool:
    """Airflow's ``[operators] default_deferrable`` (False unless the deployment turns it on)."""
    return conf.getboolean("operators", "default_deferrable", fallback=False)


def write_jsonl(uri: str, rows: Iterable[Any]) -> tuple[str, int]:
    """Write ``rows`` as JSON Lines to an ``ObjectStoragePath`` URI (``file://``, ``s3://``, ...).

    Returns ``(uri, rows written)``. Rows are streamed, so a large result never sits in memory twice.
    """
    from airflow.sdk import ObjectStoragePath

    path = ObjectStoragePath(uri)
    if path.protocol in ("file", "local"):
        path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with path.open("w") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False, default=str))
            handle.write("\n")
            count += 1
    return str(path), count


class SnovioBaseOperator(BaseOperator):
    """Base of the Snov.io operators.

    :param snovio_conn_id: Airflow connection of type ``snovio`` (templated).
    :param output_path: optional ``ObjectStoragePath`` URI (templated); operators with bulk results write
        them there as JSON Lines and return the path in their XCom instead of the rows.
    """

    template_fields: Sequence[str] = ("snovio_conn_id", "output_path")
    ui_color = "#e8f1ff"

    def __init__(self, *, snovio_conn_id: str = DEFAULT_CONN_ID, output_path: str | None = None,
                 **kwargs: Any) -> None:
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

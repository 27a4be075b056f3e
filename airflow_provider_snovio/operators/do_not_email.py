"""Sync e-mails and domains into a Snov.io do-not-email list, in chunks, resuming after a failure."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api.catalogue import ENDPOINTS, Endpoint
from airflow_provider_snovio.api.errors import SnovioPartialError
from airflow_provider_snovio.api.validation import ListOf
from airflow_provider_snovio.operators.base import SnovioBaseOperator
from airflow_provider_snovio.operators.state import TaskProgress

if TYPE_CHECKING:
    from airflow.sdk import Context


def chunk_size(row: Endpoint) -> int:
    """Items per request: the row's ``chunk`` if it has one, else the cap of its ``items`` validator.

    Read from the catalogue, so the number is written once (in ``api/``), not here.
    """
    if row.chunk is not None and row.chunk[0] == "items":
        return row.chunk[1]
    cap = getattr(row.params_by_name["items"].check, "max_items", None)
    if not cap:
        raise RuntimeError(f"catalogue row {row.name!r} has no chunk size or items cap")
    return int(cap)


def _duplicates(answer: Any) -> list[str]:
    """Items Snov.io reported as already listed (#28 answers ``[{"success", "data": {"duplicates"}}]``)."""
    parts = answer if isinstance(answer, list) else [answer]
    return [
        str(item)
        for part in parts
        if isinstance(part, dict)
        for item in ((part.get("data") or {}).get("duplicates") or [])
    ]


class SnovioDoNotEmailOperator(SnovioBaseOperator):
    """Add e-mails and whole domains to a do-not-email list; any number of items.

    Every item is checked before the first request. Items are sent in chunks (the size comes from the
    endpoint catalogue); each finished chunk is recorded in the task's ``task_state_store`` (Airflow
    3.3+), so a retry after a failure sends only the chunks (or, after a part-way failure of a split
    call, the items) not yet done, and the duplicates reported the first time are kept: items added
    by the failed try are not reported as duplicates by the retry. The call is free; on older Airflow
    a retry resends everything and reports the items of the failed try as duplicates.

    :param list_id: the do-not-email list id (templated).
    :param items: e-mail addresses and/or domains (templated).

    XCom: ``{"list_id", "items", "added", "duplicates", "duplicate_items", "requests", "output_path"}``;
    with ``output_path`` one JSON line per item (``item``, ``duplicate``).
    """

    template_fields: Sequence[str] = (*SnovioBaseOperator.template_fields, "list_id", "items")

    def __init__(self, *, list_id: int | str, items: Sequence[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.list_id = list_id
        self.items = items

    def _validated(self) -> tuple[Endpoint, str, list[str]]:
        row = ENDPOINTS.add_to_do_not_email_list
        list_id = row.params_by_name["list_id"].check("list_id", self.list_id)
        check = row.params_by_name["items"].check
        if not isinstance(check, ListOf):  # pragma: no cover - the catalogue row declares a ListOf
            raise TypeError(f"{row.name}.items is checked by {check!r}, not a ListOf")
        items = check.uncapped("items", self.items)  # any length; chunked below
        return row, list_id, list(dict.fromkeys(items))

    def execute(self, context: Context) -> dict[str, Any]:
        row, list_id, items = self._validated()
        size = chunk_size(row)
        chunks = -(-len(items) // size)
        # the call is free: a record of a newer release is simply sent again
        progress = TaskProgress(context, f"do_not_email:{list_id}", self.log, allow_restart=True)
        duplicates: list[str] = []
        requests = 0
        for start in range(0, len(items), size):
            chunk = items[start : start + size]
            key = "\n".join(chunk)
            record = progress.get(key) or {"done": [], "duplicates": []}
            done = set(record["done"])
            todo = [item for item in chunk if item not in done]
            if todo:
                requests += 1
                try:
                    answer = self.hook.add_to_do_not_email_list(list_id, todo)
                except SnovioPartialError as error:  # the hook split ``todo`` and stopped part-way
                    progress.set(
                        key,
                        {
                            "done": [*record["done"], *error.done],
                            "duplicates": [*record["duplicates"], *_duplicates(error.answer)],
                        },
                    )
                    raise
                record = {"done": [*record["done"], *todo], "duplicates": [*record["duplicates"], *_duplicates(answer)]}
                progress.set(key, record)
            duplicates.extend(record["duplicates"])
        if requests < chunks:
            self.log.info("Resumed: %d of %d chunks were done by an earlier try", chunks - requests, chunks)
        duplicate_set = {d.lower() for d in duplicates}
        uri = self.write_output({"item": item, "duplicate": item.lower() in duplicate_set} for item in items)
        result = {
            "list_id": int(list_id),
            "items": len(items),
            "added": len(items) - len(duplicate_set),
            "duplicates": len(duplicate_set),
            "duplicate_items": duplicates,
            "requests": requests,
            "output_path": uri,
        }
        self.log.info(
            "Do-not-email list %s: %d added, %d already listed", list_id, result["added"], result["duplicates"]
        )
        return result

"""Reading a trigger's event on the worker: ``execute_complete`` of every operator and sensor uses this.

An event is ``{"status": "success" | "error" | "timeout", "message": str, ...}``. Anything but a success
raises a clear error: a timeout raises :class:`SnovioTaskTimeoutError` (carrying the pending task_hash,
so a retry waits on the same paid task), an error re-raises the Snov.io error class the trigger met,
and a missing or malformed event raises :class:`SnovioTriggerEventError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from airflow_provider_snovio.api import errors
from airflow_provider_snovio.api.errors import SnovioError, SnovioTaskTimeoutError

EVENT_STATUSES = ("success", "error", "timeout")


class SnovioTriggerEventError(SnovioError):
    """The trigger's event is missing or not one this provider sends."""


def success_payload(event: Any, what: str) -> dict[str, Any]:
    """The event if it reports success; otherwise raise the error it describes. ``what`` names the wait."""
    if event is None:
        raise SnovioTriggerEventError(f"{what}: resumed without a trigger event")
    if not isinstance(event, Mapping) or event.get("status") not in EVENT_STATUSES:
        status = event.get("status") if isinstance(event, Mapping) else type(event).__name__
        raise SnovioTriggerEventError(f"{what}: unexpected trigger event (status {status!r})")
    message = str(event.get("message") or "")
    if event["status"] == "success":
        return dict(event)
    if event["status"] == "timeout":
        pending = event.get("pending") or []
        first = pending[0] if pending and isinstance(pending[0], str) else None
        raise SnovioTaskTimeoutError(
            f"{what}: {message}; still pending: {_short(pending)}",
            task_hash=first if event.get("result_method") else None,
            result_method=event.get("result_method"),
        )
    kind = getattr(errors, str(event.get("error_type") or ""), None)
    error_class = kind if isinstance(kind, type) and issubclass(kind, SnovioError) else SnovioError
    detail = f"{what} failed: {message}"
    try:
        error = error_class(detail)
    except TypeError:  # classes that need more than a detail (validation, transport) come back as the base
        error = SnovioError(detail)
    raise error


def _short(items: Any, limit: int = 5) -> str:
    items = list(items) if isinstance(items, list | tuple) else [items]
    shown = ", ".join(str(i) for i in items[:limit])
    return shown + (f" and {len(items) - limit} more" if len(items) > limit else "")

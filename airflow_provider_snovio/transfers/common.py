"""What both transfer operators share: input checks, the analytics interval from the run, lineage input.

Checks run before any request (and already at DAG-parse time for values that are not templates), so a
typo in a resource name or a non-numeric campaign id fails with a :class:`SnovioValidationError` that
names the field, never half-way through a sync.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from airflow_provider_snovio.api.errors import SnovioValidationError
from airflow_provider_snovio.api.incremental import DEFAULT_OVERLAP
from airflow_provider_snovio.api.resources import (
    DEFAULT_LOOKBACK_DAYS,
    Reading,
    Resource,
    activity_span,
    numeric_ids,
    resource,
)
from airflow_provider_snovio.api.windows import DEFAULT_LOOKBACK_DAYS as WINDOW_LOOKBACK_DAYS
from airflow_provider_snovio.api.windows import Span, check_history_start, check_lookback
from airflow_provider_snovio.operators.base import run_days


def is_templated(*values: Any) -> bool:
    """True when a value is only known at run time: a Jinja template, or an upstream task's output (an
    ``XComArg``, resolved by Airflow before ``execute``). Such values are checked again after rendering."""

    def one(value: Any) -> bool:
        if isinstance(value, str):
            return "{{" in value or "{%" in value
        if hasattr(value, "resolve") and hasattr(value, "iter_references"):  # XComArg and its kin
            return True
        if isinstance(value, list | tuple | set | frozenset):
            return any(one(item) for item in value)
        return False

    return any(one(value) for value in values)


@dataclass(frozen=True)
class SyncSpec:
    """Checked inputs of one transfer."""

    resource: Resource
    campaign_ids: list[int] | None
    list_ids: list[int] | None
    overlap: int
    lookback_days: int = DEFAULT_LOOKBACK_DAYS
    history_start: date | None = None


def check_spec(
    resource_name: Any,
    campaign_ids: Any,
    list_ids: Any,
    overlap: Any = DEFAULT_OVERLAP,
    lookback_days: Any = None,
    history_start: Any = None,
) -> SyncSpec:
    """Validate the Snov.io side of a transfer; raises :class:`SnovioValidationError` naming the field.

    ``lookback_days`` None is the resource's own default (analytics 2 days, recipient activity 3)."""
    res = resource(resource_name)
    if isinstance(overlap, bool) or not isinstance(overlap, int) or overlap < 1:
        raise SnovioValidationError("overlap", f"must be a positive integer, got {overlap!r}")
    if lookback_days is None:
        lookback_days = WINDOW_LOOKBACK_DAYS if res.reading is Reading.WINDOW else DEFAULT_LOOKBACK_DAYS
    return SyncSpec(
        res,
        numeric_ids("campaign_ids", campaign_ids),
        numeric_ids("list_ids", list_ids),
        overlap,
        check_lookback(lookback_days),
        check_history_start(history_start),
    )


def window_span(spec: SyncSpec, client: Any, context: Mapping[str, Any]) -> Span | None:
    """What a time-windowed resource reads this run: up to the run's data interval end (now when the run has
    none), ``lookback_days`` before the stored mark; None for other resources."""
    if spec.resource.reading is not Reading.WINDOW:
        return None
    end = context.get("data_interval_end") if hasattr(context, "get") else None
    return activity_span(client, end if isinstance(end, datetime) else None, spec.lookback_days, spec.history_start)


def interval_dates(spec: SyncSpec, context: Mapping[str, Any]) -> tuple[date, date] | None:
    """Analytics days for this run (:func:`~airflow_provider_snovio.operators.base.run_days`). None for other
    resources."""
    if spec.resource.reading is not Reading.INTERVAL:
        return None
    return run_days(context)


def lineage_input(account_key: str, resource_name: str) -> tuple[str, str]:
    """OpenLineage input ``(namespace, name)``: ``snovio://<account>`` and the resource name. The account is
    the client's ``account_key`` (a hash of base URL and client id: no secret)."""
    return f"snovio://{account_key}", resource_name

"""Seeded CRM pipelines and their stages (#76/#77).

Why fixed rows: no endpoint changes them (deals are not in the provider's scope), so they need no reset. A
pipeline's ``deals_count`` and ``deals_value`` are the sums over its stages, so #76 and #77 agree.
"""

from __future__ import annotations

from typing import Any

#: (pipeline id, name, created_at, [(stage id, name, deals_count, deals_value), ...] in stage order)
PIPELINES: tuple[tuple[int, str, str, tuple[tuple[int, str, int, float], ...]], ...] = (
    (
        4101,
        "Sales pipeline",
        "2025-08-12T09:30:00+00:00",
        (
            (51001, "Lead", 14, 21000.0),
            (51002, "Contacted", 9, 16500.0),
            (51003, "Proposal", 4, 12800.5),
            (51004, "Won", 3, 9900.0),
            (51005, "Lost", 2, 0.0),
        ),
    ),
    (4107, "Partnerships", "2025-10-02T14:05:11+00:00", ((51040, "Intro", 2, 5000.0), (51041, "Signed", 0, 0.0))),
)


def pipeline_rows() -> list[dict[str, Any]]:
    """#76 rows."""
    return [
        {
            "id": pid,
            "name": name,
            "deals_count": sum(stage[2] for stage in stages),
            "deals_value": sum(stage[3] for stage in stages),
            "created_at": created,
        }
        for pid, name, created, stages in PIPELINES
    ]


def stage_rows(pipeline_id: int) -> list[dict[str, Any]] | None:
    """#77 rows of one pipeline, in stage order; None for an unknown pipeline."""
    for pid, _, _, stages in PIPELINES:
        if pid == pipeline_id:
            return [
                {
                    "id": sid,
                    "pipeline_id": pid,
                    "name": name,
                    "order": order,
                    "deals_count": count,
                    "deals_value": value,
                }
                for order, (sid, name, count, value) in enumerate(stages, start=1)
            ]
    return None

"""Sliding-window arithmetic for rate-limit tests: what a strict server would have counted."""

from __future__ import annotations


def max_in_window(stamps: list[float], window: float) -> int:
    """Largest number of stamps inside any half-open window [t, t + window): what a server counting
    arrivals in a strict sliding window would see."""
    ordered = sorted(stamps)
    best = 0
    j = 0
    for i, start in enumerate(ordered):
        j = max(j, i)
        while j < len(ordered) and ordered[j] < start + window:
            j += 1
        best = max(best, j - i)
    return best

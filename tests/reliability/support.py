"""Helpers shared by the reliability tests (tests/reliability)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

#: Property-test settings: derandomized (the same examples on every run, so CI is reproducible and a
#: failure replays), a modest number of examples (CI time stays bounded), no deadline (a shared 2-core
#: machine has slow moments), no example database written into the tree.
PROPERTY = settings(
    max_examples=80, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)

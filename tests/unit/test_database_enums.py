"""The database-search (#46/#50) filter choices the client validates are exactly those the sandbox accepts.

The sandbox models Snov.io independently of ``api/`` and keeps its own copy of each list
(``sandbox/routes/enrichment_search.py``), so a value added to or dropped from one side must fail here:
otherwise the client would refuse a filter Snov.io takes, or send one the sandbox (and so the tests) never
exercised. Snov.io prints company sizes capitalised ("Self") and compares them case-insensitively (the
sandbox does too), so sizes are compared folded; every other list must match exactly, in the documented order.
"""

from __future__ import annotations

import pytest

from airflow_provider_snovio.api import validation as client_side
from airflow_provider_snovio.sandbox.routes import enrichment_search as sandbox_side

EXACT_PAIRS = [
    ("management levels", client_side.DATABASE_MANAGEMENT_LEVELS, sandbox_side.LEVELS),
    ("departments", client_side.DATABASE_DEPARTMENTS, sandbox_side.DEPARTMENTS),
    ("location types", client_side.DATABASE_LOCATION_TYPES, sandbox_side.LOCATION_TYPES),
    ("revenue minimums", client_side.DATABASE_REVENUE_MIN, sandbox_side.REVENUE_MIN),
    ("revenue maximums", client_side.DATABASE_REVENUE_MAX, sandbox_side.REVENUE_MAX),
]


@pytest.mark.parametrize(("what", "client", "sandbox"), EXACT_PAIRS, ids=[p[0] for p in EXACT_PAIRS])
def test_client_and_sandbox_declare_the_same_choices(what, client, sandbox):
    assert len(client) == len(set(client)), f"{what}: a value declared twice in api/validation.py"
    assert list(client) == list(sandbox), (
        f"{what}: only in api/validation.py {sorted(set(client) - set(sandbox), key=str)}; "
        f"only in the sandbox {sorted(set(sandbox) - set(client), key=str)}"
    )


def test_company_sizes_match_ignoring_case():
    client = [size.lower() for size in client_side.DATABASE_COMPANY_SIZES]
    sandbox = [size.lower() for size in sandbox_side.SIZES]
    assert len(client) == len(set(client))
    assert client == sandbox


def test_every_size_the_client_accepts_is_sent_in_a_spelling_the_sandbox_accepts():
    """The client's canonical spelling (what it sends) passes the sandbox's own check of ``size``."""
    for size in client_side.DATABASE_COMPANY_SIZES:
        matches = sandbox_side._enum_filter("filters.company.size", {"include": [size]}, sandbox_side.SIZES)
        assert matches(size), size  # the sandbox's filter keeps a company of exactly that size

"""Which requests count against Snov.io's hourly plan quotas, and how many units each takes.

Snov.io plans limit two families per hour (``docs/api-reference.md``, "Hourly limits"): the e-mail finder,
counted in requests (``get-emails-from-names`` and ``add-names-to-find-emails``, Starter 200/h), and the
verifier, counted in e-mails (``get-emails-verification-status`` and ``add-emails-to-verification``,
Starter 500/h). Over a quota Snov.io answers "There are too many prospects processing". The docs list the
limits for these v1 calls only, so nothing else is counted here.

A mapping of its own, beside the catalogue rather than a column of it: the limiter reads it right before
sending, with the request as laid out on the wire, so the units are exactly the e-mails sent.
"""

from __future__ import annotations

from collections.abc import Mapping

from airflow_provider_snovio.api.catalogue import ENDPOINTS, Endpoint
from airflow_provider_snovio.api.encoding import PreparedCall

FINDER = "finder"
VERIFIER = "verifier"

#: Catalogue row -> (quota family, the parameter whose items are the units; ``None``: one unit per request).
QUOTA_FAMILY_OF: Mapping[Endpoint, tuple[str, str | None]] = {
    ENDPOINTS.get_emails_from_names: (FINDER, None),
    ENDPOINTS.add_names_to_find_emails: (FINDER, None),
    ENDPOINTS.get_emails_verification_status: (VERIFIER, "emails"),
    ENDPOINTS.add_emails_to_verification: (VERIFIER, "emails"),
}


def quota_use(prepared: PreparedCall) -> tuple[str, int] | None:
    """``(family, units)`` the request takes from an hourly quota, or ``None`` if it counts against none."""
    entry = QUOTA_FAMILY_OF.get(prepared.endpoint)
    if entry is None:
        return None
    family, counted = entry
    if counted is None:
        return family, 1
    wire = f"{prepared.endpoint.params_by_name[counted].wire}[]"
    units = sum(1 for name, _ in (*prepared.query, *prepared.form) if name == wire)
    return family, max(units, 1)

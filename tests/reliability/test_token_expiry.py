"""A token that expires in the middle of a long sync is invisible to the user.

The sandbox issues tokens that live 2 seconds and every request takes 150 ms more before it is processed,
so the sync below spans several token lifetimes, and a request sent just before its token's renewal time
reaches the API after the token expired (a 401 the client must absorb). The sync tasks must succeed,
exactly, having needed several tokens. The same short lifetime runs through ``airflow dags test`` in
``test_secrets_e2e.py`` (no failed task there either).
"""

from __future__ import annotations

import pytest

from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.reliability.conftest import ENGAGEMENT_DATA, table_digest, upstream_keys

pytestmark = pytest.mark.slow

TOKEN_TTL = 2.0


def test_token_expiry_mid_sync_is_invisible(snovio_conn_env: SandboxServer, sqlite_warehouse) -> None:
    from airflow_provider_snovio.transfers import SnovioToSqlOperator

    url = sqlite_warehouse("warehouse")
    snovio_conn_env.configure(**ENGAGEMENT_DATA, token_ttl=TOKEN_TTL, latency_ms=150)
    with snovio_conn_env.state.lock:
        snovio_conn_env.state.tokens.clear()  # tokens cached by earlier tests (an hour's lifetime) are gone
    started = snovio_conn_env.stats()["uptime_seconds"]
    results = {}
    for name in ("campaign_replies", "emails_sent", "campaign_opens"):
        results[name] = SnovioToSqlOperator(task_id=f"sync_{name}", resource=name, sql_conn_id="warehouse").execute(
            {}
        )  # raises if the task fails
    stats = snovio_conn_env.stats()
    elapsed = stats["uptime_seconds"] - started
    print(
        f"{elapsed:.1f} s, {stats['total_requests']} requests, {stats['tokens_issued']} tokens, "
        f"{stats['unauthorized']} 401s absorbed"
    )
    assert elapsed > 3 * TOKEN_TTL, f"the sync took {elapsed:.1f} s: not long enough to outlive tokens"
    # About one token per 3/4 of a lifetime (renewed early), plus one after each 401: more than one, and
    # never one per request.
    assert 3 <= stats["tokens_issued"] <= elapsed / (TOKEN_TTL * 0.75) + stats["unauthorized"] + 2, stats
    assert stats["tokens_issued"] < stats["total_requests"] / 2, stats
    for name, attribute in (("campaign_replies", "replies"), ("emails_sent", "sent"), ("campaign_opens", "opens")):
        synced = table_digest(url, f"snovio_{name}")
        assert synced.keys() == upstream_keys(snovio_conn_env, attribute), name
        assert results[name]["rows_written"] == len(synced)

"""`make demo`: the provider's hook against the local Snov.io sandbox, then a summary.

Starts the sandbox in-process on a free loopback port with Snov.io's real limits (60 requests per
minute), points ``AIRFLOW_CONN_SNOVIO_DEFAULT`` at it, and runs a small campaign-reporting and
lead-enrichment session through ``SnovioHook`` exactly as a DAG task would. The summary is read from
the sandbox's own counters, so it reports what really crossed the wire.
"""

from __future__ import annotations

import itertools
import json
import os
import sys
import tempfile
import time

os.environ.setdefault("AIRFLOW_HOME", os.path.join(tempfile.gettempdir(), "snovio-demo-airflow-home"))
os.environ.setdefault("SNOVIO_RATE_LIMIT_DIR", tempfile.mkdtemp(prefix="snovio-demo-ratelimit-"))

from airflow_provider_snovio.api.status import TaskState, verification_states
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.sandbox.testing import SandboxServer

POLL = {"poll_interval": 0.5, "timeout": 60.0}


def main() -> int:
    started = time.monotonic()
    with SandboxServer(requests_per_minute=60, task_polls_pending=1) as sandbox:
        os.environ["AIRFLOW_CONN_SNOVIO_DEFAULT"] = json.dumps({
            "conn_type": "snovio", "login": sandbox.client_id, "password": sandbox.client_secret,
            "host": sandbox.base_url, "extra": {"requests_per_minute": 60},
        })
        print(f"Sandbox Snov.io API at {sandbox.base_url} (60 requests/minute, like the real one)\n")
        hook = SnovioHook()

        ok, message = hook.test_connection()
        print(f"test_connection: {ok} - {message}")

        print("\nCampaign reporting")
        campaigns = hook.get_user_campaigns()
        for campaign in campaigns:
            replies = sum(1 for _ in hook.iter_campaign_replies(campaign["id"]))
            opens = sum(1 for _ in hook.iter_campaign_opens(campaign["id"]))
            print(f"  {campaign['id']:>8}  {campaign['status']:<9} {campaign['campaign'][:32]:<32} "
                  f"replies={replies:>6} opens={opens:>6}")

        print("\nLead enrichment")
        company = hook.run_task("start_domain_search", domain="octagon.com", **POLL)
        print(f"  octagon.com: {company['data'].get('company_name')} - "
              f"{company['meta'].get('prospects_count')} prospects, {company['meta'].get('emails_count')} emails")
        emails = [row["email"] for row in itertools.islice(hook.iter_domain_emails("octagon.com", **POLL), 5)]
        print(f"  first domain emails: {', '.join(emails)}")
        hook.add_emails_to_verification(emails)
        for _ in range(20):
            body = hook.get_emails_verification_status(emails)
            if all(s not in (TaskState.PENDING, TaskState.NOT_VERIFIED) for s in verification_states(body).values()):
                break
            time.sleep(0.5)
        for email in emails:
            print(f"  verified {email}: {body[email]['data'].get('smtpStatus')}")

        stats = sandbox.stats()
    elapsed = time.monotonic() - started
    print("\nSummary (counted by the sandbox)")
    print(f"  API requests:        {stats['total_requests']}")
    print(f"  429 responses:       {stats['rate_limited']}")
    print(f"  tokens issued:       {stats['tokens_issued']}")
    print(f"  credits spent:       {stats['credits_spent']}")
    print(f"  peak in any window:  {stats['peak_requests_in_window']} (limit 60)")
    print(f"  wall time:           {elapsed:.1f} s")
    return 0 if stats["rate_limited"] == 0 and ok else 1


if __name__ == "__main__":
    sys.exit(main())

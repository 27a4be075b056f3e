"""E2E: domain search (deferrable, one page per tab) feeding the prospect e-mail search."""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_snovio.operators import SnovioDomainSearchOperator, SnovioProspectEmailsOperator

FAST = {"poll_interval": 0.05, "timeout": 30}

with DAG("snovio_e2e_domain_search", schedule=None, start_date=pendulum.datetime(2025, 1, 1, tz="UTC"), catchup=False):
    search = SnovioDomainSearchOperator(task_id="search", domain="octagon.com", max_pages=1, deferrable=True, **FAST)

    @task
    def prospect_hashes(found: dict) -> list[str]:
        return found["prospect_hashes"]

    emails = SnovioProspectEmailsOperator(
        task_id="prospect_emails", prospect_hashes=prospect_hashes(search.output), deferrable=True, **FAST
    )

    @task
    def check(found: dict, prospect_emails: dict) -> None:
        assert found["company"]["company_name"] == "Octagon", found["company"]
        assert found["counts"] == {"prospects": 20, "emails": 50, "generic_contacts": 9}, found["counts"]
        assert prospect_emails["counts"]["prospects"] == 20, prospect_emails["counts"]
        assert "gavin.vanrooyen@octagon.com" in [e for v in prospect_emails["emails"].values() for e in v]
        print("SNOVIO_E2E_DOMAIN_SEARCH_OK")

    check(search.output, emails.output)

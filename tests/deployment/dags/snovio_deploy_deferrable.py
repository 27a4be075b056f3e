"""Deployment test: every deferrable operator and sensor of the provider in one DAG.

Run by tests/deployment under a real scheduler, triggerer, dag-processor and api-server. The sandbox keeps
its asynchronous work pending for several polls (``task_polls_pending``), so each deferring task really
waits in the triggerer, for some seconds each time. Inputs are fixed, so a second run finds everything
already paid for (the domain search and prospect starts are charged once per domain/prospect, verified
e-mails and found names are read for free, a queued profile URL is found by the free look-up).

Why the waits are seconds, not instants: on a loaded machine Airflow 3.3's scheduler can fail a task that
resumed after a deferral when it processes the exit of the process that deferred only after the resumed one
started (same try number: "task-state-changed-externally"); a trigger firing at its first poll made that
happen on every run here. Retries as in production (the example DAGs have them too): a retry must not pay
again, which the test checks through the exact credits.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, task

from airflow_provider_snovio.operators import (
    SnovioDomainSearchOperator,
    SnovioEmailFinderOperator,
    SnovioEmailVerificationOperator,
    SnovioProfileEnrichmentOperator,
    SnovioProspectEmailsOperator,
)
from airflow_provider_snovio.sensors import (
    SnovioCampaignProgressSensor,
    SnovioEmailVerificationSensor,
    SnovioTaskSensor,
)

EMAILS = ["gavin.vanrooyen@octagon.com", "lizi.hamer@octagon.com", "john.doe@yourdomain.com", "jane.doe@yourdomain.com"]
PEOPLE = [
    {"first_name": "Gavin", "last_name": "Vanrooyen", "domain": "octagon.com"},
    {"first_name": "John", "last_name": "Doe", "domain": "yourdomain.com"},
]
PROFILE_URL = "https://www.linkedin.com/in/john-doe-123456"
PROSPECTS = 2  # prospects whose e-mails are searched (each start is paid once)
WAIT = {"poll_interval": 1.0, "timeout": 240, "deferrable": True}
SENSE = {"poke_interval": 1.0, "timeout": 240, "deferrable": True}

with DAG(
    "snovio_deploy_deferrable",
    schedule=None,
    start_date=pendulum.datetime(2025, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    tags=["snovio", "deployment-test"],
    default_args={"retries": 2, "retry_delay": pendulum.duration(seconds=2)},
):
    search = SnovioDomainSearchOperator(task_id="domain_search", domain="octagon.com", max_pages=1, **WAIT)

    @task
    def first_prospects(found: dict) -> list[str]:
        return sorted(found["prospect_hashes"])[:PROSPECTS]

    prospect_emails = SnovioProspectEmailsOperator(
        task_id="prospect_emails", prospect_hashes=first_prospects(search.output), **WAIT
    )
    finder = SnovioEmailFinderOperator(task_id="email_finder", people=PEOPLE, api_version="v1", **WAIT)
    verification = SnovioEmailVerificationOperator(
        task_id="verification", emails=EMAILS, api_version="v1", greylisted_poll_interval=0.5, **WAIT
    )
    enrichment = SnovioProfileEnrichmentOperator(task_id="enrichment", profile_urls=[PROFILE_URL], **WAIT)

    @task
    def search_task_hash() -> str:
        """A v2 task of our own to watch (its start is paid once per domain: free after domain_search)."""
        from airflow_provider_snovio.api.status import task_hash_of
        from airflow_provider_snovio.hooks.snovio import SnovioHook

        return task_hash_of(SnovioHook().start_domain_search("octagon.com"))

    @task
    def active_campaign() -> str:
        from airflow_provider_snovio.hooks.snovio import SnovioHook

        return str(next(c["id"] for c in SnovioHook().get_user_campaigns() if c["status"] == "Active"))

    hash_ = search_task_hash()
    search >> hash_  # the search pays for the domain; this start then costs nothing
    task_sensor = SnovioTaskSensor(
        task_id="task_sensor", task_hash=hash_, result_method="get_domain_search_result", **SENSE
    )
    progress_sensor = SnovioCampaignProgressSensor(
        task_id="progress_sensor", campaign_id=active_campaign(), min_progress=50, **SENSE
    )
    verified_sensor = SnovioEmailVerificationSensor(
        task_id="verified_sensor", emails=EMAILS, greylisted_poll_interval=0.5, **SENSE
    )
    verification >> verified_sensor

    @task(retries=0)
    def check(
        found: dict,
        prospects: dict,
        finder_result: dict,
        verified: dict,
        enriched: dict,
        task_result: dict,
        statuses: dict,
    ) -> dict:
        assert found["company"]["company_name"] == "Octagon", found["company"]
        assert prospects["counts"]["prospects"] == PROSPECTS, prospects["counts"]
        people = {p["last_name"]: [e["email"] for e in p["emails"]] for p in finder_result["people"]}
        assert people == {"Vanrooyen": ["gavin.vanrooyen@octagon.com"], "Doe": ["john.doe@yourdomain.com"]}, people
        assert set(verified["results"]) == set(EMAILS), verified["results"]
        assert enriched["profile_urls"][PROFILE_URL]["name"] == "John Doe", enriched
        assert task_result["status"] == "completed", task_result
        assert set(statuses) == set(EMAILS), statuses
        return {
            "finder_queued": finder_result.get("queued"),
            "verification_queued": verified.get("queued"),
            "prospects_with_emails": sum(1 for v in prospects["emails"].values() if v),
        }

    check(
        search.output,
        prospect_emails.output,
        finder.output,
        verification.output,
        enrichment.output,
        task_sensor.output,
        verified_sensor.output,
    )

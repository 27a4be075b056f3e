"""Lead enrichment: company domains -> prospects' e-mails -> verified -> good leads into a Snov.io list and
the warehouse.

What it does (triggered manually or by an upstream DAG, with the domains as a param):

1. ``balance_guard``: reads the credit balance (free) and skips the whole run when it is below
   ``min_balance``, before anything is paid for;
2. ``domain_search`` (one mapped task per domain, deferrable): the prospects of each domain (1 credit per
   unique page);
3. ``prospect_emails`` (deferrable): each prospect's e-mails (1 credit per prospect with an e-mail);
4. ``verify`` (deferrable): every e-mail found is verified; only unverified addresses are paid for;
5. ``create_list`` / ``add_to_list``: the valid addresses go into the Snov.io prospect list ``list_name``
   (reused when it exists; a retry never adds a prospect twice), where a drip campaign can pick them up;
6. ``to_warehouse``: one row per address (domain, prospect, SMTP status, list) upserted into ``table``.

Paid steps record what they started in Airflow 3.3's ``task_state_store``: a retry or a rerun waits on the
same Snov.io tasks instead of paying again. Deferrable tasks wait in the triggerer (``airflow triggerer``
must run; ``airflow dags test`` runs triggers in line).

Connections:

- ``snovio_default`` (type ``snovio``; param ``snovio_conn_id``): the Snov.io account.
- ``snovio_warehouse`` (param ``sql_conn_id``): a SQLite or PostgreSQL connection for the results table.

Environment (read when the file is parsed): ``SNOVIO_EXAMPLE_POLL_INTERVAL`` (seconds between status
polls, default 10) and ``SNOVIO_EXAMPLE_GREYLISTED_POLL_INTERVAL`` (seconds before a greylisted address is
asked again, default 900, Snov.io's advice).
"""

from __future__ import annotations

import os
from datetime import datetime, timezone

import pendulum
from airflow.sdk import DAG, BaseHook, Param, get_current_context, task

from airflow_provider_snovio.operators import (
    SnovioAddProspectsToListOperator,
    SnovioBalanceCheckOperator,
    SnovioCreateListOperator,
    SnovioDomainSearchOperator,
    SnovioEmailVerificationOperator,
    SnovioProspectEmailsOperator,
)

WAIT = {
    "poll_interval": float(os.environ.get("SNOVIO_EXAMPLE_POLL_INTERVAL", "10")),
    "timeout": 3600,
    "deferrable": True,
}
GREYLISTED_POLL_INTERVAL = float(os.environ.get("SNOVIO_EXAMPLE_GREYLISTED_POLL_INTERVAL", "900"))
SNOVIO = {"snovio_conn_id": "{{ params.snovio_conn_id }}"}

with DAG(
    dag_id="snovio_lead_enrichment",
    description="Domains -> prospects' e-mails -> verification -> Snov.io list and warehouse",
    schedule=None,
    start_date=pendulum.datetime(2025, 9, 1, tz="UTC"),
    catchup=False,
    render_template_as_native_obj=True,  # list ids and prospects arrive as Python values
    params={
        "domains": Param(
            ["octagon.com"], type="array", items={"type": "string"}, minItems=1, description="company domains to search"
        ),
        "list_name": Param("Airflow leads", type="string", description="Snov.io prospect list of valid leads"),
        "min_balance": Param(100, type="number", minimum=0, description="skip the run below this many credits"),
        "table": Param("snovio_leads", type="string", description="warehouse table of the results"),
        "sql_conn_id": Param("snovio_warehouse", type="string", description="warehouse connection"),
        "snovio_conn_id": Param("snovio_default", type="string", description="Snov.io connection"),
    },
    tags=["snovio", "example", "enrichment"],
    doc_md=__doc__,
) as dag:
    guard = SnovioBalanceCheckOperator(
        task_id="balance_guard", min_balance="{{ params.min_balance }}", on_low="skip", **SNOVIO
    )

    @task
    def domains(params: dict | None = None) -> list[str]:
        return list(params["domains"])

    search = SnovioDomainSearchOperator.partial(
        task_id="domain_search",
        include=["company", "prospects"],
        max_pages=1,
        **WAIT,
        **SNOVIO,
    ).expand(domain=domains())

    @task
    def prospect_hashes(found: list[dict]) -> list[str]:
        """Every prospect of every domain (the mapped searches' XComs)."""
        return [h for result in found for h in result["prospect_hashes"]]

    emails = SnovioProspectEmailsOperator(
        task_id="prospect_emails", prospect_hashes=prospect_hashes(search.output), **WAIT, **SNOVIO
    )

    @task
    def addresses(found: dict) -> list[str]:
        return sorted({email for hash_emails in found["emails"].values() for email in hash_emails})

    verify = SnovioEmailVerificationOperator(
        task_id="verify",
        emails=addresses(emails.output),
        greylisted_poll_interval=GREYLISTED_POLL_INTERVAL,
        **WAIT,
        **SNOVIO,
    )

    @task.short_circuit(ignore_downstream_trigger_rules=False)
    def valid_leads(verified: dict) -> list[dict]:
        """The addresses Snov.io found valid, as list prospects; none: the list steps are skipped."""
        return [
            {"email": email, "company_site": "https://" + email.rsplit("@", 1)[1]}
            for email, result in verified["results"].items()
            if result.get("smtp_status") == "valid"
        ]

    valid = valid_leads(verify.output)
    create_list = SnovioCreateListOperator(task_id="create_list", name="{{ params.list_name }}", **SNOVIO)
    add_to_list = SnovioAddProspectsToListOperator(
        task_id="add_to_list", list_id=create_list.output, prospects=valid, **SNOVIO
    )

    @task(trigger_rule="none_failed_min_one_success")
    def to_warehouse(found: dict, verified: dict, params: dict | None = None) -> dict:
        """Upsert one row per address into ``params.table`` (created when missing)."""
        from airflow_provider_snovio.transfers.warehouse import sql_identifier

        table = sql_identifier("table", params["table"])
        added = get_current_context()["ti"].xcom_pull(task_ids="add_to_list")  # None when skipped
        list_id = added["list_id"] if added else None
        listed = (
            set()
            if not added
            else {email for email, result in verified["results"].items() if result.get("smtp_status") == "valid"}
            - set(added.get("failures") or {})
        )
        prospect_of = {email: h for h, hash_emails in found["emails"].items() for email in hash_emails}
        now = datetime.now(timezone.utc).replace(tzinfo=None).isoformat(sep=" ", timespec="seconds")
        rows = [
            (
                email,
                email.rsplit("@", 1)[1],
                prospect_of.get(email),
                result.get("smtp_status"),
                list_id if email in listed else None,
                now,
            )
            for email, result in sorted(verified["results"].items())
        ]
        db = BaseHook.get_connection(params["sql_conn_id"]).get_hook()
        db.run(
            f"CREATE TABLE IF NOT EXISTS {table} (email VARCHAR(320) PRIMARY KEY, domain VARCHAR(255), "
            "prospect_hash VARCHAR(255), smtp_status VARCHAR(32), list_id BIGINT, updated_at VARCHAR(32))"
        )
        db.insert_rows(
            table,
            rows,
            target_fields=["email", "domain", "prospect_hash", "smtp_status", "list_id", "updated_at"],
            replace=True,
            replace_index="email",
        )
        return {"table": table, "rows": len(rows), "listed": len(listed), "list_id": list_id}

    guard >> search
    valid >> create_list
    to_warehouse(emails.output, verify.output) << add_to_list

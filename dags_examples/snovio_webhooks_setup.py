"""Webhooks set-up: make sure Snov.io calls your endpoint when a prospect replies and when an e-mail is opened.

What it does (on demand, or after a deploy of the receiving service):

- ``reply_webhook``: a webhook ``campaign_reply`` / ``received`` pointing at ``endpoint_url``;
- ``open_webhook``: a webhook ``campaign_email`` / ``opened`` pointing at the same URL.

Each is idempotent: created when missing, re-activated when deactivated, left alone when active (the XCom
says which: ``created``, ``reactivated`` or ``unchanged``). Set the param ``action`` to ``deactivate`` or
``delete`` to switch both off. Reads and webhook changes cost no credits.

Connections:

- ``snovio_default`` (type ``snovio``; param ``snovio_conn_id``): the Snov.io account.
"""

from __future__ import annotations

import pendulum
from airflow.sdk import DAG, Param

from airflow_provider_snovio.operators import SnovioWebhookOperator

#: task id -> (event object, event action) Snov.io calls the endpoint for.
WEBHOOKS = {
    "reply_webhook": ("campaign_reply", "received"),
    "open_webhook": ("campaign_email", "opened"),
}

with DAG(
    dag_id="snovio_webhooks_setup",
    description="Ensure the reply and open webhooks point at a given URL",
    schedule=None,
    start_date=pendulum.datetime(2025, 9, 1, tz="UTC"),
    catchup=False,
    params={
        "endpoint_url": Param(
            "https://hooks.example.com/snovio", type="string", pattern="^https?://", description="the URL Snov.io calls"
        ),
        "action": Param("ensure", enum=["ensure", "deactivate", "delete"]),
        "snovio_conn_id": Param("snovio_default", type="string", description="Snov.io connection"),
    },
    tags=["snovio", "example", "account"],
    doc_md=__doc__,
) as dag:
    for task_id, (event_object, event_action) in WEBHOOKS.items():
        SnovioWebhookOperator(
            task_id=task_id,
            action="{{ params.action }}",
            event_object=event_object,
            event_action=event_action,
            endpoint_url="{{ params.endpoint_url }}",
            snovio_conn_id="{{ params.snovio_conn_id }}",
        )

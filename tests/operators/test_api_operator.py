"""SnovioApiOperator (the escape hatch) against the sandbox over HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_snovio.api.errors import SnovioPartialError, SnovioValidationError
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.operators import SnovioApiOperator
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.operators.account_support import MemoryTaskStateStore, context, credits, requests

GAVIN = "gavin.vanrooyen@octagon.com"


def _op(endpoint: str, arguments: dict[str, Any] | None = None, **kwargs: Any) -> SnovioApiOperator:
    return SnovioApiOperator(task_id="api", endpoint=endpoint, arguments=arguments, **kwargs)


def test_a_free_endpoint_returns_its_answer(snovio_conn_env: SandboxServer) -> None:
    assert _op("get_balance").execute(context()) == SnovioHook().get_balance()
    campaign = snovio_conn_env.state.data.campaigns.campaigns[0]
    progress = _op("get_campaign_progress", {"campaign_id": str(campaign.id)}).execute(context())
    assert set(progress) >= {"status", "unfinished", "progress"}
    replies = _op("get_campaign_replies", {"campaignId": campaign.id, "offset": 0}).execute(context())  # wire names
    assert isinstance(replies, list) and replies


def test_a_big_answer_goes_to_output_path(snovio_conn_env: SandboxServer, tmp_path) -> None:
    out = tmp_path / "campaigns.jsonl"
    result = _op("get_user_campaigns", output_path=f"file://{out}").execute(context())
    assert result == {"output_path": f"file://{out}"}
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["id"] for row in rows] == [c.id for c in snovio_conn_env.state.data.campaigns.campaigns]


def test_a_paid_call_is_not_paid_again_by_a_retry(snovio_conn_env: SandboxServer) -> None:
    store = MemoryTaskStateStore()
    first = _op("get_profile_by_email", {"email": GAVIN}).execute(context(store))
    retried = _op("get_profile_by_email", {"email": GAVIN}).execute(context(store))
    assert retried == first and first["name"] == "Gavin Vanrooyen"
    assert credits(snovio_conn_env) == 1 and requests(snovio_conn_env, "POST /v1/get-profile-by-email") == 1
    other = _op("get_profile_by_email", {"email": "lizi.hamer@octagon.com"}).execute(context(store))
    assert other["name"] != first["name"] and credits(snovio_conn_env) == 2


def test_a_split_paid_call_that_stopped_part_way_resumes_with_the_rest(snovio_conn_env: SandboxServer) -> None:
    emails = [f"person{i}@octagon.com" for i in range(25)]
    snovio_conn_env.configure(initial_balance=12)
    snovio_conn_env.reset()
    store = MemoryTaskStateStore()
    with pytest.raises(SnovioPartialError):
        _op("add_emails_to_verification", {"emails": emails}).execute(context(store))
    assert credits(snovio_conn_env) == 10  # the first request of ten went through

    snovio_conn_env.state.balance = 100.0
    answer = _op("add_emails_to_verification", {"emails": emails}).execute(context(store))
    assert credits(snovio_conn_env) == 25  # each e-mail paid once
    assert {email for email in answer if email in emails} == set(emails)
    assert requests(snovio_conn_env, "POST /v1/add-emails-to-verification") == 1 + 1 + 2


@pytest.mark.parametrize(
    ("endpoint", "arguments", "field"),
    [
        ("get_everything", {}, "endpoint"),
        ("get_balance", {"verbose": True}, "verbose"),
        ("get_campaign_progress", {}, "campaign_id"),
        ("get_campaign_progress", {"campaign_id": "../get-balance"}, "campaign_id"),
        ("add_emails_to_verification", {"emails": ["a@example.com", "nope"]}, "emails[1]"),
        ("add_emails_to_verification", {"emails": [f"p{i}@example.com" for i in range(15)] + ["x"]}, "emails[15]"),
        ("get_profile_by_email", "email=a@example.com", "arguments"),
    ],
)
def test_bad_input_is_refused_before_any_request(
    snovio_conn_env: SandboxServer, endpoint: str, arguments: Any, field: str
) -> None:
    with pytest.raises(SnovioValidationError) as caught:
        SnovioApiOperator(task_id="api", endpoint=endpoint, arguments=arguments).execute(context())
    assert caught.value.field == field
    assert requests(snovio_conn_env) == 0 and credits(snovio_conn_env) == 0


def test_endpoint_and_arguments_are_templated(snovio_conn_env: SandboxServer) -> None:
    from airflow.sdk import DAG

    campaign = snovio_conn_env.state.data.campaigns.campaigns[0]
    with DAG("api_templating", schedule=None):
        op = SnovioApiOperator(
            task_id="api", endpoint="{{ params.endpoint }}", arguments={"campaign_id": "{{ params.campaign }}"}
        )
    op.render_template_fields({"params": {"endpoint": "get_campaign_progress", "campaign": campaign.id}})
    assert (op.endpoint, op.arguments) == ("get_campaign_progress", {"campaign_id": str(campaign.id)})
    assert op.execute(context())["status"] == campaign.status

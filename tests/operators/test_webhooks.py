"""SnovioWebhookOperator: idempotent ensure / deactivate / delete against the sandbox over HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_snovio.api.errors import SnovioValidationError
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.operators import SnovioWebhookOperator
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.operators.account_support import context, requests

URL = "https://hooks.example.com/snovio/replies"


def _run(action: str, **overrides: Any) -> dict[str, Any]:
    kwargs = {"event_object": "campaign_reply", "event_action": "received", "endpoint_url": URL, **overrides}
    return SnovioWebhookOperator(task_id=f"webhook_{action}", action=action, **kwargs).execute(context())


def _matching() -> list[dict[str, Any]]:
    listed = SnovioHook().list_webhooks()["data"]
    return [item["data"] for item in listed if item["data"]["end_point"] == URL]


def test_ensure_twice_creates_one_webhook(snovio_conn_env: SandboxServer) -> None:
    count = len(snovio_conn_env.state.data.webhooks)
    first = _run("ensure")
    second = _run("ensure")
    assert first["result"] == "created" and second["result"] == "unchanged"
    assert first["webhook_id"] == second["webhook_id"] is not None
    assert len(snovio_conn_env.state.data.webhooks) == count + 1
    assert requests(snovio_conn_env, "POST /v2/webhooks") == 1
    assert [hook["status"] for hook in _matching()] == ["active"]


def test_other_events_on_the_same_url_are_different_webhooks(snovio_conn_env: SandboxServer) -> None:
    _run("ensure")
    other = _run("ensure", event_object="campaign_email", event_action="opened")
    assert other["result"] == "created"
    assert len(_matching()) == 2


def test_ensure_reactivates_a_deactivated_webhook(snovio_conn_env: SandboxServer) -> None:
    created = _run("ensure")
    assert _run("deactivate")["result"] == "deactivated"
    assert [hook["status"] for hook in _matching()] == ["deactivated"]
    again = _run("ensure")
    assert again == {
        "action": "ensure",
        "result": "reactivated",
        "webhook_id": created["webhook_id"],
        "webhook_ids": [created["webhook_id"]],
    }
    assert [hook["status"] for hook in _matching()] == ["active"]
    assert requests(snovio_conn_env, "POST /v2/webhooks") == 1


def test_deactivate_is_idempotent_and_absent_is_nothing(snovio_conn_env: SandboxServer) -> None:
    assert _run("deactivate") == {"action": "deactivate", "result": "absent", "webhook_id": None, "webhook_ids": []}
    _run("ensure")
    assert _run("deactivate")["result"] == "deactivated"
    assert _run("deactivate")["result"] == "unchanged"
    assert requests(snovio_conn_env, "PUT /v2/webhooks/{webhook_id}") == 1


def test_delete_removes_every_match_then_nothing(snovio_conn_env: SandboxServer) -> None:
    hook = SnovioHook()
    hook.add_webhook("campaign_reply", "received", URL)  # a duplicate registered by hand
    _run("ensure")
    assert len(_matching()) == 1  # ensure saw the existing one
    hook.add_webhook("campaign_reply", "received", URL)
    deleted = _run("delete")
    assert deleted["result"] == "deleted" and len(deleted["webhook_ids"]) == 2
    assert _matching() == []
    assert _run("delete")["result"] == "absent"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"action": "purge"}, "action"),
        ({"event_object": "campaign_click"}, "event_object"),
        ({"event_action": "opened"}, "event_action"),  # not an action of campaign_reply
        ({"endpoint_url": "ftp://hooks.example.com"}, "endpoint_url"),
        ({"endpoint_url": ""}, "endpoint_url"),
    ],
)
def test_bad_input_is_refused_before_any_request(snovio_conn_env: SandboxServer, overrides: dict, field: str) -> None:
    kwargs = {
        "action": "ensure",
        "event_object": "campaign_reply",
        "event_action": "received",
        "endpoint_url": URL,
        **overrides,
    }
    with pytest.raises(SnovioValidationError) as caught:
        SnovioWebhookOperator(task_id="webhook", **kwargs).execute(context())
    assert caught.value.field == field
    assert requests(snovio_conn_env) == 0


def test_templated_fields() -> None:
    assert {"snovio_conn_id", "action", "event_object", "event_action", "endpoint_url"} <= set(
        SnovioWebhookOperator.template_fields
    )

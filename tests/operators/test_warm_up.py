"""SnovioWarmUpOperator: idempotent ensure / pause / resume / complete / delete against the sandbox over HTTP.

The sandbox seeds sender accounts 21 (warm-up 301: active, progressive, 40 a day from 2, +2), 22 (302: paused,
steady) and 23 (303: error).
"""

from __future__ import annotations

from typing import Any

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_snovio.api.errors import SnovioApiError, SnovioValidationError
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.operators import SnovioWarmUpOperator
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.operators.account_support import context, requests

CREATE = "POST /v2/warm-up"
PATCH = "PATCH /v2/warm-up/{warm_up_id}"
DELETE = "DELETE /v2/warm-up/{warm_up_id}"
SEEDED = {"per_day": 40, "from_": 2, "increase": 2, "strategy": "progressive", "reply_rate": 30}


@pytest.fixture
def sandbox(snovio_conn_env: SandboxServer) -> SandboxServer:
    return snovio_conn_env


@pytest.fixture
def hook(sandbox: SandboxServer) -> SnovioHook:
    return SnovioHook()


def warm_up(account_id: int = 21, action: str = "ensure", settings: Any = None) -> dict[str, Any]:
    return SnovioWarmUpOperator(
        task_id=f"warm_up_{action}", email_account_id=account_id, action=action, settings=settings
    ).execute(context())


def of_account(hook: SnovioHook, account_id: int) -> list[dict[str, Any]]:
    return [w for w in hook.iter_warm_ups() if w["email_account"]["id"] == account_id]


def test_ensure_with_the_current_settings_sends_nothing(sandbox: SandboxServer) -> None:
    assert warm_up(settings=SEEDED) == {
        "action": "ensure",
        "result": "unchanged",
        "warm_up_id": 301,
        "status": "active",
    }
    assert requests(sandbox, PATCH) == 0 and requests(sandbox, CREATE) == 0


def test_ensure_updates_only_the_changed_settings(sandbox: SandboxServer, hook: SnovioHook) -> None:
    changed = {**SEEDED, "per_day": 60, "reply_rate": 40, "campaign_deadline": "2099-01-31"}
    assert warm_up(settings=changed)["result"] == "updated"
    data = hook.get_warm_up(301)["data"]
    assert (data["per_day"], data["reply_rate"], data["campaign_deadline"]) == (60, 40, "2099-01-31")
    assert data["from"] == 2 and data["status"] == "active"
    assert warm_up(settings=changed)["result"] == "unchanged"  # a re-run changes nothing
    assert requests(sandbox, PATCH) == 1


def test_delete_then_ensure_creates_one_warm_up(sandbox: SandboxServer, hook: SnovioHook) -> None:
    assert warm_up(action="delete") == {"action": "delete", "result": "deleted", "warm_up_id": 301, "status": None}
    assert warm_up(action="delete")["result"] == "absent"
    assert requests(sandbox, DELETE) == 1
    settings = {"per_day": 30, "from": 3, "increase": 1, "providers": ["gmail"]}  # "from" as Snov.io spells it
    created = warm_up(settings=settings)
    assert created["result"] == "created" and created["warm_up_id"] != 301
    assert [w["id"] for w in of_account(hook, 21)] == [created["warm_up_id"]]
    assert warm_up(settings=settings)["result"] == "updated"  # providers cannot be compared: re-sent (harmless)
    assert [w["id"] for w in of_account(hook, 21)] == [created["warm_up_id"]]
    assert requests(sandbox, CREATE) == 1


def test_a_lost_create_answer_leaves_exactly_one_warm_up(sandbox: SandboxServer, hook: SnovioHook) -> None:
    warm_up(action="delete")
    sandbox.configure(fault_routes=CREATE, drop_rate=1.0, fault_phase="after")
    created = warm_up(settings={"per_day": 25, "strategy": "steady"})
    assert sandbox.stats()["faults"]["drop"] == 1  # the create's answer really was lost
    sandbox.restore_config()
    assert created["result"] == "created"
    assert [w["id"] for w in of_account(hook, 21)] == [created["warm_up_id"]]
    assert requests(sandbox, CREATE) == 1  # never resent blindly
    # A retry of the task finds it and changes nothing.
    assert warm_up(settings={"per_day": 25, "strategy": "steady"})["result"] == "unchanged"


def test_pause_resume_complete(sandbox: SandboxServer, hook: SnovioHook) -> None:
    assert warm_up(22, "pause")["result"] == "unchanged"  # 302 is seeded paused
    assert warm_up(22, "resume") == {"action": "resume", "result": "resumed", "warm_up_id": 302, "status": "active"}
    assert hook.get_warm_up(302)["data"]["status"] == "active"
    assert warm_up(22, "resume")["result"] == "unchanged"
    assert warm_up(22, "pause")["result"] == "paused"
    assert warm_up(22, "complete")["result"] == "completed"
    assert hook.get_warm_up(302)["data"]["status"] == "completed"
    assert requests(sandbox, PATCH) == 3


def test_a_status_action_without_a_warm_up_fails(sandbox: SandboxServer) -> None:
    warm_up(action="delete")
    with pytest.raises(AirflowFailException, match="Account 21 has no warm-up to pause"):
        warm_up(action="pause")
    assert requests(sandbox, PATCH) == 0


def test_the_plans_per_day_cap_is_snovios_refusal(sandbox: SandboxServer, hook: SnovioHook) -> None:
    """``per_day`` 1-1000 "depending on plan": above the plan's cap Snov.io refuses, and nothing is created."""
    sandbox.configure(warm_up_per_day_max=50)
    warm_up(action="delete")
    with pytest.raises(SnovioApiError, match="per_day"):
        warm_up(settings={"per_day": 60, "strategy": "steady"})
    assert of_account(hook, 21) == []
    assert warm_up(settings={"per_day": 50, "strategy": "steady"})["result"] == "created"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"settings": {"from_": 2, "increase": 2}}, "settings.per_day"),
        ({"settings": {"per_day": 40}}, "settings.from_"),  # progressive (the default) needs from + increase
        ({"settings": {**SEEDED, "from_": 6}}, "settings.from_"),  # 1-5 on create
        ({"settings": {**SEEDED, "reply_rate": 50}}, "settings.reply_rate"),
        ({"settings": {**SEEDED, "email_content": "specific"}}, "settings.subject"),
        ({"settings": "{not json"}, "settings"),
        ({"settings": {**SEEDED, "from": 2}}, "settings.from_"),  # both spellings at once
        ({"settings": {**SEEDED, "email_account_id": 22}}, "settings.email_account_id"),
        ({"action": "pause", "settings": SEEDED}, "settings"),
        ({"action": "stop"}, "action"),
        ({"email_account_id": "abc", "action": "delete"}, "email_account_id"),
    ],
)
def test_bad_input_is_refused_naming_the_field_before_any_request(
    sandbox: SandboxServer, kwargs: dict[str, Any], field: str
) -> None:
    arguments = {"email_account_id": 21, "settings": None, **kwargs}
    with pytest.raises(SnovioValidationError) as caught:
        SnovioWarmUpOperator(task_id="w", **arguments).execute(context())
    assert caught.value.field == field
    assert requests(sandbox) == 0


def test_templated_fields() -> None:
    assert {"email_account_id", "action", "settings"} <= set(SnovioWarmUpOperator.template_fields)

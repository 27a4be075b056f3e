"""Webhook endpoints #37-#40 (v2, JSON bodies).

Why the id is a path segment: a public client used the literal path ``/v2/webhooks/webhook_id`` and could
never change or delete anything; here a non-numeric or unknown id answers the documented 404 body.

Decisions where the docs are silent: invalid input -> 422 ``{"errors": {"code": 422, "title", "source":
<field>}}``; creating the 51st webhook -> 400 with the same shape. Deactivated webhooks count toward the 50.
Inputs are read from a JSON body (documented) but a form body works too.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from airflow_provider_snovio.sandbox.auth import require_token
from airflow_provider_snovio.sandbox.data.webhooks import WEBHOOK_EVENTS, WEBHOOK_STATUSES
from airflow_provider_snovio.sandbox.errors import not_found, v2_error
from airflow_provider_snovio.sandbox.params import request_params
from airflow_provider_snovio.sandbox.state import StateDep

router = APIRouter(dependencies=[Depends(require_token)], tags=["webhooks"])

_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def _model(hook: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": hook["id"],
        "end_point": hook["end_point"],
        "event_object": hook["event_object"],
        "event_action": hook["event_action"],
        "created_at": hook["created_at"],
        "status": hook["status"],
    }


@router.get("/v2/webhooks")
async def list_webhooks(state: StateDep) -> JSONResponse:
    """#37 each item wrapped in its own ``data``."""
    with state.lock:
        hooks = [{"data": _model(h)} for h in state.data.webhooks.values()]
        user_id = state.data.user_id
    return JSONResponse({"data": hooks, "meta": {"webhooks_count": len(hooks), "user_id": user_id}})


@router.post("/v2/webhooks")
async def add_webhook(request: Request, state: StateDep) -> JSONResponse:
    """#38 subscribe ``endpoint_url`` to ``event_object``/``event_action``."""
    params = await request_params(request)
    event_object = params.get_str("event_object")
    event_action = params.get_str("event_action")
    endpoint_url = params.get_str("endpoint_url")
    if event_object not in WEBHOOK_EVENTS:
        return v2_error(f"event_object must be one of: {', '.join(WEBHOOK_EVENTS)}", source="event_object")
    if event_action not in WEBHOOK_EVENTS[event_object]:
        allowed = ", ".join(WEBHOOK_EVENTS[event_object])
        return v2_error(f"event_action for {event_object} must be one of: {allowed}", source="event_action")
    if endpoint_url is None or not _URL.match(endpoint_url):
        return v2_error("endpoint_url must be an http(s) URL", source="endpoint_url")
    with state.lock:
        if len(state.data.webhooks) >= state.config.max_webhooks:
            return v2_error(
                f"Webhooks limit exceeded: an account can have at most {state.config.max_webhooks} webhooks",
                status=400,
            )
        webhook_id = state.data.next_webhook_id()
        hook = {
            "id": webhook_id,
            "end_point": endpoint_url,
            "event_object": event_object,
            "event_action": event_action,
            "status": "active",
            "created_at": int(state.now()),
        }
        state.data.webhooks[webhook_id] = hook
        return JSONResponse({"data": _model(hook), "meta": {"user_id": state.data.user_id}})


@router.put("/v2/webhooks/{webhook_id}")
async def change_webhook_status(webhook_id: str, request: Request, state: StateDep) -> JSONResponse:
    """#39 ``status`` active | deactivated."""
    params = await request_params(request)
    status = params.get_str("status")
    with state.lock:
        hook = state.data.webhooks.get(int(webhook_id)) if webhook_id.isdigit() else None
        if hook is None:
            return not_found()
        if status not in WEBHOOK_STATUSES:
            return v2_error(f"status must be one of: {', '.join(WEBHOOK_STATUSES)}", source="status")
        hook["status"] = status
        return JSONResponse({"data": _model(hook), "meta": {"user_id": state.data.user_id}})


@router.delete("/v2/webhooks/{webhook_id}")
async def delete_webhook(webhook_id: str, state: StateDep) -> JSONResponse:
    """#40."""
    with state.lock:
        if not webhook_id.isdigit() or int(webhook_id) not in state.data.webhooks:
            return not_found()
        del state.data.webhooks[int(webhook_id)]
    return JSONResponse({"data": {"success": True}})

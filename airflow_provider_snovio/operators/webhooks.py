"""Register, deactivate or delete a Snov.io webhook, idempotently.

A DAG that registers its webhook on every run must not create a new one each time (Snov.io allows at
most 50 per account), so every action first lists the webhooks and acts only on what differs.

Creating a webhook is not idempotent, so a POST whose answer is lost (a read timeout, a dropped
connection, a 5xx) is never resent blindly: the webhooks are listed again, and it is created again only
if no matching webhook appeared (this relies on Snov.io listing a new webhook right after creating it).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api import validation as v
from airflow_provider_snovio.api.catalogue import ENDPOINTS
from airflow_provider_snovio.api.encoding import prepare
from airflow_provider_snovio.api.errors import SnovioError, SnovioNotFoundError, SnovioValidationError
from airflow_provider_snovio.api.retry import may_have_taken_effect
from airflow_provider_snovio.operators.base import SnovioBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

ACTIONS = ("ensure", "deactivate", "delete")
_ACTIVE, _DEACTIVATED = v.WEBHOOK_STATUSES


def _webhooks(answer: Any) -> list[dict[str, Any]]:
    """The webhooks of a list answer (#37: each item wrapped in its own ``data``)."""
    items = answer.get("data") if isinstance(answer, dict) else None
    return [
        item["data"] if isinstance(item.get("data"), dict) else item for item in items or [] if isinstance(item, dict)
    ]


class SnovioWebhookOperator(SnovioBaseOperator):
    """Make sure a webhook exists and is active, or deactivate or delete it.

    A webhook is identified by ``(event_object, event_action, endpoint_url)``.

    * ``ensure``: create it if missing, re-activate it if deactivated, nothing if active.
    * ``deactivate``: deactivate every matching active webhook; nothing if none.
    * ``delete``: delete every matching webhook; nothing if none.

    Running the same action twice changes nothing the second time, so retries and daily runs are safe.

    :param action: ``ensure`` (default), ``deactivate`` or ``delete`` (templated).
    :param event_object: one of the 9 objects of the 2026 list, e.g. ``campaign_email``, ``campaign_reply``,
        ``prospect``, ``email_verification`` (templated; ``api.validation.WEBHOOK_EVENTS``).
    :param event_action: an action of that object, e.g. ``sent``, ``opened``, ``received``, ``verified``
        (templated); only the 23 documented pairs are accepted.
    :param endpoint_url: the http(s) URL Snov.io posts events to (templated).

    XCom: ``{"action", "result", "webhook_id", "webhook_ids"}``; ``result`` is ``created``,
    ``reactivated``, ``deactivated``, ``deleted``, ``unchanged`` or ``absent``.
    """

    template_fields: Sequence[str] = (
        *SnovioBaseOperator.template_fields,
        "action",
        "event_object",
        "event_action",
        "endpoint_url",
    )

    def __init__(
        self, *, event_object: str, event_action: str, endpoint_url: str, action: str = "ensure", **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.action = action
        self.event_object = event_object
        self.event_action = event_action
        self.endpoint_url = endpoint_url

    def _validated(self) -> tuple[str, dict[str, Any]]:
        action = v.one_of(ACTIONS)("action", self.action)
        prepared = prepare(
            ENDPOINTS.add_webhook,
            {"event_object": self.event_object, "event_action": self.event_action, "endpoint_url": self.endpoint_url},
        )
        return action, dict(prepared.json or {})

    def execute(self, context: Context) -> dict[str, Any]:
        action, wanted = self._validated()
        matches = self._matches(wanted)
        if len(matches) > 1:
            self.log.warning(
                "%d webhooks match %s/%s -> %s: %s",
                len(matches),
                wanted["event_object"],
                wanted["event_action"],
                wanted["endpoint_url"],
                [m.get("id") for m in matches],
            )
        result, ids = getattr(self, f"_{action}")(wanted, matches)
        self.log.info("Webhook %s: %s (ids %s)", action, result, ids)
        return {"action": action, "result": result, "webhook_id": ids[0] if ids else None, "webhook_ids": ids}

    def _matches(self, wanted: dict[str, Any]) -> list[dict[str, Any]]:
        """The account's webhooks with ``wanted``'s event object, action and endpoint URL."""
        return [
            hook
            for hook in _webhooks(self.hook.list_webhooks())
            if hook.get("event_object") == wanted["event_object"]
            and hook.get("event_action") == wanted["event_action"]
            and str(hook.get("end_point") or "").strip() == wanted["endpoint_url"]
        ]

    def _ensure(self, wanted: dict[str, Any], matches: list[dict[str, Any]]) -> tuple[str, list[Any]]:
        active = [m for m in matches if _status(m) == _ACTIVE]
        if active:
            return "unchanged", [m["id"] for m in active]
        if matches:
            webhook_id = matches[0]["id"]
            self.hook.change_webhook_status(webhook_id, _ACTIVE)
            return "reactivated", [webhook_id]
        try:
            created = self.hook.add_webhook(**wanted)
        except SnovioError as error:
            if not may_have_taken_effect(error):
                raise
            appeared = self._matches(wanted)
            if appeared:
                self.log.warning(
                    "Creating the webhook lost its answer (%s), but it exists: %s",
                    error.detail,
                    [m.get("id") for m in appeared],
                )
                return "created", [appeared[-1].get("id")]
            self.log.warning(
                "Creating the webhook lost its answer (%s) and it does not exist: creating it again", error.detail
            )
            created = self.hook.add_webhook(**wanted)
        data = created.get("data") if isinstance(created, dict) else None
        return "created", [data.get("id") if isinstance(data, dict) else None]

    def _deactivate(self, wanted: dict[str, Any], matches: list[dict[str, Any]]) -> tuple[str, list[Any]]:
        if not matches:
            return "absent", []
        changed = [m["id"] for m in matches if _status(m) != _DEACTIVATED]
        for webhook_id in changed:
            self.hook.change_webhook_status(webhook_id, _DEACTIVATED)
        return ("deactivated" if changed else "unchanged"), [m["id"] for m in matches]

    def _delete(self, wanted: dict[str, Any], matches: list[dict[str, Any]]) -> tuple[str, list[Any]]:
        for match in matches:
            try:
                self.hook.delete_webhook(match["id"])
            except SnovioNotFoundError:  # deleted meanwhile (e.g. by a concurrent run): the goal holds
                self.log.info("Webhook %s was already gone", match["id"])
        return ("deleted" if matches else "absent"), [m["id"] for m in matches]


def _status(webhook: dict[str, Any]) -> str | None:
    """The webhook's status in its canonical spelling (None if Snov.io sent something unknown)."""
    try:
        return v.webhook_status("status", webhook.get("status"))
    except SnovioValidationError:
        return None

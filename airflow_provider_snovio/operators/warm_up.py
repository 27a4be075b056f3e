"""Warm-up of a sender account (Snov.io 2026, #56-#60): make sure it runs with given settings, or pause,
resume, complete or delete it, idempotently.

A warm-up is found by its sender account (``email_account_id``): a DAG that ensures its warm-up every day
must not start a second one, so every action lists the warm-ups (#57, free) first and acts only on what
differs. Creating is not idempotent, so a create whose answer is lost is never resent blindly: the
warm-ups are listed again and it is created again only if none appeared for that account.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api import validation as v
from airflow_provider_snovio.api.catalogue import ENDPOINTS
from airflow_provider_snovio.api.errors import SnovioError, SnovioNotFoundError, SnovioValidationError
from airflow_provider_snovio.api.retry import may_have_taken_effect
from airflow_provider_snovio.operators.base import SnovioBaseOperator
from airflow_provider_snovio.operators.campaigns_v2 import checked_json, parse_body

if TYPE_CHECKING:
    from airflow.sdk import Context

ACTIONS = ("ensure", "pause", "resume", "complete", "delete")
#: action -> the warm-up status it sets (#59 ``status``).
_STATUS = {"pause": "paused", "resume": "active", "complete": "completed"}
#: #59 JSON keys that a #57 item does not show (so they cannot be compared, and are sent on every update).
_UNSHOWN = ("email_content", "providers")


def _warm_up_changes(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The #59 JSON keys of ``wanted`` whose value differs from ``current`` (a #57 item)."""
    changes: dict[str, Any] = {}
    for key, value in wanted.items():
        if key in _UNSHOWN:
            changes[key] = value
        elif key == "schedule_id":
            schedule = current.get("schedule")
            if not isinstance(schedule, Mapping) or str(schedule.get("id")) != str(value):
                changes[key] = value
        elif current.get(key) != value:
            changes[key] = value
    return changes


def _hook_arguments(json_body: Mapping[str, Any]) -> dict[str, Any]:
    """JSON keys -> the hook's keyword names (``from`` is a Python keyword: ``from_``)."""
    return {("from_" if key == "from" else key): value for key, value in json_body.items()}


class SnovioWarmUpOperator(SnovioBaseOperator):
    """Make sure a sender account's warm-up runs with given settings, or pause, resume, complete or delete it.

    * ``ensure``: no warm-up for ``email_account_id`` -> create one (#56) with ``settings``; one exists ->
      update (#59) only the settings that differ (none differ: nothing is sent). Its status is left alone
      (``resume`` restarts a paused one). ``settings`` must be enough to create (``per_day``, and ``from_`` +
      ``increase`` for the default progressive strategy): whether it will create is known only later, and all
      input is checked before the first request.
    * ``pause`` / ``resume`` / ``complete``: set the status (paused / active / completed) if it differs;
      no warm-up for the account fails the task.
    * ``delete``: delete it (#60); none: nothing to do.

    Running the same action twice changes nothing the second time, so retries and daily runs are safe. A
    create whose answer is lost is not resent blindly (see the module doc; this relies on #57 listing a new
    warm-up right after creating it). ``email_content`` and
    ``providers`` are not shown by the warm-up list, so ``ensure`` sends them on every update (a PATCH is
    idempotent). Several warm-ups for one account (Snov.io does not say whether it allows that): the newest
    is used, with a warning.

    :param email_account_id: the sender account (#52's ``id``) (templated).
    :param action: ``ensure`` (default), ``pause``, ``resume``, ``complete`` or ``delete`` (templated).
    :param settings: #56 settings for ``ensure``: ``per_day``, ``strategy``, ``from_`` (``from`` too),
        ``increase``, ``email_content``, ``subject``, ``body``, ``reply_rate``, ``campaign_deadline``,
        ``providers``, ``send_to_paid_domain``, ``enable_ctd``, ``enable_proxy``, ``schedule_id``,
        ``template_name`` (a dict or its JSON text; templated).

    XCom: ``{"action", "result", "warm_up_id", "status"}``; ``result`` is ``created``, ``updated``,
    ``unchanged``, ``paused``, ``resumed``, ``completed``, ``deleted`` or ``absent``.
    """

    template_fields: Sequence[str] = (*SnovioBaseOperator.template_fields, "email_account_id", "action", "settings")
    template_fields_renderers = {"settings": "json"}

    def __init__(
        self,
        *,
        email_account_id: int | str,
        action: str = "ensure",
        settings: Mapping[str, Any] | str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.email_account_id = email_account_id
        self.action = action
        self.settings = settings

    def _validated(self) -> tuple[str, int, dict[str, Any]]:
        """``(action, email_account_id, the #56 JSON settings)``, checked by the catalogue rows of #56 and #59."""
        action = v.one_of(ACTIONS)("action", self.action)
        row = ENDPOINTS.create_warm_up
        account_id = row.params_by_name["email_account_id"].check("email_account_id", self.email_account_id)
        settings = parse_body("settings", self.settings) if self.settings not in (None, "", {}) else {}
        if action != "ensure":
            if settings:
                raise SnovioValidationError("settings", f"settings apply to action='ensure' only, not {action!r}")
            return action, int(account_id), {}
        if "from" in settings and "from_" in settings:
            raise SnovioValidationError("settings.from_", "give from_ or from (Snov.io's spelling), not both")
        if "email_account_id" in settings:
            raise SnovioValidationError("settings.email_account_id", "set email_account_id on the operator")
        settings = _hook_arguments(settings)
        wanted = checked_json(row, {"email_account_id": account_id, **settings}, "settings", ids=("email_account_id",))
        wanted.pop("email_account_id", None)
        checked_json(ENDPOINTS.update_warm_up, {"warm_up_id": 1, **_hook_arguments(wanted)}, "settings")
        return action, int(account_id), wanted

    def execute(self, context: Context) -> dict[str, Any]:
        action, account_id, wanted = self._validated()
        current = self._find(account_id)
        if action == "ensure":
            result, warm_up_id, status = self._ensure(account_id, current, wanted)
        elif action == "delete":
            result, warm_up_id, status = self._delete(current)
        else:
            result, warm_up_id, status = self._set_status(account_id, current, action)
        self.log.info("Warm-up of account %s: %s (%s)", account_id, result, warm_up_id)
        return {"action": action, "result": result, "warm_up_id": warm_up_id, "status": status}

    def _find(self, account_id: int) -> dict[str, Any] | None:
        """The account's warm-up (#57 item), the newest if several; None if it has none."""
        mine = [
            item
            for item in self.hook.iter_warm_ups()
            if isinstance(item, Mapping) and str((item.get("email_account") or {}).get("id")) == str(account_id)
        ]
        if len(mine) > 1:
            self.log.warning(
                "Account %s has %d warm-ups %s: using the newest", account_id, len(mine), [w["id"] for w in mine]
            )
        return dict(max(mine, key=lambda item: int(item["id"]))) if mine else None

    def _ensure(
        self, account_id: int, current: dict[str, Any] | None, wanted: dict[str, Any]
    ) -> tuple[str, int | None, str | None]:
        if current is not None:
            changes = _warm_up_changes(current, wanted)
            if not changes:
                return "unchanged", int(current["id"]), current.get("status")
            self.hook.update_warm_up(current["id"], **_hook_arguments(changes))
            self.log.info("Updated warm-up %s: %s", current["id"], sorted(changes))
            return "updated", int(current["id"]), current.get("status")
        arguments = _hook_arguments(wanted)
        per_day = arguments.pop("per_day")
        try:
            answer = self.hook.create_warm_up(account_id, per_day, **arguments)
        except SnovioError as error:
            if not may_have_taken_effect(error):
                raise
            appeared = self._find(account_id)
            if appeared is not None:
                self.log.warning(
                    "Creating the warm-up lost its answer (%s), but it exists: %s", error.detail, appeared["id"]
                )
                return "created", int(appeared["id"]), appeared.get("status")
            self.log.warning(
                "Creating the warm-up lost its answer (%s) and it does not exist: creating it again", error.detail
            )
            answer = self.hook.create_warm_up(account_id, per_day, **arguments)
        data = answer.get("data") if isinstance(answer, Mapping) else None
        warm_up_id = int(data["id"]) if isinstance(data, Mapping) and data.get("id") is not None else None
        return "created", warm_up_id, "active"

    def _set_status(
        self, account_id: int, current: dict[str, Any] | None, action: str
    ) -> tuple[str, int | None, str | None]:
        if current is None:
            from airflow.providers.common.compat.sdk import AirflowFailException

            raise AirflowFailException(f"Account {account_id} has no warm-up to {action}")
        target = _STATUS[action]
        if str(current.get("status") or "").lower() == target:
            return "unchanged", int(current["id"]), target
        self.hook.update_warm_up(current["id"], status=target)
        return {"pause": "paused", "resume": "resumed", "complete": "completed"}[action], int(current["id"]), target

    def _delete(self, current: dict[str, Any] | None) -> tuple[str, int | None, str | None]:
        if current is None:
            return "absent", None, None
        try:
            self.hook.delete_warm_up(current["id"])
        except SnovioNotFoundError:  # deleted meanwhile (or by a lost first answer): the goal holds
            self.log.info("Warm-up %s was already gone", current["id"])
        return "deleted", int(current["id"]), None

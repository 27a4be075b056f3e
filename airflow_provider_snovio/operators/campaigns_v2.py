"""Campaigns v2 (Snov.io 2026, #62-#66, #74): create or update a campaign, move it between states, and check
its recipients' statuses.

Creating a campaign is not idempotent (a second POST makes a second campaign, and Snov.io allows several
campaigns with one title), so :class:`SnovioCampaignOperator` looks the title up before it creates, and never
resends a create whose answer was lost. A state change (#66) is idempotent, but Snov.io refuses an action
into the state the campaign is already in (or answers success: the docs are silent), so
:class:`SnovioCampaignStateOperator` reads the campaign first and does nothing when it is already there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api import validation as v
from airflow_provider_snovio.api.catalogue import ENDPOINTS, Endpoint
from airflow_provider_snovio.api.encoding import prepare
from airflow_provider_snovio.api.errors import SnovioApiError, SnovioError, SnovioResponseError, SnovioValidationError
from airflow_provider_snovio.api.retry import may_have_taken_effect
from airflow_provider_snovio.api.status import CAMPAIGN_ACTION_DONE, campaign_v2_status, recipient_statuses
from airflow_provider_snovio.operators.base import SnovioBaseOperator
from airflow_provider_snovio.operators.state import TaskProgress

if TYPE_CHECKING:
    from airflow.sdk import Context

#: #64 keys whose value is an id list: their order means nothing, so it never counts as a change.
_ID_LISTS = ("email_accounts", "linkedin_accounts")


def _campaign_data(answer: Any) -> dict[str, Any]:
    """``data`` of a #62/#63/#64 answer (``{"success", "data": {...}}``)."""
    data = answer.get("data") if isinstance(answer, Mapping) else None
    if not isinstance(data, dict):
        raise SnovioResponseError(f"unexpected campaign answer shape: {type(answer).__name__}")
    return data


def parse_body(field: str, body: Any) -> dict[str, Any]:
    """A templated body: a mapping, or its JSON text (what a Jinja template renders to)."""
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except ValueError as error:
            raise SnovioValidationError(field, f"is not valid JSON: {error}") from None
    if not isinstance(body, Mapping):
        raise SnovioValidationError(field, f"expected a mapping (or its JSON text), got {type(body).__name__}")
    return dict(body)


def checked_json(row: Endpoint, arguments: Mapping[str, Any], prefix: str, ids: tuple[str, ...] = ()) -> dict[str, Any]:
    """The JSON body ``row`` would send for ``arguments`` (every catalogue rule applied, nothing sent); a
    refusal names the field under ``prefix`` (``body.sequence.steps[0].type``), the ``ids`` by their own name."""
    try:
        return dict(prepare(row, arguments).json or {})
    except SnovioValidationError as error:
        field = error.field if error.field in ids else f"{prefix}.{error.field}"
        raise SnovioValidationError(field, error.problem, endpoint=row.path) from None


def campaign_changes(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The part of ``wanted`` (a #64 JSON body) that differs from ``current`` (#63's ``data``).

    Why: #64 refuses core fields (recipients, some sending settings) once a campaign has left ``new``, even
    when their value would not change; sending only real changes lets a daily DAG re-apply its body to a
    running campaign. Nested objects are compared key by key (#64 merges them, documented); ``deals: null``
    (remove deal creation) counts only if the campaign has deals. ``sequence`` is always sent when given:
    #63 returns it enriched (step content, numeric ``_ref``s), so it cannot be compared.
    """
    changes: dict[str, Any] = {}
    for key, value in wanted.items():
        have = current.get(key)
        if key == "sequence":
            changes[key] = value
        elif key == "deals" and value is None:
            if have is not None:
                changes[key] = v.CLEAR
        elif isinstance(value, Mapping) and isinstance(have, Mapping):
            differing = {k: item for k, item in value.items() if have.get(k) != item}
            if differing:
                changes[key] = differing
        elif key in _ID_LISTS and isinstance(value, list) and isinstance(have, list):
            if sorted(value) != sorted(have):
                changes[key] = value
        elif have != value:
            changes[key] = value
    return changes


class SnovioCampaignOperator(SnovioBaseOperator):
    """Create a campaign (#62) from its JSON body and return its id, or update one (#64) given ``campaign_id``.

    **Create** (no ``campaign_id``): the body is a whole #62 body (title, priority, recipients, sequence,
    ...). Snov.io allows several campaigns with one title, so without a check a daily DAG would create one
    every day: with ``exist_ok=True`` (default) a campaign with exactly this title (as #27 lists it) is
    reused (the oldest, if several), and updated with the body's changes when ``update_existing=True`` (its
    ``sequence`` left out: a create body's non-numeric ``_ref``s would replace every step and delete the
    message blocks); with ``exist_ok=False`` such a campaign fails the task.

    Creating is not idempotent, so a POST whose answer is lost (a read timeout, a dropped connection, a 5xx)
    is never resent blindly: the campaigns are listed again and it is created again only if none of that
    title appeared. A retry of the task after such a loss (a marker written before the POST, in
    ``task_state_store``, Airflow 3.3+) reuses the newest campaign of that title, even with
    ``exist_ok=False``; without a ``task_state_store`` the retry finds the title and reuses it under
    ``exist_ok=True`` (with ``exist_ok=False`` it fails naming the title rather than create a second one).
    This relies on #27 listing a campaign created through #62 right away.

    **Update** (``campaign_id`` given): the body is any part of a #62 body; only the keys whose value differs
    from the campaign's (#63) are sent (see :func:`campaign_changes`), so a re-run changes nothing and a
    running campaign is not refused for re-sending its core fields; no change, no PATCH.

    A ``schedule_id`` in the body is checked against the account's schedules (#67, a free read) before any
    write: Snov.io answers an unknown one with 404 or 422 (documented both ways), and a 404 would read like
    "no such campaign".

    :param body: the campaign body, a dict or its JSON text (templated).
    :param campaign_id: update this campaign instead of creating one (templated).
    :param exist_ok: reuse a campaign with the body's title instead of creating one (create only).
    :param update_existing: when reusing a campaign by title, apply the body's changes to it.

    XCom: the campaign id (int), e.g. ``campaign_id="{{ ti.xcom_pull(task_ids='campaign') }}"`` downstream.
    """

    template_fields: Sequence[str] = (*SnovioBaseOperator.template_fields, "body", "campaign_id")
    template_fields_renderers = {"body": "json"}

    def __init__(
        self,
        *,
        body: Mapping[str, Any] | str,
        campaign_id: int | str | None = None,
        exist_ok: bool = True,
        update_existing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.body = body
        self.campaign_id = campaign_id
        self.exist_ok = exist_ok
        self.update_existing = update_existing

    def _validated(self) -> tuple[str | None, dict[str, Any]]:
        """``(campaign_id or None, the JSON body)``, checked by the catalogue row of #64 or #62."""
        body = parse_body("body", self.body)
        if self.campaign_id not in (None, ""):
            row = ENDPOINTS.update_campaign
            campaign_id = row.params_by_name["campaign_id"].check("campaign_id", self.campaign_id)
            if "campaign_id" in body:
                raise SnovioValidationError("body.campaign_id", "set campaign_id on the operator, not in the body")
            wanted = checked_json(row, {"campaign_id": campaign_id, **body}, "body", ids=("campaign_id",))
            return campaign_id, wanted
        return None, checked_json(ENDPOINTS.create_campaign, body, "body")

    def execute(self, context: Context) -> int:
        campaign_id, wanted = self._validated()
        self._check_schedule(wanted)
        if campaign_id is not None:
            self._update(campaign_id, wanted)
            return int(campaign_id)
        return self._create(context, wanted)

    def _check_schedule(self, wanted: Mapping[str, Any]) -> None:
        schedule_id = wanted.get("schedule_id")
        if schedule_id is None:
            return
        answer = self.hook.list_campaign_schedules()
        rows = answer.get("data") if isinstance(answer, Mapping) else None
        known = {str(row.get("id")) for row in rows or [] if isinstance(row, Mapping)}
        if str(schedule_id) not in known:
            raise SnovioValidationError("body.schedule_id", f"{schedule_id} is not one of the account's schedules")

    def _update(self, campaign_id: int | str, wanted: Mapping[str, Any]) -> bool:
        """PATCH the keys of ``wanted`` that differ from the campaign; True if anything was sent."""
        changes = campaign_changes(_campaign_data(self.hook.get_campaign(campaign_id)), wanted)
        if not changes:
            self.log.info("Campaign %s already has these settings: nothing to update", campaign_id)
            return False
        self.hook.update_campaign(campaign_id, **changes)
        self.log.info("Updated campaign %s: %s", campaign_id, sorted(changes))
        return True

    def _create(self, context: Context, wanted: dict[str, Any]) -> int:
        title = str(wanted["title"])
        progress = TaskProgress(context, ENDPOINTS.create_campaign.name, self.log)
        created = progress.get(title)
        if created is not None:
            self.log.info("Reusing campaign %s created by an earlier try", created)
            return int(created)

        same_title = self._same_title(title)
        if same_title and progress.get(f"creating:{title}"):
            campaign_id = max(same_title)  # the campaign an earlier try created before its answer was lost
            self.log.info("Reusing campaign %s: an earlier try created it but lost the answer", campaign_id)
            progress.set(title, campaign_id)
            return campaign_id
        if same_title:
            if not self.exist_ok:
                raise SnovioValidationError(
                    "body.title",
                    f"a campaign titled {title!r} already exists (ids {same_title}); pass exist_ok=True to reuse it",
                )
            campaign_id = same_title[0]
            self.log.info("Campaign %r exists (ids %s): reusing %s", title, same_title, campaign_id)
            if self.update_existing:
                self._update(campaign_id, {k: item for k, item in wanted.items() if k not in ("title", "sequence")})
            return campaign_id

        progress.set(f"creating:{title}", True)  # write-ahead: a retry lists the campaigns before creating again
        try:
            answer = self.hook.create_campaign(wanted)
        except SnovioError as error:
            if not may_have_taken_effect(error):
                raise
            appeared = self._same_title(title)
            if appeared:
                self.log.warning(
                    "Creating campaign %r lost its answer (%s), but it exists: %s", title, error.detail, max(appeared)
                )
                progress.set(title, max(appeared))
                return max(appeared)
            self.log.warning(
                "Creating campaign %r lost its answer (%s) and no such campaign exists: creating it again",
                title,
                error.detail,
            )
            answer = self.hook.create_campaign(wanted)
        campaign_id = int(_campaign_data(answer)["id"])
        progress.set(title, campaign_id)
        self.log.info("Created campaign %r: %s", title, campaign_id)
        return campaign_id

    def _same_title(self, title: str) -> list[int]:
        """Ids of the campaigns (#27) titled exactly ``title``, oldest (lowest id) first."""
        return sorted(
            int(row["id"])
            for row in self.hook.get_user_campaigns() or []
            if isinstance(row, Mapping) and str(row.get("campaign", "")).strip() == title and row.get("id") is not None
        )


#: #66 action -> the verb of a log line or refusal ("archived" is the action's spelling on the wire).
_VERBS = {"start": "start", "pause": "pause", "resume": "resume", "complete": "complete", "archived": "archive"}


class SnovioCampaignStateOperator(SnovioBaseOperator):
    """Start, pause, resume, complete or archive a campaign (#66), treating "already there" as done.

    The campaign is read first (#63, free): if its status already is what the action leads to (start:
    active or scheduled; pause: paused; resume: active or scheduled; complete: completed or archived;
    archive: archived), nothing is sent. Why: Snov.io either refuses an action into the current state
    (``success: false``) or answers success (the docs are silent), and a retried task must succeed either way.

    A refusal (``success: false`` with ``errors``, whatever its HTTP status) fails the task without retries,
    naming the action, the campaign's status and Snov.io's first error, e.g. an email step with an empty
    message, or archiving a campaign that is not completed. Before failing, the campaign is read again: the
    state call is resent by the client after a lost answer, and a resend refused as "already" there means
    the first one took effect (then the task succeeds).

    :param campaign_id: the campaign (templated).
    :param action: ``start``, ``pause``, ``resume``, ``complete`` or ``archive`` (``archived`` too) (templated).

    XCom: ``{"campaign_id", "action", "status", "changed"}``; ``status`` is the campaign's status afterwards
    (new, active, paused, scheduled, completed, archived), ``changed`` False when it was already there.
    """

    template_fields: Sequence[str] = (*SnovioBaseOperator.template_fields, "campaign_id", "action")

    def __init__(self, *, campaign_id: int | str, action: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.campaign_id = campaign_id
        self.action = action

    def execute(self, context: Context) -> dict[str, Any]:
        row = ENDPOINTS.change_campaign_state
        campaign_id = row.params_by_name["campaign_id"].check("campaign_id", self.campaign_id)
        action = row.params_by_name["action"].check("action", self.action)
        done = CAMPAIGN_ACTION_DONE[action]
        verb = _VERBS[action]

        before = self._status(campaign_id)
        if before in done:
            self.log.info("Campaign %s is already %s: nothing to %s", campaign_id, before, verb)
            return self._result(campaign_id, action, before, changed=False)
        try:
            self.hook.change_campaign_state(campaign_id, action)
        except SnovioApiError as error:
            now = self._status(campaign_id)
            if now in done:  # a resend after a lost answer, refused because the first call took effect
                self.log.info("Campaign %s is %s (Snov.io's answer said: %s)", campaign_id, now, error.detail)
                return self._result(campaign_id, action, now, changed=True)
            from airflow.providers.common.compat.sdk import AirflowFailException

            raise AirflowFailException(
                f"Snov.io refused to {verb} campaign {campaign_id} (status {now}): {error.detail}"
            ) from error
        after = self._status(campaign_id)
        self.log.info("Campaign %s: %s -> %s (%s)", campaign_id, before, after, verb)
        return self._result(campaign_id, action, after, changed=True)

    def _status(self, campaign_id: str) -> str:
        return campaign_v2_status(self.hook.get_campaign(campaign_id))

    @staticmethod
    def _result(campaign_id: str, action: str, status: str, *, changed: bool) -> dict[str, Any]:
        return {"campaign_id": int(campaign_id), "action": action, "status": status, "changed": changed}


class SnovioRecipientStatusOperator(SnovioBaseOperator):
    """The status of each e-mail in a campaign (#74, free): ``{email: status}``, None for a non-recipient.

    Statuses are Snov.io's words as sent (e.g. ``tocheck``, ``active``, ``paused``, ``finished``,
    ``unsubscribe``, ``moved``; the list is not exhaustive). E-mails are lower-cased (#74 compares them
    case-insensitively) and sent 100 per request.

    :param campaign_id: the campaign (templated).
    :param emails: one e-mail or a list (templated).
    :param fail_on_missing: fail the task if any e-mail is not a recipient of the campaign.

    XCom: ``{email: status | None}`` in the order given.
    """

    template_fields: Sequence[str] = (*SnovioBaseOperator.template_fields, "campaign_id", "emails")

    def __init__(
        self, *, campaign_id: int | str, emails: str | Sequence[str], fail_on_missing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.campaign_id = campaign_id
        self.emails = emails
        self.fail_on_missing = fail_on_missing

    def execute(self, context: Context) -> dict[str, str | None]:
        from airflow_provider_snovio.triggers.recipients import check_recipient_emails

        campaign_id = ENDPOINTS.get_recipients_status.params_by_name["campaign_id"].check(
            "campaign_id", self.campaign_id
        )
        emails = check_recipient_emails("emails", self.emails)
        found = recipient_statuses(self.hook.get_recipients_status(campaign_id, emails))
        result = {email: found.get(email) for email in emails}
        missing = [email for email, status in result.items() if status is None]
        self.log.info(
            "Campaign %s: %d of %d e-mails are recipients", campaign_id, len(emails) - len(missing), len(emails)
        )
        if missing and self.fail_on_missing:
            from airflow.providers.common.compat.sdk import AirflowException

            raise AirflowException(
                f"{len(missing)} of {len(emails)} e-mails are not recipients of campaign {campaign_id}: {missing[:10]}"
            )
        return result

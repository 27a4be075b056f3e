"""Prospect lists: create one (or reuse it), and push prospects into one.

Adding a prospect to a list starts the list's drip campaign, so a retried task must not push the same
prospects again: every prospect added is recorded in the task's ``task_state_store`` and skipped by
later tries.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api.catalogue import ENDPOINTS
from airflow_provider_snovio.api.encoding import prepare
from airflow_provider_snovio.api.errors import SnovioApiError, SnovioError, SnovioResponseError, SnovioValidationError
from airflow_provider_snovio.api.retry import may_have_taken_effect
from airflow_provider_snovio.operators.base import SnovioBaseOperator
from airflow_provider_snovio.operators.state import TaskProgress

if TYPE_CHECKING:
    from airflow.sdk import Context


def _answer_data(answer: Any) -> dict[str, Any]:
    """``data`` of an answer that may come array-wrapped (#35: ``[{"success": true, "data": {...}}]``)."""
    if isinstance(answer, list) and answer:
        answer = answer[0]
    data = answer.get("data") if isinstance(answer, dict) else None
    if not isinstance(data, dict):
        raise SnovioResponseError(f"unexpected answer shape: {type(answer).__name__}")
    return data


class SnovioCreateListOperator(SnovioBaseOperator):
    """Create a prospect list and return its id; with ``exist_ok`` reuse a list of that name.

    Snov.io allows several lists with one name, so without a check a daily DAG would create a new
    list every day. With ``exist_ok=True`` (default) a live (not deleted) list with exactly this name
    is reused (the oldest, if there are several); with ``exist_ok=False`` such a list fails the task.
    A list created by an earlier try of the same task instance is always reused (``task_state_store``).

    Creating a list is not idempotent (a second POST makes a second list), so it is never resent blindly:
    when its answer is lost (a read timeout, a dropped connection, a 5xx) the lists are read again first,
    and the list is created again only if no list of that name appeared. A retry after such a loss
    (recorded by a marker written before the POST) reuses the newest list of that name, even with
    ``exist_ok=False``. This relies on Snov.io listing a new list right after creating it.

    :param name: the list name (templated).
    :param exist_ok: reuse an existing list of that name instead of creating one.

    XCom: the list id (int), e.g. ``list_id="{{ ti.xcom_pull(task_ids='create_list') }}"`` downstream.
    """

    template_fields: Sequence[str] = (*SnovioBaseOperator.template_fields, "name")

    def __init__(self, *, name: str, exist_ok: bool = True, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.name = name
        self.exist_ok = exist_ok

    def execute(self, context: Context) -> int:
        name = ENDPOINTS.create_prospect_list.params_by_name["name"].check("name", self.name)
        progress = TaskProgress(context, "create_list", self.log)
        created = progress.get(name)
        if created is not None:
            self.log.info("Reusing list %s created by an earlier try", created)
            return int(created)

        same_name = self._same_name(name)
        creating = progress.get(f"creating:{name}")
        if same_name and creating:
            list_id = max(same_name)  # the list an earlier try created before its answer was lost
            self.log.info("Reusing list %s: an earlier try created it but lost the answer", list_id)
            progress.set(name, list_id)
            return list_id
        if same_name:
            if not self.exist_ok:
                raise SnovioValidationError(
                    "name", f"a list named {name!r} already exists (ids {same_name}); pass exist_ok=True to reuse it"
                )
            self.log.info("List %r exists (ids %s): reusing %s", name, same_name, same_name[0])
            return same_name[0]

        progress.set(f"creating:{name}", True)  # write-ahead: a retry re-lists before creating again
        try:
            answer = self.hook.create_prospect_list(name)
        except SnovioError as error:
            if not may_have_taken_effect(error):
                raise
            appeared = self._same_name(name)
            if appeared:
                self.log.warning(
                    "Creating list %r lost its answer (%s), but the list exists: %s", name, error.detail, max(appeared)
                )
                progress.set(name, max(appeared))
                return max(appeared)
            self.log.warning(
                "Creating list %r lost its answer (%s) and no such list exists: creating it again", name, error.detail
            )
            answer = self.hook.create_prospect_list(name)
        list_id = int(_answer_data(answer)["id"])
        progress.set(name, list_id)
        self.log.info("Created list %r: %s", name, list_id)
        return list_id

    def _same_name(self, name: str) -> list[int]:
        """Ids of the live (not deleted) lists named exactly ``name``, oldest first."""
        return sorted(
            int(row["id"])
            for row in self.hook.get_user_lists() or []
            if isinstance(row, dict) and str(row.get("name", "")).strip() == name and not row.get("isDeleted")
        )


def _identity(arguments: Mapping[str, Any]) -> tuple[str, str]:
    """``(identity, field)`` of a validated prospect: its e-mail, or else its ``linkedIn`` social link."""
    row = ENDPOINTS.add_prospect_to_list
    email = arguments.get("email")
    if email is not None:
        return row.params_by_name["email"].check("email", email), "email"
    links = arguments.get("social_links", arguments.get("socialLinks")) or {}
    link = next(str(url).strip() for key, url in links.items() if key.lower() == "linkedin" and str(url).strip())
    return link, "social_links.linkedIn"


class SnovioAddProspectsToListOperator(SnovioBaseOperator):
    """Add (or update) prospects in a list; a retry never adds the same prospect twice.

    Every prospect is checked before the first request (a bad one fails the task naming e.g.
    ``prospects[3].email``). A prospect Snov.io refuses is counted as failed and the others go on;
    set ``fail_on_refused=True`` to fail the task at the end instead. Transport, auth and server
    errors fail the task; its retry resumes after the prospects already added (Airflow 3.3's
    ``task_state_store``; on older Airflow a retry sends every prospect again, which re-adds nothing
    but may update contacts again with ``update_contact=True``).

    :param list_id: the list (templated; e.g. the XCom of :class:`SnovioCreateListOperator`).
    :param prospects: dicts with ``email`` (or, 2026, no e-mail but ``social_links={"linkedIn": url}``) and
        any of ``full_name``, ``first_name``, ``last_name``, ``phones``, ``country``, ``locality``,
        ``position``, ``company_name``, ``company_site``, ``custom_fields`` (mapping), ``social_links``
        (mapping), ``create_duplicates``; Snov.io's camelCase names work too (templated). A prospect is
        identified (repeats refused, a retry's record kept) by its e-mail, or else its LinkedIn link. One with
        ``create_duplicates`` whose answer was lost is not sent again by a retry (it is reported failed).
    :param update_contact: update prospects that already exist in the account.
    :param fail_on_refused: fail the task if Snov.io refused any prospect.

    XCom: ``{"list_id", "prospects", "added", "updated", "unchanged", "failed", "failures": {email: reason},
    "output_path"}`` (a prospect without e-mail is keyed by its LinkedIn link); with ``output_path`` one JSON
    line per prospect (email, or ``email: null`` and ``linkedin``, id, status).
    """

    template_fields: Sequence[str] = (*SnovioBaseOperator.template_fields, "list_id", "prospects")
    template_fields_renderers = {"prospects": "json"}

    def __init__(
        self,
        *,
        list_id: int | str,
        prospects: Sequence[Mapping[str, Any]],
        update_contact: bool = False,
        fail_on_refused: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.list_id = list_id
        self.prospects = prospects
        self.update_contact = update_contact
        self.fail_on_refused = fail_on_refused

    def _validated(self) -> tuple[str, list[tuple[str, dict[str, Any]]]]:
        """``(list_id, [(identity, arguments)])``: every prospect through the catalogue row, nothing sent.

        The identity is the e-mail, or (2026 #29: a prospect may come with only a LinkedIn link) the
        ``linkedIn`` social link; it is what a repeat is refused by and what a retry's record is kept under.
        """
        row = ENDPOINTS.add_prospect_to_list
        list_id = row.params_by_name["list_id"].check("list_id", self.list_id)
        if not isinstance(self.prospects, list | tuple) or not self.prospects:
            raise SnovioValidationError("prospects", "expected a non-empty list of prospects")
        checked: list[tuple[str, dict[str, Any]]] = []
        first_seen: dict[str, int] = {}
        for i, prospect in enumerate(self.prospects):
            field = f"prospects[{i}]"
            if not isinstance(prospect, Mapping):
                raise SnovioValidationError(field, f"expected a mapping with 'email', got {type(prospect).__name__}")
            arguments = {key: value for key, value in prospect.items() if value is not None}
            if "list_id" in arguments or "listId" in arguments:
                raise SnovioValidationError(f"{field}.list_id", "set list_id on the operator, not per prospect")
            arguments.setdefault("update_contact", self.update_contact)
            try:
                prepare(row, {"list_id": list_id, **arguments})
            except SnovioValidationError as error:
                raise SnovioValidationError(f"{field}.{error.field}", error.problem, endpoint=row.path) from None
            identity, name = _identity(arguments)
            earlier = first_seen.setdefault(identity.lower(), i)
            if earlier != i:
                raise SnovioValidationError(f"{field}.{name}", f"{identity!r} repeats prospects[{earlier}]")
            checked.append((identity, arguments))
        return list_id, checked

    def execute(self, context: Context) -> dict[str, Any]:
        list_id, prospects = self._validated()
        progress = TaskProgress(context, f"add_prospect:{list_id}", self.log)
        rows: list[dict[str, Any]] = []
        failures: dict[str, str] = {}
        resumed = 0
        for email, arguments in prospects:
            record = progress.get(email.lower())
            duplicating = not prepare(ENDPOINTS.add_prospect_to_list, {"list_id": list_id, **arguments}).resend_safe
            who = {"email": email} if arguments.get("email") is not None else {"email": None, "linkedin": email}
            if record is not None:
                resumed += 1
            elif duplicating and progress.get(f"sending:{email.lower()}"):
                # create_duplicates: an earlier try sent it and lost the answer; a resend would add a
                # second duplicate, and Snov.io's answers cannot tell one duplicate from another
                detail = "an earlier try sent it with create_duplicates and lost the answer: not sent again"
                self.log.warning("Prospect %s: %s", email, detail)
                failures[email] = detail
                rows.append({**who, "status": "failed", "error": detail})
                continue
            else:
                if duplicating:
                    progress.set(f"sending:{email.lower()}", True)  # write-ahead: a retry never duplicates twice
                try:
                    answer = self.hook.add_prospect_to_list(list_id, **arguments)
                except SnovioApiError as error:  # Snov.io refused this prospect; the others go on
                    if duplicating:  # refused, so nothing was created: a retry may send it again
                        progress.set(f"sending:{email.lower()}", False)
                    self.log.warning("Prospect %s refused: %s", email, error.detail)
                    failures[email] = error.detail
                    rows.append({**who, "status": "failed", "error": error.detail})
                    continue
                record = {
                    "id": answer.get("id"),
                    "added": bool(answer.get("added")),
                    "updated": bool(answer.get("updated")),
                }
                progress.set(email.lower(), record)
            status = "added" if record["added"] else "updated" if record["updated"] else "unchanged"
            rows.append({**who, "id": record["id"], "status": status, **record})
        if resumed:
            self.log.info("%d prospects were already added by an earlier try and were not sent again", resumed)
        result = {
            "list_id": int(list_id),
            "prospects": len(prospects),
            "added": sum(1 for row in rows if row.get("added")),
            "updated": sum(1 for row in rows if row.get("updated")),
            "unchanged": sum(1 for row in rows if row["status"] == "unchanged"),
            "failed": len(failures),
            "failures": failures,
            "output_path": self.write_output(rows),
        }
        self.log.info("Prospects: %s", {k: result[k] for k in ("added", "updated", "unchanged", "failed")})
        if failures and self.fail_on_refused:
            from airflow.providers.common.compat.sdk import AirflowException

            raise AirflowException(
                f"Snov.io refused {len(failures)} of {len(prospects)} prospects: {sorted(failures)[:10]}"
            )
        return result

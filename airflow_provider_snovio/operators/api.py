"""The escape hatch: call any catalogue endpoint by its hook method name."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api.catalogue import Endpoint, endpoint
from airflow_provider_snovio.api.encoding import merge_answers, prepare, split_batches
from airflow_provider_snovio.api.errors import SnovioError, SnovioPartialError, SnovioValidationError
from airflow_provider_snovio.api.retry import may_have_taken_effect
from airflow_provider_snovio.operators._async import repay_refusal
from airflow_provider_snovio.operators.base import SnovioBaseOperator
from airflow_provider_snovio.operators.state import TaskProgress

if TYPE_CHECKING:
    from airflow.sdk import Context


class SnovioApiOperator(SnovioBaseOperator):
    """Call one Snov.io endpoint by name (``get_balance``, ``get_campaign_progress``...) and return its answer.

    For jobs no dedicated operator covers. The endpoint and its arguments are checked against the
    endpoint catalogue before anything is sent: an unknown endpoint, an unknown argument or a bad
    value fails the task naming the field, with no request made. Lists longer than one request allows
    (verification e-mails) are split as the hook does.

    If the endpoint spends credits the log says so, and its answer is kept in the task's
    ``task_state_store`` (Airflow 3.3+): a retry returns the recorded answer instead of paying again,
    and a split call (e.g. 25 e-mails for verification) that stopped part-way is resumed with only the
    items not yet done. A write-ahead marker is recorded before every paid request: if an earlier try
    sent it and lost the answer (a read timeout, a dropped connection, a 5xx), or a split call stopped on
    a request that may have taken effect, the retry fails naming how many items may already have been
    charged instead of sending them again, unless ``allow_repay=True`` (this generic operator has no
    free read to look for the work: the dedicated operators do). On older Airflow a retry repeats the
    paid call.

    :param endpoint: the catalogue row (``ENDPOINTS.get_balance``) or its name, the hook method's (templated;
        kept as the name, so the DAG serialises a string).
    :param arguments: the endpoint's arguments by Python name (``campaign_id``) or Snov.io wire name
        (``campaignId``) (templated). Called ``arguments`` because ``params`` is taken by Airflow.
    :param allow_repay: send again a paid call whose answer an earlier try lost (it may be charged twice).

    XCom: the JSON answer. Answers can be large (events, prospects in a list): set ``output_path`` and
    the answer is written there as JSON Lines (one line per element of a list answer, else one line);
    the XCom is then ``{"output_path": uri}``.
    """

    template_fields: Sequence[str] = (*SnovioBaseOperator.template_fields, "endpoint", "arguments")
    template_fields_renderers = {"arguments": "json"}

    def __init__(
        self,
        *,
        endpoint: Endpoint | str,
        arguments: Mapping[str, Any] | None = None,
        allow_repay: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.allow_repay = allow_repay
        self.endpoint = endpoint.name if isinstance(endpoint, Endpoint) else endpoint
        self.arguments = dict(arguments) if isinstance(arguments, Mapping) else ({} if arguments is None else arguments)

    def _validated(self) -> tuple[Endpoint, dict[str, Any]]:
        row = endpoint(str(self.endpoint).strip(), "endpoint")  # the rendered name -> its row, checked
        if not isinstance(self.arguments, Mapping):
            raise SnovioValidationError("arguments", f"expected a mapping, got {type(self.arguments).__name__}")
        arguments = {key: value for key, value in self.arguments.items() if value is not None}
        for batch in split_batches(row, arguments) or [arguments]:
            prepare(row, batch)  # dry run: validates every argument, sends nothing
        return row, arguments

    def execute(self, context: Context) -> Any:
        row, arguments = self._validated()
        if not row.spends_credits:
            return self._result(self.hook.call(row, **arguments))

        self.log.warning("%s spends Snov.io credits (%s)", row.name, row.credits)
        progress = TaskProgress(context, "api", self.log, allow_restart=self.allow_repay)
        call_key = _fingerprint(row.name, arguments)
        recorded = progress.get(call_key) or {}
        earlier = recorded.get("answers", [])
        lost = int(recorded.get("paying") or 0) or len(recorded.get("uncertain") or [])
        if lost:
            if not self.allow_repay:
                raise repay_refusal(self.task_id, lost, f"{row.name}")
            self.log.warning(
                "allow_repay=True: sending again a %s call whose answer an earlier try lost; up to "
                "%d item(s) may be charged a second time",
                row.name,
                lost,
            )
        if "remaining" in recorded:  # an earlier try stopped part-way: send only what it did not
            self.log.info("Resuming: %d %s already done by an earlier try", len(recorded["done"]), recorded["argument"])
            arguments = {**arguments, recorded["argument"]: recorded["remaining"]}
        elif earlier:
            self.log.info("Returning the answer recorded by an earlier try: no credits spent again")
            return self._result(earlier[0])
        before = {key: value for key, value in recorded.items() if key not in ("paying", "uncertain")}
        progress.set(call_key, {**before, "paying": _items(row, arguments)})  # write-ahead marker
        try:
            answer = self.hook.call(row, **arguments)
        except SnovioPartialError as error:
            if error.argument:
                progress.set(
                    call_key,
                    {
                        "answers": [*earlier, error.answer],
                        "argument": error.argument,
                        "done": [*recorded.get("done", []), *error.done],
                        "remaining": error.remaining,
                        "uncertain": error.uncertain,
                    },
                )
            raise
        except SnovioError as error:
            if not may_have_taken_effect(error):  # certainly not charged: drop the marker
                progress.set(call_key, {**before, "paying": 0})
            raise
        answer = merge_answers([*earlier, answer]) if earlier else answer
        progress.set(call_key, {"answers": [answer]})
        return self._result(answer)

    def _result(self, answer: Any) -> Any:
        uri = self.write_output(answer if isinstance(answer, list) else [answer])
        return {"output_path": uri} if uri else answer


def _items(row: Any, arguments: Mapping[str, Any]) -> int:
    """How many items one call may charge for: the length of its (split) list argument, else 1."""
    if row.chunk and isinstance(arguments.get(row.chunk[0]), list | tuple):
        return max(len(arguments[row.chunk[0]]), 1)
    lists = [value for value in arguments.values() if isinstance(value, list | tuple)]
    return max(len(lists[0]), 1) if lists else 1  # e.g. the e-mails of one v2 verification start


def _fingerprint(name: str, arguments: Mapping[str, Any]) -> str:
    """The same endpoint with the same arguments is the same paid call (TaskProgress hashes this)."""
    return json.dumps({"endpoint": name, "arguments": arguments}, sort_keys=True, default=str)

"""The escape hatch: call any catalogue endpoint by its hook method name."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api.catalogue import BY_NAME
from airflow_provider_snovio.api.encoding import merge_answers, prepare, split_batches
from airflow_provider_snovio.api.errors import SnovioPartialError, SnovioValidationError
from airflow_provider_snovio.operators.base import SnovioBaseOperator, TaskProgress

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
    items not yet done (items whose request may have taken effect are sent again: check them with a
    free status call first, or use the dedicated operator). On older Airflow a retry repeats the paid call.

    :param endpoint: hook method name, as listed in the catalogue (templated).
    :param arguments: the endpoint's arguments by Python name (``campaign_id``) or Snov.io wire name
        (``campaignId``) (templated). Called ``arguments`` because ``params`` is taken by Airflow.

    XCom: the JSON answer. Answers can be large (events, prospects in a list): set ``output_path`` and
    the answer is written there as JSON Lines (one line per element of a list answer, else one line);
    the XCom is then ``{"output_path": uri}``.
    """

    template_fields: Sequence[str] = (*SnovioBaseOperator.template_fields, "endpoint", "arguments")
    template_fields_renderers = {"arguments": "json"}

    def __init__(self, *, endpoint: str, arguments: Mapping[str, Any] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.endpoint = endpoint
        self.arguments = dict(arguments) if isinstance(arguments, Mapping) else ({} if arguments is None else arguments)

    def _validated(self) -> tuple[Any, dict[str, Any]]:
        name = str(self.endpoint).strip()
        row = BY_NAME.get(name)
        if row is None:
            raise SnovioValidationError("endpoint", f"{self.endpoint!r} is not a Snov.io endpoint "
                                                    f"(known: {', '.join(sorted(BY_NAME))})")
        if not isinstance(self.arguments, Mapping):
            raise SnovioValidationError("arguments", f"expected a mapping, got {type(self.arguments).__name__}")
        arguments = {key: value for key, value in self.arguments.items() if value is not None}
        for batch in split_batches(row, arguments) or [arguments]:
            prepare(row, batch)  # dry run: validates every argument, sends nothing
        return row, arguments

    def execute(self, context: Context) -> Any:
        row, arguments = self._validated()
        if not row.spends_credits:
            return self._result(self.hook.call(row.name, **arguments))

        self.log.warning("%s spends Snov.io credits (%s)", row.name, row.credits)
        progress = TaskProgress(context, "api", self.log)
        call_key = _fingerprint(row.name, arguments)
        recorded = progress.get(call_key) or {}
        earlier = recorded.get("answers", [])
        if "remaining" in recorded:  # an earlier try stopped part-way: send only what it did not
            self.log.info("Resuming: %d %s already done by an earlier try", len(recorded["done"]),
                          recorded["argument"])
            arguments = {**arguments, recorded["argument"]: recorded["remaining"]}
        elif earlier:
            self.log.info("Returning the answer recorded by an earlier try: no credits spent again")
            return self._result(earlier[0])
        try:
            answer = self.hook.call(row.name, **arguments)
        except SnovioPartialError as error:
            if error.argument:
                progress.set(call_key, {"answers": [*earlier, error.answer], "argument": error.argument,
                                        "done": [*recorded.get("done", []), *error.done],
                                        "remaining": error.remaining})
            raise
        answer = merge_answers([*earlier, answer]) if earlier else answer
        progress.set(call_key, {"answers": [answer]})
        return self._result(answer)

    def _result(self, answer: Any) -> Any:
        uri = self.write_output(answer if isinstance(answer, list) else [answer])
        return {"output_path": uri} if uri else answer


def _fingerprint(name: str, arguments: Mapping[str, Any]) -> str:
    """The same endpoint with the same arguments is the same paid call (TaskProgress hashes this)."""
    return json.dumps({"endpoint": name, "arguments": arguments}, sort_keys=True, default=str)

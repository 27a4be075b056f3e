"""Endpoints are objects (issue 16): code names a catalogue row as an attribute, ``ENDPOINTS.get_balance``.

Why: a name dispatched as a string fails only at run time and "go to definition" dead-ends at the lookup.
These tests pin the contract: every row is an attribute named once, the hook has exactly one public method
per row and each hands its own row (not a name) to ``call``, a misspelt row is an ``AttributeError``, and a
name is turned into a row in one place (``catalogue.endpoint``), with an error naming the field. Trigger
kwargs and stored jobs keep names (JSON), turned back into rows once, when built.
"""

from __future__ import annotations

import ast
import inspect
import json
import pathlib
import re
from typing import Any

import pytest

import airflow_provider_snovio
from airflow_provider_snovio.api import catalogue
from airflow_provider_snovio.api.catalogue import BY_NAME, ENDPOINTS, ROWS, Endpoint, Endpoints, endpoint
from airflow_provider_snovio.api.errors import SnovioValidationError
from airflow_provider_snovio.api.methods import SnovioMethods
from airflow_provider_snovio.hooks.snovio import SnovioHook
from tests.unit.test_catalogue_requests import BODY_METHODS

#: Public methods of the hook that are not one request each: they compose the per-row methods.
COMPOSED = {"wait_for_task", "run_task"}


def _endpoint_methods() -> set[str]:
    """Public methods the hook gets from :class:`SnovioMethods`, minus the waiters and iterators."""
    return {
        name
        for name, _ in inspect.getmembers(SnovioMethods, inspect.isfunction)
        if not name.startswith("_") and name != "call" and name not in COMPOSED and not name.startswith("iter_")
    }


def test_every_row_is_an_attribute_of_endpoints_named_once() -> None:
    attributes = {name: value for name, value in vars(Endpoints).items() if isinstance(value, Endpoint)}
    assert list(attributes.values()) == list(ROWS) == list(ENDPOINTS)
    for name, row in attributes.items():
        assert row.name == name
        assert getattr(ENDPOINTS, name) is row
        assert BY_NAME[name] is row
    assert len(ENDPOINTS) == len(set(ROWS)) == len(BY_NAME) >= 41


def test_the_hooks_endpoint_methods_are_exactly_the_catalogue_rows() -> None:
    assert _endpoint_methods() == set(BY_NAME)
    for name in BY_NAME:
        assert getattr(SnovioHook, name) is getattr(SnovioMethods, name)


class _RecordingClient:
    """Stands in for the hook's :class:`SnovioClient`: records what ``hook.call`` hands it."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, dict[str, Any]]] = []

    def call(self, endpoint: Any, /, **arguments: Any) -> Any:
        self.calls.append((endpoint, arguments))
        return {"ok": True}


@pytest.mark.parametrize("name", sorted(BY_NAME))
def test_each_hook_method_sends_its_own_row_to_the_client(name: str) -> None:
    hook = SnovioHook("snovio_unused")
    client = _RecordingClient()
    hook.__dict__["client"] = client  # the cached_property: no connection is read
    method = getattr(hook, name)
    if name in BODY_METHODS:  # the whole JSON body as one mapping: its keys are the arguments
        body = {p.name: [f"<{p.name}>"] for p in BY_NAME[name].params if p.required}
        assert method(body) == {"ok": True}
        ((sent, arguments),) = client.calls
        assert sent is getattr(ENDPOINTS, name) and arguments == body
        return
    required = [
        p.name
        for p in list(inspect.signature(method).parameters.values())
        if p.default is p.empty and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)
    ]
    sentinels = {arg: [f"<{arg}>"] for arg in required}  # lists: list arguments are materialised, not altered
    assert method(**sentinels) == {"ok": True}
    ((sent, arguments),) = client.calls
    assert sent is getattr(ENDPOINTS, name), f"hook.{name}() sent {sent!r}"
    assert {arg: arguments[arg] for arg in required} == sentinels


def test_a_misspelt_row_is_an_attribute_error_and_the_catalogue_cannot_be_rewritten() -> None:
    with pytest.raises(AttributeError, match="get_balanse"):
        ENDPOINTS.get_balanse  # type: ignore[attr-defined]  # noqa: B018
    with pytest.raises(AttributeError):
        ENDPOINTS.get_balance = ENDPOINTS.list_webhooks  # type: ignore[misc]
    with pytest.raises(AttributeError):
        ENDPOINTS.made_up = ENDPOINTS.get_balance  # type: ignore[attr-defined]
    assert ENDPOINTS.get_balance.name == "get_balance"


def test_a_row_kept_elsewhere_keeps_its_catalogue_name() -> None:
    class Holder:
        row = ENDPOINTS.get_balance

    assert Holder.row is ENDPOINTS.get_balance and Holder.row.name == "get_balance"


def test_a_start_row_names_its_result_row_itself() -> None:
    starts = [row for row in ROWS if row.result is not None]
    assert len(starts) == 12  # 7 older v2 starts + #42, #44, #46, #48, #50 (2026)
    for row in starts:
        assert row.result in ROWS and row.result.task is catalogue.Task.RESULT
        assert catalogue.result_of(row) is row.result
    with pytest.raises(TypeError):
        catalogue.result_of(ENDPOINTS.get_balance)


def test_names_become_rows_in_one_place_with_an_error_naming_the_field() -> None:
    assert endpoint(ENDPOINTS.get_balance) is ENDPOINTS.get_balance
    assert endpoint("get_balance") is ENDPOINTS.get_balance
    for bad in ("get_balanse", "", None, 7):
        with pytest.raises(SnovioValidationError) as caught:
            endpoint(bad, "result_method")  # type: ignore[arg-type]
        assert caught.value.field == "result_method"
    with pytest.raises(SnovioValidationError, match=re.escape("'get_balanse' is not a Snov.io endpoint")):
        endpoint("get_balanse")


def test_the_hook_still_accepts_a_name_and_routes_it_to_the_row() -> None:
    hook = SnovioHook("snovio_unused")
    client = _RecordingClient()
    hook.__dict__["client"] = client
    hook.call(ENDPOINTS.get_balance)
    hook.call("get_balance")  # public API kept: the client looks the name up once
    assert [row for row, _ in client.calls] == [ENDPOINTS.get_balance, "get_balance"]


def test_no_module_dispatches_by_a_literal_endpoint_name() -> None:
    """Outside the sandbox (which serves the API) no string literal in the provider is an endpoint name."""
    root = pathlib.Path(airflow_provider_snovio.__file__).parent
    found = []
    for path in sorted(root.rglob("*.py")):
        if "sandbox" in path.relative_to(root).parts:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in BY_NAME:
                found.append(f"{path.relative_to(root)}:{node.lineno}: {node.value!r}")
    assert not found, "use the row (ENDPOINTS.<name>), not its name:\n" + "\n".join(found)


# Trigger kwargs, sensors and the API operator keep names (JSON), turned into rows once ----------------------


def test_a_task_trigger_serialises_the_rows_name_and_rebuilds_the_row() -> None:
    from airflow_provider_snovio.triggers.snovio import SnovioTaskTrigger

    task_hash = "3a1f9c0e7b2d4e6f8a9b0c1d2e3f4a5b"
    trigger = SnovioTaskTrigger([task_hash], ENDPOINTS.get_domain_search_result, deadline=1e10)
    path, kwargs = trigger.serialize()
    assert kwargs["result_method"] == "get_domain_search_result"
    assert json.loads(json.dumps(kwargs)) == kwargs  # JSON only
    rebuilt = SnovioTaskTrigger(**kwargs)
    assert rebuilt.poller.result_method is ENDPOINTS.get_domain_search_result
    assert rebuilt.serialize() == (path, kwargs)  # deterministic
    assert rebuilt.poller.calls() == [(ENDPOINTS.get_domain_search_result, {"task_hash": task_hash})]


@pytest.mark.parametrize(
    ("result_method", "problem"),
    [
        ("get_domain_search_reslt", "is not a Snov.io endpoint"),
        ("start_domain_search", "is not a free result/status read"),
        (ENDPOINTS.start_domain_search, "is not a free result/status read"),
        (ENDPOINTS.get_campaign_progress, "is not a v2 task result method"),
    ],
)
def test_a_task_trigger_refuses_what_is_not_a_free_result_read_naming_the_field(
    result_method: Any, problem: str
) -> None:
    from airflow_provider_snovio.triggers.snovio import SnovioTaskTrigger

    with pytest.raises(SnovioValidationError, match=problem) as caught:
        SnovioTaskTrigger(["3a1f9c0e7b2d4e6f8a9b0c1d2e3f4a5b"], result_method, deadline=1e10)
    assert caught.value.field == "result_method"


def test_the_sensor_and_the_api_operator_take_a_row_and_keep_its_name() -> None:
    from airflow_provider_snovio.operators.api import SnovioApiOperator
    from airflow_provider_snovio.sensors.snovio import SnovioTaskSensor

    sensor = SnovioTaskSensor(
        task_id="wait", task_hash="3a1f9c0e7b2d4e6f8a9b0c1d2e3f4a5b", result_method=ENDPOINTS.get_domain_search_result
    )
    assert sensor.result_method == "get_domain_search_result"  # a template field: a string
    assert sensor.make_poller().calls()[0][0] is ENDPOINTS.get_domain_search_result
    api = SnovioApiOperator(task_id="balance", endpoint=ENDPOINTS.get_balance)
    assert api.endpoint == "get_balance"
    assert api._validated()[0] is ENDPOINTS.get_balance
    with pytest.raises(SnovioValidationError) as caught:
        SnovioApiOperator(task_id="typo", endpoint="get_balanse")._validated()
    assert caught.value.field == "endpoint"

"""SnovioBalanceCheckOperator against the sandbox over HTTP."""

from __future__ import annotations

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException, AirflowSkipException

from airflow_provider_snovio.api.errors import SnovioValidationError
from airflow_provider_snovio.operators import SnovioBalanceCheckOperator
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.operators.account_support import context, requests


def test_enough_balance_returns_it_as_a_number(snovio_conn_env: SandboxServer) -> None:
    result = SnovioBalanceCheckOperator(task_id="guard", min_balance="24999.5").execute(context())
    assert result == 25000.0 and isinstance(result, float)
    assert requests(snovio_conn_env, "GET /v1/get-balance") == 1


@pytest.mark.parametrize(("on_low", "exception"), [("fail", AirflowFailException), ("SKIP", AirflowSkipException)])
def test_low_balance_fails_or_skips(snovio_conn_env: SandboxServer, on_low: str, exception: type) -> None:
    snovio_conn_env.configure(initial_balance=12.5)
    snovio_conn_env.reset()
    with pytest.raises(exception, match=r"balance 12\.50 is below the required 100"):
        SnovioBalanceCheckOperator(task_id="guard", min_balance=100, on_low=on_low).execute(context())


def test_exactly_the_minimum_is_enough(snovio_conn_env: SandboxServer) -> None:
    assert SnovioBalanceCheckOperator(task_id="guard", min_balance=25000).execute(context()) == 25000.0


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"min_balance": "lots"}, "min_balance"),
        ({"min_balance": -1}, "min_balance"),
        ({"min_balance": True}, "min_balance"),
        ({"min_balance": float("nan")}, "min_balance"),
        ({"min_balance": 10, "on_low": "warn"}, "on_low"),
    ],
)
def test_bad_input_is_refused_before_any_request(snovio_conn_env: SandboxServer, kwargs: dict, field: str) -> None:
    before = requests(snovio_conn_env)
    with pytest.raises(SnovioValidationError) as caught:
        SnovioBalanceCheckOperator(task_id="guard", **kwargs).execute(context())
    assert caught.value.field == field
    assert requests(snovio_conn_env) == before


def test_templated_fields_cover_conn_and_threshold() -> None:
    fields = set(SnovioBalanceCheckOperator.template_fields)
    assert {"snovio_conn_id", "min_balance", "on_low"} <= fields

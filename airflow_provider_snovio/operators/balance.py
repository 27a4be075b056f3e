"""A credit-balance guard to put before tasks that spend Snov.io credits."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api.errors import SnovioResponseError, SnovioValidationError
from airflow_provider_snovio.operators.base import SnovioBaseOperator

if TYPE_CHECKING:
    from airflow.sdk import Context

ON_LOW = ("fail", "skip")


def _number(field: str, value: Any) -> Decimal:
    """A non-negative number given as int, float, Decimal or a string such as ``"25000.00"``."""
    if isinstance(value, bool):
        raise SnovioValidationError(field, "expected a number, got a boolean")
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise SnovioValidationError(field, f"{value!r} is not a number") from None
    if not number.is_finite() or number < 0:
        raise SnovioValidationError(field, f"{value!r} must be a finite number of at least 0")
    return number


class SnovioBalanceCheckOperator(SnovioBaseOperator):
    """Stop a run before it spends credits the account does not have.

    Reads the balance (a free call) and compares it with ``min_balance``. When it is lower, the task
    fails (``on_low="fail"``, with :class:`AirflowFailException`: a retry seconds later would find the
    same balance) or is skipped (``on_low="skip"``, so downstream credit-spending tasks are skipped by
    the default trigger rule instead of failing the run).

    :param min_balance: the least balance (credits) the run needs (templated).
    :param on_low: ``"fail"`` (default) or ``"skip"`` (templated).

    XCom: the balance as a float.
    """

    template_fields: Sequence[str] = (*SnovioBaseOperator.template_fields, "min_balance", "on_low")

    def __init__(self, *, min_balance: float | int | str, on_low: str = "fail", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.min_balance = min_balance
        self.on_low = on_low

    def execute(self, context: Context) -> float:
        minimum = _number("min_balance", self.min_balance)
        on_low = str(self.on_low).strip().lower()
        if on_low not in ON_LOW:
            raise SnovioValidationError("on_low", f"{self.on_low!r} is not one of {', '.join(ON_LOW)}")

        answer = self.hook.get_balance()
        raw = (answer.get("data") or {}).get("balance") if isinstance(answer, dict) else None
        try:
            balance = _number("balance", raw)
        except SnovioValidationError:
            raise SnovioResponseError(f"balance answer carries no number (got {raw!r})") from None
        self.log.info("Snov.io balance: %s credits (minimum %s)", balance, minimum)
        if balance >= minimum:
            return float(balance)

        message = f"Snov.io balance {balance} is below the required {minimum} credits"
        from airflow.providers.common.compat.sdk import AirflowFailException, AirflowSkipException

        if on_low == "skip":
            raise AirflowSkipException(message)
        raise AirflowFailException(message)

"""Account endpoint #36 (credit balance).

Why its own module: the balance is the ledger every credit-costing family writes to (``state.charge``);
this read is what a credit-balance guard in a DAG calls before an expensive run.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from airflow_provider_snovio.sandbox.auth import require_token
from airflow_provider_snovio.sandbox.state import StateDep

router = APIRouter(dependencies=[Depends(require_token)], tags=["account"])


@router.get("/v1/get-balance")
async def get_balance(state: StateDep) -> JSONResponse:
    """``balance`` is a string with two decimals, as Snov.io sends it."""
    with state.lock:
        balance = state.balance
    return JSONResponse(
        {
            "success": True,
            "data": {
                "balance": f"{balance:.2f}",
                "teamwork": False,
                "unique_recipients_used": 0,
                "limit_resets_in": 29,
                "expires_in": 359,
            },
        }
    )

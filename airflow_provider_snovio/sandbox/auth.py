"""OAuth client-credentials tokens and the ``require_token`` dependency every API router uses.

Why here and not in a middleware: only API routes need a token (``/_sandbox/*`` does not), and routers opt in
with ``APIRouter(dependencies=[Depends(require_token)])``. The same dependency applies the per-minute rate
limit, because only authenticated calls count against an account's limit.

Accepted token spellings (all seen in Snov.io's own examples): ``Authorization: Bearer <t>``, a bare
``Authorization: <t>`` (the older docs' Python samples), and the ``access_token`` parameter in the query or
form body (the docs' PHP samples).
"""

from __future__ import annotations

import secrets

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from airflow_provider_snovio.sandbox.errors import RateLimited, Unauthorized
from airflow_provider_snovio.sandbox.params import request_params
from airflow_provider_snovio.sandbox.state import SandboxState, StateDep

TOKEN_PATH = "/v1/oauth/access_token"

router = APIRouter()


def check_rate_limit(state: SandboxState) -> None:
    """Take one slot of the per-minute window or raise ``RateLimited``."""
    with state.lock:
        cfg = state.config
        retry_after = state.rate_limiter.try_acquire(state.now(), cfg.requests_per_minute, cfg.rate_window_seconds)
        if retry_after is not None:
            state.stats.rate_limited += 1
            raise RateLimited(retry_after)


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "").strip()
    if not header:
        return None
    scheme, _, rest = header.partition(" ")
    if scheme.lower() == "bearer":
        return rest.strip() or None
    return header if not rest else None


async def require_token(request: Request, state: StateDep) -> str:
    """Dependency: a valid, unexpired token (header or ``access_token`` param), then one rate-limit slot."""
    token = _bearer(request)
    if token is None:
        params = await request_params(request)
        token = params.get_str("access_token")
    if token is None:
        raise Unauthorized("Unauthorized: access token is missing")
    if not state.token_valid(token):
        raise Unauthorized("Unauthorized: access token is invalid or expired")
    check_rate_limit(state)
    return token


@router.post(TOKEN_PATH)
async def access_token(request: Request, state: StateDep) -> JSONResponse:
    """``grant_type=client_credentials`` + client id/secret (form, query or JSON) -> a Bearer token."""
    params = await request_params(request)
    grant_type = params.get_str("grant_type")
    if grant_type != "client_credentials":
        return JSONResponse(
            {"success": False, "error": "unsupported_grant_type", "message": "grant_type must be client_credentials"},
            status_code=400,
        )
    cfg = state.config
    client_id = params.get_str("client_id")
    client_secret = params.get_str("client_secret")
    if not (
        client_id is not None
        and client_secret is not None
        and secrets.compare_digest(client_id, cfg.client_id)
        and secrets.compare_digest(client_secret, cfg.client_secret)
    ):
        raise Unauthorized("Client authentication failed: invalid client_id or client_secret")
    check_rate_limit(state)
    token = secrets.token_urlsafe(30)
    ttl = state.issue_token(token)
    # Snov.io sends an integer; a fractional test TTL (e.g. 0.5 s) is sent as is rather than rounded up.
    expires_in: float | int = int(ttl) if ttl == int(ttl) else ttl
    return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": expires_in})

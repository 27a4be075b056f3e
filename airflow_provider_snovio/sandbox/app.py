"""Build the sandbox FastAPI app: API routers, ``/_sandbox`` control routes, middlewares, error bodies.

For route-family authors (the contract):

- A route module lives in ``airflow_provider_snovio/sandbox/routes/`` and exposes
  ``router = APIRouter(dependencies=[Depends(require_token)])`` (``require_token`` from ``sandbox.auth``:
  checks the token and takes a rate-limit slot). Add its dotted name to ``ROUTERS`` below: one line.
- Get the state with ``state: StateDep`` (= ``Annotated[SandboxState, Depends(get_state)]``, both in
  ``sandbox.state``).
- Read inputs with ``params = await request_params(request)``, ``get_list(params, "emails")``,
  ``get_bracketed(params, "customFields")`` (``sandbox.params``).
- Errors: ``v1_error``, ``not_found``, ``out_of_credits``, ``too_many_processing``, ``validation_error`` /
  ``v2_error`` (v2 input errors) in ``sandbox.errors``; raise ``EntityNotFound`` (404 body), ``OutOfCredits``,
  ``TooManyProcessing`` or ``BadParam`` (400 v1 error naming the field) from anywhere.
- Credits: ``state.charge(amount, "POST /v1/...")``; hourly limits: ``limits.consume_hourly(state, kind, n)``.
- Per-family state: define ``init_state(state)`` in the module; it runs now and after every reset; keep
  what it builds in ``state.extensions["<name>"]``. Clock: ``state.now()``.

Missing modules: a name in ``ROUTERS`` whose module file does not exist yet is skipped with a warning and
listed in ``GET /_sandbox/stats`` under ``routers_missing``; any other import error is raised.
"""

from __future__ import annotations

import importlib
import logging
from types import ModuleType
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from airflow_provider_snovio import __version__
from airflow_provider_snovio.sandbox import auth
from airflow_provider_snovio.sandbox import control as data_control
from airflow_provider_snovio.sandbox.config import SandboxConfig
from airflow_provider_snovio.sandbox.errors import install_error_handlers
from airflow_provider_snovio.sandbox.faults import FaultMiddleware
from airflow_provider_snovio.sandbox.state import SandboxState, StateDep
from airflow_provider_snovio.sandbox.stats import StatsMiddleware

log = logging.getLogger(__name__)

_ROUTES_PACKAGE = "airflow_provider_snovio.sandbox.routes"

#: API route families, in registration order. One line per family.
ROUTERS: list[str] = [
    f"{_ROUTES_PACKAGE}.campaigns",
    f"{_ROUTES_PACKAGE}.lists",
    f"{_ROUTES_PACKAGE}.account",
    f"{_ROUTES_PACKAGE}.webhooks",
    f"{_ROUTES_PACKAGE}.domain_search",
    f"{_ROUTES_PACKAGE}.finder",
    f"{_ROUTES_PACKAGE}.verifier",
    f"{_ROUTES_PACKAGE}.enrichment_search",  # 2026 #42-#51
    # 2026 §1c/§1d: sender accounts (#52-#55) and warm-up (#56-#61)
    f"{_ROUTES_PACKAGE}.senders",
    f"{_ROUTES_PACKAGE}.warm_up",
    f"{_ROUTES_PACKAGE}.campaigns_v2",  # 2026 #62-#71
    f"{_ROUTES_PACKAGE}.recipients",  # 2026 #72-#75
    f"{_ROUTES_PACKAGE}.pipelines",  # 2026 #76-#77
]


def load_router_modules(names: list[str]) -> tuple[list[ModuleType], list[str]]:
    """Import each route module; skip (and report) only modules whose own file does not exist."""
    modules: list[ModuleType] = []
    missing: list[str] = []
    for name in names:
        try:
            modules.append(importlib.import_module(name))
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            log.warning("sandbox route module %s does not exist yet; its endpoints are not served", name)
            missing.append(name)
    return modules, missing


control = APIRouter(prefix="/_sandbox", tags=["sandbox control"])


@control.get("/stats")
async def get_stats(request: Request, state: StateDep) -> JSONResponse:
    out = state.stats_dict()
    out["routers_missing"] = list(request.app.state.routers_missing)
    return JSONResponse(out)


@control.post("/reset")
async def post_reset(state: StateDep) -> JSONResponse:
    state.reset()
    return JSONResponse({"success": True})


@control.post("/clock")
async def post_clock(request: Request, state: StateDep) -> JSONResponse:
    """Move the sandbox clock: ``{"advance_seconds": 3600}`` (expires tokens, frees hourly limits, ages tasks).
    ``reset`` puts the clock back."""
    try:
        body: Any = await request.json()
        seconds = float(body["advance_seconds"])
    except (ValueError, TypeError, KeyError):
        return JSONResponse({"success": False, "message": 'body must be {"advance_seconds": <number>}'}, 422)
    if seconds < 0:
        return JSONResponse({"success": False, "message": "advance_seconds must be >= 0"}, 422)
    state.advance_clock(seconds)
    return JSONResponse({"success": True, "now": state.now()})


@control.get("/config")
async def get_config(state: StateDep) -> JSONResponse:
    return JSONResponse(state.config.to_dict())


@control.post("/config")
async def post_config(request: Request, state: StateDep) -> JSONResponse:
    """Change knobs at runtime: JSON object ``{"knob": value}``; unknown names or bad values -> 422."""
    try:
        changes: Any = await request.json()
    except ValueError:
        return JSONResponse({"success": False, "message": "body must be a JSON object"}, status_code=422)
    if not isinstance(changes, dict):
        return JSONResponse({"success": False, "message": "body must be a JSON object"}, status_code=422)
    try:
        config = state.update_config(changes)
    except (ValueError, TypeError) as exc:
        return JSONResponse({"success": False, "message": str(exc)}, status_code=422)
    return JSONResponse(config.to_dict())


def create_app(config: SandboxConfig | None = None, state: SandboxState | None = None) -> FastAPI:
    """A new sandbox app. ``state`` wins over ``config`` when both are given."""
    if state is None:
        state = SandboxState(config or SandboxConfig())
    app = FastAPI(
        title="Snov.io API sandbox",
        version=__version__,
        description="A local, seeded, credential-free copy of the Snov.io REST API (airflow-provider-snovio).",
        docs_url="/_sandbox/docs",
        redoc_url=None,
        openapi_url="/_sandbox/openapi.json",
    )
    app.state.sandbox = state
    modules, missing = load_router_modules(ROUTERS)
    app.state.routers_missing = missing
    app.include_router(control)
    app.include_router(data_control.router)  # append/delete campaign events upstream
    app.include_router(auth.router)
    for module in modules:
        app.include_router(module.router)
        init_state = getattr(module, "init_state", None)
        if init_state is not None:
            state.add_reset_hook(init_state)
    install_error_handlers(app)
    app.add_middleware(FaultMiddleware)
    app.add_middleware(StatsMiddleware)  # added last = outermost: sees the final status
    return app

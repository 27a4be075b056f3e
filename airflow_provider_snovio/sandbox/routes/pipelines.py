"""2026 CRM endpoints: pipelines #76 and pipeline stages #77 (``{"data": [...]}``, no ``success``).

Decision where the docs are silent: an unknown or non-numeric pipeline id answers the documented 404 body.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends
from fastapi.responses import JSONResponse

from airflow_provider_snovio.sandbox.auth import require_token
from airflow_provider_snovio.sandbox.data.pipelines import pipeline_rows, stage_rows
from airflow_provider_snovio.sandbox.errors import EntityNotFound

router = APIRouter(dependencies=[Depends(require_token)], tags=["crm"])


@router.get("/v2/pipelines")
async def pipelines() -> JSONResponse:
    """#76 every pipeline with its deal count and value."""
    return JSONResponse({"data": pipeline_rows()})


@router.get("/v2/pipelines/{pipeline_id}/stages")
async def pipeline_stages(pipeline_id: str) -> JSONResponse:
    """#77 the stages of one pipeline, in order."""
    rows = stage_rows(int(pipeline_id)) if pipeline_id.isdigit() else None
    if rows is None:
        raise EntityNotFound(pipeline_id)
    return JSONResponse({"data": rows})

"""Helpers shared by route families: id parsing and fast JSON responses.

Why: big event pages (10,000 rows) must not go through FastAPI's generic ``jsonable_encoder`` (slow), and
every v1 route parses numeric ids the same forgiving-but-strict way (``"12345"`` yes, ``"12a"`` no).
"""

from __future__ import annotations

import json
from typing import Any

from fastapi.responses import Response

from airflow_provider_snovio.sandbox.errors import BadParam


def fast_json(payload: Any, status: int = 200) -> Response:
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return Response(content=body.encode("utf-8"), status_code=status, media_type="application/json")


def parse_int(value: Any, name: str, *, required: bool = True, minimum: int | None = None) -> int | None:
    """An integer parameter (int or digit string); None when absent and not required."""
    if value is None or (isinstance(value, str) and value.strip() == ""):
        if required:
            raise BadParam(f"{name} is required")
        return None
    if isinstance(value, bool):
        raise BadParam(f"{name} must be an integer")
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip()
        if not (text.isdigit() or (text.startswith("-") and text[1:].isdigit())):
            raise BadParam(f"{name} must be an integer")
        number = int(text)
    if minimum is not None and number < minimum:
        raise BadParam(f"{name} must be >= {minimum}")
    return number

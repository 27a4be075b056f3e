"""Read a Snov.io HTTP answer: parse the JSON and map every failure to the error hierarchy.

Snov.io's v1 endpoints often answer 2xx with ``{"success": false, ...}``; those are errors too.
The error text lives under ``message``, ``errors``, ``result`` or ``error`` depending on the
endpoint. Bodies sometimes carry stray NUL characters, which are removed before parsing. Unknown
fields are never a problem: the parsed JSON is returned as is.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from airflow_provider_snovio.api.errors import (
    SnovioApiError,
    SnovioAuthError,
    SnovioError,
    SnovioNotFoundError,
    SnovioOutOfCreditsError,
    SnovioRateLimitError,
    SnovioResponseError,
    SnovioServerError,
    SnovioTooManyProcessingError,
)

OUT_OF_CREDITS_MARKERS = ("ran out of credits", "not_enough_credits", "not enough credits")
TOO_MANY_PROCESSING_MARKER = "too many prospects processing"
_MAX_DETAIL = 500


def clean_text(raw: bytes | str) -> str:
    """Decode and drop the stray ``\\u0000`` characters some Snov.io bodies carry."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    return text.replace("\x00", "").replace("\\u0000", "")


def _message(payload: Any) -> str:
    """Best human-readable error text from a Snov.io body of any known shape."""
    if isinstance(payload, list) and payload:
        return _message(payload[0])
    if isinstance(payload, Mapping):
        for key in ("message", "errors", "error_description", "error", "result", "title", "status"):
            if key in payload and payload[key] not in (None, "", [], {}):
                return _message(payload[key])
        return json.dumps(payload)[:_MAX_DETAIL]
    if isinstance(payload, list):
        return "no details"
    return str(payload)[:_MAX_DETAIL]


def _retry_after(headers: Mapping[str, str]) -> float | None:
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None  # an HTTP date: let the backoff decide


def _classify(detail: str, status: int | None, path: str) -> SnovioError:
    lowered = detail.lower()
    if any(marker in lowered for marker in OUT_OF_CREDITS_MARKERS):
        return SnovioOutOfCreditsError(detail, status=status, endpoint=path)
    if TOO_MANY_PROCESSING_MARKER in lowered:
        return SnovioTooManyProcessingError(detail, status=status, endpoint=path)
    return SnovioApiError(detail, status=status, endpoint=path)


def _http_error(status: int, headers: Mapping[str, str], detail: str, path: str) -> SnovioError:
    if TOO_MANY_PROCESSING_MARKER in detail.lower():  # the hourly quota: its status code is undocumented
        return SnovioTooManyProcessingError(detail, status=status, endpoint=path)
    if status in (401, 403):
        return SnovioAuthError(detail, status=status, endpoint=path)
    if status == 404:
        return SnovioNotFoundError(detail, status=status, endpoint=path)
    if status == 429:
        return SnovioRateLimitError(detail, retry_after=_retry_after(headers), status=status, endpoint=path)
    if status >= 500:
        return SnovioServerError(detail, status=status, endpoint=path)
    return _classify(detail, status, path)


def _failed_body(payload: Any) -> bool:
    """A 2xx body that still says the call failed."""
    body = payload[0] if isinstance(payload, list) and len(payload) == 1 else payload
    if not isinstance(body, Mapping):
        return False
    if body.get("success") is False:
        return True
    status = body.get("status")
    return isinstance(status, str) and status.lower() == "not_enough_credits"


def parse_response(status: int, headers: Mapping[str, str], body: bytes | str, path: str) -> Any:
    """Return the parsed JSON of a successful answer, or raise the matching :class:`SnovioError`."""
    text = clean_text(body)
    try:
        payload: Any = json.loads(text) if text.strip() else None
        parsed = True
    except ValueError:
        payload, parsed = None, False

    if status >= 400:
        detail = _message(payload) if parsed and payload is not None else (text.strip()[:200] or "no body")
        raise _http_error(status, headers, detail, path)

    if not parsed or payload is None:
        preview = "empty body" if not text.strip() else "body is not valid JSON (truncated?)"
        raise SnovioResponseError(preview, status=status, endpoint=path)
    if _failed_body(payload):
        raise _classify(_message(payload), status, path)
    return payload

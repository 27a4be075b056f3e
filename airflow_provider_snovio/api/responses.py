"""Read a Snov.io HTTP answer: parse the JSON and map every failure to the error hierarchy.

Snov.io's v1 endpoints often answer 2xx with ``{"success": false, ...}``; those are errors too.
The error text lives under ``message``, ``errors``, ``result`` or ``error`` depending on the
endpoint. Bodies sometimes carry stray NUL characters, which are removed before parsing. Unknown
fields are never a problem: the parsed JSON is returned as is.

Error texts are shortened, but only after every secret (client secret, token) has been replaced by
``***`` in the full text: shortening first could cut a secret in two and leave its prefix readable.
A 3xx is an error too: redirects are never followed, since following one would send the token to
wherever it points.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Collection, Mapping
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

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
_MAX_DETAIL = 500  # characters of Snov.io's own error text kept in a message
_MAX_RAW_DETAIL = 200  # characters of a non-JSON error body (an HTML page...) kept


#: A JSON ``\\u0000`` escape: preceded by an even number of backslashes (``\\\\u0000`` is a literal
#: backslash followed by the text "u0000", and must stay).
_NUL_ESCAPE = re.compile(r"(?<!\\)((?:\\\\)*)\\u0000")


def clean_text(raw: bytes | str) -> str:
    """Decode and drop the stray NUL characters some Snov.io bodies carry, raw or as ``\\u0000`` escapes."""
    text = raw.decode("utf-8", errors="replace") if isinstance(raw, bytes) else raw
    return _NUL_ESCAPE.sub(r"\1", text.replace("\x00", ""))


def scrub_text(text: str, secrets: Collection[str]) -> str:
    """``text`` with every secret (and its JSON-escaped form) replaced by ``***``."""
    for secret in secrets:
        if not secret:
            continue
        for form in {secret, json.dumps(secret)[1:-1]}:
            text = text.replace(form, "***")
    return text


def _message(payload: Any) -> str:
    """Best human-readable error text from a Snov.io body of any known shape (full length)."""
    if isinstance(payload, list) and payload:
        return _message(payload[0])
    if isinstance(payload, Mapping):
        for key in ("message", "errors", "error_description", "error", "result", "title", "status"):
            if key in payload and payload[key] not in (None, "", [], {}):
                return _message(payload[key])
        return json.dumps(payload)
    if isinstance(payload, list):
        return "no details"
    return str(payload)


def retry_after_seconds(headers: Mapping[str, str], now: float | None = None) -> float | None:
    """The Retry-After header in seconds: a number of seconds or an HTTP date (RFC 9110); None if absent
    or unreadable. ``now`` is the wall-clock time (``time.time()``) a date is measured from."""
    value = headers.get("Retry-After") or headers.get("retry-after")
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        seconds = when.timestamp() - (time.time() if now is None else now)  # naive dates are read as UTC
    if seconds != seconds:  # NaN
        return None
    return max(0.0, seconds)


def _redirect(status: int, headers: Mapping[str, str], path: str) -> SnovioError:
    """A 3xx: never followed (it would carry the token elsewhere); the text names the host only."""
    location = headers.get("Location") or headers.get("location") or ""
    host = urlsplit(location).hostname if "//" in location else None
    target = host or ("a path on the same host" if location else "nowhere (no Location header)")
    return SnovioApiError(f"unexpected redirect to {target}", status=status, endpoint=path)


def _classify(detail: str, status: int | None, path: str, headers: Mapping[str, str]) -> SnovioError:
    lowered = detail.lower()
    if any(marker in lowered for marker in OUT_OF_CREDITS_MARKERS):
        return SnovioOutOfCreditsError(detail, status=status, endpoint=path)
    if TOO_MANY_PROCESSING_MARKER in lowered:
        return SnovioTooManyProcessingError(
            detail, retry_after=retry_after_seconds(headers), status=status, endpoint=path
        )
    return SnovioApiError(detail, status=status, endpoint=path)


def _http_error(status: int, headers: Mapping[str, str], detail: str, path: str) -> SnovioError:
    if TOO_MANY_PROCESSING_MARKER in detail.lower():  # the hourly quota: its status code is undocumented
        return SnovioTooManyProcessingError(
            detail, retry_after=retry_after_seconds(headers), status=status, endpoint=path
        )
    if status in (401, 403):
        return SnovioAuthError(detail, status=status, endpoint=path)
    if status == 404:
        return SnovioNotFoundError(detail, status=status, endpoint=path)
    if status == 429:
        return SnovioRateLimitError(detail, retry_after=retry_after_seconds(headers), status=status, endpoint=path)
    if status >= 500:
        return SnovioServerError(detail, retry_after=retry_after_seconds(headers), status=status, endpoint=path)
    return _classify(detail, status, path, headers)


def _failed_body(payload: Any) -> bool:
    """A 2xx body that still says the call failed."""
    body = payload[0] if isinstance(payload, list) and len(payload) == 1 else payload
    if not isinstance(body, Mapping):
        return False
    if body.get("success") is False:
        return True
    status = body.get("status")
    return isinstance(status, str) and status.lower() == "not_enough_credits"


def parse_response(
    status: int, headers: Mapping[str, str], body: bytes | str, path: str, secrets: Collection[str] = ()
) -> Any:
    """Return the parsed JSON of a successful answer, or raise the matching :class:`SnovioError`.

    ``secrets`` are scrubbed from the error text before it is shortened.
    """
    text = clean_text(body)
    try:
        payload: Any = json.loads(text) if text.strip() else None
        parsed = True
    except ValueError:
        payload, parsed = None, False

    if 300 <= status < 400:
        raise _redirect(status, headers, path)
    if status >= 400:
        if parsed and payload is not None:
            detail = scrub_text(_message(payload), secrets)[:_MAX_DETAIL]
        else:
            detail = scrub_text(text.strip(), secrets)[:_MAX_RAW_DETAIL] or "no body"
        raise _http_error(status, headers, detail, path)

    if not parsed or payload is None:
        preview = "empty body" if not text.strip() else "body is not valid JSON (truncated?)"
        raise SnovioResponseError(preview, status=status, endpoint=path)
    if _failed_body(payload):
        raise _classify(scrub_text(_message(payload), secrets)[:_MAX_DETAIL], status, path, headers)
    return payload

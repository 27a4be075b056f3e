"""Error bodies of the sandbox, exactly as Snov.io sends them, plus the exceptions routes raise.

Why here: every route family answers errors in the same few documented shapes; keeping the bodies in one
module means a client's error classifier is tested against one faithful copy of each. Where Snov.io does not
document a body (401, 429, 5xx), the choice is written next to the helper.
"""

from __future__ import annotations

import math
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

NOT_FOUND_TITLE = "Sorry, but url or entity not found"
OUT_OF_CREDITS_MESSAGE = "Sorry, you ran out of credits, please order more credits"
TOO_MANY_PROCESSING_MESSAGE = "There are too many prospects processing. Please try later"


class OutOfCredits(Exception):
    """Raised by ``SandboxState.charge`` when the balance cannot cover a charge (nothing is charged)."""

    def __init__(self, needed: float, balance: float) -> None:
        super().__init__(f"needed {needed} credits, balance {balance}")
        self.needed = needed
        self.balance = balance


class TooManyProcessing(Exception):
    """Raised when an hourly finder/verifier limit is exhausted; ``retry_after`` is in seconds."""

    def __init__(self, retry_after: float, answer: str = "429") -> None:
        super().__init__(TOO_MANY_PROCESSING_MESSAGE)
        self.retry_after = retry_after
        self.answer = answer  # SandboxConfig.quota_answer


class Unauthorized(Exception):
    """Missing, unknown or expired access token (or wrong client credentials)."""


class RateLimited(Exception):
    """The per-minute sliding window is full; ``retry_after`` is in seconds."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("rate limit exceeded")
        self.retry_after = retry_after


class BadParam(ValueError):
    """A request parameter is missing or malformed; answered ``v1_error(message)`` (400). Name the field."""


class EntityNotFound(Exception):
    """Raise from a route for an unknown id / task hash: answered with the documented 404 body."""


def v1_error(message: Any, status: int = 400) -> JSONResponse:
    """The v1 error shape ``{"success": false, "message": ...}``."""
    return JSONResponse({"success": False, "message": message}, status_code=status)


def not_found() -> JSONResponse:
    """The documented 404 body, also used for unknown routes and wrong task hashes."""
    return JSONResponse({"errors": {"code": 404, "title": NOT_FOUND_TITLE, "source": ""}}, status_code=404)


def out_of_credits() -> JSONResponse:
    """Documented: 400 with the v1 error body."""
    return v1_error(OUT_OF_CREDITS_MESSAGE, status=400)


def too_many_processing(retry_after: float | None = None, answer: str = "429") -> JSONResponse:
    """Documented message; status undocumented -> **decision** (default): 429 plus ``Retry-After`` (seconds until
    an hourly slot frees), so a status-only client backs off too. ``answer="200"`` serves the other reading: a 200
    ``{"success": false, "message": ...}`` without ``Retry-After``. Clients must match on the message."""
    if answer == "200":
        return v1_error(TOO_MANY_PROCESSING_MESSAGE, status=200)
    response = v1_error(TOO_MANY_PROCESSING_MESSAGE, status=429)
    if retry_after is not None:
        response.headers["Retry-After"] = str(max(1, math.ceil(retry_after)))
    return response


def unauthorized(message: str = "Unauthorized: missing, invalid or expired access token") -> JSONResponse:
    """Undocumented body -> **decision**: 401 ``{"success": false, "message": ..., "error": "invalid_token"}``
    with a ``WWW-Authenticate: Bearer`` header (RFC 6750)."""
    return JSONResponse(
        {"success": False, "message": message, "error": "invalid_token"},
        status_code=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def rate_limited(retry_after: float) -> JSONResponse:
    """Undocumented -> **decision**: 429 ``{"success": false, "message": "Too many requests", ...}`` with an
    integer ``Retry-After`` (seconds until the oldest request leaves the sliding window)."""
    seconds = max(1, math.ceil(retry_after))
    return JSONResponse(
        {"success": False, "message": "Too many requests. Rate limit exceeded, please slow down"},
        status_code=429,
        headers={"Retry-After": str(seconds)},
    )


def validation_error(errors: dict[str, str] | str) -> JSONResponse:
    """v2-style 422 for malformed v2 input (**inferred** shape): ``{"errors": {"<field>": "<message>"}}``."""
    return JSONResponse({"errors": errors}, status_code=422)


def v2_error(title: str, status: int = 422, source: str = "") -> JSONResponse:
    """v2 error (**inferred**: the documented 404 shape with another code): ``{"errors": {"code", "title",
    "source"}}``; ``source`` names the offending field. 422 for invalid input, 400 for a refused action."""
    return JSONResponse({"errors": {"code": status, "title": title, "source": source}}, status_code=status)


def install_error_handlers(app: FastAPI) -> None:
    """Map the sandbox exceptions and Starlette's 404/405 to Snov.io's bodies."""

    async def _out_of_credits(_request: Request, _exc: Exception) -> JSONResponse:
        return out_of_credits()

    async def _too_many(_request: Request, exc: Exception) -> JSONResponse:
        return too_many_processing(getattr(exc, "retry_after", None), getattr(exc, "answer", "429"))

    async def _not_found(_request: Request, _exc: Exception) -> JSONResponse:
        return not_found()

    async def _unauthorized(_request: Request, exc: Exception) -> JSONResponse:
        return unauthorized(str(exc) or "Unauthorized")

    async def _rate_limited(_request: Request, exc: Exception) -> JSONResponse:
        return rate_limited(getattr(exc, "retry_after", 1.0))

    async def _bad_param(_request: Request, exc: Exception) -> JSONResponse:
        return v1_error(str(exc), status=400)

    app.add_exception_handler(BadParam, _bad_param)
    app.add_exception_handler(Unauthorized, _unauthorized)
    app.add_exception_handler(RateLimited, _rate_limited)
    app.add_exception_handler(OutOfCredits, _out_of_credits)
    app.add_exception_handler(TooManyProcessing, _too_many)
    app.add_exception_handler(EntityNotFound, _not_found)
    app.add_exception_handler(404, _not_found)
    # A wrong method on a known path: Snov.io answers its generic 404 page as well (inferred).
    app.add_exception_handler(405, _not_found)

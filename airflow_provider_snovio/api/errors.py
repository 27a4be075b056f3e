"""The one exception hierarchy for everything that can go wrong talking to Snov.io.

It is rooted in ``AirflowException`` so that a task failing on a Snov.io error fails the way Airflow
users expect, yet this module stays importable without Airflow (the sandbox and the pure API layer
use it too): without Airflow the root is plain ``Exception``.

Every message carries the HTTP status, the endpoint path and Snov.io's own text - never a token, a
client secret or a query string.
"""

from __future__ import annotations

try:  # pragma: no cover - exercised by whichever environment runs the tests
    from airflow.exceptions import AirflowException as _Root
except ImportError:  # pragma: no cover
    _Root = Exception  # type: ignore[misc,assignment]


class SnovioError(_Root):  # type: ignore[misc,valid-type]
    """Base class: ``status`` (HTTP status or None), ``endpoint`` (path template), ``detail`` (Snov.io text)."""

    #: Set once an error has been retried as often as the policy allows (e.g. the token request made
    #: inside a call), so an enclosing retry loop does not multiply the attempts.
    retries_exhausted: bool = False

    def __init__(self, detail: str, *, status: int | None = None, endpoint: str | None = None) -> None:
        self.detail = detail
        self.status = status
        self.endpoint = endpoint
        super().__init__(self._format())

    def _format(self) -> str:
        where = []
        if self.status is not None:
            where.append(f"HTTP {self.status}")
        if self.endpoint:
            where.append(self.endpoint)
        prefix = f"Snov.io {' '.join(where)}: " if where else "Snov.io: "
        return prefix + self.detail


class SnovioValidationError(SnovioError, ValueError):
    """Bad input caught before any request is sent; ``field`` names the offending argument."""

    def __init__(self, field: str, problem: str, *, endpoint: str | None = None) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"invalid {field!r}: {problem}", endpoint=endpoint)


class SnovioConfigError(SnovioError):
    """The connection or client configuration is unusable (bad base URL, unknown backend...)."""


class SnovioAuthError(SnovioError):
    """401/403, or the token endpoint refused the client credentials."""


class SnovioRateLimitError(SnovioError):
    """429 from Snov.io; ``retry_after`` holds the Retry-After header in seconds, when sent."""

    def __init__(self, detail: str, *, retry_after: float | None = None, **kw: object) -> None:
        self.retry_after = retry_after
        super().__init__(detail, **kw)  # type: ignore[arg-type]


class SnovioTooManyProcessingError(SnovioError):
    """The hourly finder/verifier quota: "There are too many prospects processing". Retry much later."""


class SnovioOutOfCreditsError(SnovioError):
    """The account ran out of credits (400 "ran out of credits", or a task status ``not_enough_credits``)."""


class SnovioNotFoundError(SnovioError):
    """The documented 404 body: unknown URL or entity, including a wrong or expired task_hash."""


class SnovioServerError(SnovioError):
    """5xx from Snov.io."""


class SnovioApiError(SnovioError):
    """Any other refusal: a 4xx, or a 2xx v1 body with ``success: false``."""


class SnovioResponseError(SnovioError):
    """The body could not be read as JSON (truncated, empty, HTML error page...)."""


class SnovioTransportError(SnovioError):
    """The request never got an HTTP answer.

    ``sent`` says whether the request may have reached Snov.io: False for a refused connection
    (certainly not taken effect), True for a read timeout or a dropped connection (it may have).
    """

    def __init__(self, detail: str, *, sent: bool, **kw: object) -> None:
        self.sent = sent
        super().__init__(detail, **kw)  # type: ignore[arg-type]


class SnovioTaskTimeoutError(SnovioError):
    """An asynchronous task (task_hash, verification, finder) did not finish before the deadline."""

"""The one exception hierarchy for everything that can go wrong talking to Snov.io.

It is rooted in ``AirflowException`` so that a task failing on a Snov.io error fails the way Airflow
users expect, yet this module stays importable without Airflow (the sandbox and the pure API layer
use it too): without Airflow the root is plain ``Exception``.

Every message carries the HTTP status, the endpoint path and Snov.io's own text - never a token, a
client secret or a query string.
"""

from __future__ import annotations

from typing import Any

try:  # pragma: no cover - exercised by whichever environment runs the tests
    from airflow.exceptions import AirflowException as _Root
except ImportError:  # pragma: no cover
    _Root = Exception  # type: ignore[misc,assignment]


class SnovioError(_Root):
    """Base class: ``status`` (HTTP status or None), ``endpoint`` (path template), ``detail`` (Snov.io text)."""

    #: Set once an error has been retried as often as the policy allows (e.g. the token request made
    #: inside a call), so an enclosing retry loop does not multiply the attempts.
    retries_exhausted: bool = False
    #: Set on errors raised while waiting on a started (paid) task, so the caller can keep waiting on the
    #: same task instead of starting, and paying for, a new one: ``wait_for_task(result_method, task_hash)``.
    task_hash: str | None = None
    result_method: str | None = None

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


class _RetryAfter(SnovioError):
    """An error that may come with a server hint: ``retry_after`` seconds (Retry-After), or None."""

    def __init__(self, detail: str, *, retry_after: float | None = None, **kw: Any) -> None:
        self.retry_after = retry_after
        super().__init__(detail, **kw)


class SnovioRateLimitError(_RetryAfter):
    """429 from Snov.io, still returned a full rate window after the first 429 of the call.

    ``retry_after`` holds the Retry-After header in seconds (a number or an HTTP date), when sent.
    """


class SnovioTooManyProcessingError(_RetryAfter):
    """The hourly finder/verifier quota: "There are too many prospects processing".

    The client waits only briefly for it (``RetryPolicy.processing_wait_max``): the quota frees up over
    an hour, and a worker slot must not be held that long. When raised by the client, ``retry_after``
    always holds the seconds after which a new attempt makes sense (the server's Retry-After, else
    ``RetryPolicy.processing_retry_after``), so an operator can defer or reschedule.
    """


class SnovioOutOfCreditsError(SnovioError):
    """The account ran out of credits (400 "ran out of credits", or a task status ``not_enough_credits``)."""


class SnovioNotFoundError(SnovioError):
    """The documented 404 body: unknown URL or entity, including a wrong or expired task_hash."""


class SnovioServerError(_RetryAfter):
    """5xx from Snov.io; ``retry_after`` holds its Retry-After header in seconds (usually on a 503), if sent."""


class SnovioApiError(SnovioError):
    """Any other refusal: a 4xx, a 2xx v1 body with ``success: false``, or an unexpected 3xx redirect
    (never followed: a redirect would resend the token to wherever it points)."""


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


class SnovioLimiterError(SnovioTransportError):
    """The shared rate limiter's backend (Redis, SQLite) failed, so nothing was sent (``sent`` is False).

    Retried like a refused connection; the text is the limiter's own, with any password redacted.
    """

    def __init__(self, detail: str, **kw: Any) -> None:
        super().__init__(detail, sent=False, **kw)


class SnovioTaskTimeoutError(SnovioError):
    """An asynchronous task (task_hash, verification, finder) did not finish before the deadline.

    ``task_hash`` and ``result_method`` name the task, which was paid for and may still finish: call
    ``wait_for_task(error.result_method, error.task_hash)`` (or defer again) instead of starting anew.
    """

    def __init__(
        self, detail: str, *, task_hash: str | None = None, result_method: str | None = None, **kw: Any
    ) -> None:
        self.task_hash = task_hash
        self.result_method = result_method
        super().__init__(detail, **kw)


class SnovioPartialError(SnovioError):
    """A call split into several requests (a list longer than one request allows) failed part-way.

    The requests before the failure succeeded and were charged, so a blind retry would pay again.
    ``done`` lists the items whose requests succeeded, ``remaining`` the items not sent or whose request
    failed (resume with these), ``answer`` the merged answer of the successful requests, ``cause`` the
    error that stopped the call (also chained as ``__cause__``). ``uncertain`` lists the items of the
    failed request if it may still have taken effect (a read timeout, a 500, an unreadable answer); they
    are in ``remaining`` too, so check them (e.g. with a free status call) before sending them again.
    ``argument`` names the split argument (``"emails"``). A failure of the first request is raised
    unchanged instead: nothing was done.
    """

    def __init__(
        self,
        *,
        done: list[Any],
        remaining: list[Any],
        answer: Any,
        cause: SnovioError,
        argument: str | None = None,
        uncertain: list[Any] | None = None,
    ) -> None:
        self.done = done
        self.remaining = remaining
        self.answer = answer
        self.cause = cause
        self.argument = argument
        self.uncertain = uncertain or []
        what = f" {argument}" if argument else " items"
        detail = (
            f"stopped part-way: {len(done)}{what} done (charged), {len(remaining)} remaining; cause: {cause.detail}"
        )
        super().__init__(detail, status=cause.status, endpoint=cause.endpoint)


class SnovioAnswerLostError(SnovioError):
    """A paid call of an earlier try may have been charged, but its answer was lost and no free read finds it.

    A write-ahead marker was recorded before the call and no result after it, so the call may or may not
    have taken effect. Sending it again could pay twice: the task fails instead, naming how many items
    may already have been charged (``items``), until the operator is given ``allow_repay=True``.
    """

    def __init__(self, detail: str, *, items: int, **kw: Any) -> None:
        self.items = items
        super().__init__(detail, **kw)


class SnovioTaskExpiredError(SnovioNotFoundError):
    """A task_hash Snov.io forgot (404) again after it was started anew once in this try.

    The operator starts a forgotten task again at most once per item per try (each restart is paid);
    a second 404 fails the try instead of paying in a loop.
    """

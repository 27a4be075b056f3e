"""The synchronous Snov.io client (httpx): auth, rate limit, retries and error mapping in one place.

Every public method comes from :class:`SnovioMethods`; each ends in :meth:`SnovioClient.call`, which
validates against the catalogue (nothing is sent for bad input), splits over-long lists, and sends
each request through the shared rate limiter, with the cached token, under the retry policy.

A split call that fails part-way raises :class:`SnovioPartialError` naming what was done (and charged)
and what remains, so the caller resumes instead of paying twice. Every failure a caller sees is a
:class:`SnovioError`: transport errors, a failing limiter backend, and 3xx answers (redirects are never
followed: they would carry the token elsewhere) included. What a transport failure means is decided in
:mod:`transport`, once for this client and the async one.

Secrets: the client secret travels only in the token request's form body and the token only in the
``Authorization`` header. Both are handed to ``on_secret`` (the hook passes Airflow's
``mask_secret``) and scrubbed from any error text before it is shortened and raised.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow_provider_snovio import (
    DEFAULT_BASE_URL,
    DEFAULT_REQUESTS_PER_MINUTE,
    DEFAULT_TIMEOUT_SECONDS,
)
from airflow_provider_snovio.api.catalogue import TOKEN_PATH, Endpoint
from airflow_provider_snovio.api.catalogue import endpoint as lookup
from airflow_provider_snovio.api.encoding import (
    PreparedCall,
    merge_answers,
    prepare,
    request_kwargs,
    split_batches,
)
from airflow_provider_snovio.api.errors import (
    SnovioAuthError,
    SnovioConfigError,
    SnovioError,
    SnovioLimiterError,
    SnovioPartialError,
    SnovioResponseError,
)
from airflow_provider_snovio.api.methods import SnovioMethods
from airflow_provider_snovio.api.quotas import FINDER, VERIFIER, quota_use
from airflow_provider_snovio.api.retry import Attempts, RetryPolicy, describe, may_have_taken_effect
from airflow_provider_snovio.api.token import TOKENS, TokenCache
from airflow_provider_snovio.api.transport import (
    new_client,
    read_answer,
    request_timeout,
    send_options,
    transport_errors,
)
from airflow_provider_snovio.api.urls import is_loopback

if TYPE_CHECKING:  # httpx is imported on first use: DAG files that only import the hook stay fast
    import httpx

    from airflow_provider_snovio.api.token_store import GuardedStore

log = logging.getLogger(__name__)


def check_base_url(base_url: str) -> str:
    """HTTPS only; plain HTTP is allowed for a loopback address (the local sandbox) and nothing else."""
    url = (base_url or DEFAULT_BASE_URL).strip()
    if "://" not in url:
        url = "https://" + url
    url = url.rstrip("/")  # after the scheme check: "https://" alone must not become "https://https:"
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme == "https" and host:
        return url
    if parts.scheme == "http" and is_loopback(host):
        return url
    raise SnovioConfigError(
        f"base URL must be https:// (plain http only for a loopback sandbox), got {parts.scheme}://{host}"
    )


def shared_limiter(config: ClientConfig) -> Any:
    """The process-wide limiter of ``config``'s account; a bad backend is a configuration error."""
    from airflow_provider_snovio.api.ratelimit import get_rate_limiter

    try:
        return get_rate_limiter(
            config.account_key,
            config.requests_per_minute,
            config.rate_limit_backend,
            window_seconds=config.rate_window_seconds,
            quotas=config.quotas,
            quota_window_seconds=config.quota_window_seconds,
        )
    except (ValueError, ImportError) as error:
        raise SnovioConfigError(str(error)) from None


def shared_tokens(config: ClientConfig) -> GuardedStore | None:
    """The store through which the processes of ``config``'s account share one token (none for ``memory``)."""
    from airflow_provider_snovio.api.token_store import shared_token_store

    try:
        return shared_token_store(config.rate_limit_backend, config.token_key, config.client_secret)
    except ValueError:  # a bad backend: the limiter has already said so, or was given by the caller
        return None


def token_form(config: ClientConfig) -> dict[str, str]:
    """The client-credentials form: the only place the client secret is ever sent."""
    return {"grant_type": "client_credentials", "client_id": config.client_id, "client_secret": config.client_secret}


def token_refused(error: SnovioError) -> SnovioError:
    """A failed token request: a 4xx means the credentials were refused; anything else stays as is."""
    if error.status in (400, 401, 403):
        return SnovioAuthError(f"token request refused: {error.detail}", status=error.status, endpoint=TOKEN_PATH)
    return error


def read_token(body: Any) -> tuple[str, float]:
    """``(access_token, expires_in)`` from the token answer."""
    token = body.get("access_token") if isinstance(body, dict) else None
    if not token:
        raise SnovioAuthError("token answer carries no access_token", endpoint=TOKEN_PATH)
    try:
        expires_in = float(body.get("expires_in") or 3600)
    except (TypeError, ValueError):
        expires_in = 3600.0  # an unreadable lifetime is not worth failing the call: assume the documented hour
    return str(token), expires_in


@contextlib.contextmanager
def limiter_errors(where: str) -> Iterator[None]:
    """Turn a failure to take a rate-limit slot into a :class:`SnovioError` (sync or async acquire)."""
    try:
        yield
    except ConnectionError as error:  # the limiter's backend (Redis...); its text has no password
        raise SnovioLimiterError(f"rate limiter unavailable: {error}", endpoint=where) from None
    except ValueError as error:  # a declared quota smaller than this one request
        raise SnovioConfigError(str(error)) from None


def prepare_batches(row: Endpoint, arguments: dict[str, Any]) -> tuple[list[dict[str, Any]], list[PreparedCall]]:
    """The argument sets and requests of one call: one, or one per batch of an over-long list (de-duplicated).

    Every request is validated before any is sent, so bad input never fails a call half-way.
    """
    batches = split_batches(row, arguments) or [arguments]
    return batches, [prepare(row, batch) for batch in batches]


def partial_failure(
    row: Endpoint, batches: list[dict[str, Any]], answers: list[Any], error: SnovioError
) -> SnovioError:
    """The error to raise when request ``len(answers)`` of a (split) call failed with ``error``.

    The first request failing means nothing was done: ``error`` itself. Later, a
    :class:`SnovioPartialError` with the items done, the items remaining and the merged answer so far.
    """
    failed = len(answers)
    if failed == 0 or row.chunk is None:
        return error
    name = row.chunk[0]
    items = [list(batch[name]) for batch in batches]
    try:
        answer = merge_answers(answers)
    except SnovioResponseError:
        answer = answers  # answers of different shapes: hand them over unmerged
    return SnovioPartialError(
        done=[item for batch in items[:failed] for item in batch],
        remaining=[item for batch in items[failed:] for item in batch],
        answer=answer,
        cause=error,
        argument=name,
        uncertain=list(items[failed]) if may_have_taken_effect(error) else [],
    )


@dataclass(frozen=True)
class ClientConfig:
    """Everything a client needs; the hook builds it from an Airflow connection."""

    client_id: str
    client_secret: str = field(repr=False)
    base_url: str = DEFAULT_BASE_URL
    timeout: float = DEFAULT_TIMEOUT_SECONDS
    requests_per_minute: int = DEFAULT_REQUESTS_PER_MINUTE
    rate_limit_backend: str | None = None
    #: The limit's window; Snov.io's is a minute. Shorter windows serve tests and benchmarks.
    rate_window_seconds: float = 60.0
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    #: The plan's hourly quotas (:mod:`quotas`): finder requests and verifier e-mails; ``None`` = unknown.
    finder_hourly_limit: int | None = None
    verifier_hourly_limit: int | None = None
    #: The quotas' window; Snov.io's is an hour. Shorter windows serve tests and benchmarks.
    quota_window_seconds: float = 3600.0

    def __post_init__(self) -> None:
        if not self.client_id:
            raise SnovioConfigError("client_id (the connection's login) is empty")
        if not self.client_secret:
            raise SnovioConfigError("client_secret (the connection's password) is empty")
        object.__setattr__(self, "base_url", check_base_url(self.base_url))
        if not _positive_seconds(self.timeout):
            raise SnovioConfigError(f"timeout must be a finite, positive number of seconds, got {self.timeout!r}")

    @property
    def quotas(self) -> dict[str, int | None]:
        """The declared quotas by family, for the limiter."""
        return {FINDER: self.finder_hourly_limit, VERIFIER: self.verifier_hourly_limit}

    @property
    def account_key(self) -> str:
        """Identifies the account (rate limiter, lineage names); holds no secret."""
        return hashlib.sha256(f"{self.base_url}|{self.client_id}".encode()).hexdigest()[:32]

    @property
    def token_key(self) -> str:
        """Keys the token cache: the account AND a digest of the secret, so a token issued for one secret is
        never reused for another (a connection edited to a wrong secret must fail its test, not borrow the
        cached token). The rate limit stays per account (:attr:`account_key`): both secrets spend one budget."""
        digest = hashlib.sha256(f"{self.base_url}|{self.client_id}|{self.client_secret}".encode()).hexdigest()
        return digest[:32]


class SnovioClient(SnovioMethods):
    """Sync Snov.io client. Thread-safe: tokens and the limiter are shared process-wide.

    ``http``: the ``httpx.Client`` to send with (tests pass one on an ``httpx.MockTransport``); by default a
    pooled one of :func:`~.transport.new_client`, closed by :meth:`close`.
    """

    def __init__(
        self,
        config: ClientConfig,
        *,
        http: httpx.Client | None = None,
        limiter: Any = None,
        tokens: TokenCache | None = None,
        share_tokens: bool | None = None,
        on_secret: Callable[[str], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._http_client = http or new_client()
        self._timeout = request_timeout(config.timeout)
        self._tokens = tokens or TOKENS
        self._on_secret = on_secret or (lambda _secret: None)
        self._sleep = sleep
        self._clock = clock
        self._secrets: set[str] = {config.client_secret}
        self._on_secret(config.client_secret)
        self._limiter = limiter or shared_limiter(config)
        # The process-wide cache also shares its tokens with the account's other processes; a cache of the
        # caller's own (tests, benchmarks) stays private unless share_tokens says otherwise.
        self._shared = shared_tokens(config) if (tokens is None if share_tokens is None else share_tokens) else None

    # The one entry point ------------------------------------------------------------------------
    def call(self, endpoint: Endpoint | str, /, **arguments: Any) -> Any:
        """Send ``endpoint``, a catalogue row (``ENDPOINTS.get_balance``), with ``arguments``; return the parsed JSON.

        A name (``"get_balance"``) is accepted too and looked up once (:func:`~.catalogue.endpoint`).
        Raises :class:`SnovioPartialError` when a split call fails after its first request.
        """
        row = lookup(endpoint)
        batches, prepared = prepare_batches(row, arguments)
        what = f"{row.method} {row.path}"
        answers: list[Any] = []
        for request in prepared:
            try:  # a call that may have taken effect is retried only if the row says resending is safe
                answers.append(
                    self._with_retries(
                        partial(self._send_authorized, request), spends_credits=not request.resend_safe, what=what
                    )
                )
            except SnovioError as error:
                failure = partial_failure(row, batches, answers, error)
                if failure is error:
                    raise
                raise failure from error
        return answers[0] if len(prepared) == 1 else merge_answers(answers)

    def close(self) -> None:
        self._http_client.close()

    def __enter__(self) -> SnovioClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # Token --------------------------------------------------------------------------------------
    def access_token(self) -> str:
        """The cached token, fetching a new one when needed (one request per token lifetime)."""
        return self._known(self._tokens.get(self.config.token_key, self._fetch_token, self._shared))

    def _fetch_token(self) -> tuple[str, float]:
        def once() -> tuple[str, float]:
            try:
                body = self._http("POST", TOKEN_PATH, data=token_form(self.config))
            except SnovioError as error:
                raise token_refused(error) from None
            return read_token(body)

        try:
            token: tuple[str, float] = self._with_retries(once, spends_credits=False, what=f"POST {TOKEN_PATH}")
            return token
        except SnovioError as error:
            error.retries_exhausted = True  # the call's own retry loop must not redo them
            raise

    # Sending ------------------------------------------------------------------------------------
    def _send_authorized(self, prepared: PreparedCall) -> Any:
        """Send once; on a 401 drop the token, fetch a new one and send exactly once more."""
        token = self.access_token()
        try:
            return self._send(prepared, token)
        except SnovioAuthError as error:
            if error.status != 401:
                raise
            self._tokens.invalidate(self.config.token_key, token, self._shared)
            return self._send(prepared, self.access_token())

    def _send(self, prepared: PreparedCall, token: str) -> Any:
        return self._http(
            prepared.method,
            prepared.path,
            template=prepared.endpoint.path,
            quota=quota_use(prepared),
            **request_kwargs(prepared, token),
        )

    def _http(
        self,
        method: str,
        path: str,
        *,
        template: str | None = None,
        quota: tuple[str, int] | None = None,
        **kwargs: Any,
    ) -> Any:
        """One HTTP exchange inside the rate limit (and ``quota``: its hourly family and units); failures
        become :class:`SnovioError`."""
        where = template or path
        with limiter_errors(where):
            ticket = self._limiter.acquire(*quota) if quota else self._limiter.acquire()
        try:
            return self._exchange(method, path, where, **kwargs)
        finally:
            if ticket is not None:
                self._limiter.settle(ticket)  # its entries count from the answer on (see api/ratelimit/)

    def _exchange(self, method: str, path: str, where: str, **kwargs: Any) -> Any:
        started = time.monotonic()
        with transport_errors(where, self.config.timeout):  # the body is read inside: its failures too
            response = self._http_client.request(
                method, self.config.base_url + path, **send_options(kwargs, self._timeout)
            )
        log.debug("Snov.io %s %s -> %s in %.2f s", method, where, response.status_code, time.monotonic() - started)
        return read_answer(response, where, self._secrets)

    def _with_retries(self, attempt: Callable[[], Any], *, spends_credits: bool, what: str) -> Any:
        """Run ``attempt`` until it succeeds or :class:`Attempts` says to give up."""
        attempts = Attempts(self.config.retry, spends_credits=spends_credits, clock=self._clock)
        while True:
            try:
                return attempt()
            except SnovioError as error:
                wait = attempts.next_wait(error)
                if wait is None:
                    raise
                log_retry(log, what, error, attempts, wait)
            self._sleep(wait)

    def _known(self, token: str) -> str:
        """Register a token in use as a secret (masked in logs, scrubbed from errors), once per client."""
        remember_secret(token, self._secrets, self._on_secret)
        return token


def remember_secret(secret: str, secrets: set[str], on_secret: Callable[[str], None]) -> None:
    if secret not in secrets:
        secrets.add(secret)
        on_secret(secret)


def log_retry(logger: logging.Logger, what: str, error: SnovioError, attempts: Attempts, wait: float) -> None:
    logger.warning(
        "Snov.io %s failed (%s); retry %d of %d in %.1f s",
        what,
        describe(error),
        attempts.failures,
        attempts.policy.max_retries,
        wait,
    )


def _positive_seconds(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value) and value > 0

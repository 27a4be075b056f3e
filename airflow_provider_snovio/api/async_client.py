"""The asynchronous Snov.io client (httpx), for triggers that poll from Airflow's event loop.

It is the sync client's twin, not a second implementation: the same catalogue rows and validation
(:func:`prepare`), the same error mapping (:func:`parse_response`), the same retry decisions
(:class:`Attempts`), the same partial-failure error, the same process-wide token cache (one token
fetch per account for sync and async callers together, awaited without blocking the loop) and the same
rate limiter (awaited with ``acquire_async``, which never blocks the loop) and the same HTTP layer
(:mod:`transport`: pool, timeouts, TLS context, the one mapping of transport failures). Only the awaiting differs.
Triggers only poll, so the usual use is ``await client.call(ENDPOINTS.get_domain_search_result, task_hash=...)``
with :mod:`status` deciding.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from airflow_provider_snovio.api.catalogue import TOKEN_PATH, Endpoint
from airflow_provider_snovio.api.catalogue import endpoint as lookup
from airflow_provider_snovio.api.client import (
    ClientConfig,
    limiter_errors,
    log_retry,
    partial_failure,
    prepare_batches,
    read_token,
    remember_secret,
    shared_limiter,
    shared_tokens,
    token_form,
    token_refused,
)
from airflow_provider_snovio.api.encoding import PreparedCall, merge_answers, request_kwargs
from airflow_provider_snovio.api.errors import SnovioAuthError, SnovioError
from airflow_provider_snovio.api.quotas import quota_use
from airflow_provider_snovio.api.retry import Attempts
from airflow_provider_snovio.api.token import TOKENS, TokenCache
from airflow_provider_snovio.api.transport import (
    new_async_client,
    read_answer,
    request_timeout,
    send_options,
    transport_errors,
)

log = logging.getLogger(__name__)


class AsyncSnovioClient:
    """Async Snov.io client: ``async with AsyncSnovioClient(config) as client: await client.call(...)``."""

    def __init__(
        self,
        config: ClientConfig,
        *,
        http: httpx.AsyncClient | None = None,
        limiter: Any = None,
        tokens: TokenCache | None = None,
        share_tokens: bool | None = None,
        on_secret: Callable[[str], None] | None = None,
        on_asecret: Callable[[str], Awaitable[None]] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.config = config
        self._http_client = http or new_async_client()
        self._timeout = request_timeout(config.timeout)
        self._tokens = tokens or TOKENS
        self._on_secret = on_secret or (lambda _secret: None)
        self._sleep = sleep
        self._clock = clock
        # ``on_asecret`` (the hook passes Airflow's async ``amask_secret``) is awaited for every new secret
        # instead of ``on_secret``: the caller has already masked the client secret the same way.
        self._on_asecret = on_asecret
        self._secrets: set[str] = {config.client_secret}
        if on_asecret is None:
            self._on_secret(config.client_secret)
        self._limiter = limiter or shared_limiter(config)
        # The process-wide cache also shares its tokens with the account's other processes; a cache of the
        # caller's own (tests, benchmarks) stays private unless share_tokens says otherwise.
        self._shared = shared_tokens(config) if (tokens is None if share_tokens is None else share_tokens) else None

    async def call(self, endpoint: Endpoint | str, /, **arguments: Any) -> Any:
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
                    await self._with_retries(
                        functools.partial(self._send_authorized, request),
                        spends_credits=not request.resend_safe,
                        what=what,
                    )
                )
            except SnovioError as error:
                failure = partial_failure(row, batches, answers, error)
                if failure is error:
                    raise
                raise failure from error
        return answers[0] if len(prepared) == 1 else merge_answers(answers)

    async def access_token(self) -> str:
        """The cached token (shared with every client of this account in the process), fetched once when
        missing, by whichever sync or async caller comes first; the others wait without blocking the loop."""
        token = await self._tokens.aget(self.config.token_key, self._fetch_token, self._shared)
        if self._on_asecret is None:
            remember_secret(token, self._secrets, self._on_secret)
        elif token not in self._secrets:
            self._secrets.add(token)
            await self._on_asecret(token)
        return token

    async def _fetch_token(self) -> tuple[str, float]:
        async def once() -> tuple[str, float]:
            try:
                body = await self._http("POST", TOKEN_PATH, data=token_form(self.config))
            except SnovioError as error:
                raise token_refused(error) from None
            return read_token(body)

        try:
            token: tuple[str, float] = await self._with_retries(once, spends_credits=False, what=f"POST {TOKEN_PATH}")
            return token
        except SnovioError as error:
            error.retries_exhausted = True  # the call's own retry loop must not redo them
            raise

    async def aclose(self) -> None:
        await self._http_client.aclose()

    async def __aenter__(self) -> AsyncSnovioClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _send_authorized(self, prepared: PreparedCall) -> Any:
        """Send once; on a 401 drop the token, fetch a new one and send exactly once more."""
        token = await self.access_token()
        try:
            return await self._send(prepared, token)
        except SnovioAuthError as error:
            if error.status != 401:
                raise
            await self._tokens.ainvalidate(self.config.token_key, token, self._shared)
            return await self._send(prepared, await self.access_token())

    async def _send(self, prepared: PreparedCall, token: str) -> Any:
        return await self._http(
            prepared.method,
            prepared.path,
            template=prepared.endpoint.path,
            quota=quota_use(prepared),
            **request_kwargs(prepared, token),
        )

    async def _http(
        self,
        method: str,
        path: str,
        *,
        template: str | None = None,
        quota: tuple[str, int] | None = None,
        **kwargs: Any,
    ) -> Any:
        where = template or path
        with limiter_errors(where):
            ticket = await (self._limiter.acquire_async(*quota) if quota else self._limiter.acquire_async())
        try:
            return await self._exchange(method, path, where, **kwargs)
        finally:
            if ticket is not None:  # its entries count from the answer on (see api/ratelimit/)
                await asyncio.shield(asyncio.to_thread(self._limiter.settle, ticket))

    async def _exchange(self, method: str, path: str, where: str, **kwargs: Any) -> Any:
        with transport_errors(where, self.config.timeout):  # the body is read inside: its failures too
            response = await self._http_client.request(
                method, self.config.base_url + path, **send_options(kwargs, self._timeout)
            )
        return read_answer(response, where, self._secrets)

    async def _with_retries(self, attempt: Callable[[], Awaitable[Any]], *, spends_credits: bool, what: str) -> Any:
        """Await ``attempt()`` until it succeeds or :class:`Attempts` says to give up (as the sync client)."""
        attempts = Attempts(self.config.retry, spends_credits=spends_credits, clock=self._clock)
        while True:
            try:
                return await attempt()
            except SnovioError as error:
                wait = attempts.next_wait(error)
                if wait is None:
                    raise
                log_retry(log, what, error, attempts, wait)
            await self._sleep(wait)

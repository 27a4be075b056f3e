"""The asynchronous Snov.io client (httpx), for triggers that poll from Airflow's event loop.

It is the sync client's twin, not a second implementation: the same catalogue rows and validation
(:func:`prepare`), the same error mapping (:func:`parse_response`), the same retry decisions, the same
process-wide token cache and the same rate limiter (awaited with ``acquire_async``, which never blocks
the loop). Only the transport differs. Triggers only poll, so the usual use is
``await client.call("get_domain_search_result", task_hash=...)`` with :mod:`status` deciding.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from tenacity import AsyncRetrying, retry_if_exception, stop_after_attempt

from airflow_provider_snovio.api.catalogue import TOKEN_PATH, endpoint
from airflow_provider_snovio.api.client import (
    USER_AGENT,
    ClientConfig,
    read_token,
    scrub,
    shared_limiter,
    token_form,
    token_refused,
)
from airflow_provider_snovio.api.encoding import (
    PreparedCall,
    merge_answers,
    prepare,
    request_kwargs,
    split_batches,
)
from airflow_provider_snovio.api.errors import SnovioAuthError, SnovioError, SnovioTransportError
from airflow_provider_snovio.api.responses import parse_response
from airflow_provider_snovio.api.retry import describe, is_retryable, wait_seconds
from airflow_provider_snovio.api.token import TOKENS, TokenCache

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
        on_secret: Callable[[str], None] | None = None,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.config = config
        self._http_client = http or httpx.AsyncClient(
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            timeout=httpx.Timeout(config.timeout, connect=min(10.0, config.timeout)),
        )
        self._tokens = tokens or TOKENS
        self._on_secret = on_secret or (lambda _secret: None)
        self._sleep = sleep
        self._secrets: set[str] = {config.client_secret}
        self._on_secret(config.client_secret)
        self._token_lock = asyncio.Lock()
        self._limiter = limiter or shared_limiter(config)

    async def call(self, name: str, /, **arguments: Any) -> Any:
        """Call the endpoint whose hook method is ``name`` and return its parsed JSON."""
        row = endpoint(name)
        batches = split_batches(row, arguments)
        if batches is None:
            return await self._execute(prepare(row, arguments))
        return merge_answers([await self._execute(prepare(row, batch)) for batch in batches])

    async def access_token(self) -> str:
        """The cached token (shared with sync clients of this process), fetched once when missing."""
        cached = self._tokens.peek(self.config.account_key)
        if cached:
            return cached
        async with self._token_lock:
            cached = self._tokens.peek(self.config.account_key)
            if cached:
                return cached

            async def once() -> tuple[str, float]:
                try:
                    body = await self._http("POST", TOKEN_PATH, data=token_form(self.config))
                except SnovioError as error:
                    raise token_refused(error) from None
                return read_token(body)

            try:
                value, expires_in = await self._with_retries(once, spends_credits=False,
                                                             what=f"POST {TOKEN_PATH}")
            except SnovioError as error:
                error.retries_exhausted = True  # the call's own retry loop must not redo them
                raise
            self._secrets.add(value)
            self._on_secret(value)
            self._tokens.store(self.config.account_key, value, expires_in)
            return value

    async def aclose(self) -> None:
        await self._http_client.aclose()

    async def __aenter__(self) -> AsyncSnovioClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _execute(self, prepared: PreparedCall) -> Any:
        row = prepared.endpoint

        async def attempt() -> Any:  # a coroutine function: tenacity awaits only those
            return await self._send_authorized(prepared)

        return await self._with_retries(attempt, spends_credits=row.spends_credits, what=f"{row.method} {row.path}")

    async def _send_authorized(self, prepared: PreparedCall) -> Any:
        """Send once; on a 401 drop the token, fetch a new one and send exactly once more."""
        token = await self.access_token()
        try:
            return await self._send(prepared, token)
        except SnovioAuthError as error:
            if error.status != 401:
                raise
            self._tokens.invalidate(self.config.account_key, token)
            return await self._send(prepared, await self.access_token())

    async def _send(self, prepared: PreparedCall, token: str) -> Any:
        kwargs = request_kwargs(prepared, token)
        if "data" in kwargs:  # httpx wants a mapping; repeated keys (emails[]) become lists
            kwargs["data"] = _as_mapping(kwargs["data"])
        return await self._http(prepared.method, prepared.path, template=prepared.endpoint.path, **kwargs)

    async def _http(self, method: str, path: str, *, template: str | None = None, **kwargs: Any) -> Any:
        where = template or path
        await self._limiter.acquire_async()
        try:
            response = await self._http_client.request(method, self.config.base_url + path, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as error:
            raise SnovioTransportError(f"{type(error).__name__}: not connected", sent=False,
                                       endpoint=where) from None
        except httpx.TimeoutException:
            raise SnovioTransportError(f"no answer within {self.config.timeout:g} s", sent=True,
                                       endpoint=where) from None
        except httpx.TransportError as error:
            raise SnovioTransportError(f"{type(error).__name__} while reading the answer", sent=True,
                                       endpoint=where) from None
        try:
            return parse_response(response.status_code, response.headers, response.content, where)
        except SnovioError as error:
            raise scrub(error, self._secrets) from None

    async def _with_retries(self, attempt: Callable[[], Awaitable[Any]], *, spends_credits: bool,
                            what: str) -> Any:
        policy = self.config.retry

        def log_retry(state: Any) -> None:
            log.warning("Snov.io %s failed (%s); retry %d of %d in %.1f s", what,
                        describe(state.outcome.exception()), state.attempt_number, policy.max_retries,
                        state.next_action.sleep)

        retrying = AsyncRetrying(
            stop=stop_after_attempt(policy.max_retries + 1),
            retry=retry_if_exception(lambda error: is_retryable(error, spends_credits=spends_credits)),
            wait=lambda state: wait_seconds(state.outcome.exception(), state.attempt_number, policy),
            sleep=self._sleep,
            before_sleep=log_retry,
            reraise=True,
        )
        return await retrying(attempt)


def _as_mapping(pairs: list[tuple[str, str]] | dict[str, Any]) -> dict[str, Any]:
    if isinstance(pairs, dict):
        return pairs
    mapping: dict[str, Any] = {}
    for key, value in pairs:
        if key in mapping:
            existing = mapping[key]
            mapping[key] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            mapping[key] = value
    return mapping

"""AsyncSnovioClient at the unit level: httpx.MockTransport instead of a server, no real sleeping."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from airflow_provider_snovio.api.async_client import AsyncSnovioClient
from airflow_provider_snovio.api.catalogue import TOKEN_PATH
from airflow_provider_snovio.api.errors import (
    SnovioApiError,
    SnovioAuthError,
    SnovioError,
    SnovioLimiterError,
    SnovioRateLimitError,
    SnovioServerError,
    SnovioTooManyProcessingError,
    SnovioTransportError,
    SnovioValidationError,
)
from airflow_provider_snovio.api.token import TokenCache
from tests.unit.conftest import CLIENT_SECRET, make_config


class AsyncLimiter:
    def __init__(self) -> None:
        self.acquired = 0

    async def acquire_async(self, *quota: object) -> None:
        self.acquired += 1


def _run(
    handler: Callable[[httpx.Request], httpx.Response], body: Callable[[AsyncSnovioClient], Any], **config: Any
) -> tuple[Any, list[httpx.Request], AsyncLimiter]:
    seen: list[httpx.Request] = []
    limiter = AsyncLimiter()

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    async def main() -> Any:
        waits: list[float] = []

        async def no_sleep(seconds: float) -> None:
            waits.append(seconds)

        http = httpx.AsyncClient(transport=httpx.MockTransport(record))
        async with AsyncSnovioClient(
            make_config(**config), http=http, limiter=limiter, tokens=TokenCache(), sleep=no_sleep
        ) as client:
            return await body(client)

    return asyncio.run(main()), seen, limiter


def _token_then(answer: Callable[[httpx.Request], httpx.Response]) -> Callable[[httpx.Request], httpx.Response]:
    issued = iter(range(1, 100))

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            return httpx.Response(200, json={"access_token": f"tok-{next(issued)}", "expires_in": 3600})
        return answer(request)

    return handler


def test_requests_carry_the_token_only_in_the_header() -> None:
    handler = _token_then(lambda r: httpx.Response(200, json={"success": True, "x@octagon.com": {"sent": True}}))
    _, seen, limiter = _run(handler, lambda c: c.call("add_emails_to_verification", emails=["x@octagon.com"]))
    token_call, api_call = seen
    assert token_call.method == "POST" and b"client_secret=" in token_call.content
    assert api_call.url.path == "/v1/add-emails-to-verification"
    assert api_call.url.params.get_list("emails[]") == ["x@octagon.com"]
    assert api_call.headers["Authorization"] == "Bearer tok-1"
    assert "tok-1" not in str(api_call.url)
    assert limiter.acquired == 2  # the token request is inside the limit too


def test_json_and_form_bodies() -> None:
    handler = _token_then(lambda r: httpx.Response(200, json={"data": {"task_hash": "ab" * 16}}))
    rows = [{"first_name": "Gavin", "last_name": "Vanrooyen", "domain": "octagon.com"}]
    _, seen, _ = _run(handler, lambda c: c.call("start_emails_by_name", rows=rows))
    assert json.loads(seen[1].content) == {"rows": rows}
    _, seen, _ = _run(handler, lambda c: c.call("start_email_verification", emails=["a@octagon.com", "b@octagon.com"]))
    assert seen[1].content == b"emails%5B%5D=a%40octagon.com&emails%5B%5D=b%40octagon.com"


def test_validation_fails_before_any_request() -> None:
    with pytest.raises(SnovioValidationError, match="task_hash"):
        _run(
            _token_then(lambda r: httpx.Response(200, json={})),
            lambda c: c.call("get_domain_search_result", task_hash="../../v1/get-balance"),
        )


def test_a_401_renews_the_token_once() -> None:
    answers = iter([httpx.Response(401, json={"message": "expired"}), httpx.Response(200, json={"success": True})])
    body, seen, _ = _run(_token_then(lambda r: next(answers)), lambda c: c.call("get_balance"))
    assert body == {"success": True}
    assert [r.url.path for r in seen] == [TOKEN_PATH, "/v1/get-balance", TOKEN_PATH, "/v1/get-balance"]
    assert seen[3].headers["Authorization"] == "Bearer tok-2"


def test_a_paid_call_is_not_retried_after_a_500_but_a_free_one_is() -> None:
    calls: list[str] = []

    def failing(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        return httpx.Response(500, json={"message": "boom"})

    handler = _token_then(failing)
    with pytest.raises(SnovioServerError):
        _run(handler, lambda c: c.call("start_domain_search", domain="octagon.com"))
    assert calls == ["/v2/domain-search/start"]  # it may have been processed: paying twice is worse
    calls.clear()
    with pytest.raises(SnovioServerError):
        _run(handler, lambda c: c.call("get_balance"))
    assert calls == ["/v1/get-balance"] * 6  # 1 + max_retries (5)


def test_token_retries_are_not_multiplied_by_the_call_retries() -> None:
    calls: list[httpx.Request] = []

    def down(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        return httpx.Response(503, text="<html>down</html>")

    with pytest.raises(SnovioServerError) as failure:
        _run(down, lambda c: c.call("get_balance"), max_retries=2)
    assert len(calls) == 3  # max_retries + 1 token requests in all, not (max_retries + 1) ** 2
    assert CLIENT_SECRET not in str(failure.value)


def test_refused_credentials_are_an_auth_error_without_the_secret() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        return httpx.Response(401, json={"error": "invalid_client", "client_secret": CLIENT_SECRET})

    with pytest.raises(SnovioAuthError, match="token request refused") as failure:
        _run(refuse, lambda c: c.call("get_balance"))
    assert CLIENT_SECRET not in str(failure.value)


# Every failure is a SnovioError, as in the sync client (issue 6, item 9) ------------------------------------


def test_an_undecodable_answer_is_a_transport_error_and_a_free_call_is_retried() -> None:
    calls: list[str] = []

    def broken(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if len(calls) == 1:
            raise httpx.DecodingError("Error -3 while decompressing data: incorrect header check", request=request)
        return httpx.Response(200, json={"success": True})

    body, _, _ = _run(_token_then(broken), lambda c: c.call("get_balance"))
    assert body == {"success": True}
    assert calls == ["/v1/get-balance"] * 2


@pytest.mark.parametrize("failure", [httpx.DecodingError, httpx.TooManyRedirects, httpx.RemoteProtocolError])
def test_httpx_errors_on_a_paid_call_are_transport_errors_and_not_resent(failure: type[httpx.HTTPError]) -> None:
    calls: list[str] = []

    def broken(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        raise failure("broken answer", request=request)

    with pytest.raises(SnovioTransportError) as caught:
        _run(_token_then(broken), lambda c: c.call("add_emails_to_verification", emails=["x@octagon.com"]))
    assert caught.value.sent is True
    assert caught.value.endpoint == "/v1/add-emails-to-verification"
    assert failure.__name__ in str(caught.value)
    assert calls == ["/v1/add-emails-to-verification"], "it may have been processed: not resent"


@pytest.mark.parametrize("follow", [False, True], ids=["default_client", "client_that_follows"])
def test_a_redirect_is_never_followed_nor_retried(follow: bool) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        if request.url.path == TOKEN_PATH:
            return httpx.Response(200, json={"access_token": "tok-1", "expires_in": 3600})
        if request.url.host == "evil.example.com":
            return httpx.Response(200, json={"success": True, "stolen": True})
        return httpx.Response(302, headers={"Location": "https://evil.example.com/collect?x=1"})

    async def main() -> Any:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler), follow_redirects=follow)
        async with AsyncSnovioClient(
            make_config(), http=http, limiter=AsyncLimiter(), tokens=TokenCache(), sleep=_no_sleep
        ) as client:
            return await client.call("get_balance")

    with pytest.raises(SnovioApiError, match=r"unexpected redirect to evil\.example\.com") as caught:
        asyncio.run(main())
    assert caught.value.status == 302 and caught.value.endpoint == "/v1/get-balance"
    assert not any("evil" in url for url in seen), "the token must not follow a redirect"
    assert sum(url.endswith("/v1/get-balance") for url in seen) == 1, "a redirect is not retried"


class FailingLimiter:
    """A limiter whose backend is down: raises a builtin ConnectionError, as the real limiter does."""

    def __init__(self) -> None:
        self.attempts = 0

    async def acquire_async(self, *quota: object) -> None:
        self.attempts += 1
        raise ConnectionError("rate limit backend redis://:***@cache.internal:6379/0 is unreachable")

    def acquire(self, *quota: object) -> None:
        self.attempts += 1
        raise ConnectionError("rate limit backend redis://:***@cache.internal:6379/0 is unreachable")


def test_a_limiter_backend_failure_is_a_limiter_error_retried_then_raised() -> None:
    limiter = FailingLimiter()
    sent: list[httpx.Request] = []

    async def main() -> Any:
        http = httpx.AsyncClient(transport=httpx.MockTransport(lambda r: sent.append(r) or httpx.Response(200)))
        async with AsyncSnovioClient(
            make_config(max_retries=2), http=http, limiter=limiter, tokens=TokenCache(), sleep=_no_sleep
        ) as client:
            return await client.call("add_emails_to_verification", emails=["x@octagon.com"])

    with pytest.raises(SnovioLimiterError) as caught:
        asyncio.run(main())
    assert isinstance(caught.value, SnovioTransportError) and caught.value.sent is False
    assert caught.value.endpoint == TOKEN_PATH and "unreachable" in str(caught.value)
    assert limiter.attempts == 3 and sent == []


# Retry-After and the rate window, as in the sync client (issue 6, item 10) -----------------------------------


async def _no_sleep(seconds: float) -> None:
    return None


def _run_timed(
    handler: Callable[[httpx.Request], httpx.Response], body: Callable[[AsyncSnovioClient], Any], **config: Any
) -> tuple[Any, list[float]]:
    now = [0.0]
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    async def main() -> Any:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with AsyncSnovioClient(
            make_config(**config),
            http=http,
            limiter=AsyncLimiter(),
            tokens=TokenCache(),
            sleep=sleep,
            clock=lambda: now[0],
        ) as client:
            return await body(client)

    try:
        return asyncio.run(main()), waits
    except SnovioError as error:
        return error, waits


def test_async_429_is_given_up_on_only_after_a_full_rate_window() -> None:
    handler = _token_then(lambda r: httpx.Response(429, json={"message": "Too Many"}, headers={"Retry-After": "3"}))
    error, waits = _run_timed(handler, lambda c: c.call("get_balance"), max_retries=2)
    assert isinstance(error, SnovioRateLimitError)
    assert waits == [3.0, 3.0, 54.0]


def test_async_503_retry_after_is_honoured() -> None:
    answers = iter(
        [httpx.Response(503, text="down", headers={"Retry-After": "9"}), httpx.Response(200, json={"success": True})]
    )
    body, waits = _run_timed(_token_then(lambda r: next(answers)), lambda c: c.call("get_balance"))
    assert body == {"success": True} and waits == [9.0]


def test_async_too_many_processing_is_raised_with_a_retry_after() -> None:
    handler = _token_then(
        lambda r: httpx.Response(200, json={"success": False, "message": "There are too many prospects processing"})
    )
    error, waits = _run_timed(
        handler, lambda c: c.call("add_emails_to_verification", emails=["x@octagon.com"]), max_retries=50
    )
    assert isinstance(error, SnovioTooManyProcessingError)
    assert sum(waits) == pytest.approx(120.0) and error.retry_after == 900.0


def test_clients_share_one_tls_context(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building a TLS context loads the CA bundle on the caller's thread; a triggerer starting many triggers
    on its event loop must pay that once per process, not once per trigger (nor once per sync client)."""
    from airflow_provider_snovio.api import transport
    from airflow_provider_snovio.api.client import ClientConfig, SnovioClient

    built: list[object] = []
    real = httpx.create_ssl_context

    def counting(*args: object, **kwargs: object) -> object:
        built.append(object())
        return real(*args, **kwargs)

    monkeypatch.setattr(httpx, "create_ssl_context", counting)
    transport.tls_context.cache_clear()
    config = ClientConfig(client_id="id", client_secret="secret", base_url="https://api.example.com")
    for _ in range(5):
        AsyncSnovioClient(config, limiter=object())
        SnovioClient(config, limiter=object(), tokens=TokenCache()).close()
    assert len(built) == 1
    transport.tls_context.cache_clear()

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
    SnovioAuthError,
    SnovioServerError,
    SnovioValidationError,
)
from airflow_provider_snovio.api.token import TokenCache
from tests.unit.conftest import CLIENT_SECRET, make_config


class AsyncLimiter:
    def __init__(self) -> None:
        self.acquired = 0

    async def acquire_async(self) -> None:
        self.acquired += 1


def _run(handler: Callable[[httpx.Request], httpx.Response], body: Callable[[AsyncSnovioClient], Any],
         **config: Any) -> tuple[Any, list[httpx.Request], AsyncLimiter]:
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
        async with AsyncSnovioClient(make_config(**config), http=http, limiter=limiter, tokens=TokenCache(),
                                     sleep=no_sleep) as client:
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
        _run(_token_then(lambda r: httpx.Response(200, json={})),
             lambda c: c.call("get_domain_search_result", task_hash="../../v1/get-balance"))


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

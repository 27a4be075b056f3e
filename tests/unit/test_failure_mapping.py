"""Every failure a caller of the sync client sees is a SnovioError with status, path and text (issue 6, item 9).

Redirects go through a real ``httpx.Client`` built to follow them (on an ``httpx.MockTransport``), since
following them is httpx's own behaviour; the rest uses the scripted transport of conftest.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from airflow_provider_snovio.api.catalogue import TOKEN_PATH
from airflow_provider_snovio.api.client import SnovioClient
from airflow_provider_snovio.api.errors import SnovioApiError, SnovioLimiterError, SnovioTransportError
from airflow_provider_snovio.api.token import TokenCache
from tests.unit.conftest import FakeLimiter, FakeResponse, FakeTime, Harness, make_config, ok

BALANCE = "/v1/get-balance"
ADD_VERIFY = "/v1/add-emails-to-verification"


class Redirecting:
    """Answers token requests, redirects every API call to another host, records every URL it is asked for."""

    def __init__(self) -> None:
        self.urls: list[str] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        url = str(request.url)
        self.urls.append(url)
        if url.endswith(TOKEN_PATH):
            return httpx.Response(200, json={"access_token": "TOKEN-redirect-0001", "expires_in": 3600})
        if request.url.host == "evil.example.com":
            return httpx.Response(200, json={"success": True, "stolen": True})
        return httpx.Response(302, headers={"Location": "https://evil.example.com/collect?token=1"})


def test_a_redirect_is_not_followed_nor_retried_by_the_sync_client() -> None:
    handler = Redirecting()
    http = httpx.Client(transport=httpx.MockTransport(handler), follow_redirects=True)  # the client must refuse
    fake = FakeTime()
    client = SnovioClient(
        make_config(), http=http, limiter=FakeLimiter(), tokens=TokenCache(), sleep=fake.sleep, clock=fake.clock
    )
    with pytest.raises(SnovioApiError, match=r"unexpected redirect to evil\.example\.com") as caught:
        client.get_balance()
    assert caught.value.status == 302 and caught.value.endpoint == BALANCE
    assert not any("evil" in url for url in handler.urls), "the token must not follow a redirect"
    assert sum(url.endswith(BALANCE) for url in handler.urls) == 1
    assert fake.sleeps == []


class DownLimiter(FakeLimiter):
    def acquire(self, *quota: object) -> None:
        super().acquire()
        raise ConnectionError("rate limit backend redis://:***@cache.internal:6379/0 is unreachable")


def test_a_limiter_backend_failure_is_a_snovio_error_and_nothing_is_sent(harness: Harness) -> None:
    limiter = DownLimiter()
    client = SnovioClient(
        make_config(max_retries=2),
        http=harness.session.client(),
        limiter=limiter,
        tokens=harness.tokens,
        sleep=harness.time.sleep,
        clock=harness.time.clock,
    )
    with pytest.raises(SnovioLimiterError) as caught:
        client.add_emails_to_verification(["x@octagon.com"])
    error = caught.value
    assert isinstance(error, SnovioTransportError) and error.sent is False
    assert error.endpoint == TOKEN_PATH and "unreachable" in str(error) and "***" in str(error)
    assert error.__cause__ is None and error.__suppress_context__
    assert harness.session.calls == []
    assert limiter.acquires == 3, "retried like a refused connection: nothing was sent"


@pytest.mark.parametrize(
    "failure",
    [
        # a body that says gzip and is not: httpx raises DecodingError while reading it
        lambda: FakeResponse(200, b"not gzip at all", {"Content-Encoding": "gzip"}),
        lambda: httpx.RemoteProtocolError(
            "peer closed connection without sending complete message body (incomplete chunked read)"
        ),
    ],
    ids=["content_decoding", "chunked_encoding"],
)
def test_broken_answers_are_transport_errors(
    failure: Callable[[], Exception | FakeResponse], make_harness: Callable[..., Harness]
) -> None:
    h = make_harness(max_retries=1)
    h.session.queue(ADD_VERIFY, failure())
    with pytest.raises(SnovioTransportError) as caught:
        h.client.add_emails_to_verification(["x@octagon.com"])
    assert caught.value.sent is True and caught.value.endpoint == ADD_VERIFY
    assert len(h.session.calls_to(ADD_VERIFY)) == 1, "a paid call that may have been processed is not resent"
    h.session.queue(BALANCE, failure(), ok())
    h.client.get_balance()
    assert len(h.session.calls_to(BALANCE)) == 2, "a free call is"

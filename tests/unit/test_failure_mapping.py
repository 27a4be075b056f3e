"""Every failure a caller of the sync client sees is a SnovioError with status, path and text (issue 6, item 9).

Redirects go through a real ``requests.Session`` (with an in-memory adapter), since following them is
requests' own behaviour; the rest uses the scripted session of conftest.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from requests.adapters import BaseAdapter
from requests.structures import CaseInsensitiveDict

from airflow_provider_snovio.api.catalogue import TOKEN_PATH
from airflow_provider_snovio.api.client import SnovioClient
from airflow_provider_snovio.api.errors import SnovioApiError, SnovioLimiterError, SnovioTransportError
from airflow_provider_snovio.api.token import TokenCache
from tests.unit.conftest import FakeLimiter, FakeTime, Harness, make_config, ok

BALANCE = "/v1/get-balance"
ADD_VERIFY = "/v1/add-emails-to-verification"


class RedirectingAdapter(BaseAdapter):
    """Answers token requests, redirects every API call to another host, records every URL it is asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def send(self, request: requests.PreparedRequest, **kwargs: object) -> requests.Response:
        self.urls.append(request.url or "")
        response = requests.Response()
        response.request = request
        response.url = request.url or ""
        if (request.url or "").endswith(TOKEN_PATH):
            response.status_code = 200
            response._content = b'{"access_token": "TOKEN-redirect-0001", "expires_in": 3600}'
        elif "evil.example.com" in (request.url or ""):
            response.status_code = 200
            response._content = b'{"success": true, "stolen": true}'
        else:
            response.status_code = 302
            response._content = b""
            response.headers = CaseInsensitiveDict({"Location": "https://evil.example.com/collect?token=1"})
        return response

    def close(self) -> None:
        pass


def test_a_redirect_is_not_followed_nor_retried_by_the_sync_client() -> None:
    adapter = RedirectingAdapter()
    session = requests.Session()
    session.mount("https://", adapter)
    fake = FakeTime()
    client = SnovioClient(
        make_config(), session=session, limiter=FakeLimiter(), tokens=TokenCache(), sleep=fake.sleep, clock=fake.clock
    )
    with pytest.raises(SnovioApiError, match=r"unexpected redirect to evil\.example\.com") as caught:
        client.get_balance()
    assert caught.value.status == 302 and caught.value.endpoint == BALANCE
    assert not any("evil" in url for url in adapter.urls), "the token must not follow a redirect"
    assert sum(url.endswith(BALANCE) for url in adapter.urls) == 1
    assert fake.sleeps == []


class DownLimiter(FakeLimiter):
    def acquire(self, *quota: object) -> None:
        super().acquire()
        raise ConnectionError("rate limit backend redis://:***@cache.internal:6379/0 is unreachable")


def test_a_limiter_backend_failure_is_a_snovio_error_and_nothing_is_sent(harness: Harness) -> None:
    limiter = DownLimiter()
    client = SnovioClient(
        make_config(max_retries=2),
        session=harness.session,  # type: ignore[arg-type]
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
        lambda: requests.exceptions.ContentDecodingError("Received response with content-encoding: gzip, but failed"),
        lambda: requests.exceptions.ChunkedEncodingError("Connection broken: InvalidChunkLength"),
    ],
    ids=["content_decoding", "chunked_encoding"],
)
def test_broken_answers_are_transport_errors(
    failure: Callable[[], Exception], make_harness: Callable[..., Harness]
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

"""The client secret and the token never reach a log record, an exception text or a repr; HTTPS only."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest

from airflow_provider_snovio.api.catalogue import TOKEN_PATH
from airflow_provider_snovio.api.client import ClientConfig, check_base_url
from airflow_provider_snovio.api.errors import SnovioApiError, SnovioConfigError, SnovioError
from tests.unit.conftest import CLIENT_ID, CLIENT_SECRET, TOKEN_PREFIX, Harness, make_config, ok, status

BALANCE = "/v1/get-balance"


def _texts_of(records: list[logging.LogRecord]) -> list[str]:
    out = []
    for record in records:
        out.append(record.getMessage())
        out.append(repr(record.args))
        if record.exc_text:
            out.append(record.exc_text)
    return out


def test_no_secret_in_logs_errors_or_reprs_across_retries_renewals_and_failures(
    caplog: pytest.LogCaptureFixture, harness: Harness
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="airflow_provider_snovio")
    harness.session.queue(TOKEN_PATH, status(503, "token service restarting"))
    harness.session.queue(
        BALANCE,
        status(503, "Service Unavailable"),
        status(401, {"message": "expired"}),
        ok({"success": True, "data": {"balance": "10.00"}}),
    )
    harness.session.queue("/v1/get-user-lists", httpx.ReadTimeout("read timed out"))
    harness.session.queue("/v1/lists", status(400, {"success": False, "message": "List name is taken"}))

    assert harness.client.get_balance()["data"]["balance"] == "10.00"
    harness.client.get_user_lists()
    failures: list[BaseException] = []
    try:
        harness.client.create_prospect_list("Leads")
    except SnovioApiError as error:
        failures.append(error)
    assert len(failures) == 1

    issued = [f"{TOKEN_PREFIX}0001", f"{TOKEN_PREFIX}0002"]
    assert {c.headers["Authorization"] for c in harness.session.api_calls} == {f"Bearer {t}" for t in issued}
    texts = _texts_of(caplog.records)
    assert any(BALANCE in t for t in texts), "the client logged nothing: the test would prove nothing"
    assert any("retry" in t for t in texts)
    for secret in [CLIENT_SECRET, *issued]:
        for text in texts:
            assert secret not in text
        for error in failures:
            assert secret not in str(error) and secret not in repr(error)
        assert secret not in repr(harness.client.config)
        assert secret not in caplog.text


def test_secrets_echoed_by_the_server_are_scrubbed_from_errors(harness: Harness) -> None:
    token = f"{TOKEN_PREFIX}0001"
    harness.session.queue(
        BALANCE, status(400, {"success": False, "message": f"Bad token {token} for secret {CLIENT_SECRET}"})
    )
    with pytest.raises(SnovioError) as caught:
        harness.client.get_balance()
    text = str(caught.value)
    assert token not in text and CLIENT_SECRET not in text
    assert token not in caught.value.detail
    assert "***" in text
    assert "Bad token" in text


def test_repr_of_the_config_hides_the_secret_but_shows_the_rest() -> None:
    config = make_config()
    text = repr(config)
    assert CLIENT_SECRET not in text
    assert CLIENT_ID in text and "https://api.snov.io" in text


def test_account_key_holds_no_secret_and_separates_accounts() -> None:
    key = make_config().account_key
    assert CLIENT_SECRET not in key and CLIENT_ID not in key
    assert key == make_config(client_secret="another-secret").account_key
    assert key != make_config(client_id="other").account_key
    assert key != make_config(base_url="http://127.0.0.1:8000").account_key


def test_exception_chain_holds_no_transport_details(make_harness: Callable[..., Harness]) -> None:
    h = make_harness(max_retries=0)
    h.session.queue(BALANCE, httpx.ConnectError(f"https://api.snov.io/?token={TOKEN_PREFIX}leak"))
    with pytest.raises(SnovioError) as caught:
        h.client.get_balance()
    assert caught.value.__cause__ is None and caught.value.__suppress_context__
    assert "leak" not in str(caught.value)


# check_base_url -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://api.snov.io", "https://api.snov.io"),
        ("https://api.snov.io/", "https://api.snov.io"),
        ("  https://api.snov.io  ", "https://api.snov.io"),
        ("api.snov.io", "https://api.snov.io"),
        ("", "https://api.snov.io"),
        ("https://snovio-proxy.internal:8443", "https://snovio-proxy.internal:8443"),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
        ("http://127.0.0.1", "http://127.0.0.1"),
        ("http://localhost:8000/", "http://localhost:8000"),
        ("http://[::1]:8000", "http://[::1]:8000"),
    ],
)
def test_base_url_accepted(raw: str, expected: str) -> None:
    assert check_base_url(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "http://example.com",
        "http://api.snov.io",
        "http://10.0.0.5:8000",
        "http://localhost.evil.com",
        "http://127.0.0.1.nip.io",
        "ftp://api.snov.io",
        "https://",
        "http://",
    ],
)
def test_base_url_refused(raw: str) -> None:
    with pytest.raises(SnovioConfigError, match="https"):
        check_base_url(raw)


def test_config_refuses_plain_http_to_a_remote_host() -> None:
    with pytest.raises(SnovioConfigError):
        make_config(base_url="http://example.com")


@pytest.mark.parametrize(
    ("overrides", "word"),
    [
        ({"client_id": ""}, "client_id"),
        ({"client_secret": ""}, "client_secret"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": -3.0}, "timeout"),
        ({"timeout": float("nan")}, "timeout"),
        ({"timeout": float("inf")}, "timeout"),
        ({"timeout": "30"}, "timeout"),
    ],
)
def test_config_refuses_missing_credentials_and_bad_timeout(overrides: dict[str, object], word: str) -> None:
    with pytest.raises(SnovioConfigError, match=word):
        make_config(**overrides)


def test_config_error_for_missing_secret_does_not_print_other_values() -> None:
    with pytest.raises(SnovioConfigError) as caught:
        ClientConfig(client_id=CLIENT_ID, client_secret="")
    assert CLIENT_ID not in str(caught.value)


# Scrubbed before shortened: a secret cut at the length limit leaves no prefix (issue 6, item 7) -----------


@pytest.mark.parametrize("cut", [4, 8, 20])
def test_the_token_echoed_across_the_text_limit_leaves_no_prefix(cut: int, harness: Harness) -> None:
    token = f"{TOKEN_PREFIX}0001"
    message = "z" * (500 - cut) + token + " and more"
    harness.session.queue(BALANCE, status(400, {"success": False, "message": message}))
    with pytest.raises(SnovioApiError) as caught:
        harness.client.get_balance()
    assert token[:cut] not in str(caught.value) and token[:cut] not in caught.value.detail


@pytest.mark.parametrize("cut", [4, 8, 20])
def test_the_client_secret_echoed_across_the_raw_text_limit_leaves_no_prefix(
    cut: int, make_harness: Callable[..., Harness]
) -> None:
    h = make_harness(max_retries=0)
    h.session.queue(TOKEN_PATH, status(502, "<pre>" + "q" * (200 - 5 - cut) + CLIENT_SECRET + "</pre>"))
    with pytest.raises(SnovioError) as caught:
        h.client.get_balance()
    assert CLIENT_SECRET[:cut] not in str(caught.value)


def test_the_async_client_scrubs_before_shortening_too() -> None:
    import asyncio

    from airflow_provider_snovio.api.async_client import AsyncSnovioClient
    from airflow_provider_snovio.api.token import TokenCache
    from tests.unit.conftest import FakeLimiter

    token = "TOKEN-async-0001-abcdefghijklmnop"

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == TOKEN_PATH:
            return httpx.Response(200, json={"access_token": token, "expires_in": 3600})
        return httpx.Response(400, json={"success": False, "message": "w" * 495 + token})

    async def main() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        async with AsyncSnovioClient(
            make_config(max_retries=0), http=http, limiter=FakeLimiter(), tokens=TokenCache()
        ) as client:
            await client.call("get_balance")

    with pytest.raises(SnovioApiError) as caught:
        asyncio.run(main())
    assert token[:5] not in str(caught.value)


def test_a_token_taken_from_the_shared_cache_is_scrubbed_by_every_client(harness: Harness) -> None:
    from airflow_provider_snovio.api.client import SnovioClient

    harness.client.get_balance()  # fetches TOKEN 0001 into the shared cache
    other = SnovioClient(
        make_config(),
        http=harness.session.client(),
        limiter=harness.limiter,  # type: ignore[arg-type]
        tokens=harness.tokens,
        sleep=harness.time.sleep,
        clock=harness.time.clock,
    )
    token = f"{TOKEN_PREFIX}0001"
    harness.session.queue(BALANCE, status(400, {"success": False, "message": f"bad token {token}"}))
    with pytest.raises(SnovioApiError) as caught:
        other.get_balance()
    assert token not in str(caught.value)

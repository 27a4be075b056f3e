"""A password in the rate-limit backend URL never shows: repr, properties, errors, logs, test_connection."""

from __future__ import annotations

import json
import socket
import uuid

import pytest
from pytest_mock import MockerFixture

from airflow_provider_snovio.api.ratelimit import RateLimitBackendError, RateLimiter, get_rate_limiter
from airflow_provider_snovio.api.urls import redact_url, scrub_url_secrets, url_secrets
from airflow_provider_snovio.hooks.snovio import SnovioHook

PASSWORD = "Pa55-w0rd-Zx81"
USER = "snovio-user-q7"


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unique_key() -> str:
    return f"https://api.snov.io|client-{uuid.uuid4().hex}"


def backends(port: int) -> list[str]:
    """Every place a Redis URL can carry a credential."""
    return [
        f"redis://:{PASSWORD}@127.0.0.1:{port}/0",
        f"redis://{USER}:{PASSWORD}@127.0.0.1:{port}/0",
        f"redis://127.0.0.1:{port}/0?password={PASSWORD}",
        f"redis://127.0.0.1:{port}/0?username={USER}&password={PASSWORD}",
        f"rediss://127.0.0.1:{port}/0?socket_timeout=2&PassWord={PASSWORD}",
        f"redis://127.0.0.1:{port}/0?pass%77ord={PASSWORD}",  # percent-encoded key
        f"redis://:{PASSWORD.replace('-', '%2D')}@127.0.0.1:{port}/0",  # percent-encoded password
    ]


def assert_hidden(text: str) -> None:
    assert PASSWORD not in text
    assert PASSWORD.replace("-", "%2D") not in text
    assert USER not in text


# -- redact_url -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", backends(6379))
def test_redact_url_hides_every_credential_and_keeps_the_address(url: str) -> None:
    redacted = redact_url(url)
    assert_hidden(redacted)
    assert "127.0.0.1:6379/0" in redacted
    assert redacted.split("://")[0] == url.split("://")[0]


def test_redact_url_keeps_harmless_options_and_plain_urls() -> None:
    assert redact_url("redis://cache:6379/2?socket_timeout=5&db=2") == "redis://cache:6379/2?socket_timeout=5&db=2"
    assert redact_url("https://api.snov.io/v1") == "https://api.snov.io/v1"
    assert redact_url("redis://cache:6379/0?password=x#frag") == "redis://cache:6379/0?password=***"
    assert redact_url("redis://[::1") == "<unparsable URL>"


def test_url_secrets_lists_passwords_and_optionally_users() -> None:
    url = f"redis://{USER}:{PASSWORD}@h:1/0?password=second-{PASSWORD}&db=3"
    everything = url_secrets(url)
    assert PASSWORD in everything and f"second-{PASSWORD}" in everything and USER in everything
    assert "3" not in everything
    passwords = url_secrets(url, include_usernames=False)
    assert PASSWORD in passwords and f"second-{PASSWORD}" in passwords
    assert USER not in passwords
    assert url_secrets(f"redis://h/0?username={USER}", include_usernames=False) == []


def test_scrub_url_secrets_cleans_a_library_text() -> None:
    url = f"redis://:{PASSWORD}@cache:6379/0"
    text = f"Error connecting to {url}: password {PASSWORD} refused"
    scrubbed = scrub_url_secrets(text, url)
    assert_hidden(scrubbed)
    assert "cache:6379" in scrubbed
    assert scrub_url_secrets("untouched", "") == "untouched"


# -- the limiter ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("url", backends(6379))
def test_repr_backend_and_location_hide_the_password(url: str) -> None:
    limiter = RateLimiter(unique_key(), 60, url)
    for shown in (repr(limiter), limiter.backend, limiter.location):
        assert_hidden(shown)
    assert "127.0.0.1:6379/0" in limiter.backend


@pytest.mark.parametrize("index", range(len(backends(1))))
def test_connection_error_to_a_closed_port_hides_the_password(index: int) -> None:
    url = backends(closed_port())[index]
    limiter = get_rate_limiter(unique_key(), 60, url)
    try:
        with pytest.raises(RateLimitBackendError, match="rate_limit_backend") as info:
            limiter.acquire()
    finally:
        limiter.close()
    assert isinstance(info.value, ConnectionError)
    assert_hidden(str(info.value))
    assert info.value.__cause__ is None, "a chained redis error would print its own text in tracebacks"
    assert "Connection" in str(info.value)  # the library's reason is kept, scrubbed


def test_a_library_error_echoing_the_url_is_scrubbed(mocker: MockerFixture) -> None:
    import redis

    url = f"redis://{USER}:{PASSWORD}@127.0.0.1:6379/0?password={PASSWORD}"
    limiter = RateLimiter(unique_key(), 60, url)
    store = mocker.MagicMock()
    store.attempt.side_effect = redis.ConnectionError(f"cannot reach {url} (auth {USER}/{PASSWORD})")
    mocker.patch.object(limiter, "_open", return_value=store)
    with pytest.raises(RateLimitBackendError) as info:
        limiter.acquire()
    assert_hidden(str(info.value))
    assert "cannot reach redis://***@127.0.0.1:6379/0?password=***" in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        f"redis://:{PASSWORD}@cache:port/0",
        f"http://{USER}:{PASSWORD}@cache:6379/0",
        f"mongodb://cache/0?password={PASSWORD}",
    ],
)
def test_configuration_errors_hide_the_password(url: str) -> None:
    with pytest.raises(ValueError, match="rate_limit_backend") as info:
        get_rate_limiter(unique_key(), 60, url)
    assert_hidden(str(info.value))


# -- the hook -------------------------------------------------------------------------------------------


def use_connection(monkeypatch: pytest.MonkeyPatch, backend: str) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_SNOVIO_DEFAULT",
        json.dumps(
            {
                "conn_type": "snovio",
                "login": "id",
                "password": "hook-secret-Zq9",
                "host": "http://127.0.0.1:9",
                "extra": {"max_retries": 0, "timeout": 2, "rate_limit_backend": backend},
            }
        ),
    )


@pytest.mark.parametrize("index", range(len(backends(1))))
def test_test_connection_with_a_password_in_the_backend_url(index: int, monkeypatch: pytest.MonkeyPatch) -> None:
    use_connection(monkeypatch, backends(closed_port())[index])
    success, message = SnovioHook().test_connection()
    assert success is False
    assert "rate_limit_backend" in message
    assert_hidden(message)


def test_hook_masks_the_backend_password_in_logs(monkeypatch: pytest.MonkeyPatch) -> None:
    """The password is registered with Airflow's secret masker, so a log line that echoes it is redacted;
    the user name is not (masking a word such as 'default' would blank it in every log line)."""
    from airflow.sdk.log import redact

    use_connection(monkeypatch, f"redis://{USER}:{PASSWORD}@127.0.0.1:6379/0?password=q-{PASSWORD}")
    SnovioHook().client_config()
    line = f"connecting with {PASSWORD} and q-{PASSWORD} as {USER}"
    redacted = redact(line)
    assert PASSWORD not in redacted
    assert USER in redacted

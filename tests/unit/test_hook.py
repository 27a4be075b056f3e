"""SnovioHook: connection -> ClientConfig, extras, provider info, lazy client, test_connection that never raises."""

from __future__ import annotations

import importlib
import json
import socket
from typing import Any

import pytest
from pytest_mock import MockerFixture

import airflow_provider_snovio
from airflow_provider_snovio import get_provider_info
from airflow_provider_snovio.api.client import SnovioClient
from airflow_provider_snovio.api.errors import SnovioConfigError
from airflow_provider_snovio.api.methods import SnovioMethods
from airflow_provider_snovio.api.token import TokenCache
from airflow_provider_snovio.hooks import snovio as hook_module
from airflow_provider_snovio.hooks.snovio import EXTRA_FIELDS, SnovioHook, base_url_from, read_extras
from tests.unit.conftest import FakeLimiter, FakeSession, FakeTime, make_config, ok, status

CONN_ENV = "AIRFLOW_CONN_SNOVIO_DEFAULT"
HOOK_SECRET = "hook-secret-Zq9"


def conn_json(**overrides: Any) -> str:
    conn: dict[str, Any] = {
        "conn_type": "snovio",
        "login": "id",
        "password": HOOK_SECRET,
        "host": "http://127.0.0.1:9",
        "extra": {"requests_per_minute": 30, "timeout": 5, "max_retries": 2, "rate_limit_backend": "memory"},
    }
    conn.update(overrides)
    return json.dumps(conn)


@pytest.fixture
def default_conn(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONN_ENV, conn_json())


def closed_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def hook_with_fake_client(session: FakeSession, **config: Any) -> SnovioHook:
    """A hook whose client talks to a FakeSession (no network, no real limiter)."""
    hook = SnovioHook()
    fake_time = FakeTime()
    hook.__dict__["client"] = SnovioClient(
        make_config(**config),
        http=session.client(),
        limiter=FakeLimiter(),
        tokens=TokenCache(clock=fake_time.clock),
        sleep=fake_time.sleep,
        clock=fake_time.clock,
    )
    return hook


# Reading the connection ---------------------------------------------------------------------------------


def test_client_config_from_the_env_connection(default_conn: None) -> None:
    config = SnovioHook().client_config()
    assert config.client_id == "id"
    assert config.client_secret == HOOK_SECRET
    assert config.base_url == "http://127.0.0.1:9"
    assert config.requests_per_minute == 30
    assert config.timeout == 5.0
    assert config.retry.max_retries == 2
    assert config.rate_limit_backend == "memory"


def test_extras_default_when_absent(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONN_ENV, json.dumps({"conn_type": "snovio", "login": "id", "password": "pw"}))
    config = SnovioHook().client_config()
    assert config.base_url == "https://api.snov.io"
    assert config.requests_per_minute == 60
    assert config.timeout == 30.0
    assert config.retry.max_retries == 5
    assert config.rate_limit_backend is None


def test_a_named_connection_and_constructor_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SNOVIO_MARKETING", conn_json(login="marketing-id"))
    hook = SnovioHook("snovio_marketing", requests_per_minute=10, timeout=2.5, max_retries=0)
    config = hook.client_config()
    assert config.client_id == "marketing-id"
    assert (config.requests_per_minute, config.timeout, config.retry.max_retries) == (10, 2.5, 0)
    assert config.rate_limit_backend == "memory", "not overridden: the connection's value stays"


def test_host_without_scheme_becomes_https(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONN_ENV, conn_json(host="api.snov.io"))
    assert SnovioHook().client_config().base_url == "https://api.snov.io"


def test_plain_http_to_a_remote_host_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONN_ENV, conn_json(host="http://example.com"))
    with pytest.raises(SnovioConfigError, match="https"):
        SnovioHook().client_config()


@pytest.mark.parametrize(("missing", "word"), [("login", "client_id"), ("password", "client_secret")])
def test_missing_credentials_are_named(missing: str, word: str, monkeypatch: pytest.MonkeyPatch) -> None:
    conn = json.loads(conn_json())
    del conn[missing]
    monkeypatch.setenv(CONN_ENV, json.dumps(conn))
    with pytest.raises(SnovioConfigError, match=word):
        SnovioHook().client_config()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"requests_per_minute": "lots"}, "requests_per_minute"),
        ({"requests_per_minute": 0}, "requests_per_minute"),
        ({"timeout": "soon"}, "timeout"),
        ({"max_retries": -1}, "max_retries"),
        ({"max_retries": "three"}, "max_retries"),
    ],
)
def test_bad_extras_are_refused_naming_the_field(
    extra: dict[str, Any], field: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(SnovioConfigError, match=field):
        read_extras(extra)
    monkeypatch.setenv(CONN_ENV, conn_json(extra=extra))
    with pytest.raises(SnovioConfigError, match=field):
        SnovioHook().client_config()


def test_read_extras_types_and_prefixed_names() -> None:
    values = read_extras(
        {
            "requests_per_minute": "45",
            "extra__snovio__timeout": "7.5",
            "max_retries": "",
            "rate_limit_backend": "memory",
            "unrelated": True,
        }
    )
    assert values == {
        "requests_per_minute": 45,
        "timeout": 7.5,
        "max_retries": 5,
        "rate_limit_backend": "memory",
        "finder_hourly_limit": None,
        "verifier_hourly_limit": None,
        "quota_window_seconds": 3600.0,
    }
    assert read_extras({}) == {name: default for name, (_, default) in EXTRA_FIELDS.items()}


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        (None, None, "https://api.snov.io"),
        ("", None, "https://api.snov.io"),
        ("  ", None, "https://api.snov.io"),
        ("api.snov.io", None, "https://api.snov.io"),
        ("api.snov.io/", None, "https://api.snov.io"),
        ("snov-proxy.internal", 8443, "https://snov-proxy.internal:8443"),
        ("127.0.0.1", 8000, "http://127.0.0.1:8000"),
        ("localhost:8000", None, "http://localhost:8000"),
        ("localhost:8000", 9999, "http://localhost:8000"),
        ("https://api.snov.io", None, "https://api.snov.io"),
        ("http://127.0.0.1:9", None, "http://127.0.0.1:9"),
        ("::1", 8765, "http://[::1]:8765"),
        ("[::1]:8765", None, "http://[::1]:8765"),
        ("2001:db8::1", None, "https://[2001:db8::1]"),
    ],
)
def test_base_url_from(host: str | None, port: int | None, expected: str) -> None:
    assert base_url_from(host, port) == expected


# No I/O at construction -----------------------------------------------------------------------------------


def test_construction_reads_nothing_and_builds_no_client(
    mocker: MockerFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(CONN_ENV, raising=False)
    get_connection = mocker.spy(SnovioHook, "get_connection")
    send = mocker.patch("httpx.Client.send", side_effect=AssertionError("network I/O at construction"))
    hook = SnovioHook("no_such_connection")
    assert hook.snovio_conn_id == "no_such_connection"
    assert get_connection.call_count == 0
    assert "client" not in hook.__dict__
    assert send.call_count == 0


def test_client_is_built_once_with_the_memory_limiter_and_masks_the_secret(
    default_conn: None, mocker: MockerFixture
) -> None:
    masked = mocker.patch.object(hook_module, "_mask")
    hook = SnovioHook()
    client = hook.get_conn()
    assert isinstance(client, SnovioClient)
    assert hook.get_conn() is client and hook.client is client
    assert client._limiter.backend == "memory"
    assert client.config.base_url == "http://127.0.0.1:9"
    assert HOOK_SECRET in [call.args[0] for call in masked.call_args_list]


# Provider info --------------------------------------------------------------------------------------------


def test_provider_info_matches_the_hook() -> None:
    info = get_provider_info()
    assert info["package-name"] == "airflow-provider-snovio"
    assert info["versions"] == [airflow_provider_snovio.__version__]
    (conn_type,) = info["connection-types"]
    assert conn_type["connection-type"] == SnovioHook.conn_type == "snovio"
    module_name, _, class_name = conn_type["hook-class-name"].rpartition(".")
    assert getattr(importlib.import_module(module_name), class_name) is SnovioHook
    for hook in info["hooks"]:
        for module in hook["python-modules"]:
            importlib.import_module(module)
    fields = conn_type["conn-fields"]
    assert set(fields) == set(EXTRA_FIELDS)
    for name, (_, default) in EXTRA_FIELDS.items():
        assert fields[name]["schema"].get("default") == default, name
    relabeling = conn_type["ui-field-behaviour"]["relabeling"]
    assert relabeling["login"] == "Client ID" and relabeling["password"] == "Client Secret"
    assert SnovioHook.default_conn_name == "snovio_default"
    assert SnovioHook.conn_name_attr == "snovio_conn_id"


def test_hook_exposes_every_snovio_method() -> None:
    assert issubclass(SnovioHook, SnovioMethods)
    for name in ("get_balance", "iter_campaign_replies", "run_task", "wait_for_task", "iter_list_prospects"):
        assert callable(getattr(SnovioHook, name))


# test_connection ------------------------------------------------------------------------------------------


def test_test_connection_reports_an_unreachable_server_without_raising(monkeypatch: pytest.MonkeyPatch) -> None:
    port = closed_port()
    monkeypatch.setenv(
        CONN_ENV,
        conn_json(
            host=f"http://127.0.0.1:{port}", extra={"max_retries": 0, "timeout": 2, "rate_limit_backend": "memory"}
        ),
    )
    success, message = SnovioHook().test_connection()
    assert success is False
    assert message and "connection refused" in message
    assert HOOK_SECRET not in message


def test_test_connection_reports_a_bad_configuration_without_raising(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONN_ENV, conn_json(host="http://example.com"))
    success, message = SnovioHook().test_connection()
    assert success is False and "https" in message and HOOK_SECRET not in message


def test_test_connection_success_gets_a_token_and_reads_the_balance() -> None:
    session = FakeSession().queue("/v1/get-balance", ok({"success": True, "data": {"balance": "25000.00"}}))
    hook = hook_with_fake_client(session)
    success, message = hook.test_connection()
    assert success is True
    assert "25000.00" in message
    assert [c.path for c in session.calls] == ["/v1/oauth/access_token", "/v1/get-balance"]


def test_test_connection_refused_credentials_hold_no_secret() -> None:
    session = FakeSession().default(
        "/v1/oauth/access_token", status(401, {"error": "invalid_client", "message": f"bad secret {HOOK_SECRET}"})
    )
    hook = hook_with_fake_client(session, client_secret=HOOK_SECRET)
    success, message = hook.test_connection()
    assert success is False
    assert "token request refused" in message
    assert HOOK_SECRET not in message
    assert [c.path for c in session.calls] == ["/v1/oauth/access_token"]


# Delegation -----------------------------------------------------------------------------------------------


def test_hook_methods_go_through_the_client() -> None:
    session = FakeSession()
    session.default("/v1/get-emails-replies", lambda call: ok([{"id": 1}, {"id": 2}]))
    session.queue(
        "/v2/domain-search/result/abcdef0123456789",
        ok({"status": "in_progress"}),
        ok({"status": "completed", "data": {"company_name": "Octagon"}}),
    )
    hook = hook_with_fake_client(session)
    assert hook.get_balance() == {"success": True}
    assert [r["id"] for r in hook.iter_campaign_replies(77)] == [1, 2]
    body = hook.wait_for_task("get_domain_search_result", "abcdef0123456789", poll_interval=1, timeout=10)
    assert body["data"]["company_name"] == "Octagon"
    assert [c.path for c in session.api_calls] == [
        "/v1/get-balance",
        "/v1/get-emails-replies",
        "/v2/domain-search/result/abcdef0123456789",
        "/v2/domain-search/result/abcdef0123456789",
    ]
    assert session.api_calls[1].params == [("campaignId", "77"), ("offset", "0")]


def test_hook_built_client_sends_through_its_session_and_masks_the_token(
    default_conn: None, mocker: MockerFixture
) -> None:
    session = FakeSession()
    session.queue("/v1/oauth/access_token", ok({"access_token": "TOKEN-from-hook-1", "expires_in": 3600}))
    mocker.patch("airflow_provider_snovio.api.client.new_client", return_value=session.client())
    masked = mocker.patch.object(hook_module, "_mask")
    mocker.patch("airflow_provider_snovio.api.client.TOKENS", TokenCache())  # no token from other tests
    hook = SnovioHook()
    assert hook.get_user_lists() == {"success": True}
    assert [c.url for c in session.calls] == [
        "http://127.0.0.1:9/v1/oauth/access_token",
        "http://127.0.0.1:9/v1/get-user-lists",
    ]
    assert session.calls[1].headers["Authorization"] == "Bearer TOKEN-from-hook-1"
    assert session.calls[1].timeout == (5.0, 5.0)
    secrets = [call.args[0] for call in masked.call_args_list]
    assert HOOK_SECRET in secrets and "TOKEN-from-hook-1" in secrets


def test_an_unknown_rate_limit_backend_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_SNOVIO_DEFAULT", conn_json(extra={"rate_limit_backend": "mongodb://db"}))
    with pytest.raises(SnovioConfigError, match="rate_limit_backend"):
        _ = SnovioHook().client
    ok_, message = SnovioHook().test_connection()
    assert not ok_ and "rate_limit_backend" in message


def test_importing_the_hook_at_dag_parse_time_pulls_in_no_heavy_dependency() -> None:
    """DAG files import the hook on every parse; HTTP clients, limiter backends and the sandbox load on use."""
    import subprocess
    import sys

    code = (
        "import sys, airflow.sdk\n"
        "from airflow.sdk import BaseHook\n"
        "before = set(sys.modules)\n"
        "import airflow_provider_snovio.hooks.snovio\n"
        "heavy = ('requests', 'httpx', 'redis', 'fastapi', 'uvicorn', 'sqlite3', 'sqlalchemy')\n"
        "print(sorted(m for m in set(sys.modules) - before if m.split('.')[0] in heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert result.stdout.strip().splitlines()[-1] == "[]"


def test_async_client_masks_with_airflows_async_masker_never_the_blocking_one(
    default_conn: None, mocker: MockerFixture
) -> None:
    """On the triggerer's event loop every secret (the client secret, then each new token) is masked with
    ``airflow.sdk.log.amask_secret`` (awaited), never with the sync ``mask_secret``."""
    import asyncio

    import airflow.sdk.log as sdk_log

    awaited: list[str] = []

    async def amask(secret: Any, name: str | None = None) -> None:
        await asyncio.sleep(0)
        awaited.append(secret)

    mocker.patch.object(sdk_log, "amask_secret", amask)
    blocking = mocker.patch.object(hook_module, "_mask")

    async def main() -> Any:
        client = await SnovioHook().async_client()
        client._tokens = TokenCache()

        async def fetch() -> tuple[str, float]:
            return "TOKEN-async-1", 3600.0

        client._fetch_token = fetch  # type: ignore[method-assign]
        await client.access_token()
        await client.access_token()  # a known token is not masked twice
        await client.aclose()

    asyncio.run(main())
    strings = [s for s in awaited if isinstance(s, str)]  # common-compat masks the extras dict the same way
    assert strings.count(HOOK_SECRET) >= 1 and strings.count("TOKEN-async-1") == 1
    assert blocking.call_count == 0

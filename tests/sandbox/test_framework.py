"""Contract tests of the sandbox framework: auth, limits, faults, control routes, params, CLI.

Real HTTP over loopback against the session's ``SandboxServer`` (reset before every test).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time

import pytest
import requests

from airflow_provider_snovio.sandbox.config import SandboxConfig
from airflow_provider_snovio.sandbox.errors import TooManyProcessing
from airflow_provider_snovio.sandbox.limits import consume_hourly
from airflow_provider_snovio.sandbox.params import Params, get_bracketed, get_list
from airflow_provider_snovio.sandbox.testing import SandboxServer

NOT_FOUND = {"errors": {"code": 404, "title": "Sorry, but url or entity not found", "source": ""}}
TOO_MANY = "There are too many prospects processing. Please try later"


def token_request(sb: SandboxServer, **overrides: str) -> requests.Response:
    data = {"grant_type": "client_credentials", "client_id": sb.client_id, "client_secret": sb.client_secret}
    data.update(overrides)
    return requests.post(f"{sb.base_url}/v1/oauth/access_token", data=data, timeout=10)


# --- auth ---


def test_token_is_issued_and_counted(snovio_sandbox: SandboxServer) -> None:
    response = token_request(snovio_sandbox)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 3600
    assert len(body["access_token"]) >= 20
    assert snovio_sandbox.stats()["tokens_issued"] == 1


@pytest.mark.parametrize("overrides", [{"client_secret": "wrong"}, {"client_id": "nobody"}, {"client_secret": ""}])
def test_wrong_credentials_get_401_json(snovio_sandbox: SandboxServer, overrides: dict[str, str]) -> None:
    response = token_request(snovio_sandbox, **overrides)
    assert response.status_code == 401
    assert response.json()["success"] is False
    assert snovio_sandbox.stats()["tokens_issued"] == 0


def test_wrong_grant_type_is_refused(snovio_sandbox: SandboxServer) -> None:
    response = token_request(snovio_sandbox, grant_type="password")
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_missing_and_wrong_token_get_401(snovio_sandbox: SandboxServer) -> None:
    url = f"{snovio_sandbox.base_url}/v1/get-balance"
    missing = requests.get(url, timeout=10)
    assert missing.status_code == 401
    assert missing.headers["WWW-Authenticate"].startswith("Bearer")
    assert missing.json()["success"] is False
    wrong = requests.get(url, headers={"Authorization": "Bearer not-a-token"}, timeout=10)
    assert wrong.status_code == 401
    assert snovio_sandbox.stats()["unauthorized"] == 2


def test_token_accepted_in_header_query_and_form(snovio_sandbox: SandboxServer) -> None:
    token = snovio_sandbox.token()
    base = snovio_sandbox.base_url
    assert requests.get(f"{base}/v1/get-balance", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert requests.get(f"{base}/v1/get-balance", headers={"Authorization": token}).status_code == 200
    assert requests.get(f"{base}/v1/get-balance", params={"access_token": token}).status_code == 200
    created = requests.post(f"{base}/v1/lists", data={"access_token": token, "name": "via form"})
    assert created.status_code == 200
    assert created.json()[0]["success"] is True


def test_token_expires(snovio_sandbox: SandboxServer) -> None:
    snovio_sandbox.configure(token_ttl=0.4)
    response = token_request(snovio_sandbox)
    assert response.json()["expires_in"] == pytest.approx(0.4)
    headers = {"Authorization": f"Bearer {response.json()['access_token']}"}
    url = f"{snovio_sandbox.base_url}/v1/get-balance"
    assert requests.get(url, headers=headers, timeout=10).status_code == 200
    time.sleep(0.6)
    expired = requests.get(url, headers=headers, timeout=10)
    assert expired.status_code == 401
    assert "expired" in expired.json()["message"]


# --- limits ---


def test_per_minute_limit_sends_429_with_retry_after(snovio_sandbox: SandboxServer) -> None:
    token = snovio_sandbox.token()
    snovio_sandbox.configure(requests_per_minute=5, rate_window_seconds=2.0)
    snovio_sandbox.reset()  # empty window (the token call above took a slot)
    url = f"{snovio_sandbox.base_url}/v1/get-balance"
    headers = {"Authorization": f"Bearer {token}"}
    statuses = [requests.get(url, headers=headers, timeout=10) for _ in range(7)]
    assert [r.status_code for r in statuses] == [200] * 5 + [429] * 2
    retry_after = int(statuses[-1].headers["Retry-After"])
    assert 1 <= retry_after <= 2
    assert statuses[-1].json()["success"] is False
    stats = snovio_sandbox.stats()
    assert stats["rate_limited"] == 2
    assert stats["responses_429"] == 2
    assert stats["peak_requests_in_window"] == 5
    time.sleep(retry_after + 0.05)
    assert requests.get(url, headers=headers, timeout=10).status_code == 200


def test_rejected_and_unauthenticated_calls_take_no_slot(snovio_sandbox: SandboxServer) -> None:
    token = snovio_sandbox.token()
    snovio_sandbox.configure(requests_per_minute=2, rate_window_seconds=30.0)
    snovio_sandbox.reset()
    url = f"{snovio_sandbox.base_url}/v1/get-balance"
    for _ in range(3):
        assert requests.get(url, timeout=10).status_code == 401  # no token: does not count
    ok = [requests.get(url, headers={"Authorization": f"Bearer {token}"}, timeout=10).status_code for _ in range(3)]
    assert ok == [200, 200, 429]
    assert snovio_sandbox.stats()["peak_requests_in_window"] == 2


def test_token_call_counts_against_the_limit(snovio_sandbox: SandboxServer) -> None:
    snovio_sandbox.configure(requests_per_minute=1, rate_window_seconds=30.0)
    snovio_sandbox.reset()
    assert token_request(snovio_sandbox).status_code == 200
    assert token_request(snovio_sandbox).status_code == 429


def test_hourly_limit_raises_and_frees_after_an_hour(snovio_sandbox: SandboxServer) -> None:
    state = snovio_sandbox.state
    snovio_sandbox.configure(verifier_hourly_limit=10)
    consume_hourly(state, "verifier", 6)
    with pytest.raises(TooManyProcessing) as caught:
        consume_hourly(state, "verifier", 5)  # 11 > 10: refused, nothing counted
    assert 3500 < caught.value.retry_after <= 3600
    consume_hourly(state, "verifier", 4)
    state.advance_clock(3601)
    consume_hourly(state, "verifier", 10)
    assert snovio_sandbox.stats()["too_many_processing"] == 1


def test_hourly_finder_limit_answers_documented_message(api) -> None:
    api.server.configure(finder_hourly_limit=1)
    data = {"firstName": "John", "lastName": "Doe", "domain": "octagon.com"}
    first = api.post("/v1/get-emails-from-names", data=data)
    assert first.status_code == 200
    second = api.post("/v1/get-emails-from-names", data=data)
    assert second.status_code == 429
    assert second.json() == {"success": False, "message": TOO_MANY}
    assert int(second.headers["Retry-After"]) > 3000


# --- faults ---


def test_error_rate_answers_5xx_and_before_phase_has_no_effect(api) -> None:
    lists_before = len(api.server.state.data.lists)
    api.server.configure(error_rate=1.0)
    statuses = {api.post("/v1/lists", data={"name": f"x{i}"}).status_code for i in range(30)}
    assert statuses <= {500, 502, 503}
    assert len(statuses) >= 2
    assert len(api.server.state.data.lists) == lists_before
    assert api.server.stats()["faults"]["error"] == 30
    # control routes are never faulted
    assert requests.get(f"{api.base_url}/_sandbox/stats", timeout=10).status_code == 200


def test_error_in_after_phase_takes_effect(api) -> None:
    lists_before = len(api.server.state.data.lists)
    api.server.configure(error_rate=1.0, fault_phase="after")
    response = api.post("/v1/lists", data={"name": "written anyway"})
    assert response.status_code in (500, 502, 503)
    assert len(api.server.state.data.lists) == lists_before + 1


@pytest.mark.parametrize(("phase", "charged"), [("before", 0.0), ("after", 2.0)])
def test_fault_phase_decides_whether_credits_are_spent(api, phase: str, charged: float) -> None:
    api.server.configure(error_rate=1.0, fault_phase=phase)
    response = api.post("/v1/add-emails-to-verification", data={"emails[]": ["a@octagon.com", "b@octagon.com"]})
    assert response.status_code >= 500
    stats = api.server.stats()
    assert stats["credits_spent"] == charged
    assert stats["balance"] == 25000.0 - charged


def test_429_bursts(api) -> None:
    api.server.configure(burst_429_every=3, burst_429_length=2)
    api.server.reset()
    responses = [api.get("/v1/get-balance") for _ in range(10)]
    assert [r.status_code for r in responses] == [200, 200, 200, 429, 429, 200, 200, 200, 429, 429]
    assert responses[3].headers["Retry-After"] == "1"
    stats = api.server.stats()
    assert stats["injected_429"] == 4
    assert stats["responses_429"] == 4
    assert stats["rate_limited"] == 0


def test_latency(api) -> None:
    api.server.configure(latency_ms=300)
    started = time.monotonic()
    assert api.get("/v1/get-balance").status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    requests.get(f"{api.base_url}/_sandbox/stats", timeout=10)
    assert time.monotonic() - started < 0.25


def test_latency_after_phase_times_out_after_the_write(api) -> None:
    lists_before = len(api.server.state.data.lists)
    api.server.configure(latency_ms=400, fault_phase="after")
    with pytest.raises(requests.ReadTimeout):
        api.session.post(f"{api.base_url}/v1/lists", data={"name": "slow"}, timeout=0.15)
    assert len(api.server.state.data.lists) == lists_before + 1  # took effect: a retry would duplicate it
    api.server.configure(fault_phase="before")
    with pytest.raises(requests.ReadTimeout):
        api.session.post(f"{api.base_url}/v1/lists", data={"name": "never"}, timeout=0.15)
    time.sleep(0.45)
    names = [plist.name for plist in api.server.state.data.lists.values()]
    assert "slow" in names
    assert "never" not in names  # "before": the client left during the delay, the request never ran
    assert api.server.stats()["faults"]["dropped"] == 1


def test_a_request_held_across_a_reset_is_counted_in_the_period_it_arrived_in(api) -> None:
    """A delayed answer that completes after a test's reset must not show up in the next test's counts."""
    api.server.configure(latency_ms=400, fault_phase="after")
    with pytest.raises(requests.ReadTimeout):
        api.session.post(f"{api.base_url}/v1/lists", data={"name": "slow"}, timeout=0.1)
    assert api.server.stats()["total_requests"] == 0  # still held by the delay
    api.server.restore_config()
    api.server.reset()
    time.sleep(0.5)  # the held request ends now, after the reset
    assert api.get("/v1/get-balance").status_code == 200
    stats = api.server.stats()
    assert stats["total_requests"] == 1 and dict(stats["requests"]) == {"GET /v1/get-balance": 1}


@pytest.mark.parametrize("phase", ["before", "after"])
def test_truncated_body_fails_to_parse(api, phase: str) -> None:
    full = api.get("/v1/get-user-campaigns").content
    api.server.configure(truncate_rate=1.0, fault_phase=phase)
    response = api.get("/v1/get-user-campaigns")
    assert response.status_code == 200
    assert len(response.content) > 0
    with pytest.raises(ValueError):
        json.loads(response.content)
    if phase == "after":
        assert full.startswith(response.content)
        assert len(response.content) < len(full)


@pytest.mark.parametrize("phase", ["before", "after"])
def test_dropped_connection_closes_mid_answer(api, phase: str) -> None:
    lists_before = len(api.server.state.data.lists)
    api.server.configure(drop_rate=1.0, fault_phase=phase)
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        api.post("/v1/lists", data={"name": f"dropped-{phase}"})
    took_effect = len(api.server.state.data.lists) == lists_before + 1
    assert took_effect is (phase == "after")
    assert api.server.stats()["faults"]["drop"] == 1
    api.server.configure(drop_rate=0.0)
    assert api.get("/v1/get-balance").status_code == 200  # the server itself is fine


def test_nul_bytes_are_inserted_and_strippable(api) -> None:
    full = api.get("/v1/get-user-campaigns").content
    api.server.configure(nul_rate=1.0)
    response = api.get("/v1/get-user-campaigns")
    assert b"\x00" in response.content
    assert response.content.replace(b"\x00", b"") == full
    assert json.loads(response.content.replace(b"\x00", b"")) == json.loads(full)


def test_faults_are_reproducible_from_the_seed(api) -> None:
    def run() -> list[int]:
        api.server.configure(error_rate=0.5)
        api.server.reset()
        return [api.get("/v1/get-balance").status_code for _ in range(20)]

    first = run()
    assert run() == first
    assert 200 in first and any(s >= 500 for s in first)


# --- control routes ---


def test_stats_count_requests_by_route_template(api) -> None:
    api.get("/v1/get-balance")
    api.get("/v1/get-balance")
    api.put("/v2/webhooks/12345", json={"status": "active"})
    api.get("/no/such/route")
    stats = requests.get(f"{api.base_url}/_sandbox/stats", timeout=10).json()
    assert stats["requests"]["GET /v1/get-balance"] == 2
    assert stats["requests"]["PUT /v2/webhooks/{webhook_id}"] == 1
    assert stats["total_requests"] == 4
    assert stats["status_counts"]["404"] == 2
    for key in (
        "responses_429",
        "rate_limited",
        "injected_429",
        "credits_spent",
        "balance",
        "tokens_issued",
        "peak_requests_in_window",
        "routers_missing",
    ):
        assert key in stats
    assert stats["routers_missing"] == []


def test_reset_endpoint_restores_seeded_state(api) -> None:
    before = api.get("/v1/get-user-lists").json()
    api.post("/v1/lists", data={"name": "temporary"})
    api.server.state.charge(5, "test")
    assert len(api.get("/v1/get-user-lists").json()) == len(before) + 1
    assert requests.post(f"{api.base_url}/_sandbox/reset", timeout=10).json() == {"success": True}
    assert api.get("/v1/get-user-lists").json() == before
    stats = api.server.stats()
    assert stats["balance"] == 25000.0
    assert stats["credits_spent"] == 0
    assert stats["total_requests"] == 1


def test_config_endpoint_changes_and_validates_knobs(snovio_sandbox: SandboxServer) -> None:
    url = f"{snovio_sandbox.base_url}/_sandbox/config"
    assert requests.get(url, timeout=10).json()["requests_per_minute"] == 100_000
    changed = requests.post(url, json={"requests_per_minute": 7, "latency_ms": "0"}, timeout=10)
    assert changed.status_code == 200
    assert changed.json()["requests_per_minute"] == 7
    assert snovio_sandbox.state.config.requests_per_minute == 7
    for bad in ({"no_such_knob": 1}, {"error_rate": 2}, {"fault_phase": "during"}, {"seed": "abc"}, [1]):
        response = requests.post(url, json=bad, timeout=10)
        assert response.status_code == 422, bad
    assert snovio_sandbox.state.config.requests_per_minute == 7


def test_clock_endpoint_expires_tokens_and_reset_restores_it(snovio_sandbox: SandboxServer) -> None:
    token = snovio_sandbox.token()
    url = f"{snovio_sandbox.base_url}/v1/get-balance"
    headers = {"Authorization": f"Bearer {token}"}
    clock = f"{snovio_sandbox.base_url}/_sandbox/clock"
    assert requests.post(clock, json={"advance_seconds": 3601}, timeout=10).json()["success"] is True
    assert requests.get(url, headers=headers, timeout=10).status_code == 401
    assert requests.post(clock, json={"advance_seconds": "soon"}, timeout=10).status_code == 422
    snovio_sandbox.reset()
    assert requests.get(url, headers=headers, timeout=10).status_code == 200


def test_data_knob_change_regenerates_data(api) -> None:
    api.server.configure(list_prospects=12)
    big_list = api.get("/v1/get-user-lists").json()[0]
    assert big_list["contacts"] == 12


def test_unknown_route_and_wrong_method_answer_documented_404(api) -> None:
    unauthenticated = requests.get(f"{api.base_url}/v3/x", timeout=10)
    for response in (api.get("/v1/nope"), unauthenticated, api.delete("/v1/get-balance")):
        assert response.status_code == 404
        assert response.json() == NOT_FOUND


def test_config_dataclass_rejects_bad_values() -> None:
    with pytest.raises(ValueError):
        SandboxConfig(fault_phase="sometimes")
    with pytest.raises(ValueError):
        SandboxConfig().with_changes({"campaigns": 1})
    assert SandboxConfig().with_changes({"port": "9000"}).port == 9000


# --- params ---


def test_php_array_and_bracketed_params() -> None:
    params = Params(
        [
            ("emails[1]", "b@x.io"),
            ("emails[0]", "a@x.io"),
            ("items[]", "x.io"),
            ("items[]", "y.io"),
            ("customFields[company]", "Acme"),
            ("customFields['Project name']", "P"),
            ("emails", ""),
        ]
    )
    assert get_list(params, "emails") == ["a@x.io", "b@x.io"]
    assert get_list(params, "items") == ["x.io", "y.io"]
    assert get_bracketed(params, "customFields") == {"company": "Acme", "Project name": "P"}
    json_params = Params([("emails", "a@x.io"), ("emails", "b@x.io")], {"emails": ["a@x.io", "b@x.io"]})
    assert get_list(json_params, "emails") == ["a@x.io", "b@x.io"]


def test_form_body_wins_over_query_and_get_body_is_ignored(api) -> None:
    created = api.post("/v1/lists?name=from-query", data={"name": "from-body"}).json()[0]["data"]["id"]
    assert api.server.state.data.lists[created].name == "from-body"
    # GET parameters belong in the query string: a body is ignored, so campaignId is missing
    response = api.get("/v1/get-emails-replies", data={"campaignId": "237900"})
    assert response.status_code == 400
    assert "campaignId" in response.json()["message"]


def test_multipart_form_is_accepted(api) -> None:
    response = api.post("/v1/lists", files={"name": (None, "multipart list")})
    assert response.status_code == 200
    list_id = response.json()[0]["data"]["id"]
    assert api.server.state.data.lists[list_id].name == "multipart list"


# --- server lifecycle and CLI ---


def test_server_context_manager_stops_and_frees_port() -> None:
    with SandboxServer() as server:
        url = server.base_url
        assert requests.get(f"{url}/_sandbox/config", timeout=5).status_code == 200
        assert json.loads(server.connection_json()) == {
            "conn_type": "snovio",
            "login": server.client_id,
            "password": server.client_secret,
            "host": url,
            "extra": {"requests_per_minute": server.state.config.requests_per_minute},
        }
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{url}/_sandbox/config", timeout=2)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("stop_signal", [signal.SIGTERM, signal.SIGINT])
def test_cli_prints_connection_and_stops_on_signal(stop_signal: int) -> None:
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "airflow_provider_snovio.sandbox",
            "--port",
            str(port),
            "--client-id",
            "cid",
            "--client-secret",
            "csecret",
            "--requests-per-minute",
            "1000",
            "--log-level",
            "warning",
            "--big-campaign-replies",
            "100",
            "--exact-campaign-replies",
            "50",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        second = proc.stdout.readline()
        base_url = f"http://127.0.0.1:{port}"
        assert base_url in first
        assert second.startswith("AIRFLOW_CONN_SNOVIO_DEFAULT=")
        conn = json.loads(second.split("=", 1)[1].strip().strip("'"))
        assert conn == {
            "conn_type": "snovio",
            "login": "cid",
            "password": "csecret",
            "host": base_url,
            "extra": {"requests_per_minute": 1000},
        }
        token = requests.post(
            f"{base_url}/v1/oauth/access_token",
            data={"grant_type": "client_credentials", "client_id": "cid", "client_secret": "csecret"},
            timeout=10,
        )
        assert token.status_code == 200
        proc.send_signal(stop_signal)
        rc = proc.wait(timeout=15)
        rest = proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert rc == 0
    assert "stopped" in rest


def test_cli_refuses_remote_host() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "airflow_provider_snovio.sandbox", "--host", "0.0.0.0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert "--allow-remote" in result.stderr


def test_cli_flags_are_generated_from_the_config() -> None:
    from airflow_provider_snovio.api.urls import is_loopback
    from airflow_provider_snovio.sandbox.cli import build_parser

    parser = build_parser()
    args = parser.parse_args(["--task-delay", "2", "--error-rate", "0.25", "--latency-ms", "5", "--seed", "9"])
    assert (args.task_delay_seconds, args.error_rate, args.latency_ms, args.seed) == (2.0, 0.25, 5, 9)
    flags = {a.dest for a in parser._actions}
    assert set(SandboxConfig.knob_names()) <= flags
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("example.com")


# --- data and router loading ---


def test_data_is_deterministic_per_seed() -> None:
    from airflow_provider_snovio.sandbox.data import build_data

    small = {"big_campaign_replies": 120, "exact_campaign_replies": 50, "list_prospects": 20}
    one = build_data(SandboxConfig(seed=7, **small))
    two = build_data(SandboxConfig(seed=7, **small))
    other = build_data(SandboxConfig(seed=8, **small))
    summary = [c.summary() for c in one.campaigns.campaigns]
    assert summary == [c.summary() for c in two.campaigns.campaigns]
    assert list(one.prospects) == list(two.prospects)
    assert summary != [c.summary() for c in other.campaigns.campaigns]
    assert list(one.prospects) != list(other.prospects)
    assert len(one.campaigns.campaigns[0].replies) == 120 and len(one.campaigns.campaigns[1].replies) == 50


def test_router_loading_skips_only_missing_modules(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from airflow_provider_snovio.sandbox.app import load_router_modules

    (tmp_path / "broken_family_mod.py").write_text("import no_such_dependency_xyz\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    modules, missing = load_router_modules(["airflow_provider_snovio.sandbox.routes.not_written_yet"])
    assert modules == [] and missing == ["airflow_provider_snovio.sandbox.routes.not_written_yet"]
    with pytest.raises(ModuleNotFoundError):
        load_router_modules(["broken_family_mod"])

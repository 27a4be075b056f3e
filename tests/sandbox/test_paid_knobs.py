"""The sandbox knobs behind issue 13's paid-work tests: expiring task hashes and faults on chosen routes only."""

from __future__ import annotations

import time

import pytest
import requests

from airflow_provider_snovio.sandbox.faults import route_matches
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.sandbox.conftest import Api

EMAILS = ["gavin.vanrooyen@octagon.com", "john.doe@yourdomain.com"]
RESULT = "/v2/email-verification/result"


def _start(api: Api) -> str:
    answer = api.post("/v2/email-verification/start", json={"emails": EMAILS})
    assert answer.status_code == 200, answer.text
    return answer.json()["data"]["task_hash"]


def test_task_hashes_never_expire_by_default(api: Api, sb: SandboxServer) -> None:
    task_hash = _start(api)
    for _ in range(3):
        answer = api.get(RESULT, params={"task_hash": task_hash})
        assert answer.status_code == 200
    assert answer.json()["status"] == "completed"


def test_a_task_hash_expires_ttl_seconds_after_completion(api: Api, sb: SandboxServer) -> None:
    sb.configure(task_hash_ttl_seconds=0.3)
    task_hash = _start(api)
    assert api.get(RESULT, params={"task_hash": task_hash}).json()["status"] == "in_progress"
    assert api.get(RESULT, params={"task_hash": task_hash}).json()["status"] == "completed"
    assert api.get(RESULT, params={"task_hash": task_hash}).status_code == 200  # still known
    time.sleep(0.4)
    gone = api.get(RESULT, params={"task_hash": task_hash})
    assert gone.status_code == 404 and gone.json()["errors"]
    assert api.get(RESULT, params={"task_hash": task_hash}).status_code == 404  # forgotten for good


def test_a_task_never_polled_expires_from_when_it_would_have_completed(api: Api, sb: SandboxServer) -> None:
    sb.configure(task_hash_ttl_seconds=0.05, task_delay_seconds=0.1, task_polls_pending=0)
    task_hash = _start(api)
    assert api.get(RESULT, params={"task_hash": task_hash}).json()["status"] == "in_progress"
    time.sleep(0.3)  # completed at 0.1 s, expired at 0.15 s: nobody read it in between
    assert api.get(RESULT, params={"task_hash": task_hash}).status_code == 404


def test_route_matching() -> None:
    assert route_matches("", "GET", "/v1/get-balance")
    assert route_matches("/v1/lists", "POST", "/v1/lists")
    assert route_matches("POST /v1/lists", "POST", "/v1/lists")
    assert not route_matches("POST /v1/lists", "GET", "/v1/get-user-lists")
    assert not route_matches("POST /v2/webhooks", "GET", "/v2/webhooks")
    assert route_matches(" GET /v1/get-balance , POST /v2/webhooks", "POST", "/v2/webhooks/")


def test_faults_apply_only_to_the_chosen_routes(api: Api, sb: SandboxServer) -> None:
    sb.configure(fault_routes="POST /v1/lists", drop_rate=1.0, fault_phase="after")
    for _ in range(3):
        assert api.get("/v1/get-balance").status_code == 200  # not a chosen route
        assert api.get("/v1/get-user-lists").status_code == 200
    lists_before = len(sb.state.data.lists)
    with pytest.raises(requests.exceptions.RequestException):  # the answer is lost mid-body ...
        api.post("/v1/lists", data={"name": "Lost answer"})
    names = [row.name for row in sb.state.data.lists.values()]
    assert len(sb.state.data.lists) == lists_before + 1 and names.count("Lost answer") == 1  # ... it took effect
    assert sb.stats()["faults"]["drop"] == 1


def test_bad_fault_knobs_are_refused(sb: SandboxServer) -> None:
    with pytest.raises(ValueError, match="task_hash_ttl_seconds"):
        sb.configure(task_hash_ttl_seconds=-1)

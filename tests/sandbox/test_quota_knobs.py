"""The sandbox knobs of issue 13: a greylisting that lasts ``greylist_seconds``, ``status_error_every``,
``fault_routes``, and the per-item read counts of ``/_sandbox/stats`` (real HTTP)."""

from __future__ import annotations

import time

import pytest

from tests.sandbox.conftest import Api


def status(api: Api, emails: list[str]) -> dict:
    response = api.post("/v1/get-emails-verification-status", params={"emails[]": emails})
    assert response.status_code == 200, response.text
    return response.json()


def add(api: Api, emails: list[str]):
    return api.post("/v1/add-emails-to-verification", params={"emails[]": emails})


def test_greylisting_lasts_greylist_seconds_then_gives_the_verdict(api: Api) -> None:
    api.server.configure(greylisted_share=1.0, greylist_seconds=0.6, task_polls_pending=0)
    email = "gavin.vanrooyen@octagon.com"
    assert add(api, [email]).status_code == 200
    first = status(api, [email])[email]
    assert first["status"]["identifier"] == "complete" and first["data"]["smtpStatus"] == "greylisted"
    assert status(api, [email])[email]["data"]["smtpStatus"] == "greylisted"  # still within the 0.6 s
    time.sleep(0.7)
    final = status(api, [email])[email]
    assert final["data"]["smtpStatus"] == "valid" and final["data"]["isGreylist"] is False


def test_status_error_every_fails_the_nth_read_before_it_counts(api: Api) -> None:
    api.server.configure(status_error_every=3, verifier_hourly_limit=30)
    chunks = [[f"p{i}{j}@octagon.com" for j in range(10)] for i in range(3)]
    assert status(api, chunks[0]) and status(api, chunks[1])
    failed = api.post("/v1/get-emails-verification-status", params={"emails[]": chunks[2]})
    assert failed.status_code == 503
    stats = api.server.stats()
    assert stats["too_many_processing"] == 0
    assert not any(k.startswith("verifier:p2") for k in stats["item_reads"])
    finder = api.post("/v1/get-emails-from-names", params={"firstName": "A", "lastName": "B", "domain": "octagon.com"})
    assert finder.status_code == 200  # the finder's own count is at 1
    api.server.configure(status_error_every=0)
    assert status(api, chunks[2])  # 20 + 10 of 30: the 503 took no quota


def test_fault_routes_limits_random_faults_to_one_route(api: Api) -> None:
    api.server.configure(error_rate=1.0, fault_phase="after", fault_routes="/v1/add-emails-to-verification")
    before = api.server.stats()["credits_spent"]
    assert add(api, ["a@octagon.com"]).status_code >= 500  # took effect, its answer lost
    assert api.server.stats()["credits_spent"] == before + 1
    assert status(api, ["a@octagon.com"])["a@octagon.com"]["status"]["identifier"] == "in_progress"
    assert api.get("/v1/get-balance").status_code == 200  # other routes are not faulted


def test_item_reads_count_answered_reads_per_item(api: Api) -> None:
    status(api, ["x@octagon.com", "y@octagon.com"])
    status(api, ["x@octagon.com"])
    api.post("/v1/get-emails-from-names", params={"firstName": "Ann", "lastName": "Lee", "domain": "octagon.com"})
    reads = api.server.stats()["item_reads"]
    assert reads == {"verifier:x@octagon.com": 2, "verifier:y@octagon.com": 1, "finder:ann|lee|octagon.com": 1}


@pytest.mark.parametrize("knob", ["greylist_seconds", "status_error_every"])
def test_new_knobs_refuse_negative_values(api: Api, knob: str) -> None:
    with pytest.raises(Exception, match=knob):
        api.server.configure(**{knob: -1})

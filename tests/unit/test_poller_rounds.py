"""Pollers without I/O: a round's cap and round-robin, answers of a round that stopped part-way, greylisting."""

from __future__ import annotations

import pytest

from airflow_provider_snovio.api.errors import SnovioServerError, SnovioValidationError
from airflow_provider_snovio.triggers.pollers import (
    FinderPoller,
    TaskPoller,
    VerificationPoller,
    poll_sync,
    round_robin,
)

HASHES = [f"{i:032x}" for i in range(1000)]


def entry(identifier: str, smtp: str | None = None) -> dict:
    return {"status": {"identifier": identifier}, "data": {"smtpStatus": smtp} if smtp else []}


def test_round_robin_wraps_and_caps() -> None:
    assert round_robin([1, 2, 3, 4, 5], 3, 4) == [4, 5, 1, 2]
    assert round_robin([], 7, 3) == []


def test_a_round_of_1000_task_hashes_sends_a_capped_number_of_reads_and_reaches_every_task() -> None:
    poller = TaskPoller(HASHES, "get_domain_search_result", max_requests_per_round=20)
    seen: set[str] = set()
    for _ in range(50):
        calls = poller.calls()
        assert len(calls) == 20
        seen.update(arguments["task_hash"] for _, arguments in calls)
        poller.absorb([{"status": "in_progress"}] * len(calls))
    assert seen == set(HASHES)
    with pytest.raises(SnovioValidationError, match="max_requests_per_round"):
        TaskPoller(HASHES, "get_domain_search_result", max_requests_per_round=0)


def test_verification_round_reads_chunks_of_ten_pending_only() -> None:
    emails = [f"p{i}@octagon.com" for i in range(60)]
    poller = VerificationPoller(emails, max_requests_per_round=3)
    calls = poller.calls()
    assert [len(arguments["emails"]) for _, arguments in calls] == [10, 10, 10]
    poller.absorb([{e: entry("complete", "valid") for e in arguments["emails"]} for _, arguments in calls])
    assert len(poller.results) == 30
    following = poller.calls()
    assert not {e for _, a in following for e in a["emails"]} & set(poller.results)  # finals never read again


def test_a_round_stopped_part_way_keeps_the_answers_before_the_failure() -> None:
    emails = [f"p{i}@octagon.com" for i in range(40)]
    poller = VerificationPoller(emails)
    sent: list[list[str]] = []

    def call(name: str, **arguments):
        sent.append(arguments["emails"])
        if len(sent) == 3:
            raise SnovioServerError("chunk 3 failed", status=503)
        return {e: entry("complete", "valid") for e in arguments["emails"]}

    with pytest.raises(SnovioServerError):
        poll_sync(call, poller)
    assert set(poller.results) == set(sent[0] + sent[1])  # chunks 1 and 2 kept
    assert poll_sync(call, poller) is not None  # the next round reads only chunks 3 and 4
    assert len(sent) == 5 and set(sent[3] + sent[4]) == set(emails) - set(sent[0] + sent[1])


def test_greylisted_is_read_again_only_after_its_interval_or_final_when_asked() -> None:
    emails = ["a@octagon.com", "b@octagon.com"]
    waiting = VerificationPoller(emails, greylisted_poll_interval=600)
    waiting.calls()
    waiting.absorb([{"a@octagon.com": entry("complete", "greylisted"), "b@octagon.com": entry("in_progress")}])
    assert [a["emails"] for _, a in waiting.calls()] == [["b@octagon.com"]]
    waiting.absorb([{"b@octagon.com": entry("complete", "valid")}])
    assert waiting.calls() == [] and waiting.wait_hint(1.0) > 500
    final = VerificationPoller(emails, wait_for_greylisted=False)
    final.calls()
    final.absorb([{e: entry("complete", "greylisted") for e in emails}])
    assert final.done_payload()["results"]["a@octagon.com"]["smtp_status"] == "greylisted"


def test_finder_round_is_capped_and_keeps_only_the_emails() -> None:
    people = [{"first_name": f"A{i}", "last_name": "B", "domain": "octagon.com"} for i in range(25)]
    poller = FinderPoller(people, max_requests_per_round=10)
    calls = poller.calls()
    assert len(calls) == 10
    body = {
        "status": {"identifier": "complete"},
        "data": {"firstName": "A", "emails": [{"email": "a@octagon.com", "emailStatus": "valid"}]},
    }
    poller.absorb([body] * 4)  # a round that stopped after 4 answers
    assert len(poller.results) == 4
    assert poller.pending_payload()["results"][0]["emails"] == [{"email": "a@octagon.com", "status": "valid"}]

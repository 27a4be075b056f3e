"""The 2026 snapshot readers (api/snapshots.py) on answers the sandbox does not produce: same-second replies,
a thread repeated by a shifted page, provisional warm-up statistics, items gone between two calls."""

from __future__ import annotations

import datetime as dt
from typing import Any

from airflow_provider_snovio.api import snapshots
from airflow_provider_snovio.api.errors import SnovioNotFoundError
from airflow_provider_snovio.api.resources import RESOURCES


class FakeClient:
    def __init__(self, **answers: Any) -> None:
        self.answers = answers
        self.calls: list[tuple[str, tuple[Any, ...], dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        def call(*args: Any, **kwargs: Any) -> Any:
            self.calls.append((name, args, kwargs))
            answer = self.answers[name]
            answer = answer(*args, **kwargs) if callable(answer) else answer
            if isinstance(answer, Exception):
                raise answer
            return answer

        return call


def _thread(prospect: str, kind: str, *times: str) -> dict[str, Any]:
    return {
        "campaignId": 7,
        "prospectId": prospect,
        "replyType": kind,
        "receivedAt": times[0],
        "replies": [{"subject": "", "message": f"m{i}", "receivedAt": t} for i, t in enumerate(times)],
    }


def test_same_second_replies_get_an_occurrence_and_a_repeated_thread_is_read_once():
    same = "2025-12-15 10:58:52"
    threads = [
        _thread("p1", "linkedinMessage", same, same, "2025-12-16 08:00:00"),
        _thread("p1", "email", same),
        _thread("p1", "linkedinMessage", same, same, "2025-12-16 08:00:00"),  # a page shifted: seen again
    ]
    res = RESOURCES["campaign_all_replies"]
    [page] = res.pages(FakeClient(iter_campaign_all_replies=lambda cid: iter(threads)), {"campaign_id": 7})
    keys = [tuple(res.row(record, {"campaign_id": 7})[c] for c in res.key) for record in page.records]
    moment = dt.datetime(2025, 12, 15, 10, 58, 52, tzinfo=dt.timezone.utc)
    assert keys == [
        (7, "p1", "linkedinMessage", moment, 0),
        (7, "p1", "linkedinMessage", moment, 1),
        (7, "p1", "linkedinMessage", dt.datetime(2025, 12, 16, 8, tzinfo=dt.timezone.utc), 0),
        (7, "p1", "email", moment, 0),
    ]
    assert len(set(keys)) == len(keys) and page.records[1]["reply"] == threads[0]["replies"][1]
    assert res.row(page.records[0], {"campaign_id": 7})["subject"] is None  # "" for LinkedIn


def test_warm_up_statistics_ask_each_warm_up_its_whole_life_and_keep_the_provisional_flag():
    warm_ups = [
        {"id": 5, "start_date": "2026-01-01", "email_account": {"id": 9}},
        {"id": 6, "start_date": "2026-03-01", "email_account": {"id": 9}},  # deleted meanwhile
        {"id": 8, "email_account": {"id": 9}},  # no start date: a month
    ]
    day = {"emails_sent": 3, "replies": 1, "bounces": 0, "spam_emails": 0, "inbox_emails": 3}

    def statistics(warm_up_id: int, **kwargs: Any) -> Any:
        if warm_up_id == 6:
            return SnovioNotFoundError("gone")
        return {"data": {"daily_statistics": {"2026-01-02": day, "2026-01-01": day}, "is_calculated": False}}

    client = FakeClient(iter_warm_ups=lambda: iter(warm_ups), get_warm_up_statistics=statistics)
    records = snapshots.warm_up_statistics_rows(client, {}, today=dt.date(2026, 2, 1))
    asked = [(args, kwargs) for name, args, kwargs in client.calls if name == "get_warm_up_statistics"]
    assert asked == [
        ((5,), {"date_from": "2026-01-01", "date_to": "2026-02-01"}),
        ((6,), {"date_from": "2026-03-01", "date_to": "2026-03-01"}),  # never before the start date
        ((8,), {"period": "month"}),
    ]
    res = RESOURCES["warm_up_statistics"]
    got = [res.row(record, {}) for record in records]
    assert [(g["warm_up_id"], g["date"]) for g in got] == [
        (5, dt.date(2026, 1, 1)),
        (5, dt.date(2026, 1, 2)),
        (8, dt.date(2026, 1, 1)),
        (8, dt.date(2026, 1, 2)),
    ]
    assert {g["is_calculated"] for g in got} == {False} and {g["email_account_id"] for g in got} == {9}
    assert got[0]["emails_sent"] == 3 and got[0]["scheduled"] is None  # a figure the answer lacks is NULL


def test_pipeline_stages_fill_the_pipeline_and_skip_one_gone_meanwhile():
    def stages(pipeline_id: int) -> Any:
        if pipeline_id == 2:
            return SnovioNotFoundError("gone")
        return {"data": [{"id": 10, "name": "Lead", "order": 1}]}

    client = FakeClient(list_pipelines={"data": [{"id": 1}, {"id": 2}]}, list_pipeline_stages=stages)
    assert snapshots.pipeline_stage_rows(client, {}) == [{"id": 10, "name": "Lead", "order": 1, "pipeline_id": 1}]


def test_campaign_details_read_the_one_object_of_the_answer():
    res = RESOURCES["campaign_details"]
    body = {"success": True, "data": {"id": 7, "title": "T", "recipients": {"list_id": 3}, "tracking": {"open": True}}}
    [record] = res.records(body)
    row = res.row(record, {"campaign_id": 7})
    assert (row["id"], row["title"], row["list_id"], row["track_opens"], row["black_list_id"]) == (
        7,
        "T",
        3,
        True,
        None,
    )

"""SnovioNewEventsTrigger (issue 19) in-process against the sandbox over real HTTP.

What is proven here (fast; the real triggerer + scheduler run is tests/deployment/test_reply_router.py):

* the budget is checked when the trigger is built (DAG parse time), with a message naming the fix;
* bad input fails before any request, naming the field; the kwargs are deterministic JSON without a secret;
* the first poll is a baseline; each poll after it reports exactly the events appended since (never one
  twice, nothing for a poll where nothing happened, nothing for an unwatched type), for both sources;
* a history that shifts under the cursor (events deleted, late events inserted) is re-read and judged
  by time: the new events are still reported once;
* ``run()`` yields one event per batch, and a new trigger instance with the same cursor store (a
  triggerer restart: the 3.3 asset state store, or the pre-3.3 file fallback) reports nothing twice;
* one quiet poll costs one request per campaign (activity) or per campaign and type (v1).
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import re
from pathlib import Path
from typing import Any

import pytest

from airflow_provider_snovio.api.errors import SnovioValidationError
from airflow_provider_snovio.sandbox.testing import SandboxServer
from airflow_provider_snovio.triggers import SnovioNewEventsTrigger
from airflow_provider_snovio.triggers.new_events import AssetStateCursor, FileCursor, requests_per_poll

ACTIVITY = "GET /v2/campaigns/{campaign_id}/recipients-activity"
V1_REPLIES = "GET /v1/get-emails-replies"
EMAIL_RE = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+")


def active_campaigns(sandbox: SandboxServer, count: int = 2) -> list[int]:
    campaigns = [c for c in sandbox.state.data.campaigns.campaigns if c.status == "Active" and c.recipients]
    assert len(campaigns) >= count
    return [c.id for c in campaigns[:count]]


def rebuilt(trigger: SnovioNewEventsTrigger) -> SnovioNewEventsTrigger:
    """The trigger as the triggerer builds it: from its serialized kwargs after a JSON round trip."""
    classpath, kwargs = trigger.serialize()
    module, _, name = classpath.rpartition(".")
    return getattr(importlib.import_module(module), name)(**json.loads(json.dumps(kwargs)))


class Poller:
    """Drives ``trigger.poll`` with one async client, carrying the cursor between polls."""

    def __init__(self, trigger: SnovioNewEventsTrigger) -> None:
        self.trigger = trigger
        self.cursor: dict[str, Any] = {"campaigns": {}}

    def __call__(self) -> list[dict[str, Any]]:
        async def once() -> list[dict[str, Any]]:
            from airflow_provider_snovio.hooks.snovio import SnovioHook

            client = await SnovioHook(self.trigger.snovio_conn_id).async_client()
            try:
                found, self.cursor = await self.trigger.poll(client, self.cursor)
            finally:
                await client.aclose()
            json.dumps(self.cursor)  # the cursor is JSON, as the state store needs
            return [f.as_dict() for f in found]

        return asyncio.run(once())


class MemoryAccessor:
    """Stands in for one asset's ``AssetStateStoreAccessor`` (Airflow 3.3): JSON values, async get/set."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.writes = 0

    async def aget(self, key: str, default: Any = None) -> Any:
        return json.loads(json.dumps(self.values[key])) if key in self.values else default

    async def aset(self, key: str, value: Any) -> None:
        self.values[key] = json.loads(json.dumps(value))
        self.writes += 1


class MemoryStore:
    """Stands in for ``AssetStateStoreAccessors`` of a trigger watching one asset (as the triggerer injects)."""

    def __init__(self) -> None:
        self._by_name = {"snovio_replies": MemoryAccessor()}
        self._by_uri: dict[str, Any] = {}


# --- parse time ---------------------------------------------------------------------------------------------
def test_a_configuration_over_budget_is_refused_when_built() -> None:
    with pytest.raises(SnovioValidationError, match="poll_interval") as refused:
        SnovioNewEventsTrigger(campaign_ids=list(range(1, 21)), poll_interval=60)  # 20/min > 25 % of 60
    message = str(refused.value)
    assert "20.0 requests/min" in message and "budget_share=0.25" in message and "poll every 80 s" in message
    # v1 costs one request per type: 5 campaigns x 3 types every 60 s = 15/min, exactly the share
    SnovioNewEventsTrigger(campaign_ids=[1, 2, 3, 4, 5], event_types=["reply", "open", "click"], source="v1")
    with pytest.raises(SnovioValidationError, match="poll_interval"):
        SnovioNewEventsTrigger(campaign_ids=[1, 2, 3, 4, 5, 6], event_types=["reply", "open", "click"], source="v1")
    # every active campaign: checked against max_campaigns plus the listing
    assert SnovioNewEventsTrigger().requests_per_poll == 11
    with pytest.raises(SnovioValidationError, match="16 requests every 60 s"):
        SnovioNewEventsTrigger(max_campaigns=15)
    SnovioNewEventsTrigger(max_campaigns=15, budget_share=0.5)
    assert requests_per_poll("activity", 3, ["reply", "bounce"], False) == 3
    assert requests_per_poll("v1", 3, ["reply", "open"], True) == 7


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"campaign_ids": ["abc"]}, "campaign_ids[0]"),
        ({"campaign_ids": [0]}, "campaign_ids[0]"),
        ({"campaign_ids": []}, "campaign_ids"),
        ({"event_types": ["bounce"], "source": "v1"}, "event_types"),
        ({"event_types": ["replied"]}, "event_types"),
        ({"source": "webhook"}, "source"),
        ({"budget_share": 1.5}, "budget_share"),
        ({"poll_interval": 0}, "poll_interval"),
        ({"max_campaigns": 0}, "max_campaigns"),
    ],
)
def test_bad_input_names_the_field(kwargs: dict[str, Any], field: str) -> None:
    with pytest.raises(SnovioValidationError) as refused:
        SnovioNewEventsTrigger(**kwargs)
    assert refused.value.field == field


def test_kwargs_are_deterministic_json_without_a_secret(snovio_sandbox: SandboxServer) -> None:
    one = SnovioNewEventsTrigger(campaign_ids=[3, 1, 1], event_types=["unsubscribe", "reply", "bounce"])
    two = SnovioNewEventsTrigger(campaign_ids=["1", 3], event_types=["bounce", "reply", "unsubscribe"])
    assert one.serialize() == two.serialize() == rebuilt(one).serialize()
    assert one.identity == two.identity != SnovioNewEventsTrigger(campaign_ids=[1]).identity
    text = json.dumps(one.serialize())
    assert snovio_sandbox.client_secret not in text and snovio_sandbox.client_id not in text
    assert one.serialize()[1]["campaign_ids"] == [1, 3]


# --- polls against the sandbox ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("source", "knobs"),
    [
        ("activity", {}),
        ("activity", {"activity_date_to_exclusive": True, "activity_window_inclusive": True}),
        ("v1", {}),
    ],
)
def test_each_poll_reports_exactly_the_new_events(sandbox: SandboxServer, source: str, knobs: dict) -> None:
    sandbox.configure(**knobs)  # #72 may exclude dateTo and count its 31 days inclusively
    first, second = active_campaigns(sandbox)
    trigger = rebuilt(
        SnovioNewEventsTrigger(campaign_ids=[first, second], source=source, poll_interval=5, budget_share=1)
    )
    poll = Poller(trigger)
    assert poll() == []  # baseline: the seeded history is not new
    assert poll() == []  # nothing happened
    endpoint = ACTIVITY if source == "activity" else V1_REPLIES
    before = sandbox.stats()["requests"].get(endpoint, 0)
    assert poll() == []
    assert sandbox.stats()["requests"][endpoint] - before == 2  # one request per campaign (and type)

    added = sandbox.append_events(first, "replies", 3)
    sandbox.append_events(second, "replies", 1)
    sandbox.append_events(first, "opens", 2)  # not watched
    found = poll()
    assert [(f["campaign_id"], f["type"]) for f in found] == [(first, "reply")] * 3 + [(second, "reply")]
    assert len({f["id"] for f in found}) == 4 and all(f["time"] for f in found)
    if source == "v1":  # v1 events have Snov.io ids: the very ids appended
        assert [f["id"] for f in found[:3]] == added["ids"]
    assert poll() == []  # reported once

    # the history shifts under the cursor: two old replies deleted, one late reply inserted, one appended
    sandbox.delete_events(first, "replies", offset=0, count=2)
    sandbox.append_events(first, "replies", 1)
    found = poll()
    assert [(f["campaign_id"], f["type"]) for f in found] == [(first, "reply")]
    assert poll() == []


def test_activity_types_beyond_replies(sandbox: SandboxServer) -> None:
    (campaign,) = active_campaigns(sandbox, 1)
    poll = Poller(rebuilt(SnovioNewEventsTrigger(campaign_ids=[campaign], event_types=["reply", "click"])))
    assert poll() == []
    sandbox.append_events(campaign, "clicks", 2)
    sandbox.append_events(campaign, "replies", 1)
    sandbox.append_events(campaign, "opens", 5)
    assert sorted(f["type"] for f in poll()) == ["click", "click", "reply"]


def test_every_active_campaign(sandbox: SandboxServer) -> None:
    active = sorted(c.id for c in sandbox.state.data.campaigns.campaigns if c.status == "Active")
    poll = Poller(rebuilt(SnovioNewEventsTrigger(max_campaigns=len(active), budget_share=1)))
    assert poll() == []
    sandbox.append_events(active[-1], "replies", 2)
    assert [f["campaign_id"] for f in poll()] == [active[-1]] * 2


# --- run(): batches, payload and the cursor across restarts ---------------------------------------------------
async def _events_of(trigger: SnovioNewEventsTrigger, act: Any, seconds: float) -> list[dict[str, Any]]:
    """Run the trigger for ``seconds`` while ``act()`` (in a thread) changes the sandbox; its events."""
    events: list[dict[str, Any]] = []

    async def consume() -> None:
        async for event in trigger.run():
            events.append(event.payload)

    task = asyncio.create_task(consume())
    await asyncio.to_thread(act)
    await asyncio.sleep(seconds)
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task
    return events


@pytest.mark.parametrize("where", ["asset_state_store", "file"])
def test_one_event_per_batch_and_none_twice_after_a_restart(
    sandbox: SandboxServer, where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SNOVIO_TRIGGER_STATE_DIR", str(tmp_path))
    (campaign,) = active_campaigns(sandbox, 1)
    kwargs = {"campaign_ids": [campaign], "poll_interval": 1, "budget_share": 1}
    store = MemoryStore()

    def triggerer() -> SnovioNewEventsTrigger:  # a triggerer (re)starting: a new instance, the same store
        trigger = rebuilt(SnovioNewEventsTrigger(**kwargs))
        if where == "asset_state_store":
            trigger.asset_state_store = store
            assert isinstance(trigger._cursor_store(), AssetStateCursor)
        else:
            assert isinstance(trigger._cursor_store(), FileCursor)
        return trigger

    def wait_for_baseline_then_append() -> None:
        import time

        time.sleep(0.6)  # the first poll (baseline) happens at once
        sandbox.append_events(campaign, "replies", 3)

    events = asyncio.run(_events_of(triggerer(), wait_for_baseline_then_append, 2.0))
    assert len(events) == 1 and events[0]["count"] == 3 and events[0]["counts"] == {"reply": 3}, events
    assert events[0]["campaigns"] == {str(campaign): {"reply": 3}} and len(events[0]["events"]) == 3
    assert not EMAIL_RE.search(json.dumps(events[0])), "an address in the asset event"
    if where == "asset_state_store":
        assert store._by_name["snovio_replies"].writes >= 2  # the baseline, then the cursor after the batch
    else:
        assert list(tmp_path.glob("*.json"))

    # restart: nothing new -> no event; then two replies -> one event of two
    assert asyncio.run(_events_of(triggerer(), lambda: None, 1.5)) == []
    events = asyncio.run(_events_of(triggerer(), lambda: sandbox.append_events(campaign, "replies", 2), 1.5))
    assert [e["count"] for e in events] == [2], events


def test_a_trigger_watching_two_assets_keeps_its_cursor_in_both() -> None:
    """Identical watchers of two assets are one trigger (Airflow dedupes by kwargs): the triggerer injects both
    assets' accessors; the cursor goes to each, and a restart reads it from whichever has it."""
    store = MemoryStore()
    store._by_name["snovio_bounces"] = MemoryAccessor()
    trigger = SnovioNewEventsTrigger(campaign_ids=[1])
    trigger.asset_state_store = store
    cursor = trigger._cursor_store()
    asyncio.run(cursor.save({"campaigns": {"1": {"offset": 3}}}))
    assert [a.values for a in store._by_name.values()] == [{cursor.key: {"campaigns": {"1": {"offset": 3}}}}] * 2
    del store._by_name["snovio_replies"].values[cursor.key]
    assert asyncio.run(trigger._cursor_store().load()) == {"campaigns": {"1": {"offset": 3}}}
    other = SnovioNewEventsTrigger(campaign_ids=[2])
    other.asset_state_store = store
    assert asyncio.run(other._cursor_store().load()) is None  # another configuration, another cursor

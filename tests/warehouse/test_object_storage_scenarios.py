"""Issue 14's sequence for the object-storage transfer, in both event orders, on a local path and on S3.

After each step - first sync, nothing new, a handful of new events, late events inserted by event time,
deletions between runs, deletions during a multi-page read, a run failing mid-write, a deleted campaign,
the state file lost, everything under the path deleted - the union of the data files de-duplicated by key
(latest ``_snovio_synced_at`` per key, deletion rows dropped) must equal the replies the sandbox serves, with
no temporary file and a matching manifest for every data file. The request counts are printed and bounded.
"""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_snovio.api.catalogue import OFFSET_PAGE_SIZE
from airflow_provider_snovio.api.errors import SnovioError
from airflow_provider_snovio.transfers.batches import STATE_FILE
from airflow_provider_snovio.transfers.object_storage import sync_to_storage
from airflow_provider_snovio.transfers.storage import open_store
from tests.warehouse.conftest import requests_of, upstream_ids
from tests.warehouse.test_object_storage_sync import (  # noqa: F401 - fixtures
    REPLIES,
    REPLIES_ENDPOINT,
    FailingAfter,
    Files,
    base_uri,
    s3_server,
)

KNOBS = {"campaigns": 4, "big_campaign_replies": 400, "exact_campaign_replies": 150, "small_campaign_events": 60}


def served(sandbox: Any) -> set[tuple[int, str]]:
    return {(cid, event) for cid, events in upstream_ids(sandbox, "replies").items() for event in events}


@pytest.mark.parametrize("newest_first", [False, True], ids=["oldest-first", "newest-first"])
def test_the_files_equal_the_sandbox_after_every_change(base_uri, snovio_sandbox, client, newest_first):  # noqa: F811
    sandbox = snovio_sandbox
    sandbox.configure(**KNOBS, newest_first_events=newest_first)
    store, base = open_store(base_uri)
    root = f"{base}/campaign_replies"
    files = Files(store, root)
    ids = [c.id for c in sandbox.state.data.campaigns.campaigns]
    sizes = {cid: len(events) for cid, events in upstream_ids(sandbox, "replies").items()}
    big = ids[0]
    small = next(cid for cid in ids if 0 < sizes[cid] < 100 and cid != big)
    label = f"{'newest' if newest_first else 'oldest'}-first {base_uri.split(':')[0]}"

    def step(name: str, client: Any = client) -> tuple[Any, int]:
        before = requests_of(sandbox, REPLIES_ENDPOINT)
        result = sync_to_storage(client, store, root, REPLIES)
        spent = requests_of(sandbox, REPLIES_ENDPOINT) - before
        union = files.union(REPLIES.key)
        assert set(union) == served(sandbox), (
            f"{label} {name}: {len(served(sandbox) - set(union))} missing, {len(set(union) - served(sandbox))} extra"
        )
        assert all(line["_snovio_raw"]["id"] == line["id"] for line in union.values())
        files.check_complete()
        print(
            f"{label} {name}: {spent} requests for {len(ids)} campaigns, {len(union)} rows, "
            f"written {result.rows_written}, deletion rows {result.rows_deleted}, reread {result.reread_scopes}"
        )
        return result, spent

    first, spent = step("first sync")
    assert spent == len(ids) and first.rows_written == len(served(sandbox))

    idle, spent = step("nothing new")  # one request per campaign, no file
    assert spent == len(ids) and (idle.rows_written, idle.rows_deleted, idle.files) == (0, 0, [])

    sandbox.append_events(big, "replies", 3)
    sandbox.append_events(small, "replies", 2)
    handful, spent = step("a handful new")  # still one request per campaign, nothing re-read
    assert spent == len(ids) and handful.rows_written == 5 and handful.reread_scopes == []

    sandbox.insert_late_events(small, "replies", 2, after_offset=3)
    sandbox.insert_late_events(big, "replies", 1, after_offset=100)
    late, spent = step("late inserts")
    assert sorted(late.reread_scopes) == sorted([f"campaign_id={small}", f"campaign_id={big}"])
    assert spent == len(ids) + 2  # + one re-read page each

    sandbox.delete_events(small, "replies", offset=5, count=2)
    sandbox.delete_events(big, "replies", offset=7, count=3)
    deleted, spent = step("deletions between runs")
    assert deleted.rows_deleted == 5 and spent == len(ids) + 2

    # Deletions during a multi-page read: the big campaign grows past one page, and 4 of the new rows its
    # first page serves are deleted upstream right after that page (positions count oldest first; newest
    # first they are served at 5..8; oldest first just after the stored ones): rows this run read as new,
    # so they are in no published file yet and still need their deletion rows.
    size = len(upstream_ids(sandbox, "replies")[big])
    sandbox.append_events(big, "replies", OFFSET_PAGE_SIZE + 50)  # more than a page after the stored rows
    total = size + OFFSET_PAGE_SIZE + 50
    sandbox.arm_deletion(big, "replies", offset=total - 9 if newest_first else size + 4, count=4, after_pages=1)
    during, spent = step("deletions during a multi-page read")
    armed = sandbox.armed()
    assert armed["pending"] == [] and len(armed["fired"][0]["ids"]) == 4
    assert during.reread_scopes == [f"campaign_id={big}"]
    assert spent == len(ids) + 3  # the big campaign: 2 pages, the shift noticed, 2 pages again

    idle, spent = step("nothing new after the multi-page read")  # newest first: + the big campaign's tail
    assert spent == len(ids) + (1 if newest_first else 0) and idle.files == []

    # A run failing mid-write (every request fails from the second campaign on): no partial file; the
    # files still hold the previous run's union (checked against the sandbox once the next run is done).
    sandbox.append_events(big, "replies", 4)
    sandbox.append_events(small, "replies", 4)
    failing = FailingAfter(client, sandbox, 2, files)
    with pytest.raises(SnovioError):
        sync_to_storage(failing, store, root, REPLIES)
    sandbox.configure(error_rate=0.0)
    files.check_complete()
    recovered, spent = step("the run after a failure mid-write")
    assert recovered.rows_written == 8 and spent == len(ids) + (1 if newest_first else 0)

    # A campaign deleted upstream: the listing no longer has it, so it is not read and each of its keys gets
    # a deletion row (asking for it by id changes nothing: it is skipped with a warning).
    victim = small
    expected_gone = len(upstream_ids(sandbox, "replies")[victim])
    sandbox.delete_campaign(victim)
    before = requests_of(sandbox, REPLIES_ENDPOINT)
    gone = sync_to_storage(client, store, root, REPLIES, campaign_ids=ids)
    assert requests_of(sandbox, REPLIES_ENDPOINT) - before == len(ids) - 1 + (1 if newest_first else 0)
    assert gone.deleted_scopes == [f"campaign_id={victim}"] and gone.rows_deleted == expected_gone
    assert set(files.union(REPLIES.key)) == served(sandbox) and victim not in {c for c, _ in served(sandbox)}
    files.check_complete()
    again, spent = step("after the deleted campaign")
    assert again.deleted_scopes == [] and (again.rows_written, again.rows_deleted) == (0, 0)

    # The state file lost (as a dropped table's state): everything is read and written again; duplicates by
    # key only. Then everything under the path deleted: the next run writes it all anew.
    store.fs.rm(f"{root}/{STATE_FILE}")
    rewritten, spent = step("state file lost")
    assert rewritten.rows_written == len(served(sandbox))
    store.fs.rm(root, recursive=True)
    anew, spent = step("everything deleted")
    assert anew.rows_written == len(served(sandbox))


def test_a_run_refused_for_another_writer_completes_next_time(tmp_path, snovio_sandbox, client):
    """Two runs writing one path at once: the one that finds the state moved stops without publishing; the
    next run completes it and the union equals the sandbox's data."""
    from airflow_provider_snovio.api.errors import SnovioConfigError
    from tests.warehouse.test_object_storage_sync import SMALL, SyncingMeanwhile

    store, base = open_store(f"file://{tmp_path}")
    root = f"{base}/campaign_replies"
    files = Files(store, root)
    other_scope = 237938
    other = lambda: sync_to_storage(client, store, root, REPLIES, campaign_ids=[other_scope])  # noqa: E731
    with pytest.raises(SnovioConfigError, match="another run"):
        sync_to_storage(SyncingMeanwhile(client, other), store, root, REPLIES, campaign_ids=[SMALL])
    sync_to_storage(client, store, root, REPLIES, campaign_ids=[SMALL])
    ids = upstream_ids(snovio_sandbox, "replies")
    assert set(files.union(REPLIES.key)) == {(c, e) for c in (SMALL, other_scope) for e in ids[c]}
    files.check_complete()

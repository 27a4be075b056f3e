"""The object-storage transfer is exactly-once by arrival, on a local path and on S3 (moto's server, real HTTP).

Every check reads the files as a warehouse would: every ``*.jsonl.gz`` under ``<path>/<resource>/``, the
union de-duplicated by key (latest ``_snovio_synced_at`` wins, a set ``_snovio_deleted_at`` is a deletion),
compared with what the sandbox serves. The sandbox runs over HTTP; S3 is moto in server mode on 127.0.0.1.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_snovio.api.errors import SnovioError
from airflow_provider_snovio.api.resources import RESOURCES
from airflow_provider_snovio.operators.base import write_jsonl
from airflow_provider_snovio.sandbox.data.campaigns import CampaignSet
from airflow_provider_snovio.transfers import SnovioToObjectStorageOperator
from airflow_provider_snovio.transfers.object_storage import sync_to_storage
from airflow_provider_snovio.transfers.storage import Store, open_store
from tests.warehouse.conftest import free_port, requests_of, upstream_ids

REPLIES = RESOURCES["campaign_replies"]
BIG, MEDIUM, SMALL = 237900, 237918, 237923  # 25,500 / 10,000 / 15 replies in the seeded sandbox
REPLIES_ENDPOINT = "GET /v1/get-emails-replies"


@pytest.fixture(scope="session")
def s3_server() -> Iterator[str]:
    """moto's S3 in server mode on a free 127.0.0.1 port; s3fs finds it through the AWS environment."""
    from moto.server import ThreadedMotoServer

    port = free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    env = {
        "AWS_ENDPOINT_URL": endpoint,
        "AWS_ACCESS_KEY_ID": "test",
        "AWS_SECRET_ACCESS_KEY": "test",
        "AWS_DEFAULT_REGION": "us-east-1",
    }
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        yield endpoint
    finally:
        server.stop()
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@pytest.fixture(params=["file", "s3"])
def base_uri(request: pytest.FixtureRequest, tmp_path) -> str:
    """An empty base URI: a local directory, or a new bucket on the moto server."""
    if request.param == "file":
        return f"file://{tmp_path}/stage"
    request.getfixturevalue("s3_server")
    import fsspec

    bucket = f"snovio-{uuid.uuid4().hex[:12]}"
    fsspec.filesystem("s3").mkdir(bucket)
    return f"s3://{bucket}/stage"


@dataclass
class Files:
    """What a reader of ``<base>/<resource>`` sees."""

    store: Store
    root: str
    cache: dict[str, bytes] = field(default_factory=dict)  # a file under its final name never changes

    def read(self, path: str) -> bytes:
        if path not in self.cache:
            with self.store.fs.open(path, "rb") as handle:
                self.cache[path] = handle.read()
        return self.cache[path]

    def listing(self) -> list[str]:
        self.store.fs.invalidate_cache()
        return sorted(self.store.fs.find(self.root))

    def data_files(self) -> list[str]:
        return [path for path in self.listing() if path.endswith(".jsonl.gz")]

    def lines(self, path: str) -> list[dict[str, Any]]:
        return [json.loads(line) for line in gzip.decompress(self.read(path)).splitlines()]

    def union(self, key: tuple[str, ...]) -> dict[tuple[Any, ...], dict[str, Any]]:
        """Every file's rows, de-duplicated by key (latest ``_snovio_synced_at``), deletions dropped."""
        latest: dict[tuple[Any, ...], dict[str, Any]] = {}
        for path in self.data_files():
            for line in self.lines(path):
                k = tuple(line[name] for name in key)
                if k not in latest or line["_snovio_synced_at"] >= latest[k]["_snovio_synced_at"]:
                    latest[k] = line
        return {k: line for k, line in latest.items() if line["_snovio_deleted_at"] is None}

    def check_complete(self) -> None:
        """No temporary file anywhere; every data file has a manifest that matches it byte for byte."""
        listing = self.listing()
        assert not [path for path in listing if path.endswith(".tmp")]
        for path in self.data_files():
            manifest_path = path[: -len(".jsonl.gz")] + ".manifest.json"
            assert manifest_path in listing, f"{path} has no manifest"
            with self.store.fs.open(manifest_path, "rb") as handle:
                manifest = json.loads(handle.read())
            data = self.read(path)
            lines = self.lines(path)
            assert manifest["sha256"] == hashlib.sha256(data).hexdigest() and manifest["bytes"] == len(data)
            assert manifest["lines"] == len(lines) == manifest["rows"] + manifest["tombstones"]
            assert path.split("/")[-2] == f"sync_date={manifest['sync_date']}"
            assert {line["_snovio_synced_at"] for line in lines} == {manifest["synced_at"]}


def expected_replies(sandbox) -> set[tuple[int, str]]:
    return {(campaign, event) for campaign, ids in upstream_ids(sandbox, "replies").items() for event in ids}


def assert_union_is_upstream(files: Files, sandbox) -> None:
    union = files.union(REPLIES.key)
    assert set(union) == expected_replies(sandbox)
    assert all(line["_snovio_raw"]["id"] == line["id"] for line in union.values())
    files.check_complete()


@pytest.mark.parametrize("newest_first", [False, True], ids=["oldest-first", "newest-first"])
def test_first_sync_nothing_new_new_events_and_deletions(base_uri, snovio_sandbox, client, newest_first):
    snovio_sandbox.configure(newest_first_events=newest_first)
    store, base = open_store(base_uri)
    root = f"{base}/campaign_replies"
    files = Files(store, root)

    first = sync_to_storage(client, store, root, REPLIES, batch_rows=10_000)
    assert first.rows_written == len(expected_replies(snovio_sandbox)) and first.rows_deleted == 0
    assert len(first.files) == len(files.data_files()) >= 3  # 25,500 + 10,000 + ...: one batch per 10,000
    today = datetime.now(timezone.utc).date()
    assert all(f"/sync_date={today.isoformat()}/" in path for path in files.data_files())
    assert_union_is_upstream(files, snovio_sandbox)

    before = requests_of(snovio_sandbox, REPLIES_ENDPOINT)
    idle = sync_to_storage(client, store, root, REPLIES, batch_rows=10_000)
    assert (idle.rows_written, idle.rows_deleted, idle.files) == (0, 0, [])
    campaigns = len(upstream_ids(snovio_sandbox, "replies"))
    # one request per campaign; newest first, a campaign filling a page (10,000) also checks its stored tail
    tail_checks = sum(len(ids) >= 10_000 for ids in upstream_ids(snovio_sandbox, "replies").values())
    assert requests_of(snovio_sandbox, REPLIES_ENDPOINT) - before == campaigns + newest_first * tail_checks
    count = len(files.data_files())

    added = {
        *snovio_sandbox.append_events(SMALL, "replies", 3)["ids"],
        *snovio_sandbox.append_events(BIG, "replies", 2)["ids"],
    }
    late = sync_to_storage(client, store, root, REPLIES)
    assert late.rows_written == 5 and len(late.files) == 1 and len(files.data_files()) == count + 1
    assert {line["id"] for line in files.lines(files.data_files()[-1])} == added  # only the new rows
    assert_union_is_upstream(files, snovio_sandbox)

    gone = snovio_sandbox.delete_events(SMALL, "replies", offset=4, count=2)["ids"]
    deleted = sync_to_storage(client, store, root, REPLIES)
    assert deleted.reread_scopes == [f"campaign_id={SMALL}"] and deleted.rows_deleted == 2
    tombstones = [line for line in files.lines(files.data_files()[-1]) if line["_snovio_deleted_at"]]
    assert {(line["campaign_id"], line["id"]) for line in tombstones} == {(SMALL, event) for event in gone}
    assert all(line["_snovio_raw"] is None for line in tombstones)
    assert_union_is_upstream(files, snovio_sandbox)

    again = sync_to_storage(client, store, root, REPLIES)  # the re-read's position is stored: quiet again
    assert (again.rows_written, again.rows_deleted, again.reread_scopes) == (0, 0, [])


class FailingAfter:
    """A real client whose ``n``-th replies request meets a sandbox that answers 500 to everything."""

    def __init__(self, client, sandbox, n: int, files: Files) -> None:
        self.client, self.sandbox, self.n, self.calls, self.files = client, sandbox, n, 0, files
        self.temps_seen: list[str] = []

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def get_campaign_replies(self, *args: Any, **kwargs: Any) -> Any:
        self.calls += 1
        if self.calls == self.n:
            self.sandbox.configure(error_rate=1.0)
            self.files.store.fs.invalidate_cache()
            self.temps_seen = [path for path in self.files.store.fs.find(self.files.root) if path.endswith(".tmp")]
        return self.client.get_campaign_replies(*args, **kwargs)


def test_a_failure_mid_write_leaves_no_partial_file_and_the_next_run_completes(base_uri, snovio_sandbox, client):
    store, base = open_store(base_uri)
    root = f"{base}/campaign_replies"
    files = Files(store, root)
    # Requests 1-3 read the 25,500 replies of BIG: pages of 10,000, each after the first asked 20 rows early
    # (the overlap, verified and not written again), so the first batch (>= 15,000 rows) closes after page 2
    # with 10,000 + 9,980 rows and page 3's 5,520 are in the open batch when request 4 (MEDIUM) fails.
    failing = FailingAfter(client, snovio_sandbox, 4, files)
    with pytest.raises(SnovioError):
        sync_to_storage(failing, store, root, REPLIES, campaign_ids=[BIG, MEDIUM, SMALL], batch_rows=15_000)
    snovio_sandbox.configure(error_rate=0.0)
    if base_uri.startswith("file://"):  # the open batch was on disk under its temporary name (S3 buffers it)
        assert len(failing.temps_seen) == 1 and failing.temps_seen[0].endswith(
            ".jsonl.gz." + failing.temps_seen[0].rsplit(".", 2)[-2] + ".tmp"
        )
    assert len(files.data_files()) == 1
    assert len(files.lines(files.data_files()[0])) == 19_980
    files.check_complete()

    before = requests_of(snovio_sandbox, REPLIES_ENDPOINT)
    resumed = sync_to_storage(client, store, root, REPLIES, campaign_ids=[BIG, MEDIUM, SMALL], batch_rows=15_000)
    assert resumed.rows_written == 5_520 + 10_000 + 15  # BIG resumed after its committed 19,980
    assert requests_of(snovio_sandbox, REPLIES_ENDPOINT) - before == 1 + 2 + 1
    union = files.union(REPLIES.key)
    ids = upstream_ids(snovio_sandbox, "replies")
    assert set(union) == {(c, e) for c in (BIG, MEDIUM, SMALL) for e in ids[c]}
    files.check_complete()


def test_write_jsonl_publishes_nothing_when_the_rows_fail(base_uri):
    def rows() -> Iterator[dict[str, int]]:
        for number in range(1000):
            if number == 700:
                raise RuntimeError("the source failed mid-write")
            yield {"n": number}

    store, base = open_store(base_uri)
    with pytest.raises(RuntimeError, match="mid-write"):
        write_jsonl(f"{base_uri}/out/rows.jsonl", rows())
    store.fs.invalidate_cache()
    assert not store.fs.exists(f"{base}/out/rows.jsonl")
    assert [path for path in store.fs.find(base)] == []  # nor any temporary file

    uri, count = write_jsonl(f"{base_uri}/out/rows.jsonl", ({"n": n} for n in range(3)))
    assert (uri, count) == (f"{base_uri}/out/rows.jsonl", 3)
    with store.fs.open(f"{base}/out/rows.jsonl", "rb") as handle:
        assert [json.loads(line) for line in handle.read().splitlines()] == [{"n": 0}, {"n": 1}, {"n": 2}]


def test_snapshot_resources_write_only_changes(base_uri, snovio_sandbox, client):
    store, base = open_store(base_uri)
    resource = RESOURCES["campaigns"]
    root = f"{base}/campaigns"
    files = Files(store, root)
    first = sync_to_storage(client, store, root, resource)
    campaigns = {c.id for c in snovio_sandbox.state.data.campaigns.campaigns}
    assert first.rows_written == len(campaigns)
    again = sync_to_storage(client, store, root, resource)
    assert (again.rows_written, again.files) == (0, [])
    assert set(files.union(resource.key)) == {(cid,) for cid in campaigns}

    # Upstream, one campaign is renamed and another disappears (as the sandbox's own control routes do it).
    state = snovio_sandbox.state
    with state.lock:
        renamed, removed, *rest = state.data.campaigns.campaigns
        state.data.campaigns = CampaignSet((dataclasses.replace(renamed, name="Renamed"), *rest))
    changed = sync_to_storage(client, store, root, resource)
    assert (changed.rows_written, changed.rows_deleted, len(changed.files)) == (1, 1, 1)
    union = files.union(resource.key)
    assert set(union) == {(cid,) for cid in campaigns - {removed.id}}
    assert union[(renamed.id,)]["name"] == "Renamed"
    files.check_complete()


def test_the_operator_declares_the_directory_and_reports_it_to_lineage(tmp_path, snovio_conn_env):
    day = date(2025, 9, 10)
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc)
    context = {"data_interval_start": start, "data_interval_end": start + timedelta(days=1)}
    op = SnovioToObjectStorageOperator(
        task_id="stage", resource="campaign_replies", path=f"file://{tmp_path}/", campaign_ids=[SMALL]
    )
    assert [asset.uri for asset in op.outlets] == [f"file://{tmp_path}/campaign_replies"]
    result = op.execute(context)
    assert result["uri"] == f"file://{tmp_path}/campaign_replies"
    assert result["rows_written"] == len(upstream_ids(snovio_conn_env, "replies")[SMALL]) > 0
    assert len(result["files"]) == 1 and result["files"][0].endswith(".jsonl.gz")
    assert (tmp_path / "campaign_replies" / "_snovio_state.json").exists()
    facets = op.get_openlineage_facets_on_complete(None)
    assert facets.inputs[0].name == "campaign_replies"
    assert (facets.outputs[0].namespace, facets.outputs[0].name) == ("file://", f"{tmp_path}/campaign_replies")
    assert op.execute(context)["files"] == []


def test_a_run_stopped_between_a_batch_and_its_state_only_duplicates(base_uri, snovio_sandbox, client, monkeypatch):
    """The batch is in place but its state is not (the worker died in between): the next run writes those rows
    again. The union de-duplicated by key is still exact."""
    from airflow_provider_snovio.transfers import batches

    store, base = open_store(base_uri)
    root = f"{base}/campaign_replies"
    files = Files(store, root)
    scope = [SMALL, 237938]
    sync_to_storage(client, store, root, REPLIES, campaign_ids=scope)
    snovio_sandbox.append_events(SMALL, "replies", 4)

    def lost(*_: Any) -> None:
        raise OSError("worker lost before the state was written")

    with monkeypatch.context() as patch:
        patch.setattr(batches, "save_state", lost)
        with pytest.raises(OSError, match="worker lost"):
            sync_to_storage(client, store, root, REPLIES, campaign_ids=scope)
    assert len(files.data_files()) == 2  # the 4 new rows are in place, complete, with their manifest
    files.check_complete()

    rerun = sync_to_storage(client, store, root, REPLIES, campaign_ids=scope)
    assert rerun.rows_written == 4  # the same 4 rows again (the stored position had not moved)
    ids = upstream_ids(snovio_sandbox, "replies")
    assert set(files.union(REPLIES.key)) == {(c, e) for c in scope for e in ids[c]}
    assert sync_to_storage(client, store, root, REPLIES, campaign_ids=scope).rows_written == 0


class SyncingMeanwhile:
    """A real client that, on its first replies request, lets another sync write to the same place."""

    def __init__(self, client, other_run) -> None:
        self.client, self.other_run, self.done = client, other_run, False

    def __getattr__(self, name: str) -> Any:
        return getattr(self.client, name)

    def get_campaign_replies(self, *args: Any, **kwargs: Any) -> Any:
        if not self.done:
            self.done = True
            self.other_run()
        return self.client.get_campaign_replies(*args, **kwargs)


def test_a_run_does_not_overwrite_the_state_another_run_wrote_meanwhile(tmp_path, snovio_sandbox, client):
    store, base = open_store(f"file://{tmp_path}")
    root = f"{base}/campaign_replies"
    files = Files(store, root)
    other = lambda: sync_to_storage(client, store, root, REPLIES, campaign_ids=[237938])  # noqa: E731
    from airflow_provider_snovio.api.errors import SnovioConfigError

    with pytest.raises(SnovioConfigError, match="another run"):
        sync_to_storage(SyncingMeanwhile(client, other), store, root, REPLIES, campaign_ids=[SMALL])
    assert len(files.data_files()) == 1  # the other run's file; this run's batch was not published
    files.check_complete()
    state = json.loads((tmp_path / "campaign_replies" / "_snovio_state.json").read_text())
    assert list(state["scopes"]) == ["campaign_id=237938"]


def test_write_jsonl_to_a_plain_local_path(tmp_path):
    target = tmp_path / "new" / "rows.jsonl"
    assert write_jsonl(str(target), ({"n": n} for n in range(2))) == (str(target), 2)
    assert target.read_text() == '{"n": 0}\n{"n": 1}\n'
    assert [p.name for p in target.parent.iterdir()] == ["rows.jsonl"]

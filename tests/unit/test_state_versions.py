"""The versioned state kept across retries (operators/state.py): what a record of an older or newer release,
or of other inputs, becomes when a task reads it (unit level: an in-memory store, no request is made)."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

import pytest

from airflow_provider_snovio.operators import SnovioCreateListOperator, SnovioEmailVerificationOperator
from airflow_provider_snovio.operators.state import (
    JOB_KEY,
    MAX_KEY_LENGTH,
    STATE_VERSION,
    VERSION_FIELD,
    Job,
    SnovioStateVersionError,
    TaskProgress,
    fingerprint,
)

LOG = logging.getLogger("test_state_versions")


class MemoryStore(dict):
    """``task_state_store`` of Airflow 3.3: get/set by key, kept across tries while the test holds it."""

    def set(self, key: str, value: Any) -> None:
        assert len(key) <= MAX_KEY_LENGTH
        self[key] = value


def legacy_key(namespace: str, item: str) -> str:
    """The per-item key an earlier release wrote (unchanged: ``snovio:<namespace>:<digest>``)."""
    return f"snovio:{namespace}:{hashlib.sha256(item.encode()).hexdigest()[:40]}"


# --- Job ---------------------------------------------------------------------------------------------


def test_a_job_is_saved_with_its_format_version() -> None:
    store = MemoryStore()
    job = Job({"task_state_store": store}, "abc")
    job.data["chunks"] = [{"task_hash": "h1"}]
    job.save()
    assert store[JOB_KEY] == {VERSION_FIELD: STATE_VERSION, "fingerprint": "abc", "chunks": [{"task_hash": "h1"}]}
    assert Job({"task_state_store": store}, "abc").resumed


def test_an_unversioned_job_of_an_earlier_release_is_read_and_rewritten(caplog: pytest.LogCaptureFixture) -> None:
    store = MemoryStore({JOB_KEY: {"fingerprint": "abc", "queued": ["a@example.com"], "final": {}}})
    with caplog.at_level(logging.INFO):
        job = Job({"task_state_store": store}, "abc", log=LOG)
    assert job.resumed and job.data["queued"] == ["a@example.com"]
    assert "earlier release" in caplog.text
    job.save()
    assert store[JOB_KEY][VERSION_FIELD] == STATE_VERSION and store[JOB_KEY]["queued"] == ["a@example.com"]


def test_an_unversioned_job_carried_in_deferral_kwargs_is_read() -> None:
    carried = {"fingerprint": "abc", "chunks": [{"task_hash": "h1"}]}  # a deferral made by an earlier release
    job = Job({"task_state_store": MemoryStore()}, "abc", carried)
    assert job.resumed and job.data["chunks"] == [{"task_hash": "h1"}]


def test_a_job_of_a_newer_format_is_refused(caplog: pytest.LogCaptureFixture) -> None:
    newer = {VERSION_FIELD: STATE_VERSION + 1, "fingerprint": "abc", "whatever": {"task_hash": "h1"}}
    store = MemoryStore({JOB_KEY: dict(newer)})
    with pytest.raises(SnovioStateVersionError, match=f"state format {STATE_VERSION + 1}") as refused:
        Job({"task_state_store": store}, "abc", log=LOG)
    assert refused.value.version == STATE_VERSION + 1 and "allow_repay=True" in str(refused.value)
    assert store[JOB_KEY] == newer  # left as it is
    with caplog.at_level(logging.WARNING):
        restarted = Job({"task_state_store": store}, "abc", log=LOG, allow_restart=True)
    assert restarted.data == {VERSION_FIELD: STATE_VERSION, "fingerprint": "abc"} and not restarted.resumed
    assert "cannot read" in caplog.text


@pytest.mark.parametrize(
    "stored",
    [
        {VERSION_FIELD: 0, "fingerprint": "abc", "task_hash": "h1"},  # an older format nobody migrates
        {VERSION_FIELD: "2", "fingerprint": "abc", "task_hash": "h1"},  # not a version at all
        {"task_hash": "h1"},  # unversioned, without a fingerprint
        ["not", "a", "job"],
    ],
)
def test_an_unreadable_job_starts_afresh_with_a_warning(stored: Any, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        job = Job({"task_state_store": MemoryStore({JOB_KEY: stored})}, "abc", log=LOG)
    assert job.data == {VERSION_FIELD: STATE_VERSION, "fingerprint": "abc"} and not job.resumed
    assert "afresh" in caplog.text


@pytest.mark.parametrize("version_field", [True, False])
def test_a_job_of_other_inputs_starts_afresh(version_field: bool, caplog: pytest.LogCaptureFixture) -> None:
    stored: dict[str, Any] = {"fingerprint": "old", "task_hash": "h1"}
    if version_field:
        stored[VERSION_FIELD] = STATE_VERSION
    with caplog.at_level(logging.INFO):
        job = Job({"task_state_store": MemoryStore({JOB_KEY: stored})}, "new", log=LOG)
    assert job.data == {VERSION_FIELD: STATE_VERSION, "fingerprint": "new"} and not job.resumed
    assert "inputs changed" in caplog.text


def test_an_operator_refuses_a_newer_job_before_any_request_unless_allow_repay() -> None:
    emails = ["a@example.com"]
    op = SnovioEmailVerificationOperator(task_id="v", emails=emails, api_version="v2")
    inputs = fingerprint([type(op).__name__, ["v2", emails]])
    store = MemoryStore({JOB_KEY: {VERSION_FIELD: STATE_VERSION + 1, "fingerprint": inputs, "chunks": []}})
    with pytest.raises(SnovioStateVersionError):
        op._job({"task_state_store": store})  # type: ignore[arg-type]
    repaying = SnovioEmailVerificationOperator(task_id="v", emails=emails, api_version="v2", allow_repay=True)
    job = repaying._job({"task_state_store": store})  # type: ignore[arg-type]
    assert job.data == {VERSION_FIELD: STATE_VERSION, "fingerprint": inputs}


# --- TaskProgress ------------------------------------------------------------------------------------


def test_progress_records_carry_the_version_and_keys_hold_no_personal_data() -> None:
    store = MemoryStore()
    progress = TaskProgress({"task_state_store": store}, "enrichment", LOG)
    progress.set("email:jane.doe@example.com", {"profile": None})
    ((key, value),) = store.items()
    assert key == legacy_key("enrichment", "email:jane.doe@example.com") and "jane" not in key
    assert value == {VERSION_FIELD: STATE_VERSION, "value": {"profile": None}}
    assert progress.get("email:jane.doe@example.com") == {"profile": None}
    assert progress.get("email:other@example.com") is None


@pytest.mark.parametrize("value", [42, True, {"done": ["a@example.com"], "duplicates": []}, ["x"]])
def test_a_bare_value_of_an_earlier_release_is_read_as_is(value: Any, caplog: pytest.LogCaptureFixture) -> None:
    store = MemoryStore({legacy_key("create_list", "Leads"): value})
    with caplog.at_level(logging.INFO):
        assert TaskProgress({"task_state_store": store}, "create_list", LOG).get("Leads") == value
    assert "earlier release" in caplog.text


def test_a_progress_record_of_a_newer_format_is_refused_or_dropped(caplog: pytest.LogCaptureFixture) -> None:
    store = MemoryStore({legacy_key("api", "call"): {VERSION_FIELD: STATE_VERSION + 3, "value": {"answers": []}}})
    with pytest.raises(SnovioStateVersionError):
        TaskProgress({"task_state_store": store}, "api", LOG).get("call")
    with caplog.at_level(logging.WARNING):
        assert TaskProgress({"task_state_store": store}, "api", LOG, allow_restart=True).get("call") is None
    assert "cannot read" in caplog.text


def test_a_progress_record_of_an_unknown_older_format_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    store = MemoryStore({legacy_key("api", "call"): {VERSION_FIELD: 0, "value": {"answers": [1]}}})
    with caplog.at_level(logging.WARNING):
        assert TaskProgress({"task_state_store": store}, "api", LOG).get("call") is None
    assert "afresh" in caplog.text


def test_without_a_store_progress_is_a_no_op_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING):
        progress = TaskProgress({}, "api", LOG)
    assert not progress.enabled and "Airflow < 3.3" in caplog.text
    progress.set("call", {"answers": [1]})
    assert progress.get("call") is None


def test_a_key_longer_than_the_store_allows_is_refused() -> None:
    progress = TaskProgress({"task_state_store": MemoryStore()}, "n" * MAX_KEY_LENGTH, LOG)
    with pytest.raises(ValueError, match=str(MAX_KEY_LENGTH)):
        progress.set("item", 1)


def test_a_list_recorded_by_an_earlier_release_is_reused_without_a_request() -> None:
    """The operator's own path: a bare list id an earlier release stored is returned before the hook is used."""
    store = MemoryStore({legacy_key("create_list", "Leads"): 42})
    op = SnovioCreateListOperator(task_id="create", name="Leads", snovio_conn_id="no_such_connection")
    assert op.execute({"task_state_store": store}) == 42  # type: ignore[arg-type]
    store[legacy_key("create_list", "Leads")] = {VERSION_FIELD: STATE_VERSION + 1, "value": 43}
    with pytest.raises(SnovioStateVersionError):
        op.execute({"task_state_store": store})  # type: ignore[arg-type]

"""Where an asynchronous operator keeps its job on each minor (unit level, a recording task instance).

Airflow 3.3 gives ``task_state_store`` (kept across deferrals and retries). On 3.1/3.2 the job is kept in
the task instance's own XCom: ``airflow dags test`` drops the ``defer`` kwargs when it runs a trigger in
line, and without a store a resumed operator paid for its work again. The DAG runs of the matrix
(``tests/e2e/test_dags_async.py`` on each minor) prove the end-to-end half.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_snovio._compat import DeferralStore, task_state_store
from airflow_provider_snovio.operators.state import JOB_KEY, STATE_VERSION, VERSION_FIELD, Job


class RecordingTI:
    """Records XCom pushes and answers pulls the way a task instance of one try does."""

    task_id = "verify"
    map_index = -1

    def __init__(self) -> None:
        self.xcoms: dict[str, Any] = {}
        self.pulls: list[dict[str, Any]] = []

    def xcom_push(self, key: str, value: Any) -> None:
        self.xcoms[key] = value

    def xcom_pull(self, **kwargs: Any) -> Any:
        self.pulls.append(kwargs)
        return self.xcoms.get(kwargs["key"])


class MemoryStore(dict):
    def set(self, key: str, value: Any) -> None:
        self[key] = value


def test_the_real_store_wins_when_airflow_has_one() -> None:
    store = MemoryStore()
    assert task_state_store({"task_state_store": store, "ti": RecordingTI()}) is store
    job = Job({"task_state_store": store}, "abc")
    job.data["task_hash"] = "h1"
    job.save()
    assert store[JOB_KEY] == {VERSION_FIELD: STATE_VERSION, "fingerprint": "abc", "task_hash": "h1"} and job.durable


def test_without_a_store_the_job_survives_a_deferral_in_the_task_instance_xcom() -> None:
    ti = RecordingTI()
    job = Job({"ti": ti}, "abc")
    assert isinstance(job._store, DeferralStore) and not job.durable  # a retry still starts again
    job.data["queued"] = ["a@example.com"]
    job.save()
    assert ti.xcoms[JOB_KEY] == {VERSION_FIELD: STATE_VERSION, "fingerprint": "abc", "queued": ["a@example.com"]}
    # the resumption after the deferral: no carried kwargs (airflow dags test), the same try's XCom
    resumed = Job({"ti": ti}, "abc")
    assert resumed.resumed and resumed.data["queued"] == ["a@example.com"]
    assert ti.pulls[-1] == {"task_ids": "verify", "key": JOB_KEY, "map_indexes": -1}


def test_changed_inputs_start_afresh_and_no_context_has_no_store() -> None:
    ti = RecordingTI()
    ti.xcoms[JOB_KEY] = {"fingerprint": "old", "task_hash": "h1"}
    assert Job({"ti": ti}, "new").data == {VERSION_FIELD: STATE_VERSION, "fingerprint": "new"}
    assert task_state_store(None) is None and task_state_store({}) is None
    assert task_state_store({"ti": object()}) is None  # not a task instance: nothing to keep the job in

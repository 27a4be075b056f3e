"""State recorded by an earlier release (unversioned records) is resumed without paying again, against the
sandbox over real HTTP.

The earlier release's records are made the honest way: the operator runs, then each stored record is turned
back into the unversioned layout that release wrote (the job without its ``snovio_state`` field; a per-item
value bare instead of ``{"snovio_state", "value"}``). A retry with this release must read them as they are.
"""

from __future__ import annotations

from typing import Any

from airflow_provider_snovio.operators import (
    SnovioApiOperator,
    SnovioEmailFinderOperator,
    SnovioEmailVerificationOperator,
    SnovioProfileEnrichmentOperator,
)
from airflow_provider_snovio.operators.state import JOB_KEY, STATE_VERSION, VERSION_FIELD
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.airflow.conftest import FAST, MemoryTaskStateStore

EMAILS = ["gavin.vanrooyen@octagon.com", "john.doe@yourdomain.com", "nobody.known@yourdomain.com"]
PEOPLE = [{"first_name": "John", "last_name": "Doe", "domain": "yourdomain.com"}]


def as_earlier_release(store: MemoryTaskStateStore) -> None:
    """Rewrite every record in ``store`` in the unversioned layout of the release before formats were numbered."""
    for key, record in list(store.values.items()):
        assert record[VERSION_FIELD] == STATE_VERSION  # this release wrote it
        if key == JOB_KEY:
            store.values[key] = {k: v for k, v in record.items() if k != VERSION_FIELD}
        else:
            store.values[key] = record["value"]


def credits(sandbox: SandboxServer) -> float:
    return sandbox.stats()["credits_spent"]


def requests(sandbox: SandboxServer) -> int:
    return sum(sandbox.stats()["requests"].values())


def rerun_pays_nothing(sandbox: SandboxServer, context: dict[str, Any], store: Any, make: Any) -> int:
    """Run, turn the records into an earlier release's, run again: the same XCom, no credit spent again.
    Returns the requests of the first run."""
    first = make().execute(context)
    spent, sent = credits(sandbox), requests(sandbox)
    assert spent > 0  # the first try paid for something
    as_earlier_release(store)
    again = make().execute(context)
    if "paid_calls" in first:  # enrichment counts what this try paid
        assert again.pop("paid_calls") == 0 and first.pop("paid_calls") > 0
    assert again == first
    assert credits(sandbox) == spent  # nothing paid again
    return sent


def test_v2_verification_job_of_an_earlier_release_is_resumed(sandbox: SandboxServer, context, store) -> None:
    def make() -> Any:
        return SnovioEmailVerificationOperator(task_id="v", emails=EMAILS, api_version="v2", deferrable=False, **FAST)

    rerun_pays_nothing(sandbox, context, store, make)
    assert sandbox.stats()["requests"].get("POST /v2/email-verification/start") == 1  # never started again


def test_v1_verification_job_of_an_earlier_release_reads_nothing_again(sandbox: SandboxServer, context, store) -> None:
    def make() -> Any:
        return SnovioEmailVerificationOperator(
            task_id="v", emails=EMAILS, wait_for_greylisted=False, deferrable=False, **FAST
        )

    sent = rerun_pays_nothing(sandbox, context, store, make)
    assert requests(sandbox) == sent  # every final verdict was in the old job: not even a free read


def test_v1_finder_job_of_an_earlier_release_reads_nothing_again(sandbox: SandboxServer, context, store) -> None:
    def make() -> Any:
        return SnovioEmailFinderOperator(task_id="f", people=PEOPLE, deferrable=False, **FAST)

    first = make().execute(context)
    sent = requests(sandbox)
    as_earlier_release(store)
    assert make().execute(context) == first and requests(sandbox) == sent


def test_paid_answer_of_the_api_operator_of_an_earlier_release_is_returned(
    sandbox: SandboxServer, context, store
) -> None:
    def api() -> Any:
        return SnovioApiOperator(task_id="api", endpoint="start_email_verification", arguments={"emails": EMAILS})

    rerun_pays_nothing(sandbox, context, store, api)


def test_enrichment_of_an_earlier_release_is_returned(sandbox: SandboxServer, context, store) -> None:
    def enrich() -> Any:
        return SnovioProfileEnrichmentOperator(
            task_id="e", emails=["gavin.vanrooyen@octagon.com"], deferrable=False, **FAST
        )

    rerun_pays_nothing(sandbox, context, store, enrich)

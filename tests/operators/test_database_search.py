"""SnovioDatabaseSearchOperator and SnovioDatabaseProspectEmailsOperator (2026 #46-#51) against the sandbox
over real HTTP, waiting on the worker (deferrable=False; the deferrable path is tests/airflow/
test_database_search_deferrable.py). Credits are the sandbox's own count.

A "retry" is a second ``execute`` of a fresh operator with the same ``task_state_store``. Lost answers are
made with ``fault_routes`` + ``drop_rate=1`` + ``fault_phase=after``: the request takes effect (and is
charged), then its answer is cut off.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from airflow_provider_snovio.api.errors import SnovioAnswerLostError, SnovioError, SnovioValidationError
from airflow_provider_snovio.operators import SnovioDatabaseProspectEmailsOperator, SnovioDatabaseSearchOperator
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.operators.account_support import MemoryTaskStateStore, context, credits, requests

FAST = {"poll_interval": 0.01, "timeout": 10.0, "deferrable": False}
#: 104 prospects in the sandbox's data set: 3 pages of 50.
ENGINEERS = {"prospect": {"departments": {"include": ["engineering"]}}}
#: 45 prospects, one page; 39 of them have an e-mail.
OCTAGON = {"company": {"name": {"include": ["octagon"]}}}
INTERNET = {"company": {"industries": {"include": ["internet"]}}}
PROSPECTS_START = "POST /v2/database-search/prospects/start"
PROSPECTS_RESULT = "GET /v2/database-search/prospects/result/{task_hash}"
COMPANIES_START = "POST /v2/database-search/companies/start"
REVEAL_START = "POST /v2/database-search/prospects/search-emails/start/{reveal_hash}"
REVEAL_PREFIX = "POST /v2/database-search/prospects/search-emails/start"


def _search(**kwargs: Any) -> SnovioDatabaseSearchOperator:
    return SnovioDatabaseSearchOperator(task_id="db", **{**FAST, **kwargs})


def lose_answers(sandbox: SandboxServer, route: str) -> None:
    sandbox.configure(fault_routes=route, drop_rate=1.0, fault_phase="after")


def test_prospects_are_paged_to_the_end_for_free_into_json_lines(snovio_conn_env: SandboxServer, tmp_path) -> None:
    out = tmp_path / "prospects.jsonl"
    xcom = _search(filters=ENGINEERS, output_path=f"file://{out}").execute(context(MemoryTaskStateStore()))
    assert (xcom["total"], xcom["total_pages"], xcom["pages_read"]) == (104, 3, 3)
    assert xcom["counts"] == {"rows": 104} and xcom["page_refused"] is None
    assert len(xcom["reveal_hashes"]) == 104 and len(set(xcom["task_hashes"]["pages"])) == 3
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["page"] for r in rows] == [1] * 50 + [2] * 50 + [3] * 4
    assert all(r["email_and_hidden_info_reveal"].endswith(h) for r, h in zip(rows, xcom["reveal_hashes"], strict=True))
    assert "email_and_hidden_info_reveal" not in json.dumps(xcom)  # the rows are in the file, not the XCom
    assert requests(snovio_conn_env, PROSPECTS_START) == 3 and credits(snovio_conn_env) == 0


def test_max_pages_stops_the_paging(snovio_conn_env: SandboxServer) -> None:
    xcom = _search(filters=ENGINEERS, max_pages=2).execute(context())
    assert (xcom["pages_read"], xcom["counts"]["rows"], xcom["total_pages"]) == (2, 100, 3)
    assert requests(snovio_conn_env, PROSPECTS_START) == 2


def test_a_free_account_gets_page_one_and_a_retry_asks_no_more(snovio_conn_env: SandboxServer) -> None:
    snovio_conn_env.configure(database_free_account=True)
    store = MemoryTaskStateStore()
    xcom = _search(filters=ENGINEERS).execute(context(store))
    assert xcom["pages_read"] == 1 and xcom["counts"]["rows"] == 50 and xcom["total_pages"] == 3
    assert xcom["page_refused"]["page"] == 2 and "first page" in xcom["page_refused"]["reason"]
    assert requests(snovio_conn_env, PROSPECTS_START) == 2  # page 1, then page 2 refused: no page 3
    again = _search(filters=ENGINEERS).execute(context(store))
    assert again == xcom and requests(snovio_conn_env, PROSPECTS_START) == 2


def test_companies_cost_one_credit_a_page_and_a_retry_after_success_pays_nothing(
    snovio_conn_env: SandboxServer,
) -> None:
    store = MemoryTaskStateStore()
    xcom = _search(search="companies", filters=INTERNET).execute(context(store))
    assert xcom["domains"] == ["brightlabs.com", "sendpulse.com"] and xcom["counts"] == {"rows": 2}
    assert "reveal_hashes" not in xcom
    assert credits(snovio_conn_env) == 1 and requests(snovio_conn_env, COMPANIES_START) == 1
    retry = _search(search="companies", filters=INTERNET).execute(context(store))
    assert retry == xcom
    assert credits(snovio_conn_env) == 1 and requests(snovio_conn_env, COMPANIES_START) == 1


def test_lost_answer_of_a_company_page_is_resent_and_not_paid_twice(snovio_conn_env: SandboxServer) -> None:
    store = MemoryTaskStateStore()
    lose_answers(snovio_conn_env, COMPANIES_START)
    with pytest.raises(SnovioError) as lost:
        _search(search="companies", filters=INTERNET).execute(context(store))
    assert not isinstance(lost.value, SnovioAnswerLostError)
    assert credits(snovio_conn_env) == 1 and requests(snovio_conn_env, COMPANIES_START) == 1  # charged, lost
    snovio_conn_env.configure(drop_rate=0.0)
    xcom = _search(search="companies", filters=INTERNET).execute(context(store))  # no allow_repay needed
    assert xcom["domains"] == ["brightlabs.com", "sendpulse.com"]
    assert requests(snovio_conn_env, COMPANIES_START) == 2 and credits(snovio_conn_env) == 1  # once per request


def test_lost_answer_of_a_free_prospect_page_is_resent_without_allow_repay(
    snovio_conn_env: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The client resends a free start itself; once its retries are spent, the task's retry sends it again
    (no allow_repay: nothing can be paid twice)."""
    conn = json.loads(snovio_conn_env.connection_json())
    conn["extra"]["max_retries"] = 0
    monkeypatch.setenv("AIRFLOW_CONN_SNOVIO_DEFAULT", json.dumps(conn))
    store = MemoryTaskStateStore()
    lose_answers(snovio_conn_env, PROSPECTS_START)
    with pytest.raises(SnovioError):
        _search(filters=OCTAGON).execute(context(store))
    assert requests(snovio_conn_env, PROSPECTS_START) == 1
    snovio_conn_env.configure(drop_rate=0.0)
    xcom = _search(filters=OCTAGON).execute(context(store))
    assert xcom["counts"]["rows"] == 45 and requests(snovio_conn_env, PROSPECTS_START) == 2
    assert credits(snovio_conn_env) == 0


def test_revealing_pays_once_per_prospect_with_an_email_even_across_a_retry(
    snovio_conn_env: SandboxServer, tmp_path
) -> None:
    out = tmp_path / "revealed.jsonl"
    store = MemoryTaskStateStore()
    xcom = _search(filters=OCTAGON, reveal_emails=True, output_path=str(out)).execute(context(store))
    counts = xcom["counts"]
    assert counts["rows"] == counts["revealed"] == 45 and 0 < counts["with_email"] < 45
    assert credits(snovio_conn_env) == counts["with_email"] and requests(snovio_conn_env, REVEAL_START) == 45
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    with_email = [r for r in rows if r["emails"]]
    assert len(with_email) == counts["with_email"] and sum(len(r["emails"]) for r in rows) == counts["emails"]
    revealed = with_email[0]["revealed"]
    assert "***" in with_email[0]["first_name"] and "***" not in revealed["first_name"]  # the reveal unmasks
    assert {"email", "smtp_status"} <= set(with_email[0]["emails"][0])
    retry = _search(filters=OCTAGON, reveal_emails=True, output_path=str(out)).execute(context(store))
    assert retry == xcom
    assert credits(snovio_conn_env) == counts["with_email"] and requests(snovio_conn_env, REVEAL_START) == 45


def test_lost_answer_of_a_reveal_is_resent_and_not_paid_twice(snovio_conn_env: SandboxServer) -> None:
    hashes = _search(filters=OCTAGON).execute(context())["reveal_hashes"][:3]
    snovio_conn_env.reset()
    store = MemoryTaskStateStore()

    def make() -> SnovioDatabaseProspectEmailsOperator:
        return SnovioDatabaseProspectEmailsOperator(task_id="reveal", reveal_hashes=hashes, **FAST)

    lose_answers(snovio_conn_env, REVEAL_PREFIX)
    with pytest.raises(SnovioError) as lost:
        make().execute(context(store))
    assert not isinstance(lost.value, SnovioAnswerLostError)
    charged = credits(snovio_conn_env)
    assert requests(snovio_conn_env, REVEAL_START) == 1 and charged <= 1
    snovio_conn_env.configure(drop_rate=0.0)
    xcom = make().execute(context(store))
    assert list(xcom["emails"]) == hashes and len(xcom["task_hashes"]) == 3
    assert requests(snovio_conn_env, REVEAL_START) == 1 + 3  # the lost one once more, the others once
    assert credits(snovio_conn_env) == xcom["counts"]["with_email"]  # the lost one was not charged again


def test_reveal_operator_writes_json_lines(snovio_conn_env: SandboxServer, tmp_path) -> None:
    hashes = _search(filters=OCTAGON).execute(context())["reveal_hashes"][:4]
    out = tmp_path / "emails.jsonl"
    xcom = SnovioDatabaseProspectEmailsOperator(
        task_id="reveal", reveal_hashes=[*hashes, hashes[0]], output_path=f"file://{out}", **FAST
    ).execute(context())
    assert xcom["counts"]["prospects"] == 4 and requests(snovio_conn_env, REVEAL_START) == 4  # a repeat is one
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["reveal_hash"] for r in rows] == hashes
    assert [[e["email"] for e in r["emails"]] for r in rows] == [xcom["emails"][h] for h in hashes]
    assert credits(snovio_conn_env) == xcom["counts"]["with_email"]


def test_charged_result_reads_are_paid_once_across_a_retry(snovio_conn_env: SandboxServer) -> None:
    """Under the reading where #47's first completed read of a page costs a credit, a retry re-reads its
    recorded pages without paying again."""
    snovio_conn_env.configure(database_results_charged=True)
    store = MemoryTaskStateStore()
    first = _search(filters=ENGINEERS).execute(context(store))
    assert credits(snovio_conn_env) == 3
    reads = requests(snovio_conn_env, PROSPECTS_RESULT)
    assert _search(filters=ENGINEERS).execute(context(store)) == first
    assert requests(snovio_conn_env, PROSPECTS_RESULT) == reads + 3 and credits(snovio_conn_env) == 3


def test_rerun_after_the_hashes_expired_restarts_each_page_once_for_free(
    snovio_conn_env: SandboxServer, capsys
) -> None:
    snovio_conn_env.configure(task_hash_ttl_seconds=0.5)
    store = MemoryTaskStateStore()
    first = _search(search="companies", filters=INTERNET).execute(context(store))
    time.sleep(0.6)  # every recorded hash has expired
    capsys.readouterr()
    again = _search(search="companies", filters=INTERNET).execute(context(store))
    assert again["domains"] == first["domains"] and again["task_hashes"] != first["task_hashes"]
    assert requests(snovio_conn_env, COMPANIES_START) == 2 and credits(snovio_conn_env) == 1
    assert "starting it again once, which costs no credit" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"filters": {"prospect": {"departments": {"include": ["plumbing"]}}}}, "filters.prospect.departments"),
        ({"filters": {"company": {"size": {"include": ["huge"]}}}}, "filters.company.size"),
        ({"filters": {}}, "filters"),
        ({"search": "companies", "filters": {"prospect": {"skills": {"include": ["SQL"]}}}}, "filters.prospect"),
        ({"search": "people", "filters": ENGINEERS}, "search"),
        ({"filters": ENGINEERS, "max_pages": 0}, "max_pages"),
        ({"search": "companies", "filters": INTERNET, "reveal_emails": True}, "reveal_emails"),
    ],
)
def test_bad_input_is_refused_naming_the_field_before_any_request(
    snovio_conn_env: SandboxServer, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(SnovioValidationError) as refused:
        _search(**arguments).execute(context(MemoryTaskStateStore()))
    assert refused.value.field.startswith(field) and field in str(refused.value)
    assert requests(snovio_conn_env) == 0 and credits(snovio_conn_env) == 0


@pytest.mark.parametrize(
    ("hashes", "field"),
    [([], "reveal_hashes"), ("abc", "reveal_hashes"), (["../../v1/get-balance"], "reveal_hashes[0]")],
)
def test_bad_reveal_hashes_are_refused_before_any_request(
    snovio_conn_env: SandboxServer, hashes: Any, field: str
) -> None:
    with pytest.raises(SnovioValidationError) as refused:
        SnovioDatabaseProspectEmailsOperator(task_id="r", reveal_hashes=hashes, **FAST).execute(context())
    assert refused.value.field == field and requests(snovio_conn_env) == 0


def test_the_manual_example_builds_inside_a_dag() -> None:
    """docs/operators.md's example of the 2026 paid families: the names and parameters it shows are real."""
    import re
    from pathlib import Path

    from airflow.sdk import DAG

    doc = (Path(__file__).resolve().parents[2] / "docs" / "operators.md").read_text()
    section = doc.split("## Database search and enrichment v2 (2026, paid)", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```python\n(.*?)```", section, flags=re.S)
    with DAG("manual_database_search", schedule=None) as dag:
        exec(compile(block, "docs/operators.md", "exec"), {})
    assert set(dag.task_ids) == {"cto_prospects", "companies", "first_ten", "reveal", "domains", "profiles"}
    for task_id in ("cto_prospects", "companies", "domains", "profiles"):  # its inputs pass validation (no I/O)
        assert dag.get_task(task_id).check_inputs()


def test_rerun_after_the_reveal_hashes_expired_reveals_again_for_free(snovio_conn_env: SandboxServer) -> None:
    hashes = _search(filters=OCTAGON).execute(context())["reveal_hashes"][:4]
    snovio_conn_env.reset()
    snovio_conn_env.configure(task_hash_ttl_seconds=0.5)
    store = MemoryTaskStateStore()

    def make() -> SnovioDatabaseProspectEmailsOperator:
        return SnovioDatabaseProspectEmailsOperator(task_id="reveal", reveal_hashes=hashes, **FAST)

    first = make().execute(context(store))
    paid = credits(snovio_conn_env)
    assert paid == first["counts"]["with_email"] > 0
    time.sleep(0.6)
    again = make().execute(context(store))
    assert again["emails"] == first["emails"] and requests(snovio_conn_env, REVEAL_START) == 8  # each once more
    assert credits(snovio_conn_env) == paid  # charged once per prospect

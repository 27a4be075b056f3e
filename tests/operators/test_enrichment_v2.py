"""SnovioCompanyDomainOperator (#42/#43) and SnovioLinkedInProfilesOperator (#44/#45) against the sandbox over
real HTTP, waiting on the worker (deferrable=False; the deferrable path is tests/airflow/
test_database_search_deferrable.py). Credits are the sandbox's own count.

A "retry" is a second ``execute`` of a fresh operator with the same ``task_state_store``.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from airflow_provider_snovio.api.errors import (
    SnovioAnswerLostError,
    SnovioError,
    SnovioTaskExpiredError,
    SnovioTooManyProcessingError,
    SnovioValidationError,
)
from airflow_provider_snovio.operators import SnovioCompanyDomainOperator, SnovioLinkedInProfilesOperator
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.operators.account_support import MemoryTaskStateStore, context, credits, requests

FAST = {"poll_interval": 0.01, "timeout": 10.0, "deferrable": False}
KNOWN = {"Octagon": "octagon.com", "Bluelabs": "bluelabs.io", "Sendpulse": "sendpulse.com"}
#: 3 companies the sandbox knows among 12 names: two tasks (10 + 2 names), 3 credits.
NAMES = [*KNOWN, *(f"Unknown Company {i}" for i in range(9))]
EMILY = "https://www.linkedin.com/in/emily-nguyen-62cef2/"
PATRICIA = "https://www.linkedin.com/in/patricia-jackson-53070e/"
UNKNOWN_URL = "https://www.linkedin.com/in/no-such-person-000000"
DOMAIN_START = "POST /v2/company-domain-by-name/start"
PROFILES_START = "POST /v2/li-profiles-by-urls/start"


def _domains(**kwargs: Any) -> SnovioCompanyDomainOperator:
    return SnovioCompanyDomainOperator(task_id="domains", **{**FAST, "names": NAMES, **kwargs})


def _profiles(**kwargs: Any) -> SnovioLinkedInProfilesOperator:
    return SnovioLinkedInProfilesOperator(task_id="profiles", **{**FAST, "urls": [EMILY, UNKNOWN_URL], **kwargs})


def test_company_domains_ten_names_a_task_one_credit_per_domain(snovio_conn_env: SandboxServer, tmp_path) -> None:
    out = tmp_path / "domains.jsonl"
    xcom = _domains(names=[*NAMES, "OCTAGON"], output_path=f"file://{out}").execute(context())
    assert xcom["domains"] == {**KNOWN, **{n: None for n in NAMES[3:]}}  # "OCTAGON" is Octagon: asked once
    assert xcom["counts"] == {"names": 12, "found": 3} and len(xcom["task_hashes"]) == 2
    assert requests(snovio_conn_env, DOMAIN_START) == 2 and credits(snovio_conn_env) == 3
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert rows[:4] == [{"name": n, "domain": d} for n, d in [*KNOWN.items(), (NAMES[3], None)]]


def test_company_domains_retry_after_success_pays_nothing(snovio_conn_env: SandboxServer) -> None:
    store = MemoryTaskStateStore()
    first = _domains().execute(context(store))
    retry = _domains().execute(context(store))
    assert retry == first
    assert requests(snovio_conn_env, DOMAIN_START) == 2 and credits(snovio_conn_env) == 3


def test_company_domains_lost_answer_is_refused_then_repaid_once(snovio_conn_env: SandboxServer) -> None:
    store = MemoryTaskStateStore()
    snovio_conn_env.configure(fault_routes=DOMAIN_START, drop_rate=1.0, fault_phase="after")
    with pytest.raises(SnovioError) as lost:
        _domains(names=list(KNOWN)).execute(context(store))
    assert not isinstance(lost.value, SnovioAnswerLostError)
    assert requests(snovio_conn_env, DOMAIN_START) == 1 and credits(snovio_conn_env) == 3  # charged, answer lost
    snovio_conn_env.configure(drop_rate=0.0)
    with pytest.raises(SnovioAnswerLostError, match="allow_repay=True") as refused:
        _domains(names=list(KNOWN)).execute(context(store))
    assert refused.value.items == 3
    assert requests(snovio_conn_env, DOMAIN_START) == 1 and credits(snovio_conn_env) == 3  # nothing sent
    xcom = _domains(names=list(KNOWN), allow_repay=True).execute(context(store))
    assert xcom["domains"] == KNOWN
    assert requests(snovio_conn_env, DOMAIN_START) == 2 and credits(snovio_conn_env) == 6  # paid once more


def test_company_domains_rerun_after_expiry_pays_again_once_and_never_loops(
    snovio_conn_env: SandboxServer, capsys
) -> None:
    snovio_conn_env.configure(task_hash_ttl_seconds=0.5)
    store = MemoryTaskStateStore()
    first = _domains(names=list(KNOWN)).execute(context(store))
    time.sleep(0.6)
    capsys.readouterr()
    assert _domains(names=list(KNOWN)).execute(context(store))["domains"] == first["domains"]
    assert requests(snovio_conn_env, DOMAIN_START) == 2 and credits(snovio_conn_env) == 6
    assert "which costs up to 3 credit(s) again" in capsys.readouterr().out
    # a task forgotten again right after its restart: the try fails instead of paying in a loop
    snovio_conn_env.reset()
    snovio_conn_env.configure(task_delay_seconds=0.2, task_polls_pending=0, task_hash_ttl_seconds=0.05)
    with pytest.raises(SnovioTaskExpiredError):
        _domains(names=list(KNOWN), poll_interval=0.4).execute(context(MemoryTaskStateStore()))
    assert requests(snovio_conn_env, DOMAIN_START) == 2  # started, restarted once


def test_unique_charging_reading_changes_the_bill_not_the_answer(snovio_conn_env: SandboxServer) -> None:
    """Whether #42 charges a name found before again is undocumented (knob): the XCom is the same either way."""
    first = _domains(names=list(KNOWN)).execute(context())
    second = _domains(names=list(KNOWN)).execute(context())  # a new run: no job to resume
    assert second["domains"] == first["domains"] and credits(snovio_conn_env) == 6
    snovio_conn_env.reset()
    snovio_conn_env.configure(enrichment_charge_unique=True)
    assert _domains(names=list(KNOWN)).execute(context())["domains"] == first["domains"]
    assert _domains(names=list(KNOWN)).execute(context())["domains"] == first["domains"]
    assert credits(snovio_conn_env) == 3


def test_linkedin_profiles_one_credit_per_profile_and_json_lines(snovio_conn_env: SandboxServer, tmp_path) -> None:
    out = tmp_path / "profiles.jsonl"
    store = MemoryTaskStateStore()
    xcom = _profiles(urls=[EMILY, UNKNOWN_URL, PATRICIA], output_path=str(out)).execute(context(store))
    assert xcom["counts"] == {"urls": 3, "found": 2} and credits(snovio_conn_env) == 2
    assert xcom["profiles"][UNKNOWN_URL] == {"found": False}
    emily = xcom["profiles"][EMILY]
    assert emily["found"] is True and emily["name"] == "Emily Nguyen" and emily["company"] == "Bluelabs"
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["url"], r["found"]) for r in rows] == [(EMILY, True), (UNKNOWN_URL, False), (PATRICIA, True)]
    assert rows[0]["profile"]["positions"] and "positions" not in json.dumps(xcom)  # full profile: file only
    assert _profiles(urls=[EMILY, UNKNOWN_URL, PATRICIA]).execute(context(store))["profiles"] == xcom["profiles"]
    assert requests(snovio_conn_env, PROFILES_START) == 1 and credits(snovio_conn_env) == 2  # the retry paid nothing


def test_linkedin_profiles_lost_answer_is_refused_without_allow_repay(snovio_conn_env: SandboxServer) -> None:
    store = MemoryTaskStateStore()
    snovio_conn_env.configure(fault_routes=PROFILES_START, drop_rate=1.0, fault_phase="after")
    with pytest.raises(SnovioError):
        _profiles().execute(context(store))
    snovio_conn_env.configure(drop_rate=0.0)
    with pytest.raises(SnovioAnswerLostError) as refused:
        _profiles().execute(context(store))
    assert refused.value.items == 2 and requests(snovio_conn_env, PROFILES_START) == 1
    assert credits(snovio_conn_env) == 1


def test_linkedin_profiles_are_chunked_by_ten(snovio_conn_env: SandboxServer) -> None:
    urls = [f"https://www.linkedin.com/in/nobody-{i:03d}" for i in range(21)]
    xcom = _profiles(urls=urls).execute(context())
    assert xcom["counts"] == {"urls": 21, "found": 0} and len(xcom["task_hashes"]) == 3
    assert requests(snovio_conn_env, PROFILES_START) == 3 and credits(snovio_conn_env) == 0


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: _domains(names=[]), "names"),
        (lambda: _domains(names="Octagon, Bluelabs"), None),  # one string is one name: allowed
        (lambda: _domains(names=["Octagon", " "]), "names[1]"),
        (lambda: _domains(names=["Octagon", 42]), "names[1]"),
        (lambda: _profiles(urls=["https://example.com/in/john"]), "urls[0]"),
        (lambda: _profiles(urls=[EMILY, "linkedin.com/in/x"]), "urls[1]"),
        (lambda: _profiles(urls=[]), "urls"),
        (lambda: _profiles(poll_interval=-1), "poll_interval"),
    ],
)
def test_bad_input_is_refused_naming_the_field_before_any_request(
    snovio_conn_env: SandboxServer, make: Any, field: str | None
) -> None:
    if field is None:
        assert make().execute(context())["counts"]["names"] == 1
        return
    with pytest.raises(SnovioValidationError) as refused:
        make().execute(context(MemoryTaskStateStore()))
    assert refused.value.field == field and field in str(refused.value)
    assert requests(snovio_conn_env) == 0 and credits(snovio_conn_env) == 0


class QuotaOnce:
    """Snov.io answers the ``n``-th start of ``row`` with "too many prospects processing" (refused before any
    work, so nothing charged); every other call goes to the sandbox over HTTP unchanged."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, row: str, n: int, retry_after: float) -> None:
        from airflow_provider_snovio.hooks.snovio import SnovioHook

        self.starts, real = 0, SnovioHook.call

        def call(hook: Any, endpoint: Any, *args: Any, **kwargs: Any) -> Any:
            if getattr(endpoint, "name", endpoint) == row:
                self.starts += 1
                if self.starts == n:
                    raise SnovioTooManyProcessingError("too many prospects processing", retry_after=retry_after)
            return real(hook, endpoint, *args, **kwargs)

        monkeypatch.setattr(SnovioHook, "call", call)


def test_the_hourly_quota_is_waited_out_on_the_worker_when_it_fits_the_timeout(
    snovio_conn_env: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    QuotaOnce(monkeypatch, "start_company_domain_by_name", 2, retry_after=0.3)
    started = time.monotonic()
    xcom = _domains().execute(context(MemoryTaskStateStore()))
    assert time.monotonic() - started >= 0.3 and xcom["counts"] == {"names": 12, "found": 3}
    assert requests(snovio_conn_env, DOMAIN_START) == 2 and credits(snovio_conn_env) == 3  # chunk 1 not resent


def test_the_hourly_quota_beyond_the_timeout_fails_the_try_and_the_retry_starts_only_the_rest(
    snovio_conn_env: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    QuotaOnce(monkeypatch, "start_company_domain_by_name", 2, retry_after=3600)
    store = MemoryTaskStateStore()
    with pytest.raises(SnovioTooManyProcessingError) as quota:
        _domains(timeout=1.0).execute(context(store))
    assert quota.value.retry_after == 3600 and requests(snovio_conn_env, DOMAIN_START) == 1
    xcom = _domains().execute(context(store))  # the retry, after retry_delay
    assert xcom["counts"]["found"] == 3
    assert requests(snovio_conn_env, DOMAIN_START) == 2 and credits(snovio_conn_env) == 3

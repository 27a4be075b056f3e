"""Paid work at a real plan's scale (issue 13): expired task hashes, lost answers of paid POSTs, the hourly
quota without a triggerer, and creating POSTs whose answer is lost - against the sandbox over real HTTP.

A "try" is one ``execute`` of a fresh operator with the same ``task_state_store`` (what an Airflow retry
of the task instance sees). Lost answers are made with the sandbox's ``fault_routes`` + ``drop_rate=1`` +
``fault_phase=after``: the chosen request takes effect (and is charged), then its answer is cut off.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from airflow.sdk.exceptions import TaskDeferred

from airflow_provider_snovio.api.errors import (
    SnovioAnswerLostError,
    SnovioError,
    SnovioTaskExpiredError,
    SnovioTooManyProcessingError,
)
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.operators import (
    SnovioApiOperator,
    SnovioCreateListOperator,
    SnovioDomainSearchOperator,
    SnovioEmailFinderOperator,
    SnovioEmailVerificationOperator,
    SnovioProfileEnrichmentOperator,
    SnovioProspectEmailsOperator,
    SnovioWebhookOperator,
)
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.airflow.conftest import FAST, run_trigger, run_with_triggers

EMAILS = ["gavin.vanrooyen@octagon.com", "john.doe@yourdomain.com", "nobody.known@yourdomain.com"]
PEOPLE = [
    {"first_name": "Gavin", "last_name": "Vanrooyen", "domain": "octagon.com"},
    {"first_name": "John", "last_name": "Doe", "domain": "yourdomain.com"},
]
PROFILE_URL = "https://www.linkedin.com/in/john-doe-123456"
#: A task that completes 0.2 s after its start and is forgotten 0.05 s later: an operator polling every
#: 0.4 s always finds it gone (the worst case: every restart expires too).
ALWAYS_EXPIRED = {"task_delay_seconds": 0.2, "task_polls_pending": 0, "task_hash_ttl_seconds": 0.05}
SLOW = {"poll_interval": 0.4, "timeout": 10.0}


def credits(sandbox: SandboxServer) -> float:
    return sandbox.stats()["credits_spent"]


def requests_to(sandbox: SandboxServer, route: str) -> int:
    return sandbox.stats()["requests"].get(route, 0)


def lose_answers(sandbox: SandboxServer, route: str) -> None:
    """The next requests to ``route`` take effect, then their answer is lost (connection dropped)."""
    sandbox.configure(fault_routes=route, drop_rate=1.0, fault_phase="after")


def use_connection(monkeypatch: pytest.MonkeyPatch, sandbox: SandboxServer, **extra: Any) -> None:
    conn = json.loads(sandbox.connection_json())
    conn["extra"].update(extra)
    monkeypatch.setenv("AIRFLOW_CONN_SNOVIO_DEFAULT", json.dumps(conn))


def prospect_hashes(sandbox: SandboxServer, count: int) -> list[str]:
    search = SnovioDomainSearchOperator(
        task_id="ds", domain="octagon.com", include=["prospects"], max_pages=1, deferrable=False, **FAST
    ).execute({})
    sandbox.reset()
    return search["prospect_hashes"][:count]


# --- item 3: an expired task_hash ------------------------------------------------------------------

V2_START = "POST /v2/email-verification/start"
FINDER_START = "POST /v2/emails-by-domain-by-name/start"
COMPANY_START = "POST /v2/domain-search/start"
PROSPECTS_START = "POST /v2/domain-search/prospects/start"
PROSPECT_EMAILS_START = "POST /v2/domain-search/prospects/search-emails/start/{prospect_hash}"


def test_rerun_after_the_hashes_expired_restarts_each_page_once(sandbox: SandboxServer, context, capsys) -> None:
    sandbox.configure(task_hash_ttl_seconds=0.5)

    def make():
        return SnovioDomainSearchOperator(
            task_id="ds",
            domain="octagon.com",
            include=["company", "prospects"],
            max_pages=2,
            deferrable=False,
            **FAST,
        )

    first = make().execute(context)
    assert requests_to(sandbox, COMPANY_START) == 1 and requests_to(sandbox, PROSPECTS_START) == 2
    spent = credits(sandbox)
    time.sleep(0.6)  # every recorded hash has expired
    again = make().execute(context)  # a rerun of the same task instance: the job is there, its hashes are not
    assert again["counts"] == first["counts"] and again["company"] == first["company"]
    assert requests_to(sandbox, COMPANY_START) == 2 and requests_to(sandbox, PROSPECTS_START) == 4  # one each
    logged = capsys.readouterr().out
    assert logged.count("starting it again once, which costs no credit") == 3  # the log line says the cost
    assert credits(sandbox) == spent  # Snov.io charges a domain search once per unique request


def test_domain_search_never_loops_on_an_expired_hash(sandbox: SandboxServer, context) -> None:
    sandbox.configure(**ALWAYS_EXPIRED)
    for attempt in (1, 2):
        op = SnovioDomainSearchOperator(
            task_id="ds", domain="octagon.com", include=["company"], deferrable=False, **SLOW
        )
        with pytest.raises(SnovioTaskExpiredError, match="again after it was started anew"):
            op.execute(context)
        assert requests_to(sandbox, COMPANY_START) == 1 + attempt  # the first start, then one restart per try


def test_prospect_emails_never_loop_on_an_expired_hash_even_deferred(sandbox: SandboxServer, context) -> None:
    hashes = prospect_hashes(sandbox, 2)
    sandbox.configure(**ALWAYS_EXPIRED)
    op = SnovioProspectEmailsOperator(task_id="pe", prospect_hashes=hashes, deferrable=True, **SLOW)
    with pytest.raises(SnovioTaskExpiredError):
        run_with_triggers(op, context)
    assert requests_to(sandbox, PROSPECT_EMAILS_START) == 2 * 2  # each prospect: started, restarted once


@pytest.mark.parametrize("deferrable", [False, True])
def test_v2_verification_never_loops_on_an_expired_hash(sandbox: SandboxServer, context, deferrable: bool) -> None:
    sandbox.configure(**ALWAYS_EXPIRED)
    for attempt in (1, 2):
        op = SnovioEmailVerificationOperator(
            task_id="v", emails=EMAILS, api_version="v2", deferrable=deferrable, **SLOW
        )
        with pytest.raises(SnovioTaskExpiredError):
            run_with_triggers(op, context)
        assert requests_to(sandbox, V2_START) == 1 + attempt
        assert credits(sandbox) == len(EMAILS) * (1 + attempt)  # what each restart costs, and no more


def test_an_expired_hash_restarts_once_per_try_number_even_when_each_resume_is_a_new_operator(
    sandbox: SandboxServer, store
) -> None:
    """In Airflow every resume after a deferral runs a new operator object (a new process) of the same try:
    "once per item per try" must hold by the task instance's ``try_number``, not by the object."""
    from types import SimpleNamespace

    sandbox.configure(**ALWAYS_EXPIRED)

    def make() -> Any:
        return SnovioEmailVerificationOperator(task_id="v", emails=EMAILS, api_version="v2", deferrable=True, **SLOW)

    def one_try(try_number: int) -> None:
        context = {"task_state_store": store, "ti": SimpleNamespace(try_number=try_number)}
        method, kwargs = make().execute, {}
        for _ in range(10):
            try:
                method(context, **kwargs)
                return
            except TaskDeferred as deferred:
                (event,) = run_trigger(deferred.trigger)
                method = getattr(make(), deferred.method_name)  # the resume: a fresh object
                kwargs = {"event": event, **(deferred.kwargs or {})}
        raise AssertionError("an expired hash was started again on every resume")

    for try_number in (1, 2):
        with pytest.raises(SnovioTaskExpiredError):
            one_try(try_number)
        assert requests_to(sandbox, V2_START) == 1 + try_number  # the first start, then one restart per try


def test_v2_verification_rerun_after_expiry_pays_once_more(sandbox: SandboxServer, context, capsys) -> None:
    sandbox.configure(task_hash_ttl_seconds=0.5)

    def make():
        return SnovioEmailVerificationOperator(
            task_id="v",
            emails=EMAILS,
            api_version="v2",
            deferrable=False,
            **FAST,
        )

    first = make().execute(context)
    assert credits(sandbox) == len(EMAILS)
    time.sleep(0.6)
    capsys.readouterr()
    assert make().execute(context)["results"] == first["results"]
    assert requests_to(sandbox, V2_START) == 2 and credits(sandbox) == 2 * len(EMAILS)
    assert f"which costs up to {len(EMAILS)} credit(s) again" in capsys.readouterr().out


def test_v2_finder_never_loops_on_an_expired_hash(sandbox: SandboxServer, context) -> None:
    sandbox.configure(**ALWAYS_EXPIRED)
    op = SnovioEmailFinderOperator(task_id="f", people=PEOPLE, api_version="v2", deferrable=False, **SLOW)
    with pytest.raises(SnovioTaskExpiredError):
        op.execute(context)
    assert requests_to(sandbox, FINDER_START) == 2
    spent = credits(sandbox)
    op = SnovioEmailFinderOperator(task_id="f", people=PEOPLE, api_version="v2", deferrable=False, **SLOW)
    with pytest.raises(SnovioTaskExpiredError):
        op.execute(context)
    assert requests_to(sandbox, FINDER_START) == 3 and credits(sandbox) == spent * 3 / 2


# --- item 4: the lost answer of a paid POST ---------------------------------------------------------


def _lost_then_refused_then_repaid(
    sandbox: SandboxServer, route: str, make: Any, context: dict[str, Any], items: int
) -> tuple[float, Any]:
    """Try 1 loses the answer of ``route`` (charged); try 2 refuses to pay again; try 3 (allow_repay) pays once.

    Returns (credits of one call, try 3's XCom)."""
    lose_answers(sandbox, route)
    with pytest.raises(SnovioError) as lost:
        run_with_triggers(make(False), context)
    assert not isinstance(lost.value, SnovioAnswerLostError)
    charged = credits(sandbox)
    sent = requests_to(sandbox, route)
    assert sent == 1  # the client did not resend the paid call itself
    sandbox.configure(drop_rate=0.0)
    with pytest.raises(SnovioAnswerLostError, match="allow_repay=True") as refused:
        run_with_triggers(make(False), context)
    assert refused.value.items == items and f"charged for {items} item(s)" in str(refused.value)
    assert credits(sandbox) == charged and requests_to(sandbox, route) == 1  # nothing sent, nothing paid
    xcom = run_with_triggers(make(True), context)
    assert requests_to(sandbox, route) == 2  # the lost call exactly once more
    return charged, xcom


def test_lost_answer_of_a_v2_verification_start(sandbox: SandboxServer, context) -> None:
    def make(allow_repay: bool) -> Any:
        return SnovioEmailVerificationOperator(
            task_id="v", emails=EMAILS, api_version="v2", deferrable=True, allow_repay=allow_repay, **FAST
        )

    charged, xcom = _lost_then_refused_then_repaid(sandbox, V2_START, make, context, items=len(EMAILS))
    assert charged == len(EMAILS) and credits(sandbox) == 2 * len(EMAILS)
    assert sorted(xcom["results"]) == sorted(EMAILS)


def test_lost_answer_of_a_v2_finder_start(sandbox: SandboxServer, context) -> None:
    def make(allow_repay: bool) -> Any:
        return SnovioEmailFinderOperator(
            task_id="f", people=PEOPLE, api_version="v2", deferrable=False, allow_repay=allow_repay, **FAST
        )

    charged, xcom = _lost_then_refused_then_repaid(sandbox, FINDER_START, make, context, items=len(PEOPLE))
    assert charged > 0 and credits(sandbox) == 2 * charged
    assert xcom["counts"]["found"] >= 1


#: Every paid start of the domain search operator: its tab and the route whose answer is lost.
DOMAIN_SEARCH_STARTS = {
    "company": COMPANY_START,
    "prospects": PROSPECTS_START,
    "emails": "POST /v2/domain-search/domain-emails/start",
    "generic_contacts": "POST /v2/domain-search/generic-contacts/start",
}


@pytest.mark.parametrize("tab", list(DOMAIN_SEARCH_STARTS))
def test_lost_answer_of_a_domain_search_start_is_resent_free(sandbox: SandboxServer, context, tab: str) -> None:
    route = DOMAIN_SEARCH_STARTS[tab]

    def make():
        return SnovioDomainSearchOperator(
            task_id="ds",
            domain="octagon.com",
            include=[tab],
            max_pages=1,
            deferrable=False,
            **FAST,
        )

    expected = make().execute({})  # what a run that loses nothing returns (and pays: the page's one credit)
    assert (expected["company"] if tab == "company" else expected["counts"][tab]) and credits(sandbox) == 1
    sandbox.reset()
    lose_answers(sandbox, route)
    with pytest.raises(SnovioError) as lost:
        make().execute(context)
    assert not isinstance(lost.value, SnovioAnswerLostError)
    assert credits(sandbox) == 1 and requests_to(sandbox, route) == 1  # charged, answer lost, not resent
    sandbox.configure(drop_rate=0.0)
    xcom = make().execute(context)  # "1 credit per unique request": the identical start is not charged again
    found = ("company", "counts", "prospect_hashes", "emails", "generic_contacts")
    assert {k: xcom[k] for k in found} == {k: expected[k] for k in found}
    assert requests_to(sandbox, route) == 2 and credits(sandbox) == 1


def test_lost_answer_of_a_prospect_emails_start_is_resent_free(sandbox: SandboxServer, context) -> None:
    hashes = prospect_hashes(sandbox, 3)
    lose_answers(sandbox, "POST /v2/domain-search/prospects/search-emails/start")

    def make():
        return SnovioProspectEmailsOperator(
            task_id="pe",
            prospect_hashes=hashes,
            deferrable=False,
            **FAST,
        )

    with pytest.raises(SnovioError):
        make().execute(context)
    charged = credits(sandbox)
    assert requests_to(sandbox, PROSPECT_EMAILS_START) == 1  # the first start failed the try
    sandbox.configure(drop_rate=0.0)
    xcom = make().execute(context)
    assert list(xcom["emails"]) == hashes
    assert requests_to(sandbox, PROSPECT_EMAILS_START) == 1 + 3  # the lost one once more, the others once
    assert credits(sandbox) == xcom["counts"]["with_email"] and charged <= 1  # each prospect charged once


def test_lost_answer_of_a_queued_profile_url_is_found_by_the_free_read(sandbox: SandboxServer, context) -> None:
    lose_answers(sandbox, "POST /v1/add-url-for-search")
    op = SnovioProfileEnrichmentOperator(task_id="e", profile_urls=[PROFILE_URL], deferrable=False, **FAST)
    with pytest.raises(SnovioError):
        op.execute(context)
    assert credits(sandbox) == 1  # queued and charged, answer lost
    sandbox.configure(drop_rate=0.0)
    retry = SnovioProfileEnrichmentOperator(task_id="e", profile_urls=[PROFILE_URL], deferrable=False, **FAST)
    xcom = retry.execute(context)
    assert xcom["profile_urls"][PROFILE_URL]["found"] is True and xcom["paid_calls"] == 0
    assert credits(sandbox) == 1 and requests_to(sandbox, "POST /v1/add-url-for-search") == 1


def test_lost_answer_of_a_queued_profile_url_the_free_read_cannot_find_is_refused_then_repaid_once(
    sandbox: SandboxServer, context
) -> None:
    """The free read finds nothing (Snov.io has no profile for the URL, or has not finished): nothing tells
    whether the lost queueing was charged, so the next try refuses to pay again unless allow_repay."""
    unknown = "https://www.linkedin.com/in/no-such-person-000000"

    def make(allow_repay: bool) -> Any:
        return SnovioProfileEnrichmentOperator(
            task_id="e",
            profile_urls=[unknown],
            allow_repay=allow_repay,
            deferrable=False,
            poll_interval=0.02,
            timeout=0.3,
        )

    charged, xcom = _lost_then_refused_then_repaid(sandbox, "POST /v1/add-url-for-search", make, context, 1)
    assert charged == 1 and credits(sandbox) == 2
    assert xcom["profile_urls"][unknown]["found"] is False


def test_lost_answer_of_an_email_profile_is_refused_then_repaid_once(sandbox: SandboxServer, context) -> None:
    def make(allow_repay: bool) -> Any:
        return SnovioProfileEnrichmentOperator(
            task_id="e", emails=["gavin.vanrooyen@octagon.com"], allow_repay=allow_repay, deferrable=False, **FAST
        )

    charged, xcom = _lost_then_refused_then_repaid(sandbox, "POST /v1/get-profile-by-email", make, context, 1)
    assert charged == 1 and credits(sandbox) == 2
    assert xcom["found"] == 1


def test_lost_answer_of_a_paid_call_of_the_api_operator(sandbox: SandboxServer, context) -> None:
    def make(allow_repay: bool) -> Any:
        return SnovioApiOperator(
            task_id="api", endpoint="start_email_verification", arguments={"emails": EMAILS}, allow_repay=allow_repay
        )

    charged, xcom = _lost_then_refused_then_repaid(sandbox, V2_START, make, context, items=len(EMAILS))
    assert charged == len(EMAILS) and credits(sandbox) == 2 * len(EMAILS)
    assert xcom["data"]["task_hash"]
    again = make(False).execute(context)  # a rerun after success returns the recorded answer, free
    assert again == xcom and credits(sandbox) == 2 * len(EMAILS)


def test_a_refused_paid_start_leaves_no_marker(sandbox: SandboxServer, context, store) -> None:
    sandbox.configure(fault_routes=COMPANY_START, error_rate=1.0, fault_phase="before")

    def make(**kw):
        return SnovioDomainSearchOperator(
            task_id="ds",
            domain="octagon.com",
            include=["company"],
            deferrable=False,
            **kw,
            **FAST,
        )

    with pytest.raises(SnovioError):  # a 5xx: the start may have taken effect
        make().execute(context)
    assert store.values["snovio_job"]["tabs"]["company"]["pages"][0]["paying"] == 1  # the marker is kept
    sandbox.configure(error_rate=0.0, initial_balance=0.0)
    sandbox.reset()  # an empty balance: the start is refused before it is processed
    with pytest.raises(SnovioError) as refused:
        make(allow_repay=True).execute(context)
    assert refused.value.status is not None and 400 <= refused.value.status < 500
    assert "paying" not in store.values["snovio_job"]["tabs"]["company"]["pages"][0]  # certainly not charged
    sandbox.configure(initial_balance=25000.0)
    sandbox.reset()
    xcom = make().execute(context)  # no allow_repay needed: nothing can have been charged
    assert xcom["company"]["company_name"] == "Octagon" and credits(sandbox) == 1


# --- item 6: deferrable=False never defers -----------------------------------------------------------


def verifiable_emails(sandbox: SandboxServer, count: int) -> list[str]:
    """Addresses Snov.io has not verified yet (the v1 verifier then queues them, against the hourly quota)."""
    found = SnovioDomainSearchOperator(
        task_id="ds", domain="octagon.com", include=["emails"], max_pages=1, deferrable=False, **FAST
    ).execute({})["emails"][:count]
    sandbox.reset()
    return found


def test_not_deferrable_raises_a_retryable_error_when_the_quota_frees_too_late(
    sandbox: SandboxServer, context, monkeypatch: pytest.MonkeyPatch
) -> None:
    emails = verifiable_emails(sandbox, 4)
    use_connection(monkeypatch, sandbox, max_retries=0)
    sandbox.configure(verifier_hourly_limit=1)  # the "hour" is 3600 s: far beyond the task's timeout
    op = SnovioEmailVerificationOperator(
        task_id="v", emails=emails, deferrable=False, greylisted_poll_interval=0.01, **FAST
    )
    started = time.monotonic()
    try:
        op.execute(context)
    except TaskDeferred:  # pragma: no cover - the failure this test exists for
        pytest.fail("deferrable=False deferred")
    except SnovioTooManyProcessingError as error:
        assert error.retry_after is not None and error.retry_after > FAST["timeout"]
        assert "not deferrable" in str(error) and "retry_delay" in str(error)
    else:  # pragma: no cover
        pytest.fail("the spent quota was not reported")
    assert time.monotonic() - started < FAST["timeout"]  # did not sit out the hour
    assert credits(sandbox) == 0
    sandbox.configure(verifier_hourly_limit=500)  # the hour has passed: the retry resumes the same job
    retry = SnovioEmailVerificationOperator(
        task_id="v", emails=emails, deferrable=False, greylisted_poll_interval=0.01, **FAST
    )
    assert len(retry.execute(context)["results"]) == len(emails) and credits(sandbox) == len(emails)


def test_not_deferrable_waits_within_its_timeout_for_the_quota(
    sandbox: SandboxServer, context, monkeypatch: pytest.MonkeyPatch
) -> None:
    emails = verifiable_emails(sandbox, 3)
    use_connection(monkeypatch, sandbox, max_retries=0)  # the client gives up at once: the operator waits
    # The sandbox counts every address of a status read or a queueing against the verifier quota: 6 per
    # 2-second "hour" lets one read and one queueing (or two reads) through per window.
    sandbox.configure(verifier_hourly_limit=6, hourly_window_seconds=2.0, greylisted_share=0.0)
    for _ in range(2):
        SnovioHook().get_emails_verification_status(emails)  # spends this "hour"
    op = SnovioEmailVerificationOperator(
        task_id="v", emails=emails, deferrable=False, greylisted_poll_interval=0.01, poll_interval=0.01, timeout=20.0
    )
    started = time.monotonic()
    xcom = op.execute(context)  # raises TaskDeferred if it defers
    assert len(xcom["results"]) == 3 and credits(sandbox) == 3
    assert time.monotonic() - started >= 1.0  # it did wait for the quota, on the worker
    assert sandbox.stats()["too_many_processing"] >= 1


# --- item 7: creating POSTs whose answer is lost ----------------------------------------------------


@pytest.mark.parametrize("fault", ["timeout", "drop"])
def test_a_lost_list_creation_leaves_exactly_one_list(
    sandbox: SandboxServer, context, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    if fault == "timeout":
        use_connection(monkeypatch, sandbox, timeout=0.5)
        sandbox.configure(fault_routes="POST /v1/lists", latency_ms=1500, fault_phase="after")
    else:
        lose_answers(sandbox, "POST /v1/lists")
    list_id = SnovioCreateListOperator(task_id="create", name="Lost answer leads").execute(context)
    named = [i for i, row in sandbox.state.data.lists.items() if row.name == "Lost answer leads"]
    assert named == [list_id]  # not resent by the client: re-listed, found
    sandbox.restore_config()
    again = SnovioCreateListOperator(task_id="create", name="Lost answer leads", exist_ok=False).execute(context)
    assert again == list_id  # the retry reuses it, even with exist_ok=False
    assert [i for i, row in sandbox.state.data.lists.items() if row.name == "Lost answer leads"] == [list_id]


def test_a_list_creation_that_failed_cleanly_is_created_once(sandbox: SandboxServer, context) -> None:
    sandbox.configure(fault_routes="POST /v1/lists", error_rate=1.0, fault_phase="before")  # 5xx, not created
    with pytest.raises(SnovioError):
        SnovioCreateListOperator(task_id="create", name="Second chance").execute(context)
    assert requests_to(sandbox, "POST /v1/lists") == 2  # re-listed (absent), created again once, failed again
    sandbox.restore_config()
    list_id = SnovioCreateListOperator(task_id="create", name="Second chance").execute(context)
    assert [i for i, row in sandbox.state.data.lists.items() if row.name == "Second chance"] == [list_id]


@pytest.mark.parametrize("fault", ["timeout", "drop"])
def test_a_lost_webhook_creation_leaves_exactly_one_webhook(
    sandbox: SandboxServer, context, monkeypatch: pytest.MonkeyPatch, fault: str
) -> None:
    wanted = {
        "event_object": "campaign_email",
        "event_action": "sent",
        "endpoint_url": "https://hooks.example.com/lost-answer",
    }
    if fault == "timeout":
        use_connection(monkeypatch, sandbox, timeout=0.5)
        sandbox.configure(fault_routes="POST /v2/webhooks", latency_ms=1500, fault_phase="after")
    else:
        lose_answers(sandbox, "POST /v2/webhooks")
    xcom = SnovioWebhookOperator(task_id="wh", **wanted).execute(context)
    assert xcom["result"] == "created"
    sandbox.restore_config()
    monkeypatch.setenv("AIRFLOW_CONN_SNOVIO_DEFAULT", sandbox.connection_json())
    listed = SnovioHook().list_webhooks()["data"]
    matching = [item for item in listed if (item.get("data") or item).get("end_point") == wanted["endpoint_url"]]
    assert len(matching) == 1 and (matching[0].get("data") or matching[0])["id"] == xcom["webhook_id"]
    assert SnovioWebhookOperator(task_id="wh", **wanted).execute(context)["result"] == "unchanged"

"""SnovioProfileEnrichmentOperator against the sandbox over HTTP: credits counted by the sandbox."""

from __future__ import annotations

import json
from typing import Any

import pytest

from airflow_provider_snovio.api.errors import SnovioOutOfCreditsError, SnovioTransportError, SnovioValidationError
from airflow_provider_snovio.operators import SnovioProfileEnrichmentOperator
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.operators.account_support import FailOnCall, MemoryTaskStateStore, context, credits, requests

GAVIN, LIZI, NOBODY = "gavin.vanrooyen@octagon.com", "lizi.hamer@octagon.com", "nobody.at.all@example.com"
JOHN_URL = "https://www.linkedin.com/in/john-doe-123456"
UNKNOWN_URL = "https://www.linkedin.com/in/no-such-person-000000"
BY_EMAIL = "POST /v1/get-profile-by-email"
ADD_URL, GET_URL = "POST /v1/add-url-for-search", "POST /v1/get-emails-from-url"
FAST = {"poll_interval": 0.02, "timeout": 5.0}


def _op(**kwargs: Any) -> SnovioProfileEnrichmentOperator:
    return SnovioProfileEnrichmentOperator(task_id="enrich", **{**FAST, **kwargs})


def test_profiles_by_email_cost_one_credit_each_found(snovio_conn_env: SandboxServer, tmp_path) -> None:
    out = tmp_path / "profiles.jsonl"
    result = _op(emails=[GAVIN, NOBODY, GAVIN.upper()], output_path=f"file://{out}").execute(context())
    assert (result["found"], result["not_found"], result["paid_calls"]) == (1, 1, 1)
    assert result["emails"][NOBODY] == {"found": False}
    gavin = result["emails"][GAVIN]
    assert gavin["found"] is True and gavin["name"] == "Gavin Vanrooyen" and gavin["company"] == "Octagon"
    assert credits(snovio_conn_env) == 1
    assert requests(snovio_conn_env, BY_EMAIL) == 2  # the repeated address (any case) is asked once
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(r["input"], r["kind"], r["found"]) for r in rows] == [(GAVIN, "email", True), (NOBODY, "email", False)]
    assert rows[0]["profile"]["currentJobs"]  # the full profile is in the file, not in the XCom
    assert "currentJobs" not in json.dumps(result)


def test_profile_url_is_queued_once_then_found(snovio_conn_env: SandboxServer) -> None:
    result = _op(profile_urls=[JOHN_URL]).execute(context())
    john = result["profile_urls"][JOHN_URL]
    assert john["found"] is True and john["name"] == "John Doe" and john["emails"] == ["johndoe@octagon.com"]
    assert (requests(snovio_conn_env, ADD_URL), credits(snovio_conn_env), result["paid_calls"]) == (1, 1, 1)
    assert requests(snovio_conn_env, GET_URL) == 2  # the free look-up before queueing, then the answer

    again = _op(profile_urls=[JOHN_URL]).execute(context())  # a later run, no task state: free look-up finds it
    assert again["profile_urls"][JOHN_URL]["found"] is True and again["paid_calls"] == 0
    assert (requests(snovio_conn_env, ADD_URL), credits(snovio_conn_env)) == (1, 1)


def test_profile_url_not_found_before_timeout(snovio_conn_env: SandboxServer) -> None:
    result = _op(profile_urls=[UNKNOWN_URL], poll_interval=0.05, timeout=0.3).execute(context())
    assert result["profile_urls"][UNKNOWN_URL] == {"found": False}
    assert result["not_found"] == 1 and credits(snovio_conn_env) == 1
    assert 3 <= requests(snovio_conn_env, GET_URL) <= 0.3 / 0.05 + 2


def test_a_retry_after_running_out_of_credits_pays_only_for_the_rest(snovio_conn_env: SandboxServer) -> None:
    snovio_conn_env.configure(initial_balance=1)
    snovio_conn_env.reset()
    store = MemoryTaskStateStore()
    with pytest.raises(SnovioOutOfCreditsError):
        _op(emails=[GAVIN, LIZI]).execute(context(store))
    assert credits(snovio_conn_env) == 1

    snovio_conn_env.state.balance = 100.0  # the account is topped up before the retry
    result = _op(emails=[GAVIN, LIZI]).execute(context(store))
    assert result["found"] == 2 and result["paid_calls"] == 1
    assert credits(snovio_conn_env) == 2  # Gavin's profile was not bought twice
    assert requests(snovio_conn_env, BY_EMAIL) == 3

    rerun = _op(emails=[GAVIN, LIZI]).execute(context(store))
    assert rerun["emails"] == result["emails"] and credits(snovio_conn_env) == 2


def test_a_retry_while_waiting_for_a_url_does_not_queue_it_again(snovio_conn_env: SandboxServer) -> None:
    store = MemoryTaskStateStore()
    first_try = _op(profile_urls=[JOHN_URL])
    first_try.hook.get_emails_from_url = FailOnCall(  # type: ignore[method-assign]
        first_try.hook.get_emails_from_url, 2, SnovioTransportError("worker lost", sent=False)
    )
    with pytest.raises(SnovioTransportError):
        first_try.execute(context(store))
    assert requests(snovio_conn_env, ADD_URL) == 1

    result = _op(profile_urls=[JOHN_URL]).execute(context(store))
    assert result["profile_urls"][JOHN_URL]["found"] is True and result["paid_calls"] == 0
    assert (requests(snovio_conn_env, ADD_URL), credits(snovio_conn_env)) == (1, 1)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({}, "emails"),
        ({"emails": [], "profile_urls": None}, "emails"),
        ({"emails": [GAVIN, "gavin@"]}, "emails[1]"),
        ({"emails": GAVIN, "profile_urls": ["linkedin.com/in/john"]}, "profile_urls[0]"),
        ({"emails": [GAVIN], "poll_interval": 0}, "poll_interval"),
        ({"emails": [GAVIN], "timeout": "soon"}, "timeout"),
    ],
)
def test_bad_input_is_refused_before_any_request(snovio_conn_env: SandboxServer, kwargs: dict, field: str) -> None:
    with pytest.raises(SnovioValidationError) as caught:
        SnovioProfileEnrichmentOperator(task_id="enrich", **kwargs).execute(context())
    assert caught.value.field == field
    assert requests(snovio_conn_env) == 0 and credits(snovio_conn_env) == 0


def test_templated_fields() -> None:
    assert {"snovio_conn_id", "emails", "profile_urls", "output_path"} <= set(
        SnovioProfileEnrichmentOperator.template_fields
    )

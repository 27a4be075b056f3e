"""§3 of the 2026 edition, "Changes to existing endpoints", through the hook, async client and operators,
over real HTTP to the sandbox (``snovio-api-2026.md`` §2/§3).

Each change whose wording is new gets a sandbox knob serving the 2026 reading (off = the older one), and
the product is shown right under both: #19's required dates, the v2 starts' ``task_hash`` place and the
capitalised status words. #29, #34 and #38 follow the 2026 text in the sandbox directly.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
from typing import Any

import httpx
import pytest

from airflow_provider_snovio.api.async_client import AsyncSnovioClient
from airflow_provider_snovio.api.catalogue import ENDPOINTS
from airflow_provider_snovio.api.errors import SnovioTransportError
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.operators import SnovioAddProspectsToListOperator
from airflow_provider_snovio.operators.email_finder import SnovioEmailFinderOperator
from airflow_provider_snovio.operators.verification import SnovioEmailVerificationOperator
from airflow_provider_snovio.sandbox.data.domains import build_dataset
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.integration.conftest import FAST_RETRIES
from tests.integration.refusals import refusal
from tests.operators.account_support import MemoryTaskStateStore, context, requests

ANALYTICS = "GET /v2/statistics/campaign-analytics"
ADD = "POST /v1/add-prospect-to-list"
FAST = {"poll_interval": 0.01, "timeout": 10.0}

#: §2 of snovio-api-2026.md, written out here (not read from the code under test): 9 objects, 23 pairs.
SPEC_PAIRS = {
    ("campaign_email", "sent"),
    ("campaign_email", "first_sent"),
    ("campaign_email", "opened"),
    ("campaign_email", "bounced"),
    ("campaign_email", "clicked"),
    ("campaign_reply", "received"),
    ("campaign_reply", "first_received"),
    ("campaign_reply", "autoreply_received"),
    ("campaign_li_reply", "received"),
    ("campaign_li_reply", "first_received"),
    ("campaign_li", "connection_request_accepted"),
    ("company", "found_domains_by_names"),
    ("company", "found_company_by_domain"),
    ("prospect", "found_by_li_url"),
    ("prospect", "found_emails_by_name_by_domain"),
    ("prospect", "campaign_finished"),
    ("prospect", "unsubscribed"),
    ("prospect", "found_company_by_domain"),
    ("email_verification", "verified"),
    ("email", "found_emails_by_domain"),
    ("email", "found_generic_contacts_by_domain"),
    ("email", "found_prospect_emails"),
    ("database_search", "task_result"),
}


def _raw(sandbox: SandboxServer, hook: SnovioHook, method: str, path: str, **kwargs: Any) -> httpx.Response:
    """A request as a bare HTTP client would send it (no validation, no filling in): the sandbox's own answer."""
    token = hook.client.access_token()
    return httpx.request(
        method, f"{sandbox.base_url}{path}", headers={"Authorization": f"Bearer {token}"}, timeout=10, **kwargs
    )


# --- #19 campaign analytics: both dates always sent --------------------------------------------------


def test_analytics_all_time_is_an_explicit_range_that_the_2026_sandbox_accepts(
    hook: SnovioHook, snovio_sandbox: SandboxServer
) -> None:
    campaign_id = hook.get_user_campaigns()[0]["id"]
    older_all_time = _raw(snovio_sandbox, hook, "GET", "/v2/statistics/campaign-analytics").json()

    snovio_sandbox.configure(analytics_dates_required=True)
    # the knob refuses a request missing either date (so the calls below prove both were sent)
    for missing in ({"date_from": "2025-01-01"}, {"date_to": "2025-01-01"}, {}):
        answer = _raw(snovio_sandbox, hook, "GET", "/v2/statistics/campaign-analytics", params=missing)
        assert answer.status_code == 400, missing
    assert ("date_to" if "date_from" in missing else "date_from") in answer.text

    before = requests(snovio_sandbox, ANALYTICS)
    everything = hook.get_campaign_analytics()
    assert everything == older_all_time  # 2000-01-01..today covers every campaign event of the account
    one = hook.get_campaign_analytics(campaign_ids=[campaign_id])
    assert one and set(one) <= set(everything)

    async def through_the_async_client() -> Any:
        config = dataclasses.replace(hook.client_config(), retry=FAST_RETRIES)
        async with AsyncSnovioClient(config) as client:
            return await client.call(ENDPOINTS.get_campaign_analytics, campaign_ids=[campaign_id])

    assert asyncio.run(through_the_async_client()) == one
    assert requests(snovio_sandbox, ANALYTICS) == before + 3  # all answered 200 under the knob


def test_analytics_one_date_alone_is_refused_before_any_request(
    hook: SnovioHook, snovio_sandbox: SandboxServer
) -> None:
    error = refusal(hook, snovio_sandbox, lambda h: h.get_campaign_analytics(date_from=dt.date(2025, 9, 1)))
    assert error.field == "date_to"


# --- #34 prospects in list: perPage up to 5000, stop on a short page -----------------------------------


def test_list_pages_of_5000_are_accepted_and_paging_stops_on_the_short_page(
    hook: SnovioHook, snovio_sandbox: SandboxServer
) -> None:
    big = max(hook.get_user_lists(), key=lambda row: row["contacts"])
    before = requests(snovio_sandbox, "POST /v1/prospect-list")
    everyone = list(hook.iter_list_prospects(big["id"], per_page=5000))
    assert len(everyone) == big["contacts"] == snovio_sandbox.state.config.list_prospects
    assert requests(snovio_sandbox, "POST /v1/prospect-list") == before + 1  # 230 < 5000: the only page
    by_100 = list(hook.iter_list_prospects(big["id"]))  # the default 100: 100 + 100 + 30, the short one ends it
    assert [p["id"] for p in by_100] == [p["id"] for p in everyone]
    assert requests(snovio_sandbox, "POST /v1/prospect-list") == before + 4
    error = refusal(hook, snovio_sandbox, lambda h: list(h.iter_list_prospects(big["id"], per_page=5001)))
    assert error.field == "per_page" and "5000" in error.problem


# --- #29 add prospect: email or LinkedIn link; createDuplicates ------------------------------------------


def _new_list(hook: SnovioHook, name: str) -> int:
    return int(hook.create_prospect_list(name)[0]["data"]["id"])


def test_a_prospect_with_only_a_linkedin_link_is_added_once(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    list_id = _new_list(hook, "LinkedIn only")
    link = "https://www.linkedin.com/in/only-a-link"
    first = hook.add_prospect_to_list(list_id, social_links={"linkedIn": link}, first_name="Only", last_name="Link")
    again = hook.add_prospect_to_list(list_id, social_links={"linkedIn": link})
    assert first["added"] is True and again["added"] is False and again["id"] == first["id"]
    rows = hook.get_list_prospects(list_id)["prospects"]
    assert [(r["id"], r["firstName"], r["emails"]) for r in rows] == [(first["id"], "Only", [])]
    # the sandbox refuses what the hook refuses: neither email nor link
    answer = _raw(snovio_sandbox, hook, "POST", "/v1/add-prospect-to-list", data={"listId": list_id})
    assert answer.status_code == 400 and "socialLinks[linkedIn]" in answer.text


def test_create_duplicates_adds_a_second_prospect_with_the_same_email(
    hook: SnovioHook, snovio_sandbox: SandboxServer
) -> None:
    list_id = _new_list(hook, "Duplicates")
    email = "twice.over@example.com"
    first = hook.add_prospect_to_list(list_id, email)
    plain = hook.add_prospect_to_list(list_id, email)
    duplicate = hook.add_prospect_to_list(list_id, email, create_duplicates=True)
    assert plain["id"] == first["id"] and duplicate["id"] != first["id"] and duplicate["added"] is True
    assert len(hook.get_prospects_by_email(email)["data"]) == 2
    assert len(hook.get_list_prospects(list_id)["prospects"]) == 2
    answer = _raw(
        snovio_sandbox,
        hook,
        "POST",
        "/v1/add-prospect-to-list",
        data={"listId": list_id, "email": email, "updateContact": 1, "createDuplicates": 1},
    )
    assert answer.status_code == 400 and "createDuplicates" in answer.text


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda h: h.add_prospect_to_list(1, first_name="No", last_name="Identity"), "email"),
        (lambda h: h.add_prospect_to_list(1, social_links={"twitter": "https://x.com/someone"}), "email"),
        (
            lambda h: h.add_prospect_to_list(1, "a@example.com", update_contact=True, create_duplicates=True),
            "create_duplicates",
        ),
        (lambda h: h.add_prospect_to_list(1, "a@example.com", create_duplicates="perhaps"), "create_duplicates"),
    ],
)
def test_add_prospect_bad_identity_or_flags_are_refused_before_any_request(
    hook: SnovioHook, snovio_sandbox: SandboxServer, call: Any, field: str
) -> None:
    assert refusal(hook, snovio_sandbox, call).field == field


def test_the_operator_adds_emailless_prospects_and_a_retry_sends_nothing_again(
    snovio_conn_env: SandboxServer, hook: SnovioHook
) -> None:
    list_id = _new_list(hook, "Operator 2026")
    prospects = [
        {"social_links": {"linkedIn": "https://www.linkedin.com/in/no-mail"}, "first_name": "No"},
        {"email": "with.mail@example.com", "first_name": "With"},
    ]
    store = MemoryTaskStateStore()
    op = SnovioAddProspectsToListOperator(task_id="add", list_id=list_id, prospects=prospects)
    result = op.execute(context(store))
    assert (result["added"], result["failed"]) == (2, 0)
    sent = requests(snovio_conn_env, ADD)
    assert (
        SnovioAddProspectsToListOperator(task_id="add", list_id=list_id, prospects=prospects).execute(context(store))[
            "added"
        ]
        == 2
    )
    assert requests(snovio_conn_env, ADD) == sent  # the retry resumed: both recorded, the link-only one too
    assert len(hook.get_list_prospects(list_id)["prospects"]) == 2


@pytest.mark.parametrize(
    ("rows", "field"),
    [
        ([{"email": "a@example.com"}, {"first_name": "Nobody"}], "prospects[1].email"),
        (
            [
                {"social_links": {"linkedIn": "https://l.example.com/a"}},
                {"socialLinks": {"linkedIn": "https://L.example.com/A"}},
            ],
            "prospects[1].social_links.linkedIn",
        ),
        ([{"email": "a@example.com", "create_duplicates": True}], "prospects[0].create_duplicates"),
    ],
)
def test_the_operator_refuses_bad_rows_naming_them_before_any_request(
    snovio_conn_env: SandboxServer, rows: list[dict[str, Any]], field: str
) -> None:
    from airflow_provider_snovio.api.errors import SnovioValidationError

    op = SnovioAddProspectsToListOperator(task_id="add", list_id=1818501, prospects=rows, update_contact=True)
    before = requests(snovio_conn_env)
    with pytest.raises(SnovioValidationError) as caught:
        op.execute(context(MemoryTaskStateStore()))
    assert caught.value.field == field
    assert requests(snovio_conn_env) == before


def test_a_lost_create_duplicates_answer_is_never_sent_again(snovio_conn_env: SandboxServer, hook: SnovioHook) -> None:
    """The request takes effect and its answer is lost: neither the client nor a task retry sends it again."""
    list_id = _new_list(hook, "Lost duplicate")
    email = "lost.answer@example.com"
    hook.add_prospect_to_list(list_id, email)
    snovio_conn_env.configure(drop_rate=1.0, fault_phase="after", fault_routes=ADD)
    store = MemoryTaskStateStore()
    rows = [{"email": email, "create_duplicates": True}]
    with pytest.raises(SnovioTransportError):
        SnovioAddProspectsToListOperator(task_id="add", list_id=list_id, prospects=rows).execute(context(store))
    assert requests(snovio_conn_env, ADD) == 2  # one duplicate request, not resent by the client's retries
    snovio_conn_env.configure(drop_rate=0.0)
    retried = SnovioAddProspectsToListOperator(task_id="add", list_id=list_id, prospects=rows).execute(context(store))
    assert retried["failed"] == 1 and "lost the answer" in retried["failures"][email]
    assert requests(snovio_conn_env, ADD) == 2
    assert len(hook.get_prospects_by_email(email)["data"]) == 2  # the original and exactly one duplicate


# --- v2 finder / verifier: task_hash in data (2026) or meta (older); unknown finder e-mails are charged ---


def _people_with_unknown_emails(seed: int) -> list[dict[str, str]]:
    """Sandbox people one of whose e-mails the finder reports ``unknown`` (and one with a valid one)."""
    people = list(build_dataset(seed)._by_name.values())
    unknown = [p for p in people if any(status == "unknown" for _, status in p.emails)][:2]
    valid = [p for p in people if p.emails and all(status == "valid" for _, status in p.emails)][:1]
    assert len(unknown) == 2 and valid, "the seeded data set has people with unknown and valid e-mails"
    return [{"first_name": p.first_name, "last_name": p.last_name, "domain": p.domain} for p in unknown + valid]


def _stable(xcom: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in xcom.items() if k not in ("task_hashes", "output_path")}


@pytest.mark.parametrize("hash_in_meta", [False, True])
def test_v2_finder_reads_either_task_hash_place_and_counts_unknown_as_charged(
    snovio_conn_env: SandboxServer, hash_in_meta: bool
) -> None:
    snovio_conn_env.configure(v2_task_hash_in_meta=hash_in_meta)
    people = _people_with_unknown_emails(snovio_conn_env.state.config.seed)
    xcom = SnovioEmailFinderOperator(task_id="f", people=people, api_version="v2", **FAST).execute(
        context(MemoryTaskStateStore())
    )
    statuses = [e["status"] for p in xcom["people"] for e in p["emails"]]
    assert "unknown" in statuses and "valid" in statuses
    spent = snovio_conn_env.stats()["credits_spent"]
    assert xcom["counts"]["credits"] == spent == statuses.count("valid") + statuses.count("unknown")


@pytest.mark.parametrize("hash_in_meta", [False, True])
def test_v2_verifier_reads_either_task_hash_place(snovio_conn_env: SandboxServer, hash_in_meta: bool) -> None:
    snovio_conn_env.configure(v2_task_hash_in_meta=hash_in_meta)
    started = SnovioHook().start_email_verification(["gavin.vanrooyen@octagon.com"])
    assert ("task_hash" in started["meta"]) is hash_in_meta and (
        "task_hash" in (started["data"] or {})
    ) is not hash_in_meta
    emails = ["gavin.vanrooyen@octagon.com", "nobody.here@octagon.com"]
    xcom = SnovioEmailVerificationOperator(task_id="v", emails=emails, api_version="v2", **FAST).execute(
        context(MemoryTaskStateStore())
    )
    assert set(xcom["results"]) == set(emails) and sum(xcom["counts"].values()) == 2


# --- capitalised status words ("Valid", "Greylist"): the same results -------------------------------------


def _verification_emails(seed: int) -> list[str]:
    """Addresses whose verdicts cover valid, not_valid and unknown with several unknown_status_reasons."""
    data = build_dataset(seed)
    chosen: dict[tuple[str, Any], str] = {}
    for person in data._by_name.values():
        for address, _ in person.emails:
            verdict = data.verdict(address)
            chosen.setdefault((verdict.smtp_status, verdict.unknown_reason), address)
    return [*chosen.values(), "nobody.here@octagon.com"][:10]


def _run_all(sandbox: SandboxServer, people: list[dict[str, str]], emails: list[str]) -> dict[str, Any]:
    greylist = {"greylisted_poll_interval": 0.05, "wait_for_greylisted": True}
    runs = {
        "verify_v1": SnovioEmailVerificationOperator(
            task_id="v1", emails=emails, api_version="v1", poll_interval=0.02, timeout=15, **greylist
        ),
        "verify_v1_greylisted_final": SnovioEmailVerificationOperator(
            task_id="v1g", emails=emails, api_version="v1", poll_interval=0.02, timeout=15, wait_for_greylisted=False
        ),
        "verify_v2": SnovioEmailVerificationOperator(task_id="v2", emails=emails, api_version="v2", **FAST),
        "find_v1": SnovioEmailFinderOperator(task_id="f1", people=people, api_version="v1", **FAST),
        "find_v2": SnovioEmailFinderOperator(task_id="f2", people=people, api_version="v2", **FAST),
    }
    out = {}
    for name, op in runs.items():
        sandbox.reset()  # each run starts from a fresh account (nothing queued, full balance)
        out[name] = _stable(op.execute(context(MemoryTaskStateStore())))
        out[name + ":credits"] = sandbox.stats()["credits_spent"]
    return out


def test_capitalised_statuses_give_the_same_results_greylisting_included(snovio_conn_env: SandboxServer) -> None:
    snovio_conn_env.configure(greylisted_share=0.5, greylist_seconds=0.2)
    seed = snovio_conn_env.state.config.seed
    people, emails = _people_with_unknown_emails(seed), _verification_emails(seed)
    lowercase = _run_all(snovio_conn_env, people, emails)

    snovio_conn_env.configure(capitalised_statuses=True)
    hook = SnovioHook()
    started = hook.start_email_verification(emails)  # the knob really capitalises what is served
    served = hook.get_email_verification_result(started["data"]["task_hash"])
    while served["status"] != "completed":
        served = hook.get_email_verification_result(started["data"]["task_hash"])
    words = {item["result"]["smtp_status"] for item in served["data"]}
    reasons = {item["result"].get("unknown_status_reason") for item in served["data"]} - {None}
    assert words and all(w[0].isupper() for w in words) and "Unknown" in words
    assert reasons and all(r[0].isupper() for r in reasons)
    capitalised = _run_all(snovio_conn_env, people, emails)

    assert capitalised == lowercase
    verdicts = lowercase["verify_v2"]["results"]
    assert {line["smtp_status"] for line in verdicts.values()} >= {"valid", "not_valid", "unknown"}
    assert {line.get("unknown_status_reason") for line in verdicts.values()} - {None} <= {
        "banned",
        "catchall",
        "connection_error",
        "greylist",
        "hidden_by_owner",
    }
    # greylisting was exercised: with wait_for_greylisted=False some address stays "greylisted" (read from
    # "Greylisted" under the knob); with the default wait none does
    assert "greylisted" in lowercase["verify_v1_greylisted_final"]["counts"]
    assert "greylisted" not in lowercase["verify_v1"]["counts"]


# --- #38 webhooks: the 23 event pairs ---------------------------------------------------------------


def test_every_2026_webhook_pair_is_accepted_and_a_wrong_pair_is_refused_before_any_request(
    hook: SnovioHook, snovio_sandbox: SandboxServer
) -> None:
    for event_object, event_action in sorted(SPEC_PAIRS):
        created = hook.add_webhook(
            event_object, event_action, f"https://hooks.example.com/{event_object}/{event_action}"
        )
        assert (created["data"]["event_object"], created["data"]["event_action"]) == (event_object, event_action)
    listed = {(i["data"]["event_object"], i["data"]["event_action"]) for i in hook.list_webhooks()["data"]}
    assert listed >= SPEC_PAIRS
    wrong_pair = refusal(hook, snovio_sandbox, lambda h: h.add_webhook("company", "verified", "https://h.example.com"))
    assert wrong_pair.field == "event_action"
    unknown = refusal(hook, snovio_sandbox, lambda h: h.add_webhook("campaign", "sent", "https://h.example.com"))
    assert unknown.field == "event_object"
    # the sandbox refuses the wrong pair too (naming the field), as Snov.io would
    answer = _raw(
        snovio_sandbox,
        hook,
        "POST",
        "/v2/webhooks",
        json={"event_object": "company", "event_action": "verified", "endpoint_url": "https://h.example.com"},
    )
    assert answer.status_code == 422 and "event_action" in answer.text


def test_the_webhook_operator_ensures_a_2026_pair_once(snovio_conn_env: SandboxServer) -> None:
    from airflow_provider_snovio.operators.webhooks import SnovioWebhookOperator

    kwargs = {
        "event_object": "email_verification",
        "event_action": "verified",
        "endpoint_url": "https://h.example.com/v",
    }
    first = SnovioWebhookOperator(task_id="w", **kwargs).execute(context())
    second = SnovioWebhookOperator(task_id="w", **kwargs).execute(context())
    assert (first["result"], second["result"]) == ("created", "unchanged")
    assert first["webhook_id"] == second["webhook_id"]

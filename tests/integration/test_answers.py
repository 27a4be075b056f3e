"""The TypedDicts of ``api/answers.py`` against the sandbox's answers, over real HTTP.

Every typed hook method is called against the sandbox in each of the states its answer has (a v2 task
in progress and completed, a finder name not found / queued / found, a URL not yet searched and found...),
and every answer is walked along its method's return type. The test fails when:

* the sandbox serves a key that the TypedDict describing that level does not declare;
* a required key of a TypedDict is missing from an answer;
* a declared key (required or not) is served by no answer at all: a TypedDict gained a field the sandbox
  does not serve;
* a TypedDict of ``answers.py`` describes no answer, or a typed method was not called here.

So the TypedDicts, the sandbox and (through the sandbox's own tests) the documented shapes stay in step.
"""

from __future__ import annotations

import collections
import datetime as dt
import types
import typing
from collections.abc import Callable
from typing import Any, TypeVar, get_args, get_origin, get_type_hints, is_typeddict

from airflow_provider_snovio.api import answers
from airflow_provider_snovio.api.methods import SnovioMethods, reveal_hash_of
from airflow_provider_snovio.api.status import task_hash_of
from airflow_provider_snovio.hooks.snovio import SnovioHook
from airflow_provider_snovio.sandbox.data.domains import dataset_of
from airflow_provider_snovio.sandbox.testing import SandboxServer

T = TypeVar("T")
#: Rows of a list answer walked (the first ones: a campaign page holds up to 10,000 alike rows).
ROWS_WALKED = 50
#: Undeclared keys a TypedDict may meet, by prefix: Snov.io's per-custom-field keys of campaign events.
OPEN_PREFIXES: dict[type, str] = {answers.CampaignEvent: answers.CUSTOM_FIELD_KEY_PREFIX}


def _typeddicts() -> set[type]:
    return {v for v in vars(answers).values() if isinstance(v, type) and is_typeddict(v)}


def _method_hint(name: str) -> Any:
    return get_type_hints(getattr(SnovioMethods, name))["return"]


def _mentions_typeddict(hint: Any) -> bool:
    return is_typeddict(hint) or any(_mentions_typeddict(arg) for arg in get_args(hint))


#: The hook methods whose return type involves a TypedDict of answers.py.
TYPED_METHODS = sorted(
    name
    for name, value in vars(SnovioMethods).items()
    if callable(value) and not name.startswith("_") and _mentions_typeddict(_method_hint(name))
)


class Shapes:
    """Walks answers along their types, collecting the keys served per TypedDict and every mismatch."""

    def __init__(self) -> None:
        self.served: dict[type, set[str]] = collections.defaultdict(set)
        self.problems: list[str] = []
        self.called: set[str] = set()

    def call(self, method: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Call a typed hook method and check its answer against its declared return type."""
        name = method.__name__
        answer = method(*args, **kwargs)
        self.called.add(name)
        self.walk(answer, _method_hint(name), name)
        return answer

    def walk(self, value: Any, hint: Any, where: str) -> None:
        origin = get_origin(hint)
        if is_typeddict(hint):
            if not isinstance(value, dict):
                self.problems.append(f"{where}: {hint.__name__} expected an object, got {type(value).__name__}")
                return
            self.check(value, hint, where)
        elif origin is list:
            if not isinstance(value, list):
                self.problems.append(f"{where}: {hint} expected a list, got {type(value).__name__}")
                return
            (item,) = get_args(hint)
            for index, element in enumerate(value[:ROWS_WALKED]):
                self.walk(element, item, f"{where}[{index}]")
        elif origin is dict:
            if isinstance(value, dict):
                _, item = get_args(hint)
                for key, element in value.items():
                    self.walk(element, item, f"{where}[{key!r}]")
        elif origin in (typing.Union, types.UnionType):
            members = get_args(hint)
            if isinstance(value, dict):
                shaped = [m for m in members if is_typeddict(m)]
                assert len(shaped) <= 1, f"{where}: ambiguous union {hint}"
                if shaped:
                    self.walk(value, shaped[0], where)
                elif not any(get_origin(m) is dict or m is Any for m in members):
                    self.problems.append(f"{where}: an object where {hint} is declared")
            elif isinstance(value, list):
                for member in members:
                    if get_origin(member) is list:
                        self.walk(value, member, where)
                        break
        # Any, str, int, Literal...: nothing more to walk (values are not type-checked here)

    def check(self, value: dict[str, Any], shape: type, where: str) -> None:
        declared = set(shape.__required_keys__) | set(shape.__optional_keys__)  # type: ignore[attr-defined]
        prefix = OPEN_PREFIXES.get(shape)
        served = {k for k in value if not (prefix and k.startswith(prefix))}
        self.served[shape].update(served)
        if extra := served - declared:
            self.problems.append(f"{where}: {shape.__name__} does not declare {sorted(extra)}")
        if missing := set(shape.__required_keys__) - served:  # type: ignore[attr-defined]
            self.problems.append(f"{where}: {shape.__name__} requires {sorted(missing)}, not served")
        hints = get_type_hints(shape)
        for key in served & declared:
            self.walk(value[key], hints[key], f"{where}.{key}")


def _poll(shapes: Shapes, method: Callable[..., Any], *args: Any, done: Callable[[Any], bool]) -> Any:
    """Call ``method`` until ``done`` says the answer is final (the sandbox finishes in a few polls)."""
    for _ in range(20):
        answer = shapes.call(method, *args)
        if done(answer):
            return answer
    raise AssertionError(f"{method.__name__} never finished")


def _run_task(shapes: Shapes, start: Callable[..., Any], result: Callable[..., Any], *args: Any) -> Any:
    """Start a v2 task and read its result while in progress (the sandbox's first poll) and completed."""
    task_hash = task_hash_of(shapes.call(start, *args))
    first = shapes.call(result, task_hash)
    assert first["status"] == "in_progress"  # the in-progress shape is walked too
    return _poll(shapes, result, task_hash, done=lambda body: body["status"] == "completed")


def _domain_search(shapes: Shapes, hook: SnovioHook) -> None:
    _run_task(shapes, hook.start_domain_search, hook.get_domain_search_result, "octagon.com")
    _run_task(shapes, hook.start_domain_search, hook.get_domain_search_result, "no-such-company-here.com")
    prospects = _run_task(shapes, hook.start_prospects_search, hook.get_prospects_result, "octagon.com")
    prospect_hash = prospects["data"][0]["search_emails_start"].rstrip("/").rsplit("/", 1)[-1]
    _run_task(shapes, hook.start_prospect_email_search, hook.get_prospect_email_search_result, prospect_hash)
    emails = _run_task(shapes, hook.start_domain_emails_search, hook.get_domain_emails_result, "octagon.com")
    assert emails["meta"]["next"]
    _run_task(
        shapes, hook.start_domain_emails_search, hook.get_domain_emails_result, "octagon.com", emails["meta"]["next"]
    )
    _run_task(shapes, hook.start_generic_contacts_search, hook.get_generic_contacts_result, "sendpulse.com")
    shapes.call(hook.get_domain_emails_with_info, "octagon.com", limit=5)


def _finder_and_enrichment(shapes: Shapes, hook: SnovioHook) -> None:
    name = ("Gavin", "Vanrooyen", "octagon.com")
    assert shapes.call(hook.get_emails_from_names, *name)["status"]["identifier"] == "not_found"
    shapes.call(hook.add_names_to_find_emails, *name)
    found = _poll(
        shapes, hook.get_emails_from_names, *name, done=lambda body: body["status"]["identifier"] == "complete"
    )
    assert found["data"]["emails"]
    url = "https://www.linkedin.com/in/gavin-vanrooyen/"
    assert "message" in shapes.call(hook.get_emails_from_url, url)  # not searched yet
    hook.add_url_for_search(url)
    assert shapes.call(hook.get_emails_from_url, url)["data"]


def _unknown_verdict(sandbox: SandboxServer) -> tuple[tuple[str, str, str], str]:
    """A known person with an address the verifier calls unknown (its answers carry unknown_status_reason)."""
    dataset = dataset_of(sandbox.state)
    for domain in dataset.domains.values():
        for person in domain.people:
            for email, _ in person.emails:
                if dataset.verdict(email).unknown_reason is not None:
                    return (person.first_name, person.last_name, domain.name), email
    raise AssertionError("the sandbox's data set has no address with an unknown verdict")


def _verification(shapes: Shapes, hook: SnovioHook, sandbox: SandboxServer) -> None:
    (first, last, domain), unknown = _unknown_verdict(sandbox)
    emails = ["gavin.vanrooyen@octagon.com", unknown]
    shapes.call(hook.get_emails_verification_status, emails)  # not_verified
    shapes.call(hook.add_emails_to_verification, emails)

    def final(body: Any) -> bool:
        entries = [body[e] for e in emails]
        return all(e["status"]["identifier"] == "complete" and e["data"]["smtpStatus"] != "greylisted" for e in entries)

    _poll(shapes, hook.get_emails_verification_status, emails, done=final)
    _run_task(shapes, hook.start_email_verification, hook.get_email_verification_result, emails)
    rows = [{"first_name": first, "last_name": last, "domain": domain}]
    _run_task(shapes, hook.start_emails_by_name, hook.get_emails_by_name_result, rows)


def _campaigns(shapes: Shapes, hook: SnovioHook, sandbox: SandboxServer) -> None:
    campaigns = shapes.call(hook.get_user_campaigns)
    small = [c["id"] for c in campaigns[2:]]  # the first two hold 10,000+ replies
    campaign_id = next(c for c in small if hook.get_finished_prospects(c) and hook.get_campaign_replies(c, 0))
    shapes.call(hook.get_campaign_analytics, campaign_ids=[campaign_id])
    shapes.call(hook.get_campaign_progress, campaign_id)
    assert shapes.call(hook.get_finished_prospects, campaign_id)
    for method in (hook.get_campaign_replies, hook.get_campaign_opens, hook.get_campaign_clicks, hook.get_emails_sent):
        assert shapes.call(method, campaign_id, 0), method.__name__
    list_id = min(sandbox.state.data.do_not_email)
    shapes.call(hook.add_to_do_not_email_list, list_id, ["spam@example.com"])
    assert shapes.call(hook.add_to_do_not_email_list, list_id, ["spam@example.com"])[0]["data"]["duplicates"]


def _lists(shapes: Shapes, hook: SnovioHook) -> None:
    list_id = shapes.call(hook.create_prospect_list, "Typed answers")[0]["data"]["id"]
    shapes.call(hook.get_user_lists)
    added = shapes.call(
        hook.add_prospect_to_list,
        list_id,
        "typed.lead@example.com",
        first_name="Typed",
        last_name="Lead",
        position="CTO",
        company_name="Example",
        social_links={"linkedIn": "https://www.linkedin.com/in/typed-lead"},
    )
    shapes.call(hook.get_prospect_by_id, added["id"])
    assert shapes.call(hook.get_prospects_by_email, "typed.lead@example.com")["data"]
    assert shapes.call(hook.get_list_prospects, list_id)["prospects"]
    shapes.call(hook.get_balance)


def _webhooks(shapes: Shapes, hook: SnovioHook) -> None:
    shapes.call(hook.list_webhooks)
    created = shapes.call(hook.add_webhook, "campaign_reply", "received", "https://hooks.example.com/typed")
    shapes.call(hook.change_webhook_status, created["data"]["id"], "deactivated")
    shapes.call(hook.delete_webhook, created["data"]["id"])


def _enrichment_search_2026(shapes: Shapes, hook: SnovioHook) -> None:
    """2026 §1a/§1b (#42-#51): found and not-found names and URLs; a prospect in a list (``list_id``) and not."""
    _run_task(shapes, hook.start_company_domain_by_name, hook.get_company_domain_by_name_result, ["Octagon", "Nobody"])
    urls = ["https://www.linkedin.com/in/gavin-vanrooyen/", "https://www.linkedin.com/in/nobody-here"]
    _run_task(shapes, hook.start_li_profiles_by_urls, hook.get_li_profiles_by_urls_result, urls)
    hook.add_prospect_to_list(hook.get_user_lists()[0]["id"], "gavin.vanrooyen@octagon.com", firstName="Gavin")
    filters = {"company": {"name": {"include": ["octagon"]}}}
    prospects = _run_task(shapes, hook.start_database_prospects_search, hook.get_database_prospects_result, filters)
    listed = [p for p in prospects["data"]["prospects"] if "list_id" in p]
    assert listed and len(listed) < len(prospects["data"]["prospects"])
    reveal = reveal_hash_of(listed[0])
    _run_task(shapes, hook.start_database_prospect_email_search, hook.get_database_prospect_email_result, reveal)
    _run_task(shapes, hook.start_database_companies_search, hook.get_database_companies_result, filters)


def _senders_and_warm_up(shapes: Shapes, hook: SnovioHook, sandbox: SandboxServer) -> None:
    """2026 §1c/§1d (#52-#61): fixed and random delays, with and without IMAP, pending/valid/invalid checks."""
    shapes.call(hook.list_email_accounts)
    smtp = {"host": "smtp.example.com", "port": 465, "encryption": "ssl"}
    created = shapes.call(hook.create_email_account, "Typed", "typed@example.com", "pw", smtp, timezone_id=36)
    shapes.call(hook.get_sender_status, created["data"]["id"])  # pending, imap null
    shapes.call(hook.get_sender_status, 23)  # invalid with errors, imap configured
    shapes.call(hook.update_email_account, 21, sender_name="Typed owner")  # imap, signature, random delays
    shapes.call(hook.update_email_account, 22, limitation=90)  # fixed delay
    shapes.call(hook.list_warm_ups, per_page=20)
    started = shapes.call(hook.create_warm_up, 21, 10, strategy="steady")
    shapes.call(hook.get_warm_up, 302)
    shapes.call(hook.update_warm_up, 301, reply_rate=35)
    shapes.call(hook.get_warm_up_statistics, started["data"]["id"])  # not calculated yet
    shapes.call(hook.get_warm_up_statistics, 301, period="month")
    shapes.call(hook.delete_warm_up, started["data"]["id"])
    rows = list(shapes.call(hook.iter_warm_ups))  # an iterator: the walk cannot see inside, so walk its rows
    assert rows
    shapes.walk(rows, list[answers.WarmUpItem], "iter_warm_ups")


def _campaigns_v2(shapes: Shapes, hook: SnovioHook) -> None:
    """2026 §1e/§1f (#62-#71): a campaign with deals and one without, seeded and created, its blocks."""
    list_id = hook.get_user_lists()[0]["id"]
    pipeline = hook.list_pipelines()["data"][0]["id"]
    stage = hook.list_pipeline_stages(pipeline)["data"][0]["id"]
    body = {
        "title": "Typed",
        "priority": "low",
        "email_accounts": [21],
        "tracking": {"open": True, "link_click": True},
        "sending_settings": {},
        "provider_matching": False,
        "recipients": {"list_id": list_id},
        "complete_campaign_after_last_step": True,
        "archive_in_months": 1,
        "deals": {"event": ["reply"], "pipeline_id": pipeline, "stage_id": stage},
        "sequence": {"entry": "a", "steps": [{"_ref": "a", "type": "email"}]},
    }
    created = shapes.call(hook.create_campaign, body)["data"]
    shapes.call(hook.get_campaign, hook.get_user_campaigns()[0]["id"])  # seeded, no deals
    shapes.call(hook.update_campaign, created["id"], priority="high")
    step = created["sequence"]["steps"][0]
    block = step["content"][0]["id"]
    shapes.call(hook.create_email_step_content, created["id"], step["_ref"], block, "S", "<p>B</p>")
    shapes.call(hook.create_email_step_content, created["id"], step["_ref"], 2, "S", "<p>B</p>")
    shapes.call(hook.get_email_step_content, created["id"], step["_ref"], block)
    shapes.call(hook.update_email_step_content, created["id"], step["_ref"], block, usage="pause")
    shapes.call(hook.delete_email_step_content, created["id"], step["_ref"], 2)
    shapes.call(hook.update_email_step_content, created["id"], step["_ref"], block, usage="active")
    shapes.call(hook.change_campaign_state, created["id"], "start")
    shapes.call(hook.change_campaign_state, created["id"], "complete")
    shapes.call(hook.delete_campaign, created["id"])
    shapes.call(hook.list_campaign_schedules)


def _recipients_2026(shapes: Shapes, hook: SnovioHook, sandbox: SandboxServer) -> None:
    """#72-#77: a campaign with LinkedIn replies and bounces, and an e-mail that is no recipient (status null)."""
    campaigns = hook.get_user_campaigns()
    campaign = next(c for c in campaigns[2:] if c["started_at"] and any(s.bounced for s in _sent(sandbox, c["id"])))
    start = dt.datetime.fromtimestamp(campaign["started_at"], dt.timezone.utc).date()
    activity = shapes.call(hook.get_campaign_recipients_activity, campaign["id"], start, start + dt.timedelta(days=31))
    assert {row["event_type"] for row in activity["data"]} >= {"sent", "bounce", "reply"}
    threads = shapes.call(hook.get_campaign_all_replies, campaign["id"])
    assert {t["replyType"] for t in threads["data"]} - {"email"}, "no LinkedIn replies to walk"
    recipient = activity["data"][0]["recipient_email"]
    shapes.call(hook.get_recipients_status, campaign["id"], [recipient, "nobody@example.com"])
    shapes.call(hook.list_do_not_email_lists)
    pipelines = shapes.call(hook.list_pipelines)
    shapes.call(hook.list_pipeline_stages, pipelines["data"][0]["id"])


def _sent(sandbox: SandboxServer, campaign_id: int) -> list[Any]:
    campaign = sandbox.state.data.campaigns.by_id(campaign_id)
    assert campaign is not None
    return campaign.sent


def test_typed_answers_match_the_sandbox(hook: SnovioHook, snovio_sandbox: SandboxServer) -> None:
    shapes = Shapes()
    _domain_search(shapes, hook)
    _finder_and_enrichment(shapes, hook)
    _verification(shapes, hook, snovio_sandbox)
    _campaigns(shapes, hook, snovio_sandbox)
    _lists(shapes, hook)
    _webhooks(shapes, hook)
    _enrichment_search_2026(shapes, hook)
    _senders_and_warm_up(shapes, hook, snovio_sandbox)
    _campaigns_v2(shapes, hook)
    _recipients_2026(shapes, hook, snovio_sandbox)

    assert not shapes.problems, "\n".join(shapes.problems)
    assert set(TYPED_METHODS) - shapes.called == set(), "typed methods this test does not call"
    unseen = {t.__name__ for t in _typeddicts()} - {t.__name__ for t in shapes.served}
    assert not unseen, f"TypedDicts that describe no answer here: {sorted(unseen)}"
    declared = {t: set(t.__required_keys__) | set(t.__optional_keys__) for t in shapes.served}  # type: ignore[attr-defined]
    never_served = {t.__name__: sorted(declared[t] - keys) for t, keys in shapes.served.items() if declared[t] - keys}
    assert not never_served, f"declared keys no answer served: {never_served}"


def test_the_walk_catches_an_undeclared_a_missing_and_a_nested_key() -> None:
    """The checker itself: an extra key, a missing required key and a nested mismatch are all reported."""
    shapes = Shapes()
    balance = {"success": True, "data": {"balance": "1.00", "teamwork": False, "unique_recipients_used": 0}}
    shapes.walk({**balance, "surprise": 1}, answers.Balance, "balance")
    assert any("does not declare ['surprise']" in p for p in shapes.problems)
    assert any("balance.data: BalanceData requires ['expires_in', 'limit_resets_in']" in p for p in shapes.problems)
    shapes = Shapes()
    shapes.walk([{"success": True, "data": {"id": 1, "name": "x"}}], list[answers.CreatedList], "created")
    assert shapes.problems == ["created[0].data: CreatedListData does not declare ['name']"]
    shapes = Shapes()
    shapes.walk({"success": True, "data": {"id": 1}}, list[answers.CreatedList], "created")  # not array-wrapped
    assert shapes.problems == [
        "created: list[airflow_provider_snovio.api.answers.CreatedList] expected a list, got dict"
    ]
    shapes = Shapes()
    entry = {"status": {"identifier": "complete"}, "data": []}
    shapes.walk({"success": True, "a@b.co": entry}, answers.VerificationStatuses, "v1")
    assert shapes.problems == ["v1['a@b.co'].status: VerificationStatus requires ['description'], not served"]

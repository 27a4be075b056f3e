"""Bad input is refused with an error naming the field, before the limiter, the token or the network is touched."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pendulum
import pytest

from airflow_provider_snovio.api import validation as v
from airflow_provider_snovio.api.catalogue import endpoint
from airflow_provider_snovio.api.encoding import prepare
from airflow_provider_snovio.api.errors import SnovioValidationError
from airflow_provider_snovio.api.methods import SnovioMethods
from tests.unit.conftest import Harness, assert_nothing_sent

TASK = "3a1f9c0e7b2d4e6f8a9b0c1d2e3f4a5b"
EMAILS_11 = [f"user{i}@octagon.com" for i in range(11)]

Invoke = Callable[[SnovioMethods], Any]

# (description, call, field named in the error)
REFUSED: list[tuple[str, Invoke, str]] = [
    # domains
    ("domain with scheme", lambda c: c.start_domain_search("https://octagon.com"), "domain"),
    ("domain with path", lambda c: c.get_domain_emails_count("octagon.com/about"), "domain"),
    ("email instead of domain", lambda c: c.start_domain_search("john@octagon.com"), "domain"),
    ("domain without tld", lambda c: c.start_generic_contacts_search("localhost"), "domain"),
    ("empty domain", lambda c: c.start_domain_emails_search("   "), "domain"),
    ("domain not a string", lambda c: c.get_domain_emails_count(12345), "domain"),
    ("legacy domain", lambda c: c.get_domain_emails_with_info("octagon..com"), "domain"),
    # emails
    ("email without at", lambda c: c.get_profile_by_email("john.octagon.com"), "email"),
    ("email without domain", lambda c: c.get_prospects_by_email("john@"), "email"),
    ("email with space", lambda c: c.change_recipient_status(1, "jo hn@octagon.com", "Active"), "email"),
    ("one bad email in a list", lambda c: c.get_emails_verification_status(["a@octagon.com", "nope"]), "emails[1]"),
    ("bad do-not-email item", lambda c: c.add_to_do_not_email_list(1, ["ok@octagon.com", "not a domain"]), "items[1]"),
    (
        "bad owner email",
        lambda c: c.get_campaign_analytics(date_from="2024-01-01", date_to="2024-01-31", campaign_owners=["owner"]),
        "campaign_owners[0]",
    ),
    # numeric ids
    ("campaign id with letters", lambda c: c.get_campaign_replies("12a"), "campaign_id"),
    ("negative campaign id", lambda c: c.get_finished_prospects(-5), "campaign_id"),
    ("boolean campaign id", lambda c: c.get_campaign_opens(True), "campaign_id"),
    ("campaign id path traversal", lambda c: c.get_campaign_progress("1/../../v1/get-balance"), "campaign_id"),
    ("webhook id with query", lambda c: c.delete_webhook("42?status=active"), "webhook_id"),
    ("webhook id path", lambda c: c.change_webhook_status("42/x", "active"), "webhook_id"),
    ("list id float", lambda c: c.get_list_prospects(1.5), "list_id"),
    (
        "analytics campaign ids",
        lambda c: c.get_campaign_analytics(campaign_ids=["1", "two"], date_from="2024-01-01", date_to="2024-01-31"),
        "campaign_ids[1]",
    ),
    (
        "sender ids",
        lambda c: c.get_campaign_analytics(sender_emails=["a@b.com"], date_from="2024-01-01", date_to="2024-01-31"),
        "sender_emails[0]",
    ),
    # hex hashes (path parameters)
    ("task hash traversal", lambda c: c.get_domain_search_result("../../v1/get-balance"), "task_hash"),
    ("task hash with slash", lambda c: c.get_prospects_result("abc/def"), "task_hash"),
    ("task hash not hex", lambda c: c.get_domain_emails_result("zzzzzzzzzzzz"), "task_hash"),
    ("task hash too short", lambda c: c.get_generic_contacts_result("abc"), "task_hash"),
    ("task hash encoded slash", lambda c: c.get_prospect_email_search_result("abcdef12%2Fdef"), "task_hash"),
    ("query task hash", lambda c: c.get_email_verification_result("abc&x=1"), "task_hash"),
    ("prospect hash slash", lambda c: c.start_prospect_email_search("abc/def0123456"), "prospect_hash"),
    (
        "prospect hash url",
        lambda c: c.start_prospect_email_search(
            "https://api.snov.io/v2/domain-search/prospects/search-emails/start/abcdef12"
        ),
        "prospect_hash",
    ),
    # enums
    ("unknown recipient status", lambda c: c.change_recipient_status(1, "a@octagon.com", "Deleted"), "status"),
    ("unknown webhook status", lambda c: c.change_webhook_status(1, "paused"), "status"),
    ("unknown event object", lambda c: c.add_webhook("campaign", "sent", "https://h.example.com"), "event_object"),
    (
        "unknown event action",
        lambda c: c.add_webhook("campaign_email", "exploded", "https://h.example.com"),
        "event_action",
    ),
    ("unknown legacy type", lambda c: c.get_domain_emails_with_info("octagon.com", type="everything"), "type"),
    # dates
    (
        "date wrong format",
        lambda c: c.get_campaign_analytics(date_from="2024/01/01", date_to="2024-01-31"),
        "date_from",
    ),
    ("impossible date", lambda c: c.get_campaign_analytics(date_from="2024-01-01", date_to="2024-02-30"), "date_to"),
    ("date as number", lambda c: c.get_campaign_analytics(date_from=20240101, date_to="2024-01-31"), "date_from"),
    # urls
    ("profile url without scheme", lambda c: c.add_url_for_search("linkedin.com/in/john"), "url"),
    ("webhook endpoint ftp", lambda c: c.add_webhook("campaign_email", "sent", "ftp://h.example.com"), "endpoint_url"),
    # numbers
    ("page zero", lambda c: c.get_list_prospects(1, page=0), "page"),
    ("per page not a number", lambda c: c.get_list_prospects(1, per_page="many"), "per_page"),
    ("negative offset", lambda c: c.get_campaign_clicks(1, offset=-1), "offset"),
    ("legacy limit above 100", lambda c: c.get_domain_emails_with_info("octagon.com", limit=101), "limit"),
    ("legacy last id negative", lambda c: c.get_domain_emails_with_info("octagon.com", last_id=-1), "last_id"),
    # list sizes
    (
        "positions above 10",
        lambda c: c.start_prospects_search("octagon.com", positions=[f"p{i}" for i in range(11)]),
        "positions",
    ),
    (
        "legacy positions above 10",
        lambda c: c.get_domain_emails_with_info("octagon.com", positions=[f"p{i}" for i in range(11)]),
        "positions",
    ),
    ("v2 verification above 10", lambda c: c.start_email_verification(EMAILS_11), "emails"),
    ("empty email list", lambda c: c.add_emails_to_verification([]), "emails"),
    ("emails not a list", lambda c: c.get_emails_verification_status(42), "emails"),
    ("items not a list", lambda c: c.add_to_do_not_email_list(1, 3.5), "items"),
    (
        "finder rows above 10",
        lambda c: c.start_emails_by_name([{"first_name": "A", "last_name": "B", "domain": "octagon.com"}] * 11),
        "rows",
    ),
    (
        "finder row without domain",
        lambda c: c.start_emails_by_name([{"first_name": "A", "last_name": "B"}]),
        "rows[0].domain",
    ),
    (
        "finder row bad domain",
        lambda c: c.start_emails_by_name(
            [
                {"first_name": "A", "last_name": "B", "domain": "octagon.com"},
                {"first_name": "C", "last_name": "D", "domain": "not a domain"},
            ]
        ),
        "rows[1].domain",
    ),
    ("finder row not a mapping", lambda c: c.start_emails_by_name(["Ann Smith octagon.com"]), "rows[0]"),
    ("empty finder rows", lambda c: c.start_emails_by_name([]), "rows"),
    # mappings
    (
        "custom field key with bracket",
        lambda c: c.add_prospect_to_list(1, "a@octagon.com", custom_fields={"x][y": "1"}),
        "custom_fields",
    ),
    (
        "social links not a mapping",
        lambda c: c.add_prospect_to_list(1, "a@octagon.com", social_links="linkedin"),
        "social_links",
    ),
    (
        "update_contact not a boolean",
        lambda c: c.add_prospect_to_list(1, "a@octagon.com", update_contact="maybe"),
        "update_contact",
    ),
    # unknown and missing arguments
    ("unknown argument", lambda c: c.add_prospect_to_list(1, "a@octagon.com", nickname="Jo"), "nickname"),
    ("unknown argument via call", lambda c: c.call("get_balance", page=2), "page"),
    ("date_from without date_to", lambda c: c.get_campaign_analytics(date_from="2024-01-01"), "date_to"),
    (
        "date_to without date_from",
        lambda c: c.get_campaign_analytics(campaign_ids=[1], date_to="2024-01-31"),
        "date_from",
    ),
    ("missing domain via call", lambda c: c.call("start_domain_search"), "domain"),
    ("missing list id", lambda c: c.call("add_to_do_not_email_list", items=["a@octagon.com"]), "list_id"),
    ("none for a required first name", lambda c: c.get_emails_from_names(None, "Doe", "octagon.com"), "first_name"),
    ("legacy last id none via call", lambda c: c.call("get_domain_emails_with_info", domain="octagon.com"), "last_id"),
    # page sizes above the documented cap (#34 perPage <= 100)
    ("per page above 5000", lambda c: c.get_list_prospects(1, per_page=5001), "per_page"),
    ("per page 5001", lambda c: c.get_list_prospects(1, per_page="5001"), "per_page"),
    ("iterator per page above 5000", lambda c: c.iter_list_prospects(1, per_page=5001), "per_page"),
    ("iterator legacy limit above 100", lambda c: c.iter_domain_emails_with_info("octagon.com", limit=101), "limit"),
]

# Trailing newlines, NUL and other control characters: refused wherever they are (issue 6, item 8).
CONTROL: list[tuple[str, Invoke, str]] = [
    ("email with trailing newline", lambda c: c.get_profile_by_email("abc@example.com\n"), "email"),
    ("domain with trailing newline", lambda c: c.start_domain_search("octagon.com\n"), "domain"),
    ("path hash with trailing newline", lambda c: c.get_domain_search_result(TASK + "\n"), "task_hash"),
    ("query hash with trailing newline", lambda c: c.get_email_verification_result(TASK + "\n"), "task_hash"),
    (
        "prospect hash with trailing newline",
        lambda c: c.start_prospect_email_search("abcdef0123456789\n"),
        "prospect_hash",
    ),
    ("numeric id with trailing newline", lambda c: c.get_campaign_progress("42\n"), "campaign_id"),
    ("prospect id with trailing newline", lambda c: c.get_prospect_by_id("xusD3-T_K5IktGoaa8Jc8A==\n"), "prospect_id"),
    (
        "custom field key with trailing newline",
        lambda c: c.add_prospect_to_list(1, "a@octagon.com", custom_fields={"tier\n": "gold"}),
        "custom_fields",
    ),
    (
        "social link key with newline",
        lambda c: c.add_prospect_to_list(1, "a@octagon.com", social_links={"linked\nIn": "https://x.example.com"}),
        "social_links",
    ),
    (
        "date with trailing newline",
        lambda c: c.get_campaign_analytics(date_from="2024-01-01\n", date_to="2024-01-31"),
        "date_from",
    ),
    (
        "date with unicode digits",
        lambda c: c.get_campaign_analytics(date_from="\uff12\uff10\uff12\uff14-01-01", date_to="2024-01-31"),
        "date_from",
    ),
    ("enum with trailing newline", lambda c: c.change_recipient_status(1, "a@octagon.com", "Active\n"), "status"),
    (
        "boolean with trailing newline",
        lambda c: c.add_prospect_to_list(1, "a@octagon.com", update_contact="1\n"),
        "update_contact",
    ),
    ("url with NUL", lambda c: c.add_url_for_search("https://linkedin.com/in/jo\x00hn"), "url"),
    (
        "webhook url with trailing newline",
        lambda c: c.add_webhook("campaign_email", "sent", "https://h.example.com/x\n"),
        "endpoint_url",
    ),
    ("name with NUL", lambda c: c.get_emails_from_names("Jo\x00hn", "Doe", "octagon.com"), "first_name"),
    ("list name with a newline inside", lambda c: c.create_prospect_list("Q3\nleads"), "name"),
    ("list name with a C1 control", lambda c: c.create_prospect_list("Leads\x85"), "name"),
    ("position with DEL", lambda c: c.add_prospect_to_list(1, "a@octagon.com", position="CEO\x7f"), "position"),
    (
        "position filter with tab",
        lambda c: c.start_prospects_search("octagon.com", positions=["CEO\tCTO"]),
        "positions[0]",
    ),
    (
        "custom field value with NUL",
        lambda c: c.add_prospect_to_list(1, "a@octagon.com", custom_fields={"tier": "go\x00ld"}),
        "custom_fields[tier]",
    ),
    (
        "list item with trailing newline",
        lambda c: c.get_emails_verification_status(["a@octagon.com", "b@octagon.com\n"]),
        "emails[1]",
    ),
    ("do-not-email domain with newline", lambda c: c.add_to_do_not_email_list(1, ["competitor.com\n"]), "items[0]"),
    (
        "finder row name with newline",
        lambda c: c.start_emails_by_name([{"first_name": "Ann\n", "last_name": "Smith", "domain": "octagon.com"}]),
        "rows[0].first_name",
    ),
    ("page with trailing newline", lambda c: c.get_list_prospects(1, page="2\n"), "page"),
    ("offset in unicode digits", lambda c: c.get_campaign_clicks(1, offset="\u0661\u0662"), "offset"),
    ("offset with an underscore", lambda c: c.get_campaign_clicks(1, offset="1_000"), "offset"),
    ("cursor with NUL", lambda c: c.start_domain_emails_search("octagon.com", next_cursor="abc\x00"), "next_cursor"),
]

# Numbers: ints are capped like digit strings (at most 20 digits, not negative).
NUMBERS: list[tuple[str, Invoke, str]] = [
    ("int campaign id of 21 digits", lambda c: c.get_campaign_progress(10**20), "campaign_id"),
    ("int webhook id of 26 digits", lambda c: c.delete_webhook(10**25), "webhook_id"),
    ("string campaign id of 21 digits", lambda c: c.get_finished_prospects("1" * 21), "campaign_id"),
    ("int list id of 21 digits", lambda c: c.add_to_do_not_email_list(10**20, ["a@octagon.com"]), "list_id"),
    ("int prospect id of 21 digits", lambda c: c.get_prospect_by_id(10**20), "prospect_id"),
    ("negative int prospect id", lambda c: c.get_prospect_by_id(-1), "prospect_id"),
    ("offset of 21 digits", lambda c: c.get_campaign_opens(1, offset=10**20), "offset"),
    ("page of 21 digits", lambda c: c.get_list_prospects(1, page=10**20), "page"),
    ("analytics id of 21 digits", lambda c: c.get_campaign_analytics(campaign_ids=[1, 10**20]), "campaign_ids[1]"),
]

# Webhooks: the action must belong to the object (only the documented pairs).
WEBHOOK_PAIRS: list[tuple[str, Invoke, str]] = [
    (
        "reply object with an email action",
        lambda c: c.add_webhook("campaign_reply", "opened", "https://h.example.com"),
        "event_action",
    ),
    (
        "email object with a reply action",
        lambda c: c.add_webhook("campaign_email", "first_received", "https://h.example.com"),
        "event_action",
    ),
]

_MANY_EMAILS = [f"user{i:03d}@octagon.com" for i in range(101)]
_LONG_OWNERS = [f"{'owner' * 11}{i:03d}@{'sales' * 6}.example.com" for i in range(100)]
# List sizes: every list parameter is bounded, and no request grows past a sane URL/body size.
SIZES: list[tuple[str, Invoke, str]] = [
    ("101 do-not-email items", lambda c: c.add_to_do_not_email_list(1, _MANY_EMAILS), "items"),
    (
        "101 phones",
        lambda c: c.add_prospect_to_list(1, "a@octagon.com", phones=[f"+1555{i:07d}" for i in range(101)]),
        "phones",
    ),
    ("101 analytics campaign ids", lambda c: c.get_campaign_analytics(campaign_ids=range(1, 102)), "campaign_ids"),
    ("101 analytics sender ids", lambda c: c.get_campaign_analytics(sender_emails=range(1, 102)), "sender_emails"),
    (
        "101 analytics linkedin ids",
        lambda c: c.get_campaign_analytics(sender_linkedin=range(1, 102)),
        "sender_linkedin",
    ),
    ("101 analytics owners", lambda c: c.get_campaign_analytics(campaign_owners=_MANY_EMAILS), "campaign_owners"),
    (
        "101 custom fields",
        lambda c: c.add_prospect_to_list(1, "a@octagon.com", custom_fields={f"k{i}": "v" for i in range(101)}),
        "custom_fields",
    ),
    (
        "11 finder rows",
        lambda c: c.start_emails_by_name(
            [{"first_name": "A", "last_name": str(i), "domain": "octagon.com"} for i in range(11)]
        ),
        "rows",
    ),
    (
        "analytics filters too long for a URL",
        lambda c: c.get_campaign_analytics(campaign_ids=range(1, 51), campaign_owners=_LONG_OWNERS),
        "campaign_owners",
    ),
    (
        "legacy positions too long for a URL",
        lambda c: c.get_domain_emails_with_info("octagon.com", positions=["Vice President " * 45] * 10),
        "positions",
    ),
    (
        "a form body over the budget",
        lambda c: c.add_prospect_to_list(1, "a@octagon.com", position="x" * 300_000),
        "position",
    ),
    (
        "a JSON body over the budget",
        lambda c: c.add_webhook("campaign_email", "sent", "https://h.example.com/" + "a" * 300_000),
        "endpoint_url",
    ),
]

ALL_REFUSED = REFUSED + CONTROL + NUMBERS + WEBHOOK_PAIRS + SIZES


@pytest.mark.parametrize(("invoke", "field"), [(i, f) for _, i, f in ALL_REFUSED], ids=[d for d, _, _ in ALL_REFUSED])
def test_bad_input_is_refused_naming_the_field_and_nothing_is_sent(
    invoke: Invoke, field: str, harness: Harness
) -> None:
    with pytest.raises(SnovioValidationError) as caught:
        invoke(harness.client)
    assert caught.value.field == field
    assert repr(field) in str(caught.value)
    assert_nothing_sent(harness)
    assert harness.session.token_calls == []


def test_validation_errors_carry_the_endpoint_path(harness: Harness) -> None:
    with pytest.raises(SnovioValidationError) as caught:
        harness.client.get_campaign_progress("abc")
    assert caught.value.endpoint == "/v2/campaigns/{campaign_id}/progress"
    assert "/v2/campaigns/{campaign_id}/progress" in str(caught.value)
    assert isinstance(caught.value, ValueError)  # usable wherever a ValueError is expected


def test_unknown_argument_error_lists_the_known_names(harness: Harness) -> None:
    with pytest.raises(SnovioValidationError) as caught:
        harness.client.call("get_list_prospects", list_id=1, size=10)
    assert "list_id" in str(caught.value) and "per_page" in str(caught.value)


# Normalisation: what the validators send on the wire ---------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "wire"),
    [
        ("Octagon.COM", "octagon.com"),
        ("  octagon.com  ", "octagon.com"),
        ("www.octagon.com", "octagon.com"),
        ("octagon.com.", "octagon.com"),
        ("mail.octagon.co.uk", "mail.octagon.co.uk"),
        ("xn--80ak6aa92e.com", "xn--80ak6aa92e.com"),
    ],
)
def test_domain_is_normalised(raw: str, wire: str) -> None:
    assert v.domain("domain", raw) == wire


def test_email_keeps_local_part_and_lowercases_host() -> None:
    assert v.email("email", " John.Doe+x@Octagon.COM ") == "John.Doe+x@octagon.com"


@pytest.mark.parametrize(("raw", "wire"), [(1234567, "1234567"), ("0042", "0042"), (" 7 ", "7")])
def test_numeric_ids_become_digit_strings(raw: Any, wire: str) -> None:
    assert v.numeric_id("campaign_id", raw) == wire


@pytest.mark.parametrize(
    ("validator", "raw", "wire"),
    [
        (v.recipient_status, "paused", "Paused"),
        (v.recipient_status, "UNSUBSCRIBED", "Unsubscribed"),
        (v.recipient_status, " active ", "Active"),
        (v.webhook_status, "Active", "active"),
        (v.webhook_status, "DEACTIVATED", "deactivated"),
        (v.webhook_event_object, "Campaign_Reply", "campaign_reply"),
        (v.webhook_event_action, "First_Sent", "first_sent"),
        (v.domain_email_type, "GENERIC", "generic"),
    ],
)
def test_enums_are_case_normalised_to_the_canonical_spelling(validator: Any, raw: str, wire: str) -> None:
    assert validator("status", raw) == wire


@pytest.mark.parametrize(
    ("raw", "wire"),
    [
        (dt.date(2024, 1, 31), "2024-01-31"),
        (dt.datetime(2024, 1, 31, 23, 59, tzinfo=dt.timezone.utc), "2024-01-31"),
        (pendulum.datetime(2024, 2, 29, 12), "2024-02-29"),
        (pendulum.date(2024, 3, 1), "2024-03-01"),
        ("2024-12-01", "2024-12-01"),
    ],
)
def test_dates_accept_strings_and_date_objects(raw: Any, wire: str) -> None:
    assert v.iso_date("date_from", raw) == wire


def test_date_objects_reach_the_query_string(harness: Harness) -> None:
    harness.client.get_campaign_analytics(date_from=pendulum.datetime(2024, 6, 15, 8), date_to=dt.date(2024, 9, 15))
    assert harness.session.api_calls[0].params == [("date_from", "2024-06-15"), ("date_to", "2024-09-15")]


def test_hex_hash_accepts_mixed_case_hex() -> None:
    assert v.hex_hash("task_hash", "ABCDEF0123456789") == "ABCDEF0123456789"


def test_boolean_is_sent_as_one_or_zero() -> None:
    assert [v.boolean("b", x) for x in (True, False, "true", "0")] == [1, 0, 1, 0]


def test_list_of_drops_duplicates_only_when_asked() -> None:
    unique = v.list_of(v.email, unique=True)
    assert unique("emails", ["a@x.com", "A@X.COM", "a@x.com", "b@x.com"]) == ["a@x.com", "A@x.com", "b@x.com"]
    assert v.list_of(v.text)("positions", ["CEO", "CEO"]) == ["CEO", "CEO"]


def test_exactly_ten_is_allowed_where_ten_is_the_maximum(harness: Harness) -> None:
    harness.client.start_email_verification(EMAILS_11[:10])
    harness.client.start_prospects_search("octagon.com", positions=[f"p{i}" for i in range(10)])
    harness.client.start_emails_by_name(
        [{"first_name": "A", "last_name": str(i), "domain": "octagon.com"} for i in range(10)]
    )
    assert len(harness.session.api_calls) == 3


def test_path_values_are_percent_encoded_even_if_a_validator_let_something_through() -> None:
    # opaque ids may contain '/' and '=': they only ever travel in form bodies, never in paths.
    call = prepare(endpoint("get_prospect_by_id"), {"prospect_id": "ab/cd=="})
    assert call.path == "/v1/get-prospect-by-id" and call.form == [("id", "ab/cd==")]


def test_a_date_range_running_backwards_is_refused_before_sending(harness: Harness) -> None:
    with pytest.raises(SnovioValidationError, match="date_to") as failure:
        harness.client.get_campaign_analytics(campaign_ids=[1], date_from="2024-06-30", date_to="2024-06-01")
    assert failure.value.field == "date_to"
    assert failure.value.endpoint == "/v2/statistics/campaign-analytics"
    assert_nothing_sent(harness)
    same_day = prepare(endpoint("get_campaign_analytics"), {"date_from": "2024-06-01", "date_to": "2024-06-01"})
    assert ("date_to", "2024-06-01") in same_day.query


# Issue 6, item 8: what the stricter rules still accept ------------------------------------------------


def test_surrounding_spaces_are_still_stripped_but_inner_text_is_kept() -> None:
    assert v.email("email", "  abc@example.com ") == "abc@example.com"
    assert v.text("name", "  Q3 leads  ") == "Q3 leads"
    assert v.positive_int("page", " 7 ") == 7


@pytest.mark.parametrize(("raw", "wire"), [(10**20 - 1, "9" * 20), ("9" * 20, "9" * 20), (0, "0")])
def test_numeric_ids_of_up_to_20_digits_pass_as_ints_and_strings(raw: Any, wire: str) -> None:
    assert v.numeric_id("campaign_id", raw) == wire


@pytest.mark.parametrize(
    ("event_object", "event_action"), [(o, a) for o, actions in v.WEBHOOK_EVENTS.items() for a in actions]
)
def test_every_documented_webhook_pair_is_accepted(event_object: str, event_action: str) -> None:
    call = prepare(
        endpoint("add_webhook"),
        {"event_object": event_object, "event_action": event_action, "endpoint_url": "https://h.example.com/snovio"},
    )
    assert call.json == {
        "event_object": event_object,
        "event_action": event_action,
        "endpoint_url": "https://h.example.com/snovio",
    }


def test_exactly_the_default_maximum_of_list_items_is_one_request(harness: Harness) -> None:
    items = [f"user{i:03d}@octagon.com" for i in range(v.DEFAULT_MAX_ITEMS)]
    harness.client.add_to_do_not_email_list(1, items)
    (call,) = harness.session.api_calls
    assert [value for key, value in call.form if key == "items[]"] == items


def test_every_list_parameter_of_the_catalogue_is_bounded() -> None:
    from airflow_provider_snovio.api.catalogue import ENDPOINTS, Shape

    for row in ENDPOINTS:
        for param in row.params:
            if param.shape in (Shape.ARRAY, Shape.CSV):
                assert isinstance(param.check, v.ListOf), f"{row.name}.{param.name}"
                assert 1 <= param.check.max_items <= v.DEFAULT_MAX_ITEMS, f"{row.name}.{param.name}"


def test_a_size_error_names_the_parameter_and_the_budget(harness: Harness) -> None:
    from airflow_provider_snovio.api.encoding import MAX_QUERY_CHARS

    with pytest.raises(SnovioValidationError) as caught:
        harness.client.get_domain_emails_with_info("octagon.com", positions=["Vice President " * 45] * 10)
    assert caught.value.field == "positions"
    assert f"{MAX_QUERY_CHARS:,}" in str(caught.value) and "query string" in str(caught.value)
    assert_nothing_sent(harness)


def test_analytics_without_dates_is_all_time_sent_as_an_explicit_range(harness: Harness) -> None:
    """2026 #19: both dates are required, so all time is sent as 2000-01-01 to today (UTC)."""
    harness.client.get_campaign_analytics(campaign_ids=[1, 2])
    harness.client.get_campaign_analytics()
    first, second = harness.session.api_calls
    all_time = [("date_from", "2000-01-01"), ("date_to", dt.datetime.now(dt.UTC).date().isoformat())]
    assert first.params == [("campaign_id", "1,2"), *all_time]
    assert second.params == all_time


def test_one_analytics_date_without_the_other_names_the_missing_one(harness: Harness) -> None:
    with pytest.raises(SnovioValidationError, match="leave both out for all time") as caught:
        harness.client.get_campaign_analytics(date_from=dt.date(2024, 1, 1))
    assert caught.value.field == "date_to"
    assert caught.value.endpoint == "/v2/statistics/campaign-analytics"
    assert_nothing_sent(harness)

"""Every way Snov.io says no maps to one exception class whose message holds status, endpoint and Snov.io's text."""

from __future__ import annotations

import inspect
import json
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from typing import Any

import pytest
from airflow.exceptions import AirflowException

from airflow_provider_snovio.api import errors as errors_module
from airflow_provider_snovio.api.errors import (
    SnovioApiError,
    SnovioAuthError,
    SnovioError,
    SnovioNotFoundError,
    SnovioOutOfCreditsError,
    SnovioRateLimitError,
    SnovioResponseError,
    SnovioServerError,
    SnovioTooManyProcessingError,
    SnovioValidationError,
)
from airflow_provider_snovio.api.responses import clean_text, parse_response, retry_after_seconds
from tests.unit.conftest import FakeResponse, Harness, ok, status

PATH = "/v1/get-balance"
NOT_FOUND = {"errors": {"code": 404, "title": "Sorry, but url or entity not found", "source": ""}}
OUT_OF_CREDITS = {"success": False, "message": "Sorry, you ran out of credits, please order more credits"}


def parse(code: int, body: Any, headers: dict[str, str] | None = None, path: str = PATH) -> Any:
    raw = body if isinstance(body, bytes | str) else json.dumps(body)
    return parse_response(code, headers or {}, raw, path)


# HTTP statuses --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "body", "error", "text"),
    [
        (401, {"message": "Unauthorized"}, SnovioAuthError, "Unauthorized"),
        (401, "", SnovioAuthError, "no body"),
        (403, {"error": "access_denied", "error_description": "Token revoked"}, SnovioAuthError, "Token revoked"),
        (404, NOT_FOUND, SnovioNotFoundError, "Sorry, but url or entity not found"),
        (429, {"message": "Too Many Attempts."}, SnovioRateLimitError, "Too Many Attempts."),
        (500, "<html><body>Internal Server Error</body></html>", SnovioServerError, "Internal Server Error"),
        (502, "Bad Gateway", SnovioServerError, "Bad Gateway"),
        (503, {"message": "Service Unavailable"}, SnovioServerError, "Service Unavailable"),
        (504, "", SnovioServerError, "no body"),
        (400, OUT_OF_CREDITS, SnovioOutOfCreditsError, "Sorry, you ran out of credits, please order more credits"),
        (
            400,
            {"success": False, "errors": {"email": ["The email must be a valid email address."]}},
            SnovioApiError,
            "The email must be a valid email address.",
        ),
        (422, {"message": "The given data was invalid."}, SnovioApiError, "The given data was invalid."),
    ],
)
def test_http_errors_map_to_their_class_with_status_path_and_text(
    code: int, body: Any, error: type[SnovioError], text: str
) -> None:
    with pytest.raises(error) as caught:
        parse(code, body)
    message = str(caught.value)
    assert f"HTTP {code}" in message
    assert PATH in message
    assert text in message
    assert caught.value.status == code and caught.value.endpoint == PATH


def test_404_error_carries_the_documented_title() -> None:
    with pytest.raises(SnovioNotFoundError) as caught:
        parse(404, NOT_FOUND, path="/v2/domain-search/result/{task_hash}")
    assert caught.value.detail == "Sorry, but url or entity not found"
    assert str(caught.value) == (
        "Snov.io HTTP 404 /v2/domain-search/result/{task_hash}: Sorry, but url or entity not found"
    )


@pytest.mark.parametrize(
    ("headers", "retry_after"),
    [
        ({"Retry-After": "30"}, 30.0),
        ({"retry-after": "1.5"}, 1.5),
        ({}, None),
        ({"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),  # a date in the past: now
        ({"Retry-After": "-4"}, 0.0),
        ({"Retry-After": "soon"}, None),
        ({"Retry-After": "nan"}, None),
    ],
)
def test_429_keeps_retry_after(headers: dict[str, str], retry_after: float | None) -> None:
    with pytest.raises(SnovioRateLimitError) as caught:
        parse(429, {"message": "slow down"}, headers)
    assert caught.value.retry_after == retry_after


def _http_date(seconds_from_now: float) -> str:
    return format_datetime(datetime.now(timezone.utc) + timedelta(seconds=seconds_from_now), usegmt=True)


@pytest.mark.parametrize("code", [429, 503])
def test_retry_after_as_an_http_date_is_read_as_seconds_from_now(code: int) -> None:
    with pytest.raises((SnovioRateLimitError, SnovioServerError)) as caught:
        parse(code, {"message": "slow down"}, {"Retry-After": _http_date(120)})
    assert 115 <= caught.value.retry_after <= 121


def test_retry_after_seconds_reads_both_forms_against_a_given_clock() -> None:
    now = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc).timestamp()
    assert retry_after_seconds({"Retry-After": "Thu, 01 Jan 2026 12:01:30 GMT"}, now=now) == 90.0
    assert retry_after_seconds({"Retry-After": " 12 "}, now=now) == 12.0
    assert retry_after_seconds({}, now=now) is None


@pytest.mark.parametrize(
    ("code", "headers", "retry_after"),
    [
        (503, {"Retry-After": "20"}, 20.0),
        (503, {}, None),
        (502, {"Retry-After": "3"}, 3.0),
    ],
)
def test_server_errors_keep_retry_after(code: int, headers: dict[str, str], retry_after: float | None) -> None:
    with pytest.raises(SnovioServerError) as caught:
        parse(code, "Service Unavailable", headers)
    assert caught.value.retry_after == retry_after


def test_too_many_processing_keeps_retry_after() -> None:
    with pytest.raises(SnovioTooManyProcessingError) as caught:
        parse(429, {"message": "There are too many prospects processing"}, {"Retry-After": "1800"})
    assert caught.value.retry_after == 1800.0


# Redirects are never followed (issue 6, item 9) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "location", "text"),
    [
        (301, "https://evil.example.com/steal?token=abc", "unexpected redirect to evil.example.com"),
        (302, "/v1/elsewhere", "unexpected redirect to a path on the same host"),
        (307, None, "unexpected redirect to nowhere"),
    ],
)
def test_a_3xx_is_an_api_error_naming_only_the_host(code: int, location: str | None, text: str) -> None:
    headers = {"Location": location} if location else {}
    with pytest.raises(SnovioApiError) as caught:
        parse(code, "", headers)
    assert text in str(caught.value)
    assert "token" not in str(caught.value) and "steal" not in str(caught.value)
    assert caught.value.status == code and caught.value.endpoint == PATH


# Secrets are scrubbed before the text is shortened (issue 6, item 7) --------------------------------------

SECRET = "CLIENT-SECRET-s3cr3t-never-log-me"


@pytest.mark.parametrize("cut", range(1, len(SECRET)))
def test_a_secret_cut_by_the_json_text_limit_leaves_no_prefix(cut: int) -> None:
    message = "x" * (500 - cut) + SECRET + " tail"  # the 500-character limit falls inside the secret
    with pytest.raises(SnovioApiError) as caught:
        parse_response(400, {}, json.dumps({"success": False, "message": message}), PATH, {SECRET})
    assert SECRET[:cut] not in caught.value.detail
    assert caught.value.detail.startswith("x" * (500 - cut)), "the text before the secret is kept"
    assert len(caught.value.detail) <= 500


@pytest.mark.parametrize("cut", [1, 8, len(SECRET) - 1])
def test_a_secret_cut_by_the_raw_text_limit_leaves_no_prefix(cut: int) -> None:
    body = "<html>" + "y" * (200 - 6 - cut) + SECRET + "</html>"
    with pytest.raises(SnovioServerError) as caught:
        parse_response(502, {}, body, PATH, {SECRET})
    assert SECRET[:cut] not in caught.value.detail
    assert len(caught.value.detail) <= 200


def test_a_json_escaped_secret_is_scrubbed_too() -> None:
    secret = 'pa"ss\\word'
    body = json.dumps({"success": False, "errors": {"client_secret": [f"bad {secret}"]}, "x": "y" * 600})
    with pytest.raises(SnovioApiError) as caught:
        parse_response(400, {}, body, PATH, {secret})
    assert secret not in caught.value.detail and "pa" not in caught.value.detail.replace("***", "")


def test_non_json_error_body_is_shortened() -> None:
    with pytest.raises(SnovioServerError) as caught:
        parse(500, "x" * 5000)
    assert len(caught.value.detail) <= 200


def test_long_json_error_text_is_shortened() -> None:
    with pytest.raises(SnovioApiError) as caught:
        parse(400, {"success": False, "errors": {"field": {"nested": "y" * 5000}}})
    assert len(caught.value.detail) <= 500


# 2xx bodies that are errors -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ({"success": False, "message": "List not found"}, "List not found"),
        ({"success": False, "errors": ["Campaign is not active"]}, "Campaign is not active"),
        ({"success": False, "errors": "Invalid listId"}, "Invalid listId"),
        ({"success": False, "result": "Webhook limit reached"}, "Webhook limit reached"),
        ({"success": False, "error": "Prospect not found"}, "Prospect not found"),
        ([{"success": False, "message": "List with this name already exists"}], "List with this name already exists"),
        ([{"success": False}], "success"),
    ],
)
def test_2xx_success_false_is_an_api_error(body: Any, text: str) -> None:
    with pytest.raises(SnovioApiError) as caught:
        parse(200, body)
    assert text in str(caught.value)
    assert "HTTP 200" in str(caught.value) and PATH in str(caught.value)


def test_2xx_out_of_credits_body_is_out_of_credits() -> None:
    with pytest.raises(SnovioOutOfCreditsError):
        parse(200, OUT_OF_CREDITS)


@pytest.mark.parametrize(
    "body",
    [
        {"data": [], "meta": {"task_hash": "ab12cd34ef"}, "status": "not_enough_credits"},
        {"data": [], "status": "Not_Enough_Credits"},
        [{"status": "not_enough_credits"}],
    ],
)
def test_v2_status_not_enough_credits_is_out_of_credits(body: Any) -> None:
    with pytest.raises(SnovioOutOfCreditsError) as caught:
        parse(200, body, path="/v2/emails-by-domain-by-name/result")
    assert "not_enough_credits" in str(caught.value).lower()


def test_too_many_prospects_processing_has_its_own_class() -> None:
    with pytest.raises(SnovioTooManyProcessingError):
        parse(200, {"success": False, "message": "There are too many prospects processing. Please try later"})


# Successful bodies ----------------------------------------------------------------------------------------


def test_success_true_is_returned_with_unknown_fields_kept() -> None:
    body = {
        "success": True,
        "data": {"balance": "25000.00", "teamwork": False, "brand_new_field": {"x": [1]}},
        "new_top_level": "kept",
    }
    assert parse(200, body) == body


def test_array_bodies_with_several_rows_are_data_not_errors() -> None:
    rows = [{"id": 1, "success": False}, {"id": 2, "status": "Paused", "newField": True}]
    assert parse(200, rows) == rows


def test_array_wrapped_success_is_returned() -> None:
    assert parse(200, [{"success": True, "data": {"id": 1234567}}]) == [{"success": True, "data": {"id": 1234567}}]


@pytest.mark.parametrize("code", [200, 201, 202, 204])
def test_any_2xx_with_a_json_body_is_success(code: int) -> None:
    assert parse(code, {"data": [], "meta": {"task_hash": "abcdef0123"}})["meta"]["task_hash"] == "abcdef0123"


def test_stray_nul_characters_are_stripped_before_parsing() -> None:
    raw = b'{"success": true,\x00 "data": {"balance": "25000.00\\u0000", "name": "Oct\x00agon"}}\x00'
    assert parse_response(200, {}, raw, PATH) == {"success": True, "data": {"balance": "25000.00", "name": "Octagon"}}
    assert clean_text("a\x00b\\u0000c") == "abc"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("C:\\u0000dir", "C:\\u0000dir"),  # a literal backslash, then the text "u0000": kept as sent
        ("x\u0000y", "xy"),  # a NUL escape: dropped
        ("\\\u0000z", "\\z"),  # an escaped backslash, then a NUL escape
    ],
)
def test_only_real_nul_escapes_are_stripped(value: str, expected: str) -> None:
    assert parse_response(200, {}, json.dumps({"p": value}), "/v1/x") == {"p": expected}


def test_stray_nul_in_an_error_body_is_stripped_too() -> None:
    with pytest.raises(SnovioOutOfCreditsError) as caught:
        parse_response(400, {}, b'\x00{"success": false, "message": "Sorry, you ran out of credits\\u0000"}', PATH)
    assert "\x00" not in str(caught.value) and "\\u0000" not in str(caught.value)


@pytest.mark.parametrize(
    ("raw", "text"),
    [(b"", "empty body"), (b"   ", "empty body"), (b'{"data": [', "not valid JSON"), (b"<html>", "not valid JSON")],
)
def test_unreadable_2xx_body_is_a_response_error(raw: bytes, text: str) -> None:
    with pytest.raises(SnovioResponseError, match=text):
        parse_response(200, {}, raw, PATH)


def test_invalid_utf8_does_not_crash_the_parser() -> None:
    assert parse_response(200, {}, b'{"name": "Caf\xe9"}', PATH) == {"name": "Caf\ufffd"}


# Through the client ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("response", "error", "text"),
    [
        (status(404, NOT_FOUND), SnovioNotFoundError, "Sorry, but url or entity not found"),
        (status(400, OUT_OF_CREDITS), SnovioOutOfCreditsError, "ran out of credits"),
        (ok({"success": False, "message": "Task not found"}), SnovioApiError, "Task not found"),
        (ok({"status": "not_enough_credits", "data": []}), SnovioOutOfCreditsError, "not_enough_credits"),
        (FakeResponse(200, b'{"data": {"company_na'), SnovioResponseError, "truncated"),
    ],
)
def test_client_raises_the_mapped_error_with_the_endpoint_template(
    response: FakeResponse, error: type[SnovioError], text: str, make_harness: Any
) -> None:
    h: Harness = make_harness(max_retries=0)
    path = "/v2/domain-search/result/{task_hash}"
    h.session.queue("/v2/domain-search/result/abcdef0123456789", response)
    with pytest.raises(error) as caught:
        h.client.get_domain_search_result("abcdef0123456789")
    assert caught.value.endpoint == path
    assert path in str(caught.value)
    assert text in str(caught.value)
    assert f"HTTP {response.status_code}" in str(caught.value)


def test_client_returns_unknown_fields_untouched(harness: Harness) -> None:
    body = {"status": "Active", "unfinished": 1, "progress": "90%", "eta_minutes": 12}
    harness.session.queue("/v2/campaigns/77/progress", ok(body))
    assert harness.client.get_campaign_progress(77) == body


# The hierarchy --------------------------------------------------------------------------------------------


def _error_classes() -> list[type[BaseException]]:
    return [cls for _, cls in inspect.getmembers(errors_module, inspect.isclass) if issubclass(cls, SnovioError)]


def test_every_snovio_error_is_an_airflow_exception() -> None:
    classes = _error_classes()
    assert len(classes) >= 12
    for cls in classes:
        assert issubclass(cls, AirflowException), cls.__name__


def test_error_without_status_or_endpoint_still_reads_well() -> None:
    assert str(SnovioError("something odd")) == "Snov.io: something odd"
    assert str(SnovioServerError("boom", status=502)) == "Snov.io HTTP 502: boom"


def test_validation_error_names_the_field() -> None:
    error = SnovioValidationError("campaign_id", "is required", endpoint="/v1/prospect-finished")
    assert error.field == "campaign_id"
    assert str(error) == "Snov.io /v1/prospect-finished: invalid 'campaign_id': is required"

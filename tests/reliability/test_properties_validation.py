"""Property-based tests of the input validators (``api/validation.py``).

* accepted values round-trip: a valid domain, e-mail, id, hash, date, status or URL comes back as its wire
  form, and validating the wire form again changes nothing;
* any value with a control character anywhere (a trailing newline, a NUL, a tab...) is refused, naming the
  field;
* whatever string is passed, a validator either accepts it or raises ``SnovioValidationError`` naming the
  field - never another exception;
* nothing a hash or id validator accepts can alter a URL path (no ``/``, ``.``, ``%``, ``?``, ``#``).
"""

from __future__ import annotations

import string
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_snovio.api import validation as v
from airflow_provider_snovio.api.errors import SnovioValidationError
from tests.reliability.support import PROPERTY

label = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)
tld = st.from_regex(r"[a-z][a-z0-9-]{0,5}[a-z0-9]", fullmatch=True)
domains = st.builds(lambda labels, top: ".".join([*labels, top]), st.lists(label, min_size=1, max_size=3), tld).filter(
    lambda d: not d.startswith("www.")
)  # the validator drops a leading "www."
locals_ = st.from_regex(r"[A-Za-z0-9._%+'-]{1,20}", fullmatch=True)
emails = st.builds(lambda local, host: f"{local}@{host}", locals_, domains)
hex_hashes = st.text("0123456789abcdefABCDEF", min_size=8, max_size=64)
ids = st.integers(min_value=0, max_value=10**20 - 1)
dates = st.dates(min_value=date(1970, 1, 1), max_value=date(2999, 12, 31))
urls = st.builds(
    lambda host, path: f"https://{host}/{path}",
    domains,
    st.text(string.ascii_letters + string.digits + "-_/", max_size=20),
)
controls = st.sampled_from([chr(c) for c in (*range(0x20), 0x7F, 0x85, 0x9F)])

#: (validator, strategy of accepted values, the wire form expected for a value)
ROUND_TRIPS: dict[str, tuple[Callable[[str, Any], Any], Any, Callable[[Any], Any]]] = {
    "domain": (v.domain, domains, str.lower),
    "email": (v.email, emails, lambda e: e.rpartition("@")[0] + "@" + e.rpartition("@")[2].lower()),
    "numeric_id": (v.numeric_id, ids.map(str), str),
    "task_hash": (v.hex_hash, hex_hashes, str),
    "date_from": (v.iso_date, dates.map(date.isoformat), str),
    "status": (v.recipient_status, st.sampled_from(v.RECIPIENT_STATUSES), str),
    "endpoint_url": (v.url, urls, str),
    "name": (
        v.text,
        st.text(st.characters(blacklist_categories=("Cc", "Cs", "Zs", "Zl", "Zp")), min_size=1, max_size=20),
        str,
    ),
    "page": (v.positive_int, st.integers(min_value=1, max_value=10**19).map(str), int),
}


@pytest.mark.parametrize("field", sorted(ROUND_TRIPS))
def test_accepted_values_round_trip(field: str) -> None:
    validator, values, wire = ROUND_TRIPS[field]

    @PROPERTY
    @given(values)
    def check(value: Any) -> None:
        accepted = validator(field, value)
        assert accepted == wire(value)
        assert validator(field, str(accepted)) == accepted  # the wire form is accepted as is

    check()


@pytest.mark.parametrize("field", sorted(ROUND_TRIPS))
def test_a_control_character_anywhere_is_refused(field: str) -> None:
    validator, values, _ = ROUND_TRIPS[field]

    @PROPERTY
    @given(values, controls, st.integers(min_value=0, max_value=100), st.booleans())
    def check(value: Any, control: str, position: int, at_end: bool) -> None:
        text = str(value)
        cut = len(text) if at_end else position % (len(text) + 1)
        with pytest.raises(SnovioValidationError) as refused:
            validator(field, text[:cut] + control + text[cut:])
        assert refused.value.field == field

    check()


@pytest.mark.parametrize("field", sorted(ROUND_TRIPS))
def test_any_string_is_accepted_idempotently_or_refused_naming_the_field(field: str) -> None:
    validator = ROUND_TRIPS[field][0]

    @PROPERTY
    @given(st.one_of(st.text(max_size=30), st.from_regex(r"[ -~]{0,30}", fullmatch=True)))
    def check(value: str) -> None:
        try:
            accepted = validator(field, value)
        except SnovioValidationError as error:
            assert error.field == field
            return
        assert validator(field, str(accepted)) == accepted

    check()


@PROPERTY
@given(st.text(max_size=40))
def test_nothing_accepted_as_a_hash_or_id_can_alter_a_url_path(value: str) -> None:
    for validator in (v.hex_hash, v.numeric_id):
        try:
            accepted = validator("task_hash", value)
        except SnovioValidationError:
            continue
        assert not set(accepted) & set("/.%?#&\\ ")


@PROPERTY
@given(st.lists(st.one_of(emails, emails.map(str.upper)), min_size=1, max_size=v.DEFAULT_MAX_ITEMS))
def test_email_lists_keep_their_order_without_duplicates(values: list[str]) -> None:
    checked = v.list_of(v.email, unique=True)("emails", values)
    expected = list(dict.fromkeys(v.email("emails", item) for item in values))
    assert checked == expected
    assert len(set(checked)) == len(checked)


@PROPERTY
@given(st.integers(min_value=v.DEFAULT_MAX_ITEMS + 1, max_value=3 * v.DEFAULT_MAX_ITEMS))
def test_too_long_lists_are_refused_before_their_items(length: int) -> None:
    with pytest.raises(SnovioValidationError) as refused:
        v.list_of(v.email)("emails", ["not an e-mail"] * length)
    assert refused.value.field == "emails" and "at most" in refused.value.problem

"""Property-based tests of the response parsers (``api/responses.py``, ``api/records.py``, ``api/resources.py``).

* ``parse_response`` returns any JSON object exactly (unknown fields kept), whatever stray NUL bytes the
  body carries between its characters, and a NUL inside a string (sent escaped, ``\\u0000``) is dropped;
* timestamps: PHP ``{date, timezone_type, timezone}`` objects in any fixed-offset zone, unix seconds (int,
  float, numeric string) all become the same UTC instant;
* rates such as ``"77%"`` become the number, whatever the spacing or decimal comma;
* a record's typed row does not depend on fields no column knows (they stay in ``raw``).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from airflow_provider_snovio.api import records
from airflow_provider_snovio.api.resources import resource
from airflow_provider_snovio.api.responses import parse_response
from tests.reliability.support import PROPERTY

# Text without NUL; backslashes included, and strings holding a literal backslash followed by "u0000"
# (which the NUL stripping once mangled): they must come back exactly as sent.
plain_text = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
literal_escape_text = st.builds(lambda before, after: f"{before}\\u0000{after}", plain_text, plain_text)
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    plain_text,
    literal_escape_text,
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(plain_text, inner, max_size=4)),
    max_leaves=12,
)
bodies = st.dictionaries(plain_text, json_values, max_size=6).filter(lambda body: body.get("success") is not False)


@PROPERTY
@given(bodies, st.lists(st.integers(min_value=0, max_value=10**6), max_size=4), st.booleans())
def test_any_object_survives_stray_nul_bytes_and_keeps_unknown_fields(
    body: dict[str, Any], positions: list[int], as_bytes: bool
) -> None:
    text = json.dumps(body, ensure_ascii=False)
    for position in positions:  # raw NULs anywhere, between characters (inside strings too)
        cut = position % (len(text) + 1)
        text = text[:cut] + "\x00" + text[cut:]
    wire = text.encode() if as_bytes else text
    assert parse_response(200, {}, wire, "/v1/anything") == body


@PROPERTY
@given(plain_text, plain_text)
def test_an_escaped_nul_inside_a_string_is_dropped(before: str, after: str) -> None:
    body = json.dumps({"emailBody": f"{before}\x00{after}"})  # json.dumps escapes it: \u0000
    assert "\\u0000" in body
    assert parse_response(200, {}, body, "/v1/get-emails-replies") == {"emailBody": before + after}


instants = st.datetimes(
    min_value=datetime(1971, 1, 1), max_value=datetime(2099, 12, 31), timezones=st.just(timezone.utc)
)
#: Fixed-offset zones in every spelling PHP uses: type 1 offsets, type 2 abbreviations, type 3 names.
ZONES: list[tuple[int, str, timedelta]] = [
    (3, "UTC", timedelta(0)),
    (3, "Asia/Tokyo", timedelta(hours=9)),
    (3, "Asia/Kolkata", timedelta(hours=5, minutes=30)),
    (3, "Etc/GMT+5", timedelta(hours=-5)),
    (2, "EST", timedelta(hours=-5)),
    (2, "CEST", timedelta(hours=2)),
    (2, "GMT", timedelta(0)),
    (1, "+02:00", timedelta(hours=2)),
    (1, "-03:30", timedelta(hours=-3, minutes=-30)),
    (1, "+0545", timedelta(hours=5, minutes=45)),
]


@PROPERTY
@given(instants, st.sampled_from(ZONES), st.booleans())
def test_php_datetime_objects_become_the_same_utc_instant(
    moment: datetime, zone: tuple[int, str, timedelta], micro: bool
) -> None:
    moment = moment if micro else moment.replace(microsecond=0)
    kind, name, offset = zone
    local = (moment + offset).replace(tzinfo=None)
    spelled = local.strftime("%Y-%m-%d %H:%M:%S.%f" if micro else "%Y-%m-%d %H:%M:%S")
    value = {"date": spelled, "timezone_type": kind, "timezone": name}
    assert records.timestamp(value) == moment
    assert records.timestamp(value).tzinfo is not None


@PROPERTY
@given(instants)
def test_unix_seconds_in_every_spelling_are_the_same_instant(moment: datetime) -> None:
    seconds = int(moment.timestamp())
    expected = datetime.fromtimestamp(seconds, timezone.utc)
    for spelled in (seconds, float(seconds), str(seconds), f" {seconds} ", f"{seconds}.0"):
        assert records.timestamp(spelled) == expected, spelled


@PROPERTY
@given(
    st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False),
    st.sampled_from(["{}%", "{} %", " {}% ", "{}", "{}%%"]),
    st.booleans(),
)
def test_rates_are_percent_numbers(number: Any, spelling: str, comma: bool) -> None:
    text = str(number).replace(".", ",") if comma else str(number)
    assert records.rate(spelling.format(text)) == float(number)
    assert records.rate(float(number)) == float(number)


@PROPERTY
@given(
    st.sampled_from(["campaign_replies", "campaign_opens", "emails_sent", "finished_prospects", "user_lists"]),
    st.dictionaries(plain_text.map(lambda key: f"unknown_{key}"), json_values, min_size=1, max_size=4),
)
def test_unknown_fields_do_not_change_the_typed_row(name: str, unknown: dict[str, Any]) -> None:
    res = resource(name)
    record = {
        "id": "5f1d3c2b",
        "visitedAt": {"date": "2024-03-05 10:00:00.000000", "timezone_type": 3, "timezone": "UTC"},
        "sentDate": 1709632800,
        "campaign": "Q1",
        "prospectEmail": "a@octagon.com",
        "userName": "Ann",
        "isDeleted": False,
        "name": "Leads",
    }
    scope = {"campaign_id": 237900}
    assert res.row({**record, **unknown}, scope) == res.row(record, scope)

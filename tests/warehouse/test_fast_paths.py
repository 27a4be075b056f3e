"""The load path's fast paths give exactly what the general paths give.

* ``records.timestamp``: the ``fromisoformat(text + offset)`` fast path for PHP DateTime objects equals the
  general parse (:func:`records._parse_text_datetime` in the object's zone) for every zone spelling
  (timezone_type 1, 2, 3, zones with DST rules, unknown names) and every text shape, odd ones included;
* ``Resource.values``/``row`` (the inlined field rule) equal :meth:`Field.value` field by field;
* ``Warehouse.write_page`` (the upsert compiled once, parameters converted by the column types' own bind
  processors, sent with ``exec_driver_sql`` - or psycopg2's ``execute_values``) stores byte for byte what
  SQLAlchemy's ``connection.execute(upsert_statement, rows)`` stores, on SQLite and PostgreSQL, including
  the last-record-of-a-key-wins rule and the update of every non-key column of an existing row.
"""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_snovio.api import records
from airflow_provider_snovio.api.incremental import Page, Position
from airflow_provider_snovio.api.resources import RESOURCES, resource
from airflow_provider_snovio.transfers.engines.postgres import Psycopg2Upsert
from airflow_provider_snovio.transfers.engines.upsert import upsert_statement
from airflow_provider_snovio.transfers.warehouse import Warehouse

EXAMPLES = settings(
    max_examples=400, deadline=None, derandomize=True, database=None, suppress_health_check=[HealthCheck.too_slow]
)

# --- records.timestamp ---------------------------------------------------------------------------------

ZONE_NAMES = [
    "UTC",
    "utc",
    "GMT",
    "Z",
    "EST",
    "cest",
    "MSK",
    "+02:00",
    "-03:30",
    "+0545",
    "-00:00",
    "+5",
    "+23:59",
    "-23:59",
    "+24:00",
    "+99:00",
    "Europe/Berlin",
    "America/New_York",
    "Asia/Kolkata",
    "Etc/GMT+5",
    "Australia/Lord_Howe",
    "Nowhere/Atlantis",
    " UTC ",
    "",
    None,
    7,
]
#: Text shapes: the usual one, other fraction lengths, "T", an own offset or Z, spaces, date only, junk.
SHAPES = [
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S.%f",
    "%Y-%m-%dT%H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f+02:00",
    "%Y-%m-%dT%H:%M:%SZ",
    "%Y-%m-%d %H:%M:%S-0500",
    " %Y-%m-%d %H:%M:%S ",
    "%Y-%m-%d",
    "%Y-%m-%d %H:%M",
    "%Y%m%dT%H%M%S",
    "%Y-%m-%d %H:%M:%S.%f7",
    "%Y-%m-%dx%H:%M:%S",
    "%d/%m/%Y %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.",
    "%Y-%m-%d %H:%M:%S,%f",
]


def general_path(value: dict[str, Any]) -> datetime | None:
    """What :func:`records.timestamp` gave before the fast path: the zone, then the general text parse."""
    text, name = value.get("date"), value.get("timezone")
    if not isinstance(text, str):
        return None
    zone = records._named_zone(name)[0] if isinstance(name, str) and name else timezone.utc
    return None if zone is None else records._parse_text_datetime(text, zone)


def same(got: datetime | None, expected: datetime | None) -> bool:
    """Equal, and equal in every field: same instant, same tzinfo (UTC)."""
    if got is None or expected is None:
        return got is expected
    return got == expected and got.tzinfo is expected.tzinfo is timezone.utc and got.isoformat() == expected.isoformat()


@EXAMPLES
@given(
    st.datetimes(min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30)),
    st.sampled_from(SHAPES),
    st.integers(0, 6),
    st.sampled_from(ZONE_NAMES),
    st.sampled_from([1, 2, 3, None, "3"]),
)
def test_timestamp_fast_path_equals_the_general_path(
    moment: datetime, shape: str, digits: int, zone: Any, timezone_type: Any
) -> None:
    text = moment.strftime(shape)
    if digits < 6 and ".%f" in shape and shape.endswith("%f"):  # shorter fractions: .1 ... .12345
        text = text[: len(text) - (6 - digits)] if digits else text[: text.rindex(".")]
    value = {"date": text, "timezone_type": timezone_type, "timezone": zone}
    assert same(records.timestamp(value), general_path(value)), value


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (
            {"date": "2020-07-14 13:10:46.000000", "timezone_type": 3, "timezone": "UTC"},
            datetime(2020, 7, 14, 13, 10, 46, tzinfo=timezone.utc),
        ),
        (
            {"date": "2020-07-14 13:10:46.250000", "timezone_type": 2, "timezone": "EST"},
            datetime(2020, 7, 14, 18, 10, 46, 250000, tzinfo=timezone.utc),
        ),
        (
            {"date": "2020-07-14 13:10:46", "timezone_type": 1, "timezone": "+05:30"},
            datetime(2020, 7, 14, 7, 40, 46, tzinfo=timezone.utc),
        ),
        (
            {"date": "2020-07-14 13:10:46.000000", "timezone_type": 3, "timezone": "Europe/Berlin"},  # CEST: +2
            datetime(2020, 7, 14, 11, 10, 46, tzinfo=timezone.utc),
        ),
        (
            {"date": "2020-01-14 13:10:46.000000", "timezone_type": 3, "timezone": "Europe/Berlin"},  # CET: +1
            datetime(2020, 1, 14, 12, 10, 46, tzinfo=timezone.utc),
        ),
        (
            {"date": "2020-07-14", "timezone_type": 1, "timezone": "+02:00"},  # date only: midnight in the zone
            datetime(2020, 7, 13, 22, 0, tzinfo=timezone.utc),
        ),
        (
            {"date": "2020-07-14 13:10:46Z", "timezone_type": 1, "timezone": "+02:00"},  # the text's own zone wins
            datetime(2020, 7, 14, 13, 10, 46, tzinfo=timezone.utc),
        ),
        ({"date": "2020-07-14 13:10:46.000000", "timezone_type": 3, "timezone": "Nowhere/Atlantis"}, None),
        ({"date": "not a date", "timezone_type": 3, "timezone": "UTC"}, None),
    ],
)
def test_timestamp_known_values(value: dict[str, Any], expected: datetime | None) -> None:
    assert same(records.timestamp(value), expected)


def test_an_offset_beyond_a_day_is_unreadable_not_an_error() -> None:
    # ``timezone(timedelta(hours=99))`` raises ValueError: the parser used to let it escape (a nightly sync
    # stopped by one odd record); a parser returns None for what it cannot read.
    assert records.timestamp({"date": "2020-07-14 13:10:46", "timezone_type": 1, "timezone": "+99:00"}) is None
    assert records.timestamp({"date": "2020-07-14 13:10:46", "timezone_type": 1, "timezone": "-24:00"}) is None


def test_text_keeps_its_rule() -> None:
    assert [records.text(v) for v in ("a", "", None, True, False, 0, 1.5, {"b": 1, "a": [2]})] == [
        "a",
        None,
        None,
        "true",
        "false",
        "0",
        "1.5",
        '{"a":[2],"b":1}',
    ]


# --- Resource.values / row ------------------------------------------------------------------------------

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False),
    st.text(max_size=6),
    st.sampled_from(["", "12", " 7 ", "77%", "true", "0", "2020-07-14"]),
    st.fixed_dictionaries(
        {
            "date": st.sampled_from(["2020-07-14 13:10:46.000000", "x"]),
            "timezone_type": st.just(3),
            "timezone": st.sampled_from(["UTC", "EST"]),
        }
    ),
)
values = st.one_of(scalars, st.lists(scalars, max_size=2), st.dictionaries(st.text(max_size=3), scalars, max_size=2))


@st.composite
def resource_records(draw: Any) -> tuple[str, dict[str, Any]]:
    name = draw(st.sampled_from(sorted(RESOURCES)))
    wire: list[str] = ["id", "emails"]
    for f in RESOURCES[name].fields:
        wire.extend([f.source] if isinstance(f.source, str) else list(f.source or ()))
    record = draw(st.dictionaries(st.sampled_from(wire), values, max_size=len(wire)))
    if "emails" in record and draw(st.booleans()):
        record["emails"] = [{"email": draw(scalars)}]
    return name, record


@EXAMPLES
@given(resource_records())
def test_resource_values_equal_field_value(case: tuple[str, dict[str, Any]]) -> None:
    name, record = case
    res = resource(name)
    scope = {
        "campaign_id": 7,
        "list_id": 9,
        "date_from": date(2025, 9, 1),
        "date_to": date(2025, 9, 2),
        "grain_days": 2,
    }
    expected = {column: scope[column] for column, _, _ in res.scope_columns}
    expected.update({f.column: f.value(record) for f in res.fields})
    assert res.row(record, scope) == expected
    assert list(expected) == [column for column, _ in res.columns] == list(res.row(record, scope))
    assert res.values(record, scope) == list(expected.values())


# --- Warehouse.write_page against SQLAlchemy's own execute ------------------------------------------------


def reply(index: int, **changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": f"r{index % 37}",
        "visitedAt": {
            "date": f"2025-09-{1 + index % 28:02d} 13:18:{index % 60:02d}.{index:06d}",
            "timezone_type": 3,
            "timezone": ["UTC", "EST", "Europe/Kyiv"][index % 3],
        },
        "campaign": "Q1 \u00e9t\u00e9 \U0001f680",
        "prospectId": index,
        "prospectName": None,
        "source": "",
        "emailBody": '<p>"quoted" \\ back</p>',
        "customField_x": {"nested": [1, 2.5, None, True]},
    }
    record.update(changes)
    return record


CASES = {
    "campaign_replies": (
        {"campaign_id": 7},
        [
            [reply(i) for i in range(60)] + [reply(3, campaign="last of its key wins")],
            [reply(i, campaign="second page", visitedAt=1_700_000_000 + i) for i in range(20, 90)],
        ],
    ),
    "campaigns": (
        {},
        [
            [
                {"id": 1, "campaign": "a", "created_at": 1_600_000_000, "status": "Active"},
                {"id": None, "campaign": "no key"},
                {
                    "id": "2",
                    "campaign": "b",
                    "started_at": {"date": "2020-07-14 13:10:46.000000", "timezone": "+02:00"},
                },
                "not a record",
            ],
            [{"id": 1, "campaign": "renamed", "list_id": "44"}],
        ],
    ),
    "user_lists": (
        {},
        [
            [
                {"id": 5, "name": "l", "isDeleted": "true", "deleteDate": "2020-07-14 13:10:46"},
                {"id": 6, "contacts": "12", "isDeleted": 0, "creationDate": {"date": "2021-01-01 00:00:00.000000"}},
            ],
        ],
    ),
    "campaign_analytics": (
        {"campaign_id": 7, "date_from": date(2025, 9, 1), "date_to": date(2025, 9, 30), "grain_days": 30},
        [
            [{"emails_sent": 10, "email_opens_rate": "77,5%", "delivered": "9"}],
            [{"emails_sent": 11, "email_opens_rate": 80}],
        ],
    ),
}


def reference_write(
    engine: Any, table: Any, res: Any, scope: dict[str, Any], page: list[Any], synced_at: datetime
) -> tuple[int, int]:
    """The load as it was before the fast path: dict rows through ``connection.execute(upsert, rows)``.
    Returns (rows written, records skipped)."""
    by_key: dict[tuple[Any, ...], dict[str, Any]] = {}
    skipped = 0
    for record in page:
        if not isinstance(record, dict):
            skipped += 1
            continue
        row = res.row(record, scope)
        key = tuple(row[name] for name in res.key)
        if any(part is None for part in key):
            skipped += 1
            continue
        by_key[key] = {**row, "_snovio_raw": record, "_snovio_synced_at": synced_at, "_snovio_deleted_at": None}
    with engine.begin() as connection:
        connection.execute(upsert_statement(table, engine.dialect), list(by_key.values()))
    return len(by_key), skipped


def stored(engine: Any, table: Any) -> list[tuple[Any, ...]]:
    """Every row as the driver returns it (no SQLAlchemy type processing: SQLite's stored text as it is)."""
    columns = ", ".join(column.name for column in table.columns)
    order = ", ".join(column.name for column in table.primary_key.columns)
    query = f"SELECT {columns} FROM {table.name} ORDER BY {order}"
    with engine.connect() as connection:
        return [tuple(row) for row in connection.exec_driver_sql(query)]


def check_same_as_sqlalchemy(engine: Any) -> None:
    wh = Warehouse(engine)
    synced_at = datetime(2025, 9, 1, 12, 30, 15, 123456, tzinfo=timezone.utc)
    for name, (scope, pages) in CASES.items():
        res = resource(name)
        fast, reference = wh.table(res, f"fast_{name}"), wh.table(res, f"ref_{name}")
        for number, page in enumerate(pages):
            moment = synced_at + timedelta(hours=number)
            counts = wh.write_page(fast, res, scope, Page(page, len(page), Position(number + 1)), moment)
            assert counts == reference_write(engine, reference, res, scope, page, moment)
        got, expected = stored(engine, fast), stored(engine, reference)
        assert got == expected and got, name
        if name == "campaign_replies":
            rows = {row[1]: row for row in got}
            assert rows["r3"][3] == "second page"  # updated by the second page (every non-key column)
            assert len(rows) == 37
        with engine.connect() as connection:
            positions = connection.exec_driver_sql(
                "SELECT position FROM snovio_sync_state WHERE scope <> '#table' AND table_name = ?"
                if engine.dialect.name == "sqlite"
                else "SELECT position FROM snovio_sync_state WHERE scope <> '#table' AND table_name = %s",
                (fast.name,),
            ).scalar_one()
        assert positions == len(pages)


def test_write_page_stores_what_sqlalchemy_stores(warehouse) -> None:
    check_same_as_sqlalchemy(warehouse.engine)


def test_last_record_of_a_key_wins_within_a_page(warehouse) -> None:
    wh = Warehouse(warehouse.engine)
    res = resource("campaign_replies")
    table = wh.table(res, "dupes")
    page = [reply(1, campaign="first"), reply(2), reply(1, campaign="last"), "junk"]
    written, skipped = wh.write_page(
        table, res, {"campaign_id": 7}, Page(page, 4, Position(4)), datetime.now(timezone.utc)
    )
    assert (written, skipped) == (2, 1)
    with warehouse.engine.connect() as connection:
        rows = dict(connection.exec_driver_sql("SELECT id, campaign FROM dupes").all())
        raw = connection.exec_driver_sql("SELECT _snovio_raw FROM dupes WHERE id = 'r1'").scalar_one()
    assert rows == {"r1": "last", "r2": "Q1 \u00e9t\u00e9 \U0001f680"}
    assert (json.loads(raw) if isinstance(raw, str) else raw) == reply(1, campaign="last")


def test_psycopg2_execute_values_stores_what_sqlalchemy_stores(postgres_server) -> None:
    from sqlalchemy import create_engine, text

    from tests.warehouse.conftest import _postgres_database

    database, url = _postgres_database(postgres_server)
    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg2://", 1))
    try:
        assert engine.dialect.driver == "psycopg2"
        check_same_as_sqlalchemy(engine)
        wh = Warehouse(engine)
        compiled = wh.compiled_upsert(wh.table(resource("campaign_replies"), "fast_campaign_replies"))
        assert compiled.direct and isinstance(compiled.dialect, Psycopg2Upsert) and compiled.dialect.values_sql
    finally:
        engine.dispose()
        admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        admin.dispose()


def test_a_table_of_another_resource_is_refused(warehouse) -> None:
    from airflow_provider_snovio.api.errors import SnovioConfigError

    wh = Warehouse(warehouse.engine)
    table = wh.table(resource("campaigns"), "mixed")
    with pytest.raises(SnovioConfigError, match="not those of resource campaign_replies"):
        wh.write_page(
            table, resource("campaign_replies"), {"campaign_id": 7}, Page([reply(1)], 1), datetime.now(timezone.utc)
        )


# --- the raw JSON -----------------------------------------------------------------------------------------

json_scalars = st.one_of(st.none(), st.booleans(), st.integers(-(10**30), 10**30), st.floats(), st.text(max_size=8))
json_objects = st.dictionaries(
    st.text(max_size=5),
    st.recursive(
        json_scalars,
        lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=3), inner, max_size=3)),
        max_leaves=10,
    ),
    max_size=6,
)


def test_raw_json_is_what_json_dumps_gives() -> None:
    from sqlalchemy import create_engine

    wh = Warehouse(create_engine("sqlite://"))
    compiled = wh.compiled_upsert(wh.table(resource("campaigns"), "c"))

    @EXAMPLES
    @given(json_objects)
    def same_text(value: dict[str, Any]) -> None:
        assert compiled.convert("_snovio_raw", value) == json.dumps(value)

    same_text()


def test_the_engines_own_json_serializer_is_used(tmp_path) -> None:
    from sqlalchemy import create_engine

    engine = create_engine(
        f"sqlite:///{tmp_path / 'w.db'}",
        json_serializer=lambda value: json.dumps(value, sort_keys=True, separators=(",", ":")),
    )
    wh = Warehouse(engine)
    res = resource("campaigns")
    table = wh.table(res, "c")
    wh.write_page(table, res, {}, Page([{"id": 1, "status": "x", "campaign": "é"}], 1), datetime.now(timezone.utc))
    with engine.connect() as connection:
        raw = connection.exec_driver_sql("SELECT _snovio_raw FROM c").scalar_one()
    assert raw == '{"campaign":"\\u00e9","id":1,"status":"x"}'

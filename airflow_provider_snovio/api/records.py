"""Turn Snov.io's loosely typed record fields into warehouse-ready values.

Why a module of its own: Snov.io spells the same kind of value in several ways - timestamps as PHP
``DateTime`` objects (``{"date": "2020-07-14 13:10:46.000000", "timezone_type": 3, "timezone": "UTC"}``)
or as unix seconds, rates as strings (``"77%"``), counts sometimes as strings. Each parser here accepts
every spelling seen in the docs, returns ``None`` for an absent value, and never raises on a value it
cannot read (it returns ``None``): the record's raw JSON is stored beside the typed columns, so nothing
is lost when Snov.io changes a format, and one odd record never stops a nightly sync.

:func:`content_key` is the documented fallback natural key for a record that carries no ``id``.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

#: PHP's timezone_type 2 (abbreviations) that ``zoneinfo`` does not know as zone names.
_ABBREVIATIONS: dict[str, timedelta] = {
    "UTC": timedelta(0),
    "GMT": timedelta(0),
    "Z": timedelta(0),
    "EST": timedelta(hours=-5),
    "EDT": timedelta(hours=-4),
    "CST": timedelta(hours=-6),
    "CDT": timedelta(hours=-5),
    "MST": timedelta(hours=-7),
    "MDT": timedelta(hours=-6),
    "PST": timedelta(hours=-8),
    "PDT": timedelta(hours=-7),
    "BST": timedelta(hours=1),
    "CET": timedelta(hours=1),
    "CEST": timedelta(hours=2),
    "EET": timedelta(hours=2),
    "EEST": timedelta(hours=3),
    "MSK": timedelta(hours=3),
}
_OFFSET = re.compile(r"^([+-])(\d{1,2}):?(\d{2})?$")
_DATE_FORMATS = ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d")
#: Prefix of a content-hash key, so it can never collide with a real Snov.io id.
CONTENT_KEY_PREFIX = "sha256:"


@lru_cache(maxsize=512)
def _named_zone(name: str) -> tuple[timezone | ZoneInfo | None, str | None]:
    """The tzinfo of a PHP DateTime's ``timezone``: type 1 = offset ("+02:00"), 2 = abbreviation ("EST"),
    3 = zone name; the name alone decides (an offset is read as one under any ``timezone_type``). Returns
    (tzinfo or None when no zone matches, its ISO suffix such as "+05:30" when it is a fixed offset).

    Cached: a sync reads the same few zone names (mostly "UTC") in every one of its records."""
    zone: timezone | ZoneInfo | None
    match = _OFFSET.match(name.strip())
    upper = name.strip().upper()
    if match:  # type 1, or an offset under another type
        sign, hours, minutes = match.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes or 0))
        if delta >= timedelta(hours=24):  # beyond any real offset (and what ``timezone`` accepts)
            return None, None
        zone = timezone(-delta if sign == "-" else delta)
    elif upper in _ABBREVIATIONS:
        zone = timezone(_ABBREVIATIONS[upper])
    else:
        try:
            zone = ZoneInfo(name.strip())
        except (ZoneInfoNotFoundError, ValueError):
            return None, None
    seconds_east = int(zone.utcoffset(None).total_seconds()) if isinstance(zone, timezone) else None
    if seconds_east is None or seconds_east % 60:  # rules (DST), or seconds: no fixed "+hh:mm" suffix
        return zone, None
    minutes_east = seconds_east // 60
    sign = "-" if minutes_east < 0 else "+"
    return zone, f"{sign}{abs(minutes_east) // 60:02d}:{abs(minutes_east) % 60:02d}"


def _parse_text_datetime(text: str, tz: timezone | ZoneInfo) -> datetime | None:
    text = text.strip()
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
        for fmt in _DATE_FORMATS:
            try:
                parsed = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=tz)
    return parsed.astimezone(timezone.utc)


def _php_datetime(value: dict[str, Any]) -> datetime | None:
    """A PHP DateTime object ``{date, timezone_type, timezone}``.

    Fast path for the shape nearly every record has: ``date`` exactly ``yyyy-mm-dd hh:mm:ss[.ffffff]`` in a
    fixed-offset zone ("UTC", "+02:00", "EST"): ``fromisoformat`` reads it with the zone's offset appended,
    the same instant as :func:`_parse_text_datetime` gives (which attaching the zone with ``replace`` costs
    four times as much). Every other shape - other lengths, an offset or ``Z`` in the text, a zone with
    DST rules - takes :func:`_parse_text_datetime`."""
    text = value.get("date")
    if not isinstance(text, str):
        return None
    name = value.get("timezone")
    zone, suffix = _named_zone(name) if isinstance(name, str) and name else (timezone.utc, "+00:00")
    if zone is None:
        return None
    length = len(text)
    if (
        suffix is not None
        and (length == 19 or (21 <= length <= 26 and text[19] == "."))
        and text[10] in " T"
        and text[13] == ":"
        and text[16] == ":"
        and text[-1].isdigit()
    ):
        try:
            parsed = datetime.fromisoformat(text + suffix)
        except ValueError:
            pass
        else:
            if parsed.tzinfo is not None:
                return parsed.astimezone(timezone.utc)
    return _parse_text_datetime(text, zone)


def timestamp(value: Any) -> datetime | None:
    """A UTC-aware datetime from any timestamp spelling Snov.io uses, else ``None``.

    Accepts a PHP DateTime object ``{date, timezone_type, timezone}``, unix seconds (int, float or
    numeric string; ``0`` is read as 1970, as sent), and ISO / ``yyyy-mm-dd hh:mm:ss`` text (UTC unless
    it carries an offset).
    """
    if isinstance(value, dict):  # first: the usual spelling
        return _php_datetime(value)
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return _from_unix(value)
    if isinstance(value, str):
        stripped = value.strip()
        if re.fullmatch(r"-?\d+(\.\d+)?", stripped):
            return _from_unix(float(stripped))
        return _parse_text_datetime(stripped, timezone.utc)
    return None


def _from_unix(seconds: float) -> datetime | None:
    try:
        return datetime.fromtimestamp(seconds, timezone.utc)
    except (OverflowError, OSError, ValueError):
        return None


def rate(value: Any) -> float | None:
    """``"77%"`` -> ``77.0``; a bare number stays that number (in percent); unreadable -> ``None``."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().rstrip("%").strip().replace(",", "."))
        except ValueError:
            return None
    return None


def integer(value: Any) -> int | None:
    """A count or numeric id: int, integral float or numeric string; anything else -> ``None``."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else None
    if isinstance(value, str):
        try:
            return int(value.strip())
        except ValueError:
            return None
    return None


def boolean(value: Any) -> bool | None:
    """``True``/``False``, 1/0 and "true"/"false"/"1"/"0" -> bool; anything else -> ``None``."""
    if isinstance(value, bool):
        return value
    if value in (0, 1) and isinstance(value, int):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in ("true", "false", "1", "0"):
        return value.strip().lower() in ("true", "1")
    return None


def text(value: Any) -> str | None:
    """Strings as they are (ids and hashes stay text: a hex hash or a long id is never a number);
    numbers as their decimal text; objects and lists as compact JSON; ``None``/"" -> ``None``."""
    if isinstance(value, str):  # first: nearly every value is one
        return value or None
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    return canonical_json(value)


def iso_date(value: Any) -> date | None:
    """A ``yyyy-mm-dd`` string or a date -> ``date``."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def canonical_json(value: Any) -> str:
    """Deterministic JSON: sorted keys, no spaces, UTF-8 kept (the input of :func:`content_key`)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def content_key(record: Any) -> str:
    """The fallback natural key of a record without an ``id``: ``"sha256:"`` + the SHA-256 hex digest of
    the record's canonical JSON (sorted keys, no whitespace, UTF-8). Two identical records get the same key,
    which is right: nothing could tell them apart."""
    return CONTENT_KEY_PREFIX + hashlib.sha256(canonical_json(record).encode("utf-8")).hexdigest()


def record_id(record: Any) -> str:
    """The record's ``id`` as text, or its :func:`content_key` when it has none."""
    if isinstance(record, dict):
        value = record.get("id")
        if value is not None and value != "":
            return str(value)
    return content_key(record)

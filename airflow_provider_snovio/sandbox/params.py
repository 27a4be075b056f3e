"""Request parameters the way Snov.io's PHP backend reads them.

Why: v1 endpoints accept parameters in the query string OR the form body (PHP's ``$_REQUEST``), arrays come
PHP-style (``emails[]=a&emails[]=b`` or ``emails[0]=a``, which is what PHP's ``http_build_query`` produces),
maps come bracketed (``customFields[name]=v``), and v2 endpoints take JSON. Every route reads its inputs
through ``request_params`` so all of them accept the same spellings.

Decision: a body sent with GET is ignored (the reference says GET parameters belong in the query string and
GET-with-body is unreliable), so a client that puts GET parameters in a body is caught here.
Precedence for a key given twice: body over query (PHP's default ``request_order`` "GP").
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from fastapi import Request

_STATE_KEY = "snovio_params"
_INDEXED = re.compile(r"^(?P<name>[^\[\]]+)\[(?P<key>[^\[\]]*)\]$")


class Params:
    """An ordered multi-map of request parameters (query, then form body, then JSON body)."""

    def __init__(self, items: list[tuple[str, Any]], json_body: Any = None) -> None:
        self._items = items
        #: The parsed JSON body (any JSON type) or None; for v2 endpoints with nested bodies.
        self.json = json_body

    def get(self, key: str, default: Any = None) -> Any:
        """Last value given for ``key`` (body wins over query)."""
        for k, v in reversed(self._items):
            if k == key:
                return v
        return default

    def getlist(self, key: str) -> list[Any]:
        return [v for k, v in self._items if k == key]

    def __contains__(self, key: object) -> bool:
        return any(k == key for k, _ in self._items)

    def keys(self) -> list[str]:
        return list(dict.fromkeys(k for k, _ in self._items))

    def multi_items(self) -> list[tuple[str, Any]]:
        return list(self._items)

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def get_str(self, key: str, default: str | None = None) -> str | None:
        """``get`` stripped; empty strings count as absent."""
        value = self.get(key)
        if value is None:
            return default
        text = str(value).strip()
        return text if text else default


def _json_items(body: Any) -> list[tuple[str, Any]]:
    items: list[tuple[str, Any]] = []
    if isinstance(body, dict):
        for key, value in body.items():
            if isinstance(value, list):
                items.extend((str(key), v) for v in value)
            else:
                items.append((str(key), value))
    return items


async def request_params(request: Request) -> Params:
    """Merge query string, form body (urlencoded or multipart) and JSON body; cached per request."""
    cached = getattr(request.state, _STATE_KEY, None)
    if cached is not None:
        return cached
    items: list[tuple[str, Any]] = list(request.query_params.multi_items())
    json_body: Any = None
    if request.method not in ("GET", "HEAD"):
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
            form = await request.form()
            items.extend((k, v if isinstance(v, str) else str(v)) for k, v in form.multi_items())
        else:
            raw = await request.body()
            if raw.strip():
                try:
                    json_body = json.loads(raw)
                except ValueError:
                    json_body = None
                else:
                    items.extend(_json_items(json_body))
    params = Params(items, json_body)
    setattr(request.state, _STATE_KEY, params)
    return params


def get_list(params: Params, name: str) -> list[Any]:
    """Values of a PHP array parameter: ``name[]``, ``name[0]``, ``name[1]``..., or repeated ``name``.

    Order: as sent (indexed keys sorted by index when all of them are numeric). Empty strings are dropped.
    """
    plain: list[Any] = []
    indexed: list[tuple[str, Any]] = []
    for key, value in params.multi_items():
        if key == name or key == f"{name}[]":
            plain.append(value)
            continue
        match = _INDEXED.match(key)
        if match and match.group("name") == name and match.group("key") != "":
            indexed.append((match.group("key"), value))
    if indexed and all(k.isdigit() for k, _ in indexed):
        indexed.sort(key=lambda kv: int(kv[0]))
    values = plain + [v for _, v in indexed]
    return [v for v in values if not (isinstance(v, str) and v.strip() == "")]


def get_bracketed(params: Params, name: str) -> dict[str, Any]:
    """A PHP map parameter: ``name[key]=value`` (also ``name['key']``) or a JSON object under ``name``."""
    out: dict[str, Any] = {}
    for key, value in params.multi_items():
        if key == name and isinstance(value, dict):
            out.update({str(k): v for k, v in value.items()})
            continue
        match = _INDEXED.match(key)
        if match and match.group("name") == name and match.group("key") != "":
            out[match.group("key").strip("'\"")] = value
    return out

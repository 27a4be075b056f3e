"""Turn a catalogue row plus Python arguments into the parts of an HTTP request.

Validation happens here, so a bad argument fails before the rate limiter, the token cache or the
network is touched. The result is transport-neutral: the sync and async clients (``httpx.Client`` and
``httpx.AsyncClient``, see :mod:`transport`) both send a :class:`PreparedCall`.

Besides each parameter's own rule, a whole request has a size budget (:data:`MAX_QUERY_CHARS`,
:data:`MAX_BODY_CHARS`): a URL past ~8 KB is cut or refused by servers and proxies (often with an
unhelpful 414 or a dropped connection), so an oversized request is refused here instead, naming the
parameter that takes the most room. Chunked endpoints are split first; the budget applies per request.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlencode

from airflow_provider_snovio.api.catalogue import Endpoint, Loc, Param, Shape
from airflow_provider_snovio.api.errors import SnovioResponseError, SnovioValidationError
from airflow_provider_snovio.api.validation import ListOf

Pairs = list[tuple[str, str]]

#: The most characters the encoded query string of one request may take. Common server and proxy limits
#: on a request line are 8 KB (nginx, Apache, many CDNs); this leaves room for the base URL and path.
MAX_QUERY_CHARS = 6_000
#: The most characters a form or JSON body of one request may take: far above any documented use
#: (100 do-not-email items, a prospect with its custom fields), far below what a server refuses.
MAX_BODY_CHARS = 256 * 1024


@dataclass
class PreparedCall:
    """A validated request: method, concrete path, query pairs, form pairs, JSON body."""

    endpoint: Endpoint
    path: str
    query: Pairs = field(default_factory=list)
    form: Pairs = field(default_factory=list)
    json: dict[str, Any] | None = None
    #: Whether this request, whose answer was lost, may simply be sent again: the row's
    #: :attr:`~.catalogue.Endpoint.resend_safe`, unless its arguments make it create something
    #: (:attr:`~.catalogue.Endpoint.creates_when`, e.g. #29 with ``createDuplicates``).
    resend_safe: bool = True

    @property
    def method(self) -> str:
        return self.endpoint.method


def _wire_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _encode(param: Param, value: Any) -> Pairs:
    if param.shape is Shape.ARRAY:
        return [(f"{param.wire}[]", _wire_text(item)) for item in value]
    if param.shape is Shape.CSV:
        return [(param.wire, ",".join(_wire_text(item) for item in value))]
    if param.shape is Shape.BRACKETS:
        return [(f"{param.wire}[{key}]", _wire_text(item)) for key, item in value.items()]
    return [(param.wire, _wire_text(value))]


def _resolve(endpoint: Endpoint, arguments: Mapping[str, Any]) -> dict[str, Any]:
    """Map Python names (or, for convenience, wire names) to rows; reject unknown arguments."""
    by_wire = {p.wire: p.name for p in endpoint.params}
    resolved: dict[str, Any] = {}
    for key, value in arguments.items():
        name = key if key in endpoint.params_by_name else by_wire.get(key)
        if name is None:
            known = ", ".join(endpoint.params_by_name) or "none"
            raise SnovioValidationError(
                key, f"not a parameter of {endpoint.name} (known: {known})", endpoint=endpoint.path
            )
        resolved[name] = value
    return resolved


def prepare(endpoint: Endpoint, arguments: Mapping[str, Any]) -> PreparedCall:
    """Validate ``arguments`` against ``endpoint`` and lay them out as the API expects."""
    values = _resolve(endpoint, arguments)
    if endpoint.fill is not None:
        values.update({k: v for k, v in endpoint.fill(values).items() if values.get(k) is None})
    checked: dict[str, Any] = {}
    for param in endpoint.params:
        raw = values.get(param.name)
        if raw is None:
            if param.required:
                raise SnovioValidationError(param.name, "is required", endpoint=endpoint.path)
            continue
        try:
            checked[param.name] = param.check(param.name, raw)
        except SnovioValidationError as error:
            raise SnovioValidationError(error.field, error.problem, endpoint=endpoint.path) from None
    if endpoint.constraint is not None:
        try:
            endpoint.constraint(checked)
        except SnovioValidationError as error:
            raise SnovioValidationError(error.field, error.problem, endpoint=endpoint.path) from None
    _check_size(endpoint, checked)
    call = _lay_out(endpoint, checked)
    call.resend_safe = endpoint.resend_safe and not (endpoint.creates_when and endpoint.creates_when(checked))
    return call


def _encoded_size(param: Param, value: Any) -> int:
    """Characters ``value`` takes on the wire (URL-encoded pairs, or its JSON text)."""
    if param.loc is Loc.JSON:
        return len(json.dumps(value))
    if param.loc is Loc.PATH:
        return len(quote(str(value), safe=""))
    return len(urlencode(_encode(param, value))) + 1  # the "&" joining it to the rest


def _check_size(endpoint: Endpoint, checked: Mapping[str, Any]) -> None:
    """Refuse a request whose query string or body would be larger than the budget, naming its biggest part."""
    budgets = {
        Loc.QUERY: ("query string", MAX_QUERY_CHARS),
        Loc.PATH: ("query string", MAX_QUERY_CHARS),
        Loc.FORM: ("body", MAX_BODY_CHARS),
        Loc.JSON: ("body", MAX_BODY_CHARS),
    }
    sizes: dict[str, dict[str, int]] = {}
    for param in endpoint.params:
        if param.name in checked:
            part, _ = budgets[param.loc]
            sizes.setdefault(part, {})[param.name] = _encoded_size(param, checked[param.name])
    for part, limit in dict(budgets.values()).items():
        total = sum(sizes.get(part, {}).values())
        if total > limit:
            biggest = max(sizes[part], key=sizes[part].__getitem__)
            raise SnovioValidationError(
                biggest,
                f"makes the request's {part} {total:,} characters long, over the {limit:,} allowed; "
                "send fewer or shorter values per call",
                endpoint=endpoint.path,
            )


def _lay_out(endpoint: Endpoint, checked: Mapping[str, Any]) -> PreparedCall:
    """Place each validated value where the API expects it."""
    call = PreparedCall(endpoint=endpoint, path=endpoint.path)
    path_values: dict[str, str] = {}
    for param in endpoint.params:
        if param.name not in checked:
            continue
        value = checked[param.name]
        if param.loc is Loc.PATH:
            path_values[param.name] = quote(str(value), safe="")
        elif param.loc is Loc.JSON:
            call.json = call.json or {}
            call.json[param.wire] = value
        elif param.loc is Loc.QUERY:
            call.query.extend(_encode(param, value))
        else:
            call.form.extend(_encode(param, value))
    if path_values:
        call.path = endpoint.path.format(**path_values)
    return call


def request_kwargs(prepared: PreparedCall, token: str) -> dict[str, Any]:
    """Keyword arguments for httpx's ``request()`` (sync and async alike): the token only in the header."""
    kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {token}"}}
    if prepared.query:
        kwargs["params"] = prepared.query
    if prepared.json is not None:
        kwargs["json"] = prepared.json
    elif prepared.form or prepared.method in ("POST", "PUT"):
        kwargs["data"] = prepared.form
    return kwargs


def split_batches(row: Endpoint, arguments: dict[str, Any]) -> list[dict[str, Any]] | None:
    """Split a list argument longer than the endpoint allows into several argument sets (else None)."""
    if row.chunk is None:
        return None
    name, size = row.chunk
    if arguments.get(name) is None:
        return None
    check = row.params_by_name[name].check
    validate = check.uncapped if isinstance(check, ListOf) else check  # the cap applies to each batch
    try:
        items = validate(name, arguments[name])  # validates and de-duplicates
    except SnovioValidationError as error:
        raise SnovioValidationError(error.field, error.problem, endpoint=row.path) from None
    if len(items) <= size:
        return None
    return [{**arguments, name: items[i : i + size]} for i in range(0, len(items), size)]


def merge_answers(answers: list[Any]) -> Any:
    """Join the answers of a split call: objects keyed by e-mail are merged, lists concatenated, and
    ``{"data": [...]}`` envelopes (2026 recipient check, #74) keep one envelope with every ``data`` row."""
    if answers and all(isinstance(a, dict) and isinstance(a.get("data"), list) for a in answers):
        return {**answers[0], "data": [row for answer in answers for row in answer["data"]]}
    if all(isinstance(a, dict) for a in answers):
        merged: dict[str, Any] = {}
        for answer in answers:
            merged.update(answer)
        return merged
    if all(isinstance(a, list) for a in answers):
        return [row for answer in answers for row in answer]
    raise SnovioResponseError("cannot merge answers of a split request")

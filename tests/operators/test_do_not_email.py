"""SnovioDoNotEmailOperator: chunked, resumable, against the sandbox over HTTP."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest

from airflow_provider_snovio.api.catalogue import endpoint
from airflow_provider_snovio.api.encoding import prepare
from airflow_provider_snovio.api.errors import (
    SnovioPartialError,
    SnovioServerError,
    SnovioTransportError,
    SnovioValidationError,
)
from airflow_provider_snovio.operators import SnovioDoNotEmailOperator
from airflow_provider_snovio.operators.do_not_email import chunk_size
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.operators.account_support import FailOnCall, MemoryTaskStateStore, context, requests

ROUTE = "POST /v1/do-not-email-list"
SIZE = chunk_size(endpoint("add_to_do_not_email_list"))


def _first_list(sandbox: SandboxServer) -> Any:
    return sandbox.state.data.do_not_email[min(sandbox.state.data.do_not_email)]


def _items(n: int) -> list[str]:
    return [f"person{i}@example.com" for i in range(n)]


def test_a_chunk_is_the_most_one_request_accepts() -> None:
    row = endpoint("add_to_do_not_email_list")
    prepare(row, {"list_id": 1, "items": _items(SIZE)})
    if row.chunk is None:  # the catalogue caps the list: one more item is refused, so chunks cannot be bigger
        with pytest.raises(SnovioValidationError, match=f"at most {SIZE} items"):
            prepare(row, {"list_id": 1, "items": _items(SIZE + 1)})
    else:
        assert row.chunk == ("items", SIZE)


def test_items_are_sent_in_chunks_and_duplicates_reported(snovio_conn_env: SandboxServer, tmp_path) -> None:
    dne = _first_list(snovio_conn_env)
    items = [*_items(2 * SIZE + 5), "blocked@octagon.com", "Competitor.example", "spam.example"]
    out = tmp_path / "dne.jsonl"
    result = SnovioDoNotEmailOperator(
        task_id="dne", list_id=str(dne.id), items=items, output_path=f"file://{out}"
    ).execute(context())
    assert requests(snovio_conn_env, ROUTE) == 3 == result["requests"]
    assert result["items"] == len(items)
    assert sorted(d.lower() for d in result["duplicate_items"]) == ["blocked@octagon.com", "competitor.example"]
    assert (result["added"], result["duplicates"]) == (len(items) - 2, 2)
    assert len(dne.items) == 2 + len(items) - 2
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["item"] for row in rows if row["duplicate"]] == ["blocked@octagon.com", "competitor.example"]


def test_a_retry_resumes_after_the_chunks_already_done(snovio_conn_env: SandboxServer) -> None:
    dne = _first_list(snovio_conn_env)
    items = _items(3 * SIZE)
    store = MemoryTaskStateStore()
    first_try = SnovioDoNotEmailOperator(task_id="dne", list_id=dne.id, items=items)
    first_try.hook.add_to_do_not_email_list = FailOnCall(  # type: ignore[method-assign]
        first_try.hook.add_to_do_not_email_list, 3, SnovioTransportError("worker lost", sent=False)
    )
    with pytest.raises(SnovioTransportError):
        first_try.execute(context(store))
    assert requests(snovio_conn_env, ROUTE) == 2

    result = SnovioDoNotEmailOperator(task_id="dne", list_id=dne.id, items=items).execute(context(store))
    assert requests(snovio_conn_env, ROUTE) == 3 and result["requests"] == 1
    # the first try's items are not reported as duplicates of themselves
    assert (result["added"], result["duplicates"]) == (len(items), 0)
    assert len(dne.items) == 2 + len(items)

    without_store = SnovioDoNotEmailOperator(task_id="dne", list_id=dne.id, items=items).execute(context())
    assert without_store["duplicates"] == len(items)  # what a retry without task_state_store would report


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"list_id": "dne-1"}, "list_id"),
        ({"items": []}, "items"),
        ({"items": ["ok@example.com", "not an item"]}, "items[1]"),
        ({"items": [*[f"p{i}@example.com" for i in range(500)], "bad@"]}, "items[500]"),
    ],
)
def test_bad_input_is_refused_before_any_request(snovio_conn_env: SandboxServer, kwargs: dict, field: str) -> None:
    arguments = {"list_id": 1, "items": ["ok@example.com"], **kwargs}
    with pytest.raises(SnovioValidationError) as caught:
        SnovioDoNotEmailOperator(task_id="dne", **arguments).execute(context())
    assert caught.value.field == field
    assert requests(snovio_conn_env) == 0


def test_a_part_way_failure_inside_a_split_call_resumes_with_the_remaining_items() -> None:
    """Unit: if the hook splits a chunk itself and stops part-way, the retry sends only what it did not."""
    items = _items(6)
    hook = mock.Mock()
    hook.add_to_do_not_email_list.side_effect = [
        SnovioPartialError(
            done=items[:3],
            remaining=items[3:6],
            cause=SnovioServerError("boom", status=503),
            answer=[{"success": True, "data": {"duplicates": [items[1]]}}],
            argument="items",
        ),
        [{"success": True, "data": {"duplicates": []}}],
    ]
    store = MemoryTaskStateStore()
    with mock.patch.object(SnovioDoNotEmailOperator, "hook", hook):
        with pytest.raises(SnovioPartialError):
            SnovioDoNotEmailOperator(task_id="dne", list_id=5, items=items).execute(context(store))
        result = SnovioDoNotEmailOperator(task_id="dne", list_id=5, items=items).execute(context(store))
    assert [c.args[1] for c in hook.add_to_do_not_email_list.call_args_list] == [items, items[3:]]
    assert (result["duplicates"], result["duplicate_items"], result["added"]) == (1, [items[1]], 5)


def test_templated_fields() -> None:
    assert {"snovio_conn_id", "list_id", "items", "output_path"} <= set(SnovioDoNotEmailOperator.template_fields)

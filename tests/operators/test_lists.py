"""SnovioCreateListOperator and SnovioAddProspectsToListOperator against the sandbox over HTTP."""

from __future__ import annotations

import json
from typing import Any
from unittest import mock

import pytest

from airflow_provider_snovio.api.errors import SnovioApiError, SnovioTransportError, SnovioValidationError
from airflow_provider_snovio.operators import SnovioAddProspectsToListOperator, SnovioCreateListOperator
from airflow_provider_snovio.sandbox.testing import SandboxServer
from tests.operators.account_support import FailOnCall, MemoryTaskStateStore, context, requests

ADD = "POST /v1/add-prospect-to-list"


def _prospects(n: int) -> list[dict[str, Any]]:
    return [
        {
            "email": f"lead{i}@example.com",
            "first_name": f"Lead{i}",
            "lastName": "Example",
            "company_name": "Example",
            "custom_fields": {"company": "Example"},
        }
        for i in range(n)
    ]


def _list_emails(sandbox: SandboxServer, list_id: int) -> list[str]:
    data = sandbox.state.data
    return [data.prospects[pid]["email"] for pid in data.lists[list_id].prospect_ids]


# --- create list ---------------------------------------------------------------------------------


def test_create_with_exist_ok_twice_makes_one_list(snovio_conn_env: SandboxServer) -> None:
    lists_before = len(snovio_conn_env.state.data.lists)
    first = SnovioCreateListOperator(task_id="create", name="Airflow leads").execute(context())
    second = SnovioCreateListOperator(task_id="create", name="  Airflow leads ").execute(context())
    assert isinstance(first, int) and first == second
    assert len(snovio_conn_env.state.data.lists) == lists_before + 1
    assert requests(snovio_conn_env, "POST /v1/lists") == 1
    assert snovio_conn_env.state.data.lists[first].name == "Airflow leads"


def test_exist_ok_false_refuses_an_existing_name(snovio_conn_env: SandboxServer) -> None:
    SnovioCreateListOperator(task_id="create", name="Taken").execute(context())
    with pytest.raises(SnovioValidationError) as caught:
        SnovioCreateListOperator(task_id="create", name="Taken", exist_ok=False).execute(context())
    assert caught.value.field == "name" and "already exists" in str(caught.value)
    assert requests(snovio_conn_env, "POST /v1/lists") == 1


def test_a_deleted_list_of_that_name_is_not_reused(snovio_conn_env: SandboxServer) -> None:
    old = SnovioCreateListOperator(task_id="create", name="Recycled").execute(context())
    snovio_conn_env.state.data.lists[old].deleted = 1.0
    new = SnovioCreateListOperator(task_id="create", name="Recycled").execute(context())
    assert new != old


def test_a_retried_create_reuses_the_list_its_first_try_made(snovio_conn_env: SandboxServer) -> None:
    store = MemoryTaskStateStore()
    first = SnovioCreateListOperator(task_id="create", name="Once", exist_ok=False).execute(context(store))
    retried = SnovioCreateListOperator(task_id="create", name="Once", exist_ok=False).execute(context(store))
    assert retried == first
    assert requests(snovio_conn_env, "POST /v1/lists") == 1


def test_create_refuses_an_empty_name_before_any_request(snovio_conn_env: SandboxServer) -> None:
    with pytest.raises(SnovioValidationError) as caught:
        SnovioCreateListOperator(task_id="create", name="  ").execute(context())
    assert caught.value.field == "name"
    assert requests(snovio_conn_env) == 0


# --- add prospects ---------------------------------------------------------------------------------


def test_prospects_are_added_with_counts(snovio_conn_env: SandboxServer, tmp_path) -> None:
    list_id = SnovioCreateListOperator(task_id="create", name="Push").execute(context())
    out = tmp_path / "added.jsonl"
    result = SnovioAddProspectsToListOperator(
        task_id="add", list_id=str(list_id), prospects=_prospects(3), output_path=f"file://{out}"
    ).execute(context())
    assert {k: result[k] for k in ("list_id", "prospects", "added", "updated", "unchanged", "failed")} == {
        "list_id": list_id,
        "prospects": 3,
        "added": 3,
        "updated": 0,
        "unchanged": 0,
        "failed": 0,
    }
    assert sorted(_list_emails(snovio_conn_env, list_id)) == [f"lead{i}@example.com" for i in range(3)]
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [row["status"] for row in rows] == ["added"] * 3 and all(row["id"] for row in rows)
    assert result["output_path"].endswith("added.jsonl")

    again = SnovioAddProspectsToListOperator(
        task_id="add", list_id=list_id, prospects=_prospects(3), update_contact=True
    ).execute(context())
    assert (again["added"], again["updated"]) == (0, 3)
    assert len(_list_emails(snovio_conn_env, list_id)) == 3


def test_a_retried_task_adds_nothing_twice(snovio_conn_env: SandboxServer) -> None:
    list_id = SnovioCreateListOperator(task_id="create", name="Retry").execute(context())
    store = MemoryTaskStateStore()
    first_try = SnovioAddProspectsToListOperator(
        task_id="add", list_id=list_id, prospects=_prospects(5), update_contact=True
    )
    crash = FailOnCall(first_try.hook.add_prospect_to_list, 4, SnovioTransportError("connection lost", sent=False))
    first_try.hook.add_prospect_to_list = crash  # type: ignore[method-assign]
    with pytest.raises(SnovioTransportError):
        first_try.execute(context(store))
    assert requests(snovio_conn_env, ADD) == 3

    retry = SnovioAddProspectsToListOperator(
        task_id="add", list_id=list_id, prospects=_prospects(5), update_contact=True
    )
    result = retry.execute(context(store))
    assert requests(snovio_conn_env, ADD) == 5  # only the two the first try had not sent
    assert (result["added"], result["updated"], result["failed"]) == (5, 0, 0)
    assert sorted(_list_emails(snovio_conn_env, list_id)) == [f"lead{i}@example.com" for i in range(5)]

    rerun = SnovioAddProspectsToListOperator(
        task_id="add", list_id=list_id, prospects=_prospects(5), update_contact=True
    ).execute(context(store))
    assert rerun["added"] == 5 and requests(snovio_conn_env, ADD) == 5


@pytest.mark.parametrize(
    ("prospects", "field"),
    [
        ([], "prospects"),
        ("lead@example.com", "prospects"),
        ([{"email": "lead@example.com"}, "oops"], "prospects[1]"),
        ([{"first_name": "No email"}], "prospects[0].email"),
        ([{"email": "lead@example.com"}, {"email": "not-an-email"}], "prospects[1].email"),
        ([{"email": "lead@example.com", "company_site": "example"}], "prospects[0].company_site"),
        ([{"email": "lead@example.com", "favourite_colour": "red"}], "prospects[0].favourite_colour"),
        ([{"email": "lead@example.com", "custom_fields": {"bad[key]": "x"}}], "prospects[0].custom_fields"),
        ([{"email": "lead@example.com"}, {"email": "LEAD@example.com"}], "prospects[1].email"),
        ([{"email": "lead@example.com", "listId": 5}], "prospects[0].list_id"),
    ],
)
def test_bad_prospects_are_refused_before_any_request(
    snovio_conn_env: SandboxServer, prospects: Any, field: str
) -> None:
    with pytest.raises(SnovioValidationError) as caught:
        SnovioAddProspectsToListOperator(task_id="add", list_id=123, prospects=prospects).execute(context())
    assert caught.value.field == field
    assert requests(snovio_conn_env) == 0


def test_bad_list_id_is_refused_before_any_request(snovio_conn_env: SandboxServer) -> None:
    with pytest.raises(SnovioValidationError) as caught:
        SnovioAddProspectsToListOperator(task_id="add", list_id="list-1", prospects=_prospects(1)).execute(context())
    assert caught.value.field == "list_id"
    assert requests(snovio_conn_env) == 0


# --- unit: a prospect Snov.io refuses is counted, the others go on ------------------------------------


def _refusing_hook() -> mock.Mock:
    hook = mock.Mock()

    def add(list_id: str, **fields: Any) -> dict[str, Any]:
        if fields["email"] == "lead1@example.com":
            raise SnovioApiError("This email is blacklisted", status=200)
        return {"success": True, "id": f"id-{fields['email']}", "added": True, "updated": False}

    hook.add_prospect_to_list.side_effect = add
    return hook


def test_refused_prospects_are_counted_and_retried_by_the_next_try() -> None:
    store = MemoryTaskStateStore()
    op = SnovioAddProspectsToListOperator(task_id="add", list_id=7, prospects=_prospects(3))
    hook = _refusing_hook()
    with mock.patch.object(SnovioAddProspectsToListOperator, "hook", hook):
        result = op.execute(context(store))
        assert (result["added"], result["failed"]) == (2, 1)
        assert result["failures"] == {"lead1@example.com": "This email is blacklisted"}
        op.execute(context(store))  # a rerun asks again only for the refused one
    sent = [call.kwargs["email"] for call in hook.add_prospect_to_list.call_args_list]
    assert sent == ["lead0@example.com", "lead1@example.com", "lead2@example.com", "lead1@example.com"]


def test_fail_on_refused_fails_after_trying_all() -> None:
    from airflow.providers.common.compat.sdk import AirflowException

    op = SnovioAddProspectsToListOperator(task_id="add", list_id=7, prospects=_prospects(3), fail_on_refused=True)
    hook = _refusing_hook()
    with (
        mock.patch.object(SnovioAddProspectsToListOperator, "hook", hook),
        pytest.raises(AirflowException, match="refused 1 of 3"),
    ):
        op.execute(context(MemoryTaskStateStore()))
    assert hook.add_prospect_to_list.call_count == 3


def test_templated_fields() -> None:
    assert {"snovio_conn_id", "name"} <= set(SnovioCreateListOperator.template_fields)
    assert {"snovio_conn_id", "list_id", "prospects", "output_path"} <= set(
        SnovioAddProspectsToListOperator.template_fields
    )

"""Contract tests of prospects, lists (#29-#35) and the balance (#36) over real HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from airflow_provider_snovio.sandbox.errors import OutOfCredits

NOT_FOUND = {"errors": {"code": 404, "title": "Sorry, but url or entity not found", "source": ""}}


def user_lists(api) -> list[dict[str, Any]]:
    response = api.get("/v1/get-user-lists")
    assert response.status_code == 200
    return response.json()


def big_list_id(api) -> int:
    return user_lists(api)[0]["id"]


def page(api, list_id: int, page_no: int, per_page: int) -> dict[str, Any]:
    response = api.post("/v1/prospect-list", data={"listId": list_id, "page": page_no, "perPage": per_page})
    assert response.status_code == 200, response.text
    return response.json()


def test_user_lists_shape(api) -> None:
    lists = user_lists(api)
    assert len(lists) == 4
    for row in lists:
        assert set(row) == {"id", "name", "contacts", "isDeleted", "creationDate", "deletionDate"}
        assert row["creationDate"]["timezone"] == "UTC"
    assert lists[0]["contacts"] == 230
    deleted = [row for row in lists if row["isDeleted"]]
    assert len(deleted) == 1 and deleted[0]["deletionDate"]["date"] > deleted[0]["creationDate"]["date"]


def test_prospect_list_pages_to_the_end(api) -> None:
    list_id = big_list_id(api)
    pages = [page(api, list_id, n, 100) for n in (1, 2, 3, 4)]
    assert [len(p["prospects"]) for p in pages] == [100, 100, 30, 0]
    ids = [row["id"] for p in pages for row in p["prospects"]]
    assert len(set(ids)) == 230
    first = pages[0]
    assert first["success"] is True
    assert first["list"]["contacts"] == 230 and first["list"]["name"] == "Sandbox leads"
    assert set(first["prospects"][0]) == {"id", "name", "firstName", "lastName", "emails"}
    assert first["prospects"][0]["emails"][0]["email"]
    whole = page(api, list_id, 1, 5000)["prospects"]
    assert [row["id"] for row in whole] == ids
    # newest first: the store keeps insertion order, the API serves it reversed
    assert ids[0] == api.server.state.data.lists[list_id].prospect_ids[-1]


def test_prospect_list_validation(api) -> None:
    list_id = big_list_id(api)
    too_big = api.post("/v1/prospect-list", data={"listId": list_id, "perPage": 5001})
    assert too_big.status_code == 400 and too_big.json()["success"] is False
    assert api.post("/v1/prospect-list", data={"listId": list_id, "page": 0}).status_code == 400
    assert api.post("/v1/prospect-list", data={}).status_code == 400
    assert api.post("/v1/prospect-list", data={"listId": 42}).json() == NOT_FOUND
    deleted = next(row["id"] for row in user_lists(api) if row["isDeleted"])
    assert api.post("/v1/prospect-list", data={"listId": deleted}).status_code == 404


def test_added_prospect_is_visible_everywhere(api) -> None:
    list_id = big_list_id(api)
    data = {
        "email": "John.Newman@goldenrule.com",
        "firstName": "John",
        "lastName": "Newman",
        "phones[]": ["+18882073333", "+18882074444"],
        "country": "United States",
        "position": "Vice President of Sales",
        "companyName": "GoldenRule",
        "customFields[company]": "GoldenRule Inc",
        "customFields[unknown field]": "ignored",
        "socialLinks[linkedIn]": "https://www.linkedin.com/in/johnnewman/",
        "listId": list_id,
    }
    added = api.post("/v1/add-prospect-to-list", data=data).json()
    assert added["success"] is True and added["added"] is True and added["updated"] is False
    prospect_id = added["id"]
    newest = page(api, list_id, 1, 10)
    assert newest["prospects"][0]["id"] == prospect_id
    assert newest["list"]["contacts"] == 231
    found = api.post("/v1/get-prospects-by-email", data={"email": "john.newman@goldenrule.com"}).json()
    assert found["success"] is True and [p["id"] for p in found["data"]] == [prospect_id]
    by_id = api.post("/v1/get-prospect-by-id", data={"id": prospect_id}).json()
    assert by_id["success"] is True
    record = by_id["data"]
    assert record["name"] == "John Newman"
    assert record["lists"] == [{"id": list_id, "name": "Sandbox leads"}]
    assert record["social"] == [{"link": "https://www.linkedin.com/in/johnnewman/", "type": "linkedIn"}]
    assert record["currentJob"][0]["position"] == "Vice President of Sales"
    assert {
        "id",
        "firstName",
        "lastName",
        "industry",
        "country",
        "locality",
        "lastUpdateDate",
        "previousJob",
        "campaigns",
    } <= set(record)
    stored = api.server.state.data.prospects[prospect_id]
    assert stored["customFields"] == {"company": "GoldenRule Inc"}
    assert stored["phones"] == ["+18882073333", "+18882074444"]


def test_existing_prospect_updates_only_with_update_contact(api) -> None:
    list_id = big_list_id(api)
    base = {"email": "kate@octagon.com", "firstName": "Kate", "listId": list_id}
    first = api.post("/v1/add-prospect-to-list", data=base).json()
    again = api.post("/v1/add-prospect-to-list", data={**base, "firstName": "Katherine"}).json()
    assert again == {"success": True, "id": first["id"], "added": False, "updated": False}
    by_id = api.post("/v1/get-prospect-by-id", data={"id": first["id"]}).json()["data"]
    assert by_id["firstName"] == "Kate"
    updated = api.post(
        "/v1/add-prospect-to-list", data={**base, "firstName": "Katherine", "updateContact": "true"}
    ).json()
    assert updated["updated"] is True and updated["added"] is False
    assert api.post("/v1/get-prospect-by-id", data={"id": first["id"]}).json()["data"]["firstName"] == "Katherine"
    other_list = user_lists(api)[1]["id"]
    moved = api.post("/v1/add-prospect-to-list", data={**base, "listId": other_list}).json()
    assert moved["added"] is True and moved["id"] == first["id"]
    lists = api.post("/v1/get-prospect-by-id", data={"id": first["id"]}).json()["data"]["lists"]
    assert {row["id"] for row in lists} == {list_id, other_list}


def test_add_prospect_validation(api) -> None:
    list_id = big_list_id(api)
    assert api.post("/v1/add-prospect-to-list", data={"listId": list_id}).status_code == 400
    bad = api.post("/v1/add-prospect-to-list", data={"listId": list_id, "email": "not-an-email"})
    assert bad.status_code == 400 and bad.json()["success"] is False
    assert api.post("/v1/add-prospect-to-list", data={"email": "a@b.io"}).status_code == 400
    assert api.post("/v1/add-prospect-to-list", data={"email": "a@b.io", "listId": 7}).json() == NOT_FOUND
    assert page(api, list_id, 1, 1)["list"]["contacts"] == 230


def test_prospect_lookups_not_found(api) -> None:
    assert api.post("/v1/get-prospect-by-id", data={"id": "nope=="}).json() == {
        "success": False,
        "message": "Prospect not found",
    }
    assert api.post("/v1/get-prospect-by-id", data={}).status_code == 400
    assert api.post("/v1/get-prospects-by-email", data={"email": "ghost@nowhere.io"}).json() == {
        "success": True,
        "data": [],
    }
    assert api.post("/v1/get-prospects-by-email", data={}).status_code == 400


def test_create_list_is_listed_and_fillable(api) -> None:
    created = api.post("/v1/lists", data={"name": "Warehouse push"})
    body = created.json()
    assert isinstance(body, list) and body[0]["success"] is True
    list_id = body[0]["data"]["id"]
    row = next(r for r in user_lists(api) if r["id"] == list_id)
    assert row["name"] == "Warehouse push" and row["contacts"] == 0 and row["isDeleted"] is False
    api.post("/v1/add-prospect-to-list", data={"email": "lead@hooli.example", "listId": list_id})
    assert next(r for r in user_lists(api) if r["id"] == list_id)["contacts"] == 1
    assert api.post("/v1/lists", data={}).status_code == 400


def test_custom_fields(api) -> None:
    fields = api.get("/v1/prospect-custom-fields").json()
    assert {"key": "customFields['company']", "label": "company", "required": False, "type": "string"} in fields
    assert all(set(f) == {"key", "label", "required", "type"} for f in fields)


def test_balance_is_a_string_and_follows_charges(api) -> None:
    body = api.get("/v1/get-balance").json()
    assert body == {
        "success": True,
        "data": {
            "balance": "25000.00",
            "teamwork": False,
            "unique_recipients_used": 0,
            "limit_resets_in": 29,
            "expires_in": 359,
        },
    }
    state = api.server.state
    state.charge(1.5, "POST /v1/test")
    assert api.get("/v1/get-balance").json()["data"]["balance"] == "24998.50"
    with pytest.raises(OutOfCredits):
        state.charge(30000, "POST /v1/test")
    stats = api.server.stats()
    assert stats["credits_spent"] == 1.5 and stats["credits_by_endpoint"] == {"POST /v1/test": 1.5}
    assert stats["balance"] == 24998.5

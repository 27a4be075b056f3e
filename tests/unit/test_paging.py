"""The four paging styles: every row exactly once, bounded number of calls, no endless loops, lazy pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_snovio.api.errors import SnovioResponseError, SnovioValidationError
from airflow_provider_snovio.api.paging import iter_cursor, iter_offset, iter_pages
from tests.unit.conftest import FakeResponse, Harness, RecordedCall, assert_nothing_sent, pairs_dict

EVENT_PATHS = {
    "iter_campaign_replies": "/v1/get-emails-replies",
    "iter_campaign_opens": "/v1/get-emails-opened",
    "iter_campaign_clicks": "/v1/get-emails-clicked",
    "iter_emails_sent": "/v1/emails-sent",
}


def query_of(call: RecordedCall) -> dict[str, str]:
    return {k: v[-1] for k, v in pairs_dict(call.params or []).items()}


def form_of(call: RecordedCall) -> dict[str, str]:
    return {k: v[-1] for k, v in pairs_dict(call.form).items()}


def limited(response: FakeResponse, most: int) -> Callable[[RecordedCall], FakeResponse]:
    """The same answer every time, but fail the test instead of looping forever."""
    served = [0]

    def respond(call: RecordedCall) -> FakeResponse:
        served[0] += 1
        assert served[0] <= most, "endless paging"
        return response

    return respond


def offset_server(total: int, page_size: int = 10_000) -> Callable[[RecordedCall], FakeResponse]:
    """#23-#26: at most 10,000 rows from ``offset``."""

    served = [0]

    def respond(call: RecordedCall) -> FakeResponse:
        served[0] += 1
        assert served[0] <= total // page_size + 2, "endless offset paging"
        offset = int(query_of(call)["offset"])
        end = min(total, offset + page_size)
        return FakeResponse(200, [{"id": i, "campaignId": 77} for i in range(offset, end)])

    return respond


# Offset paging (#23-#26) --------------------------------------------------------------------------------

@pytest.mark.parametrize(("total", "calls"), [(0, 1), (1, 1), (9_999, 1), (10_000, 2), (20_000, 3), (25_500, 3)])
def test_offset_paging_reads_every_row_once_with_a_bounded_number_of_calls(total: int, calls: int,
                                                                          harness: Harness) -> None:
    path = EVENT_PATHS["iter_campaign_replies"]
    harness.session.default(path, offset_server(total))
    ids = [row["id"] for row in harness.client.iter_campaign_replies(77)]
    assert ids == list(range(total))
    sent = [query_of(c) for c in harness.session.calls_to(path)]
    assert len(sent) == calls
    assert [int(q["offset"]) for q in sent] == [10_000 * i for i in range(calls)]
    assert all(q["campaignId"] == "77" for q in sent)


@pytest.mark.parametrize("method", sorted(EVENT_PATHS))
def test_every_event_iterator_starts_at_offset_zero_and_advances(method: str, harness: Harness) -> None:
    path = EVENT_PATHS[method]
    harness.session.default(path, offset_server(10_001))
    assert sum(1 for _ in getattr(harness.client, method)("77")) == 10_001
    assert [query_of(c)["offset"] for c in harness.session.calls_to(path)] == ["0", "10000"]


def test_offset_advances_by_the_rows_received() -> None:
    pages = {0: list(range(10)), 10: list(range(10, 20)), 20: list(range(20, 23))}
    seen: list[int] = []

    def fetch(offset: int) -> list[int]:
        seen.append(offset)
        return pages[offset]

    assert list(iter_offset(fetch, 10, "test")) == list(range(23))
    assert seen == [0, 10, 20]


def test_offset_iterator_validates_the_campaign_id_before_anything_is_sent(harness: Harness) -> None:
    with pytest.raises(SnovioValidationError) as caught:
        harness.client.iter_campaign_replies("77; DROP")
    assert caught.value.field == "campaign_id"
    assert_nothing_sent(harness)


def test_offset_iterator_is_lazy_and_holds_one_page(harness: Harness) -> None:
    path = EVENT_PATHS["iter_campaign_opens"]
    harness.session.default(path, offset_server(25_500))
    rows = harness.client.iter_campaign_opens(77)
    assert harness.session.api_calls == [], "nothing is fetched before the first row is asked for"
    assert next(rows)["id"] == 0
    assert len(harness.session.calls_to(path)) == 1
    for _ in range(9_999):
        next(rows)
    assert len(harness.session.calls_to(path)) == 1, "the second page is fetched only when needed"
    assert next(rows)["id"] == 10_000
    assert len(harness.session.calls_to(path)) == 2


def test_offset_iterator_refuses_a_non_list_page(harness: Harness) -> None:
    harness.session.default(EVENT_PATHS["iter_emails_sent"], FakeResponse(200, {"rows": []}))
    with pytest.raises(SnovioResponseError, match="expected a list"):
        list(harness.client.iter_emails_sent(77))


# Page paging (#34 prospects in a list) ------------------------------------------------------------------

def list_server(total: int) -> Callable[[RecordedCall], FakeResponse]:
    served = [0]

    def respond(call: RecordedCall) -> FakeResponse:
        served[0] += 1
        assert served[0] <= total + 2, "endless page paging"
        form = form_of(call)
        page, per_page = int(form["page"]), int(form["perPage"])
        start = (page - 1) * per_page
        prospects = [{"id": f"p{i}", "name": f"Prospect {i}", "emails": []}
                     for i in range(start, min(total, start + per_page))]
        return FakeResponse(200, {"success": True, "list": {"name": "Leads", "contacts": total},
                                  "prospects": prospects})

    return respond


@pytest.mark.parametrize(("total", "per_page", "calls"), [(0, 100, 1), (250, 100, 3), (200, 100, 3),
                                                          (100, 100, 2), (99, 100, 1), (12, 5, 3)])
def test_list_prospects_page_paging(total: int, per_page: int, calls: int, harness: Harness) -> None:
    harness.session.default("/v1/prospect-list", list_server(total))
    ids = [p["id"] for p in harness.client.iter_list_prospects(4242, per_page=per_page)]
    assert ids == [f"p{i}" for i in range(total)]
    forms = [form_of(c) for c in harness.session.calls_to("/v1/prospect-list")]
    assert len(forms) == calls
    assert [f["page"] for f in forms] == [str(p) for p in range(1, calls + 1)]
    assert all(f["perPage"] == str(per_page) and f["listId"] == "4242" for f in forms)


def test_list_prospects_repeated_page_is_detected_instead_of_looping(harness: Harness) -> None:
    same = {"success": True, "prospects": [{"id": f"p{i}"} for i in range(100)]}
    harness.session.default("/v1/prospect-list", limited(FakeResponse(200, same), 5))
    rows: list[Any] = []
    with pytest.raises(SnovioResponseError, match="repeats"):
        rows.extend(harness.client.iter_list_prospects(1))
    assert len(rows) == 100, "the first page is delivered, the repeat is not"
    assert len(harness.session.calls_to("/v1/prospect-list")) == 2


def test_list_prospects_is_lazy(harness: Harness) -> None:
    harness.session.default("/v1/prospect-list", list_server(250))
    rows = harness.client.iter_list_prospects(1)
    assert harness.session.api_calls == []
    first_page = [next(rows) for _ in range(100)]
    assert len(first_page) == 100
    assert len(harness.session.calls_to("/v1/prospect-list")) == 1


def test_iter_pages_on_its_own() -> None:
    pages = {1: [1, 2], 2: [3, 4], 3: [5]}
    assert list(iter_pages(lambda p: {"items": pages[p]}, 2, "t", key="items")) == [1, 2, 3, 4, 5]


# Cursor paging (#7/#9 `next`) ---------------------------------------------------------------------------

class CursorServer:
    """v2 domain-emails / generic-contacts: start (POST, cursor in `next`) then result (GET task_hash)."""

    def __init__(self, harness: Harness, kind: str, pages: dict[str | None, tuple[list[str], str | None]]) -> None:
        self.kind = kind
        self.pages = pages
        self.started: list[str | None] = []
        self.session = harness.session
        harness.session.default(f"/v2/domain-search/{kind}/start", self.start)

    def start(self, call: RecordedCall) -> FakeResponse:
        cursor = form_of(call).get("next")
        self.started.append(cursor)
        assert len(self.started) <= len(self.pages) + 1, "endless cursor paging"
        task = f"{len(self.started):032x}"
        emails, following = self.pages[cursor]
        self.session.queue(f"/v2/domain-search/{self.kind}/result/{task}", FakeResponse(200, {
            "data": [{"email": e} for e in emails],
            "meta": {"domain": "octagon.com", "tab": self.kind, "task_hash": task, "next": following},
            "links": {"next": "https://api.snov.io/..." if following else None},
            "status": "completed",
        }))
        return FakeResponse(200, {"data": [], "meta": {"task_hash": task},
                                  "links": {"result": f"https://api.snov.io/v2/domain-search/{self.kind}/result/{task}"}})


@pytest.mark.parametrize(("method", "kind"), [("iter_domain_emails", "domain-emails"),
                                              ("iter_generic_contacts", "generic-contacts")])
@pytest.mark.parametrize("last", ["", None])
def test_next_cursor_paging_until_next_is_empty(method: str, kind: str, last: str | None, harness: Harness) -> None:
    server = CursorServer(harness, kind, {
        None: (["a@octagon.com", "b@octagon.com"], "cur-1"),
        "cur-1": (["c@octagon.com"], "cur-2"),
        "cur-2": (["d@octagon.com"], last),
    })
    emails = [row["email"] for row in getattr(harness.client, method)("octagon.com", poll_interval=1, timeout=10)]
    assert emails == ["a@octagon.com", "b@octagon.com", "c@octagon.com", "d@octagon.com"]
    assert server.started == [None, "cur-1", "cur-2"], "the first start sends no cursor, then meta.next"
    assert harness.time.sleeps == [], "completed results need no waiting"


def test_repeated_next_cursor_is_detected(harness: Harness) -> None:
    server = CursorServer(harness, "domain-emails", {
        None: (["a@octagon.com"], "same"),
        "same": (["b@octagon.com"], "same"),
    })
    rows: list[Any] = []
    with pytest.raises(SnovioResponseError, match="came back twice"):
        rows.extend(harness.client.iter_domain_emails("octagon.com"))
    assert [r["email"] for r in rows] == ["a@octagon.com", "b@octagon.com"]
    assert server.started == [None, "same"]


def test_cursor_paging_stops_on_an_empty_page_even_with_a_cursor(harness: Harness) -> None:
    server = CursorServer(harness, "generic-contacts", {None: (["info@octagon.com"], "c1"), "c1": ([], "c2")})
    assert len(list(harness.client.iter_generic_contacts("octagon.com"))) == 1
    assert server.started == [None, "c1"]


def test_cursor_paging_is_lazy(harness: Harness) -> None:
    server = CursorServer(harness, "domain-emails", {None: (["a@octagon.com"], "c1"), "c1": (["b@octagon.com"], "")})
    rows = harness.client.iter_domain_emails("octagon.com")
    assert server.started == []
    assert next(rows)["email"] == "a@octagon.com"
    assert server.started == [None]


def test_iter_cursor_on_its_own() -> None:
    pages: dict[str | None, tuple[list[int], str | None]] = {None: ([1], "x"), "x": ([2], "y"), "y": ([3], None)}
    assert list(iter_cursor(lambda c: pages[c], "t")) == [1, 2, 3]


# Legacy lastId paging (#41) -----------------------------------------------------------------------------

def test_legacy_last_id_paging(harness: Harness) -> None:
    path = "/v2/domain-emails-with-info"

    def respond(call: RecordedCall) -> FakeResponse:
        last_id = int(query_of(call)["lastId"])
        ids = [i for i in range(1, 251) if i > last_id][:100]
        return FakeResponse(200, {"success": True, "domain": "octagon.com", "result": len(ids),
                                  "lastId": ids[-1] if ids else last_id,
                                  "emails": [{"email": f"e{i}@octagon.com", "type": "personal"} for i in ids]})

    harness.session.default(path, respond)
    rows = list(harness.client.iter_domain_emails_with_info("octagon.com", type="personal", limit=100))
    assert [r["email"] for r in rows] == [f"e{i}@octagon.com" for i in range(1, 251)]
    queries = [query_of(c) for c in harness.session.calls_to(path)]
    assert [q["lastId"] for q in queries] == ["0", "100", "200"]
    assert all(q["type"] == "personal" and q["limit"] == "100" for q in queries)


def test_legacy_repeated_last_id_is_detected(harness: Harness) -> None:
    body = {"success": True, "lastId": 5, "emails": [{"email": f"e{i}@octagon.com"} for i in range(10)]}
    harness.session.default("/v2/domain-emails-with-info", limited(FakeResponse(200, body), 5))
    with pytest.raises(SnovioResponseError, match="came back twice"):
        list(harness.client.iter_domain_emails_with_info("octagon.com", limit=10))
    assert len(harness.session.calls_to("/v2/domain-emails-with-info")) == 2


def test_legacy_full_page_without_last_id_is_an_error_not_a_crash(harness: Harness) -> None:
    body = {"success": True, "emails": [{"email": f"e{i}@octagon.com"} for i in range(10)]}
    harness.session.default("/v2/domain-emails-with-info", FakeResponse(200, body))
    with pytest.raises(SnovioResponseError, match="lastId"):
        list(harness.client.iter_domain_emails_with_info("octagon.com", limit=10))


# Prospects (#3/#4): page paging via links.next ------------------------------------------------------------

def test_prospects_page_paging_follows_links_next(harness: Harness) -> None:
    started: list[dict[str, list[str]]] = []

    def start(call: RecordedCall) -> FakeResponse:
        form = pairs_dict(call.form)
        started.append(form)
        page = int(form["page"][0])
        assert page <= 4, "endless prospects paging"
        task = f"{page:032x}"
        rows = [{"first_name": f"P{page}-{i}", "search_emails_start": f"https://api.snov.io/x/{i:016x}"}
                for i in range(20 if page < 3 else 7)]
        harness.session.queue(f"/v2/domain-search/prospects/result/{task}", FakeResponse(200, {
            "data": rows, "meta": {"page": page, "total_count": 47, "task_hash": task},
            "links": {"next": "https://api.snov.io/v2/domain-search/prospects/start?page=x" if page < 3 else ""},
            "status": "completed"}))
        return FakeResponse(200, {"data": [], "meta": {"task_hash": task}})

    harness.session.default("/v2/domain-search/prospects/start", start)
    prospects = harness.client.iter_prospects("octagon.com", positions=["CEO", "CTO"], poll_interval=1, timeout=30)
    assert started == [], "lazy: nothing is started before the first row is asked for"
    rows = list(prospects)
    assert len(rows) == 47
    assert [f["page"] for f in started] == [["1"], ["2"], ["3"]]
    assert all(f["positions[]"] == ["CEO", "CTO"] and f["domain"] == ["octagon.com"] for f in started)

"""The four paging styles: every row exactly once, bounded number of calls, no endless loops, lazy pages."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from airflow_provider_snovio.api import catalogue
from airflow_provider_snovio.api.errors import SnovioResponseError, SnovioValidationError
from airflow_provider_snovio.api.paging import (
    MAX_PAGES,
    Page,
    iter_cursor,
    iter_has_more,
    iter_offset,
    iter_offset_to_empty,
    iter_pages,
    row_key,
)
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
def test_offset_paging_reads_every_row_once_with_a_bounded_number_of_calls(
    total: int, calls: int, harness: Harness
) -> None:
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
        prospects = [
            {"id": f"p{i}", "name": f"Prospect {i}", "emails": []} for i in range(start, min(total, start + per_page))
        ]
        return FakeResponse(
            200, {"success": True, "list": {"name": "Leads", "contacts": total}, "prospects": prospects}
        )

    return respond


@pytest.mark.parametrize(
    ("total", "per_page", "calls"), [(0, 100, 1), (250, 100, 3), (200, 100, 3), (100, 100, 2), (99, 100, 1), (12, 5, 3)]
)
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
        self.session.queue(
            f"/v2/domain-search/{self.kind}/result/{task}",
            FakeResponse(
                200,
                {
                    "data": [{"email": e} for e in emails],
                    "meta": {"domain": "octagon.com", "tab": self.kind, "task_hash": task, "next": following},
                    "links": {"next": "https://api.snov.io/..." if following else None},
                    "status": "completed",
                },
            ),
        )
        return FakeResponse(
            200,
            {
                "data": [],
                "meta": {"task_hash": task},
                "links": {"result": f"https://api.snov.io/v2/domain-search/{self.kind}/result/{task}"},
            },
        )


@pytest.mark.parametrize(
    ("method", "kind"), [("iter_domain_emails", "domain-emails"), ("iter_generic_contacts", "generic-contacts")]
)
@pytest.mark.parametrize("last", ["", None])
def test_next_cursor_paging_until_next_is_empty(method: str, kind: str, last: str | None, harness: Harness) -> None:
    server = CursorServer(
        harness,
        kind,
        {
            None: (["a@octagon.com", "b@octagon.com"], "cur-1"),
            "cur-1": (["c@octagon.com"], "cur-2"),
            "cur-2": (["d@octagon.com"], last),
        },
    )
    emails = [row["email"] for row in getattr(harness.client, method)("octagon.com", poll_interval=1, timeout=10)]
    assert emails == ["a@octagon.com", "b@octagon.com", "c@octagon.com", "d@octagon.com"]
    assert server.started == [None, "cur-1", "cur-2"], "the first start sends no cursor, then meta.next"
    assert harness.time.sleeps == [], "completed results need no waiting"


def test_repeated_next_cursor_is_detected(harness: Harness) -> None:
    server = CursorServer(
        harness,
        "domain-emails",
        {
            None: (["a@octagon.com"], "same"),
            "same": (["b@octagon.com"], "same"),
        },
    )
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
        return FakeResponse(
            200,
            {
                "success": True,
                "domain": "octagon.com",
                "result": len(ids),
                "lastId": ids[-1] if ids else last_id,
                "emails": [{"email": f"e{i}@octagon.com", "type": "personal"} for i in ids],
            },
        )

    harness.session.default(path, respond)
    rows = list(harness.client.iter_domain_emails_with_info("octagon.com", type="personal", limit=100))
    assert [r["email"] for r in rows] == [f"e{i}@octagon.com" for i in range(1, 251)]
    queries = [query_of(c) for c in harness.session.calls_to(path)]
    assert [q["lastId"] for q in queries] == ["0", "100", "200"]
    assert all(q["type"] == "personal" and q["limit"] == "100" for q in queries)


def test_legacy_repeated_last_id_is_detected(harness: Harness) -> None:
    body = {"success": True, "lastId": 5, "emails": [{"email": f"e{i}@octagon.com"} for i in range(10)]}
    harness.session.default("/v2/domain-emails-with-info", limited(FakeResponse(200, body), 5))
    with pytest.raises(SnovioResponseError, match=r"repeats|came back twice"):
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
        rows = [
            {"first_name": f"P{page}-{i}", "search_emails_start": f"https://api.snov.io/x/{i:016x}"}
            for i in range(20 if page < 3 else 7)
        ]
        harness.session.queue(
            f"/v2/domain-search/prospects/result/{task}",
            FakeResponse(
                200,
                {
                    "data": rows,
                    "meta": {"page": page, "total_count": 47, "task_hash": task},
                    "links": {
                        "next": "https://api.snov.io/v2/domain-search/prospects/start?page=x" if page < 3 else ""
                    },
                    "status": "completed",
                },
            ),
        )
        return FakeResponse(200, {"data": [], "meta": {"task_hash": task}})

    harness.session.default("/v2/domain-search/prospects/start", start)
    prospects = harness.client.iter_prospects("octagon.com", positions=["CEO", "CTO"], poll_interval=1, timeout=30)
    assert started == [], "lazy: nothing is started before the first row is asked for"
    rows = list(prospects)
    assert len(rows) == 47
    assert [f["page"] for f in started] == [["1"], ["2"], ["3"]]
    assert all(f["positions[]"] == ["CEO", "CTO"] and f["domain"] == ["octagon.com"] for f in started)


# Every paging style is finite, whatever the server does (issue 6, items 2 and 3) ---------------------------


class Fetcher:
    """A fake page source that counts its calls and fails the test rather than loop for ever."""

    def __init__(self, answer: Callable[[Any], Any], most: int = 50) -> None:
        self.answer, self.most, self.asked = answer, most, []

    def __call__(self, where: Any) -> Any:
        self.asked.append(where)
        assert len(self.asked) <= self.most, "endless paging"
        return self.answer(where)


def test_a_server_ignoring_offset_is_detected_not_read_for_ever() -> None:
    same = [{"id": i, "campaignId": 7} for i in range(10)]
    fetch = Fetcher(lambda offset: list(same))
    rows: list[Any] = []
    with pytest.raises(SnovioResponseError, match="repeats page 1") as caught:
        rows.extend(iter_offset(fetch, 10, "get_campaign_replies"))
    assert "ignored the paging parameter" in str(caught.value)
    assert rows == same, "the first page is delivered once, its repeat never"
    assert fetch.asked == [0, 10]


def test_a_caching_proxy_repeating_rows_without_ids_is_detected_by_their_hash() -> None:
    same = [{"email": f"e{i}@octagon.com", "sentDate": {"date": "2024-01-01"}} for i in range(5)]
    fetch = Fetcher(lambda offset: [dict(reversed(list(row.items()))) for row in same])  # other key order
    with pytest.raises(SnovioResponseError, match="repeats"):
        list(iter_offset(fetch, 5, "get_emails_sent"))
    assert len(fetch.asked) == 2


def test_offset_repeat_is_detected_through_the_client(harness: Harness) -> None:
    path = EVENT_PATHS["iter_campaign_clicks"]
    page = FakeResponse(200, [{"id": i} for i in range(10_000)])
    harness.session.default(path, limited(page, 3))
    with pytest.raises(SnovioResponseError, match="repeats"):
        sum(1 for _ in harness.client.iter_campaign_clicks(77))
    assert [query_of(c)["offset"] for c in harness.session.calls_to(path)] == ["0", "10000"]


def test_a_page_server_repeating_a_page_is_detected() -> None:
    fetch = Fetcher(lambda page: {"prospects": [{"id": f"p{i}"} for i in range(3)]})
    with pytest.raises(SnovioResponseError, match="repeats page 1"):
        list(iter_pages(fetch, 3, "get_list_prospects", key="prospects"))
    assert fetch.asked == [1, 2]


def test_a_clamped_page_is_compared_with_the_documented_cap_not_with_what_was_asked() -> None:
    """A server clamping ``perPage`` to 100 answers 100 rows: that is a full page, not the last one."""
    rows = [{"id": i} for i in range(250)]
    fetch = Fetcher(lambda page: {"prospects": rows[(page - 1) * 100 : page * 100]})
    assert list(iter_pages(fetch, 500, "t", key="prospects", cap=100)) == rows
    assert fetch.asked == [1, 2, 3]


def test_the_list_page_cap_lives_in_the_catalogue_and_the_default_is_the_older_cap() -> None:
    """2026 #34: ``perPage`` up to 5000; the default stays 100, which the older edition accepts too."""
    from airflow_provider_snovio.api.methods import LIST_PAGE_SIZE

    row = catalogue.endpoint("get_list_prospects")
    assert row.page_size == catalogue.LIST_PAGE_MAX == 5000
    assert LIST_PAGE_SIZE == 100
    assert row.params_by_name["per_page"].check("per_page", 5000) == 5000


def test_iter_list_prospects_above_the_cap_is_refused_before_anything_is_sent(harness: Harness) -> None:
    with pytest.raises(SnovioValidationError) as caught:
        harness.client.iter_list_prospects(4242, per_page=5001)
    assert caught.value.field == "per_page" and "at most 5000" in str(caught.value)
    assert_nothing_sent(harness)


def test_iter_list_prospects_accepts_a_numeric_string_page_size(harness: Harness) -> None:
    harness.session.default("/v1/prospect-list", list_server(7))
    assert len(list(harness.client.iter_list_prospects(1, per_page="5"))) == 7


def test_a_cursor_that_changes_while_the_rows_repeat_is_detected() -> None:
    fetch = Fetcher(
        lambda cursor: Page([{"email": "a@octagon.com"}, {"email": "b@octagon.com"}], f"c{len(fetch.asked)}")
    )
    with pytest.raises(SnovioResponseError, match="repeats"):
        list(iter_cursor(fetch, "iter_domain_emails"))
    assert fetch.asked == [None, "c1"]


def test_a_repeating_cursor_is_detected() -> None:
    fetch = Fetcher(lambda cursor: Page([{"email": f"{len(fetch.asked)}@octagon.com"}], "same"))
    with pytest.raises(SnovioResponseError, match="came back twice"):
        list(iter_cursor(fetch, "iter_generic_contacts"))
    assert fetch.asked == [None, "same"]


def test_a_lying_total_count_caps_the_pages() -> None:
    """40 rows at 20 a page: at most ceil(40/20) + 1 = 3 pages, however often ``next`` is set."""
    fetch = Fetcher(
        lambda cursor: Page([{"id": f"{len(fetch.asked)}-{i}"} for i in range(20)], f"c{len(fetch.asked)}", total=40)
    )
    rows: list[Any] = []
    with pytest.raises(SnovioResponseError, match="total_count=40") as caught:
        rows.extend(iter_cursor(fetch, "iter_prospects", page_size=20))
    assert len(fetch.asked) == 3 and len(rows) == 60
    assert "3 pages" in str(caught.value)


def test_a_later_larger_total_cannot_raise_the_cap() -> None:
    fetch = Fetcher(
        lambda cursor: Page(
            [{"id": f"{len(fetch.asked)}-{i}"} for i in range(20)], f"c{len(fetch.asked)}", total=20 * len(fetch.asked)
        )
    )
    with pytest.raises(SnovioResponseError, match="total_count=20"):
        list(iter_cursor(fetch, "iter_prospects", page_size=20))
    assert len(fetch.asked) == 2


def test_an_honest_total_that_is_a_multiple_of_the_page_size_reads_to_the_end() -> None:
    pages = {
        None: Page([{"id": i} for i in range(50)], "n1", total=100),
        "n1": Page([{"id": i} for i in range(50, 100)], "n2", total=100),
        "n2": Page([], "", total=100),
    }
    assert len(list(iter_cursor(Fetcher(pages.__getitem__), "t", page_size=50))) == 100


def test_prospects_with_a_lying_total_start_no_more_paid_tasks_than_it_allows(harness: Harness) -> None:
    started: list[int] = []

    def start(call: RecordedCall) -> FakeResponse:
        page = int(pairs_dict(call.form)["page"][0])
        started.append(page)
        assert page <= 10, "endless prospects paging"
        task = f"{page:032x}"
        harness.session.queue(
            f"/v2/domain-search/prospects/result/{task}",
            FakeResponse(
                200,
                {
                    "data": [{"first_name": f"P{page}-{i}"} for i in range(20)],
                    "meta": {"page": page, "total_count": 40, "task_hash": task},
                    "links": {"next": "https://api.snov.io/v2/domain-search/prospects/start"},
                    "status": "completed",
                },
            ),
        )
        return FakeResponse(200, {"data": [], "meta": {"task_hash": task}})

    harness.session.default("/v2/domain-search/prospects/start", start)
    with pytest.raises(SnovioResponseError, match="total_count=40"):
        list(harness.client.iter_prospects("octagon.com", poll_interval=1, timeout=10))
    assert started == [1, 2, 3]


@pytest.mark.parametrize("style", ["offset", "page", "cursor"])
def test_an_endless_server_stops_at_the_page_cap(style: str) -> None:
    """Fresh rows and a fresh cursor on every page, no total: only the absolute cap ends it."""
    fresh = Fetcher(lambda where: [{"id": f"r{len(fresh.asked)}"}], most=10)
    with pytest.raises(SnovioResponseError, match="cap of 7 pages"):
        if style == "offset":
            list(iter_offset(fresh, 1, "t", max_pages=7))
        elif style == "page":
            list(iter_pages(fresh, 1, "t", max_pages=7))
        else:
            list(iter_cursor(lambda c: Page(fresh(c), f"c{len(fresh.asked)}"), "t", max_pages=7))
    assert len(fresh.asked) == 7


def test_the_default_page_cap_bounds_an_endless_offset_server() -> None:
    asked = [0]

    def endless(offset: int) -> list[dict[str, int]]:
        asked[0] += 1
        return [{"id": offset}]

    with pytest.raises(SnovioResponseError, match="MAX_PAGES"):
        for _ in iter_offset(endless, 1, "t"):
            pass
    assert asked[0] == MAX_PAGES


def test_row_key_prefers_the_id_and_hashes_the_rest_stably() -> None:
    assert row_key({"id": 5, "x": 1}) == row_key({"id": "5", "x": 2})
    assert row_key({"a": 1, "b": [1, 2]}) == row_key({"b": [1, 2], "a": 1})
    assert row_key({"a": 1}) != row_key({"a": 2})
    assert row_key("plain") != row_key("other")


@pytest.mark.parametrize("name", sorted(n for n, row in catalogue.BY_NAME.items() if row.paging))
def test_every_paged_row_documents_its_page_size(name: str) -> None:
    row = catalogue.BY_NAME[name]
    if row.paging is catalogue.Paging.OFFSET_TO_EMPTY:  # #73: Snov.io documents no page size
        assert row.page_size is None
    else:
        assert row.page_size in {10_000, 5000, 1000, 100, 50, 20}


# 2026: #72 pages until pagination.has_more is false, #73 until an empty page -------------------------------


def _activity_server(total: int, ignore_offset: bool = False, lie_has_more: bool = False) -> tuple[Any, list[int]]:
    asked: list[int] = []

    def fetch(offset: int) -> dict[str, Any]:
        asked.append(offset)
        start = 0 if ignore_offset else offset
        rows = [{"n": i} for i in range(start, min(total, start + 3))]
        more = lie_has_more or start + len(rows) < total
        return {"data": rows, "pagination": {"total": total, "offset": offset, "limit": 3, "has_more": more}}

    return fetch, asked


def test_has_more_paging_reads_every_row_and_stops_when_has_more_is_false() -> None:
    fetch, asked = _activity_server(7)
    assert [row["n"] for row in iter_has_more(fetch, 3, "activity")] == list(range(7))
    assert asked == [0, 3, 6]


def test_has_more_on_an_empty_page_or_an_ignored_offset_raises() -> None:
    fetch, _ = _activity_server(3, lie_has_more=True)
    with pytest.raises(SnovioResponseError, match="has_more is true on an empty page"):
        list(iter_has_more(fetch, 3, "activity"))
    fetch, _ = _activity_server(9, ignore_offset=True)
    with pytest.raises(SnovioResponseError, match="repeats page"):
        list(iter_has_more(fetch, 3, "activity"))


def test_offset_to_empty_advances_by_the_rows_received_and_stops_on_an_empty_page() -> None:
    sizes = iter([5, 2, 4, 0])
    asked: list[int] = []

    def fetch(offset: int) -> dict[str, Any]:
        asked.append(offset)
        return {"data": [{"id": offset + i} for i in range(next(sizes))]}

    assert [row["id"] for row in iter_offset_to_empty(fetch, "all replies")] == list(range(11))
    assert asked == [0, 5, 7, 11]
    with pytest.raises(SnovioResponseError, match="repeats page"):
        list(iter_offset_to_empty(lambda offset: {"data": [{"id": 1}, {"id": 2}]}, "all replies"))

"""Domain search (v2, #1-#10): company info, prospects, domain e-mails and generic contacts of a domain,
and the e-mails of chosen prospects.

Every page is one paid task (1 credit per unique request). Each started ``task_hash`` is recorded in the
job (see :mod:`._async`) before waiting, so a retry or a resumption after deferral reads the same tasks
instead of starting (and paying for) them again; a page whose result Snov.io no longer knows (expired
hash) is the only thing started again, at most once per page per try. A start whose answer was lost is
not sent again by a later try unless ``allow_repay=True``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api.catalogue import ENDPOINTS, Endpoint, result_of
from airflow_provider_snovio.api.errors import SnovioNotFoundError, SnovioValidationError
from airflow_provider_snovio.operators._async import SnovioAsyncOperator
from airflow_provider_snovio.operators.state import Job

if TYPE_CHECKING:
    from airflow.sdk import Context

#: Tab -> (its start row, how its pages are chained). Order = the order they run in.
TABS: dict[str, tuple[Endpoint, str]] = {
    "company": (ENDPOINTS.start_domain_search, "single"),
    "prospects": (ENDPOINTS.start_prospects_search, "page"),
    "emails": (ENDPOINTS.start_domain_emails_search, "cursor"),
    "generic_contacts": (ENDPOINTS.start_generic_contacts_search, "cursor"),
}
DEFAULT_INCLUDE = ("company", "prospects", "emails", "generic_contacts")


def prospect_hash_of(prospect: Any) -> str | None:
    """The prospect hash ending a prospect's ``search_emails_start`` URL (input of #5), if any."""
    url = prospect.get("search_emails_start") if isinstance(prospect, dict) else None
    if not url:
        return None
    return str(url).rstrip("/").rsplit("/", 1)[-1].split("?", 1)[0] or None


def _rows(body: Any) -> list[Any]:
    data = body.get("data") if isinstance(body, dict) else None
    return list(data) if isinstance(data, list) else []


class SnovioDomainSearchOperator(SnovioAsyncOperator):
    """Search a domain: company info, prospects, domain e-mails and generic contacts; pages to the end.

    XCom: ``{"domain", "company": {...} | None, "counts": {tab: rows}, "prospect_hashes": [...],
    "emails": [...], "generic_contacts": [...], "task_hashes": {tab: [...]}, "output_path": uri | None}``.
    With ``output_path`` every row goes there as JSON Lines (``{"tab": ..., **row}``).

    :param domain: the domain (templated).
    :param include: which tabs to fetch, any of ``company``, ``prospects``, ``emails``,
        ``generic_contacts`` (templated).
    :param positions: prospects only: up to 10 job positions to filter by (templated).
    :param max_pages: most pages fetched per paged tab (each page costs a credit); None = to the end.
    """

    template_fields: Sequence[str] = (*SnovioAsyncOperator.template_fields, "domain", "include", "positions")

    def __init__(
        self,
        *,
        domain: str,
        include: Sequence[str] = DEFAULT_INCLUDE,
        positions: Sequence[str] | None = None,
        max_pages: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.domain = domain
        self.include = include
        self.positions = positions
        self.max_pages = max_pages

    def check_inputs(self) -> Any:
        params = ENDPOINTS.start_prospects_search.params_by_name
        self._domain = params["domain"].check("domain", self.domain)
        include = [self.include] if isinstance(self.include, str) else list(self.include or [])
        unknown = [tab for tab in include if tab not in TABS]
        if not include or unknown:
            raise SnovioValidationError("include", f"expected some of {', '.join(TABS)}; got {self.include!r}")
        self._include = [tab for tab in TABS if tab in include]
        self._positions = params["positions"].check("positions", self.positions) if self.positions else None
        if self.max_pages is not None and (
            isinstance(self.max_pages, bool) or not isinstance(self.max_pages, int) or self.max_pages < 1
        ):
            raise SnovioValidationError("max_pages", f"must be a positive integer or None, got {self.max_pages!r}")
        return [self._domain, self._include, self._positions, self.max_pages]

    def _start(self, tab: str, cursor: Any) -> Any:
        row = TABS[tab][0]
        if tab == "company":
            return self.hook.call(row, domain=self._domain)
        if tab == "prospects":
            return self.hook.call(row, domain=self._domain, positions=self._positions, page=int(cursor or 1))
        return self.hook.call(row, domain=self._domain, next_cursor=cursor)

    def _next_cursor(self, tab: str, body: Any, pages: int) -> Any:
        style = TABS[tab][1]
        if style == "single" or (self.max_pages is not None and pages >= self.max_pages):
            return None
        if style == "page":
            links = body.get("links") if isinstance(body, dict) else None
            return pages + 1 if isinstance(links, dict) and links.get("next") and _rows(body) else None
        meta = body.get("meta") if isinstance(body, dict) else None
        return (meta.get("next") or None) if isinstance(meta, dict) else None

    def _run_tab(self, job: Job, tab: str) -> None:
        """Start, wait for and chain the pages of one tab until its last page (or ``max_pages``)."""
        state = job.data.setdefault("tabs", {}).setdefault(tab, {"pages": [], "finished": False})
        while not state["finished"]:
            if not state["pages"] or state["pages"][-1].get("read"):
                cursor = state["pages"][-1].get("next") if state["pages"] else None
                state["pages"].append({"cursor": cursor})
            page = state["pages"][-1]
            body = self._page_body(job, tab, page)
            page["next"] = self._next_cursor(tab, body, len(state["pages"]))
            page["read"] = True
            state["finished"] = page["next"] is None
            job.save()

    def _page_body(self, job: Job, tab: str, page: dict[str, Any]) -> Any:
        """One page's result: started once (paid), awaited; an expired hash restarted at most once per try."""
        return self.run_tasks(
            job, result_of(TABS[tab][0]), [page], lambda p: self._start(tab, p["cursor"]), what=f"{tab} page"
        )[0]

    def advance(self, context: Context, job: Job) -> Any:
        for tab in self._include:
            self._run_tab(job, tab)
        return self._summarise(job)

    def _bodies_of(self, job: Job, tab: str) -> Iterator[Any]:
        result_method = result_of(TABS[tab][0])
        for page in job.data["tabs"][tab]["pages"]:
            task_hash = page["task_hash"]
            if task_hash not in self._bodies:  # read before a deferral: a free GET
                try:
                    self._bodies[task_hash] = self.hook.call(result_method, task_hash=task_hash)
                except SnovioNotFoundError as error:  # expired since it was read: one paid restart
                    self.forget_expired(job, page, error, what=f"{tab} page", charged_once=True)
                    self._page_body(job, tab, page)  # keeps the body in self._bodies
            yield self._bodies[page["task_hash"]]

    def _summarise(self, job: Job) -> dict[str, Any]:
        company = None
        rows: dict[str, list[Any]] = {}
        for tab in self._include:
            bodies = list(self._bodies_of(job, tab))
            if tab == "company":
                data = bodies[0].get("data") if bodies and isinstance(bodies[0], dict) else None
                company = data if isinstance(data, dict) and data else None
                rows[tab] = [company] if company else []
            else:
                rows[tab] = [row for body in bodies for row in _rows(body)]
        output = self.write_output(
            {"tab": tab, **(row if isinstance(row, dict) else {"value": row})}
            for tab in self._include
            for row in rows[tab]
        )
        return {
            "domain": self._domain,
            "company": company,
            "counts": {tab: len(rows[tab]) for tab in self._include if tab != "company"},
            "prospect_hashes": [h for h in map(prospect_hash_of, rows.get("prospects", [])) if h],
            "emails": [r.get("email") for r in rows.get("emails", []) if isinstance(r, dict) and r.get("email")],
            "generic_contacts": [
                r.get("email") for r in rows.get("generic_contacts", []) if isinstance(r, dict) and r.get("email")
            ],
            "task_hashes": {tab: [p["task_hash"] for p in job.data["tabs"][tab]["pages"]] for tab in self._include},
            "output_path": output,
        }


class SnovioProspectEmailsOperator(SnovioAsyncOperator):
    """Find the e-mails of prospects from a domain search (#5/#6; 1 credit per prospect with an e-mail).

    XCom: ``{"emails": {prospect_hash: [email, ...]}, "counts": {"prospects", "with_email", "emails"},
    "output_path"}``; with ``output_path`` one JSON line per e-mail ``{prospect_hash, email, smtp_status}``.

    :param prospect_hashes: prospect hashes (the ``prospect_hashes`` of the domain search's XCom, or the
        last part of a prospect's ``search_emails_start`` URL) (templated).
    """

    template_fields: Sequence[str] = (*SnovioAsyncOperator.template_fields, "prospect_hashes")

    def __init__(self, *, prospect_hashes: Sequence[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.prospect_hashes = prospect_hashes

    def check_inputs(self) -> Any:
        hashes = self.prospect_hashes
        if isinstance(hashes, str) or not isinstance(hashes, Sequence) or not hashes:
            raise SnovioValidationError("prospect_hashes", "expected a non-empty list of prospect hashes")
        check = ENDPOINTS.start_prospect_email_search.params_by_name["prospect_hash"].check
        self._hashes = list(dict.fromkeys(check(f"prospect_hashes[{i}]", h) for i, h in enumerate(hashes)))
        return self._hashes

    def advance(self, context: Context, job: Job) -> Any:
        slots = job.data.setdefault("prospects", {})
        result_method = result_of(ENDPOINTS.start_prospect_email_search)
        ordered = [slots.setdefault(h, {}) for h in self._hashes]
        by_slot = {id(slot): h for slot, h in zip(ordered, self._hashes, strict=True)}
        answers = self.run_tasks(
            job,
            result_method,
            ordered,
            lambda slot: self.hook.start_prospect_email_search(by_slot[id(slot)]),
            what="prospect e-mail search",
        )
        bodies = {h: body for h, body in zip(self._hashes, answers, strict=True)}
        found: dict[str, list[dict[str, Any]]] = {}
        for prospect_hash in self._hashes:
            data = bodies[prospect_hash].get("data")
            emails = data.get("emails") if isinstance(data, dict) else None
            found[prospect_hash] = [e for e in (emails or []) if isinstance(e, dict) and e.get("email")]
        output = self.write_output({"prospect_hash": h, **e} for h, emails in found.items() for e in emails)
        return {
            "emails": {h: [e["email"] for e in emails] for h, emails in found.items()},
            "counts": {
                "prospects": len(found),
                "with_email": sum(1 for e in found.values() if e),
                "emails": sum(len(e) for e in found.values()),
            },
            "output_path": output,
        }

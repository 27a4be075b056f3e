"""Database search (2026, #46-#51): prospects or companies matching filters, page by page, and optionally the
e-mails of every prospect found (#48/#49).

What each step costs (the catalogue's rows say it once): a prospect page (#46) is free, a company page (#50)
costs 1 credit per unique request with at least one result, revealing a prospect (#48) 1 credit per prospect
with an e-mail, once per prospect. Every started ``task_hash`` is recorded in the job (see :mod:`._async`)
before waiting, so a retry, a cleared task or a resumption after deferral reads the same pages and reveals
instead of starting them again. Every one of these starts is free or charged once per unique request, so a
start whose answer was lost, or whose hash Snov.io forgot (expired), is simply sent again: the identical
request is not charged twice.

Free accounts get page 1 only (§1b): a refusal of a later page ends the paging there (the XCom says so in
``page_refused``) instead of failing the task; the pages already read are kept and returned.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api.catalogue import ENDPOINTS, Endpoint, result_of
from airflow_provider_snovio.api.errors import SnovioApiError, SnovioResponseError, SnovioValidationError
from airflow_provider_snovio.api.methods import reveal_hash_of
from airflow_provider_snovio.operators._async import SnovioAsyncOperator
from airflow_provider_snovio.operators.state import Job

if TYPE_CHECKING:
    from airflow.sdk import Context

#: What can be searched -> (its start row, the list of rows in a result page).
SEARCHES: dict[str, tuple[Endpoint, str]] = {
    "prospects": (ENDPOINTS.start_database_prospects_search, "prospects"),
    "companies": (ENDPOINTS.start_database_companies_search, "companies"),
}
REVEAL_START = ENDPOINTS.start_database_prospect_email_search


def reveal_hash(prospect: Any) -> str | None:
    """The #48 path value of a #47 prospect, or None when it carries no reveal URL (nothing to reveal)."""
    try:
        return reveal_hash_of(prospect)
    except SnovioResponseError:
        return None


def _page_data(body: Any) -> Mapping[str, Any]:
    data = body.get("data") if isinstance(body, Mapping) else None
    return data if isinstance(data, Mapping) else {}


def _positive_or_none(field: str, value: Any) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise SnovioValidationError(field, f"must be a positive integer or None, got {value!r}")
    return value


def _revealed_emails(body: Any) -> list[dict[str, Any]]:
    emails = _page_data(body).get("emails")
    return [dict(e) for e in emails or [] if isinstance(e, Mapping) and e.get("email")]


def _check_reveal_hashes(field: str, hashes: Any) -> list[str]:
    if isinstance(hashes, str) or not isinstance(hashes, Sequence) or not hashes:
        raise SnovioValidationError(field, "expected a non-empty list of reveal hashes")
    check = REVEAL_START.params_by_name["reveal_hash"].check
    return list(dict.fromkeys(check(f"{field}[{i}]", h) for i, h in enumerate(hashes)))


class _RevealMixin(SnovioAsyncOperator):
    """Reveals prospects (#48/#49): one paid task per prospect, each recorded in the job before waiting."""

    def reveal(self, job: Job, hashes: list[str]) -> dict[str, Any]:
        """``{reveal_hash: #49 result body}`` of every hash, in order (started once, charged once each)."""
        if not hashes:
            return {}
        slots = job.data.setdefault("reveals", {})
        ordered = [slots.setdefault(h, {}) for h in hashes]
        by_slot = {id(slot): h for slot, h in zip(ordered, hashes, strict=True)}
        bodies = self.run_tasks(
            job,
            result_of(REVEAL_START),
            ordered,
            lambda slot: self.hook.start_database_prospect_email_search(by_slot[id(slot)]),
            what="database prospect e-mail search",
        )
        return dict(zip(hashes, bodies, strict=True))


class SnovioDatabaseSearchOperator(_RevealMixin):
    """Search Snov.io's database for prospects (#46/#47) or companies (#50/#51) matching ``filters``; page to
    the last page (or ``max_pages``); with ``reveal_emails`` also find each prospect's e-mails (#48/#49).

    Costs: prospect pages are free; a company page costs 1 credit when it has a result (once per unique
    request); each revealed prospect with an e-mail costs 1 credit (once per prospect).

    XCom: ``{"search", "total", "total_pages", "pages_read", "page_refused": {"page", "reason"} | None,
    "counts": {"rows"[, "revealed", "with_email", "emails"]}, "reveal_hashes": [...] (prospects),
    "domains": [...] (companies), "task_hashes": {"pages": [...], "reveals": [...]}, "output_path"}``. With
    ``output_path`` every row goes there as JSON Lines: ``{"page", **prospect_or_company}``, a revealed
    prospect with ``"revealed": {first_name, last_name, linkedin_url}`` and ``"emails": [{email,
    smtp_status}]`` added.

    :param search: ``"prospects"`` or ``"companies"``.
    :param filters: the search's ``filters`` object (prospects: ``{"prospect": {...}, "company": {...}}``;
        companies: ``{"company": {...}, "locations": {...}}``), checked in full before any request (templated).
    :param max_pages: most pages read (each company page with a result costs a credit); None = to the end.
        A free account gets page 1 only: a refused later page ends the paging (``page_refused``).
    :param reveal_emails: prospects only: also reveal every prospect found (1 credit per prospect with an
        e-mail). To reveal only some, pass ``reveal_hashes`` to :class:`SnovioDatabaseProspectEmailsOperator`.
    """

    template_fields: Sequence[str] = (*SnovioAsyncOperator.template_fields, "filters")

    def __init__(
        self,
        *,
        search: str = "prospects",
        filters: Mapping[str, Any],
        max_pages: int | None = None,
        reveal_emails: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.search = search
        self.filters = filters
        self.max_pages = max_pages
        self.reveal_emails = reveal_emails

    def check_inputs(self) -> Any:
        if self.search not in SEARCHES:
            raise SnovioValidationError("search", f"expected one of {', '.join(SEARCHES)}, got {self.search!r}")
        start_row = SEARCHES[self.search][0]
        self._filters = start_row.params_by_name["filters"].check("filters", self.filters)
        self._max_pages = _positive_or_none("max_pages", self.max_pages)
        if not isinstance(self.reveal_emails, bool):
            raise SnovioValidationError("reveal_emails", f"expected True or False, got {self.reveal_emails!r}")
        if self.reveal_emails and self.search != "prospects":
            raise SnovioValidationError("reveal_emails", "only a prospects search has e-mails to reveal")
        return [self.search, self._filters, self._max_pages, self.reveal_emails]

    # --- paging -------------------------------------------------------------------------------------
    def _start_page(self, slot: dict[str, Any]) -> Any:
        return self.hook.call(SEARCHES[self.search][0], filters=self._filters, page=int(slot["page"]))

    def _read_pages(self, job: Job, slots: list[dict[str, Any]]) -> list[Any]:
        start_row = SEARCHES[self.search][0]
        return self.run_tasks(job, result_of(start_row), slots, self._start_page, what=f"{self.search} page")

    def _pages(self, job: Job) -> list[Any]:
        """Every page's result body, in page order: page 1 first (it says how many pages there are), then the
        second alone (a free account's refusal ends the paging there), then the rest together."""
        data = job.data
        pages: list[dict[str, Any]] = data.setdefault("pages", [{"page": 1}])
        bodies = self._read_pages(job, pages[:1])
        if "last" not in data:
            total_pages = _page_data(bodies[0]).get("total_pages")
            last = total_pages if isinstance(total_pages, int) and total_pages > 0 else 1
            data["last"] = min(last, self._max_pages) if self._max_pages else last
            job.save()
        if len(pages) == 1 and data["last"] > 1 and not data.get("refused"):
            pages.extend({"page": n} for n in range(2, data["last"] + 1))  # recorded before any is started
            job.save()
        if len(pages) > 1:
            try:
                bodies += self._read_pages(job, pages[1:2])
            except SnovioApiError as error:  # a refusal (4xx): nothing was started, nothing charged
                if "task_hash" in pages[1]:
                    raise
                self.log.warning(
                    "Snov.io refused page 2 of the %s search (%s): a free account gets page 1 only; "
                    "returning page 1 (%d of %d pages)",
                    self.search,
                    error.detail,
                    1,
                    data["last"],
                )
                data["refused"] = {"page": 2, "reason": str(error.detail)[:200]}
                del pages[1:]
                job.save()
        if len(pages) > 2:
            bodies += self._read_pages(job, pages[2:])
        return bodies

    def advance(self, context: Context, job: Job) -> Any:
        bodies = self._pages(job)
        key = SEARCHES[self.search][1]
        rows: list[tuple[int, dict[str, Any]]] = []
        for slot, body in zip(job.data["pages"], bodies, strict=True):
            items = _page_data(body).get(key)
            rows.extend((int(slot["page"]), dict(r)) for r in items or [] if isinstance(r, Mapping))
        hashes = [h for h in dict.fromkeys(reveal_hash(r) for _, r in rows) if h] if key == "prospects" else []
        revealed = self.reveal(job, hashes) if self.reveal_emails else {}
        for _, row in rows:
            body = revealed.get(reveal_hash(row) or "")
            if body is not None:
                data = _page_data(body)
                row["revealed"] = {k: data.get(k) for k in ("first_name", "last_name", "linkedin_url")}
                row["emails"] = _revealed_emails(body)
        output = self.write_output({"page": page, **row} for page, row in rows)
        first = _page_data(bodies[0])
        counts: dict[str, int] = {"rows": len(rows)}
        if self.reveal_emails:
            counts["revealed"] = len(revealed)
            counts["with_email"] = sum(1 for body in revealed.values() if _revealed_emails(body))
            counts["emails"] = sum(len(_revealed_emails(body)) for body in revealed.values())
        summary: dict[str, Any] = {
            "search": self.search,
            "total": first.get("total"),
            "total_pages": first.get("total_pages"),
            "pages_read": len(bodies),
            "page_refused": job.data.get("refused"),
            "counts": counts,
        }
        if key == "prospects":
            summary["reveal_hashes"] = hashes
        else:
            summary["domains"] = [r["domain"] for _, r in rows if r.get("domain")]
        summary["task_hashes"] = {
            "pages": [p["task_hash"] for p in job.data["pages"]],
            "reveals": [job.data["reveals"][h]["task_hash"] for h in revealed],
        }
        summary["output_path"] = output
        return summary


class SnovioDatabaseProspectEmailsOperator(_RevealMixin):
    """Reveal chosen database prospects: their names, LinkedIn URL and e-mails (#48/#49; 1 credit per
    prospect with an e-mail, once per prospect).

    XCom: ``{"emails": {reveal_hash: [email, ...]}, "counts": {"prospects", "with_email", "emails"},
    "task_hashes": [...], "output_path"}``; with ``output_path`` one JSON line per prospect
    ``{reveal_hash, first_name, last_name, linkedin_url, emails: [{email, smtp_status}]}``.

    :param reveal_hashes: the ``reveal_hashes`` of a :class:`SnovioDatabaseSearchOperator`'s XCom (the last
        part of a prospect's ``email_and_hidden_info_reveal`` URL) (templated).
    """

    template_fields: Sequence[str] = (*SnovioAsyncOperator.template_fields, "reveal_hashes")

    def __init__(self, *, reveal_hashes: Sequence[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.reveal_hashes = reveal_hashes

    def check_inputs(self) -> Any:
        self._hashes = _check_reveal_hashes("reveal_hashes", self.reveal_hashes)
        return self._hashes

    def advance(self, context: Context, job: Job) -> Any:
        bodies = self.reveal(job, self._hashes)
        output = self.write_output(
            {
                "reveal_hash": h,
                **{k: _page_data(body).get(k) for k in ("first_name", "last_name", "linkedin_url")},
                "emails": _revealed_emails(body),
            }
            for h, body in bodies.items()
        )
        emails = {h: [str(e["email"]) for e in _revealed_emails(body)] for h, body in bodies.items()}
        return {
            "emails": emails,
            "counts": {
                "prospects": len(emails),
                "with_email": sum(1 for e in emails.values() if e),
                "emails": sum(len(e) for e in emails.values()),
            },
            "task_hashes": [job.data["reveals"][h]["task_hash"] for h in self._hashes],
            "output_path": output,
        }

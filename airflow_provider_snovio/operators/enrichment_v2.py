"""Enrichment v2 (2026, #42-#45): company domains by company name, LinkedIn profiles by profile URL.

Both are paid asynchronous tasks of at most 10 items (§4): #42 costs 1 credit per domain found, #44 1 per
profile returned. The inputs are validated in full and split into chunks of 10, and the chunks are recorded
in the job (see :mod:`._async`) before the first start; each chunk's ``task_hash`` is recorded before
waiting. So a retry, a cleared task or a resumption after deferral waits on the same tasks and pays nothing
again. Snov.io offers no free read that finds such a task by its inputs, so a start whose answer was lost is
not sent again by a later try unless ``allow_repay=True`` (it may be charged twice); a task whose hash
Snov.io forgot (expired) is started again once per try, paying again for its chunk (logged with the cost).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_snovio.api import validation as v
from airflow_provider_snovio.api.catalogue import ENDPOINTS, Endpoint
from airflow_provider_snovio.operators._async import SnovioAsyncOperator
from airflow_provider_snovio.operators.state import Job

if TYPE_CHECKING:
    from airflow.sdk import Context


def _checked(field: str, values: Any, row: Endpoint, param: str) -> list[str]:
    """Every item checked with the start row's own item rule, any number of them (they are chunked), one per
    spelling: the same name or URL in another case would be paid for twice in one run."""
    batch = row.params_by_name[param].check
    item = batch.item_validator if isinstance(batch, v.ListOf) else v.text
    checked = v.list_of(item).uncapped(field, values)
    first: dict[str, str] = {}
    for value in checked:
        first.setdefault(value.lower(), value)
    return list(first.values())


def _answers(body: Any, key: str) -> dict[str, Any]:
    """``{item.lower(): result}`` of a #43/#45 body's ``data[]{<key>, result}``."""
    data = body.get("data") if isinstance(body, Mapping) else None
    return {
        str(entry.get(key)).lower(): entry.get("result")
        for entry in data or []
        if isinstance(entry, Mapping) and entry.get(key) is not None
    }


class _ChunkedEnrichment(SnovioAsyncOperator):
    """The shared run: validate, start 10 items a task (paid, recorded), wait, map the answers back."""

    start_row: Endpoint
    field: str  # the operator argument and the start's list parameter
    key: str  # what a result entry names its item by
    what: str

    def items(self) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def check_inputs(self) -> Any:
        self._items = _checked(self.field, self.items(), self.start_row, self.field)
        return self._items

    def results(self, job: Job) -> dict[str, Any]:
        """``{item: its result}`` in input order (None when Snov.io did not answer for it)."""
        answers: dict[str, Any] = {}
        for _chunk, body in self.run_chunked_tasks(
            job, self.start_row, self._items, v.ENRICHMENT_BATCH, self.field, self.what
        ):
            answers.update(_answers(body, self.key))
        return {item: answers.get(item.lower()) for item in self._items}

    def task_hashes(self, job: Job) -> list[str]:
        return [str(chunk["task_hash"]) for chunk in job.data.get("chunks", [])]


class SnovioCompanyDomainOperator(_ChunkedEnrichment):
    """Find the website domain of companies by name (#42/#43; 1 credit per domain found).

    XCom: ``{"domains": {name: domain | None}, "counts": {"names", "found"}, "task_hashes": [...],
    "output_path"}``; with ``output_path`` one JSON line per name ``{name, domain}``.

    :param names: company names, any number (sent 10 per task) (templated).
    """

    template_fields: Sequence[str] = (*SnovioAsyncOperator.template_fields, "names")
    start_row = ENDPOINTS.start_company_domain_by_name
    field, key, what = "names", "name", "company-domain task"

    def __init__(self, *, names: Sequence[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.names = names

    def items(self) -> Any:
        return self.names

    def advance(self, context: Context, job: Job) -> Any:
        domains: dict[str, str | None] = {}
        for name, result in self.results(job).items():
            domain = result.get("domain") if isinstance(result, Mapping) else None
            domains[name] = str(domain) if domain else None
        output = self.write_output({"name": name, "domain": domain} for name, domain in domains.items())
        return {
            "domains": domains,
            "counts": {"names": len(domains), "found": sum(1 for d in domains.values() if d)},
            "task_hashes": self.task_hashes(job),
            "output_path": output,
        }


def _profile_summary(profile: Mapping[str, Any]) -> dict[str, Any]:
    """The few fields of a #45 profile that fit an XCom: who, where, current position."""
    positions = profile.get("positions")
    first = positions[0] if isinstance(positions, list) and positions and isinstance(positions[0], Mapping) else {}
    return {
        "found": True,
        "name": profile.get("name"),
        "country": profile.get("country"),
        "title": first.get("title"),
        "company": first.get("name"),
    }


class SnovioLinkedInProfilesOperator(_ChunkedEnrichment):
    """Read LinkedIn profiles by URL (#44/#45; 1 credit per profile returned).

    XCom: ``{"profiles": {url: {"found": False} | {"found": True, name, country, title, company}},
    "counts": {"urls", "found"}, "task_hashes": [...], "output_path"}``; with ``output_path`` one JSON line
    per URL ``{url, found, profile}`` holding the whole profile (skills, positions).

    :param urls: LinkedIn profile URLs, any number (sent 10 per task) (templated).
    """

    template_fields: Sequence[str] = (*SnovioAsyncOperator.template_fields, "urls")
    start_row = ENDPOINTS.start_li_profiles_by_urls
    field, key, what = "urls", "url", "LinkedIn-profiles task"

    def __init__(self, *, urls: Sequence[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.urls = urls

    def items(self) -> Any:
        return self.urls

    def advance(self, context: Context, job: Job) -> Any:
        profiles = {
            url: dict(result) if isinstance(result, Mapping) and result else None
            for url, result in self.results(job).items()
        }  # nobody found: result is [] (or missing)
        output = self.write_output(
            {"url": url, "found": profile is not None, "profile": profile} for url, profile in profiles.items()
        )
        return {
            "profiles": {url: _profile_summary(p) if p else {"found": False} for url, p in profiles.items()},
            "counts": {"urls": len(profiles), "found": sum(1 for p in profiles.values() if p)},
            "task_hashes": self.task_hashes(job),
            "output_path": output,
        }

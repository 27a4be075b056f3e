"""The database-search (#46-#51) and enrichment v2 (#42-#45) view of the seeded companies and people.

Why derived, not seeded anew: a company found by domain search (#1) must be the company the database
search finds, and its prospects the people domain search lists (#3) and the finder finds, so everything
here is computed from :mod:`sandbox.data.domains` (same seed, same answers). What the older endpoints do
not model (management level, department, skills, revenue, specialities, a logo) is derived
deterministically from the person's position and the company's size and industry.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from airflow_provider_snovio.sandbox.data.domains import Company, Person, build_dataset, fraction

#: Revenue buckets by company size (USD): (min, max) of the documented #50 ``revenue`` values.
REVENUE_BY_SIZE = {
    "1-10": (0, 1_000_000),
    "11-50": (1_000_000, 10_000_000),
    "51-200": (5_000_000, 50_000_000),
    "201-500": (20_000_000, 100_000_000),
    "501-1000": (50_000_000, 500_000_000),
    "1001-5000": (100_000_000, 1_000_000_000),
}
_LEVELS = (
    ("c_level", ("chief", "ceo", "cto", "cfo", "coo", "founder", "owner", "president")),
    ("vp_level", ("vp", "vice president")),
    ("director_level", ("director",)),
    ("manager_level", ("manager", "head", "lead")),
)
_DEPARTMENTS = (
    ("engineering", ("developer", "engineer", "qa", "programmer", "architect", "chief technology")),
    ("marketing", ("marketing", "brand", "content", "seo", "social media")),
    ("sales", ("sales", "account", "business development")),
    ("human_resources", ("hr", "recruit", "talent", "people")),
    ("finance_administration", ("financ", "accountant", "cfo", "administrat")),
    ("support", ("support", "customer success")),
    ("operations", ("operations", "logistic", "coo")),
    ("it_is", ("it", "system administrator", "devops", "security")),
)
SKILLS_BY_DEPARTMENT = {
    "engineering": ("Python", "JavaScript", "Testing"),
    "marketing": ("Brand Strategy", "Content Marketing", "SEO"),
    "sales": ("Negotiation", "CRM", "Lead Generation"),
    "human_resources": ("Recruiting", "Onboarding"),
    "finance_administration": ("Accounting", "Budgeting"),
    "support": ("Customer Service", "Zendesk"),
    "operations": ("Supply Chain", "Process Improvement"),
    "it_is": ("Networking", "Linux"),
    "other": ("Leadership", "Communication"),
}


def _match(text: str, words: Iterable[str]) -> bool:
    """Whether a word starts one of ``text``'s words ("director" is no "cto"; "recruit" finds "Recruiter")."""
    lowered = text.lower()
    return any(re.search(rf"\b{re.escape(word)}", lowered) for word in words)


def management_level(position: str) -> str:
    return next((level for level, words in _LEVELS if _match(position, words)), "staff")


def department(position: str) -> str:
    return next((name for name, words in _DEPARTMENTS if _match(position, words)), "other")


@dataclass(frozen=True, eq=False)
class DbCompany:
    """A company as the database search reports it (#51), with what its filters compare."""

    name: str
    domain: str
    location: str
    country: str
    industry: str
    size: str
    founded: int
    revenue_min: int
    revenue_max: int
    revenue_reported: int
    specialities: tuple[str, ...]
    logo_url: str


@dataclass(frozen=True, eq=False)
class DbProspect:
    """A person of a company, as the database search reports it (#47)."""

    person: Person
    company: DbCompany
    management_level: str
    department: str
    skills: tuple[str, ...]
    linkedin_url: str
    #: The path value of the #48 reveal URL: the person's domain-search hash (so #48 reveals what #5 finds).
    reveal_hash: str

    @property
    def location(self) -> str:
        return f"{self.person.locality}, {self.person.country}"


@dataclass(frozen=True, eq=False)
class Database:
    companies: tuple[DbCompany, ...]
    prospects: tuple[DbProspect, ...]
    by_reveal_hash: dict[str, DbProspect]
    by_linkedin: dict[str, DbProspect]

    def prospects_of(self, domain: str) -> tuple[DbProspect, ...]:
        """The prospects of one company domain, in domain-search order."""
        return tuple(p for p in self.prospects if p.company.domain == domain)


def _company(seed: int, domain: str, company: Company) -> DbCompany:
    low, high = REVENUE_BY_SIZE.get(company.size, (0, 1_000_000))
    reported = low + int((high - low) * fraction(seed, "revenue", domain))
    country = next((c for c, city in _CITIES if city == company.city), "United States")
    return DbCompany(
        name=company.name,
        domain=domain,
        location=f"{company.city}, {country}",
        country=country,
        industry=company.industry,
        size=company.size,
        founded=int(company.founded),
        revenue_min=low,
        revenue_max=high,
        revenue_reported=reported,
        specialities=(company.industry.split(" ")[0], "B2B"),
        logo_url=f"https://app.snov.io/img/companies/{hashlib.sha256(domain.encode()).hexdigest()[:32]}.png",
    )


_CITIES = (
    ("United States", "Stamford"),
    ("United States", "New York"),
    ("United States", "Austin"),
    ("United States", "Greater New York City Area"),
    ("United States", "Greater Atlanta Area"),
    ("United Kingdom", "London"),
    ("Germany", "Berlin"),
    ("Ukraine", "Kyiv"),
    ("Brazil", "Sao Paulo"),
    ("Singapore", "Singapore"),
    ("Canada", "Toronto"),
)


def _linkedin(person: Person) -> str:
    return next((link for kind, link in person.social if kind == "linkedIn"), "")


@functools.lru_cache(maxsize=8)
def build_database(seed: int) -> Database:
    """Every company with company info, and its people, in domain order (cached: immutable)."""
    dataset = build_dataset(seed)
    companies: list[DbCompany] = []
    prospects: list[DbProspect] = []
    for name in sorted(dataset.domains):
        domain = dataset.domains[name]
        if domain.company is None:
            continue
        company = _company(seed, name, domain.company)
        companies.append(company)
        for person in domain.people:
            dept = department(person.position)
            prospects.append(
                DbProspect(
                    person=person,
                    company=company,
                    management_level=management_level(person.position),
                    department=dept,
                    skills=SKILLS_BY_DEPARTMENT[dept],
                    linkedin_url=_linkedin(person),
                    reveal_hash=person.prospect_hash,
                )
            )
    return Database(
        companies=tuple(companies),
        prospects=tuple(prospects),
        by_reveal_hash={p.reveal_hash: p for p in prospects},
        by_linkedin={_profile_key(p.linkedin_url): p for p in prospects if p.linkedin_url},
    )


def _profile_key(url: str) -> str:
    text = url.strip().lower().split("?")[0].split("#")[0].rstrip("/")
    for prefix in ("https://", "http://"):
        text = text.removeprefix(prefix)
    return text.removeprefix("www.")


def prospect_by_linkedin(database: Database, url: str) -> DbProspect | None:
    return database.by_linkedin.get(_profile_key(url))


def li_profile(prospect: DbProspect) -> dict[str, Any]:
    """The #45 ``result`` of a profile: every documented field this person has."""
    person, company = prospect.person, prospect.company
    positions = [
        {
            "name": job["companyName"],
            "title": job["position"],
            **({"linkedin_url": job["socialLink"]} if job.get("socialLink") else {}),
            **({"url": job["site"]} if job.get("site") else {}),
            **({"industry": job["industry"]} if job.get("industry") else {}),
            **({"country": job["country"]} if job.get("country") else {}),
            **({"location": company.location} if job["companyName"] == company.name else {}),
            "specializations": list(company.specialities) if job["companyName"] == company.name else [],
        }
        for job in (*person.current_jobs, *person.previous_jobs)
    ]
    profile: dict[str, Any] = {
        "name": person.full_name,
        "first_name": person.first_name,
        "last_name": person.last_name,
        "industry": person.industry or company.industry,
        "location": prospect.location,
        "country": person.country,
        "skills": list(prospect.skills),
        "positions": positions,
    }
    return profile
